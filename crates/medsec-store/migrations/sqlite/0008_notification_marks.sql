-- Notifications are read per user, not per organisation: one member
-- marking them read must not hide them from the rest of the team. Each
-- user keeps a mark: every notification of the organisation created at or
-- before it is read for that user.
CREATE TABLE notification_marks (
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    read_until INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
ALTER TABLE notifications DROP COLUMN read_at;
