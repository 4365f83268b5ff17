//! The SBOM findings of a release as the sustain part hands them over:
//! a component, a vulnerability, its CVSS vector and the manufacturer's
//! VEX status. Open ones become risks ([`crate::risk::Register::add_sbom_findings`])
//! and unresolved anomalies ([`super::anomaly`]).

use serde::{Deserialize, Serialize};

/// The component a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SbomComponent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

impl SbomComponent {
    /// The purl, or `name@version`.
    pub fn key(&self) -> String {
        match (&self.purl, &self.version) {
            (Some(p), _) => p.clone(),
            (None, Some(v)) => format!("{}@{v}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// VEX status, with OpenVEX's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// Why a product is not affected, with OpenVEX's and CSAF's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexJustification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

/// The manufacturer's VEX statement on the finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vex {
    pub status: VexStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<VexJustification>,
    /// The impact statement or action statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// One vulnerability of one component of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SbomFinding {
    pub component: SbomComponent,
    /// The vulnerability id shown (a CVE when there is one).
    pub vulnerability: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// The CVSS vector of the score shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// On CISA's Known Exploited Vulnerabilities list.
    #[serde(default)]
    pub kev: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<Vex>,
}

/// A finding that cannot be read, naming it and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", where_(entry, field))]
pub struct SbomError {
    /// `[3]`, or `[3] CVE-2021-44228 in pkg:maven/…`.
    pub entry: String,
    pub field: String,
    pub message: String,
}

fn where_(entry: &str, field: &str) -> String {
    match (entry.is_empty(), field.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!("finding {entry}: "),
        (true, false) => format!("{field}: "),
        (false, false) => format!("finding {entry}: {field}: "),
    }
}

impl SbomFinding {
    /// The release still carries it: no VEX statement, or affected, or
    /// under investigation.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.vex.as_ref().map(|v| v.status),
            Some(VexStatus::NotAffected | VexStatus::Fixed)
        )
    }

    /// A stable id: `CVE-…@purl`.
    pub fn key(&self) -> String {
        format!("{}@{}", self.vulnerability, self.component.key())
    }

    /// The checks serde cannot make: an id, a vector that parses, and
    /// (as CISA's VEX minimum requires) a justification or statement for
    /// `not_affected`.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.vulnerability.trim().is_empty() {
            return Err(("vulnerability".into(), "must not be empty".into()));
        }
        if self.component.name.trim().is_empty() {
            return Err(("component.name".into(), "must not be empty".into()));
        }
        if let Some(v) = &self.cvss
            && let Err(e) = medsec_cvss::Vector::parse(v)
        {
            return Err(("cvss".into(), format!("`{v}` is not a CVSS vector: {e}")));
        }
        if let Some(vex) = &self.vex
            && vex.status == VexStatus::NotAffected
            && vex.justification.is_none()
            && vex.statement.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err((
                "vex".into(),
                "not_affected needs a justification or an impact statement".into(),
            ));
        }
        Ok(())
    }
}

/// Reads a JSON array of findings and checks each.
pub fn read_findings(json: &str) -> Result<Vec<SbomFinding>, SbomError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| SbomError {
        entry: String::new(),
        field: String::new(),
        message: e.to_string(),
    })?;
    let serde_json::Value::Array(items) = value else {
        return Err(SbomError {
            entry: String::new(),
            field: String::new(),
            message: "expected a JSON array of findings".into(),
        });
    };
    let mut out = Vec::new();
    for (n, item) in items.into_iter().enumerate() {
        let name = item
            .get("vulnerability")
            .and_then(|v| v.as_str())
            .map_or_else(|| format!("[{n}]"), |v| format!("[{n}] {v}"));
        let f: SbomFinding = serde_path_to_error::deserialize(item).map_err(|e| SbomError {
            entry: name.clone(),
            field: e.path().to_string(),
            message: e.into_inner().to_string(),
        })?;
        f.check().map_err(|(field, message)| SbomError {
            entry: format!("[{n}] {} in {}", f.vulnerability, f.component.key()),
            field,
            message,
        })?;
        out.push(f);
    }
    Ok(out)
}
