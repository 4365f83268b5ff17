//! Threat-intelligence indicators through the public API: every kind
//! matching and not matching the event fields of `docs/detection.md`,
//! longest CIDR blocks, parent domains, validity at its boundaries,
//! revocation, the STIX and CSV readers on the fixtures (each with its
//! reviewed `.expected` reading; `MEDSEC_BLESS=1` rewrites them), the
//! detector's hits, and readers that never panic on any input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use medsec_detect::indicators::{
    self, Indicator, IndicatorDetector, IndicatorSet, Kind, Parsed, csv, pattern, stix,
};
use medsec_detect::{Detector, HitKind};
use medsec_logs::{Event, Value};
use proptest::prelude::*;

use crate::{T0, event_at, s};

/// `T0` in milliseconds.
const NOW: i64 = T0 / 1_000_000;

fn ip(v: &str) -> Value {
    Value::Ip(v.parse().unwrap())
}

/// An indicator `kind:value` with id `kind:value`, valid from the epoch.
fn ind(spec: &str) -> Indicator {
    let (kind, value) = spec.split_once(':').unwrap();
    let kind = Kind::ALL.into_iter().find(|k| k.as_str() == kind).unwrap();
    Indicator::new(spec, kind, value, Arc::from("test")).unwrap()
}

/// Builds a set of `indicators` and checks which of them (by id) the
/// event with `fields` matches at `NOW`, in order.
fn check(indicators: &[&str], fields: &[(&str, Value)], expect: &[&str]) {
    check_set(
        indicators.iter().map(|s| ind(s)).collect(),
        fields,
        NOW,
        expect,
    );
}

fn check_set(list: Vec<Indicator>, fields: &[(&str, Value)], at: i64, expect: &[&str]) {
    let set = IndicatorSet::build(list);
    let event = event_at(0, "", fields);
    let mut out = Vec::new();
    set.matches(&event, at, &mut out);
    let got: Vec<&str> = out.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(got, expect, "{fields:?}");
}

#[test]
fn addresses_match_exactly_and_in_any_address_field() {
    let set = ["ipv4:198.51.100.7", "ipv6:2001:db8::7"];
    for field in [
        "source.ip",
        "destination.ip",
        "source.nat.ip",
        "destination.nat.ip",
        "client.ip",
        "server.ip",
        "related.ip",
    ] {
        check(&set, &[(field, ip("198.51.100.7"))], &["ipv4:198.51.100.7"]);
        check(&set, &[(field, ip("2001:db8:0::7"))], &["ipv6:2001:db8::7"]);
        check(&set, &[(field, ip("198.51.100.8"))], &[]);
    }
    // Not the reporting device, not other fields.
    check(&set, &[("observer.ip", ip("198.51.100.7"))], &[]);
    check(&set, &[("message", s("198.51.100.7"))], &[]);
    // An address kept as text (a JSON event), a JSON list, an
    // IPv4-mapped IPv6 address, address literals in host fields.
    check(
        &set,
        &[("source.ip", s("198.51.100.7"))],
        &["ipv4:198.51.100.7"],
    );
    check(
        &set,
        &[("related.ip", s("[\"10.0.0.1\",\"2001:db8::7\"]"))],
        &["ipv6:2001:db8::7"],
    );
    check(
        &set,
        &[("source.ip", ip("::ffff:198.51.100.7"))],
        &["ipv4:198.51.100.7"],
    );
    check(
        &set,
        &[("url.domain", s("198.51.100.7:8080"))],
        &["ipv4:198.51.100.7"],
    );
    check(
        &set,
        &[("url.domain", s("[2001:db8::7]"))],
        &["ipv6:2001:db8::7"],
    );
    check(
        &set,
        &[("url.original", s("http://[2001:db8::7]:8443/x"))],
        &["ipv6:2001:db8::7"],
    );
    // Both ends of a connection: each indicator once.
    check(
        &set,
        &[
            ("source.ip", ip("198.51.100.7")),
            ("destination.ip", ip("2001:db8::7")),
            ("related.ip", ip("198.51.100.7")),
        ],
        &["ipv4:198.51.100.7", "ipv6:2001:db8::7"],
    );
}

