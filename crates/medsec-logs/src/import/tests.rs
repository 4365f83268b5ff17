//! File import: format detection from the first lines, line numbers,
//! long lines, and every line becoming an outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use super::*;

fn received() -> i64 {
    crate::clock::parse_rfc3339("2024-03-10T00:00:00Z").unwrap()
}

/// Detects the format of `input`'s lines.
fn check(input: &str, expect: Format) {
    let lines: Vec<&[u8]> = input.lines().map(str::as_bytes).collect();
    assert_eq!(detect_format(lines), expect, "{input}");
}

#[test]
fn detection() {
    check(
        "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - x\n<34>1 - - - - - -",
        Format::Rfc5424,
    );
    check("<34>Oct 11 22:14:15 mymachine su: x", Format::Rfc3164);
    check(
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: x\nJun 14 15:16:02 combo su: y",
        Format::Rfc3164,
    );
    check("CEF:0|a|b|c|d|e|5|src=1.2.3.4", Format::Cef);
    check("LEEF:1.0|a|b|c|d|src=1.2.3.4", Format::Leef);
    check(
        r#"{"timestamp":"2024-01-01T00:00:00Z","event_type":"dns","src_ip":"1.2.3.4"}"#,
        Format::Suricata,
    );
    check(r#"{"Event":{"System":{"EventID":1}}}"#, Format::WindowsJson);
    check(r#"{"a":1}"#, Format::Json);
    check(
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
        Format::Nginx,
    );
    check(
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
        Format::Apache,
    );
    check(
        "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time",
        Format::Iis,
    );
    check(
        "date=2024-03-09 time=10:15:30 devname=x logid=1",
        Format::FortiGate,
    );
    check(
        "1,2024/03/09 10:00:00,013201001234,SYSTEM,general,0,2024/03/09 10:00:00",
        Format::PaloAlto,
    );
    // Mostly unrecognised text stays auto.
    check("hello\nworld\n<13>x", Format::Auto);
    check("", Format::Auto);
}

#[test]
fn lines_are_numbered_and_long_lines_cut() {
    let input = "\u{feff}Jun 14 15:16:01 combo su: a\r\n\nJun 14 15:16:02 combo su: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nJun 14 15:16:03 combo su: c";
    let config = SourceConfig::new("m", "file", Format::Auto);
    let import = Import::with_max_line(
        Cursor::new(input),
        config,
        Arc::new(Decoders::new()),
        Arc::new(Masker::default()),
        received(),
        48,
    )
    .unwrap();
    assert_eq!(*import.format(), Format::Rfc3164);
    let got: Vec<(u64, String)> = import
        .map(|l| {
            let l = l.unwrap();
            let text = match l.outcome {
                Outcome::Event { event, .. } => {
                    let cut = event.get("log.truncated").is_some();
                    format!(
                        "{}{}",
                        event.get("message").map_or(String::new(), |m| m.to_text()),
                        if cut { "+" } else { "" }
                    )
                }
                Outcome::Dropped(e) => e.to_string(),
                Outcome::Directive => "directive".into(),
            };
            (l.line, text)
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "a".to_owned()),
            (2, "empty message at byte 0".to_owned()),
            (3, "bbbbbbbbbbbbbbbbbbbbbb+".to_owned()),
            (4, "c".to_owned()),
        ]
    );
}

#[test]
fn an_explicit_format_reads_no_lines_ahead() {
    let input = "CEF:0|a|b|c|d|e|5|src=1.2.3.4\nCEF:broken";
    let config = SourceConfig::new("m", "file", Format::Cef);
    let import = Import::new(
        Cursor::new(input),
        config,
        Arc::new(Decoders::new()),
        Arc::new(Masker::default()),
        received(),
    )
    .unwrap();
    let errors: Vec<Option<String>> = import
        .map(|l| match l.unwrap().outcome {
            Outcome::Event { error, .. } => error.map(|e| e.to_string()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(errors, [None, Some("invalid CEF: the header needs 7 `|`-separated fields at byte 10 near \"CEF:broken\"".to_owned())]);
}
