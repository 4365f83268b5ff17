//! The schema table: sorted, typed lookups, and `docs/events.md` in step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn the_table_is_sorted_and_unique() {
    for pair in FIELDS.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} before {}",
            pair[0].name,
            pair[1].name
        );
    }
}

/// Types `text` as field `name` and renders it as the tests do.
fn check(name: &str, text: &str, expect: &str) {
    let mut fields = crate::event::Fields::new();
    fields.set(name.to_owned(), typed(name, text));
    assert_eq!(
        crate::testing::render(&fields).trim_end(),
        expect,
        "{name}={text}"
    );
}

#[test]
fn values_are_typed_by_name() {
    check("source.ip", "10.0.0.1", "source.ip:ip=10.0.0.1");
    check("source.ip", "[fe80::1%eth0]", "source.ip:ip=fe80::1");
    check("source.ip", "gateway.local", "source.ip=gateway.local");
    check("destination.port", "443", "destination.port:int=443");
    check("destination.port", "https", "destination.port=https");
    check("custom.thing.port", "22", "custom.thing.port:int=22");
    check("rule.id", "2019401", "rule.id=2019401");
    check("log.truncated", "true", "log.truncated:bool=true");
}

#[test]
fn docs_events_md_is_generated_from_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md");
    let expect = markdown();
    if std::env::var_os("MEDSEC_BLESS").is_some() {
        std::fs::write(&path, &expect).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == expect,
        "docs/events.md is out of date: run `MEDSEC_BLESS=1 cargo test -p medsec-logs schema`"
    );
}
