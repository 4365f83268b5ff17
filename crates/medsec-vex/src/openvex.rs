//! OpenVEX: reading 0.2.0 (and 0.0.1, whose statements name the
//! vulnerability and products as plain strings) and writing 0.2.0.
//!
//! Reading follows the specification's MUSTs as errors and its SHOULDs
//! as diagnostics: an unknown status or justification, a statement
//! without vulnerability, a product that no `@id` or identifier names,
//! and a `not_affected` statement with neither `justification` nor
//! `impact_statement` are errors; an `affected` statement without
//! `action_statement`, a statement without products (which OpenVEX lets
//! an encapsulating document supply), missing document metadata and
//! members the schema does not know are diagnostics.
//!
//! Statements whose products list different subcomponents are split, one
//! per distinct list, since the model's subcomponents apply to every
//! product of a statement. Product hashes, `role`, `tooling`, statement
//! `@id`s and versions and `action_statement_timestamp` have no place in
//! the model and are dropped.
//!
//! Writing needs what the schema requires: a document `@id` that is an
//! IRI, an author, an RFC 3339 timestamp, at least one statement, every
//! product named by an IRI, a purl or a CPE, a justification or impact
//! statement for `not_affected` and an action statement for `affected`.
//! Names, versions, responses and the CycloneDX analysis are not written:
//! OpenVEX has no place for them.

use serde::{Deserialize, Serialize};

use crate::error::write_error;
use crate::model::{
    Diagnostic, Document, Format, FormatKind, Justification, ProductRef, Statement, Status,
};
use crate::{VexError, is_iri, non_blank, rfc3339};

/// The `@context` written, the one of OpenVEX 0.2.0.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

const FORMAT: FormatKind = FormatKind::OpenVex;

/// The wire structs of OpenVEX 0.2.0, field names as the schema spells
/// them.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Document {
        #[serde(rename = "@context")]
        pub _context: String,
        #[serde(rename = "@id")]
        pub id: Option<String>,
        pub author: Option<String>,
        pub role: Option<String>,
        pub timestamp: Option<String>,
        pub last_updated: Option<String>,
        pub version: Option<u64>,
        pub tooling: Option<String>,
        #[serde(default)]
        pub statements: Vec<Statement>,
    }

    #[derive(Deserialize)]
    pub struct Statement {
        #[serde(rename = "@id")]
        pub _id: Option<String>,
        pub version: Option<u64>,
        pub vulnerability: Vulnerability,
        pub timestamp: Option<String>,
        pub last_updated: Option<String>,
        #[serde(default)]
        pub products: Vec<Product>,
        pub status: super::WireStatus,
        pub supplier: Option<String>,
        pub status_notes: Option<String>,
        pub justification: Option<super::WireJustification>,
        pub impact_statement: Option<String>,
        pub action_statement: Option<String>,
        pub action_statement_timestamp: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Vulnerability {
        #[serde(rename = "@id")]
        pub _id: Option<String>,
        pub name: String,
        pub description: Option<String>,
        #[serde(default)]
        pub aliases: Vec<String>,
    }

    #[derive(Deserialize)]
    pub struct Product {
        #[serde(rename = "@id")]
        pub id: Option<String>,
        pub identifiers: Option<Identifiers>,
        pub hashes: Option<std::collections::BTreeMap<String, String>>,
        #[serde(default)]
        pub subcomponents: Vec<Subcomponent>,
    }

    /// A product without `subcomponents`: the schema does not nest them.
    #[derive(Deserialize)]
    pub struct Subcomponent {
        #[serde(rename = "@id")]
        pub id: Option<String>,
        pub identifiers: Option<Identifiers>,
        pub hashes: Option<std::collections::BTreeMap<String, String>>,
    }

    #[derive(Deserialize)]
    pub struct Identifiers {
        pub purl: Option<String>,
        pub cpe22: Option<String>,
        pub cpe23: Option<String>,
    }
}

/// The wire structs of OpenVEX 0.0.1 (as go-vex reads them): the
/// vulnerability, products and subcomponents are strings, the version
/// may be a string.
mod wire001 {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Document {
        #[serde(rename = "@context")]
        pub _context: String,
        #[serde(rename = "@id")]
        pub id: Option<String>,
        pub author: Option<String>,
        pub role: Option<String>,
        pub timestamp: Option<String>,
        pub last_updated: Option<String>,
        pub version: Option<Version>,
        pub tooling: Option<String>,
        pub supplier: Option<String>,
        #[serde(default)]
        pub statements: Vec<Statement>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum Version {
        Number(u64),
        Text(String),
    }

