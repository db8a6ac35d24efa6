// A user named in an audit event: their name, linked to their page, when the signed-in staff
// member may view users; otherwise (or while loading, or for a deleted user) a short id.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { adminApi } from '../../shared/api.js';
import { useSignedInUser } from '../../shared/session.js';
import { fullName } from '../labels.js';

export function UserRef({ id }: { id: string | null }) {
  const signedIn = useSignedInUser();
  const canView = signedIn.permissions.includes('users.view');
  const query = useQuery({
    queryKey: ['admin', 'user', id ?? ''],
    queryFn: () => adminApi.user(id ?? ''),
    enabled: canView && id !== null,
    staleTime: 5 * 60_000,
    retry: false,
  });
  if (id === null) return <span className="muted">—</span>;
  const shortId = <span className="mono" title={id}>{id.slice(0, 8)}</span>;
  if (!canView) return shortId;
  return <Link to={`/users/${encodeURIComponent(id)}`}>{query.data === undefined ? shortId : fullName(query.data.user)}</Link>;
}
