//! The normalised SBOM: one model for CycloneDX, SPDX 2 and SPDX 3, so
//! that matching, the NTIA check, diffs and VEX work the same whatever a
//! manufacturer submitted. Fields keep the source's text (versions,
//! timestamps, licence expressions) rather than reinterpreting it; only
//! identifiers that have a canonical form (purls, hashes) are canonicalised.

use std::collections::BTreeMap;
use std::fmt;

use crate::purl::Purl;

/// The id of a component inside one SBOM: the CycloneDX `bom-ref`, the
/// SPDX 2 `SPDXID` or the SPDX 3 `spdxId`, or one the reader made up
/// (`component-3`) when the source had none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId(pub String);

impl ComponentId {
    pub fn new(id: impl Into<String>) -> ComponentId {
        ComponentId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A serialisation the reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormatKind {
    CycloneDxJson,
    CycloneDxXml,
    Spdx2Json,
    Spdx2TagValue,
    /// SPDX 3 JSON-LD, as Yocto's `create-spdx` and the SPDX examples
    /// write it.
    Spdx3JsonLd,
}

impl FormatKind {
    /// The name used in messages, e.g. `CycloneDX JSON`.
    pub fn name(self) -> &'static str {
        match self {
            FormatKind::CycloneDxJson => "CycloneDX JSON",
            FormatKind::CycloneDxXml => "CycloneDX XML",
            FormatKind::Spdx2Json => "SPDX 2 JSON",
            FormatKind::Spdx2TagValue => "SPDX 2 tag-value",
            FormatKind::Spdx3JsonLd => "SPDX 3 JSON-LD",
        }
    }

    pub fn is_cyclonedx(self) -> bool {
        matches!(self, FormatKind::CycloneDxJson | FormatKind::CycloneDxXml)
    }
}

impl fmt::Display for FormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The format a document was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub kind: FormatKind,
    /// The specification version the document declares: `1.6` for
    /// CycloneDX, `2.3` for `SPDX-2.3`, `3.0.1` for SPDX 3.
    pub spec_version: String,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.spec_version)
    }
}

/// What kind of thing a component is. CycloneDX's `type`, SPDX 2's
/// `primaryPackagePurpose` and SPDX 3's `software_primaryPurpose` map onto
/// it; the purposes CycloneDX lacks have their own variants so that an
/// SPDX document reads back as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentKind {
    Application,
    Framework,
    Library,
    Container,
    Platform,
    OperatingSystem,
    Device,
    DeviceDriver,
    Firmware,
    File,
    MachineLearningModel,
    Data,
    CryptographicAsset,
    Source,
    Archive,
    Install,
    Other,
}

