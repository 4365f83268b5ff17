//! Real NVD data: the 60 CVE records of `nvd/cve-medical.jsonl.gz` under
//! the shared data directory (`MEDSEC_DATA`, by default `../shared/data`
//! next to the workspace). Every configuration and criteria string must
//! parse and write back as NVD wrote it; every configuration must match an
//! inventory built from its own criteria with versions inside the bounds,
//! and not match one with versions just outside them or without the
//! platform of an AND configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use crate::name::{Attribute, Value};

use super::*;

struct Record {
    id: String,
    configurations: Configurations,
}

/// The records, or `None` (after saying so) when the data is missing and
/// `MEDSEC_REQUIRE_DATA` is not `1`.
#[allow(clippy::print_stderr)]
fn records() -> Option<Vec<Record>> {
    let dir = std::env::var_os("MEDSEC_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let path = dir.join("nvd/cve-medical.jsonl.gz");
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1") => {
            eprintln!("skipped: {}: {e}", path.display());
            return None;
        }
        Err(e) => panic!("{}: {e} (MEDSEC_REQUIRE_DATA=1)", path.display()),
    };
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let records = reader
        .lines()
        .map(|line| {
            let line = line.unwrap();
            let record: serde_json::Value = serde_json::from_str(&line).unwrap();
            let id = record["id"].as_str().unwrap().to_owned();
            let configurations = match record.get("configurations") {
                Some(c) => {
                    serde_json::from_value(c.clone()).unwrap_or_else(|e| panic!("{id}: {e}"))
                }
                None => Configurations::default(),
            };
            Record { id, configurations }
        })
        .collect();
    Some(records)
}

fn literal(text: &str) -> Value {
    Value::literal(text).unwrap()
}

/// A version inside the entry's bounds, found among the bounds
/// themselves, a step above the lower one and `0`.
fn inside(entry: &CpeMatch) -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(b) = entry.start() {
        candidates.push(b.version.to_string());
        candidates.push(format!("{}.1", b.version));
    }
    if let Some(b) = entry.end() {
        candidates.push(b.version.to_string());
    }
    candidates.push("0".to_owned());
    candidates
        .into_iter()
        .find(|v| entry.matches(&entry.criteria().with_version(literal(v))))
}

/// A version just outside the bounds: the excluded end itself, or a step
/// above the included end; below the start when there is no end.
fn outside(entry: &CpeMatch) -> Option<String> {
    let candidate = match (entry.start(), entry.end()) {
        (_, Some(b)) if b.inclusive => format!("{}.1", b.version),
        (_, Some(b)) => b.version.to_string(),
        (Some(_), None) => "0".to_owned(),
        (None, None) => return None,
    };
    let target = entry.criteria().with_version(literal(&candidate));
    assert!(
        !entry.matches(&target),
        "{}: {candidate}",
        entry.criteria_text()
    );
    Some(candidate)
}

/// The inventory name standing for an entry: its criteria, with a version
/// chosen by `bounded` when the entry has bounds.
fn name_for(entry: &CpeMatch, bounded: impl Fn(&CpeMatch) -> Option<String>) -> Option<Cpe> {
    if entry.start().is_some() || entry.end().is_some() {
        return bounded(entry).map(|v| entry.criteria().with_version(literal(&v)));
    }
    Some(entry.criteria().clone())
}

/// The same, but with a version that the entry excludes: just outside the
/// bounds, or another version than a concrete or NA one. `None` for an
/// entry that takes every version.
fn excluded_name(entry: &CpeMatch) -> Option<Cpe> {
    if entry.start().is_some() || entry.end().is_some() {
        return name_for(entry, outside);
    }
    let criteria = entry.criteria();
    let other = match criteria.get(Attribute::Version) {
        Value::Any => return None,
        Value::Na => "1.0".to_owned(),
        Value::Str(t) => format!("{}.1", t.literal()),
    };
    Some(criteria.with_version(literal(&other)))
}

fn entries(config: &Configuration) -> impl Iterator<Item = &CpeMatch> {
    config.nodes.iter().flat_map(|n| &n.cpe_match)
}

#[test]
fn every_record_parses_and_writes_back() {
    let Some(records) = records() else { return };
    assert_eq!(records.len(), 60);
    let with = records.iter().filter(|r| !r.configurations.is_empty());
    assert_eq!(with.count(), 52);
    let all: Vec<&CpeMatch> = records
        .iter()
        .flat_map(|r| r.configurations.iter())
        .flat_map(entries)
        .collect();
    assert_eq!(all.len(), 213);
    for entry in &all {
        // Our canonical formatted string is NVD's spelling.
        assert_eq!(entry.criteria().to_string(), entry.criteria_text());
    }
    let escaped: BTreeSet<&str> = all
        .iter()
        .map(|e| e.criteria_text())
        .filter(|c| c.contains('\\'))
        .collect();
    assert!(escaped.len() >= 10, "{escaped:?}");
    // Each record's configurations serialise back to NVD's JSON.
    for r in &records {
        let json = serde_json::to_value(&r.configurations).unwrap();
        let again: Configurations = serde_json::from_value(json).unwrap();
        assert_eq!(again, r.configurations, "{}", r.id);
    }
}

