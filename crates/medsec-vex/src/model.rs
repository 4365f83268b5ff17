//! The VEX model: one [`Document`] of [`Statement`]s, whatever format it
//! came from or goes to. It holds what the three formats share (status,
//! justification, products, texts, times) in the vocabulary of CISA's
//! minimum requirements for VEX, which OpenVEX and CSAF use verbatim, plus
//! the few CycloneDX values that have no exact counterpart, so that a
//! CycloneDX → model → CycloneDX round trip loses nothing.

use std::fmt;

pub use medsec_sbom::{
    VexJustification as CycloneDxJustification, VexResponse as Response, VexState as CycloneDxState,
};

/// A VEX document: who says what, when, about which products.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The format the document was read from; `None` for a document
    /// built in memory.
    pub format: Option<Format>,
    /// The document's identifier: the OpenVEX `@id` (an IRI), the
    /// CycloneDX `serialNumber` (`urn:uuid:…`) or the CSAF
    /// `/document/tracking/id`.
    pub id: Option<String>,
    /// Who issued it: the OpenVEX `author`, the first CycloneDX
    /// `metadata.authors[]` name, the CSAF publisher's name.
    pub author: Option<String>,
    /// When it was first issued, RFC 3339 as written (OpenVEX
    /// `timestamp`, CycloneDX `metadata.timestamp`, CSAF
    /// `initial_release_date`).
    pub timestamp: Option<String>,
    /// When it was last changed (OpenVEX `last_updated`, CSAF
    /// `current_release_date` when later than the initial release).
    pub last_updated: Option<String>,
    /// The document's version, counting from 1 (OpenVEX `version`,
    /// CycloneDX `version`, CSAF `tracking/version` when it is an
    /// integer, else the number of revisions).
    pub version: Option<u64>,
    pub statements: Vec<Statement>,
    /// What the reader accepted but a person should know: a SHOULD of the
    /// specification not met, a field that has no place in the model.
    pub diagnostics: Vec<Diagnostic>,
}

/// A format and the version of its specification the document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub kind: FormatKind,
    /// `0.2.0` or `0.0.1` (OpenVEX), `1.4`…`1.6` (CycloneDX), `2.0` (CSAF).
    pub version: String,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.version)
    }
}

/// The serialisations [`crate::read`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatKind {
    OpenVex,
    CycloneDxJson,
    CycloneDxXml,
    Csaf,
}

impl FormatKind {
    pub fn name(self) -> &'static str {
        match self {
            FormatKind::OpenVex => "OpenVEX",
            FormatKind::CycloneDxJson => "CycloneDX JSON",
            FormatKind::CycloneDxXml => "CycloneDX XML",
            FormatKind::Csaf => "CSAF",
        }
    }
}

impl fmt::Display for FormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One assertion: for these products (and, when given, these components
/// inside them), this vulnerability has this status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The vulnerability's main id: `CVE-2021-44228`, `GHSA-…`.
    pub vulnerability: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// What the vulnerability is (OpenVEX `vulnerability.description`,
    /// CycloneDX `description`, the CSAF `description` note).
    pub description: Option<String>,
    /// The products (releases) the statement is about.
    pub products: Vec<ProductRef>,
    /// The components inside every one of `products` that the statement
    /// is about, when it names them (OpenVEX `subcomponents`, a CycloneDX
    /// `affects` entry that points at a component of the product, a CSAF
    /// `default_component_of` relationship). Readers split a statement
    /// whose products have different subcomponents, so this list applies
    /// to each product.
    pub subcomponents: Vec<ProductRef>,
    pub status: Status,
    /// Why the products are not affected; meaningful with
    /// [`Status::NotAffected`].
    pub justification: Option<Justification>,
    /// Why, in words, the products are not affected (OpenVEX
    /// `impact_statement`, CSAF threat of category `impact`, CycloneDX
    /// `analysis.detail` of a not-affected statement).
    pub impact_statement: Option<String>,
    /// What users should do (OpenVEX `action_statement`, CycloneDX
    /// `recommendation`, CSAF remediation details). OpenVEX and CSAF
    /// require it for [`Status::Affected`].
    pub action_statement: Option<String>,
    /// CycloneDX `analysis.response` values; CSAF remediation categories
    /// map onto them (see [`crate::mapping`]).
    pub responses: Vec<Response>,
    /// When the statement became true, RFC 3339 (OpenVEX `timestamp`,
    /// CycloneDX `analysis.firstIssued`). `None`: the document's.
    pub timestamp: Option<String>,
    /// When the statement was last changed (OpenVEX `last_updated`,
    /// CycloneDX `analysis.lastUpdated`).
    pub last_updated: Option<String>,
    /// How the status was determined (OpenVEX `status_notes`, CycloneDX
    /// `analysis.detail` of a statement that is not "not affected").
    pub detail: Option<String>,
    /// The CycloneDX analysis as written, when read from CycloneDX: the
    /// model's status and justification are coarser than CycloneDX's, and
    /// the CycloneDX writer uses these while they still agree with
    /// `status` and `justification`.
    pub cyclonedx: Option<CycloneDxAnalysis>,
}

