// Backup codes: how many remain, and the person's own recovery codes — generated here and
// shown once. The codes live only in this component's state: never in storage, the URL, the
// history, the query cache or the console, and they are gone when it unmounts.
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { SurfaceApi, TwoFactor } from '../api.js';
import { Alert, Button, formatDate } from '../../ui/components.js';
import { OwnRecoveryCodes } from './own-recovery-codes.js';
import { TWO_FACTOR_QUERY_KEY } from './queries.js';
import { CANCELLED, type StepUp, errorText } from './use-step-up.js';

const LOW_CODES = 3;

export function BackupCodesCard({ api, surfaceName, status, stepUp }: { api: SurfaceApi; surfaceName: string; status: TwoFactor; stepUp: StepUp }) {
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<{ codes: string[]; generatedAt: Date } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sectionHeading = useRef<HTMLHeadingElement>(null);
  const codesHeading = useRef<HTMLHeadingElement>(null);

  const generate = async () => {
    setBusy(true);
    setError(null);
    try {
      const reply = await stepUp.guarded(() => api.generateOwnBackupCodes());
      if (reply === CANCELLED) return;
      flushSync(() => setFresh({ codes: reply.codes, generatedAt: new Date() }));
      codesHeading.current?.focus();
      void queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const saved = () => {
    flushSync(() => setFresh(null));
    sectionHeading.current?.focus();
    void queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
  };

  if (fresh !== null) {
    return (
      <div className="card">
        <OwnRecoveryCodes codes={fresh.codes} generatedAt={fresh.generatedAt} surfaceName={surfaceName} headingRef={codesHeading} onSaved={saved} />
      </div>
    );
  }

  const codes = status.backupCodes;
  const remaining = codes?.remaining ?? 0;
  return (
    <div className="card no-print">
      <h3 ref={sectionHeading} tabIndex={-1}>
        Backup codes
      </h3>
      {codes === null || remaining === 0 ? (
        <>
          <p className="codes-remaining">You have no backup codes</p>
          <p className="codes-origin">Recovery codes let you sign in when you don’t have your device. Generate a set and keep it somewhere safe.</p>
        </>
      ) : (
        <>
          <p className="codes-remaining">
            {remaining} backup {remaining === 1 ? 'code' : 'codes'} remaining
          </p>
          <p className="codes-origin">
            {codes.origin === 'staff'
              ? `Issued by the bank’s staff, expires ${codes.expiresAt === null ? 'never' : formatDate(codes.expiresAt)}.`
              : `Your own recovery codes, created ${formatDate(codes.createdAt)}.`}
          </p>
          {codes.origin === 'staff' ? (
            <Alert tone="info">
              These codes were given to you to get back into your account. Create your own recovery codes to replace them, and keep your own somewhere safe.
            </Alert>
          ) : null}
          {remaining <= LOW_CODES ? (
            <Alert tone="warning" title={`Only ${remaining} backup ${remaining === 1 ? 'code' : 'codes'} left.`}>
              <p>Generate new recovery codes so you don’t run out.</p>
            </Alert>
          ) : null}
        </>
      )}
      {error === null ? null : (
        <Alert tone="danger" live>
          {error}
        </Alert>
      )}
      {remaining > 0 ? <p className="muted">Generating new codes replaces the ones you have now: they stop working.</p> : null}
      <Button onClick={() => void generate()} disabled={busy}>
        {busy ? 'Generating…' : 'Generate recovery codes'}
      </Button>
    </div>
  );
}
