// The audit event types (SPEC §5) with how the Admin Platform names them. The server writes
// only these types; the web UI lists and labels them from here.
export const auditEventLabels = {
  'sign_in.password_succeeded': 'Password accepted',
  'sign_in.password_failed': 'Password refused',
  'sign_in.succeeded': 'Signed in',
  'second_factor.failed': 'Second factor refused',
  'second_factor.locked': 'Second factor locked',
  'second_factor.refused_locked': 'Second factor refused while locked',
  'second_factor.totp_reused': 'Authenticator code reused',
  'reauthentication.succeeded': 'Identity confirmed again',
  'session.signed_out': 'Signed out',
  'backup_codes.generated': 'Backup codes generated',
  'backup_codes.generation_refused': 'Backup code generation refused',
  'backup_codes.revoked': 'Backup codes revoked',
  'backup_codes.redeemed': 'Backup code used',
  'factor.totp_enrolled': 'Authenticator app set-up started',
  'factor.totp_confirmed': 'Authenticator app added',
  'factor.removed': 'Two-factor device removed',
  'user.created': 'User created',
  'permissions.granted': 'Permissions granted',
  'permissions.revoked': 'Permissions revoked',
  'role.created': 'Role created',
  'role.assigned': 'Role assigned',
} as const;

export type AuditEventType = keyof typeof auditEventLabels;
