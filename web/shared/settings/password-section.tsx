// Password (SPEC §4): current and new. The person is told before submitting that a change
// signs them out everywhere; on success the server has ended every session, and the screen
// returns to sign-in with a message.
import { type FormEvent, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { PASSWORD_CHANGE_NOTICE } from '../../../contract/settings.js';
import { ApiError, type SurfaceApi } from '../api.js';
import { useSession } from '../session.js';
import { Alert, Button, TextField } from '../../ui/components.js';
import { errorText } from './use-step-up.js';

export const PASSWORD_CHANGED_NOTICE = 'Your password has been changed and you have been signed out everywhere. Sign in with your new password.';

type Errors = { currentPassword?: string; newPassword?: string };

export function PasswordSection({ api }: { api: SurfaceApi }) {
  const { ended } = useSession();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const showErrors = (found: Errors) => {
    flushSync(() => setErrors(found));
    const first = found.currentPassword !== undefined ? 'currentPassword' : found.newPassword !== undefined ? 'newPassword' : null;
    if (first !== null) form.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const missing: Errors = {};
    if (currentPassword === '') missing.currentPassword = 'Enter your current password.';
    if (newPassword === '') missing.newPassword = 'Enter a valid password';
    if (missing.currentPassword !== undefined || missing.newPassword !== undefined) {
      showErrors(missing);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await api.changePassword(currentPassword, newPassword);
      ended(PASSWORD_CHANGED_NOTICE);
    } catch (caught) {
      setBusy(false);
      if (caught instanceof ApiError && caught.code === 'invalid_credentials') {
        setCurrentPassword('');
        showErrors({ currentPassword: caught.message });
      } else if (caught instanceof ApiError && caught.code === 'validation_failed') {
        showErrors({ currentPassword: caught.fields.currentPassword, newPassword: caught.fields.newPassword });
      } else setFailure(errorText(caught));
    }
  };

  return (
    <section className="settings-section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <div className="card">
        <Alert tone="warning">
          <p>{PASSWORD_CHANGE_NOTICE}</p>
        </Alert>
        {failure === null ? null : (
          <Alert tone="danger" live>
            {failure}
          </Alert>
        )}
        <form ref={form} onSubmit={(event) => void submit(event)} noValidate className="password-form">
          <TextField
            label="Current password"
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.target.value)}
            error={errors.currentPassword}
            required
          />
          <TextField
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            hint="At least 12 characters. A few unrelated words make a strong password that is easy to remember."
            value={newPassword}
            onChange={(event) => setNewPassword(event.target.value)}
            error={errors.newPassword}
            required
          />
          <Button type="submit" disabled={busy}>
            {busy ? 'Changing password…' : 'Change password'}
          </Button>
        </form>
      </div>
    </section>
  );
}
