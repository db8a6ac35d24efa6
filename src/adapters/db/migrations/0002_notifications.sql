-- The notification outbox (SPEC §5, SECURITY §11): a row is written in the same transaction
-- as the event it tells of, and sent after commit by the worker of any instance. Rows stay
-- after sending (sent_at set) as the record of what was sent, and so that repeated notices
-- (a second factor failing again and again) can be held back.
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
  kind text NOT NULL,
  -- What the message says, minus any secret: never a code, password or token.
  payload jsonb NOT NULL DEFAULT '{}',
  -- The one secret a confirmation or SMS-code message carries, AES-256-GCM under a key
  -- derived from the server secret; cleared once sent.
  secret_ciphertext text,
  created_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  sent_at timestamptz,
  last_error text,
  CHECK (sent_at IS NULL OR secret_ciphertext IS NULL)
);
-- What the worker claims: unsent rows by due time.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE sent_at IS NULL;
-- Earlier notices of one kind to one user.
CREATE INDEX notifications_user_kind_idx ON notifications (user_id, kind, created_at);
