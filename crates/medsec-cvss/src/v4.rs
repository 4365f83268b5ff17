//! CVSS v4.0 (FIRST specification document, sections 7 and 8): the
//! score of a vector from its MacroVector's score in the lookup table,
//! lowered by the mean proportional severity distance to the next lower
//! MacroVectors, as the FIRST reference calculator (`cvss_score.js`)
//! computes it.
//!
//! The computation follows the calculator step by step in doubles, in
//! the same order, so that its floating-point results are the same: the
//! severity levels are the calculator's 0.0, 0.1, 0.2 and 0.3, and the
//! result is rounded half up after adding 10⁻⁶, as the current calculator
//! (`cvss40.js`, `roundToDecimalPlaces`) and the `cvss` package do
//! against representation errors (8.6 − 7.15 = 1.4499999999999993). Of
//! two next lower MacroVectors for EQ3+EQ6 the higher score counts; a
//! missing one is left out of the mean.
//!
//! One vector has up to three scores: CVSS-B (threat and environmental
//! metrics left Not Defined), CVSS-BT (with the threat metric) and
//! CVSS-BE or CVSS-BTE (the whole vector). Supplemental metrics change
//! no score.

mod lookup;

use std::fmt;

use crate::metric::{self, Group, Metric};
use crate::{ParseError, Score, Version};

const B: Group = Group::Base;
const T: Group = Group::Threat;
const E: Group = Group::Environmental;
const S: Group = Group::Supplemental;

/// The metrics in the order of Table 23, which vectors must follow. The
/// values of the modified impact metrics follow `X` in the order of their
/// base metric's (`H`, `L`, `N`; then `S` for MSI and MSA), so that a
/// modified value `k` is the base value `k - 1`.
pub static METRICS: [Metric; 32] = TABLE;

/// Every `metric:value`, for the fast reader.
pub(crate) static LOOKUP: metric::Lookup = metric::Lookup::of(&TABLE);

const TABLE: [Metric; 32] = [
    Metric::new("AV", B, &["N", "A", "L", "P"]),
    Metric::new("AC", B, &["L", "H"]),
    Metric::new("AT", B, &["N", "P"]),
    Metric::new("PR", B, &["N", "L", "H"]),
    Metric::new("UI", B, &["N", "P", "A"]),
    Metric::new("VC", B, &["H", "L", "N"]),
    Metric::new("VI", B, &["H", "L", "N"]),
    Metric::new("VA", B, &["H", "L", "N"]),
    Metric::new("SC", B, &["H", "L", "N"]),
    Metric::new("SI", B, &["H", "L", "N"]),
    Metric::new("SA", B, &["H", "L", "N"]),
    Metric::new("E", T, &["X", "A", "P", "U"]),
    Metric::new("CR", E, &["X", "H", "M", "L"]),
    Metric::new("IR", E, &["X", "H", "M", "L"]),
    Metric::new("AR", E, &["X", "H", "M", "L"]),
    Metric::new("MAV", E, &["X", "N", "A", "L", "P"]),
    Metric::new("MAC", E, &["X", "L", "H"]),
    Metric::new("MAT", E, &["X", "N", "P"]),
    Metric::new("MPR", E, &["X", "N", "L", "H"]),
    Metric::new("MUI", E, &["X", "N", "P", "A"]),
    Metric::new("MVC", E, &["X", "H", "L", "N"]),
    Metric::new("MVI", E, &["X", "H", "L", "N"]),
    Metric::new("MVA", E, &["X", "H", "L", "N"]),
    Metric::new("MSC", E, &["X", "H", "L", "N"]),
    Metric::new("MSI", E, &["X", "H", "L", "N", "S"]),
    Metric::new("MSA", E, &["X", "H", "L", "N", "S"]),
    Metric::new("S", S, &["X", "N", "P"]),
    Metric::new("AU", S, &["X", "N", "Y"]),
    Metric::new("R", S, &["X", "A", "U", "I"]),
    Metric::new("V", S, &["X", "D", "C"]),
    Metric::new("RE", S, &["X", "L", "M", "H"]),
    Metric::new("U", S, &["X", "Clear", "Green", "Amber", "Red"]),
];

