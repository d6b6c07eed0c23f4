-- Tamper evidence for the Decision Trace (docs/trace.md).
--
-- Every row carries the hash of the row before it and its own record hash
-- (64 lowercase hex digits); the trace writer computes both inside the
-- transaction that inserts the row. As in SQLite, the only update the trace
-- accepts is filling these two columns while they are still empty.

ALTER TABLE trace_events ADD COLUMN prev_hash TEXT;
ALTER TABLE trace_events ADD COLUMN hash TEXT;

CREATE FUNCTION behavry_trace_chain_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hash IS NOT NULL
       OR OLD.prev_hash IS NOT NULL
       OR NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.decision_id IS DISTINCT FROM OLD.decision_id
       OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.time IS DISTINCT FROM OLD.time
       OR NEW.body IS DISTINCT FROM OLD.body THEN
        RAISE EXCEPTION 'the decision trace is append-only';
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER trace_events_no_update ON trace_events;

CREATE TRIGGER trace_events_no_update BEFORE UPDATE ON trace_events
    FOR EACH ROW EXECUTE FUNCTION behavry_trace_chain_only();

-- Signed checkpoints, each sealing the rows since the previous one
-- (first_seq = previous last_seq + 1). `time` is the RFC 3339 text that was
-- signed; hashes and the signature are lowercase hex.
CREATE TABLE trace_checkpoints (
    last_seq    BIGINT PRIMARY KEY NOT NULL,
    first_seq   BIGINT NOT NULL UNIQUE,
    tree_size   BIGINT NOT NULL,
    merkle_root TEXT NOT NULL,
    last_hash   TEXT NOT NULL,
    time        TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    CHECK (first_seq >= 1 AND last_seq >= first_seq AND tree_size = last_seq - first_seq + 1)
);

CREATE FUNCTION behavry_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'trace checkpoints are append-only';
END;
$$;

CREATE TRIGGER trace_checkpoints_no_update BEFORE UPDATE ON trace_checkpoints
    FOR EACH ROW EXECUTE FUNCTION behavry_checkpoints_append_only();

CREATE TRIGGER trace_checkpoints_no_delete BEFORE DELETE ON trace_checkpoints
    FOR EACH ROW EXECUTE FUNCTION behavry_checkpoints_append_only();

CREATE TRIGGER trace_checkpoints_no_truncate BEFORE TRUNCATE ON trace_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION behavry_checkpoints_append_only();