impl ComponentKind {
    /// The CycloneDX `type` closest to this kind; the SPDX-only purposes
    /// become the nearest CycloneDX type.
    pub fn cyclonedx(self) -> &'static str {
        match self {
            ComponentKind::Application => "application",
            ComponentKind::Framework => "framework",
            // Yocto marks its binary packages `install`; they are
            // libraries and programs, not files.
            ComponentKind::Library | ComponentKind::Other | ComponentKind::Install => "library",
            ComponentKind::Container => "container",
            ComponentKind::Platform => "platform",
            ComponentKind::OperatingSystem => "operating-system",
            ComponentKind::Device => "device",
            ComponentKind::DeviceDriver => "device-driver",
            ComponentKind::Firmware => "firmware",
            ComponentKind::File | ComponentKind::Source | ComponentKind::Archive => "file",
            ComponentKind::MachineLearningModel => "machine-learning-model",
            ComponentKind::Data => "data",
            ComponentKind::CryptographicAsset => "cryptographic-asset",
        }
    }

    pub(crate) fn from_cyclonedx(s: &str) -> Option<ComponentKind> {
        Some(match s {
            "application" => ComponentKind::Application,
            "framework" => ComponentKind::Framework,
            "library" => ComponentKind::Library,
            "container" => ComponentKind::Container,
            "platform" => ComponentKind::Platform,
            "operating-system" => ComponentKind::OperatingSystem,
            "device" => ComponentKind::Device,
            "device-driver" => ComponentKind::DeviceDriver,
            "firmware" => ComponentKind::Firmware,
            "file" => ComponentKind::File,
            "machine-learning-model" => ComponentKind::MachineLearningModel,
            "data" => ComponentKind::Data,
            "cryptographic-asset" => ComponentKind::CryptographicAsset,
            _ => return None,
        })
    }

    /// The SPDX 2.3 `primaryPackagePurpose` for this kind.
    pub fn spdx2(self) -> &'static str {
        match self {
            ComponentKind::Application => "APPLICATION",
            ComponentKind::Framework => "FRAMEWORK",
            ComponentKind::Library => "LIBRARY",
            ComponentKind::Container => "CONTAINER",
            ComponentKind::OperatingSystem => "OPERATING_SYSTEM",
            ComponentKind::Device => "DEVICE",
            ComponentKind::Firmware => "FIRMWARE",
            ComponentKind::File => "FILE",
            ComponentKind::Source => "SOURCE",
            ComponentKind::Archive => "ARCHIVE",
            ComponentKind::Install => "INSTALL",
            ComponentKind::Platform
            | ComponentKind::DeviceDriver
            | ComponentKind::MachineLearningModel
            | ComponentKind::Data
            | ComponentKind::CryptographicAsset
            | ComponentKind::Other => "OTHER",
        }
    }

    pub(crate) fn from_spdx2(s: &str) -> Option<ComponentKind> {
        Some(match s {
            "APPLICATION" => ComponentKind::Application,
            "FRAMEWORK" => ComponentKind::Framework,
            "LIBRARY" => ComponentKind::Library,
            "CONTAINER" => ComponentKind::Container,
            "OPERATING-SYSTEM" | "OPERATING_SYSTEM" => ComponentKind::OperatingSystem,
            "DEVICE" => ComponentKind::Device,
            "FIRMWARE" => ComponentKind::Firmware,
            "FILE" => ComponentKind::File,
            "SOURCE" => ComponentKind::Source,
            "ARCHIVE" => ComponentKind::Archive,
            "INSTALL" => ComponentKind::Install,
            "OTHER" => ComponentKind::Other,
            _ => return None,
        })
    }

    /// The kind for an SPDX 3 `software_primaryPurpose`.
    pub(crate) fn from_spdx3(s: &str) -> Option<ComponentKind> {
        Some(match s {
            "application" | "executable" => ComponentKind::Application,
            "framework" => ComponentKind::Framework,
            "library" | "module" => ComponentKind::Library,
            "container" | "diskImage" | "filesystemImage" => ComponentKind::Container,
            "platform" => ComponentKind::Platform,
            "operatingSystem" => ComponentKind::OperatingSystem,
            "device" => ComponentKind::Device,
            "deviceDriver" => ComponentKind::DeviceDriver,
            "firmware" => ComponentKind::Firmware,
            "file" => ComponentKind::File,
            "model" => ComponentKind::MachineLearningModel,
            "data" => ComponentKind::Data,
            "source" => ComponentKind::Source,
            "archive" => ComponentKind::Archive,
            "install" => ComponentKind::Install,
            "other" => ComponentKind::Other,
            _ => return None,
        })
    }
}

/// Who a party is, as SPDX's `Person:`/`Organization:`/`Tool:` prefixes
/// and CycloneDX's contact and entity objects say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartyKind {
    Organization,
    Person,
    Tool,
    /// The source gave a name without saying what it is (CycloneDX
    /// `author`, SPDX 3 `Agent`).
    Unspecified,
}

/// A supplier, author or SBOM creator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Party {
    pub kind: PartyKind,
    pub name: String,
    pub email: Option<String>,
}

impl Party {
    pub fn organization(name: impl Into<String>) -> Party {
        Party {
            kind: PartyKind::Organization,
            name: name.into(),
            email: None,
        }
    }

    pub fn person(name: impl Into<String>) -> Party {
        Party {
            kind: PartyKind::Person,
            name: name.into(),
            email: None,
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(email) = &self.email {
            write!(f, " <{email}>")?;
        }
        Ok(())
    }
}

/// A digest algorithm, the union of what CycloneDX and SPDX name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    Md2,
    Md4,
    Md5,
    Md6,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Blake3,
    Adler32,
    Streebog256,
    Streebog512,
    /// A name neither standard has, kept as written.
    Other(String),
}

