// Active sessions (ASVS 5.0 7.5.2): where the person is signed in, and ending any or all of
// the others — after confirming it's them when their last check is not recent.
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { ActiveSession, SurfaceApi } from '../api.js';
import { Alert, Button, formatDateTime } from '../../ui/components.js';
import { SESSIONS_QUERY_KEY, useActiveSessions } from './queries.js';
import { CANCELLED, type StepUp, errorText } from './use-step-up.js';

export function SessionsSection({ api, stepUp }: { api: SurfaceApi; stepUp: StepUp }) {
  const sessions = useActiveSessions(api);
  const queryClient = useQueryClient();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const run = async (id: string, action: () => Promise<unknown>, done: (result: unknown) => string) => {
    setBusyId(id);
    setNotice(null);
    try {
      const result = await stepUp.guarded(action);
      if (result === CANCELLED) return;
      await queryClient.invalidateQueries({ queryKey: SESSIONS_QUERY_KEY });
      setNotice({ tone: 'success', text: done(result) });
      heading.current?.focus();
    } catch (caught) {
      setNotice({ tone: 'danger', text: errorText(caught) });
      void queryClient.invalidateQueries({ queryKey: SESSIONS_QUERY_KEY });
    } finally {
      setBusyId(null);
    }
  };
  const endOne = (session: ActiveSession) => run(session.id, () => api.endSession(session.id), () => `Signed out of ${session.device}.`);
  const endOthers = () =>
    run('others', api.endOtherSessions, (result) => {
      const ended = (result as { ended: number }).ended;
      return ended === 1 ? 'Signed out of 1 other session.' : `Signed out of ${ended} other sessions.`;
    });

  const others = sessions.data?.filter((session) => !session.current) ?? [];
  return (
    <section className="settings-section" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" ref={heading} tabIndex={-1}>
        Active sessions
      </h2>
      <p className="page-intro">Where you are signed in now. If you don’t recognise one, sign it out and change your password.</p>
      <div className="card">
        {notice === null ? null : (
          <Alert tone={notice.tone} live>
            {notice.text}
          </Alert>
        )}
        {sessions.isPending ? (
          <p role="status">Loading your sessions…</p>
        ) : sessions.isError ? (
          <Alert tone="danger" live title="Your sessions could not be loaded.">
            <p>{sessions.error.message}</p>
            <Button variant="secondary" onClick={() => void sessions.refetch()}>
              Try again
            </Button>
          </Alert>
        ) : (
          <>
            <ul className="session-list" aria-label="Active sessions">
              {sessions.data.map((session) => (
                <li key={session.id}>
                  <span>
                    <span className="device-name">
                      {session.device}
                      {session.current ? <span className="badge">This device</span> : null}
                    </span>
                    <span className="device-added">
                      {session.ip === null ? null : <>{session.ip} · </>}
                      Signed in {formatDateTime(session.createdAt)} · Last active {formatDateTime(session.lastSeenAt)}
                    </span>
                  </span>
                  {session.current ? null : (
                    <Button variant="secondary" disabled={busyId !== null} onClick={() => void endOne(session)}>
                      {busyId === session.id ? 'Signing out…' : 'Sign out'}
                      <span className="visually-hidden">
                        {' '}
                        {session.device}, last active {formatDateTime(session.lastSeenAt)}
                      </span>
                    </Button>
                  )}
                </li>
              ))}
            </ul>
            {others.length === 0 ? (
              <p className="muted">You are not signed in anywhere else.</p>
            ) : (
              <Button variant="secondary" disabled={busyId !== null} onClick={() => void endOthers()}>
                {busyId === 'others' ? 'Signing out…' : 'Sign out of all other sessions'}
              </Button>
            )}
          </>
        )}
      </div>
    </section>
  );
}
