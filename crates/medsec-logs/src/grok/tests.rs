//! Pattern expansion: references, types, custom captures, errors with
//! positions, and the library compiling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

/// Expands `pattern` and checks the captures (`field:type` each) and
/// that the regex matches `line` with the expected texts.
fn check(pattern: &str, line: &str, expect: &[(&str, &str)]) {
    let own = BTreeMap::from([("MY_ACTION".to_owned(), "(?:allow|deny)".to_owned())]);
    let expanded = expand(pattern, &own).unwrap_or_else(|e| panic!("{pattern}: {e:?}"));
    let regex = regex::Regex::new(&expanded.regex).unwrap();
    let caps = regex
        .captures(line)
        .unwrap_or_else(|| panic!("{pattern} does not match {line}"));
    let got: Vec<(&str, &str)> = expanded
        .captures
        .iter()
        .filter_map(|c| caps.name(&c.group).map(|m| (c.field.as_str(), m.as_str())))
        .collect();
    assert_eq!(got, expect, "{pattern}");
}

fn check_error(pattern: &str, position: usize, message: &str) {
    let e = expand(pattern, &BTreeMap::new()).unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (position, message),
        "{pattern}"
    );
}

#[test]
fn references_and_captures() {
    check(
        r"%{IP:source.ip}:%{INT:source.port} %{MY_ACTION:event.action} %{GREEDYDATA:message}",
        "10.0.0.1:5000 deny 환자 조회 차단",
        &[
            ("source.ip", "10.0.0.1"),
            ("source.port", "5000"),
            ("event.action", "deny"),
            ("message", "환자 조회 차단"),
        ],
    );
    check(
        r"^(?<@timestamp>\S+ \S+) (?P<user.name>\w+) %{IPORHOST} %{TIMESTAMP_ISO8601:event.created}",
        "2024-03-09 10:00:00 kim fw01.local 2024-03-09T10:00:00+09:00",
        &[
            ("@timestamp", "2024-03-09 10:00:00"),
            ("user.name", "kim"),
            ("event.created", "2024-03-09T10:00:00+09:00"),
        ],
    );
    check(
        r"%{IPV6:a} %{SYSLOGTIMESTAMP:b} %{HTTPDATE:c} %{URI:d} %{MAC:e} %{QUOTEDSTRING:f}",
        r#"2001:db8::1 Mar  9 10:00:00 09/Mar/2024:10:00:00 +0900 https://emr.kr:8443/a?b=c 00:1a:2b:3c:4d:5e "a \"b\"""#,
        &[
            ("a", "2001:db8::1"),
            ("b", "Mar  9 10:00:00"),
            ("c", "09/Mar/2024:10:00:00 +0900"),
            ("d", "https://emr.kr:8443/a?b=c"),
            ("e", "00:1a:2b:3c:4d:5e"),
            ("f", r#""a \"b\"""#),
        ],
    );
    // Escapes are copied; `(?<=` is not a capture.
    let e = expand(r"\(%{INT:n}\)(?:x)", &BTreeMap::new()).unwrap();
    assert_eq!(e.captures.len(), 1);
    assert_eq!(e.captures[0].ty, CaptureType::Int);
    let e = expand(
        "%{NUMBER:x:float} %{WORD:y:string} %{WORD:z:ip}",
        &BTreeMap::new(),
    )
    .unwrap();
    let types: Vec<CaptureType> = e.captures.iter().map(|c| c.ty).collect();
    assert_eq!(
        types,
        [CaptureType::Float, CaptureType::Str, CaptureType::Ip]
    );
}

#[test]
fn errors_name_the_position() {
    check_error("abc %{NOPE:x}", 4, "unknown pattern \"NOPE\"");
    check_error("가나 %{INT:x", 3, "unterminated `%{`");
    check_error("%{INT:bad field}", 0, "invalid field name \"bad field\"");
    check_error(
        "%{INT:x:date}",
        0,
        "unknown type \"date\" (int, float, ip, string)",
    );
    check_error("(?<a..b>x)", 3, "invalid field name \"a..b\"");
    check_error("(?<ab", 0, "unterminated capture name");
    let own = BTreeMap::from([
        ("A".to_owned(), "%{B}".to_owned()),
        ("B".to_owned(), "%{A}".to_owned()),
    ]);
    let e = expand("%{A:x}", &own).unwrap_err();
    assert!(e.message.contains("too deeply"), "{e:?}");
}

#[test]
fn regex_positions_map_back_to_the_pattern() {
    let e = expand("%{INT:a} (x", &BTreeMap::new()).unwrap();
    let open = e.regex.rfind('(').unwrap();
    let chars = e.regex.get(..open).unwrap().chars().count();
    assert_eq!(e.source_position(chars), 9);
    // Inside an expansion: the reference.
    assert_eq!(e.source_position(5), 0);
}

#[test]
fn the_library_compiles() {
    for (name, _) in library() {
        let e = expand(&format!("%{{{name}:x}}"), &BTreeMap::new()).unwrap();
        regex::Regex::new(&e.regex).unwrap_or_else(|err| panic!("{name}: {err}"));
    }
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,80}") {
        if let Ok(e) = expand(&s, &BTreeMap::new()) {
            let _ = e.source_position(s.chars().count() * 3);
        }
    }
}