const AV: usize = 0;
const AC: usize = 1;
const AT: usize = 2;
const PR: usize = 3;
const UI: usize = 4;
const VC: usize = 5;
const VI: usize = 6;
const VA: usize = 7;
const SC: usize = 8;
const SI: usize = 9;
const SA: usize = 10;
const EXPLOIT: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
const MAV: usize = 15;
const MAC: usize = 16;
const MAT: usize = 17;
const MPR: usize = 18;
const MUI: usize = 19;
const MVC: usize = 20;
const MVI: usize = 21;
const MVA: usize = 22;
const MSC: usize = 23;
const MSI: usize = 24;
const MSA: usize = 25;
const SAFETY: usize = 26;
const AU: usize = 27;
const R: usize = 28;
const V: usize = 29;
const RE: usize = 30;
const U: usize = 31;

/// MSI's and MSA's value `S` (Safety).
const SAFETY_VALUE: u8 = 4;

pub(crate) fn index_of(name: &str) -> Option<usize> {
    Some(match name {
        "AV" => AV,
        "AC" => AC,
        "AT" => AT,
        "PR" => PR,
        "UI" => UI,
        "VC" => VC,
        "VI" => VI,
        "VA" => VA,
        "SC" => SC,
        "SI" => SI,
        "SA" => SA,
        "E" => EXPLOIT,
        "CR" => CR,
        "IR" => IR,
        "AR" => AR,
        "MAV" => MAV,
        "MAC" => MAC,
        "MAT" => MAT,
        "MPR" => MPR,
        "MUI" => MUI,
        "MVC" => MVC,
        "MVI" => MVI,
        "MVA" => MVA,
        "MSC" => MSC,
        "MSI" => MSI,
        "MSA" => MSA,
        "S" => SAFETY,
        "AU" => AU,
        "R" => R,
        "V" => V,
        "RE" => RE,
        "U" => U,
        _ => return None,
    })
}

/// The calculator's severity levels; a metric's level `k` is `LEVEL[k]`.
const LEVEL: [f64; 4] = [0.0, 0.1, 0.2, 0.3];

/// The metric values a score depends on, as severity levels (0 is the
/// most severe): AV N 0 … P 3, PR and UI 0–2, AC and AT 0–1, VC, VI and
/// VA H 0 … N 2, SC H 1 … N 3, SI and SA S 0 … N 3, CR, IR and AR H 0 …
/// L 2, E A 0 … U 2. Modified metrics replace their base metric; Not
/// Defined requirements count as High and a Not Defined threat as
/// Attacked, the worst case.
#[derive(Debug, Clone, Copy)]
struct Levels {
    av: u8,
    pr: u8,
    ui: u8,
    ac: u8,
    at: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    cr: u8,
    ir: u8,
    ar: u8,
    e: u8,
}

/// The three scores of a v4.0 vector (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scores {
    /// CVSS-B.
    pub base: Score,
    /// CVSS-BT; the base score when the threat metric is not defined.
    pub threat: Score,
    /// CVSS-BE or CVSS-BTE: the score of the whole vector.
    pub environmental: Score,
}

/// A parsed CVSS v4.0 vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vector {
    values: [u8; 32],
}

impl Vector {
    /// Parses `CVSS:4.0/…`: metrics in the order of Table 23 (section 7:
    /// "every other ordering is invalid"), each at most once, all base
    /// metrics given.
    pub fn parse(vector: &str) -> Result<Vector, ParseError> {
        Ok(Vector {
            values: metric::read::<32, true>(Version::V4, vector)?,
        })
    }

