//! Syslog headers: the examples of RFC 5424 and RFC 3164 and the lines
//! real devices send, mapped to fields; errors with positions; no panic
//! and positions inside the input on any input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

/// Parses `input` (either protocol) and compares the header fields, the
/// timestamp and the message with `expect`.
fn check(input: &str, expect: &str) {
    let msg = parse(input, ctx()).unwrap_or_else(|e| panic!("{input}: {e}"));
    let mut fields = Fields::new();
    msg.to_fields(&mut fields);
    crate::testing::assert_documented(&fields);
    let mut got = render(&fields);
    if let Some(t) = msg.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    got.push_str(&format!("message={}\n", msg.msg));
    assert_eq!(got, lines(expect), "{input}");
    assert_eq!(
        text::tail(input, msg.msg_offset).trim_start_matches('\u{feff}'),
        msg.msg
    );
}

/// Parses `input` and checks the error's text (with its offset).
fn check_error(input: &str, expect: &str) {
    let e = parse(input, ctx()).expect_err(input);
    assert_eq!(e.to_string(), expect, "{input}");
}

#[test]
fn rfc_5424_examples() {
    // RFC 5424 §6.5, example 1 (with the BOM).
    check(
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8",
        "log.syslog.priority:int=34
         log.syslog.facility.code:int=4
         log.syslog.severity.code:int=2
         log.syslog.version:int=1
         host.name=mymachine.example.com
         process.name=su
         log.syslog.msgid=ID47
         @timestamp=2003-10-11T22:14:15.003Z
         message='su root' failed for lonvick on /dev/pts/8",
    );
    // Example 2: microseconds and an offset, no MSGID.
    check(
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        "log.syslog.priority:int=165
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=5
         log.syslog.version:int=1
         host.name=192.0.2.1
         process.name=myproc
         process.pid:int=8710
         @timestamp=2003-08-24T12:14:15.000003Z
         message=%% It's time to make the do-nuts.",
    );
    // Examples 3 and 4: structured data.
    check(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \u{feff}An application event log entry...",
        "log.syslog.priority:int=165
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=5
         log.syslog.version:int=1
         host.name=mymachine.example.com
         process.name=evntslog
         log.syslog.msgid=ID47
         log.syslog.structured_data.exampleSDID@32473.iut=3
         log.syslog.structured_data.exampleSDID@32473.eventSource=Application
         log.syslog.structured_data.exampleSDID@32473.eventID=1011
         @timestamp=2003-10-11T22:14:15.003Z
         message=An application event log entry...",
    );
    check(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
        "log.syslog.priority:int=165
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=5
         log.syslog.version:int=1
         host.name=mymachine.example.com
         process.name=evntslog
         log.syslog.msgid=ID47
         log.syslog.structured_data.exampleSDID@32473.iut=3
         log.syslog.structured_data.exampleSDID@32473.eventSource=Application
         log.syslog.structured_data.exampleSDID@32473.eventID=1011
         log.syslog.structured_data.examplePriority@32473.class=high
         @timestamp=2003-10-11T22:14:15.003Z
         message=",
    );
}

#[test]
fn rfc_5424_details() {
    // All NILVALUEs.
    check(
        "<13>1 - - - - - -",
        "log.syslog.priority:int=13
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=5
         log.syslog.version:int=1
         message=",
    );
    // Escapes in PARAM-VALUE: \" \\ \] are unescaped, others kept.
    check(
        r#"<14>1 2024-01-01T00:00:00+09:00 h a p m [x@1 q="a\"b\\c\]d\e" empty=""] msg"#,
        r#"log.syslog.priority:int=14
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=6
         log.syslog.version:int=1
         host.name=h
         process.name=a
         log.syslog.procid=p
         log.syslog.msgid=m
         log.syslog.structured_data.x@1.q=a"b\c]d\e
         log.syslog.structured_data.x@1.empty=
         @timestamp=2023-12-31T15:00:00Z
         message=msg"#,
    );
    // Korean text in the message and a zone-less time (read as KST).
    check(
        "<134>1 2024-05-01T09:00:00.5 emr-web01 tomcat 4242 - - 환자 조회: 홍길동",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         log.syslog.version:int=1
         host.name=emr-web01
         process.name=tomcat
         process.pid:int=4242
         @timestamp=2024-05-01T00:00:00.5Z
         message=환자 조회: 홍길동",
    );
}

