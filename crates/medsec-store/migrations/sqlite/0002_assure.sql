-- Assure: device profiles, MFDS checklists with their field-level history,
-- evidence files, and the review of submitted checklists.
-- Profiles, overrides, workspaces and snapshots are JSON documents written
-- by medsec-assure; `revision` guards concurrent edits.

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    product          TEXT NOT NULL,
    model            TEXT NOT NULL,
    software_version TEXT NOT NULL,
    profile          TEXT NOT NULL,
    overrides        TEXT NOT NULL,
    revision         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (org_id, product, model, software_version)
);

CREATE TABLE checklists (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    device_id  TEXT NOT NULL REFERENCES devices (id),
    catalog    TEXT NOT NULL,
    edition    TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'changes-requested', 'accepted')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (device_id, catalog)
);
CREATE INDEX checklists_org ON checklists (org_id);

CREATE TABLE checklist_changes (
    checklist_id TEXT NOT NULL REFERENCES checklists (id),
    revision     INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    item         TEXT NOT NULL,
    field        TEXT NOT NULL,
    old_value    TEXT NOT NULL,
    new_value    TEXT NOT NULL,
    actor_id     TEXT,
    actor        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (checklist_id, revision, n)
);

CREATE TABLE evidence (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    sha256       TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, sha256)
);

CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    checklist_id    TEXT NOT NULL REFERENCES checklists (id),
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    reviewer_org_id TEXT NOT NULL REFERENCES organizations (id),
    round           INTEGER NOT NULL,
    snapshot        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'changes-requested', 'accepted', 'superseded')),
    submitted_by    TEXT NOT NULL,
    submitted_at    INTEGER NOT NULL,
    decided_by      TEXT,
    decided_at      INTEGER,
    UNIQUE (checklist_id, round)
);
CREATE INDEX submissions_reviewer ON submissions (reviewer_org_id);

CREATE TABLE submission_evidence (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    evidence_id   TEXT NOT NULL REFERENCES evidence (id),
    PRIMARY KEY (submission_id, evidence_id)
);

CREATE TABLE review_comments (
    id            TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    item          TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    author_id     TEXT,
    author        TEXT NOT NULL,
    verdict       TEXT CHECK (verdict IN ('conforming', 'needs-work')),
    body          TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX review_comments_submission ON review_comments (submission_id, at);