impl HashAlg {
    /// Reads CycloneDX (`SHA-256`), SPDX 2 (`SHA256`) and SPDX 3
    /// (`sha256`, `sha3_256`, `blake2b256`) spellings.
    pub fn parse(s: &str) -> HashAlg {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "md2" => HashAlg::Md2,
            "md4" => HashAlg::Md4,
            "md5" => HashAlg::Md5,
            "md6" => HashAlg::Md6,
            "sha1" => HashAlg::Sha1,
            "sha224" => HashAlg::Sha224,
            "sha256" => HashAlg::Sha256,
            "sha384" => HashAlg::Sha384,
            "sha512" => HashAlg::Sha512,
            "sha3256" => HashAlg::Sha3_256,
            "sha3384" => HashAlg::Sha3_384,
            "sha3512" => HashAlg::Sha3_512,
            "blake2b256" => HashAlg::Blake2b256,
            "blake2b384" => HashAlg::Blake2b384,
            "blake2b512" => HashAlg::Blake2b512,
            "blake3" => HashAlg::Blake3,
            "adler32" => HashAlg::Adler32,
            "streebog256" => HashAlg::Streebog256,
            "streebog512" => HashAlg::Streebog512,
            _ => HashAlg::Other(s.to_owned()),
        }
    }

    /// The CycloneDX 1.6 `alg`, if CycloneDX 1.6 has this algorithm.
    pub fn cyclonedx(&self) -> Option<&'static str> {
        Some(match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            HashAlg::Blake2b256 => "BLAKE2b-256",
            HashAlg::Blake2b384 => "BLAKE2b-384",
            HashAlg::Blake2b512 => "BLAKE2b-512",
            HashAlg::Blake3 => "BLAKE3",
            _ => return None,
        })
    }

    /// The SPDX 2.3 checksum `algorithm`, if SPDX 2.3 has this algorithm.
    pub fn spdx2(&self) -> Option<&'static str> {
        Some(match self {
            HashAlg::Md2 => "MD2",
            HashAlg::Md4 => "MD4",
            HashAlg::Md5 => "MD5",
            HashAlg::Md6 => "MD6",
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha224 => "SHA224",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            HashAlg::Blake2b256 => "BLAKE2b-256",
            HashAlg::Blake2b384 => "BLAKE2b-384",
            HashAlg::Blake2b512 => "BLAKE2b-512",
            HashAlg::Blake3 => "BLAKE3",
            HashAlg::Adler32 => "ADLER32",
            _ => return None,
        })
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashAlg::Md2 => f.write_str("MD2"),
            HashAlg::Md4 => f.write_str("MD4"),
            HashAlg::Md6 => f.write_str("MD6"),
            HashAlg::Sha224 => f.write_str("SHA-224"),
            HashAlg::Adler32 => f.write_str("ADLER32"),
            HashAlg::Streebog256 => f.write_str("Streebog-256"),
            HashAlg::Streebog512 => f.write_str("Streebog-512"),
            HashAlg::Other(s) => f.write_str(s),
            known => f.write_str(known.cyclonedx().unwrap_or("?")),
        }
    }
}

/// A digest of a component; `value` is lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    pub alg: HashAlg,
    pub value: String,
}

impl Hash {
    pub fn new(alg: HashAlg, value: &str) -> Hash {
        Hash {
            alg,
            value: value.trim().to_ascii_lowercase(),
        }
    }
}

/// A licence statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum License {
    /// A valid SPDX licence expression, identifiers in the licence list's
    /// case: `MIT`, `GPL-2.0-only WITH Linux-syscall-note`,
    /// `LicenseRef-acme-eula`.
    Expression(String),
    /// A licence known only by a name that is not an SPDX expression:
    /// `Apache License, Version 2.0`.
    Name(String),
}

