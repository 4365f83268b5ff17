"""Scores CVSS vectors with the `cvss` package (Red Hat's implementation
of the FIRST calculators), the reference medsec-cvss is checked against.

Reads one vector per line on stdin and prints one line per vector,
fields separated by tabs:

    ok  VERSION  BASE  TEMPORAL  ENVIRONMENTAL  BASE_SEV  TEMPORAL_SEV  ENVIRONMENTAL_SEV  CLEAN
    error  EXCEPTION_CLASS  MESSAGE

Scores are Python floats (`9.8`), `-` when the package gives none (v2
without temporal or environmental metrics; v4, which has one score, in
BASE); severities are lowercase; CLEAN is the package's `clean_vector()`.
The version is chosen as `cvss.parser.parse_cvss_from_text` does: a
`CVSS:4.` prefix is v4, `CVSS:3.` is v3, anything else v2.

Run by `crates/medsec-cvss/tests/it/conformance.rs` (MEDSEC_TEST_PYTHON).
"""

import sys

import cvss
from cvss import CVSS2, CVSS3, CVSS4


def score(value):
    return "-" if value is None else repr(float(value))


def severity(value, text):
    return "-" if value is None else text.lower()


def line(vector):
    try:
        if vector.startswith("CVSS:4."):
            c = CVSS4(vector)
            version = "4.0"
        elif vector.startswith("CVSS:3."):
            c = CVSS3(vector)
            version = "3." + str(c.minor_version)
        else:
            c = CVSS2(vector)
            version = "2.0"
        scores = list(c.scores()) + [None] * (3 - len(c.scores()))
        severities = list(c.severities()) + [None] * (3 - len(c.severities()))
        fields = [score(s) for s in scores]
        fields += [severity(s, t) for s, t in zip(scores, severities)]
        return "\t".join(["ok", version] + fields + [c.clean_vector()])
    except Exception as e:  # noqa: BLE001 - every refusal is reported
        message = str(e).replace("\t", " ").replace("\n", " ")
        return "\t".join(["error", type(e).__name__, message])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        print(cvss.__version__)
        return
    vectors = sys.stdin.read().split("\n")
    if vectors and vectors[-1] == "":
        vectors.pop()
    out = sys.stdout
    for vector in vectors:
        out.write(line(vector))
        out.write("\n")


if __name__ == "__main__":
    main()
