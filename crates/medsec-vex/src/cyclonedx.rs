//! CycloneDX VEX through the SBOM model of [`medsec_sbom`]: reading
//! `vulnerabilities[]` with their `analysis` and `affects` (JSON or XML,
//! 1.4–1.6), and writing a CycloneDX 1.6 BOM whose components are the
//! products and subcomponents and whose vulnerabilities carry the
//! statements.
//!
//! Reading resolves each `affects[].ref` to a component of the BOM. The
//! component is the product when it is the BOM's subject
//! (`metadata.component`) or when the BOM has no subject and the
//! component is not nested; otherwise it is a subcomponent of the subject
//! (or of the top-level component it is nested in). A BOM-Link into
//! another BOM (`urn:cdx:…`) is kept as the product's id. Each
//! `affects[].versions[]` entry makes one product (or subcomponent) with
//! that version or range. A vulnerability without `analysis.state` states
//! nothing and is skipped with a diagnostic.
//!
//! `analysis.detail` is the impact statement of a not-affected statement
//! and the detail of the others; the writer keeps the other text, and a
//! CISA justification that the CycloneDX value does not convey, in
//! properties (`medsec:vex:detail`, `medsec:vex:impact_statement`,
//! `medsec:vex:justification`), which the reader takes back. The action
//! statement is the `recommendation`.
//!
//! Writing puts a single product into `metadata.component` and its
//! subcomponents into `components`; several products become top-level
//! components with their subcomponents nested inside them, so that the
//! reader pairs them again. A version that is a `vers:` range goes into
//! `affects[].versions[]`. The document id is the serial number when it
//! is a `urn:uuid:`; other ids are not kept (the writer derives a serial
//! number from the content). CycloneDX has no place for the document's
//! `last_updated`; timestamps are written in UTC to the second, as the
//! SBOM writer writes them.

use std::collections::{HashMap, HashSet};

use medsec_sbom::{
    AffectedStatus, AffectedVersion, Affects, Component, ComponentId, Party, PartyKind, Purl, Sbom,
    Vulnerability,
};

use crate::error::write_error;
use crate::mapping::{
    from_cyclonedx_justification, from_cyclonedx_state, to_cyclonedx_justification,
    to_cyclonedx_state,
};
use crate::model::{
    CycloneDxAnalysis, Diagnostic, Document, Format, FormatKind, Justification, ProductRef,
    Statement, Status,
};
use crate::{MAX_BYTES, VexError, non_blank, rfc3339};

/// The property that carries a CISA justification the CycloneDX value
/// does not convey.
pub(crate) const JUSTIFICATION_PROPERTY: &str = "medsec:vex:justification";
/// The property that carries the detail of a not-affected statement
/// (whose `analysis.detail` is the impact statement).
pub(crate) const DETAIL_PROPERTY: &str = "medsec:vex:detail";
/// The property that carries the impact statement of a statement that is
/// not "not affected" (whose `analysis.detail` is the detail).
pub(crate) const IMPACT_PROPERTY: &str = "medsec:vex:impact_statement";

fn sbom_kind(kind: FormatKind) -> medsec_sbom::FormatKind {
    if kind == FormatKind::CycloneDxXml {
        medsec_sbom::FormatKind::CycloneDxXml
    } else {
        medsec_sbom::FormatKind::CycloneDxJson
    }
}

