#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const ENTERPRISE: &str = include_str!("../../tests/fixtures/attack/enterprise-mini.json");
const ICS: &str = include_str!("../../tests/fixtures/attack/ics-mini.json");

fn both() -> Matrix {
    let mut m = Matrix::from_bundle(ENTERPRISE.as_bytes()).unwrap();
    m.merge(Matrix::from_bundle(ICS.as_bytes()).unwrap());
    m
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The error of a bundle made of `objects` (a JSON array's text).
fn error_of(objects: &str) -> String {
    let text = format!(r#"{{"type": "bundle", "id": "bundle--x", "objects": {objects}}}"#);
    Matrix::from_bundle(text.as_bytes())
        .unwrap_err()
        .to_string()
}

#[test]
fn reads_a_stix_20_bundle() {
    let m = Matrix::from_bundle(ENTERPRISE.as_bytes()).unwrap();
    let t = m.technique("T1059.001").unwrap();
    assert_eq!(t.name, "PowerShell");
    assert_eq!(t.domain, Domain::Enterprise);
    assert_eq!(t.parent.as_deref(), Some("T1059"));
    assert!(t.is_subtechnique());
    assert_eq!(t.version.as_deref(), Some("1.2"));
    assert_eq!(t.platforms, ["Windows"]);
    assert_eq!(
        t.url.as_deref(),
        Some("https://attack.mitre.org/techniques/T1059/001")
    );
    let tactic = &t.tactics[0];
    assert_eq!(
        (
            tactic.id.as_str(),
            tactic.shortname.as_str(),
            tactic.name.as_str()
        ),
        ("TA0002", "execution", "Execution")
    );
    assert!(!t.deprecated && !t.revoked);
    // Escaped JSON strings are read as well as borrowed ones.
    assert_eq!(
        m.technique("T1033").unwrap().name,
        "System Owner/User Discovery"
    );
    // Several tactics, in the bundle's order.
    let scripting = m.technique("T1064").unwrap();
    assert!(scripting.deprecated);
    let ids: Vec<&str> = scripting.tactics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["TA0005", "TA0002"]);
    // Revoked, and by what (a `revoked-by` relationship).
    let hidden = m.technique("T1143").unwrap();
    assert!(hidden.revoked);
    assert_eq!(hidden.revoked_by.as_deref(), Some("T1564.003"));
    // Only ATT&CK's objects: the CAPEC-only pattern is not a technique.
    assert_eq!(m.techniques().count(), 8);
    assert_eq!(m.tactics().count(), 4);
    let lazarus = m.entity("g0032").unwrap();
    assert_eq!(
        (lazarus.name.as_str(), lazarus.kind),
        ("Lazarus Group", EntityKind::Group)
    );
    assert_eq!(m.entity("S0002").unwrap().kind, EntityKind::Tool);
    assert_eq!(m.domains().collect::<Vec<_>>(), [Domain::Enterprise]);
    assert!(m.diagnostics().is_empty());
}

#[test]
fn reads_a_stix_21_bundle_with_ics_techniques() {
    let m = Matrix::from_bundle(ICS.as_bytes()).unwrap();
    let t = m.technique("t0800").unwrap();
    assert_eq!(t.name, "Activate Firmware Update Mode");
    assert_eq!(t.domain, Domain::Ics);
    assert_eq!(t.tactics[0].id, "TA0107");
    assert_eq!(t.tactics[0].domain, Domain::Ics);
    // A deprecated technique under the old `mitre-ics-attack` source name.
    let role = m.technique("T0850").unwrap();
    assert!(role.deprecated);
    assert_eq!(role.domain, Domain::Ics);
    // Its phase names a tactic this bundle lacks: said, not fatal.
    assert!(role.tactics.is_empty());
    assert_eq!(m.diagnostics().len(), 1, "{:?}", m.diagnostics());
    let d = m.diagnostics()[0].to_string();
    assert!(
        d.contains("objects[8].kill_chain_phases[0].phase_name")
            && d.contains("attack-pattern--00000000-0000-4000-8000-000000000114")
            && d.contains("`collection`"),
        "{d}"
    );
}

#[test]
fn gzip_and_plain_read_the_same() {
    let plain = Matrix::from_bundle(ENTERPRISE.as_bytes()).unwrap();
    let gz = Matrix::from_bundle(&gzip(ENTERPRISE.as_bytes())).unwrap();
    assert_eq!(
        plain.techniques().collect::<Vec<_>>(),
        gz.techniques().collect::<Vec<_>>()
    );
}

#[test]
fn lookups_ignore_case_and_space() {
    let m = both();
    for id in ["T1059.001", "t1059.001", " T1059.001 "] {
        assert_eq!(m.technique(id).unwrap().id, "T1059.001", "{id}");
    }
    assert_eq!(m.tactic("ta0104").unwrap().name, "Execution");
    let execution: Vec<&str> = m
        .tactics_named("Execution")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(execution, ["TA0002", "TA0104"]);
    assert!(m.technique("T9999").is_none());
}

#[test]
fn resolves_sigma_tags() {
    let m = both();
    let refs = m.resolve_tags(&tags(&[
        "attack.execution",
        "attack.t1059.001",
        "attack.T1059.001",
        "attack.t0800",
        "attack.t9999",
        "attack.t1143",
        "attack.t1064",
        "attack.g0032",
        "attack.s0002",
        "attack.g9999",
        "attack.stealth",
        "attack.ds0005",
        "cve.2021-44228",
        "tlp.clear",
    ]));
    let shown: Vec<(String, Option<String>)> = refs
        .iter()
        .map(|r| (r.tag.clone(), r.problem().map(|p| p.to_string())))
        .collect();
    let expect: Vec<(String, Option<String>)> = [
        ("attack.execution", None),
        ("attack.t1059.001", None),
        ("attack.t0800", None),
        ("attack.t9999", Some("names no ATT&CK technique")),
        (
            "attack.t1143",
            Some("names a revoked technique (T1143 Hidden Window), replaced by T1564.003"),
        ),
        (
            "attack.t1064",
            Some("names a deprecated technique (T1064 Scripting)"),
        ),
        ("attack.g0032", None),
        ("attack.s0002", None),
        ("attack.g9999", Some("names no ATT&CK group")),
        ("attack.stealth", Some("names no ATT&CK tactic")),
        ("attack.ds0005", None),
    ]
    .iter()
    .map(|(t, p)| ((*t).to_owned(), p.map(str::to_owned)))
    .collect();
    assert_eq!(shown, expect);
    match &refs[0].target {
        Target::Tactic(list) => assert_eq!(list.len(), 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(refs[10].target, Target::Unchecked(TagKind::Other));
    assert_eq!(
        refs[3].problem().map(|p| p.code()),
        Some("unknown"),
        "{:?}",
        refs[3]
    );
    let found: Vec<&str> = m
        .techniques_of(&tags(&["attack.t1059.001", "attack.t9999", "attack.t0800"]))
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(found, ["T1059.001", "T0800"]);
}

#[test]
fn group_and_software_tags_are_unchecked_without_them() {
    let m = Matrix::from_bundle(ICS.as_bytes()).unwrap();
    let refs = m.resolve_tags(&tags(&["attack.g0032", "attack.s0603", "attack.s0002"]));
    assert_eq!(refs[0].target, Target::Unchecked(TagKind::Group));
    assert!(matches!(refs[1].target, Target::Software(e) if e.name == "Stuxnet"));
    assert_eq!(refs[2].target, Target::Unknown(TagKind::Software));
}

#[test]
fn the_module_keeps_attack_techniques() {
    // `attack_techniques` stays as it was: ids by form, without a matrix.
    assert_eq!(
        crate::attack_techniques(&tags(&[
            "attack.t1059.001",
            "attack.execution",
            "attack.t0800"
        ])),
        ["T1059.001", "T0800"]
    );
}

#[test]
fn merge_prefers_the_active_and_newer_copy() {
    let old = r#"{"type": "bundle", "id": "bundle--a", "objects": [
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Old name", "modified": "2020-01-01T00:00:00Z",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]},
        {"type": "malware", "id": "malware--1", "name": "EKANS", "modified": "2025-01-01T00:00:00Z", "x_mitre_deprecated": true,
         "x_mitre_domains": ["ics-attack"], "external_references": [{"source_name": "mitre-attack", "external_id": "S0017"}]},
        {"type": "intrusion-set", "id": "intrusion-set--1", "name": "Dragonfly 2.0", "modified": "2020-01-01T00:00:00Z",
         "x_mitre_domains": ["ics-attack"], "external_references": [{"source_name": "mitre-attack", "external_id": "G0074"}]}
    ]}"#;
    let new = r#"{"type": "bundle", "id": "bundle--b", "objects": [
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "New name", "modified": "2024-01-01T00:00:00Z",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]},
        {"type": "malware", "id": "malware--2", "name": "BISCUIT", "modified": "2023-01-01T00:00:00Z",
         "x_mitre_domains": ["enterprise-attack"], "external_references": [{"source_name": "mitre-attack", "external_id": "S0017"}]},
        {"type": "intrusion-set", "id": "intrusion-set--1", "name": "Dragonfly 2.0", "modified": "2020-01-01T00:00:00Z",
         "x_mitre_domains": ["enterprise-attack"], "external_references": [{"source_name": "mitre-attack", "external_id": "G0074"}]}
    ]}"#;
    for (a, b) in [(old, new), (new, old)] {
        let mut m = Matrix::from_bundle(a.as_bytes()).unwrap();
        m.merge(Matrix::from_bundle(b.as_bytes()).unwrap());
        assert_eq!(m.technique("T1059").unwrap().name, "New name");
        // The active object wins over a deprecated one of the same id,
        // even a newer one.
        assert_eq!(m.entity("S0017").unwrap().name, "BISCUIT");
        // One group in two domains' bundles.
        assert_eq!(
            m.entity("G0074").unwrap().domains,
            [Domain::Enterprise, Domain::Ics]
        );
    }
}

