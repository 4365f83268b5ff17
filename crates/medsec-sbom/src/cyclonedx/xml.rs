//! CycloneDX XML (namespaces `http://cyclonedx.org/schema/bom/1.0` to
//! `1.7`) read into the same wire structs as JSON. Errors carry the line
//! and column of the element at fault. Elements of other namespaces
//! (extensions) are skipped, as the schema allows them.

use crate::cyclonedx::wire::{
    self, Acknowledgement, Alg, Digest, Kind, Response, Scope, State, Status,
};
use crate::error::{ErrorKind, Location, SbomError};
use crate::model::FormatKind;
use crate::xmltree::{self, Element};
use crate::{Limits, util::Skip};

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";
const FORMAT: FormatKind = FormatKind::CycloneDxXml;

pub(crate) fn read_xml(bytes: &[u8], limits: &Limits) -> Result<crate::model::Sbom, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = crate::util::line_column(bytes, e.valid_up_to());
        SbomError::new(ErrorKind::Syntax, Some(FORMAT), "not UTF-8").at(Location::at(line, column))
    })?;
    let root = xmltree::parse(text, limits.max_depth).map_err(|e| {
        let kind = if e.too_deep {
            ErrorKind::TooDeep
        } else {
            ErrorKind::Syntax
        };
        SbomError::new(kind, Some(FORMAT), e.message).at(Location::at(e.line, e.column))
    })?;
    let bom = bom(&root)?;
    super::convert(bom, FORMAT, Vec::new(), limits)
}

fn error(el: &Element, message: impl Into<String>) -> SbomError {
    SbomError::invalid(
        FORMAT,
        Location::at(el.line, el.column).with_path(el.name.clone()),
        message,
    )
}

fn bom(root: &Element) -> Result<wire::Bom, SbomError> {
    let version = root
        .ns
        .as_deref()
        .and_then(|ns| ns.strip_prefix(NS_PREFIX))
        .map(str::to_owned);
    let (Some(spec_version), "bom") = (version, root.name.as_str()) else {
        return Err(SbomError::new(
            ErrorKind::UnknownFormat,
            Some(FORMAT),
            format!(
                "the root element is `{}` in namespace `{}`, not a CycloneDX `bom`",
                root.name,
                root.ns.as_deref().unwrap_or("")
            ),
        )
        .at(Location::at(root.line, root.column)));
    };
    let bom_version = match root.attr("version") {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Some(wire::BomVersion(n)),
            _ => {
                return Err(error(
                    root,
                    format!("version `{v}` is not an integer from 1"),
                ));
            }
        },
        None => None,
    };
    let mut out = wire::Bom {
        schema: None,
        bom_format: "CycloneDX".to_owned(),
        spec_version,
        serial_number: root.attr("serialNumber").map(str::to_owned),
        version: bom_version,
        metadata: None,
        components: Vec::new(),
        services: None,
        external_references: None,
        dependencies: Vec::new(),
        compositions: None,
        properties: Vec::new(),
        vulnerabilities: Vec::new(),
        annotations: None,
        formulation: None,
        declarations: None,
        definitions: None,
        citations: None,
        signature: None,
    };
    if let Some(m) = root.child("metadata") {
        out.metadata = Some(metadata(m)?);
    }
    if let Some(cs) = root.child("components") {
        out.components = components(cs)?;
    }
    if let Some(ds) = root.child("dependencies") {
        for d in ds.children_named("dependency") {
            dependencies(d, &mut out.dependencies)?;
        }
    }
    if let Some(ps) = root.child("properties") {
        out.properties = properties(ps);
    }
    if let Some(vs) = root.child("vulnerabilities") {
        for v in vs.children_named("vulnerability") {
            out.vulnerabilities.push(vulnerability(v)?);
        }
    }
    Ok(out)
}

fn metadata(m: &Element) -> Result<wire::Metadata, SbomError> {
    let mut out = wire::Metadata {
        timestamp: m.child_text("timestamp"),
        ..wire::Metadata::default()
    };
    if let Some(tools) = m.child("tools") {
        let mut t = wire::Tools::default();
        for tool in tools.children_named("tool") {
            t.legacy.push(wire::LegacyTool {
                vendor: tool.child_text("vendor"),
                name: tool.child_text("name"),
                version: tool.child_text("version"),
                hashes: None,
                external_references: None,
            });
        }
        if let Some(cs) = tools.child("components") {
            t.components = components(cs)?;
        }
        if let Some(ss) = tools.child("services") {
            for s in ss.children_named("service") {
                t.services.push(wire::Service {
                    group: s.child_text("group"),
                    name: s.child_text("name"),
                    version: s.child_text("version"),
                    ..wire::Service::default()
                });
            }
        }
        out.tools = Some(t);
    }
    if let Some(authors) = m.child("authors") {
        out.authors = authors.children_named("author").map(contact).collect();
    }
    if let Some(c) = m.child("component") {
        out.component = Some(Box::new(component(c)?));
    }
    out.manufacture = m.child("manufacture").map(entity);
    out.manufacturer = m.child("manufacturer").map(entity);
    out.supplier = m.child("supplier").map(entity);
    if let Some(ps) = m.child("properties") {
        out.properties = properties(ps);
    }
    Ok(out)
}

