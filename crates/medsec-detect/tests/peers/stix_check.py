"""The reference view of STIX indicators for tests/it/stix_peer.rs.

Reads a JSON request on standard input:

    {"bundles": ["path", ...], "patterns": ["[ipv4-addr:value = '...']", ...]}

and writes one JSON object on standard output:

- "bundles": per path, whether stix2-validator (STIX 2.1) finds it valid,
  with its errors;
- "patterns": per pattern, whether stix2patterns' `Pattern(...)` parses it
  ("ok", else "error"), the errors of its validator (`run_validator`:
  the grammar plus hash formats and duplicate qualifiers), and what
  `Pattern(...).inspect()` reports: the comparisons (object type, path,
  operator, the literal's text, and the values it stands for: a string
  literal unescaped, each item of a set), the operators between
  observations and the qualifiers.
"""

import json
import sys

from stix2patterns.exceptions import ParseException
from stix2patterns.inspector import INDEX_STAR
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator


def unescape(literal):
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def values(raw):
    """The values a literal's text stands for: strings unescaped, a set's items."""
    if raw.startswith("'"):
        return [unescape(raw)]
    if not raw.startswith("("):
        return [raw]
    items, i, inner = [], 0, raw[1:-1]
    while i < len(inner):
        if inner[i] == "'":
            j = i + 1
            while inner[j] != "'":
                j += 2 if inner[j] == "\\" else 1
            items.append(unescape(inner[i : j + 1]))
            i = j + 1
        else:
            j = inner.find(",", i)
            j = len(inner) if j < 0 else j
            items.append(inner[i:j])
            i = j
        if i < len(inner) and inner[i] == ",":
            i += 1
    return items


def step(s):
    if s is INDEX_STAR:
        return ["star"]
    if isinstance(s, int):
        return ["index", str(s)]
    return ["key", s]


def pattern_report(text):
    out = {"pattern": text}
    try:
        out["validator"] = run_validator(text, stix_version="2.1")
    except Exception as e:  # the validator itself failing is reported, not fatal
        out["validator"] = ["crashed: %r" % e]
    try:
        p = Pattern(text)
    except ParseException as e:
        out["ok"] = False
        out["error"] = str(e)
        return out
    out["ok"] = True
    try:
        data = p.inspect()
    except Exception as e:  # e.g. a negative list index
        out["inspect_error"] = repr(e)
        return out
    comparisons = []
    for obj_type, comps in data.comparisons.items():
        for path, op, raw in comps:
            comparisons.append([obj_type, [step(s) for s in path], op, raw, values(raw)])
    out["comparisons"] = comparisons
    out["observation_ops"] = sorted(data.observation_ops)
    out["qualifiers"] = sorted(data.qualifiers)
    return out


def bundle_report(path):
    import stix2validator

    results = stix2validator.validate_file(
        path, stix2validator.ValidationOptions(version="2.1")
    )
    errors = []
    for o in results.object_results:
        errors.extend(str(e) for e in o.errors)
    if getattr(results, "fatal", None):
        errors.append(str(results.fatal))
    return {"path": path, "valid": bool(results.is_valid), "errors": errors}


def main():
    request = json.load(sys.stdin)
    report = {
        "patterns": [pattern_report(p) for p in request.get("patterns", [])],
        "bundles": [bundle_report(b) for b in request.get("bundles", [])],
    }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
