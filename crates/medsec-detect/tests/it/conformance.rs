//! Rule/event pairs for every value modifier and condition form of the
//! Sigma specification (`sigma/spec/specification`), each with events that
//! must and must not fire; correlation types with group-by and timespan;
//! Sigma filters; and the mapping of taxonomy names onto medsec's schema.

use std::net::IpAddr;

use medsec_logs::Value;

use crate::{detector, event, event_at, fired, hits, s};

fn rule(detection: &str) -> String {
    let body: String = detection
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>();
    format!(
        "title: T\nid: 6f1c8a52-2d0e-4c1b-9a51-0c3c5f0f0001\nlogsource:\n    category: test\ndetection:\n{body}level: high\ntags:\n    - attack.execution\n    - attack.t1059.001\n"
    )
}

/// `detection` fires on each of `yes` and on none of `no`.
fn check(name: &str, detection: &str, yes: &[&[(&str, Value)]], no: &[&[(&str, Value)]]) {
    let yaml = rule(detection);
    for fields in yes {
        assert_eq!(
            fired(&yaml, &event(fields)),
            ["T"],
            "{name}: should fire on {fields:?}\n{yaml}"
        );
    }
    for fields in no {
        assert!(
            fired(&yaml, &event(fields)).is_empty(),
            "{name}: should not fire on {fields:?}\n{yaml}"
        );
    }
}

#[test]
fn plain_values_wildcards_and_lists() {
    check(
        "exact, case-insensitive",
        "sel:\n    Image: 'C:\\Windows\\cmd.exe'\ncondition: sel",
        &[
            &[("Image", s("C:\\Windows\\cmd.exe"))],
            &[("Image", s("c:\\windows\\CMD.EXE"))],
        ],
        &[
            &[("Image", s("C:\\Windows\\cmd.exe2"))],
            &[("Other", s("x"))],
        ],
    );
    check(
        "wildcards * and ?",
        "sel:\n    Image: '*\\cm?.exe'\ncondition: sel",
        &[
            &[("Image", s("C:\\Windows\\cmd.exe"))],
            &[("Image", s("\\cmx.exe"))],
        ],
        &[&[("Image", s("C:\\Windows\\cmdd.exe"))]],
    );
    check(
        "escaped wildcard is literal",
        "sel:\n    Title: 'a\\*b'\ncondition: sel",
        &[&[("Title", s("a*b"))]],
        &[&[("Title", s("axxb"))]],
    );
    check(
        "a list of values is any of them",
        "sel:\n    User:\n        - root\n        - admin\ncondition: sel",
        &[&[("User", s("root"))], &[("User", s("ADMIN"))]],
        &[&[("User", s("nurse"))]],
    );
    check(
        "a list of maps is any of them; a map is all of its fields",
        "sel:\n    - User: root\n      Port: 22\n    - User: admin\ncondition: sel",
        &[
            &[("User", s("root")), ("Port", Value::Int(22))],
            &[("User", s("admin"))],
        ],
        &[&[("User", s("root")), ("Port", Value::Int(23))]],
    );
    check(
        "numbers match numbers and their text",
        "sel:\n    EventID: 4625\ncondition: sel",
        &[
            &[("winlog.event_id", Value::Int(4625))],
            &[("EventID", s("4625"))],
        ],
        &[&[("winlog.event_id", Value::Int(4624))]],
    );
    check(
        "null means absent or empty",
        "sel:\n    ParentImage: null\ncondition: sel",
        &[&[("Image", s("x"))]],
        &[&[("ParentImage", s("y"))]],
    );
}

