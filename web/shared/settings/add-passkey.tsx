// Adding a passkey or security key from Settings: after a recent second factor, the browser
// creates the passkey for the server's options, and the server checks and keeps it.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { SurfaceApi } from '../api.js';
import { createPasskey, passkeyErrorMessage } from '../passkeys.js';
import { Button } from '../../ui/components.js';
import { TWO_FACTOR_QUERY_KEY } from './queries.js';
import { CANCELLED, type StepUp } from './use-step-up.js';

export type PasskeyNotice = { tone: 'success' | 'danger'; text: string };

export function AddPasskeyButton({ api, stepUp, onDone }: { api: SurfaceApi; stepUp: StepUp; onDone: (notice: PasskeyNotice) => void }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);

  const add = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const options = await stepUp.guarded(() => api.passkeyRegistrationOptions());
      if (options === CANCELLED) return;
      await api.registerPasskey(await createPasskey(options));
      await queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
      onDone({ tone: 'success', text: 'Passkey added. You can use it the next time you sign in.' });
    } catch (caught) {
      onDone({ tone: 'danger', text: passkeyErrorMessage(caught) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Button variant="secondary" aria-busy={busy} onClick={() => void add()}>
      {busy ? 'Adding passkey…' : 'Add a passkey'}
    </Button>
  );
}
