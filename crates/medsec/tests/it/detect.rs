//! `medsec sigma check` and `medsec hunt` with the real binary: a rule
//! tree with a broken rule reported by file and line, and a hunt over a
//! syslog file and a gzip'd Windows event file printing NDJSON hits with
//! rule, level, ATT&CK techniques and the event, a correlation included.

use crate::{run, text};

const RULES: &[(&str, &str)] = &[
    (
        "linux/ssh_failed.yml",
        "title: SSH failed password\nid: 1d3f7c52-0a3e-4e4c-9d7a-5a2b1f0c0001\nname: ssh_failed\nstatus: test\nlogsource:\n    product: linux\n    service: auth\ndetection:\n    keywords:\n        - 'Failed password'\n    condition: keywords\nlevel: low\ntags:\n    - attack.credential-access\n    - attack.t1110.001\n",
    ),
    (
        "linux/ssh_brute.yml",
        "title: SSH brute force\nid: 1d3f7c52-0a3e-4e4c-9d7a-5a2b1f0c0002\ncorrelation:\n    type: event_count\n    rules:\n        - ssh_failed\n    group-by:\n        - source.ip\n    timespan: 5m\n    condition:\n        gte: 3\nlevel: high\ntags:\n    - attack.t1110\n",
    ),
    (
        "windows/whoami.yml",
        "title: Whoami\nid: 1d3f7c52-0a3e-4e4c-9d7a-5a2b1f0c0003\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        EventID: 1\n        Image|endswith: '\\whoami.exe'\n    condition: sel\nlevel: medium\ntags:\n    - attack.discovery\n    - attack.t1033\n",
    ),
];

const BROKEN: &str = "title: Broken\nlogsource:\n    product: linux\ndetection:\n    sel:\n        CommandLine|containz: x\n    condition: sel\n";

