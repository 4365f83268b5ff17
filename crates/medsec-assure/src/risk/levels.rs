//! The two axes of the risk register and the matrix between them:
//! qualitative exploitability (from a CVSS vector, the rubric, or an
//! estimate), the ISO 14971 severity of patient harm, and the configurable
//! matrix that gives acceptable, ALARP review or unacceptable.
//!
//! # Exploitability from CVSS
//!
//! AAMI TIR57 and IMDRF N60 (5.2) assess security risks by exploitability
//! rather than probability, and the usual practice (FDA premarket
//! guidance V.A.2) takes it from the CVSS exploitability metrics: attack
//! vector, attack complexity, privileges required and user interaction.
//! No standard fixes the cut-offs; medsec's are these.
//!
//! The vector's exploitability metrics are scored by `medsec-cvss` as a
//! CVSS v3.1 *reference vector* with a fixed maximal impact,
//! `AV:…/AC:…/PR:…/UI:…/S:U/C:H/I:H/A:H`. Its base score is the
//! exploitability sub-score plus the impact sub-score (5.87) rounded up,
//! so it orders vectors exactly as their exploitability does, through the
//! one CVSS implementation of the workspace. The levels:
//!
//! | reference score | ≈ exploitability sub-score | level | e.g. |
//! |---|---|---|---|
//! | 9.4–9.8 | 3.9 | very high | `AV:N/AC:L/PR:N/UI:N` |
//! | 8.4–9.3 | 2.5–2.8 | high | one step harder: BLE (`AV:A`), a user login, user interaction, local access |
//! | 7.4–8.3 | 1.5–2.2 | medium | two steps, or high complexity |
//! | 6.7–7.3 | 0.8–1.4 | low | physical access, or administrator privileges |
//! | 6.0–6.6 | 0.1–0.7 | very low | physical access and a login or user interaction |
//!
//! Other versions are read as v3.1 first. CVSS v4.0: AV, AC and PR as
//! they are, attack requirements present (`AT:P`) as high complexity
//! (v3.1's AC covered both), user interaction passive or active as
//! required. CVSS v2: AV as it is, AC medium or high as high,
//! authentication none, single, multiple as privileges none, low, high,
//! and no user interaction (v2 has no such metric). An analyst may state
//! another level with a rationale.
//!
//! # The default matrix
//!
//! Neither ISO 14971 nor TIR57 prescribes a matrix; the manufacturer sets
//! its acceptability criteria in its risk-management plan. The default
//! below gives every cell the sum of the two ranks (0–4 each): up to 3
//! acceptable, 4–5 ALARP review, 6 and more unacceptable. It is
//! monotonic, puts a catastrophic harm never below ALARP review, and makes
//! a very highly exploitable vulnerability unacceptable from serious harm
//! up. A register can carry its own matrix (`[matrix]`), which must be
//! monotonic too.
//!
//! | exploitability \ severity | negligible | minor | serious | critical | catastrophic |
//! |---|---|---|---|---|---|
//! | very high | ALARP | ALARP | unacceptable | unacceptable | unacceptable |
//! | high | acceptable | ALARP | ALARP | unacceptable | unacceptable |
//! | medium | acceptable | acceptable | ALARP | ALARP | unacceptable |
//! | low | acceptable | acceptable | acceptable | ALARP | ALARP |
//! | very low | acceptable | acceptable | acceptable | acceptable | ALARP |

use serde::{Deserialize, Serialize};

use crate::threat::Text;

/// Qualitative exploitability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExploitabilityLevel {
    VeryLow,
    Low,
    Medium,
    High,
    VeryHigh,
}

impl ExploitabilityLevel {
    pub const ALL: [ExploitabilityLevel; 5] = [
        ExploitabilityLevel::VeryLow,
        ExploitabilityLevel::Low,
        ExploitabilityLevel::Medium,
        ExploitabilityLevel::High,
        ExploitabilityLevel::VeryHigh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExploitabilityLevel::VeryLow => "very-low",
            ExploitabilityLevel::Low => "low",
            ExploitabilityLevel::Medium => "medium",
            ExploitabilityLevel::High => "high",
            ExploitabilityLevel::VeryHigh => "very-high",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            ExploitabilityLevel::VeryLow => "매우 낮음",
            ExploitabilityLevel::Low => "낮음",
            ExploitabilityLevel::Medium => "보통",
            ExploitabilityLevel::High => "높음",
            ExploitabilityLevel::VeryHigh => "매우 높음",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ExploitabilityLevel::VeryLow => "very low",
            ExploitabilityLevel::Low => "low",
            ExploitabilityLevel::Medium => "medium",
            ExploitabilityLevel::High => "high",
            ExploitabilityLevel::VeryHigh => "very high",
        }
    }

    /// 0 (very low) to 4 (very high).
    pub fn rank(self) -> usize {
        self as usize
    }
}

