//! SPDX 3.0 JSON-LD, read as plain JSON the way Yocto's `create-spdx`
//! (openembedded-core `lib/oe/spdx30_tasks.py`) and the SPDX examples
//! write it: an `@context` and an `@graph` of elements. Keys and types
//! are accepted in the compact form (`software_Package`, `spdxId`,
//! `type`), with an `spdx:` prefix, as full IRIs
//! (`https://spdx.org/rdf/3.0.1/terms/Software/Package`) and with JSON-LD
//! keywords (`@id`, `@type`); enum values as names or IRIs.
//!
//! Packages (including AI and dataset packages) and files become
//! components; every CPE of a package is kept, since Yocto packages have
//! only `pkg:yocto` purls (or none) and are matched through CPEs such as
//! `cpe:2.3:*:*:openssl:3.0.13:*:*:*:*:*:*:*`. `dependsOn` and `contains`
//! relationships become the graph, a build's inputs become dependencies
//! of its outputs, licences come from `hasDeclaredLicense` and
//! `hasConcludedLicense`, and VEX assessment relationships become
//! [`Vulnerability`] statements.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

use crate::Limits;
use crate::error::{ErrorKind, Location, SbomError};
use crate::license;
use crate::model::{
    Affects, Component, ComponentId, ComponentKind, Dependency, DependencyKind, Diagnostic, Format,
    FormatKind, Hash, HashAlg, License, Party, PartyKind, SPDX3_PURPOSE, Sbom, VexAnalysis,
    VexJustification, VexState, Vulnerability,
};
use crate::purl::Purl;

const FORMAT: FormatKind = FormatKind::Spdx3JsonLd;

/// The prefixes full-IRI keys and types carry, and the compact prefix of
/// their profile.
const PROFILES: &[(&str, &str)] = &[
    ("Core/", ""),
    ("Software/", "software_"),
    ("Security/", "security_"),
    ("SimpleLicensing/", "simplelicensing_"),
    ("ExpandedLicensing/", "expandedlicensing_"),
    ("AI/", "ai_"),
    ("Dataset/", "dataset_"),
    ("Build/", "build_"),
    ("Lite/", "lite_"),
    ("Extension/", "extension_"),
];

/// A key or type in compact form.
fn compact(key: &str) -> String {
    let key = key
        .strip_prefix("spdx:")
        .or_else(|| key.strip_prefix("spdxcore:"))
        .unwrap_or(key);
    if let Some(rest) = key.strip_prefix("https://spdx.org/rdf/") {
        // `3.0.1/terms/Software/Package`
        if let Some((_, term)) = rest.split_once("/terms/") {
            for (profile, prefix) in PROFILES {
                if let Some(name) = term.strip_prefix(profile) {
                    return format!("{prefix}{name}");
                }
            }
            return term.to_owned();
        }
    }
    key.to_owned()
}

/// An enum value's name: the last segment of an IRI, or the value.
fn enum_name(v: &str) -> &str {
    v.rsplit('/').next().unwrap_or(v)
}

/// A graph element with compact keys.
struct Node {
    index: usize,
    kind: String,
    id: Option<String>,
    props: Map<String, Value>,
}

impl Node {
    fn from_value(index: usize, v: &Value) -> Option<Node> {
        let obj = v.as_object()?;
        let mut props = Map::new();
        for (k, val) in obj {
            props.insert(compact(k), val.clone());
        }
        let kind = props
            .get("type")
            .or_else(|| props.get("@type"))
            .and_then(Value::as_str)
            .map(compact)
            .unwrap_or_default();
        let id = props
            .get("spdxId")
            .or_else(|| props.get("@id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some(Node {
            index,
            kind,
            id,
            props,
        })
    }

    fn path(&self, field: &str) -> String {
        format!("@graph[{}].{field}", self.index)
    }

