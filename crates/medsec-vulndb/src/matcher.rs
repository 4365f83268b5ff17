//! The in-memory index and the matching of components against it.
//!
//! A component matches an advisory in one of three ways, each explained
//! in its [`Reason`]:
//! - by package: its purl names a package an OSV or RustSec advisory
//!   lists, and its version lies in one of the advisory's ranges (ordered
//!   exactly as the ecosystem orders versions) or in its `versions` list,
//!   unless the component is the project's own package
//!   ([`Component::local`]);
//! - by CPE: an NVD configuration holds for the CPEs of the whole
//!   inventory (an SBOM), AND nodes and platform conditions included, and
//!   one of its vulnerable criteria matched this component's CPE;
//! - never by name alone: a component with neither purl nor CPE is
//!   counted as unmatched, so that no finding rests on a guess.
//!
//! Advisories that name each other (GHSA ↔ CVE ↔ GO/PYSEC/RUSTSEC) are one
//! vulnerability: a component gets one finding per vulnerability, with
//! every reason, the best CVSS of all its advisories, KEV and EPSS.
//!
//! The index's lookup keys exist as text too ([`crate::keys`]), so that a
//! store can hand over only the records some components need: an index of
//! those records, added in the same order, finds exactly what the index of
//! every record finds for these components.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use medsec_cpe::Cpe;
use medsec_version::{Ecosystem, Scheme, Version};

use crate::feed::{Kind, Record};
use crate::score::{self, Level, Severity};
use crate::{Advisory, Affected, Result, epss, kev};

/// A component to match: what an SBOM says about one package.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub name: String,
    /// Who supplies it (SBOM supplier), for advisories that name products
    /// by vendor.
    pub supplier: Option<String>,
    pub version: Option<String>,
    pub purl: Option<Purl>,
    /// CPE 2.3 names (or 2.2 URIs).
    pub cpes: Vec<String>,
    /// The project's own package, not one from a registry: a lock file's
    /// path dependency or workspace member (`medsec:local` from
    /// [`medsec_sbom::generate`]). Its purl only looks like a registry
    /// package of the same name (zola's `components/imageproc` is not the
    /// crates.io crate `imageproc`), so it is not matched against package
    /// advisories, as cargo audit skips packages without a registry source.
    pub local: bool,
}

impl Component {
    /// The query for one SBOM component.
    pub fn from_sbom(c: &medsec_sbom::Component) -> Component {
        Component {
            name: c.name.clone(),
            supplier: c.supplier.as_ref().map(|s| s.name.clone()),
            version: c.version.clone(),
            purl: c.purl.as_ref().map(|p| Purl {
                ty: p.ty().to_owned(),
                namespace: p.namespace().map(str::to_owned),
                name: p.name().to_owned(),
                version: p.version().map(str::to_owned),
                qualifiers: p
                    .qualifiers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }),
            cpes: c.cpes.clone(),
            local: c.property(medsec_sbom::generate::LOCAL) == Some("true"),
        }
    }

    /// The package the index looks this component up by: the ecosystem
    /// and the name as the ecosystem compares it. `None` for a local
    /// component and one without a purl the ecosystems know.
    pub(crate) fn package_query(&self) -> Option<(Ecosystem, String)> {
        if self.local {
            return None;
        }
        let (ecosystem, name) = self.purl.as_ref()?.package()?;
        let normalised = match ecosystem.normalize_name(&name) {
            Cow::Owned(n) => Some(n),
            Cow::Borrowed(_) => None,
        };
        Some((ecosystem, normalised.unwrap_or(name)))
    }

    /// The CSAF product name the index looks this component up by: only
    /// with a supplier, since names alone are matched with the vendor.
    pub(crate) fn csaf_name_query(&self) -> Option<String> {
        self.supplier
            .as_ref()
            .map(|_| self.name.trim().to_lowercase())
    }
}

