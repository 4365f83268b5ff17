//! `medsec_detect::attack::Matrix` against MITRE's own library: each real
//! bundle of `../shared/data/attack` read by mitreattack-python (with
//! stix2; `tests/peers/attack_dump.py`, run by `MEDSEC_TEST_PYTHON`'s
//! interpreter) and by `Matrix::from_bundle`, every technique, tactic,
//! group and piece of software compared field by field (id, name, domain,
//! tactics' shortnames, parent, deprecated, revoked and by what, version,
//! platforms). Every difference fails the test unless it is explained
//! below, and an explanation that no longer applies fails it too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use medsec_detect::attack::{EntityKind, Matrix};
use serde_json::{Value, json};

use crate::data_dir;

/// What one side read: (kind, id) → fields.
type View = BTreeMap<(String, String), Value>;

/// Differences and why: (ATT&CK id, field, reason).
const EXPLAINED: &[(&str, &str, &str)] = &[
    (
        "T1053.001",
        "parent",
        "a revoked sub-technique (`x_mitre_is_subtechnique` true, id T1053.001) whose `subtechnique-of` \
         relationship ATT&CK removed when revoking it; mitreattack-python finds the parent only through \
         that relationship, medsec from the id, as ATT&CK's id scheme defines it",
    ),
    (
        "T1547.011",
        "parent",
        "as T1053.001: revoked, its `subtechnique-of` relationship removed",
    ),
];

fn ours(m: &Matrix) -> View {
    let mut out = View::new();
    for t in m.techniques() {
        let mut tactics: Vec<&str> = t.tactics.iter().map(|x| x.shortname.as_str()).collect();
        tactics.sort_unstable();
        out.insert(
            ("technique".into(), t.id.clone()),
            json!({
                "domains": [t.domain.stix_name()],
                "name": t.name,
                "tactics": tactics,
                "deprecated": t.deprecated,
                "revoked": t.revoked,
                "revoked_by": t.revoked_by,
                "parent": t.parent,
                "version": t.version,
                "platforms": t.platforms,
            }),
        );
    }
    for t in m.tactics() {
        out.insert(
            ("tactic".into(), t.id.clone()),
            json!({
                "domains": [t.domain.stix_name()],
                "name": t.name,
                "shortname": t.shortname,
                "deprecated": t.deprecated,
                "revoked": t.revoked,
            }),
        );
    }
    for e in m.entities() {
        let kind = if e.kind == EntityKind::Group {
            "group"
        } else {
            "software"
        };
        out.insert(
            (kind.into(), e.id.clone()),
            json!({
                "name": e.name,
                "deprecated": e.deprecated,
                "revoked": e.revoked,
                "revoked_by": e.revoked_by,
            }),
        );
    }
    out
}

fn theirs(python: &PathBuf, bundle: &std::path::Path) -> View {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/attack_dump.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "attack_dump.py {}: {}",
        bundle.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut view = View::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        let obj = v.as_object_mut().unwrap();
        let kind = obj.remove("kind").unwrap().as_str().unwrap().to_owned();
        let id = obj.remove("id").unwrap().as_str().unwrap().to_owned();
        let key = (kind, id);
        assert!(
            view.insert(key.clone(), v).is_none(),
            "{}: mitreattack-python lists {key:?} twice",
            bundle.display()
        );
    }
    view
}

#[test]
fn same_view_as_mitreattack_python() {
    let test = "same_view_as_mitreattack_python";
    let Some(dir) = data_dir().map(|d| d.join("attack")).filter(|d| d.is_dir()) else {
        eprintln!("{test}: skipped: ../shared/data/attack not found (set MEDSEC_DATA)");
        return;
    };
    let python = match std::env::var_os("MEDSEC_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            assert!(
                std::env::var_os("MEDSEC_REQUIRE_PYTHON").is_none(),
                "{test}: MEDSEC_REQUIRE_PYTHON is set but MEDSEC_TEST_PYTHON is not"
            );
            eprintln!("{test}: skipped, MEDSEC_TEST_PYTHON is not set");
            return;
        }
    };
    let mut differences = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for name in ["enterprise-attack.stix20.json.gz", "ics-attack.json"] {
        let path = dir.join(name);
        let m = Matrix::from_bundle(&std::fs::read(&path).unwrap()).unwrap();
        let ours = ours(&m);
        let theirs = theirs(&python, &path);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (kind, _) in theirs.keys() {
            *counts.entry(kind.as_str()).or_default() += 1;
        }
        eprintln!(
            "{test}: {name}: mitreattack-python lists {counts:?}; medsec {} objects",
            ours.len()
        );
        for (key, theirs) in &theirs {
            match ours.get(key) {
                None => differences.push(format!(
                    "{name}: {key:?} only in mitreattack-python: {theirs}"
                )),
                Some(ours) if ours != theirs => {
                    let fields = theirs
                        .as_object()
                        .unwrap()
                        .keys()
                        .chain(ours.as_object().unwrap().keys());
                    for field in fields.collect::<std::collections::BTreeSet<_>>() {
                        if ours.get(field) == theirs.get(field) {
                            continue;
                        }
                        match EXPLAINED
                            .iter()
                            .position(|(id, f, _)| *id == key.1 && f == field)
                        {
                            Some(i) => {
                                used.insert(i);
                            }
                            None => differences.push(format!(
                                "{name}: {key:?} {field}: medsec {} ≠ mitreattack-python {}",
                                ours.get(field).unwrap_or(&Value::Null),
                                theirs.get(field).unwrap_or(&Value::Null)
                            )),
                        }
                    }
                }
                Some(_) => {}
            }
        }
        for (key, v) in &ours {
            if !theirs.contains_key(key) {
                differences.push(format!("{name}: {key:?} only in medsec: {v}"));
            }
        }
    }
    for (i, (id, field, _)) in EXPLAINED.iter().enumerate() {
        if !used.contains(&i) {
            differences.push(format!("explained but not found: {id} {field}"));
        }
    }
    eprintln!("{test}: {} explained differences", used.len());
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
