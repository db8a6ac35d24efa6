// Who is signed in on this surface. A 401 `unauthenticated` from any request (time-out,
// sign-out elsewhere) returns the screen to sign-in with a message.
import { type ReactNode, createContext, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, type SurfaceApi, type User, onSessionEnded } from './api.js';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; notice: string | null }
  | { status: 'signed-in'; user: User };

export interface Session {
  state: SessionState;
  signedIn(user: User): void;
  signOut(): Promise<void>;
  /** The server has already ended the session (a password change): back to sign-in, with a message. */
  ended(notice: string): void;
  /** Reads the signed-in user again (after securing the account, confirming an email). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionProvider');
  return session;
}

export function useSignedInUser(): User {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useSignedInUser while signed out');
  return state.user;
}

export const SESSION_ENDED_NOTICE = 'Your session has ended. Sign in again to continue.';
export const SIGNED_OUT_NOTICE = 'You have been signed out.';

export function SessionProvider({ api, children }: { api: SurfaceApi; children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    let active = true;
    api.me().then(
      ({ user }) => active && setState({ status: 'signed-in', user }),
      (error: unknown) => {
        if (!active) return;
        setState({ status: 'signed-out', notice: error instanceof ApiError && error.code === 'unauthenticated' ? null : 'Latchkey could not be reached. Try again shortly.' });
      },
    );
    return () => {
      active = false;
    };
  }, [api]);

  useEffect(
    () =>
      onSessionEnded(() =>
        setState((current) => (current.status === 'signed-in' ? { status: 'signed-out', notice: SESSION_ENDED_NOTICE } : current)),
      ),
    [],
  );

  const signedIn = useCallback((user: User) => setState({ status: 'signed-in', user }), []);
  const signOut = useCallback(async () => {
    await api.logout().catch(() => undefined);
    setState({ status: 'signed-out', notice: SIGNED_OUT_NOTICE });
  }, [api]);

  const ended = useCallback((notice: string) => setState({ status: 'signed-out', notice }), []);
  const refresh = useCallback(async () => {
    const { user } = await api.me();
    setState({ status: 'signed-in', user });
  }, [api]);

  return <SessionContext.Provider value={{ state, signedIn, signOut, ended, refresh }}>{children}</SessionContext.Provider>;
}
