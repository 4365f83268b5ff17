"""Validates Threat Dragon v2 models against Threat Dragon's own schema
with the `jsonschema` package, the way Threat Dragon's Ajv reads it:
draft-07 with OpenAPI's `"nullable": true` honoured. The schema types the
threats of a cell at the cell (`cells[].threats`) while Threat Dragon keeps
them in `cells[].data.threats`; every threat found there is validated
against the schema's threat definition too.

Usage: check_schema.py SCHEMA < DOCUMENTS
DOCUMENTS is a JSON object mapping names to models. Prints "ok NAME" per
valid model and "error NAME PATH: MESSAGE" per problem; exits with status
1 if there was any. Run by the Rust tests in tests/it (MEDSEC_TEST_PYTHON).
"""

import json
import sys

from jsonschema import Draft7Validator, validators


def nullable_type(validator, types, instance, schema):
    if instance is None and schema.get("nullable") is True:
        return
    yield from Draft7Validator.VALIDATORS["type"](validator, types, instance, schema)


def main(schema_path: str) -> int:
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft7Validator.check_schema(schema)
    Validator = validators.extend(Draft7Validator, {"type": nullable_type})
    model = Validator(schema)
    cell = schema["properties"]["detail"]["properties"]["diagrams"]["items"]["properties"]["cells"]["items"]
    threat = Validator(cell["properties"]["threats"]["items"])
    documents = json.load(sys.stdin)
    failed = False
    for name, doc in documents.items():
        errors = [(e.json_path, e.message) for e in model.iter_errors(doc)]
        for d, diagram in enumerate(doc.get("detail", {}).get("diagrams", [])):
            for c, item in enumerate(diagram.get("cells", [])):
                data = item.get("data") if isinstance(item, dict) else None
                threats = data.get("threats", []) if isinstance(data, dict) else []
                for t, value in enumerate(threats or []):
                    where = f"$.detail.diagrams[{d}].cells[{c}].data.threats[{t}]"
                    errors += [(where + e.json_path[1:], e.message) for e in threat.iter_errors(value)]
        if errors:
            failed = True
            for path, message in errors:
                print(f"error {name} {path}: {message}")
        else:
            print(f"ok {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
