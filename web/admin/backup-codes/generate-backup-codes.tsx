// SPEC §2 steps 3–4: the "Generate Backup Codes" button of a user's Two-Factor
// Authentication section, the high-risk warning with its optional note, and the step-up
// (ReauthDialog) when the server answers `reauthentication_required` — after which the
// generation continues by itself. The codes go straight to `onGenerated`, nowhere else.
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, type BackupCodes, adminApi } from '../../shared/api.js';
import { ReauthDialog } from '../../shared/reauth-dialog.js';
import { Alert, Button, Dialog, TextField } from '../../ui/components.js';
import { api } from '../api.js';
import { requestErrorMessage } from '../labels.js';

function refusalMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return requestErrorMessage(error);
  switch (error.code) {
    case 'forbidden':
      return 'You are not allowed to generate backup codes for this user.';
    case 'user_disabled':
      return 'This user is disabled.';
    case 'not_found':
      return 'This user no longer exists.';
    default:
      return error.message;
  }
}

export function GenerateBackupCodes({ userId, userName, onGenerated }: { userId: string; userName: string; onGenerated: (issued: BackupCodes) => void }) {
  const queryClient = useQueryClient();
  const [warningOpen, setWarningOpen] = useState(false);
  // The step-up dialog opens over the warning; the warning stays open underneath, so a
  // refusal after the step-up is shown there and Cancel returns to it.
  const [reauthOpen, setReauthOpen] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setWarningOpen(false);
    setReauthOpen(false);
    setNote('');
    setError(null);
  };

  const generate = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const issued = await adminApi.generateBackupCodes(userId, note);
      setBusy(false);
      close();
      onGenerated(issued);
    } catch (caught) {
      setBusy(false);
      if (caught instanceof ApiError && caught.code === 'reauthentication_required') {
        setReauthOpen(true);
        return;
      }
      // A session that has ended returns to sign-in by itself (session.tsx).
      if (caught instanceof ApiError && caught.code === 'unauthenticated') return;
      setError(refusalMessage(caught));
      // A refusal may mean the page is out of date (permission, status): fetch it again.
      if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) {
        void queryClient.invalidateQueries({ queryKey: ['admin', 'user', userId] });
      }
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void generate();
  };

  return (
    <>
      <Button
        onClick={() => {
          setError(null);
          setWarningOpen(true);
        }}
      >
        Generate Backup Codes
      </Button>

      <Dialog
        alert
        open={warningOpen}
        onOpenChange={(open) => (open ? undefined : close())}
        title="Generate Backup Codes"
        description={
          <div className="alert alert-warning">
            <strong>This is a very high-risk action.</strong>
            Only continue if you are absolutely certain that {userName} is who they claim to be. Generating new codes replaces any codes the
            user has now.
          </div>
        }
      >
        <form onSubmit={submit} noValidate>
          {error === null ? null : (
            <Alert tone="danger" live>
              {error}
            </Alert>
          )}
          <TextField
            multiline
            label="Note (optional)"
            hint="How you verified the user's identity, or a ticket number"
            name="note"
            maxLength={500}
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
          <div className="dialog-actions">
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            {/* Not `disabled` while busy: a disabled button drops the keyboard focus. */}
            <Button type="submit" variant="danger" aria-disabled={busy || undefined}>
              {busy ? 'Generating…' : 'Generate Backup Codes'}
            </Button>
          </div>
        </form>
      </Dialog>

      <ReauthDialog
        api={api}
        open={reauthOpen}
        onCancel={() => setReauthOpen(false)}
        onConfirmed={() => {
          setReauthOpen(false);
          void generate();
        }}
      />
    </>
  );
}
