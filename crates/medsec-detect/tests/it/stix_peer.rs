//! STIX indicators checked with the reference tools, in the Python of
//! `MEDSEC_TEST_PYTHON` (stix2-patterns and stix2-validator from
//! `scripts/test-requirements.txt`; `tests/peers/stix_check.py`):
//!
//! - every bundle of `tests/fixtures/stix` is valid for stix2-validator
//!   (STIX 2.1) and read by medsec; every one of `invalid/` is invalid
//!   for both;
//! - for every pattern (the fixtures', `patterns.txt`, and seeded
//!   mutations of them: characters dropped, doubled, and tokens or stray
//!   characters put in) medsec's parser accepts exactly what
//!   stix2patterns' `Pattern(...)` accepts, and sees the comparisons
//!   `inspect()` reports (object type, path, operator, the literal as
//!   written), the operators between observations and the qualifiers;
//! - every value medsec extracts is one of the values of a comparison
//!   stix2patterns reports.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medsec_detect::indicators::pattern::{self, Step};
use medsec_detect::indicators::{Kind, ip_or_cidr, stix};
use serde_json::{Value as Json, json};

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

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stix")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

/// The patterns of `patterns.txt` (comments left out) and of every
/// fixture bundle.
pub fn fixture_patterns() -> Vec<String> {
    let text = std::fs::read_to_string(fixtures().join("patterns.txt")).unwrap();
    let mut out: Vec<String> = text
        .split('\n')
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    for file in json_files(&fixtures())
        .into_iter()
        .chain(json_files(&fixtures().join("invalid")))
    {
        let Ok(doc) = serde_json::from_slice::<Json>(&std::fs::read(&file).unwrap()) else {
            continue;
        };
        let objects = match doc.get("objects") {
            Some(Json::Array(a)) => a.clone(),
            _ => vec![doc.clone()],
        };
        for o in objects {
            if o["type"] == "indicator"
                && o.get("pattern_type").is_none_or(|t| t == "stix")
                && let Some(p) = o["pattern"].as_str()
            {
                out.push(p.to_owned());
            }
        }
    }
    out
}

/// Seeded mutations of the patterns (splitmix64, seed 11).
fn mutations(base: &[String], n: usize) -> Vec<String> {
    const FRAGMENTS: &[&str] = &[
        " ",
        "'",
        "\\",
        "[",
        "]",
        "(",
        ")",
        ",",
        ":",
        ".",
        "=",
        "==",
        "!=",
        "<>",
        "<",
        ">=",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "MATCHES",
        "ISSUBSET",
        "EXISTS",
        "FOLLOWEDBY",
        "WITHIN",
        "SECONDS",
        "REPEATS",
        "TIMES",
        "START",
        "STOP",
        " WITHIN 5 SECONDS",
        "t'2026-01-01T00:00:00Z'",
        "h'00'",
        "b'AAAA'",
        "-1",
        "+2",
        ".5",
        "0",
        "true",
        "x",
        "-",
        "_",
        "/*",
        "*/",
        "//",
        "\n",
        "é",
        "\u{3000}",
        "\u{a0}",
        "*",
        "'a'",
        "'\\''",
        "file:name",
        "ipv4-addr:value",
    ];
    let mut seed = 11u64;
    let mut next = move || {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as usize
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut chars: Vec<char> = base[next() % base.len()].chars().collect();
        for _ in 0..1 + next() % 2 {
            let at = next() % (chars.len() + 1);
            match next() % 4 {
                0 if !chars.is_empty() => {
                    chars.remove(at.min(chars.len() - 1));
                }
                1 if !chars.is_empty() => {
                    let c = chars[at.min(chars.len() - 1)];
                    chars.insert(at.min(chars.len() - 1), c);
                }
                _ => {
                    let f = FRAGMENTS[next() % FRAGMENTS.len()];
                    for (i, c) in f.chars().enumerate() {
                        chars.insert(at + i, c);
                    }
                }
            }
        }
        out.push(chars.into_iter().collect());
    }
    out
}

fn step_json(s: &Step) -> Json {
    match s {
        Step::Key(k) => json!(["key", k]),
        Step::Index(i) => json!(["index", i]),
        Step::Star => json!(["star"]),
    }
}

/// Our comparisons as inspect() groups them: by object type in the order
/// each type first appears.
fn ours_grouped(p: &pattern::Pattern) -> Vec<Json> {
    let comps = p.comparisons();
    let mut types: Vec<&str> = Vec::new();
    for c in &comps {
        if !types.contains(&c.object_type.as_str()) {
            types.push(&c.object_type);
        }
    }
    let mut out = Vec::new();
    for t in types {
        for c in comps.iter().filter(|c| c.object_type == t) {
            let path: Vec<Json> = c.path.iter().map(step_json).collect();
            out.push(json!([c.object_type, path, c.op, c.value]));
        }
    }
    out
}

