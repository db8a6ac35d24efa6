// Step-up for the person's own sensitive settings: when the server answers
// `reauthentication_required`, ask for their second factor (ReauthDialog), then retry.
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback, useRef, useState } from 'react';
import { ApiError, type SurfaceApi } from '../api.js';
import { ReauthDialog } from '../reauth-dialog.js';
import { TWO_FACTOR_QUERY_KEY } from './queries.js';

/** What `guarded` resolves to when the person closed the dialog instead of confirming. */
export const CANCELLED = Symbol('cancelled');

export function isReauthenticationRequired(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'reauthentication_required';
}

export interface StepUp {
  /** Opens the dialog; `true` once they have confirmed it's them, `false` if they cancelled. */
  confirmIdentity: () => Promise<boolean>;
  /** Runs `action`; on `reauthentication_required` asks, then runs it again. */
  guarded: <T>(action: () => Promise<T>) => Promise<T | typeof CANCELLED>;
  dialog: ReactNode;
}

export function useStepUp(api: SurfaceApi): StepUp {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const resolver = useRef<((confirmed: boolean) => void) | null>(null);

  const settle = useCallback(
    (confirmed: boolean) => {
      const resolve = resolver.current;
      resolver.current = null;
      setOpen(false);
      // Confirming with a backup code uses it up: the count shown must follow.
      if (confirmed) void queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
      resolve?.(confirmed);
    },
    [queryClient],
  );

  const confirmIdentity = useCallback(
    () =>
      new Promise<boolean>((resolve) => {
        resolver.current?.(false);
        resolver.current = resolve;
        setOpen(true);
      }),
    [],
  );

  const guarded = useCallback(
    async <T,>(action: () => Promise<T>): Promise<T | typeof CANCELLED> => {
      for (;;) {
        try {
          return await action();
        } catch (error) {
          if (!isReauthenticationRequired(error)) throw error;
          if (!(await confirmIdentity())) return CANCELLED;
        }
      }
    },
    [confirmIdentity],
  );

  const dialog = <ReauthDialog api={api} open={open} onConfirmed={() => settle(true)} onCancel={() => settle(false)} />;
  return { confirmIdentity, guarded, dialog };
}

export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Try again.';
}
