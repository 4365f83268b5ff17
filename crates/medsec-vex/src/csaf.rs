//! CSAF 2.0 VEX through [`medsec_csaf`]: reading any CSAF document's
//! per-product statements, and writing one CSAF VEX document per product
//! with the VEX writer of [`medsec_csaf`] ([`medsec_csaf::VexDocument`],
//! the input of [`medsec_csaf::write_vex`]).
//!
//! Reading takes [`medsec_csaf::statements`]: a product's status list,
//! justification flag, impact threat and remediations. A product defined
//! by a `default_component_of` or `optional_component_of` relationship
//! reads as its platform product with the component as subcomponent.
//! Statements that agree in everything but the product are joined again.
//!
//! Writing: `write_vex` describes one product version per document, as a
//! manufacturer publishes VEX per device release, so a model with several
//! products becomes several documents (tracking ids `<id>-1`, `<id>-2`, …
//! in the order the products first appear). Each is the advisory
//! `VexDocument::to_advisory` builds (and validates), plus the
//! statements' aliases as the vulnerabilities' `ids`, which its input has
//! no place for; it is written only if it passes [`medsec_csaf::check`].
//! Subcomponents have no place in that document and are reported as
//! omitted; two statements on the same product and CVE become one when
//! they agree on status and justification and are refused otherwise.
//! CSAF VEX needs more than the model may have, and the writer refuses,
//! naming the field, when it is missing: a CVE id (the vulnerability or
//! an alias), the document id, author and timestamp, each product's name
//! and version (from the purl when not given), a justification for "not
//! affected" and an action statement for "affected". Where CSAF requires
//! a text the model leaves optional, the writer derives it: the
//! description note says so when the statement has no description, and
//! the impact statement of a "not affected" product is the
//! justification's meaning when the statement has none. The vendor is
//! the product's supplier, else the document's author. Statement
//! timestamps are not written (the revision history dates the document);
//! a detail, and an impact statement of a product that is not "not
//! affected", are reported as omitted.

use medsec_csaf::{
    Advisory, BranchCategory, PublisherCategory, RelationshipCategory, TrackingStatus, VexAction,
    VexDocument, VexProduct, VexPublisher, VexRevision, VexStatus, VexVulnerability,
};

use crate::error::write_error;
use crate::mapping::{
    from_csaf_justification, from_csaf_remediation, from_csaf_status, to_csaf_justification,
    to_csaf_remediation,
};
use crate::model::{
    Diagnostic, Document, Format, FormatKind, ProductRef, Response, Statement, Status,
};
use crate::{VexError, non_blank, rfc3339};

const FORMAT: FormatKind = FormatKind::Csaf;

/// Reads a CSAF 2.0 document's statements.
pub(crate) fn read(bytes: &[u8]) -> Result<Document, VexError> {
    let advisory = medsec_csaf::read(bytes).map_err(|e| match e {
        medsec_csaf::CsafError::Version(v) => VexError::Version {
            format: FORMAT,
            version: v,
        },
        medsec_csaf::CsafError::Json {
            path,
            line,
            column,
            message,
        } => VexError::Invalid {
            format: FORMAT,
            path: if line > 0 {
                format!("{path} (line {line}, column {column})")
            } else {
                path
            },
            message: crate::strip_position(&message),
        },
        other => VexError::Invalid {
            format: FORMAT,
            path: String::new(),
            message: other.to_string(),
        },
    })?;
    Ok(from_csaf(&advisory))
}

