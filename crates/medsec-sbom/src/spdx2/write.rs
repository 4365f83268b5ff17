//! Writing SPDX 2.3 JSON. Every component becomes a package (files
//! included, with purpose `FILE`: SPDX 2.3 files need a SHA-1 that SBOMs
//! from other formats rarely have). SPDXIDs are made valid
//! (`SPDXRef-[A-Za-z0-9.-]+`) and unique, the namespace is derived from
//! the content, missing data is `NOASSERTION`, licence names become
//! `LicenseRef-`s defined in `hasExtractedLicensingInfos`, and creation
//! info is always present (the SBOM's time, else the Unix epoch: the
//! writer does not read the clock).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::cyclonedx::{tree, unique_refs};
use crate::license;
use crate::model::{Component, DependencyKind, License, Party, PartyKind, Sbom};
use crate::util::{EPOCH, name_based_uuid, short_hash, utc_timestamp};

const TOOL: &str = "medsec-sbom";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<Extracted>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extracted {
    license_id: String,
    extracted_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    originator: Option<String>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<String>,
    license_concluded: String,
    license_declared: String,
    copyright_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until_date: Option<String>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// `SPDXRef-` and the id's letters, digits, `.` and `-` (other characters
/// as `-`), made unique with a suffix.
fn spdx_ids(sbom: &Sbom) -> Vec<String> {
    let mut seen = HashSet::new();
    seen.insert("SPDXRef-DOCUMENT".to_owned());
    unique_refs(sbom)
        .iter()
        .map(|r| {
            let r = r.strip_prefix("SPDXRef-").unwrap_or(r);
            let cleaned: String = r
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            // Ids made only of replaced characters (Korean names, URLs)
            // would collide; a digest of the original keeps them apart.
            let base = if cleaned.chars().all(|c| c == '-' || c == '.') {
                format!("SPDXRef-{}", short_hash(r, 12))
            } else {
                format!("SPDXRef-{cleaned}")
            };
            let mut id = base.clone();
            let mut n = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

fn actor(p: &Party) -> String {
    let kind = match p.kind {
        PartyKind::Person => "Person",
        PartyKind::Tool => "Tool",
        PartyKind::Organization | PartyKind::Unspecified => "Organization",
    };
    // Parentheses would be read as the e-mail part.
    let name = p.name.replace(['(', ')'], "");
    match &p.email {
        Some(e) if p.kind != PartyKind::Tool => format!("{kind}: {name} ({e})"),
        _ => format!("{kind}: {name}"),
    }
}

/// Turns licences into one SPDX expression, recording the `LicenseRef-`s
/// it needs.
struct Licenses<'a> {
    sbom: &'a Sbom,
    /// Licence name to the `LicenseRef-` made for it.
    by_name: BTreeMap<String, String>,
    used_ids: HashSet<String>,
    /// `LicenseRef-`s used by expressions taken from the source.
    referenced: BTreeMap<String, ()>,
}

impl Licenses<'_> {
    fn reference(&mut self, name: &str) -> String {
        if let Some(id) = self.by_name.get(name) {
            return id.clone();
        }
        let base = license::license_ref_for_name(name);
        let mut id = base.clone();
        let mut n = 2;
        while self.used_ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used_ids.insert(id.clone());
        self.by_name.insert(name.to_owned(), id.clone());
        id
    }

    fn expression(&mut self, licenses: &[&License]) -> String {
        let mut parts = Vec::new();
        for l in licenses {
            let text = match l {
                License::Expression(e) => {
                    for r in license::license_refs(e) {
                        self.used_ids.insert(r.clone());
                        self.referenced.insert(r, ());
                    }
                    e.clone()
                }
                License::Name(n) => self.reference(n),
            };
            parts.push(text);
        }
        match parts.len() {
            0 => "NOASSERTION".to_owned(),
            1 => parts.swap_remove(0),
            _ => parts
                .iter()
                .map(|p| {
                    if license::is_single(p) {
                        p.clone()
                    } else {
                        format!("({p})")
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        }
    }

    fn extracted(self) -> Vec<Extracted> {
        let mut out: Vec<Extracted> = Vec::new();
        for (name, id) in &self.by_name {
            out.push(Extracted {
                license_id: id.clone(),
                extracted_text: name.clone(),
                name: Some(name.clone()),
                comment: Some(
                    "Known by name only; the source SBOM did not include the licence text.",
                ),
            });
        }
        for id in self.referenced.keys() {
            if out.iter().any(|e| &e.license_id == id) {
                continue;
            }
            let known = self.sbom.extracted_licenses.iter().find(|e| &e.id == id);
            out.push(Extracted {
                license_id: id.clone(),
                extracted_text: known.map_or_else(|| "NOASSERTION".to_owned(), |e| e.text.clone()),
                name: known.and_then(|e| e.name.clone()),
                comment: None,
            });
        }
        out.sort_by(|a, b| a.license_id.cmp(&b.license_id));
        out
    }
}

/// A CPE formatted string as SPDX's `cpe23Type` pattern accepts it, or a
/// CPE 2.2 URI.
fn cpe_kind(cpe: &str) -> Option<&'static str> {
    if let Some(rest) = cpe.strip_prefix("cpe:2.3:") {
        // Eleven more components, split on colons that are not escaped.
        let mut count = 1;
        let mut escaped = false;
        for c in rest.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                ':' if !escaped => count += 1,
                _ => escaped = false,
            }
        }
        let part_ok = matches!(rest.chars().next(), Some('a' | 'h' | 'o' | '*' | '-'));
        return (count == 11 && part_ok && !cpe.contains(char::is_whitespace))
            .then_some("cpe23Type");
    }
    (cpe.starts_with("cpe:/") && !cpe.contains(char::is_whitespace)).then_some("cpe22Type")
}

fn package(c: &Component, spdx_id: String, licenses: &mut Licenses<'_>) -> Package {
    let mut external_refs = Vec::new();
    if let Some(p) = &c.purl {
        external_refs.push(ExternalRef {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: p.to_string(),
        });
    }
    for cpe in &c.cpes {
        if let Some(kind) = cpe_kind(cpe) {
            external_refs.push(ExternalRef {
                reference_category: "SECURITY",
                reference_type: kind,
                reference_locator: cpe.clone(),
            });
        }
    }
    // SPDX wants the tag id as a `swid:` URI.
    if let Some(swid) = c.swid.as_ref().filter(|s| !s.contains(char::is_whitespace)) {
        let locator = if swid.starts_with("swid:") {
            swid.clone()
        } else {
            format!("swid:{swid}")
        };
        external_refs.push(ExternalRef {
            reference_category: "SECURITY",
            reference_type: "swid",
            reference_locator: locator,
        });
    }
    let declared: Vec<&License> = c.licenses.iter().collect();
    let concluded: Vec<&License> = c.license_concluded.iter().collect();
    Package {
        spdx_id,
        name: c.name.clone(),
        version_info: c.version.clone(),
        supplier: c
            .supplier
            .as_ref()
            .map_or_else(|| "NOASSERTION".to_owned(), actor),
        originator: c.author.as_ref().map(actor),
        download_location: c
            .download_location
            .clone()
            .filter(|d| !d.contains(char::is_whitespace))
            .unwrap_or_else(|| "NOASSERTION".to_owned()),
        files_analyzed: false,
        checksums: c
            .hashes
            .iter()
            .filter(|h| !h.value.is_empty() && h.value.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter_map(|h| {
                h.alg.spdx2().map(|algorithm| Checksum {
                    algorithm,
                    checksum_value: h.value.clone(),
                })
            })
            .collect(),
        homepage: c
            .homepage
            .clone()
            .filter(|h| !h.contains(char::is_whitespace)),
        license_concluded: licenses.expression(&concluded),
        license_declared: licenses.expression(&declared),
        copyright_text: c
            .copyright
            .clone()
            .unwrap_or_else(|| "NOASSERTION".to_owned()),
        description: c.description.clone(),
        external_refs,
        primary_package_purpose: c.kind.map(|k| k.spdx2()),
        valid_until_date: c.end_of_support.as_deref().and_then(utc_timestamp),
    }
}

/// The SBOM as SPDX 2.3 JSON.
pub(crate) fn write_json(sbom: &Sbom) -> String {
    let ids = spdx_ids(sbom);
    let mut licenses = Licenses {
        sbom,
        by_name: BTreeMap::new(),
        used_ids: sbom
            .extracted_licenses
            .iter()
            .map(|e| e.id.clone())
            .collect(),
        referenced: BTreeMap::new(),
    };
    let packages: Vec<Package> = sbom
        .components
        .iter()
        .zip(&ids)
        .map(|(c, id)| package(c, id.clone(), &mut licenses))
        .collect();

    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, c) in sbom.components.iter().enumerate() {
        by_id.entry(c.id.as_str()).or_insert(i);
    }
    let (children, roots) = tree(sbom);
    let subject = sbom
        .subject
        .as_ref()
        .and_then(|s| by_id.get(s.as_str()).copied());
    let mut relationships = Vec::new();
    let described: Vec<usize> = match subject {
        Some(s) => vec![s],
        None => roots.clone(),
    };
    for i in described {
        relationships.push(Relationship {
            spdx_element_id: "SPDXRef-DOCUMENT".to_owned(),
            relationship_type: "DESCRIBES",
            related_spdx_element: ids[i].clone(),
        });
    }
    let mut rest = Vec::new();
    for (parent, kids) in children.iter().enumerate() {
        for &k in kids {
            rest.push(Relationship {
                spdx_element_id: ids[parent].clone(),
                relationship_type: "CONTAINS",
                related_spdx_element: ids[k].clone(),
            });
        }
    }
    for d in &sbom.dependencies {
        let (Some(&from), Some(&to)) = (by_id.get(d.from.as_str()), by_id.get(d.to.as_str()))
        else {
            continue;
        };
        // The SPDX type the edge was read from, when it says more than
        // DEPENDS_ON; the `*_OF` types point from dependency to dependent.
        let source_type = d
            .detail
            .as_deref()
            .and_then(|t| super::RELATIONSHIP_TYPES.iter().find(|x| **x == t).copied());
        let (a, t, b) = match (d.kind, source_type) {
            (DependencyKind::Contains, _) => (from, "CONTAINS", to),
            (DependencyKind::DependsOn, Some(t @ "HAS_PREREQUISITE")) => (from, t, to),
            (DependencyKind::DependsOn, Some(t))
                if t.ends_with("_OF") || t == "PREREQUISITE_FOR" =>
            {
                (to, t, from)
            }
            (DependencyKind::DependsOn, _) => (from, "DEPENDS_ON", to),
        };
        rest.push(Relationship {
            spdx_element_id: ids[a].clone(),
            relationship_type: t,
            related_spdx_element: ids[b].clone(),
        });
    }
    rest.sort();
    rest.dedup();
    relationships.extend(rest);

    let mut creators: Vec<String> = sbom
        .authors
        .iter()
        .map(actor)
        .chain(
            sbom.tools
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| format!("Tool: {t}")),
        )
        .collect();
    let ours = format!("Tool: {TOOL}");
    if !creators.contains(&ours) {
        creators.push(ours);
    }
    let created = sbom
        .created
        .as_deref()
        .and_then(utc_timestamp)
        .unwrap_or_else(|| EPOCH.to_owned());
    let name = sbom
        .name
        .clone()
        .or_else(|| subject.map(|s| sbom.components[s].name.clone()))
        .unwrap_or_else(|| "SBOM".to_owned());
    let mut digest_parts: Vec<String> = vec![
        name.clone(),
        created.clone(),
        sbom.serial.clone().unwrap_or_default(),
    ];
    for p in &packages {
        digest_parts.push(p.spdx_id.clone());
        digest_parts.push(p.name.clone());
        digest_parts.push(p.version_info.clone().unwrap_or_default());
    }
    let refs: Vec<&str> = digest_parts.iter().map(String::as_str).collect();
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let document = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name,
        document_namespace: format!(
            "https://spdx.org/spdxdocs/{slug}-{}",
            name_based_uuid(&refs)
        ),
        creation_info: CreationInfo { created, creators },
        packages,
        has_extracted_licensing_infos: licenses.extracted(),
        relationships,
    };
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_default();
    out.push('\n');
    out
}
