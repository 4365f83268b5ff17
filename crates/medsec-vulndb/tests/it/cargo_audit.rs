//! medsec against `cargo audit` (rustsec/rustsec's cargo-audit, the
//! reference for RustSec matching) on the real Cargo.lock files of
//! `tests/cargo-lock/`, offline and on the same copy of RustSec's
//! advisory-db (`MEDSEC_DATA/rustsec/advisory-db`).
//!
//! Compared: the set of (advisory id, crate, version, class) of each
//! lock file, where class is `vulnerability` or the informational kind
//! (`unmaintained`, `unsound`, `notice`) that cargo audit reports as a
//! warning. cargo audit runs with `--no-yanked`: whether a crate was
//! yanked is registry state, not advisory data, and cargo audit would read
//! it from whatever crates.io index cache the machine happens to have.
//!
//! medsec reads each lock file into one component per `[[package]]`
//! (`pkg:cargo/NAME@VERSION`, with `vcs_url` for git sources and
//! `repository_url` for other registries, and packages without a source,
//! path dependencies and workspace members, marked local, as
//! `medsec_sbom::generate` makes the SBOM of a lock file), loads only the
//! RustSec feed and matches. Every difference must be explained in
//! `tests/cargo-lock/differences.toml`.
//!
//! `MEDSEC_TEST_CARGO_AUDIT` names the `cargo-audit` binary (cargo-audit
//! 0.22.2); without it the test prints "skipped: …" and passes, unless
//! `MEDSEC_REQUIRE_CARGO_AUDIT=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medsec_vulndb::{Component, Database, Purl};
use serde::Deserialize;
use serde_json::Value;

use crate::support::{self, Difference};

const FIELDS: [&str; 5] = ["fixture", "advisory", "crate", "version", "class"];

/// The parts of a Cargo.lock (format 1 to 4) that name packages.
#[derive(Deserialize)]
struct LockFile {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
}

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// One component per package, as an SBOM of the lock file lists them.
fn components(lock: &LockFile) -> Vec<Component> {
    lock.package
        .iter()
        .map(|p| {
            let qualifiers = match p.source.as_deref() {
                Some(s) if CRATES_IO.contains(&s) => Vec::new(),
                Some(s) if s.starts_with("git+") => vec![("vcs_url".to_owned(), s.to_owned())],
                Some(s) => {
                    let url = s.split_once('+').map_or(s, |(_, url)| url);
                    vec![("repository_url".to_owned(), url.to_owned())]
                }
                // A path dependency or workspace member.
                None => Vec::new(),
            };
            Component {
                name: p.name.clone(),
                supplier: None,
                version: Some(p.version.clone()),
                purl: Some(Purl {
                    ty: "cargo".to_owned(),
                    namespace: None,
                    name: p.name.clone(),
                    version: Some(p.version.clone()),
                    qualifiers,
                }),
                cpes: Vec::new(),
                // As `medsec_sbom::generate` marks them (`medsec:local`).
                local: p.source.is_none(),
            }
        })
        .collect()
}

type Found = BTreeSet<(String, String, String, String)>;

/// medsec's findings on one lock file: (advisory, crate, version, class).
fn ours(db: &Database, path: &Path) -> Found {
    let text = std::fs::read_to_string(path).unwrap();
    let lock: LockFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let components = components(&lock);
    let mut out = Found::new();
    for f in db.matches_built(&components) {
        let c = &components[f.component];
        for r in f.reasons.iter().filter(|r| r.kind == "package") {
            // A finding is one vulnerability with all its aliases; each
            // reason is one advisory, with its own informational kind.
            let class = r.informational.as_deref().unwrap_or("vulnerability");
            out.insert((
                r.advisory.clone(),
                c.name.clone(),
                c.version.clone().unwrap_or_default(),
                class.to_owned(),
            ));
        }
    }
    out
}

