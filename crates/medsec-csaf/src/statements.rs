//! One statement per vulnerability, status and product: the flat view
//! medsec imports into its vulnerability database, the same for a CISA
//! ICSMA advisory and for a manufacturer's CSAF VEX.

use std::collections::HashSet;

use crate::model::{
    Advisory, Justification, Remediation, Score, Status, Threat, ThreatCategory, Vulnerability,
    VulnerabilityId,
};
use crate::products::{Products, products};

/// What the advisory says about one product for one vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position of the vulnerability in `/vulnerabilities`, for its title,
    /// notes, CWE and references.
    pub vulnerability: usize,
    pub cve: Option<String>,
    pub ids: Vec<VulnerabilityId>,
    pub product: ProductRef,
    pub status: Status,
    /// The VEX justification flag naming this product (directly or
    /// through a group), normally for `known_not_affected`.
    pub justification: Option<Justification>,
    /// The threats naming this product: the impact statement of a VEX
    /// "not affected", exploit status, target set.
    pub threats: Vec<Threat>,
    /// The remediations naming this product: the action statement of a
    /// VEX "affected", vendor fixes, mitigations.
    pub remediations: Vec<Remediation>,
    /// The scores naming this product (CVSS v3.x and v2).
    pub scores: Vec<Score>,
}

impl Statement {
    /// The first impact statement (threat of category `impact`).
    pub fn impact(&self) -> Option<&str> {
        self.threats
            .iter()
            .find(|t| t.category == ThreatCategory::Impact)
            .map(|t| t.details.as_str())
    }
}

/// A product id and, when the product tree defines it, its full name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRef {
    pub id: String,
    pub name: Option<String>,
}

/// Every (vulnerability, status, product) the advisory states, in
/// document order: vulnerabilities, then the status lists in the order of
/// [`crate::ProductStatus::lists`], then the ids as listed. A product id
/// listed twice under one status is reported once.
pub fn statements(advisory: &Advisory) -> Vec<Statement> {
    let products = products(advisory);
    let mut out = Vec::new();
    for (index, vulnerability) in advisory.vulnerabilities.iter().enumerate() {
        let Some(status) = &vulnerability.product_status else {
            continue;
        };
        for (status, ids) in status.lists() {
            let mut seen = HashSet::new();
            for id in ids.iter().filter(|id| seen.insert(id.as_str())) {
                out.push(statement(&products, index, vulnerability, status, id));
            }
        }
    }
    out
}

fn statement(
    products: &Products,
    index: usize,
    v: &Vulnerability,
    status: Status,
    id: &str,
) -> Statement {
    let names = |product_ids: &[String], group_ids: &[String]| {
        products.refers_to(product_ids, group_ids, id)
    };
    Statement {
        vulnerability: index,
        cve: v.cve.clone(),
        ids: v.ids.clone(),
        product: ProductRef {
            id: id.to_owned(),
            name: products.get(id).map(|p| p.name.clone()),
        },
        status,
        justification: v
            .flags
            .iter()
            .find(|f| names(&f.product_ids, &f.group_ids))
            .map(|f| f.label),
        threats: v
            .threats
            .iter()
            .filter(|t| names(&t.product_ids, &t.group_ids))
            .cloned()
            .collect(),
        remediations: v
            .remediations
            .iter()
            .filter(|r| names(&r.product_ids, &r.group_ids))
            .cloned()
            .collect(),
        scores: v
            .scores
            .iter()
            .filter(|s| s.products.iter().any(|p| p == id))
            .cloned()
            .collect(),
    }
}
