//! The mandatory tests of CSAF 2.0 (section 6.1), as far as they need no
//! external catalogue: each failure is a [`Diagnostic`] naming the test and
//! the JSON pointer of the offending value. Where the specification leaves
//! room, the tests do what the OASIS validator test documents demand (and
//! what the reference validator, secvisogram's csaf-validator-lib, does).

pub(crate) mod cvss;
mod profile;
mod tracking;

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::MAX_BRANCH_DEPTH;
use crate::model::{Advisory, Branch, FullProductName, Justification};

/// One failed mandatory test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The test's section number, e.g. `6.1.27.9`.
    pub test: &'static str,
    /// JSON pointer of the value that fails it.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at `{}`: {}", self.test, self.path, self.message)
    }
}

/// The mandatory tests [`check`] runs.
pub const IMPLEMENTED_TESTS: &[&str] = &[
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

/// The mandatory tests [`check`] does not run, and why.
pub const NOT_IMPLEMENTED_TESTS: &[(&str, &str)] = &[
    (
        "6.1.11",
        "CWE: needs the CWE catalogue to know whether an id exists and its name",
    ),
    (
        "6.1.12",
        "Language: needs the IANA language subtag registry to know whether a tag exists",
    ),
];

/// Runs the implemented mandatory tests. An empty result means the
/// document passes all of them, not that it is valid: the JSON schema and
/// the tests in [`NOT_IMPLEMENTED_TESTS`] are not checked here.
pub fn check(advisory: &Advisory) -> Vec<Diagnostic> {
    let mut c = Checker {
        advisory,
        out: Vec::new(),
        groups: HashMap::new(),
    };
    if let Some(tree) = &advisory.product_tree {
        for g in &tree.product_groups {
            let members = c.groups.entry(g.group_id.as_str()).or_default();
            for id in &g.product_ids {
                if !members.contains(&id.as_str()) {
                    members.push(id.as_str());
                }
            }
        }
    }
    c.product_ids();
    c.groups_and_statuses();
    cvss::check(&mut c);
    c.purls();
    tracking::check(&mut c);
    c.vulnerability_lists();
    c.hashes();
    profile::check(&mut c);
    c.version_ranges();
    c.sort_out();
    c.out
}

pub(crate) struct Checker<'a> {
    pub(crate) advisory: &'a Advisory,
    pub(crate) out: Vec<Diagnostic>,
    /// Group id → product ids, merged over repeated definitions.
    pub(crate) groups: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Checker<'a> {
    pub(crate) fn fail(&mut self, test: &'static str, path: String, message: String) {
        self.out.push(Diagnostic {
            test,
            path,
            message,
        });
    }

    /// Whether a reference by product ids and group ids names `id`.
    pub(crate) fn names(&self, product_ids: &[String], group_ids: &[String], id: &str) -> bool {
        product_ids.iter().any(|p| p == id)
            || group_ids
                .iter()
                .filter_map(|g| self.groups.get(g.as_str()))
                .any(|members| members.contains(&id))
    }

    /// Test order, then document order within a test.
    fn sort_out(&mut self) {
        let rank = |t: &str| {
            IMPLEMENTED_TESTS
                .iter()
                .position(|x| *x == t)
                .unwrap_or(usize::MAX)
        };
        self.out.sort_by_key(|d| rank(d.test));
    }

    /// 6.1.1 Missing Definition of Product ID, 6.1.2 Multiple Definition
    /// of Product ID, 6.1.3 Circular Definition of Product ID.
    fn product_ids(&mut self) {
        let a = self.advisory;
        let mut defined: HashMap<&str, String> = HashMap::new();
        for (fpn, path) in full_product_names(a) {
            if let Some(first) = defined.get(fpn.product_id.as_str()) {
                let message = format!(
                    "product id `{}` is already defined at `{first}`",
                    fpn.product_id
                );
                self.fail("6.1.2", format!("{path}/product_id"), message);
            } else {
                defined.insert(&fpn.product_id, path);
            }
        }

        let mut references: Vec<(&str, String)> = Vec::new();
        if let Some(tree) = &a.product_tree {
            for (i, g) in tree.product_groups.iter().enumerate() {
                for (j, id) in g.product_ids.iter().enumerate() {
                    references.push((
                        id,
                        format!("/product_tree/product_groups/{i}/product_ids/{j}"),
                    ));
                }
            }
            for (i, r) in tree.relationships.iter().enumerate() {
                let at = format!("/product_tree/relationships/{i}");
                references.push((&r.product_reference, format!("{at}/product_reference")));
                references.push((
                    &r.relates_to_product_reference,
                    format!("{at}/relates_to_product_reference"),
                ));
            }
        }
        for (i, v) in a.vulnerabilities.iter().enumerate() {
            let at = format!("/vulnerabilities/{i}");
            if let Some(ps) = &v.product_status {
                for (status, ids) in ps.lists() {
                    for (j, id) in ids.iter().enumerate() {
                        references
                            .push((id, format!("{at}/product_status/{}/{j}", status.as_str())));
                    }
                }
            }
            let lists =
                v.remediations
                    .iter()
                    .enumerate()
                    .map(|(k, r)| (format!("{at}/remediations/{k}/product_ids"), &r.product_ids))
                    .chain(
                        v.scores
                            .iter()
                            .enumerate()
                            .map(|(k, s)| (format!("{at}/scores/{k}/products"), &s.products)),
                    )
                    .chain(
                        v.threats.iter().enumerate().map(|(k, t)| {
                            (format!("{at}/threats/{k}/product_ids"), &t.product_ids)
                        }),
                    )
                    // Flags are not in the 2.0 list (an oversight CSAF 2.1
                    // corrects), but an undefined id there is just as missing.
                    .chain(
                        v.flags
                            .iter()
                            .enumerate()
                            .map(|(k, f)| (format!("{at}/flags/{k}/product_ids"), &f.product_ids)),
                    );
            for (list_path, ids) in lists {
                for (j, id) in ids.iter().enumerate() {
                    references.push((id, format!("{list_path}/{j}")));
                }
            }
        }
        for (id, path) in references {
            if !defined.contains_key(id) {
                self.fail(
                    "6.1.1",
                    path,
                    format!("product id `{id}` is not defined in the product tree"),
                );
            }
        }

        // 6.1.3: follow the references of relationship-defined ids; an id
        // that reaches itself is circular.
        let Some(tree) = &a.product_tree else {
            return;
        };
        let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in &tree.relationships {
            edges
                .entry(r.full_product_name.product_id.as_str())
                .or_default()
                .extend([
                    r.product_reference.as_str(),
                    r.relates_to_product_reference.as_str(),
                ]);
        }
        for (i, r) in tree.relationships.iter().enumerate() {
            let start = r.full_product_name.product_id.as_str();
            let mut seen = HashSet::new();
            let mut todo: Vec<&str> = edges.get(start).cloned().unwrap_or_default();
            let mut circular = false;
            while let Some(id) = todo.pop() {
                if id == start {
                    circular = true;
                    break;
                }
                if seen.insert(id)
                    && let Some(next) = edges.get(id)
                {
                    todo.extend(next);
                }
            }
            if circular {
                self.fail(
                    "6.1.3",
                    format!("/product_tree/relationships/{i}/full_product_name/product_id"),
                    format!("product id `{start}` is defined through itself"),
                );
            }
        }
    }

    /// 6.1.4 Missing Definition of Product Group ID, 6.1.5 Multiple
    /// Definition of Product Group ID, 6.1.6 Contradicting Product Status,
    /// 6.1.7 Multiple Scores with same Version per Product.
    fn groups_and_statuses(&mut self) {
        let a = self.advisory;
        if let Some(tree) = &a.product_tree {
            let mut first = HashMap::new();
            for (i, g) in tree.product_groups.iter().enumerate() {
                if let Some(j) = first.insert(g.group_id.as_str(), i) {
                    first.insert(g.group_id.as_str(), j);
                    self.fail(
                        "6.1.5",
                        format!("/product_tree/product_groups/{i}/group_id"),
                        format!(
                            "group id `{}` is already defined at `/product_tree/product_groups/{j}`",
                            g.group_id
                        ),
                    );
                }
            }
        }
        for (i, v) in a.vulnerabilities.iter().enumerate() {
            let at = format!("/vulnerabilities/{i}");
            let lists = v
                .remediations
                .iter()
                .enumerate()
                .map(|(k, r)| (format!("{at}/remediations/{k}/group_ids"), &r.group_ids))
                .chain(
                    v.threats
                        .iter()
                        .enumerate()
                        .map(|(k, t)| (format!("{at}/threats/{k}/group_ids"), &t.group_ids)),
                )
                .chain(
                    v.flags
                        .iter()
                        .enumerate()
                        .map(|(k, f)| (format!("{at}/flags/{k}/group_ids"), &f.group_ids)),
                )
                .collect::<Vec<_>>();
            for (list_path, ids) in lists {
                for (j, id) in ids.iter().enumerate() {
                    if !self.groups.contains_key(id.as_str()) {
                        self.fail(
                            "6.1.4",
                            format!("{list_path}/{j}"),
                            format!("group id `{id}` is not defined in the product tree"),
                        );
                    }
                }
            }

            if let Some(ps) = &v.product_status {
                let classes: [(&str, Vec<&[String]>); 4] = [
                    (
                        "affected",
                        vec![&ps.first_affected, &ps.known_affected, &ps.last_affected],
                    ),
                    ("not affected", vec![&ps.known_not_affected]),
                    ("fixed", vec![&ps.first_fixed, &ps.fixed]),
                    ("under investigation", vec![&ps.under_investigation]),
                ];
                let mut class_of: HashMap<&str, &str> = HashMap::new();
                let mut reported = HashSet::new();
                for (class, lists) in &classes {
                    for id in lists.iter().flat_map(|l| l.iter()) {
                        match class_of.get(id.as_str()) {
                            Some(other) if other != class => {
                                if reported.insert(id.as_str()) {
                                    self.fail(
                                        "6.1.6",
                                        format!("{at}/product_status"),
                                        format!("product id `{id}` is both {other} and {class}"),
                                    );
                                }
                            }
                            Some(_) => {}
                            None => {
                                class_of.insert(id, class);
                            }
                        }
                    }
                }
            }

            let mut versions: HashMap<&str, HashSet<&str>> = HashMap::new();
            for (k, s) in v.scores.iter().enumerate() {
                let these: Vec<&str> = [
                    s.cvss_v2.as_ref().and_then(|c| c.version.as_deref()),
                    s.cvss_v3.as_ref().and_then(|c| c.version.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                for (j, id) in s.products.iter().enumerate() {
                    let seen = versions.entry(id).or_default();
                    for version in &these {
                        if !seen.insert(version) {
                            self.fail(
                                "6.1.7",
                                format!("{at}/scores/{k}/products/{j}"),
                                format!(
                                    "product id `{id}` already has a CVSS {version} score in this vulnerability"
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    /// 6.1.13 PURL: every purl parses as a package URL with a type and a
    /// name.
    fn purls(&mut self) {
        for (fpn, path) in full_product_names(self.advisory) {
            let Some(purl) = fpn
                .product_identification_helper
                .as_ref()
                .and_then(|h| h.purl.as_deref())
            else {
                continue;
            };
            if let Err(e) = purl.parse::<packageurl::PackageUrl<'_>>() {
                self.fail(
                    "6.1.13",
                    format!("{path}/product_identification_helper/purl"),
                    format!("`{purl}` is not a valid package URL: {e}"),
                );
            }
        }
    }

    /// 6.1.23 Multiple Use of Same CVE, 6.1.24 Multiple Definition in
    /// Involvements, 6.1.29 Remediation without Product Reference, 6.1.32
    /// Flag without Product Reference, 6.1.33 Multiple Flags with VEX
    /// Justification Codes per Product.
    fn vulnerability_lists(&mut self) {
        let a = self.advisory;
        let mut cves: HashMap<&str, usize> = HashMap::new();
        for (i, v) in a.vulnerabilities.iter().enumerate() {
            let at = format!("/vulnerabilities/{i}");
            if let Some(cve) = &v.cve {
                if let Some(j) = cves.get(cve.as_str()) {
                    self.fail(
                        "6.1.23",
                        format!("{at}/cve"),
                        format!("`{cve}` is already the CVE of `/vulnerabilities/{j}`"),
                    );
                } else {
                    cves.insert(cve, i);
                }
            }

            let mut parties = HashSet::new();
            for (k, inv) in v.involvements.iter().enumerate() {
                // Involvements without a date cannot clash: the reference
                // validator skips them too.
                let Some(date) = &inv.date else { continue };
                let when = tracking::instant(date).map_or_else(|| date.clone(), |t| t.to_string());
                if !parties.insert((inv.party, when)) {
                    self.fail(
                        "6.1.24",
                        format!("{at}/involvements/{k}"),
                        format!(
                            "the party `{}` already has an involvement at {date}",
                            serde_name(&inv.party)
                        ),
                    );
                }
            }

            for (k, r) in v.remediations.iter().enumerate() {
                if r.product_ids.is_empty() && r.group_ids.is_empty() {
                    self.fail(
                        "6.1.29",
                        format!("{at}/remediations/{k}"),
                        "the remediation names neither product_ids nor group_ids".to_owned(),
                    );
                }
            }

            let mut justified: HashMap<&str, Justification> = HashMap::new();
            for (k, f) in v.flags.iter().enumerate() {
                if f.product_ids.is_empty() && f.group_ids.is_empty() {
                    self.fail(
                        "6.1.32",
                        format!("{at}/flags/{k}"),
                        "the flag names neither product_ids nor group_ids".to_owned(),
                    );
                }
                let members: Vec<&str> = f
                    .product_ids
                    .iter()
                    .map(String::as_str)
                    .chain(
                        f.group_ids
                            .iter()
                            .filter_map(|g| self.groups.get(g.as_str()))
                            .flatten()
                            .copied(),
                    )
                    .collect();
                let mut clash = None;
                let mut seen = HashSet::new();
                for id in members.into_iter().filter(|id| seen.insert(*id)) {
                    if let Some(before) = justified.insert(id, f.label) {
                        clash.get_or_insert((id, before));
                    }
                }
                if let Some((id, before)) = clash {
                    self.fail(
                        "6.1.33",
                        format!("{at}/flags/{k}"),
                        format!(
                            "product id `{id}` already has the VEX justification `{}`",
                            serde_name(&before)
                        ),
                    );
                }
            }
        }
    }

    /// 6.1.25 Multiple Use of Same Hash Algorithm.
    fn hashes(&mut self) {
        for (fpn, path) in full_product_names(self.advisory) {
            let Some(helper) = &fpn.product_identification_helper else {
                continue;
            };
            for (i, h) in helper.hashes.iter().enumerate() {
                let mut seen = HashSet::new();
                for (j, fh) in h.file_hashes.iter().enumerate() {
                    if !seen.insert(fh.algorithm.to_ascii_lowercase()) {
                        self.fail(
                            "6.1.25",
                            format!(
                                "{path}/product_identification_helper/hashes/{i}/file_hashes/{j}/algorithm"
                            ),
                            format!(
                                "the hash algorithm `{}` is used twice for `{}`",
                                fh.algorithm, h.filename
                            ),
                        );
                    }
                }
            }
        }
    }

    /// 6.1.31 Version Range in Product Version.
    fn version_ranges(&mut self) {
        let Some(tree) = &self.advisory.product_tree else {
            return;
        };
        for (branch, path) in branches(&tree.branches) {
            if branch.category == crate::model::BranchCategory::ProductVersion
                && is_version_range(&branch.name)
            {
                self.fail(
                    "6.1.31",
                    format!("{path}/name"),
                    format!(
                        "`{}` is a version range but the branch category is product_version",
                        branch.name
                    ),
                );
            }
        }
    }
}

/// Whether a product version name is a range, as 6.1.31 deems sufficient:
/// a comparison operator anywhere, or one of the range words as a whole
/// word (`after-eight` is a version, `4.2 and later` is not). A `vers:`
/// string is a range by definition, though the test does not list it.
pub(crate) fn is_version_range(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.contains(['<', '>'])
        || lower.starts_with("vers:")
        || lower.split_whitespace().any(|w| {
            [
                "after", "all", "before", "earlier", "later", "prior", "versions",
            ]
            .contains(&w)
        })
}

/// The JSON spelling of a unit enum value.
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Every branch with its JSON pointer, depth first, at most
/// [`MAX_BRANCH_DEPTH`] levels deep. Iterative, so a hostile tree built in
/// memory cannot exhaust the stack here.
pub(crate) fn branches(roots: &[Branch]) -> Vec<(&Branch, String)> {
    let mut out = Vec::new();
    let mut todo: Vec<(&Branch, String, usize)> = roots
        .iter()
        .enumerate()
        .rev()
        .map(|(i, b)| (b, format!("/product_tree/branches/{i}"), 1))
        .collect();
    while let Some((branch, path, depth)) = todo.pop() {
        if depth < MAX_BRANCH_DEPTH {
            todo.extend(
                branch
                    .branches
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, b)| (b, format!("{path}/branches/{i}"), depth + 1)),
            );
        }
        out.push((branch, path));
    }
    out
}

/// Every product definition with the JSON pointer of its
/// `full_product_name`: branches, `full_product_names`, relationships.
pub(crate) fn full_product_names(a: &Advisory) -> Vec<(&FullProductName, String)> {
    let Some(tree) = &a.product_tree else {
        return Vec::new();
    };
    let mut out: Vec<(&FullProductName, String)> = branches(&tree.branches)
        .into_iter()
        .filter_map(|(b, path)| b.product.as_ref().map(|p| (p, format!("{path}/product"))))
        .collect();
    out.extend(
        tree.full_product_names
            .iter()
            .enumerate()
            .map(|(i, p)| (p, format!("/product_tree/full_product_names/{i}"))),
    );
    out.extend(tree.relationships.iter().enumerate().map(|(i, r)| {
        (
            &r.full_product_name,
            format!("/product_tree/relationships/{i}/full_product_name"),
        )
    }));
    out
}
