//! Tests of the exports: the workbook's round trip, reading edited
//! workbooks, the import's errors, the cell texts, the XLSX reader, the
//! HTML page, and openpyxl as an independent reader.

mod form;
mod html;
mod ooxml;
mod python;
mod xlsx;

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use medsec_assure::checklist::{
    Attachment, Checklist, EvidenceRef, TestRecord, TestResult, Workspace,
};
use medsec_assure::profile::{Format, Profile};
use medsec_assure::{Override, checklist};

const ECG_GATEWAY: &str = include_str!("../../../medsec-assure/fixtures/devices/ecg-gateway.toml");

/// A value a spreadsheet would run as a command if it became a formula.
pub(crate) const HOSTILE_FORMULA: &str = "=cmd|' /C calc'!A0";

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap_or_else(|e| panic!("{e}"))
}

fn profile() -> Profile {
    Profile::parse(ECG_GATEWAY, Format::Toml).unwrap_or_else(|e| panic!("{e}"))
}

/// The blank checklist of the seed's review case on `catalog`.
pub(crate) fn prefilled(catalog: &str) -> Checklist {
    let profile = profile();
    let ws = Workspace::prefill(catalogs(), catalog, &profile).unwrap();
    let c = catalogs().get(catalog).unwrap();
    let rules = medsec_assure::rules().unwrap();
    checklist::evaluate(catalogs(), rules, c, &profile, &BTreeMap::new(), &ws)
}

pub(crate) fn sha(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

/// The seed's review case as a manufacturer would have filled it in:
/// attachments with evidence, test records, an override, multi-line text,
/// text with stray whitespace and control characters, and strings that
/// look like formulas or OOXML escapes.
pub(crate) fn ecg_checklist() -> Checklist {
    let profile = profile();
    let mut ws = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    let report = EvidenceRef {
        id: "ev-01J9Z6Q3".to_owned(),
        sha256: sha('a'),
        filename: "VVT-SW-001 소프트웨어 검증 및 유효성 확인 보고서.pdf".to_owned(),
    };
    let log = EvidenceRef {
        id: "ev-01J9Z6Q4".to_owned(),
        sha256: sha('b'),
        filename: "로그인 시험 로그 (2024-05-02).txt".to_owned(),
    };
    {
        let c = ws.items.get_mut("1.1").unwrap();
        c.attachments = vec![Attachment {
            document: "VVT-SW-001".to_owned(),
            evidence: Some(report.clone()),
        }];
        c.tests = vec![
            TestRecord {
                by: "김시험".to_owned(),
                on: "2024-05-02".to_owned(),
                result: TestResult::Fail,
                note: "잠금 해제 후 재시험 필요\n로그 첨부".to_owned(),
                evidence: Some(log),
            },
            TestRecord {
                by: "김시험".to_owned(),
                on: "2024-05-09".to_owned(),
                result: TestResult::Pass,
                note: String::new(),
                evidence: Some(report.clone()),
            },
        ];
    }
    {
        let c = ws.items.get_mut("1.3").unwrap();
        c.methods.push(HOSTILE_FORMULA.to_owned());
        c.standards.push("@SUM(1+1)*cmd".to_owned());
        c.attachments = vec![
            Attachment {
                document: "VVT-SW-001".to_owned(),
                evidence: Some(report),
            },
            Attachment {
                document: "-2+3 문서".to_owned(),
                evidence: None,
            },
        ];
        c.note = Some("+비고: 재검토 예정".to_owned());
        c.tests = vec![TestRecord {
            by: "=HYPERLINK(\"http://x\")".to_owned(),
            on: "2024-06-30".to_owned(),
            result: TestResult::Inconclusive,
            note: "장비 교체 대기".to_owned(),
            evidence: None,
        }];
    }
    {
        let c = ws.items.get_mut("1.4").unwrap();
        // Multi-line criterion and step, whitespace at the ends, a CR, a
        // control character and a literal OOXML escape sequence: the
        // unchanged cells must give them back exactly.
        c.test_criterion = Some("  첫째 줄\n둘째 줄  ".to_owned());
        c.test_method.push("여러 줄 단계\r\n두 번째 줄".to_owned());
        c.methods.push(" 앞뒤 공백 ".to_owned());
        c.standards.push("_x0041_ 그대로 \u{1} 제어문자".to_owned());
        c.note = Some(String::new());
    }
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "mfds-2019:1.12".to_owned(),
        Override {
            applies: true,
            justification:
                "현장 서비스 USB로 펌웨어를 갱신하므로 적용한다.\n(설계 문서 SDD-07 참조)"
                    .to_owned(),
            by: "관리자".to_owned(),
            at: "2024-05-01T09:00:00+09:00".to_owned(),
        },
    );
    let c = catalogs().get("mfds-2019").unwrap();
    let rules = medsec_assure::rules().unwrap();
    checklist::evaluate(catalogs(), rules, c, &profile, &overrides, &ws)
}

