//! CSAF 2.0 advisories (vendors' and CISA's ICS medical advisories) into
//! [`Advisory`]s: one per vulnerability of the document, with the
//! products it affects.
//!
//! Medical advisories name products by vendor, product name and version
//! (often a range in free text, `<=4.1`), seldom by CPE or purl. A
//! product with a CPE matches components by CPE; a product without one
//! matches a component whose supplier and name equal the product's vendor
//! and name (case-insensitively) and whose version lies in the product's
//! versions, compared as NVD versions are ([`medsec_cpe::NvdVersion`]).
//! The explanation says which of the two it was.

use std::cmp::Ordering;

use medsec_cpe::{Cpe, NvdVersion};
use medsec_csaf::{Constraints, Status, VersionSpec};

use crate::score::{CvssVersion, Origin, Severity};
use crate::{Advisory, Error, Result};

/// A product a CSAF advisory says is affected.
#[derive(Debug, Clone)]
pub struct CsafProduct {
    /// The advisory document (`ICSMA-24-…`).
    pub document: String,
    /// The full product name the document builds (`Philips Vue PACS <12.2.8`).
    pub full_name: String,
    /// Lower-cased vendor and product name, for the name index.
    pub vendor: String,
    pub product: String,
    pub version: Option<VersionSpec>,
    pub cpe: Option<Cpe>,
    pub status: &'static str,
    /// The vendor's remediation for the product, if any (first one).
    pub remediation: Option<String>,
}

impl CsafProduct {
    /// Whether a component's version lies in the product's versions; a
    /// product without versions means all versions.
    pub fn contains(&self, version: Option<&str>) -> bool {
        let Some(spec) = &self.version else {
            return true;
        };
        let Some(version) = version else {
            return false;
        };
        let cmp = |a: &str, b: &str| -> Ordering { NvdVersion::new(a).cmp(&NvdVersion::new(b)) };
        match spec.constraints() {
            Some(Constraints::Any) => true,
            Some(constraints) => medsec_csaf::Vers {
                scheme: "generic".into(),
                constraints,
            }
            .contains(version, cmp),
            None => false,
        }
    }

    pub fn describe(&self) -> String {
        match &self.version {
            Some(VersionSpec::Exact(v)) => format!("= {v}"),
            Some(VersionSpec::Vers(v)) => v.to_string(),
            Some(VersionSpec::Text(t)) => t.clone(),
            None => "all versions".into(),
        }
    }
}

/// One CSAF document into one advisory per vulnerability with affected
/// products.
pub(crate) fn parse(body: &str, origin: &str) -> Result<Vec<Advisory>> {
    let doc = medsec_csaf::read(body.as_bytes())
        .map_err(|e| Error::invalid(origin, format!("not a CSAF 2.0 document: {e}")))?;
    let products = medsec_csaf::products(&doc);
    let tracking = doc.document.tracking.id.clone();
    let mut out: Vec<Advisory> = Vec::new();
    for statement in medsec_csaf::statements(&doc) {
        if !statement.status.is_affected() {
            continue;
        }
        let Some(product) = products.get(&statement.product.id) else {
            continue;
        };
        let vulnerability = doc.vulnerabilities.get(statement.vulnerability);
        let id = statement
            .cve
            .clone()
            .unwrap_or_else(|| format!("{tracking}#{}", statement.vulnerability + 1));
        let position = match out.iter().position(|a| a.id == id) {
            Some(p) => p,
            None => {
                let mut severity = Vec::new();
                for score in vulnerability
                    .map(|v| v.scores.as_slice())
                    .unwrap_or_default()
                {
                    if let Some(v3) = &score.cvss_v3
                        && let (Some(vector), Some(base)) = (&v3.vector_string, v3.base_score)
                    {
                        let version = if vector.starts_with("CVSS:3.0") {
                            CvssVersion::V30
                        } else {
                            CvssVersion::V31
                        };
                        severity.push(Severity {
                            version,
                            vector: vector.clone(),
                            score: base as f32,
                            origin: Origin::Csaf,
                            by: tracking.clone(),
                        });
                    }
                }
                severity.dedup_by(|a, b| a.vector == b.vector);
                let summary = vulnerability
                    .and_then(|v| v.title.clone())
                    .unwrap_or_else(|| doc.document.title.clone());
                out.push(Advisory {
                    id: id.clone(),
                    summary,
                    published: Some(doc.document.tracking.initial_release_date.clone()),
                    modified: Some(doc.document.tracking.current_release_date.clone()),
                    severity,
                    cwes: vulnerability
                        .and_then(|v| v.cwe.as_ref())
                        .map(|c| vec![c.id.clone()])
                        .unwrap_or_default(),
                    documents: vec![tracking.clone()],
                    ..Advisory::default()
                });
                out.len() - 1
            }
        };
        let lower = |s: &Option<String>| s.as_deref().unwrap_or_default().trim().to_lowercase();
        let remediation = statement
            .remediations
            .first()
            .map(|r| r.details.trim().to_owned());
        out[position].products.push(CsafProduct {
            document: tracking.clone(),
            full_name: product.name.clone(),
            vendor: lower(&product.vendor),
            product: lower(&product.product_name),
            version: product.version.clone(),
            cpe: product.cpe.as_deref().and_then(|c| Cpe::parse(c).ok()),
            status: status_name(statement.status),
            remediation,
        });
    }
    Ok(out)
}

fn status_name(s: Status) -> &'static str {
    s.as_str()
}
