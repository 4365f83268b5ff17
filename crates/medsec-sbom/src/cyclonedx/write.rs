//! Writing CycloneDX 1.6, JSON and XML, from one plan of the document so
//! that both carry the same content. Output is deterministic: components
//! in model order (nested under their parent), dependencies in the order
//! of their dependents, no clock. What CycloneDX cannot say is dropped
//! (hash algorithms it lacks, `Contains` edges that are not nesting);
//! CPEs after the first and the end of support travel as `medsec:`
//! properties, which the reader takes back.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::{END_OF_SUPPORT, EXTRA_CPE};
use crate::license;
use crate::model::{Component, DependencyKind, License, PartyKind, Sbom, Vulnerability};
use crate::util::{name_based_uuid, utc_timestamp};

const SPEC_VERSION: &str = "1.6";
const TOOL: &str = "medsec-sbom";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u64,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<OutComponent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<OutDependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<OutVulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    tools: Tools,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<OutComponent>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<ToolComponent>,
}

#[derive(Serialize)]
struct ToolComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
}

#[derive(Serialize, Clone)]
struct Contact {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Serialize)]
struct Entity {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contact: Vec<Contact>,
}

#[derive(Serialize)]
struct OutHash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct OutLicenseObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    acknowledgement: &'static str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OutLicense {
    License {
        license: OutLicenseObject,
    },
    Expression {
        expression: String,
        acknowledgement: &'static str,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutSwid {
    tag_id: String,
    name: String,
}

