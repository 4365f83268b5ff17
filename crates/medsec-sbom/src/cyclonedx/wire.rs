//! CycloneDX 1.2–1.7 as serde reads it: the fields the model uses, typed
//! as the JSON schema types them so that a wrong type or enum value is an
//! error at its JSON path and position, and every other field the schema
//! defines as [`Skip`], so that only fields the schema does not know are
//! reported (as warnings) by `serde_ignored`. The XML reader fills the
//! same structs.

// The `Skip` fields exist so that serde knows the schema's fields; they
// are never read.
#![allow(dead_code)]

use serde::{Deserialize, Deserializer};

use crate::model::{
    AffectedStatus, ComponentKind, HashAlg, VexJustification, VexResponse, VexState,
};
use crate::util::{Skip, invalid_value, is_digest_hex};

/// Declares a string newtype that accepts only the values `parse` knows,
/// failing with the value and what was expected.
macro_rules! checked_string {
    ($name:ident, $inner:ty, $parse:expr, $expected:literal) => {
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct $name(pub $inner);

        impl $name {
            pub(crate) fn parse(s: &str) -> Result<$name, String> {
                match ($parse)(s) {
                    Some(v) => Ok($name(v)),
                    None => Err(format!("invalid value: `{s}`, expected {}", $expected)),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                match ($parse)(s.as_str()) {
                    Some(v) => Ok($name(v)),
                    None => Err(invalid_value($expected, &s)),
                }
            }
        }
    };
}

checked_string!(
    Kind,
    ComponentKind,
    ComponentKind::from_cyclonedx,
    "one of application, framework, library, container, platform, operating-system, device, device-driver, firmware, file, machine-learning-model, data, cryptographic-asset"
);

fn cdx_hash_alg(s: &str) -> Option<HashAlg> {
    const NAMES: &[&str] = &[
        "MD5",
        "SHA-1",
        "SHA-256",
        "SHA-384",
        "SHA-512",
        "SHA3-256",
        "SHA3-384",
        "SHA3-512",
        "BLAKE2b-256",
        "BLAKE2b-384",
        "BLAKE2b-512",
        "BLAKE3",
        "Streebog-256",
        "Streebog-512",
    ];
    NAMES.contains(&s).then(|| HashAlg::parse(s))
}

checked_string!(
    Alg,
    HashAlg,
    cdx_hash_alg,
    "one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, SHA3-256, SHA3-384, SHA3-512, BLAKE2b-256, BLAKE2b-384, BLAKE2b-512, BLAKE3"
);

fn digest(s: &str) -> Option<String> {
    is_digest_hex(s).then(|| s.to_ascii_lowercase())
}

checked_string!(
    Digest,
    String,
    digest,
    "32, 40, 64, 96 or 128 hexadecimal digits"
);

fn scope(s: &str) -> Option<String> {
    matches!(s, "required" | "optional" | "excluded").then(|| s.to_owned())
}

checked_string!(Scope, String, scope, "one of required, optional, excluded");

checked_string!(
    State,
    VexState,
    VexState::parse,
    "one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected"
);

checked_string!(
    Justification,
    VexJustification,
    VexJustification::parse,
    "one of code_not_present, code_not_reachable, requires_configuration, requires_dependency, requires_environment, protected_by_compiler, protected_at_runtime, protected_at_perimeter, protected_by_mitigating_control"
);

checked_string!(
    Response,
    VexResponse,
    VexResponse::parse,
    "one of can_not_fix, will_not_fix, update, rollback, workaround_available"
);

checked_string!(
    Status,
    AffectedStatus,
    AffectedStatus::parse,
    "one of affected, unaffected, unknown"
);

fn acknowledgement(s: &str) -> Option<bool> {
    match s {
        "concluded" => Some(true),
        "declared" => Some(false),
        _ => None,
    }
}

checked_string!(
    Acknowledgement,
    bool,
    acknowledgement,
    "one of declared, concluded"
);

/// A BOM, any spec version.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom {
    #[serde(rename = "$schema")]
    pub schema: Option<Skip>,
    pub bom_format: String,
    pub spec_version: String,
    /// Checked against the schema's pattern when converting: many tools
    /// write upper-case UUIDs, which is a warning rather than a reason to
    /// refuse the BOM.
    pub serial_number: Option<String>,
    pub version: Option<BomVersion>,
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub components: Vec<Component>,
    pub services: Option<Skip>,
    pub external_references: Option<Skip>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    pub compositions: Option<Skip>,
    #[serde(default)]
    pub properties: Vec<Property>,
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
    pub annotations: Option<Skip>,
    pub formulation: Option<Skip>,
    pub declarations: Option<Skip>,
    pub definitions: Option<Skip>,
    pub citations: Option<Skip>,
    pub signature: Option<Skip>,
}

/// The BOM `version`: an integer from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BomVersion(pub u64);

