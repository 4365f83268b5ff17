//! The built-in rules on the fixtures, against the reviewed list of
//! (file, rule) pairs in `tests/fixtures/expected.txt`.

use std::collections::BTreeSet;

use crate::{fixtures_dir, scan};

fn pairs(report: &medsec_webshell::Report) -> BTreeSet<(String, String)> {
    let root = fixtures_dir().display().to_string();
    report
        .findings
        .iter()
        .map(|f| {
            let rel = f
                .path
                .strip_prefix(&format!("{root}/"))
                .unwrap_or(&f.path)
                .to_owned();
            (rel, f.rule.clone())
        })
        .collect()
}

#[test]
fn fixtures_give_the_reviewed_findings() {
    let dir = fixtures_dir();
    let report = scan(&[dir.join("malicious"), dir.join("clean")]);
    let expected: BTreeSet<(String, String)> = std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (file, rule) = l.split_once(' ').unwrap();
            (file.to_owned(), rule.to_owned())
        })
        .collect();
    assert_eq!(pairs(&report), expected);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

#[test]
fn every_malicious_fixture_matches_and_no_clean_one_does() {
    let dir = fixtures_dir();
    for (sub, flagged) in [("malicious", true), ("clean", false)] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = e.unwrap().path();
            let r = scan(std::slice::from_ref(&path));
            assert_eq!(r.files, 1);
            assert_eq!(
                !r.findings.is_empty(),
                flagged,
                "{}: {:?}",
                path.display(),
                r.findings
            );
        }
    }
}

#[test]
fn every_builtin_rule_is_exercised_by_a_fixture() {
    let dir = fixtures_dir();
    let report = scan(&[dir.join("malicious")]);
    let rules = medsec_webshell::Rules::builtin().unwrap();
    for m in rules.all() {
        assert!(
            report.findings.iter().any(|f| f.rule == m.name),
            "no fixture matches {}",
            m.name
        );
    }
}