#[test]
fn string_modifiers() {
    check(
        "contains",
        "sel:\n    CommandLine|contains: ' -enc '\ncondition: sel",
        &[&[("CommandLine", s("powershell.exe -ENC aGVsbG8="))]],
        &[&[("CommandLine", s("powershell.exe -encodedcommand"))]],
    );
    check(
        "startswith",
        "sel:\n    CommandLine|startswith: 'net '\ncondition: sel",
        &[&[("CommandLine", s("NET user admin"))]],
        &[&[("CommandLine", s("cmd /c net user"))]],
    );
    check(
        "endswith",
        "sel:\n    Image|endswith: '\\rundll32.exe'\ncondition: sel",
        &[&[("Image", s("C:\\Windows\\System32\\rundll32.exe"))]],
        &[&[("Image", s("C:\\rundll32.exe.bak"))]],
    );
    check(
        "contains|all",
        "sel:\n    CommandLine|contains|all:\n        - 'vssadmin'\n        - 'delete'\n        - 'shadows'\ncondition: sel",
        &[&[("CommandLine", s("vssadmin.exe Delete Shadows /all /quiet"))]],
        &[&[("CommandLine", s("vssadmin list shadows"))]],
    );
    check(
        "cased",
        "sel:\n    CommandLine|cased|contains: 'Invoke-Mimikatz'\ncondition: sel",
        &[&[("CommandLine", s("x Invoke-Mimikatz y"))]],
        &[&[("CommandLine", s("x invoke-mimikatz y"))]],
    );
    check(
        "windash: - or / or en dash",
        "sel:\n    CommandLine|windash|contains: ' -decode '\ncondition: sel",
        &[
            &[("CommandLine", s("certutil -decode a b"))],
            &[("CommandLine", s("certutil /decode a b"))],
            &[("CommandLine", s("certutil \u{2013}decode a b"))],
        ],
        &[&[("CommandLine", s("certutil decode a b"))]],
    );
}

#[test]
fn regular_expressions_and_flags() {
    check(
        "re",
        "sel:\n    CommandLine|re: '^cmd\\.exe /c [a-z]+$'\ncondition: sel",
        &[&[("CommandLine", s("cmd.exe /c whoami"))]],
        &[
            &[("CommandLine", s("CMD.EXE /c whoami"))],
            &[("CommandLine", s("cmd.exe /c who ami"))],
        ],
    );
    check(
        "re|i",
        "sel:\n    CommandLine|re|i: '^cmd\\.exe'\ncondition: sel",
        &[&[("CommandLine", s("CMD.EXE /c whoami"))]],
        &[&[("CommandLine", s("xcmd.exe"))]],
    );
    check(
        "re|m: ^ at each line",
        "sel:\n    Message|re|m: '^error'\ncondition: sel",
        &[&[("Message", s("ok\nerror here"))]],
        &[&[("Message", s("ok\nan error"))]],
    );
    check(
        "re|s: . matches a line feed",
        "sel:\n    Message|re|s: 'a.b'\ncondition: sel",
        &[&[("Message", s("a\nb"))]],
        &[&[("Message", s("a\n\nb"))]],
    );
}

#[test]
fn encodings() {
    // "whoami" in base64 is d2hvYW1p.
    check(
        "base64",
        "sel:\n    Payload|base64: 'whoami'\ncondition: sel",
        &[&[("Payload", s("d2hvYW1p"))]],
        &[&[("Payload", s("whoami"))]],
    );
    check(
        "base64offset|contains: every alignment",
        "sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel",
        &[
            // base64("http://x") , base64("ahttp://x"), base64("abhttp://x")
            &[("CommandLine", s("powershell -e aHR0cDovL3g="))],
            &[("CommandLine", s("powershell -e YWh0dHA6Ly94"))],
            &[("CommandLine", s("powershell -e YWJodHRwOi8veA=="))],
        ],
        &[&[("CommandLine", s("powershell -e aHR0cHM6Ly94"))]],
    );
    // base64 of UTF-16LE "whoami": dwBoAG8AYQBtAGkA
    check(
        "utf16le|base64offset|contains",
        "sel:\n    CommandLine|utf16le|base64offset|contains: 'whoami'\ncondition: sel",
        &[&[("CommandLine", s("powershell -enc dwBoAG8AYQBtAGkA"))]],
        &[&[("CommandLine", s("powershell -enc d2hvYW1p"))]],
    );
    check(
        "wide (utf16le) base64",
        "sel:\n    CommandLine|wide|base64offset|contains: 'whoami'\ncondition: sel",
        &[&[("CommandLine", s("-enc dwBoAG8AYQBtAGkA"))]],
        &[&[("CommandLine", s("-enc d2hvYW1p"))]],
    );
    // UTF-16BE "ab" = 00 61 00 62 -> base64 AGEAYg==
    check(
        "utf16be|base64",
        "sel:\n    Payload|utf16be|base64: 'ab'\ncondition: sel",
        &[&[("Payload", s("AGEAYg=="))]],
        &[&[("Payload", s("YQBiAA=="))]],
    );
    // UTF-16 with BOM (FF FE) "ab" -> //5hAGIA
    check(
        "utf16|base64",
        "sel:\n    Payload|utf16|base64: 'ab'\ncondition: sel",
        &[&[("Payload", s("//5hAGIA"))]],
        &[&[("Payload", s("YQBiAA=="))]],
    );
}