#[test]
fn rfc_5424_errors() {
    check_error(
        "<13>1 2024-13-01T00:00:00Z h a p m - x",
        "invalid timestamp at byte 6",
    );
    check_error("<13>1 - h a p", "missing MSGID at byte 13");
    check_error(
        "<13>1 - h a p m [x",
        "invalid structured data: unterminated element at byte 18",
    );
    check_error(
        "<13>1 - h a p m [x a=\"b]",
        "invalid structured data: unterminated PARAM-VALUE at byte 22",
    );
    check_error(
        "<13>1 - h a p m [x a=b]",
        "invalid structured data: expected `\"` at byte 21",
    );
    check_error(
        "<13>1 - h a p m [=x]",
        "invalid structured data: missing SD-ID at byte 17",
    );
    check_error("<13>1 - h a p m x", "missing STRUCTURED-DATA at byte 16");
    check_error("<192>1 - - - - - -", "invalid PRI at byte 1");
    check_error("<1x>hello", "invalid PRI at byte 2");
}

#[test]
fn rfc_3164_examples() {
    // RFC 3164 §5.4.
    check(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        "log.syslog.priority:int=34
         log.syslog.facility.code:int=4
         log.syslog.severity.code:int=2
         host.name=mymachine
         process.name=su
         @timestamp=2023-10-11T13:14:15Z
         message='su root' failed for lonvick on /dev/pts/8",
    );
    check(
        "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        "log.syslog.priority:int=13
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=5
         host.name=10.0.0.99
         @timestamp=2024-02-05T08:32:18Z
         message=Use the BFG!",
    );
    check(
        "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.",
        "log.syslog.priority:int=165
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=5
         host.name=mymachine
         process.name=myproc
         process.pid:int=10
         @timestamp=1987-08-23T20:34:00Z
         message=%% It's time to make the do-nuts.",
    );
    check(
        "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
        "log.syslog.priority:int=0
         log.syslog.facility.code:int=0
         log.syslog.severity.code:int=0
         message=1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
    );
}