    #[derive(Deserialize)]
    pub struct Statement {
        pub vulnerability: String,
        pub vuln_description: Option<String>,
        pub timestamp: Option<String>,
        #[serde(default)]
        pub products: Vec<String>,
        #[serde(default)]
        pub subcomponents: Vec<String>,
        pub status: super::WireStatus,
        pub status_notes: Option<String>,
        pub justification: Option<super::WireJustification>,
        pub impact_statement: Option<String>,
        pub action_statement: Option<String>,
        pub action_statement_timestamp: Option<String>,
    }
}

/// `status`, so that an unknown value is an error at its path listing
/// the four labels.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl From<WireStatus> for Status {
    fn from(s: WireStatus) -> Status {
        match s {
            WireStatus::NotAffected => Status::NotAffected,
            WireStatus::Affected => Status::Affected,
            WireStatus::Fixed => Status::Fixed,
            WireStatus::UnderInvestigation => Status::UnderInvestigation,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireJustification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl From<WireJustification> for Justification {
    fn from(j: WireJustification) -> Justification {
        match j {
            WireJustification::ComponentNotPresent => Justification::ComponentNotPresent,
            WireJustification::VulnerableCodeNotPresent => Justification::VulnerableCodeNotPresent,
            WireJustification::VulnerableCodeNotInExecutePath => {
                Justification::VulnerableCodeNotInExecutePath
            }
            WireJustification::VulnerableCodeCannotBeControlledByAdversary => {
                Justification::VulnerableCodeCannotBeControlledByAdversary
            }
            WireJustification::InlineMitigationsAlreadyExist => {
                Justification::InlineMitigationsAlreadyExist
            }
        }
    }
}

/// Deserialises `bytes` as `T` with the JSON path of an error and a
/// diagnostic per member the wire structs do not know.
fn deserialize<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(T, Vec<Diagnostic>), VexError> {
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = {
        let mut note = |path: serde_ignored::Path<'_>| {
            unknown.push(Diagnostic::new(
                ignored_path(&path),
                "member not in the OpenVEX schema; ignored",
            ));
        };
        let ignoring = serde_ignored::Deserializer::new(&mut de, &mut note);
        serde_path_to_error::deserialize::<_, T>(ignoring).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.classify() == serde_json::error::Category::Data {
                VexError::Invalid {
                    format: FORMAT,
                    path: if path == "." { String::new() } else { path },
                    message: crate::strip_position(&inner.to_string()),
                }
            } else {
                crate::syntax(&inner)
            }
        })?
    };
    de.end().map_err(|e| crate::syntax(&e))?;
    Ok((value, unknown))
}

/// `statements[3].foo` for serde_ignored's path.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => {
            let p = ignored_path(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// Reads an OpenVEX document; the caller has seen an OpenVEX `@context`.
pub(crate) fn read(bytes: &[u8]) -> Result<Document, VexError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    #[derive(Deserialize)]
    struct Context {
        #[serde(rename = "@context")]
        context: String,
    }
    // The probe skips everything but the context; `detect` has parsed
    // the document once already, so this cannot fail on syntax.
    let context = serde_json::from_slice::<Context>(bytes)
        .map_err(|e| VexError::Invalid {
            format: FORMAT,
            path: "@context".to_owned(),
            message: crate::strip_position(&e.to_string()),
        })?
        .context;
    let version = context
        .strip_prefix("https://openvex.dev/ns")
        .unwrap_or_default()
        .trim_end_matches('/');
    match version {
        "/v0.2.0" => read_020(bytes),
        // A context without version means 0.0.1 (specification, "Document
        // Struct Fields").
        "" | "/v0.0.1" => read_001(bytes),
        other => Err(VexError::Version {
            format: FORMAT,
            version: other.trim_start_matches('/').to_owned(),
        }),
    }
}

