//! The NTIA minimum elements of an SBOM (NTIA, "The Minimum Elements For
//! a Software Bill of Materials", 2021), checked as a submission gate:
//! per element, whether the SBOM meets it and which components fail it,
//! and a score.
//!
//! Components are what ships ([`Component::is_shipped`]): files (SPDX
//! files, CycloneDX `file` components) are parts of packages and build
//! recipes (Yocto's) are not shipped, so neither is checked.

use std::collections::HashSet;
use std::fmt;

use crate::model::{Component, ComponentId, DependencyKind, PartyKind, Sbom};
use crate::util::utc_timestamp;

/// One of the seven minimum data fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Element {
    /// Every component names its supplier (or, lacking one, the
    /// organisation that made it: CycloneDX `manufacturer`, SPDX
    /// `Organization:` originator).
    Supplier,
    /// Every component has a name.
    ComponentName,
    /// Every component has a version.
    Version,
    /// Every component has an identifier to look it up by: a purl, a CPE,
    /// a SWID tag or a hash.
    UniqueIdentifier,
    /// The relationships are stated: the product (or, without one, some
    /// component) has dependencies, and every other component takes part
    /// in a relationship.
    DependencyRelationship,
    /// The SBOM names who made it (a person, an organisation or a tool).
    Author,
    /// The SBOM says when it was made, as a date and time.
    Timestamp,
}

impl Element {
    pub const ALL: [Element; 7] = [
        Element::Supplier,
        Element::ComponentName,
        Element::Version,
        Element::UniqueIdentifier,
        Element::DependencyRelationship,
        Element::Author,
        Element::Timestamp,
    ];

    /// The NTIA name of the element.
    pub fn name(self) -> &'static str {
        match self {
            Element::Supplier => "Supplier Name",
            Element::ComponentName => "Component Name",
            Element::Version => "Version of the Component",
            Element::UniqueIdentifier => "Other Unique Identifiers",
            Element::DependencyRelationship => "Dependency Relationship",
            Element::Author => "Author of SBOM Data",
            Element::Timestamp => "Timestamp",
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome for one element.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementResult {
    pub element: Element,
    pub passed: bool,
    /// The components that fail it, by name (`group/name@version`), in
    /// document order; empty for the document-level elements.
    pub failing: Vec<String>,
    /// The share of components (or 0/1 for document-level elements) that
    /// meet it, from 0 to 1.
    pub coverage: f64,
    /// Why a document-level element failed.
    pub note: Option<String>,
}

/// The NTIA check of one SBOM.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// One result per element, in [`Element::ALL`] order.
    pub elements: Vec<ElementResult>,
    /// How many components were checked (files excluded).
    pub components_checked: usize,
    /// The mean coverage over the seven elements, from 0 to 100.
    pub score: f64,
}

impl Report {
    /// Whether every element passes: the submission gate.
    pub fn passed(&self) -> bool {
        self.elements.iter().all(|e| e.passed)
    }

