"""The SQLite evaluator of the Sigma comparison (tests/it/peers.rs).

Converts every rule under RULES with sigma-cli's SQLite backend
(pySigma-backend-sqlite, zircolite output: one SQL query per rule, with
the rule's id), loads the flat events of EVENTS (NDJSON, one object per
line, each with an `idx`) into a SQLite table `logs` whose columns are the
events' field names, runs every query and prints one JSON line per hit,
`{"rule_id": …, "idx": …}`, and one line per rule it could not convert or
run, `{"rule_id": …, "error": …}`. `REGEXP` is Python's `re.search`, as
Zircolite (the tool the zircolite output format is made for) defines it.

    python sqlite_eval.py RULES EVENTS [--summary]

With `--summary` (the benchmark, crates/medsec-bench/src/sigma.rs) it
prints only one JSON object: the hits and rules run, and the seconds spent
converting, loading the events and running the queries.
"""

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    rules, events_path = Path(sys.argv[1]), Path(sys.argv[2])
    summary = "--summary" in sys.argv[3:]
    emit = (lambda obj: None) if summary else (lambda obj: print(json.dumps(obj)))
    t0 = time.perf_counter()
    files = sorted(str(p) for p in rules.rglob("*.yml"))
    sigma = str(Path(sys.executable).with_name("sigma"))
    conv = subprocess.run(
        [sigma, "convert", "-t", "sqlite", "-f", "zircolite", "--without-pipeline",
         "--skip-unsupported", *files],
        capture_output=True, text=True, check=True,
    )
    start = conv.stdout.index("[")
    converted = json.loads(conv.stdout[start:])
    seen = {r["id"] for r in converted}
    errors = 0
    for f in files:
        text = Path(f).read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("id:"):
                rid = line[3:].strip().strip("'\"")
                if rid not in seen:
                    emit({"rule_id": rid, "error": "not converted"})
                    errors += 1
                break
    t1 = time.perf_counter()

    events = [json.loads(l) for l in events_path.read_text(encoding="utf-8").splitlines() if l]
    columns = sorted({k for e in events for k in e})
    db = sqlite3.connect(":memory:")
    # SQLite has the REGEXP operator but no function behind it; the
    # backend's queries use it for `|re` (Zircolite registers it too).
    db.create_function(
        "regexp", 2,
        lambda pattern, value: value is not None and re.search(pattern, str(value)) is not None,
        deterministic=True,
    )
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    db.execute(f"CREATE TABLE logs ({quoted})")
    marks = ", ".join("?" for _ in columns)
    for e in events:
        db.execute(f"INSERT INTO logs ({quoted}) VALUES ({marks})",
                   [e.get(c) if not isinstance(e.get(c), (dict, list)) else json.dumps(e.get(c))
                    for c in columns])
    t2 = time.perf_counter()
    hits = 0
    for r in converted:
        for query in r["rule"]:
            sql = query.replace("SELECT * FROM logs", "SELECT idx FROM logs", 1)
            rows = None
            while rows is None:
                try:
                    rows = db.execute(sql).fetchall()
                except sqlite3.OperationalError as err:
                    # A field no event has: an empty column, as in a log
                    # table that has it for other events.
                    missing = str(err).removeprefix("no such column: ")
                    if missing == str(err):
                        emit({"rule_id": r["id"], "error": str(err)})
                        errors += 1
                        break
                    db.execute('ALTER TABLE logs ADD COLUMN "' + missing.replace('"', '""') + '"')
            if rows is None:
                continue
            for (idx,) in rows:
                hits += 1
                emit({"rule_id": r["id"], "idx": idx})
    t3 = time.perf_counter()
    if summary:
        print(json.dumps({
            "rules": len(converted), "errors": errors, "hits": hits, "events": len(events),
            "convert_secs": t1 - t0, "load_secs": t2 - t1, "query_secs": t3 - t2,
        }))


if __name__ == "__main__":
    main()
