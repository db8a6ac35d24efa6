// How audit events read in the Admin Platform; the types and their names come from
// contract/audit.ts, and an unknown type is shown as it is.
import { auditEventLabels } from '../../../contract/audit.js';
import { formatDateTime } from '../../ui/components.js';

export const eventTypes: { type: string; label: string }[] = Object.entries(auditEventLabels).map(([type, label]) => ({ type, label }));

const labels = new Map(eventTypes.map((entry) => [entry.type, entry.label]));

export function eventLabel(type: string): string {
  return labels.get(type) ?? type;
}

export function OutcomeBadge({ outcome }: { outcome: 'success' | 'failure' }) {
  return outcome === 'success' ? <span className="badge badge-muted">Success</span> : <span className="badge badge-danger">Failure</span>;
}

// Ids of sets and devices say nothing to a reader; the rest is shown in a few words.
const hiddenDetails = new Set(['setId', 'factorId', 'replacedBy', 'requestedTargetId']);
const detailNames: Record<string, string> = {
  note: 'Note',
  count: 'Codes',
  unusedCodes: 'Unused codes',
  origin: 'Origin',
  expiresAt: 'Expires',
  reason: 'Reason',
  surface: 'Surface',
  factor: 'Factor',
  purpose: 'Purpose',
  next: 'Next step',
  permissions: 'Permissions',
  role: 'Role',
  kind: 'Kind',
  isAdmin: 'Admin-level',
  type: 'Type',
  remaining: 'Codes left',
  consecutiveFailures: 'Failures in a row',
  retryAfterSeconds: 'Retry after (s)',
  lockedForSeconds: 'Locked for (s)',
  fields: 'Changed',
  emailChangeWithdrawn: 'Email change withdrawn',
  newEmail: 'New email',
  previousEmail: 'Previous email',
  sessionsEnded: 'Sessions ended',
  ended: 'Sessions ended',
  attemptsLeft: 'Attempts left',
  mustSecureAccount: 'Must secure account',
};

// Values that are words of the server (`second_factor`), not names or codenames.
const wordValues = new Set(['next', 'reason', 'purpose']);

function detailValue(key: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (key === 'expiresAt' && typeof value === 'string') return formatDateTime(value);
  if (key === 'origin') return value === 'staff' ? 'staff' : value === 'self' ? 'the user' : String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (key === 'permissions') return value.replaceAll(',', ', ');
    if (key === 'fields') return value.split(',').map((field) => (field === 'firstName' ? 'first name' : field === 'lastName' ? 'last name' : field)).join(', ');
    return wordValues.has(key) ? value.replaceAll('_', ' ') : value;
  }
  return JSON.stringify(value);
}

export function eventDetails(details: Record<string, unknown>): string[] {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (hiddenDetails.has(key)) continue;
    const text = detailValue(key, value);
    if (text === null) continue;
    parts.push(`${detailNames[key] ?? key}: ${key === 'note' ? `“${text}”` : text}`);
  }
  return parts;
}
