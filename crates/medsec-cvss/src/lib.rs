//! CVSS vectors of versions 2.0, 3.0, 3.1 and 4.0 without IO: parsing
//! with errors that name the metric and its position, the scores of every
//! metric group, qualitative severities and normalised vectors.
//!
//! The scores are those of the FIRST calculators, checked against the
//! PyPI `cvss` package (Red Hat's implementation of them) on 100,000
//! random vectors per version (`tests/it/conformance.rs`):
//!
//! - v2.0 ([`v2`]): base, temporal and environmental scores of the CVSS
//!   v2 guide, computed exactly in integers and rounded half up.
//! - v3.0 and v3.1 ([`v3`]): base, temporal and environmental scores;
//!   both round up with the integer Roundup of the v3.1 Appendix A, which
//!   equals the exact ceiling both specifications define on every value
//!   their formulas can produce (see [`v3::Rounding`]).
//! - v4.0 ([`v4`]): the MacroVector lookup table and the severity
//!   distance interpolation of the FIRST reference calculator, for the
//!   base (CVSS-B), threat (CVSS-BT) and environmental (CVSS-BE,
//!   CVSS-BTE) nomenclatures; supplemental metrics are parsed and kept but
//!   do not change a score.
//!
//! Vectors are parsed without allocating and scored without allocating;
//! only errors and normalised strings allocate.
//!
//! ```
//! let v = medsec_cvss::Vector::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:X")?;
//! let scores = v.scores();
//! assert_eq!(scores.base.to_string(), "9.8");
//! assert_eq!(scores.temporal.map(|s| s.to_string()).as_deref(), Some("9.3"));
//! assert_eq!(v.severity(scores.base), medsec_cvss::Severity::Critical);
//! assert_eq!(v.to_string(), "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P");
//! # Ok::<(), medsec_cvss::ParseError>(())
//! ```

mod error;
mod metric;
pub mod random;
pub mod v2;
pub mod v3;
pub mod v4;

use std::fmt;

pub use error::{ErrorKind, ParseError};
pub use metric::{Component, Group, Metric, components};

/// A CVSS version, as written in vectors and in the FIRST JSON schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Version {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4,
}

impl Version {
    pub const ALL: [Version; 4] = [Version::V2, Version::V3_0, Version::V3_1, Version::V4];

    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2 => "2.0",
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
            Version::V4 => "4.0",
        }
    }

    /// What a vector of this version starts with: `CVSS:3.1/`; nothing
    /// for v2, whose vectors have no prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Version::V2 => "",
            Version::V3_0 => "CVSS:3.0/",
            Version::V3_1 => "CVSS:3.1/",
            Version::V4 => "CVSS:4.0/",
        }
    }

    /// The metrics of this version in the order of its specification's
    /// vector table.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Version::V2 => &v2::METRICS,
            Version::V3_0 | Version::V3_1 => &v3::METRICS,
            Version::V4 => &v4::METRICS,
        }
    }

    /// The qualitative rating of a score on this version's scale: v2 has
    /// low (0.0–3.9), medium and high (the NVD's scale, as v2 defines
    /// none); v3.x and v4.0 add none (0.0) and critical (9.0–10.0).
    pub fn severity(self, score: Score) -> Severity {
        match (self, score.tenths()) {
            (Version::V2, 0..=39) => Severity::Low,
            (Version::V2, 40..=69) => Severity::Medium,
            (Version::V2, _) => Severity::High,
            (_, 0) => Severity::None,
            (_, 1..=39) => Severity::Low,
            (_, 40..=69) => Severity::Medium,
            (_, 70..=89) => Severity::High,
            (_, _) => Severity::Critical,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A qualitative severity rating (CVSS v3.x Table 14, v4.0 Table 22; v2
/// uses only low, medium and high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// `none`, `low`, `medium`, `high` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A score from 0.0 to 10.0, kept in tenths so that it is exact;
/// serialised as a JSON number (`9.8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(u8);

impl Score {
    pub const MAX: Score = Score(100);

    /// The score of `tenths` tenths; `None` above 10.0.
    pub fn from_tenths(tenths: u8) -> Option<Score> {
        (tenths <= 100).then_some(Score(tenths))
    }

    /// A score from a computation that keeps it within 0..=100 tenths.
    pub(crate) fn clamped(tenths: i64) -> Score {
        Score(u8::try_from(tenths.clamp(0, 100)).unwrap_or(100))
    }

    pub fn tenths(self) -> u8 {
        self.0
    }

    /// The score as a number: the double nearest to it, as `9.8` is.
    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl serde::Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value())
    }
}

/// The scores of a vector, by metric group. A group's score is given
/// when the vector defines at least one of its metrics (a value other
/// than `X`, or `ND` in v2), as the FIRST calculators show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Scores {
    /// The base score (CVSS-B for v4.0: threat and environmental metrics
    /// left out).
    pub base: Score,
    /// v2 and v3.x: the temporal score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<Score>,
    /// v4.0: CVSS-BT, the score with the threat metric and without the
    /// environmental ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threat: Option<Score>,
    /// The environmental score; v4.0: CVSS-BE, or CVSS-BTE when the
    /// threat metric is given too (the score of the whole vector).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental: Option<Score>,
}

