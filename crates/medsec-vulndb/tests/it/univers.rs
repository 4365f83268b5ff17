//! medsec against an independent OSV evaluator for PyPI, npm and Maven:
//! `tests/oracle/univers_osv.py`, which evaluates the same OSV records'
//! `ranges` and `versions` as the OSV schema's pseudocode says, with the
//! version classes of Python's `univers` (`PypiVersion`, `SemverVersion`,
//! `MavenVersion`).
//!
//! The queries are a seeded sample (`MEDSEC_TEST_SEED` picks another) of
//! the packages of `MEDSEC_DATA/advisories/osv-{PyPI,npm,Maven}.jsonl.gz`
//! at versions on the boundaries of their ranges (every `introduced`,
//! `fixed` and `last_affected` version), next to them (a number one up or
//! down, a part more or less, pre-release, post-release and build
//! suffixes), and listed ones; PyPI names are sometimes spelled another
//! way (`Django_Rest`, `django.rest`) to check name normalisation. Each
//! (package, version, advisory) that one side finds and the other does not
//! must be explained in `tests/oracle/differences.toml`.
//!
//! Without the data or `MEDSEC_TEST_PYTHON` (a Python with
//! `scripts/test-requirements.txt`) the test prints "skipped: …" and
//! passes, unless `MEDSEC_REQUIRE_DATA=1` or `MEDSEC_REQUIRE_PYTHON=1`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;

use medsec_vulndb::{Component, Purl};
use serde_json::Value;

use crate::support::{self, Difference, Rng};

const FIELDS: [&str; 4] = ["ecosystem", "package", "version", "advisory"];

/// Queries per ecosystem.
const TARGET: [(&str, usize); 3] = [("PyPI", 8000), ("npm", 4000), ("Maven", 4000)];

/// The versions a package's records name: range events, and listed ones.
#[derive(Default)]
struct Seeds {
    events: BTreeSet<String>,
    listed: BTreeSet<String>,
}

/// Every package of `ecosystem` in the files, with its seeds.
fn packages(files: &[PathBuf], ecosystem: &str) -> BTreeMap<String, Seeds> {
    let mut out: BTreeMap<String, Seeds> = BTreeMap::new();
    for path in files {
        let file = std::fs::File::open(path).unwrap();
        let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
        for line in reader.lines() {
            let record: Value = serde_json::from_str(&line.unwrap()).unwrap();
            if record.get("withdrawn").is_some_and(|w| !w.is_null()) {
                continue;
            }
            for affected in record["affected"].as_array().into_iter().flatten() {
                if affected
                    .pointer("/package/ecosystem")
                    .and_then(Value::as_str)
                    != Some(ecosystem)
                {
                    continue;
                }
                let Some(name) = affected.pointer("/package/name").and_then(Value::as_str) else {
                    continue;
                };
                let seeds = out.entry(name.to_owned()).or_default();
                for range in affected["ranges"].as_array().into_iter().flatten() {
                    if range["type"] == "GIT" {
                        continue;
                    }
                    for event in range["events"].as_array().into_iter().flatten() {
                        for (kind, v) in event.as_object().into_iter().flatten() {
                            let Some(v) = v.as_str() else { continue };
                            if kind != "limit" && v != "0" {
                                seeds.events.insert(v.to_owned());
                            }
                        }
                    }
                }
                for v in affected["versions"].as_array().into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        seeds.listed.insert(v.to_owned());
                    }
                }
            }
        }
    }
    out
}