#[derive(Serialize)]
struct OutReference {
    url: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct OutProperty {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manufacturer: Option<Entity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<OutHash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<OutLicense>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyright: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swid: Option<OutSwid>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<OutReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<OutProperty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<OutComponent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutDependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

#[derive(Serialize, Default)]
struct OutSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct OutVulnReference {
    id: String,
    source: OutSource,
}

#[derive(Serialize)]
struct OutRating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<OutSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutAnalysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_issued: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated: Option<String>,
}

#[derive(Serialize)]
struct OutAffectedVersion {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

#[derive(Serialize)]
struct OutAffects {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<OutAffectedVersion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutVulnerability {
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<OutSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<OutVulnReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<OutRating>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cwes: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workaround: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<OutAnalysis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    affects: Vec<OutAffects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<OutProperty>,
}

/// The SBOM as CycloneDX 1.6 JSON.
pub(crate) fn write_json(sbom: &Sbom) -> String {
    let bom = plan(sbom);
    // Serialising these structs cannot fail: all keys are strings and the
    // only floats are scores, which `plan` keeps finite.
    let mut out = serde_json::to_string_pretty(&bom).unwrap_or_default();
    out.push('\n');
    out
}

/// A component's id made unique among the BOM's `bom-ref`s.
pub(crate) fn unique_refs(sbom: &Sbom) -> Vec<String> {
    let mut seen = HashSet::new();
    sbom.components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let base = if c.id.as_str().trim().is_empty() {
                format!("component-{}", i + 1)
            } else {
                c.id.as_str().to_owned()
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

/// Indexes of each component's children, and of the components written
/// at the top (no parent, an unknown parent, or a parent cycle).
pub(crate) fn tree(sbom: &Sbom) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, c) in sbom.components.iter().enumerate() {
        first.entry(c.id.as_str()).or_insert(i);
    }
    let parent_of: Vec<Option<usize>> = sbom
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.parent
                .as_ref()
                .and_then(|p| first.get(p.as_str()).copied())
                .filter(|&p| p != i)
        })
        .collect();
    // A component whose parent chain loops is written at the top, which
    // breaks the loop.
    let mut in_cycle = vec![false; parent_of.len()];
    for (start, cycle) in in_cycle.iter_mut().enumerate() {
        let mut seen = HashSet::new();
        let mut at = start;
        while let Some(p) = parent_of.get(at).copied().flatten() {
            if !seen.insert(at) {
                *cycle = true;
                break;
            }
            at = p;
        }
    }
    let mut children = vec![Vec::new(); parent_of.len()];
    let mut roots = Vec::new();
    for (i, p) in parent_of.iter().enumerate() {
        match p {
            Some(p) if !in_cycle[i] => children[*p].push(i),
            _ => roots.push(i),
        }
    }
    (children, roots)
}

/// The serial number: the model's when it is a valid `urn:uuid:`, else one
/// derived from the content.
pub(crate) fn serial(sbom: &Sbom) -> String {
    if let Some(s) = &sbom.serial
        && super::is_urn_uuid(s)
    {
        return s.clone();
    }
    let mut parts: Vec<String> = vec![
        sbom.name.clone().unwrap_or_default(),
        sbom.serial.clone().unwrap_or_default(),
        sbom.created.clone().unwrap_or_default(),
    ];
    for c in &sbom.components {
        parts.push(c.id.0.clone());
        parts.push(c.name.clone());
        parts.push(c.version.clone().unwrap_or_default());
        parts.push(c.purl.as_ref().map(|p| p.to_string()).unwrap_or_default());
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    format!("urn:uuid:{}", name_based_uuid(&refs))
}

fn plan(sbom: &Sbom) -> Bom {
    let refs = unique_refs(sbom);
    let (children, roots) = tree(sbom);
    let subject = sbom
        .subject
        .as_ref()
        .and_then(|s| sbom.components.iter().position(|c| &c.id == s))
        .filter(|i| roots.contains(i));
    let mut tools: Vec<ToolComponent> = sbom
        .tools
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| ToolComponent {
            kind: "application",
            name: t.clone(),
        })
        .collect();
    if !sbom.tools.iter().any(|t| t == TOOL) {
        tools.push(ToolComponent {
            kind: "application",
            name: TOOL.to_owned(),
        });
    }
    let metadata = Metadata {
        timestamp: sbom.created.as_deref().and_then(utc_timestamp),
        tools: Tools { components: tools },
        authors: sbom
            .authors
            .iter()
            .map(|a| Contact {
                name: a.name.clone(),
                email: a.email.clone(),
            })
            .collect(),
        component: subject.map(|i| component(sbom, i, &refs, &children, 0)),
    };
    let components = roots
        .iter()
        .filter(|&&i| Some(i) != subject)
        .map(|&i| component(sbom, i, &refs, &children, 0))
        .collect();

    // The first component with an id stands for it in the graph.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, c) in sbom.components.iter().enumerate() {
        by_id.entry(c.id.as_str()).or_insert(i);
    }
    let mut deps: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for d in &sbom.dependencies {
        if d.kind != DependencyKind::DependsOn {
            continue;
        }
        let (Some(&from), Some(&to)) = (by_id.get(d.from.as_str()), by_id.get(d.to.as_str()))
        else {
            continue;
        };
        let list = deps.entry(from).or_default();
        if !list.contains(&refs[to]) {
            list.push(refs[to].clone());
        }
    }
    let dependencies = deps
        .into_iter()
        .map(|(from, mut to)| {
            to.sort();
            OutDependency {
                reference: refs[from].clone(),
                depends_on: to,
            }
        })
        .collect();
    Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: serial(sbom),
        version: sbom
            .version
            .as_deref()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|v| *v >= 1)
            .unwrap_or(1),
        metadata,
        components,
        dependencies,
        vulnerabilities: sbom.vulnerabilities.iter().map(vulnerability).collect(),
    }
}

fn entity(name: &str, email: Option<&String>) -> Entity {
    Entity {
        name: name.to_owned(),
        contact: email
            .map(|e| Contact {
                name: e.clone(),
                email: Some(e.clone()),
            })
            .into_iter()
            .collect(),
    }
}

