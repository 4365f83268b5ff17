-- Watch (ISAC log collection): where members' logs come in, how they are
-- decoded and masked, how long they are kept, and what came in per day.

-- A source delivers one member's logs. The member is the organisation
-- whose listener port (udp, tcp), client certificate (tls) or token
-- (http) delivered an event, never what the message claims.
-- `credential` is the SHA-256 (hex) of the client certificate (tls) or of
-- the token (http); the token itself is shown once and not kept.
CREATE TABLE log_sources (
    id            TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL REFERENCES organizations (id),
    name          TEXT NOT NULL,
    transport     TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls', 'http', 'file')),
    port          INTEGER,
    format        TEXT NOT NULL,
    credential    TEXT,
    silent_after  INTEGER NOT NULL,
    enabled       BOOLEAN NOT NULL DEFAULT 1,
    last_event_at INTEGER,
    silent_since  INTEGER,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (member_id, name)
);
CREATE UNIQUE INDEX log_sources_port ON log_sources (transport, port) WHERE port IS NOT NULL;
CREATE UNIQUE INDEX log_sources_credential ON log_sources (credential) WHERE credential IS NOT NULL;

-- Analyst-defined decoders (TOML definitions, docs/decoders.md), active
-- only once their sample lines pass.
CREATE TABLE log_decoders (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT 0,
    tested_at  INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Personal-data masking applied at ingest, before anything is written:
-- resident registration numbers and phone numbers (built in, on unless
-- turned off) and patient ids by pattern. `member_id` NULL = every member.
CREATE TABLE masking_rules (
    id         TEXT PRIMARY KEY,
    member_id  TEXT REFERENCES organizations (id),
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('rrn', 'phone', 'pattern')),
    pattern    TEXT,
    enabled    BOOLEAN NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO masking_rules (id, member_id, name, kind, pattern, enabled, created_by, created_at)
VALUES ('builtin-rrn', NULL, '주민등록번호', 'rrn', NULL, 1, 'system', 0),
       ('builtin-phone', NULL, '전화번호', 'phone', NULL, 1, 'system', 0);

-- How long a member's events are kept (days).
CREATE TABLE member_log_settings (
    member_id      TEXT PRIMARY KEY REFERENCES organizations (id),
    retention_days INTEGER NOT NULL
);

-- What came in per source and Korean calendar day (UTC+9, as the event
-- store's partitions): events and bytes for billing,
-- parse errors and drops for health.
CREATE TABLE ingest_daily (
    source_id    TEXT NOT NULL REFERENCES log_sources (id),
    member_id    TEXT NOT NULL REFERENCES organizations (id),
    day          TEXT NOT NULL,
    events       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    parse_errors INTEGER NOT NULL,
    dropped      INTEGER NOT NULL,
    PRIMARY KEY (source_id, day)
);
CREATE INDEX ingest_daily_member ON ingest_daily (member_id, day);

-- The latest rejected or unparsable messages of a source, for the analyst.
CREATE TABLE ingest_errors (
    id        TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES log_sources (id),
    member_id TEXT NOT NULL REFERENCES organizations (id),
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL,
    sample    TEXT NOT NULL
);
CREATE INDEX ingest_errors_source ON ingest_errors (source_id, at);
