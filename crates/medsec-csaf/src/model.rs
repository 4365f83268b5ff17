//! The CSAF 2.0 document as serde types, one per object of
//! `csaf_json_schema.json`, field names exactly as the schema spells them.
//!
//! The schema forbids properties it does not define everywhere except in
//! the FIRST CVSS objects, so typing every property makes a read → write
//! round trip lossless; only the CVSS objects keep unknown members
//! (`other`). Arrays the schema requires to be non-empty are `Vec`s that
//! are left out when empty, so an absent array and an empty one read the
//! same. Fields the schema requires are required here too, except inside
//! CVSS objects: their completeness is mandatory test 6.1.8, which can
//! only report what was read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole CSAF document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub document: Document,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_tree: Option<ProductTree>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `/document`: the metadata of the advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledgments: Vec<Acknowledgment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate_severity: Option<AggregateSeverity>,
    /// The profile: `csaf_base`, `csaf_security_advisory`, `csaf_vex`, …
    /// Free text by the schema (any other value is a `csaf_base` document).
    pub category: String,
    pub csaf_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    pub publisher: Publisher,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_lang: Option<String>,
    pub title: String,
    pub tracking: Tracking,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgment {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateSeverity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
}

/// Traffic Light Protocol marking (TLP 1.0 labels, as CSAF 2.0 has them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tlp {
    pub label: TlpLabel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TlpLabel {
    Amber,
    Green,
    Red,
    White,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub category: NoteCategory,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteCategory {
    Description,
    Details,
    Faq,
    General,
    LegalDisclaimer,
    Other,
    Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publisher {
    pub category: PublisherCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_authority: Option<String>,
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublisherCategory {
    Coordinator,
    Discoverer,
    Other,
    Translator,
    User,
    Vendor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Absent means `external`, the schema's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<ReferenceCategory>,
    pub summary: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceCategory {
    External,
    #[serde(rename = "self")]
    OwnDocument,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// RFC 3339 date-time, kept as written (precision and offset vary).
    pub current_release_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    pub id: String,
    pub initial_release_date: String,
    pub revision_history: Vec<Revision>,
    pub status: TrackingStatus,
    /// Integer (`"3"`) or semantic (`"1.2.0"`) versioning.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub engine: Engine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_version: Option<String>,
    pub number: String,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    Draft,
    Final,
    Interim,
}

/// `/product_tree`: every product the advisory speaks about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductTree {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub full_product_names: Vec<FullProductName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_groups: Vec<ProductGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
}

/// One level of the vendor → product → version hierarchy. Recursive: a
/// document read by [`crate::read`] is at most
/// [`crate::MAX_BRANCH_DEPTH`] levels deep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    pub category: BranchCategory,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<FullProductName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchCategory {
    Architecture,
    HostName,
    Language,
    Legacy,
    PatchLevel,
    ProductFamily,
    ProductName,
    ProductVersion,
    ProductVersionRange,
    ServicePack,
    Specification,
    Vendor,
}

/// A product definition: the id other parts of the document refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullProductName {
    pub name: String,
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_identification_helper: Option<IdentificationHelper>,
}

/// `product_identification_helper`: machine-matchable identifiers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentificationHelper {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hashes>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serial_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x_generic_uris: Vec<GenericUri>,
}