/// The `licenses` of a component. CycloneDX 1.6 takes either licence
/// objects or a single expression, so several expressions are joined with
/// `AND`, and a mix of names and compound expressions is written as
/// objects, expressions by name.
fn licenses(c: &Component) -> Vec<OutLicense> {
    let object = |l: &License, ack: &'static str| {
        let id = match l {
            License::Expression(e) if license::license_id(e).is_some() => Some(e.clone()),
            _ => None,
        };
        OutLicense::License {
            license: OutLicenseObject {
                name: if id.is_none() {
                    Some(l.as_str().to_owned())
                } else {
                    None
                },
                id,
                acknowledgement: ack,
            },
        }
    };
    let simple = |l: &License| match l {
        License::Name(_) => true,
        License::Expression(e) => license::license_id(e).is_some(),
    };
    let all_simple = c.licenses.iter().chain(&c.license_concluded).all(simple);
    if all_simple {
        let mut out: Vec<OutLicense> = c.licenses.iter().map(|l| object(l, "declared")).collect();
        out.extend(c.license_concluded.iter().map(|l| object(l, "concluded")));
        return out;
    }
    let all_expressions = c
        .licenses
        .iter()
        .all(|l| matches!(l, License::Expression(_)));
    if c.license_concluded.is_none() && all_expressions {
        let parts: Vec<String> = c
            .licenses
            .iter()
            .map(|l| {
                if c.licenses.len() > 1 && !license::is_single(l.as_str()) {
                    format!("({})", l.as_str())
                } else {
                    l.as_str().to_owned()
                }
            })
            .collect();
        return vec![OutLicense::Expression {
            expression: parts.join(" AND "),
            acknowledgement: "declared",
        }];
    }
    let mut out: Vec<OutLicense> = c.licenses.iter().map(|l| object(l, "declared")).collect();
    out.extend(c.license_concluded.iter().map(|l| object(l, "concluded")));
    out
}