/// A parsed vector of any supported version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vector {
    V2(v2::Vector),
    V3(v3::Vector),
    V4(v4::Vector),
}

impl Vector {
    /// Parses a vector string: `CVSS:3.0/…`, `CVSS:3.1/…`, `CVSS:4.0/…`,
    /// or a v2 vector, which has no prefix (`AV:N/AC:L/Au:N/…`).
    ///
    /// Metrics are case-sensitive; v2, v3.0 and v3.1 accept them in any
    /// order, v4.0 only in the order of its specification's Table 23
    /// ("every other ordering is invalid"). Each metric may appear once,
    /// and every base metric must.
    pub fn parse(vector: &str) -> Result<Vector, ParseError> {
        match vector.as_bytes().get(..9) {
            Some(b"CVSS:3.0/" | b"CVSS:3.1/") => return v3::Vector::parse(vector).map(Vector::V3),
            Some(b"CVSS:4.0/") => return v4::Vector::parse(vector).map(Vector::V4),
            _ => {}
        }
        if vector.starts_with("CVSS:") {
            let prefix = vector.split('/').next().unwrap_or(vector);
            match prefix {
                "CVSS:3.0" | "CVSS:3.1" => v3::Vector::parse(vector).map(Vector::V3),
                "CVSS:4.0" => v4::Vector::parse(vector).map(Vector::V4),
                _ => Err(ParseError {
                    kind: ErrorKind::UnknownVersion {
                        prefix: prefix.to_owned(),
                    },
                    offset: 0,
                }),
            }
        } else {
            v2::Vector::parse(vector).map(Vector::V2)
        }
    }

    pub fn version(&self) -> Version {
        match self {
            Vector::V2(_) => Version::V2,
            Vector::V3(v) => v.version(),
            Vector::V4(_) => Version::V4,
        }
    }

    /// The scores of the groups the vector defines (see [`Scores`]).
    pub fn scores(&self) -> Scores {
        match self {
            Vector::V2(v) => {
                let s = v.scores();
                Scores {
                    base: s.base,
                    temporal: v.has_temporal().then_some(s.temporal),
                    threat: None,
                    environmental: v.has_environmental().then_some(s.environmental),
                }
            }
            Vector::V3(v) => {
                let s = v.scores();
                Scores {
                    base: s.base,
                    temporal: v.has_temporal().then_some(s.temporal),
                    threat: None,
                    environmental: v.has_environmental().then_some(s.environmental),
                }
            }
            Vector::V4(v) => {
                let s = v.scores();
                Scores {
                    base: s.base,
                    threat: v.has_threat().then_some(s.threat),
                    temporal: None,
                    environmental: v.has_environmental().then_some(s.environmental),
                }
            }
        }
    }

    /// The base score alone.
    pub fn base_score(&self) -> Score {
        match self {
            Vector::V2(v) => v.scores().base,
            Vector::V3(v) => v.scores().base,
            Vector::V4(v) => v.base_score(),
        }
    }

    /// The qualitative rating of a score of this vector's version.
    pub fn severity(&self, score: Score) -> Severity {
        self.version().severity(score)
    }

    /// The value a metric has, by its abbreviation (`AV` → `N`); `None`
    /// when the vector leaves it not defined or the version has no such
    /// metric.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        match self {
            Vector::V2(v) => v.get(metric),
            Vector::V3(v) => v.get(metric),
            Vector::V4(v) => v.get(metric),
        }
    }
}

impl std::str::FromStr for Vector {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Vector, ParseError> {
        Vector::parse(s)
    }
}

/// The normalised vector: the prefix, then every defined metric in the
/// order of the specification's vector table; metrics whose value is
/// Not Defined (`X`, `ND`) are left out, as the FIRST calculators and the
/// `cvss` package write vectors.
impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vector::V2(v) => v.fmt(f),
            Vector::V3(v) => v.fmt(f),
            Vector::V4(v) => v.fmt(f),
        }
    }
}
