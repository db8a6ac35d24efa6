// Settings (SPEC §4, §2 step 7): the signed-in customer's Two-Factor Authentication — their
// devices, adding an authenticator app, and their backup codes.
import { PageHeading } from '../../shared/shell.js';
import { Alert, Button } from '../../ui/components.js';
import '../banking.css';
import { BackupCodesCard } from './backup-codes-card.js';
import { DevicesCard } from './devices-card.js';
import { useTwoFactorStatus } from './two-factor-query.js';
import { useStepUp } from './use-step-up.js';

export function SettingsPage() {
  const status = useTwoFactorStatus();
  const stepUp = useStepUp();
  return (
    <>
      <div className="no-print">
        <PageHeading>Settings</PageHeading>
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
            <DevicesCard status={status.data} stepUp={stepUp} />
            <BackupCodesCard status={status.data} stepUp={stepUp} />
          </>
        )}
      </section>
      {stepUp.dialog}
    </>
  );
}
