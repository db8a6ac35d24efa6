// Renaming a device ("Work phone"), behind the same step-up as removing one.
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, type SurfaceApi, type TwoFactor } from '../api.js';
import { Alert, Button, Dialog, TextField } from '../../ui/components.js';
import { TWO_FACTOR_QUERY_KEY } from './queries.js';
import { CANCELLED, type StepUp, errorText } from './use-step-up.js';

type Factor = TwoFactor['factors'][number];

export function RenameDeviceDialog({
  api,
  factor,
  stepUp,
  onClose,
}: {
  api: SurfaceApi;
  factor: Factor | null;
  stepUp: StepUp;
  onClose: (renamedTo: string | null) => void;
}) {
  const queryClient = useQueryClient();
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setLabel(factor?.label ?? '');
    setError(undefined);
  }, [factor]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (factor === null) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await stepUp.guarded(() => api.renameFactor(factor.id, label));
      if (result === CANCELLED) return;
      await queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
      onClose(result.label);
    } catch (caught) {
      setError(caught instanceof ApiError && caught.fields.label !== undefined ? caught.fields.label : errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={factor !== null} onOpenChange={(open) => (open ? undefined : onClose(null))} title={`Rename ${factor?.label ?? 'device'}`}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {error === undefined ? null : <Alert tone="danger" live>{error}</Alert>}
        <TextField label="Device name" hint="A name you will recognise, such as “Work phone”." name="label" maxLength={50} value={label} onChange={(event) => setLabel(event.target.value)} required />
        <div className="dialog-actions">
          <Button variant="secondary" onClick={() => onClose(null)}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy || label.trim() === ''}>
            {busy ? 'Saving…' : 'Save name'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
