//! SigmaHQ's regression events (`sigma/regression_events.jsonl.gz`: EVTX
//! records as JSON, each set linked to the rule it must trigger) decoded
//! by medsec's Windows decoder, every SigmaHQ rule loaded: each rule fires
//! on its events.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use medsec_detect::{Detector, Options, RuleSet, SigmaDetector};
use medsec_logs::{Decoders, Format, Masker, Normalizer, Outcome, SourceConfig};

use crate::data_dir;

#[test]
fn sigmahq_regression_events_fire_their_rules() {
    let Some(data) = data_dir() else {
        eprintln!(
            "sigmahq_regression_events_fire_their_rules: skipped, the data is missing (set MEDSEC_DATA to the shared data directory)"
        );
        return;
    };
    let sigma = data.join("sigma");
    let set = RuleSet::load(
        &[sigma.join("rules"), sigma.join("rules-emerging-threats")],
        Vec::new(),
    )
    .unwrap();
    assert!(set.rules.len() > 3000, "{} rules", set.rules.len());
    let mut detector = SigmaDetector::new(
        &set,
        Options {
            logsource_routing: true,
            include_event: false,
        },
    )
    .unwrap();
    let file = std::fs::File::open(sigma.join("regression_events.jsonl.gz")).unwrap();
    let mut normalizer = Normalizer::new(
        SourceConfig::new("m", "s", Format::WindowsJson),
        Arc::new(Decoders::new()),
        Arc::new(Masker::disabled()),
    );
    let failed_to_load: BTreeMap<String, String> = set
        .failures
        .iter()
        .map(|f| (f.path.display().to_string(), f.reason.clone()))
        .collect();
    let (mut tests, mut fired) = (0, 0);
    let mut missed = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let rule_id = record["rule_id"].as_str().unwrap().to_owned();
        let mut hit = false;
        let mut events = 0;
        for ev in record["events"].as_array().into_iter().flatten() {
            let docs = match ev["format"].as_str() {
                Some("json") => vec![ev["data"].clone()],
                Some("json-multi") => ev["data"].as_array().cloned().unwrap_or_default(),
                _ => continue,
            };
            for doc in docs {
                let text = doc.to_string();
                let Outcome::Event { event, .. } = normalizer.normalize(text.as_bytes(), 0) else {
                    panic!("not an event: {text}");
                };
                events += 1;
                let mut out = Vec::new();
                detector.detect(&event, &mut out);
                hit |= out
                    .iter()
                    .any(|h| h.rule_id.as_deref() == Some(rule_id.as_str()));
            }
        }
        if events == 0 {
            continue;
        }
        tests += 1;
        if hit {
            fired += 1;
        } else {
            let path = record["rule_path"].as_str().unwrap_or("");
            let why = failed_to_load
                .iter()
                .find(|(p, _)| p.ends_with(path))
                .map_or("loaded, did not fire".to_owned(), |(_, r)| {
                    format!("not loaded: {r}")
                });
            missed.push(format!("{rule_id} {path}: {why}"));
        }
    }
    eprintln!(
        "{} rules loaded, {} failed; {fired} of {tests} regression tests fire their rule",
        set.rules.len(),
        set.failures.len()
    );
    assert!(tests > 190, "{tests} tests");
    assert!(
        missed.is_empty(),
        "{} missed:\n{}",
        missed.len(),
        missed.join("\n")
    );
}
