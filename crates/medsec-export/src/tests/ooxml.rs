//! The XLSX reader on workbooks other writers produce: namespace
//! prefixes, cells without references, rich text, phonetic runs, inline
//! strings, escapes, the 1904 date system; and on garbage.

use super::*;
use crate::xlsx::ooxml::{Book, Value, parse_ref, unescape_ooxml};

fn book(parts: &[(&str, &str)]) -> Vec<u8> {
    let parts: Vec<(String, Vec<u8>)> = parts
        .iter()
        .map(|(n, t)| ((*n).to_owned(), t.as_bytes().to_vec()))
        .collect();
    rezip(&parts)
}

const RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<x:workbookPr date1904="1"/>
<x:sheets><x:sheet name="데이터 &amp; 표" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>"#;

const WORKBOOK_RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="./sheets/../worksheets/data.xml"/>
<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/>
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.com" TargetMode="External"/>
</Relationships>"#;

const STRINGS: &str = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<si><t>plain</t></si>
<si><r><rPr><b/></rPr><t>굵게</t></r><r><t xml:space="preserve"> 그리고 보통</t></r><rPh sb="0" eb="2"><t>ふりがな</t></rPh><phoneticPr fontId="1"/></si>
<si/>
<si><t>a_x000D__x000A_b _x005F_x0041_ &#xAC00;&lt;</t></si>
</sst>"#;

const SHEET: &str = r#"<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c></x:row>
<x:row><x:c t="inlineStr"><x:is><x:r><x:t>인라인</x:t></x:r><x:r><x:t xml:space="preserve"> 문자열</x:t></x:r></x:is></x:c><x:c t="b"><x:v>1</x:v></x:c><x:c><x:v>43951</x:v></x:c><x:c><x:v>1.5E3</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>
<x:row r="5"><x:c r="C5" t="s"><x:v>3</x:v></x:c><x:c r="D5" t="str"><x:f>A1</x:f><x:v>plain</x:v></x:c><x:c r="E5" s="2"/></x:row>
</x:sheetData></x:worksheet>"#;

#[test]
fn reads_what_other_writers_write() {
    let bytes = book(&[
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/strings.xml", STRINGS),
        ("xl/worksheets/data.xml", SHEET),
    ]);
    let mut book = Book::open(&bytes).unwrap();
    assert!(book.sheet("없음").unwrap().is_none());
    let sheet = book.sheet("데이터 & 표").unwrap().unwrap();
    assert!(sheet.date1904);
    let text = |r, c| sheet.text(r, c).unwrap();
    assert_eq!(text(0, 0), "plain");
    assert_eq!(text(0, 1), "굵게 그리고 보통");
    assert_eq!(text(0, 2), "");
    assert_eq!(text(1, 0), "인라인 문자열");
    assert_eq!(text(1, 1), "TRUE");
    assert_eq!(text(1, 2), "43951");
    assert_eq!(sheet.cell(1, 2).unwrap().value, Value::Number(43951.0));
    assert_eq!(text(1, 3), "1500");
    assert_eq!(text(1, 4), "#N/A");
    assert_eq!(text(4, 2), "a\r\nb _x0041_ 가<");
    // A formula is refused even with a cached value; a styled blank is
    // no cell.
    assert!(sheet.text(4, 3).is_err());
    assert!(sheet.cell(4, 4).is_none());
    assert_eq!(sheet.end_row(), 5);
}

#[test]
fn references_and_escapes() {
    assert_eq!(parse_ref("A1"), Some((0, 0)));
    assert_eq!(parse_ref("c14"), Some((13, 2)));
    assert_eq!(parse_ref("XFD1048576"), Some((1_048_575, 16_383)));
    for bad in ["", "A", "1", "A0", "XFE1", "A1048577", "A1B", "가1"] {
        assert_eq!(parse_ref(bad), None, "{bad}");
    }
    assert_eq!(crate::cell_ref(13, 2), "C14");
    assert_eq!(crate::column_name(26), "AA");
    assert_eq!(crate::column_name(16_383), "XFD");
    assert_eq!(unescape_ooxml("_x0041__x"), "A_x");
    assert_eq!(unescape_ooxml("_x00G1_ _xD800_"), "_x00G1_ _xD800_");
    assert_eq!(unescape_ooxml("한글_x000D_"), "한글\r");
}

/// A tiny deterministic generator, so the garbage is the same each run.
fn lcg(state: &mut u64) -> usize {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    usize::try_from(*state >> 33).unwrap()
}

#[test]
fn garbage_gives_errors_not_panics() {
    let bytes = crate::xlsx::write(&prefilled("mfds-2019")).unwrap();
    // Truncated and bit-flipped containers.
    let mut state = 7;
    for i in 0..60 {
        let mut b = bytes.clone();
        if i % 2 == 0 {
            b.truncate(lcg(&mut state) % bytes.len());
        } else {
            for _ in 0..8 {
                let at = lcg(&mut state) % b.len();
                b[at] ^= 1 << (lcg(&mut state) % 8);
            }
        }
        let _ = crate::xlsx::read(&b);
    }
    // Mangled XML inside an intact container.
    let parts = unzip(&bytes);
    let inserts = [
        "<",
        ">",
        "&",
        "\"",
        "</c>",
        "<c r=\"ZZZZ9\">",
        "&#0;",
        "가",
        "_x",
        "]]>",
    ];
    for i in 0..90 {
        let mut p = parts.clone();
        let (_, data) = &mut p[lcg(&mut state) % parts.len()];
        let mut chars: Vec<char> = String::from_utf8_lossy(data).chars().collect();
        if chars.is_empty() {
            continue;
        }
        let at = lcg(&mut state) % chars.len();
        if i % 3 == 0 {
            chars.truncate(at);
        } else {
            let insert = inserts[lcg(&mut state) % inserts.len()];
            chars.splice(at..at, insert.chars());
        }
        *data = chars.into_iter().collect::<String>().into_bytes();
        let _ = crate::xlsx::read(&rezip(&p));
    }
}
