//! Why a string is not a CVSS vector, with the metric and where.

use crate::Version;

/// A vector string that cannot be used: what is wrong ([`ErrorKind`],
/// naming the metric) and where, as the byte offset of the offending
/// `metric:value` in the string (its length when something is missing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset})")]
pub struct ParseError {
    pub kind: ErrorKind,
    pub offset: usize,
}

impl ParseError {
    /// The metric the error is about, when it is about one (the first
    /// missing one when several are missing).
    pub fn metric(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::UnknownMetric { metric, .. } | ErrorKind::MissingPrefix { metric } => {
                Some(metric)
            }
            ErrorKind::UnknownValue { metric, .. }
            | ErrorKind::Duplicate { metric }
            | ErrorKind::OutOfOrder { metric, .. } => Some(metric),
            ErrorKind::Missing { metrics } => metrics.first().copied(),
            ErrorKind::Empty
            | ErrorKind::WrongPrefix { .. }
            | ErrorKind::UnknownVersion { .. }
            | ErrorKind::Malformed { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("the vector is empty")]
    Empty,
    /// A version's own parser given a vector of another version.
    #[error("the vector does not start with `{expected}`")]
    WrongPrefix { expected: &'static str },
    /// A `CVSS:` prefix with a version other than 3.0, 3.1 and 4.0.
    #[error(
        "`{prefix}` is not a supported CVSS version (CVSS:3.0, CVSS:3.1, CVSS:4.0, or v2.0 without a prefix)"
    )]
    UnknownVersion { prefix: String },
    /// A vector without prefix, read as v2, that names a metric of v3.x
    /// or v4.0.
    #[error("no `CVSS:3.x/` or `CVSS:4.0/` prefix, and `{metric}` is not a CVSS v2.0 metric")]
    MissingPrefix { metric: String },
    /// Not `metric:value`: an empty part (`//`, a trailing `/`), no colon
    /// or more than one.
    #[error("`{component}` is not a metric:value pair")]
    Malformed { component: String },
    #[error("`{metric}` is not a CVSS v{version} metric")]
    UnknownMetric { version: Version, metric: String },
    #[error("`{value}` is not a value of {metric} (one of {})", expected.join(", "))]
    UnknownValue {
        metric: &'static str,
        value: String,
        expected: &'static [&'static str],
    },
    #[error("{metric} is given more than once")]
    Duplicate { metric: &'static str },
    /// CVSS v4.0 only, whose specification makes any other order invalid.
    #[error(
        "{metric} must come before {after}: CVSS v4.0 metrics must be in the order of its specification"
    )]
    OutOfOrder {
        metric: &'static str,
        after: &'static str,
    },
    #[error("missing mandatory metric{}: {}", if metrics.len() == 1 { "" } else { "s" }, metrics.join(", "))]
    Missing { metrics: Vec<&'static str> },
}
