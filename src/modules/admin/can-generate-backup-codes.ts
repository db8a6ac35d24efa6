// Who may do what to whom on the Admin Platform (SPEC §2's table). The one statement of the
// rules: the server's guards and the UI's hints (`can.*` of the user page) both come from here.
export const GENERATE_LOCKOUT_CODES = 'users.generate_lockout_codes';
export const CHANGE_USERS = 'users.change';

export interface Actor {
  id: string;
  kind: 'customer' | 'staff';
  isAdmin: boolean;
  permissions: string[];
}

export interface Target {
  id: string;
  kind: 'customer' | 'staff';
  status: 'active' | 'disabled';
}

export type GenerationRefusal = 'forbidden' | 'user_disabled';

/** null when the actor may generate codes for the target. */
export function backupCodeGenerationRefusal(actor: Actor, target: Target): GenerationRefusal | null {
  if (!isStaffWith(actor, GENERATE_LOCKOUT_CODES)) return 'forbidden';
  if (targetRefusal(actor, target) !== null) return 'forbidden';
  if (target.status !== 'active') return 'user_disabled';
  return null;
}

/** null when the actor may sign the target out of every session (ASVS 5.0 7.4.5). */
export function sessionEndingRefusal(actor: Actor, target: Target): 'forbidden' | null {
  if (!isStaffWith(actor, CHANGE_USERS)) return 'forbidden';
  return targetRefusal(actor, target) === null ? null : 'forbidden';
}

/** Why the actor may not act on this user, if not: staff only by Admin-level staff; nobody on themself. */
export function targetRefusal(actor: Actor, target: Target): 'staff_target_needs_admin' | 'self' | null {
  if (target.id === actor.id) return 'self';
  if (target.kind === 'staff' && !actor.isAdmin) return 'staff_target_needs_admin';
  return null;
}

function isStaffWith(actor: Actor, permission: string): boolean {
  return actor.kind === 'staff' && actor.permissions.includes(permission);
}