/// The severity of patient harm, in the five levels of the example scale
/// of ISO 14971 (ISO/TR 24971) that TIR57 reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HarmSeverity {
    Negligible,
    Minor,
    Serious,
    Critical,
    Catastrophic,
}

impl HarmSeverity {
    pub const ALL: [HarmSeverity; 5] = [
        HarmSeverity::Negligible,
        HarmSeverity::Minor,
        HarmSeverity::Serious,
        HarmSeverity::Critical,
        HarmSeverity::Catastrophic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HarmSeverity::Negligible => "negligible",
            HarmSeverity::Minor => "minor",
            HarmSeverity::Serious => "serious",
            HarmSeverity::Critical => "critical",
            HarmSeverity::Catastrophic => "catastrophic",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            HarmSeverity::Negligible => "무시 가능",
            HarmSeverity::Minor => "경미",
            HarmSeverity::Serious => "심각",
            HarmSeverity::Critical => "치명적",
            HarmSeverity::Catastrophic => "파국적",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            HarmSeverity::Negligible => "negligible",
            HarmSeverity::Minor => "minor",
            HarmSeverity::Serious => "serious",
            HarmSeverity::Critical => "critical",
            HarmSeverity::Catastrophic => "catastrophic",
        }
    }

    /// What the level means (the example definitions of ISO/TR 24971).
    pub fn definition(self) -> Text {
        match self {
            HarmSeverity::Negligible => Text::new(
                "불편함 또는 일시적인 불쾌감",
                "Inconvenience or temporary discomfort",
            ),
            HarmSeverity::Minor => Text::new(
                "전문적 의료 개입이 필요 없는 일시적 상해나 장애",
                "Temporary injury or impairment not requiring professional medical intervention",
            ),
            HarmSeverity::Serious => Text::new(
                "전문적 의료 개입이 필요한 상해나 장애",
                "Injury or impairment requiring professional medical intervention",
            ),
            HarmSeverity::Critical => Text::new(
                "영구적 장애 또는 생명을 위협하는 상해",
                "Permanent impairment or life-threatening injury",
            ),
            HarmSeverity::Catastrophic => Text::new("환자 사망", "Patient death"),
        }
    }

    /// 0 (negligible) to 4 (catastrophic).
    pub fn rank(self) -> usize {
        self as usize
    }

    /// One level lower (negligible stays).
    pub fn lower(self) -> HarmSeverity {
        HarmSeverity::ALL[self.rank().saturating_sub(1)]
    }
}

/// Where a risk falls in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskLevel {
    Acceptable,
    /// As low as reasonably practicable: acceptable only after a review
    /// that further control is impracticable and the benefit outweighs it.
    AlarpReview,
    Unacceptable,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Acceptable => "acceptable",
            RiskLevel::AlarpReview => "alarp-review",
            RiskLevel::Unacceptable => "unacceptable",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            RiskLevel::Acceptable => "수용 가능",
            RiskLevel::AlarpReview => "ALARP 검토",
            RiskLevel::Unacceptable => "수용 불가",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            RiskLevel::Acceptable => "acceptable",
            RiskLevel::AlarpReview => "ALARP review",
            RiskLevel::Unacceptable => "unacceptable",
        }
    }
}

/// The risk matrix: per exploitability level, the risk level of each harm
/// severity from negligible to catastrophic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RiskMatrix {
    pub very_high: [RiskLevel; 5],
    pub high: [RiskLevel; 5],
    pub medium: [RiskLevel; 5],
    pub low: [RiskLevel; 5],
    pub very_low: [RiskLevel; 5],
}

impl Default for RiskMatrix {
    /// The documented default (see the module documentation).
    fn default() -> RiskMatrix {
        let row = |e: ExploitabilityLevel| {
            let mut out = [RiskLevel::Acceptable; 5];
            for s in HarmSeverity::ALL {
                out[s.rank()] = match e.rank() + s.rank() {
                    0..=3 => RiskLevel::Acceptable,
                    4 | 5 => RiskLevel::AlarpReview,
                    _ => RiskLevel::Unacceptable,
                };
            }
            out
        };
        RiskMatrix {
            very_high: row(ExploitabilityLevel::VeryHigh),
            high: row(ExploitabilityLevel::High),
            medium: row(ExploitabilityLevel::Medium),
            low: row(ExploitabilityLevel::Low),
            very_low: row(ExploitabilityLevel::VeryLow),
        }
    }
}

