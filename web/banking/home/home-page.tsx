// The signed-in home of Digital Banking: a calm welcome and the way to Settings. After a
// sign-in with codes from the bank's staff, it asks the customer to secure the account (SPEC §2).
import { Link } from 'react-router';
import { useSignedInUser } from '../../shared/session.js';
import { PageHeading } from '../../shared/shell.js';
import { Alert } from '../../ui/components.js';
import '../banking.css';
import { useTwoFactorStatus } from '../../shared/settings/queries.js';
import { api } from '../api.js';

export function HomePage() {
  const user = useSignedInUser();
  const status = useTwoFactorStatus(api);
  const needsSecuring = status.data !== undefined && (status.data.factors.length === 0 || status.data.backupCodes?.origin === 'staff');
  return (
    <>
      <PageHeading>Welcome, {user.firstName}</PageHeading>
      {needsSecuring ? (
        <Alert tone="warning" title="Secure your account">
          <p>
            {status.data?.factors.length === 0
              ? 'You have no device set up for signing in. Add an authenticator app and create your own recovery codes.'
              : 'You are using backup codes from the bank. Add an authenticator app if you no longer have your device, and create your own recovery codes.'}
          </p>
          <Link to="/settings">Add a device and create recovery codes</Link>
        </Alert>
      ) : null}
      <div className="home-grid">
        <section className="card" aria-labelledby="signed-in-heading">
          <h2 id="signed-in-heading">You’re signed in to Digital Banking</h2>
          <p>Your sign-in is protected by a password and a second step, so only you can get in.</p>
          <p className="muted">When you’re done, choose your name at the top right and then Sign out.</p>
        </section>
        <section className="card link-card" aria-labelledby="settings-heading">
          <h2 id="settings-heading" className="link-card-kicker">
            Settings
          </h2>
          <Link to="/settings" className="link-card-title">
            Two-Factor Authentication <span aria-hidden="true">→</span>
          </Link>
          <p>Manage the devices you sign in with and your recovery codes.</p>
        </section>
      </div>
    </>
  );
}
