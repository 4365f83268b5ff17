//! Rules that cannot be used are reported with file, line, rule and
//! reason, and the others still load; bad regular expressions stay
//! bounded.

use std::path::Path;

use medsec_detect::RuleSet;

fn load(yaml: &str) -> RuleSet {
    let mut set = RuleSet::default();
    set.add_text(Path::new("bad.yml"), yaml);
    set
}

const GOOD: &str = "title: Good\nlogsource:\n    product: test\ndetection:\n    sel:\n        A: 1\n    condition: sel\n";

#[test]
fn a_yaml_syntax_error_names_its_line() {
    let set = load(
        "title: Broken\nlogsource:\n    product: test\ndetection:\n    sel:\n      A: [1, 2\n    condition: sel\n",
    );
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    let f = &set.failures[0];
    assert!(f.line.is_some(), "{f}");
    assert!(f.to_string().starts_with("bad.yml:"), "{f}");
}

#[test]
fn an_unknown_modifier_names_rule_and_line_and_the_rest_loads() {
    let set = load(&format!(
        "{GOOD}---\ntitle: Bad modifier\nlogsource:\n    product: test\ndetection:\n    sel:\n        CommandLine|containz: x\n    condition: sel\n"
    ));
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    let f = &set.failures[0];
    assert_eq!(f.line, Some(14), "{f}");
    assert!(f.reason.contains("containz"), "{f}");
    assert_eq!(f.rule.as_deref(), Some("Bad modifier"), "{f}");
}

#[test]
fn a_bad_condition_is_reported() {
    let set = load(
        "title: Bad condition\nlogsource:\n    product: test\ndetection:\n    sel:\n        A: 1\n    condition: sel and and\n",
    );
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    assert_eq!(set.failures[0].line, Some(7), "{}", set.failures[0]);
    let set = load(
        "title: Unknown selection\nlogsource:\n    product: test\ndetection:\n    sel:\n        A: 1\n    condition: nosuch\n",
    );
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    assert!(set.rules.is_empty());
}

#[test]
fn a_regular_expression_too_large_is_refused_not_run() {
    let set = load(
        "title: Huge regex\nlogsource:\n    product: test\ndetection:\n    sel:\n        A|re: '((a{1000}){1000}){1000}'\n    condition: sel\n",
    );
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    assert_eq!(set.failures[0].rule.as_deref(), Some("Huge regex"));
}

#[test]
fn a_correlation_of_unknown_rules_fails_and_a_lone_filter_warns() {
    // References are checked once every file is in.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.yml"),
        format!(
            "{GOOD}---\ntitle: Counts nothing\ncorrelation:\n    type: event_count\n    rules:\n        - no_such_rule\n    timespan: 1h\n    condition:\n        gte: 2\n---\ntitle: Filters nothing\nfilter:\n    rules:\n        - no_such_rule\n    selection:\n        A: 2\n    condition: not selection\nlogsource:\n    product: test\n"
        ),
    )
    .unwrap();
    let loaded = RuleSet::load(&[dir.path().to_owned()], Vec::new()).unwrap();
    assert_eq!(loaded.files, 1);
    assert_eq!(loaded.rules.len(), 1);
    assert!(loaded.correlations.is_empty());
    assert_eq!(loaded.failures.len(), 1, "{:?}", loaded.failures);
    assert!(loaded.failures[0].reason.contains("no_such_rule"));
    assert_eq!(loaded.failures[0].line, Some(9));
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
}

#[test]
fn a_missing_path_is_an_error() {
    let e = RuleSet::load(&["/nonexistent/rules".into()], Vec::new()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/rules"), "{e}");
}

#[test]
fn a_huge_correlation_window_is_refused_naming_the_rule() {
    let set = load(&format!(
        "{GOOD}name: good\n---\ntitle: Forever\ncorrelation:\n    type: event_count\n    rules:\n        - good\n    timespan: 3650d\n    condition:\n        gte: 2\n"
    ));
    assert_eq!(set.failures.len(), 1, "{:?}", set.failures);
    let f = &set.failures[0];
    assert_eq!(f.rule.as_deref(), Some("Forever"));
    assert!(f.reason.contains("3650d"), "{f}");
    assert_eq!(f.line, Some(15), "{f}");
}
