//! Unresolved anomalies (FDA 2023 V.A.5; MFDS V&V 이상 목록): failed tests,
//! open scanner and fuzzer findings, and SBOM vulnerabilities not fixed,
//! each of which needs a justification (why it is acceptable, which
//! controls compensate) before release.

use serde::{Deserialize, Serialize};

use super::sarif::{Level, ScanReport};
use super::sbom::SbomFinding;
use super::{TestPlan, TestStatus};

/// What an anomaly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnomalyKind {
    FailedTest,
    ScannerFinding,
    SbomVulnerability,
}

impl AnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::FailedTest => "failed-test",
            AnomalyKind::ScannerFinding => "scanner-finding",
            AnomalyKind::SbomVulnerability => "sbom-vulnerability",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            AnomalyKind::FailedTest => "부적합 시험",
            AnomalyKind::ScannerFinding => "도구 탐지 결과",
            AnomalyKind::SbomVulnerability => "SBOM 취약점",
        }
    }
}

/// Why an anomaly may stay in the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Justification {
    /// The anomaly's id.
    pub anomaly: String,
    /// Why it is acceptable (no path to patient harm, not exploitable in
    /// the intended environment, fix scheduled …).
    pub why_acceptable: String,
    /// The controls that compensate (control ids of the register).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compensating_controls: Vec<String>,
    pub by: String,
    /// YYYY-MM-DD.
    pub on: String,
}

impl Justification {
    /// What the justification lacks, as the field and the problem.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.why_acceptable.trim().is_empty() {
            out.push(("why_acceptable", "is empty".to_owned()));
        }
        if self.by.trim().is_empty() {
            out.push(("by", "is empty".to_owned()));
        }
        if !crate::risk::is_date(&self.on) {
            out.push(("on", format!("`{}` is not a date (YYYY-MM-DD)", self.on)));
        }
        out
    }
}

/// An unresolved anomaly with its justification, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// `AN-<test id>`, `AN-<finding id>`, `AN-<vulnerability>@<component>`.
    pub id: String,
    pub kind: AnomalyKind,
    pub title: String,
    /// `error`/`warning`/`note` for scanner findings, the CVSS severity
    /// or `kev` for SBOM vulnerabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The test case, scanner finding or SBOM finding it stands for.
    pub source: String,
    /// The test case it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::None => "none",
        Level::Note => "note",
        Level::Warning => "warning",
        Level::Error => "error",
    }
}

/// The unresolved anomalies of a release: failed tests, open findings of
/// every scan, open SBOM vulnerabilities, each with the justification
/// recorded for it.
pub fn unresolved(
    plan: &TestPlan,
    scans: &[ScanReport],
    sbom: &[SbomFinding],
    justifications: &[Justification],
) -> Vec<Anomaly> {
    let justified = |id: &str| justifications.iter().find(|j| j.anomaly == id).cloned();
    let mut out = Vec::new();
    for c in plan.cases.iter().filter(|c| c.status == TestStatus::Fail) {
        let id = format!("AN-{}", c.id);
        out.push(Anomaly {
            justification: justified(&id),
            id,
            kind: AnomalyKind::FailedTest,
            title: c.title.ko.clone(),
            severity: None,
            source: c.id.clone(),
            test: Some(c.id.clone()),
        });
    }
    for scan in scans {
        for f in scan.open() {
            let id = format!("AN-{}", f.id);
            let title = match &f.rule_id {
                Some(r) => format!("{}: {r}: {}", f.tool, f.title()),
                None => format!("{}: {}", f.tool, f.title()),
            };
            out.push(Anomaly {
                justification: justified(&id),
                id,
                kind: AnomalyKind::ScannerFinding,
                title,
                severity: Some(level_name(f.level).to_owned()),
                source: f.id.clone(),
                test: f.test.clone(),
            });
        }
    }
    for f in sbom.iter().filter(|f| f.is_open()) {
        let id = format!("AN-{}", f.key());
        let severity = if f.kev {
            Some("kev".to_owned())
        } else {
            f.cvss
                .as_deref()
                .and_then(|v| medsec_cvss::Vector::parse(v).ok())
                .map(|v| v.severity(v.base_score()).as_str().to_owned())
        };
        out.push(Anomaly {
            justification: justified(&id),
            id,
            kind: AnomalyKind::SbomVulnerability,
            title: format!("{} in {}", f.vulnerability, f.component.key()),
            severity,
            source: f.key(),
            test: None,
        });
    }
    out
}
