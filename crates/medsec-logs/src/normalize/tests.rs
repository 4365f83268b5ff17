//! The entry point: envelope and payload chosen by format or shape, the
//! policy for what cannot be parsed, masking before anything is kept,
//! invalid UTF-8, and no panic on any bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::custom::{CustomDecoder, parse_definitions};
use crate::testing::{lines, render};

fn received() -> i64 {
    parse_rfc3339("2024-03-10T00:00:00Z").unwrap()
}

/// The example decoders, compiled once.
fn decoders() -> Arc<Decoders> {
    static DECODERS: std::sync::LazyLock<Arc<Decoders>> = std::sync::LazyLock::new(|| {
        let mut decoders = Decoders::new();
        for (file, text) in crate::custom::EXAMPLES {
            for def in parse_definitions(text, file).unwrap() {
                decoders.add(CustomDecoder::compile(def).unwrap());
            }
        }
        Arc::new(decoders)
    });
    DECODERS.clone()
}

fn normalizer(format: &str) -> Normalizer {
    let config = SourceConfig::new("hospital-a", "tcp-6514", format.parse().unwrap());
    Normalizer::new(config, decoders(), Arc::new(Masker::default()))
}

/// Renders an outcome: the fields, then the time, the raw message and the
/// error.
fn show(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Event { event, error } => {
            let mut out = render(&event.fields);
            out.push_str(&format!("@timestamp={}\n", format_rfc3339(event.timestamp)));
            out.push_str(&format!("raw={}\n", event.raw));
            if let Some(e) = error {
                out.push_str(&format!("error={e}\n"));
            }
            out
        }
        Outcome::Directive => "directive\n".into(),
        Outcome::Dropped(e) => format!("dropped={e}\n"),
    }
}

/// Normalises `input` as `format` and compares the outcome with `expect`.
fn check(format: &str, input: &str, expect: &str) {
    let outcome = normalizer(format).normalize(input.as_bytes(), received());
    assert_eq!(show(&outcome), lines(expect), "{format}: {input}");
}

#[test]
fn auto_syslog_with_authentication() {
    check(
        "auto",
        "<38>Mar  9 10:15:30 emr-db01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 41234 ssh2",
        "log.syslog.priority:int=38
         log.syslog.facility.code:int=4
         log.syslog.severity.code:int=6
         host.name=emr-db01
         process.name=sshd
         process.pid:int=4242
         event.action=ssh_login
         event.outcome=failure
         system.auth.ssh.method=password
         user.name=admin
         source.ip:ip=203.0.113.9
         source.port:int=41234
         event.category=authentication
         message=Failed password for invalid user admin from 203.0.113.9 port 41234 ssh2
         event.module=auth
         @timestamp=2024-03-09T01:15:30Z
         raw=<38>Mar  9 10:15:30 emr-db01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 41234 ssh2",
    );
    // A syslog file line without PRI; an RFC 5424 line.
    check(
        "auto",
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
        "host.name=combo
         process.name=sshd(pam_unix)
         process.pid:int=19939
         event.action=authentication_failure
         event.outcome=failure
         event.category=authentication
         message=check pass; user unknown
         event.module=auth
         @timestamp=2023-06-14T06:16:01Z
         raw=Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
    );
    check(
        "auto",
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event",
        "log.syslog.priority:int=165
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=5
         log.syslog.version:int=1
         host.name=mymachine.example.com
         process.name=evntslog
         log.syslog.msgid=ID47
         log.syslog.structured_data.exampleSDID@32473.iut=3
         message=An application event
         @timestamp=2003-10-11T22:14:15.003Z
         raw=<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event",
    );
}

