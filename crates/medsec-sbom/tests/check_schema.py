"""The official JSON schemas as an oracle: CycloneDX `bom-1.x.schema.json`
(by the document's specVersion) and the SPDX 2.3 JSON schema.

Usage: check_schema.py CDX_SCHEMA_DIR SPDX_SCHEMA FILE...
Prints `VALID <file>` or `INVALID <file>: <first error>` per file.
"""

import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource


def main() -> None:
    cdx_dir, spdx_schema, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    resources = []
    schemas = {}
    for p in pathlib.Path(cdx_dir).glob("*.schema.json"):
        s = json.loads(p.read_text(encoding="utf-8"))
        schemas[p.name] = s
        if "$id" in s:
            resources.append((s["$id"], Resource.from_contents(s)))
    registry = Registry().with_resources(resources)
    spdx = json.loads(pathlib.Path(spdx_schema).read_text(encoding="utf-8"))
    for path in files:
        try:
            doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        except ValueError as e:
            print(f"INVALID {path}: not JSON: {e}")
            continue
        if isinstance(doc, dict) and "spdxVersion" in doc:
            schema = spdx
        else:
            version = doc.get("specVersion") if isinstance(doc, dict) else None
            schema = schemas.get(f"bom-{version}.schema.json", schemas["bom-1.6.schema.json"])
        cls = jsonschema.validators.validator_for(schema)
        errors = sorted(
            cls(schema, registry=registry).iter_errors(doc), key=lambda e: list(e.path)
        )
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path)
            print(f"INVALID {path}: {where}: {e.message[:300]}")
        else:
            print(f"VALID {path}")


if __name__ == "__main__":
    main()
