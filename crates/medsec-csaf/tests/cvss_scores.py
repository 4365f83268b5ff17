"""Scores CVSS vectors with the `cvss` package (Red Hat's implementation
of the FIRST specifications), a reference independent of ours.

Reads one vector per line on stdin (`CVSS:3.x/...` or a bare v2 vector)
and prints, per line, the base, temporal and environmental score
separated by spaces.
Run by the Rust test `cvss_scores_agree_with_the_cvss_package`
(MEDSEC_TEST_PYTHON).
"""

import sys

from cvss import CVSS2, CVSS3


def main() -> None:
    for line in sys.stdin:
        vector = line.strip()
        if not vector:
            continue
        scores = CVSS3(vector).scores() if vector.startswith("CVSS:3") else CVSS2(vector).scores()
        print(" ".join("-" if s is None else str(float(s)) for s in scores))


if __name__ == "__main__":
    main()
