//! Key=value firewalls: Fortinet's documented FortiGate traffic and IPS
//! logs, generic devices with other key names, quoting, and no panic.
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

#[test]
fn fortigate_traffic_log_from_the_fortios_log_reference() {
    check(
        r#"date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" srcintfrole="undefined" dstip=23.59.154.35 dstport=80 dstintf="port11" dstintfrole="undefined" sessionid=105048 proto=6 action="close" policyid=1 policytype="policy" service="HTTP" dstcountry="United States" srccountry="Reserved" trandisp="snat" transip=172.16.200.2 transport=58012 appid=34050 app="HTTP.BROWSER_Firefox" duration=2 sentbyte=412 rcvdbyte=1040 sentpkt=5 rcvdpkt=4 utmaction="allow" srcmac="a2:e9:00:ec:40:01""#,
        "observer.vendor=Fortinet
         observer.product=FortiGate
         event.code=0000000013
         fortinet.firewall.type=traffic
         fortinet.firewall.subtype=forward
         log.level=notice
         fortinet.firewall.vd=vdom1
         source.ip:ip=10.1.100.11
         source.port:int=58012
         observer.ingress.interface.name=port12
         fortinet.firewall.srcintfrole=undefined
         destination.ip:ip=23.59.154.35
         destination.port:int=80
         observer.egress.interface.name=port11
         fortinet.firewall.dstintfrole=undefined
         fortinet.firewall.sessionid=105048
         network.iana_number:int=6
         network.transport=tcp
         event.action=close
         rule.id=1
         fortinet.firewall.policytype=policy
         fortinet.firewall.service=HTTP
         destination.geo.country_name=United States
         source.geo.country_name=Reserved
         fortinet.firewall.trandisp=snat
         source.nat.ip:ip=172.16.200.2
         source.nat.port:int=58012
         fortinet.firewall.appid=34050
         network.application=HTTP.BROWSER_Firefox
         event.duration:int=2000000000
         source.bytes:int=412
         destination.bytes:int=1040
         source.packets:int=5
         destination.packets:int=4
         fortinet.firewall.utmaction=allow
         source.mac=a2:e9:00:ec:40:01
         @timestamp=2019-05-10T18:37:47.369913239Z",
    );
}

#[test]
fn fortigate_ips_log_with_a_time_zone() {
    check(
        r#"date=2024-03-09 time=10:15:30 devname="FGT-EMR" devid="FG100FTK19000001" tz="+0900" logid="0419016384" type="utm" subtype="ips" level="alert" severity="critical" srcip=203.0.113.50 dstip=10.1.1.20 action="dropped" proto=6 policyid=12 attack="Apache.Log4j.Error.Log.Remote.Code.Execution" srcport=44321 dstport=443 hostname="emr.hospital.kr" url="/api/login" msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution,""#,
        "observer.vendor=Fortinet
         observer.product=FortiGate
         observer.name=FGT-EMR
         observer.serial_number=FG100FTK19000001
         event.code=0419016384
         fortinet.firewall.type=utm
         fortinet.firewall.subtype=ips
         log.level=alert
         fortinet.firewall.severity=critical
         source.ip:ip=203.0.113.50
         destination.ip:ip=10.1.1.20
         event.action=dropped
         network.iana_number:int=6
         network.transport=tcp
         rule.id=12
         rule.name=Apache.Log4j.Error.Log.Remote.Code.Execution
         source.port:int=44321
         destination.port:int=443
         url.domain=emr.hospital.kr
         url.path=/api/login
         message=applications3: Apache.Log4j.Error.Log.Remote.Code.Execution,
         @timestamp=2024-03-09T01:15:30Z",
    );
}

#[test]
fn other_key_value_devices() {
    check(
        r#"src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 proto=TCP act=deny rule_id=5 note="a \"quoted\" word""#,
        r#"source.ip:ip=10.0.0.1
         destination.ip:ip=10.0.0.2
         source.port:int=1234
         destination.port:int=80
         network.transport=tcp
         event.action=deny
         rule.id=5
         kv.note=a "quoted" word"#,
    );
    // Stray words and an unterminated quote end quietly.
    check(
        r#"id=firewall junk sn=C0EAE4 msg="unterminated"#,
        "kv.id=firewall
         kv.sn=C0EAE4
         message=unterminated",
    );
    assert!(looks_like_kv("a=1 b=2 c=3"));
    assert!(!looks_like_kv("a=1 b=2"));
    assert!(!looks_like_kv("hello a=1 b=2 c=3"));
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let mut draft = Draft::new();
        let _ = decode(&s, &mut draft, ctx());
        let _ = looks_like_kv(&s);
        let _ = pairs(&format!("a=\"{s}"));
    }
}
