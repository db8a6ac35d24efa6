// The codes page (SPEC §2 step 5): the codes a staff member just generated, shown once.
// They live only in the state of the user page that renders this, never in the URL, the
// history, storage or the query cache, and are gone when it unmounts.
import type { BackupCodes } from '../../shared/api.js';
import { CodesSheet } from '../../shared/codes-sheet.js';
import { PageHeading } from '../../shared/shell.js';
import { Alert, Button, formatDateTime } from '../../ui/components.js';
import '../admin.css';

export function CodesPage({ name, issued, onDone }: { name: string; issued: BackupCodes; onDone: () => void }) {
  const expiry = issued.expiresAt === null ? 'These codes do not expire.' : `These codes expire on ${formatDateTime(issued.expiresAt)}.`;
  return (
    <div className="codes-page">
      <div className="no-print">
        <PageHeading>Backup codes for {name}</PageHeading>
        <Alert tone="warning" title="These codes are displayed only once">
          Share them with the user in person or by calling them. Never send them by email or text message.
        </Alert>
      </div>
      <div className="card">
        <p className="no-print">
          {expiry} Each code can be used only once.
        </p>
        <CodesSheet
          codes={issued.codes}
          printHeading={`Backup codes for ${name}`}
          printLines={[issued.expiresAt === null ? 'Do not expire' : `Expire on ${formatDateTime(issued.expiresAt)}`]}
        />
        <div className="codes-done no-print">
          <p className="muted">Once you have shared the codes, select Done. They will not be shown again.</p>
          <Button onClick={onDone}>Done</Button>
        </div>
      </div>
    </div>
  );
}
