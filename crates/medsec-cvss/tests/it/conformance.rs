//! Conformance with the PyPI `cvss` package (Red Hat's implementation of
//! the FIRST calculators), version as pinned in
//! `scripts/test-requirements.txt`: 100,000 seeded random vectors per
//! version (`MEDSEC_CVSS_VECTORS` changes the number) must get the same
//! scores, severities and normalised vectors, and mutated vectors must be
//! refused by both, our error naming the metric.
//!
//! Opt-in through `MEDSEC_TEST_PYTHON` (a Python with the packages of
//! `scripts/test-requirements.txt`), required when
//! `MEDSEC_REQUIRE_PYTHON=1`. The package scores 5,000 (v4.0) to 15,000
//! (v2, v3.x) vectors per second, so the vectors go to one Python process
//! per core, each reading all of its share on standard input.
//!
//! One difference is known and asserted: the package accepts v4.0
//! vectors whose metrics are out of order, which section 7 of the v4.0
//! specification calls invalid ("every other ordering is invalid"), and
//! the FIRST calculator refuses; we refuse them too.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medsec_cvss::random::Generator;
use medsec_cvss::{ErrorKind, Group, ParseError, Version, components};

fn python(what: &str) -> Option<OsString> {
    let found = std::env::var_os("MEDSEC_TEST_PYTHON");
    if found.is_none() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: {what} (set MEDSEC_TEST_PYTHON)");
    }
    found
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cvss_reference.py")
}

/// Checks that the installed package is the pinned one, whose behaviour
/// this module documents.
fn check_package_version(python: &OsStr) {
    let requirements =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-requirements.txt");
    let requirements = std::fs::read_to_string(&requirements).unwrap();
    let pinned = requirements
        .lines()
        .find_map(|l| l.trim().strip_prefix("cvss=="))
        .expect("cvss is pinned in scripts/test-requirements.txt");
    let out = Command::new(python)
        .arg(script())
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
    let installed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        installed,
        pinned,
        "the cvss package is {installed}, scripts/test-requirements.txt pins {pinned}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The vectors per version.
fn per_version() -> usize {
    std::env::var("MEDSEC_CVSS_VECTORS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// What the package says about one vector.
#[derive(Debug, Clone, PartialEq)]
enum Reference {
    Ok(Outcome),
    Error { class: String, message: String },
}

/// Scores, severities and normalised vector, in the script's terms.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    version: String,
    scores: [Option<f64>; 3],
    severities: [Option<String>; 3],
    clean: String,
}

fn parse_line(line: &str) -> Reference {
    let f: Vec<&str> = line.split('\t').collect();
    match f.as_slice() {
        ["ok", version, b, t, e, sb, st, se, clean] => {
            let score = |s: &str| (s != "-").then(|| s.parse::<f64>().unwrap());
            let severity = |s: &str| (s != "-").then(|| s.to_owned());
            Reference::Ok(Outcome {
                version: (*version).to_owned(),
                scores: [score(b), score(t), score(e)],
                severities: [severity(sb), severity(st), severity(se)],
                clean: (*clean).to_owned(),
            })
        }
        ["error", class, message] => Reference::Error {
            class: (*class).to_owned(),
            message: (*message).to_owned(),
        },
        _ => panic!("unexpected line from cvss_reference.py: {line:?}"),
    }
}

/// The package's answers for `vectors`, in order, from one Python process
/// per core, which takes every n-th vector (so that each gets its share
/// of the slower v4.0 ones); `meanwhile` runs on this thread while they
/// work.
fn reference<T>(
    python: &OsStr,
    vectors: &[String],
    meanwhile: impl FnOnce() -> T,
) -> (Vec<Reference>, T) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shares: Vec<Vec<String>> = (0..workers)
        .map(|w| vectors.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let (outputs, ours) = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .iter()
            .map(|share| s.spawn(move || run_script(python, share)))
            .collect();
        let ours = meanwhile();
        let outputs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (outputs, ours)
    });
    let mut lines: Vec<std::str::Lines<'_>> = outputs.iter().map(|o| o.lines()).collect();
    let answers: Vec<Reference> = (0..vectors.len())
        .map_while(|i| lines[i % workers].next())
        .map(parse_line)
        .collect();
    assert_eq!(answers.len(), vectors.len(), "one answer per vector");
    assert!(
        lines.iter_mut().all(|l| l.next().is_none()),
        "one answer per vector"
    );
    (answers, ours)
}

