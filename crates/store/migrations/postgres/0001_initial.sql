-- Behavry store schema for PostgreSQL: the twin of migrations/sqlite, one
-- file per SQLite migration. Timestamps are Unix nanoseconds (UTC) in
-- BIGINT columns (lossless for the store's nanosecond timestamps, which
-- `timestamptz` would round to microseconds); JSON documents are TEXT, kept
-- byte for byte (the trace's hash chain covers the exact bytes, and `\u0000`
-- escapes, which `jsonb` refuses, stay storable).

CREATE TABLE agents (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    labels          TEXT NOT NULL,
    owner           TEXT,
    credential_hash TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE approvals (
    id              TEXT PRIMARY KEY NOT NULL,
    decision_id     TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    agent_name      TEXT NOT NULL,
    method          TEXT NOT NULL,
    upstream        TEXT NOT NULL,
    tool            TEXT NOT NULL,
    arguments       TEXT NOT NULL,
    reasons         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    decided_at      BIGINT,
    decided_by      TEXT,
    decision_reason TEXT
);

CREATE INDEX approvals_status_created ON approvals (status, created_at);
CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';

-- Append-only: seq is assigned by the store's trace writer as MAX(seq) + 1
-- while it holds the table's write lock, so it is contiguous even with
-- several gateway processes writing.
CREATE TABLE trace_events (
    seq         BIGINT PRIMARY KEY NOT NULL,
    decision_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    time        BIGINT NOT NULL,
    body        TEXT NOT NULL
);

CREATE INDEX trace_events_decision ON trace_events (decision_id, seq);

CREATE FUNCTION behavry_trace_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the decision trace is append-only';
END;
$$;

CREATE TRIGGER trace_events_no_update BEFORE UPDATE ON trace_events
    FOR EACH ROW EXECUTE FUNCTION behavry_trace_append_only();

CREATE TRIGGER trace_events_no_delete BEFORE DELETE ON trace_events
    FOR EACH ROW EXECUTE FUNCTION behavry_trace_append_only();

CREATE TRIGGER trace_events_no_truncate BEFORE TRUNCATE ON trace_events
    FOR EACH STATEMENT EXECUTE FUNCTION behavry_trace_append_only();
