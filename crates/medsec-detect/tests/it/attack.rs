//! MITRE ATT&CK over the real data (`../shared/data/attack`): the
//! enterprise bundle (STIX 2.0, gzip) and the ICS bundle (STIX 2.1) read
//! whole, known facts about both, and every ATT&CK tag of SigmaHQ's rules
//! (`../shared/data/sigma/rules`) resolved: the ones that name nothing (or
//! something deprecated or revoked) are listed here, so a new data set or
//! rule set that changes them fails until the list is reviewed.

use std::collections::{BTreeMap, BTreeSet};

use medsec_detect::RuleSet;
use medsec_detect::attack::{self, Domain, EntityKind, Matrix, Problem, TagKind, Target};

use crate::data_dir;

/// SigmaHQ's technique tags that name no technique of these bundles:
/// ATT&CK v19's new techniques (the rules are from 2026-08, the
/// enterprise bundle is v18.1 of 2025-11).
const UNKNOWN_TECHNIQUES: &[&str] = &[
    "attack.t1685",
    "attack.t1685.001",
    "attack.t1685.002",
    "attack.t1685.004",
    "attack.t1685.005",
    "attack.t1685.006",
    "attack.t1686",
    "attack.t1686.001",
    "attack.t1686.002",
    "attack.t1686.003",
    "attack.t1689",
    "attack.t1690",
];

/// Tactic tags that name no tactic: v19 split Defense Evasion into
/// Stealth and Defense Impairment.
const UNKNOWN_TACTICS: &[&str] = &["attack.defense-impairment", "attack.stealth"];

pub fn matrix() -> Option<Matrix> {
    let dir = data_dir()?.join("attack");
    if !dir.is_dir() {
        return None;
    }
    Some(attack::load_dir(&dir).unwrap())
}

#[test]
fn real_bundles_and_sigmahq_tags() {
    let test = "real_bundles_and_sigmahq_tags";
    let Some(data) = data_dir().filter(|d| d.join("attack").is_dir()) else {
        eprintln!("{test}: skipped: ../shared/data/attack not found (set MEDSEC_DATA)");
        return;
    };
    let started = std::time::Instant::now();
    let m = matrix().unwrap();
    let secs = started.elapsed().as_secs_f64();
    let count = |d: Domain| m.techniques().filter(|t| t.domain == d).count();
    let active = |d: Domain| {
        m.techniques()
            .filter(|t| t.domain == d && !t.deprecated && !t.revoked)
            .count()
    };
    eprintln!(
        "{test}: loaded in {secs:.2} s: enterprise {} techniques ({} active), {} tactics; ICS {} techniques ({} active), {} tactics; {} groups, {} software; {} diagnostics",
        count(Domain::Enterprise),
        active(Domain::Enterprise),
        m.tactics()
            .filter(|t| t.domain == Domain::Enterprise)
            .count(),
        count(Domain::Ics),
        active(Domain::Ics),
        m.tactics().filter(|t| t.domain == Domain::Ics).count(),
        m.entities().filter(|e| e.kind == EntityKind::Group).count(),
        m.entities().filter(|e| e.kind != EntityKind::Group).count(),
        m.diagnostics().len(),
    );
    // PROVENANCE.md's counts: 835 enterprise and 95 ICS attack patterns,
    // 14 and 12 tactics.
    assert_eq!(count(Domain::Enterprise), 835);
    assert_eq!(count(Domain::Ics), 95);
    assert_eq!(m.tactics().count(), 26);
    assert!(m.diagnostics().is_empty(), "{:?}", m.diagnostics());

    // Known facts.
    let ps = m.technique("T1059.001").unwrap();
    assert_eq!(ps.name, "PowerShell");
    assert_eq!(ps.domain, Domain::Enterprise);
    assert_eq!(ps.parent.as_deref(), Some("T1059"));
    let tactics: Vec<(&str, &str)> = ps
        .tactics
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(tactics, [("TA0002", "Execution")]);
    let fw = m.technique("T0800").unwrap();
    assert_eq!(fw.name, "Activate Firmware Update Mode");
    assert_eq!(fw.domain, Domain::Ics);
    assert_eq!(fw.tactics[0].id, "TA0107");
    assert_eq!(fw.tactics[0].name, "Inhibit Response Function");
    let hidden = m.technique("T1143").unwrap();
    assert!(hidden.revoked);
    assert_eq!(hidden.revoked_by.as_deref(), Some("T1564.003"));
    // Shortnames shared by two domains.
    assert_eq!(m.tactics_named("execution").len(), 2);
    // S0017 is BISCUIT in enterprise and a deprecated EKANS in the ICS
    // bundle: the active one wins.
    assert_eq!(m.entity("S0017").unwrap().name, "BISCUIT");
    assert_eq!(m.entity("G0032").unwrap().name, "Lazarus Group");

    // SigmaHQ's tags.
    let set = RuleSet::load(&[data.join("sigma").join("rules")], Vec::new()).unwrap();
    let mut by_kind: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut problems: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    let mut technique_uses = 0;
    let tags = set
        .rules
        .iter()
        .map(|(r, _)| &r.tags)
        .chain(set.correlations.iter().map(|(c, _)| &c.tags));
    for tags in tags {
        for r in m.resolve_tags(tags) {
            let kind = match &r.target {
                Target::Technique(_) => "technique",
                Target::Tactic(_) => "tactic",
                Target::Group(_) => "group",
                Target::Software(_) => "software",
                Target::Unknown(k) | Target::Unchecked(k) => k.as_str(),
            };
            if kind == TagKind::Technique.as_str() {
                technique_uses += 1;
            }
            let tag = r.tag.to_ascii_lowercase();
            by_kind.entry(kind).or_default().insert(tag.clone());
            if let Some(p) = r.problem() {
                let kind = match &p {
                    Problem::Unknown { kind }
                    | Problem::Deprecated { kind, .. }
                    | Problem::Revoked { kind, .. } => kind.as_str(),
                };
                problems.entry((kind, p.code())).or_default().insert(tag);
            }
        }
    }
    let counts: Vec<String> = by_kind
        .iter()
        .map(|(k, v)| format!("{} {k}", v.len()))
        .collect();
    eprintln!(
        "{test}: {} rules; distinct ATT&CK tags: {} ({technique_uses} technique tag uses); problems: {problems:?}",
        set.rules.len() + set.correlations.len(),
        counts.join(", "),
    );
    let technique_tags = by_kind["technique"].len();
    assert_eq!(technique_tags, 390, "distinct technique tags");
    let listed = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    };
    let expected: BTreeMap<(&str, &str), BTreeSet<String>> = [
        (("technique", "unknown"), listed(UNKNOWN_TECHNIQUES)),
        (("tactic", "unknown"), listed(UNKNOWN_TACTICS)),
    ]
    .into_iter()
    .collect();
    assert_eq!(problems, expected);
}
