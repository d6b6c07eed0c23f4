-- Operators of the console and the admin API, their console sessions, and
-- an index for each agent's latest decision (the console's "last activity").

CREATE TABLE operators (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'approver', 'admin')),
    groups        TEXT NOT NULL,
    -- Argon2id PHC string; NULL when the operator has no password yet.
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);

-- A console session. Only the SHA-256 of the session id (the cookie value)
-- is stored. operator_id is NULL for a session opened with the admin token.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    operator_id  TEXT REFERENCES operators (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX console_sessions_operator ON console_sessions (operator_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The agent id of a decision record. PostgreSQL's JSON functions refuse a
-- `\u0000` escape anywhere in the document; it is swapped for U+FFFD first
-- (same length, still valid JSON, agent ids never contain it), so a body
-- with such an escape can still be indexed and appended.
CREATE FUNCTION behavry_trace_agent_id(body TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (replace(body, E'\\u0000', E'\\ufffd')::json -> 'agent') ->> 'id' $$;

CREATE INDEX trace_events_agent_decisions
    ON trace_events (behavry_trace_agent_id(body), seq)
    WHERE kind = 'decision';
