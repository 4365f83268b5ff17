//! Severities, the choice of the CVSS score shown for a vulnerability,
//! and medsec's priority score.
//!
//! # Which CVSS
//!
//! A vulnerability may carry scores from the NVD (its own, "Primary", and
//! the CNA's, "Secondary"), from a CSAF advisory of the vendor or CISA,
//! and from OSV databases (GHSA). medsec shows one: the NVD's primary
//! score if there is one, else the CNA's score in the NVD record, else a
//! CSAF score, else an OSV score; within a source, the newest CVSS
//! version (4.0, then 3.1, 3.0, 2.0). The other scores stay available.
//!
//! # Priority
//!
//! `priority = 40 × CVSS/10 + 30 × EPSS percentile + 30 × KEV`, from 0 to
//! 100, one decimal. KEV (known exploited, CISA) is 1 or 0. A
//! vulnerability without any CVSS counts as 5.0 (or its qualitative level:
//! low 2.5, medium 5.0, high 7.5, critical 9.5); without EPSS, as the 0th
//! percentile. A known-exploited critical vulnerability thus ranks above
//! any unexploited one, and EPSS orders vulnerabilities of equal CVSS by
//! how likely they are to be exploited soon.

use std::str::FromStr;

/// A qualitative severity (CVSS v3/v4 rating scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" => Level::None,
            "low" => Level::Low,
            "medium" | "moderate" => Level::Medium,
            "high" | "important" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The CVSS v3 rating of a base score.
    pub fn of_score(score: f32) -> Level {
        match score {
            s if s >= 9.0 => Level::Critical,
            s if s >= 7.0 => Level::High,
            s if s >= 4.0 => Level::Medium,
            s if s > 0.0 => Level::Low,
            _ => Level::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The score a level stands for when no vector is known.
    fn nominal(self) -> f32 {
        match self {
            Level::None => 0.0,
            Level::Low => 2.5,
            Level::Medium => 5.0,
            Level::High => 7.5,
            Level::Critical => 9.5,
        }
    }
}

/// A CVSS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V30,
    #[serde(rename = "3.1")]
    V31,
    #[serde(rename = "4.0")]
    V40,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V30 => "3.0",
            CvssVersion::V31 => "3.1",
            CvssVersion::V40 => "4.0",
        }
    }
}

/// Where a score came from, in order of preference (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    NvdPrimary,
    NvdSecondary,
    Csaf,
    Osv,
    RustSec,
}

/// One CVSS score of a vulnerability.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Severity {
    pub version: CvssVersion,
    pub vector: String,
    pub score: f32,
    pub origin: Origin,
    /// Who assigned it, when the source says (e.g. `nvd@nist.gov`).
    pub by: String,
}

impl Severity {
    /// A score from a vector alone, computed; `None` when the vector is
    /// not one we can score (it is then ignored).
    pub fn from_vector(vector: &str, origin: Origin, by: &str) -> Option<Severity> {
        let vector = vector.trim();
        let (version, score) = if vector.starts_with("CVSS:4.0/") {
            let v = cvss::v4::Vector::from_str(vector).ok()?;
            (CvssVersion::V40, v.score().value() as f32)
        } else if let Some(rest) = vector.strip_prefix("CVSS:3.") {
            let version = if rest.starts_with('0') {
                CvssVersion::V30
            } else {
                CvssVersion::V31
            };
            let v = cvss::v3::Base::from_str(vector).ok()?;
            (version, v.score().value() as f32)
        } else {
            (CvssVersion::V2, v2_base_score(vector)?)
        };
        Some(Severity {
            version,
            vector: vector.to_owned(),
            score,
            origin,
            by: by.to_owned(),
        })
    }

    /// An OSV `severity[]` entry.
    pub(crate) fn from_osv(kind: &str, score: &str, by: &str) -> Option<Severity> {
        match kind {
            "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => Severity::from_vector(score, Origin::Osv, by),
            _ => None,
        }
    }

    pub fn level(&self) -> Level {
        Level::of_score(self.score)
    }
}

/// The score medsec shows, chosen as the module docs say.
pub fn best(scores: &[Severity]) -> Option<&Severity> {
    scores
        .iter()
        .min_by(|a, b| a.origin.cmp(&b.origin).then(b.version.cmp(&a.version)))
}

/// The priority (0–100) of a vulnerability; see the module docs.
pub fn priority(
    cvss: Option<f32>,
    label: Option<Level>,
    epss_percentile: Option<f32>,
    kev: bool,
) -> f32 {
    let cvss = cvss
        .or(label.map(Level::nominal))
        .unwrap_or(5.0)
        .clamp(0.0, 10.0);
    let epss = epss_percentile.unwrap_or(0.0).clamp(0.0, 1.0);
    let p = 40.0 * cvss / 10.0 + 30.0 * epss + if kev { 30.0 } else { 0.0 };
    (p * 10.0).round() / 10.0
}

