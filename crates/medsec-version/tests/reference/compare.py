"""Compares pairs of versions with the reference implementations that
medsec-version's property tests check it against.

Usage: compare.py SCHEME FILE

Each line of FILE is `a<TAB>b`; prints one line per pair: -1, 0 or 1 as
a < b, a == b or a > b, or `error: ...` when the reference rejects one
of the versions. SCHEME is `pep440` (packaging.version.Version) or one
of univers' version classes: maven, nuget, rubygems, rpm, alpine, go,
semver.
"""

import sys


def reference(scheme):
    if scheme == "pep440":
        from packaging.version import Version

        return Version
    from univers import versions

    return {
        "maven": versions.MavenVersion,
        "nuget": versions.NugetVersion,
        "rubygems": versions.RubygemsVersion,
        "rpm": versions.RpmVersion,
        "alpine": versions.AlpineLinuxVersion,
        "go": versions.GolangVersion,
        "semver": versions.SemverVersion,
    }[scheme]


def main():
    scheme, path = sys.argv[1], sys.argv[2]
    version = reference(scheme)
    out = []
    with open(path, encoding="utf-8") as pairs:
        for line in pairs:
            a, b = line.rstrip("\n").split("\t")
            try:
                x, y = version(a), version(b)
                out.append(str((x > y) - (x < y)))
            except Exception as e:  # noqa: BLE001 - any rejection is an answer
                message = str(e).replace("\n", " ")
                out.append(f"error: {type(e).__name__}: {message}")
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
