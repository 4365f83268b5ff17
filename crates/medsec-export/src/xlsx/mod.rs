//! The MFDS 의료기기 사이버보안 필수원칙 체크리스트 as an XLSX workbook,
//! laid out like the form of the guideline (seed 000, Ⅲ–Ⅳ), and read back
//! after a manufacturer has edited it in Excel or LibreOffice.
//!
//! # Layout
//!
//! - `체크리스트`: the title (catalogue title and edition), the header
//!   block `< 의료기기 사이버 보안 특성 기재 >` (제품명, 모델명, 소프트웨어
//!   버전, 제조사, 등급, then the form's four fields with ■/□ boxes), and
//!   the table with the form's six columns (사이버보안 필수원칙, 해당기기
//!   적용여부, 적합성 입증방법, 해당 법규 및 규격, 해당 첨부자료 또는
//!   문서번호, 검증 방법) followed by 적용 판단 근거, 비고 and 항목 ID.
//! - `시험기록`: one row per test record.
//! - `첨부자료`: one row per attachment, with its evidence file.
//! - `medsec` (hidden): key/value rows, the catalogue and the header in
//!   machine-readable form, and one `row` line per item holding, as JSON,
//!   every field of the item as written.
//!
//! # Reading back
//!
//! Columns are found by their header text, rows by their 항목 ID, so
//! sorting rows or inserting columns does not confuse the import. For each
//! cell of the checklist table, if its text is exactly what [`write()`] put
//! there, the exact value from the `medsec` sheet is kept; otherwise the
//! cell was edited and its text is parsed: list cells give one trimmed
//! entry per non-blank line, `검증 방법` gives the criterion and one step
//! per line under `[시험방법]`, `적용 판단 근거` splits at `사용자 판단:`.
//! The header block is read the same way against the `medsec` keys.
//!
//! So `read(write(x)) == x` for every field of [`Checklist`] (the tests
//! check it on the seed's review case with overrides, evidence, test
//! records, multi-line text, control characters and formula-like text),
//! with these limits:
//!
//! - Not read from the form: `schema`, `catalog`, `edition`, the
//!   catalogue titles (the title row is for people), the English texts,
//!   `group` and `traces`. They come from the `medsec` sheet.
//! - An edited cell is normalised: trimmed lines, no empty list entries,
//!   an empty requirement or note is `None`, a step cannot span lines.
//! - Test records and attachments are read from their sheets as shown:
//!   `시험자`, `비고` and 파일명 exactly; ids, hashes, dates and results
//!   trimmed; a 시험일 typed `2024.5.1` or stored by
//!   Excel as a date serial becomes `2024-05-01`, and one that is no date
//!   is refused. A record's place among its item's records is its row
//!   order in `시험기록` (the last one is the latest).
//! - Changing 적용여부 does not require a `사용자 판단:` line; whether an
//!   override needs a justification is for the caller to decide.

pub(crate) mod form;
pub(crate) mod ooxml;
mod reader;
mod writer;

use serde::{Deserialize, Serialize};

pub use crate::error::{ExportError, ImportError, ImportErrorKind};
use medsec_assure::Checklist;

/// Writes the checklist as an XLSX workbook.
pub fn write(list: &Checklist) -> Result<Vec<u8>, ExportError> {
    writer::write(list)
}

/// Reads a workbook written by [`write()`], possibly edited since.
pub fn read(bytes: &[u8]) -> Result<Checklist, ImportError> {
    reader::read(bytes)
}

pub(crate) const SHEET_LIST: &str = "체크리스트";
pub(crate) const SHEET_TESTS: &str = "시험기록";
pub(crate) const SHEET_ATTACHMENTS: &str = "첨부자료";
pub(crate) const SHEET_META: &str = "medsec";

pub(crate) const HEADER_BLOCK: &str = "< 의료기기 사이버 보안 특성 기재 >";

/// The columns of the checklist table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListCol {
    Principle,
    Applies,
    Methods,
    Standards,
    Documents,
    Verification,
    Reason,
    Note,
    Id,
}

impl ListCol {
    pub const ALL: [ListCol; 9] = [
        ListCol::Principle,
        ListCol::Applies,
        ListCol::Methods,
        ListCol::Standards,
        ListCol::Documents,
        ListCol::Verification,
        ListCol::Reason,
        ListCol::Note,
        ListCol::Id,
    ];

