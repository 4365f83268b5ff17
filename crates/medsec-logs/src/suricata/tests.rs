//! Suricata EVE: the record types of the EVE documentation mapped to ECS
//! names, the rest kept flattened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

fn check(input: &str, expect: &str) {
    let object = json::parse_object(input).unwrap();
    assert!(is_eve(&object), "{input}");
    let mut draft = Draft::new();
    decode_object(object, &mut draft, ctx());
    crate::testing::assert_documented(&draft.fields);
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

#[test]
fn alert() {
    check(
        r#"{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"pcap_cnt":53381,"event_type":"alert","src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":80,"proto":"TCP","metadata":{"flowbits":["http.dottedquadhost"]},"tx_id":4,"alert":{"action":"allowed","gid":1,"signature_id":2018358,"rev":10,"signature":"ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1","category":"Potentially Bad Traffic","severity":2},"app_proto":"http"}"#,
        r#"suricata.eve.event_type=alert
         event.kind=alert
         event.category=intrusion_detection
         source.ip:ip=192.168.2.14
         source.port:int=50096
         destination.ip:ip=209.53.113.5
         destination.port:int=80
         network.transport=tcp
         network.protocol=http
         rule.name=ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1
         rule.id=2018358
         rule.category=Potentially Bad Traffic
         event.severity:int=2
         event.action=allowed
         suricata.eve.alert.gid:int=1
         suricata.eve.alert.rev:int=10
         suricata.eve.flow_id:int=586497171462735
         suricata.eve.metadata.flowbits=["http.dottedquadhost"]
         suricata.eve.pcap_cnt:int=53381
         suricata.eve.tx_id:int=4
         @timestamp=2017-04-07T21:24:37.251547Z"#,
    );
}

#[test]
fn http_dns_tls_flow() {
    check(
        r#"{"timestamp":"2014-03-31T13:53:29.491806+0200","flow_id":1412137232370478,"event_type":"http","src_ip":"192.168.2.145","src_port":41549,"dest_ip":"209.11.161.246","dest_port":80,"proto":"TCP","http":{"hostname":"www.google.com","url":"/","http_user_agent":"Mozilla/5.0","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":302,"redirect":"http://www.google.nl/","length":258}}"#,
        "suricata.eve.event_type=http
         event.kind=event
         event.category=web
         source.ip:ip=192.168.2.145
         source.port:int=41549
         destination.ip:ip=209.11.161.246
         destination.port:int=80
         network.transport=tcp
         url.domain=www.google.com
         url.original=/
         http.request.method=GET
         http.response.status_code:int=302
         user_agent.original=Mozilla/5.0
         http.response.body.bytes:int=258
         http.version=1.1
         suricata.eve.http.http_content_type=text/html
         suricata.eve.http.redirect=http://www.google.nl/
         suricata.eve.flow_id:int=1412137232370478
         @timestamp=2014-03-31T11:53:29.491806Z",
    );
    check(
        r#"{"timestamp":"2009-11-24T21:27:09.534255","event_type":"dns","src_ip":"192.168.2.7","src_port":53,"dest_ip":"192.168.2.1","dest_port":23903,"proto":"UDP","dns":{"type":"query","id":45444,"rrname":"s2.youtube.com","rrtype":"A","tx_id":0}}"#,
        "suricata.eve.event_type=dns
         event.kind=event
         event.category=network
         source.ip:ip=192.168.2.7
         source.port:int=53
         destination.ip:ip=192.168.2.1
         destination.port:int=23903
         network.transport=udp
         dns.type=query
         dns.id:int=45444
         dns.question.name=s2.youtube.com
         dns.question.type=A
         suricata.eve.dns.tx_id:int=0
         @timestamp=2009-11-24T12:27:09.534255Z",
    );
    check(
        r#"{"timestamp":"2024-03-09T10:00:00.000000+0900","flow_id":1,"event_type":"dns","src_ip":"10.0.0.5","src_port":5353,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"version":3,"type":"request","tx_id":0,"id":7,"flags":"100","rd":true,"opcode":0,"queries":[{"rrname":"emr.hospital.kr","rrtype":"AAAA"}]}}"#,
        r#"suricata.eve.event_type=dns
         event.kind=event
         event.category=network
         source.ip:ip=10.0.0.5
         source.port:int=5353
         destination.ip:ip=10.0.0.1
         destination.port:int=53
         network.transport=udp
         dns.type=request
         dns.id:int=7
         dns.question.name=emr.hospital.kr
         dns.question.type=AAAA
         suricata.eve.dns.flags=100
         suricata.eve.dns.opcode:int=0
         suricata.eve.dns.queries=[{"rrname":"emr.hospital.kr","rrtype":"AAAA"}]
         suricata.eve.dns.rd:bool=true
         suricata.eve.dns.tx_id:int=0
         suricata.eve.dns.version:int=3
         suricata.eve.flow_id:int=1
         @timestamp=2024-03-09T01:00:00Z"#,
    );
    check(
        r#"{"timestamp":"2016-09-13T14:38:11.364557+0200","flow_id":2,"event_type":"tls","src_ip":"192.168.1.150","src_port":52022,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","tls":{"subject":"C=US, CN=www.example.org","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert SHA2 High Assurance Server CA","serial":"0E:64:C5","fingerprint":"7b:b6:27:a4:e6:a5:3c:c0:9c:9f:b1:f0:e9:3b:b2:e0:28:9a:97:ff","sni":"www.example.org","version":"TLS 1.2","notbefore":"2015-11-03T00:00:00","notafter":"2018-11-28T12:00:00"}}"#,
        "suricata.eve.event_type=tls
         event.kind=event
         event.category=network
         source.ip:ip=192.168.1.150
         source.port:int=52022
         destination.ip:ip=93.184.216.34
         destination.port:int=443
         network.transport=tcp
         tls.server.subject=C=US, CN=www.example.org
         tls.server.issuer=C=US, O=DigiCert Inc, CN=DigiCert SHA2 High Assurance Server CA
         tls.server.hash.sha1=7BB627A4E6A53CC09C9FB1F0E93BB2E0289A97FF
         tls.client.server_name=www.example.org
         tls.version=TLS 1.2
         suricata.eve.tls.notafter=2018-11-28T12:00:00
         suricata.eve.tls.notbefore=2015-11-03T00:00:00
         suricata.eve.tls.serial=0E:64:C5
         suricata.eve.flow_id:int=2
         @timestamp=2016-09-13T12:38:11.364557Z",
    );
    check(
        r#"{"timestamp":"2017-03-06T08:53:26.427048+0100","flow_id":1024224101240428,"event_type":"flow","src_ip":"10.0.0.5","src_port":3535,"dest_ip":"10.0.0.9","dest_port":445,"proto":"TCP","app_proto":"smb","flow":{"pkts_toserver":7,"pkts_toclient":5,"bytes_toserver":1013,"bytes_toclient":789,"start":"2017-03-06T08:53:23.427048+0100","end":"2017-03-06T08:53:26.427048+0100","age":3,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","syn":true,"state":"closed"}}"#,
        "suricata.eve.event_type=flow
         event.kind=event
         event.category=network
         source.ip:ip=10.0.0.5
         source.port:int=3535
         destination.ip:ip=10.0.0.9
         destination.port:int=445
         network.transport=tcp
         network.protocol=smb
         source.packets:int=7
         destination.packets:int=5
         source.bytes:int=1013
         destination.bytes:int=789
         suricata.eve.flow.age:int=3
         suricata.eve.flow.alerted:bool=false
         suricata.eve.flow.end=2017-03-06T08:53:26.427048+0100
         suricata.eve.flow.reason=timeout
         suricata.eve.flow.start=2017-03-06T08:53:23.427048+0100
         suricata.eve.flow.state=closed
         suricata.eve.flow_id:int=1024224101240428
         suricata.eve.tcp.state=closed
         suricata.eve.tcp.syn:bool=true
         suricata.eve.tcp.tcp_flags=1b
         @timestamp=2017-03-06T07:53:26.427048Z",
    );
}

proptest! {
    #[test]
    fn never_panics(src in "\\PC{0,20}", port in any::<i64>(), extra in "\\PC{0,40}") {
        let line = serde_json::json!({
            "timestamp": extra, "event_type": "alert", "src_ip": src, "src_port": port,
            "alert": {"signature_id": extra, "severity": port}, "dns": {"queries": [extra]},
            "tls": {"fingerprint": src}, "flow": [port],
        }).to_string();
        let object = json::parse_object(&line).unwrap();
        let mut draft = Draft::new();
        decode_object(object, &mut draft, ctx());
    }
}
