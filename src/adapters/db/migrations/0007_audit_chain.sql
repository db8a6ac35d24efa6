-- The tamper-evident audit log (SECURITY §13.3, ASVS 16.4.2). The application seals each
-- committed event with a gap-free `seq` and `chain_hash` = HMAC(server key, previous hash,
-- the event); the key never enters the database, so whoever can write to it (even with the
-- triggers off) cannot rewrite history and recompute the chain. `latchkey audit verify`
-- walks it. Sealing is the only UPDATE the append-only trigger lets through.

ALTER TABLE audit_events
  ADD COLUMN seq bigint,
  ADD COLUMN chain_hash text,
  ADD CONSTRAINT audit_events_sealed_whole CHECK ((seq IS NULL) = (chain_hash IS NULL)),
  ADD CONSTRAINT audit_events_seq_positive CHECK (seq > 0),
  ADD CONSTRAINT audit_events_chain_hash_hex CHECK (chain_hash ~ '^[0-9a-f]{64}$');
CREATE UNIQUE INDEX audit_events_seq_key ON audit_events (seq);
-- The sealer looks for these every second; once sealed a row leaves this index.
CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE seq IS NULL;

-- Where the chain ends: one row, locked FOR UPDATE by the sealer, which serialises sealers
-- on every instance. It starts at seq 0 with the genesis hash (64 zeros).
CREATE TABLE audit_chain_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_seq bigint NOT NULL CHECK (last_seq >= 0),
  last_hash text NOT NULL CHECK (last_hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO audit_chain_head (last_seq, last_hash) VALUES (0, repeat('0', 64));

-- Sealing sets seq and chain_hash where both were NULL and changes nothing else; every
-- column is compared through to_jsonb, so a column added later is covered without editing
-- this function.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND OLD.chain_hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.chain_hash IS NOT NULL
       AND to_jsonb(NEW) - 'seq' - 'chain_hash' = to_jsonb(OLD) - 'seq' - 'chain_hash' THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION audit_chain_head_only_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id = OLD.id AND NEW.last_seq > OLD.last_seq THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_chain_head only moves forward: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_chain_head_no_rewind
  BEFORE UPDATE OR DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_chain_head_only_forward();
CREATE TRIGGER audit_chain_head_no_truncate
  BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_only_forward();
