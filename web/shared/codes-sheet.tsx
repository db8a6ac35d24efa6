// Codes shown once: large, grouped for reading aloud, with Copy and Print (and Download for
// a user's own codes). They live only in this component's props — never in storage, the
// URL or the history — and are gone when it unmounts.
import { type ReactNode, useState } from 'react';
import { Button } from '../ui/components.js';

export function CodesSheet({
  codes,
  printHeading,
  printLines,
  download,
  children,
}: {
  codes: string[];
  /** The print slip: a heading and a few lines (whose codes, until when), nothing else. */
  printHeading: string;
  printLines: string[];
  download?: { fileName: string; text: string };
  children?: ReactNode;
}) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  const save = () => {
    if (download === undefined) return;
    const url = URL.createObjectURL(new Blob([download.text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = download.fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <div className="codes-sheet">
      <div className="print-only">
        <h1>{printHeading}</h1>
        {printLines.map((line) => (
          <p key={line}>{line}</p>
        ))}
      </div>
      <ol className="codes" aria-label="Backup codes">
        {codes.map((code) => (
          <li key={code}>
            <span>{code}</span>
          </li>
        ))}
      </ol>
      <div className="row no-print">
        <Button variant="secondary" onClick={() => void copy()}>
          Copy
        </Button>
        {download === undefined ? null : (
          <Button variant="secondary" onClick={save}>
            Download
          </Button>
        )}
        <Button variant="secondary" onClick={() => window.print()}>
          Print
        </Button>
        <span role="status" className="muted">
          {copied === 'copied' ? 'Codes copied.' : copied === 'failed' ? 'Could not copy; select the codes instead.' : ''}
        </span>
      </div>
      {children}
    </div>
  );
}
