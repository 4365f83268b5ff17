"""Validates CycloneDX 1.6 documents with cyclonedx-python-lib.

Usage: check_cyclonedx.py json|xml FILE...
Prints `INVALID <file>: <error>` per invalid file and `checked <n>` last.
"""

import functools
import sys

import jsonschema._format as formats
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator

# Without rfc3987 installed (scripts/test-requirements.txt installs it),
# jsonschema checks IRIs with an Earley parser at ~0.25 s a URL; caching the
# answer per URL changes nothing but the time.
if hasattr(formats, "_rfc3987_is_valid_syntax"):
    formats._rfc3987_is_valid_syntax = functools.lru_cache(maxsize=None)(
        formats._rfc3987_is_valid_syntax
    )


def main() -> None:
    kind, files = sys.argv[1], sys.argv[2:]
    if kind == "json":
        validator = JsonStrictValidator(SchemaVersion.V1_6)
    else:
        validator = XmlValidator(SchemaVersion.V1_6)
    for path in files:
        with open(path, encoding="utf-8") as f:
            error = validator.validate_str(f.read())
        if error is not None:
            print(f"INVALID {path}: {str(error)[:2000]}")
    print(f"checked {len(files)}")


if __name__ == "__main__":
    main()
