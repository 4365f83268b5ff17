//! The Sigma detector through its public API: a conformance suite of
//! rule/event pairs for every modifier and condition form, correlation
//! and filters, loading errors that name file, line and rule, and — over
//! the shared data — SigmaHQ's regression events firing their rules;
//! threat-intelligence indicators (STIX, CSV, matching), checked against
//! stix2-patterns and stix2-validator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod attack;
mod attack_peer;
mod conformance;
mod indicators;
mod loading;
mod peers;
mod regression;
mod stix_peer;

use std::path::{Path, PathBuf};

use medsec_detect::{Detector, Hit, Options, RuleSet, SigmaDetector};
use medsec_logs::{Event, EventId, Fields, Value};

/// The shared data directory, if present.
pub fn data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MEDSEC_DATA").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("sigma").is_dir())
}

/// 2026-11-26T00:00:00Z in nanoseconds.
pub const T0: i64 = 1_795_651_200_000_000_000;

/// An event with these fields (`raw` is the raw message), at `T0 + secs`.
pub fn event_at(secs: i64, raw: &str, fields: &[(&str, Value)]) -> Event {
    let mut f = Fields::new();
    for (k, v) in fields {
        f.set(k.to_string(), v.clone());
    }
    Event {
        id: EventId::of("m", "s", format!("{secs} {raw} {fields:?}").as_bytes()),
        member: "m".into(),
        source: "s".into(),
        timestamp: T0 + secs * 1_000_000_000,
        received: T0 + secs * 1_000_000_000,
        raw: raw.into(),
        fields: f,
    }
}

pub fn event(fields: &[(&str, Value)]) -> Event {
    event_at(0, "", fields)
}

pub fn s(v: &str) -> Value {
    Value::Str(v.into())
}

/// The rules of one YAML text (documents separated by `---`), all of
/// which must load.
pub fn rules(yaml: &str) -> RuleSet {
    let mut set = RuleSet::default();
    set.add_text(Path::new("test.yml"), yaml);
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    set
}

pub fn detector(yaml: &str) -> SigmaDetector {
    SigmaDetector::new(
        &rules(yaml),
        Options {
            logsource_routing: true,
            include_event: false,
        },
    )
    .unwrap()
}

/// The titles of the rules `event` fires in a fresh detector.
pub fn fired(yaml: &str, event: &Event) -> Vec<String> {
    let mut d = detector(yaml);
    hits(&mut d, event).into_iter().map(|h| h.title).collect()
}

pub fn hits(d: &mut SigmaDetector, event: &Event) -> Vec<Hit> {
    let mut out = Vec::new();
    d.detect(event, &mut out);
    out
}