    pub fn get(&self, element: Element) -> Option<&ElementResult> {
        self.elements.iter().find(|e| e.element == element)
    }
}

fn label(c: &Component) -> String {
    let name = if c.name.trim().is_empty() {
        format!("({})", c.id)
    } else {
        c.display_name()
    };
    match &c.version {
        Some(v) => format!("{name}@{v}"),
        None => name,
    }
}

fn per_component(
    element: Element,
    components: &[&Component],
    ok: impl Fn(&Component) -> bool,
) -> ElementResult {
    let failing: Vec<String> = components
        .iter()
        .filter(|c| !ok(c))
        .map(|c| label(c))
        .collect();
    let coverage = if components.is_empty() {
        0.0
    } else {
        (components.len() - failing.len()) as f64 / components.len() as f64
    };
    ElementResult {
        element,
        passed: !components.is_empty() && failing.is_empty(),
        failing,
        coverage,
        note: components
            .is_empty()
            .then(|| "the SBOM lists no components".to_owned()),
    }
}

fn document(element: Element, passed: bool, note: &str) -> ElementResult {
    ElementResult {
        element,
        passed,
        failing: Vec::new(),
        coverage: if passed { 1.0 } else { 0.0 },
        note: (!passed).then(|| note.to_owned()),
    }
}

fn nonempty(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Checks `sbom` against the NTIA minimum elements.
pub fn check(sbom: &Sbom) -> Report {
    let components: Vec<&Component> = sbom.components.iter().filter(|c| c.is_shipped()).collect();
    let supplier = per_component(Element::Supplier, &components, |c| {
        c.supplier
            .as_ref()
            .is_some_and(|s| !s.name.trim().is_empty())
            || c.author
                .as_ref()
                .is_some_and(|a| a.kind == PartyKind::Organization && !a.name.trim().is_empty())
    });
    let name = per_component(Element::ComponentName, &components, |c| {
        !c.name.trim().is_empty()
    });
    let version = per_component(Element::Version, &components, |c| nonempty(&c.version));
    let identifier = per_component(Element::UniqueIdentifier, &components, |c| {
        c.purl.is_some()
            || c.cpes.iter().any(|x| !x.trim().is_empty())
            || nonempty(&c.swid)
            || c.hashes.iter().any(|h| !h.value.is_empty())
    });
    let relationships = dependency_relationship(sbom, &components);
    let author = document(
        Element::Author,
        sbom.authors.iter().any(|a| !a.name.trim().is_empty())
            || sbom.tools.iter().any(|t| !t.trim().is_empty()),
        "the SBOM names no author (person, organisation or tool)",
    );
    let timestamp = match &sbom.created {
        None => document(Element::Timestamp, false, "the SBOM has no creation time"),
        Some(t) => document(
            Element::Timestamp,
            utc_timestamp(t).is_some(),
            &format!("`{t}` is not a date and time"),
        ),
    };
    let elements = vec![
        supplier,
        name,
        version,
        identifier,
        relationships,
        author,
        timestamp,
    ];
    let score = elements.iter().map(|e| e.coverage).sum::<f64>() / elements.len() as f64 * 100.0;
    Report {
        elements,
        components_checked: components.len(),
        score: (score * 10.0).round() / 10.0,
    }
}

fn dependency_relationship(sbom: &Sbom, components: &[&Component]) -> ElementResult {
    let element = Element::DependencyRelationship;
    if components.is_empty() {
        return per_component(element, components, |_| true);
    }
    // Ids that take part in a relationship, computed once so the check
    // stays linear in the size of the SBOM.
    let mut in_relationship: HashSet<&ComponentId> = HashSet::new();
    for c in &sbom.components {
        if let Some(p) = &c.parent {
            in_relationship.insert(&c.id);
            in_relationship.insert(p);
        }
    }
    for d in &sbom.dependencies {
        in_relationship.insert(&d.from);
        in_relationship.insert(&d.to);
    }
    let related = |c: &Component| in_relationship.contains(&c.id);
    let root_has_edges = match sbom.subject_component() {
        Some(s) => {
            components.len() == 1
                || sbom
                    .components
                    .iter()
                    .any(|o| o.parent.as_ref() == Some(&s.id))
                || sbom.dependencies.iter().any(|d| {
                    d.from == s.id
                        && matches!(d.kind, DependencyKind::DependsOn | DependencyKind::Contains)
                })
        }
        None => components.len() == 1 || components.iter().any(|c| related(c)),
    };
    let mut result = per_component(element, components, |c| components.len() == 1 || related(c));
    if !root_has_edges {
        result.passed = false;
        result.note = Some(match sbom.subject_component() {
            Some(s) => format!("the product `{}` has no stated dependencies", label(s)),
            None => "the SBOM states no relationships".to_owned(),
        });
    }
    result
}

#[cfg(test)]
mod tests;
