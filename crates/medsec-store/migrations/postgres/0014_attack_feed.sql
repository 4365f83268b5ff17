-- Feeds: MITRE ATT&CK (enterprise, ICS) techniques, tactics, groups and
-- software are stored as feed records of kind `attack`, so the server
-- names the techniques of alerts without reading files at run time.
ALTER TABLE feed_records DROP CONSTRAINT feed_records_kind_check;
ALTER TABLE feed_records ADD CONSTRAINT feed_records_kind_check
    CHECK (kind IN ('osv', 'nvd', 'rustsec', 'csaf', 'kev', 'epss', 'attack'));