impl License {
    pub fn as_str(&self) -> &str {
        match self {
            License::Expression(s) | License::Name(s) => s,
        }
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text of a `LicenseRef-` used in the SBOM (SPDX
/// `hasExtractedLicensingInfos`), kept so that writing SPDX again can
/// define every reference it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedLicense {
    /// `LicenseRef-…`.
    pub id: String,
    pub name: Option<String>,
    pub text: String,
}

/// The property that keeps an SPDX 3 primary purpose the model has no
/// kind for (`specification`, `documentation`, `patch` …).
pub const SPDX3_PURPOSE: &str = "spdx:primaryPurpose";

/// One component (package, library, firmware image, file …) of an SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub id: ComponentId,
    /// `None` when the source did not say (SPDX packages without a
    /// purpose).
    pub kind: Option<ComponentKind>,
    pub name: String,
    /// The CycloneDX `group` (Maven group id, npm scope …).
    pub group: Option<String>,
    pub version: Option<String>,
    pub purl: Option<Purl>,
    /// Every CPE (2.3 formatted strings and 2.2 URIs) as written: Yocto
    /// components are matched through these, having no useful purl.
    pub cpes: Vec<String>,
    /// The SWID `tagId`.
    pub swid: Option<String>,
    pub supplier: Option<Party>,
    /// The CycloneDX author or manufacturer, the SPDX originator.
    pub author: Option<Party>,
    pub publisher: Option<String>,
    pub hashes: Vec<Hash>,
    /// Declared licences (CycloneDX `licenses`, SPDX `licenseDeclared`).
    pub licenses: Vec<License>,
    /// The licence a reviewer concluded (SPDX `licenseConcluded`,
    /// CycloneDX 1.6 `acknowledgement: concluded`).
    pub license_concluded: Option<License>,
    pub copyright: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub download_location: Option<String>,
    /// CycloneDX `scope`: `required`, `optional` or `excluded`.
    pub scope: Option<String>,
    /// Name/value pairs (CycloneDX `properties`), in source order.
    pub properties: Vec<(String, String)>,
    /// The component this one is nested in (CycloneDX nesting, SPDX
    /// `CONTAINS`); each component has at most one.
    pub parent: Option<ComponentId>,
    /// When support ends (SPDX 2.3 `validUntilDate`, SPDX 3
    /// `validUntilTime`, CycloneDX property `medsec:endOfSupport`).
    pub end_of_support: Option<String>,
}

impl Component {
    /// A component with only an id and a name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Component {
        Component {
            id: ComponentId::new(id),
            kind: None,
            name: name.into(),
            group: None,
            version: None,
            purl: None,
            cpes: Vec::new(),
            swid: None,
            supplier: None,
            author: None,
            publisher: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            license_concluded: None,
            copyright: None,
            description: None,
            homepage: None,
            download_location: None,
            scope: None,
            properties: Vec::new(),
            parent: None,
            end_of_support: None,
        }
    }

    /// `group/name` when there is a group, else the name: how people
    /// refer to Maven and npm-scoped components.
    pub fn display_name(&self) -> String {
        match &self.group {
            Some(g) if !g.is_empty() => format!("{g}/{}", self.name),
            _ => self.name.clone(),
        }
    }

    /// The value of the first property called `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this component is a file of a package rather than a
    /// package (SPDX files, CycloneDX `file` components).
    pub fn is_file(&self) -> bool {
        self.kind == Some(ComponentKind::File)
    }

    /// Whether the component is part of what ships: not a file of a
    /// package and not a build recipe (SPDX 3 purpose `specification`,
    /// as Yocto marks its recipes). The NTIA check and the diff look at
    /// these only.
    pub fn is_shipped(&self) -> bool {
        !self.is_file() && self.property(SPDX3_PURPOSE) != Some("specification")
    }
}

/// How one component relates to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DependencyKind {
    /// `from` needs `to` (CycloneDX `dependsOn`, SPDX `DEPENDS_ON` and the
    /// `*_DEPENDENCY_OF` family read backwards).
    DependsOn,
    /// `from` contains `to` (SPDX `CONTAINS`/`CONTAINED_BY`, SPDX 3
    /// `contains`); CycloneDX nesting is kept in [`Component::parent`].
    Contains,
}

/// A directed edge of the dependency graph, normalised to point from the
/// dependent to the dependency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dependency {
    pub from: ComponentId,
    pub to: ComponentId,
    pub kind: DependencyKind,
    /// The SPDX relationship it came from when that says more than the
    /// kind (`BUILD_DEPENDENCY_OF`, SPDX 3 scope `build`).
    pub detail: Option<String>,
}

/// CycloneDX `analysis.state`, the VEX status of a vulnerability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VexState {
    Resolved,
    ResolvedWithPedigree,
    Exploitable,
    InTriage,
    FalsePositive,
    NotAffected,
}

