-- Sustain, continued: what the manufacturer says about each finding (VEX),
-- hospitals' device inventories and the releases shared with them,
-- notifications and webhooks, alias rules and the daily trend.

-- The aliases of a finding's vulnerability (space-separated), so that a
-- VEX statement about CVE-… applies to a finding reported as GHSA-…; the
-- VEX status that applies to it and, when that status suppresses the
-- finding (not_affected, fixed), until when ('9999-12-31' = no expiry).
ALTER TABLE findings ADD COLUMN aliases TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN vex TEXT;
ALTER TABLE findings ADD COLUMN suppressed_until TEXT;

-- The end of support of a component (from the SBOM or set by hand).
ALTER TABLE release_components ADD COLUMN end_of_support TEXT;

-- One statement per release, vulnerability and component identity ('' =
-- every component of the release). `component_version` is the version the
-- statement was made about: it is carried to the next release of the
-- product only while that version stays the same.
CREATE TABLE vex_statements (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    release_id        TEXT NOT NULL REFERENCES releases (id),
    vuln_id           TEXT NOT NULL,
    component         TEXT NOT NULL,
    component_version TEXT,
    status            TEXT NOT NULL CHECK (status IN ('not_affected', 'affected', 'fixed', 'under_investigation')),
    justification     TEXT,
    impact            TEXT,
    action            TEXT,
    expires_on        TEXT,
    source            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (release_id, vuln_id, component)
);
CREATE INDEX vex_statements_org ON vex_statements (org_id, release_id);

-- "This component is that purl/CPE" and "its support ends then", reused
-- across the organisation's products: matched components with `identity`
-- also match as `purl` and `cpe`, and show `end_of_support` when their
-- SBOM gives none.
CREATE TABLE alias_rules (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    identity       TEXT NOT NULL,
    purl           TEXT,
    cpe            TEXT,
    end_of_support TEXT,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, identity)
);

-- A manufacturer shares a release (its SBOM, findings and VEX) with a
-- hospital.
CREATE TABLE release_shares (
    release_id TEXT NOT NULL REFERENCES releases (id),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    shared_by  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (release_id, org_id)
);
CREATE INDEX release_shares_org ON release_shares (org_id);

-- A hospital's installed devices. `release_id` links a device to a
-- release its manufacturer shared; without it the device is listed but
-- its exposure is unknown.
CREATE TABLE inventory_devices (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    asset_tag    TEXT NOT NULL,
    model        TEXT NOT NULL,
    manufacturer TEXT,
    version      TEXT,
    release_id   TEXT REFERENCES releases (id),
    location     TEXT,
    segment      TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (org_id, asset_tag)
);
CREATE INDEX inventory_devices_release ON inventory_devices (release_id);

-- What an organisation's users are told (new findings after an import,
-- a release shared with them); shown in the UI until read.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    kind       TEXT NOT NULL,
    subject_id TEXT,
    details    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_org ON notifications (org_id, created_at DESC);

-- Webhooks: an organisation's HTTPS endpoints and the deliveries to them,
-- kept until delivered (an outbox; retried with backoff).
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    enabled    BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id           TEXT PRIMARY KEY,
    webhook_id   TEXT NOT NULL REFERENCES webhooks (id),
    org_id       TEXT NOT NULL,
    event        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     BIGINT NOT NULL,
    last_status  BIGINT,
    last_error   TEXT,
    next_at      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);

-- Open, unsuppressed findings per organisation and day, by level, for
-- the dashboard's trend.
CREATE TABLE finding_trend (
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    day      TEXT NOT NULL,
    critical BIGINT NOT NULL,
    high     BIGINT NOT NULL,
    medium   BIGINT NOT NULL,
    low      BIGINT NOT NULL,
    unknown  BIGINT NOT NULL,
    kev      BIGINT NOT NULL,
    PRIMARY KEY (org_id, day)
);
