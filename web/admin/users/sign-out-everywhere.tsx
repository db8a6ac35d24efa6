// "Sign out everywhere" on a user's page (ASVS 5.0 7.4.5): for a user who reports a stolen
// phone or a leaked password. A confirmation first, then the staff member's own step-up when
// their last second factor is not recent (useStepUp), then every session of the user ends.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, adminApi } from '../../shared/api.js';
import { CANCELLED, useStepUp } from '../../shared/settings/use-step-up.js';
import { Alert, Button, Dialog } from '../../ui/components.js';
import { api } from '../api.js';
import { requestErrorMessage } from '../labels.js';

export function SignOutEverywhere({ userId, userName }: { userId: string; userName: string }) {
  const queryClient = useQueryClient();
  const stepUp = useStepUp(api);
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);

  const signOut = async () => {
    if (busy) return;
    setBusy(true);
    setNotice(null);
    try {
      const result = await stepUp.guarded(() => adminApi.endUserSessions(userId));
      if (result === CANCELLED) return;
      setConfirmOpen(false);
      setNotice({ tone: 'success', text: result.ended === 1 ? `${userName} was signed out of 1 session.` : `${userName} was signed out of ${result.ended} sessions.` });
      void queryClient.invalidateQueries({ queryKey: ['admin', 'audit'] });
    } catch (caught) {
      // A session that has ended returns to sign-in by itself (session.tsx).
      if (caught instanceof ApiError && caught.code === 'unauthenticated') return;
      setConfirmOpen(false);
      setNotice({ tone: 'danger', text: caught instanceof ApiError && caught.code === 'forbidden' ? 'You are not allowed to sign this user out.' : requestErrorMessage(caught) });
      void queryClient.invalidateQueries({ queryKey: ['admin', 'user', userId] });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="section-actions">
      {notice === null ? null : (
        <Alert tone={notice.tone} live>
          {notice.text}
        </Alert>
      )}
      <p className="muted">For a user whose device or password may be in someone else's hands. They will have to sign in again everywhere.</p>
      <Button variant="secondary" onClick={() => setConfirmOpen(true)}>
        Sign out everywhere
      </Button>
      <Dialog
        alert
        open={confirmOpen}
        onOpenChange={(open) => (open || busy ? undefined : setConfirmOpen(false))}
        title="Sign out everywhere"
        description={<p>{userName} will be signed out of every session on every device, including any sign-in in progress.</p>}
      >
        <div className="dialog-actions">
          <Button variant="secondary" onClick={() => setConfirmOpen(false)}>
            Cancel
          </Button>
          <Button variant="danger" aria-disabled={busy || undefined} onClick={() => void signOut()}>
            {busy ? 'Signing out…' : 'Sign out everywhere'}
          </Button>
        </div>
      </Dialog>
      {stepUp.dialog}
    </div>
  );
}