fn run_script(python: &OsStr, vectors: &[String]) -> String {
    let mut child = Command::new(python)
        .arg(script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
    let mut input = vectors.join("\n");
    input.push('\n');
    // The script reads all of its input before it writes.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "cvss_reference.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Our answer in the script's terms: all three v3.x scores (the package
/// computes them for every vector), v2's temporal and environmental
/// scores only when the vector defines such metrics (as the package),
/// and v4.0's one score of the whole vector.
fn ours(vector: &str) -> Result<Outcome, ParseError> {
    let v = medsec_cvss::Vector::parse(vector)?;
    let version = v.version();
    let scores = match v {
        medsec_cvss::Vector::V2(v) => {
            let s = v.scores();
            let t = v.has_temporal().then_some(s.temporal);
            let e = v.has_environmental().then_some(s.environmental);
            [Some(s.base), t, e]
        }
        medsec_cvss::Vector::V3(v) => {
            let s = v.scores();
            [Some(s.base), Some(s.temporal), Some(s.environmental)]
        }
        medsec_cvss::Vector::V4(v) => [Some(v.score()), None, None],
    };
    Ok(Outcome {
        version: version.as_str().to_owned(),
        scores: scores.map(|s| s.map(|s| s.value())),
        severities: scores.map(|s| s.map(|s| version.severity(s).as_str().to_owned())),
        clean: v.to_string(),
    })
}

/// The metrics of a v4.0 vector in `groups`, as a vector.
fn v4_reduced(vector: &str, groups: &[Group]) -> String {
    let kept: Vec<String> = components(Version::V4, vector)
        .map(Result::unwrap)
        .filter(|c| groups.contains(&c.metric.group))
        .map(|c| format!("{}:{}", c.metric.name, c.value()))
        .collect();
    format!("CVSS:4.0/{}", kept.join("/"))
}

#[test]
fn random_vectors_score_as_with_the_cvss_package() {
    let Some(python) = python("CVSS conformance with the cvss package") else {
        return;
    };
    check_package_version(&python);
    let n = per_version();
    let mut generator = Generator::new(0x6d65_6473_6563_7673);
    let mut vectors = Vec::with_capacity(4 * n + n / 5);
    for version in Version::ALL {
        for _ in 0..n {
            vectors.push(generator.vector(version));
        }
    }
    // The CVSS-B and CVSS-BT scores of a v4.0 vector are the package's
    // scores of the vector without the other groups: checked on every
    // tenth v4.0 vector that has threat or environmental metrics.
    let v4_start = 3 * n;
    let mut reductions = Vec::new();
    for i in (v4_start..4 * n).step_by(10) {
        let medsec_cvss::Vector::V4(v) = medsec_cvss::Vector::parse(&vectors[i]).unwrap() else {
            unreachable!()
        };
        if v.has_threat() || v.has_environmental() {
            let base = v4_reduced(&vectors[i], &[Group::Base]);
            let threat = v4_reduced(&vectors[i], &[Group::Base, Group::Threat]);
            reductions.push((i, vectors.len(), vectors.len() + 1));
            vectors.push(base);
            vectors.push(threat);
        }
    }
    let started = std::time::Instant::now();
    let (answers, (ours, counts)) = reference(&python, &vectors, || {
        let ours: Vec<_> = vectors.iter().map(|v| ours(v)).collect();
        // Per version: vectors, with temporal or threat metrics, with
        // environmental ones.
        let mut counts = [(0, 0, 0); 4];
        for (i, vector) in vectors.iter().take(4 * n).enumerate() {
            let s = medsec_cvss::Vector::parse(vector).unwrap().scores();
            let c = &mut counts[i / n];
            c.0 += 1;
            c.1 += usize::from(s.temporal.is_some() || s.threat.is_some());
            c.2 += usize::from(s.environmental.is_some());
        }
        (ours, counts)
    });
    let secs = started.elapsed().as_secs_f64();

    let mut differences = Vec::new();
    for ((vector, ours), theirs) in vectors.iter().zip(&ours).zip(&answers) {
        let same = match (ours, theirs) {
            (Ok(o), Reference::Ok(t)) => o == t,
            _ => false,
        };
        if !same {
            differences.push(format!("{vector}\n  ours   {ours:?}\n  theirs {theirs:?}"));
        }
    }
    for &(i, base, threat) in &reductions {
        let medsec_cvss::Vector::V4(v) = medsec_cvss::Vector::parse(&vectors[i]).unwrap() else {
            unreachable!()
        };
        let s = v.scores();
        for (what, ours, at) in [("CVSS-B", s.base, base), ("CVSS-BT", s.threat, threat)] {
            let theirs = match &answers[at] {
                Reference::Ok(o) => o.scores[0],
                Reference::Error { .. } => None,
            };
            if theirs != Some(ours.value()) {
                differences.push(format!(
                    "{}: {what} ours {ours}, the package's score of {} is {theirs:?}",
                    vectors[i], vectors[at]
                ));
            }
        }
    }
    let shown: Vec<&String> = differences.iter().take(20).collect();
    assert!(
        differences.is_empty(),
        "{} differences in {} vectors, the first:\n{}",
        differences.len(),
        vectors.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (version, (vectors, temporal, environmental)) in Version::ALL.into_iter().zip(counts) {
        eprintln!(
            "CVSS {version}: {vectors} vectors equal (scores, severities, normalised vectors); {temporal} with temporal or threat metrics, {environmental} with environmental ones",
        );
    }
    eprintln!(
        "CVSS 4.0: CVSS-B and CVSS-BT of {} vectors equal the package's scores of their reductions; {} vectors checked in {secs:.1} s",
        reductions.len(),
        vectors.len(),
    );
}

/// How a valid vector is broken, and what we must say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    Duplicate,
    Missing,
    UnknownMetric,
    UnknownValue,
    EmptyValue,
    EmptyComponent,
    TrailingSlash,
    NoColon,
    UnknownVersion,
    NoPrefix,
    OutOfOrder,
}

const MUTATIONS: [Mutation; 11] = [
    Mutation::Duplicate,
    Mutation::Missing,
    Mutation::UnknownMetric,
    Mutation::UnknownValue,
    Mutation::EmptyValue,
    Mutation::EmptyComponent,
    Mutation::TrailingSlash,
    Mutation::NoColon,
    Mutation::UnknownVersion,
    Mutation::NoPrefix,
    Mutation::OutOfOrder,
];

/// A broken vector with the kind of error it must give (by name) and the
/// metric that error must name.
struct Case {
    mutation: Mutation,
    version: Version,
    vector: String,
    kind: &'static str,
    metric: Option<String>,
    /// The valid vector it was made from.
    valid: String,
}

fn kind_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Empty => "empty",
        ErrorKind::WrongPrefix { .. } => "wrong prefix",
        ErrorKind::UnknownVersion { .. } => "unknown version",
        ErrorKind::MissingPrefix { .. } => "missing prefix",
        ErrorKind::Malformed { .. } => "malformed",
        ErrorKind::UnknownMetric { .. } => "unknown metric",
        ErrorKind::UnknownValue { .. } => "unknown value",
        ErrorKind::Duplicate { .. } => "duplicate",
        ErrorKind::OutOfOrder { .. } => "out of order",
        ErrorKind::Missing { .. } => "missing",
    }
}

