-- Multi-agent workflows (docs/workflows.md). `workflows` records each
-- workflow Behavry started (the token itself is never stored);
-- `workflow_revocations` holds revoked delegation blocks (a block's
-- revocation id is its signature, hex); `workflow_ledgers` holds each
-- workflow's shared counters, delegation edges and sensitive reads as one
-- JSON document, updated under a per-workflow transaction lock. Timestamps are Unix
-- nanoseconds.

CREATE TABLE workflows (
    id                  TEXT PRIMARY KEY,
    purpose             TEXT NOT NULL,
    started_by          TEXT NOT NULL,
    scope               TEXT NOT NULL,
    budgets             TEXT NOT NULL,
    max_depth           BIGINT NOT NULL,
    root_revocation_id  TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL
);

CREATE INDEX workflows_created ON workflows (created_at);

CREATE TABLE workflow_revocations (
    revocation_id  TEXT PRIMARY KEY,
    workflow_id    TEXT,
    operator       TEXT NOT NULL,
    reason         TEXT,
    revoked_at     BIGINT NOT NULL
);

CREATE TABLE workflow_ledgers (
    workflow_id  TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE INDEX workflow_ledgers_expiry ON workflow_ledgers (expires_at);
