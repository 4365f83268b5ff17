//! The same hits as two independent evaluators, on the same rules and
//! events: the `rsigma` CLI (crates.io, `MEDSEC_TEST_RSIGMA`) and the rules
//! converted to SQL by sigma-cli with pySigma-backend-sqlite and run in
//! SQLite (`MEDSEC_TEST_PYTHON`'s environment; `tests/peers/sqlite_eval.py`).
//!
//! Rules: every SigmaHQ rule that has regression events (more than 200).
//! Events: all of the regression events (EVTX records as JSON). medsec
//! reads them as it reads any Windows event log (the `windows-json`
//! decoder, then the rules' view of the normalised event); the peers get
//! the same records flattened as their documentation asks (`System`'s
//! `EventID`, `Channel`, `Provider_Name`, `Computer` and the `EventData`
//! and `UserData` fields at the top level). Every rule is evaluated on
//! every event (no logsource routing: neither peer does it), and every
//! (rule, event) pair on which the evaluators disagree must be explained
//! below, else the test fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use medsec_detect::{Detector, Options, RuleSet, SigmaDetector};
use medsec_logs::{Decoders, Format, Masker, Normalizer, Outcome, SourceConfig};
use serde_json::{Map, Value as Json};

use crate::data_dir;

/// A hit: (rule id, event index).
type Hits = BTreeSet<(String, usize)>;

/// Differences and why: (evaluator, rule id, reason).
const EXPLAINED: &[(&str, &str, &str)] = &[
    (
        "rsigma",
        "a7c3e5f2-8b1d-4e9a-b6c2-3d7f5e8a9b4c",
        "Microsoft Defender writes its EventData names with spaces (`Source Name`, `Process Name`); \
         the rule uses them without (`SourceName`, `ProcessName`), as Sigma's Windows taxonomy does. \
         medsec answers a name without spaces from the spaced one (docs/detection.md); the flat \
         events the peers get keep Defender's names, so they cannot match.",
    ),
    (
        "sqlite",
        "a7c3e5f2-8b1d-4e9a-b6c2-3d7f5e8a9b4c",
        "as for rsigma: Defender's spaced EventData names",
    ),
];

fn tool(var: &str, require: &str, test: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            assert!(
                std::env::var_os(require).is_none(),
                "{test}: {require} is set but {var} is not"
            );
            eprintln!("{test}: skipped, {var} is not set");
            None
        }
    }
}

/// A regression record's EVTX JSON documents.
fn documents(record: &Json) -> Vec<Json> {
    let mut out = Vec::new();
    for ev in record["events"].as_array().into_iter().flatten() {
        match ev["format"].as_str() {
            Some("json") => out.push(ev["data"].clone()),
            Some("json-multi") => out.extend(ev["data"].as_array().cloned().unwrap_or_default()),
            _ => {}
        }
    }
    out
}

fn text_of(v: &Json) -> Json {
    match v {
        Json::Object(m) => m.get("#text").cloned().unwrap_or(Json::Null),
        other => other.clone(),
    }
}

/// An EVTX JSON record flattened as the peers read Windows events.
fn flatten(doc: &Json, idx: usize) -> Json {
    let event = &doc["Event"];
    let system = &event["System"];
    let mut m = Map::new();
    m.insert("idx".into(), idx.into());
    m.insert("EventID".into(), text_of(&system["EventID"]));
    m.insert("Channel".into(), system["Channel"].clone());
    m.insert("Computer".into(), system["Computer"].clone());
    m.insert(
        "Provider_Name".into(),
        system["Provider"]["#attributes"]["Name"].clone(),
    );
    if let Some(data) = event["EventData"].as_object() {
        for (k, v) in data {
            if k != "#attributes" {
                m.insert(k.clone(), text_of(v));
            }
        }
    }
    if let Some(user) = event["UserData"].as_object() {
        for inner in user.values() {
            for (k, v) in inner.as_object().into_iter().flatten() {
                if k != "#attributes" {
                    m.insert(k.clone(), text_of(v));
                }
            }
        }
    }
    Json::Object(m)
}

