-- Sustain: a manufacturer's products and their releases, each with the
-- SBOM it shipped with, the release's components as matched, and the
-- findings of the last match against the vulnerability database.

CREATE TABLE products (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE sboms (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    sha256     TEXT NOT NULL,
    filename   TEXT NOT NULL,
    format     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, sha256)
);

CREATE TABLE releases (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    product_id    TEXT NOT NULL REFERENCES products (id),
    version       TEXT NOT NULL,
    sbom_id       TEXT REFERENCES sboms (id),
    released_on   TEXT,
    support_until TEXT,
    matched_at    BIGINT,
    created_at    BIGINT NOT NULL,
    UNIQUE (product_id, version)
);
CREATE INDEX releases_org ON releases (org_id);

-- `identity` is what "where is component X used" looks up: the purl
-- without version, else the lower-cased name.
CREATE TABLE release_components (
    release_id TEXT NOT NULL REFERENCES releases (id),
    idx        BIGINT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT,
    purl       TEXT,
    identity   TEXT NOT NULL,
    cpes       TEXT NOT NULL,
    supplier   TEXT,
    PRIMARY KEY (release_id, idx)
);
CREATE INDEX release_components_identity ON release_components (identity);

-- One row per release, component and vulnerability. Scores are scaled
-- integers (CVSS × 10, EPSS probability × 100,000, priority × 10), exact
-- in both backends and in backups. `state` is open
-- while the last match still finds it, fixed when a later match no
-- longer does (the component changed or an advisory was corrected).
CREATE TABLE findings (
    release_id  TEXT NOT NULL REFERENCES releases (id),
    component   BIGINT NOT NULL,
    vuln_id     TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    level       BIGINT NOT NULL,
    cvss10      BIGINT,
    epss100k    BIGINT,
    kev         BIGINT NOT NULL,
    priority10  BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'fixed')),
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (release_id, component, vuln_id)
);
CREATE INDEX findings_priority ON findings (org_id, state, priority10 DESC);
CREATE INDEX findings_level ON findings (org_id, state, level DESC, cvss10 DESC NULLS LAST);
CREATE INDEX findings_epss ON findings (org_id, state, epss100k DESC NULLS LAST);
CREATE INDEX findings_kev ON findings (org_id, state, kev DESC, priority10 DESC);
CREATE INDEX findings_seen ON findings (org_id, state, first_seen DESC);
