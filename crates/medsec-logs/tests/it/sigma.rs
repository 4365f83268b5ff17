//! The Windows events of the Sigma regression set (EVTX records as JSON,
//! from Sysmon, Security, PowerShell and other channels) decode with
//! their event id, channel and time, in `windows-json` and in `auto`.

use std::io::{BufRead, BufReader};

use medsec_logs::{Format, Outcome, Value};

use crate::{RECEIVED, data_or_skip, normalizer};

#[test]
fn windows_events_decode() {
    let Some(dir) = data_or_skip("windows_events_decode") else {
        return;
    };
    let path = dir.join("sigma/regression_events.jsonl.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "windows_events_decode: skipped, the data is missing ({})",
            path.display()
        );
        return;
    };
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut explicit = normalizer(Format::WindowsJson);
    let mut auto = normalizer(Format::Auto);
    let mut decoded = 0;
    for line in reader.lines() {
        let record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        for event in record["events"].as_array().into_iter().flatten() {
            let documents = match event["format"].as_str() {
                Some("json") => vec![event["data"].clone()],
                Some("json-multi") => event["data"].as_array().cloned().unwrap_or_default(),
                _ => continue,
            };
            for doc in documents {
                if doc.get("Event").is_none() {
                    continue;
                }
                let text = doc.to_string();
                for n in [&mut explicit, &mut auto] {
                    let Outcome::Event { event, error: None } =
                        n.normalize(text.as_bytes(), RECEIVED)
                    else {
                        panic!("{text}");
                    };
                    assert!(
                        matches!(event.get("winlog.event_id"), Some(Value::Int(_))),
                        "{text}"
                    );
                    assert!(event.get("winlog.channel").is_some(), "{text}");
                    assert_ne!(event.timestamp, RECEIVED, "{text}");
                    assert_eq!(event.get("event.module").unwrap().to_text(), "windows");
                }
                decoded += 1;
            }
        }
    }
    assert!(decoded > 150, "{decoded} events");
}
