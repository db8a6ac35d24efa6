// Manage Users (SPEC §2 step 1–2): search, a kind filter and keyset paging; each name opens
// the user's page. The search terms live in the URL (they are not secret), the page cursors
// in component state.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, adminApi } from '../../shared/api.js';
import { PageHeading } from '../../shared/shell.js';
import { Alert, Button, TextField } from '../../ui/components.js';
import '../admin.css';
import { fullName, kindLabel, requestErrorMessage } from '../labels.js';
import { Pager, useCursorStack } from '../paging.js';
import { SelectField } from '../select-field.js';

type KindFilter = '' | 'customer' | 'staff';

const kindOptions: { value: KindFilter; label: string }[] = [
  { value: '', label: 'All users' },
  { value: 'customer', label: 'Customers' },
  { value: 'staff', label: 'Staff' },
];

function parseKind(value: string | null): KindFilter {
  return value === 'customer' || value === 'staff' ? value : '';
}

export function UserListPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const kind = parseKind(params.get('kind'));

  const apply = (next: { q: string; kind: KindFilter }) => {
    const search = new URLSearchParams();
    if (next.q.trim() !== '') search.set('q', next.q.trim());
    if (next.kind !== '') search.set('kind', next.kind);
    setParams(search);
  };

  return (
    <>
      <PageHeading>Manage Users</PageHeading>
      <div className="card">
        <SearchForm q={q} kind={kind} onApply={apply} />
        {/* A new search starts again from the first page. */}
        <UserResults key={`${q}|${kind}`} q={q} kind={kind} />
      </div>
    </>
  );
}

function SearchForm({ q, kind, onApply }: { q: string; kind: KindFilter; onApply: (next: { q: string; kind: KindFilter }) => void }) {
  const [draft, setDraft] = useState(q);
  // Back and Forward change the URL's terms: show them in the field.
  const [shownQ, setShownQ] = useState(q);
  if (shownQ !== q) {
    setShownQ(q);
    setDraft(q);
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ q: draft, kind });
  };
  return (
    <form role="search" aria-label="Users" className="filters" onSubmit={submit}>
      <div className="grow">
        <TextField label="Search users" hint="Name, username or email" type="search" name="q" value={draft} maxLength={200} onChange={(event) => setDraft(event.target.value)} />
      </div>
      <div className="fixed">
        <SelectField label="Kind" name="kind" value={kind} options={kindOptions} onChange={(event) => onApply({ q: draft, kind: parseKind(event.target.value) })} />
      </div>
      <Button type="submit">Search</Button>
    </form>
  );
}

function UserResults({ q, kind }: { q: string; kind: KindFilter }) {
  const paging = useCursorStack();
  const query = useQuery({
    queryKey: ['admin', 'users', { q, kind, cursor: paging.cursor }],
    queryFn: () => adminApi.users({ q, kind, cursor: paging.cursor }),
    placeholderData: keepPreviousData,
  });
  const filtered = q !== '' || kind !== '';

  if (query.isPending) return <p role="status" className="muted">Loading users…</p>;
  if (query.isError) {
    const error = query.error;
    return (
      <Alert tone="danger" title="The user list could not be loaded" live>
        {error instanceof ApiError && error.code === 'forbidden' ? 'You are not allowed to view users.' : requestErrorMessage(error)}
      </Alert>
    );
  }
  const { items, nextCursor } = query.data;
  return (
    <>
      <p role="status" className="muted">
        {items.length === 0
          ? ''
          : `${paging.hasPrevious || nextCursor !== null ? `Page ${paging.pageNumber}: ` : ''}${items.length} user${items.length === 1 ? '' : 's'}${filtered ? ' found' : ''}.`}
      </p>
      {items.length === 0 ? (
        <Alert tone="info" title={filtered ? 'No users match your search' : 'No users yet'}>
          {filtered ? 'Check the spelling, or search by first name, last name, username or email.' : null}
        </Alert>
      ) : (
        <div className="table-wrap">
          <table ref={paging.resultsRef} tabIndex={-1} aria-busy={query.isPlaceholderData} aria-label={`Users, page ${paging.pageNumber}`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((user) => (
                <tr key={user.id}>
                  <td>
                    <Link to={`/users/${encodeURIComponent(user.id)}`}>{fullName(user)}</Link>
                  </td>
                  <td>{user.username}</td>
                  <td>{user.email}</td>
                  <td>
                    <span className="row">
                      <span className={user.kind === 'staff' ? 'badge' : 'badge badge-muted'}>{kindLabel(user.kind)}</span>
                      {user.isAdmin ? <span className="badge">Admin-level</span> : null}
                    </span>
                  </td>
                  <td>{user.status === 'active' ? 'Active' : <span className="badge badge-danger">Disabled</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Pages of users" paging={paging} nextCursor={nextCursor} busy={query.isFetching} />
    </>
  );
}