    /// The value of a metric (`AV` → `N`); `None` when Not Defined.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        metric::get(Version::V4, &self.values, metric)
    }

    /// Whether the threat metric (E) has a value other than `X`.
    pub fn has_threat(&self) -> bool {
        self.values[EXPLOIT] != 0
    }

    /// Whether an environmental metric has a value other than `X`.
    pub fn has_environmental(&self) -> bool {
        self.values[CR..=MSA].iter().any(|&v| v != 0)
    }

    /// Whether a supplemental metric has a value other than `X`.
    pub fn has_supplemental(&self) -> bool {
        self.values[SAFETY..].iter().any(|&v| v != 0)
    }

    /// The name of the vector's score (section 8.5): `CVSS-B`, `CVSS-BT`,
    /// `CVSS-BE` or `CVSS-BTE`.
    pub fn nomenclature(&self) -> &'static str {
        match (self.has_threat(), self.has_environmental()) {
            (false, false) => "CVSS-B",
            (true, false) => "CVSS-BT",
            (false, true) => "CVSS-BE",
            (true, true) => "CVSS-BTE",
        }
    }

    /// The score of the whole vector, named by [`Vector::nomenclature`].
    pub fn score(&self) -> Score {
        score(&self.levels(true, true))
    }

    /// CVSS-B, the score of the base metrics alone.
    pub fn base_score(&self) -> Score {
        score(&self.levels(false, false))
    }

    pub fn scores(&self) -> Scores {
        let base = self.base_score();
        let threat = if self.has_threat() {
            score(&self.levels(true, false))
        } else {
            base
        };
        let environmental = if self.has_environmental() {
            self.score()
        } else {
            threat
        };
        Scores {
            base,
            threat,
            environmental,
        }
    }

    /// The levels the score depends on, with or without the threat and
    /// the environmental metrics.
    fn levels(&self, threat: bool, environmental: bool) -> Levels {
        let v = &self.values;
        // A modified metric's value, or its base metric's when Not Defined.
        let m = |modified: usize, base: usize| match v[modified] {
            k if environmental && k != 0 => k - 1,
            _ => v[base],
        };
        let subsequent = |modified: usize, base: usize| {
            if environmental && v[modified] == SAFETY_VALUE {
                0
            } else {
                m(modified, base) + 1
            }
        };
        // Requirements X 0, H 1, M 2, L 3 count as H 0, H 0, M 1, L 2.
        let requirement = |r: usize| {
            if environmental {
                v[r].saturating_sub(1)
            } else {
                0
            }
        };
        Levels {
            av: m(MAV, AV),
            pr: m(MPR, PR),
            ui: m(MUI, UI),
            ac: m(MAC, AC),
            at: m(MAT, AT),
            vc: m(MVC, VC),
            vi: m(MVI, VI),
            va: m(MVA, VA),
            sc: m(MSC, SC) + 1,
            si: subsequent(MSI, SI),
            sa: subsequent(MSA, SA),
            cr: requirement(CR),
            ir: requirement(IR),
            ar: requirement(AR),
            // E X 0, A 1, P 2, U 3 count as A 0, A 0, P 1, U 2.
            e: if threat {
                v[EXPLOIT].saturating_sub(1)
            } else {
                0
            },
        }
    }
}

/// The score of MacroVector `eq` in the lookup table; NaN when there is
/// no such MacroVector, as the calculator's lookup gives `undefined`.
fn lookup(eq: [u8; 6]) -> f64 {
    match lookup::index(eq).and_then(|i| lookup::SCORES.get(i)) {
        Some(&tenths) if tenths != lookup::NO => f64::from(tenths) / 10.0,
        _ => f64::NAN,
    }
}

/// `eq` with one level lowered (one added).
fn lower(mut eq: [u8; 6], which: &[usize]) -> [u8; 6] {
    for &i in which {
        if let Some(level) = eq.get_mut(i) {
            *level += 1;
        }
    }
    eq
}

