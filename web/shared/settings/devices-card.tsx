// The person's second-factor devices: the list, removing one, adding an authenticator app or a passkey.
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { ApiError, type OwnTwoFactor, type SurfaceApi } from '../api.js';
import { TotpSetup } from '../totp-setup.js';
import { AddPasskeyButton } from './add-passkey.js';
import { AddSms } from './add-sms.js';
import { RenameDeviceDialog } from './rename-device.js';
import { Alert, Button, Dialog, formatDate, formatDateTime } from '../../ui/components.js';
import { TWO_FACTOR_QUERY_KEY } from './queries.js';
import { CANCELLED, type StepUp, errorText } from './use-step-up.js';

type Factor = OwnTwoFactor['factors'][number];
type Notice = { tone: 'success' | 'danger'; text: string } | null;

export function DevicesCard({ api, surfaceName, status, stepUp }: { api: SurfaceApi; surfaceName: string; status: OwnTwoFactor; stepUp: StepUp }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<Factor | null>(null);
  const [renaming, setRenaming] = useState<Factor | null>(null);
  const [removingId, setRemovingId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [addingSms, setAddingSms] = useState(false);
  const addSmsButton = useRef<HTMLButtonElement>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  const remove = async (factor: Factor) => {
    setConfirming(null);
    setRemovingId(factor.id);
    setNotice(null);
    try {
      const result = await stepUp.guarded(() => api.removeFactor(factor.id));
      if (result === CANCELLED) return;
      await queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
      setNotice({ tone: 'success', text: `${factor.label} removed. It can no longer be used to sign in.` });
      heading.current?.focus();
    } catch (caught) {
      setNotice({
        tone: 'danger',
        text: caught instanceof ApiError && caught.status === 409 ? 'Add another device before removing your last one.' : errorText(caught),
      });
    } finally {
      setRemovingId(null);
    }
  };

  const closeSetup = useCallback(() => {
    flushSync(() => setAdding(false));
    addButton.current?.focus();
  }, []);
  const added = useCallback(() => {
    setNotice({ tone: 'success', text: 'Authenticator app added. You can use it the next time you sign in.' });
    void queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
    closeSetup();
  }, [closeSetup, queryClient]);
  const closeSms = useCallback(() => {
    flushSync(() => setAddingSms(false));
    addSmsButton.current?.focus();
  }, []);
  const smsAdded = useCallback(() => {
    setNotice({ tone: 'success', text: 'Text message device added. You can use it the next time you sign in.' });
    void queryClient.invalidateQueries({ queryKey: TWO_FACTOR_QUERY_KEY });
    closeSms();
  }, [closeSms, queryClient]);
  // A session that ends meanwhile is handled by the session gate (back to sign-in).
  const expired = useCallback(() => setAdding(false), []);

  return (
    <div className="card no-print">
      <h3 ref={heading} tabIndex={-1}>
        Your devices
      </h3>
      {notice === null ? null : (
        <Alert tone={notice.tone} live>
          {notice.text}
        </Alert>
      )}
      {status.factors.length === 0 ? (
        <p>You have no device set up yet. Add an authenticator app so you can sign in without backup codes.</p>
      ) : (
        <ul className="device-list">
          {status.factors.map((factor) => {
            // Two devices of the same kind added the same day are told apart by the time.
            const twin = status.factors.some((other) => other.id !== factor.id && other.label === factor.label && formatDate(other.createdAt) === formatDate(factor.createdAt));
            const added = twin ? formatDateTime(factor.createdAt) : formatDate(factor.createdAt);
            return (
              <li key={factor.id}>
                <span>
                  <span className="device-name">{factor.label}</span>
                  <span className="device-added">Added {added}</span>
                </span>
                <span className="row">
                  <Button variant="secondary" onClick={() => setRenaming(factor)}>
                    Rename
                    <span className="visually-hidden">
                      {' '}
                      {factor.label}, added {added}
                    </span>
                  </Button>
                  <Button variant="secondary" onClick={() => removingId === null && setConfirming(factor)}>
                    {removingId === factor.id ? 'Removing…' : 'Remove'}
                    <span className="visually-hidden">
                      {' '}
                      {factor.label}, added {added}
                    </span>
                  </Button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {adding ? (
        <AddAuthenticatorApp api={api} onConfirmed={added} onCancel={closeSetup} onExpired={expired} onReauthenticationRequired={stepUp.confirmIdentity} />
      ) : addingSms ? (
        <AddSms api={api} stepUp={stepUp} onConfirmed={smsAdded} onCancel={closeSms} />
      ) : (
        <div className="row">
          <button ref={addButton} type="button" className="button button-secondary" onClick={() => setAdding(true)}>
            Add authenticator app
          </button>
          <AddPasskeyButton api={api} stepUp={stepUp} onDone={setNotice} />
          {status.smsAvailable ? (
            <button ref={addSmsButton} type="button" className="button button-secondary" onClick={() => setAddingSms(true)}>
              Add text message (SMS)
            </button>
          ) : null}
        </div>
      )}
      <RenameDeviceDialog
        api={api}
        factor={renaming}
        stepUp={stepUp}
        onClose={(renamedTo) => {
          setRenaming(null);
          if (renamedTo !== null) setNotice({ tone: 'success', text: `Device renamed to ${renamedTo}.` });
        }}
      />
      <Dialog
        open={confirming !== null}
        onOpenChange={(open) => (open ? undefined : setConfirming(null))}
        alert
        title={`Remove ${confirming?.label ?? 'this device'}?`}
        description={<p>You will no longer be able to use it to sign in to {surfaceName}.</p>}
      >
        <div className="dialog-actions">
          <Button variant="secondary" onClick={() => setConfirming(null)}>
            Cancel
          </Button>
          <Button variant="danger" onClick={() => confirming !== null && void remove(confirming)}>
            Remove
          </Button>
        </div>
      </Dialog>
    </div>
  );
}

function AddAuthenticatorApp({
  api,
  onConfirmed,
  onCancel,
  onExpired,
  onReauthenticationRequired,
}: {
  api: SurfaceApi;
  onConfirmed: () => void;
  onCancel: () => void;
  onExpired: () => void;
  onReauthenticationRequired: () => Promise<boolean>;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="setup-panel">
      <h4 ref={heading} tabIndex={-1}>
        Add authenticator app
      </h4>
      <TotpSetup api={api} onConfirmed={onConfirmed} onCancel={onCancel} onExpired={onExpired} onReauthenticationRequired={onReauthenticationRequired} />
    </div>
  );
}
