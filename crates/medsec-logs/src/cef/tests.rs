//! CEF: the ArcSight specification's examples and escapes, values with
//! spaces, the ECS mapping, errors with positions, and no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

/// Decodes `input` and compares its fields (and time) with `expect`.
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
    let e = parse_cef(input).expect_err(input);
    assert_eq!(e.to_string(), expect, "{input}");
}

#[test]
fn specification_examples() {
    check(
        "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232",
        "cef.version:int=0
         observer.vendor=Security
         observer.product=threatmanager
         observer.version=1.0
         event.code=100
         event.reason=worm successfully stopped
         rule.name=worm successfully stopped
         event.severity:int=10
         source.ip:ip=10.0.0.1
         destination.ip:ip=2.1.2.2
         source.port:int=1232",
    );
    // Escaped pipes and backslashes in the header and the extension.
    check(
        r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1",
        "cef.version:int=0
         observer.vendor=security
         observer.product=threatmanager
         observer.version=1.0
         event.code=100
         event.reason=detected a | in message
         rule.name=detected a | in message
         event.severity:int=10
         source.ip:ip=10.0.0.1
         event.action=blocked a |
         destination.ip:ip=1.1.1.1",
    );
    check(
        r"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1",
        r"cef.version:int=0
         observer.vendor=security
         observer.product=threatmanager
         observer.version=1.0
         event.code=100
         event.reason=detected a \ in packet
         rule.name=detected a \ in packet
         event.severity:int=10
         source.ip:ip=10.0.0.1
         event.action=blocked a \
         destination.ip:ip=1.1.1.1",
    );
    check(
        r"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1",
        "cef.version:int=0
         observer.vendor=security
         observer.product=threatmanager
         observer.version=1.0
         event.code=100
         event.reason=detected a = in message
         rule.name=detected a = in message
         event.severity:int=10
         source.ip:ip=10.0.0.1
         event.action=blocked a =
         destination.ip:ip=1.1.1.1",
    );
    // ArcSight Logger's own event: labels, custom numbers, an epoch `rt`.
    check(
        "CEF:0|ArcSight|Logger|5.0.0.5355.2|sensor:115|Logger Internal Event|1|cat=/Monitor/Sensor/Fan5 cs2=Current Value cnt=1 dvc=10.0.0.1 cs3=Ok cs1=null type=0 cs1Label=unit rt=1305034099211 cs3Label=Status cn1=42 cn1Label=value cs2Label=timeframe",
        "cef.version:int=0
         observer.vendor=ArcSight
         observer.product=Logger
         observer.version=5.0.0.5355.2
         event.code=sensor:115
         event.reason=Logger Internal Event
         rule.name=Logger Internal Event
         event.severity:int=1
         cef.cat=/Monitor/Sensor/Fan5
         cef.cs2=Current Value
         cef.cnt=1
         observer.ip:ip=10.0.0.1
         cef.cs3=Ok
         cef.cs1=null
         cef.type=0
         cef.cs1Label=unit
         cef.cs3Label=Status
         cef.cn1:int=42
         cef.cn1Label=value
         cef.cs2Label=timeframe
         @timestamp=2011-05-10T13:28:19.211Z",
    );
}