/// The first of `maxes` no metric of the vector exceeds in severity, or
/// `None`.
fn first_max<const N: usize>(maxes: &[[u8; N]], current: [u8; N]) -> Option<[u8; N]> {
    maxes
        .iter()
        .find(|max| current.iter().zip(max.iter()).all(|(c, m)| c >= m))
        .copied()
}

fn last_or<const N: usize>(maxes: &[[u8; N]], fallback: [u8; N]) -> [u8; N] {
    maxes.last().copied().unwrap_or(fallback)
}

fn level(l: u8) -> f64 {
    LEVEL.get(usize::from(l)).copied().unwrap_or(f64::NAN)
}

/// The severity distances of `current` from `max`, metric by metric.
fn distances<const N: usize>(current: [u8; N], max: [u8; N]) -> [f64; N] {
    let mut d = [0.0; N];
    for ((d, c), m) in d.iter_mut().zip(current).zip(max) {
        *d = level(c) - level(m);
    }
    d
}

fn score(l: &Levels) -> Score {
    // No impact on either system: 0, whatever else.
    if [l.vc, l.vi, l.va] == [2, 2, 2] && [l.sc, l.si, l.sa] == [3, 3, 3] {
        return Score::default();
    }
    let eq1 = if l.av == 0 && l.pr == 0 && l.ui == 0 {
        0
    } else if (l.av == 0 || l.pr == 0 || l.ui == 0) && l.av != 3 {
        1
    } else {
        2
    };
    let eq2 = if l.ac == 0 && l.at == 0 { 0 } else { 1 };
    let eq3 = if l.vc == 0 && l.vi == 0 {
        0
    } else if l.vc == 0 || l.vi == 0 || l.va == 0 {
        1
    } else {
        2
    };
    let eq4 = if l.si == 0 || l.sa == 0 {
        0
    } else if l.sc == 1 || l.si == 1 || l.sa == 1 {
        1
    } else {
        2
    };
    let eq5 = l.e;
    let eq6 = if (l.cr == 0 && l.vc == 0) || (l.ir == 0 && l.vi == 0) || (l.ar == 0 && l.va == 0) {
        0
    } else {
        1
    };
    let eq = [eq1, eq2, eq3, eq4, eq5, eq6];
    let value = lookup(eq);

    // The scores of the next lower MacroVector of each EQ.
    let next_eq1 = lookup(lower(eq, &[0]));
    let next_eq2 = lookup(lower(eq, &[1]));
    let next_eq3_eq6 = match (eq3, eq6) {
        (0 | 1, 1) => lookup(lower(eq, &[2])),
        (1, 0) => lookup(lower(eq, &[5])),
        (0, 0) => {
            let left = lookup(lower(eq, &[5]));
            let right = lookup(lower(eq, &[2]));
            if right > left { right } else { left }
        }
        _ => lookup(lower(eq, &[2, 5])),
    };
    let next_eq4 = lookup(lower(eq, &[3]));
    let next_eq5 = lookup(lower(eq, &[4]));

    // The highest severity vector of the MacroVector the vector is
    // closest to: the first combination of each EQ's highest vectors that
    // no metric exceeds, or the last combination when there is none.
    let eq1_current = [l.av, l.pr, l.ui];
    let eq2_current = [l.ac, l.at];
    let eq3_current = [l.vc, l.vi, l.va, l.cr, l.ir, l.ar];
    let eq4_current = [l.sc, l.si, l.sa];
    let eq1_maxes = lookup::EQ1_MAX
        .get(usize::from(eq1))
        .copied()
        .unwrap_or_default();
    let eq2_maxes = lookup::EQ2_MAX
        .get(usize::from(eq2))
        .copied()
        .unwrap_or_default();
    let eq3_maxes = lookup::EQ3_EQ6_MAX
        .get(usize::from(eq3))
        .and_then(|m| m.get(usize::from(eq6)))
        .copied()
        .unwrap_or_default();
    let eq4_maxes = lookup::EQ4_MAX
        .get(usize::from(eq4))
        .copied()
        .unwrap_or_default();
    let firsts = (
        first_max(eq1_maxes, eq1_current),
        first_max(eq2_maxes, eq2_current),
        first_max(eq3_maxes, eq3_current),
        first_max(eq4_maxes, eq4_current),
    );
    let (max1, max2, max3, max4) = match firsts {
        (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
        _ => (
            last_or(eq1_maxes, eq1_current),
            last_or(eq2_maxes, eq2_current),
            last_or(eq3_maxes, eq3_current),
            last_or(eq4_maxes, eq4_current),
        ),
    };
    let [d_av, d_pr, d_ui] = distances(eq1_current, max1);
    let [d_ac, d_at] = distances(eq2_current, max2);
    let [d_vc, d_vi, d_va, d_cr, d_ir, d_ar] = distances(eq3_current, max3);
    let [d_sc, d_si, d_sa] = distances(eq4_current, max4);
    let distance_eq1 = d_av + d_pr + d_ui;
    let distance_eq2 = d_ac + d_at;
    let distance_eq3_eq6 = d_vc + d_vi + d_va + d_cr + d_ir + d_ar;
    let distance_eq4 = d_sc + d_si + d_sa;

    let step = 0.1;
    let depth = |d: Option<&u8>| f64::from(d.copied().unwrap_or(0)) * step;
    let depth_eq1 = depth(lookup::DEPTH_EQ1.get(usize::from(eq1)));
    let depth_eq2 = depth(lookup::DEPTH_EQ2.get(usize::from(eq2)));
    let depth_eq3_eq6 = depth(
        lookup::DEPTH_EQ3_EQ6
            .get(usize::from(eq3))
            .and_then(|d| d.get(usize::from(eq6))),
    );
    let depth_eq4 = depth(lookup::DEPTH_EQ4.get(usize::from(eq4)));

    // The available distance to each next lower MacroVector, scaled by
    // the proportion of the severity distance within the MacroVector;
    // EQ5's proportion is always 0, but it counts in the mean.
    let mut existing = 0_u32;
    let mut proportional = |available: f64, proportion: f64| {
        if available >= 0.0 {
            existing += 1;
            available * proportion
        } else {
            0.0
        }
    };
    let n1 = proportional(value - next_eq1, distance_eq1 / depth_eq1);
    let n2 = proportional(value - next_eq2, distance_eq2 / depth_eq2);
    let n3 = proportional(value - next_eq3_eq6, distance_eq3_eq6 / depth_eq3_eq6);
    let n4 = proportional(value - next_eq4, distance_eq4 / depth_eq4);
    let n5 = proportional(value - next_eq5, 0.0);
    let mean = if existing == 0 {
        0.0
    } else {
        (n1 + n2 + n3 + n4 + n5) / f64::from(existing)
    };
    let value = (value - mean).clamp(0.0, 10.0);
    Score::clamped(round_half_up(value + 1e-6))
}

/// `x` rounded to tenths, half up, on its exact binary value (as Python's
/// `Decimal(x).quantize(Decimal("0.1"), ROUND_HALF_UP)`), for `x` ≥ 0.
fn round_half_up(x: f64) -> i64 {
    let tenths = (x * 10.0).floor();
    // Up when x ≥ (tenths + 0.5) / 10, that is 20x ≥ 2 × tenths + 1,
    // decided exactly: `p + error` is 20x without rounding.
    let half = 2.0 * tenths + 1.0;
    let p = x * 20.0;
    let up = p > half || (p == half && x.mul_add(20.0, -p) >= 0.0);
    tenths as i64 + i64::from(up)
}

/// The normalised vector (see [`crate::Vector`]'s `Display`).
impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        metric::write(f, Version::V4, &self.values)
    }
}