#[test]
fn the_longest_cidr_block_matches() {
    let set = [
        "cidr:10.0.0.0/8",
        "cidr:10.1.0.0/16",
        "cidr:10.1.2.0/24",
        "ipv4:10.1.2.3",
        "cidr:2001:db8::/32",
        "cidr:2001:db8:bad::/48",
    ];
    check(
        &set,
        &[("source.ip", ip("10.1.2.3"))],
        &["ipv4:10.1.2.3", "cidr:10.1.2.0/24"],
    );
    check(
        &set,
        &[("source.ip", ip("10.1.2.4"))],
        &["cidr:10.1.2.0/24"],
    );
    check(
        &set,
        &[("source.ip", ip("10.1.3.4"))],
        &["cidr:10.1.0.0/16"],
    );
    check(
        &set,
        &[("source.ip", ip("10.255.255.255"))],
        &["cidr:10.0.0.0/8"],
    );
    check(&set, &[("source.ip", ip("11.0.0.0"))], &[]);
    check(&set, &[("source.ip", ip("9.255.255.255"))], &[]);
    check(
        &set,
        &[("source.ip", ip("2001:db8:bad:1::1"))],
        &["cidr:2001:db8:bad::/48"],
    );
    check(
        &set,
        &[("source.ip", ip("2001:db8:bae::1"))],
        &["cidr:2001:db8::/32"],
    );
    check(&set, &[("source.ip", ip("2001:db9::1"))], &[]);
    // The whole space, and one-address blocks.
    check(
        &["cidr:0.0.0.0/0"],
        &[("source.ip", ip("255.255.255.255"))],
        &["cidr:0.0.0.0/0"],
    );
    check(&["cidr:::/0"], &[("source.ip", ip("::1"))], &["cidr:::/0"]);
    check(&["cidr:0.0.0.0/0"], &[("source.ip", ip("::2"))], &[]);
    // A block whose indicators are all expired gives way to the next
    // larger one.
    let mut list: Vec<Indicator> = ["cidr:10.0.0.0/8", "cidr:10.1.0.0/16"]
        .iter()
        .map(|s| ind(s))
        .collect();
    list[1].valid_until = Some(NOW);
    check_set(
        list,
        &[("source.ip", ip("10.1.0.1"))],
        NOW,
        &["cidr:10.0.0.0/8"],
    );
}

#[test]
fn domains_match_themselves_and_their_subdomains() {
    let set = ["domain:evil.example", "domain:x.other.example"];
    for field in [
        "url.domain",
        "destination.domain",
        "source.domain",
        "client.domain",
        "server.domain",
        "dns.question.name",
        "tls.client.server_name",
        "related.hosts",
    ] {
        check(
            &set,
            &[(field, s("evil.example"))],
            &["domain:evil.example"],
        );
        check(
            &set,
            &[(field, s("a.b.evil.example"))],
            &["domain:evil.example"],
        );
        check(&set, &[(field, s("notevil.example"))], &[]);
    }
    check(
        &set,
        &[("url.domain", s("A.Evil.EXAMPLE."))],
        &["domain:evil.example"],
    );
    check(
        &set,
        &[("url.domain", s("evil.example:8443"))],
        &["domain:evil.example"],
    );
    check(&set, &[("url.domain", s("example"))], &[]);
    check(&set, &[("url.domain", s("other.example"))], &[]);
    check(
        &set,
        &[("url.domain", s("y.x.other.example"))],
        &["domain:x.other.example"],
    );
    check(&set, &[("url.domain", s("evil.example.com"))], &[]);
    check(&set, &[("host.name", s("evil.example"))], &[]);
    check(
        &set,
        &[("related.hosts", s("[\"a.example\",\"www.evil.example\"]"))],
        &["domain:evil.example"],
    );
    // The host of an absolute URL.
    check(
        &set,
        &[("url.full", s("https://cdn.evil.example/a.js"))],
        &["domain:evil.example"],
    );
    check(&set, &[("url.original", s("/evil.example/a.js"))], &[]);
    // Korean names are compared as written.
    check(
        &["domain:악성.한국"],
        &[("dns.question.name", s("www.악성.한국"))],
        &["domain:악성.한국"],
    );
}

