//! CVSS v3.0 and v3.1 (FIRST specification documents, sections 6 and 7):
//! base, temporal and environmental scores.
//!
//! The two versions share metrics and formulas except the modified
//! impact of a changed modified scope, whose exponent term is
//! `(MISS - 0.02)^15` in v3.0 and `(MISS × 0.9731 - 0.02)^13` in v3.1.
//!
//! Both define Roundup as the smallest number with one decimal that is
//! equal to or higher than its input; v3.1 adds, in its Appendix A, an
//! integer Roundup that first rounds to five decimals so that
//! floating-point noise (4.000000000000001 for an exact 4.0) does not
//! round up. Over every value the formulas can produce (all base
//! metric combinations, all combinations the modified impact and
//! exploitability depend on, and every one-decimal score times every
//! temporal factor) the nearest one above a multiple of 0.1 without being
//! one is 2.6 × 10⁻⁵ above it, more than the 5 × 10⁻⁶ Appendix A rounds
//! away, so Appendix A's Roundup on doubles gives the exact ceiling for
//! both versions; this is [`Rounding::Exact`]. The FIRST v3.0 calculator
//! used a plain floating-point ceiling instead, whose noise makes some
//! scores 0.1 higher; [`Rounding::FloatCeiling`] reproduces it for
//! checking scores published that way.

use std::fmt;

use crate::metric::{self, Group, Metric};
use crate::{ParseError, Score, Version};

const B: Group = Group::Base;
const T: Group = Group::Temporal;
const E: Group = Group::Environmental;

/// The metrics in the order of Table 15. The values of the modified
/// metrics follow `X` in the order of their base metric's values, so that
/// a modified value `k` is the base value `k - 1`.
pub static METRICS: [Metric; 22] = TABLE;

/// Every `metric:value`, for the fast reader.
pub(crate) static LOOKUP: metric::Lookup = metric::Lookup::of(&TABLE);

const TABLE: [Metric; 22] = [
    Metric::new("AV", B, &["N", "A", "L", "P"]),
    Metric::new("AC", B, &["L", "H"]),
    Metric::new("PR", B, &["N", "L", "H"]),
    Metric::new("UI", B, &["N", "R"]),
    Metric::new("S", B, &["U", "C"]),
    Metric::new("C", B, &["H", "L", "N"]),
    Metric::new("I", B, &["H", "L", "N"]),
    Metric::new("A", B, &["H", "L", "N"]),
    Metric::new("E", T, &["X", "H", "F", "P", "U"]),
    Metric::new("RL", T, &["X", "U", "W", "T", "O"]),
    Metric::new("RC", T, &["X", "C", "R", "U"]),
    Metric::new("CR", E, &["X", "H", "M", "L"]),
    Metric::new("IR", E, &["X", "H", "M", "L"]),
    Metric::new("AR", E, &["X", "H", "M", "L"]),
    Metric::new("MAV", E, &["X", "N", "A", "L", "P"]),
    Metric::new("MAC", E, &["X", "L", "H"]),
    Metric::new("MPR", E, &["X", "N", "L", "H"]),
    Metric::new("MUI", E, &["X", "N", "R"]),
    Metric::new("MS", E, &["X", "U", "C"]),
    Metric::new("MC", E, &["X", "H", "L", "N"]),
    Metric::new("MI", E, &["X", "H", "L", "N"]),
    Metric::new("MA", E, &["X", "H", "L", "N"]),
];

const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const EXPLOIT: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
const MAV: usize = 14;
const MAC: usize = 15;
const MPR: usize = 16;
const MUI: usize = 17;
const MS: usize = 18;
const MC: usize = 19;
const MI: usize = 20;
const MA: usize = 21;

pub(crate) fn index_of(name: &str) -> Option<usize> {
    Some(match name {
        "AV" => AV,
        "AC" => AC,
        "PR" => PR,
        "UI" => UI,
        "S" => S,
        "C" => C,
        "I" => I,
        "A" => A,
        "E" => EXPLOIT,
        "RL" => RL,
        "RC" => RC,
        "CR" => CR,
        "IR" => IR,
        "AR" => AR,
        "MAV" => MAV,
        "MAC" => MAC,
        "MPR" => MPR,
        "MUI" => MUI,
        "MS" => MS,
        "MC" => MC,
        "MI" => MI,
        "MA" => MA,
        _ => return None,
    })
}

// The constants of Table 16, by value index.
const W_AV: [f64; 4] = [0.85, 0.62, 0.55, 0.2];
const W_AC: [f64; 2] = [0.77, 0.44];
const W_PR_UNCHANGED: [f64; 3] = [0.85, 0.62, 0.27];
const W_PR_CHANGED: [f64; 3] = [0.85, 0.68, 0.5];
const W_UI: [f64; 2] = [0.85, 0.62];
const W_CIA: [f64; 3] = [0.56, 0.22, 0.0];
const W_E: [f64; 5] = [1.0, 1.0, 0.97, 0.94, 0.91];
const W_RL: [f64; 5] = [1.0, 1.0, 0.97, 0.96, 0.95];
const W_RC: [f64; 4] = [1.0, 1.0, 0.96, 0.92];
const W_REQ: [f64; 4] = [1.0, 1.5, 1.0, 0.5];

/// How scores are rounded up to one decimal (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// The exact ceiling of both specifications, as the v3.1 Appendix A
    /// Roundup computes it.
    Exact,
    /// `ceil(x × 10) / 10` on doubles, as the FIRST v3.0 calculator
    /// computed it, noise included.
    FloatCeiling,
}

