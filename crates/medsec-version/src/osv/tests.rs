//! OSV range evaluation: the examples of the OSV schema's "Evaluation"
//! section and its edge cases, then every `SEMVER` and `ECOSYSTEM` range
//! of the real records in `MEDSEC_DATA/advisories/osv-*.jsonl.gz`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::BufRead;
use std::path::PathBuf;

use super::*;
use EventKind::*;

fn range(ty: RangeType, eco: Ecosystem, events: &[(EventKind, &str)]) -> Range {
    Range::new(ty, eco, events).unwrap_or_else(|e| panic!("{e}"))
}

fn semver(events: &[(EventKind, &str)]) -> Range {
    range(RangeType::Semver, Ecosystem::Npm, events)
}

/// Checks `r` against `(version, expected interval or None)` pairs, the
/// interval written as its `Display`.
fn check(r: &Range, cases: &[(&str, Option<&str>)]) {
    for (version, expect) in cases {
        let v = r.scheme().unwrap().parse(version).unwrap();
        let got = r.affects(&v).map(|i| i.to_string());
        assert_eq!(got.as_deref(), *expect, "{version} in {r:?}");
        assert_eq!(r.contains(&v), expect.is_some(), "{version}");
    }
}

#[test]
fn schema_examples() {
    // "Every possible version is affected."
    check(
        &semver(&[(Introduced, "0")]),
        &[("0.0.0", Some(">= 0")), ("99.0.0", Some(">= 0"))],
    );
    // "Everything before 1.0.2 is affected."
    check(
        &semver(&[(Introduced, "0"), (Fixed, "1.0.2")]),
        &[
            ("0.0.0-alpha", Some(">= 0, < 1.0.2")),
            ("1.0.1", Some(">= 0, < 1.0.2")),
            ("1.0.2-rc.1", Some(">= 0, < 1.0.2")),
            ("1.0.2", None),
            ("2.0.0", None),
        ],
    );
    // "Multiple range": [1.0.0, 1.0.2) and [3.0.0, 3.2.5).
    check(
        &semver(&[
            (Introduced, "1.0.0"),
            (Fixed, "1.0.2"),
            (Introduced, "3.0.0"),
            (Fixed, "3.2.5"),
        ]),
        &[
            ("0.9.0", None),
            ("1.0.0", Some(">= 1.0.0, < 1.0.2")),
            ("1.0.1", Some(">= 1.0.0, < 1.0.2")),
            ("1.0.2", None),
            ("2.9.9", None),
            ("3.0.0", Some(">= 3.0.0, < 3.2.5")),
            ("3.2.4", Some(">= 3.0.0, < 3.2.5")),
            ("3.2.5", None),
        ],
    );
    // "last_affected vs fixed".
    let last = range(
        RangeType::Ecosystem,
        Ecosystem::Maven,
        &[(Introduced, "0"), (LastAffected, "2.1.214")],
    );
    check(
        &last,
        &[
            ("2.1.213", Some(">= 0, <= 2.1.214")),
            ("2.1.214", Some(">= 0, <= 2.1.214")),
            ("2.1.214.0", Some(">= 0, <= 2.1.214")),
            ("2.1.215", None),
        ],
    );
    let fixed = range(
        RangeType::Semver,
        Ecosystem::Maven,
        &[(Introduced, "0"), (Fixed, "2.1.214")],
    );
    check(
        &fixed,
        &[("2.1.213", Some(">= 0, < 2.1.214")), ("2.1.214", None)],
    );
}

#[test]
fn events_are_sorted_by_version() {
    // The schema only recommends sorted events.
    let r = semver(&[
        (Fixed, "3.2.5"),
        (Introduced, "3.0.0"),
        (Fixed, "1.0.2"),
        (Introduced, "1.0.0"),
    ]);
    check(
        &r,
        &[
            ("1.0.1", Some(">= 1.0.0, < 1.0.2")),
            ("2.0.0", None),
            ("3.1.0", Some(">= 3.0.0, < 3.2.5")),
        ],
    );
    // Ordering, not text: 1.10.0 is above 1.9.0.
    let r = semver(&[(Fixed, "1.10.0"), (Introduced, "1.9.0")]);
    check(
        &r,
        &[("1.9.5", Some(">= 1.9.0, < 1.10.0")), ("1.10.0", None)],
    );
    // Several introduced events: the last below the version decides, and
    // the interval ends at the next fixed event.
    let r = semver(&[(Introduced, "0"), (Introduced, "1.0.0"), (Fixed, "2.0.0")]);
    check(
        &r,
        &[
            ("0.5.0", Some(">= 0, < 2.0.0")),
            ("1.5.0", Some(">= 1.0.0, < 2.0.0")),
        ],
    );
    // Only introduced: affected from there on.
    check(
        &semver(&[(Introduced, "1.2.0")]),
        &[
            ("1.1.9", None),
            ("1.2.0", Some(">= 1.2.0")),
            ("9.0.0", Some(">= 1.2.0")),
        ],
    );
}

