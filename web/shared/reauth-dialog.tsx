// Step-up: when the server answers `reauthentication_required`, the person confirms their own
// second factor here, and the action they started then continues.
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, type SurfaceApi } from './api.js';
import { DeviceChoice } from './device-choice.js';
import { codeErrorMessage } from './messages.js';
import { passkeyErrorMessage, signWithPasskey } from './passkeys.js';
import { SmsSend } from './sms-send.js';
import { Alert, Button, Dialog, TextField } from '../ui/components.js';

interface Choice {
  id: string;
  label: string;
  isBackupCode: boolean;
  isPasskey: boolean;
  /** A text message: "Send code" first, then the code. */
  isSms: boolean;
}

export function ReauthDialog({ api, open, onConfirmed, onCancel }: { api: SurfaceApi; open: boolean; onConfirmed: () => void; onCancel: () => void }) {
  const [choices, setChoices] = useState<Choice[] | null>(null);
  const [factorId, setFactorId] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [smsSent, setSmsSent] = useState(false);

  const choice = choices?.find((candidate) => candidate.id === factorId);

  const confirmWithPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.reauthenticateWithPasskey(factorId, await signWithPasskey(await api.reauthenticationChallenge(factorId)));
      setBusy(false);
      onConfirmed();
    } catch (caught) {
      setBusy(false);
      if (!(caught instanceof ApiError && caught.code === 'unauthenticated')) setError(passkeyErrorMessage(caught));
    }
  };

  useEffect(() => {
    if (!open) return;
    let active = true;
    setCode('');
    setError(null);
    setSmsSent(false);
    api.twoFactor().then(
      (status) => {
        if (!active) return;
        const list: Choice[] = status.factors.filter((factor) => factor.type !== 'sms' || status.smsAvailable).map((factor) => ({ id: factor.id, label: factor.label, isBackupCode: false, isPasskey: factor.type === 'webauthn', isSms: factor.type === 'sms' }));
        if (status.backupCodes !== null && status.backupCodes.remaining > 0) list.push({ id: 'backup_codes', label: 'Backup codes', isBackupCode: true, isPasskey: false, isSms: false });
        setChoices(list);
        setFactorId(list[0]?.id ?? '');
      },
      (caught: unknown) => active && setError(codeErrorMessage(caught)),
    );
    return () => {
      active = false;
    };
  }, [api, open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (choice?.isPasskey) return confirmWithPasskey();
    setBusy(true);
    setError(null);
    try {
      await api.reauthenticate(factorId, code);
      setCode('');
      setBusy(false);
      onConfirmed();
    } catch (caught) {
      setBusy(false);
      setCode('');
      if (!(caught instanceof ApiError && caught.code === 'unauthenticated')) setError(codeErrorMessage(caught));
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => (next ? undefined : onCancel())}
      title="Confirm it’s you"
      description={<p>For your security, confirm your own second factor before you continue.</p>}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        {choices !== null && choices.length > 1 ? (
          <DeviceChoice
            name="reauth-factor"
            choices={choices}
            value={factorId}
            onChange={(id) => {
              setFactorId(id);
              setCode('');
              setSmsSent(false);
            }}
          />
        ) : null}
        {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
        {choice?.isSms ? (
          <SmsSend label={choice.label} sent={smsSent} send={() => api.reauthenticationChallenge(factorId)} onSent={() => setSmsSent(true)} onFailed={() => undefined} />
        ) : null}
        {choice?.isPasskey ? (
          <p className="hint">Your browser will ask you to confirm with your passkey or security key.</p>
        ) : choice?.isSms && !smsSent ? null : (
          /* Not keyed by the factor: remounting the field when the device list arrives would
              drop the keyboard focus the dialog has just put there. */
          <TextField
            label={choice?.isBackupCode ? 'Backup code' : 'Verification code'}
            hint={
              choice?.isBackupCode
                ? 'Enter one of your backup codes.'
                : choice?.isSms
                  ? 'Enter the 6-digit code from the text message.'
                  : 'Enter the 6-digit code from your authenticator app.'
            }
            name="code"
            autoComplete="one-time-code"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            required
          />
        )}
        <div className="dialog-actions">
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
          {choice?.isPasskey ? (
            <Button type="submit" disabled={busy}>
              {busy ? 'Waiting for your passkey…' : 'Use passkey'}
            </Button>
          ) : (
            <Button type="submit" disabled={busy || code.trim() === '' || factorId === ''}>
              {busy ? 'Confirming…' : 'Confirm'}
            </Button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
