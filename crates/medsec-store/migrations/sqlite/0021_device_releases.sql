-- Assure and sustain joined: the release (with its SBOM and findings) a
-- device ships as its software. At most one per device; the release must
-- be the device's organisation's (checked when linking). The release's
-- open findings feed the device's risk register, test evidence, trace
-- and submission package, and its support date is the device's end of
-- support.
CREATE TABLE device_releases (
    device_id  TEXT PRIMARY KEY REFERENCES devices (id),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    release_id TEXT NOT NULL REFERENCES releases (id),
    linked_by  TEXT NOT NULL,
    linked_at  INTEGER NOT NULL
);
CREATE INDEX device_releases_org ON device_releases (org_id);
CREATE INDEX device_releases_release ON device_releases (release_id);