/// The byte ranges of the runs of ASCII digits in `v`.
fn digit_runs(v: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices().chain(std::iter::once((v.len(), ' '))) {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// `v` changed a little: a number one up or down, a part more or less, or
/// a suffix the ecosystem gives pre-releases, post-releases and builds.
/// npm versions stay semantic versions (three numbers), the only ones the
/// registry accepts.
fn mutate(ecosystem: &str, v: &str, rng: &mut Rng) -> String {
    let runs = digit_runs(v);
    let choice = match rng.below(6) {
        3 | 4 if ecosystem == "npm" => 5,
        n => n,
    };
    match choice {
        // The last number, or any number, one up or down.
        0..=2 if !runs.is_empty() => {
            let (s, e) = if rng.below(2) == 0 {
                *runs.last().unwrap()
            } else {
                *rng.pick(&runs)
            };
            let Ok(n) = v.get(s..e).unwrap().parse::<u64>() else {
                return v.to_owned();
            };
            let n = if rng.below(2) == 0 || n == 0 {
                n + 1
            } else {
                n - 1
            };
            format!("{}{n}{}", v.get(..s).unwrap(), v.get(e..).unwrap())
        }
        // One part less.
        3 => match v.rfind('.') {
            Some(i) if i > 0 => v.get(..i).unwrap().to_owned(),
            _ => format!("{v}.0"),
        },
        // One part more.
        4 => format!("{v}.{}", rng.pick(&["0", "1"])),
        _ => {
            let suffixes: &[&str] = match ecosystem {
                "PyPI" => &[
                    "rc1", "a1", "b2", ".dev0", ".post1", "+local.1", "-1", ".0rc1",
                ],
                "npm" => &["-alpha", "-0", "-rc.1", "-beta.2", "+build.5", "-alpha.10"],
                _ => &[
                    "-SNAPSHOT",
                    "-RC1",
                    ".RELEASE",
                    "-alpha-1",
                    ".Final",
                    "-jre",
                    "-1",
                    "-sp1",
                    "-M2",
                ],
            };
            let suffix = *rng.pick(suffixes);
            if ecosystem == "npm" && v.contains('+') && suffix.starts_with('+') {
                return v.to_owned();
            }
            format!("{v}{suffix}")
        }
    }
}

/// Another spelling of a PyPI name that PEP 503 makes the same.
fn respell(name: &str, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => name.to_uppercase(),
        1 => name.replace('-', "_"),
        _ => name.replace(['-', '_'], "."),
    }
}

/// The sample of one ecosystem: (name as queried, version).
fn queries(
    ecosystem: &str,
    packages: &BTreeMap<String, Seeds>,
    target: usize,
) -> Vec<(String, String)> {
    let stream = ecosystem
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = Rng::new(stream);
    let names: Vec<&String> = packages.keys().collect();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::new();
    let mut push = |name: &str, version: String, rng: &mut Rng, out: &mut Vec<(String, String)>| {
        let name = if ecosystem == "PyPI" && rng.below(4) == 0 {
            respell(name, rng)
        } else {
            name.to_owned()
        };
        if !version.is_empty()
            && !version.contains(['\t', '\n'])
            && seen.insert((name.clone(), version.clone()))
        {
            out.push((name, version));
        }
    };
    // Every boundary, and two listed versions of each package.
    for (name, seeds) in packages {
        for v in &seeds.events {
            push(name, v.clone(), &mut rng, &mut out);
        }
        let listed: Vec<&String> = seeds.listed.iter().collect();
        for _ in 0..listed.len().min(2) {
            let v = (*rng.pick(&listed)).clone();
            push(name, v, &mut rng, &mut out);
        }
    }
    // Versions near the boundaries, one or two changes away.
    let mut attempts = 0;
    while out.len() < target && attempts < target * 50 {
        attempts += 1;
        let name = *rng.pick(&names);
        let seeds = &packages[name];
        let pool: Vec<&String> =
            if seeds.events.is_empty() || (!seeds.listed.is_empty() && rng.below(5) == 0) {
                seeds.listed.iter().collect()
            } else {
                seeds.events.iter().collect()
            };
        if pool.is_empty() {
            continue;
        }
        let mut v = (*rng.pick(&pool)).clone();
        for _ in 0..=rng.below(2) {
            v = mutate(ecosystem, &v, &mut rng);
        }
        push(name, v, &mut rng, &mut out);
    }
    out
}

fn component(ecosystem: &str, name: &str, version: &str) -> Component {
    let (ty, namespace, short) = match ecosystem {
        "PyPI" => ("pypi", None, name),
        "npm" => match name.split_once('/') {
            Some((scope, short)) if name.starts_with('@') => ("npm", Some(scope), short),
            _ => ("npm", None, name),
        },
        _ => match name.split_once(':') {
            Some((group, artifact)) => ("maven", Some(group), artifact),
            None => ("maven", None, name),
        },
    };
    Component {
        name: name.to_owned(),
        supplier: None,
        version: Some(version.to_owned()),
        purl: Some(Purl {
            ty: ty.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: short.to_owned(),
            version: Some(version.to_owned()),
            qualifiers: Vec::new(),
        }),
        cpes: Vec::new(),
        local: false,
    }
}

/// The oracle's answer per query: advisory ids, and whether univers
/// rejected the version.
fn oracle(
    python: &Path,
    files: &[PathBuf],
    queries: &[(&str, String, String)],
) -> Vec<(BTreeSet<String>, bool)> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("queries.tsv");
    let mut text = String::new();
    for (ecosystem, name, version) in queries {
        writeln!(text, "{ecosystem}\t{name}\t{version}").unwrap();
    }
    std::fs::write(&input, text).unwrap();
    let script = support::manifest_dir().join("tests/oracle/univers_osv.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(&input)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        output.status.success(),
        "the univers oracle failed (pip install -r scripts/test-requirements.txt?)\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<(BTreeSet<String>, bool)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (ids, notes) = line.split_once('\t').unwrap_or((line, ""));
            (
                ids.split_whitespace().map(str::to_owned).collect(),
                notes.contains("invalid-version"),
            )
        })
        .collect();
    assert_eq!(answers.len(), queries.len(), "one answer per query");
    answers
}

