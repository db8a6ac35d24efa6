// Who may generate backup codes for whom (SPEC §2's table). The one statement of the rule:
// the server's guard and the UI's hint `can.generateBackupCodes` both come from here.
export const GENERATE_LOCKOUT_CODES = 'users.generate_lockout_codes';

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
  if (actor.kind !== 'staff' || !actor.permissions.includes(GENERATE_LOCKOUT_CODES)) return 'forbidden';
  // Only Admin-level staff with the permission may generate for other staff.
  if (target.kind === 'staff' && !actor.isAdmin) return 'forbidden';
  // Nobody issues codes to themself.
  if (target.id === actor.id) return 'forbidden';
  if (target.status !== 'active') return 'user_disabled';
  return null;
}