/// The zero-based index of item `id` in `list`, i.e. its row under the
/// table header.
pub(crate) fn index_of(list: &Checklist, id: &str) -> usize {
    list.rows
        .iter()
        .position(|r| r.id == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// The Excel row number (1-based) of item `id` on the form: the header
/// block takes rows 1–15, the table header row 16.
pub(crate) fn form_row(list: &Checklist, id: &str) -> usize {
    17 + index_of(list, id)
}

/// The parts of a zip, by name, in order.
pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.push((f.name().unwrap().into_owned(), data));
    }
    out
}

/// Zips `parts` again, stored rather than deflated: quicker in the
/// unoptimised test build, and the reader must take both.
pub(crate) fn rezip(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Rewrites one part of the workbook's zip as text.
pub(crate) fn edit_part(bytes: &[u8], part: &str, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    let mut parts = unzip(bytes);
    let (_, data) = parts
        .iter_mut()
        .find(|(n, _)| n == part)
        .unwrap_or_else(|| panic!("no part {part}"));
    let text = String::from_utf8(std::mem::take(data)).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit of {part} changed nothing");
    *data = edited.into_bytes();
    rezip(&parts)
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sheet part of each sheet, in the order `write` adds them.
pub(crate) const SHEET1: &str = "xl/worksheets/sheet1.xml";
pub(crate) const SHEET2: &str = "xl/worksheets/sheet2.xml";

/// Replaces cell `cell` (e.g. `B17`) of a sheet part with `xml`, which
/// is the cell's new content and type, e.g. `t="inlineStr"><is><t>x</t></is>`.
pub(crate) fn set_cell(bytes: &[u8], part: &str, cell: &str, xml: &str) -> Vec<u8> {
    edit_part(bytes, part, |text| {
        let start_tag = format!("<c r=\"{cell}\"");
        let start = text
            .find(&start_tag)
            .unwrap_or_else(|| panic!("no cell {cell} in {part}"));
        let (head, rest) = text.split_at(start);
        let gt = rest.find('>').unwrap();
        let end = if rest.as_bytes()[gt - 1] == b'/' {
            gt + 1
        } else {
            rest.find("</c>").unwrap() + 4
        };
        let (_, tail) = rest.split_at(end);
        format!("{head}<c r=\"{cell}\" {xml}</c>{tail}")
    })
}

/// An inline string cell body for [`set_cell`].
pub(crate) fn inline(text: &str) -> String {
    format!(
        "t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is>",
        xml_escape(text)
    )
}

/// Appends a row to a sheet part.
pub(crate) fn append_row(bytes: &[u8], part: &str, row_xml: &str) -> Vec<u8> {
    edit_part(bytes, part, |text| {
        text.replacen("</sheetData>", &format!("{row_xml}</sheetData>"), 1)
    })
}

/// `assert_eq!` on two checklists, failing on the first part that
/// differs rather than printing both whole.
pub(crate) fn assert_same(actual: &Checklist, expected: &Checklist) {
    assert_eq!(actual.header, expected.header, "header");
    assert_eq!(
        actual.rows.iter().map(|r| &r.id).collect::<Vec<_>>(),
        expected.rows.iter().map(|r| &r.id).collect::<Vec<_>>(),
        "items"
    );
    for (a, e) in actual.rows.iter().zip(&expected.rows) {
        let (mut a_rest, mut e_rest) = (a.clone(), e.clone());
        a_rest.content = Default::default();
        e_rest.content = Default::default();
        assert_eq!(a_rest, e_rest, "item {}", e.id);
        let (ac, ec) = (&a.content, &e.content);
        assert_eq!(ac.tests, ec.tests, "tests of {}", e.id);
        assert_eq!(ac.attachments, ec.attachments, "attachments of {}", e.id);
        assert_eq!(ac, ec, "content of {}", e.id);
    }
    assert_eq!(actual, expected);
}
