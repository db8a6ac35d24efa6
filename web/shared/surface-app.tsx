// Mounts one surface: the session gate (sign-in until signed in, then securing the account
// when a staff-issued code was used) around its routes.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import '../ui/theme.css';
import { ApiError, type SurfaceApi } from './api.js';
import { SessionProvider, useSession } from './session.js';
import { SecureAccountPage } from './settings/secure-account-page.js';
import { SignIn } from './sign-in.js';

function Gate({ api, surfaceName, children }: { api: SurfaceApi; surfaceName: string; children: ReactNode }) {
  const { state, signedIn } = useSession();
  if (state.status === 'loading') return <p role="status" className="narrow">Loading…</p>;
  if (state.status === 'signed-out') return <SignIn api={api} surfaceName={surfaceName} notice={state.notice} onSignedIn={signedIn} />;
  // After a sign-in with a staff-issued code: nothing else until the account is secured (SPEC §2).
  if (state.user.mustSecureAccount) return <SecureAccountPage api={api} surfaceName={surfaceName} />;
  return <>{children}</>;
}

export function mountSurface({ api, surfaceName, basename, routes }: { api: SurfaceApi; surfaceName: string; basename: string; routes: ReactNode }) {
  document.title = surfaceName;
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
  const root = document.getElementById('root');
  if (root === null) throw new Error('no #root element');
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter basename={basename}>
          <SessionProvider api={api}>
            <Gate api={api} surfaceName={surfaceName}>
              {routes}
            </Gate>
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
}