#[test]
fn records_rebuild_the_matrix() {
    // Records as the feed import writes them: one trimmed object each,
    // the revocation carried by `x_medsec_revoked_by`.
    let records = [
        (
            "TA0005",
            r#"{"type":"x-mitre-tactic","id":"x-mitre-tactic--2","name":"Defense Evasion","x_mitre_shortname":"defense-evasion","x_mitre_domains":["enterprise-attack"],"external_references":[{"source_name":"mitre-attack","external_id":"TA0005"}]}"#,
        ),
        (
            "T1143",
            r#"{"type":"attack-pattern","id":"attack-pattern--1","name":"Hidden Window","revoked":true,"x_medsec_revoked_by":"T1564.003","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"defense-evasion"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1143","url":"https://attack.mitre.org/techniques/T1143"}]}"#,
        ),
    ];
    let m = Matrix::from_records(records).unwrap();
    let t = m.technique("T1143").unwrap();
    assert_eq!(t.revoked_by.as_deref(), Some("T1564.003"));
    assert_eq!(t.tactics[0].name, "Defense Evasion");
    assert_eq!(t.domain, Domain::Enterprise);

    let err = Matrix::from_records([("T1059", r#"{"type":"attack-pattern","revoked":"yes"}"#)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("revoked") && err.contains("(object T1059)"),
        "{err}"
    );
}

#[test]
fn errors_say_what_and_where() {
    let check = |objects: &str, wanted: &[&str]| {
        let e = error_of(objects);
        for w in wanted {
            assert!(e.contains(w), "`{w}` not in: {e}");
        }
    };
    check(
        r#"[{"type": "identity", "id": "identity--1"},
            {"type": "attack-pattern", "id": "attack-pattern--7", "x_mitre_platforms": ["Windows", 3]}]"#,
        &[
            "objects[1].x_mitre_platforms[1]",
            "(object attack-pattern--7)",
            "line 2",
        ],
    );
    check(
        r#"[{"type": "attack-pattern", "id": "attack-pattern--8",
             "external_references": [{"source_name": "capec"}, {"source_name": "mitre-attack", "external_id": "T12"}]}]"#,
        &[
            "objects[0].external_references[1].external_id",
            "`T12` is not a technique id",
        ],
    );
    check(
        r#"[{"type": "attack-pattern", "id": "attack-pattern--9",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]}]"#,
        &["objects[0].name", "T1059 has no `name`"],
    );
    check(
        r#"[{"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution",
             "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]}]"#,
        &["objects[0].x_mitre_shortname", "TA0002"],
    );
    check(
        r#"[{"type": "attack-pattern", "id": "attack-pattern--1", "spec_version": "3.0"}]"#,
        &["objects[0].spec_version", "STIX 3.0 is not read"],
    );
    let not_json = Matrix::from_bundle(b"{\"type\": \"bundle\", \"objects\": [").unwrap_err();
    assert!(
        matches!(not_json, AttackError::Json { line: 1, .. }),
        "{not_json}"
    );
    let not_bundle = Matrix::from_bundle(br#"{"type": "x-mitre-collection"}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        not_bundle,
        "not a STIX bundle: its `type` is `x-mitre-collection`, not `bundle`"
    );
    let bad_gzip = Matrix::from_bundle(&[0x1f, 0x8b, 0, 1, 2]).unwrap_err();
    assert!(matches!(bad_gzip, AttackError::Gzip { .. }), "{bad_gzip}");
}

