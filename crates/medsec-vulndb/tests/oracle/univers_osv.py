"""An independent oracle for OSV matching: evaluates the `ranges` and
`versions` of OSV records with the version classes of `univers`, following
the "Evaluation" section of the OSV schema (docs/schema.md of
ossf/osv-schema), written without looking at medsec's Rust code.

Usage: univers_osv.py QUERIES RECORDS...

RECORDS are OSV files: JSON Lines, optionally gzip-compressed (`.gz`).
Each line of QUERIES is `ECOSYSTEM<TAB>PACKAGE<TAB>VERSION`. The oracle
prints one line per query: the ids of the records that affect that
package version, sorted and separated by spaces, then a tab and a
comma-separated list of notes (`invalid-version` when univers rejects the
queried version, so only the `versions` lists could match it).

Only the ecosystems PyPI, npm and Maven are known. Versions:

- `SEMVER` ranges: univers' `SemverVersion` (semantic versioning 2.0),
- `ECOSYSTEM` ranges: `PypiVersion` (PEP 440) for PyPI, `SemverVersion`
  for npm (npm versions are node-semver versions; univers has no npm
  class of its own and uses `SemverVersion` for npm ranges), and
  `MavenVersion` (Maven's ComparableVersion) for Maven,
- `GIT` ranges name commits and are skipped, as the schema's pseudocode
  does,
- a range with an event version the class rejects is skipped (it cannot be
  evaluated), which the oracle reports on standard error.

Package names compare as each ecosystem compares them: PyPI names after
PEP 503 normalisation, npm and Maven names exactly.
"""

import gzip
import json
import re
import sys

from univers.versions import MavenVersion, PypiVersion, SemverVersion


ECOSYSTEM_CLASS = {
    "PyPI": PypiVersion,
    "npm": SemverVersion,
    "Maven": MavenVersion,
}


def package_key(ecosystem, name):
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def parse(cls, text):
    try:
        return cls(text)
    except Exception:  # noqa: BLE001 - any rejection means "not a version"
        return None


class Range:
    """One `ranges[]` entry with its event versions parsed."""

    def __init__(self, cls, events):
        self.cls = cls
        self.events = []  # (version or None for introduced "0", kind)
        self.limits = []  # versions; "*" means no limit
        for event in events:
            (kind, value), = event.items()
            if kind == "limit":
                if "*" in value:
                    self.limits.append(None)
                else:
                    self.limits.append(self.version(value))
            elif kind == "introduced" and value == "0":
                self.events.append((None, kind))
            else:
                self.events.append((self.version(value), kind))
        # sorted(range.events): "0" sorts before every version; Python's
        # sort is stable, so equal versions keep the record's order.
        self.events.sort(key=_SortKey)

    def version(self, text):
        v = parse(self.cls, text)
        if v is None:
            raise ValueError(f"{self.cls.__name__} rejects {text!r}")
        return v

    def before_limits(self, v):
        if not self.limits:
            return True
        return any(limit is None or v < limit for limit in self.limits)

    def includes(self, v):
        if not self.before_limits(v):
            return False
        vulnerable = False
        for version, kind in self.events:
            if kind == "introduced" and (version is None or v >= version):
                vulnerable = True
            elif kind == "fixed" and v >= version:
                vulnerable = False
            elif kind == "last_affected" and v > version:
                vulnerable = False
        return vulnerable


class _SortKey:
    """Orders events by version, "introduced: 0" first."""

    def __init__(self, event):
        self.version = event[0]

    def __lt__(self, other):
        if self.version is None:
            return other.version is not None
        if other.version is None:
            return False
        return self.version < other.version


class Affected:
    def __init__(self, record_id, ecosystem, entry):
        self.id = record_id
        self.ecosystem = ecosystem
        self.versions = list(entry.get("versions") or [])
        self.ranges = []
        for i, r in enumerate(entry.get("ranges") or []):
            kind = r.get("type")
            if kind == "GIT":
                continue
            cls = SemverVersion if kind == "SEMVER" else ECOSYSTEM_CLASS[ecosystem]
            try:
                self.ranges.append(Range(cls, r.get("events") or []))
            except ValueError as e:
                print(f"{record_id}: ranges[{i}] skipped: {e}", file=sys.stderr)

    def includes(self, text):
        """IsVulnerable for one affected entry; the second value says
        whether some class rejected the queried version."""
        if text in self.versions:
            return True, False
        rejected = False
        for r in self.ranges:
            v = parse(r.cls, text)
            if v is None:
                rejected = True
                continue
            if r.includes(v):
                return True, False
        return False, rejected


def load(paths):
    index = {}
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("withdrawn"):
                    continue
                for entry in record.get("affected") or []:
                    package = entry.get("package") or {}
                    ecosystem = package.get("ecosystem", "")
                    if ecosystem not in ECOSYSTEM_CLASS:
                        continue
                    key = (ecosystem, package_key(ecosystem, package.get("name", "")))
                    index.setdefault(key, []).append(Affected(record["id"], ecosystem, entry))
    return index


def main():
    queries, records = sys.argv[1], sys.argv[2:]
    index = load(records)
    out = []
    with open(queries, encoding="utf-8") as lines:
        for line in lines:
            ecosystem, name, version = line.rstrip("\n").split("\t")
            ids = set()
            rejected = False
            for affected in index.get((ecosystem, package_key(ecosystem, name)), []):
                hit, bad = affected.includes(version)
                rejected = rejected or bad
                if hit:
                    ids.add(affected.id)
            notes = "invalid-version" if rejected else ""
            out.append(" ".join(sorted(ids)) + "\t" + notes)
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
