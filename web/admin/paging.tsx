// Keyset paging over the API's `nextCursor`: the cursors of the pages seen so far are kept
// in component state, so "Previous page" goes back without the server knowing page numbers.
import { useRef, useState } from 'react';
import { Button } from '../ui/components.js';

export function useCursorStack() {
  // The first page has no cursor.
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  /** Put on the results (a table with tabIndex -1): focus moves there when the page changes. */
  const resultsRef = useRef<HTMLTableElement>(null);
  const focusResults = () => requestAnimationFrame(() => resultsRef.current?.focus());
  return {
    cursor: stack.at(-1),
    pageNumber: stack.length,
    hasPrevious: stack.length > 1,
    resultsRef,
    next(nextCursor: string) {
      setStack((current) => [...current, nextCursor]);
      focusResults();
    },
    previous() {
      setStack((current) => (current.length > 1 ? current.slice(0, -1) : current));
      focusResults();
    },
  };
}

/** "Previous page" / "Next page" under a keyset-paged table; absent when there is one page. */
export function Pager({
  label,
  paging,
  nextCursor,
  busy,
}: {
  label: string;
  paging: ReturnType<typeof useCursorStack>;
  nextCursor: string | null;
  busy: boolean;
}) {
  if (!paging.hasPrevious && nextCursor === null) return null;
  return (
    <nav aria-label={label} className="row pager">
      <Button variant="secondary" disabled={!paging.hasPrevious || busy} onClick={paging.previous}>
        Previous page
      </Button>
      <Button variant="secondary" disabled={nextCursor === null || busy} onClick={() => nextCursor !== null && paging.next(nextCursor)}>
        Next page
      </Button>
    </nav>
  );
}