/// The parts of a package URL the matcher needs, already decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The ecosystem and the package name as OSV writes it.
    pub fn package(&self) -> Option<(Ecosystem, String)> {
        let ecosystem = Ecosystem::from_purl(&self.ty, self.namespace.as_deref())?;
        let name = match (ecosystem, self.namespace.as_deref()) {
            (Ecosystem::Maven, Some(ns)) => format!("{ns}:{}", self.name),
            (
                Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist | Ecosystem::GitHubActions,
                Some(ns),
            ) if !ns.is_empty() => format!("{ns}/{}", self.name),
            // OSV's Debian and Ubuntu records name source packages; a
            // binary package's purl says its source in `upstream` (syft)
            // or `source`.
            (Ecosystem::Debian | Ecosystem::Ubuntu, _) => self
                .qualifier("upstream")
                .or(self.qualifier("source"))
                .map(|s| s.split_once('@').map_or(s, |(n, _)| n).to_owned())
                .unwrap_or_else(|| self.name.clone()),
            _ => self.name.clone(),
        };
        Some((ecosystem, name))
    }
}

/// Why a component matched an advisory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    /// The advisory that says so (`GHSA-…`, `CVE-…` for an NVD record).
    pub advisory: String,
    pub kind: &'static str,
    pub text: String,
    /// The advisory's own RustSec informational kind (`unmaintained`,
    /// `unsound`, `notice`), when it is a warning rather than a
    /// vulnerability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
}

/// One vulnerability of one component.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// Index into the components passed to [`Database::matches`].
    pub component: usize,
    /// The id shown: the CVE when there is one, else the first advisory.
    pub id: String,
    /// Every other id of the vulnerability.
    pub aliases: Vec<String>,
    pub summary: String,
    pub reasons: Vec<Reason>,
    /// The score shown (see [`score`]) and all others.
    pub cvss: Option<Severity>,
    pub level: Option<Level>,
    pub kev: Option<KevFlag>,
    pub epss: Option<EpssScore>,
    pub priority: f32,
    /// RustSec's informational kind (`unmaintained`, `unsound`): a
    /// warning rather than a vulnerability. Set only when every advisory
    /// that matched is informational, so that an alias never turns a
    /// vulnerability into a warning; the most serious kind when they
    /// differ (see [`Reason::informational`] for each one's).
    pub informational: Option<String>,
    /// Versions that fix it, when the advisories say.
    pub fixed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KevFlag {
    pub date_added: String,
    pub due_date: String,
    pub ransomware: bool,
    pub required_action: String,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpssScore {
    pub probability: f32,
    pub percentile: f32,
}

/// Counts of what a database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub advisories: usize,
    pub vulnerabilities: usize,
    pub packages: usize,
    pub configurations: usize,
    pub kev: usize,
    pub epss: usize,
    pub by_kind: BTreeMap<&'static str, usize>,
}

/// Entries by name: (advisory, index of its affected package,
/// configuration or product).
type Postings = HashMap<Box<str>, Vec<(u32, u32)>>;

/// One affected package of one advisory, in the package index.
struct Posting {
    advisory: u32,
    entry: u32,
    affected: Affected,
}

/// The index: advisories by package and by CPE, alias groups, KEV, EPSS.
#[derive(Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    /// Affected packages by ecosystem and name, each with a copy of its
    /// ranges kept next to the others of the same package: a lookup reads
    /// one contiguous list instead of chasing every advisory.
    packages: HashMap<Ecosystem, HashMap<Box<str>, Vec<Posting>>>,
    /// (vendor, product) of vulnerable criteria → (advisory, configuration).
    cpes: HashMap<Box<str>, Postings>,
    /// CSAF products by lower-cased product name → (advisory, product).
    csaf_names: HashMap<Box<str>, Vec<(u32, u32)>>,
    /// CSAF products with a CPE, by CPE vendor and product.
    csaf_cpes: HashMap<Box<str>, Postings>,
    /// The alias group of each advisory.
    group_of: Vec<u32>,
    groups: Vec<Group>,
    kev: HashMap<Box<str>, kev::Entry>,
    epss: HashMap<Box<str>, epss::Score>,
    built: bool,
}