/// Reads a CycloneDX BOM or VEX document's statements.
pub(crate) fn read(bytes: &[u8], kind: FormatKind) -> Result<Document, VexError> {
    let limits = medsec_sbom::Limits {
        max_bytes: MAX_BYTES,
        ..medsec_sbom::Limits::default()
    };
    let sbom = medsec_sbom::read_with(bytes, Some(sbom_kind(kind)), &limits).map_err(|e| {
        VexError::Invalid {
            format: kind,
            path: e.location.to_string(),
            message: e.message,
        }
    })?;
    let resolver = Resolver::new(&sbom);
    let mut diagnostics: Vec<Diagnostic> = sbom
        .warnings
        .iter()
        .map(|w| Diagnostic::new(w.location.clone(), w.message.clone()))
        .collect();
    let subject = resolver.subject.and_then(|i| sbom.components.get(i));
    let author = sbom
        .authors
        .first()
        .map(|a| a.name.clone())
        .or_else(|| subject.and_then(|c| c.supplier.as_ref().map(|p| p.name.clone())))
        .or_else(|| subject.and_then(|c| c.author.as_ref().map(|p| p.name.clone())));
    let mut out = Document {
        format: Some(Format {
            kind,
            version: sbom.format.spec_version.clone(),
        }),
        id: non_blank(sbom.serial.clone()),
        author: non_blank(author),
        timestamp: non_blank(sbom.created.clone()),
        last_updated: None,
        version: sbom.version.as_deref().and_then(|v| v.trim().parse().ok()),
        statements: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (i, v) in sbom.vulnerabilities.iter().enumerate() {
        let at = format!("vulnerabilities[{i}]");
        if let Some(s) = statements(v, &at, &resolver, &mut diagnostics) {
            out.statements.extend(s);
        }
    }
    out.diagnostics = diagnostics;
    Ok(out)
}

/// Components by id and the BOM's subject, to resolve `affects` refs.
struct Resolver<'a> {
    sbom: &'a Sbom,
    by_id: HashMap<&'a str, usize>,
    subject: Option<usize>,
}

impl<'a> Resolver<'a> {
    fn new(sbom: &'a Sbom) -> Resolver<'a> {
        let mut by_id = HashMap::new();
        for (i, c) in sbom.components.iter().enumerate() {
            by_id.entry(c.id.as_str()).or_insert(i);
        }
        let subject = sbom
            .subject
            .as_ref()
            .and_then(|s| by_id.get(s.as_str()).copied());
        Resolver {
            sbom,
            by_id,
            subject,
        }
    }

    /// The product and, when the ref names a component inside it, the
    /// subcomponent.
    fn resolve(&self, target: &str) -> Option<(usize, Option<usize>)> {
        let i = *self.by_id.get(target)?;
        if Some(i) == self.subject {
            return Some((i, None));
        }
        if let Some(s) = self.subject {
            return Some((s, Some(i)));
        }
        // The top-level component this one is nested in; the walk is
        // bounded by the number of components, so a parent cycle ends it.
        let mut top = i;
        for _ in 0..self.sbom.components.len() {
            let parent = self
                .sbom
                .components
                .get(top)
                .and_then(|c| c.parent.as_ref())
                .and_then(|p| self.by_id.get(p.as_str()).copied());
            match parent {
                Some(p) if p != top => top = p,
                _ => break,
            }
        }
        Some(if top == i { (i, None) } else { (top, Some(i)) })
    }

    fn product(&self, i: usize) -> ProductRef {
        let Some(c) = self.sbom.components.get(i) else {
            return ProductRef::default();
        };
        ProductRef {
            id: Some(c.id.as_str().to_owned()),
            purl: c.purl.as_ref().map(|p| p.to_string()),
            cpe: c.cpes.first().cloned(),
            name: non_blank(Some(c.name.clone())),
            version: c.version.clone(),
            supplier: c.supplier.as_ref().map(|p| p.name.clone()),
        }
    }
}

fn property<'v>(v: &'v Vulnerability, name: &str) -> Option<&'v str> {
    v.properties
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
        .filter(|s| !s.trim().is_empty())
}

