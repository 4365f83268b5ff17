-- A release component that is the project's own package (a lock file's
-- path dependency or workspace member) is kept as such, so a re-match
-- from the stored components skips it as the first match did.
ALTER TABLE release_components ADD COLUMN local BOOLEAN NOT NULL DEFAULT FALSE;
