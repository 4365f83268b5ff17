-- Sustain: the lookup keys of each feed record, so that a scan reads only
-- the records its components can match instead of every record.
--
-- `key` is one of the keys medsec-vulndb's index files an advisory under
-- (`pkg:ECOSYSTEM:NAME`, `cpe:VENDOR:PRODUCT`, `name:PRODUCT`) or one of
-- the vulnerability ids its advisories state (`id:CVE-…`), which lead a
-- reader to the other records of the same vulnerability. KEV and EPSS
-- records have none: they are read by their CVE id.
--
-- Derived data: computed from the records by medsec (a migration cannot),
-- written with each record by feed imports, and computed for all records
-- by the next import or scan that finds `feed_keys_state` out of date (a
-- database from before this migration, a restored backup, another key
-- version). Not in backups.

-- The index by record holds the key too, so that looking up a
-- record's keys can read the index alone.
CREATE TABLE feed_keys (
    key  TEXT NOT NULL,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    PRIMARY KEY (key, kind, id)
);
CREATE INDEX feed_keys_record ON feed_keys (kind, id, key);

-- One row when the keys are complete: every record has its keys of key
-- scheme `version`, as of the moment `imports` feed imports were recorded
-- (each import that finds the row current counts itself in, as it writes
-- its records with their keys). A reader trusts the keys only while both
-- still hold. The row is written when medsec computes the keys of every
-- record (at the first import or scan after this migration, and after a
-- restore, which leaves this table out); writing records without keys
-- deletes it.
CREATE TABLE feed_keys_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version   BIGINT NOT NULL,
    imports   BIGINT NOT NULL
);
