//! SPDX 2.2 and 2.3: JSON and tag-value read into the model (packages and
//! files as components, relationships normalised to point from dependent
//! to dependency and from container to contained), and SPDX 2.3 JSON
//! written from it.

mod tagvalue;
mod wire;
mod write;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer};

pub(crate) use tagvalue::read_tag_value;
pub(crate) use wire::{
    Checksum, Document, ExternalRef, ExtractedLicensingInfo, File, Package, Relationship,
};
pub(crate) use write::write_json;

use crate::error::{ErrorKind, Location, SbomError};
use crate::license;
use crate::model::{
    Component, ComponentId, ComponentKind, Dependency, DependencyKind, Diagnostic,
    ExtractedLicense, Format, FormatKind, Hash, HashAlg, Party, PartyKind, Sbom,
};
use crate::purl::Purl;
use crate::util::invalid_value;
use crate::{Limits, jsonread};

/// SPDX 2.3's checksum algorithms.
const ALGORITHMS: &[&str] = &[
    "SHA1",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "MD2",
    "MD4",
    "MD5",
    "MD6",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
    "ADLER32",
];

/// SPDX 2.3's relationship types.
pub(crate) const RELATIONSHIP_TYPES: &[&str] = &[
    "AMENDS",
    "ANCESTOR_OF",
    "BUILD_DEPENDENCY_OF",
    "BUILD_TOOL_OF",
    "CONTAINED_BY",
    "CONTAINS",
    "COPY_OF",
    "DATA_FILE_OF",
    "DEPENDENCY_MANIFEST_OF",
    "DEPENDENCY_OF",
    "DEPENDS_ON",
    "DESCENDANT_OF",
    "DESCRIBED_BY",
    "DESCRIBES",
    "DEV_DEPENDENCY_OF",
    "DEV_TOOL_OF",
    "DISTRIBUTION_ARTIFACT",
    "DOCUMENTATION_OF",
    "DYNAMIC_LINK",
    "EXAMPLE_OF",
    "EXPANDED_FROM_ARCHIVE",
    "FILE_ADDED",
    "FILE_DELETED",
    "FILE_MODIFIED",
    "GENERATED_FROM",
    "GENERATES",
    "HAS_PREREQUISITE",
    "METAFILE_OF",
    "OPTIONAL_COMPONENT_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "OTHER",
    "PACKAGE_OF",
    "PATCH_APPLIED",
    "PATCH_FOR",
    "PREREQUISITE_FOR",
    "PROVIDED_DEPENDENCY_OF",
    "REQUIREMENT_DESCRIPTION_FOR",
    "RUNTIME_DEPENDENCY_OF",
    "SPECIFICATION_FOR",
    "STATIC_LINK",
    "TEST_CASE_OF",
    "TEST_DEPENDENCY_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "VARIANT_OF",
];

/// A checksum algorithm name SPDX 2.3 defines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Algorithm(pub HashAlg);

