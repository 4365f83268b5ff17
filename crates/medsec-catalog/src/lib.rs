//! Requirement catalogues as versioned data: the MFDS checklist editions,
//! the KISA digital-healthcare security guide, the IMDRF N60 principles,
//! reference lists (IEC 62443-4-2, FDA 2023, MDS2) and the crosswalk
//! between them. The data lives in `data/*.toml` (see `data/README.md`),
//! is embedded at compile time and checked when loaded: unique ids, known
//! groups and threats, and crosswalk links that name existing items.
//!
//! Architecture invariant: this crate does no IO; the files are compiled
//! in, so a catalogue edition cannot change under a checklist that
//! records it.

mod model;
mod search;

pub use model::*;
pub use search::Hit;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The embedded catalogue files, in display order.
const FILES: &[(&str, &str)] = &[
    ("mfds-2024.toml", include_str!("../data/mfds-2024.toml")),
    ("mfds-2019.toml", include_str!("../data/mfds-2019.toml")),
    ("kisa-dh.toml", include_str!("../data/kisa-dh.toml")),
    ("imdrf-n60.toml", include_str!("../data/imdrf-n60.toml")),
    (
        "iec-62443-4-2.toml",
        include_str!("../data/iec-62443-4-2.toml"),
    ),
    ("fda-2023.toml", include_str!("../data/fda-2023.toml")),
    ("mds2-2019.toml", include_str!("../data/mds2-2019.toml")),
];

const CROSSWALK: &str = include_str!("../data/crosswalk.toml");

/// A problem in the catalogue data, with the file and the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {what} `{id}` {problem}")]
    Invalid {
        file: String,
        what: &'static str,
        id: String,
        problem: String,
    },
}

fn invalid(file: &str, what: &'static str, id: &str, problem: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        file: file.to_owned(),
        what,
        id: id.to_owned(),
        problem: problem.into(),
    }
}

/// Every catalogue and the crosswalk.
#[derive(Debug, Clone)]
pub struct Catalogs {
    pub catalogs: Vec<Catalog>,
    pub links: Vec<Link>,
}

static LOADED: LazyLock<Result<Catalogs, CatalogError>> = LazyLock::new(load);

/// The embedded catalogues, parsed and checked once.
pub fn catalogs() -> Result<&'static Catalogs, CatalogError> {
    LOADED.as_ref().map_err(Clone::clone)
}

/// Parses and checks the embedded files.
pub fn load() -> Result<Catalogs, CatalogError> {
    let mut catalogs = Vec::new();
    for (file, text) in FILES {
        let c: Catalog = toml::from_str(text).map_err(|e| CatalogError::Parse {
            file: (*file).to_owned(),
            message: e.to_string(),
        })?;
        check_catalog(file, &c)?;
        catalogs.push(c);
    }
    let mut ids = BTreeSet::new();
    for c in &catalogs {
        if !ids.insert(c.catalog.id.clone()) {
            return Err(invalid(
                "data",
                "catalogue",
                &c.catalog.id,
                "is defined twice",
            ));
        }
    }
    for c in &catalogs {
        for s in &c.catalog.supersedes {
            if !ids.contains(s) && !s.starts_with("mfds-2018") {
                return Err(invalid(
                    &c.catalog.id,
                    "supersedes",
                    s,
                    "names no catalogue",
                ));
            }
        }
    }
    let defaults: Vec<_> = catalogs
        .iter()
        .filter(|c| c.catalog.default_for_new)
        .collect();
    if defaults.len() > 1 {
        return Err(invalid(
            "data",
            "catalogue",
            &defaults[1].catalog.id,
            "is a second default_for_new",
        ));
    }
    let crosswalk: Crosswalk = toml::from_str(CROSSWALK).map_err(|e| CatalogError::Parse {
        file: "crosswalk.toml".into(),
        message: e.to_string(),
    })?;
    let all = Catalogs {
        catalogs,
        links: crosswalk.link,
    };
    for l in &all.links {
        for end in [&l.from, &l.to] {
            if all.resolve(end).is_none() {
                return Err(invalid(
                    "crosswalk.toml",
                    "link end",
                    end,
                    "names no item (catalogue:item)",
                ));
            }
        }
        if l.reason_en.trim().is_empty() {
            return Err(invalid(
                "crosswalk.toml",
                "link",
                &format!("{} -> {}", l.from, l.to),
                "has no reason",
            ));
        }
    }
    Ok(all)
}

fn check_id(file: &str, what: &'static str, id: &str) -> Result<(), CatalogError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            file,
            what,
            id,
            "is not a valid id (letters, digits, `.`, `-`, `_`)",
        ))
    }
}