#[test]
fn network_numbers_existence_and_field_references() {
    let ip = |t: &str| Value::Ip(t.parse::<IpAddr>().unwrap());
    check(
        "cidr v4 and v6",
        "sel:\n    src_ip|cidr:\n        - '10.0.0.0/8'\n        - 'fd00::/8'\ncondition: sel",
        &[
            &[("source.ip", ip("10.1.2.3"))],
            &[("src_ip", s("10.200.0.1"))],
            &[("source.ip", ip("fd12::1"))],
        ],
        &[
            &[("source.ip", ip("11.0.0.1"))],
            &[("source.ip", ip("fe80::1"))],
        ],
    );
    check(
        "gt, gte, lt, lte",
        "a:\n    Count|gt: 10\nb:\n    Count|lte: 20\ncondition: a and b",
        &[&[("Count", Value::Int(11))], &[("Count", Value::Int(20))]],
        &[&[("Count", Value::Int(10))], &[("Count", Value::Int(21))]],
    );
    check(
        "gte and lt with floats",
        "a:\n    Ratio|gte: 0.5\nb:\n    Ratio|lt: 1\ncondition: a and b",
        &[
            &[("Ratio", Value::Float(0.5))],
            &[("Ratio", Value::Float(0.99))],
        ],
        &[
            &[("Ratio", Value::Float(0.49))],
            &[("Ratio", Value::Float(1.0))],
        ],
    );
    check(
        "exists: true",
        "sel:\n    TargetFilename|exists: true\ncondition: sel",
        &[&[("TargetFilename", s("x"))]],
        &[&[("Image", s("x"))]],
    );
    check(
        "exists: false",
        "sel:\n    Image: 'x'\n    ParentImage|exists: false\ncondition: sel",
        &[&[("Image", s("x"))]],
        &[&[("Image", s("x")), ("ParentImage", s("y"))]],
    );
    check(
        "fieldref",
        "sel:\n    SourceUser|fieldref: TargetUser\ncondition: sel",
        &[&[("SourceUser", s("alice")), ("TargetUser", s("alice"))]],
        &[&[("SourceUser", s("alice")), ("TargetUser", s("bob"))]],
    );
}

#[test]
fn keywords() {
    let yaml = rule(
        "keywords:\n    - 'Failed password'\n    - 'authentication failure'\ncondition: keywords",
    );
    let ev = |raw: &str| event_at(0, raw, &[("host.name", s("h"))]);
    assert_eq!(
        fired(&yaml, &ev("sshd[1]: Failed password for root")),
        ["T"]
    );
    assert_eq!(
        fired(&yaml, &ev("pam: Authentication failure for x")),
        ["T"]
    );
    assert!(fired(&yaml, &ev("Accepted password for root")).is_empty());

    // A JSON document's raw form is not searched, only its values; a
    // Windows event's own values, not what medsec derives from them.
    let format = rule("keywords:\n    - 'format'\ncondition: keywords");
    let win = |data: &str| {
        event_at(
            0,
            &format!("{{\"Event\":{{\"format\":1,\"EventData\":{{\"Data\":\"{data}\"}}}}}}"),
            &[
                ("event.module", s("windows")),
                ("log.level", s("information")),
                ("winlog.event_data.Data", s(data)),
            ],
        )
    };
    assert!(fired(&format, &win("dir c:")).is_empty());
    assert_eq!(fired(&format, &win("format c:")), ["T"]);
}

