// Profile (SPEC §4): first name, last name and email, checked in the browser with the same
// zod schema the server uses (contract/settings.ts), so the messages are the SPEC's words on
// both sides. A new email takes effect once the code sent to it is entered here.
import { type FormEvent, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { type ProfileInput, profileSchema } from '../../../contract/settings.js';
import { ApiError, type SurfaceApi } from '../api.js';
import { codeErrorMessage } from '../messages.js';
import { useSession, useSignedInUser } from '../session.js';
import { Alert, Button, TextField } from '../../ui/components.js';
import { CANCELLED, type StepUp, errorText } from './use-step-up.js';

type Field = keyof ProfileInput;
type Errors = Partial<Record<Field, string>>;
const FIELDS: Field[] = ['firstName', 'lastName', 'email'];

export function ProfileSection({ api, stepUp }: { api: SurfaceApi; stepUp: StepUp }) {
  const user = useSignedInUser();
  const { signedIn } = useSession();
  const [values, setValues] = useState<ProfileInput>({ firstName: user.firstName, lastName: user.lastName, email: user.email });
  const [errors, setErrors] = useState<Errors>({});
  const [notice, setNotice] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const showErrors = (found: Errors) => {
    flushSync(() => setErrors(found));
    const first = FIELDS.find((field) => found[field] !== undefined);
    if (first !== undefined) form.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    const parsed = profileSchema.safeParse(values);
    if (!parsed.success) {
      const found: Errors = {};
      for (const issue of parsed.error.issues) found[issue.path[0] as Field] ??= issue.message;
      showErrors(found);
      return;
    }
    setErrors({});
    // Only what changed: the email is sent when it differs from the one in use, so saving a
    // new name leaves a pending email change alone.
    const { firstName, lastName, email } = parsed.data;
    const changes: Partial<ProfileInput> = { firstName, lastName };
    if (email.toLowerCase() !== user.email.toLowerCase()) changes.email = email;
    setBusy(true);
    try {
      const reply = await stepUp.guarded(() => api.updateProfile(changes));
      if (reply === CANCELLED) return;
      signedIn(reply.user);
      setValues({ firstName: reply.user.firstName, lastName: reply.user.lastName, email: reply.user.pendingEmail ?? reply.user.email });
      setNotice({ tone: 'success', text: reply.message });
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'validation_failed') showErrors(caught.fields as Errors);
      else setNotice({ tone: 'danger', text: errorText(caught) });
    } finally {
      setBusy(false);
    }
  };

  const change = (field: Field) => (event: { target: { value: string } }) => setValues({ ...values, [field]: event.target.value });

  return (
    <section className="settings-section" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <div className="card">
        {notice === null ? null : (
          <Alert tone={notice.tone} live>
            {notice.text}
          </Alert>
        )}
        <form ref={form} onSubmit={(event) => void submit(event)} noValidate className="profile-form">
          <div className="field-pair">
            <TextField label="First name" name="firstName" autoComplete="given-name" value={values.firstName} onChange={change('firstName')} error={errors.firstName} required />
            <TextField label="Last name" name="lastName" autoComplete="family-name" value={values.lastName} onChange={change('lastName')} error={errors.lastName} required />
          </div>
          <TextField
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            hint="We send a code to a new address to confirm it before we use it."
            value={values.email}
            onChange={change('email')}
            error={errors.email}
            required
          />
          <Button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save profile'}
          </Button>
        </form>
        {user.pendingEmail === null ? null : (
          <ConfirmEmail
            api={api}
            pendingEmail={user.pendingEmail}
            currentEmail={user.email}
            onDone={(email, message) => {
              setValues((now) => ({ ...now, email }));
              setNotice(message === null ? null : { tone: 'success', text: message });
            }}
          />
        )}
      </div>
    </section>
  );
}

function ConfirmEmail({
  api,
  pendingEmail,
  currentEmail,
  onDone,
}: {
  api: SurfaceApi;
  pendingEmail: string;
  currentEmail: string;
  /** The address now in use, and what to tell the person (null: nothing). */
  onDone: (email: string, message: string | null) => void;
}) {
  const { refresh, signedIn } = useSession();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    if (code.trim() === '') {
      setError('Enter the code.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const reply = await api.confirmEmail(code);
      onDone(reply.email, reply.message);
      await refresh();
    } catch (caught) {
      setCode('');
      // The server says whether the code is wrong or can no longer be used.
      setError(caught instanceof ApiError && caught.code === 'invalid_code' ? caught.message : codeErrorMessage(caught));
      setBusy(false);
    }
  };

  const withdraw = async () => {
    setBusy(true);
    setError(null);
    try {
      const reply = await api.updateProfile({ email: currentEmail });
      onDone(reply.user.email, null);
      signedIn(reply.user);
    } catch (caught) {
      setError(errorText(caught));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void confirm(event)} noValidate className="setup-panel confirm-email" aria-labelledby="confirm-email-heading">
      <h3 id="confirm-email-heading">Confirm your new email</h3>
      <p>
        We sent a confirmation code to <strong>{pendingEmail}</strong>. Enter it here to start using this address. Until then, we keep using {currentEmail}.
      </p>
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      <TextField label="Confirmation code" name="emailCode" autoComplete="one-time-code" inputMode="numeric" value={code} onChange={(event) => setCode(event.target.value)} required />
      <div className="row">
        <Button type="submit" disabled={busy}>
          Confirm email
        </Button>
        <Button variant="secondary" onClick={() => void withdraw()} disabled={busy}>
          Keep {currentEmail}
        </Button>
      </div>
    </form>
  );
}
