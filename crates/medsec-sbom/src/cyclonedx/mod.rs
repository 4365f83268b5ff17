//! CycloneDX: reading 1.0–1.7 JSON and XML into the model (nested
//! components flattened with parent links, the dependency graph, VEX
//! `vulnerabilities`), and writing 1.6 JSON and XML.

mod wire;
mod write;
mod xml;

use std::collections::{HashMap, HashSet};

pub(crate) use write::{tree, unique_refs, write_json, write_xml};
pub(crate) use xml::read_xml;

use crate::error::{ErrorKind, Location, SbomError};
use crate::license;
use crate::model::{
    AffectedVersion, Affects, Component, ComponentId, Dependency, DependencyKind, Diagnostic,
    Format, FormatKind, Hash, License, Party, PartyKind, Rating, Sbom, VexAnalysis, Vulnerability,
};
use crate::purl::Purl;
use crate::{Limits, jsonread};

/// The property that carries the end of support, which CycloneDX has no
/// field for.
pub(crate) const END_OF_SUPPORT: &str = "medsec:endOfSupport";
/// The property that carries the CPEs after the first: CycloneDX has one
/// `cpe` field, Yocto components several.
pub(crate) const EXTRA_CPE: &str = "medsec:cpe";
/// The external reference types of CycloneDX 1.7 (earlier versions have
/// subsets).
const EXTERNAL_REFERENCE_TYPES: &[&str] = &[
    "vcs",
    "issue-tracker",
    "website",
    "advisories",
    "bom",
    "mailing-list",
    "social",
    "chat",
    "documentation",
    "support",
    "source-distribution",
    "distribution",
    "distribution-intake",
    "license",
    "build-meta",
    "build-system",
    "release-notes",
    "security-contact",
    "model-card",
    "log",
    "configuration",
    "evidence",
    "formulation",
    "attestation",
    "threat-model",
    "adversary-model",
    "risk-assessment",
    "vulnerability-assertion",
    "exploitability-statement",
    "pentest-report",
    "static-analysis-report",
    "dynamic-analysis-report",
    "runtime-analysis-report",
    "component-analysis-report",
    "maturity-report",
    "certification-report",
    "codified-infrastructure",
    "quality-metrics",
    "poam",
    "electronic-signature",
    "digital-signature",
    "rfc-9116",
    "patent",
    "patent-family",
    "patent-assertion",
    "citation",
    "other",
];
/// Syft's name for the same.
const SYFT_CPE: &str = "syft:cpe23";

pub(crate) fn read_json(bytes: &[u8], limits: &Limits) -> Result<Sbom, SbomError> {
    let (bom, unknown) = jsonread::deserialize::<wire::Bom>(bytes, FormatKind::CycloneDxJson)?;
    convert(bom, FormatKind::CycloneDxJson, unknown, limits)
}

/// Whether the reader knows CycloneDX `version`.
fn known_version(version: &str) -> bool {
    matches!(
        version,
        "1.0" | "1.1" | "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7"
    )
}