fn rule_dir(dir: &std::path::Path, broken: bool) -> std::path::PathBuf {
    let rules = dir.join("rules");
    for (path, text) in RULES {
        let p = rules.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    if broken {
        std::fs::write(rules.join("linux/broken.yml"), BROKEN).unwrap();
    }
    rules
}

#[test]
fn sigma_check_names_what_fails_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), true);
    let out = run(&["sigma", "check", rules.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let broken = rules.join("linux/broken.yml");
    assert!(
        stdout.contains(&format!("error: {}:6: rule \"Broken\": ", broken.display())),
        "{stdout}"
    );
    assert!(stdout.contains("containz"), "{stdout}");
    assert!(
        stdout.contains(
            "4 files: 2 detection rules, 1 correlation rules and 0 filters loaded; 1 failed"
        ),
        "{stdout}"
    );
    std::fs::remove_file(&broken).unwrap();
    let out = run(&["sigma", "check", "--json", rules.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rules"], 2);
    assert_eq!(report["failed"].as_array().unwrap().len(), 0);
}

#[test]
fn hunt_prints_hits_as_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), false);
    let auth = dir.path().join("auth.log");
    let mut lines = String::new();
    for i in 0..4 {
        lines.push_str(&format!(
            "Nov 26 09:00:0{i} emr-db sshd[42{i}]: Failed password for root from 203.0.113.9 port 5{i}000 ssh2\n"
        ));
    }
    lines.push_str("Nov 26 09:00:09 emr-db sshd[430]: Accepted password for nurse from 10.0.0.7 port 50100 ssh2\n");
    std::fs::write(&auth, lines).unwrap();
    let windows = dir.path().join("sysmon.json.gz");
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&windows).unwrap(),
            flate2::Compression::default(),
        );
        let ev = serde_json::json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 1,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-26T00:00:00Z"}},
                "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ward-pc"},
            "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami /all"}}});
        writeln!(gz, "{ev}").unwrap();
        gz.finish().unwrap();
    }
    let out = run(&[
        "hunt",
        "--rules",
        rules.to_str().unwrap(),
        auth.to_str().unwrap(),
        windows.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let hits: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let titles: Vec<&str> = hits.iter().map(|h| h["title"].as_str().unwrap()).collect();
    // Four failed passwords, the brute force once the third arrives,
    // and whoami; the Windows rule never sees the Linux lines.
    assert_eq!(
        titles,
        [
            "SSH failed password",
            "SSH failed password",
            "SSH failed password",
            "SSH brute force",
            "SSH failed password",
            "Whoami"
        ],
        "{stderr}"
    );
    let first = &hits[0];
    assert_eq!(first["file"], auth.to_str().unwrap());
    assert_eq!(first["line"], 1);
    assert_eq!(first["level"], "low");
    assert_eq!(first["attack"], serde_json::json!(["T1110.001"]));
    assert_eq!(first["rule_id"], "1d3f7c52-0a3e-4e4c-9d7a-5a2b1f0c0001");
    assert_eq!(first["event"]["source.ip"], "203.0.113.9");
    let brute = &hits[3];
    assert_eq!(
        brute["kind"],
        serde_json::json!({"correlation": "event_count"})
    );
    assert_eq!(brute["group"][0]["value"], "203.0.113.9");
    assert_eq!(brute["line"], 3);
    let whoami = &hits[5];
    assert_eq!(whoami["attack"], serde_json::json!(["T1033"]));
    assert_eq!(
        whoami["event"]["winlog.event_data.CommandLine"],
        "whoami /all"
    );
    assert!(
        stderr.contains("2 files, 6 lines, 6 events, 6 hits"),
        "{stderr}"
    );
}

#[test]
fn logs_hunt_runs_rules_over_stored_events() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), false);
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    for (name, kind) in [
        ("의료ISAC", "isac"),
        ("서울병원", "hospital"),
        ("부산병원", "hospital"),
    ] {
        let out = run(&[
            "org",
            "create",
            "--data-dir",
            &d,
            "--name",
            name,
            "--kind",
            kind,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for (member, attempts) in [("서울병원", 4), ("부산병원", 2)] {
        let file = dir.path().join(format!("{member}.log"));
        let lines: String = (0..attempts)
            .map(|i| format!("Nov 26 09:00:0{i} emr sshd[7{i}]: Failed password for root from 203.0.113.9 port 5{i}000 ssh2\n"))
            .collect();
        std::fs::write(&file, lines).unwrap();
        let out = run(&[
            "logs",
            "import",
            "--data-dir",
            &d,
            "--member",
            member,
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let hunt = |member: Option<&str>| {
        let mut args = vec![
            "logs",
            "hunt",
            "--data-dir",
            &d,
            "--rules",
            rules.to_str().unwrap(),
            "--from",
            "2000-01-01T00:00:00Z",
            "--to",
            "2100-01-01T00:00:00Z",
            "--no-event",
        ];
        if let Some(m) = member {
            args.extend(["--member", m]);
        }
        let out = run(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let hits: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (hits, text(&out.stderr))
    };
    let (hits, err) = hunt(Some("서울병원"));
    let titles: Vec<&str> = hits
        .iter()
        .map(|h| h["hit"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "SSH failed password",
            "SSH failed password",
            "SSH failed password",
            "SSH brute force",
            "SSH failed password"
        ],
        "{err}"
    );
    assert!(hits.iter().all(|h| h["member"] == "서울병원"));
    assert!(err.contains("4 stored events, 5 hits"), "{err}");
    // All members: 부산병원's two attempts are two hits, not a brute
    // force, even with 서울병원's from the same address in the same
    // seconds (correlations count per member).
    let (hits, _) = hunt(None);
    let busan: Vec<&str> = hits
        .iter()
        .filter(|h| h["member"] == "부산병원")
        .map(|h| h["hit"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(busan, ["SSH failed password", "SSH failed password"]);
    assert_eq!(hits.len(), 7);
}

/// The small ATT&CK bundles of medsec-detect's fixtures (enterprise STIX
/// 2.0, ICS STIX 2.1).
fn attack_fixtures() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-detect/tests/fixtures/attack")
}

/// A rule whose tags name a revoked, a deprecated, an unknown and an ICS
/// technique, a tactic of no domain and a known group.
const TAGGED: &str = "title: Old tags\nid: 1d3f7c52-0a3e-4e4c-9d7a-5a2b1f0c0009\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\hidden.exe'\n    condition: sel\nlevel: low\ntags:\n    - attack.execution\n    - attack.t1143\n    - attack.t1064\n    - attack.t9999\n    - attack.t0800\n    - attack.stealth\n    - attack.g0032\n";

#[test]
fn sigma_check_warns_of_attack_tags() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), false);
    let tagged = rules.join("windows/old_tags.yml");
    std::fs::write(&tagged, TAGGED).unwrap();
    let attack = attack_fixtures();
    let out = run(&[
        "sigma",
        "check",
        "--attack",
        attack.to_str().unwrap(),
        rules.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    // Warnings, not failures.
    assert!(out.status.success(), "{stdout}{stderr}");
    let at = tagged.display();
    for line in [
        format!(
            "warning: {at}:13: rule \"Old tags\": tag attack.t1143 names a revoked technique (T1143 Hidden Window), replaced by T1564.003"
        ),
        format!(
            "warning: {at}:14: rule \"Old tags\": tag attack.t1064 names a deprecated technique (T1064 Scripting)"
        ),
        format!("warning: {at}:15: rule \"Old tags\": tag attack.t9999 names no ATT&CK technique"),
        format!("warning: {at}:17: rule \"Old tags\": tag attack.stealth names no ATT&CK tactic"),
    ] {
        assert!(stdout.contains(&line), "{line}\nnot in:\n{stdout}");
    }
    // The tags of the other rules are all known: 2 + 1 + 2 + 7.
    assert!(
        stdout.contains("ATT&CK: 12 tags checked; 2 unknown, 1 deprecated, 1 revoked"),
        "{stdout}"
    );
    assert!(
        stderr.contains("ATT&CK: enterprise 8 techniques, ics 5 techniques"),
        "{stderr}"
    );

    let out = run(&[
        "sigma",
        "check",
        "--json",
        "--attack",
        attack.to_str().unwrap(),
        rules.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["attack"];
    assert_eq!(
        (a["tags"].as_u64(), a["unknown"].as_u64()),
        (Some(12), Some(2))
    );
    assert_eq!(a["warnings"][0]["tag"], "attack.t1143");
    assert_eq!(a["warnings"][0]["problem"], "revoked");
    assert_eq!(a["warnings"][0]["line"], 13);

    // A path without a bundle is an error that says so.
    let out = run(&[
        "sigma",
        "check",
        "--attack",
        rules.to_str().unwrap(),
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no ATT&CK STIX bundle"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn hunt_names_the_techniques_of_each_hit() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), false);
    let auth = dir.path().join("auth.log");
    std::fs::write(
        &auth,
        "Nov 26 09:00:01 emr-db sshd[421]: Failed password for root from 203.0.113.9 port 51000 ssh2\n",
    )
    .unwrap();
    let attack = attack_fixtures();
    let out = run(&[
        "hunt",
        "--no-event",
        "--attack",
        attack.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        auth.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hit: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(
        hit["attack_techniques"],
        serde_json::json!([{
            "id": "T1110.001",
            "name": "Password Guessing",
            "domain": "enterprise",
            "tactics": [{"id": "TA0006", "shortname": "credential-access", "name": "Credential Access", "domain": "enterprise"}]
        }])
    );
    // Without `--attack`, no `attack_techniques`.
    let out = run(&[
        "hunt",
        "--no-event",
        "--rules",
        rules.to_str().unwrap(),
        auth.to_str().unwrap(),
    ]);
    let hit: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert!(hit.get("attack_techniques").is_none(), "{hit}");
}

/// `sigma check --attack` with the real bundles of `../shared/data/attack`
/// over a few rules: PowerShell and an ICS technique resolve, an ATT&CK
/// v19 technique that the v18.1 bundles lack is reported.
#[test]
fn sigma_check_with_the_real_attack_bundles() {
    let test = "sigma_check_with_the_real_attack_bundles";
    let data = std::env::var_os("MEDSEC_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        })
        .join("attack");
    if !data.is_dir() {
        eprintln!("{test}: skipped: ../shared/data/attack not found (set MEDSEC_DATA)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = rule_dir(dir.path(), false);
    std::fs::write(
        rules.join("windows/ps.yml"),
        "title: PowerShell on a modality workstation\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\powershell.exe'\n    condition: sel\ntags:\n    - attack.execution\n    - attack.t1059.001\n    - attack.t0800\n    - attack.t1685\n",
    )
    .unwrap();
    let out = run(&[
        "sigma",
        "check",
        "--json",
        "--attack",
        data.to_str().unwrap(),
        rules.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["attack"];
    eprintln!("{test}: {}; {}", a["tags"], text(&out.stderr).trim());
    assert_eq!(a["unknown"], 1, "{a}");
    assert_eq!(a["warnings"][0]["tag"], "attack.t1685");
    assert!(
        text(&out.stderr).contains("enterprise 835 techniques, ics 95 techniques"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn hunt_matches_indicators_from_stix_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let stix = dir.path().join("isac.json");
    std::fs::write(
        &stix,
        serde_json::json!({"type": "bundle", "id": "bundle--0c1e2b0e-5d7e-4b5f-9d41-3f6c2f1a9e01", "objects": [
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--6f1c4d2e-8a3b-4c5d-9e7f-0a1b2c3d4e5f",
             "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
             "name": "MedLock C2", "confidence": 85, "labels": ["attack.t1071.001"],
             "pattern": "[ipv4-addr:value = '203.0.113.9' OR ipv4-addr:value = '203.0.113.10']",
             "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--7a2d5e3f-9b4c-4d6e-8f70-1b2c3d4e5f60",
             "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
             "pattern": "[ipv4-addr:value = '203.0.113.9'] FOLLOWEDBY [domain-name:value = 'x.example']",
             "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}
        ]})
        .to_string(),
    )
    .unwrap();
    let csv = dir.path().join("member.csv");
    std::fs::write(
        &csv,
        "type,value,source,description\ncidr,10.0.0.0/24,Seoul hospital,inside the EMR network\n",
    )
    .unwrap();
    let auth = dir.path().join("auth.log");
    std::fs::write(
        &auth,
        "Nov 26 09:00:00 emr-db sshd[420]: Failed password for root from 203.0.113.9 port 50000 ssh2\n\
         Nov 26 09:00:01 emr-db sshd[421]: Failed password for root from 198.51.100.1 port 50001 ssh2\n\
         Nov 26 09:00:09 emr-db sshd[430]: Accepted password for nurse from 10.0.0.7 port 50100 ssh2\n",
    )
    .unwrap();
    let out = run(&[
        "hunt",
        "--indicators",
        stix.to_str().unwrap(),
        "--indicators",
        csv.to_str().unwrap(),
        "--no-event",
        auth.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let hits: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(
        hits[0]["title"],
        "Indicator match: ipv4 203.0.113.9 (isac.json)"
    );
    assert_eq!(hits[0]["kind"], "indicator");
    assert_eq!(
        hits[0]["rule_id"],
        "indicator--6f1c4d2e-8a3b-4c5d-9e7f-0a1b2c3d4e5f"
    );
    assert_eq!(hits[0]["level"], "high");
    assert_eq!(hits[0]["attack"], serde_json::json!(["T1071.001"]));
    assert_eq!(hits[0]["line"], 1);
    assert_eq!(
        hits[0]["matched"],
        serde_json::json!([{"field": "source.ip", "value": "203.0.113.9"}])
    );
    assert!(hits[0].get("event").is_none());
    assert_eq!(
        hits[1]["title"],
        "Indicator match: cidr 10.0.0.0/24 (Seoul hospital)"
    );
    assert_eq!(hits[1]["level"], "medium");
    assert_eq!(hits[1]["line"], 3);
    // The pattern medsec cannot match is said, not dropped.
    assert!(
        stderr.contains("warning: ") && stderr.contains("FOLLOWEDBY"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 indicators (cidr 1, ipv4 2) from 2 files, 1 skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 files, 3 lines, 3 events, 2 hits"),
        "{stderr}"
    );

    // With rules too; without either, a usage error; a bad file names its line.
    let rules = rule_dir(dir.path(), false);
    let out = run(&[
        "hunt",
        "--rules",
        rules.to_str().unwrap(),
        "--indicators",
        csv.to_str().unwrap(),
        auth.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 3);
    let out = run(&["hunt", auth.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    std::fs::write(&csv, "type,value\nip,10.0.0.999\n").unwrap();
    let out = run(&[
        "hunt",
        "--indicators",
        csv.to_str().unwrap(),
        auth.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("line 2, column 2 (value): `10.0.0.999` is not an IP address or CIDR block"),
        "{}",
        text(&out.stderr)
    );
}