impl Algorithm {
    pub(crate) fn parse(s: &str) -> Result<Algorithm, String> {
        if ALGORITHMS.contains(&s) {
            Ok(Algorithm(HashAlg::parse(s)))
        } else {
            Err(format!(
                "invalid value: `{s}`, expected one of {}",
                ALGORITHMS.join(", ")
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Algorithm, D::Error> {
        let s = String::deserialize(d)?;
        Algorithm::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A relationship type SPDX 2.3 defines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RelationshipType(pub String);

impl RelationshipType {
    pub(crate) fn parse(s: &str) -> Result<RelationshipType, String> {
        if RELATIONSHIP_TYPES.contains(&s) {
            Ok(RelationshipType(s.to_owned()))
        } else {
            Err(format!(
                "invalid value: `{s}`, expected an SPDX 2.3 relationship type such as DEPENDS_ON or CONTAINS"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for RelationshipType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RelationshipType, D::Error> {
        let s = String::deserialize(d)?;
        RelationshipType::parse(&s).map_err(|_| invalid_value("an SPDX 2.3 relationship type", &s))
    }
}

pub(crate) fn read_json(bytes: &[u8], limits: &Limits) -> Result<Sbom, SbomError> {
    let (doc, unknown) = jsonread::deserialize::<Document>(bytes, FormatKind::Spdx2Json)?;
    convert(doc, FormatKind::Spdx2Json, unknown, limits)
}

/// `Person: Jane Doe (jane@example.com)` as a party; `NOASSERTION` as
/// none.
pub(crate) fn actor(s: &str) -> Option<Party> {
    let s = s.trim();
    if s.is_empty() || s == "NOASSERTION" {
        return None;
    }
    let (kind, rest) = if let Some(r) = s.strip_prefix("Person:") {
        (PartyKind::Person, r)
    } else if let Some(r) = s.strip_prefix("Organization:") {
        (PartyKind::Organization, r)
    } else if let Some(r) = s.strip_prefix("Tool:") {
        (PartyKind::Tool, r)
    } else {
        (PartyKind::Unspecified, s)
    };
    let rest = rest.trim();
    let (name, email) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
        Some((n, e)) => (n.trim(), Some(e.trim()).filter(|e| !e.is_empty())),
        None => (rest, None),
    };
    if name.is_empty() {
        return None;
    }
    Some(Party {
        kind,
        name: name.to_owned(),
        email: email.map(str::to_owned),
    })
}

/// The text of a field, unless it is `NOASSERTION`, `NONE` or empty.
fn asserted(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v != "NOASSERTION" && v != "NONE")
}

fn location(format: FormatKind, path: &str, line: Option<usize>) -> String {
    match (format, line) {
        (FormatKind::Spdx2TagValue, Some(l)) => format!("line {l}"),
        _ => path.to_owned(),
    }
}

pub(crate) fn convert(
    doc: Document,
    format: FormatKind,
    unknown: Vec<Diagnostic>,
    limits: &Limits,
) -> Result<Sbom, SbomError> {
    let version = doc
        .spdx_version
        .strip_prefix("SPDX-")
        .unwrap_or(&doc.spdx_version)
        .to_owned();
    if !version.starts_with("2.") {
        return Err(SbomError::new(
            ErrorKind::UnsupportedVersion,
            Some(format),
            format!("spdxVersion `{}` is not SPDX 2.x", doc.spdx_version),
        )
        .at(Location::path("spdxVersion")));
    }
    let count = doc.packages.len() + doc.files.len();
    if count > limits.max_components {
        return Err(SbomError::new(
            ErrorKind::TooManyComponents,
            Some(format),
            format!(
                "{count} packages and files, more than the limit of {}",
                limits.max_components
            ),
        ));
    }
    let mut sbom = Sbom::new(Format {
        kind: format,
        spec_version: version,
    });
    sbom.warnings = unknown;
    sbom.name = Some(doc.name.clone()).filter(|n| !n.is_empty());
    sbom.serial = doc.document_namespace.clone();
    sbom.created = Some(doc.creation_info.created.clone()).filter(|c| !c.is_empty());
    if !is_spdx_time(&doc.creation_info.created) {
        sbom.warnings.push(Diagnostic {
            location: location(format, "creationInfo.created", None),
            message: format!(
                "`{}` is not a UTC time `YYYY-MM-DDThh:mm:ssZ`",
                doc.creation_info.created
            ),
        });
    }
    for c in &doc.creation_info.creators {
        match actor(c) {
            Some(p) if p.kind == PartyKind::Tool => sbom.tools.push(p.name),
            Some(p) => sbom.authors.push(p),
            None => {}
        }
    }
    for e in doc.has_extracted_licensing_infos {
        sbom.extracted_licenses.push(ExtractedLicense {
            id: e.license_id,
            name: e.name,
            text: e.extracted_text,
        });
    }

    let mut ids: HashSet<String> = HashSet::new();
    let mut file_owner: HashMap<String, String> = HashMap::new();
    for (i, p) in doc.packages.into_iter().enumerate() {
        let path = format!("packages[{i}]");
        let at = location(format, &path, p.line);
        if !ids.insert(p.spdx_id.clone()) {
            sbom.warnings.push(Diagnostic {
                location: at.clone(),
                message: format!(
                    "SPDXID `{}` is used twice; the second is ignored",
                    p.spdx_id
                ),
            });
            continue;
        }
        if !is_spdx_id(&p.spdx_id) {
            sbom.warnings.push(Diagnostic {
                location: format!("{at} SPDXID"),
                message: format!(
                    "`{}` is not `SPDXRef-` and letters, digits, `.` or `-`",
                    p.spdx_id
                ),
            });
        }
        for f in &p.has_files {
            file_owner
                .entry(f.clone())
                .or_insert_with(|| p.spdx_id.clone());
        }
        let c = package(p, &at, &sbom.format.spec_version, &mut sbom.warnings);
        sbom.components.push(c);
    }
    for (i, f) in doc.files.into_iter().enumerate() {
        let at = location(format, &format!("files[{i}]"), f.line);
        if !ids.insert(f.spdx_id.clone()) {
            sbom.warnings.push(Diagnostic {
                location: at,
                message: format!(
                    "SPDXID `{}` is used twice; the second is ignored",
                    f.spdx_id
                ),
            });
            continue;
        }
        if let Some(owner) = &f.in_package {
            file_owner
                .entry(f.spdx_id.clone())
                .or_insert_with(|| owner.clone());
        }
        let mut c = Component::new(f.spdx_id.clone(), f.file_name.clone());
        c.kind = Some(ComponentKind::File);
        c.hashes = checksums(&f.checksums, &at, &mut sbom.warnings);
        c.license_concluded = asserted(f.license_concluded).and_then(|l| license::classify(&l));
        c.copyright = asserted(f.copyright_text);
        sbom.components.push(c);
    }

    // Relationships, normalised: (from, to, kind, detail) from dependent
    // to dependency and from container to contained.
    let mut described: Vec<String> = doc.document_describes.clone();
    let mut contains: Vec<(String, String)> = Vec::new();
    for (i, r) in doc.relationships.iter().enumerate() {
        let at = location(format, &format!("relationships[{i}]"), r.line);
        let (a, b) = (r.spdx_element_id.trim(), r.related_spdx_element.trim());
        let t = r.relationship_type.0.as_str();
        match t {
            "DESCRIBES" if a == doc.spdx_id => described.push(b.to_owned()),
            "DESCRIBED_BY" if b == doc.spdx_id => described.push(a.to_owned()),
            "CONTAINS" => contains.push((a.to_owned(), b.to_owned())),
            "CONTAINED_BY" => contains.push((b.to_owned(), a.to_owned())),
            "DEPENDS_ON" | "HAS_PREREQUISITE" => {
                depend(&mut sbom, &ids, a, b, t, &at);
            }
            "DEPENDENCY_OF"
            | "BUILD_DEPENDENCY_OF"
            | "DEV_DEPENDENCY_OF"
            | "OPTIONAL_DEPENDENCY_OF"
            | "PROVIDED_DEPENDENCY_OF"
            | "TEST_DEPENDENCY_OF"
            | "RUNTIME_DEPENDENCY_OF"
            | "PREREQUISITE_FOR" => {
                depend(&mut sbom, &ids, b, a, t, &at);
            }
            _ => {}
        }
    }
    for f in file_owner {
        contains.push((f.1, f.0));
    }
    // The first container of each element becomes its parent; further
    // containers stay as `Contains` edges.
    contains.sort();
    contains.dedup();
    let index: HashMap<String, usize> = sbom
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.0.clone(), i))
        .collect();
    for (from, to) in contains {
        let (Some(_), Some(&ti)) = (index.get(&from), index.get(&to)) else {
            continue;
        };
        if from == to {
            continue;
        }
        if sbom.components[ti].parent.is_none() {
            sbom.components[ti].parent = Some(ComponentId::new(from));
        } else if sbom.components[ti].parent.as_ref().map(|p| p.as_str()) != Some(from.as_str()) {
            sbom.dependencies.push(Dependency {
                from: ComponentId::new(from),
                to: ComponentId::new(to),
                kind: DependencyKind::Contains,
                detail: None,
            });
        }
    }
    sbom.subject = described
        .iter()
        .find(|d| index.contains_key(d.as_str()))
        .map(|d| ComponentId::new(d.clone()));
    Ok(sbom)
}

fn checksums(list: &[Checksum], at: &str, warnings: &mut Vec<Diagnostic>) -> Vec<Hash> {
    let mut out = Vec::new();
    for h in list {
        let value = h.checksum_value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            warnings.push(Diagnostic {
                location: at.to_owned(),
                message: format!("checksum `{value}` is not hexadecimal; ignored"),
            });
            continue;
        }
        out.push(Hash::new(h.algorithm.0.clone(), value));
    }
    out
}

fn depend(sbom: &mut Sbom, ids: &HashSet<String>, from: &str, to: &str, t: &str, at: &str) {
    if !ids.contains(from) || !ids.contains(to) {
        // References to other documents (`DocumentRef-…:`) and to
        // snippets are not components of this one.
        if !from.starts_with("DocumentRef-") && !to.starts_with("DocumentRef-") {
            sbom.warnings.push(Diagnostic {
                location: at.to_owned(),
                message: format!(
                    "{from} {t} {to}: not a package or file of this document; ignored"
                ),
            });
        }
        return;
    }
    let dep = Dependency {
        from: ComponentId::new(from),
        to: ComponentId::new(to),
        kind: DependencyKind::DependsOn,
        detail: (t != "DEPENDS_ON" && t != "DEPENDENCY_OF").then(|| t.to_owned()),
    };
    if !sbom.dependencies.contains(&dep) {
        sbom.dependencies.push(dep);
    }
}

/// `SPDXRef-` and an idstring, as the schema's pattern says.
fn is_spdx_id(id: &str) -> bool {
    id.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

/// `YYYY-MM-DDThh:mm:ssZ`, the only time SPDX 2 accepts.
fn is_spdx_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn package(p: Package, at: &str, spec: &str, warnings: &mut Vec<Diagnostic>) -> Component {
    let mut c = Component::new(p.spdx_id.clone(), p.name.clone());
    c.version = asserted(p.version_info);
    c.supplier = p.supplier.as_deref().and_then(actor);
    c.author = p.originator.as_deref().and_then(actor);
    c.download_location = asserted(Some(p.download_location));
    c.homepage = asserted(p.homepage);
    c.description = p.description.or(p.summary);
    c.copyright = asserted(p.copyright_text);
    c.end_of_support = p.valid_until_date;
    c.kind = p
        .primary_package_purpose
        .as_deref()
        .and_then(ComponentKind::from_spdx2);
    if let Some(purpose) = &p.primary_package_purpose
        && c.kind.is_none()
    {
        warnings.push(Diagnostic {
            location: format!("{at} primaryPackagePurpose"),
            message: format!("`{purpose}` is not an SPDX 2.3 package purpose; ignored"),
        });
    }
    c.hashes = checksums(&p.checksums, at, warnings);
    if let Some(l) = asserted(p.license_declared).and_then(|l| license::classify(&l)) {
        c.licenses.push(l);
    }
    c.license_concluded = asserted(p.license_concluded).and_then(|l| license::classify(&l));
    for r in p.external_refs {
        // SPDX 2.2 wrote `PACKAGE_MANAGER`, 2.3 `PACKAGE-MANAGER`.
        if spec != "2.2"
            && !["SECURITY", "PACKAGE-MANAGER", "PERSISTENT-ID", "OTHER"]
                .contains(&r.reference_category.as_str())
        {
            warnings.push(Diagnostic {
                location: at.to_owned(),
                message: format!(
                    "`{}` is not an SPDX 2.3 reference category",
                    r.reference_category
                ),
            });
        }
        let category = r.reference_category.replace('_', "-");
        let locator = r.reference_locator.trim().to_owned();
        match (category.as_str(), r.reference_type.as_str()) {
            ("PACKAGE-MANAGER", "purl") => match Purl::parse(&locator) {
                Ok(purl) if c.purl.is_none() => c.purl = Some(purl),
                Ok(purl) => warnings.push(Diagnostic {
                    location: at.to_owned(),
                    message: format!("a second purl `{purl}`; the first is kept"),
                }),
                Err(e) => warnings.push(Diagnostic {
                    location: at.to_owned(),
                    message: e.to_string(),
                }),
            },
            ("SECURITY", "cpe23Type" | "cpe22Type") if !c.cpes.contains(&locator) => {
                c.cpes.push(locator);
            }
            (_, "swid") => {
                c.swid = Some(locator.strip_prefix("swid:").unwrap_or(&locator).to_owned());
            }
            _ => {}
        }
    }
    c
}