#[test]
fn equal_versions_keep_record_order() {
    // `fixed` then `introduced` at 1.0.0: the introduced fires last.
    let r = semver(&[
        (Introduced, "0"),
        (Fixed, "1.0.0"),
        (Introduced, "1.0.0"),
        (Fixed, "2.0.0"),
    ]);
    check(
        &r,
        &[
            ("0.9.0", Some(">= 0, < 1.0.0")),
            ("1.0.0", Some(">= 1.0.0, < 2.0.0")),
            ("2.0.0", None),
        ],
    );
    // And the reverse: an empty interval.
    let r = semver(&[(Introduced, "1.0.0"), (Fixed, "1.0.0")]);
    check(&r, &[("1.0.0", None)]);
    // Equal in the scheme, not in text: semver ignores build metadata.
    let r = semver(&[(Introduced, "1.0.0+a"), (Fixed, "2.0.0")]);
    check(&r, &[("1.0.0", Some(">= 1.0.0+a, < 2.0.0"))]);
    // `last_affected` does not fire at its own version.
    let r = semver(&[(Introduced, "1.0.0"), (LastAffected, "1.0.0")]);
    check(
        &r,
        &[("1.0.0", Some(">= 1.0.0, <= 1.0.0")), ("1.0.1", None)],
    );
}

#[test]
fn limits() {
    let r = semver(&[(Introduced, "0"), (Limit, "2.0.0")]);
    check(
        &r,
        &[("1.9.9", Some(">= 0, < 2.0.0 (limit)")), ("2.0.0", None)],
    );
    // Below any one of several limits.
    let r = semver(&[(Introduced, "1.0.0"), (Limit, "1.5.0"), (Limit, "3.0.0")]);
    check(
        &r,
        &[
            ("0.1.0", None),
            ("1.2.0", Some(">= 1.0.0, < 1.5.0 (limit)")),
            ("2.0.0", Some(">= 1.0.0, < 3.0.0 (limit)")),
            ("3.0.0", None),
        ],
    );
    // `*` is infinity.
    let r = semver(&[(Introduced, "1.0.0"), (Limit, "*")]);
    check(&r, &[("100.0.0", Some(">= 1.0.0"))]);
}

#[test]
fn schemes_and_git() {
    let r = range(
        RangeType::Ecosystem,
        Ecosystem::PyPI,
        &[(Introduced, "1.0"), (Fixed, "1.0.post1")],
    );
    assert_eq!(r.scheme(), Some(Scheme::Pep440));
    check(
        &r,
        &[
            ("1.0.0", Some(">= 1.0, < 1.0.post1")),
            ("1.0+local", Some(">= 1.0, < 1.0.post1")),
        ],
    );
    // A version of another scheme is never affected.
    let npm = Scheme::Semver.parse("1.0.0").unwrap();
    assert!(!r.contains(&npm));
    assert_eq!(r.affects(&npm), None);
    // SEMVER ranges are semver whatever the ecosystem, `v` tolerated.
    let r = range(
        RangeType::Semver,
        Ecosystem::Go,
        &[
            (Introduced, "0"),
            (Fixed, "1.2.4-0.20191109021931-daa7c04131f5"),
        ],
    );
    assert_eq!(r.scheme(), Some(Scheme::Semver));
    check(
        &r,
        &[
            (
                "v1.2.3",
                Some(">= 0, < 1.2.4-0.20191109021931-daa7c04131f5"),
            ),
            ("v2.0.0+incompatible", None),
        ],
    );
    let git = range(
        RangeType::Git,
        Ecosystem::PyPI,
        &[
            (Introduced, "0"),
            (Fixed, "92d3430f12171f16f566c9050c40feefb830a4a3"),
        ],
    );
    assert_eq!(git.scheme(), None);
    assert_eq!(git.range_type(), RangeType::Git);
    assert!(!git.contains(&Scheme::Pep440.parse("1.0").unwrap()));
    assert_eq!(git.events().count(), 2);
}

