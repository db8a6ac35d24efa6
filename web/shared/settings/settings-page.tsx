// Settings (SPEC §4, §2 step 7) for the signed-in person, on either surface: Profile,
// Password, Two-Factor Authentication (devices and backup codes) and Active sessions.
import type { SurfaceApi } from '../api.js';
import { PageHeading } from '../shell.js';
import { Alert, Button } from '../../ui/components.js';
import { BackupCodesCard } from './backup-codes-card.js';
import { DevicesCard } from './devices-card.js';
import { PasswordSection } from './password-section.js';
import { ProfileSection } from './profile-section.js';
import { useTwoFactorStatus } from './queries.js';
import { SessionsSection } from './sessions-section.js';
import './settings.css';
import { useStepUp } from './use-step-up.js';

export function SettingsPage({ api, surfaceName }: { api: SurfaceApi; surfaceName: string }) {
  const status = useTwoFactorStatus(api);
  const stepUp = useStepUp(api);
  return (
    <>
      <div className="no-print">
        <PageHeading>Settings</PageHeading>
        <ProfileSection api={api} stepUp={stepUp} />
        <PasswordSection api={api} />
      </div>
      <section className="settings-section" aria-labelledby="two-factor-heading">
        <div className="no-print">
          <h2 id="two-factor-heading">Two-Factor Authentication</h2>
          <p className="page-intro">
            A second step when you sign in keeps your account safe, even if someone learns your password. Changes here may ask you to confirm it’s
            you first.
          </p>
        </div>
        {status.isPending ? (
          <p role="status">Loading your two-factor settings…</p>
        ) : status.isError ? (
          <Alert tone="danger" live title="Your two-factor settings could not be loaded.">
            <p>{status.error.message}</p>
            <Button variant="secondary" onClick={() => void status.refetch()}>
              Try again
            </Button>
          </Alert>
        ) : (
          <>
            <DevicesCard api={api} surfaceName={surfaceName} status={status.data} stepUp={stepUp} />
            <BackupCodesCard api={api} surfaceName={surfaceName} status={status.data} stepUp={stepUp} />
          </>
        )}
      </section>
      <div className="no-print">
        <SessionsSection api={api} stepUp={stepUp} />
      </div>
      {stepUp.dialog}
    </>
  );
}