    /// A string property; a non-string is an error at its path.
    fn string(&self, key: &str) -> Result<Option<String>, SbomError> {
        match self.props.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(SbomError::invalid(
                FORMAT,
                Location::path(self.path(key)),
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    /// The ids a reference property names: a string, an inline object
    /// with an id, or an array of either.
    fn refs(&self, key: &str) -> Vec<String> {
        fn one(v: &Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o
                    .get("spdxId")
                    .or_else(|| o.get("@id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => None,
            }
        }
        match self.props.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
            Some(v) => one(v).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Inline objects of a list property (`verifiedUsing`,
    /// `externalIdentifier`), keys compacted.
    fn objects(&self, key: &str) -> Vec<Map<String, Value>> {
        let items: Vec<&Value> = match self.props.get(key) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .filter_map(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (compact(k), v.clone())).collect())
            .collect()
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// Whether an element type is a package-like component.
fn package_kind(kind: &str) -> Option<Option<ComponentKind>> {
    match kind {
        "software_Package" => Some(None),
        "ai_AIPackage" => Some(Some(ComponentKind::MachineLearningModel)),
        "dataset_DatasetPackage" => Some(Some(ComponentKind::Data)),
        "software_File" => Some(Some(ComponentKind::File)),
        _ => None,
    }
}

fn party_kind(kind: &str) -> Option<PartyKind> {
    Some(match kind {
        "Person" => PartyKind::Person,
        "Organization" => PartyKind::Organization,
        "Tool" | "SoftwareAgent" => PartyKind::Tool,
        "Agent" => PartyKind::Unspecified,
        _ => return None,
    })
}

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Sbom, SbomError> {
    let root: Value = serde_json::from_slice(bytes)
        .map_err(|e| crate::jsonread::path_error(FORMAT, String::new(), e))?;
    let Some(obj) = root.as_object() else {
        return Err(SbomError::invalid(
            FORMAT,
            Location::default(),
            format!("expected a JSON-LD object, found {}", type_name(&root)),
        ));
    };
    let graph: Vec<&Value> = match obj.get("@graph") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => {
            return Err(SbomError::invalid(
                FORMAT,
                Location::path("@graph"),
                format!("expected an array, found {}", type_name(other)),
            ));
        }
        // A document of a single element.
        None => vec![&root],
    };
    let mut nodes = Vec::with_capacity(graph.len());
    for (i, v) in graph.iter().enumerate() {
        match Node::from_value(i, v) {
            Some(n) => nodes.push(n),
            None => {
                return Err(SbomError::invalid(
                    FORMAT,
                    Location::path(format!("@graph[{i}]")),
                    format!("expected an element object, found {}", type_name(v)),
                ));
            }
        }
    }
    let packages = nodes
        .iter()
        .filter(|n| package_kind(&n.kind).is_some())
        .count();
    if packages > limits.max_components {
        return Err(SbomError::new(
            ErrorKind::TooManyComponents,
            Some(FORMAT),
            format!(
                "{packages} packages and files, more than the limit of {}",
                limits.max_components
            ),
        ));
    }
    convert(&nodes)
}

fn convert(nodes: &[Node]) -> Result<Sbom, SbomError> {
    let by_id: HashMap<&str, &Node> = nodes
        .iter()
        .filter_map(|n| n.id.as_deref().map(|id| (id, n)))
        .collect();
    let mut warnings = Vec::new();

    let creation = nodes.iter().find(|n| n.kind == "CreationInfo");
    let doc = nodes.iter().find(|n| n.kind == "SpdxDocument");
    let spec_version = creation
        .and_then(|c| c.props.get("specVersion"))
        .and_then(Value::as_str)
        .unwrap_or("3.0")
        .to_owned();
    if !spec_version.starts_with("3.") {
        return Err(SbomError::new(
            ErrorKind::UnsupportedVersion,
            Some(FORMAT),
            format!("specVersion `{spec_version}` is not SPDX 3"),
        ));
    }
    let mut sbom = Sbom::new(Format {
        kind: FORMAT,
        spec_version,
    });
    if let Some(d) = doc {
        sbom.serial = d.id.clone();
        sbom.name = d.string("name")?;
    }
    // The creation info of the document, else the first one.
    let creation = doc
        .and_then(|d| d.refs("creationInfo").first().cloned())
        .and_then(|id| by_id.get(id.as_str()).copied())
        .or(creation);
    let mut agents: HashMap<&str, Party> = HashMap::new();
    for n in nodes {
        if let (Some(kind), Some(id)) = (party_kind(&n.kind), n.id.as_deref()) {
            let name = n.string("name")?.unwrap_or_else(|| id.to_owned());
            let email = n
                .objects("externalIdentifier")
                .iter()
                .find(|e| str_of(e, "externalIdentifierType").map(enum_name) == Some("email"))
                .and_then(|e| str_of(e, "identifier").map(str::to_owned));
            agents.insert(id, Party { kind, name, email });
        }
    }
    if let Some(c) = creation {
        sbom.created = c.string("created")?;
        for id in c.refs("createdBy") {
            match agents.get(id.as_str()) {
                Some(p) if p.kind == PartyKind::Tool => sbom.tools.push(p.name.clone()),
                Some(p) => sbom.authors.push(p.clone()),
                None => sbom.authors.push(Party {
                    kind: PartyKind::Unspecified,
                    name: id,
                    email: None,
                }),
            }
        }
        for id in c.refs("createdUsing") {
            let name = agents
                .get(id.as_str())
                .map_or(id.clone(), |p| p.name.clone());
            sbom.tools.push(name);
        }
    }

    let mut ids: HashSet<String> = HashSet::new();
    for n in nodes {
        let Some(fixed_kind) = package_kind(&n.kind) else {
            continue;
        };
        let Some(id) = n.id.clone() else {
            warnings.push(Diagnostic {
                location: format!("@graph[{}]", n.index),
                message: format!("a {} without spdxId; ignored", n.kind),
            });
            continue;
        };
        if !ids.insert(id.clone()) {
            warnings.push(Diagnostic {
                location: n.path("spdxId"),
                message: format!("`{id}` is used twice; the second is ignored"),
            });
            continue;
        }
        let c = component(n, id, fixed_kind, &agents, &mut warnings)?;
        sbom.components.push(c);
    }

    relationships(nodes, &by_id, &ids, &mut sbom, &mut warnings)?;

    // The subject: the root of the SBOM element, else of the document.
    let roots = nodes
        .iter()
        .filter(|n| n.kind == "software_Sbom")
        .chain(doc)
        .flat_map(|n| n.refs("rootElement"));
    let mut subject = None;
    for r in roots {
        if ids.contains(&r) {
            subject = Some(ComponentId::new(r));
            break;
        }
        // A document whose root is an SBOM element: that SBOM's root.
        if let Some(inner) = by_id.get(r.as_str()).filter(|n| n.kind == "software_Sbom")
            && let Some(x) = inner
                .refs("rootElement")
                .into_iter()
                .find(|x| ids.contains(x))
        {
            subject = Some(ComponentId::new(x));
            break;
        }
    }
    sbom.subject = subject.or(sbom.subject.take());
    sbom.warnings = warnings;
    Ok(sbom)
}

fn component(
    n: &Node,
    id: String,
    fixed_kind: Option<ComponentKind>,
    agents: &HashMap<&str, Party>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Component, SbomError> {
    let name = n.string("name")?.unwrap_or_default();
    let mut c = Component::new(id, name);
    let purpose = n.string("software_primaryPurpose")?;
    c.kind = fixed_kind.or_else(|| {
        purpose
            .as_deref()
            .map(enum_name)
            .and_then(ComponentKind::from_spdx3)
    });
    if let Some(p) = purpose.as_deref().map(enum_name)
        && ComponentKind::from_spdx3(p).is_none()
    {
        // `specification` is what Yocto gives its recipes; keep the
        // purpose so users can tell recipes from installed packages.
        c.properties.push((SPDX3_PURPOSE.to_owned(), p.to_owned()));
    }
    c.version = n.string("software_packageVersion")?;
    c.description = n.string("description")?.or(n.string("summary")?);
    c.homepage = n.string("software_homePage")?;
    c.download_location = n.string("software_downloadLocation")?;
    c.copyright = n
        .string("software_copyrightText")?
        .filter(|t| t != "NOASSERTION" && t != "NONE");
    c.end_of_support = n.string("validUntilTime")?;
    let mut purls: Vec<String> = n.string("software_packageUrl")?.into_iter().collect();
    for e in n.objects("externalIdentifier") {
        let (Some(kind), Some(value)) = (
            str_of(&e, "externalIdentifierType"),
            str_of(&e, "identifier"),
        ) else {
            continue;
        };
        match enum_name(kind) {
            "cpe23" | "cpe22" if !c.cpes.iter().any(|x| x == value) => {
                c.cpes.push(value.to_owned());
            }
            "packageUrl" => purls.push(value.to_owned()),
            "swid" => c.swid = Some(value.to_owned()),
            _ => {}
        }
    }
    for p in purls {
        match Purl::parse(&p) {
            Ok(purl) if c.purl.is_none() => c.purl = Some(purl),
            Ok(purl) if c.purl.as_ref() != Some(&purl) => warnings.push(Diagnostic {
                location: n.path("externalIdentifier"),
                message: format!("a second purl `{purl}`; the first is kept"),
            }),
            Ok(_) => {}
            Err(e) => warnings.push(Diagnostic {
                location: n.path("software_packageUrl"),
                message: e.to_string(),
            }),
        }
    }
    for h in n.objects("verifiedUsing") {
        if let (Some(alg), Some(value)) = (str_of(&h, "algorithm"), str_of(&h, "hashValue")) {
            c.hashes
                .push(Hash::new(HashAlg::parse(enum_name(alg)), value));
        }
    }
    let agent = |id: &str| {
        agents.get(id).cloned().or_else(|| {
            Some(Party {
                kind: PartyKind::Unspecified,
                name: id.to_owned(),
                email: None,
            })
        })
    };
    c.supplier = n.refs("suppliedBy").first().and_then(|id| agent(id));
    c.author = n.refs("originatedBy").first().and_then(|id| agent(id));
    Ok(c)
}

/// The licence an element such as `simplelicensing_LicenseExpression` or
/// a listed licence states.
fn license_of(target: &str, by_id: &HashMap<&str, &Node>) -> Option<License> {
    match by_id.get(target) {
        Some(n) => {
            let text = n
                .props
                .get("simplelicensing_licenseExpression")
                .or_else(|| n.props.get("expandedlicensing_licenseId"))
                .or_else(|| n.props.get("name"))
                .and_then(Value::as_str)?;
            license::classify(text)
        }
        // Listed licences are often referenced by IRI only:
        // `https://spdx.org/licenses/MIT`.
        None => target
            .strip_prefix("https://spdx.org/licenses/")
            .or_else(|| target.strip_prefix("http://spdx.org/licenses/"))
            .and_then(license::classify),
    }
}

fn relationships(
    nodes: &[Node],
    by_id: &HashMap<&str, &Node>,
    ids: &HashSet<String>,
    sbom: &mut Sbom,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), SbomError> {
    let index: HashMap<String, usize> = sbom
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.0.clone(), i))
        .collect();
    let mut contains: Vec<(String, String)> = Vec::new();
    let mut build_inputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut build_outputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut vulns: BTreeMap<String, Vulnerability> = BTreeMap::new();
    for n in nodes {
        let is_vex = n.kind.starts_with("security_Vex");
        if n.kind != "Relationship" && n.kind != "LifecycleScopedRelationship" && !is_vex {
            continue;
        }
        let Some(from) = n.refs("from").into_iter().next() else {
            warnings.push(Diagnostic {
                location: n.path("from"),
                message: "a relationship without `from`; ignored".to_owned(),
            });
            continue;
        };
        let to = n.refs("to");
        let rel = n.string("relationshipType")?.unwrap_or_default();
        let rel = enum_name(&rel).to_owned();
        let scope = n.string("scope")?.map(|s| enum_name(&s).to_owned());
        if is_vex {
            vex(n, &from, &to, by_id, &mut vulns)?;
            continue;
        }
        match rel.as_str() {
            "dependsOn" => {
                for t in &to {
                    if ids.contains(&from) && ids.contains(t) {
                        push_dep(sbom, &from, t, DependencyKind::DependsOn, scope.clone());
                    }
                }
            }
            "contains" => {
                for t in &to {
                    contains.push((from.clone(), t.clone()));
                }
            }
            "describes" if sbom.subject.is_none() => {
                sbom.subject = to
                    .iter()
                    .find(|t| ids.contains(*t))
                    .map(|t| ComponentId::new(t.clone()));
            }
            "hasInput" => build_inputs.entry(from.clone()).or_default().extend(to),
            "hasOutput" => build_outputs.entry(from.clone()).or_default().extend(to),
            "hasDeclaredLicense" | "hasConcludedLicense" => {
                let Some(&i) = index.get(&from) else {
                    continue;
                };
                for t in &to {
                    let Some(l) = license_of(t, by_id) else {
                        continue;
                    };
                    let c = &mut sbom.components[i];
                    if rel == "hasConcludedLicense" {
                        c.license_concluded.get_or_insert(l);
                    } else if !c.licenses.contains(&l) {
                        c.licenses.push(l);
                    }
                }
            }
            _ => {}
        }
    }
    // A build's outputs depend on its inputs (Yocto: the image's rootfs
    // build has the installed packages as inputs).
    for (build, outputs) in &build_outputs {
        let Some(inputs) = build_inputs.get(build) else {
            continue;
        };
        for o in outputs.iter().filter(|o| ids.contains(*o)) {
            for i in inputs.iter().filter(|i| ids.contains(*i) && *i != o) {
                push_dep(
                    sbom,
                    o,
                    i,
                    DependencyKind::DependsOn,
                    Some("build input".to_owned()),
                );
            }
        }
    }
    contains.sort();
    contains.dedup();
    for (from, to) in contains {
        let (Some(_), Some(&ti)) = (index.get(&from), index.get(&to)) else {
            continue;
        };
        if from == to {
            continue;
        }
        let child = &mut sbom.components[ti];
        match &child.parent {
            None => child.parent = Some(ComponentId::new(from)),
            Some(p) if p.as_str() == from => {}
            Some(_) => push_dep(sbom, &from, &to, DependencyKind::Contains, None),
        }
    }
    sbom.vulnerabilities.extend(vulns.into_values());
    Ok(())
}

fn push_dep(sbom: &mut Sbom, from: &str, to: &str, kind: DependencyKind, detail: Option<String>) {
    let dep = Dependency {
        from: ComponentId::new(from),
        to: ComponentId::new(to),
        kind,
        detail,
    };
    if !sbom.dependencies.contains(&dep) {
        sbom.dependencies.push(dep);
    }
}

/// A VEX assessment relationship (`security_Vex…VulnAssessmentRelationship`
/// from a `security_Vulnerability` to the elements it assesses) as a
/// statement per vulnerability.
fn vex(
    n: &Node,
    from: &str,
    to: &[String],
    by_id: &HashMap<&str, &Node>,
    vulns: &mut BTreeMap<String, Vulnerability>,
) -> Result<(), SbomError> {
    let (state, justification) = match n.kind.as_str() {
        "security_VexFixedVulnAssessmentRelationship" => (VexState::Resolved, None),
        "security_VexAffectedVulnAssessmentRelationship" => (VexState::Exploitable, None),
        "security_VexUnderInvestigationVulnAssessmentRelationship" => (VexState::InTriage, None),
        "security_VexNotAffectedVulnAssessmentRelationship" => {
            let j = n
                .string("security_justificationType")?
                .and_then(|j| justification(enum_name(&j)));
            (VexState::NotAffected, j)
        }
        _ => return Ok(()),
    };
    // The vulnerability's CVE id, else its name, else its element id.
    let vuln_id = by_id
        .get(from)
        .and_then(|v| {
            v.objects("externalIdentifier")
                .iter()
                .find(|e| str_of(e, "externalIdentifierType").map(enum_name) == Some("cve"))
                .and_then(|e| str_of(e, "identifier").map(str::to_owned))
                .or_else(|| {
                    v.props
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
        })
        .unwrap_or_else(|| from.to_owned());
    let detail = [
        n.string("security_impactStatement")?,
        n.string("security_actionStatement")?,
        n.string("security_statusNotes")?,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    let key = format!("{vuln_id}\u{0}{}", n.kind);
    let v = vulns.entry(key).or_insert_with(|| {
        let mut v = Vulnerability::new(vuln_id.clone());
        v.bom_ref = Some(from.to_owned());
        v.analysis = Some(VexAnalysis {
            state: Some(state),
            justification,
            detail: (!detail.is_empty()).then(|| detail.join("; ")),
            first_issued: n.string("security_publishedTime").ok().flatten(),
            ..VexAnalysis::default()
        });
        v
    });
    for t in to {
        if !v.affects.iter().any(|a| &a.target == t) {
            v.affects.push(Affects {
                target: t.clone(),
                versions: Vec::new(),
            });
        }
    }
    Ok(())
}

fn justification(s: &str) -> Option<VexJustification> {
    Some(match s {
        "componentNotPresent" => VexJustification::CodeNotPresent,
        "vulnerableCodeNotPresent" => VexJustification::CodeNotPresent,
        "vulnerableCodeCannotBeControlledByAdversary" => VexJustification::RequiresEnvironment,
        "vulnerableCodeNotInExecutePath" => VexJustification::CodeNotReachable,
        "inlineMitigationsAlreadyExist" => VexJustification::ProtectedByMitigatingControl,
        _ => return None,
    })
}