/// Breaks `valid` as `mutation` says, or `None` when the mutation does not
/// apply to the version (no prefix to change in v2, no order in v3.x).
fn mutate(g: &mut Generator, version: Version, valid: &str, mutation: Mutation) -> Option<Case> {
    let body = valid.strip_prefix(version.prefix()).unwrap();
    let mut parts: Vec<String> = body.split('/').map(str::to_owned).collect();
    let k = g.below(parts.len());
    let name = |p: &str| p.split_once(':').unwrap().0.to_owned();
    let mut prefix = version.prefix().to_owned();
    let (kind, metric) = match mutation {
        Mutation::Duplicate => {
            let copy = parts[k].clone();
            parts.insert(k + 1, copy);
            ("duplicate", Some(name(&parts[k])))
        }
        Mutation::Missing => {
            // Base metrics lead the table; remove one of them.
            let base: Vec<usize> = (0..parts.len())
                .filter(|&i| {
                    version
                        .metrics()
                        .iter()
                        .any(|m| m.mandatory() && m.name == name(&parts[i]))
                })
                .collect();
            let gone = parts.remove(base[g.below(base.len())]);
            ("missing", Some(name(&gone)))
        }
        Mutation::UnknownMetric => {
            let (n, v) = parts[k].split_once(':').unwrap();
            let bogus = if n.to_lowercase() == n {
                format!("{n}X")
            } else {
                n.to_lowercase()
            };
            parts[k] = format!("{bogus}:{v}");
            ("unknown metric", Some(bogus))
        }
        Mutation::UnknownValue => {
            let n = name(&parts[k]);
            parts[k] = format!("{n}:Q");
            ("unknown value", Some(n))
        }
        Mutation::EmptyValue => {
            let n = name(&parts[k]);
            parts[k] = format!("{n}:");
            ("unknown value", Some(n))
        }
        Mutation::EmptyComponent => {
            parts.insert(k + 1, String::new());
            ("malformed", None)
        }
        Mutation::TrailingSlash => {
            parts.push(String::new());
            ("malformed", None)
        }
        Mutation::NoColon => {
            parts[k] = parts[k].replace(':', "");
            ("malformed", None)
        }
        Mutation::UnknownVersion => {
            prefix = match version {
                Version::V2 => "CVSS:2.0/",
                Version::V3_0 | Version::V3_1 => "CVSS:3.2/",
                Version::V4 => "CVSS:4.1/",
            }
            .to_owned();
            ("unknown version", None)
        }
        Mutation::NoPrefix => {
            if version == Version::V2 {
                return None;
            }
            prefix.clear();
            // The error names the first metric v2 does not have.
            let first = parts
                .iter()
                .map(|p| name(p))
                .find(|n| !Version::V2.metrics().iter().any(|m| m.name == n))
                .unwrap();
            ("missing prefix", Some(first))
        }
        Mutation::OutOfOrder => {
            if version != Version::V4 || parts.len() < 2 {
                return None;
            }
            let k = g.below(parts.len() - 1);
            parts.swap(k, k + 1);
            ("out of order", Some(name(&parts[k + 1])))
        }
    };
    Some(Case {
        mutation,
        version,
        vector: format!("{prefix}{}", parts.join("/")),
        kind,
        metric,
        valid: valid.to_owned(),
    })
}

