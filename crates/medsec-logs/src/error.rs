//! Parse errors: what went wrong, at which byte of the message, and a short
//! sample of the text there, so receivers can count and show them.

use std::fmt;

use crate::text;

/// What was wrong with a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// Nothing but whitespace (or nothing at all) was received.
    #[error("empty message")]
    Empty,
    /// The `<PRI>` part is not 1 to 3 digits up to 191 closed by `>`.
    #[error("invalid PRI")]
    Pri,
    /// RFC 5424 needs a version number after the PRI.
    #[error("missing or invalid syslog version")]
    Version,
    /// A timestamp the format requires is missing or invalid.
    #[error("invalid timestamp")]
    Timestamp,
    /// A header field of a syslog message is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// RFC 5424 structured data is malformed.
    #[error("invalid structured data: {0}")]
    StructuredData(&'static str),
    /// A CEF line is malformed.
    #[error("invalid CEF: {0}")]
    Cef(&'static str),
    /// A LEEF line is malformed.
    #[error("invalid LEEF: {0}")]
    Leef(&'static str),
    /// A JSON line does not parse; the message is serde_json's.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A line is not in the shape the configured decoder reads.
    #[error("{format}: {what}")]
    Format {
        /// The decoder, as [`Format`](crate::Format) names it.
        format: &'static str,
        /// What was expected at the position.
        what: &'static str,
    },
    /// The source names a custom decoder that does not exist.
    #[error("no decoder named {0:?}")]
    UnknownDecoder(String),
    /// A custom decoder recognised the line but its pattern did not match.
    #[error("decoder {0:?}: the pattern does not match")]
    NoMatch(String),
}

/// A message, or part of one, that could not be read.
///
/// `offset` is a byte offset into the message as received (for invalid
/// UTF-8, into the original bytes), never past its end; `sample` is up to
/// [`ParseError::SAMPLE_CHARS`] characters of the message from there (or
/// from shortly before, at the end), for the analyst's parse-error list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub offset: usize,
    pub sample: String,
}

impl ParseError {
    /// How many characters of the message a sample holds at most.
    pub const SAMPLE_CHARS: usize = 40;

    /// An error at `offset`, without a sample yet.
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> ParseError {
        ParseError {
            kind,
            offset,
            sample: String::new(),
        }
    }

    /// Moves the offset from a part of the message to the whole.
    pub(crate) fn shifted(mut self, base: usize) -> ParseError {
        self.offset += base;
        self
    }

    /// Clamps the offset to the message and takes the sample from it.
    pub(crate) fn with_sample(mut self, message: &str) -> ParseError {
        self.offset = text::floor_char_boundary(message, self.offset.min(message.len()));
        let rest = text::tail(message, self.offset);
        let start = if rest.trim().is_empty() {
            // At the end of the message: show what came before instead.
            let mut start = self.offset;
            for (i, _) in message.char_indices().rev() {
                if i < self.offset && self.offset - i <= Self::SAMPLE_CHARS {
                    start = i;
                } else if i < self.offset {
                    break;
                }
            }
            start
        } else {
            self.offset
        };
        self.sample = text::tail(message, start)
            .chars()
            .take(Self::SAMPLE_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if !self.sample.is_empty() {
            write!(f, " near {:?}", self.sample)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// The result type of the parsers.
pub type Result<T, E = ParseError> = std::result::Result<T, E>;
