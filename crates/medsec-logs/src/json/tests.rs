//! JSON lines: flattening, ECS names passing through typed, `@timestamp`,
//! errors with positions, and no panic.
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
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

fn check_error(input: &str, expect: &str) {
    let mut draft = Draft::new();
    let e = decode(input, &mut draft, ctx()).expect_err(input);
    assert_eq!(e.to_string(), expect, "{input}");
}

#[test]
fn objects_are_flattened_and_typed() {
    // Keys come out sorted (serde_json's map), not in the line's order.
    check(
        r#"{"@timestamp":"2024-03-09T10:00:00.5+09:00","source":{"ip":"10.0.0.1","port":5353},"event":{"action":"login","outcome":"failure"},"user":{"name":"김철수"},"tags":["a","b"],"ok":true,"ratio":0.25,"gone":null,"empty":""}"#,
        r#"event.action=login
         event.outcome=failure
         ok:bool=true
         ratio:float=0.25
         source.ip:ip=10.0.0.1
         source.port:int=5353
         tags=["a","b"]
         user.name=김철수
         @timestamp=2024-03-09T01:00:00.5Z"#,
    );
    // Dotted keys stay dotted; a port written as text is typed.
    check(
        r#"{"message":"hello","destination.port":"443"}"#,
        "destination.port:int=443
         message=hello",
    );
}

#[test]
fn errors_have_positions() {
    check_error(
        r#"{"a":1,"#,
        "invalid JSON: EOF while parsing a value at byte 6",
    );
    check_error(r#"{"a":tru}"#, "invalid JSON: expected ident at byte 8");
    check_error("[1,2]", "invalid JSON: expected an object at byte 0");
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        for input in [s.clone(), format!("{{{s}"), format!("{{\"a\":{s}}}")] {
            let mut draft = Draft::new();
            if let Err(e) = decode(&input, &mut draft, ctx()) {
                prop_assert!(e.offset <= input.len());
            }
        }
    }
}