#[test]
fn urls_match_after_normalisation() {
    let set = [
        "url:https://evil.example/update/patch.exe",
        "url:http://evil.example",
    ];
    for field in ["url.full", "url.original"] {
        check(
            &set,
            &[(field, s("https://evil.example/update/patch.exe"))],
            &["url:https://evil.example/update/patch.exe"],
        );
        check(
            &set,
            &[(field, s("HTTPS://EVIL.example/update/patch.exe"))],
            &["url:https://evil.example/update/patch.exe"],
        );
        check(
            &set,
            &[(field, s("https://evil.example/update/PATCH.exe"))],
            &[],
        );
        check(
            &set,
            &[(field, s("https://evil.example/update/patch.exe?x=1"))],
            &[],
        );
        check(
            &set,
            &[(field, s("http://evil.example/"))],
            &["url:http://evil.example"],
        );
        check(
            &set,
            &[(field, s("HTTP://Evil.Example"))],
            &["url:http://evil.example"],
        );
    }
    let long = format!("HTTP://Evil.Example/{}", "a".repeat(5000));
    check(
        &[&format!("url:{long}")],
        &[("url.full", s(&long))],
        &[&format!("url:{long}")],
    );
}

#[test]
fn hashes_match_whatever_their_case() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let ids = [
        format!("md5:{md5}"),
        format!("sha1:{sha1}"),
        format!("sha256:{sha256}"),
    ];
    let set: Vec<&str> = ids.iter().map(String::as_str).collect();
    for (field, value, want) in [
        ("file.hash.md5", md5.to_uppercase(), &ids[0]),
        ("process.hash.md5", md5.into(), &ids[0]),
        ("suricata.eve.fileinfo.md5", md5.into(), &ids[0]),
        ("file.hash.sha1", sha1.into(), &ids[1]),
        ("process.hash.sha1", sha1.into(), &ids[1]),
        ("suricata.eve.fileinfo.sha1", sha1.into(), &ids[1]),
        ("file.hash.sha256", sha256.to_uppercase(), &ids[2]),
        ("process.hash.sha256", sha256.into(), &ids[2]),
        ("suricata.eve.fileinfo.sha256", sha256.into(), &ids[2]),
        (
            "related.hash",
            format!("[\"{md5}\",\"{}\"]", "0".repeat(64)),
            &ids[0],
        ),
    ] {
        check(&set, &[(field, s(&value))], &[want]);
    }
    check(&set, &[("file.hash.sha256", s(&"0".repeat(64)))], &[]);
    check(&set, &[("file.name", s(md5))], &[]);
    // Sysmon: the file hashes, not the import hash.
    let sysmon = format!(
        "SHA1={},MD5=0123456789ABCDEF0123456789ABCDEF,SHA256={},IMPHASH={}",
        sha1.to_uppercase(),
        sha256.to_uppercase(),
        md5.to_uppercase()
    );
    check(
        &set,
        &[("winlog.event_data.Hashes", s(&sysmon))],
        &[&ids[1], &ids[2]],
    );
}

#[test]
fn user_agents_match_exactly() {
    let set = ["user-agent:Mozilla/5.0 (Windows NT 6.1; WOW64) DICOMScan/2.3"];
    check(
        &set,
        &[(
            "user_agent.original",
            s("Mozilla/5.0 (Windows NT 6.1; WOW64) DICOMScan/2.3"),
        )],
        &[set[0]],
    );
    check(
        &set,
        &[(
            "user_agent.original",
            s("mozilla/5.0 (windows nt 6.1; wow64) dicomscan/2.3"),
        )],
        &[],
    );
    check(
        &set,
        &[(
            "user_agent.original",
            s("Mozilla/5.0 (Windows NT 6.1; WOW64) DICOMScan/2.3 "),
        )],
        &[],
    );
    check(
        &set,
        &[(
            "http.request.referrer",
            s(set[0].trim_start_matches("user-agent:")),
        )],
        &[],
    );
}

