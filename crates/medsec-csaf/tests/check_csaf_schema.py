"""Validates CSAF documents against the CSAF 2.0 JSON schema with the
`jsonschema` package, formats included (date-time, uri), offline: the
FIRST CVSS schemas the CSAF schema refers to by URL are loaded from the
local copies next to it into a `referencing` registry.

Usage: check_csaf_schema.py SCHEMA_DIR DOCUMENT...
SCHEMA_DIR holds csaf_json_schema.json and referenced_first/. Prints
"ok N" when every document is valid; otherwise every error with its path
and exits with status 1.
Run by the Rust test `written_vex_is_valid_by_the_schema`
(MEDSEC_TEST_PYTHON).
"""

import json
import pathlib
import sys

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource


def registry(schema_dir: pathlib.Path) -> Registry:
    resources = []
    for path in sorted((schema_dir / "referenced_first").glob("cvss-v*.json")):
        if path.stem.endswith("_strict"):
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents)
        # The draft-04/07 schemas name themselves with a `?date` suffix that
        # the CSAF schema's references leave out: register both, so that
        # their own `#/definitions/...` references resolve as well.
        own = contents.get("$id") or contents["id"]
        resources += [(own, resource), (own.split("?")[0], resource)]
    if len(resources) != 6:
        sys.exit(f"expected the three FIRST CVSS schemas in {schema_dir}/referenced_first")
    return Registry().with_resources(resources)


def main(schema_dir: str, documents: list[str]) -> None:
    base = pathlib.Path(schema_dir)
    schema = json.loads((base / "csaf_json_schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(
        schema, registry=registry(base), format_checker=FormatChecker()
    )
    # The format checks must really run, or "valid" would mean less.
    for fmt in ("date-time", "uri"):
        if fmt not in validator.format_checker.checkers:
            sys.exit(f"jsonschema cannot check the format {fmt}: install rfc3339-validator and rfc3986-validator")
    failed = False
    for path in documents:
        document = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            failed = True
            print(f"{path}: {error.json_path}: {error.message}")
    if failed:
        sys.exit(1)
    print(f"ok {len(documents)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
