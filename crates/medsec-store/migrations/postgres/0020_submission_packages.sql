-- Assure: the submission package attached to a submission round, which the
-- reviewing organisation opens read-only (reviewer mode).
-- The ZIP itself is an evidence row of the manufacturer (once per content,
-- as scan reports keep their SARIF files); this row says which round it
-- belongs to, how it came (built by medsec at submission, or uploaded as
-- built by `medsec package build`) and what its manifest says.
-- Both organisations are named so every read can be scoped to one of them.

CREATE TABLE submission_packages (
    submission_id   TEXT PRIMARY KEY REFERENCES submissions (id),
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    reviewer_org_id TEXT NOT NULL REFERENCES organizations (id),
    layout          TEXT NOT NULL,
    evidence_id     TEXT NOT NULL REFERENCES evidence (id),
    sha256          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    manifest        TEXT NOT NULL,
    gaps            BIGINT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('built', 'uploaded')),
    attached_by     TEXT NOT NULL,
    attached_at     BIGINT NOT NULL
);
CREATE INDEX submission_packages_org ON submission_packages (org_id);
CREATE INDEX submission_packages_reviewer ON submission_packages (reviewer_org_id);
