//! The error of reading an SBOM: which format, where in the document, and
//! what is wrong, so that a manufacturer can fix the file they submitted.

use std::fmt;

use crate::model::FormatKind;

/// What kind of problem an [`SbomError`] reports, for callers that react
/// differently (an HTTP status, a retry with another format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Larger than [`crate::Limits::max_bytes`].
    TooLarge,
    /// More components than [`crate::Limits::max_components`].
    TooManyComponents,
    /// Nested deeper than the reader allows (JSON's 128 levels, XML's
    /// [`crate::Limits::max_depth`]).
    TooDeep,
    /// Not a CycloneDX, SPDX 2 or SPDX 3 document.
    UnknownFormat,
    /// A specification version the reader does not support.
    UnsupportedVersion,
    /// Not well-formed JSON, XML or tag-value, or not UTF-8.
    Syntax,
    /// Well-formed, but not what the format's schema allows: a missing
    /// required field, a value of the wrong type or outside its enum.
    Invalid,
}

/// Where in the document an error is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// A JSON path (`components[3].version`), an XML element path
    /// (`bom/components/component[2]`) or an SPDX 3 graph path
    /// (`@graph[4].name`).
    pub path: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
}

impl Location {
    pub fn path(path: impl Into<String>) -> Location {
        Location {
            path: Some(path.into()),
            line: None,
            column: None,
        }
    }

    pub fn line(line: usize) -> Location {
        Location {
            path: None,
            line: Some(line),
            column: None,
        }
    }

    pub fn at(line: usize, column: usize) -> Location {
        Location {
            path: None,
            line: Some(line),
            column: Some(column),
        }
    }

    pub(crate) fn with_path(mut self, path: impl Into<String>) -> Location {
        let path = path.into();
        if !path.is_empty() {
            self.path = Some(path);
        }
        self
    }

    /// `line 41 column 18`, `line 12`, or nothing.
    fn position(&self) -> Option<String> {
        match (self.line, self.column) {
            (Some(l), Some(c)) => Some(format!("line {l} column {c}")),
            (Some(l), None) => Some(format!("line {l}")),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.position()) {
            (Some(p), Some(pos)) => write!(f, "{p} at {pos}"),
            (Some(p), None) => f.write_str(p),
            (None, Some(pos)) => f.write_str(&pos),
            (None, None) => Ok(()),
        }
    }
}

/// An SBOM that could not be read.
///
/// Displayed as `CycloneDX JSON: components[3].version: invalid type:
/// integer `1`, expected a string at line 41 column 18`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SbomError {
    pub kind: ErrorKind,
    /// The format being read; `None` when it could not be told.
    pub format: Option<FormatKind>,
    pub location: Location,
    pub message: String,
}

impl SbomError {
    pub(crate) fn new(
        kind: ErrorKind,
        format: Option<FormatKind>,
        message: impl Into<String>,
    ) -> SbomError {
        SbomError {
            kind,
            format,
            location: Location::default(),
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, location: Location) -> SbomError {
        self.location = location;
        self
    }

    pub(crate) fn invalid(
        format: FormatKind,
        location: Location,
        message: impl Into<String>,
    ) -> SbomError {
        SbomError::new(ErrorKind::Invalid, Some(format), message).at(location)
    }
}

impl fmt::Display for SbomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(format) => write!(f, "{format}: ")?,
            None => f.write_str("SBOM: ")?,
        }
        if let Some(path) = &self.location.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(pos) = self.location.position() {
            write!(f, " at {pos}")?;
        }
        Ok(())
    }
}