/// cargo audit's report on one lock file, the same tuples.
fn theirs(report: &Value) -> Found {
    let mut out = Found::new();
    let mut add = |item: &Value, class: &str| {
        let s = |p: &str| item.pointer(p).and_then(Value::as_str).unwrap_or_default();
        out.insert((
            s("/advisory/id").to_owned(),
            s("/package/name").to_owned(),
            s("/package/version").to_owned(),
            class.to_owned(),
        ));
    };
    for v in report
        .pointer("/vulnerabilities/list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(v, "vulnerability");
    }
    for (kind, list) in report
        .get("warnings")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for w in list.as_array().into_iter().flatten() {
            add(w, kind);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = support::manifest_dir().join("tests/cargo-lock");
    let mut list: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    list.sort();
    list
}

fn fixture_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn findings_agree_with_cargo_audit_on_real_lock_files() {
    let Some(advisory_db) = support::data("rustsec/advisory-db", "cargo audit comparison") else {
        return;
    };
    let Some(cargo_audit) = support::tool(
        "MEDSEC_TEST_CARGO_AUDIT",
        "MEDSEC_REQUIRE_CARGO_AUDIT",
        "cargo audit comparison",
    ) else {
        return;
    };
    let fixtures = fixtures();
    assert!(fixtures.len() >= 10, "{fixtures:?}");

    // cargo audit gets its own copy of the data, an empty CARGO_HOME (no
    // user configuration, no registry index) and a scratch directory.
    let scratch = tempfile::tempdir().unwrap();
    let db_copy = scratch.path().join("advisory-db");
    copy_dir(&advisory_db, &db_copy);
    let cargo_home = scratch.path().join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    let children: Vec<_> = fixtures
        .iter()
        .map(|lock| {
            Command::new(&cargo_audit)
                .arg("audit")
                .arg("--db")
                .arg(&db_copy)
                .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
                .arg(lock)
                .env("CARGO_HOME", &cargo_home)
                .current_dir(scratch.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", cargo_audit.display()))
        })
        .collect();

    let db = support::load(&[advisory_db]);
    let mut found = BTreeSet::new();
    let mut summary = String::new();
    let mut agreed: BTreeMap<String, usize> = BTreeMap::new();
    for (lock, child) in fixtures.iter().zip(children) {
        let output = child.wait_with_output().unwrap();
        // 0: nothing found, 1: vulnerabilities found.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "cargo audit on {}: {}\n{}",
            lock.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "cargo audit on {}: not JSON ({e})\n{}",
                lock.display(),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let theirs = theirs(&report);
        let ours = ours(&db, lock);
        let name = fixture_name(lock);
        let mut per_class: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, _, _, class) in ours.intersection(&theirs) {
            *per_class.entry(class.as_str()).or_default() += 1;
            *agreed.entry(class.clone()).or_default() += 1;
        }
        summary.push_str(&format!(
            "  {name}: both {per_class:?}, only medsec {}, only cargo audit {}\n",
            ours.difference(&theirs).count(),
            theirs.difference(&ours).count()
        ));
        for (side, set, other) in [("medsec", &ours, &theirs), ("cargo-audit", &theirs, &ours)] {
            for (advisory, krate, version, class) in set.difference(other) {
                found.insert(Difference {
                    key: vec![
                        ("fixture", name.clone()),
                        ("advisory", advisory.clone()),
                        ("crate", krate.clone()),
                        ("version", version.clone()),
                        ("class", class.clone()),
                    ],
                    found_by: side.to_owned(),
                });
            }
        }
    }
    eprintln!("cargo audit comparison:\n{summary}");
    // Agreement on nothing would prove nothing: the lock files were chosen
    // for their known-vulnerable dependencies.
    for class in ["vulnerability", "unmaintained", "unsound", "notice"] {
        assert!(
            agreed.contains_key(class),
            "no {class} found by both: {agreed:?}"
        );
    }
    assert!(agreed["vulnerability"] >= 300, "{agreed:?}");
    let path = support::manifest_dir().join("tests/cargo-lock/differences.toml");
    let expected = support::expected(&path, &FIELDS);
    support::check_differences(&path, &found, &expected, |_| true);
}