fn read_020(bytes: &[u8]) -> Result<Document, VexError> {
    let (doc, mut diagnostics): (wire::Document, _) = deserialize(bytes)?;
    let mut out = Document {
        format: Some(Format {
            kind: FORMAT,
            version: "0.2.0".to_owned(),
        }),
        id: non_blank(doc.id),
        author: non_blank(doc.author),
        timestamp: non_blank(doc.timestamp),
        last_updated: non_blank(doc.last_updated),
        version: doc.version,
        statements: Vec::new(),
        diagnostics: Vec::new(),
    };
    let _ = (doc.role, doc.tooling);
    check_metadata(&out, doc.statements.is_empty(), &mut diagnostics);
    for (i, s) in doc.statements.into_iter().enumerate() {
        let at = format!("statements[{i}]");
        let _ = (s._id, s.version, s.action_statement_timestamp);
        let vulnerability = s.vulnerability.name.trim().to_owned();
        if vulnerability.is_empty() {
            return Err(invalid(format!("{at}.vulnerability.name"), "is empty"));
        }
        let mut aliases = Vec::new();
        for a in s.vulnerability.aliases {
            let a = a.trim().to_owned();
            if !a.is_empty() && a != vulnerability && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        let supplier = non_blank(s.supplier);
        // Products grouped by their subcomponent lists, in order.
        let mut groups: Vec<(Vec<ProductRef>, Vec<ProductRef>)> = Vec::new();
        for (j, p) in s.products.into_iter().enumerate() {
            let pat = format!("{at}.products[{j}]");
            let _ = p.hashes;
            let mut main = product(p.id, p.identifiers, &pat, &mut diagnostics)?;
            main.supplier.clone_from(&supplier);
            let mut subs = Vec::new();
            for (k, sc) in p.subcomponents.into_iter().enumerate() {
                let _ = sc.hashes;
                let sub = product(
                    sc.id,
                    sc.identifiers,
                    &format!("{pat}.subcomponents[{k}]"),
                    &mut diagnostics,
                )?;
                if !subs.contains(&sub) {
                    subs.push(sub);
                }
            }
            match groups.iter_mut().find(|(s, _)| *s == subs) {
                Some((_, products)) => {
                    if !products.contains(&main) {
                        products.push(main);
                    }
                }
                None => groups.push((subs, vec![main])),
            }
        }
        let base = Statement {
            vulnerability,
            aliases,
            description: non_blank(s.vulnerability.description),
            products: Vec::new(),
            subcomponents: Vec::new(),
            status: s.status.into(),
            justification: s.justification.map(Justification::from),
            impact_statement: non_blank(s.impact_statement),
            action_statement: non_blank(s.action_statement),
            responses: Vec::new(),
            timestamp: non_blank(s.timestamp),
            last_updated: non_blank(s.last_updated),
            detail: non_blank(s.status_notes),
            cyclonedx: None,
        };
        check_statement(&base, &at, groups.is_empty(), &mut diagnostics)?;
        if groups.is_empty() {
            out.statements.push(base);
            continue;
        }
        for (subcomponents, products) in groups {
            out.statements.push(Statement {
                products,
                subcomponents,
                ..base.clone()
            });
        }
    }
    out.diagnostics = diagnostics;
    Ok(out)
}

fn read_001(bytes: &[u8]) -> Result<Document, VexError> {
    let (doc, mut diagnostics): (wire001::Document, _) = deserialize(bytes)?;
    let version = match doc.version {
        None => None,
        Some(wire001::Version::Number(n)) => Some(n),
        Some(wire001::Version::Text(t)) => match t.trim().parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                diagnostics.push(Diagnostic::new(
                    "version",
                    format!("`{t}` is not an integer; ignored"),
                ));
                None
            }
        },
    };
    let mut out = Document {
        format: Some(Format {
            kind: FORMAT,
            version: "0.0.1".to_owned(),
        }),
        id: non_blank(doc.id),
        author: non_blank(doc.author),
        timestamp: non_blank(doc.timestamp),
        last_updated: non_blank(doc.last_updated),
        version,
        statements: Vec::new(),
        diagnostics: Vec::new(),
    };
    let _ = (doc.role, doc.tooling);
    let supplier = non_blank(doc.supplier);
    check_metadata(&out, doc.statements.is_empty(), &mut diagnostics);
    for (i, s) in doc.statements.into_iter().enumerate() {
        let at = format!("statements[{i}]");
        let _ = s.action_statement_timestamp;
        let vulnerability = s.vulnerability.trim().to_owned();
        if vulnerability.is_empty() {
            return Err(invalid(format!("{at}.vulnerability"), "is empty"));
        }
        let mut products = Vec::new();
        for (j, p) in s.products.into_iter().enumerate() {
            let mut p = product(
                Some(p),
                None,
                &format!("{at}.products[{j}]"),
                &mut diagnostics,
            )?;
            p.supplier.clone_from(&supplier);
            if !products.contains(&p) {
                products.push(p);
            }
        }
        let mut subcomponents = Vec::new();
        for (j, p) in s.subcomponents.into_iter().enumerate() {
            // go-vex skips empty subcomponent strings.
            if p.trim().is_empty() {
                continue;
            }
            let p = product(
                Some(p),
                None,
                &format!("{at}.subcomponents[{j}]"),
                &mut diagnostics,
            )?;
            if !subcomponents.contains(&p) {
                subcomponents.push(p);
            }
        }
        let statement = Statement {
            vulnerability,
            aliases: Vec::new(),
            description: non_blank(s.vuln_description),
            products,
            subcomponents,
            status: s.status.into(),
            justification: s.justification.map(Justification::from),
            impact_statement: non_blank(s.impact_statement),
            action_statement: non_blank(s.action_statement),
            responses: Vec::new(),
            timestamp: non_blank(s.timestamp),
            last_updated: None,
            detail: non_blank(s.status_notes),
            cyclonedx: None,
        };
        check_statement(
            &statement,
            &at,
            statement.products.is_empty(),
            &mut diagnostics,
        )?;
        out.statements.push(statement);
    }
    out.diagnostics = diagnostics;
    Ok(out)
}