/// Builds the model from the wire structs, shared by JSON and XML.
pub(crate) fn convert(
    bom: wire::Bom,
    format: FormatKind,
    unknown: Vec<Diagnostic>,
    limits: &Limits,
) -> Result<Sbom, SbomError> {
    if bom.bom_format != "CycloneDX" {
        return Err(SbomError::invalid(
            format,
            Location::path("bomFormat"),
            format!("expected `CycloneDX`, found `{}`", bom.bom_format),
        ));
    }
    let mut warnings = unknown;
    if !known_version(&bom.spec_version) {
        if !bom.spec_version.starts_with("1.") {
            return Err(SbomError::new(
                ErrorKind::UnsupportedVersion,
                Some(format),
                format!(
                    "specVersion `{}` is not a CycloneDX 1.x version",
                    bom.spec_version
                ),
            )
            .at(Location::path("specVersion")));
        }
        warnings.push(Diagnostic {
            location: "specVersion".to_owned(),
            message: format!("`{}` is newer than 1.7; read as 1.7", bom.spec_version),
        });
    }
    let mut sbom = Sbom::new(Format {
        kind: format,
        spec_version: bom.spec_version.clone(),
    });
    sbom.warnings = warnings;
    if let Some(serial) = &bom.serial_number {
        if !is_urn_uuid(serial) {
            sbom.warnings.push(Diagnostic {
                location: "serialNumber".to_owned(),
                message: format!("`{serial}` is not `urn:uuid:` and a lowercase UUID"),
            });
        }
        sbom.serial = Some(serial.clone());
    }
    sbom.version = bom.version.map(|v| v.0.to_string());

    let mut builder = Builder {
        sbom,
        seen: HashSet::new(),
        refs: HashMap::new(),
        limit: limits.max_components,
        format,
    };
    if let Some(meta) = bom.metadata {
        builder.sbom.created = meta.timestamp.clone();
        for a in &meta.authors {
            if let Some(p) = contact_party(a, PartyKind::Person) {
                builder.sbom.authors.push(p);
            }
        }
        if let Some(tools) = &meta.tools {
            for t in &tools.legacy {
                let text =
                    join_words(&[t.vendor.as_deref(), t.name.as_deref(), t.version.as_deref()]);
                if !text.is_empty() {
                    builder.sbom.tools.push(text);
                }
            }
            for c in &tools.components {
                let text = join_words(&[
                    c.group.as_deref(),
                    Some(c.name.as_str()),
                    c.version.as_deref(),
                ]);
                builder.sbom.tools.push(text);
            }
            for s in &tools.services {
                let text =
                    join_words(&[s.group.as_deref(), s.name.as_deref(), s.version.as_deref()]);
                if !text.is_empty() {
                    builder.sbom.tools.push(text);
                }
            }
        }
        if let Some(product) = meta.component {
            let product = *product;
            builder.sbom.name = Some(product.name.clone());
            let id = builder.component(product, None, "metadata.component".to_owned())?;
            // The BOM's supplier and manufacturer are the product's when
            // the product does not name its own.
            if let Some(c) = builder.sbom.components.iter_mut().find(|c| c.id == id) {
                if c.supplier.is_none() {
                    c.supplier = meta.supplier.as_ref().and_then(entity_party);
                }
                if c.author.is_none() {
                    c.author = meta
                        .manufacturer
                        .as_ref()
                        .or(meta.manufacture.as_ref())
                        .and_then(entity_party);
                }
            }
            builder.sbom.subject = Some(id);
        }
    }
    for (i, c) in bom.components.into_iter().enumerate() {
        builder.component(c, None, format!("components[{i}]"))?;
    }
    for (i, d) in bom.dependencies.iter().enumerate() {
        builder.dependency(d, &format!("dependencies[{i}]"));
    }
    for (i, v) in bom.vulnerabilities.into_iter().enumerate() {
        let v = vulnerability(
            v,
            &format!("vulnerabilities[{i}]"),
            &mut builder.sbom.warnings,
        );
        builder.sbom.vulnerabilities.push(v);
    }
    Ok(builder.sbom)
}

