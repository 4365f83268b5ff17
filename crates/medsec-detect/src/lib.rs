//! Detection over medsec's normalised events (the ISAC's watch, issue 7).
//!
//! - [`rules`]: loading Sigma rules from files and directories, with
//!   every rule that cannot be used reported (file, line, rule, reason);
//! - [`view`]: how Sigma rules see a normalised event (taxonomy field
//!   names mapped onto medsec's schema, keywords over the raw message,
//!   the log source the event vouches for);
//! - [`engine`]: [`SigmaDetector`], the rules compiled into `rsigma-eval`
//!   (detection, filters and correlation), yielding [`Hit`]s;
//! - [`attack`]: MITRE ATT&CK's techniques and tactics (enterprise, ICS)
//!   from its STIX bundles, and rules' `attack.*` tags resolved to them;
//! - [`indicators`]: threat-intelligence indicators (addresses, CIDR
//!   blocks, domains, URLs, hashes, user agents) from STIX 2.1 or CSV,
//!   matched on every event by [`IndicatorDetector`];
//! - [`webpage`]: members' web pages against their baseline (content
//!   hash, tag skeleton, external origins, inline scripts, keywords):
//!   defacement and injected scripts, without IO.
//!
//! Everything that detects implements [`Detector`], so that the live
//! stream, a retro-hunt over stored events and `medsec hunt` over files
//! drive any of them the same way.

use std::path::PathBuf;

pub mod attack;
pub mod engine;
mod eval;
mod fixes;
pub mod indicators;
pub mod rules;
pub mod view;
pub mod webpage;

pub use engine::{Options, SigmaDetector};
pub use indicators::{IndicatorDetector, IndicatorSet};
pub use rules::{LoadFailure, RuleSet};

/// Something that looks at events one at a time, in order, and reports
/// hits. Stateful detectors (correlation) rely on the order.
pub trait Detector {
    /// Adds this event's hits to `out`.
    fn detect(&mut self, event: &medsec_logs::Event, out: &mut Vec<Hit>);
}

/// What a detection produced for one event.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Hit {
    pub rule_id: Option<String>,
    pub title: String,
    pub level: Option<String>,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags (`attack.t1059.001` →
    /// `T1059.001`).
    pub attack: Vec<String>,
    pub kind: HitKind,
    /// Detection: the fields that matched and their values (`keyword`
    /// for a keyword).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<FieldValue>,
    /// Correlation: the group-by fields and values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<FieldValue>,
    /// Correlation: the count or value that met the condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timespan_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_line: Option<usize>,
    /// The event that completed the hit.
    pub event_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
}

/// A field and its value in a hit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldValue {
    pub field: String,
    pub value: serde_json::Value,
}

/// A detection rule's match, or a correlation rule's (with its type).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitKind {
    Detection,
    Correlation(String),
    /// A threat-intelligence indicator matched (`matched`: the event's
    /// fields and values).
    Indicator,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("pipeline {path}: {reason}")]
    Pipeline { path: PathBuf, reason: String },
    #[error("compiling the rules: {0}")]
    Engine(String),
}

/// Loads a processing pipeline (pySigma's YAML format: field name
/// mappings, conditions on log sources, …).
pub fn load_pipeline(path: &std::path::Path) -> Result<rsigma_eval::Pipeline, Error> {
    rsigma_eval::parse_pipeline_file(path).map_err(|e| Error::Pipeline {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// The ATT&CK technique ids among Sigma tags, in order, once each, by
/// their form alone ([`attack::Matrix::resolve_tags`] says what they name).
pub fn attack_techniques(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let Some(rest) = tag.strip_prefix("attack.") else {
            continue;
        };
        let mut chars = rest.chars();
        if !matches!(chars.next(), Some('t' | 'T')) {
            continue;
        }
        let id = chars.as_str();
        let (main, sub) = match id.split_once('.') {
            Some((m, s)) => (m, Some(s)),
            None => (id, None),
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(main, 4) || sub.is_some_and(|s| !digits(s, 3)) {
            continue;
        }
        let t = format!("T{}", id);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}