#[test]
fn invalid_vectors_are_refused_by_both_naming_the_metric() {
    let Some(python) = python("invalid CVSS vectors against the cvss package") else {
        return;
    };
    let mut g = Generator::new(0x0bad_c0de);
    let mut cases = Vec::new();
    for version in Version::ALL {
        for mutation in MUTATIONS {
            for _ in 0..200 {
                let valid = g.vector(version);
                if let Some(case) = mutate(&mut g, version, &valid, mutation) {
                    cases.push(case);
                }
            }
        }
    }
    cases.push(Case {
        mutation: Mutation::NoColon,
        version: Version::V2,
        vector: String::new(),
        kind: "empty",
        metric: None,
        valid: String::new(),
    });
    let vectors: Vec<String> = cases.iter().map(|c| c.vector.clone()).collect();
    let (answers, ()) = reference(&python, &vectors, || ());
    let mut problems = Vec::new();
    let mut accepted_out_of_order = 0;
    for (case, theirs) in cases.iter().zip(&answers) {
        let ours = medsec_cvss::Vector::parse(&case.vector);
        match &ours {
            Ok(_) => problems.push(format!("{:?}: we accept {}", case.mutation, case.vector)),
            Err(e) => {
                if kind_name(&e.kind) != case.kind || e.metric().map(str::to_owned) != case.metric {
                    problems.push(format!(
                        "{:?} of {}: expected {} naming {:?}, got `{e}`",
                        case.mutation, case.vector, case.kind, case.metric
                    ));
                }
                // The message names the metric too.
                if let Some(metric) = &case.metric
                    && !e.to_string().contains(metric.as_str())
                {
                    problems.push(format!("`{e}` does not name {metric}"));
                }
            }
        }
        match (case.mutation, theirs) {
            (Mutation::OutOfOrder, Reference::Ok(t)) => {
                // The package takes the metrics in any order: it scores the
                // vector as the one in the right order.
                let valid = ours_of(&case.valid);
                if valid.scores[0] != t.scores[0] || valid.clean != t.clean {
                    problems.push(format!(
                        "the package scores {} as {t:?}, not as {valid:?}",
                        case.vector
                    ));
                }
                accepted_out_of_order += 1;
            }
            (_, Reference::Error { .. }) => {}
            (_, Reference::Ok(t)) => problems.push(format!(
                "{:?} ({} {}): the package accepts {} as {t:?}",
                case.mutation, case.version, case.kind, case.vector
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems in {} cases:\n{}",
        problems.len(),
        cases.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out_of_order = cases
        .iter()
        .filter(|c| c.mutation == Mutation::OutOfOrder)
        .count();
    assert_eq!(accepted_out_of_order, out_of_order);
    eprintln!(
        "{} invalid vectors refused by both with the metric named, except {out_of_order} v4.0 vectors out of order, which the package accepts (v4.0 section 7 calls them invalid)",
        cases.len() - out_of_order
    );
}

fn ours_of(vector: &str) -> Outcome {
    ours(vector).unwrap()
}
