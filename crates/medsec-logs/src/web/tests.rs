//! Web server logs: the Apache documentation's CLF examples, nginx lines
//! with extras, vhosts, garbage requests, Apache 2.2/2.4 and nginx error
//! lines, and no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

type Decode = fn(&str, &mut Draft, TimeContext) -> Result<()>;

fn check_with(decode: Decode, input: &str, expect: &str) {
    let mut draft = Draft::new();
    decode(input, &mut draft, ctx()).unwrap_or_else(|e| panic!("{input}: {e}"));
    crate::testing::assert_documented(&draft.fields);
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

/// An access log line.
fn check(input: &str, expect: &str) {
    assert!(looks_like_access(input), "{input}");
    check_with(decode_access, input, expect);
}

#[test]
fn access_logs() {
    // Apache's documentation: Common, then Combined.
    check(
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        "source.ip:ip=127.0.0.1
         user.name=frank
         http.request.method=GET
         url.original=/apache_pb.gif
         url.path=/apache_pb.gif
         http.version=1.0
         http.response.status_code:int=200
         http.response.body.bytes:int=2326
         @timestamp=2000-10-10T20:55:36Z",
    );
    check(
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        "source.ip:ip=127.0.0.1
         user.name=frank
         http.request.method=GET
         url.original=/apache_pb.gif
         url.path=/apache_pb.gif
         http.version=1.0
         http.response.status_code:int=200
         http.response.body.bytes:int=2326
         http.request.referrer=http://www.example.com/start.html
         user_agent.original=Mozilla/4.08 [en] (Win98; I ;Nav)
         @timestamp=2000-10-10T20:55:36Z",
    );
    // nginx with `$request_time` and a forwarded-for column.
    check(
        r#"203.0.113.7 - - [09/Mar/2024:10:15:30 +0900] "POST /emr/login.do?id=1&pw=x HTTP/1.1" 401 512 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)" 0.012 "-""#,
        "source.ip:ip=203.0.113.7
         http.request.method=POST
         url.original=/emr/login.do?id=1&pw=x
         url.path=/emr/login.do
         url.query=id=1&pw=x
         http.version=1.1
         http.response.status_code:int=401
         http.response.body.bytes:int=512
         user_agent.original=sqlmap/1.7.2#stable (https://sqlmap.org)
         event.duration:int=12000000
         @timestamp=2024-03-09T01:15:30Z",
    );
    // Apache vhost_combined, a `-` size, IPv6.
    check(
        r#"emr.hospital.kr:443 2001:db8::7 - - [09/Mar/2024:10:15:30 +0900] "GET / HTTP/2.0" 200 - "-" "curl/8.0""#,
        "url.domain=emr.hospital.kr
         url.port:int=443
         source.ip:ip=2001:db8::7
         http.request.method=GET
         url.original=/
         url.path=/
         http.version=2.0
         http.response.status_code:int=200
         user_agent.original=curl/8.0
         @timestamp=2024-03-09T01:15:30Z",
    );
    // A TLS handshake on the plain port, escaped quotes, a host name.
    check(
        r#"scanner.example.net - - [09/Mar/2024:10:15:30 +0900] "\x16\x03\x01\x00\xca\x01" 400 157 "-" "Mozilla \"quoted\" \x22x\x22""#,
        r#"source.domain=scanner.example.net
         url.original=\x16\x03\x01\x00\xca\x01
         http.response.status_code:int=400
         http.response.body.bytes:int=157
         user_agent.original=Mozilla "quoted" "x"
         @timestamp=2024-03-09T01:15:30Z"#,
    );
    assert!(!looks_like_access("[Sun Dec 04 04:47:44 2005] [notice] x"));
    let mut draft = Draft::new();
    let e = decode_access(
        r#"1.2.3.4 - - [09/Mar/2024:10:15:30 +0900] "GET /" abc"#,
        &mut draft,
        ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "access log: expected a status code at byte 49"
    );
}

#[test]
fn apache_error_logs() {
    check_with(
        decode_apache_error,
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        "log.level=notice
         message=workerEnv.init() ok /etc/httpd/conf/workers2.properties
         @timestamp=2005-12-03T19:47:44Z",
    );
    check_with(
        decode_apache_error,
        "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test",
        "log.level=error
         source.ip:ip=127.0.0.1
         message=client denied by server configuration: /export/home/live/ap/htdocs/test
         @timestamp=2000-10-11T05:32:52Z",
    );
    check_with(
        decode_apache_error,
        "[Thu Mar 09 10:15:30.123456 2024] [authz_core:error] [pid 4242:tid 140] [client 203.0.113.7:51234] AH01630: client denied by server configuration: /var/www/html/admin",
        "apache.error.module=authz_core
         log.level=error
         process.pid:int=4242
         process.thread.id:int=140
         source.ip:ip=203.0.113.7
         source.port:int=51234
         error.code=AH01630
         message=client denied by server configuration: /var/www/html/admin
         @timestamp=2024-03-09T01:15:30.123456Z",
    );
}

#[test]
fn nginx_error_logs() {
    check_with(
        decode_nginx_error,
        r#"2024/03/09 10:15:30 [error] 1234#1234: *56 open() "/usr/share/nginx/html/wp-login.php" failed (2: No such file or directory), client: 203.0.113.7, server: emr.hospital.kr, request: "GET /wp-login.php HTTP/1.1", host: "emr.hospital.kr""#,
        r#"log.level=error
         process.pid:int=1234
         process.thread.id:int=1234
         nginx.error.connection_id=56
         message=open() "/usr/share/nginx/html/wp-login.php" failed (2: No such file or directory), client: 203.0.113.7, server: emr.hospital.kr, request: "GET /wp-login.php HTTP/1.1", host: "emr.hospital.kr"
         source.ip:ip=203.0.113.7
         http.request.method=GET
         url.original=/wp-login.php
         url.path=/wp-login.php
         http.version=1.1
         url.domain=emr.hospital.kr
         @timestamp=2024-03-09T01:15:30Z"#,
    );
    check_with(
        decode_nginx_error,
        "2024/03/09 10:15:30 [notice] 1#1: signal process started",
        "log.level=notice
         process.pid:int=1
         process.thread.id:int=1
         message=signal process started
         @timestamp=2024-03-09T01:15:30Z",
    );
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let mut draft = Draft::new();
        for input in [
            s.clone(),
            format!("1.2.3.4 - - [09/Mar/2024:10:15:30 +0900] {s}"),
            format!("[Sun Dec 04 04:47:44 2005] {s}"),
            format!("2024/03/09 10:15:30 [{s}"),
        ] {
            for decode in [decode_access as Decode, decode_apache_error, decode_nginx_error] {
                if let Err(e) = decode(&input, &mut draft, ctx()) {
                    prop_assert!(e.offset <= input.len());
                }
            }
        }
    }
}
