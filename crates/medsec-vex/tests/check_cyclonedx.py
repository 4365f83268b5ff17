"""Validates CycloneDX 1.6 documents with cyclonedx-python-lib, the
reference library: JSON with the strict JSON schema, XML with the XSD.

Usage: check_cyclonedx.py json|xml FILE...
Prints "ok N" when every file is valid; otherwise `INVALID <file>:
<error>` per invalid file, and exits with status 1.
Run by the tests of medsec-vex (MEDSEC_TEST_PYTHON).
"""

import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator


def main() -> None:
    kind, files = sys.argv[1], sys.argv[2:]
    version = SchemaVersion.from_version("1.6")
    validator = JsonStrictValidator(version) if kind == "json" else XmlValidator(version)
    failed = False
    for path in files:
        with open(path, encoding="utf-8") as f:
            error = validator.validate_str(f.read())
        if error is not None:
            failed = True
            print(f"INVALID {path}: {str(error)[:2000]}")
    if failed:
        sys.exit(1)
    print(f"ok {len(files)}")


if __name__ == "__main__":
    main()
