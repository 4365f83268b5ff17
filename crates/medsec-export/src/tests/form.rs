//! The cell texts: each field written and read back, and the tolerance of
//! the reading for what people type.

use crate::xlsx::form::*;
use medsec_assure::profile::{Purpose, SecurityLevel};

fn check_verification(text: &str, criterion: Option<&str>, steps: &[&str]) {
    let (c, s) = parse_verification(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(c.as_deref(), criterion, "{text:?}");
    assert_eq!(s, steps, "{text:?}");
}

#[test]
fn verification_layouts() {
    check_verification("", None, &[]);
    check_verification(
        "[시험기준]\n로그인 되어야 한다.\n[시험방법]\n1. 등록한다.\n2. 확인한다.",
        Some("로그인 되어야 한다."),
        &["등록한다.", "확인한다."],
    );
    // Markers with spaces, text on the marker's line, missing numbers,
    // other numbering, blank lines and CRLF.
    check_verification(
        "  [ 시험 기준 ]  기준 한 줄\r\n\r\n  [시험방법]\r\n 등록한다.\r\n2) 확인한다.\r\n3 끝낸다.\r\n\r\n",
        Some("기준 한 줄"),
        &["등록한다.", "확인한다.", "끝낸다."],
    );
    // A step that starts with a number of its own keeps it.
    check_verification(
        "[시험방법]\n1. 10분 대기\n10분 후 확인",
        None,
        &["10분 대기", "10분 후 확인"],
    );
    check_verification("[시험기준]\n", Some(""), &[]);
    check_verification("[시험기준]\n첫 줄\n 둘째 줄", Some("첫 줄\n 둘째 줄"), &[]);
    assert!(parse_verification("로그인 확인").is_err());
    // What is written reads back.
    let steps = vec!["a".to_owned(), "b".to_owned()];
    let text = verification(Some("기준"), &steps);
    assert_eq!(text, "[시험기준]\n기준\n[시험방법]\n1. a\n2. b");
    assert_eq!(
        parse_verification(&text).unwrap(),
        (Some("기준".to_owned()), steps)
    );
}

#[test]
fn principle_reason_and_lists() {
    assert_eq!(
        principle("1.1", "접근통제 및 인증", Some("식별 및 인증에…")),
        "1.1 접근통제 및 인증\n식별 및 인증에…"
    );
    assert_eq!(
        parse_principle(" 1.1 접근통제 및 인증 \n 식별 및 인증에… \n", "1.1").unwrap(),
        (
            "접근통제 및 인증".to_owned(),
            Some("식별 및 인증에…".to_owned())
        )
    );
    assert_eq!(
        parse_principle("1.1 제목", "1.1").unwrap(),
        ("제목".to_owned(), None)
    );
    // `1.10` is not item `1.1`.
    assert!(parse_principle("1.10 제목", "1.1").is_err());

    assert_eq!(reason("근거", None), "근거");
    assert_eq!(reason("근거", Some("판단")), "근거\n사용자 판단: 판단");
    assert_eq!(reason("", Some("판단")), "사용자 판단: 판단");
    assert_eq!(
        parse_reason("근거\n사용자 판단: 판단\n이어서"),
        ("근거".to_owned(), Some("판단\n이어서".to_owned()))
    );
    assert_eq!(parse_reason("근거만"), ("근거만".to_owned(), None));

    assert_eq!(parse_lines(" a \n\n b\r\n"), ["a", "b"]);
    assert_eq!(parse_applies(" 비 적용 "), Ok(false));
    assert_eq!(parse_applies("적용"), Ok(true));
    assert!(parse_applies("O").is_err());
}

#[test]
fn header_values() {
    assert_eq!(level_boxes(SecurityLevel::Medium), "□상 ■중 □하");
    for (text, level) in [
        ("□상 ■중 □하", SecurityLevel::Medium),
        ("■ 상  □ 중  □ 하", SecurityLevel::High),
        ("□상 □중 ☑하", SecurityLevel::Low),
        ("중", SecurityLevel::Medium),
        ("high", SecurityLevel::High),
    ] {
        assert_eq!(parse_level(text), Ok(level), "{text}");
    }
    for text in ["■상 ■중 □하", "□상 □중 □하", "보통"] {
        assert!(parse_level(text).is_err(), "{text}");
    }
    // The seed's own spelling of the third purpose.
    assert_eq!(
        parse_purpose("펨웨어 또는 소프트웨어 업데이트 등 유지보수"),
        Ok(Purpose::Maintenance)
    );
    for p in Purpose::ALL {
        assert_eq!(parse_purpose(p.ko()), Ok(p));
        let line = purpose_line(p, true);
        let (ticked, rest) = leading_box(&line).unwrap();
        assert!(ticked);
        assert_eq!(parse_purpose(rest), Ok(p));
    }
    assert_eq!(parse_yes_no("예"), Ok(true));
    assert_eq!(parse_yes_no("■예 □아니오"), Ok(true));
    assert_eq!(parse_yes_no("□예 ■아니오"), Ok(false));
    assert_eq!(parse_yes_no(" 아니오 "), Ok(false));
    assert_eq!(parse_grade("2등급"), Ok(2));
    assert_eq!(parse_grade(" 3 "), Ok(3));
    assert!(parse_grade("0").is_err());
    assert_eq!(
        split_label("제품명 ： 게이트웨이: 2"),
        Some(("제품명", "게이트웨이: 2"))
    );
}

#[test]
fn dates() {
    for (text, date) in [
        ("2024-05-01", "2024-05-01"),
        ("2024.05.01", "2024-05-01"),
        ("2024/5/1", "2024-05-01"),
        ("2024. 5. 1.", "2024-05-01"),
        ("2024-02-29T10:00:00", "2024-02-29"),
    ] {
        assert_eq!(parse_date(text).as_deref(), Ok(date), "{text}");
    }
    for text in [
        "2023-02-29",
        "2024-13-01",
        "24-05-01",
        "2024-05",
        "어제",
        "2024-05-01 10:00",
    ] {
        assert!(parse_date(text).is_err(), "{text}");
    }
    for (serial, date) in [
        (1.0, "1900-01-01"),
        (59.0, "1900-02-28"),
        (61.0, "1900-03-01"),
        (45413.0, "2024-05-01"),
        (45413.75, "2024-05-01"),
        (2_958_465.0, "9999-12-31"),
    ] {
        assert_eq!(serial_date(serial, false).as_deref(), Ok(date), "{serial}");
    }
    assert_eq!(serial_date(0.0, true).as_deref(), Ok("1904-01-01"));
    assert_eq!(serial_date(43951.0, true).as_deref(), Ok("2024-05-01"));
    for serial in [0.0, 60.0, -1.0, f64::NAN, 3e6] {
        assert!(serial_date(serial, false).is_err(), "{serial}");
    }
}
