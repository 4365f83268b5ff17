//! The workbook: round trip, edits made in a spreadsheet, and the errors
//! of the import, each naming the sheet and cell.

use std::time::Instant;

use medsec_assure::checklist::{Attachment, Checklist, EvidenceRef, TestRecord, TestResult};
use medsec_assure::profile::{Purpose, SecurityLevel};

use super::*;
use crate::xlsx::{self, ImportErrorKind, ListCol, RowMeta};

fn write(list: &Checklist) -> Vec<u8> {
    xlsx::write(list).unwrap_or_else(|e| panic!("{e}"))
}

fn read(bytes: &[u8]) -> Checklist {
    xlsx::read(bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads `bytes` expecting an error of `kind` displayed as `expected`.
fn check_error(bytes: &[u8], kind: ImportErrorKind, expected: &str) {
    match xlsx::read(bytes) {
        Ok(_) => panic!("read succeeded, expected {expected}"),
        Err(e) => {
            assert_eq!(e.to_string(), expected);
            assert_eq!(e.kind, kind, "{e}");
        }
    }
}

#[test]
fn the_filled_in_review_case_round_trips_exactly() {
    let list = ecg_checklist();
    // The case has what the round trip must carry.
    let row = |id: &str| &list.rows[index_of(&list, id)];
    assert!(row("1.12").justification.is_some());
    assert!(row("1.12").applies);
    assert!(!row("1.13").applies);
    assert_eq!(row("1.1").content.tests.len(), 2);
    assert!(row("1.1").traces.contains(&"kisa-dh:1.1.1".to_owned()));
    assert!(
        row("1.3")
            .content
            .methods
            .contains(&HOSTILE_FORMULA.to_owned())
    );
    // Every field, header and rows, comes back exactly.
    let back = read(&write(&list));
    assert_eq!(back.header, list.header);
    for (a, b) in back.rows.iter().zip(&list.rows) {
        assert_eq!(a, b, "row {}", b.id);
    }
    assert_eq!(back, list);
}

#[test]
fn every_prefilled_edition_round_trips() {
    for catalog in ["mfds-2019", "mfds-2024"] {
        let list = prefilled(catalog);
        assert_eq!(read(&write(&list)), list, "{catalog}");
    }
}

#[test]
fn header_variants_round_trip() {
    let mut list = prefilled("mfds-2024");
    let h = &mut list.header;
    h.security_level = SecurityLevel::High;
    h.purposes = vec![Purpose::Maintenance, Purpose::PatientData];
    h.public_network = false;
    h.manufacturer = None;
    h.grade = 4;
    h.communication = "Bluetooth LE, LTE (=공용망)".to_owned();
    // The written order of the purposes is kept when the ticks are.
    assert_eq!(read(&write(&list)), list);
    list.header.manufacturer = Some(String::new());
    assert_eq!(read(&write(&list)), list);
}

#[test]
fn what_cannot_round_trip_is_normalised_explicitly() {
    let mut list = prefilled("mfds-2019");
    // Dates are read as dates: another spelling comes back as YYYY-MM-DD,
    // and ids and hashes are trimmed. Free text (시험자, 비고, 파일명) is
    // kept as written.
    list.rows[0].content.tests.push(TestRecord {
        by: " 박시험 ".to_owned(),
        on: "2024.5.1".to_owned(),
        result: TestResult::Pass,
        note: " 비고 ".to_owned(),
        evidence: Some(EvidenceRef {
            id: " ev-1 ".to_owned(),
            sha256: sha('C'),
            filename: " 파일.pdf ".to_owned(),
        }),
    });
    let back = read(&write(&list));
    let t = &back.rows[0].content.tests[0];
    assert_eq!(t.on, "2024-05-01");
    assert_eq!(t.by, " 박시험 ");
    assert_eq!(t.note, " 비고 ");
    let e = t.evidence.as_ref().unwrap();
    assert_eq!((e.id.as_str(), e.filename.as_str()), ("ev-1", " 파일.pdf "));
    assert_eq!(e.sha256, sha('C'));
    // A date that is none is refused rather than passed on.
    list.rows[0].content.tests[0].on = "내일".to_owned();
    check_error(
        &write(&list),
        ImportErrorKind::BadDate,
        "시험기록!C2: 시험일 must be a date such as 2024-05-01, found \"내일\"",
    );
}

#[test]
fn edits_made_in_a_spreadsheet_are_read() {
    let list = ecg_checklist();
    let bytes = write(&list);
    let r11 = form_row(&list, "1.1");
    let r15 = form_row(&list, "1.5");

    // 1.1's 검증 방법 is a shared string; Excel rewrites it with rich text
    // runs (and a phonetic run, which is not text).
    let old = xml_escape(&RowMeta::of(&list.rows[0]).cell(ListCol::Verification));
    let bytes = edit_part(&bytes, "xl/sharedStrings.xml", |t| {
        t.replacen(
            &format!("<t>{old}</t>"),
            "<r><rPr><b/></rPr><t>[ 시험 기준 ]</t></r><r><t xml:space=\"preserve\">\n  새 기준: 잠금 &amp; 해제  \n[시험방법]\n첫 단계\n 2) 둘째 단계\n\n</t></r><rPh sb=\"0\" eb=\"1\"><t>ひ</t></rPh>",
            1,
        )
    });
    // 1.5: 비적용 with the user's reason, typed as inline strings.
    let bytes = set_cell(&bytes, SHEET1, &format!("B{r15}"), &inline("비적용"));
    let bytes = set_cell(
        &bytes,
        SHEET1,
        &format!("G{r15}"),
        &inline("규칙의 근거\n사용자 판단:  유선 전용 모델\n둘째 줄"),
    );
    // 1.1: a second document number and a new standard.
    let bytes = set_cell(
        &bytes,
        SHEET1,
        &format!("E{r11}"),
        &inline(" VVT-SW-001 \n\nVVT-SW-009"),
    );
    let bytes = set_cell(
        &bytes,
        SHEET1,
        &format!("D{r11}"),
        &inline("IEC 81001-5-1\n  ISO 14971 "),
    );
    // The header: 상 ticked instead of 중, 기기제어 ticked.
    let bytes = set_cell(
        &bytes,
        SHEET1,
        "A9",
        &inline("1) 사이버 보안 안전성 등급 : ■ 상 □중 □하"),
    );
    let bytes = set_cell(&bytes, SHEET1, "A12", &inline("☑ 기기제어"));
    // A test record added in 시험기록, its date typed so Excel stores a
    // number (45413 is 2024-05-01), and one with a text date.
    let bytes = append_row(
        &bytes,
        SHEET2,
        "<row r=\"60\"><c r=\"A60\" t=\"inlineStr\"><is><t>1.3</t></is></c>\
         <c r=\"B60\" t=\"inlineStr\"><is><t>이검증</t></is></c><c r=\"C60\" s=\"1\"><v>45413</v></c>\
         <c r=\"D60\" t=\"inlineStr\"><is><t>부적합</t></is></c></row>\
         <row r=\"61\"><c r=\"A61\" t=\"inlineStr\"><is><t>1.3</t></is></c>\
         <c r=\"C61\" t=\"inlineStr\"><is><t>2024. 7. 3.</t></is></c>\
         <c r=\"D61\" t=\"inlineStr\"><is><t>적합</t></is></c></row>",
    );

    let back = read(&bytes);
    let row = |id: &str| &back.rows[index_of(&back, id)];
    let c = &row("1.1").content;
    assert_eq!(c.test_criterion.as_deref(), Some("새 기준: 잠금 & 해제"));
    assert_eq!(c.test_method, ["첫 단계", "둘째 단계"]);
    assert_eq!(c.standards, ["IEC 81001-5-1", "ISO 14971"]);
    assert_eq!(
        c.attachments,
        [
            list.rows[0].content.attachments[0].clone(),
            Attachment {
                document: "VVT-SW-009".to_owned(),
                evidence: None
            }
        ]
    );
    assert!(!row("1.5").applies);
    assert_eq!(row("1.5").reason_ko, "규칙의 근거");
    assert_eq!(
        row("1.5").justification.as_deref(),
        Some("유선 전용 모델\n둘째 줄")
    );
    assert_eq!(back.header.security_level, SecurityLevel::High);
    assert_eq!(
        back.header.purposes,
        [Purpose::PatientData, Purpose::DeviceControl]
    );
    let tests = &row("1.3").content.tests;
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[1].on, "2024-05-01");
    assert_eq!(tests[1].by, "이검증");
    assert_eq!(tests[1].result, TestResult::Fail);
    assert_eq!(tests[2].on, "2024-07-03");
    assert_eq!(tests[2].by, "");

    // Nothing else changed.
    let mut expected = list.clone();
    for (i, r) in expected.rows.iter_mut().enumerate() {
        if ["1.1", "1.3", "1.5"].contains(&r.id.as_str()) {
            r.clone_from(&back.rows[i]);
        }
    }
    expected.header.security_level = SecurityLevel::High;
    expected.header.purposes = back.header.purposes.clone();
    assert_same(&back, &expected);
}

#[test]
fn sorted_rows_and_moved_columns_are_read() {
    let list = ecg_checklist();
    let bytes = write(&list);
    // Swap the cells of the first two rows, as sorting by a column would,
    // and swap columns C and D in the header and every row.
    let (a, b) = (form_row(&list, "1.1"), form_row(&list, "1.2"));
    let bytes = edit_part(&bytes, SHEET1, |t| {
        let mut t = t
            .replace(&format!("<row r=\"{a}\""), "<row r=\"TMP\"")
            .replace(&format!("<row r=\"{b}\""), &format!("<row r=\"{a}\""))
            .replace("<row r=\"TMP\"", &format!("<row r=\"{b}\""));
        for col in ["A", "B", "C", "D", "E", "F", "G", "H", "I"] {
            t = t
                .replace(&format!("r=\"{col}{a}\""), &format!("r=\"{col}TMP\""))
                .replace(&format!("r=\"{col}{b}\""), &format!("r=\"{col}{a}\""))
                .replace(&format!("r=\"{col}TMP\""), &format!("r=\"{col}{b}\""));
        }
        t.replace("<c r=\"C", "<c r=\"X")
            .replace("<c r=\"D", "<c r=\"C")
            .replace("<c r=\"X", "<c r=\"D")
    });
    assert_eq!(read(&bytes), list);
}

#[test]
fn errors_name_the_sheet_and_cell() {
    let list = ecg_checklist();
    let bytes = write(&list);
    let r11 = form_row(&list, "1.1");
    let r12 = form_row(&list, "1.2");

    check_error(
        &set_cell(&bytes, SHEET1, &format!("B{r11}"), &inline("예")),
        ImportErrorKind::BadValue,
        &format!("체크리스트!B{r11}: 적용여부 must be 적용 or 비적용, found \"예\""),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("I{r11}"), &inline("9.9")),
        ImportErrorKind::UnknownItem,
        &format!(
            "체크리스트!I{r11}: unknown 항목 ID \"9.9\"; the edition 2019-11 has no such item"
        ),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("I{r12}"), &inline("1.1")),
        ImportErrorKind::DuplicateItem,
        &format!("체크리스트!I{r12}: item 1.1 has a second row; its first is row {r11}"),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("I{r11}"), "t=\"n\">"),
        ImportErrorKind::BadValue,
        &format!(
            "체크리스트!I{r11}: the row has no 항목 ID; rows cannot be added to the checklist"
        ),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("C{r11}"), "><f>1+1</f><v>2</v>"),
        ImportErrorKind::Formula,
        &format!(
            "체크리스트!C{r11}: the cell holds a formula; type the text instead (start it with ' if it begins with =, +, - or @)"
        ),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("F{r11}"), &inline("로그인 확인")),
        ImportErrorKind::BadValue,
        &format!(
            "체크리스트!F{r11}: 검증 방법 must be laid out as [시험기준] … [시험방법] 1. …, found text before [시험기준]: \"로그인 확인\""
        ),
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("A{r11}"), &inline("1.2 다른 항목")),
        ImportErrorKind::BadValue,
        &format!(
            "체크리스트!A{r11}: 사이버보안 필수원칙 must start with the item's id 1.1, found \"1.2 다른 항목\""
        ),
    );
    check_error(
        &set_cell(
            &bytes,
            SHEET1,
            "A9",
            &inline("1) 사이버 보안 안전성 등급 : □상 □중 □하"),
        ),
        ImportErrorKind::BadHeader,
        "체크리스트!A9: 사이버 보안 안전성 등급 must tick exactly one of 상, 중, 하 with ■, found \"□상 □중 □하\"",
    );
    check_error(
        &set_cell(
            &bytes,
            SHEET1,
            "A14",
            &inline("4) 공용 네트워크망 사용여부 : 가끔"),
        ),
        ImportErrorKind::BadHeader,
        "체크리스트!A14: 공용 네트워크망 사용여부 must be 예 or 아니오, found \"가끔\"",
    );
    check_error(
        &set_cell(&bytes, SHEET1, "A8", &inline("등급 : 5등급")),
        ImportErrorKind::BadHeader,
        "체크리스트!A8: 등급 must be 1 to 4 (e.g. 2등급), found \"5등급\"",
    );
    check_error(
        &set_cell(&bytes, SHEET1, "A13", &inline("□ 원격 진료")),
        ImportErrorKind::BadHeader,
        "체크리스트!A13: 통신목적 must be one of 환자의 생체정보 등의 개인의료정보 송수신, 기기제어, 펌웨어 또는 소프트웨어 업데이트 등 유지보수, found \"원격 진료\"",
    );
    check_error(
        &set_cell(&bytes, SHEET1, &format!("E{r11}"), &inline("VVT-SW-002")),
        ImportErrorKind::BadValue,
        &format!(
            "첨부자료!B2: document \"VVT-SW-001\" of item 1.1 is not listed in 체크리스트!E{r11}; add it there or delete this row"
        ),
    );
    // Deleting a row of the form leaves its item without a row.
    let without = edit_part(&bytes, SHEET1, |t| {
        let (head, rest) = t.split_at(t.find(&format!("<row r=\"{r12}\"")).unwrap());
        let (_, tail) = rest.split_at(rest.find("</row>").unwrap() + "</row>".len());
        format!("{head}{tail}")
    });
    check_error(
        &without,
        ImportErrorKind::MissingItem,
        "체크리스트: item 1.2 has no row; every item of the edition needs its row (mark it 비적용 instead of deleting it)",
    );

    // 시험기록.
    check_error(
        &set_cell(&bytes, SHEET2, "D2", &inline("OK")),
        ImportErrorKind::BadTestResult,
        "시험기록!D2: 결과 must be 적합, 부적합 or 판정 보류, found \"OK\"",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "C2", &inline("2024-13-01")),
        ImportErrorKind::BadDate,
        "시험기록!C2: 시험일 must be a date such as 2024-05-01, found \"2024-13-01\"",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "C2", "><v>60</v>"),
        ImportErrorKind::BadDate,
        "시험기록!C2: 시험일 60 is not a date Excel can show",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "A2", &inline("2.9")),
        ImportErrorKind::UnknownItem,
        "시험기록!A2: unknown 항목 ID \"2.9\"",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "F2", &inline("abc")),
        ImportErrorKind::BadValue,
        "시험기록!F2: SHA-256 must be 64 hexadecimal digits, found \"abc\"",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "H2", "t=\"n\">"),
        ImportErrorKind::BadValue,
        "시험기록!H2: evidence without its 근거자료 ID; evidence is uploaded in medsec, not added here",
    );
    check_error(
        &set_cell(&bytes, SHEET2, "D1", &inline("판정")),
        ImportErrorKind::MissingColumn,
        "시험기록!A1: the header row has no column 결과",
    );

    // The workbook and its metadata.
    check_error(
        b"PK but not a zip",
        ImportErrorKind::NotXlsx,
        "not an XLSX workbook (not a zip: invalid Zip archive: Could not find EOCD)",
    );
    check_error(
        &rezip(&[("hello.txt".to_owned(), b"hi".to_vec())]),
        ImportErrorKind::NotXlsx,
        "not an XLSX workbook (no xl/workbook.xml in the zip)",
    );
    check_error(
        &edit_part(&bytes, "xl/workbook.xml", |t| {
            t.replace("name=\"시험기록\"", "name=\"Tests\"")
        }),
        ImportErrorKind::MissingSheet,
        "the workbook has no sheet 시험기록; was it written by medsec?",
    );
    check_error(
        &edit_part(&bytes, "xl/sharedStrings.xml", |t| {
            t.replacen("<t>schema</t>", "<t>scheme</t>", 1)
        }),
        ImportErrorKind::MissingMetadata,
        "medsec: no schema; the sheet must keep what medsec wrote",
    );
    check_error(
        &edit_part(&bytes, "xl/sharedStrings.xml", |t| {
            t.replacen("medsec-checklist/1", "medsec-checklist/9", 1)
        }),
        ImportErrorKind::MissingMetadata,
        "medsec: schema \"medsec-checklist/9\" is not \"medsec-checklist/1\", the one this version reads",
    );
    check_error(
        &edit_part(&bytes, SHEET1, |t| {
            t.replacen("<c r=\"A17\"", "<c r=\"A0\"", 1)
        }),
        ImportErrorKind::Malformed,
        "체크리스트: bad cell reference \"A0\"",
    );
    check_error(
        &edit_part(&bytes, SHEET1, |t| t.replacen("</sheetData>", "", 1)),
        ImportErrorKind::Malformed,
        "체크리스트: malformed XML: ill-formed document: expected `</sheetData>`, but `</worksheet>` was found",
    );
}

