// Small presentational components shared by both surfaces.
import * as RadixDialog from '@radix-ui/react-dialog';
import { type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, useId, useRef } from 'react';

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'link';

export function Button({ variant = 'primary', className = '', ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant }) {
  return <button type="button" className={`button button-${variant} ${className}`} {...props} />;
}

export function TextField({
  label,
  hint,
  error,
  multiline = false,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string; error?: string | undefined; multiline?: boolean }) {
  const id = useId();
  const describedBy = [hint === undefined ? null : `${id}-hint`, error === undefined ? null : `${id}-error`].filter(Boolean).join(' ') || undefined;
  const common = { id, className: 'input', 'aria-invalid': error === undefined ? undefined : true, 'aria-describedby': describedBy } as const;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint === undefined ? null : <span id={`${id}-hint`} className="hint">{hint}</span>}
      {multiline ? (
        <textarea {...common} value={input.value as string} onChange={input.onChange as never} maxLength={input.maxLength} name={input.name} />
      ) : (
        <input {...common} {...input} />
      )}
      {error === undefined ? null : <span id={`${id}-error`} className="error">{error}</span>}
    </div>
  );
}

export function Alert({ tone = 'info', title, children, live = false }: { tone?: 'info' | 'warning' | 'danger' | 'success'; title?: string; children?: ReactNode; live?: boolean }) {
  return (
    <div className={`alert alert-${tone}`} role={live ? (tone === 'danger' ? 'alert' : 'status') : undefined}>
      {title === undefined ? null : <strong>{title}</strong>}
      {children}
    </div>
  );
}

/** A modal dialog: focus is trapped inside and returns to the opener when it closes. */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  alert = false,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  alert?: boolean;
}) {
  // Radix returns focus to a <Dialog.Trigger> only, and these dialogs are opened from
  // code: remember what had focus when the dialog opened and return there on close.
  const opener = useRef<HTMLElement | null>(null);
  // One id per dialog: two open at once (a step-up over a warning) must not share it.
  const descriptionId = useId();
  return (
    <RadixDialog.Root open={open} onOpenChange={onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="dialog-overlay" />
        <RadixDialog.Content
          className="dialog"
          role={alert ? 'alertdialog' : 'dialog'}
          aria-describedby={description === undefined ? undefined : descriptionId}
          onOpenAutoFocus={() => {
            const active = document.activeElement;
            opener.current = active instanceof HTMLElement && active !== document.body ? active : null;
          }}
          onCloseAutoFocus={(event) => {
            const element = opener.current;
            opener.current = null;
            if (element !== null && element.isConnected) {
              event.preventDefault();
              element.focus();
            }
          }}
        >
          <RadixDialog.Title asChild>
            <h2>{title}</h2>
          </RadixDialog.Title>
          {description === undefined ? null : (
            <RadixDialog.Description asChild>
              <div id={descriptionId}>{description}</div>
            </RadixDialog.Description>
          )}
          {children}
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

export function formatDateTime(iso: string | null): string {
  if (iso === null) return '—';
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long' }).format(new Date(iso));
}