/// Events given as the letters of their fields (`"AC"`: `A` and `C`
/// set to `1`).
fn letters(set: &str) -> Vec<(String, Value)> {
    set.chars().map(|c| (c.to_string(), s("1"))).collect()
}

#[test]
fn conditions() {
    let sel = "selection_a:\n    A: '1'\nselection_b:\n    B: '1'\nfilter:\n    C: '1'\n";
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("selection_a and selection_b", &["AB"], &["A"]),
        ("selection_a or selection_b", &["A", "B"], &["C"]),
        ("selection_a and not filter", &["A"], &["AC"]),
        (
            "(selection_a or selection_b) and not filter",
            &["B"],
            &["BC", "C"],
        ),
        ("not (selection_a or selection_b)", &["C"], &["A"]),
        ("1 of selection_*", &["A", "B"], &["C"]),
        ("all of selection_*", &["AB"], &["AC"]),
        ("1 of them", &["C"], &["D"]),
        ("all of them", &["ABC"], &["AB"]),
        ("1 of selection_* and not 1 of filter*", &["A"], &["AC"]),
    ];
    for (condition, yes, no) in cases {
        let yaml = rule(&format!("{sel}condition: {condition}"));
        for set in *yes {
            let fields = letters(set);
            let refs: Vec<(&str, Value)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            assert_eq!(fired(&yaml, &event(&refs)), ["T"], "{condition} on {set}");
        }
        for set in *no {
            let fields = letters(set);
            let refs: Vec<(&str, Value)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            assert!(
                fired(&yaml, &event(&refs)).is_empty(),
                "{condition} on {set}"
            );
        }
    }
}

#[test]
fn taxonomy_names_find_schema_fields() {
    let web = rule(
        "sel:\n    cs-method: POST\n    cs-uri-query|contains: 'cmd='\n    c-useragent|contains: 'curl'\n    sc-status: 200\ncondition: sel",
    );
    let ev = event(&[
        ("http.request.method", s("POST")),
        ("url.query", s("cmd=whoami")),
        ("user_agent.original", s("curl/8.0")),
        ("http.response.status_code", Value::Int(200)),
    ]);
    assert_eq!(fired(&web, &ev), ["T"]);
    let win = rule(
        "sel:\n    EventID: 1\n    Channel: 'Microsoft-Windows-Sysmon/Operational'\n    CommandLine|contains: whoami\ncondition: sel",
    );
    let ev = event(&[
        ("winlog.event_id", Value::Int(1)),
        ("winlog.channel", s("Microsoft-Windows-Sysmon/Operational")),
        ("winlog.event_data.CommandLine", s("cmd /c whoami")),
    ]);
    assert_eq!(fired(&win, &ev), ["T"]);
}