/// The hashes of one file of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hashes {
    pub file_hashes: Vec<FileHash>,
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHash {
    pub algorithm: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenericUri {
    pub namespace: String,
    pub uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductGroup {
    pub group_id: String,
    pub product_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// A product made of two others, e.g. an application `installed_on` a
/// platform; `full_product_name` defines the id of the combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    pub category: RelationshipCategory,
    pub full_product_name: FullProductName,
    pub product_reference: String,
    pub relates_to_product_reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipCategory {
    DefaultComponentOf,
    ExternalComponentOf,
    InstalledOn,
    InstalledWith,
    OptionalComponentOf,
}

/// `/vulnerabilities[]`: one vulnerability and what it means per product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledgments: Vec<Acknowledgment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwe: Option<Cwe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<VulnerabilityId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub involvements: Vec<Involvement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_status: Option<ProductStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<Remediation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<Score>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<Threat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cwe {
    pub id: String,
    pub name: String,
}

/// An id of the vulnerability in another system than CVE (vendor bug
/// numbers, GHSA …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VulnerabilityId {
    pub system_name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<String>,
    pub label: Justification,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
}

/// The flag labels of CSAF 2.0, which are exactly the VEX justifications
/// for "not affected" (CISA's minimum requirements for VEX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Justification {
    ComponentNotPresent,
    InlineMitigationsAlreadyExist,
    VulnerableCodeCannotBeControlledByAdversary,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeNotPresent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Involvement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub party: InvolvementParty,
    pub status: InvolvementStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvolvementParty {
    Coordinator,
    Discoverer,
    Other,
    User,
    Vendor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvolvementStatus {
    Completed,
    ContactAttempted,
    Disputed,
    InProgress,
    NotContacted,
    Open,
}

/// `product_status`: the product ids per status. The field order is the
/// order [`crate::statements`] reports them in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_affected: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_fixed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_affected: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_not_affected: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_affected: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommended: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub under_investigation: Vec<String>,
}

/// The status of a product with respect to a vulnerability: the keys of
/// `product_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    FirstAffected,
    FirstFixed,
    Fixed,
    KnownAffected,
    KnownNotAffected,
    LastAffected,
    Recommended,
    UnderInvestigation,
}

impl Status {
    /// The key in `product_status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::FirstAffected => "first_affected",
            Status::FirstFixed => "first_fixed",
            Status::Fixed => "fixed",
            Status::KnownAffected => "known_affected",
            Status::KnownNotAffected => "known_not_affected",
            Status::LastAffected => "last_affected",
            Status::Recommended => "recommended",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether the product is (or was, in a range of versions) affected.
    pub fn is_affected(self) -> bool {
        matches!(
            self,
            Status::FirstAffected | Status::KnownAffected | Status::LastAffected
        )
    }
}

impl ProductStatus {
    /// Every list with its status, in field order.
    pub fn lists(&self) -> [(Status, &[String]); 8] {
        [
            (Status::FirstAffected, &self.first_affected),
            (Status::FirstFixed, &self.first_fixed),
            (Status::Fixed, &self.fixed),
            (Status::KnownAffected, &self.known_affected),
            (Status::KnownNotAffected, &self.known_not_affected),
            (Status::LastAffected, &self.last_affected),
            (Status::Recommended, &self.recommended),
            (Status::UnderInvestigation, &self.under_investigation),
        ]
    }

    /// The list of one status, for building a document.
    pub fn list_mut(&mut self, status: Status) -> &mut Vec<String> {
        match status {
            Status::FirstAffected => &mut self.first_affected,
            Status::FirstFixed => &mut self.first_fixed,
            Status::Fixed => &mut self.fixed,
            Status::KnownAffected => &mut self.known_affected,
            Status::KnownNotAffected => &mut self.known_not_affected,
            Status::LastAffected => &mut self.last_affected,
            Status::Recommended => &mut self.recommended,
            Status::UnderInvestigation => &mut self.under_investigation,
        }
    }
}

/// What to do about a vulnerability for some products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    pub category: RemediationCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub details: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_required: Option<RestartRequired>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    Mitigation,
    NoFixPlanned,
    NoneAvailable,
    VendorFix,
    Workaround,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartRequired {
    pub category: RestartCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartCategory {
    Connected,
    Dependencies,
    Machine,
    None,
    Parent,
    Service,
    System,
    VulnerableComponent,
    Zone,
}

/// CVSS scores and the products they apply to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_v2: Option<CvssV2>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_v3: Option<CvssV3>,
    pub products: Vec<String>,
}

/// A FIRST CVSS v3.0/v3.1 JSON object. The members medsec uses are typed;
/// the rest (metric names, temporal and environmental scores) stay in
/// `other`. Required members are optional here so that an incomplete
/// object is reported by [`crate::check`] (6.1.8) instead of failing the
/// read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssV3 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(
        rename = "vectorString",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub vector_string: Option<String>,
    #[serde(rename = "baseScore", default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    #[serde(
        rename = "baseSeverity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub base_severity: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A FIRST CVSS v2.0 JSON object; see [`CvssV3`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssV2 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(
        rename = "vectorString",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub vector_string: Option<String>,
    #[serde(rename = "baseScore", default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threat {
    pub category: ThreatCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub details: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatCategory {
    ExploitStatus,
    Impact,
    TargetSet,
}