#[test]
fn validity_revocation_and_the_boundaries() {
    let make = |from: i64, until: Option<i64>, revoked: bool| {
        let mut i = ind("ipv4:198.51.100.7");
        i.valid_from = from;
        i.valid_until = until;
        i.revoked = revoked;
        vec![i]
    };
    let f = [("source.ip", ip("198.51.100.7"))];
    let hit = &["ipv4:198.51.100.7"][..];
    check_set(make(NOW, None, false), &f, NOW, hit);
    check_set(make(NOW + 1, None, false), &f, NOW, &[]);
    check_set(make(0, Some(NOW + 1), false), &f, NOW, hit);
    // valid_until exactly at the time: no longer valid.
    check_set(make(0, Some(NOW), false), &f, NOW, &[]);
    check_set(make(0, None, true), &f, NOW, &[]);
    // The detector judges at the event's ingest time, or at a fixed time.
    let set = Arc::new(IndicatorSet::build(make(0, Some(NOW), false)));
    let event = event_at(-1, "", &f);
    let mut d = IndicatorDetector::new(set.clone(), false);
    let mut hits = Vec::new();
    d.detect(&event, &mut hits);
    assert_eq!(hits.len(), 1);
    let mut d = IndicatorDetector::new(set, false).judged_at(Some(NOW));
    hits.clear();
    d.detect(&event, &mut hits);
    assert!(hits.is_empty());
}

#[test]
fn several_indicators_of_one_value_all_match() {
    let mut a = ind("domain:evil.example");
    a.id = "a".into();
    let mut b = ind("domain:evil.example");
    b.id = "b".into();
    b.source = Arc::from("other");
    let mut c = ind("domain:evil.example");
    c.id = "c".into();
    c.revoked = true;
    check_set(
        vec![a, b, c],
        &[("dns.question.name", s("www.evil.example"))],
        NOW,
        &["a", "b"],
    );
}

fn hits_of(indicators: Vec<Indicator>, event: &Event) -> Vec<medsec_detect::Hit> {
    let mut d = IndicatorDetector::new(Arc::new(IndicatorSet::build(indicators)), true);
    let mut out = Vec::new();
    d.detect(event, &mut out);
    out
}

#[test]
fn hits_name_the_indicator_and_what_matched() {
    let text = std::fs::read(fixtures().join("medical-isac-2026-11.json")).unwrap();
    let parsed = stix::read(&text, "Medical ISAC").unwrap();
    let event = event_at(
        0,
        "raw",
        &[
            ("source.ip", ip("10.20.30.40")),
            ("destination.ip", ip("198.51.100.23")),
            (
                "url.full",
                s("https://pacs-viewer-support.example/update/PACSViewer_patch.exe"),
            ),
        ],
    );
    let hits = hits_of(parsed.indicators, &event);
    let titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Indicator match: ipv4 198.51.100.23 (Medical ISAC)",
            "Indicator match: url https://pacs-viewer-support.example/update/PACSViewer_patch.exe (Medical ISAC)",
            "Indicator match: domain pacs-viewer-support.example (Medical ISAC)",
        ]
    );
    let h = &hits[0];
    assert!(h.rule_id.as_deref().unwrap().starts_with("indicator--"));
    assert_eq!(h.level.as_deref(), Some("high"));
    assert_eq!(h.kind, HitKind::Indicator);
    assert_eq!(
        h.tags,
        [
            "attack.command-and-control",
            "attack.t1071.001",
            "malicious-activity"
        ]
    );
    assert_eq!(h.attack, ["T1071.001"]);
    let json = serde_json::to_value(h).unwrap();
    assert_eq!(json["kind"], "indicator");
    assert_eq!(
        json["matched"],
        serde_json::json!([{"field": "destination.ip", "value": "198.51.100.23"}])
    );
    assert_eq!(json["event"]["destination.ip"], "198.51.100.23");
    assert_eq!(hits[2].matched[0].field, "url.full");
    // One hit for an indicator matched through two fields.
    let event = event_at(
        0,
        "",
        &[
            ("url.domain", s("emr-login-update.example")),
            ("dns.question.name", s("www.emr-login-update.example")),
        ],
    );
    let parsed = stix::read(&text, "Medical ISAC").unwrap();
    let hits = hits_of(parsed.indicators, &event);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].matched.len(), 2);
    assert_eq!(hits[0].level.as_deref(), Some("high"));
}

#[test]
fn levels_follow_confidence() {
    use indicators::level_of;
    assert_eq!(
        [
            None,
            Some(0),
            Some(1),
            Some(29),
            Some(30),
            Some(69),
            Some(70),
            Some(100)
        ]
        .map(level_of),
        [
            "medium",
            "informational",
            "low",
            "low",
            "medium",
            "medium",
            "high",
            "high"
        ]
    );
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stix")
}

fn ms(t: i64) -> String {
    medsec_logs::clock::format_rfc3339(t * 1_000_000)
}