#[test]
fn errors_name_the_event_and_the_version() {
    let e = Range::new(
        RangeType::Ecosystem,
        Ecosystem::PyPI,
        &[(Introduced, "0"), (Fixed, "1.0.x")],
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("`fixed`")
            && text.contains("`1.0.x`")
            && text.contains("PEP 440")
            && text.contains("ECOSYSTEM"),
        "{text}"
    );
    let e = Range::new(RangeType::Semver, Ecosystem::Npm, &[(Fixed, "1.0.0")]).unwrap_err();
    assert_eq!(
        e,
        RangeError::NoIntroduced {
            range_type: RangeType::Semver
        }
    );
    assert!(e.to_string().contains("no `introduced`"));
    assert_eq!(RangeType::from_osv("SEMVER"), Some(RangeType::Semver));
    assert_eq!(EventKind::from_osv("last_affected"), Some(LastAffected));
    assert_eq!(EventKind::from_osv("other"), None);
}

#[test]
fn interval_display() {
    let i = Interval {
        introduced: Some("1.2.0".into()),
        fixed: Some("1.4.3".into()),
        last_affected: None,
        limit: None,
    };
    assert_eq!(i.to_string(), ">= 1.2.0, < 1.4.3");
    let i = Interval {
        introduced: None,
        fixed: None,
        last_affected: Some("2.0".into()),
        limit: None,
    };
    assert_eq!(i.to_string(), ">= 0, <= 2.0");
}

/// Versions in real records that their ecosystem itself rejects, with the
/// reason; every other range must build.
const KNOWN_BAD: &[(&str, &str, &str)] = &[
    (
        "BIT-mastodon-2026-47777",
        "nightly.2026-03-10.0",
        "a nightly build's name, not semver; the record's other ranges cover the releases",
    ),
    (
        "PYSEC-2019-125",
        "2019-09-12",
        "a date, which `packaging` rejects too: PyPI never had such a release",
    ),
    (
        "PYSEC-2021-371",
        "0.2.0-n653",
        "a build tag, which `packaging` rejects too",
    ),
];

/// Versions a record lists as affected that none of its ranges contains
/// when evaluated as the schema says, with the reason. The schema's
/// `IsVulnerable` still finds them, through the list.
const KNOWN_LISTED: &[(&str, &[&str], &str)] = &[
    (
        "PYSEC-2021-114",
        &["2.11.6"],
        "the events interleave two intervals ([2.11, 2.11.7) and [0, 2.11.6)); sorted, as the \
         schema evaluates them, `fixed: 2.11.6` ends the first; the list was made per interval",
    ),
    (
        "PYSEC-2023-61",
        &["3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1"],
        "pre-releases of an `introduced` version, which PEP 440 (and `packaging`) orders \
         before it; the list includes them",
    ),
];

/// The shared data directory (`MEDSEC_DATA`, by default
/// `../shared/data` beside the workspace), or `None` (the test skips)
/// unless `MEDSEC_REQUIRE_DATA=1`.
fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let advisories = dir.join("advisories");
    if advisories.is_dir() {
        return Some(advisories);
    }
    assert!(
        std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1"),
        "MEDSEC_REQUIRE_DATA=1 but {} is missing",
        advisories.display()
    );
    eprintln!(
        "skipped: the OSV records check ({} is missing)",
        advisories.display()
    );
    None
}

fn records(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("osv-") && name.ends_with(".jsonl.gz")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no osv-*.jsonl.gz in {}", dir.display());
    let mut out = Vec::new();
    for file in files {
        let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(
            std::fs::File::open(&file).unwrap(),
        ));
        for line in reader.lines() {
            let line = line.unwrap();
            if !line.trim().is_empty() {
                out.push(
                    serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("{}: {e}", file.display())),
                );
            }
        }
    }
    out
}

