-- Sector crisis levels (사이버 위기경보 단계): the medical ISAC sets one
-- level for every member, with a reason; each change is a row here, the
-- newest being the level in force. Members tick the actions of the
-- built-in checklist of the level in force (`medsec-core/data/crisis.toml`),
-- per change: a new change starts a new checklist.

-- `seq` orders the changes (several may share a millisecond); `set_by_id`
-- is the user who set it (NULL for `medsec crisis set`), `set_by` their
-- user name at the time.
CREATE TABLE crisis_levels (
    id        TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL UNIQUE,
    level     TEXT NOT NULL CHECK (level IN ('normal', 'attention', 'caution', 'alert', 'severe')),
    reason    TEXT NOT NULL,
    org_id    TEXT NOT NULL REFERENCES organizations (id),
    set_by_id TEXT,
    set_by    TEXT NOT NULL,
    set_at    BIGINT NOT NULL
);

-- A member's done actions for one change; an untick deletes the row (the
-- audit log keeps both).
CREATE TABLE crisis_checklist (
    change_id  TEXT NOT NULL REFERENCES crisis_levels (id),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    action_id  TEXT NOT NULL,
    done_by_id TEXT,
    done_by    TEXT NOT NULL,
    done_at    BIGINT NOT NULL,
    PRIMARY KEY (change_id, org_id, action_id)
);
CREATE INDEX crisis_checklist_org ON crisis_checklist (org_id, change_id);
