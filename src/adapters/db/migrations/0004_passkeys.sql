-- Passkeys and security keys (WebAuthn Level 3) as a second factor (SPEC §3, §4).

-- A WebAuthn factor holds a public key, not a secret: nothing to encrypt, so the TOTP seed
-- column becomes optional, and each type's own columns are required by a CHECK of its own
-- (other types are left to their own migrations).
ALTER TABLE factors DROP CONSTRAINT factors_type_check;
ALTER TABLE factors ADD CONSTRAINT factors_type_check CHECK (type IN ('totp', 'webauthn'));
ALTER TABLE factors ALTER COLUMN secret_ciphertext DROP NOT NULL;
ALTER TABLE factors
  -- base64url of the credential id the authenticator chose; one credential, one factor,
  -- whoever registered it.
  ADD COLUMN credential_id text CONSTRAINT factors_credential_id_key UNIQUE,
  -- base64url of the COSE public key.
  ADD COLUMN public_key text,
  -- The authenticator's signature counter (an unsigned 32-bit value, hence bigint): a value
  -- that does not grow reveals a cloned authenticator (WebAuthn §6.1.1).
  ADD COLUMN sign_count bigint,
  -- Transport hints (usb, nfc, ble, hybrid, internal) handed back to the browser.
  ADD COLUMN transports jsonb,
  ADD CONSTRAINT factors_totp_material CHECK (type <> 'totp' OR secret_ciphertext IS NOT NULL),
  ADD CONSTRAINT factors_webauthn_material CHECK (
    type <> 'webauthn'
    OR (credential_id IS NOT NULL AND public_key IS NOT NULL AND sign_count IS NOT NULL AND secret_ciphertext IS NULL)
  );

-- The WebAuthn challenge a session is waiting to see signed (WebAuthn §13.4.3): one at a
-- time, for one purpose, short-lived, and cleared by the conditional UPDATE that accepts it,
-- so it answers once. Only its SHA-256 is kept, like the session token's.
ALTER TABLE sessions
  ADD COLUMN webauthn_challenge_hash text,
  ADD COLUMN webauthn_challenge_purpose text CHECK (webauthn_challenge_purpose IN ('registration', 'authentication')),
  ADD COLUMN webauthn_challenge_expires_at timestamptz,
  ADD CONSTRAINT sessions_webauthn_challenge_complete CHECK (
    (webauthn_challenge_hash IS NULL AND webauthn_challenge_purpose IS NULL AND webauthn_challenge_expires_at IS NULL)
    OR (webauthn_challenge_hash IS NOT NULL AND webauthn_challenge_purpose IS NOT NULL AND webauthn_challenge_expires_at IS NOT NULL)
  );
