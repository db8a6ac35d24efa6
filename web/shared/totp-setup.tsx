// Adding an authenticator app: scan the QR code (or type the key), then confirm with a code.
import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, type SurfaceApi, type TotpEnrollment } from './api.js';
import { Alert, Button, TextField } from '../ui/components.js';
import { codeErrorMessage } from './messages.js';

function isReauthenticationRequired(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'reauthentication_required';
}

export function TotpSetup({
  api,
  onConfirmed,
  onExpired,
  onCancel,
  onReauthenticationRequired,
}: {
  api: SurfaceApi;
  onConfirmed: () => void;
  onExpired: () => void;
  onCancel?: () => void;
  /**
   * For a signed-in person (Settings): the server wants a recent second factor before it
   * starts or confirms the set-up. Resolve `true` once they have confirmed it's them (the
   * step is then retried), `false` if they cancelled (before the set-up has started, that
   * cancels the set-up). Without it, the server's message is shown, as at sign-in.
   */
  onReauthenticationRequired?: () => Promise<boolean>;
}) {
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  // The latest callbacks, so a parent re-rendering with new closures does not start a new
  // enrolment (which would replace the secret already scanned).
  const callbacks = useRef({ onConfirmed, onExpired, onCancel, onReauthenticationRequired });
  useLayoutEffect(() => {
    callbacks.current = { onConfirmed, onExpired, onCancel, onReauthenticationRequired };
  });

  useEffect(() => {
    let active = true;
    api.enrollTotp().then(
      (started) => active && setEnrollment(started),
      async (caught: unknown) => {
        if (!active) return;
        const { onExpired: expired, onCancel: cancel, onReauthenticationRequired: reauthenticate } = callbacks.current;
        if (caught instanceof ApiError && caught.code === 'unauthenticated') expired();
        else if (isReauthenticationRequired(caught) && reauthenticate !== undefined) {
          const confirmed = await reauthenticate();
          if (!active) return;
          if (confirmed) setAttempt((count) => count + 1);
          else if (cancel !== undefined) cancel();
          else setError(codeErrorMessage(caught));
        } else setError(codeErrorMessage(caught));
      },
    );
    return () => {
      active = false;
    };
  }, [api, attempt]);

  const confirm = async (factorId: string, value: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.confirmTotp(factorId, value);
      setEnrollment(null);
      callbacks.current.onConfirmed();
    } catch (caught) {
      setBusy(false);
      const reauthenticate = callbacks.current.onReauthenticationRequired;
      if (isReauthenticationRequired(caught) && reauthenticate !== undefined) {
        // The code was not checked yet; keep it and send it again once they have confirmed.
        if (await reauthenticate()) await confirm(factorId, value);
        return;
      }
      setCode('');
      if (caught instanceof ApiError && caught.code === 'unauthenticated') callbacks.current.onExpired();
      else setError(codeErrorMessage(caught));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (enrollment === null) return;
    void confirm(enrollment.factorId, code);
  };

  if (enrollment === null) return error === null ? <p role="status">Preparing your authenticator app set-up…</p> : <Alert tone="danger" live>{error}</Alert>;
  return (
    <form onSubmit={submit} noValidate className="stack">
      <ol>
        <li>Open your authenticator app and scan this QR code.</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <img className="qr" src={`data:image/svg+xml;utf8,${encodeURIComponent(enrollment.qrSvg)}`} alt="QR code to add Latchkey to your authenticator app" />
      <p>
        Can’t scan it? Enter this key instead: <span className="secret" data-testid="totp-secret">{enrollment.secret}</span>
      </p>
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      <TextField label="Verification code" name="code" autoComplete="one-time-code" inputMode="numeric" value={code} onChange={(event) => setCode(event.target.value)} required />
      <div className="row">
        <Button type="submit" disabled={busy || code.trim() === ''}>
          {busy ? 'Confirming…' : 'Confirm'}
        </Button>
        {onCancel === undefined ? null : (
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
