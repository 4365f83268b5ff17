-- Sustain at portfolio scale (1,000 releases × 1,000 components, about
-- 10 million findings): indexes that serve the first page of every order
-- of the findings list without sorting, a count per release and level
-- kept up to date by every write, and the lookup of findings by
-- vulnerability for the incremental re-match.

-- Each order's index ends with the list's tie-breakers, so that a page is
-- read from the index in order instead of sorting every open finding.
DROP INDEX findings_priority;
DROP INDEX findings_level;
DROP INDEX findings_epss;
DROP INDEX findings_kev;
DROP INDEX findings_seen;
CREATE INDEX findings_priority ON findings (org_id, state, priority10 DESC, release_id, component, vuln_id);
CREATE INDEX findings_level ON findings (org_id, state, level DESC, cvss10 DESC, release_id, component, vuln_id);
CREATE INDEX findings_epss ON findings (org_id, state, epss100k DESC, release_id, component, vuln_id);
CREATE INDEX findings_kev ON findings (org_id, state, kev DESC, priority10 DESC, release_id, component, vuln_id);
CREATE INDEX findings_seen ON findings (org_id, state, first_seen DESC, release_id, component, vuln_id);

-- Which releases a changed vulnerability record concerns.
CREATE INDEX findings_vuln ON findings (vuln_id);

-- The few findings a VEX statement suppresses: those whose suppression
-- may have expired are counted from here, the others from the counts.
CREATE INDEX findings_suppressed ON findings (org_id, suppressed_until) WHERE suppressed_until IS NOT NULL;
-- The findings a VEX statement applies to (suppressed_until is only ever
-- set with vex), which a release without statements clears.
CREATE INDEX findings_vex ON findings (release_id) WHERE vex IS NOT NULL;

-- Open findings per release and level that no VEX statement suppresses
-- (suppressed_until IS NULL), rewritten for the release in the same
-- transaction as every change of its findings (a match, applying VEX).
CREATE TABLE release_finding_counts (
    release_id TEXT NOT NULL REFERENCES releases (id),
    org_id     TEXT NOT NULL,
    level      INTEGER NOT NULL,
    open       INTEGER NOT NULL,
    kev        INTEGER NOT NULL,
    PRIMARY KEY (release_id, level)
);
CREATE INDEX release_finding_counts_org ON release_finding_counts (org_id);
INSERT INTO release_finding_counts (release_id, org_id, level, open, kev)
    SELECT release_id, org_id, level, COUNT(*), SUM(kev) FROM findings
    WHERE state = 'open' AND suppressed_until IS NULL
    GROUP BY release_id, org_id, level;