#[test]
fn logsource_routing_leaves_out_contradicting_rules_only() {
    let yaml = "title: Win\nlogsource:\n    product: windows\ndetection:\n    keywords:\n        - 'Failed password'\n    condition: keywords\n---\ntitle: Linux\nlogsource:\n    product: linux\n    service: auth\ndetection:\n    keywords:\n        - 'Failed password'\n    condition: keywords\n---\ntitle: Any\nlogsource:\n    category: test\ndetection:\n    keywords:\n        - 'Failed password'\n    condition: keywords\n";
    let linux = event_at(
        0,
        "sshd[1]: Failed password for root",
        &[("event.module", s("auth"))],
    );
    let mut got = fired(yaml, &linux);
    got.sort();
    assert_eq!(got, ["Any", "Linux"]);
    // A plain syslog line from a Linux daemon is Linux's too.
    let cron = event_at(
        0,
        "CRON[7]: Failed password",
        &[("process.name", s("CRON"))],
    );
    let mut got = fired(yaml, &cron);
    got.sort();
    assert_eq!(got, ["Any", "Linux"]);
    // An event of no known product runs only rules without a product: a
    // Zeek rule that fires when its field is absent stays out.
    let zeek = "title: Zeek public RDP\nlogsource:\n    product: zeek\n    service: rdp\ndetection:\n    selection:\n        id.orig_h|cidr: '10.0.0.0/8'\n    condition: not selection\n";
    let cef = event_at(
        0,
        "CEF:0|Vendor|Box|1|7|Failed password|5|",
        &[("event.module", s("cef"))],
    );
    let both = format!("{yaml}---\n{zeek}");
    assert_eq!(fired(&both, &cef), ["Any"]);
    // Without routing every rule sees every event.
    let mut d = medsec_detect::SigmaDetector::new(
        &crate::rules(&both),
        medsec_detect::Options {
            logsource_routing: false,
            include_event: false,
        },
    )
    .unwrap();
    let mut got: Vec<String> = hits(&mut d, &cef).into_iter().map(|h| h.title).collect();
    got.sort();
    assert_eq!(got, ["Any", "Linux", "Win", "Zeek public RDP"]);
}

#[test]
fn hits_carry_rule_and_attack_tags() {
    let mut d = detector(&rule("sel:\n    A: '1'\ncondition: sel"));
    let h = hits(&mut d, &event(&[("A", s("1"))]));
    assert_eq!(h.len(), 1);
    assert_eq!(
        h[0].rule_id.as_deref(),
        Some("6f1c8a52-2d0e-4c1b-9a51-0c3c5f0f0001")
    );
    assert_eq!(h[0].level.as_deref(), Some("high"));
    assert_eq!(h[0].attack, ["T1059.001"]);
    assert_eq!(h[0].rule_line, Some(1));
    assert_eq!(h[0].matched[0].field, "A");
}

const BASE: &str = "title: Failed logon\nid: 0e95725d-7320-415d-80f7-004da920fc11\nname: failed_logon\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4625\n    condition: sel\nlevel: low\n";

fn logon(secs: i64, user: &str, ip: &str, id: i64) -> medsec_logs::Event {
    event_at(
        secs,
        &format!("{secs} {user} {ip} {id}"),
        &[
            ("winlog.event_id", Value::Int(id)),
            ("winlog.channel", s("Security")),
            ("winlog.event_data.TargetUserName", s(user)),
            ("winlog.event_data.IpAddress", s(ip)),
        ],
    )
}

fn correlations(yaml: &str, events: &[medsec_logs::Event]) -> Vec<crate::Hit> {
    let mut d = detector(yaml);
    let mut out = Vec::new();
    for e in events {
        out.extend(
            hits(&mut d, e)
                .into_iter()
                .filter(|h| matches!(h.kind, medsec_detect::HitKind::Correlation(_))),
        );
    }
    out
}

#[test]
fn event_count_with_group_by_and_timespan() {
    let yaml = format!(
        "{BASE}---\ntitle: Brute force\ncorrelation:\n    type: event_count\n    rules:\n        - failed_logon\n    group-by:\n        - IpAddress\n    timespan: 60s\n    condition:\n        gte: 5\nlevel: high\n"
    );
    // Five from one address within a minute: one hit for that address.
    let mut events: Vec<_> = (0..5)
        .map(|i| logon(i * 10, "u", "203.0.113.9", 4625))
        .collect();
    // Four from another, and a fifth too late.
    events.extend((0..4).map(|i| logon(i, "u", "198.51.100.7", 4625)));
    events.push(logon(200, "u", "198.51.100.7", 4625));
    let h = correlations(&yaml, &events);
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0].title, "Brute force");
    assert_eq!(h[0].group.len(), 2);
    assert_eq!(h[0].group[0].field, "IpAddress");
    assert_eq!(h[0].group[0].value, "203.0.113.9");
    // Every correlation is kept per member.
    assert_eq!(h[0].group[1].field, "@medsec.member");
    assert_eq!(h[0].group[1].value, "m");
    assert_eq!(h[0].aggregated, Some(5.0));
    assert_eq!(
        h[0].kind,
        medsec_detect::HitKind::Correlation("event_count".into())
    );
}