impl VexState {
    pub fn as_str(self) -> &'static str {
        match self {
            VexState::Resolved => "resolved",
            VexState::ResolvedWithPedigree => "resolved_with_pedigree",
            VexState::Exploitable => "exploitable",
            VexState::InTriage => "in_triage",
            VexState::FalsePositive => "false_positive",
            VexState::NotAffected => "not_affected",
        }
    }

    pub fn parse(s: &str) -> Option<VexState> {
        Some(match s {
            "resolved" => VexState::Resolved,
            "resolved_with_pedigree" => VexState::ResolvedWithPedigree,
            "exploitable" => VexState::Exploitable,
            "in_triage" => VexState::InTriage,
            "false_positive" => VexState::FalsePositive,
            "not_affected" => VexState::NotAffected,
            _ => return None,
        })
    }
}

/// CycloneDX `analysis.justification` (why a component is not affected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VexJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl VexJustification {
    pub fn as_str(self) -> &'static str {
        match self {
            VexJustification::CodeNotPresent => "code_not_present",
            VexJustification::CodeNotReachable => "code_not_reachable",
            VexJustification::RequiresConfiguration => "requires_configuration",
            VexJustification::RequiresDependency => "requires_dependency",
            VexJustification::RequiresEnvironment => "requires_environment",
            VexJustification::ProtectedByCompiler => "protected_by_compiler",
            VexJustification::ProtectedAtRuntime => "protected_at_runtime",
            VexJustification::ProtectedAtPerimeter => "protected_at_perimeter",
            VexJustification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }

    pub fn parse(s: &str) -> Option<VexJustification> {
        Some(match s {
            "code_not_present" => VexJustification::CodeNotPresent,
            "code_not_reachable" => VexJustification::CodeNotReachable,
            "requires_configuration" => VexJustification::RequiresConfiguration,
            "requires_dependency" => VexJustification::RequiresDependency,
            "requires_environment" => VexJustification::RequiresEnvironment,
            "protected_by_compiler" => VexJustification::ProtectedByCompiler,
            "protected_at_runtime" => VexJustification::ProtectedAtRuntime,
            "protected_at_perimeter" => VexJustification::ProtectedAtPerimeter,
            "protected_by_mitigating_control" => VexJustification::ProtectedByMitigatingControl,
            _ => return None,
        })
    }
}

/// CycloneDX `analysis.response`: what the manufacturer does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VexResponse {
    CanNotFix,
    WillNotFix,
    Update,
    Rollback,
    WorkaroundAvailable,
}

impl VexResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            VexResponse::CanNotFix => "can_not_fix",
            VexResponse::WillNotFix => "will_not_fix",
            VexResponse::Update => "update",
            VexResponse::Rollback => "rollback",
            VexResponse::WorkaroundAvailable => "workaround_available",
        }
    }

    pub fn parse(s: &str) -> Option<VexResponse> {
        Some(match s {
            "can_not_fix" => VexResponse::CanNotFix,
            "will_not_fix" => VexResponse::WillNotFix,
            "update" => VexResponse::Update,
            "rollback" => VexResponse::Rollback,
            "workaround_available" => VexResponse::WorkaroundAvailable,
            _ => return None,
        })
    }
}

/// The VEX analysis of a vulnerability (CycloneDX `analysis`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VexAnalysis {
    pub state: Option<VexState>,
    pub justification: Option<VexJustification>,
    pub responses: Vec<VexResponse>,
    pub detail: Option<String>,
    pub first_issued: Option<String>,
    pub last_updated: Option<String>,
}

/// CycloneDX `affects[].versions[].status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AffectedStatus {
    Affected,
    Unaffected,
    Unknown,
}

impl AffectedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AffectedStatus::Affected => "affected",
            AffectedStatus::Unaffected => "unaffected",
            AffectedStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<AffectedStatus> {
        Some(match s {
            "affected" => AffectedStatus::Affected,
            "unaffected" => AffectedStatus::Unaffected,
            "unknown" => AffectedStatus::Unknown,
            _ => return None,
        })
    }
}

/// A version or `vers:` range of an affected component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedVersion {
    /// Exactly one of `version` and `range` is set.
    pub version: Option<String>,
    pub range: Option<String>,
    pub status: Option<AffectedStatus>,
}

/// One `affects[]` entry: what the statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affects {
    /// The `ref` as written: a `bom-ref` of this BOM or a BOM-Link
    /// (`urn:cdx:<serial>/<version>#<bom-ref>`) into another.
    pub target: String,
    pub versions: Vec<AffectedVersion>,
}