/// The statements of one vulnerability: one per distinct subcomponent
/// list of its products.
fn statements(
    v: &Vulnerability,
    at: &str,
    resolver: &Resolver<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<Statement>> {
    let Some(state) = v.analysis.as_ref().and_then(|a| a.state) else {
        diagnostics.push(Diagnostic::new(
            format!("{at}.analysis.state"),
            "missing: the vulnerability is reported, but no VEX status is stated; skipped",
        ));
        return None;
    };
    let analysis = v.analysis.clone().unwrap_or_default();
    let status = from_cyclonedx_state(state);
    let justification = analysis.justification.map(|cdx| {
        let mapped = from_cyclonedx_justification(cdx);
        // The CISA label the writer kept, when it agrees with the
        // CycloneDX value.
        match property(v, JUSTIFICATION_PROPERTY).and_then(Justification::parse) {
            Some(j) if to_cyclonedx_justification(j) == cdx => j,
            _ => mapped,
        }
    });
    let detail = non_blank(analysis.detail.clone());
    let (impact_statement, detail) = if status == Status::NotAffected {
        (detail, property(v, DETAIL_PROPERTY).map(str::to_owned))
    } else {
        (property(v, IMPACT_PROPERTY).map(str::to_owned), detail)
    };
    let base = Statement {
        vulnerability: v.id.trim().to_owned(),
        aliases: v
            .aliases
            .iter()
            .filter(|a| a.as_str() != v.id)
            .cloned()
            .collect(),
        description: non_blank(v.description.clone()),
        products: Vec::new(),
        subcomponents: Vec::new(),
        status,
        justification,
        impact_statement,
        action_statement: non_blank(v.recommendation.clone())
            .or_else(|| non_blank(v.workaround.clone())),
        responses: analysis.responses.clone(),
        timestamp: non_blank(analysis.first_issued.clone()).or_else(|| v.published.clone()),
        last_updated: non_blank(analysis.last_updated.clone()).or_else(|| v.updated.clone()),
        detail,
        cyclonedx: Some(CycloneDxAnalysis {
            state,
            justification: analysis.justification,
        }),
    };
    if base.vulnerability.is_empty() {
        diagnostics.push(Diagnostic::new(
            format!("{at}.id"),
            "a vulnerability without id; skipped",
        ));
        return None;
    }
    // Products in order, each with its subcomponents.
    let mut products: Vec<(ProductRef, Vec<ProductRef>)> = Vec::new();
    let mut add = |product: ProductRef, sub: Option<ProductRef>| {
        let i = match products.iter().position(|(p, _)| *p == product) {
            Some(i) => i,
            None => {
                products.push((product, Vec::new()));
                products.len() - 1
            }
        };
        if let (Some(sub), Some((_, subs))) = (sub, products.get_mut(i))
            && !subs.contains(&sub)
        {
            subs.push(sub);
        }
    };
    for (k, a) in v.affects.iter().enumerate() {
        let aat = format!("{at}.affects[{k}]");
        let target = a.target.trim();
        let (product, sub) = match resolver.resolve(target) {
            Some((p, s)) => (resolver.product(p), s.map(|s| resolver.product(s))),
            None => {
                if !target.starts_with("urn:cdx:") {
                    diagnostics.push(Diagnostic::new(
                        format!("{aat}.ref"),
                        format!(
                            "`{target}` names no component of this BOM; kept as the product's id"
                        ),
                    ));
                }
                (
                    ProductRef {
                        id: Some(target.to_owned()),
                        ..ProductRef::default()
                    },
                    None,
                )
            }
        };
        let versions: Vec<&AffectedVersion> = a
            .versions
            .iter()
            .filter(|av| av.version.is_some() || av.range.is_some())
            .collect();
        if versions.is_empty() {
            add(product, sub);
            continue;
        }
        for (m, av) in versions.into_iter().enumerate() {
            if let Some(s) = av.status
                && !agrees(s, status)
            {
                diagnostics.push(Diagnostic::new(
                    format!("{aat}.versions[{m}].status"),
                    format!(
                        "`{}` disagrees with analysis.state `{}`; the analysis state is used",
                        s.as_str(),
                        state.as_str()
                    ),
                ));
            }
            let version = av.version.clone().or_else(|| av.range.clone());
            match &sub {
                Some(sub) => add(
                    product.clone(),
                    Some(ProductRef {
                        version,
                        ..sub.clone()
                    }),
                ),
                None => add(
                    ProductRef {
                        version,
                        ..product.clone()
                    },
                    None,
                ),
            }
        }
    }
    if products.is_empty() {
        diagnostics.push(Diagnostic::new(
            format!("{at}.affects"),
            "empty: the statement names no product",
        ));
        return Some(vec![base]);
    }
    // One statement per distinct subcomponent list.
    let mut out: Vec<Statement> = Vec::new();
    for (product, subs) in products {
        match out.iter_mut().find(|s| s.subcomponents == subs) {
            Some(s) => s.products.push(product),
            None => out.push(Statement {
                products: vec![product],
                subcomponents: subs,
                ..base.clone()
            }),
        }
    }
    Some(out)
}

/// Whether an `affects[].versions[].status` says what the state says.
fn agrees(version: AffectedStatus, status: Status) -> bool {
    match version {
        AffectedStatus::Affected => status == Status::Affected,
        AffectedStatus::Unaffected => matches!(status, Status::NotAffected | Status::Fixed),
        AffectedStatus::Unknown => status == Status::UnderInvestigation,
    }
}

/// Writes the document as a CycloneDX 1.6 JSON BOM, checked by
/// cyclonedx-python-lib in the tests.
pub fn write_cyclonedx_json(doc: &Document) -> Result<String, VexError> {
    let sbom = to_sbom(doc, FormatKind::CycloneDxJson)?;
    Ok(medsec_sbom::write_cyclonedx_json(&sbom))
}

/// Writes the document as a CycloneDX 1.6 XML BOM.
pub fn write_cyclonedx_xml(doc: &Document) -> Result<String, VexError> {
    let sbom = to_sbom(doc, FormatKind::CycloneDxXml)?;
    Ok(medsec_sbom::write_cyclonedx_xml(&sbom))
}

/// Whether a product is only a BOM-Link into another BOM: it is
/// referenced, not described.
fn is_link_only(p: &ProductRef) -> bool {
    p.id.as_deref().is_some_and(|id| id.starts_with("urn:cdx:"))
        && p.purl.is_none()
        && p.cpe.is_none()
        && p.name.is_none()
}

struct Builder {
    format: FormatKind,
    sbom: Sbom,
    refs: HashSet<String>,
    /// Component key → bom-ref.
    by_key: HashMap<String, String>,
    /// bom-ref → the component's version.
    versions: HashMap<String, Option<String>>,
}

impl Builder {
    /// The bom-ref of the component for `p` (nested in `parent` when
    /// given), adding the component the first time.
    fn component(
        &mut self,
        p: &ProductRef,
        parent: Option<&str>,
        at: &str,
    ) -> Result<String, VexError> {
        let key = match parent {
            Some(parent) => format!("{parent}\u{0}{}", p.key()),
            None => p.key(),
        };
        if let Some(r) = self.by_key.get(&key) {
            return Ok(r.clone());
        }
        let purl = match p.purl.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(Purl::parse(s).map_err(|e| {
                write_error(self.format, format!("{at}.purl"), format!("= `{s}`: {e}"))
            })?),
            None => None,
        };
        let cpe = non_blank(p.cpe.clone());
        let name = non_blank(p.name.clone())
            .or_else(|| purl.as_ref().map(|u| u.name().to_owned()))
            .or_else(|| cpe.as_deref().and_then(cpe_product))
            .or_else(|| non_blank(p.id.clone()))
            .ok_or_else(|| {
                write_error(
                    self.format,
                    at,
                    "has no name, purl, CPE or id; a CycloneDX component needs a name",
                )
            })?;
        let version = non_blank(p.version.clone())
            .filter(|v| !v.starts_with("vers:"))
            .or_else(|| purl.as_ref().and_then(|u| u.version().map(str::to_owned)));
        let base = non_blank(p.id.clone())
            .or_else(|| purl.as_ref().map(|u| u.to_string()))
            .or_else(|| cpe.clone())
            .unwrap_or_else(|| match &version {
                Some(v) => format!("{name}@{v}"),
                None => name.clone(),
            });
        let mut bom_ref = base.clone();
        let mut n = 2;
        while !self.refs.insert(bom_ref.clone()) {
            bom_ref = format!("{base}-{n}");
            n += 1;
        }
        let mut c = Component::new(bom_ref.clone(), name);
        c.version = version;
        c.purl = purl;
        c.cpes = cpe.into_iter().collect();
        c.supplier = non_blank(p.supplier.clone()).map(Party::organization);
        c.parent = parent.map(ComponentId::new);
        self.versions.insert(bom_ref.clone(), c.version.clone());
        self.sbom.components.push(c);
        self.by_key.insert(key, bom_ref.clone());
        Ok(bom_ref)
    }
}