/// A reading as the `.expected` files show it.
fn render(result: Result<Parsed, String>) -> String {
    let parsed = match result {
        Ok(p) => p,
        Err(e) => return format!("error: {e}\n"),
    };
    let mut out = String::new();
    for i in &parsed.indicators {
        out.push_str(&format!(
            "{} {} {} | source {} | confidence {} | valid {}..{}{} | labels {} | {}\n",
            i.id,
            i.kind,
            i.value,
            i.source,
            i.confidence.map_or("-".into(), |c| c.to_string()),
            ms(i.valid_from),
            i.valid_until.map_or(String::new(), ms),
            if i.revoked { " revoked" } else { "" },
            i.labels.join(","),
            i.name.as_deref().unwrap_or("-"),
        ));
    }
    for s in &parsed.skipped {
        out.push_str(&format!("skipped {s}\n"));
    }
    out.push_str(&format!("{} other objects\n", parsed.other_objects));
    out
}

fn check_fixture(path: &Path, got: &str) {
    let expected = path.with_extension("expected");
    if std::env::var_os("MEDSEC_BLESS").is_some() {
        std::fs::write(&expected, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&expected).unwrap_or_else(|_| {
        panic!(
            "{} is missing (MEDSEC_BLESS=1 writes it)",
            expected.display()
        )
    });
    assert_eq!(got, want, "{} (MEDSEC_BLESS=1 rewrites it)", path.display());
}

#[test]
fn fixtures_read_as_reviewed() {
    let mut n = 0;
    for dir in [fixtures(), fixtures().join("invalid")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "csv"))
            .collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let got = render(indicators::read(&bytes, "test").map_err(|e| e.to_string()));
            check_fixture(&path, &got);
            n += 1;
        }
    }
    assert!(n >= 10, "{n} fixtures");
}

#[test]
fn every_fixture_pattern_is_read_or_explained() {
    // The valid bundle: every indicator object gives indicators or a
    // reason, none disappears.
    let text = std::fs::read(fixtures().join("medical-isac-2026-11.json")).unwrap();
    let parsed = stix::read(&text, "test").unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&text).unwrap();
    for (i, o) in doc["objects"].as_array().unwrap().iter().enumerate() {
        if o["type"] != "indicator" {
            continue;
        }
        let id = o["id"].as_str().unwrap();
        let read = parsed.indicators.iter().any(|x| x.id == id);
        let skipped = parsed.skipped.iter().any(|s| s.index == i && s.id == id);
        assert!(read || skipped, "objects[{i}] ({id}) vanished");
    }
}

#[test]
fn stix_reads_arrays_and_single_objects_and_names_errors() {
    let one = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":10}"#;
    let parsed = stix::read(one.as_bytes(), "s").unwrap();
    assert_eq!(parsed.indicators.len(), 1);
    assert_eq!(parsed.indicators[0].confidence, Some(10));
    let array = format!("[{one}, {{\"type\":\"identity\",\"id\":\"identity--1\",\"name\":\"x\"}}]");
    let parsed = stix::read(array.as_bytes(), "s").unwrap();
    assert_eq!((parsed.indicators.len(), parsed.other_objects), (1, 1));
    // A pattern error names the object, its id, the path and the column.
    let bad = array.replace("'a.example']", "'a.example'");
    let e = stix::read(bad.as_bytes(), "s").unwrap_err();
    assert_eq!(
        e.to_string(),
        "[0].pattern, column 33 (object 0, indicator--1): expected `]`, AND or OR, found the end of the pattern"
    );
    let e = stix::read(b"{\"type\": \"bundle\", \"objects\": 3}", "s").unwrap_err();
    assert_eq!(
        e.to_string(),
        "not STIX: objects: expected an array of objects"
    );
    let e = stix::read(b"[1]", "s").unwrap_err();
    assert_eq!(e.to_string(), "[0] (object 0): expected an object");
    let e = stix::read(b"{\"a\": 1}", "s").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not STIX: expected a STIX bundle"),
        "{e}"
    );
    let e = stix::read(b"{\n  \"type\": \"bundle\",,\n}", "s").unwrap_err();
    assert!(
        e.to_string().starts_with("not JSON: line 2, column 20: "),
        "{e}"
    );
    let wrong = one.replace("\"confidence\":10", "\"confidence\":\"high\"");
    let e = stix::read(wrong.as_bytes(), "s").unwrap_err();
    assert_eq!(
        e.to_string(),
        "confidence (object 0, indicator--1): expected an integer from 0 to 100"
    );
}