#[test]
fn hostile_strings_stay_strings() {
    let list = ecg_checklist();
    let bytes = write(&list);
    let sheet = unzip(&bytes)
        .into_iter()
        .find(|(n, _)| n == SHEET1)
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    assert!(!sheet.contains("<f>"), "a cell became a formula");
    let strings = unzip(&bytes)
        .into_iter()
        .find(|(n, _)| n == "xl/sharedStrings.xml")
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    assert!(strings.contains(&xml_escape(
        "소프트웨어 검증 및 유효성 확인 자료\n=cmd|' /C calc'!A0"
    )));
    // A cell that starts like a formula has the quote prefix, so editing it
    // in Excel keeps it text.
    let styles = unzip(&bytes)
        .into_iter()
        .find(|(n, _)| n == "xl/styles.xml")
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    assert!(styles.contains("quotePrefix=\"1\""));
}

#[test]
fn writing_and_reading_35_items_is_fast() {
    let mut list = prefilled("mfds-2024");
    assert_eq!(list.rows.len(), 35);
    for r in &mut list.rows {
        r.content.attachments.push(Attachment {
            document: format!("VVT-{}", r.id),
            evidence: None,
        });
    }
    // The first run pays for page faults and lazy statics; report the
    // slowest and the fastest of a few.
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        bytes = write(&list);
        writes.push(start.elapsed());
        let start = Instant::now();
        let back = read(&bytes);
        reads.push(start.elapsed());
        assert_eq!(back, list);
    }
    let (wrote, took) = (writes.iter().max().unwrap(), reads.iter().max().unwrap());
    eprintln!(
        "35 items, {} bytes: write {:?} (fastest {:?}), read {:?} (fastest {:?})",
        bytes.len(),
        wrote,
        writes.iter().min().unwrap(),
        took,
        reads.iter().min().unwrap(),
    );
    // Generous enough for an unoptimised build on a loaded machine.
    assert!(wrote.as_secs_f64() < 2.0, "write took {wrote:?}");
}
