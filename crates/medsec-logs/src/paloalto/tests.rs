//! PAN-OS CSV: TRAFFIC, THREAT and SYSTEM lines in the documented column
//! order, quoted columns, and no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

fn check(input: &str, expect: &str) {
    assert!(looks_like_panos(input), "{input}");
    let mut draft = Draft::new();
    decode(input, &mut draft, ctx()).unwrap_or_else(|e| panic!("{input}: {e}"));
    crate::testing::assert_documented(&draft.fields);
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

#[test]
fn traffic() {
    // A PAN-OS 10 traffic log (public sample; the user name is redacted
    // there), cut after the Action Source column.
    check(
        r"1,2023/10/04 18:54:26,012501002341,TRAFFIC,end,2561,2023/10/04 18:54:24,10.130.146.205,124.146.215.44,134.7.244.205,124.146.215.44,Curtin-CS-Research-Out,student\XXXXXXXX,,ssl,vsys1,bdr-trust,bdr-untrust,ethernet1/23,ethernet1/24,SPLUNK LOG FP,2023/10/04 18:54:24,72568134,1,49583,443,50464,443,0x40441a,tcp,allow,7312,2228,5084,22,2023/10/04 18:53:52,16,business-and-economy,,7253419119627122716,0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,34,0,0,0,,b309-fu-fw,from-policy",
        r"observer.vendor=Palo Alto Networks
         observer.product=PAN-OS
         panw.panos.type=TRAFFIC
         panw.panos.sub_type=end
         event.kind=event
         observer.serial_number=012501002341
         source.ip:ip=10.130.146.205
         destination.ip:ip=124.146.215.44
         source.nat.ip:ip=134.7.244.205
         destination.nat.ip:ip=124.146.215.44
         rule.name=Curtin-CS-Research-Out
         source.user.name=student\XXXXXXXX
         network.application=ssl
         panw.panos.vsys=vsys1
         observer.ingress.zone=bdr-trust
         observer.egress.zone=bdr-untrust
         observer.ingress.interface.name=ethernet1/23
         observer.egress.interface.name=ethernet1/24
         panw.panos.log_profile=SPLUNK LOG FP
         panw.panos.session_id=72568134
         panw.panos.repeat_count=1
         source.port:int=49583
         destination.port:int=443
         source.nat.port:int=50464
         destination.nat.port:int=443
         panw.panos.flags=0x40441a
         network.transport=tcp
         event.action=allow
         network.bytes:int=7312
         source.bytes:int=2228
         destination.bytes:int=5084
         network.packets:int=22
         panw.panos.start_time=2023/10/04 18:53:52
         event.duration:int=16000000000
         panw.panos.url.category=business-and-economy
         event.sequence:int=7253419119627122716
         panw.panos.action_flags=0x8000000000000000
         panw.panos.source.location=10.0.0.0-10.255.255.255
         panw.panos.destination.location=Japan
         source.packets:int=12
         destination.packets:int=10
         panw.panos.end_reason=tcp-rst-from-client
         observer.name=b309-fu-fw
         panw.panos.action_source=from-policy
         user.name=student\XXXXXXXX
         @timestamp=2023-10-04T09:54:24Z",
    );
}

/// A line with the given columns set and the rest empty.
fn columns(set: &[(usize, &str)]) -> String {
    let width = set.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    let mut cols = vec![String::new(); width];
    for (i, v) in set {
        cols[*i] = (*v).to_owned();
    }
    cols.join(",")
}

#[test]
fn threat() {
    let line = columns(&[
        (0, "1"),
        (1, "2024/03/09 10:15:31"),
        (2, "013201001234"),
        (3, "THREAT"),
        (4, "vulnerability"),
        (5, "2561"),
        (6, "2024/03/09 10:15:30"),
        (7, "203.0.113.50"),
        (8, "10.1.1.20"),
        (11, "Allow-EMR-Web"),
        (14, "web-browsing"),
        (15, "vsys1"),
        (16, "untrust"),
        (17, "dmz"),
        (22, "334455"),
        (24, "44321"),
        (25, "443"),
        (29, "tcp"),
        (30, "reset-both"),
        (31, "\"emr.hospital.kr/api/login,v2\""),
        (
            32,
            "Apache Log4j Remote Code Execution Vulnerability(91991)",
        ),
        (33, "code-execution"),
        (34, "critical"),
        (35, "client-to-server"),
        (36, "7300000000000000001"),
        (38, "United States"),
        (39, "10.0.0.0-10.255.255.255"),
        (46, "\"Mozilla/5.0 (X11; Linux x86_64) \"\"curl\"\"\""),
        (59, "PA-3220-EMR"),
        (63, "get"),
    ]);
    check(
        &line,
        r#"observer.vendor=Palo Alto Networks
         observer.product=PAN-OS
         panw.panos.type=THREAT
         panw.panos.sub_type=vulnerability
         event.kind=alert
         observer.serial_number=013201001234
         source.ip:ip=203.0.113.50
         destination.ip:ip=10.1.1.20
         rule.name=Allow-EMR-Web
         network.application=web-browsing
         panw.panos.vsys=vsys1
         observer.ingress.zone=untrust
         observer.egress.zone=dmz
         panw.panos.session_id=334455
         source.port:int=44321
         destination.port:int=443
         network.transport=tcp
         event.action=reset-both
         panw.panos.misc=emr.hospital.kr/api/login,v2
         panw.panos.threat.name=Apache Log4j Remote Code Execution Vulnerability
         panw.panos.threat.id=91991
         panw.panos.category=code-execution
         log.level=critical
         event.severity:int=5
         panw.panos.direction=client-to-server
         event.sequence:int=7300000000000000001
         panw.panos.source.location=United States
         panw.panos.destination.location=10.0.0.0-10.255.255.255
         user_agent.original=Mozilla/5.0 (X11; Linux x86_64) "curl"
         observer.name=PA-3220-EMR
         http.request.method=get
         @timestamp=2024-03-09T01:15:30Z"#,
    );
}

#[test]
fn system() {
    check(
        "1,2024/03/09 10:00:00,013201001234,SYSTEM,general,0,2024/03/09 10:00:00,,general,,0,0,general,informational,\"User admin logged in via Web from 10.0.0.9 using https\",1234,0x0,0,0,0,0,,PA-3220-EMR",
        "observer.vendor=Palo Alto Networks
         observer.product=PAN-OS
         panw.panos.type=SYSTEM
         panw.panos.sub_type=general
         event.kind=event
         observer.serial_number=013201001234
         event.code=general
         panw.panos.module=general
         log.level=informational
         event.severity:int=1
         message=User admin logged in via Web from 10.0.0.9 using https
         event.sequence:int=1234
         observer.name=PA-3220-EMR
         @timestamp=2024-03-09T01:00:00Z",
    );
    assert!(!looks_like_panos("1,2,3,4"));
    let mut draft = Draft::new();
    assert!(decode("a,b,c,NOPE,e,f,g", &mut draft, ctx()).is_err());
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let mut draft = Draft::new();
        let line = format!("1,2024/03/09 10:00:00,x,THREAT,{s}");
        let _ = decode(&line, &mut draft, ctx());
        let _ = decode(&s, &mut draft, ctx());
        let _ = csv(&format!("\"{s}"));
    }
}