#[test]
fn never_panics_on_truncated_input() {
    let bytes = ENTERPRISE.as_bytes();
    for cut in (0..bytes.len()).step_by(97) {
        let _ = Matrix::from_bundle(bytes.get(..cut).unwrap());
    }
    let gz = gzip(bytes);
    for cut in 0..gz.len() {
        let _ = Matrix::from_bundle(gz.get(..cut).unwrap());
    }
}

#[test]
fn recognises_bundles() {
    assert!(looks_like_bundle(ENTERPRISE.as_bytes()));
    assert!(looks_like_bundle(br#"{"id":"bundle--1","type" :"bundle"}"#));
    assert!(!looks_like_bundle(
        br#"{"id": "10296991", "name": "MITRE ATT&CK", "collections": []}"#
    ));
    assert!(!looks_like_bundle(br#"{"type": "x-mitre-collection"}"#));
}

#[test]
fn loads_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("enterprise.json.gz"),
        gzip(ENTERPRISE.as_bytes()),
    )
    .unwrap();
    std::fs::write(dir.path().join("ics.json"), ICS).unwrap();
    std::fs::write(dir.path().join("index.json"), r#"{"collections": []}"#).unwrap();
    std::fs::write(dir.path().join("README.md"), "ATT&CK").unwrap();
    let m = load_dir(dir.path()).unwrap();
    assert_eq!(
        m.domains().collect::<Vec<_>>(),
        [Domain::Enterprise, Domain::Ics]
    );
    assert!(m.technique("T0800").is_some() && m.technique("T1059").is_some());
    // One file.
    let m = load_dir(&dir.path().join("ics.json")).unwrap();
    assert!(m.technique("T1059").is_none());
    // A broken bundle names its file.
    std::fs::write(
        dir.path().join("broken.json"),
        r#"{"type": "bundle", "objects": 7}"#,
    )
    .unwrap();
    let e = load_dir(dir.path()).unwrap_err().to_string();
    assert!(e.contains("broken.json") && e.contains("objects"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = load_dir(empty.path()).unwrap_err().to_string();
    assert!(e.contains("no ATT&CK STIX bundle"), "{e}");
}

#[test]
fn finds_the_line_of_a_tag() {
    let text = "title: A\ntags:\n    - attack.execution\n    - 'attack.T1059.001'\n---\ntitle: B\ntags:\n    - attack.t1059.001\n";
    assert_eq!(tag_line(text, "attack.t1059.001", Some(1)), Some(4));
    assert_eq!(tag_line(text, "attack.t1059.001", Some(6)), Some(8));
    assert_eq!(tag_line(text, "attack.execution", Some(6)), Some(3));
    assert_eq!(
        tag_line("tags: [attack.t1, attack.t2]\n", "attack.t2", None),
        Some(1)
    );
    assert_eq!(tag_line(text, "attack.t9999", None), None);
}

#[test]
fn checks_the_tags_of_loaded_rules() {
    let mut set = crate::RuleSet::default();
    set.add_text(
        Path::new("r.yml"),
        "title: Old\nlogsource:\n    product: windows\ndetection:\n    sel:\n        a: b\n    condition: sel\ntags:\n    - attack.execution\n    - attack.t1064\n    - attack.t9999\n    - attack.t1059.001\n",
    );
    let warnings = check_tags(&set, &both());
    let shown: Vec<(&str, &str, Option<usize>)> = warnings
        .iter()
        .map(|w| (w.tag.as_str(), w.problem.code(), w.line))
        .collect();
    assert_eq!(
        shown,
        [
            ("attack.t1064", "deprecated", Some(1)),
            ("attack.t9999", "unknown", Some(1))
        ]
    );
    assert_eq!(warnings[0].rule, "Old");
    let json = serde_json::to_value(&warnings[1]).unwrap();
    assert_eq!(json["problem"], "unknown");
    assert_eq!(json["message"], "names no ATT&CK technique");
}
