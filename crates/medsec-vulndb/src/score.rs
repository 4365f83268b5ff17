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
    /// A score from a vector alone, computed by `medsec-cvss`; `None`
    /// when the vector is not one we can score (it is then ignored). The
    /// score of a v2 or v3.x vector is its base score, that of a v4.0
    /// vector the score of the whole vector (CVSS-B, -BT, -BE or -BTE), as
    /// the NVD and the FIRST calculator show them. Old NVD v2 vectors come
    /// in parentheses: `(AV:N/AC:L/Au:N/C:P/I:P/A:P)`.
    pub fn from_vector(vector: &str, origin: Origin, by: &str) -> Option<Severity> {
        let vector = vector.trim();
        let parsed =
            medsec_cvss::Vector::parse(vector.trim_start_matches('(').trim_end_matches(')'))
                .ok()?;
        let version = match parsed.version() {
            medsec_cvss::Version::V2 => CvssVersion::V2,
            medsec_cvss::Version::V3_0 => CvssVersion::V30,
            medsec_cvss::Version::V3_1 => CvssVersion::V31,
            medsec_cvss::Version::V4 => CvssVersion::V40,
        };
        let score = match parsed {
            medsec_cvss::Vector::V4(v) => v.score(),
            other => other.base_score(),
        };
        Some(Severity {
            version,
            vector: vector.to_owned(),
            score: score.value() as f32,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_scores_match_the_nvd() {
        // Scores as the NVD records in ../shared/data/nvd give them.
        let v2 = |vector: &str| {
            Severity::from_vector(vector, Origin::NvdPrimary, "").map(|s| (s.version, s.score))
        };
        assert_eq!(
            v2("AV:N/AC:L/Au:N/C:C/I:C/A:C"),
            Some((CvssVersion::V2, 10.0))
        );
        assert_eq!(
            v2("(AV:N/AC:L/Au:N/C:P/I:P/A:P)"),
            Some((CvssVersion::V2, 7.5))
        );
        assert_eq!(
            v2("AV:L/AC:L/Au:N/C:P/I:N/A:N"),
            Some((CvssVersion::V2, 2.1))
        );
        assert_eq!(
            v2("AV:A/AC:M/Au:S/C:N/I:N/A:N"),
            Some((CvssVersion::V2, 0.0))
        );
        assert_eq!(v2("AV:N/AC:L/Au:N/C:P/I:P"), None);
        assert_eq!(v2("AV:N/AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
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
        // Temporal metrics do not change the base score.
        let s = Severity::from_vector(
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RL:O",
            Origin::Csaf,
            "",
        )
        .unwrap();
        assert_eq!((s.version, s.score), (CvssVersion::V30, 10.0));
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
