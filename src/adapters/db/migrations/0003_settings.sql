-- Settings (SPEC §4): a pending email change, confirmed by a one-time code sent to the new
-- address before it takes effect (SECURITY.md §8.2), and the "secure your account" step
-- owed after a sign-in with a staff-issued backup code (SPEC §2).

-- The code is kept only as a keyed hash (HMAC with a key derived from the server secret),
-- so a dump of this table does not let anyone confirm an address.
ALTER TABLE users
  ADD COLUMN pending_email text CHECK (pending_email IS NULL OR length(pending_email) BETWEEN 3 AND 254),
  ADD COLUMN pending_email_code_hash text,
  ADD COLUMN pending_email_expires_at timestamptz,
  ADD COLUMN pending_email_attempts integer NOT NULL DEFAULT 0,
  ADD CONSTRAINT users_pending_email_complete CHECK (
    (pending_email IS NULL AND pending_email_code_hash IS NULL AND pending_email_expires_at IS NULL)
    OR (pending_email IS NOT NULL AND pending_email_code_hash IS NOT NULL AND pending_email_expires_at IS NOT NULL)
  );

-- Set when the user signs in with a staff-issued code; owed until a factor confirmed and
-- an own recovery-code set created after this moment exist.
ALTER TABLE users ADD COLUMN must_secure_since timestamptz;