fn invalid(path: String, message: &str) -> VexError {
    VexError::Invalid {
        format: FORMAT,
        path,
        message: message.to_owned(),
    }
}

/// The document members the schema requires, and the timestamps' format.
fn check_metadata(doc: &Document, no_statements: bool, diagnostics: &mut Vec<Diagnostic>) {
    for (field, missing) in [
        ("@id", doc.id.is_none()),
        ("author", doc.author.is_none()),
        ("timestamp", doc.timestamp.is_none()),
        ("version", doc.version.is_none()),
    ] {
        if missing {
            diagnostics.push(Diagnostic::new(
                field,
                "missing, but required by the OpenVEX schema",
            ));
        }
    }
    if let Some(id) = &doc.id
        && !is_iri(id)
    {
        diagnostics.push(Diagnostic::new(
            "@id",
            format!("`{id}` is not an IRI, as OpenVEX requires"),
        ));
    }
    if no_statements {
        diagnostics.push(Diagnostic::new(
            "statements",
            "missing or empty, but the OpenVEX schema requires at least one statement",
        ));
    }
    if doc.version == Some(0) {
        diagnostics.push(Diagnostic::new("version", "is 0; versions start at 1"));
    }
    for (field, value) in [
        ("timestamp", &doc.timestamp),
        ("last_updated", &doc.last_updated),
    ] {
        check_time(field, value.as_deref(), diagnostics);
    }
}

fn check_time(field: &str, value: Option<&str>, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(t) = value
        && rfc3339(t).is_none()
    {
        diagnostics.push(Diagnostic::new(
            field,
            format!("`{t}` is not an RFC 3339 date-time"),
        ));
    }
}

/// The statement rules of the specification: MUSTs are errors, SHOULDs
/// diagnostics.
fn check_statement(
    s: &Statement,
    at: &str,
    no_products: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), VexError> {
    if s.status == Status::NotAffected && s.justification.is_none() && s.impact_statement.is_none()
    {
        return Err(invalid(
            format!("{at}.justification"),
            "a not_affected statement must have a justification or an impact_statement",
        ));
    }
    if s.status == Status::Affected && s.action_statement.is_none() {
        diagnostics.push(Diagnostic::new(
            format!("{at}.action_statement"),
            "an affected statement should say what to do in an action_statement",
        ));
    }
    if no_products {
        diagnostics.push(Diagnostic::new(
            format!("{at}.products"),
            "no products; the statement applies to what an encapsulating document names",
        ));
    }
    check_time(
        &format!("{at}.timestamp"),
        s.timestamp.as_deref(),
        diagnostics,
    );
    check_time(
        &format!("{at}.last_updated"),
        s.last_updated.as_deref(),
        diagnostics,
    );
    Ok(())
}

