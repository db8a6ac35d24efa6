// Adding a phone for text-message (SMS) codes from Settings (SPEC §4; SECURITY §2.5): after a
// recent second factor, the server texts a code to the number, and the phone becomes a device
// once that code comes back. Texts are a weaker factor than an app or a passkey: said so here.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type SurfaceApi } from '../api.js';
import { codeErrorMessage } from '../messages.js';
import { smsSendErrorMessage } from '../sms-send.js';
import { Alert, Button, TextField } from '../../ui/components.js';
import { CANCELLED, type StepUp } from './use-step-up.js';

export function AddSms({ api, stepUp, onConfirmed, onCancel }: { api: SurfaceApi; stepUp: StepUp; onConfirmed: () => void; onCancel: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [phone, setPhone] = useState('');
  const [factorId, setFactorId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [phoneError, setPhoneError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    setPhoneError(undefined);
    try {
      const result = await stepUp.guarded(() => api.enrollSms(phone));
      if (result === CANCELLED) return;
      setFactorId(result.factorId);
      setCode('');
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'validation_failed') setPhoneError(caught.fields.phone ?? caught.message);
      else setError(smsSendErrorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    if (factorId === null) return;
    setBusy(true);
    setError(null);
    try {
      const result = await stepUp.guarded(() => api.confirmSms(factorId, code));
      if (result === CANCELLED) return;
      onConfirmed();
    } catch (caught) {
      setCode('');
      setError(caught instanceof ApiError && caught.code === 'not_found' ? 'This code has expired. Send a new code.' : codeErrorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="setup-panel">
      <h4 ref={heading} tabIndex={-1}>
        Add text message (SMS)
      </h4>
      <Alert tone="warning">
        Text messages can be intercepted or redirected to another SIM. An authenticator app or a passkey protects your account better.
      </Alert>
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      {factorId === null ? (
        <form onSubmit={(event) => void send(event)} noValidate>
          <TextField
            label="Mobile number"
            hint="In international format, starting with + and the country code, such as +44 7700 900123."
            name="phone"
            type="tel"
            autoComplete="tel"
            value={phone}
            error={phoneError}
            onChange={(event) => setPhone(event.target.value)}
            required
          />
          <div className="row">
            <Button type="submit" disabled={busy || phone.trim() === ''}>
              {busy ? 'Sending…' : 'Send code'}
            </Button>
            <Button variant="secondary" onClick={onCancel}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <form onSubmit={(event) => void confirm(event)} noValidate>
          <Alert tone="info" live>
            We sent a 6-digit code to {phone}. It is valid for 10 minutes.
          </Alert>
          <TextField
            label="Verification code"
            hint="Enter the 6-digit code from the text message."
            name="code"
            autoComplete="one-time-code"
            inputMode="numeric"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            required
          />
          <div className="row">
            <Button type="submit" disabled={busy || code.trim() === ''}>
              {busy ? 'Confirming…' : 'Confirm'}
            </Button>
            <Button variant="secondary" onClick={() => void send()} disabled={busy}>
              Send a new code
            </Button>
            <Button variant="secondary" onClick={onCancel}>
              Cancel
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
