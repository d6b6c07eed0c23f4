-- Tamper evidence for the Decision Trace (docs/trace.md).
--
-- Every row carries the hash of the row before it and its own record hash
-- (64 lowercase hex digits); the store's single trace writer computes both
-- inside the batch that inserts the row. Rows written before this migration
-- are chained once, in sequence order, when the store is next opened: the
-- only update the trace ever accepts is filling these two columns while
-- they are still empty.

ALTER TABLE trace_events ADD COLUMN prev_hash TEXT;
ALTER TABLE trace_events ADD COLUMN hash TEXT;

DROP TRIGGER trace_events_no_update;

CREATE TRIGGER trace_events_no_update BEFORE UPDATE ON trace_events
WHEN OLD.hash IS NOT NULL
  OR OLD.prev_hash IS NOT NULL
  OR NEW.seq IS NOT OLD.seq
  OR NEW.decision_id IS NOT OLD.decision_id
  OR NEW.kind IS NOT OLD.kind
  OR NEW.time IS NOT OLD.time
  OR NEW.body IS NOT OLD.body
BEGIN
    SELECT RAISE(ABORT, 'the decision trace is append-only');
END;

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

CREATE TRIGGER trace_checkpoints_no_update BEFORE UPDATE ON trace_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'trace checkpoints are append-only');
END;

CREATE TRIGGER trace_checkpoints_no_delete BEFORE DELETE ON trace_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'trace checkpoints are append-only');
END;
