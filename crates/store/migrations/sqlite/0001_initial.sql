-- Behavry store schema. Timestamps are Unix nanoseconds (UTC) in BIGINT
-- columns; JSON documents are TEXT. Kept portable so a PostgreSQL twin can
-- use the same statements with minimal changes.

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

-- Append-only: seq is assigned by the store's single trace writer as
-- MAX(seq) + 1 inside the writing transaction, so it is contiguous.
-- (INTEGER PRIMARY KEY makes seq the SQLite rowid; BIGINT in PostgreSQL.)
CREATE TABLE trace_events (
    seq         INTEGER PRIMARY KEY NOT NULL,
    decision_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    time        BIGINT NOT NULL,
    body        TEXT NOT NULL
);

CREATE INDEX trace_events_decision ON trace_events (decision_id, seq);

CREATE TRIGGER trace_events_no_update BEFORE UPDATE ON trace_events
BEGIN
    SELECT RAISE(ABORT, 'the decision trace is append-only');
END;

CREATE TRIGGER trace_events_no_delete BEFORE DELETE ON trace_events
BEGIN
    SELECT RAISE(ABORT, 'the decision trace is append-only');
END;
