//! Premarket evidence: device profiles, applicability of the MFDS and
//! KISA requirements decided by rules kept as data, the MFDS checklist
//! workspace with its completeness check, the threat model (STRIDE,
//! the KISA threat catalogue, data-flow diagrams, Threat Dragon files),
//! the MITRE CVSS rubric for medical devices, the cybersecurity risk
//! register, security-testing evidence (test cases, SARIF, SBOM findings,
//! unresolved anomalies) and the traceability matrix with its gaps.
//!
//! Architecture invariant: no IO. The store keeps profiles and workspaces
//! as documents; the server and CLI call in here to decide and merge.

pub mod checklist;
mod doc;
pub mod evidence;
pub mod facts;
pub mod profile;
pub mod risk;
pub mod rubric;
pub mod rules;
pub mod threat;
pub mod trace;

use std::collections::BTreeMap;

pub use checklist::{Checklist, Content, Gap, GapKind, Workspace};
pub use evidence::TestPlan;
pub use facts::Facts;
pub use profile::Profile;
pub use risk::Register;
pub use rules::{Decision, Override, Rules, rules};
pub use threat::ThreatModel;

/// A profile that could not be read, with the field or line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("{message}")]
    Syntax { message: String },
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

impl ProfileError {
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> ProfileError {
        ProfileError::Field {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefillError {
    #[error("no catalogue `{0}`")]
    UnknownCatalog(String),
    #[error("`{0}` is not an MFDS checklist edition (mfds-2024 or mfds-2019)")]
    NotAChecklist(String),
}

/// The applicability of every MFDS and KISA item for a device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Table {
    pub facts: Vec<(&'static str, bool)>,
    /// Per catalogue (in [`rules::DECIDED`] order), its decisions.
    pub catalogs: Vec<(String, Vec<Decision>)>,
}

/// Decides every item of every decided catalogue.
pub fn applicability(
    catalogs: &medsec_catalog::Catalogs,
    rules: &Rules,
    profile: &Profile,
    overrides: &BTreeMap<String, Override>,
) -> Table {
    let facts = Facts::of(profile);
    let out = rules::DECIDED
        .iter()
        .filter_map(|id| catalogs.get(id))
        .map(|c| (c.catalog.id.clone(), rules.decide(c, &facts, overrides)))
        .collect();
    Table {
        facts: facts.iter().collect(),
        catalogs: out,
    }
}

#[cfg(test)]
mod tests;