#[test]
fn value_count_temporal_and_ordered() {
    let spray = format!(
        "{BASE}---\ntitle: Spray\ncorrelation:\n    type: value_count\n    rules:\n        - failed_logon\n    group-by:\n        - IpAddress\n    timespan: 5m\n    condition:\n        field: TargetUserName\n        gte: 3\nlevel: high\n"
    );
    let same_user: Vec<_> = (0..6).map(|i| logon(i, "u", "203.0.113.9", 4625)).collect();
    assert!(correlations(&spray, &same_user).is_empty());
    let users: Vec<_> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, u)| logon(i as i64, u, "203.0.113.9", 4625))
        .collect();
    assert_eq!(correlations(&spray, &users).len(), 1);

    let two = "title: Success\nid: 5b1b5e40-7f6a-4a55-9c2c-1a3e8e0e0002\nname: success_logon\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4624\n    condition: sel\n";
    for (kind, fail_then_success, success_then_fail) in
        [("temporal", 1, 1), ("temporal_ordered", 1, 0)]
    {
        let yaml = format!(
            "{BASE}---\n{two}---\ntitle: Fail then success\ncorrelation:\n    type: {kind}\n    rules:\n        - failed_logon\n        - success_logon\n    group-by:\n        - TargetUserName\n    timespan: 1m\nlevel: critical\n"
        );
        let a = [logon(0, "u", "x", 4625), logon(10, "u", "x", 4624)];
        let ha = correlations(&yaml, &a);
        assert_eq!(ha.len(), fail_then_success, "{kind}: {ha:#?}");
        let b = [logon(0, "v", "x", 4624), logon(10, "v", "x", 4625)];
        assert_eq!(correlations(&yaml, &b).len(), success_then_fail, "{kind}");
        let late = [logon(0, "w", "x", 4625), logon(100, "w", "x", 4624)];
        assert!(correlations(&yaml, &late).is_empty(), "{kind}");
    }
}

#[test]
fn sigma_filters_remove_matches() {
    let yaml = format!(
        "{BASE}---\ntitle: Not the scanner\nfilter:\n    rules:\n        - 0e95725d-7320-415d-80f7-004da920fc11\n    selection:\n        IpAddress: '10.0.0.5'\n    condition: not selection\nlogsource:\n    product: windows\n"
    );
    assert_eq!(
        fired(&yaml, &logon(0, "u", "203.0.113.9", 4625)),
        ["Failed logon"]
    );
    assert!(fired(&yaml, &logon(0, "u", "10.0.0.5", 4625)).is_empty());
}

/// Correlation state stays bounded however many groups a window holds.
#[test]
fn correlation_state_is_bounded() {
    let yaml = format!(
        "{BASE}---\ntitle: Spray over a month\ncorrelation:\n    type: event_count\n    rules:\n        - failed_logon\n    group-by:\n        - IpAddress\n    timespan: 30d\n    condition:\n        gte: 1000000\nlevel: high\n"
    );
    let mut d = detector(&yaml);
    for i in 0..150_000u32 {
        let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        let _ = hits(&mut d, &logon(i64::from(i % 1000), "u", &ip, 4625));
    }
    assert!(
        d.state_entries() <= medsec_detect::engine::MAX_STATE_ENTRIES,
        "{} groups",
        d.state_entries()
    );
}
