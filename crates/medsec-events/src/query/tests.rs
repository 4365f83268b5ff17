//! Table tests of the query parser and of query evaluation on events.

use super::*;
use medsec_logs::{EventId, Fields};

fn check(query: &str, expect: &str) {
    match Query::parse(query) {
        Ok(q) => assert_eq!(q.to_string(), expect, "query {query:?}"),
        Err(e) => panic!("query {query:?} did not parse: {e}"),
    }
}

fn check_error(query: &str, column: usize, expected: &str) {
    match Query::parse(query) {
        Ok(q) => panic!("query {query:?} parsed as {q}"),
        Err(e) => {
            assert_eq!(e.column, column, "column of the error in {query:?}: {e}");
            assert!(
                e.expected.contains(expected),
                "error of {query:?} is `{e}`, wanted `{expected}`"
            );
        }
    }
}

#[test]
fn valid_queries() {
    check("", "*");
    check("   ", "*");
    check("*", "*");
    check("failed", "text:\"failed\"");
    check("\"Failed password\"", "text:\"Failed password\"");
    check("fail*", "text~fail*");
    check("f?iled", "text~f?iled");
    check("10.0.0.1", "text:\"10.0.0.1\"");
    check("서버", "text:\"서버\"");
    check("event.action:failed", "event.action=\"failed\"");
    check("user.name:\"kim chul\"", "user.name=\"kim chul\"");
    check("host.name:web*", "host.name~web*");
    check("host.name:*", "host.name exists");
    check("_exists_:user.name", "user.name exists");
    check("destination.port>=1024", "destination.port>=\"1024\"");
    check("destination.port<22", "destination.port<\"22\"");
    check("destination.port>22", "destination.port>\"22\"");
    check("destination.port<=22", "destination.port<=\"22\"");
    check(
        "destination.port:[1024 TO 65535]",
        "destination.port in [\"1024\" TO \"65535\"]",
    );
    check(
        "destination.port:{1024 TO *]",
        "destination.port in {\"1024\" TO *]",
    );
    check(
        "destination.port:[* TO 1024}",
        "destination.port in [* TO \"1024\"}",
    );
    check("source.ip:10.0.0.0/8", "source.ip in 10.0.0.0/8");
    check("source.ip:fe80::/10", "source.ip in fe80::/10");
    check("source.ip:fe80::1", "source.ip=\"fe80::1\"");
    check(
        "@timestamp>=2024-05-01T09:00:00+09:00",
        "@timestamp>=\"2024-05-01T09:00:00+09:00\"",
    );
    check("a b c", "(and text:\"a\" text:\"b\" text:\"c\")");
    check(
        "a AND b OR c",
        "(or (and text:\"a\" text:\"b\") text:\"c\")",
    );
    check("a OR b c", "(or text:\"a\" (and text:\"b\" text:\"c\"))");
    check(
        "a AND (b OR c)",
        "(and text:\"a\" (or text:\"b\" text:\"c\"))",
    );
    check("NOT a", "(not text:\"a\")");
    check("NOT NOT a", "(not (not text:\"a\"))");
    check("a NOT b", "(and text:\"a\" (not text:\"b\"))");
    check("NOT(a)", "(not text:\"a\")");
    check("(a)", "text:\"a\"");
    check("and or not", "(and text:\"and\" text:\"or\" text:\"not\")");
    check("ANDROID", "text:\"ANDROID\"");
    check("url.path:\\/admin\\*", "url.path=\"/admin*\"");
    check("\"say \\\"hi\\\"\"", "text:\"say \\\"hi\\\"\"");
    check("error\\:", "text:\"error:\"");
    check(
        "event.action:failed \"서버가 응답\"",
        "(and event.action=\"failed\" text:\"서버가 응답\")",
    );
    check("user.name:\"\"", "user.name=\"\"");
    check("x:a:b", "x=\"a:b\"");
}

#[test]
fn invalid_queries_name_the_column() {
    check_error("(a", 3, "`)` to close the `(` at column 1");
    check_error("a)", 2, "`AND`, `OR` or the end");
    check_error("()", 2, "a term inside the parentheses");
    check_error("a AND", 6, "a term after `AND`");
    check_error("a OR", 5, "a term after `OR`");
    check_error("NOT", 4, "a term after `NOT`");
    check_error("OR a", 1, "a term");
    check_error("\"abc", 5, "a closing `\"` for the quote at column 1");
    check_error("field: value", 7, "a value after `field:`");
    check_error("field:", 7, "a value after `field:`");
    check_error("port>=", 7, "a value after `port>=`");
    check_error("port:[1 2]", 9, "`TO` between the bounds");
    check_error(
        "port:[1 TO 2",
        13,
        "`]` or `}` to close the range opened at column 6",
    );
    check_error("port:[TO 2]", 7, "a bound of the range");
    check_error("서버 a$b:c", 4, "a field name");
    check_error("!!!", 1, "a word with a letter or digit");
    check_error("\"!!\"", 1, "a phrase with a letter or digit");
    check_error("fa.il*", 1, "a wildcard word");
    check_error("_exists_:a$b", 10, "a field name after `_exists_:`");
    check_error("a:(b OR c)", 3, "groups like");
    check_error("x\\", 3, "a character after `\\`");
    check_error(&"(".repeat(100), 66, "at most 64 levels");
}

