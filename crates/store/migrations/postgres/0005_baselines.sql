-- Behavioural baselines: one JSON profile per agent and per role, as
-- serialised by behavry-baseline (versioned; validated when restored).
-- `updated_at` is Unix nanoseconds.

CREATE TABLE baselines (
    kind       TEXT NOT NULL CHECK (kind IN ('agent', 'role')),
    key        TEXT NOT NULL,
    json       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
