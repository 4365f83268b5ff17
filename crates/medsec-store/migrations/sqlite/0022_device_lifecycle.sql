-- Assure: the manufacturer's lifecycle commitments for a device, as the
-- files the command line takes (`medsec package build --tplc`,
-- `--support`): the TPLC cybersecurity management plan (TOML) and the
-- support level and end of support of each SBOM component (TOML or CSV).
-- Kept as uploaded, checked by medsec-package's readers on upload, and
-- read into every submission package the server builds.
CREATE TABLE device_lifecycle_documents (
    device_id  TEXT NOT NULL REFERENCES devices (id),
    kind       TEXT NOT NULL CHECK (kind IN ('tplc', 'support')),
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    filename   TEXT NOT NULL,
    content    TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, kind)
);
CREATE INDEX device_lifecycle_documents_org ON device_lifecycle_documents (org_id);
