//! The lookup keys of the index as text, so that a store can keep them per
//! feed record and read only the records a set of components needs.
//!
//! [`Database`](crate::Database) files each advisory under the package it
//! affects (ecosystem and normalised name), the CPE vendor and product of
//! its NVD configurations and CSAF products, and the product names of its
//! CSAF products; it looks a component up under the same keys. [`record`]
//! gives those keys of one record's advisories, [`component`] the keys a
//! component is looked up by, computed by the same functions as the index
//! (`Component::package_query`, `Component::csaf_name_query`,
//! `Configuration::keys`, `Cpe::vendor`/`product`), so that every advisory
//! that can match a component is filed under one of its keys.
//!
//! A record also gets one [`id`] key per vulnerability id its advisories
//! state (their ids and aliases). Advisories that share an id are one
//! vulnerability ([`Database::build`](crate::Database::build) merges them,
//! and the merged group decides the id shown, the score, KEV and EPSS), so
//! a reader follows the id keys from the records it found to every record
//! of the same vulnerabilities, transitively, before it builds its index.
//!
//! A key of the form `pkg:ECOSYSTEM:NAME`, `cpe:VENDOR:PRODUCT`,
//! `name:PRODUCT` or `id:ID` may collide with another (a vendor with a
//! colon); a collision only makes a reader load a record it did not need,
//! which changes no finding.

use std::collections::BTreeSet;

use medsec_cpe::Cpe;
use medsec_version::Ecosystem;

use crate::{Advisory, Component};

/// The version of the key scheme. A store that keeps keys of another
/// version must compute them again; raise it whenever a key function
/// changes.
pub const VERSION: i64 = 1;

/// The prefix of [`id`] keys.
pub const ID_PREFIX: &str = "id:";

/// The key of an affected package (`name` as the ecosystem compares it).
pub fn package(ecosystem: Ecosystem, name: &str) -> String {
    format!("pkg:{}:{name}", ecosystem.osv_name())
}

/// The key of a CPE vendor and product (NVD configurations and CSAF
/// products with a CPE).
pub fn cpe(vendor: &str, product: &str) -> String {
    format!("cpe:{vendor}:{product}")
}

/// The key of a CSAF product name (lower-cased).
pub fn product_name(name: &str) -> String {
    format!("name:{name}")
}

/// The key of a vulnerability id (`CVE-…`, `GHSA-…`, `RUSTSEC-…`).
pub fn id(id: &str) -> String {
    format!("{ID_PREFIX}{id}")
}

/// Whether a key is an [`id`] key.
pub fn is_id(key: &str) -> bool {
    key.starts_with(ID_PREFIX)
}

/// The keys of one advisory: where the index files it, and its ids.
pub fn advisory(a: &Advisory, out: &mut BTreeSet<String>) {
    for i in std::iter::once(&a.id).chain(&a.aliases) {
        out.insert(id(i));
    }
    // As `Database::add`: a withdrawn advisory is in no package list.
    if a.withdrawn.is_none() {
        for affected in &a.affected {
            out.insert(package(affected.ecosystem, &affected.name));
        }
    }
    for configuration in &a.configurations {
        for (_, vendor, product) in configuration.keys() {
            out.insert(cpe(vendor, product));
        }
    }
    for product in &a.products {
        match &product.cpe {
            Some(c) => {
                out.insert(cpe(c.vendor(), c.product()));
            }
            None if !product.product.is_empty() => {
                out.insert(product_name(&product.product));
            }
            None => {}
        }
    }
}

/// The keys of one record's advisories (a CSAF document has several),
/// sorted and without repeats.
pub fn record(advisories: &[Advisory]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for a in advisories {
        advisory(a, &mut out);
    }
    out.into_iter().collect()
}

/// The keys one component is looked up by (no [`id`] keys).
pub fn component(c: &Component, out: &mut BTreeSet<String>) {
    if let Some((ecosystem, name)) = c.package_query() {
        out.insert(package(ecosystem, &name));
    }
    for text in &c.cpes {
        if let Ok(parsed) = Cpe::parse(text) {
            out.insert(cpe(parsed.vendor(), parsed.product()));
        }
    }
    if let Some(name) = c.csaf_name_query() {
        out.insert(product_name(&name));
    }
}

/// The keys of every component of an inventory, sorted, without repeats.
pub fn components(list: &[Component]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for c in list {
        component(c, &mut out);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests;