#[test]
fn csv_rows_and_errors() {
    fn check(text: &str, expect: &str) {
        let got = match csv::read(text, "KISA C-TAS") {
            Ok(list) => list
                .iter()
                .map(|i| format!("{} {} {}", i.kind, i.value, i.source))
                .collect::<Vec<_>>()
                .join("; "),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expect, "{text}");
    }
    check(
        "type,value,source\nip,198.51.100.7,\ndomain,Evil.Example,Medical ISAC\n",
        "ipv4 198.51.100.7 KISA C-TAS; domain evil.example Medical ISAC",
    );
    check(
        "type,value\nip,198.51.100.7\nsha256,abc\n",
        "error line 3, column 2 (value): `abc` is not a SHA-256 hash (64 hex digits)",
    );
    check(
        "type;value\n",
        "error line 1, column 1: unknown column `type;value` (known: type, value, source, valid_until, description)",
    );
    // The auto-detecting reader: CSV when it is not JSON.
    let parsed =
        indicators::read(b"\xEF\xBB\xBFtype,value\nurl,https://a.example/x\n", "s").unwrap();
    assert_eq!(parsed.indicators[0].value, "https://a.example/x");
    let e = indicators::read(b"type,value\nip,\xFF\n", "s").unwrap_err();
    assert_eq!(e.to_string(), "CSV: line 2, column 2: not UTF-8");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The readers return a value or an error on any input, never panic.
    #[test]
    fn readers_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = indicators::read(&bytes, "s");
        let _ = stix::read(&bytes, "s");
        let _ = csv::read_bytes(&bytes, "s");
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Ok(p) = pattern::parse(text)
        {
            let _ = (p.comparisons(), p.extract());
        }
    }

    /// Patterns made of the language's own pieces, in any order.
    #[test]
    fn patterns_never_panic(parts in proptest::collection::vec(
        prop_oneof![
            Just("["), Just("]"), Just("("), Just(")"), Just("'"), Just("\\"), Just(":"), Just("."),
            Just(","), Just("="), Just("!="), Just("<="), Just(" AND "), Just(" OR "), Just(" NOT "),
            Just(" IN "), Just(" LIKE "), Just(" ISSUBSET "), Just(" FOLLOWEDBY "), Just("EXISTS "),
            Just(" WITHIN 5 SECONDS"), Just(" REPEATS 2 TIMES"), Just("ipv4-addr:value"),
            Just("file:hashes.'SHA-256'"), Just("'198.51.100.7'"), Just("'10.0.0.0/8'"),
            Just("'évil.한국'"), Just("h'0a'"), Just("b'AAAA'"), Just("t'2026-01-01T00:00:00Z'"),
            Just("-1"), Just("+2"), Just(".5"), Just("true"), Just("/*"), Just("*/"), Just("//"),
            Just("\n"), Just("[*]"), Just("[0]"), Just("\u{3000}"),
        ],
        0..30,
    )) {
        let text: String = parts.concat();
        if let Ok(p) = pattern::parse(&text) {
            let _ = (p.comparisons(), p.extract(), p.observation_ops(), p.qualifiers());
        }
        let doc = serde_json::json!({"type": "indicator", "id": "indicator--1", "pattern": text, "valid_from": "2026-01-01T00:00:00Z"});
        let _ = stix::read(doc.to_string().as_bytes(), "s");
    }

    /// Events with any text in every matched field.
    #[test]
    fn matching_never_panics(values in proptest::collection::vec(".{0,80}", 1..8)) {
        let set = IndicatorSet::build(vec![
            ind("domain:evil.example"),
            ind("url:https://evil.example/"),
            ind("cidr:10.0.0.0/8"),
            ind("md5:d41d8cd98f00b204e9800998ecf8427e"),
        ]);
        let fields = ["url.domain", "url.full", "related.ip", "related.hosts", "winlog.event_data.Hashes", "related.hash", "source.ip", "dns.question.name"];
        let f: Vec<(&str, Value)> = values
            .iter()
            .zip(fields)
            .map(|(v, name)| (name, Value::Str(v.clone())))
            .collect();
        let event = event_at(0, "", &f);
        let mut out = Vec::new();
        set.matches(&event, NOW, &mut out);
    }
}