#[test]
fn same_hits_as_rsigma_and_sqlite() {
    let test = "same_hits_as_rsigma_and_sqlite";
    let Some(data) = data_dir() else {
        eprintln!("{test}: skipped, the data is missing (set MEDSEC_DATA)");
        return;
    };
    let Some(rsigma) = tool("MEDSEC_TEST_RSIGMA", "MEDSEC_REQUIRE_RSIGMA", test) else {
        return;
    };
    let Some(python) = tool("MEDSEC_TEST_PYTHON", "MEDSEC_REQUIRE_PYTHON", test) else {
        return;
    };
    let sigma = data.join("sigma");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();

    // The rules with regression events, and the events.
    let file = std::fs::File::open(sigma.join("regression_events.jsonl.gz")).unwrap();
    let mut docs: Vec<Json> = Vec::new();
    let mut rule_paths = BTreeSet::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let record: Json = serde_json::from_str(&line.unwrap()).unwrap();
        let d = documents(&record);
        if d.is_empty() {
            continue;
        }
        rule_paths.insert(record["rule_path"].as_str().unwrap().to_owned());
        docs.extend(d);
    }
    for (i, p) in rule_paths.iter().enumerate() {
        let name = Path::new(p).file_name().unwrap().to_string_lossy();
        std::fs::copy(sigma.join(p), rules.join(format!("{i:03}_{name}"))).unwrap();
    }
    let flat: String = docs
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}\n", flatten(d, i)))
        .collect();
    let events = dir.path().join("events.ndjson");
    std::fs::write(&events, flat).unwrap();

    // medsec.
    let set = RuleSet::load(std::slice::from_ref(&rules), Vec::new()).unwrap();
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    assert!(set.rules.len() >= 200, "{} rules", set.rules.len());
    let mut detector = SigmaDetector::new(
        &set,
        Options {
            logsource_routing: false,
            include_event: false,
        },
    )
    .unwrap();
    let mut normalizer = Normalizer::new(
        SourceConfig::new("m", "s", Format::WindowsJson),
        Arc::new(Decoders::new()),
        Arc::new(Masker::disabled()),
    );
    let mut ours = Hits::new();
    for (i, d) in docs.iter().enumerate() {
        let Outcome::Event { event, .. } = normalizer.normalize(d.to_string().as_bytes(), 0) else {
            panic!("not an event: {d}");
        };
        let mut out = Vec::new();
        detector.detect(&event, &mut out);
        for h in out {
            ours.insert((h.rule_id.unwrap_or(h.title), i));
        }
    }

    // rsigma.
    let out = Command::new(&rsigma)
        .args(["engine", "eval", "-r"])
        .arg(&rules)
        .arg("-e")
        .arg(format!("@{}", events.display()))
        .args(["--output-format", "ndjson", "--include-event"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rsigma: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut theirs = Hits::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Json>(line) else {
            continue;
        };
        let (Some(id), Some(idx)) = (v["rule_id"].as_str(), v["event"]["idx"].as_u64()) else {
            continue;
        };
        theirs.insert((id.to_owned(), idx as usize));
    }

    // SQLite.
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sqlite_eval.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&rules)
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sqlite_eval.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut sql = Hits::new();
    let mut sql_errors = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Json = serde_json::from_str(line).unwrap();
        let id = v["rule_id"].as_str().unwrap().to_owned();
        match v["idx"].as_u64() {
            Some(idx) => {
                sql.insert((id, idx as usize));
            }
            None => {
                sql_errors.insert(id, v["error"].to_string());
            }
        }
    }

    let mut unexplained = Vec::new();
    for (peer, hits) in [("rsigma", &theirs), ("sqlite", &sql)] {
        for (side, a, b) in [("only medsec", &ours, hits), ("only peer", hits, &ours)] {
            for (rule, idx) in a.difference(b) {
                if peer == "sqlite" && sql_errors.contains_key(rule) {
                    continue;
                }
                let explained = EXPLAINED.iter().any(|(p, r, _)| *p == peer && r == rule);
                if !explained {
                    unexplained.push(format!("{peer}: {side}: rule {rule} on event {idx}"));
                }
            }
        }
    }
    eprintln!(
        "{test}: {} rules, {} events; hits: medsec {}, rsigma {}, sqlite {} ({} rules not converted or run: {:?})",
        set.rules.len(),
        docs.len(),
        ours.len(),
        theirs.len(),
        sql.len(),
        sql_errors.len(),
        sql_errors
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
