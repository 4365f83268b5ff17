"""Validates JSON documents against a JSON schema (draft 2020-12) with
the `jsonschema` package, formats included, offline.

Usage: check_schema.py SCHEMA DOCUMENT...
SCHEMA is the OpenVEX schema or the CSAF 2.0 schema; for CSAF, the FIRST
CVSS schemas it refers to by URL are loaded from `referenced_first/` next
to it into a `referencing` registry. Prints "ok N" when every document is
valid; otherwise every error with its path, and exits with status 1.
Run by the tests of medsec-vex (MEDSEC_TEST_PYTHON).
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
        # The FIRST schemas name themselves with a `?date` suffix that the
        # CSAF schema's references leave out: register both.
        own = contents.get("$id") or contents["id"]
        resources += [(own, resource), (own.split("?")[0], resource)]
    return Registry().with_resources(resources)


def main(schema_path: str, documents: list[str]) -> None:
    path = pathlib.Path(schema_path)
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(
        schema, registry=registry(path.parent), format_checker=FormatChecker()
    )
    # The format checks must really run, or "valid" would mean less.
    for fmt in ("date-time", "uri", "iri"):
        if fmt not in validator.format_checker.checkers:
            sys.exit(f"jsonschema cannot check the format {fmt}: install jsonschema[format-nongpl]")
    failed = False
    for doc in documents:
        document = json.loads(pathlib.Path(doc).read_text(encoding="utf-8"))
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            failed = True
            print(f"{doc}: {error.json_path}: {error.message}")
    if failed:
        sys.exit(1)
    print(f"ok {len(documents)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