#[test]
fn values_with_spaces_and_the_ecs_mapping() {
    check(
        r"CEF:0|Trend Micro|Deep Security Agent|10.0|4000000|Eicar_test_file|6|cn1=241 cn1Label=Host ID dvchost=hostname cn2=100 cn2Label=Quarantine File Size filePath=C:\\Users\\trend\\Desktop\\eicar.exe act=Delete result=Delete msg=Realtime TrendMicroDsMalwareTarget=N/A",
        r"cef.version:int=0
         observer.vendor=Trend Micro
         observer.product=Deep Security Agent
         observer.version=10.0
         event.code=4000000
         event.reason=Eicar_test_file
         rule.name=Eicar_test_file
         event.severity:int=6
         cef.cn1:int=241
         cef.cn1Label=Host ID
         observer.hostname=hostname
         cef.cn2:int=100
         cef.cn2Label=Quarantine File Size
         file.path=C:\Users\trend\Desktop\eicar.exe
         event.action=Delete
         cef.result=Delete
         message=Realtime
         cef.TrendMicroDsMalwareTarget=N/A",
    );
    check(
        "CEF:1|Penta Security|WAPPLES|6.0|SQL Injection|SQL Injection detected|High|rt=Mar 09 2024 10:15:30 src=203.0.113.7 spt=51234 dst=10.1.2.3 dpt=443 proto=TCP app=HTTPS requestMethod=POST request=https://emr.example.kr/login.jsp?id=1' or '1'='1 suser=guest duser=admin requestClientApplication=Mozilla/5.0 (Windows NT 10.0) outcome=/Failure in=512 out=0 msg=다중 라인\\n메시지",
        "cef.version:int=1
         observer.vendor=Penta Security
         observer.product=WAPPLES
         observer.version=6.0
         event.code=SQL Injection
         event.reason=SQL Injection detected
         rule.name=SQL Injection detected
         event.severity:int=8
         source.ip:ip=203.0.113.7
         source.port:int=51234
         destination.ip:ip=10.1.2.3
         destination.port:int=443
         network.transport=tcp
         network.protocol=https
         http.request.method=POST
         url.original=https://emr.example.kr/login.jsp?id=1' or '1'='1
         source.user.name=guest
         destination.user.name=admin
         user_agent.original=Mozilla/5.0 (Windows NT 10.0)
         event.outcome=failure
         source.bytes:int=512
         destination.bytes:int=0
         message=다중 라인\\n메시지
         user.name=admin
         @timestamp=2024-03-09T01:15:30Z",
    );
    // An empty extension, and a value that is not an address stays text.
    check(
        "CEF:0|V|P|1|sig|n|Unknown|",
        "cef.version:int=0
         observer.vendor=V
         observer.product=P
         observer.version=1
         event.code=sig
         event.reason=n
         rule.name=n
         cef.severity=Unknown",
    );
    check(
        "CEF:0|V|P|1|sig|n|3|src=gateway.local suser=kim",
        "cef.version:int=0
         observer.vendor=V
         observer.product=P
         observer.version=1
         event.code=sig
         event.reason=n
         rule.name=n
         event.severity:int=3
         source.ip=gateway.local
         source.user.name=kim
         user.name=kim",
    );
}

#[test]
fn broken_headers_are_errors_with_positions() {
    check_error(
        "CEF:0|Vendor|Product|1.0|100|name",
        "invalid CEF: the header needs 7 `|`-separated fields at byte 33",
    );
    check_error(
        "CEF:x|V|P|1|s|n|1|",
        "invalid CEF: invalid version at byte 4",
    );
    check_error("LEEF:1.0|V|P|1|e|", "invalid CEF: missing `CEF:` at byte 0");
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        for input in [s.clone(), format!("CEF:0|{s}"), format!("CEF:0|a|b|c|d|e|5|{s}")] {
            let mut draft = Draft::new();
            if let Err(e) = decode(&input, &mut draft, ctx()) {
                prop_assert!(e.offset <= input.len());
            }
        }
    }

    #[test]
    fn escaped_values_round_trip(
        pairs in proptest::collection::vec(("[a-z][a-zA-Z0-9]{0,8}", "[^\\r\\n]{0,30}"), 1..6)
    ) {
        // Written as a careful sender would: escape \ and =, and end no
        // value with a space (trailing spaces are not kept).
        let mut ext = String::new();
        let mut expect = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            let key = format!("{k}{i}");
            let v = v.trim_end();
            let escaped = v.replace('\\', "\\\\").replace('=', "\\=");
            if i > 0 {
                ext.push(' ');
            }
            ext.push_str(&format!("{key}={escaped}"));
            expect.push((key, v.to_owned()));
        }
        let parsed = extension(&ext, 0);
        let got: Vec<(String, String)> = parsed.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        prop_assert_eq!(got, expect);
    }
}
