-- Approvals bound to the exact call, with N-of-M votes, escalation,
-- edit-and-approve and collection by a retried call; scoped grants; kill
-- switches. Timestamps are Unix nanoseconds; JSON documents are TEXT.

ALTER TABLE approvals ADD COLUMN agent_owner TEXT;
ALTER TABLE approvals ADD COLUMN call_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN rule TEXT NOT NULL DEFAULT '{}';
ALTER TABLE approvals ADD COLUMN context TEXT NOT NULL DEFAULT 'null';
ALTER TABLE approvals ADD COLUMN votes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE approvals ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE approvals ADD COLUMN edited_arguments TEXT;
ALTER TABLE approvals ADD COLUMN collected_at BIGINT;

CREATE INDEX approvals_call ON approvals (agent_id, call_hash, created_at);

CREATE TABLE approval_grants (
    id               TEXT PRIMARY KEY NOT NULL,
    agent_id         TEXT NOT NULL,
    agent_name       TEXT NOT NULL,
    upstream         TEXT NOT NULL,
    tool             TEXT NOT NULL,
    argument_pattern TEXT,
    approval_id      TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    revoked_at       BIGINT
);

CREATE INDEX approval_grants_active ON approval_grants (expires_at) WHERE revoked_at IS NULL;

CREATE TABLE kill_switches (
    id          TEXT PRIMARY KEY NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('global', 'agent', 'workflow', 'upstream', 'tool')),
    target      TEXT,
    reason      TEXT NOT NULL,
    engaged_by  TEXT NOT NULL,
    engaged_at  BIGINT NOT NULL,
    released_at BIGINT,
    released_by TEXT
);

CREATE INDEX kill_switches_engaged ON kill_switches (engaged_at) WHERE released_at IS NULL;