/// Whether one of the reference's values, read as `kind`, is `value`.
fn theirs_has(comparisons: &[Json], kind: Kind, value: &str) -> bool {
    comparisons.iter().any(|c| {
        matches!(c[2].as_str(), Some("=" | "==" | "IN" | "ISSUBSET"))
            && c[4].as_array().into_iter().flatten().any(|v| {
                let Some(v) = v.as_str() else {
                    return false;
                };
                let read = match kind {
                    Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr => ip_or_cidr(v, None).map(|(_, x)| x),
                    k => k.normalise(v),
                };
                read.is_ok_and(|x| x == value)
            })
    })
}

#[test]
fn patterns_and_bundles_agree_with_stix2_patterns_and_stix2_validator() {
    let test = "patterns_and_bundles_agree_with_stix2_patterns_and_stix2_validator";
    let Some(python) = tool("MEDSEC_TEST_PYTHON", "MEDSEC_REQUIRE_PYTHON", test) else {
        return;
    };
    let mut patterns = fixture_patterns();
    let base = patterns.clone();
    patterns.extend(mutations(&base, 3000));
    let valid = json_files(&fixtures());
    let invalid = json_files(&fixtures().join("invalid"));
    let bundles: Vec<String> = valid
        .iter()
        .chain(&invalid)
        .map(|p| p.display().to_string())
        .collect();
    let request = json!({"patterns": patterns, "bundles": bundles});
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/stix_check.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "stix_check.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();

    let mut problems = Vec::new();
    for b in report["bundles"].as_array().unwrap() {
        let path = b["path"].as_str().unwrap();
        let ours = stix::read(&std::fs::read(path).unwrap(), "test");
        let should_be_valid = !path.contains("/invalid/");
        if b["valid"].as_bool() != Some(should_be_valid) {
            problems.push(format!(
                "stix2-validator: {path}: valid {}, errors {}",
                b["valid"], b["errors"]
            ));
        }
        if ours.is_ok() != should_be_valid {
            problems.push(format!("medsec: {path}: {ours:?}"));
        }
    }

    let (mut accepted, mut refused) = (0, 0);
    for (text, theirs) in patterns.iter().zip(report["patterns"].as_array().unwrap()) {
        let ours = pattern::parse(text);
        let their_ok = theirs["ok"].as_bool().unwrap();
        match (&ours, their_ok) {
            (Ok(_), false) => {
                problems.push(format!(
                    "{text:?}: medsec accepts, stix2patterns refuses: {}",
                    theirs["error"]
                ));
                continue;
            }
            (Err(e), true) => {
                problems.push(format!(
                    "{text:?}: medsec refuses ({e}), stix2patterns accepts"
                ));
                continue;
            }
            (Err(_), false) => {
                refused += 1;
                continue;
            }
            (Ok(_), true) => accepted += 1,
        }
        let Ok(p) = ours else { continue };
        if theirs.get("inspect_error").is_some() {
            // inspect() fails on negative list indexes; the grammar took it.
            continue;
        }
        let their_comps = theirs["comparisons"].as_array().unwrap();
        let flat: Vec<Json> = their_comps
            .iter()
            .map(|c| json!([c[0], c[1], c[2], c[3]]))
            .collect();
        let mine = ours_grouped(&p);
        if mine != flat {
            problems.push(format!(
                "{text:?}: comparisons differ\n  medsec: {mine:?}\n  stix2patterns: {flat:?}"
            ));
        }
        let ops: BTreeSet<String> = p.observation_ops().iter().map(|s| s.to_string()).collect();
        let their_ops: BTreeSet<String> = theirs["observation_ops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        let quals = p.qualifiers();
        let their_quals: BTreeSet<String> = theirs["qualifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        if ops != their_ops || quals != their_quals {
            problems.push(format!(
                "{text:?}: operators {ops:?} / {their_ops:?}, qualifiers {quals:?} / {their_quals:?}"
            ));
        }
        for (kind, value) in p.extract().values {
            if !theirs_has(their_comps, kind, &value) {
                problems.push(format!(
                    "{text:?}: medsec extracts {kind} {value}, which stix2patterns does not report"
                ));
            }
        }
    }
    eprintln!(
        "{test}: {} patterns ({} from the fixtures): {accepted} accepted and {refused} refused by both; {} bundles",
        patterns.len(),
        base.len(),
        bundles.len()
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
