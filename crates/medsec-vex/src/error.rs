//! Why bytes are not a VEX document medsec can use, or why a document
//! cannot be written in a format: each error names the format and the
//! place (a JSON path, a line and column, a field of the model).

use crate::model::FormatKind;

/// A VEX document that cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VexError {
    /// Larger than [`crate::MAX_BYTES`].
    #[error("the document is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// Not well-formed JSON (or empty).
    #[error("not a VEX document: not JSON: line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but none of OpenVEX, CycloneDX and CSAF.
    #[error("not a VEX document: {0}")]
    UnknownFormat(String),
    /// Not valid for its format: `path` is a JSON path
    /// (`statements[3].status`) or the reader's location.
    #[error("not valid {format}: at `{path}`: {message}")]
    Invalid {
        format: FormatKind,
        path: String,
        message: String,
    },
    /// A version of the format this crate does not read.
    #[error("unsupported {format} version `{version}`")]
    Version { format: FormatKind, version: String },
    /// The model cannot be written in `format` without producing an
    /// invalid document: `field` names the place in the model
    /// (`statements[2].products[0]`).
    #[error("cannot write {format}: `{field}` {reason}")]
    Write {
        format: FormatKind,
        field: String,
        reason: String,
    },
}

pub(crate) fn write_error(
    format: FormatKind,
    field: impl Into<String>,
    reason: impl Into<String>,
) -> VexError {
    VexError::Write {
        format,
        field: field.into(),
        reason: reason.into(),
    }
}
