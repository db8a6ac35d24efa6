// A user's page (SPEC §2 steps 2–5): the profile, the Two-Factor Authentication section with
// the "Generate Backup Codes" button (present only when the server says the signed-in staff
// member may use it), and the user's recent audit events. After a generation the codes page
// takes the place of this page — component state, not a route — until Done.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, type BackupCodes, type UserDetail, adminApi } from '../../shared/api.js';
import { useSignedInUser } from '../../shared/session.js';
import { PageHeading } from '../../shared/shell.js';
import { Alert, formatDate, formatDateTime } from '../../ui/components.js';
import '../admin.css';
import { eventLabel, OutcomeBadge } from '../audit/audit-format.js';
import { CodesPage } from '../backup-codes/codes-page.js';
import { GenerateBackupCodes } from '../backup-codes/generate-backup-codes.js';
import { fullName, kindLabel, requestErrorMessage } from '../labels.js';
import { SignOutEverywhere } from './sign-out-everywhere.js';

export function UserPage() {
  const { id = '' } = useParams();
  // A new user starts afresh: nothing (least of all codes) carries over from the last one.
  return <UserPageFor key={id} id={id} />;
}

export function userQueryKey(id: string) {
  return ['admin', 'user', id] as const;
}

function UserPageFor({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [issued, setIssued] = useState<BackupCodes | null>(null);
  const query = useQuery({ queryKey: userQueryKey(id), queryFn: () => adminApi.user(id) });

  if (issued !== null && query.data !== undefined) {
    return (
      <CodesPage
        name={fullName(query.data.user)}
        issued={issued}
        onDone={() => {
          setIssued(null);
          void queryClient.invalidateQueries({ queryKey: userQueryKey(id) });
          void queryClient.invalidateQueries({ queryKey: ['admin', 'audit'] });
        }}
      />
    );
  }

  if (query.isPending) return <p role="status" className="muted">Loading user…</p>;
  if (query.isError) {
    const error = query.error;
    const message =
      error instanceof ApiError && (error.code === 'not_found' || error.code === 'validation_failed')
        ? 'There is no user with this address. Find them in the user list.'
        : error instanceof ApiError && error.code === 'forbidden'
          ? 'You are not allowed to view users.'
          : requestErrorMessage(error);
    return (
      <>
        <PageHeading>User not available</PageHeading>
        <Alert tone="danger" live>
          {message}
        </Alert>
        <Link to="/users">Back to the user list</Link>
      </>
    );
  }

  return <UserDetails detail={query.data} onGenerated={setIssued} />;
}

function UserDetails({ detail, onGenerated }: { detail: UserDetail; onGenerated: (issued: BackupCodes) => void }) {
  const signedIn = useSignedInUser();
  const { user, twoFactor, can } = detail;
  const name = fullName(user);
  return (
    <>
      <Link to="/users" className="back-link">
        <span aria-hidden="true">← </span>All users
      </Link>
      <PageHeading>{name}</PageHeading>

      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="details">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Phone</dt>
          <dd>{user.phone ?? <span className="muted">Not given</span>}</dd>
          <dt>Kind</dt>
          <dd>{kindLabel(user.kind)}</dd>
          <dt>Admin-level</dt>
          <dd>{user.isAdmin ? 'Yes' : 'No'}</dd>
          <dt>Status</dt>
          <dd>{user.status === 'active' ? 'Active' : <span className="badge badge-danger">Disabled</span>}</dd>
          <dt>Created</dt>
          <dd>{formatDate(user.createdAt)}</dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="two-factor-heading">
        <h2 id="two-factor-heading">Two-Factor Authentication</h2>
        <h3>Devices</h3>
        {twoFactor.factors.length === 0 ? (
          <p className="muted">No two-factor devices.</p>
        ) : (
          <ul className="plain-list">
            {twoFactor.factors.map((factor) => (
              <li key={factor.id} className="spread">
                <span>{factor.label}</span>
                <span className="muted">Added {formatDate(factor.createdAt)}</span>
              </li>
            ))}
          </ul>
        )}
        <h3>Backup codes</h3>
        {twoFactor.backupCodes === null ? (
          <p className="muted">No backup codes</p>
        ) : (
          <ul className="plain-list">
            <li>
              <strong>
                {twoFactor.backupCodes.remaining} backup code{twoFactor.backupCodes.remaining === 1 ? '' : 's'} remaining
              </strong>
            </li>
            <li>{twoFactor.backupCodes.origin === 'staff' ? 'Issued by staff' : 'Created by the user'} on {formatDate(twoFactor.backupCodes.createdAt)}</li>
            <li>{twoFactor.backupCodes.expiresAt === null ? 'Do not expire' : `Expires ${formatDateTime(twoFactor.backupCodes.expiresAt)}`}</li>
          </ul>
        )}
        {can.generateBackupCodes ? (
          <div className="section-actions">
            <p className="muted">For a user who is locked out because they no longer have their two-factor device.</p>
            <GenerateBackupCodes userId={user.id} userName={name} onGenerated={onGenerated} />
          </div>
        ) : null}
      </section>

      {can.endSessions ? (
        <section className="card" aria-labelledby="sessions-heading">
          <h2 id="sessions-heading">Sessions</h2>
          <SignOutEverywhere userId={user.id} userName={name} />
        </section>
      ) : null}

      {signedIn.permissions.includes('audit.view') ? <RecentEvents userId={user.id} /> : null}
    </>
  );
}

function RecentEvents({ userId }: { userId: string }) {
  const query = useQuery({ queryKey: ['admin', 'audit', { userId, limit: 10 }], queryFn: () => adminApi.audit({ userId, limit: 10 }) });
  return (
    <section className="card" aria-labelledby="recent-events-heading">
      <h2 id="recent-events-heading">Recent events</h2>
      {query.isPending ? (
        <p role="status" className="muted">Loading events…</p>
      ) : query.isError ? (
        <Alert tone="danger" live>
          {requestErrorMessage(query.error)}
        </Alert>
      ) : query.data.items.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((event) => (
                  <tr key={event.id}>
                    <td>
                      <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                    </td>
                    <td>
                      {eventLabel(event.type)}
                      {event.actorId === userId && event.targetId !== null && event.targetId !== userId ? <span className="muted"> (by this user)</span> : null}
                    </td>
                    <td>
                      <OutcomeBadge outcome={event.outcome} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="pager">
            <Link to={`/audit?userId=${encodeURIComponent(userId)}`}>All events for this user</Link>
          </p>
        </>
      )}
    </section>
  );
}