/// A severity rating (CycloneDX `ratings[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub source: Option<String>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
}

/// A vulnerability and its VEX statement, as carried inside a CycloneDX
/// BOM or VEX document (`vulnerabilities[]`), or an SPDX 3 VEX
/// relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct Vulnerability {
    /// `CVE-2021-44228`, `GHSA-…`.
    pub id: String,
    pub bom_ref: Option<String>,
    /// The source's name (`NVD`) and URL.
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    /// Other ids for the same vulnerability (`references[].id`).
    pub aliases: Vec<String>,
    pub ratings: Vec<Rating>,
    pub cwes: Vec<u32>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub recommendation: Option<String>,
    pub workaround: Option<String>,
    pub created: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub analysis: Option<VexAnalysis>,
    pub affects: Vec<Affects>,
    pub properties: Vec<(String, String)>,
}

impl Vulnerability {
    pub fn new(id: impl Into<String>) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            bom_ref: None,
            source_name: None,
            source_url: None,
            aliases: Vec::new(),
            ratings: Vec::new(),
            cwes: Vec::new(),
            description: None,
            detail: None,
            recommendation: None,
            workaround: None,
            created: None,
            published: None,
            updated: None,
            analysis: None,
            affects: Vec::new(),
            properties: Vec::new(),
        }
    }
}

/// Something the reader accepted but wants the user to know: a field it
/// does not know, a purl it could not parse, a dangling reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where, as a JSON path (`components[3].purl`), `line 12` for
    /// tag-value, `line 12 column 5` for XML, or `@graph[4]` for SPDX 3.
    pub location: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.location, self.message)
        }
    }
}

/// An SBOM in the normalised model.
#[derive(Debug, Clone, PartialEq)]
pub struct Sbom {
    pub format: Format,
    /// The SPDX document name, else the name of the CycloneDX
    /// `metadata.component`.
    pub name: Option<String>,
    /// The CycloneDX BOM `version` (its revision), as text.
    pub version: Option<String>,
    /// The CycloneDX `serialNumber`, SPDX 2 `documentNamespace` or SPDX 3
    /// `SpdxDocument` id.
    pub serial: Option<String>,
    /// When the SBOM was made (`metadata.timestamp`, `created`), as
    /// written.
    pub created: Option<String>,
    /// Who made the SBOM (people and organisations; tools are in
    /// `tools`).
    pub authors: Vec<Party>,
    /// The tools that made it, `name version`.
    pub tools: Vec<String>,
    /// The product the SBOM describes (CycloneDX `metadata.component`,
    /// SPDX `DESCRIBES`), which is also in `components`.
    pub subject: Option<ComponentId>,
    pub components: Vec<Component>,
    pub dependencies: Vec<Dependency>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Texts of the `LicenseRef-`s the components use, where the source
    /// had them.
    pub extracted_licenses: Vec<ExtractedLicense>,
    pub warnings: Vec<Diagnostic>,
}

impl Sbom {
    /// An empty SBOM of `format`.
    pub fn new(format: Format) -> Sbom {
        Sbom {
            format,
            name: None,
            version: None,
            serial: None,
            created: None,
            authors: Vec::new(),
            tools: Vec::new(),
            subject: None,
            components: Vec::new(),
            dependencies: Vec::new(),
            vulnerabilities: Vec::new(),
            extracted_licenses: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Every component, the subject included, in document order (nested
    /// CycloneDX components follow their parent).
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The component with `id`.
    pub fn component(&self, id: &ComponentId) -> Option<&Component> {
        self.components.iter().find(|c| &c.id == id)
    }

    /// The product the SBOM describes.
    pub fn subject_component(&self) -> Option<&Component> {
        self.subject.as_ref().and_then(|id| self.component(id))
    }

    /// The components `id` directly depends on.
    pub fn dependencies_of<'a>(
        &'a self,
        id: &'a ComponentId,
    ) -> impl Iterator<Item = &'a ComponentId> + 'a {
        self.dependencies
            .iter()
            .filter(move |d| &d.from == id && d.kind == DependencyKind::DependsOn)
            .map(|d| &d.to)
    }

    /// Components by id, for lookups in loops.
    pub fn index(&self) -> BTreeMap<&ComponentId, &Component> {
        self.components.iter().map(|c| (&c.id, c)).collect()
    }
}
