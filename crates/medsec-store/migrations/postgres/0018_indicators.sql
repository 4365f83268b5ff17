-- watch: threat-intelligence indicators kept in the database

-- A source of indicators: an imported file (STIX 2.1 or CSV) whose
-- indicators a new import replaces whole, or indicators added by hand
-- (`manual`). What the reader could not use is kept with its reasons
-- (`skipped`, a JSON array of the first ones, `skipped_count` all).
-- `sha256` is the imported bytes' digest: `serve --indicators` imports a
-- file again only when it changed.
CREATE TABLE indicator_sources (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    description   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('stix', 'csv', 'manual')),
    sha256        TEXT,
    indicators    BIGINT NOT NULL,
    skipped_count BIGINT NOT NULL,
    skipped       TEXT NOT NULL,
    other_objects BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    imported_at   BIGINT NOT NULL
);

-- One value to look for. `stix_id` is the STIX id (or `csv--…`, or
-- `manual--…`), shared by the values of one pattern; `value` is
-- normalised (`medsec_detect::indicators::Kind::normalise`). `revoked`
-- is the source's or an analyst's (`revoked_by`, `revoked_at`: an
-- analyst's revocation survives a re-import of the source).
CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES indicator_sources (id),
    stix_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256', 'user-agent')),
    value       TEXT NOT NULL,
    name        TEXT,
    description TEXT,
    labels      TEXT NOT NULL,
    confidence  BIGINT CHECK (confidence BETWEEN 0 AND 100),
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT,
    revoked     BIGINT NOT NULL,
    revoked_by  TEXT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX indicators_source ON indicators (source_id, id);

-- Bumped by every change of sources or indicators, in its transaction:
-- live detection polls it and rebuilds its index when it moved. Tied to
-- the database it counts in, so not backed up.
CREATE TABLE indicator_state (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    generation BIGINT NOT NULL
);
INSERT INTO indicator_state (singleton, generation) VALUES (1, 0);
