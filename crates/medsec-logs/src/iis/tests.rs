//! IIS W3C logs: the default layout, `#Fields:` changing it, spaces as
//! `+`, value-count mismatches, and no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

/// Feeds `input` line by line (directives update the state) and checks
/// the fields of its last line.
fn check(input: &str, expect: &str) {
    let mut state = IisState::default();
    let mut got = String::new();
    for line in input.lines().map(str::trim) {
        if state.directive(line) {
            continue;
        }
        assert!(looks_like_iis(line, &state), "{line}");
        let mut draft = Draft::new();
        decode(line, &state, &mut draft, ctx()).unwrap_or_else(|e| panic!("{line}: {e}"));
        crate::testing::assert_documented(&draft.fields);
        got = render(&draft.fields);
        if let Some(t) = draft.timestamp {
            got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
        }
    }
    assert_eq!(got, lines(expect), "{input}");
}

#[test]
fn default_and_declared_layouts() {
    check(
        r"#Software: Microsoft Internet Information Services 10.0
          #Version: 1.0
          #Date: 2024-03-09 01:00:00
          #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
          2024-03-09 01:15:30 10.1.1.30 GET /portal/default.aspx id=42 443 HOSP\kim 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 125",
        r"destination.ip:ip=10.1.1.30
         http.request.method=GET
         destination.port:int=443
         user.name=HOSP\kim
         source.ip:ip=203.0.113.7
         user_agent.original=Mozilla/5.0 (Windows NT 10.0; Win64; x64)
         http.response.status_code:int=200
         iis.access.sub_status:int=0
         iis.access.win32_status:int=0
         event.duration:int=125000000
         url.path=/portal/default.aspx
         url.query=id=42
         url.original=/portal/default.aspx?id=42
         @timestamp=2024-03-09T01:15:30Z",
    );
    // Without a directive: IIS's default layout.
    check(
        "2024-03-09 01:15:31 10.1.1.30 POST /owa/auth.owa - 443 - 198.51.100.9 python-requests/2.31 - 302 0 0 15",
        "destination.ip:ip=10.1.1.30
         http.request.method=POST
         destination.port:int=443
         source.ip:ip=198.51.100.9
         user_agent.original=python-requests/2.31
         http.response.status_code:int=302
         iis.access.sub_status:int=0
         iis.access.win32_status:int=0
         event.duration:int=15000000
         url.path=/owa/auth.owa
         url.original=/owa/auth.owa
         @timestamp=2024-03-09T01:15:31Z",
    );
    // A custom layout, with columns medsec does not map.
    check(
        "#Fields: date time s-sitename s-computername cs-host cs-version sc-bytes cs-bytes X-Forwarded-For c-ip
         2024-03-09 01:15:32 W3SVC1 EMR-WEB01 emr.hospital.kr HTTP/1.1 5120 431 10.9.8.7 10.0.0.1",
        "iis.access.site_name=W3SVC1
         host.name=EMR-WEB01
         url.domain=emr.hospital.kr
         http.version=1.1
         http.response.bytes:int=5120
         http.request.bytes:int=431
         iis.access.x_forwarded_for=10.9.8.7
         source.ip:ip=10.0.0.1
         @timestamp=2024-03-09T01:15:32Z",
    );
}

#[test]
fn mismatched_lines_decode_what_lines_up() {
    let state = IisState::default();
    let mut draft = Draft::new();
    let e = decode(
        "2024-03-09 01:15:30 10.1.1.30 GET",
        &state,
        &mut draft,
        ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "iis: the number of values does not match #Fields at byte 0"
    );
    assert_eq!(
        render(&draft.fields),
        "destination.ip:ip=10.1.1.30\nhttp.request.method=GET\n"
    );
    assert!(!looks_like_iis("2024-03-09 01:15:30 a b", &state));
    assert!(looks_like_iis("#Fields: date time", &state));
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let mut state = IisState::default();
        state.directive(&format!("#Fields: {s}"));
        let mut draft = Draft::new();
        let _ = looks_like_iis(&s, &state);
        let _ = decode(&s, &state, &mut draft, ctx());
        let _ = decode(&format!("2024-03-09 01:15:30 {s}"), &IisState::default(), &mut draft, ctx());
    }
}