impl<'de> Deserialize<'de> for BomVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BomVersion, D::Error> {
        let v = u64::deserialize(d)?;
        if v == 0 {
            return Err(invalid_value("an integer from 1", "0"));
        }
        Ok(BomVersion(v))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metadata {
    pub timestamp: Option<String>,
    pub lifecycles: Option<Skip>,
    pub tools: Option<Tools>,
    #[serde(default)]
    pub authors: Vec<Contact>,
    pub component: Option<Box<Component>>,
    pub manufacture: Option<Entity>,
    pub manufacturer: Option<Entity>,
    pub supplier: Option<Entity>,
    pub licenses: Option<Skip>,
    #[serde(default)]
    pub properties: Vec<Property>,
    pub distribution_constraints: Option<Skip>,
}

/// `metadata.tools`: an array of tools up to 1.4, an object of
/// components and services from 1.5 (the array is still allowed).
#[derive(Debug, Default)]
pub(crate) struct Tools {
    pub legacy: Vec<LegacyTool>,
    pub components: Vec<Component>,
    pub services: Vec<Service>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolsObject {
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    services: Vec<Service>,
}

impl<'de> Deserialize<'de> for Tools {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tools, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Tools;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of tools or an object of tool components and services")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Tools, A::Error> {
                let legacy = Vec::<LegacyTool>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?;
                Ok(Tools {
                    legacy,
                    ..Tools::default()
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Tools, A::Error> {
                let o =
                    ToolsObject::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Tools {
                    legacy: Vec::new(),
                    components: o.components,
                    services: o.services,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LegacyTool {
    pub vendor: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub hashes: Option<Skip>,
    pub external_references: Option<Skip>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Service {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<Skip>,
    pub provider: Option<Entity>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<Skip>,
    pub endpoints: Option<Skip>,
    pub authenticated: Option<Skip>,
    #[serde(rename = "x-trust-boundary")]
    pub x_trust_boundary: Option<Skip>,
    pub trust_zone: Option<Skip>,
    pub data: Option<Skip>,
    pub licenses: Option<Skip>,
    pub patent_assertions: Option<Skip>,
    pub external_references: Option<Skip>,
    pub properties: Option<Skip>,
    pub services: Option<Skip>,
    pub release_notes: Option<Skip>,
    pub signature: Option<Skip>,
    pub tags: Option<Skip>,
}

/// An organisation (`supplier`, `manufacturer`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Entity {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<Skip>,
    pub name: Option<String>,
    pub address: Option<Skip>,
    #[serde(default)]
    pub url: Vec<String>,
    #[serde(default)]
    pub contact: Vec<Contact>,
}

/// A person (`authors[]`, `contact[]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Contact {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<Skip>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Component {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(rename = "mime-type")]
    pub mime_type: Option<Skip>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub supplier: Option<Entity>,
    pub manufacturer: Option<Entity>,
    #[serde(default)]
    pub authors: Vec<Contact>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    pub group: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub version_range: Option<Skip>,
    pub is_external: Option<Skip>,
    pub description: Option<String>,
    pub scope: Option<Scope>,
    #[serde(default)]
    pub hashes: Vec<HashEntry>,
    #[serde(default)]
    pub licenses: Vec<LicenseChoice>,
    pub copyright: Option<String>,
    pub patent_assertions: Option<Skip>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    pub omnibor_id: Option<Skip>,
    pub swhid: Option<Skip>,
    pub swid: Option<Swid>,
    pub modified: Option<Skip>,
    pub pedigree: Option<Skip>,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub properties: Vec<Property>,
    #[serde(default)]
    pub components: Vec<Component>,
    pub evidence: Option<Skip>,
    pub release_notes: Option<Skip>,
    pub model_card: Option<Skip>,
    pub data: Option<Skip>,
    pub crypto_properties: Option<Skip>,
    pub tags: Option<Skip>,
    pub signature: Option<Skip>,
    /// Where the XML element was, for messages; JSON messages use paths.
    #[serde(skip)]
    pub at: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HashEntry {
    pub alg: Alg,
    pub content: Digest,
}

/// One `licenses[]` entry: a licence object or an expression.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LicenseChoice {
    pub license: Option<LicenseObject>,
    pub expression: Option<String>,
    pub expression_details: Option<Skip>,
    pub acknowledgement: Option<Acknowledgement>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<Skip>,
    pub licensing: Option<Skip>,
    pub properties: Option<Skip>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LicenseObject {
    pub id: Option<String>,
    pub name: Option<String>,
    pub acknowledgement: Option<Acknowledgement>,
    pub text: Option<Skip>,
    pub url: Option<String>,
    pub licensing: Option<Skip>,
    pub properties: Option<Skip>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<Skip>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Swid {
    pub tag_id: String,
    pub name: Option<String>,
    pub version: Option<Skip>,
    pub tag_version: Option<Skip>,
    pub patch: Option<Skip>,
    pub text: Option<Skip>,
    pub url: Option<Skip>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExternalReference {
    pub url: String,
    pub comment: Option<Skip>,
    #[serde(rename = "type")]
    pub kind: String,
    pub hashes: Option<Skip>,
    pub properties: Option<Skip>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Property {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dependency {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
    pub provides: Option<Skip>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Vulnerability {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub id: Option<String>,
    pub source: Option<Source>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub ratings: Vec<Rating>,
    #[serde(default)]
    pub cwes: Vec<u32>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub recommendation: Option<String>,
    pub workaround: Option<String>,
    pub proof_of_concept: Option<Skip>,
    pub advisories: Option<Skip>,
    pub created: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub rejected: Option<Skip>,
    pub credits: Option<Skip>,
    pub tools: Option<Skip>,
    pub analysis: Option<Analysis>,
    #[serde(default)]
    pub affects: Vec<Affects>,
    #[serde(default)]
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Source {
    pub name: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Reference {
    pub id: String,
    pub source: Option<Source>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Rating {
    pub source: Option<Source>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
    pub justification: Option<Skip>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Analysis {
    pub state: Option<State>,
    pub justification: Option<Justification>,
    #[serde(default)]
    pub response: Vec<Response>,
    pub detail: Option<String>,
    pub first_issued: Option<String>,
    pub last_updated: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Affects {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub versions: Vec<AffectedVersion>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AffectedVersion {
    pub version: Option<String>,
    pub range: Option<String>,
    pub status: Option<Status>,
}