#[test]
fn configurations_match_inside_and_not_outside_their_bounds() {
    let Some(records) = records() else { return };
    let (mut checked, mut outside_checked, mut and_checked) = (0, 0, 0);
    for r in &records {
        for (i, config) in r.configurations.iter().enumerate() {
            let here = format!("{} configuration {i}", r.id);
            let inventory: Vec<Cpe> = entries(config)
                .map(|e| {
                    name_for(e, inside).unwrap_or_else(|| panic!("{here}: {}", e.criteria_text()))
                })
                .collect();
            let m = config
                .evaluate(&inventory)
                .unwrap_or_else(|| panic!("{here}: no match inside the bounds"));
            checked += 1;
            let in_list = r.configurations.evaluate(&inventory);
            assert!(in_list.iter().any(|m| m.configuration == i), "{here}");
            // Hits point at entries of the right kind.
            for (hits, vulnerable) in [(&m.vulnerable, true), (&m.platform, false)] {
                for h in hits {
                    let entry = &config.nodes[h.node].cpe_match[h.entry];
                    assert_eq!(entry.vulnerable(), vulnerable, "{here}");
                    assert_eq!(entry.criteria_text(), h.criteria);
                    assert_eq!(entry.bounds(), h.bounds);
                    assert!(entry.matches(&inventory[h.target]), "{here}");
                }
            }
            let has_platform = entries(config).any(|e| !e.vulnerable());
            assert_eq!(!m.platform.is_empty(), has_platform, "{here}");

            // Every vulnerable entry moved outside its bounds: no match,
            // when every vulnerable entry has an outside.
            let moved: Option<Vec<Cpe>> = entries(config)
                .map(|e| {
                    if e.vulnerable() {
                        excluded_name(e)
                    } else {
                        name_for(e, inside)
                    }
                })
                .collect();
            if let Some(moved) = moved {
                assert_eq!(
                    config.evaluate(&moved),
                    None,
                    "{here}: matched outside the bounds"
                );
                outside_checked += 1;
            }

            // An AND configuration with a platform node does not match the
            // vulnerable components alone.
            let platform_node = config
                .nodes
                .iter()
                .any(|n| n.cpe_match.iter().all(|e| !e.vulnerable()));
            if config.operator() == Operator::And && platform_node {
                let alone: Vec<Cpe> = entries(config)
                    .filter(|e| e.vulnerable())
                    .map(|e| name_for(e, inside).unwrap())
                    .collect();
                assert_eq!(
                    config.evaluate(&alone),
                    None,
                    "{here}: matched without its platform"
                );
                and_checked += 1;
            }
        }
    }
    // All 92 configurations of the 52 analysed records matched; 83 have
    // only vulnerable entries that can be moved outside (the other 9 have
    // an entry for every version), and 74 are firmware AND hardware.
    assert_eq!(checked, 92);
    assert_eq!(outside_checked, 83);
    assert_eq!(and_checked, 74);
}

/// A matcher's path: index every CVE by (vendor, product), look up the
/// device's components, and evaluate only the candidates.
#[test]
fn a_device_inventory_against_all_records() {
    let Some(records) = records() else { return };
    let mut index: HashMap<(String, String), BTreeSet<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        for (_, vendor, product) in r.configurations.keys() {
            index
                .entry((vendor.to_owned(), product.to_owned()))
                .or_default()
                .insert(i);
        }
    }
    let findings = |names: &[&str]| -> Vec<(String, Vec<ConfigMatch>)> {
        let inventory: Vec<Cpe> = names.iter().map(|n| Cpe::parse(n).unwrap()).collect();
        let candidates: BTreeSet<usize> = inventory
            .iter()
            .filter_map(|c| {
                let (_, vendor, product) = c.key();
                index.get(&(vendor.to_owned(), product.to_owned()))
            })
            .flatten()
            .copied()
            .collect();
        candidates
            .into_iter()
            .map(|i| {
                (
                    records[i].id.clone(),
                    records[i].configurations.evaluate(&inventory),
                )
            })
            .filter(|(_, m)| !m.is_empty())
            .collect()
    };

    // A Sigma Spectrum pump with firmware 6.02: in 6.0..=6.05.
    let pump = "cpe:2.3:h:baxter:sigma_spectrum_infusion_system:-:*:*:*:*:*:*:*";
    let found = findings(&[
        pump,
        "cpe:2.3:o:baxter:sigma_spectrum_infusion_system_firmware:6.02:*:*:*:*:*:*:*",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    let (id, matches) = &found[0];
    assert_eq!(id, "CVE-2020-12039");
    assert_eq!(matches[0].vulnerable[0].bounds, ">= 6.0, <= 6.05");
    assert_eq!(matches[0].vulnerable[0].target, 1);
    assert_eq!(matches[0].platform[0].target, 0);
    // Firmware 7 is between the range and the listed 8.0: not affected;
    // 8.0 is listed; without the pump hardware nothing is.
    let fw = |v: &str| {
        format!("cpe:2.3:o:baxter:sigma_spectrum_infusion_system_firmware:{v}:*:*:*:*:*:*:*")
    };
    assert!(findings(&[pump, &fw("7.0")]).is_empty());
    assert_eq!(findings(&[pump, &fw("8.0")]).len(), 1);
    assert!(findings(&[&fw("6.02")]).is_empty());

    // A Philips MRI 3T on software 5.9 is in CVE-2021-26248's first
    // configuration only (the second is the 1.5T).
    let found = findings(&[
        "cpe:2.3:h:philips:mri_3t:-:*:*:*:*:*:*:*",
        "cpe:2.3:o:philips:mri_3t_firmware:5.9:*:*:*:*:*:*:*",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "CVE-2021-26248");
    assert_eq!(
        found[0]
            .1
            .iter()
            .map(|m| m.configuration)
            .collect::<Vec<_>>(),
        [0]
    );
    assert!(
        findings(&[
            "cpe:2.3:h:philips:mri_3t:-:*:*:*:*:*:*:*",
            "cpe:2.3:o:philips:mri_3t_firmware:6.0.0:*:*:*:*:*:*:*",
        ])
        .is_empty()
    );
}
