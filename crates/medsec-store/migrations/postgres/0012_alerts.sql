-- Watch: detection on the live stream and the alerts it raises.

-- Where live detection is in the event store's commit order (the event
-- feed's position, `FILE:OFFSET`) and the correlation state at that
-- point, saved in the same transaction as the alerts of the events
-- before it: after a crash detection resumes here and every event is
-- evaluated exactly once. Tied to this node's event log, so not backed up.
CREATE TABLE detection_state (
    id                TEXT PRIMARY KEY,
    position          TEXT NOT NULL,
    correlation_state TEXT NOT NULL,
    rules_digest      TEXT NOT NULL,
    events            BIGINT NOT NULL,
    hits              BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- An alert: the hits of one rule (or correlation group, or indicator) on
-- one member's events, grouped while the alert is open. `group_key`
-- identifies what is grouped; at most one open alert per key.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL REFERENCES organizations (id),
    group_key       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('informational', 'low', 'medium', 'high', 'critical')),
    attack          TEXT NOT NULL,
    tags            TEXT NOT NULL,
    rule_file       TEXT,
    state           TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'investigating', 'closed')),
    resolution      TEXT CHECK (resolution IN ('true_positive', 'false_positive')),
    assignee_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    hits            BIGINT NOT NULL,
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    acknowledged_at BIGINT,
    closed_at       BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX alerts_open_group ON alerts (group_key) WHERE state <> 'closed';
CREATE INDEX alerts_member_last ON alerts (member_id, last_seen);
CREATE INDEX alerts_last ON alerts (last_seen);
CREATE INDEX alerts_rule ON alerts (rule_id);

-- The first hits of an alert, with the event that completed each (later
-- hits only count in `alerts.hits`).
CREATE TABLE alert_hits (
    alert_id    TEXT NOT NULL REFERENCES alerts (id),
    seq         BIGINT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    event_time  BIGINT NOT NULL,
    detail      TEXT NOT NULL,
    event       TEXT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

-- What people did with an alert: triage, assignment, comments.
CREATE TABLE alert_activity (
    id         TEXT PRIMARY KEY,
    alert_id   TEXT NOT NULL REFERENCES alerts (id),
    at         BIGINT NOT NULL,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    user_id    TEXT,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('state', 'assign', 'comment')),
    detail     TEXT NOT NULL
);
CREATE INDEX alert_activity_alert ON alert_activity (alert_id, at);

-- Tuning: a rule's hits on one member (or every member, NULL) raise no
-- alert, until `expires_at` if set; hits suppressed are counted.
CREATE TABLE alert_suppressions (
    id          TEXT PRIMARY KEY,
    member_id   TEXT REFERENCES organizations (id),
    rule_id     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    suppressed  BIGINT NOT NULL
);
CREATE INDEX alert_suppressions_rule ON alert_suppressions (rule_id);
