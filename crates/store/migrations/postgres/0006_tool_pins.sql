-- Tool definitions pinned per upstream (docs/scanning.md, "Tool poisoning
-- and pinning"). `hash`/`definition` are the approved definition ('' and
-- 'null' when none was ever approved); a definition that differs from it,
-- or a first definition flagged as poisoned, waits in `pending_*` with
-- status 'changed' until an operator approves it. Timestamps are Unix
-- nanoseconds; definitions are JSON text.

CREATE TABLE tool_pins (
    upstream           TEXT NOT NULL,
    tool               TEXT NOT NULL,
    hash               TEXT NOT NULL,
    definition         TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pinned', 'changed')),
    pending_hash       TEXT,
    pending_definition TEXT,
    reason             TEXT,
    first_seen         BIGINT NOT NULL,
    changed_at         BIGINT,
    approved_by        TEXT,
    approved_at        BIGINT,
    PRIMARY KEY (upstream, tool)
);

CREATE INDEX tool_pins_status ON tool_pins (status);
