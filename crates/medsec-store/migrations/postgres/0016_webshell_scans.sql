-- watch: webshell scans of uploaded web-root files (YARA)

-- One scan of a member's uploaded web root (a zip archive from the
-- member's agent, or files uploaded through the API or the UI), with what
-- it looked at and what it left out. `origin` is how the files came;
-- `uploaded_by` the user name (or the ingest source's name for the
-- agent); `skipped` the number of files not scanned, `skipped_detail` a
-- JSON array of the first of them with their reasons; `rules_digest` the
-- SHA-256 of the rule set that ran.
CREATE TABLE webshell_scans (
    id             TEXT PRIMARY KEY,
    member_id      TEXT NOT NULL REFERENCES organizations (id),
    origin         TEXT NOT NULL CHECK (origin IN ('agent', 'api', 'ui')),
    label          TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    archive_sha256 TEXT NOT NULL,
    archive_bytes  BIGINT NOT NULL,
    files          BIGINT NOT NULL,
    bytes          BIGINT NOT NULL,
    skipped        BIGINT NOT NULL,
    skipped_detail TEXT NOT NULL,
    findings       BIGINT NOT NULL,
    flagged_files  BIGINT NOT NULL,
    rules_digest   TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT NOT NULL
);
CREATE INDEX webshell_scans_member ON webshell_scans (member_id, started_at);
CREATE INDEX webshell_scans_started ON webshell_scans (started_at);

-- What a scan found: one row per file and rule. `matches` is a JSON array
-- of the matched strings (id, offset, length, data).
CREATE TABLE webshell_findings (
    scan_id     TEXT NOT NULL REFERENCES webshell_scans (id),
    seq         BIGINT NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    description TEXT NOT NULL,
    matches     TEXT NOT NULL,
    alert_id    TEXT,
    PRIMARY KEY (scan_id, seq)
);
CREATE INDEX webshell_findings_sha256 ON webshell_findings (sha256);
