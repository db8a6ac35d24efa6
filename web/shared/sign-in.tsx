// Sign-in for both surfaces (SPEC §3): password, then pick a device from the list and enter
// its code; a user with no device yet sets up an authenticator app first.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type LoginReply, type SurfaceApi, type User } from './api.js';
import { Alert, Button, TextField } from '../ui/components.js';
import { DeviceChoice } from './device-choice.js';
import { codeErrorMessage } from './messages.js';
import { passkeyErrorMessage, signWithPasskey } from './passkeys.js';
import { SmsSend } from './sms-send.js';
import { TotpSetup } from './totp-setup.js';

type Factor = Extract<LoginReply, { status: 'second_factor_required' }>['factors'][number];
type Step = { name: 'password' } | { name: 'second-factor'; factors: Factor[] } | { name: 'enroll' };

export function SignIn({
  api,
  surfaceName,
  notice,
  onSignedIn,
}: {
  api: SurfaceApi;
  surfaceName: string;
  notice: string | null;
  onSignedIn: (user: User) => void;
}) {
  const [step, setStep] = useState<Step>({ name: 'password' });
  const [message, setMessage] = useState<string | null>(notice);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [step.name]);

  const restart = (text: string) => {
    setMessage(text);
    setStep({ name: 'password' });
  };
  const finish = async () => onSignedIn((await api.me()).user);

  return (
    <main id="main" className="narrow">
      <p className="brand sign-in-brand">
        <span className="brand-mark" aria-hidden="true">
          L
        </span>
        {surfaceName}
      </p>
      <div className="card">
        {step.name === 'password' ? (
          <>
            <h1 ref={heading} tabIndex={-1}>Sign in to {surfaceName}</h1>
            {message === null ? null : <Alert tone="info" live>{message}</Alert>}
            <PasswordStep api={api} onDone={(reply) => setStep(reply.status === 'second_factor_required' ? { name: 'second-factor', factors: reply.factors } : { name: 'enroll' })} />
          </>
        ) : step.name === 'second-factor' ? (
          <>
            <h1 ref={heading} tabIndex={-1}>Verify it’s you</h1>
            <SecondFactorStep
              api={api}
              factors={step.factors}
              onSignedIn={onSignedIn}
              onExpired={() => restart('Your sign-in took too long. Sign in again.')}
            />
          </>
        ) : (
          <>
            <h1 ref={heading} tabIndex={-1}>Set up two-factor authentication</h1>
            <p>Your account needs a second step at sign-in. Add an authenticator app to continue.</p>
            <TotpSetup api={api} onConfirmed={() => void finish()} onExpired={() => restart('Your sign-in took too long. Sign in again.')} />
          </>
        )}
      </div>
    </main>
  );
}

function PasswordStep({ api, onDone }: { api: SurfaceApi; onDone: (reply: LoginReply) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await api.login(username, password));
    } catch (caught) {
      setError(caught instanceof ApiError && caught.code === 'invalid_credentials' ? 'Incorrect username or password.' : codeErrorMessage(caught));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      <TextField label="Username" name="username" autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} required />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />
      <Button type="submit" disabled={busy || username === '' || password === ''}>
        {busy ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}

function SecondFactorStep({
  api,
  factors,
  onSignedIn,
  onExpired,
}: {
  api: SurfaceApi;
  factors: Factor[];
  onSignedIn: (user: User) => void;
  onExpired: () => void;
}) {
  const [factorId, setFactorId] = useState(factors[0]?.id ?? '');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const factor = factors.find((candidate) => candidate.id === factorId);
  const isBackupCode = factor?.type === 'backup_codes';
  const isPasskey = factor?.type === 'webauthn';
  const isSms = factor?.type === 'sms';
  const [smsSent, setSmsSent] = useState(false);

  const verifyWithPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      const credential = await signWithPasskey(await api.challenge(factorId));
      onSignedIn((await api.verifyPasskey(factorId, credential)).user);
    } catch (caught) {
      setBusy(false);
      if (caught instanceof ApiError && caught.code === 'unauthenticated') onExpired();
      else setError(passkeyErrorMessage(caught));
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (isPasskey) return verifyWithPasskey();
    setBusy(true);
    setError(null);
    try {
      const reply = await api.verify(factorId, code);
      setCode('');
      onSignedIn(reply.user);
    } catch (caught) {
      setCode('');
      setBusy(false);
      if (caught instanceof ApiError && caught.code === 'unauthenticated') onExpired();
      else setError(codeErrorMessage(caught));
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <DeviceChoice
        name="factor"
        choices={factors}
        value={factorId}
        onChange={(id) => {
          setFactorId(id);
          setCode('');
          setError(null);
          setSmsSent(false);
        }}
      />
      {error === null ? null : <Alert tone="danger" live>{error}</Alert>}
      {isPasskey ? (
        <>
          <p className="hint">Your browser will ask you to confirm with your passkey or security key.</p>
          <Button type="submit" disabled={busy}>
            {busy ? 'Waiting for your passkey…' : 'Use passkey'}
          </Button>
        </>
      ) : isSms && !smsSent ? (
        <SmsSend
          label={factor?.label ?? ''}
          sent={false}
          send={() => api.challenge(factorId)}
          onSent={() => setSmsSent(true)}
          onFailed={(caught) => {
            if (caught instanceof ApiError && caught.code === 'unauthenticated') onExpired();
          }}
        />
      ) : (
        <>
          {isSms ? (
            <SmsSend
              label={factor?.label ?? ''}
              sent
              send={() => api.challenge(factorId)}
              onSent={() => setCode('')}
              onFailed={(caught) => {
                if (caught instanceof ApiError && caught.code === 'unauthenticated') onExpired();
              }}
            />
          ) : null}
          <TextField
            key={factorId}
            label={isBackupCode ? 'Backup code' : 'Verification code'}
            hint={
              isBackupCode
                ? 'Enter one of your backup codes. Each code can be used only once.'
                : isSms
                  ? 'Enter the 6-digit code from the text message. Only the latest code works.'
                  : 'Enter the 6-digit code from your authenticator app.'
            }
            name="code"
            autoComplete="one-time-code"
            inputMode={isBackupCode ? 'text' : 'numeric'}
            spellCheck={false}
            autoCapitalize="characters"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            required
          />
          <Button type="submit" disabled={busy || code.trim() === ''}>
            {busy ? 'Verifying…' : 'Verify'}
          </Button>
        </>
      )}
    </form>
  );
}