struct Group {
    /// Every id of the vulnerability, the display id first.
    ids: Vec<String>,
    members: Vec<u32>,
    severity: Option<Severity>,
    label: Option<Level>,
    kev: Option<Box<str>>,
    epss: Option<epss::Score>,
    summary: String,
}

impl Database {
    pub fn new() -> Database {
        Database::default()
    }

    /// Adds one stored record: an advisory, a KEV entry or an EPSS score.
    pub fn add_record(&mut self, record: &Record) -> Result<()> {
        match record.kind {
            Kind::Kev => {
                let entry = kev::Entry::parse(&record.body)?;
                self.kev.insert(entry.cve_id.clone().into(), entry);
            }
            Kind::Epss => {
                let score = epss::Score::parse(&record.body)
                    .ok_or_else(|| crate::Error::invalid(&record.origin, "not an EPSS score"))?;
                self.epss.insert(record.id.as_str().into(), score);
            }
            Kind::Osv | Kind::Nvd | Kind::RustSec | Kind::Csaf => {
                for advisory in Advisory::parse(record)? {
                    self.add(advisory);
                }
            }
            // ATT&CK is not vulnerability data.
            Kind::Attack => return Ok(()),
        }
        self.built = false;
        Ok(())
    }

    pub fn add(&mut self, advisory: Advisory) {
        let i = self.advisories.len() as u32;
        // A withdrawn advisory stays in the database (its id still
        // joins aliases) but matches nothing.
        let matchable = advisory.withdrawn.is_none();
        for (j, affected) in advisory.affected.iter().enumerate().filter(|_| matchable) {
            self.packages
                .entry(affected.ecosystem)
                .or_default()
                .entry(affected.name.as_str().into())
                .or_default()
                .push(Posting {
                    advisory: i,
                    entry: j as u32,
                    affected: affected.clone(),
                });
        }
        for (j, configuration) in advisory.configurations.iter().enumerate() {
            let mut keys: Vec<(&str, &str)> = configuration
                .keys()
                .map(|(_, vendor, product)| (vendor, product))
                .collect();
            keys.sort();
            keys.dedup();
            for (vendor, product) in keys {
                self.cpes
                    .entry(vendor.into())
                    .or_default()
                    .entry(product.into())
                    .or_default()
                    .push((i, j as u32));
            }
        }
        for (j, product) in advisory.products.iter().enumerate() {
            match &product.cpe {
                Some(cpe) => self
                    .csaf_cpes
                    .entry(cpe.vendor().into())
                    .or_default()
                    .entry(cpe.product().into())
                    .or_default()
                    .push((i, j as u32)),
                None if !product.product.is_empty() => self
                    .csaf_names
                    .entry(product.product.as_str().into())
                    .or_default()
                    .push((i, j as u32)),
                None => {}
            }
        }
        self.advisories.push(advisory);
        self.built = false;
    }

