-- Text-message (SMS) codes as a second factor (SPEC §3, §4; SECURITY §2.5, §3.2, §3.3, §5).

-- An SMS factor is a verified phone number: no seed, no public key. The type CHECK keeps the
-- types of 0004 and adds 'sms'.
ALTER TABLE factors DROP CONSTRAINT factors_type_check;
ALTER TABLE factors ADD CONSTRAINT factors_type_check CHECK (type IN ('totp', 'webauthn', 'sms'));
ALTER TABLE factors
  -- E.164 ("+447700900123"); the factor is confirmed only once a code sent to it came back.
  ADD COLUMN phone text,
  ADD CONSTRAINT factors_sms_material CHECK (type <> 'sms' OR (phone IS NOT NULL AND secret_ciphertext IS NULL AND credential_id IS NULL)),
  ADD CONSTRAINT factors_phone_only_sms CHECK (type = 'sms' OR phone IS NULL);

-- One row per code sent, to confirm an enrolment (the factor is not yet confirmed) or to
-- prove the factor at sign-in or step-up. Only an HMAC of the code is kept (keyed by the
-- server secret, bound to the factor), never the code. A code is valid for at most 10 minutes,
-- once, and only while it is the latest of its factor: issuing a new one supersedes the older
-- ones in the same transaction. Rows outlive their factor and session (SET NULL) because they
-- also count the texts sent to an account in the last hour (the send limit).
CREATE TABLE sms_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  factor_id uuid REFERENCES factors (id) ON DELETE SET NULL,
  -- The session the code was sent for: it answers that sign-in or step-up only.
  session_id uuid REFERENCES sessions (id) ON DELETE SET NULL,
  purpose text NOT NULL CHECK (purpose IN ('enrollment', 'authentication')),
  -- HMAC of the phone number the code went to: counts texts per destination across accounts
  -- (SMS bombing of one number through many accounts) without a second copy of the number.
  recipient_hash text NOT NULL,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  superseded_at timestamptz,
  -- Wrong guesses at this code during enrolment (sign-in guesses count on the user row).
  attempts integer NOT NULL DEFAULT 0,
  CONSTRAINT sms_codes_lifetime CHECK (expires_at > created_at AND expires_at <= created_at + interval '10 minutes')
);
CREATE INDEX sms_codes_factor_idx ON sms_codes (factor_id, created_at);
CREATE INDEX sms_codes_user_sent_idx ON sms_codes (user_id, created_at);
CREATE INDEX sms_codes_recipient_sent_idx ON sms_codes (recipient_hash, created_at);
