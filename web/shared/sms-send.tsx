// The "Send code" step of an SMS factor (SPEC §3 step 2: SMS sends a fresh one-time code), at
// sign-in and in the step-up dialog: one button that becomes "Send a new code" once a text went.
// A new code replaces the last one; it never gives back failed attempts.
import { useState } from 'react';
import { ApiError } from './api.js';
import { Alert, Button } from '../ui/components.js';

export function smsSendErrorMessage(error: unknown): string {
  if (error instanceof ApiError && error.code === 'too_many_attempts') {
    const minutes = error.retryAfterSeconds === null ? null : Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    return minutes === null
      ? 'Too many text messages were sent. Try again later, or choose another device.'
      : `Too many text messages were sent. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or choose another device.`;
  }
  if (error instanceof ApiError) return error.message;
  return 'The code could not be sent. Try again.';
}

export function SmsSend({
  label,
  sent,
  send,
  onSent,
  onFailed,
}: {
  /** The factor's label: "Text message to •••• 4567". */
  label: string;
  sent: boolean;
  send: () => Promise<unknown>;
  onSent: () => void;
  onFailed: (caught: unknown) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await send();
      onSent();
    } catch (caught) {
      if (!(caught instanceof ApiError && caught.code === 'unauthenticated')) setError(smsSendErrorMessage(caught));
      onFailed(caught);
    } finally {
      setBusy(false);
    }
  };
  const ending = label.replace(/^Text message to\s*/, '');
  return (
    <div className="field">
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      {sent ? (
        <Alert tone="info" live>
          We sent a 6-digit code to {ending}. It is valid for 10 minutes.
        </Alert>
      ) : (
        <p className="hint">We will text a 6-digit code to {ending}.</p>
      )}
      <Button variant={sent ? 'secondary' : 'primary'} onClick={() => void click()} disabled={busy}>
        {busy ? 'Sending…' : sent ? 'Send a new code' : 'Send code'}
      </Button>
    </div>
  );
}