#[test]
fn real_records() {
    let Some(dir) = data_dir() else { return };
    let records = records(&dir);
    let mut built = 0;
    let mut failures = Vec::new();
    let mut disagreements = Vec::new();
    let mut checked_versions = 0;
    let mut unparsable_versions = 0;
    for record in &records {
        let id = record["id"].as_str().unwrap();
        for affected in record["affected"].as_array().into_iter().flatten() {
            let Some(name) = affected["package"]["ecosystem"].as_str() else {
                continue;
            };
            let Some(ecosystem) = Ecosystem::from_osv(name) else {
                failures.push(format!("{id}: unknown ecosystem {name}"));
                continue;
            };
            let mut ranges = Vec::new();
            let mut all_versioned = true;
            for r in affected["ranges"].as_array().into_iter().flatten() {
                let ty = RangeType::from_osv(r["type"].as_str().unwrap()).unwrap();
                if ty == RangeType::Git {
                    all_versioned = false;
                    continue;
                }
                let events: Vec<(EventKind, &str)> = r["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|e| e.as_object().unwrap().iter())
                    .map(|(k, v)| (EventKind::from_osv(k).unwrap(), v.as_str().unwrap()))
                    .collect();
                match Range::new(ty, ecosystem, &events) {
                    Ok(range) => {
                        built += 1;
                        check_own_events(id, &range, &events, &mut disagreements);
                        ranges.push(range);
                    }
                    Err(e) => {
                        let known = KNOWN_BAD
                            .iter()
                            .any(|(i, v, _)| *i == id && e.to_string().contains(v));
                        if !known {
                            failures.push(format!("{id} ({name}): {e}"));
                        }
                        all_versioned = false;
                    }
                }
            }
            // The enumerated versions are affected, so some range must
            // contain each, when every range could be evaluated.
            if !all_versioned || ranges.is_empty() {
                continue;
            }
            for version in affected["versions"].as_array().into_iter().flatten() {
                let text = version.as_str().unwrap();
                if ranges
                    .iter()
                    .any(|r| r.scheme().is_some_and(|s| s.parse(text).is_err()))
                {
                    // PyPI still serves pre-PEP 440 ("legacy") versions,
                    // which `packaging` rejects too; they cannot be in a
                    // range, only in the list.
                    unparsable_versions += 1;
                    continue;
                }
                checked_versions += 1;
                let hit = ranges.iter().any(|r| {
                    r.scheme()
                        .and_then(|s| s.parse(text).ok())
                        .is_some_and(|v| r.contains(&v))
                });
                let known = KNOWN_LISTED
                    .iter()
                    .any(|(i, versions, _)| *i == id && versions.contains(&text));
                if !hit && !known {
                    disagreements.push(format!(
                        "{id} ({name}): listed version {text} is in no range"
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} records, {built} ranges built, {checked_versions} listed versions checked, \
         {unparsable_versions} listed versions their scheme rejects",
        records.len()
    );
    assert!(
        failures.is_empty(),
        "{} ranges do not build:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements with the records:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(built > 1000, "only {built} ranges");
}

/// A range evaluated over its own events: an `introduced` version is
/// affected and a `fixed` one is not, unless another event has an equal
/// version.
fn check_own_events(id: &str, range: &Range, events: &[(EventKind, &str)], out: &mut Vec<String>) {
    let scheme = range.scheme().unwrap();
    let parsed: Vec<(EventKind, Option<Version>)> = events
        .iter()
        .map(|(k, t)| {
            (
                *k,
                if *t == "0" || t.contains('*') {
                    None
                } else {
                    scheme.parse(t).ok()
                },
            )
        })
        .collect();
    for (i, (kind, version)) in parsed.iter().enumerate() {
        let Some(v) = version else { continue };
        let tie = parsed
            .iter()
            .enumerate()
            .any(|(j, (_, w))| j != i && w.as_ref().is_some_and(|w| w == v));
        if tie {
            continue;
        }
        let expect = match kind {
            Introduced | LastAffected => true,
            Fixed | Limit => false,
        };
        if range.contains(v) != expect {
            out.push(format!(
                "{id}: `{kind}: {}` is {}affected",
                v.as_str(),
                if expect { "not " } else { "" }
            ));
        }
    }
}