/// The CVSS v2 base score (CVSS v2 guide §3.2.1), from a vector such as
/// `AV:N/AC:L/Au:N/C:P/I:P/A:P` (optionally in parentheses); `None` when
/// a base metric is missing, repeated or unknown.
pub fn v2_base_score(vector: &str) -> Option<f32> {
    let vector = vector.trim().trim_start_matches('(').trim_end_matches(')');
    let (mut av, mut ac, mut au, mut c, mut i, mut a) = (None, None, None, None, None, None);
    for part in vector.split('/') {
        let (metric, value) = part.split_once(':')?;
        let slot = match metric {
            "AV" => &mut av,
            "AC" => &mut ac,
            "Au" => &mut au,
            "C" => &mut c,
            "I" => &mut i,
            "A" => &mut a,
            // Temporal and environmental metrics do not change the base.
            "E" | "RL" | "RC" | "CDP" | "TD" | "CR" | "IR" | "AR" => continue,
            _ => return None,
        };
        let weight: f64 = match (metric, value) {
            ("AV", "L") => 0.395,
            ("AV", "A") => 0.646,
            ("AV", "N") => 1.0,
            ("AC", "H") => 0.35,
            ("AC", "M") => 0.61,
            ("AC", "L") => 0.71,
            ("Au", "M") => 0.45,
            ("Au", "S") => 0.56,
            ("Au", "N") => 0.704,
            ("C" | "I" | "A", "N") => 0.0,
            ("C" | "I" | "A", "P") => 0.275,
            ("C" | "I" | "A", "C") => 0.660,
            _ => return None,
        };
        if slot.replace(weight).is_some() {
            return None;
        }
    }
    let (av, ac, au, c, i, a) = (av?, ac?, au?, c?, i?, a?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let base = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some(((base * 10.0).round() / 10.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_scores_match_the_nvd() {
        // Scores as the NVD records in ../shared/data/nvd give them.
        assert_eq!(v2_base_score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), Some(10.0));
        assert_eq!(v2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(v2_base_score("AV:L/AC:L/Au:N/C:P/I:N/A:N"), Some(2.1));
        assert_eq!(v2_base_score("AV:A/AC:M/Au:S/C:N/I:N/A:N"), Some(0.0));
        assert_eq!(v2_base_score("AV:N/AC:L/Au:N/C:P/I:P"), None);
        assert_eq!(v2_base_score("AV:N/AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
    }

    #[test]
    fn v3_and_v4_vectors_are_scored() {
        let s = Severity::from_vector(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            Origin::Osv,
            "",
        )
        .unwrap();
        assert_eq!((s.version, s.score), (CvssVersion::V31, 9.8));
        let s = Severity::from_vector(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            Origin::Osv,
            "",
        )
        .unwrap();
        assert_eq!((s.version, s.score), (CvssVersion::V40, 9.3));
        assert!(Severity::from_vector("CVSS:3.1/AV:X", Origin::Osv, "").is_none());
    }

    #[test]
    fn the_best_score_prefers_the_nvd_then_the_newest_version() {
        let s = |version, origin, score| Severity {
            version,
            vector: String::new(),
            score,
            origin,
            by: String::new(),
        };
        let list = [
            s(CvssVersion::V31, Origin::Osv, 5.0),
            s(CvssVersion::V2, Origin::NvdPrimary, 6.0),
            s(CvssVersion::V31, Origin::NvdPrimary, 7.0),
            s(CvssVersion::V40, Origin::NvdSecondary, 8.0),
        ];
        assert_eq!(best(&list).unwrap().score, 7.0);
        assert!(best(&[]).is_none());
    }

    #[test]
    fn priority_orders_kev_then_epss_then_cvss() {
        let critical_kev = priority(Some(9.8), None, Some(0.99), true);
        let critical = priority(Some(9.8), None, Some(0.99), false);
        let medium_kev = priority(Some(5.0), None, None, true);
        assert_eq!(critical_kev, 98.9);
        assert!(critical_kev > critical);
        assert!(medium_kev > priority(Some(7.0), None, Some(0.1), false));
        assert_eq!(priority(None, None, None, false), 20.0);
        assert_eq!(priority(None, Some(Level::Critical), None, false), 38.0);
        assert!((0.0..=100.0).contains(&priority(Some(99.0), None, Some(7.0), true)));
    }
}
