-- watch: incidents (roles, timeline, affected members and devices, evidence, tasks, sharing)
--
-- An incident (침해사고) is owned by the organisation that opened it: the
-- ISAC (from alerts or on its own) or a hospital (신고). The owner
-- manages it (status, fields, members, roles, sharing); organisations it
-- is shared with read it and add notes, evidence, tasks and devices.
-- A hospital's incident is shared with the ISAC when `isac_shared_at` is
-- set (the hospital reports it); an ISAC incident is shared with each
-- affected member when that member's `incident_members.shared_at` is set.
-- Statuses follow ISO/IEC 27035's phases: reported (감지 및 보고),
-- assessing (평가 및 결정), responding (대응: 억제·근절), recovering (복구),
-- lessons (교훈), closed; rejected = judged not to be an incident.
CREATE TABLE incidents (
    id             TEXT PRIMARY KEY,
    owner_org_id   TEXT NOT NULL REFERENCES organizations (id),
    title          TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN ('malware', 'ransomware', 'intrusion', 'webshell', 'defacement', 'ddos', 'data_breach', 'phishing', 'account_compromise', 'device_compromise', 'other')),
    severity       TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status         TEXT NOT NULL CHECK (status IN ('reported', 'assessing', 'responding', 'recovering', 'lessons', 'closed', 'rejected')),
    summary        TEXT NOT NULL,
    impact         TEXT NOT NULL,
    cause          TEXT NOT NULL,
    response       TEXT NOT NULL,
    prevention     TEXT NOT NULL,
    lessons        TEXT NOT NULL,
    detected_at    BIGINT NOT NULL,
    isac_shared_at BIGINT,
    created_by_id  TEXT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    closed_at      BIGINT
);
CREATE INDEX incidents_owner ON incidents (owner_org_id, updated_at);
CREATE INDEX incidents_updated ON incidents (updated_at);

-- The members (hospitals) an incident affects; `shared_at` when the
-- incident was shared with that member (NULL: not shared).
CREATE TABLE incident_members (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    member_id   TEXT NOT NULL REFERENCES organizations (id),
    shared_at   BIGINT,
    added_by    TEXT NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, member_id)
);
CREATE INDEX incident_members_member ON incident_members (member_id);

-- Affected medical devices: a member's inventory device, or described.
CREATE TABLE incident_devices (
    id                  TEXT PRIMARY KEY,
    incident_id         TEXT NOT NULL REFERENCES incidents (id),
    member_id           TEXT NOT NULL REFERENCES organizations (id),
    inventory_device_id TEXT REFERENCES inventory_devices (id) ON DELETE SET NULL,
    asset_tag           TEXT NOT NULL,
    model               TEXT NOT NULL,
    manufacturer        TEXT NOT NULL,
    note                TEXT NOT NULL,
    org_id              TEXT NOT NULL REFERENCES organizations (id),
    added_by            TEXT NOT NULL,
    added_at            BIGINT NOT NULL
);
CREATE INDEX incident_devices_incident ON incident_devices (incident_id);

-- The response team (ISO/IEC 27035 roles, IMDRF N60 annex A): a user of
-- an organisation that sees the incident, or a named outside expert.
CREATE TABLE incident_roles (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    role        TEXT NOT NULL CHECK (role IN ('manager', 'planning', 'monitoring', 'response', 'execution', 'analysis', 'external')),
    user_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    org_id      TEXT REFERENCES organizations (id),
    contact     TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    BIGINT NOT NULL
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id);

-- Alerts the incident came from or that belong to it.
CREATE TABLE incident_alerts (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    alert_id    TEXT NOT NULL REFERENCES alerts (id),
    linked_by   TEXT NOT NULL,
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts (alert_id);

-- Tasks: for an organisation that sees the incident, optionally one of
-- its users, with a due date.
CREATE TABLE incident_tasks (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq         BIGINT NOT NULL,
    title       TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    due_at      BIGINT,
    done_at     BIGINT,
    done_by     TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (incident_id, seq)
);

-- Evidence files with their SHA-256, who brought them and when (chain of
-- custody; every download is audited).
CREATE TABLE incident_evidence (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BYTEA NOT NULL,
    description  TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX incident_evidence_incident ON incident_evidence (incident_id);

-- What happened when: notes written by people (`at` is when it happened)
-- and every change, written with the change.
CREATE TABLE incident_timeline (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    org_id      TEXT REFERENCES organizations (id),
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (incident_id, seq)
);

-- Issued reports: the PDF as it was issued, immutable, with its SHA-256.
CREATE TABLE incident_reports (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version     BIGINT NOT NULL,
    lang        TEXT NOT NULL,
    status      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    pdf         BYTEA NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (incident_id, version)
);