fn check_catalog(file: &str, c: &Catalog) -> Result<(), CatalogError> {
    check_id(file, "catalogue", &c.catalog.id)?;
    if c.catalog.title_ko.trim().is_empty() || c.catalog.title_en.trim().is_empty() {
        return Err(invalid(
            file,
            "catalogue",
            &c.catalog.id,
            "needs title_ko and title_en",
        ));
    }
    let mut groups = BTreeMap::new();
    for g in &c.group {
        check_id(file, "group", &g.id)?;
        if groups.insert(g.id.as_str(), g).is_some() {
            return Err(invalid(file, "group", &g.id, "is defined twice"));
        }
    }
    for g in &c.group {
        if let Some(p) = &g.parent
            && !groups.contains_key(p.as_str())
        {
            return Err(invalid(
                file,
                "group",
                &g.id,
                format!("has unknown parent `{p}`"),
            ));
        }
    }
    let threats: BTreeSet<&str> = c.threat.iter().map(|t| t.id.as_str()).collect();
    if threats.len() != c.threat.len() {
        return Err(invalid(file, "threat", "", "ids are not unique"));
    }
    let mut items = BTreeSet::new();
    for i in &c.item {
        check_id(file, "item", &i.id)?;
        if !items.insert(i.id.as_str()) {
            return Err(invalid(file, "item", &i.id, "is defined twice"));
        }
        if i.title_ko.trim().is_empty() || i.title_en.trim().is_empty() {
            return Err(invalid(file, "item", &i.id, "needs title_ko and title_en"));
        }
        if i.text_ko.is_some() != i.text_en.is_some() {
            return Err(invalid(
                file,
                "item",
                &i.id,
                "has text in one language only",
            ));
        }
        if i.evidence_ko.len() != i.evidence_en.len()
            || i.test_method_ko.len() != i.test_method_en.len()
        {
            return Err(invalid(
                file,
                "item",
                &i.id,
                "has lists of different length in Korean and English",
            ));
        }
        if i.test_criterion_ko.is_some() != i.test_criterion_en.is_some() {
            return Err(invalid(
                file,
                "item",
                &i.id,
                "has a test criterion in one language only",
            ));
        }
        if let Some(g) = &i.group
            && !groups.contains_key(g.as_str())
        {
            return Err(invalid(
                file,
                "item",
                &i.id,
                format!("has unknown group `{g}`"),
            ));
        }
        for t in &i.threats {
            if !threats.contains(t.as_str()) {
                return Err(invalid(
                    file,
                    "item",
                    &i.id,
                    format!("answers unknown threat `{t}`"),
                ));
            }
        }
        if i.source == Source::Reconstructed && i.note_en.as_deref().unwrap_or("").trim().is_empty()
        {
            return Err(invalid(
                file,
                "item",
                &i.id,
                "is reconstructed but has no note_en saying from what",
            ));
        }
    }
    Ok(())
}

impl Catalogs {
    pub fn get(&self, id: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.catalog.id == id)
    }

    /// The item a `catalogue:item` reference names.
    pub fn resolve(&self, reference: &str) -> Option<(&Catalog, &Item)> {
        let (cat, item) = reference.split_once(':')?;
        let c = self.get(cat)?;
        Some((c, c.item(item)?))
    }

    /// The edition new checklists use.
    pub fn default_edition(&self) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.catalog.default_for_new)
    }

    /// Links touching `reference`, in either direction, with the other end.
    pub fn links_of<'a>(
        &'a self,
        reference: &'a str,
    ) -> impl Iterator<Item = (&'a Link, &'a str)> + 'a {
        self.links.iter().filter_map(move |l| {
            if l.from == reference {
                Some((l, l.to.as_str()))
            } else if l.to == reference {
                Some((l, l.from.as_str()))
            } else {
                None
            }
        })
    }

    /// Carries items of one catalogue to another along the crosswalk:
    /// for each `from` item, the items of `to` it maps to; and the items
    /// of `to` no `from` item reaches (the gaps a carried-over checklist
    /// must still address).
    pub fn carry_over(&self, from: &str, to: &str) -> Option<CarryOver> {
        let source = self.get(from)?;
        let target = self.get(to)?;
        let mut mapped = Vec::new();
        let mut reached = BTreeSet::new();
        for item in &source.item {
            let r = format!("{from}:{}", item.id);
            let targets: Vec<String> = self
                .links_of(&r)
                .filter_map(|(_, other)| other.strip_prefix(&format!("{to}:")).map(str::to_owned))
                .collect();
            reached.extend(targets.iter().cloned());
            mapped.push((item.id.clone(), targets));
        }
        let gaps = target
            .item
            .iter()
            .filter(|i| !reached.contains(&i.id))
            .map(|i| i.id.clone())
            .collect();
        Some(CarryOver {
            from: from.to_owned(),
            to: to.to_owned(),
            mapped,
            gaps,
        })
    }
}

/// The result of [`Catalogs::carry_over`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CarryOver {
    pub from: String,
    pub to: String,
    /// Each source item with the target items it maps to (empty: none).
    pub mapped: Vec<(String, Vec<String>)>,
    /// Target items that no source item maps to.
    pub gaps: Vec<String>,
}

#[cfg(test)]
mod tests;