/// The model of a CSAF document already read.
pub fn from_csaf(advisory: &Advisory) -> Document {
    let tracking = &advisory.document.tracking;
    let version = tracking
        .version
        .trim()
        .parse::<u64>()
        .ok()
        .or_else(|| u64::try_from(tracking.revision_history.len()).ok())
        .filter(|v| *v > 0);
    let mut out = Document {
        format: Some(Format {
            kind: FORMAT,
            version: advisory.document.csaf_version.clone(),
        }),
        id: non_blank(Some(tracking.id.clone())),
        author: non_blank(Some(advisory.document.publisher.name.clone())),
        timestamp: non_blank(Some(tracking.initial_release_date.clone())),
        last_updated: Some(tracking.current_release_date.clone())
            .filter(|c| *c != tracking.initial_release_date),
        version,
        statements: Vec::new(),
        diagnostics: Vec::new(),
    };
    let products = medsec_csaf::products(advisory);
    let product_ref = |id: &str| -> ProductRef {
        let Some(p) = products.get(id) else {
            return ProductRef {
                id: Some(id.to_owned()),
                ..ProductRef::default()
            };
        };
        let version = p
            .branch_path
            .iter()
            .rev()
            .find(|(c, _)| {
                matches!(
                    c,
                    BranchCategory::ProductVersion | BranchCategory::ProductVersionRange
                )
            })
            .map(|(_, v)| v.clone());
        ProductRef {
            id: Some(p.id.clone()),
            purl: p.purl.clone(),
            cpe: p.cpe.clone(),
            name: p.product_name.clone().or_else(|| Some(p.name.clone())),
            version,
            supplier: p.vendor.clone(),
        }
    };

    /// Statements that agree in everything but the product, with their
    /// products and each product's subcomponents.
    struct Group {
        statement: Statement,
        products: Vec<(ProductRef, Vec<ProductRef>)>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for s in medsec_csaf::statements(advisory) {
        let at = format!("/vulnerabilities/{}", s.vulnerability);
        let Some(v) = advisory.vulnerabilities.get(s.vulnerability) else {
            continue;
        };
        let mut ids = s
            .cve
            .iter()
            .cloned()
            .chain(s.ids.iter().map(|i| i.text.clone()));
        let Some(vulnerability) = ids.next().filter(|i| !i.trim().is_empty()) else {
            out.diagnostics.push(Diagnostic::new(
                at,
                "a vulnerability with neither `cve` nor `ids`; skipped",
            ));
            continue;
        };
        let aliases: Vec<String> = ids.filter(|a| *a != vulnerability).collect();
        let mut responses: Vec<Response> = Vec::new();
        for r in &s.remediations {
            if let Some(resp) = from_csaf_remediation(r.category)
                && !responses.contains(&resp)
            {
                responses.push(resp);
            }
        }
        let description = v
            .notes
            .iter()
            .find(|n| n.category == medsec_csaf::NoteCategory::Description)
            .map(|n| n.text.clone());
        let statement = Statement {
            vulnerability,
            aliases,
            description: non_blank(description),
            products: Vec::new(),
            subcomponents: Vec::new(),
            status: from_csaf_status(s.status),
            justification: s.justification.map(from_csaf_justification),
            impact_statement: non_blank(s.impact().map(str::to_owned)),
            action_statement: non_blank(s.remediations.first().map(|r| r.details.clone())),
            responses,
            timestamp: None,
            last_updated: None,
            detail: None,
            cyclonedx: None,
        };
        // A component inside a platform reads as the platform product
        // with the component as subcomponent.
        let relation = products
            .get(&s.product.id)
            .and_then(|p| p.relation.as_ref());
        let (product, sub) = match relation {
            Some(r)
                if matches!(
                    r.category,
                    RelationshipCategory::DefaultComponentOf
                        | RelationshipCategory::OptionalComponentOf
                ) =>
            {
                (product_ref(&r.relates_to), Some(product_ref(&r.product)))
            }
            _ => (product_ref(&s.product.id), None),
        };
        let group = match groups.iter_mut().position(|g| g.statement == statement) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(Group {
                    statement,
                    products: Vec::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        let entry = match group.products.iter().position(|(p, _)| *p == product) {
            Some(i) => &mut group.products[i],
            None => {
                group.products.push((product, Vec::new()));
                let last = group.products.len() - 1;
                &mut group.products[last]
            }
        };
        if let Some(sub) = sub
            && !entry.1.contains(&sub)
        {
            entry.1.push(sub);
        }
    }
    for g in groups {
        let mut split: Vec<Statement> = Vec::new();
        for (product, subs) in g.products {
            match split.iter_mut().find(|s| s.subcomponents == subs) {
                Some(s) => s.products.push(product),
                None => split.push(Statement {
                    products: vec![product],
                    subcomponents: subs,
                    ..g.statement.clone()
                }),
            }
        }
        out.statements.extend(split);
    }
    out
}

/// What the CSAF writer needs beyond the model.
#[derive(Debug, Clone, PartialEq)]
pub struct CsafOptions {
    /// The publisher's namespace, an absolute URI (`https://psirt.example.com`).
    pub namespace: String,
    pub category: PublisherCategory,
    pub status: TrackingStatus,
    /// The document title; by default `<product> VEX`.
    pub title: Option<String>,
    /// Language tag of the texts (`en`, `ko-KR`).
    pub lang: Option<String>,
}

impl CsafOptions {
    /// A vendor's final documents under `namespace`.
    pub fn new(namespace: impl Into<String>) -> CsafOptions {
        CsafOptions {
            namespace: namespace.into(),
            category: PublisherCategory::Vendor,
            status: TrackingStatus::Final,
            title: None,
            lang: None,
        }
    }
}

/// One written CSAF VEX document: the product it is about, the JSON, and
/// what the model said that the document could not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct CsafDocument {
    pub product: ProductRef,
    pub json: String,
    pub omitted: Vec<Diagnostic>,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> VexError {
    write_error(FORMAT, field, reason)
}

/// A CVE id, the one thing CSAF VEX written by `write_vex` identifies a
/// vulnerability by: the statement's id or the first alias that is one.
fn cve_of(s: &Statement) -> Option<String> {
    std::iter::once(&s.vulnerability)
        .chain(&s.aliases)
        .map(|id| id.trim())
        .find(|id| is_cve(id))
        .map(str::to_owned)
}

fn is_cve(s: &str) -> bool {
    let mut parts = s.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(year), Some(number), None)
            if year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && number.len() >= 4
                && number.bytes().all(|b| b.is_ascii_digit())
    )
}

fn date(field: &str, value: &str) -> Result<time::OffsetDateTime, VexError> {
    rfc3339(value).ok_or_else(|| err(field, format!("= `{value}` is not an RFC 3339 date-time")))
}

/// Writes the document as CSAF 2.0 VEX: one document per product, in the
/// order the products first appear.
pub fn write_csaf(doc: &Document, options: &CsafOptions) -> Result<Vec<CsafDocument>, VexError> {
    let id = non_blank(doc.id.clone()).ok_or_else(|| err("id", "is missing"))?;
    let author = non_blank(doc.author.clone()).ok_or_else(|| err("author", "is missing"))?;
    let initial = non_blank(doc.timestamp.clone()).ok_or_else(|| err("timestamp", "is missing"))?;
    let mut revisions = vec![VexRevision {
        date: date("timestamp", &initial)?,
        summary: "Initial version.".to_owned(),
    }];
    if let Some(last) = non_blank(doc.last_updated.clone()) {
        let when = date("last_updated", &last)?;
        if revisions.first().is_some_and(|r| when < r.date) {
            return Err(err(
                "last_updated",
                format!("= `{last}` is earlier than the timestamp"),
            ));
        }
        if revisions.first().is_some_and(|r| when > r.date) {
            revisions.push(VexRevision {
                date: when,
                summary: "Current version.".to_owned(),
            });
        }
    }
    if doc.statements.is_empty() {
        return Err(err(
            "statements",
            "is empty; a VEX document states at least one",
        ));
    }

    // Products in order of first appearance, each with the statements
    // (by index) about it.
    let mut products: Vec<(ProductRef, String, Vec<usize>)> = Vec::new();
    for (i, s) in doc.statements.iter().enumerate() {
        if s.products.is_empty() {
            return Err(err(
                format!("statements[{i}].products"),
                "is empty; a CSAF VEX statement is about a product",
            ));
        }
        for p in &s.products {
            let key = p.key();
            match products.iter_mut().find(|(_, k, _)| *k == key) {
                Some((_, _, list)) => {
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
                None => products.push((p.clone(), key, vec![i])),
            }
        }
    }
    let several = products.len() > 1;
    let mut out = Vec::new();
    for (n, (product, _, indexes)) in products.iter().enumerate() {
        let field = doc
            .statements
            .iter()
            .enumerate()
            .find_map(|(i, s)| {
                s.products
                    .iter()
                    .position(|p| p.key() == product.key())
                    .map(|j| format!("statements[{i}].products[{j}]"))
            })
            .unwrap_or_default();
        let mut omitted = Vec::new();
        // Each CVE's vulnerability, the statement it came from first, and
        // the other ids of the vulnerability.
        let mut vulnerabilities: Vec<(usize, VexVulnerability, Vec<String>)> = Vec::new();
        for &i in indexes {
            let Some(s) = doc.statements.get(i) else {
                continue;
            };
            let at = format!("statements[{i}]");
            if !s.subcomponents.is_empty() {
                omitted.push(Diagnostic::new(
                    format!("{at}.subcomponents"),
                    "CSAF VEX written per product has no place for subcomponents; the statement is written for the product",
                ));
            }
            if s.status != Status::NotAffected && non_blank(s.impact_statement.clone()).is_some() {
                omitted.push(Diagnostic::new(
                    format!("{at}.impact_statement"),
                    "CSAF VEX states an impact only for products not affected",
                ));
            }
            if non_blank(s.detail.clone()).is_some() {
                omitted.push(Diagnostic::new(
                    format!("{at}.detail"),
                    "CSAF VEX as medsec writes it has no place for how the status was determined",
                ));
            }
            let v = vulnerability(s, &at)?;
            let ids: Vec<String> = std::iter::once(&s.vulnerability)
                .chain(&s.aliases)
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty() && *id != v.cve)
                .collect();
            match vulnerabilities.iter_mut().find(|(_, w, _)| w.cve == v.cve) {
                Some((k, w, known)) => {
                    merge(w, v, &at, *k)?;
                    for id in ids {
                        if !known.contains(&id) {
                            known.push(id);
                        }
                    }
                }
                None => {
                    let mut unique: Vec<String> = Vec::new();
                    for id in ids {
                        if !unique.contains(&id) {
                            unique.push(id);
                        }
                    }
                    vulnerabilities.push((i, v, unique));
                }
            }
        }
        let vex_product = vex_product(product, &author, &field)?;
        let full_name = format!("{} {}", vex_product.name, vex_product.version);
        let aliases: Vec<Vec<String>> = vulnerabilities.iter().map(|(_, _, a)| a.clone()).collect();
        let vex = VexDocument {
            title: options
                .title
                .clone()
                .unwrap_or_else(|| format!("{full_name} VEX")),
            lang: options.lang.clone(),
            summary: None,
            tlp: None,
            publisher: VexPublisher {
                name: author.clone(),
                namespace: options.namespace.clone(),
                category: options.category,
                contact_details: None,
            },
            tracking_id: if several {
                format!("{id}-{}", n + 1)
            } else {
                id.clone()
            },
            status: options.status,
            revisions: revisions.clone(),
            product: vex_product,
            vulnerabilities: vulnerabilities.into_iter().map(|(_, v, _)| v).collect(),
        };
        let mut advisory = vex.to_advisory().map_err(|e| {
            err(
                csaf_field(&e.field, &field),
                format!("= `{}` {}", e.value, e.reason),
            )
        })?;
        // The aliases, which write_vex's input has no place for, as the
        // vulnerabilities' `ids`.
        for (v, aliases) in advisory.vulnerabilities.iter_mut().zip(aliases) {
            v.ids = aliases
                .into_iter()
                .map(|text| medsec_csaf::VulnerabilityId {
                    system_name: system_name(&text),
                    text,
                })
                .collect();
        }
        // The mandatory tests make sure before anything is handed out.
        if let Some(d) = medsec_csaf::check(&advisory).into_iter().next() {
            return Err(err(field, format!("would fail CSAF test {d}")));
        }
        let mut json = serde_json::to_string_pretty(&advisory)
            .map_err(|e| err(field.clone(), format!("cannot be serialised: {e}")))?;
        json.push('\n');
        out.push(CsafDocument {
            product: product.clone(),
            json,
            omitted,
        });
    }
    Ok(out)
}

/// A field of `write_vex`'s input as the model's field, where it names
/// one: the product's fields are the product's, the rest the document's.
fn csaf_field(field: &str, product: &str) -> String {
    match field.strip_prefix("product.") {
        Some(rest) => format!("{product}.{rest}"),
        None => field.to_owned(),
    }
}

/// The system an id belongs to, from its prefix: `GHSA-…` is GitHub's,
/// `RHSA-…` Red Hat's; others are named by their prefix.
fn system_name(id: &str) -> String {
    let prefix = id.split(['-', ':']).next().unwrap_or(id);
    match prefix {
        "GHSA" => "GitHub Security Advisory".to_owned(),
        "" => "other".to_owned(),
        p => p.to_owned(),
    }
}

fn vex_product(p: &ProductRef, author: &str, at: &str) -> Result<VexProduct, VexError> {
    let purl = non_blank(p.purl.clone());
    let parsed = purl
        .as_deref()
        .map(|s| {
            medsec_sbom::Purl::parse(s)
                .map_err(|e| err(format!("{at}.purl"), format!("= `{s}`: {e}")))
        })
        .transpose()?;
    let name = non_blank(p.name.clone())
        .or_else(|| parsed.as_ref().map(|u| u.name().to_owned()))
        .ok_or_else(|| {
            err(
                format!("{at}.name"),
                format!("is missing for `{}`; a CSAF product has a name", p.label()),
            )
        })?;
    let version = non_blank(p.version.clone())
        .or_else(|| parsed.as_ref().and_then(|u| u.version().map(str::to_owned)))
        .ok_or_else(|| {
            err(
                format!("{at}.version"),
                format!(
                    "is missing for `{}`; a CSAF VEX document is about one product version",
                    p.label()
                ),
            )
        })?;
    let vendor = non_blank(p.supplier.clone()).unwrap_or_else(|| author.to_owned());
    Ok(VexProduct {
        vendor,
        name,
        version,
        purl,
        cpe: non_blank(p.cpe.clone()),
        model_numbers: Vec::new(),
    })
}

fn vulnerability(s: &Statement, at: &str) -> Result<VexVulnerability, VexError> {
    let cve = cve_of(s).ok_or_else(|| {
        err(
            format!("{at}.vulnerability"),
            format!(
                "= `{}` is not a CVE id and no alias is; CSAF VEX as medsec writes it names vulnerabilities by CVE",
                s.vulnerability
            ),
        )
    })?;
    let action = non_blank(s.action_statement.clone());
    let mut actions = Vec::new();
    if let Some(details) = &action {
        if s.responses.is_empty() {
            actions.push(VexAction {
                category: if s.status == Status::Fixed {
                    medsec_csaf::RemediationCategory::VendorFix
                } else {
                    medsec_csaf::RemediationCategory::Mitigation
                },
                details: details.clone(),
                url: None,
            });
        }
        for r in &s.responses {
            let category = to_csaf_remediation(*r);
            if !actions.iter().any(|a: &VexAction| a.category == category) {
                actions.push(VexAction {
                    category,
                    details: details.clone(),
                    url: None,
                });
            }
        }
    }
    let status = match s.status {
        Status::NotAffected => {
            let justification = s.justification.ok_or_else(|| {
                err(
                    format!("{at}.justification"),
                    "is missing; CSAF VEX as medsec writes it flags every not-affected product with a justification",
                )
            })?;
            VexStatus::KnownNotAffected {
                justification: to_csaf_justification(justification),
                impact: non_blank(s.impact_statement.clone())
                    .unwrap_or_else(|| justification.description().to_owned()),
            }
        }
        Status::Affected => {
            if actions.is_empty() {
                return Err(err(
                    format!("{at}.action_statement"),
                    "is missing; CSAF VEX requires an action statement for an affected product (6.1.27.10)",
                ));
            }
            VexStatus::KnownAffected
        }
        Status::Fixed => VexStatus::Fixed,
        Status::UnderInvestigation => VexStatus::UnderInvestigation,
    };
    Ok(VexVulnerability {
        description: non_blank(s.description.clone()).unwrap_or_else(|| {
            format!(
                "{}: the source VEX statement gives no description.",
                s.vulnerability
            )
        }),
        cve,
        title: None,
        status,
        actions,
    })
}

/// Two statements on one product and CVE become one when they agree on
/// status and justification: the impact statements and actions of both.
fn merge(
    into: &mut VexVulnerability,
    other: VexVulnerability,
    at: &str,
    first: usize,
) -> Result<(), VexError> {
    let same = match (&mut into.status, &other.status) {
        (
            VexStatus::KnownNotAffected {
                justification: a,
                impact,
            },
            VexStatus::KnownNotAffected {
                justification: b,
                impact: more,
            },
        ) if a == b => {
            if !impact.split("\n\n").any(|part| part == more) {
                impact.push_str("\n\n");
                impact.push_str(more);
            }
            true
        }
        (a, b) => {
            std::mem::discriminant(a) == std::mem::discriminant(b)
                && !matches!(a, VexStatus::KnownNotAffected { .. })
        }
    };
    if !same {
        return Err(err(
            at,
            format!(
                "states `{}` for a product that statements[{first}] gives another status or justification; CSAF VEX holds one status per product and CVE",
                into.cve
            ),
        ));
    }
    for a in other.actions {
        if !into.actions.contains(&a) {
            into.actions.push(a);
        }
    }
    Ok(())
}