fn is_urn_uuid(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = rest.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn join_words(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn contact_party(c: &wire::Contact, kind: PartyKind) -> Option<Party> {
    let name = c.name.clone().or_else(|| c.email.clone())?;
    Some(Party {
        kind,
        name,
        email: c.email.clone(),
    })
}

fn entity_party(e: &wire::Entity) -> Option<Party> {
    let name = e
        .name
        .clone()
        .or_else(|| e.url.first().cloned())
        .filter(|n| !n.trim().is_empty())?;
    Some(Party {
        kind: PartyKind::Organization,
        name,
        email: e.contact.iter().find_map(|c| c.email.clone()),
    })
}

struct Builder {
    sbom: Sbom,
    seen: HashSet<String>,
    /// `bom-ref` as written to the id it was given (they differ when the
    /// source repeats a `bom-ref`).
    refs: HashMap<String, ComponentId>,
    limit: usize,
    format: FormatKind,
}

impl Builder {
    /// Adds `c` and its nested components; returns its id. Nesting depth
    /// is bounded by the JSON recursion limit and the XML depth limit.
    fn component(
        &mut self,
        c: wire::Component,
        parent: Option<ComponentId>,
        path: String,
    ) -> Result<ComponentId, SbomError> {
        if self.sbom.components.len() >= self.limit {
            return Err(SbomError::new(
                ErrorKind::TooManyComponents,
                Some(self.format),
                format!("more than {} components", self.limit),
            )
            .at(Location::path(path)));
        }
        // XML components carry their position; JSON ones are found by
        // their path.
        let pos = match c.at {
            Some((l, col)) => format!(" (line {l} column {col})"),
            None => String::new(),
        };
        let at = |field: &str| format!("{path}{field}{pos}");
        let id = self.fresh_id(c.bom_ref.as_deref(), &at(".bom-ref"));
        let mut out = Component::new(id.as_str(), c.name.clone());
        out.kind = Some(c.kind.0);
        out.group = c.group.filter(|g| !g.is_empty());
        out.version = c.version.filter(|v| !v.is_empty());
        out.description = c.description;
        out.publisher = c.publisher;
        out.copyright = c.copyright;
        out.scope = c.scope.map(|s| s.0);
        out.parent = parent;
        if let Some(p) = c.purl.as_deref().filter(|p| !p.trim().is_empty()) {
            match Purl::parse(p) {
                Ok(purl) => out.purl = Some(purl),
                Err(e) => self.sbom.warnings.push(Diagnostic {
                    location: at(".purl"),
                    message: e.to_string(),
                }),
            }
        }
        if let Some(cpe) = c.cpe.filter(|s| !s.trim().is_empty()) {
            out.cpes.push(cpe);
        }
        out.swid = c.swid.map(|s| s.tag_id);
        out.supplier = c.supplier.as_ref().and_then(entity_party);
        out.author = match (&c.author, c.authors.first(), &c.manufacturer) {
            (Some(a), _, _) if !a.trim().is_empty() => Some(Party {
                kind: PartyKind::Unspecified,
                name: a.clone(),
                email: None,
            }),
            (_, Some(a), _) => contact_party(a, PartyKind::Person),
            (_, _, Some(m)) => entity_party(m),
            _ => None,
        };
        for h in c.hashes {
            out.hashes.push(Hash::new(h.alg.0, &h.content.0));
        }
        for (i, l) in c.licenses.iter().enumerate() {
            if l.license.is_some() && l.expression.is_some() {
                self.sbom.warnings.push(Diagnostic {
                    location: at(&format!(".licenses[{i}]")),
                    message: "both `license` and `expression`; the schema allows one, the licence is read".to_owned(),
                });
            }
            let (text, concluded) = match (&l.license, &l.expression) {
                (Some(obj), _) => {
                    let text = obj
                        .id
                        .clone()
                        .or_else(|| obj.name.clone())
                        .or_else(|| obj.url.clone());
                    (text, obj.acknowledgement.as_ref().is_some_and(|a| a.0))
                }
                (None, Some(e)) => (
                    Some(e.clone()),
                    l.acknowledgement.as_ref().is_some_and(|a| a.0),
                ),
                (None, None) => (None, false),
            };
            let Some(text) = text else {
                self.sbom.warnings.push(Diagnostic {
                    location: at(&format!(".licenses[{i}]")),
                    message: "a licence with neither id, name nor expression; ignored".to_owned(),
                });
                continue;
            };
            let Some(lic) = license::classify(&text) else {
                continue;
            };
            if l.expression.is_some() && matches!(lic, License::Name(_)) {
                self.sbom.warnings.push(Diagnostic {
                    location: at(&format!(".licenses[{i}].expression")),
                    message: format!(
                        "`{text}` is not a valid SPDX licence expression; kept as a name"
                    ),
                });
            }
            if concluded && out.license_concluded.is_none() {
                out.license_concluded = Some(lic);
            } else if !out.licenses.contains(&lic) {
                out.licenses.push(lic);
            }
        }
        for (i, r) in c.external_references.iter().enumerate() {
            if !EXTERNAL_REFERENCE_TYPES.contains(&r.kind.as_str()) {
                self.sbom.warnings.push(Diagnostic {
                    location: at(&format!(".externalReferences[{i}].type")),
                    message: format!("`{}` is not a CycloneDX external reference type", r.kind),
                });
            }
            match r.kind.as_str() {
                "website" if out.homepage.is_none() => out.homepage = Some(r.url.clone()),
                "distribution" if out.download_location.is_none() => {
                    out.download_location = Some(r.url.clone());
                }
                _ => {}
            }
        }
        for p in c.properties {
            let value = p.value.unwrap_or_default();
            match p.name.as_str() {
                END_OF_SUPPORT => out.end_of_support = Some(value),
                EXTRA_CPE | SYFT_CPE => {
                    if !out.cpes.contains(&value) {
                        out.cpes.push(value);
                    }
                }
                _ => out.properties.push((p.name, value)),
            }
        }
        let id = out.id.clone();
        self.sbom.components.push(out);
        for (i, child) in c.components.into_iter().enumerate() {
            self.component(child, Some(id.clone()), format!("{path}.components[{i}]"))?;
        }
        Ok(id)
    }

    /// The id for a component with `bom_ref`: the `bom-ref` itself unless
    /// it is missing or already taken.
    fn fresh_id(&mut self, bom_ref: Option<&str>, warn_at: &str) -> ComponentId {
        let wanted = bom_ref.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = wanted {
            if self.seen.insert(r.to_owned()) {
                self.refs.insert(r.to_owned(), ComponentId::new(r));
                return ComponentId::new(r);
            }
            self.sbom.warnings.push(Diagnostic {
                location: warn_at.to_owned(),
                message: format!("`{r}` is used by an earlier component; this one is renamed"),
            });
        }
        let base = wanted.unwrap_or("component");
        let mut n = self.sbom.components.len() + 1;
        loop {
            let candidate = format!("{base}-{n}");
            if self.seen.insert(candidate.clone()) {
                return ComponentId::new(candidate);
            }
            n += 1;
        }
    }

    fn dependency(&mut self, d: &wire::Dependency, path: &str) {
        let Some(from) = self.refs.get(d.reference.trim()).cloned() else {
            if !d.depends_on.is_empty() {
                self.sbom.warnings.push(Diagnostic {
                    location: format!("{path}.ref"),
                    message: format!(
                        "`{}` is not the bom-ref of a component; ignored",
                        d.reference
                    ),
                });
            }
            return;
        };
        for (i, to) in d.depends_on.iter().enumerate() {
            let Some(to) = self.refs.get(to.trim()).cloned() else {
                self.sbom.warnings.push(Diagnostic {
                    location: format!("{path}.dependsOn[{i}]"),
                    message: format!("`{to}` is not the bom-ref of a component; ignored"),
                });
                continue;
            };
            let dep = Dependency {
                from: from.clone(),
                to,
                kind: DependencyKind::DependsOn,
                detail: None,
            };
            if !self.sbom.dependencies.contains(&dep) {
                self.sbom.dependencies.push(dep);
            }
        }
    }
}

fn vulnerability(
    v: wire::Vulnerability,
    path: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Vulnerability {
    let id = match v.id.clone().or_else(|| v.bom_ref.clone()) {
        Some(id) => id,
        None => {
            warnings.push(Diagnostic {
                location: path.to_owned(),
                message: "a vulnerability without id".to_owned(),
            });
            String::new()
        }
    };
    let mut out = Vulnerability::new(id);
    out.bom_ref = v.bom_ref;
    if let Some(s) = v.source {
        out.source_name = s.name;
        out.source_url = s.url;
    }
    out.aliases = v.references.into_iter().map(|r| r.id).collect();
    out.ratings = v
        .ratings
        .into_iter()
        .map(|r| Rating {
            source: r.source.and_then(|s| s.name),
            score: r.score,
            severity: r.severity,
            method: r.method,
            vector: r.vector,
        })
        .collect();
    out.cwes = v.cwes;
    out.description = v.description;
    out.detail = v.detail;
    out.recommendation = v.recommendation;
    out.workaround = v.workaround;
    out.created = v.created;
    out.published = v.published;
    out.updated = v.updated;
    out.analysis = v.analysis.map(|a| VexAnalysis {
        state: a.state.map(|s| s.0),
        justification: a.justification.map(|j| j.0),
        responses: a.response.into_iter().map(|r| r.0).collect(),
        detail: a.detail,
        first_issued: a.first_issued,
        last_updated: a.last_updated,
    });
    out.affects = v
        .affects
        .into_iter()
        .map(|a| Affects {
            target: a.reference,
            versions: a
                .versions
                .into_iter()
                .map(|av| AffectedVersion {
                    version: av.version,
                    range: av.range,
                    status: av.status.map(|s| s.0),
                })
                .collect(),
        })
        .collect();
    out.properties = v
        .properties
        .into_iter()
        .map(|p| (p.name, p.value.unwrap_or_default()))
        .collect();
    out
}
