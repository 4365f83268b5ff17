-- Feeds: MITRE ATT&CK (enterprise, ICS) techniques, tactics, groups and
-- software are stored as feed records of kind `attack`, so the server
-- names the techniques of alerts without reading files at run time.
-- SQLite cannot change a CHECK constraint: the table is rebuilt.
CREATE TABLE feed_records_new (
    kind       TEXT NOT NULL CHECK (kind IN ('osv', 'nvd', 'rustsec', 'csaf', 'kev', 'epss', 'attack')),
    id         TEXT NOT NULL,
    modified   TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    body       TEXT NOT NULL,
    origin     TEXT NOT NULL,
    import_id  TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
INSERT INTO feed_records_new (kind, id, modified, sha256, body, origin, import_id, first_seen, updated_at)
    SELECT kind, id, modified, sha256, body, origin, import_id, first_seen, updated_at FROM feed_records;
DROP TABLE feed_records;
ALTER TABLE feed_records_new RENAME TO feed_records;