fn event(raw: &str, fields: &[(&str, Value)]) -> Event {
    Event {
        id: EventId::of("h1", "tcp", raw.as_bytes()),
        member: "h1".into(),
        source: "tcp".into(),
        timestamp: 1_714_521_600_000_000_000, // 2024-05-01T00:00:00Z
        received: 1_714_521_601_000_000_000,
        raw: raw.into(),
        fields: fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect::<Fields>(),
    }
}

fn check_match(query: &str, ev: &Event, expect: bool) {
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    assert_eq!(q.matches(ev), expect, "{query} on {:?}", ev.raw);
}

#[test]
fn evaluation() {
    let ev = event(
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2 DB서버가 응답",
        &[
            ("host.name", Value::Str("LabSZ".into())),
            ("destination.port", Value::Int(22)),
            ("source.port", Value::Int(38926)),
            ("source.ip", Value::Ip("173.234.31.186".parse().unwrap())),
            ("user.name", Value::Str("webmaster".into())),
            ("score", Value::Float(0.5)),
            ("ok", Value::Bool(false)),
        ],
    );
    for (q, want) in [
        ("failed", true),
        ("FAILED", true),
        ("fail", false),
        ("fail*", true),
        ("*master", true),
        ("\"failed password\"", true),
        ("\"password failed\"", false),
        ("173.234.31.186", true),
        ("173.234.31", true),
        ("서버", true),
        ("버가", true),
        ("서", true),
        ("응답", true),
        ("db", true),
        ("서버 응답", true),
        ("host.name:LabSZ", true),
        ("host.name:labsz", false),
        ("host.name:Lab*", true),
        ("host.name:lab*", false),
        ("destination.port:22", true),
        ("destination.port:22.0", true),
        ("destination.port:2e1", false),
        ("destination.port:22.5", false),
        ("destination.port>=22", true),
        ("destination.port>22", false),
        ("destination.port:[1 TO 22]", true),
        ("destination.port:[1 TO 22}", false),
        ("destination.port:{22 TO *]", false),
        ("source.port>=1024", true),
        ("source.ip:173.234.0.0/16", true),
        ("source.ip:10.0.0.0/8", false),
        ("source.ip:173.234.31.186", true),
        ("source.ip>173.234.31.185", true),
        ("source.ip:173.*", true),
        ("score:0.5", true),
        ("score>0.25", true),
        ("ok:false", true),
        ("ok:FALSE", true),
        ("ok:true", false),
        ("user.name:*", true),
        ("_exists_:nope", false),
        ("nope:*", false),
        ("NOT nope:*", true),
        ("_member:h1", true),
        ("_source:tcp", true),
        ("@timestamp>=2024-05-01T09:00:00+09:00", true),
        ("@timestamp>2024-05-01T09:00:00+09:00", false),
        ("@timestamp:[2024-04-30 TO 2024-05-01]", true),
        ("event.ingested>2024-05-01T00:00:00Z", true),
        ("failed AND user.name:webmaster", true),
        ("failed AND user.name:root", false),
        ("user.name:root OR host.name:LabSZ", true),
        ("NOT failed", false),
        ("failed NOT 서버", false),
        ("(nope OR failed) 응답", true),
    ] {
        check_match(q, &ev, want);
    }
    check_match(&format!("_id:{}", ev.id), &ev, true);
    check_match("_id:0123", &ev, false);
}

/// The error messages shown in `docs/search.md`.
#[test]
fn documented_errors() {
    for (query, message) in [
        (
            "(event.action:deny",
            "query column 19: expected `)` to close the `(` at column 1, found the end of the query",
        ),
        (
            "user.name: root",
            "query column 11: expected a value after `user.name:`, found a space",
        ),
        (
            "port:[1 2]",
            "query column 9: expected `TO` between the bounds of the range, found `2]`",
        ),
        (
            "\"unfinished",
            "query column 12: expected a closing `\"` for the quote at column 1, found the end of the query",
        ),
    ] {
        assert_eq!(
            Query::parse(query).unwrap_err().to_string(),
            message,
            "{query}"
        );
    }
}
