// The audit log (SPEC §5), for staff with `audit.view`: newest first, filtered by event type
// and (from a user's page) by user, with keyset paging. Filters live in the URL.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { ApiError, adminApi } from '../../shared/api.js';
import { useSignedInUser } from '../../shared/session.js';
import { PageHeading } from '../../shared/shell.js';
import { Alert, Button } from '../../ui/components.js';
import '../admin.css';
import { requestErrorMessage } from '../labels.js';
import { Pager, useCursorStack } from '../paging.js';
import { SelectField } from '../select-field.js';
import { OutcomeBadge, eventDetails, eventLabel, eventTypes } from './audit-format.js';
import { UserRef } from './user-ref.js';

const PAGE_SIZE = 50;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

export function AuditPage() {
  const signedIn = useSignedInUser();
  const [params, setParams] = useSearchParams();
  const type = params.get('type') ?? '';
  const rawUserId = params.get('userId') ?? '';
  const userId = uuidPattern.test(rawUserId) ? rawUserId : '';

  if (!signedIn.permissions.includes('audit.view')) {
    return (
      <>
        <PageHeading>Audit log</PageHeading>
        <Alert tone="danger">You are not allowed to view the audit log.</Alert>
      </>
    );
  }

  const update = (next: { type?: string; userId?: string }) => {
    const search = new URLSearchParams();
    const nextType = next.type ?? type;
    const nextUser = next.userId ?? userId;
    if (nextType !== '') search.set('type', nextType);
    if (nextUser !== '') search.set('userId', nextUser);
    setParams(search);
  };

  const options = [{ value: '', label: 'All events' }, ...eventTypes.map((entry) => ({ value: entry.type, label: entry.label }))];
  if (type !== '' && !eventTypes.some((entry) => entry.type === type)) options.push({ value: type, label: type });

  return (
    <>
      <PageHeading>Audit log</PageHeading>
      <div className="card">
        <div className="filters">
          <div className="fixed">
            <SelectField label="Event type" name="type" value={type} options={options} onChange={(event) => update({ type: event.target.value })} />
          </div>
          {userId === '' ? null : (
            <p className="row">
              <span>
                Events of <UserRef id={userId} />
              </span>
              <Button variant="link" onClick={() => update({ userId: '' })}>
                Show all users
              </Button>
            </p>
          )}
        </div>
        <AuditResults key={`${type}|${userId}`} type={type} userId={userId} />
      </div>
    </>
  );
}

function AuditResults({ type, userId }: { type: string; userId: string }) {
  const paging = useCursorStack();
  const query = useQuery({
    queryKey: ['admin', 'audit', { type, userId, cursor: paging.cursor, limit: PAGE_SIZE }],
    queryFn: () => adminApi.audit({ type, userId, cursor: paging.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  if (query.isPending) return <p role="status" className="muted">Loading events…</p>;
  if (query.isError) {
    const error = query.error;
    return (
      <Alert tone="danger" title="The audit log could not be loaded" live>
        {error instanceof ApiError && error.code === 'forbidden' ? 'You are not allowed to view the audit log.' : requestErrorMessage(error)}
      </Alert>
    );
  }
  const { items, nextCursor } = query.data;
  return (
    <>
      <p role="status" className="muted">
        {items.length === 0
          ? ''
          : `${paging.hasPrevious || nextCursor !== null ? `Page ${paging.pageNumber}: ` : ''}${items.length} event${items.length === 1 ? '' : 's'}, newest first.`}
      </p>
      {items.length === 0 ? (
        <Alert tone="info" title="No events">
          {type === '' && userId === '' ? 'Nothing has been recorded yet.' : 'No event matches these filters.'}
        </Alert>
      ) : (
        <div className="table-wrap">
          <table ref={paging.resultsRef} tabIndex={-1} aria-busy={query.isPlaceholderData} aria-label={`Audit events, page ${paging.pageNumber}`}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => {
                const details = eventDetails(event.details);
                return (
                  <tr key={event.id}>
                    <td className="nowrap">
                      <time dateTime={event.at}>{timeFormat.format(new Date(event.at))}</time>
                    </td>
                    <td>
                      <span title={event.type}>{eventLabel(event.type)}</span>
                      {details.length === 0 ? null : <div className="audit-details">{details.join(' · ')}</div>}
                    </td>
                    <td>
                      <UserRef id={event.actorId} />
                    </td>
                    <td>
                      <UserRef id={event.targetId} />
                    </td>
                    <td>
                      <OutcomeBadge outcome={event.outcome} />
                    </td>
                    <td>
                      {event.ip === null ? <span className="muted">—</span> : <span className="mono">{event.ip}</span>}
                      {event.userAgent === null ? null : (
                        <div className="audit-agent" title={event.userAgent}>
                          {event.userAgent}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Pages of events" paging={paging} nextCursor={nextCursor} busy={query.isFetching} />
    </>
  );
}
