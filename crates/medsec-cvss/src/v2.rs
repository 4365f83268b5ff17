//! CVSS v2.0 (FIRST "A Complete Guide to the Common Vulnerability Scoring
//! System Version 2.0", section 3.2): base, temporal and environmental
//! scores.
//!
//! Every constant of the guide has at most three decimals, so the
//! equations are computed exactly, in integers, and rounded to one
//! decimal half away from zero as the guide's `round_to_1_decimal` does
//! (the `cvss` package rounds `Decimal`s the same way); floating point
//! would round 8.55 computed as 8.549999… down.
//!
//! The guide computes the environmental score from an AdjustedTemporal
//! that is the temporal score "recomputed with the BaseScore's Impact
//! sub-equation replaced with the AdjustedImpact equation"; with low
//! security requirements that recomputed base can be negative (−0.2),
//! and the guide does not clamp it: only the final score is kept at 0 or
//! above, as in the `cvss` package.

use std::fmt;

use crate::metric::{self, Group, Metric};
use crate::{ErrorKind, ParseError, Score, Version, v3, v4};

const B: Group = Group::Base;
const T: Group = Group::Temporal;
const E: Group = Group::Environmental;

/// The metrics in the order of the guide's Table 13; `ND` (Not Defined)
/// is listed first for the optional ones.
pub static METRICS: [Metric; 14] = TABLE;

/// Every `metric:value`, for the fast reader.
pub(crate) static LOOKUP: metric::Lookup = metric::Lookup::of(&TABLE);

const TABLE: [Metric; 14] = [
    Metric::new("AV", B, &["L", "A", "N"]),
    Metric::new("AC", B, &["H", "M", "L"]),
    Metric::new("Au", B, &["M", "S", "N"]),
    Metric::new("C", B, &["N", "P", "C"]),
    Metric::new("I", B, &["N", "P", "C"]),
    Metric::new("A", B, &["N", "P", "C"]),
    Metric::new("E", T, &["ND", "U", "POC", "F", "H"]),
    Metric::new("RL", T, &["ND", "OF", "TF", "W", "U"]),
    Metric::new("RC", T, &["ND", "UC", "UR", "C"]),
    Metric::new("CDP", E, &["ND", "N", "L", "LM", "MH", "H"]),
    Metric::new("TD", E, &["ND", "N", "L", "M", "H"]),
    Metric::new("CR", E, &["ND", "L", "M", "H"]),
    Metric::new("IR", E, &["ND", "L", "M", "H"]),
    Metric::new("AR", E, &["ND", "L", "M", "H"]),
];

const AV: usize = 0;
const AC: usize = 1;
const AU: usize = 2;
const C: usize = 3;
const I: usize = 4;
const A: usize = 5;
const EXPLOIT: usize = 6;
const RL: usize = 7;
const RC: usize = 8;
const CDP: usize = 9;
const TD: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;

pub(crate) fn index_of(name: &str) -> Option<usize> {
    Some(match name {
        "AV" => AV,
        "AC" => AC,
        "Au" => AU,
        "C" => C,
        "I" => I,
        "A" => A,
        "E" => EXPLOIT,
        "RL" => RL,
        "RC" => RC,
        "CDP" => CDP,
        "TD" => TD,
        "CR" => CR,
        "IR" => IR,
        "AR" => AR,
        _ => return None,
    })
}

// The guide's constants as integers, by value index: thousandths for AV,
// Au and the impacts, hundredths for AC, the temporal factors, TD and the
// requirements, tenths for CDP.
const W_AV: [i128; 3] = [395, 646, 1000];
const W_AC: [i128; 3] = [35, 61, 71];
const W_AU: [i128; 3] = [450, 560, 704];
const W_CIA: [i128; 3] = [0, 275, 660];
const W_E: [i128; 5] = [100, 85, 90, 95, 100];
const W_RL: [i128; 5] = [100, 87, 90, 95, 100];
const W_RC: [i128; 4] = [100, 90, 95, 100];
const W_CDP: [i128; 6] = [0, 0, 1, 3, 4, 5];
const W_TD: [i128; 5] = [100, 0, 25, 75, 100];
const W_REQ: [i128; 4] = [100, 50, 100, 151];

const E17: i128 = 100_000_000_000_000_000;