fn contact(e: &Element) -> wire::Contact {
    wire::Contact {
        bom_ref: None,
        name: e.child_text("name"),
        email: e.child_text("email"),
        phone: e.child_text("phone"),
    }
}

fn entity(e: &Element) -> wire::Entity {
    wire::Entity {
        bom_ref: None,
        name: e.child_text("name"),
        address: None,
        url: e
            .children_named("url")
            .map(Element::trimmed)
            .filter(|u| !u.is_empty())
            .collect(),
        contact: e.children_named("contact").map(contact).collect(),
    }
}

fn components(cs: &Element) -> Result<Vec<wire::Component>, SbomError> {
    cs.children_named("component").map(component).collect()
}

/// Parses an enum-valued attribute or element text with the wire type's
/// own check, so the message matches JSON's.
fn checked<T>(
    el: &Element,
    value: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, SbomError> {
    parse(value.trim()).map_err(|m| error(el, m))
}

fn component(c: &Element) -> Result<wire::Component, SbomError> {
    let Some(kind) = c.attr("type") else {
        return Err(error(c, "missing attribute `type`"));
    };
    let kind = checked(c, kind, Kind::parse)?;
    let Some(name) = c.child_text("name") else {
        return Err(error(c, "missing element `name`"));
    };
    let mut hashes = Vec::new();
    if let Some(hs) = c.child("hashes") {
        for h in hs.children_named("hash") {
            let Some(alg) = h.attr("alg") else {
                return Err(error(h, "missing attribute `alg`"));
            };
            hashes.push(wire::HashEntry {
                alg: checked(h, alg, Alg::parse)?,
                content: checked(h, &h.text, Digest::parse)?,
            });
        }
    }
    let mut licenses = Vec::new();
    if let Some(ls) = c.child("licenses") {
        for l in &ls.children {
            if l.ns != ls.ns {
                continue;
            }
            let ack = match l.attr("acknowledgement") {
                Some(a) => Some(checked(l, a, Acknowledgement::parse)?),
                None => None,
            };
            match l.name.as_str() {
                "license" => licenses.push(wire::LicenseChoice {
                    license: Some(wire::LicenseObject {
                        id: l.child_text("id"),
                        name: l.child_text("name"),
                        acknowledgement: ack,
                        url: l.child_text("url"),
                        ..wire::LicenseObject::default()
                    }),
                    ..wire::LicenseChoice::default()
                }),
                "expression" => licenses.push(wire::LicenseChoice {
                    expression: Some(l.trimmed()),
                    acknowledgement: ack,
                    ..wire::LicenseChoice::default()
                }),
                _ => {}
            }
        }
    }
    let swid = c.child("swid").and_then(|s| {
        s.attr("tagId").map(|tag| wire::Swid {
            tag_id: tag.to_owned(),
            name: s.attr("name").map(str::to_owned),
            version: None,
            tag_version: None,
            patch: None,
            text: None,
            url: None,
        })
    });
    let mut external_references = Vec::new();
    if let Some(rs) = c.child("externalReferences") {
        for r in rs.children_named("reference") {
            if let (Some(kind), Some(url)) = (r.attr("type"), r.child_text("url")) {
                external_references.push(wire::ExternalReference {
                    url,
                    comment: None,
                    kind: kind.to_owned(),
                    hashes: None,
                    properties: None,
                });
            }
        }
    }
    let scope = match c.child_text("scope") {
        Some(s) => Some(checked(c, &s, Scope::parse)?),
        None => None,
    };
    Ok(wire::Component {
        kind,
        mime_type: None,
        bom_ref: c.attr("bom-ref").map(str::to_owned),
        supplier: c.child("supplier").map(entity),
        manufacturer: c.child("manufacturer").map(entity),
        authors: c
            .child("authors")
            .map(|a| a.children_named("author").map(contact).collect())
            .unwrap_or_default(),
        author: c.child_text("author"),
        publisher: c.child_text("publisher"),
        group: c.child_text("group"),
        name,
        version: c.child_text("version"),
        version_range: None,
        is_external: None,
        description: c.child_text("description"),
        scope,
        hashes,
        licenses,
        copyright: c.child_text("copyright"),
        patent_assertions: None,
        cpe: c.child_text("cpe"),
        purl: c.child_text("purl"),
        omnibor_id: None,
        swhid: None,
        swid,
        modified: None::<Skip>,
        pedigree: None,
        external_references,
        properties: c.child("properties").map(properties).unwrap_or_default(),
        components: match c.child("components") {
            Some(cs) => components(cs)?,
            None => Vec::new(),
        },
        evidence: None,
        release_notes: None,
        model_card: None,
        data: None,
        crypto_properties: None,
        tags: None,
        signature: None,
        at: Some((c.line, c.column)),
    })
}

fn properties(ps: &Element) -> Vec<wire::Property> {
    ps.children_named("property")
        .filter_map(|p| {
            p.attr("name").map(|name| wire::Property {
                name: name.to_owned(),
                value: Some(p.trimmed()),
            })
        })
        .collect()
}

/// `<dependency ref="a"><dependency ref="b"/></dependency>`: `a` depends
/// on `b`; deeper nesting states `b`'s own dependencies. The tree is at
/// most as deep as the depth limit.
fn dependencies(d: &Element, out: &mut Vec<wire::Dependency>) -> Result<(), SbomError> {
    let Some(r) = d.attr("ref") else {
        return Err(error(d, "missing attribute `ref`"));
    };
    let mut depends_on = Vec::new();
    for child in d.children_named("dependency") {
        let Some(cr) = child.attr("ref") else {
            return Err(error(child, "missing attribute `ref`"));
        };
        depends_on.push(cr.to_owned());
        if !child.children.is_empty() {
            dependencies(child, out)?;
        }
    }
    out.push(wire::Dependency {
        reference: r.to_owned(),
        depends_on,
        provides: None,
    });
    Ok(())
}

fn source(e: &Element) -> wire::Source {
    wire::Source {
        name: e.child_text("name"),
        url: e.child_text("url"),
    }
}

fn vulnerability(v: &Element) -> Result<wire::Vulnerability, SbomError> {
    let mut out = wire::Vulnerability {
        bom_ref: v.attr("bom-ref").map(str::to_owned),
        id: v.child_text("id"),
        source: v.child("source").map(source),
        description: v.child_text("description"),
        detail: v.child_text("detail"),
        recommendation: v.child_text("recommendation"),
        workaround: v.child_text("workaround"),
        created: v.child_text("created"),
        published: v.child_text("published"),
        updated: v.child_text("updated"),
        ..wire::Vulnerability::default()
    };
    if let Some(rs) = v.child("references") {
        for r in rs.children_named("reference") {
            if let Some(id) = r.child_text("id") {
                out.references.push(wire::Reference {
                    id,
                    source: r.child("source").map(source),
                });
            }
        }
    }
    if let Some(rs) = v.child("ratings") {
        for r in rs.children_named("rating") {
            let score = match r.child_text("score") {
                Some(s) => Some(
                    s.parse::<f64>()
                        .map_err(|_| error(r, format!("score `{s}` is not a number")))?,
                ),
                None => None,
            };
            out.ratings.push(wire::Rating {
                source: r.child("source").map(source),
                score,
                severity: r.child_text("severity"),
                method: r.child_text("method"),
                vector: r.child_text("vector"),
                justification: None,
            });
        }
    }
    if let Some(cs) = v.child("cwes") {
        for c in cs.children_named("cwe") {
            let n = c.trimmed();
            out.cwes.push(
                n.parse::<u32>()
                    .map_err(|_| error(c, format!("cwe `{n}` is not an integer")))?,
            );
        }
    }
    if let Some(a) = v.child("analysis") {
        let mut analysis = wire::Analysis {
            detail: a.child_text("detail"),
            first_issued: a.child_text("firstIssued"),
            last_updated: a.child_text("lastUpdated"),
            ..wire::Analysis::default()
        };
        if let Some(s) = a.child("state") {
            analysis.state = Some(checked(s, &s.text, State::parse)?);
        }
        if let Some(j) = a.child("justification") {
            analysis.justification = Some(checked(j, &j.text, wire::Justification::parse)?);
        }
        if let Some(rs) = a.child("responses") {
            for r in rs.children_named("response") {
                analysis
                    .response
                    .push(checked(r, &r.text, Response::parse)?);
            }
        }
        out.analysis = Some(analysis);
    }
    if let Some(afs) = v.child("affects") {
        for t in afs.children_named("target") {
            let Some(reference) = t.child_text("ref") else {
                return Err(error(t, "missing element `ref`"));
            };
            let mut versions = Vec::new();
            if let Some(vs) = t.child("versions") {
                for ver in vs.children_named("version") {
                    let status = match ver.child("status") {
                        Some(s) => Some(checked(s, &s.text, Status::parse)?),
                        None => None,
                    };
                    versions.push(wire::AffectedVersion {
                        version: ver.child_text("version"),
                        range: ver.child_text("range"),
                        status,
                    });
                }
            }
            out.affects.push(wire::Affects {
                reference,
                versions,
            });
        }
    }
    if let Some(ps) = v.child("properties") {
        out.properties = properties(ps);
    }
    Ok(out)
}