#[test]
fn auto_payloads_over_syslog() {
    check(
        "auto",
        "<134>Mar  9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0|100|SQL Injection|8|src=203.0.113.7 act=block",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         host.name=waf01
         cef.version:int=0
         observer.vendor=Penta
         observer.product=WAPPLES
         observer.version=6.0
         event.code=100
         event.reason=SQL Injection
         rule.name=SQL Injection
         event.severity:int=8
         source.ip:ip=203.0.113.7
         event.action=block
         event.module=cef
         @timestamp=2024-03-09T01:15:30Z
         raw=<134>Mar  9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0|100|SQL Injection|8|src=203.0.113.7 act=block",
    );
    check(
        "auto",
        "<14>Mar  9 10:15:30 ids01 suricata[77]: {\"timestamp\":\"2024-03-09T10:15:29.5+0900\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"dest_ip\":\"10.1.1.20\",\"proto\":\"TCP\",\"alert\":{\"signature\":\"ET EXPLOIT Log4j\",\"signature_id\":2034647,\"severity\":1}}",
        "log.syslog.priority:int=14
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=6
         host.name=ids01
         process.name=suricata
         process.pid:int=77
         suricata.eve.event_type=alert
         event.kind=alert
         event.category=intrusion_detection
         source.ip:ip=203.0.113.7
         destination.ip:ip=10.1.1.20
         network.transport=tcp
         rule.name=ET EXPLOIT Log4j
         rule.id=2034647
         event.severity:int=1
         suricata.eve.flow_id:int=1
         event.module=suricata
         @timestamp=2024-03-09T01:15:29.5Z
         raw=<14>Mar  9 10:15:30 ids01 suricata[77]: {\"timestamp\":\"2024-03-09T10:15:29.5+0900\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"dest_ip\":\"10.1.1.20\",\"proto\":\"TCP\",\"alert\":{\"signature\":\"ET EXPLOIT Log4j\",\"signature_id\":2034647,\"severity\":1}}",
    );
    check(
        "auto",
        "<189>date=2024-03-09 time=10:15:30 devname=\"FGT-EMR\" logid=\"0000000013\" srcip=10.1.1.5 dstip=8.8.8.8 action=\"deny\"",
        "log.syslog.priority:int=189
         log.syslog.facility.code:int=23
         log.syslog.severity.code:int=5
         observer.vendor=Fortinet
         observer.product=FortiGate
         observer.name=FGT-EMR
         event.code=0000000013
         source.ip:ip=10.1.1.5
         destination.ip:ip=8.8.8.8
         event.action=deny
         event.module=fortigate
         @timestamp=2024-03-09T01:15:30Z
         raw=<189>date=2024-03-09 time=10:15:30 devname=\"FGT-EMR\" logid=\"0000000013\" srcip=10.1.1.5 dstip=8.8.8.8 action=\"deny\"",
    );
    // An analyst-defined decoder recognised by its prematch.
    check(
        "auto",
        "<134>Mar  9 10:15:31 TG-HOSP TrusGuard: type=FW, time=2024-03-09 10:15:31, action=deny, proto=UDP, src=10.2.3.4, sport=53211, dst=8.8.8.8, dport=53, policy=12",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         host.name=TG-HOSP
         process.name=TrusGuard
         event.action=deny
         network.transport=UDP
         source.ip:ip=10.2.3.4
         source.port:int=53211
         destination.ip:ip=8.8.8.8
         destination.port:int=53
         rule.id=12
         observer.product=TrusGuard
         observer.vendor=AhnLab
         event.module=ahnlab-trusguard
         @timestamp=2024-03-09T01:15:31Z
         raw=<134>Mar  9 10:15:31 TG-HOSP TrusGuard: type=FW, time=2024-03-09 10:15:31, action=deny, proto=UDP, src=10.2.3.4, sport=53211, dst=8.8.8.8, dport=53, policy=12",
    );
    // Plain text: the line is the message, the time is the receive time.
    check(
        "auto",
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack",
        "message=2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack
         @timestamp=2024-03-10T00:00:00Z
         raw=2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack",
    );
}

#[test]
fn payload_errors_keep_the_envelope() {
    check(
        "cef",
        "<134>Mar  9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         host.name=waf01
         message=CEF:0|Penta|WAPPLES|6.0
         error.message=invalid CEF: the header needs 7 `|`-separated fields at byte 50 near \"9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0\"
         @timestamp=2024-03-09T01:15:30Z
         raw=<134>Mar  9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0
         error=invalid CEF: the header needs 7 `|`-separated fields at byte 50 near \"9 10:15:30 waf01 CEF:0|Penta|WAPPLES|6.0\"",
    );
    // An RFC 5424 source sending BSD syslog: read leniently, flagged.
    check(
        "rfc5424",
        "<13>Mar  9 10:15:30 host app: hello",
        "log.syslog.priority:int=13
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=5
         host.name=host
         process.name=app
         message=hello
         error.message=missing or invalid syslog version at byte 4 near \"Mar  9 10:15:30 host app: hello\"
         @timestamp=2024-03-09T01:15:30Z
         raw=<13>Mar  9 10:15:30 host app: hello
         error=missing or invalid syslog version at byte 4 near \"Mar  9 10:15:30 host app: hello\"",
    );
    check(
        "no-such-decoder",
        "hello",
        "message=hello
         error.message=no decoder named \"no-such-decoder\" at byte 0 near \"hello\"
         @timestamp=2024-03-10T00:00:00Z
         raw=hello
         error=no decoder named \"no-such-decoder\" at byte 0 near \"hello\"",
    );
    check("auto", "  \r\n", "dropped=empty message at byte 0");
    check("auto", "", "dropped=empty message at byte 0");
}

#[test]
fn iis_directives_carry_state() {
    let mut n = normalizer("iis");
    assert_eq!(
        n.normalize(
            b"#Software: Microsoft Internet Information Services 10.0",
            received()
        ),
        Outcome::Directive
    );
    assert_eq!(
        n.normalize(
            b"#Fields: date time c-ip cs-method cs-uri-stem sc-status",
            received()
        ),
        Outcome::Directive
    );
    assert_eq!(
        n.normalize(b"#Anything else", received()),
        Outcome::Directive
    );
    let outcome = n.normalize(b"2024-03-09 01:15:30 203.0.113.7 GET /a 404", received());
    assert_eq!(
        show(&outcome),
        lines(
            "source.ip:ip=203.0.113.7
             http.request.method=GET
             http.response.status_code:int=404
             url.path=/a
             url.original=/a
             event.module=iis
             @timestamp=2024-03-09T01:15:30Z
             raw=2024-03-09 01:15:30 203.0.113.7 GET /a 404"
        )
    );
}

#[test]
fn auto_keeps_hash_lines_that_are_not_directives() {
    check(
        "auto",
        "#hospital-a nightly backup done",
        "message=#hospital-a nightly backup done
         @timestamp=2024-03-10T00:00:00Z
         raw=#hospital-a nightly backup done",
    );
    let mut n = normalizer("auto");
    assert_eq!(
        n.normalize(b"#Fields: date time c-ip", received()),
        Outcome::Directive
    );
    assert_eq!(n.state().iis.columns(), 3);
}

#[test]
fn masking_happens_before_anything_is_kept() {
    let mut n = normalizer("auto");
    let raw = "<14>Mar  9 10:15:30 emr01 emr[7]: 환자 900101-1234567 연락처 010-1234-5678";
    let Outcome::Event { event, error } = n.normalize(raw.as_bytes(), received()) else {
        panic!("no event");
    };
    assert_eq!(error, None);
    assert_eq!(
        event.raw,
        "<14>Mar  9 10:15:30 emr01 emr[7]: 환자 ******-******* 연락처 ***-****-****"
    );
    assert_eq!(
        event.get("message").unwrap().to_text(),
        "환자 ******-******* 연락처 ***-****-****"
    );
    // The id is of the bytes as received, before masking.
    assert_eq!(
        event.id,
        EventId::of("hospital-a", "tcp-6514", raw.as_bytes())
    );
    // A number hidden by an escape in the raw message is masked once decoded.
    let json = r#"{"message":"rrn 900101-\u0031234567","user":{"phone":"010 1234 5678"}}"#;
    let Outcome::Event { event, .. } = n.normalize(json.as_bytes(), received()) else {
        panic!("no event");
    };
    assert_eq!(
        event.get("message").unwrap().to_text(),
        "rrn ******-*******"
    );
    assert_eq!(event.get("user.phone").unwrap().to_text(), "*** **** ****");
    assert!(!event.raw.contains("010 1234"));
    let counts = n.take_mask_counts();
    assert_eq!((counts.rrn, counts.phone), (2, 2));
    assert_eq!(n.take_mask_counts(), MaskCounts::default());
}

#[test]
fn invalid_utf8_is_kept_losslessly() {
    let mut n = normalizer("rfc5424");
    let raw = b"<13>1 - h\xff a - - - caf\xe9";
    let Outcome::Event { event, error } = n.normalize(raw, received()) else {
        panic!("no event");
    };
    assert_eq!(error, None);
    assert_eq!(event.raw, "<13>1 - h\u{fffd} a - - - caf\u{fffd}");
    assert_eq!(event.get("host.name").unwrap().to_text(), "h\u{fffd}");
    assert_eq!(
        event.get("event.original_base64").unwrap().to_text(),
        text::base64(raw)
    );
    // Error offsets point into the bytes as received.
    let raw = b"<13>1 \xff\xfe 2024-99-01T00:00:00Z h a - - -";
    let Outcome::Event { error: Some(e), .. } = n.normalize(raw, received()) else {
        panic!("no error");
    };
    assert_eq!(e.offset, 6);
}

#[test]
fn truncated_frames_are_flagged() {
    let mut n = normalizer("auto");
    let frame = Frame {
        data: b"<13>cut here",
        truncated: true,
    };
    let Outcome::Event { event, .. } = n.normalize_frame(frame, received()) else {
        panic!("no event");
    };
    assert_eq!(event.get("log.truncated"), Some(Value::Bool(true)));
}

#[test]
fn formats_by_name() {
    for name in Format::BUILTIN {
        let format: Format = name.parse().unwrap();
        assert_eq!(format.to_string(), name);
        assert!(!matches!(format, Format::Custom(_)));
    }
    assert_eq!(
        "secui-mf2".parse::<Format>().unwrap(),
        Format::Custom("secui-mf2".into())
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        prefix in prop_oneof![
            Just(&b""[..]), Just(&b"<13>"[..]), Just(&b"<13>1 "[..]), Just(&b"CEF:0|"[..]),
            Just(&b"LEEF:2.0|a|b|c|d|"[..]), Just(&b"{"[..]), Just(&b"#Fields: "[..]),
            Just(&b"<14>Mar  9 10:15:30 h sshd[1]: "[..]), Just(&b"1,2024/01/01 00:00:00,x,THREAT,"[..]),
        ],
        format in proptest::sample::select(Format::BUILTIN.to_vec()),
    ) {
        let mut raw = prefix.to_vec();
        raw.extend_from_slice(&bytes);
        let mut n = normalizer(format);
        match n.normalize(&raw, received()) {
            Outcome::Event { event, error } => {
                if let Some(e) = error {
                    prop_assert!(e.offset <= raw.len(), "{} > {}", e.offset, raw.len());
                }
                prop_assert_eq!(event.id, EventId::of("hospital-a", "tcp-6514", &raw));
            }
            Outcome::Dropped(e) => prop_assert!(e.offset <= raw.len()),
            Outcome::Directive => {}
        }
    }
}

#[test]
fn repeats_get_their_own_ids_and_a_resent_stream_the_same_ones() {
    let ids = |lines: &[&str]| -> Vec<EventId> {
        let mut n = normalizer("auto");
        lines
            .iter()
            .map(|l| match n.normalize(l.as_bytes(), received()) {
                Outcome::Event { event, .. } => event.id,
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let (a, b) = (
        "<13>Mar  9 10:00:00 h sshd: x",
        "<13>Mar  9 10:00:00 h sshd: y",
    );
    let first = ids(&[a, b, a, a]);
    assert_eq!(
        first[0],
        EventId::of("hospital-a", "tcp-6514", a.as_bytes())
    );
    assert_eq!(
        first[1],
        EventId::of("hospital-a", "tcp-6514", b.as_bytes())
    );
    let distinct: std::collections::HashSet<_> = first.iter().collect();
    assert_eq!(distinct.len(), 4);
    // A resend of the stream (a fresh connection) gives the same ids.
    assert_eq!(ids(&[a, b, a, a]), first);
    assert_eq!(ids(&[a, b, a, a, a])[..4], first[..]);
}

#[test]
fn repeat_counts_go_by_windows_of_the_stream() {
    let mut r = Repeats::default();
    let base = EventId::of("m", "s", b"same");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..(Repeats::WINDOW as usize + 3) {
        assert!(seen.insert(r.id(base)), "an id came twice");
    }
    // The second window starts afresh but never reuses the first's ids.
    let mut again = Repeats::default();
    let replay: Vec<EventId> = (0..(Repeats::WINDOW as usize + 3))
        .map(|_| again.id(base))
        .collect();
    assert!(replay.iter().all(|id| seen.contains(id)));
    assert_eq!(replay[0], base);
    assert_eq!(base.repeat(0, 0), base);
    assert_ne!(base.repeat(1, 0), base.repeat(0, 1));
    // The counter's ids are `repeat`'s: the first of each window keyed,
    // later ones hashed.
    let mut r = Repeats::default();
    let all: Vec<EventId> = (0..(2 * Repeats::WINDOW as usize + 2))
        .map(|_| r.id(base))
        .collect();
    assert_eq!(all[1], base.repeat(0, 1));
    let w = Repeats::WINDOW as usize;
    assert_eq!(all[w], base.repeat(1, 0));
    assert_eq!(all[w + 1], base.repeat(1, 1));
    assert_eq!(all[2 * w], base.repeat(2, 0));
    assert_ne!(base.repeat(1, 0), base.repeat(2, 0));
    assert_ne!(base.repeat(1, 0), base);
    // A different message's first occurrence in the same window.
    let other = EventId::of("m", "s", b"other");
    assert_eq!(r.id(other), other.repeat(2, 0));
    assert_ne!(other.repeat(2, 0), base.repeat(2, 0));
}
