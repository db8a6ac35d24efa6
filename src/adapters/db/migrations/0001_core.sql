-- Users, staff, permissions and roles (SPEC §1); sessions (§3); second factors and
-- backup codes (§2); the append-only audit log (§5). Runs on PostgreSQL and PGlite.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('customer', 'staff')),
  is_admin boolean NOT NULL DEFAULT false,
  username text NOT NULL CHECK (length(username) BETWEEN 1 AND 150),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  first_name text NOT NULL,
  last_name text NOT NULL,
  phone text,
  password_hash text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Second-factor throttling (PCI DSS 8.3.4): attempts spent since the last success,
  -- and the end of the current lock-out.
  second_factor_failures integer NOT NULL DEFAULT 0,
  second_factor_locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'staff' OR NOT is_admin)
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_kind_name_idx ON users (kind, lower(last_name), lower(first_name), id);
CREATE INDEX users_email_idx ON users (lower(email) text_pattern_ops);
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);
CREATE INDEX users_first_name_idx ON users (lower(first_name) text_pattern_ops);
CREATE INDEX users_last_name_idx ON users (lower(last_name) text_pattern_ops);

CREATE TABLE permissions (
  codename text PRIMARY KEY,
  name text NOT NULL
);
INSERT INTO permissions (codename, name) VALUES
  ('users.generate_lockout_codes', 'Can generate lockout codes user'),
  ('users.view', 'Can view user'),
  ('users.change', 'Can change user'),
  ('audit.view', 'Can view audit log'),
  ('staff.manage', 'Can manage staff permissions');

CREATE TABLE user_permissions (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  codename text NOT NULL REFERENCES permissions (codename),
  PRIMARY KEY (user_id, codename)
);

CREATE TABLE roles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 150),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE role_permissions (
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  codename text NOT NULL REFERENCES permissions (codename),
  PRIMARY KEY (role_id, codename)
);

CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);

-- Only the SHA-256 of a session token is stored: a dump of this table signs nobody in.
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  surface text NOT NULL CHECK (surface IN ('banking', 'admin')),
  state text NOT NULL CHECK (state IN ('pending', 'enrollment', 'active')),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  second_factor_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- TOTP seeds are kept encrypted with a key derived from the server secret.
CREATE TABLE factors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('totp')),
  label text NOT NULL,
  secret_ciphertext text NOT NULL,
  confirmed_at timestamptz,
  last_used_step integer,
  created_at timestamptz NOT NULL
);
CREATE INDEX factors_user_idx ON factors (user_id);

CREATE TABLE backup_code_sets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  origin text NOT NULL CHECK (origin IN ('staff', 'self')),
  issued_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz
);
-- SPEC §2: a user has at most one active set.
CREATE UNIQUE INDEX backup_code_sets_one_active ON backup_code_sets (user_id) WHERE revoked_at IS NULL;

-- One row per code: `lookup` is a short keyed MAC that finds the row, `hash` a salted,
-- keyed argon2id hash that proves it (NIST SP 800-63B-4 §3.1.2.2).
CREATE TABLE backup_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  set_id uuid NOT NULL REFERENCES backup_code_sets (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  lookup text NOT NULL,
  hash text NOT NULL,
  used_at timestamptz
);
CREATE INDEX backup_codes_lookup_idx ON backup_codes (user_id, lookup) WHERE used_at IS NULL;
CREATE INDEX backup_codes_set_idx ON backup_codes (set_id);

-- Append-only: the database refuses UPDATE, DELETE and TRUNCATE. No foreign keys, so the
-- trail outlives the rows it speaks of.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type text NOT NULL,
  at timestamptz NOT NULL,
  actor_id uuid,
  target_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
  ip text,
  user_agent text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_target_idx ON audit_events (target_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_type_idx ON audit_events (type, id);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
