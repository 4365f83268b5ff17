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
