-- Premarket documents of a device: the threat model's source, the risk
-- register with the summary of each change, MITRE rubric assessments,
-- SARIF scan reports (the file itself is an `evidence` row, so the
-- traceability matrix finds it by SHA-256) and justifications of
-- unresolved anomalies. Documents are JSON written by medsec-assure;
-- `revision` guards concurrent edits. Every row names its organisation.

-- An imported Threat Dragon model; without a row the model is derived
-- from the device's profile.
CREATE TABLE threat_models (
    device_id  TEXT PRIMARY KEY REFERENCES devices (id),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    source     TEXT NOT NULL CHECK (source IN ('threat-dragon')),
    filename   TEXT NOT NULL,
    original   TEXT NOT NULL,
    model      TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX threat_models_org ON threat_models (org_id);

CREATE TABLE risk_registers (
    device_id  TEXT PRIMARY KEY REFERENCES devices (id),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    register   TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX risk_registers_org ON risk_registers (org_id);

-- What each revision of a register changed, as the user did it.
CREATE TABLE risk_register_changes (
    device_id TEXT NOT NULL REFERENCES risk_registers (device_id),
    revision  INTEGER NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    summary   TEXT NOT NULL,
    actor_id  TEXT,
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (device_id, revision)
);

CREATE TABLE rubric_assessments (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    device_id  TEXT NOT NULL REFERENCES devices (id),
    risk_id    TEXT NOT NULL,
    answers    TEXT NOT NULL,
    vector     TEXT NOT NULL,
    base_score TEXT NOT NULL,
    severity   TEXT NOT NULL,
    rationale  TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX rubric_assessments_risk ON rubric_assessments (device_id, risk_id, created_at);

CREATE TABLE scan_reports (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    device_id     TEXT NOT NULL REFERENCES devices (id),
    test_id       TEXT NOT NULL,
    tool          TEXT NOT NULL,
    evidence_id   TEXT NOT NULL REFERENCES evidence (id),
    report        TEXT NOT NULL,
    findings      INTEGER NOT NULL,
    open_findings INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX scan_reports_device ON scan_reports (device_id, created_at);

CREATE TABLE anomaly_justifications (
    device_id     TEXT NOT NULL REFERENCES devices (id),
    anomaly       TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    justification TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (device_id, anomaly)
);