    pub fn header(self) -> &'static str {
        match self {
            ListCol::Principle => "사이버보안 필수원칙",
            ListCol::Applies => "해당기기 적용여부",
            ListCol::Methods => "적합성 입증방법",
            ListCol::Standards => "해당 법규 및 규격",
            ListCol::Documents => "해당 첨부자료 또는 문서번호",
            ListCol::Verification => "검증 방법",
            ListCol::Reason => "적용 판단 근거",
            ListCol::Note => "비고",
            ListCol::Id => "항목 ID",
        }
    }

    /// The column width in Excel's character units.
    pub fn width(self) -> f64 {
        match self {
            ListCol::Principle => 42.0,
            ListCol::Applies => 10.0,
            ListCol::Methods => 18.0,
            ListCol::Standards => 24.0,
            ListCol::Documents => 16.0,
            ListCol::Verification => 56.0,
            ListCol::Reason => 30.0,
            ListCol::Note => 20.0,
            ListCol::Id => 9.0,
        }
    }
}

/// The columns of `시험기록`.
pub(crate) const TEST_COLUMNS: [(&str, f64); 8] = [
    ("항목 ID", 9.0),
    ("시험자", 14.0),
    ("시험일", 12.0),
    ("결과", 10.0),
    ("비고", 40.0),
    ("근거자료 SHA-256", 30.0),
    ("근거자료 파일명", 28.0),
    ("근거자료 ID", 24.0),
];

/// The columns of `첨부자료`.
pub(crate) const ATTACHMENT_COLUMNS: [(&str, f64); 5] = [
    ("항목 ID", 9.0),
    ("문서번호", 18.0),
    ("근거자료 ID", 24.0),
    ("SHA-256", 30.0),
    ("파일명", 28.0),
];

/// The `medsec` sheet's keys.
pub(crate) mod key {
    pub const SCHEMA: &str = "schema";
    pub const CATALOG: &str = "catalog";
    pub const EDITION: &str = "edition";
    pub const TITLE_KO: &str = "catalog_title_ko";
    pub const TITLE_EN: &str = "catalog_title_en";
    pub const PRODUCT: &str = "product";
    pub const MODEL: &str = "model";
    pub const SOFTWARE_VERSION: &str = "software_version";
    pub const MANUFACTURER: &str = "manufacturer";
    pub const GRADE: &str = "grade";
    pub const SECURITY_LEVEL: &str = "security_level";
    pub const COMMUNICATION: &str = "communication";
    pub const PURPOSES: &str = "purposes";
    pub const PUBLIC_NETWORK: &str = "public_network";
    /// One per item: the item's fields as JSON ([`super::RowMeta`]).
    pub const ROW: &str = "row";
}

/// The most characters one `medsec` value cell holds; longer JSON is
/// split over the following cells of its row, well under Excel's limit of
/// 32,767 per cell.
pub(crate) const META_CHUNK: usize = 8000;

/// Every field of one checklist row as written: the wire form of
/// [`medsec_assure::checklist::Row`] minus what the other sheets carry
/// (test records, evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RowMeta {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub title_ko: String,
    pub title_en: String,
    #[serde(default)]
    pub requirement_ko: Option<String>,
    #[serde(default)]
    pub requirement_en: Option<String>,
    pub applies: bool,
    pub reason_ko: String,
    pub reason_en: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub standards: Vec<String>,
    #[serde(default)]
    pub documents: Vec<String>,
    #[serde(default)]
    pub test_criterion: Option<String>,
    #[serde(default)]
    pub test_method: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub traces: Vec<String>,
}

impl RowMeta {
    pub fn of(row: &medsec_assure::checklist::Row) -> RowMeta {
        let c = &row.content;
        RowMeta {
            id: row.id.clone(),
            group: row.group.clone(),
            title_ko: row.title_ko.clone(),
            title_en: row.title_en.clone(),
            requirement_ko: row.requirement_ko.clone(),
            requirement_en: row.requirement_en.clone(),
            applies: row.applies,
            reason_ko: row.reason_ko.clone(),
            reason_en: row.reason_en.clone(),
            justification: row.justification.clone(),
            methods: c.methods.clone(),
            standards: c.standards.clone(),
            documents: c.attachments.iter().map(|a| a.document.clone()).collect(),
            test_criterion: c.test_criterion.clone(),
            test_method: c.test_method.clone(),
            note: c.note.clone(),
            traces: row.traces.clone(),
        }
    }

    /// The text of each visible column for this row, as [`write()`] puts it.
    pub fn cell(&self, col: ListCol) -> String {
        match col {
            ListCol::Principle => {
                form::principle(&self.id, &self.title_ko, self.requirement_ko.as_deref())
            }
            ListCol::Applies => form::applies(self.applies).to_owned(),
            ListCol::Methods => form::lines(&self.methods),
            ListCol::Standards => form::lines(&self.standards),
            ListCol::Documents => form::lines(&self.documents),
            ListCol::Verification => {
                form::verification(self.test_criterion.as_deref(), &self.test_method)
            }
            ListCol::Reason => form::reason(&self.reason_ko, self.justification.as_deref()),
            ListCol::Note => self.note.clone().unwrap_or_default(),
            ListCol::Id => self.id.clone(),
        }
    }
}