    /// Joins advisories that name each other into vulnerabilities and
    /// attaches KEV, EPSS and the best score. Call after adding.
    pub fn build(&mut self) {
        let n = self.advisories.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                let up = parent[parent[x as usize] as usize];
                parent[x as usize] = up;
                x = up;
            }
            x
        }
        let mut by_id: HashMap<&str, u32> = HashMap::with_capacity(n * 2);
        for (i, a) in self.advisories.iter().enumerate() {
            for id in std::iter::once(&a.id).chain(&a.aliases) {
                match by_id.get(id.as_str()) {
                    Some(&other) => {
                        let (x, y) = (find(&mut parent, i as u32), find(&mut parent, other));
                        if x != y {
                            parent[x.max(y) as usize] = x.min(y);
                        }
                    }
                    None => {
                        by_id.insert(id.as_str(), i as u32);
                    }
                }
            }
        }
        let mut group_index: HashMap<u32, u32> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of = vec![0u32; n];
        for i in 0..n as u32 {
            let root = find(&mut parent, i);
            let g = *group_index.entry(root).or_insert_with(|| {
                groups.push(Group {
                    ids: Vec::new(),
                    members: Vec::new(),
                    severity: None,
                    label: None,
                    kev: None,
                    epss: None,
                    summary: String::new(),
                });
                groups.len() as u32 - 1
            });
            group_of[i as usize] = g;
            groups[g as usize].members.push(i);
        }
        for group in &mut groups {
            let mut ids: Vec<String> = Vec::new();
            let mut scores: Vec<Severity> = Vec::new();
            let mut label = None;
            for &m in &group.members {
                let a = &self.advisories[m as usize];
                ids.push(a.id.clone());
                ids.extend(a.aliases.iter().cloned());
                scores.extend(a.severity.iter().cloned());
                label = label.max(a.severity_label);
            }
            ids.sort_by(|a, b| id_rank(a).cmp(&id_rank(b)).then_with(|| a.cmp(b)));
            ids.dedup();
            group.severity = score::best(&scores).cloned();
            group.label = label;
            let cves: Vec<&String> = ids.iter().filter(|id| id.starts_with("CVE-")).collect();
            group.kev = cves
                .iter()
                .find(|c| self.kev.contains_key(c.as_str()))
                .map(|c| c.as_str().into());
            group.epss = cves
                .iter()
                .filter_map(|c| self.epss.get(c.as_str()).copied())
                .max_by(|a, b| a.probability.total_cmp(&b.probability));
            group.ids = ids;
            // The summary of the first advisory that has one, preferring
            // package advisories (their summaries are short titles).
            group.summary = group
                .members
                .iter()
                .map(|&m| &self.advisories[m as usize])
                .filter(|a| !a.summary.is_empty())
                .min_by(|a, b| {
                    (a.kind == Some(Kind::Nvd), &a.id).cmp(&(b.kind == Some(Kind::Nvd), &b.id))
                })
                .map(|a| a.summary.clone())
                .unwrap_or_default();
        }
        self.group_of = group_of;
        self.groups = groups;
        self.built = true;
    }

    pub fn stats(&self) -> Stats {
        let mut by_kind = BTreeMap::new();
        for a in &self.advisories {
            if let Some(k) = a.kind {
                *by_kind.entry(k.as_str()).or_default() += 1;
            }
        }
        Stats {
            advisories: self.advisories.len(),
            vulnerabilities: self.groups.len(),
            packages: self.packages.values().map(HashMap::len).sum(),
            configurations: self.advisories.iter().map(|a| a.configurations.len()).sum(),
            kev: self.kev.len(),
            epss: self.epss.len(),
            by_kind,
        }
    }

    /// Matches the components of one inventory (an SBOM) and returns
    /// their findings, most urgent first.
    pub fn matches(&mut self, components: &[Component]) -> Vec<Finding> {
        if !self.built {
            self.build();
        }
        self.matches_built(components)
    }

    /// As [`Database::matches`], on a database already built.
    pub fn matches_built(&self, components: &[Component]) -> Vec<Finding> {
        // (component, group) → reasons and fixed versions.
        let mut hits: BTreeMap<(usize, u32), (Vec<Reason>, Vec<String>)> = BTreeMap::new();
        for (c, component) in components.iter().enumerate() {
            self.match_package(component, &mut |advisory, reason, fixed| {
                let g = self.group_of[advisory as usize];
                let entry = hits.entry((c, g)).or_default();
                entry.0.push(reason);
                entry.1.extend(fixed);
            });
        }
        for (c, component) in components.iter().enumerate() {
            self.match_csaf(component, &mut |advisory, reason| {
                let g = self.group_of[advisory as usize];
                hits.entry((c, g)).or_default().0.push(reason);
            });
        }
        self.match_cpes(components, &mut |c, advisory, reason| {
            let g = self.group_of[advisory as usize];
            hits.entry((c, g)).or_default().0.push(reason);
        });
        let mut findings: Vec<Finding> = hits
            .into_iter()
            .map(|((c, g), (reasons, fixed))| self.finding(c, g, reasons, fixed))
            .collect();
        findings.sort_by(|a, b| {
            b.priority
                .total_cmp(&a.priority)
                .then_with(|| a.component.cmp(&b.component))
                .then_with(|| a.id.cmp(&b.id))
        });
        findings
    }

    fn finding(
        &self,
        component: usize,
        g: u32,
        mut reasons: Vec<Reason>,
        mut fixed: Vec<String>,
    ) -> Finding {
        let group = &self.groups[g as usize];
        reasons.sort_by(|a, b| {
            a.advisory
                .cmp(&b.advisory)
                .then_with(|| a.text.cmp(&b.text))
        });
        reasons.dedup();
        fixed.sort();
        fixed.dedup();
        let kev = group
            .kev
            .as_ref()
            .and_then(|c| self.kev.get(c))
            .map(|e| KevFlag {
                date_added: e.date_added.clone(),
                due_date: e.due_date.clone(),
                ransomware: e
                    .known_ransomware_campaign_use
                    .eq_ignore_ascii_case("known"),
                required_action: e.required_action.clone(),
            });
        let epss = group.epss.map(|s| EpssScore {
            probability: s.probability,
            percentile: s.percentile,
        });
        let level = group.severity.as_ref().map(Severity::level).or(group.label);
        let priority = score::priority(
            group.severity.as_ref().map(|s| s.score),
            group.label,
            epss.map(|e| e.percentile),
            kev.is_some(),
        );
        let summary = group.summary.clone();
        // The advisories that matched decide, not the whole alias group:
        // RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036 (unmaintained)
        // share their aliases, and a vulnerability that shares an alias
        // with an informational advisory stays a vulnerability.
        let informational = if reasons.iter().any(|r| r.informational.is_none()) {
            None
        } else {
            reasons
                .iter()
                .filter_map(|r| r.informational.as_deref())
                .min_by_key(|kind| (informational_rank(kind), *kind))
                .map(str::to_owned)
        };
        let mut ids = group.ids.iter();
        let id = ids.next().cloned().unwrap_or_default();
        Finding {
            component,
            id,
            aliases: ids.cloned().collect(),
            summary,
            reasons,
            cvss: group.severity.clone(),
            level,
            kev,
            epss,
            priority,
            informational,
            fixed,
        }
    }

    /// The package advisories that affect a component, without explaining
    /// them: the hot path, which allocates only to parse the component's
    /// version once per ordering scheme. `parsed` is scratch space
    /// reused across calls.
    pub fn lookup(&self, component: &Component, parsed: &mut Parsed, out: &mut Vec<Hit>) {
        parsed.clear();
        let Some(purl) = &component.purl else {
            return;
        };
        let Some((ecosystem, key)) = component.package_query() else {
            return;
        };
        let Some(version) = purl.version.as_deref().or(component.version.as_deref()) else {
            return;
        };
        let Some(candidates) = self
            .packages
            .get(&ecosystem)
            .and_then(|m| m.get(key.as_str()))
        else {
            return;
        };
        let namespace = purl.namespace.as_deref().map(str::to_ascii_lowercase);
        for p in candidates {
            // An RPM advisory holds for its own distribution only; a
            // component that does not say its distribution matches none.
            if let Some(distro) = &p.affected.distro
                && namespace.as_deref() != Some(distro.as_str())
            {
                continue;
            }
            if let Some(how) = affected_how(&p.affected, version, parsed) {
                out.push(Hit {
                    advisory: p.advisory,
                    entry: p.entry,
                    how,
                });
            }
        }
    }

    fn match_package(&self, component: &Component, hit: &mut dyn FnMut(u32, Reason, Vec<String>)) {
        let mut parsed = Parsed::default();
        let mut hits = Vec::new();
        self.lookup(component, &mut parsed, &mut hits);
        let Some(version) = component
            .purl
            .as_ref()
            .and_then(|p| p.version.as_deref())
            .or(component.version.as_deref())
        else {
            return;
        };
        for h in hits {
            let advisory = &self.advisories[h.advisory as usize];
            let affected = &advisory.affected[h.entry as usize];
            let (text, fixed) = explain(affected, h.how, &parsed);
            hit(
                h.advisory,
                Reason {
                    advisory: advisory.id.clone(),
                    kind: "package",
                    text: format!(
                        "{} {} {version}: {text}",
                        affected.ecosystem.osv_name(),
                        affected.display_name
                    ),
                    informational: advisory.informational.clone(),
                },
                fixed,
            );
        }
    }

    /// CSAF products: by CPE when the product has one, else by vendor and
    /// product name with the version inside the product's versions.
    fn match_csaf(&self, component: &Component, hit: &mut dyn FnMut(u32, Reason)) {
        let mut candidates: Vec<(u32, u32, Option<String>)> = Vec::new();
        for text in &component.cpes {
            let Ok(target) = Cpe::parse(text) else {
                continue;
            };
            let Some(list) = self
                .csaf_cpes
                .get(target.vendor())
                .and_then(|p| p.get(target.product()))
            else {
                continue;
            };
            for &(a, j) in list {
                let product = &self.advisories[a as usize].products[j as usize];
                if product.cpe.as_ref().is_some_and(|c| c.matches(&target)) {
                    candidates.push((a, j, Some(format!("its CPE {target}"))));
                }
            }
        }
        if let (Some(supplier), Some(list)) = (
            &component.supplier,
            component
                .csaf_name_query()
                .and_then(|name| self.csaf_names.get(name.as_str())),
        ) {
            let supplier = supplier.trim().to_lowercase();
            for &(a, j) in list {
                let product = &self.advisories[a as usize].products[j as usize];
                let vendor_matches = !product.vendor.is_empty()
                    && (supplier == product.vendor
                        || supplier.starts_with(&format!("{} ", product.vendor))
                        || product.vendor.starts_with(&format!("{supplier} ")));
                if vendor_matches && product.contains(component.version.as_deref()) {
                    candidates.push((a, j, None));
                }
            }
        }
        for (a, j, by_cpe) in candidates {
            let advisory = &self.advisories[a as usize];
            let product = &advisory.products[j as usize];
            let how = by_cpe.unwrap_or_else(|| {
                format!(
                    "vendor and product name, version {} in {}",
                    component.version.as_deref().unwrap_or("-"),
                    product.describe()
                )
            });
            let mut text = format!(
                "CSAF {}: {} is {} (matched by {how})",
                product.document, product.full_name, product.status
            );
            if let Some(r) = &product.remediation {
                text.push_str(&format!("; remediation: {}", crate::osv::first_sentence(r)));
            }
            hit(
                a,
                Reason {
                    advisory: product.document.clone(),
                    kind: "csaf",
                    text,
                    informational: advisory.informational.clone(),
                },
            );
        }
    }

    fn match_cpes(&self, components: &[Component], hit: &mut dyn FnMut(usize, u32, Reason)) {
        let mut inventory: Vec<Cpe> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (c, component) in components.iter().enumerate() {
            for text in &component.cpes {
                if let Ok(cpe) = Cpe::parse(text) {
                    inventory.push(cpe);
                    owner.push(c);
                }
            }
        }
        if inventory.is_empty() {
            return;
        }
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        for cpe in &inventory {
            if let Some(list) = self
                .cpes
                .get(cpe.vendor())
                .and_then(|products| products.get(cpe.product()))
            {
                candidates.extend_from_slice(list);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for (a, j) in candidates {
            let advisory = &self.advisories[a as usize];
            if advisory.withdrawn.is_some() {
                continue;
            }
            let configuration = &advisory.configurations[j as usize];
            let Some(m) = configuration.evaluate(&inventory) else {
                continue;
            };
            let platform: Vec<String> = m
                .platform
                .iter()
                .map(|p| format!("{} on {}", p.criteria, inventory[p.target]))
                .collect();
            for v in &m.vulnerable {
                let mut text = format!(
                    "NVD configuration {}: {} {}matches {}",
                    j + 1,
                    v.criteria,
                    if v.bounds.is_empty() {
                        String::new()
                    } else {
                        format!("({}) ", v.bounds)
                    },
                    inventory[v.target]
                );
                if !platform.is_empty() {
                    text.push_str(&format!(", running on {}", platform.join(" and ")));
                }
                hit(
                    owner[v.target],
                    a,
                    Reason {
                        advisory: advisory.id.clone(),
                        kind: "cpe",
                        text,
                        informational: advisory.informational.clone(),
                    },
                );
            }
        }
    }
}

/// The order of RustSec's informational kinds when one finding has
/// several: unsoundness first, as it is a memory-safety defect.
fn informational_rank(kind: &str) -> u8 {
    match kind {
        "unsound" => 0,
        "notice" => 1,
        "unmaintained" => 2,
        _ => 3,
    }
}

/// The display order of ids: CVE first, then GHSA, then the rest.
fn id_rank(id: &str) -> u8 {
    if id.starts_with("CVE-") {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else {
        2
    }
}

/// A component's version parsed once per ordering scheme (`None` when
/// the scheme rejects it).
#[derive(Default)]
pub struct Parsed(Vec<(Scheme, Option<Version>)>);

impl Parsed {
    fn clear(&mut self) {
        self.0.clear();
    }

    fn get(&mut self, scheme: Scheme, version: &str) -> Option<&Version> {
        let i = match self.0.iter().position(|(s, _)| *s == scheme) {
            Some(i) => i,
            None => {
                self.0.push((scheme, scheme.parse(version).ok()));
                self.0.len() - 1
            }
        };
        self.0.get(i).and_then(|(_, v)| v.as_ref())
    }

    fn peek(&self, scheme: Scheme) -> Option<&Version> {
        self.0
            .iter()
            .find(|(s, _)| *s == scheme)
            .and_then(|(_, v)| v.as_ref())
    }
}

/// A package advisory that affects a component, before it is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub advisory: u32,
    /// Index of the affected package in the advisory.
    pub entry: u32,
    pub how: How,
}

/// Which part of an affected package matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Range(u16),
    Listed,
    RustSec,
}

