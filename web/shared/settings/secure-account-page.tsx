// After a sign-in with a backup code from the bank's staff (SPEC §2): a full page in place of
// the app, until the person has added an authenticator app and created their own recovery
// codes. It cannot be skipped: the server keeps saying so in GET /me until both are done.
import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { SurfaceApi } from '../api.js';
import { useSession, useSignedInUser } from '../session.js';
import { TotpSetup } from '../totp-setup.js';
import { Alert, Button } from '../../ui/components.js';
import { OwnRecoveryCodes } from './own-recovery-codes.js';
import './settings.css';
import { CANCELLED, errorText, useStepUp } from './use-step-up.js';

export function SecureAccountPage({ api, surfaceName }: { api: SurfaceApi; surfaceName: string }) {
  const user = useSignedInUser();
  const { refresh, signOut } = useSession();
  const stepUp = useStepUp(api);
  const owed = user.accountSecuring ?? { needsFactor: false, needsRecoveryCodes: false };
  const [codes, setCodes] = useState<{ codes: string[]; generatedAt: Date } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const step = owed.needsFactor ? 'factor' : 'codes';
  useEffect(() => heading.current?.focus(), []);

  const factorAdded = async () => {
    await refresh().catch(() => undefined);
    stepHeading.current?.focus();
  };
  const createCodes = async () => {
    setBusy(true);
    setError(null);
    try {
      const reply = await stepUp.guarded(() => api.generateOwnBackupCodes());
      if (reply === CANCELLED) return;
      flushSync(() => setCodes({ codes: reply.codes, generatedAt: new Date() }));
      stepHeading.current?.focus();
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  // Only once the codes are saved does the server's answer let the app through.
  const saved = () => void refresh().catch((caught: unknown) => setError(errorText(caught)));

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar no-print">
        <div className="topbar-inner">
          <span className="brand">
            <span className="brand-mark" aria-hidden="true">
              L
            </span>
            {surfaceName}
          </span>
          <div className="topbar-end">
            <Button variant="secondary" onClick={() => void signOut()}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="secure-account">
        <div className="no-print">
          <h1 ref={heading} tabIndex={-1}>
            Secure your account
          </h1>
          <p className="page-intro">
            You signed in with a backup code from the bank. Before you continue, add an authenticator app and create your own recovery codes, so you
            won’t need the bank’s help to sign in again.
          </p>
          <ol className="secure-steps" aria-label="Steps">
            <li aria-current={step === 'factor' ? 'step' : undefined} className={owed.needsFactor ? undefined : 'done'}>
              Add an authenticator app{owed.needsFactor ? null : <span className="visually-hidden"> (done)</span>}
            </li>
            <li aria-current={step === 'codes' ? 'step' : undefined}>Create your recovery codes</li>
          </ol>
        </div>
        <div className="card">
          {step === 'factor' ? (
            <>
              <h2 ref={stepHeading} tabIndex={-1}>
                Step 1 of 2: Add an authenticator app
              </h2>
              <TotpSetup api={api} onConfirmed={() => void factorAdded()} onExpired={() => void refresh().catch(() => undefined)} onReauthenticationRequired={stepUp.confirmIdentity} />
            </>
          ) : codes === null ? (
            <>
              <h2 ref={stepHeading} tabIndex={-1}>
                Step 2 of 2: Create your recovery codes
              </h2>
              <Alert tone="success" live>
                Authenticator app added.
              </Alert>
              <p>Recovery codes let you sign in when you don’t have your device. Creating them replaces the codes the bank gave you: those stop working.</p>
              {error === null ? null : (
                <Alert tone="danger" live>
                  {error}
                </Alert>
              )}
              <Button onClick={() => void createCodes()} disabled={busy}>
                {busy ? 'Creating…' : 'Create recovery codes'}
              </Button>
            </>
          ) : (
            <>
              {error === null ? null : (
                <Alert tone="danger" live>
                  {error}
                </Alert>
              )}
              <OwnRecoveryCodes codes={codes.codes} generatedAt={codes.generatedAt} surfaceName={surfaceName} headingRef={stepHeading} onSaved={saved} />
            </>
          )}
        </div>
      </main>
      {stepUp.dialog}
    </>
  );
}