#[test]
fn osv_matching_agrees_with_univers_for_pypi_npm_and_maven() {
    let Some(dir) = support::data("advisories", "univers comparison") else {
        return;
    };
    let files: Vec<PathBuf> = ["PyPI", "npm", "Maven"]
        .iter()
        .map(|e| dir.join(format!("osv-{e}.jsonl.gz")))
        .collect();
    for f in &files {
        assert!(f.is_file(), "{} is missing", f.display());
    }
    let Some(python) = support::tool(
        "MEDSEC_TEST_PYTHON",
        "MEDSEC_REQUIRE_PYTHON",
        "univers comparison",
    ) else {
        return;
    };

    let mut all: Vec<(&str, String, String)> = Vec::new();
    for (ecosystem, target) in TARGET {
        let packages = packages(&files, ecosystem);
        assert!(
            packages.len() > 10,
            "{ecosystem}: {} packages",
            packages.len()
        );
        let sample = queries(ecosystem, &packages, target);
        assert!(
            sample.len() >= target,
            "{ecosystem}: only {} queries",
            sample.len()
        );
        all.extend(sample.into_iter().map(|(n, v)| (ecosystem, n, v)));
    }
    let theirs = oracle(&python, &files, &all);

    let db = support::load(&files);
    let components: Vec<Component> = all.iter().map(|(e, n, v)| component(e, n, v)).collect();
    let mut ours: Vec<BTreeSet<String>> = vec![BTreeSet::new(); all.len()];
    for f in db.matches_built(&components) {
        for r in f.reasons.iter().filter(|r| r.kind == "package") {
            ours[f.component].insert(r.advisory.clone());
        }
    }

    let mut found = BTreeSet::new();
    let mut stats: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for (i, (ecosystem, name, version)) in all.iter().enumerate() {
        let (theirs, rejected) = &theirs[i];
        let s = stats.entry(ecosystem).or_default();
        s[0] += 1;
        s[1] += usize::from(!ours[i].is_empty());
        s[2] += usize::from(*rejected);
        for (side, a, b) in [("medsec", &ours[i], theirs), ("univers", theirs, &ours[i])] {
            for id in a.difference(b) {
                s[3] += 1;
                found.insert(Difference {
                    key: vec![
                        ("ecosystem", (*ecosystem).to_owned()),
                        ("package", name.clone()),
                        ("version", version.clone()),
                        ("advisory", id.clone()),
                    ],
                    found_by: side.to_owned(),
                });
            }
        }
    }
    for (ecosystem, [n, affected, rejected, differ]) in &stats {
        eprintln!(
            "univers comparison, {ecosystem}: {n} queries, {affected} affected (medsec), \
             {rejected} versions univers rejects, {differ} differences"
        );
    }
    // A sample where nothing is affected would prove nothing.
    for (ecosystem, [n, affected, ..]) in &stats {
        assert!(
            affected * 10 >= *n,
            "{ecosystem}: {affected} of {n} affected"
        );
    }
    let path = support::manifest_dir().join("tests/oracle/differences.toml");
    let expected = support::expected(&path, &FIELDS);
    // Another seed draws another sample: then entries for versions it did
    // not draw are not stale.
    let default_seed = std::env::var_os("MEDSEC_TEST_SEED").is_none();
    support::check_differences(&path, &found, &expected, |_| default_seed);
}
