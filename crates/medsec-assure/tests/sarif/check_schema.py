"""Validates SARIF files against the OASIS SARIF 2.1.0 JSON schema
(sarif-schema-2.1.0.json, draft-04) with the `jsonschema` package.

Usage: check_schema.py SCHEMA FILE...
Prints "ok NAME" for a valid file and "error NAME PATH: MESSAGE" for each
problem (a file that is not JSON gives one error at `$`). Always exits 0
when it could run: the Rust tests in tests/it decide what is expected.
Run by tests/it/sarif.rs through MEDSEC_TEST_PYTHON.
"""

import json
import os
import sys

from jsonschema import Draft4Validator


def main(schema_path, files):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft4Validator.check_schema(schema)
    validator = Draft4Validator(schema)
    for path in files:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8-sig") as f:
                doc = json.load(f)
        except ValueError as e:
            print(f"error {name} $: not JSON: {e}")
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: e.json_path)
        if not errors:
            print(f"ok {name}")
        for e in errors:
            print(f"error {name} {e.json_path}: {e.message[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