impl RiskMatrix {
    pub fn row(&self, e: ExploitabilityLevel) -> &[RiskLevel; 5] {
        match e {
            ExploitabilityLevel::VeryHigh => &self.very_high,
            ExploitabilityLevel::High => &self.high,
            ExploitabilityLevel::Medium => &self.medium,
            ExploitabilityLevel::Low => &self.low,
            ExploitabilityLevel::VeryLow => &self.very_low,
        }
    }

    pub fn level(&self, e: ExploitabilityLevel, s: HarmSeverity) -> RiskLevel {
        self.row(e)[s.rank()]
    }

    /// Checks that the matrix is monotonic: a higher exploitability or a
    /// more severe harm never gives a lower risk. Returns the cell at
    /// fault (`high[2]`) and why.
    pub fn check(&self) -> Result<(), (String, String)> {
        for e in ExploitabilityLevel::ALL {
            for s in HarmSeverity::ALL {
                let here = self.level(e, s);
                let field = format!("{}[{}]", e.as_str(), s.rank());
                if s.rank() > 0 {
                    let left = self.level(e, s.lower());
                    if here < left {
                        return Err((
                            field,
                            format!(
                                "is {} but {} harm at the same exploitability is {}: a more severe harm must not lower the risk",
                                here.as_str(),
                                s.lower().as_str(),
                                left.as_str()
                            ),
                        ));
                    }
                }
                if e.rank() > 0 {
                    let below_e = ExploitabilityLevel::ALL[e.rank() - 1];
                    let below = self.level(below_e, s);
                    if here < below {
                        return Err((
                            field,
                            format!(
                                "is {} but {} exploitability gives {}: a higher exploitability must not lower the risk",
                                here.as_str(),
                                below_e.as_str(),
                                below.as_str()
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The v3.1 exploitability metrics of a vector of any version (see the
/// module documentation).
fn v31_exploitability(vector: &medsec_cvss::Vector) -> [(&'static str, &'static str); 4] {
    use medsec_cvss::Version;
    let get = |m: &str| vector.get(m).unwrap_or("X");
    match vector.version() {
        Version::V2 => [
            ("AV", get("AV")),
            ("AC", if get("AC") == "L" { "L" } else { "H" }),
            (
                "PR",
                match get("Au") {
                    "N" => "N",
                    "S" => "L",
                    _ => "H",
                },
            ),
            ("UI", "N"),
        ],
        Version::V3_0 | Version::V3_1 => [
            ("AV", get("AV")),
            ("AC", get("AC")),
            ("PR", get("PR")),
            ("UI", get("UI")),
        ],
        Version::V4 => [
            ("AV", get("AV")),
            (
                "AC",
                if get("AC") == "H" || get("AT") == "P" {
                    "H"
                } else {
                    "L"
                },
            ),
            ("PR", get("PR")),
            ("UI", if get("UI") == "N" { "N" } else { "R" }),
        ],
    }
}

/// The level of a reference score, in tenths (see the module
/// documentation).
fn level_of_reference(tenths: u8) -> ExploitabilityLevel {
    match tenths {
        94.. => ExploitabilityLevel::VeryHigh,
        84..=93 => ExploitabilityLevel::High,
        74..=83 => ExploitabilityLevel::Medium,
        67..=73 => ExploitabilityLevel::Low,
        _ => ExploitabilityLevel::VeryLow,
    }
}

/// The exploitability a CVSS vector gives, with the reference vector and
/// score as the rationale.
pub fn exploitability_of(vector: &medsec_cvss::Vector) -> (ExploitabilityLevel, Text) {
    let metrics = v31_exploitability(vector);
    let parts = metrics
        .iter()
        .map(|(m, v)| format!("{m}:{v}"))
        .collect::<Vec<_>>()
        .join("/");
    let reference = format!("CVSS:3.1/{parts}/S:U/C:H/I:H/A:H");
    // Every metric comes from a parsed vector, so the reference parses;
    // should it not, the worst case is assumed.
    let score = medsec_cvss::Vector::parse(&reference)
        .map(|v| v.base_score())
        .unwrap_or(medsec_cvss::Score::MAX);
    let level = level_of_reference(score.tenths());
    let rationale = Text::new(
        format!(
            "CVSS {} 악용 지표 {parts} → 기준 점수 {score} ({reference}) → 악용 가능성 {}",
            vector.version(),
            level.ko()
        ),
        format!(
            "CVSS {} exploitability metrics {parts} → reference score {score} ({reference}) → exploitability {}",
            vector.version(),
            level.en()
        ),
    );
    (level, rationale)
}
