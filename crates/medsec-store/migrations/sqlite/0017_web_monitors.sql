-- watch: web page monitoring against a baseline (defacement, injected scripts)

-- A member's web page that medsec fetches every `interval_secs` and
-- compares with its accepted baseline (`baseline`, the JSON snapshot of
-- `medsec_detect::webpage::Snapshot`: normalised content hash, tag
-- skeleton, external origins, inline script hashes, title, keywords).
-- The first successful check becomes the baseline; later ones only when
-- a person accepts the latest page (`baseline_by`, audited).
-- `next_due` is when the next check is due, so a restart resumes the
-- schedule; `claimed_until` and `claimed_by` lease a check to one node
-- (or to "check now"), so checks of one monitor never overlap.
-- Lists are JSON arrays; `threshold` is the structure similarity in
-- percent below which the page counts as defaced; `failure_threshold`
-- the consecutive failures before an unreachable alert.
CREATE TABLE web_monitors (
    id                TEXT PRIMARY KEY,
    member_id         TEXT NOT NULL REFERENCES organizations (id),
    name              TEXT NOT NULL,
    url               TEXT NOT NULL,
    interval_secs     INTEGER NOT NULL CHECK (interval_secs BETWEEN 60 AND 86400),
    keywords          TEXT NOT NULL,
    ignore_patterns   TEXT NOT NULL,
    threshold         INTEGER NOT NULL CHECK (threshold BETWEEN 1 AND 99),
    failure_threshold INTEGER NOT NULL CHECK (failure_threshold BETWEEN 1 AND 100),
    enabled           INTEGER NOT NULL,
    baseline          TEXT,
    baseline_hash     TEXT,
    baseline_at       INTEGER,
    baseline_by       TEXT,
    last_snapshot     TEXT,
    last_check_at     INTEGER,
    last_outcome      TEXT,
    failures          INTEGER NOT NULL,
    next_due          INTEGER NOT NULL,
    claimed_until     INTEGER,
    claimed_by        TEXT,
    created_by        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (member_id, url)
);
CREATE INDEX web_monitors_due ON web_monitors (enabled, next_due);

-- One check of a monitor: what was fetched and how it compared.
-- `similarity` is the structure similarity with the baseline in per
-- mille; `findings` a JSON array of what changed; `headers` the response
-- headers of interest as a JSON object.
CREATE TABLE web_checks (
    id           TEXT PRIMARY KEY,
    monitor_id   TEXT NOT NULL REFERENCES web_monitors (id),
    member_id    TEXT NOT NULL REFERENCES organizations (id),
    at           INTEGER NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('baseline', 'unchanged', 'changed', 'defaced', 'injected', 'unreachable')),
    http_status  INTEGER,
    final_url    TEXT,
    content_hash TEXT,
    similarity   INTEGER,
    bytes        INTEGER,
    duration_ms  INTEGER NOT NULL,
    headers      TEXT NOT NULL,
    findings     TEXT NOT NULL,
    error        TEXT
);
CREATE INDEX web_checks_monitor ON web_checks (monitor_id, at);