/// A product or subcomponent from its `@id` and identifiers. An `@id`
/// that is a purl is the purl when the identifiers give none.
fn product(
    id: Option<String>,
    identifiers: Option<wire::Identifiers>,
    at: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<ProductRef, VexError> {
    let id = non_blank(id).map(|s| s.trim().to_owned());
    let (purl, cpe22, cpe23) = match identifiers {
        Some(i) => (non_blank(i.purl), non_blank(i.cpe22), non_blank(i.cpe23)),
        None => (None, None, None),
    };
    let mut out = ProductRef {
        cpe: cpe23.or(cpe22),
        ..ProductRef::default()
    };
    match (id, purl) {
        (Some(id), None) if id.starts_with("pkg:") => out.purl = Some(id),
        (Some(id), Some(purl)) if id == purl => out.purl = Some(purl),
        (id, purl) => {
            out.id = id;
            out.purl = purl;
        }
    }
    if out.id.is_none() && out.purl.is_none() && out.cpe.is_none() {
        return Err(invalid(
            at.to_owned(),
            "names no product: it needs an `@id` or an identifier (purl, cpe22, cpe23)",
        ));
    }
    if let Some(id) = &out.id
        && !is_iri(id)
    {
        diagnostics.push(Diagnostic::new(
            format!("{at}.@id"),
            format!("`{id}` is not an IRI, as OpenVEX requires"),
        ));
    }
    if let Some(purl) = &out.purl {
        match medsec_sbom::Purl::parse(purl) {
            Ok(p) => {
                out.name = Some(p.name().to_owned());
                out.version = p.version().map(str::to_owned);
            }
            Err(e) => diagnostics.push(Diagnostic::new(at, e.to_string())),
        }
    }
    Ok(out)
}

/// The written document, members in the order of the specification.
#[derive(Serialize, PartialEq)]
struct OutDocument<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
    author: &'a str,
    timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated: Option<&'a str>,
    version: u64,
    tooling: &'static str,
    statements: Vec<OutStatement<'a>>,
}

#[derive(Serialize, PartialEq)]
struct OutStatement<'a> {
    vulnerability: OutVulnerability<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    products: Vec<OutProduct<'a>>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<&'a str>,
}

#[derive(Serialize, PartialEq)]
struct OutVulnerability<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<&'a str>,
}

#[derive(Serialize, PartialEq, Clone)]
struct OutProduct<'a> {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifiers: Option<OutIdentifiers<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subcomponents: Vec<OutProduct<'a>>,
}

#[derive(Serialize, PartialEq, Clone)]
struct OutIdentifiers<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpe22: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpe23: Option<&'a str>,
}

fn write_err(field: impl Into<String>, reason: impl Into<String>) -> VexError {
    write_error(FORMAT, field, reason)
}

fn time_field<'a>(field: &str, value: Option<&'a String>) -> Result<Option<&'a str>, VexError> {
    match value {
        Some(t) if rfc3339(t).is_none() => Err(write_err(
            field,
            format!("= `{t}` is not an RFC 3339 date-time"),
        )),
        Some(t) => Ok(Some(t.as_str())),
        None => Ok(None),
    }
}

fn text(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|s| !s.trim().is_empty())
}