/// The product part of a CPE 2.3 string or 2.2 URI.
fn cpe_product(cpe: &str) -> Option<String> {
    let part = if let Some(rest) = cpe.strip_prefix("cpe:2.3:") {
        rest.split(':').nth(2)
    } else {
        cpe.strip_prefix("cpe:/").and_then(|r| r.split(':').nth(2))
    };
    part.filter(|p| !p.is_empty() && *p != "*" && *p != "-")
        .map(str::to_owned)
}

fn time_field(format: FormatKind, field: &str, value: Option<&String>) -> Result<(), VexError> {
    match value {
        Some(t) if rfc3339(t).is_none() => Err(write_error(
            format,
            field,
            format!("= `{t}` is not an RFC 3339 date-time"),
        )),
        _ => Ok(()),
    }
}

fn to_sbom(doc: &Document, format: FormatKind) -> Result<Sbom, VexError> {
    time_field(format, "timestamp", doc.timestamp.as_ref())?;
    let mut sbom = Sbom::new(medsec_sbom::Format {
        kind: sbom_kind(format),
        spec_version: "1.6".to_owned(),
    });
    sbom.serial = doc.id.clone();
    sbom.version = doc.version.map(|v| v.to_string());
    sbom.created = doc.timestamp.clone();
    sbom.authors = non_blank(doc.author.clone())
        .map(|name| Party {
            kind: PartyKind::Unspecified,
            name,
            email: None,
        })
        .into_iter()
        .collect();
    sbom.tools = vec![concat!("medsec-vex ", env!("CARGO_PKG_VERSION")).to_owned()];
    let mut b = Builder {
        format,
        sbom,
        refs: HashSet::new(),
        by_key: HashMap::new(),
        versions: HashMap::new(),
    };

    // A single product becomes the BOM's subject.
    let mut keys: Vec<String> = Vec::new();
    let mut any_link = false;
    for s in &doc.statements {
        for p in &s.products {
            if is_link_only(p) {
                any_link = true;
            } else if !keys.contains(&p.key()) {
                keys.push(p.key());
            }
        }
    }
    let single = keys.len() == 1 && !any_link;

    for (i, s) in doc.statements.iter().enumerate() {
        let at = format!("statements[{i}]");
        if s.vulnerability.trim().is_empty() {
            return Err(write_error(
                format,
                format!("{at}.vulnerability"),
                "is empty",
            ));
        }
        time_field(format, &format!("{at}.timestamp"), s.timestamp.as_ref())?;
        time_field(
            format,
            &format!("{at}.last_updated"),
            s.last_updated.as_ref(),
        )?;
        // Each target with the versions the statement names it in.
        let mut targets: Vec<(String, Vec<Option<String>>)> = Vec::new();
        let mut affect = |target: String, version: Option<&String>| {
            let version = non_blank(version.cloned());
            match targets.iter_mut().find(|(t, _)| *t == target) {
                Some((_, versions)) => {
                    if !versions.contains(&version) {
                        versions.push(version);
                    }
                }
                None => targets.push((target, vec![version])),
            }
        };
        for (j, p) in s.products.iter().enumerate() {
            let pat = format!("{at}.products[{j}]");
            if is_link_only(p) {
                if !s.subcomponents.is_empty() {
                    return Err(write_error(
                        format,
                        pat,
                        "is a BOM-Link into another BOM, so its subcomponents cannot be referenced",
                    ));
                }
                affect(p.id.clone().unwrap_or_default(), p.version.as_ref());
                continue;
            }
            let product = b.component(p, None, &pat)?;
            if single {
                b.sbom.subject = Some(ComponentId::new(product.clone()));
            }
            if s.subcomponents.is_empty() {
                affect(product.clone(), p.version.as_ref());
            }
            for (k, sub) in s.subcomponents.iter().enumerate() {
                let parent = if single { None } else { Some(product.as_str()) };
                let r = b.component(sub, parent, &format!("{at}.subcomponents[{k}]"))?;
                affect(r, sub.version.as_ref());
            }
        }
        let affects = targets
            .into_iter()
            .map(|(target, versions)| {
                let component = b.versions.get(&target).cloned().flatten();
                affects(s.status, target, component, versions)
            })
            .collect();
        b.sbom.vulnerabilities.push(vulnerability(s, affects));
    }
    Ok(b.sbom)
}

