//! LEEF 1.0 and 2.0: IBM's examples, delimiters in every notation, the
//! space-separated variant, errors, and no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

fn check(input: &str, expect: &str) {
    let mut draft = Draft::new();
    decode(input, &mut draft, ctx()).unwrap_or_else(|e| panic!("{input}: {e}"));
    crate::testing::assert_documented(&draft.fields);
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

fn check_error(input: &str, expect: &str) {
    let e = parse_leef(input).expect_err(input);
    assert_eq!(e.to_string(), expect, "{input}");
}

const EXCHANGE: &str = "leef.version=1.0
    observer.vendor=Microsoft
    observer.product=MSExchange
    observer.version=4.0 SP1
    event.code=15345
    source.ip:ip=192.0.2.0
    destination.ip:ip=172.50.123.1
    event.severity:int=5
    leef.cat=anomaly
    source.port:int=81
    destination.port:int=21
    user.name=joe.black";

#[test]
fn ibm_examples() {
    check(
        "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
        EXCHANGE,
    );
    let v2 = EXCHANGE.replace("leef.version=1.0", "leef.version=2.0");
    check(
        "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|^|src=192.0.2.0^dst=172.50.123.1^sev=5^cat=anomaly^srcPort=81^dstPort=21^usrName=joe.black",
        &v2,
    );
    check(
        "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x5E|src=192.0.2.0^dst=172.50.123.1^sev=5^cat=anomaly^srcPort=81^dstPort=21^usrName=joe.black",
        &v2,
    );
    check(
        "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|0x09|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
        &v2,
    );
    check(
        "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x09|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
        &v2,
    );
    // LEEF 2.0 without the delimiter field: tabs.
    check(
        "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
        &v2,
    );
    // The multi-character hex delimiter of IBM's docs (`xa6`, ¦).
    check(
        "LEEF:2.0|V|P|1|e|xa6|src=10.0.0.1¦proto=6",
        "leef.version=2.0
         observer.vendor=V
         observer.product=P
         observer.version=1
         event.code=e
         source.ip:ip=10.0.0.1
         network.transport=tcp",
    );
}

#[test]
fn times_spaces_and_korean_values() {
    check(
        "LEEF:1.0|AhnLab|TrusGuard|2.5|FW_DENY|devTime=Mar 09 2024 10:15:30\tdevTimeFormat=MMM dd yyyy HH:mm:ss\tsrc=10.10.1.5\tdst=8.8.8.8\tproto=UDP\taction=deny\tpolicy=차단 정책 3",
        "leef.version=1.0
         observer.vendor=AhnLab
         observer.product=TrusGuard
         observer.version=2.5
         event.code=FW_DENY
         leef.devTimeFormat=MMM dd yyyy HH:mm:ss
         source.ip:ip=10.10.1.5
         destination.ip:ip=8.8.8.8
         network.transport=udp
         event.action=deny
         leef.policy=차단 정책 3
         @timestamp=2024-03-09T01:15:30Z",
    );
    // Spaces instead of tabs, values with spaces.
    check(
        "LEEF:1.0|Vendor|Product|1|login|usrName=kim cheol su src=10.0.0.5 devTime=1709946930000",
        "leef.version=1.0
         observer.vendor=Vendor
         observer.product=Product
         observer.version=1
         event.code=login
         user.name=kim cheol su
         source.ip:ip=10.0.0.5
         @timestamp=2024-03-09T01:15:30Z",
    );
}

#[test]
fn errors() {
    check_error(
        "LEEF:1.0|V|P|1",
        "invalid LEEF: the header needs 5 `|`-separated fields at byte 14",
    );
    check_error(
        "LEEF:3.0|V|P|1|e|a=b",
        "invalid LEEF: unknown version at byte 5",
    );
    check_error(
        "LEEF:2.0|V|P|1|e|xZZ|a=b",
        "invalid LEEF: invalid delimiter at byte 17",
    );
    check_error("CEF:0|", "invalid LEEF: missing `LEEF:` at byte 0");
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        for input in [s.clone(), format!("LEEF:1.0|{s}"), format!("LEEF:2.0|a|b|c|d|{s}")] {
            let mut draft = Draft::new();
            if let Err(e) = decode(&input, &mut draft, ctx()) {
                prop_assert!(e.offset <= input.len());
            }
        }
    }
}