/// The CycloneDX `analysis.state` and `analysis.justification` a
/// statement was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycloneDxAnalysis {
    pub state: CycloneDxState,
    pub justification: Option<CycloneDxJustification>,
}

/// A product or component, by whatever identifies it. At least one of
/// `purl`, `cpe` and `id` identifies it for a machine; `name` and
/// `version` are for people and for CSAF's product tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ProductRef {
    /// The identifier inside its document: an OpenVEX `@id` (an IRI) that
    /// is not the purl, a CycloneDX `bom-ref` or BOM-Link, a CSAF
    /// `product_id`.
    pub id: Option<String>,
    /// Package URL, as written.
    pub purl: Option<String>,
    /// CPE 2.3 formatted string or CPE 2.2 URI.
    pub cpe: Option<String>,
    pub name: Option<String>,
    /// A version, or a `vers:` range where the source gave one (CycloneDX
    /// `affects[].versions[].range`, CSAF `product_version_range`).
    pub version: Option<String>,
    /// Who makes it (OpenVEX `supplier`, CycloneDX `supplier`, CSAF
    /// `vendor` branch).
    pub supplier: Option<String>,
}

impl ProductRef {
    /// A product known by its package URL.
    pub fn purl(purl: impl Into<String>) -> ProductRef {
        ProductRef {
            purl: Some(purl.into()),
            ..ProductRef::default()
        }
    }

    /// The identity writers group statements by: the purl (canonical when
    /// it parses, so that two spellings are one product), else the CPE,
    /// else the id, else name and version.
    pub fn key(&self) -> String {
        if let Some(p) = &self.purl {
            return match medsec_sbom::Purl::parse(p) {
                Ok(canonical) => format!("purl:{canonical}"),
                Err(_) => format!("purl:{p}"),
            };
        }
        if let Some(c) = &self.cpe {
            return format!("cpe:{c}");
        }
        if let Some(i) = &self.id {
            return format!("id:{i}");
        }
        format!(
            "name:{}@{}",
            self.name.as_deref().unwrap_or_default(),
            self.version.as_deref().unwrap_or_default()
        )
    }

    /// How to name it in a message: the purl, CPE, id or name.
    pub fn label(&self) -> String {
        let name = match (&self.name, &self.version) {
            (Some(n), Some(v)) => Some(format!("{n} {v}")),
            (Some(n), None) => Some(n.clone()),
            _ => None,
        };
        self.purl
            .clone()
            .or_else(|| self.cpe.clone())
            .or_else(|| self.id.clone())
            .or(name)
            .unwrap_or_else(|| "(unnamed product)".to_owned())
    }
}

/// The status of products with respect to a vulnerability: the four
/// labels of CISA's minimum requirements for VEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Status {
    /// No remediation is required.
    NotAffected,
    /// Actions are recommended to remediate or address the vulnerability.
    Affected,
    /// These product versions contain a fix.
    Fixed,
    /// It is not yet known whether the products are affected.
    #[default]
    UnderInvestigation,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::NotAffected,
        Status::Affected,
        Status::Fixed,
        Status::UnderInvestigation,
    ];

    /// The OpenVEX label.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Reads an OpenVEX label.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why products are not affected: the five labels of CISA's "VEX Status
/// Justifications" (2022), which OpenVEX uses as `justification` and CSAF
/// as flag labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Justification {
    /// The vulnerable component is not included in the product.
    ComponentNotPresent,
    /// The component is included, but the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code is included but cannot be executed.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code executes, but an attacker cannot control it.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Built-in protections prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl Justification {
    pub const ALL: [Justification; 5] = [
        Justification::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary,
        Justification::InlineMitigationsAlreadyExist,
    ];

    /// The OpenVEX and CSAF label.
    pub fn as_str(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "component_not_present",
            Justification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Justification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }

    /// Reads an OpenVEX or CSAF label.
    pub fn parse(s: &str) -> Option<Justification> {
        Justification::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The label's meaning in one sentence (CISA's wording, shortened),
    /// written as the impact statement where a format requires one and
    /// the statement has none.
    pub fn description(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => {
                "The product is not affected because the vulnerable component is not included."
            }
            Justification::VulnerableCodeNotPresent => {
                "The vulnerable component is included, but the vulnerable code is not present."
            }
            Justification::VulnerableCodeNotInExecutePath => {
                "The vulnerable code is present but is not in an execute path of the product."
            }
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "The vulnerable code cannot be controlled by an attacker to exploit the vulnerability."
            }
            Justification::InlineMitigationsAlreadyExist => {
                "The product includes built-in protections that prevent exploitation of the vulnerability."
            }
        }
    }
}

impl fmt::Display for Justification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a reader accepted but wants the user to know, or something a
/// writer left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where: a JSON path (`statements[3].action_statement`), the SBOM
    /// reader's location, or a CSAF JSON pointer.
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}
