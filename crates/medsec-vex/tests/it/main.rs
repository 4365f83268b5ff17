//! Tests of medsec-vex through its public API: the mapping tables, each
//! reader and writer, round trips between every pair of formats, the
//! reference tools (the OpenVEX JSON schema and the CSAF 2.0 schema with
//! Python `jsonschema`, CycloneDX with cyclonedx-python-lib), real VEX
//! documents from `../shared/data`, and truncated and mutated inputs.
//!
//! Python is found through `MEDSEC_TEST_PYTHON`, the data through
//! `MEDSEC_DATA` (default `../shared/data` next to the workspace). Missing
//! ones skip with a message, unless `MEDSEC_REQUIRE_PYTHON=1` or
//! `MEDSEC_REQUIRE_DATA=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod csaf;
mod cyclonedx;
mod data;
mod fuzz;
mod interop;
mod mapping;
mod openvex;
mod roundtrip;

use std::path::{Path, PathBuf};

use medsec_vex::{Document, Justification, ProductRef, Statement, Status};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(path)
}

fn read_fixture(path: &str) -> Document {
    let bytes = std::fs::read(fixture(path)).unwrap();
    medsec_vex::read(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The shared data directory, or `None` after saying "skipped".
fn data_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA").map_or_else(
        || manifest_dir().join("../../../shared/data"),
        PathBuf::from,
    );
    if dir.join("csaf").is_dir() && dir.join("sbom").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1"),
        "MEDSEC_REQUIRE_DATA=1 but {} has no csaf/ and sbom/",
        dir.display()
    );
    eprintln!(
        "skipped: {what} ({} has no csaf/ and sbom/; set MEDSEC_DATA)",
        dir.display()
    );
    None
}

/// The Python with the reference tools, or `None` after saying "skipped".
fn python(what: &str) -> Option<PathBuf> {
    let found = std::env::var_os("MEDSEC_TEST_PYTHON").map(PathBuf::from);
    if found.is_none() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: {what} (set MEDSEC_TEST_PYTHON)");
    }
    found
}

/// Files under `dir` whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A product's identity across formats: the canonical purl, else the
/// CPE, else the name and version.
fn identity(p: &ProductRef) -> String {
    if let Some(purl) = &p.purl {
        return match medsec_sbom::Purl::parse(purl) {
            Ok(u) => format!("purl:{u}"),
            Err(_) => format!("purl:{purl}"),
        };
    }
    if let Some(cpe) = &p.cpe {
        return format!("cpe:{cpe}");
    }
    if let Some(link) = p.id.as_ref().filter(|id| id.starts_with("urn:cdx:")) {
        return format!("link:{link}");
    }
    format!(
        "{}@{}",
        p.name.as_ref().or(p.id.as_ref()).map_or("", String::as_str),
        p.version.as_deref().unwrap_or_default()
    )
}

/// What every format keeps of a statement, one line per (vulnerability,
/// product, subcomponent): the ids, status, justification and the
/// product and subcomponent identities, sorted.
fn view(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    for s in &doc.statements {
        let mut ids: Vec<&str> = std::iter::once(s.vulnerability.as_str())
            .chain(s.aliases.iter().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let subs: Vec<String> = if s.subcomponents.is_empty() {
            vec![String::new()]
        } else {
            s.subcomponents.iter().map(identity).collect()
        };
        for p in &s.products {
            for sub in &subs {
                out.push(format!(
                    "{:?} {} {:?} {} / {}",
                    ids,
                    s.status,
                    s.justification.map(Justification::as_str),
                    identity(p),
                    sub
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A device release's VEX as medsec would issue it: every status, a
/// justification of each kind, a subcomponent, an alias.
fn device_vex() -> Document {
    let pump = ProductRef {
        purl: Some("pkg:generic/example-medical/infusion-pump@4.2.1".to_owned()),
        name: Some("Infusion Pump".to_owned()),
        version: Some("4.2.1".to_owned()),
        supplier: Some("Example Medical".to_owned()),
        ..ProductRef::default()
    };
    let openssl = ProductRef::purl("pkg:generic/openssl@3.0.8");
    let statement = |id: &str, status: Status| Statement {
        vulnerability: id.to_owned(),
        products: vec![pump.clone()],
        status,
        description: Some(format!("{id} in a component of the pump.")),
        ..Statement::default()
    };
    let mut statements = Vec::new();
    for (n, j) in Justification::ALL.into_iter().enumerate() {
        let mut s = statement(&format!("CVE-2024-100{n}"), Status::NotAffected);
        s.justification = Some(j);
        s.impact_statement = Some(format!("Not affected: {j}."));
        s.subcomponents = vec![openssl.clone()];
        statements.push(s);
    }
    let mut affected = statement("CVE-2024-2000", Status::Affected);
    affected.aliases = vec!["GHSA-aaaa-bbbb-cccc".to_owned()];
    affected.action_statement = Some("Update to firmware 4.2.2.".to_owned());
    affected.responses = vec![medsec_vex::Response::Update];
    statements.push(affected);
    let mut fixed = statement("CVE-2024-3000", Status::Fixed);
    fixed.timestamp = Some("2025-01-15T10:00:00Z".to_owned());
    statements.push(fixed);
    statements.push(statement("CVE-2024-4000", Status::UnderInvestigation));
    Document {
        format: None,
        id: Some("https://psirt.example.com/vex/infusion-pump-4.2.1".to_owned()),
        author: Some("Example Medical PSIRT".to_owned()),
        timestamp: Some("2025-03-01T09:00:00Z".to_owned()),
        last_updated: None,
        version: Some(2),
        statements,
        diagnostics: Vec::new(),
    }
}
