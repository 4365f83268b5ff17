-- Sustain: the offline vulnerability database. One row per record of a
-- feed (an OSV or NVD record, a RustSec advisory, a CSAF document, a KEV
-- entry, an EPSS score), keeping the source's own text and where it came
-- from; medsec-vulndb builds its index from these rows.

CREATE TABLE feed_records (
    kind       TEXT NOT NULL CHECK (kind IN ('osv', 'nvd', 'rustsec', 'csaf', 'kev', 'epss')),
    id         TEXT NOT NULL,
    modified   TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    body       TEXT NOT NULL,
    origin     TEXT NOT NULL,
    import_id  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE feed_imports (
    id          TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    changed     BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    summary     TEXT NOT NULL
);