/// The `affects` entry of a target. Versions are listed when the
/// statement names the target in a version other than its component's,
/// or in a range; then every version it names is listed, with the status
/// CycloneDX gives versions (its default would be `affected`).
fn affects(
    status: Status,
    target: String,
    component: Option<String>,
    versions: Vec<Option<String>>,
) -> Affects {
    let listed = versions
        .iter()
        .flatten()
        .any(|v| v.starts_with("vers:") || Some(v) != component.as_ref());
    if !listed {
        return Affects {
            target,
            versions: Vec::new(),
        };
    }
    let version_status = match status {
        Status::Affected => AffectedStatus::Affected,
        Status::NotAffected | Status::Fixed => AffectedStatus::Unaffected,
        Status::UnderInvestigation => AffectedStatus::Unknown,
    };
    let mut out: Vec<AffectedVersion> = Vec::new();
    for v in versions {
        // A mention without version is the component's own version.
        let Some(v) = v.or_else(|| component.clone()) else {
            continue;
        };
        let entry = if v.starts_with("vers:") {
            AffectedVersion {
                version: None,
                range: Some(v),
                status: Some(version_status),
            }
        } else {
            AffectedVersion {
                version: Some(v),
                range: None,
                status: Some(version_status),
            }
        };
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    Affects {
        target,
        versions: out,
    }
}

fn vulnerability(s: &Statement, affects: Vec<Affects>) -> Vulnerability {
    let mut v = Vulnerability::new(s.vulnerability.trim());
    v.aliases = s.aliases.clone();
    v.description = non_blank(s.description.clone());
    v.recommendation = non_blank(s.action_statement.clone());
    let original = s.cyclonedx;
    let state = match original {
        Some(o) if from_cyclonedx_state(o.state) == s.status => o.state,
        _ => to_cyclonedx_state(s.status),
    };
    let justification = s
        .justification
        .map(|j| match original.and_then(|o| o.justification) {
            Some(o) if from_cyclonedx_justification(o) == j => o,
            _ => to_cyclonedx_justification(j),
        });
    if let (Some(j), Some(written)) = (s.justification, justification)
        && from_cyclonedx_justification(written) != j
    {
        v.properties
            .push((JUSTIFICATION_PROPERTY.to_owned(), j.as_str().to_owned()));
    }
    let impact = non_blank(s.impact_statement.clone());
    let detail = non_blank(s.detail.clone());
    let analysis_detail = if s.status == Status::NotAffected {
        if let Some(d) = detail {
            v.properties.push((DETAIL_PROPERTY.to_owned(), d));
        }
        impact
    } else {
        if let Some(i) = impact {
            v.properties.push((IMPACT_PROPERTY.to_owned(), i));
        }
        detail
    };
    v.analysis = Some(medsec_sbom::VexAnalysis {
        state: Some(state),
        justification,
        responses: s.responses.clone(),
        detail: analysis_detail,
        first_issued: s.timestamp.clone(),
        last_updated: s.last_updated.clone(),
    });
    v.affects = affects;
    v
}
