// Kysely's view of the tables created by migrations/*.sql.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<string>;
  kind: 'customer' | 'staff';
  is_admin: Generated<boolean>;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  password_hash: string;
  status: Generated<'active' | 'disabled'>;
  second_factor_failures: Generated<number>;
  second_factor_locked_until: Timestamp | null;
  /** migrations/0003: an email change waiting for its confirmation code. */
  pending_email: string | null;
  pending_email_code_hash: string | null;
  pending_email_expires_at: Timestamp | null;
  pending_email_attempts: Generated<number>;
  /** migrations/0003: signed in with a staff-issued code at; null when nothing is owed. */
  must_secure_since: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface PermissionsTable {
  codename: string;
  name: string;
}

export interface UserPermissionsTable {
  user_id: string;
  codename: string;
}

export interface RolesTable {
  id: Generated<string>;
  name: string;
  created_at: DefaultTimestamp;
}

export interface RolePermissionsTable {
  role_id: string;
  codename: string;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
}

export type Surface = 'banking' | 'admin';
export type SessionState = 'pending' | 'enrollment' | 'active';

export interface SessionsTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  surface: Surface;
  state: SessionState;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  second_factor_at: Timestamp | null;
  ip: string | null;
  user_agent: string | null;
  /** migrations/0004: SHA-256 of the WebAuthn challenge this session waits for, and for what. */
  webauthn_challenge_hash: string | null;
  webauthn_challenge_purpose: WebAuthnChallengePurpose | null;
  webauthn_challenge_expires_at: Timestamp | null;
}

export type WebAuthnChallengePurpose = 'registration' | 'authentication';
export type FactorType = 'totp' | 'webauthn' | 'sms';

export interface FactorsTable {
  id: Generated<string>;
  user_id: string;
  type: FactorType;
  label: string;
  /** TOTP only: the seed, encrypted. */
  secret_ciphertext: string | null;
  confirmed_at: Timestamp | null;
  last_used_step: number | null;
  created_at: Timestamp;
  /** migrations/0004, WebAuthn only: base64url credential id and COSE public key. */
  credential_id: string | null;
  public_key: string | null;
  /** bigint: `pg` reads it as a string, PGlite as a number or bigint. */
  sign_count: ColumnType<string | number | bigint | null, number | null | undefined, number>;
  transports: ColumnType<string[] | null, string | null | undefined, string | null>;
  /** migrations/0005, SMS only: the verified phone number (E.164). */
  phone: ColumnType<string | null, string | null | undefined, string | null>;
}

/** migrations/0005: SMS one-time codes, kept as an HMAC only. */
export interface SmsCodesTable {
  id: Generated<string>;
  user_id: string;
  factor_id: string | null;
  session_id: string | null;
  purpose: 'enrollment' | 'authentication';
  /** HMAC of the destination phone, for the per-destination send limit. */
  recipient_hash: string;
  code_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  superseded_at: Timestamp | null;
  attempts: Generated<number>;
}

export interface BackupCodeSetsTable {
  id: Generated<string>;
  user_id: string;
  origin: 'staff' | 'self';
  issued_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface BackupCodesTable {
  id: Generated<string>;
  set_id: string;
  user_id: string;
  lookup: string;
  hash: string;
  used_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>;
  type: string;
  at: Timestamp;
  actor_id: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure';
  ip: string | null;
  user_agent: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
  /**
   * migrations/0007: set once by the sealer (modules/audit/seal-audit-events.ts), NULL until
   * then. bigint: `pg` reads it as a string, PGlite as a number; select it cast to text.
   */
  seq: ColumnType<string | number | null, never, string>;
  chain_hash: ColumnType<string | null, never, string>;
}

/** migrations/0007: the one row saying where the audit chain ends. */
export interface AuditChainHeadTable {
  id: ColumnType<boolean, never, never>;
  last_seq: ColumnType<string | number, never, string>;
  last_hash: ColumnType<string, never, string>;
}

export type NotificationChannel = 'email' | 'sms';

/** The outbox (migrations/0002): one row per message, sent after the commit that queued it. */
export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  channel: NotificationChannel;
  recipient: string;
  kind: string;
  payload: ColumnType<Record<string, unknown>, string, never>;
  secret_ciphertext: string | null;
  created_at: Timestamp;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  sent_at: Timestamp | null;
  last_error: string | null;
}

export interface Tables {
  users: UsersTable;
  permissions: PermissionsTable;
  user_permissions: UserPermissionsTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  factors: FactorsTable;
  backup_code_sets: BackupCodeSetsTable;
  backup_codes: BackupCodesTable;
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  notifications: NotificationsTable;
  sms_codes: SmsCodesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type FactorRow = Selectable<FactorsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