/// Writes the document as OpenVEX 0.2.0 JSON (pretty-printed, the same
/// model giving the same bytes).
pub fn write_openvex(doc: &Document) -> Result<String, VexError> {
    let id = text(doc.id.as_ref()).ok_or_else(|| write_err("id", "is missing"))?;
    if !is_iri(id) {
        return Err(write_err(
            "id",
            format!("= `{id}` is not an IRI; OpenVEX documents are named by IRIs"),
        ));
    }
    let author = text(doc.author.as_ref()).ok_or_else(|| write_err("author", "is missing"))?;
    let timestamp = time_field("timestamp", doc.timestamp.as_ref())?
        .ok_or_else(|| write_err("timestamp", "is missing"))?;
    let last_updated = time_field("last_updated", doc.last_updated.as_ref())?;
    let version = doc.version.unwrap_or(1);
    if version == 0 {
        return Err(write_err("version", "is 0; versions start at 1"));
    }
    if doc.statements.is_empty() {
        return Err(write_err(
            "statements",
            "is empty; a document has at least one",
        ));
    }
    let mut statements: Vec<OutStatement<'_>> = Vec::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let at = format!("statements[{i}]");
        let name = s.vulnerability.trim();
        if name.is_empty() {
            return Err(write_err(format!("{at}.vulnerability"), "is empty"));
        }
        let mut aliases: Vec<&str> = Vec::new();
        for a in &s.aliases {
            let a = a.trim();
            if !a.is_empty() && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        let mut subcomponents = Vec::new();
        for (k, sub) in s.subcomponents.iter().enumerate() {
            let out = component(sub, &format!("{at}.subcomponents[{k}]"))?;
            if !subcomponents.contains(&out) {
                subcomponents.push(out);
            }
        }
        let mut products = Vec::new();
        for (j, p) in s.products.iter().enumerate() {
            let mut out = component(p, &format!("{at}.products[{j}]"))?;
            out.subcomponents.clone_from(&subcomponents);
            if !products.contains(&out) {
                products.push(out);
            }
        }
        if products.is_empty() && !subcomponents.is_empty() {
            return Err(write_err(
                format!("{at}.products"),
                "is empty, but OpenVEX lists subcomponents under their product",
            ));
        }
        let impact = text(s.impact_statement.as_ref());
        let action = text(s.action_statement.as_ref());
        if s.status == Status::NotAffected && s.justification.is_none() && impact.is_none() {
            return Err(write_err(
                format!("{at}.justification"),
                "is missing; a not_affected statement needs a justification or an impact statement",
            ));
        }
        if s.status == Status::Affected && action.is_none() {
            return Err(write_err(
                format!("{at}.action_statement"),
                "is missing; the OpenVEX schema requires one for an affected statement",
            ));
        }
        // OpenVEX has one supplier per statement: written when all
        // products agree on it.
        let mut suppliers = s.products.iter().map(|p| text(p.supplier.as_ref()));
        let first = suppliers.next().flatten();
        let supplier = if suppliers.all(|x| x == first) {
            first
        } else {
            None
        };
        let out = OutStatement {
            vulnerability: OutVulnerability {
                name,
                description: text(s.description.as_ref()),
                aliases,
            },
            timestamp: time_field(&format!("{at}.timestamp"), s.timestamp.as_ref())?,
            last_updated: time_field(&format!("{at}.last_updated"), s.last_updated.as_ref())?,
            products,
            status: s.status.as_str(),
            supplier,
            status_notes: text(s.detail.as_ref()),
            justification: s.justification.map(Justification::as_str),
            impact_statement: impact,
            action_statement: action,
        };
        // The schema wants statements unique.
        if let Some(k) = statements.iter().position(|o| *o == out) {
            return Err(write_err(
                at,
                format!("says exactly what statements[{k}] says; OpenVEX statements are unique"),
            ));
        }
        statements.push(out);
    }
    let out = OutDocument {
        context: OPENVEX_CONTEXT,
        id,
        author,
        timestamp,
        last_updated,
        version,
        tooling: concat!("medsec-vex ", env!("CARGO_PKG_VERSION")),
        statements,
    };
    let mut text = serde_json::to_string_pretty(&out)
        .map_err(|e| write_err("document", format!("cannot be serialised: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// A product or subcomponent: `@id` is the model's id when it is an
/// IRI, else the purl; the identifiers are written when they add to the
/// `@id`.
fn component<'a>(p: &'a ProductRef, at: &str) -> Result<OutProduct<'a>, VexError> {
    let id = text(p.id.as_ref()).filter(|id| is_iri(id));
    let purl = text(p.purl.as_ref());
    let cpe = text(p.cpe.as_ref());
    let (mut cpe22, mut cpe23) = (None, None);
    if let Some(c) = cpe {
        if c.starts_with("cpe:2.3:") {
            cpe23 = Some(c);
        } else if c.starts_with("cpe:/") {
            cpe22 = Some(c);
        } else {
            return Err(write_err(
                format!("{at}.cpe"),
                format!("= `{c}` is neither a CPE 2.3 string nor a CPE 2.2 URI"),
            ));
        }
    }
    let at_id = id.or(purl.filter(|p| is_iri(p)));
    let identifiers = if cpe.is_some() || (purl.is_some() && at_id != purl) {
        Some(OutIdentifiers { purl, cpe22, cpe23 })
    } else {
        None
    };
    if at_id.is_none() && identifiers.is_none() {
        return Err(write_err(
            at,
            format!(
                "(`{}`) has no IRI id, purl or CPE; OpenVEX names products by these",
                p.label()
            ),
        ));
    }
    Ok(OutProduct {
        id: at_id,
        identifiers,
        subcomponents: Vec::new(),
    })
}
