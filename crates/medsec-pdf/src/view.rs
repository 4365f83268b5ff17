//! What the template lays out: the checklist with every label chosen for
//! the language and every cell already a plain string, serialised to the
//! `data.json` the template reads.
//!
//! All wording decisions live here, in Rust, so the template is layout
//! only and tests can reason about the text without compiling Typst.

use medsec_assure::Checklist;
use medsec_assure::checklist::{Attachment, EvidenceRef, Row, TestResult};
use medsec_assure::profile::{Purpose, SecurityLevel};
use serde::Serialize;

use crate::Lang;

const CHECKED: char = '■';
const UNCHECKED: char = '□';

/// How many hex digits of an evidence file's SHA-256 the form shows.
const HASH_DIGITS: usize = 12;

#[derive(Debug, Serialize)]
pub(crate) struct View {
    lang: &'static str,
    fonts: Vec<String>,
    title: String,
    edition: String,
    generated: Option<String>,
    /// The small line at the top of every page after the first.
    running: String,
    author: Option<String>,
    labels: Labels,
    /// Product, model, … as label and value.
    device: Vec<[String; 2]>,
    /// The form's numbered fields 1) to 4).
    fields: Vec<Field>,
    columns: [&'static str; 6],
    rows: Vec<RowView>,
    test_columns: [&'static str; 6],
    tests: Vec<[String; 6]>,
}

#[derive(Debug, Serialize)]
struct Labels {
    characteristics: &'static str,
    criterion: &'static str,
    method: &'static str,
    note: &'static str,
    justification: &'static str,
    tests: &'static str,
    no_tests: &'static str,
    no_items: &'static str,
}

#[derive(Debug, Serialize)]
struct Field {
    label: String,
    lines: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RowView {
    id: String,
    title: String,
    requirement: Option<String>,
    applies: bool,
    applies_text: &'static str,
    reason: String,
    justification: Option<String>,
    methods: Vec<String>,
    standards: Vec<String>,
    attachments: Vec<AttachmentView>,
    criterion: Option<String>,
    steps: Vec<String>,
    note: Option<String>,
}

#[derive(Debug, Serialize)]
struct AttachmentView {
    document: String,
    evidence: Option<String>,
}

impl View {
    pub(crate) fn new(
        list: &Checklist,
        lang: Lang,
        fonts: Vec<String>,
        generated: Option<String>,
    ) -> View {
        let en = lang == Lang::En;
        let pick = |ko: &'static str, en_text: &'static str| if en { en_text } else { ko };
        let h = &list.header;
        let title = if en && !list.catalog_title_en.trim().is_empty() {
            list.catalog_title_en.clone()
        } else {
            list.catalog_title_ko.clone()
        };
        let edition = match &generated {
            Some(date) if en => format!("Edition {} · prepared {date}", list.edition),
            Some(date) => format!("{} 판 · 작성일 {date}", list.edition),
            None if en => format!("Edition {}", list.edition),
            None => format!("{} 판", list.edition),
        };
        let grade = if en {
            format!("Class {}", h.grade)
        } else {
            format!("{}등급", h.grade)
        };
        let mut device = vec![
            [pick("제품명", "Product").to_owned(), h.product.clone()],
            [pick("모델명", "Model").to_owned(), h.model.clone()],
            [
                pick("소프트웨어 버전", "Software version").to_owned(),
                h.software_version.clone(),
            ],
        ];
        if let Some(m) = &h.manufacturer {
            device.push([pick("제조자", "Manufacturer").to_owned(), m.clone()]);
        }
        device.push([pick("등급", "Class").to_owned(), grade]);

        let levels = [
            SecurityLevel::High,
            SecurityLevel::Medium,
            SecurityLevel::Low,
        ]
        .map(|l| format!("{}{}", mark(l == h.security_level), level_text(l, en)))
        .join("  ");
        let purposes = Purpose::ALL
            .iter()
            .map(|p| {
                let text = if en { p.en() } else { p.ko() };
                format!("{} {text}", mark(h.purposes.contains(p)))
            })
            .collect();
        let network = format!(
            "{}{}  {}{}",
            mark(h.public_network),
            pick("예", "Yes"),
            mark(!h.public_network),
            pick("아니오", "No"),
        );
        let fields = vec![
            Field {
                label: pick("1) 사이버 보안 안전성 등급", "1) Cybersecurity level").to_owned(),
                lines: vec![levels],
            },
            Field {
                label: pick("2) 사용되는 통신 기술", "2) Communication technology").to_owned(),
                lines: vec![h.communication.clone()],
            },
            Field {
                label: pick("3) 통신목적", "3) Purpose of communication").to_owned(),
                lines: purposes,
            },
            Field {
                label: pick("4) 공용 네트워크망 사용여부", "4) Use of public networks").to_owned(),
                lines: vec![network],
            },
        ];

        let columns = if en {
            [
                "Essential principle",
                "Applies to this device",
                "Method of demonstrating conformity",
                "Applicable regulations and standards",
                "Attachments or document numbers",
                "Verification",
            ]
        } else {
            [
                "사이버보안 필수원칙",
                "해당기기 적용여부",
                "적합성 입증방법",
                "해당 법규 및 규격",
                "해당 첨부자료 또는 문서번호",
                "검증 방법",
            ]
        };
        let test_columns = if en {
            ["Item", "Tester", "Date", "Result", "Note", "Evidence"]
        } else {
            ["항목", "시험자", "시험일", "결과", "비고", "근거자료"]
        };
        let rows = list.rows.iter().map(|r| row(r, en)).collect();
        let tests = list
            .rows
            .iter()
            .flat_map(|r| r.content.tests.iter().map(move |t| (r, t)))
            .map(|(r, t)| {
                [
                    r.id.clone(),
                    t.by.clone(),
                    t.on.clone(),
                    result_text(t.result, en).to_owned(),
                    t.note.clone(),
                    t.evidence.as_ref().map(evidence_text).unwrap_or_default(),
                ]
            })
            .collect();
        let running = format!(
            "{} {} {} · {} {}",
            h.product, h.model, h.software_version, list.catalog, list.edition
        );
        View {
            lang: if en { "en" } else { "ko" },
            fonts,
            title,
            edition,
            generated,
            running,
            author: h.manufacturer.clone(),
            labels: Labels {
                characteristics: pick(
                    "< 의료기기 사이버 보안 특성 기재 >",
                    "< Cybersecurity characteristics of the medical device >",
                ),
                criterion: pick("[시험기준]", "[Test criterion]"),
                method: pick("[시험방법]", "[Test method]"),
                note: pick("[비고]", "[Note]"),
                justification: pick("재정의 사유", "Override justification"),
                tests: pick("시험 기록", "Test records"),
                no_tests: pick("시험 기록 없음", "No test records"),
                no_items: pick("항목 없음", "No items"),
            },
            device,
            fields,
            columns,
            rows,
            test_columns,
            tests,
        }
    }
}

fn row(r: &Row, en: bool) -> RowView {
    let c = &r.content;
    let title = if en && !r.title_en.trim().is_empty() {
        r.title_en.clone()
    } else {
        r.title_ko.clone()
    };
    let requirement = if en {
        r.requirement_en
            .clone()
            .or_else(|| r.requirement_ko.clone())
    } else {
        r.requirement_ko.clone()
    };
    let reason = if en && !r.reason_en.trim().is_empty() {
        r.reason_en.clone()
    } else {
        r.reason_ko.clone()
    };
    RowView {
        id: r.id.clone(),
        title,
        requirement: requirement.filter(|s| !s.trim().is_empty()),
        applies: r.applies,
        applies_text: match (r.applies, en) {
            (true, false) => "적용",
            (false, false) => "비적용",
            (true, true) => "Applies",
            (false, true) => "Does not apply",
        },
        reason,
        justification: r.justification.clone().filter(|s| !s.trim().is_empty()),
        methods: non_blank(&c.methods),
        standards: non_blank(&c.standards),
        attachments: c.attachments.iter().map(attachment).collect(),
        criterion: c.test_criterion.clone().filter(|s| !s.trim().is_empty()),
        steps: non_blank(&c.test_method),
        note: c.note.clone().filter(|s| !s.trim().is_empty()),
    }
}

fn non_blank(v: &[String]) -> Vec<String> {
    v.iter().filter(|s| !s.trim().is_empty()).cloned().collect()
}

fn attachment(a: &Attachment) -> AttachmentView {
    AttachmentView {
        document: a.document.clone(),
        evidence: a.evidence.as_ref().map(evidence_text),
    }
}

/// `filename (sha256 0123456789ab)`: enough of the hash to match the file
/// in the evidence store by eye.
fn evidence_text(e: &EvidenceRef) -> String {
    let short: String = e.sha256.chars().take(HASH_DIGITS).collect();
    if short.is_empty() {
        e.filename.clone()
    } else {
        format!("{} (sha256 {short})", e.filename)
    }
}

fn mark(checked: bool) -> char {
    if checked { CHECKED } else { UNCHECKED }
}

fn level_text(l: SecurityLevel, en: bool) -> &'static str {
    match (l, en) {
        (_, false) => l.ko(),
        (SecurityLevel::High, true) => "High",
        (SecurityLevel::Medium, true) => "Medium",
        (SecurityLevel::Low, true) => "Low",
    }
}

fn result_text(r: TestResult, en: bool) -> &'static str {
    match (r, en) {
        (_, false) => r.ko(),
        (TestResult::Pass, true) => "Pass",
        (TestResult::Fail, true) => "Fail",
        (TestResult::Inconclusive, true) => "Inconclusive",
    }
}