fn component(
    sbom: &Sbom,
    i: usize,
    refs: &[String],
    children: &[Vec<usize>],
    depth: usize,
) -> OutComponent {
    let c = &sbom.components[i];
    let (mut author, mut authors, mut manufacturer) = (None, Vec::new(), None);
    match &c.author {
        Some(a) if a.kind == PartyKind::Person => authors.push(Contact {
            name: a.name.clone(),
            email: a.email.clone(),
        }),
        Some(a) if a.kind == PartyKind::Organization => {
            manufacturer = Some(entity(&a.name, a.email.as_ref()));
        }
        Some(a) => author = Some(a.name.clone()),
        None => {}
    }
    let mut properties: Vec<OutProperty> = c
        .properties
        .iter()
        .map(|(n, v)| OutProperty {
            name: n.clone(),
            value: v.clone(),
        })
        .collect();
    for cpe in c.cpes.iter().skip(1) {
        properties.push(OutProperty {
            name: EXTRA_CPE.to_owned(),
            value: cpe.clone(),
        });
    }
    if let Some(eos) = &c.end_of_support {
        properties.push(OutProperty {
            name: END_OF_SUPPORT.to_owned(),
            value: eos.clone(),
        });
    }
    let mut external_references = Vec::new();
    if let Some(h) = &c.homepage {
        external_references.push(OutReference {
            url: h.clone(),
            kind: "website",
        });
    }
    if let Some(d) = &c.download_location {
        external_references.push(OutReference {
            url: d.clone(),
            kind: "distribution",
        });
    }
    // Nesting is bounded by the model's parent chains, which `tree` made
    // acyclic; the depth guard keeps a pathological chain off the stack.
    let nested = if depth < 64 {
        children[i]
            .iter()
            .map(|&j| component(sbom, j, refs, children, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    OutComponent {
        kind: c.kind.map_or("library", |k| k.cyclonedx()),
        bom_ref: refs[i].clone(),
        supplier: c
            .supplier
            .as_ref()
            .map(|s| entity(&s.name, s.email.as_ref())),
        manufacturer,
        authors,
        author,
        publisher: c.publisher.clone(),
        group: c.group.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        description: c.description.clone(),
        scope: c.scope.clone(),
        hashes: c
            .hashes
            .iter()
            .filter(|h| crate::util::is_digest_hex(&h.value))
            .filter_map(|h| {
                h.alg.cyclonedx().map(|alg| OutHash {
                    alg,
                    content: h.value.clone(),
                })
            })
            .collect(),
        licenses: licenses(c),
        copyright: c.copyright.clone(),
        cpe: c.cpes.first().cloned(),
        purl: c.purl.as_ref().map(|p| p.to_string()),
        swid: c.swid.as_ref().map(|t| OutSwid {
            tag_id: t.clone(),
            name: c.name.clone(),
        }),
        external_references,
        properties,
        components: nested,
    }
}

fn vulnerability(v: &Vulnerability) -> OutVulnerability {
    const SEVERITIES: &[&str] = &[
        "critical", "high", "medium", "low", "info", "none", "unknown",
    ];
    const METHODS: &[&str] = &[
        "CVSSv2", "CVSSv3", "CVSSv31", "CVSSv4", "OWASP", "SSVC", "other",
    ];
    OutVulnerability {
        bom_ref: v.bom_ref.clone(),
        id: v.id.clone(),
        source: (v.source_name.is_some() || v.source_url.is_some()).then(|| OutSource {
            name: v.source_name.clone(),
            url: v.source_url.clone(),
        }),
        references: v
            .aliases
            .iter()
            .map(|a| OutVulnReference {
                id: a.clone(),
                source: OutSource::default(),
            })
            .collect(),
        ratings: v
            .ratings
            .iter()
            .map(|r| OutRating {
                source: r.source.as_ref().map(|s| OutSource {
                    name: Some(s.clone()),
                    url: None,
                }),
                score: r.score.filter(|s| s.is_finite()),
                severity: r
                    .severity
                    .clone()
                    .filter(|s| SEVERITIES.contains(&s.as_str())),
                method: r.method.clone().filter(|m| METHODS.contains(&m.as_str())),
                vector: r.vector.clone(),
            })
            .collect(),
        cwes: v.cwes.clone(),
        description: v.description.clone(),
        detail: v.detail.clone(),
        recommendation: v.recommendation.clone(),
        workaround: v.workaround.clone(),
        created: v.created.as_deref().and_then(utc_timestamp),
        published: v.published.as_deref().and_then(utc_timestamp),
        updated: v.updated.as_deref().and_then(utc_timestamp),
        analysis: v.analysis.as_ref().map(|a| OutAnalysis {
            state: a.state.map(|s| s.as_str()),
            justification: a.justification.map(|j| j.as_str()),
            response: a.responses.iter().map(|r| r.as_str()).collect(),
            detail: a.detail.clone(),
            first_issued: a.first_issued.as_deref().and_then(utc_timestamp),
            last_updated: a.last_updated.as_deref().and_then(utc_timestamp),
        }),
        affects: v
            .affects
            .iter()
            .map(|a| OutAffects {
                reference: a.target.clone(),
                versions: a
                    .versions
                    .iter()
                    .filter(|av| av.version.is_some() || av.range.is_some())
                    .map(|av| OutAffectedVersion {
                        version: av.version.clone(),
                        range: if av.version.is_some() {
                            None
                        } else {
                            av.range.clone()
                        },
                        status: av.status.map(|s| s.as_str()),
                    })
                    .collect(),
            })
            .collect(),
        properties: v
            .properties
            .iter()
            .map(|(n, val)| OutProperty {
                name: n.clone(),
                value: val.clone(),
            })
            .collect(),
    }
}

/// An XML writer with indentation and escaping; characters XML 1.0
/// cannot carry at all (most C0 controls) are dropped.
struct Xml {
    out: String,
    depth: usize,
}

fn xml_escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        let _ = write!(self.out, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", xml_escape(v, true));
        }
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        let _ = write!(self.out, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", xml_escape(v, true));
        }
        let _ = writeln!(self.out, ">{}</{name}>", xml_escape(text, false));
    }

    fn opt(&mut self, name: &str, text: Option<&String>) {
        if let Some(t) = text {
            self.leaf(name, &[], t);
        }
    }
}

/// The SBOM as CycloneDX 1.6 XML.
pub(crate) fn write_xml(sbom: &Sbom) -> String {
    let bom = plan(sbom);
    let mut x = Xml {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    let version = bom.version.to_string();
    x.open(
        "bom",
        &[
            ("xmlns", "http://cyclonedx.org/schema/bom/1.6"),
            ("serialNumber", &bom.serial_number),
            ("version", &version),
        ],
    );
    x.open("metadata", &[]);
    x.opt("timestamp", bom.metadata.timestamp.as_ref());
    x.open("tools", &[]);
    x.open("components", &[]);
    for t in &bom.metadata.tools.components {
        x.open("component", &[("type", t.kind)]);
        x.leaf("name", &[], &t.name);
        x.close("component");
    }
    x.close("components");
    x.close("tools");
    if !bom.metadata.authors.is_empty() {
        x.open("authors", &[]);
        for a in &bom.metadata.authors {
            contact_xml(&mut x, "author", a);
        }
        x.close("authors");
    }
    if let Some(c) = &bom.metadata.component {
        component_xml(&mut x, "component", c);
    }
    x.close("metadata");
    if !bom.components.is_empty() {
        x.open("components", &[]);
        for c in &bom.components {
            component_xml(&mut x, "component", c);
        }
        x.close("components");
    }
    if !bom.dependencies.is_empty() {
        x.open("dependencies", &[]);
        for d in &bom.dependencies {
            if d.depends_on.is_empty() {
                x.indent();
                let _ = writeln!(
                    x.out,
                    "<dependency ref=\"{}\"/>",
                    xml_escape(&d.reference, true)
                );
                continue;
            }
            x.open("dependency", &[("ref", &d.reference)]);
            for to in &d.depends_on {
                x.indent();
                let _ = writeln!(x.out, "<dependency ref=\"{}\"/>", xml_escape(to, true));
            }
            x.close("dependency");
        }
        x.close("dependencies");
    }
    if !bom.vulnerabilities.is_empty() {
        x.open("vulnerabilities", &[]);
        for v in &bom.vulnerabilities {
            vulnerability_xml(&mut x, v);
        }
        x.close("vulnerabilities");
    }
    x.close("bom");
    x.out
}

fn contact_xml(x: &mut Xml, tag: &str, c: &Contact) {
    x.open(tag, &[]);
    x.leaf("name", &[], &c.name);
    x.opt("email", c.email.as_ref());
    x.close(tag);
}

fn entity_xml(x: &mut Xml, tag: &str, e: &Entity) {
    x.open(tag, &[]);
    x.leaf("name", &[], &e.name);
    for c in &e.contact {
        contact_xml(x, "contact", c);
    }
    x.close(tag);
}

fn properties_xml(x: &mut Xml, props: &[OutProperty]) {
    if props.is_empty() {
        return;
    }
    x.open("properties", &[]);
    for p in props {
        x.leaf("property", &[("name", &p.name)], &p.value);
    }
    x.close("properties");
}

fn component_xml(x: &mut Xml, tag: &str, c: &OutComponent) {
    x.open(tag, &[("type", c.kind), ("bom-ref", &c.bom_ref)]);
    if let Some(s) = &c.supplier {
        entity_xml(x, "supplier", s);
    }
    if let Some(m) = &c.manufacturer {
        entity_xml(x, "manufacturer", m);
    }
    if !c.authors.is_empty() {
        x.open("authors", &[]);
        for a in &c.authors {
            contact_xml(x, "author", a);
        }
        x.close("authors");
    }
    x.opt("author", c.author.as_ref());
    x.opt("publisher", c.publisher.as_ref());
    x.opt("group", c.group.as_ref());
    x.leaf("name", &[], &c.name);
    x.opt("version", c.version.as_ref());
    x.opt("description", c.description.as_ref());
    x.opt("scope", c.scope.as_ref());
    if !c.hashes.is_empty() {
        x.open("hashes", &[]);
        for h in &c.hashes {
            x.leaf("hash", &[("alg", h.alg)], &h.content);
        }
        x.close("hashes");
    }
    if !c.licenses.is_empty() {
        x.open("licenses", &[]);
        for l in &c.licenses {
            match l {
                OutLicense::License { license } => {
                    x.open("license", &[("acknowledgement", license.acknowledgement)]);
                    x.opt("id", license.id.as_ref());
                    x.opt("name", license.name.as_ref());
                    x.close("license");
                }
                OutLicense::Expression {
                    expression,
                    acknowledgement,
                } => x.leaf(
                    "expression",
                    &[("acknowledgement", acknowledgement)],
                    expression,
                ),
            }
        }
        x.close("licenses");
    }
    x.opt("copyright", c.copyright.as_ref());
    x.opt("cpe", c.cpe.as_ref());
    x.opt("purl", c.purl.as_ref());
    if let Some(s) = &c.swid {
        x.indent();
        let _ = writeln!(
            x.out,
            "<swid tagId=\"{}\" name=\"{}\"/>",
            xml_escape(&s.tag_id, true),
            xml_escape(&s.name, true)
        );
    }
    if !c.external_references.is_empty() {
        x.open("externalReferences", &[]);
        for r in &c.external_references {
            x.open("reference", &[("type", r.kind)]);
            x.leaf("url", &[], &r.url);
            x.close("reference");
        }
        x.close("externalReferences");
    }
    properties_xml(x, &c.properties);
    if !c.components.is_empty() {
        x.open("components", &[]);
        for child in &c.components {
            component_xml(x, "component", child);
        }
        x.close("components");
    }
    x.close(tag);
}

fn source_xml(x: &mut Xml, s: &OutSource) {
    x.open("source", &[]);
    x.opt("name", s.name.as_ref());
    x.opt("url", s.url.as_ref());
    x.close("source");
}

fn vulnerability_xml(x: &mut Xml, v: &OutVulnerability) {
    match &v.bom_ref {
        Some(r) => x.open("vulnerability", &[("bom-ref", r)]),
        None => x.open("vulnerability", &[]),
    }
    x.leaf("id", &[], &v.id);
    if let Some(s) = &v.source {
        source_xml(x, s);
    }
    if !v.references.is_empty() {
        x.open("references", &[]);
        for r in &v.references {
            x.open("reference", &[]);
            x.leaf("id", &[], &r.id);
            source_xml(x, &r.source);
            x.close("reference");
        }
        x.close("references");
    }
    if !v.ratings.is_empty() {
        x.open("ratings", &[]);
        for r in &v.ratings {
            x.open("rating", &[]);
            if let Some(s) = &r.source {
                source_xml(x, s);
            }
            if let Some(score) = r.score {
                x.leaf("score", &[], &score.to_string());
            }
            x.opt("severity", r.severity.as_ref());
            x.opt("method", r.method.as_ref());
            x.opt("vector", r.vector.as_ref());
            x.close("rating");
        }
        x.close("ratings");
    }
    if !v.cwes.is_empty() {
        x.open("cwes", &[]);
        for c in &v.cwes {
            x.leaf("cwe", &[], &c.to_string());
        }
        x.close("cwes");
    }
    x.opt("description", v.description.as_ref());
    x.opt("detail", v.detail.as_ref());
    x.opt("recommendation", v.recommendation.as_ref());
    x.opt("workaround", v.workaround.as_ref());
    x.opt("created", v.created.as_ref());
    x.opt("published", v.published.as_ref());
    x.opt("updated", v.updated.as_ref());
    if let Some(a) = &v.analysis {
        x.open("analysis", &[]);
        if let Some(s) = a.state {
            x.leaf("state", &[], s);
        }
        if let Some(j) = a.justification {
            x.leaf("justification", &[], j);
        }
        if !a.response.is_empty() {
            x.open("responses", &[]);
            for r in &a.response {
                x.leaf("response", &[], r);
            }
            x.close("responses");
        }
        x.opt("detail", a.detail.as_ref());
        x.opt("firstIssued", a.first_issued.as_ref());
        x.opt("lastUpdated", a.last_updated.as_ref());
        x.close("analysis");
    }
    if !v.affects.is_empty() {
        x.open("affects", &[]);
        for a in &v.affects {
            x.open("target", &[]);
            x.leaf("ref", &[], &a.reference);
            if !a.versions.is_empty() {
                x.open("versions", &[]);
                for av in &a.versions {
                    x.open("version", &[]);
                    x.opt("version", av.version.as_ref());
                    x.opt("range", av.range.as_ref());
                    if let Some(s) = av.status {
                        x.leaf("status", &[], s);
                    }
                    x.close("version");
                }
                x.close("versions");
            }
            x.close("target");
        }
        x.close("affects");
    }
    properties_xml(x, &v.properties);
    x.close("vulnerability");
}