#[test]
fn rfc_3164_as_devices_send_it() {
    // Linux syslog files: no PRI, tags with parentheses.
    check(
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
        "host.name=combo
         process.name=sshd(pam_unix)
         process.pid:int=19939
         @timestamp=2023-06-14T06:16:01Z
         message=authentication failure; logname= uid=0",
    );
    check(
        "Jun 19 04:09:11 combo syslogd 1.4.1: restart.",
        "host.name=combo
         process.name=syslogd 1.4.1
         @timestamp=2023-06-18T19:09:11Z
         message=restart.",
    );
    check(
        "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
        "host.name=combo
         process.name=-- root
         process.pid:int=2421
         @timestamp=2023-07-06T23:06:15Z
         message=ROOT LOGIN ON tty2",
    );
    // No hostname.
    check(
        "<86>Mar  9 23:59:58 sshd[42]: Accepted publickey for root",
        "log.syslog.priority:int=86
         log.syslog.facility.code:int=10
         log.syslog.severity.code:int=6
         process.name=sshd
         process.pid:int=42
         @timestamp=2024-03-09T14:59:58Z
         message=Accepted publickey for root",
    );
    // No timestamp: the tag is still read; FortiGate's key=value is not a tag.
    check(
        "<13>su: pam_unix(su:session): session opened",
        "log.syslog.priority:int=13
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=5
         process.name=su
         message=pam_unix(su:session): session opened",
    );
    check(
        "<189>date=2019-05-10 time=11:37:47 devname=\"FGT60E\" type=\"traffic\"",
        "log.syslog.priority:int=189
         log.syslog.facility.code:int=23
         log.syslog.severity.code:int=5
         message=date=2019-05-10 time=11:37:47 devname=\"FGT60E\" type=\"traffic\"",
    );
    // A year in the timestamp, and an RFC 3339 timestamp.
    check(
        "<14>Mar  1 2021 18:46:11 fw01 kernel: x",
        "log.syslog.priority:int=14
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=6
         host.name=fw01
         process.name=kernel
         @timestamp=2021-03-01T09:46:11Z
         message=x",
    );
    check(
        "<30>2024-03-09T12:00:00.123456+00:00 web01 nginx: GET /",
        "log.syslog.priority:int=30
         log.syslog.facility.code:int=3
         log.syslog.severity.code:int=6
         host.name=web01
         process.name=nginx
         @timestamp=2024-03-09T12:00:00.123456Z
         message=GET /",
    );
    // Cisco IOS: sequence number, unsynchronised clock, milliseconds, mnemonic.
    check(
        "<189>1234: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)",
        "log.syslog.priority:int=189
         log.syslog.facility.code:int=23
         log.syslog.severity.code:int=5
         event.sequence:int=1234
         event.code=SYS-5-CONFIG_I
         @timestamp=2024-03-01T09:46:11.123Z
         message=Configured from console by vty0 (10.0.0.5)",
    );
    check(
        "<166>Mar 09 2024 10:00:01 asa01 : %ASA-6-302013: Built outbound TCP connection",
        "log.syslog.priority:int=166
         log.syslog.facility.code:int=20
         log.syslog.severity.code:int=6
         host.name=asa01
         @timestamp=2024-03-09T01:00:01Z
         message=: %ASA-6-302013: Built outbound TCP connection",
    );
    // CEF after the header is payload, not a tag; with and without a host.
    check(
        "<134>Mar  9 10:00:00 waf01 CEF:0|Penta|WAPPLES|6.0|1|SQLi|8|src=1.2.3.4",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         host.name=waf01
         @timestamp=2024-03-09T01:00:00Z
         message=CEF:0|Penta|WAPPLES|6.0|1|SQLi|8|src=1.2.3.4",
    );
    check(
        "<134>Mar  9 10:00:00 CEF:0|Penta|WAPPLES|6.0|1|SQLi|8|src=1.2.3.4",
        "log.syslog.priority:int=134
         log.syslog.facility.code:int=16
         log.syslog.severity.code:int=6
         @timestamp=2024-03-09T01:00:00Z
         message=CEF:0|Penta|WAPPLES|6.0|1|SQLi|8|src=1.2.3.4",
    );
    // Korean hostname-less program output.
    check(
        "<14>Mar  9 10:00:00 ehr01 emr[77]: 환자번호 조회 실패",
        "log.syslog.priority:int=14
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=6
         host.name=ehr01
         process.name=emr
         process.pid:int=77
         @timestamp=2024-03-09T01:00:00Z
         message=환자번호 조회 실패",
    );
    // A message that is only text.
    check(
        "<13>hello world",
        "log.syslog.priority:int=13
         log.syslog.facility.code:int=1
         log.syslog.severity.code:int=5
         message=hello world",
    );
}

#[test]
fn bare_syslog_is_recognised() {
    assert!(looks_like_bare_syslog("Jun 14 15:16:01 combo x"));
    assert!(looks_like_bare_syslog("*Mar  1 18:46:11.123: %SYS"));
    assert!(looks_like_bare_syslog("2024-01-01T00:00:00Z host x"));
    assert!(!looks_like_bare_syslog(
        "2024-01-01 00:00:00 10.0.0.1 GET /"
    ));
    assert!(!looks_like_bare_syslog("{\"a\":1}"));
    assert!(!looks_like_bare_syslog("Junk 14"));
}

proptest! {
    #[test]
    fn never_panics_and_offsets_stay_inside(s in "\\PC{0,120}") {
        for input in [s.clone(), format!("<13>{s}"), format!("<13>1 {s}")] {
            match parse(&input, ctx()) {
                Ok(m) => {
                    prop_assert!(m.msg_offset <= input.len());
                    let mut f = Fields::new();
                    m.to_fields(&mut f);
                }
                Err(e) => prop_assert!(e.offset <= input.len()),
            }
        }
    }

    #[test]
    fn syslog_shaped_noise_never_panics(
        parts in proptest::collection::vec(prop_oneof![
            Just("<13>"), Just("1 "), Just("- "), Just("["), Just("]"), Just("\""), Just("\\"),
            Just("="), Just(" "), Just("Jan  1 "), Just("00:00:00"), Just("2024-01-01T00:00:00Z"),
            Just(":"), Just("sshd[1]: "), Just("가"), Just("x"), Just("%A-1-B: "), Just("12: "),
        ], 0..30)
    ) {
        let input: String = parts.concat();
        match parse(&input, ctx()) {
            Ok(m) => prop_assert!(m.msg_offset <= input.len()),
            Err(e) => prop_assert!(e.offset <= input.len()),
        }
    }
}
