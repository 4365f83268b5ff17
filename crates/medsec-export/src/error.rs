//! The errors of writing and reading the checklist workbook: reading
//! errors name the sheet and cell at fault, so a manufacturer who edited
//! the workbook in Excel can find what to fix.

use std::fmt;

/// The workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A cell was refused, e.g. text longer than Excel's 32,767 characters.
    #[error("{sheet}!{cell}: {source}")]
    Cell {
        sheet: String,
        cell: String,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// The workbook or one of its sheets was refused.
    #[error("{what}: {source}")]
    Workbook {
        what: String,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// The machine-readable copy of a row could not be encoded.
    #[error("row {item}: {source}")]
    Metadata {
        item: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What kind of problem an [`ImportError`] reports, for callers that
/// react differently (e.g. an HTTP status) than by showing the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportErrorKind {
    /// Not a zip archive, or a zip without a workbook.
    NotXlsx,
    /// A part of the workbook is not well-formed (XML, relationships).
    Malformed,
    /// One of the four sheets of the export is missing.
    MissingSheet,
    /// The `medsec` sheet, or a key it must hold, is missing or unreadable.
    MissingMetadata,
    /// A column header the sheet needs is missing.
    MissingColumn,
    /// A 항목 ID that the exported edition does not have.
    UnknownItem,
    /// A 항목 ID with two rows.
    DuplicateItem,
    /// An item of the edition without its row.
    MissingItem,
    /// A cell holds a formula; the import reads text only.
    Formula,
    /// A cell's value is not what its column takes.
    BadValue,
    /// A 결과 that is not 적합, 부적합 or 판정 보류.
    BadTestResult,
    /// A 시험일 that is not a date.
    BadDate,
    /// A header field (의료기기 사이버 보안 특성) that cannot be read.
    BadHeader,
}

/// The workbook could not be read back, with the sheet and cell at fault.
///
/// Displayed as `체크리스트!C14: 적용여부 must be 적용 or 비적용, found "예"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub kind: ImportErrorKind,
    /// The sheet at fault, when the error is about one.
    pub sheet: Option<String>,
    /// The cell at fault in A1 notation, when the error is about one.
    pub cell: Option<String>,
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(kind: ImportErrorKind, message: impl Into<String>) -> ImportError {
        ImportError {
            kind,
            sheet: None,
            cell: None,
            message: message.into(),
        }
    }

    pub(crate) fn in_sheet(
        kind: ImportErrorKind,
        sheet: &str,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError {
            kind,
            sheet: Some(sheet.to_owned()),
            cell: None,
            message: message.into(),
        }
    }

    /// An error about the cell at zero-based `row` and `col` of `sheet`.
    pub(crate) fn at(
        kind: ImportErrorKind,
        sheet: &str,
        row: u32,
        col: u32,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError {
            kind,
            sheet: Some(sheet.to_owned()),
            cell: Some(cell_ref(row, col)),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => write!(f, "{s}!{c}: {}", self.message),
            (Some(s), None) => write!(f, "{s}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The A1 reference of the zero-based `row` and `col` (`(13, 2)` is `C14`).
pub fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// The letters of the zero-based column `col` (`0` is `A`, `26` is `AA`).
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        // `rem` is below 26, so the cast and the addition stay in ASCII.
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}