/// Whether `version` is affected, and by which part.
fn affected_how(affected: &Affected, version: &str, parsed: &mut Parsed) -> Option<How> {
    if let Some(rules) = &affected.rustsec {
        let v = semver::Version::parse(version.trim_start_matches('v')).ok()?;
        return rules.exempts(&v).is_none().then_some(How::RustSec);
    }
    for (i, range) in affected.ranges.iter().enumerate() {
        let Some(scheme) = range.scheme() else {
            continue;
        };
        if let Some(v) = parsed.get(scheme, version)
            && range.contains(v)
        {
            return Some(How::Range(i as u16));
        }
    }
    affected
        .versions
        .iter()
        .any(|v| v == version)
        .then_some(How::Listed)
}

/// Why a hit matched, and the versions that fix it.
fn explain(affected: &Affected, how: How, parsed: &Parsed) -> (String, Vec<String>) {
    match how {
        How::RustSec => match &affected.rustsec {
            Some(rules) => (
                rules.describe(),
                rules.patched.iter().map(|r| r.text.clone()).collect(),
            ),
            None => (String::new(), Vec::new()),
        },
        How::Range(i) => {
            let range = &affected.ranges[usize::from(i)];
            let interval = range
                .scheme()
                .and_then(|s| parsed.peek(s))
                .and_then(|v| range.affects(v));
            let kind = match range.range_type() {
                medsec_version::osv::RangeType::Semver => "SEMVER",
                medsec_version::osv::RangeType::Ecosystem => "ECOSYSTEM",
                medsec_version::osv::RangeType::Git => "GIT",
            };
            match interval {
                Some(interval) => {
                    let fixed = interval.fixed.iter().cloned().collect();
                    (format!("in the {kind} range {interval}"), fixed)
                }
                None => (format!("in a {kind} range"), Vec::new()),
            }
        }
        How::Listed => {
            let mut text = "listed among the affected versions".to_owned();
            if !affected.skipped_ranges.is_empty() {
                text.push_str(&format!(
                    " ({} not evaluable: {})",
                    if affected.skipped_ranges.len() == 1 {
                        "one range"
                    } else {
                        "ranges"
                    },
                    affected.skipped_ranges.join("; ")
                ));
            }
            (text, Vec::new())
        }
    }
}

#[cfg(test)]
mod tests;