/// `n / d` rounded half away from zero (`Decimal`'s ROUND_HALF_UP).
fn round_div(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// The three scores of a v2 vector, computed whether or not the vector
/// defines temporal and environmental metrics; the `cvss` package gives
/// them only when it does (as [`crate::Vector::scores`]), and the
/// environmental one may then differ from the base score, as
/// AdjustedImpact is capped at 10 and Impact is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scores {
    pub base: Score,
    pub temporal: Score,
    pub environmental: Score,
}

/// A parsed CVSS v2.0 vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vector {
    values: [u8; 14],
}

impl Vector {
    /// Parses a v2 vector (no prefix): metrics in any order, as the FIRST
    /// v2.0 JSON schema and the `cvss` package accept them (the guide
    /// writes them "in a predetermined order" but calls no other order
    /// invalid), each at most once, all base metrics given.
    ///
    /// A vector that fails and names a metric of v3.x or v4.0 most likely
    /// lost its `CVSS:` prefix; the error says so
    /// ([`ErrorKind::MissingPrefix`], naming the first such metric).
    pub fn parse(vector: &str) -> Result<Vector, ParseError> {
        match metric::read::<14, false>(Version::V2, vector) {
            Ok(values) => Ok(Vector { values }),
            Err(e) => Err(missing_prefix(vector).unwrap_or(e)),
        }
    }

    /// The value of a metric (`AV` → `N`); `None` when Not Defined.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        metric::get(Version::V2, &self.values, metric)
    }

    /// Whether a temporal metric has a value other than `ND`.
    pub fn has_temporal(&self) -> bool {
        self.values[EXPLOIT..CDP].iter().any(|&v| v != 0)
    }

    /// Whether an environmental metric has a value other than `ND`.
    pub fn has_environmental(&self) -> bool {
        self.values[CDP..].iter().any(|&v| v != 0)
    }

    pub fn scores(&self) -> Scores {
        let v = |m: usize| usize::from(self.values[m]);
        // Impact in units of 10⁻¹⁷: 10.41 × (1 − Π(1 − impact × requirement)),
        // the requirements in hundredths, the impacts in thousandths.
        let impact = |req: [i128; 3]| {
            let remaining = (100_000 - W_CIA[v(C)] * req[0])
                * (100_000 - W_CIA[v(I)] * req[1])
                * (100_000 - W_CIA[v(A)] * req[2]);
            1041 * (1_000_000_000_000_000 - remaining)
        };
        // Exploitability in units of 10⁻⁸.
        let exploitability = 20 * W_AV[v(AV)] * W_AC[v(AC)] * W_AU[v(AU)];
        // The base equation in tenths, for an impact in units of 10⁻¹⁷:
        // round(((0.6 × impact) + (0.4 × exploitability) − 1.5) × f(impact)).
        let base_of = |impact: i128| -> i128 {
            if impact == 0 {
                return 0;
            }
            let sum = 6 * impact + 4 * exploitability * 1_000_000_000 - 15 * E17;
            round_div(sum * 1176, 100_000_000_000_000_000_000)
        };
        let factors = W_E[v(EXPLOIT)] * W_RL[v(RL)] * W_RC[v(RC)];

        let base = base_of(impact([100, 100, 100])).max(0);
        let temporal = round_div(base * factors, 1_000_000);
        let adjusted_impact = impact([W_REQ[v(CR)], W_REQ[v(IR)], W_REQ[v(AR)]]).min(10 * E17);
        let adjusted_temporal = round_div(base_of(adjusted_impact) * factors, 1_000_000);
        let environmental = round_div(
            (adjusted_temporal * 10 + (100 - adjusted_temporal) * W_CDP[v(CDP)]) * W_TD[v(TD)],
            1000,
        );
        let score = |tenths: i128| Score::clamped(i64::try_from(tenths).unwrap_or(0));
        Scores {
            base: score(base),
            temporal: score(temporal),
            environmental: score(environmental),
        }
    }
}

/// The first metric of v3.x or v4.0 but not v2 in a vector, as an error.
fn missing_prefix(vector: &str) -> Option<ParseError> {
    let mut offset = 0;
    for part in vector.split('/') {
        let name = part.split_once(':').map_or(part, |(name, _)| name);
        if index_of(name).is_none()
            && (v3::index_of(name).is_some() || v4::index_of(name).is_some())
        {
            return Some(ParseError {
                kind: ErrorKind::MissingPrefix {
                    metric: name.to_owned(),
                },
                offset,
            });
        }
        offset += part.len() + 1;
    }
    None
}

/// The normalised vector (see [`crate::Vector`]'s `Display`).
impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        metric::write(f, Version::V2, &self.values)
    }
}