/// Appendix A of CVSS v3.1: round to five decimals as an integer, then up
/// to one decimal; in tenths.
fn roundup(x: f64) -> i64 {
    // x ≥ 0: adding a half and truncating rounds half up, without the
    // libm call `round` is on baseline x86-64.
    let int = (x * 100_000.0 + 0.5) as i64;
    if int % 10_000 == 0 {
        int / 10_000
    } else {
        int / 10_000 + 1
    }
}

/// `x`¹⁵ and `x`¹³ by squaring (`powi` is a call); a last-bit difference
/// is far below what rounding could notice (see the module docs).
fn pow15(x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    x4 * x4 * x4 * x2 * x
}

fn pow13(x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    x4 * x4 * x4 * x
}

fn float_ceiling(x: f64) -> i64 {
    (x * 10.0).ceil() as i64
}

/// The three scores of a v3.x vector. The FIRST calculators and the
/// `cvss` package compute all three for every vector; metrics left Not
/// Defined count as the specification says (temporal factors 1, security
/// requirements Medium, modified metrics their base value), so that the
/// environmental score of a vector without environmental metrics may
/// differ from its base score (v3.1's modified impact formula is not the
/// base one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scores {
    pub base: Score,
    pub temporal: Score,
    pub environmental: Score,
}

/// A parsed CVSS v3.0 or v3.1 vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vector {
    v31: bool,
    values: [u8; 22],
}

impl Vector {
    /// Parses `CVSS:3.0/…` or `CVSS:3.1/…`: metrics in any order (v3.1
    /// section 6: "Programs reading CVSS v3.1 vector strings must accept
    /// metrics in any order"), each at most once, all base metrics given.
    pub fn parse(vector: &str) -> Result<Vector, ParseError> {
        let version = if vector.starts_with("CVSS:3.0/") {
            Version::V3_0
        } else {
            Version::V3_1
        };
        Ok(Vector {
            v31: version == Version::V3_1,
            values: metric::read::<22, false>(version, vector)?,
        })
    }

    pub fn version(&self) -> Version {
        if self.v31 {
            Version::V3_1
        } else {
            Version::V3_0
        }
    }

    /// The value of a metric (`AV` → `N`); `None` when Not Defined.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        metric::get(self.version(), &self.values, metric)
    }

    /// Whether a temporal metric has a value other than `X`.
    pub fn has_temporal(&self) -> bool {
        self.values[EXPLOIT..CR].iter().any(|&v| v != 0)
    }

    /// Whether an environmental metric has a value other than `X`.
    pub fn has_environmental(&self) -> bool {
        self.values[CR..].iter().any(|&v| v != 0)
    }

    /// The scores, rounded exactly.
    pub fn scores(&self) -> Scores {
        self.scores_with(Rounding::Exact)
    }

    /// The scores with a chosen rounding (see [`Rounding`]).
    pub fn scores_with(&self, rounding: Rounding) -> Scores {
        let round: fn(f64) -> i64 = match rounding {
            Rounding::Exact => roundup,
            Rounding::FloatCeiling => float_ceiling,
        };
        let v = |m: usize| usize::from(self.values[m]);
        // A modified metric's value, or its base metric's when Not Defined.
        let modified = |m: usize, base: usize| match self.values[m] {
            0 => v(base),
            k => usize::from(k) - 1,
        };
        let tenths = |t: i64| t as f64 / 10.0;

        let changed = v(S) == 1;
        let iss = 1.0 - (1.0 - W_CIA[v(C)]) * (1.0 - W_CIA[v(I)]) * (1.0 - W_CIA[v(A)]);
        let impact = if changed {
            7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02)
        } else {
            6.42 * iss
        };
        let w_pr = if changed {
            W_PR_CHANGED
        } else {
            W_PR_UNCHANGED
        };
        let exploitability = 8.22 * W_AV[v(AV)] * W_AC[v(AC)] * w_pr[v(PR)] * W_UI[v(UI)];
        let base = if impact <= 0.0 {
            0
        } else if changed {
            round((1.08 * (impact + exploitability)).min(10.0))
        } else {
            round((impact + exploitability).min(10.0))
        };

        let (e, rl, rc) = (W_E[v(EXPLOIT)], W_RL[v(RL)], W_RC[v(RC)]);
        let temporal = round(tenths(base) * e * rl * rc);

        let m_changed = modified(MS, S) == 1;
        let miss = (1.0
            - (1.0 - W_REQ[v(CR)] * W_CIA[modified(MC, C)])
                * (1.0 - W_REQ[v(IR)] * W_CIA[modified(MI, I)])
                * (1.0 - W_REQ[v(AR)] * W_CIA[modified(MA, A)]))
        .min(0.915);
        let m_impact = if !m_changed {
            6.42 * miss
        } else if self.v31 {
            7.52 * (miss - 0.029) - 3.25 * pow13(miss * 0.9731 - 0.02)
        } else {
            7.52 * (miss - 0.029) - 3.25 * pow15(miss - 0.02)
        };
        let w_mpr = if m_changed {
            W_PR_CHANGED
        } else {
            W_PR_UNCHANGED
        };
        let m_exploitability = 8.22
            * W_AV[modified(MAV, AV)]
            * W_AC[modified(MAC, AC)]
            * w_mpr[modified(MPR, PR)]
            * W_UI[modified(MUI, UI)];
        let environmental = if m_impact <= 0.0 {
            0
        } else {
            let factor = if m_changed { 1.08 } else { 1.0 };
            let modified = round((factor * (m_impact + m_exploitability)).min(10.0));
            round(tenths(modified) * e * rl * rc)
        };
        Scores {
            base: Score::clamped(base),
            temporal: Score::clamped(temporal),
            environmental: Score::clamped(environmental),
        }
    }
}

/// The normalised vector (see [`crate::Vector`]'s `Display`).
impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        metric::write(f, self.version(), &self.values)
    }
}
