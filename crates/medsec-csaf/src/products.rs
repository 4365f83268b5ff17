//! The product tree resolved into a flat list of products: each product id
//! with the vendor, name and version its branch path gives it, its
//! identification helpers, and for products defined by a relationship
//! (`installed_on`, `default_component_of`, …) both products it combines.

use std::collections::{HashMap, HashSet};

use crate::MAX_BRANCH_DEPTH;
use crate::model::{
    Advisory, Branch, BranchCategory, FullProductName, Hashes, IdentificationHelper,
    RelationshipCategory,
};
use crate::vers::{Comparator, Constraint, Constraints, Vers};

/// One product of the advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    /// The full name built from the branch path, e.g. `Philips
    /// IntelliSpace Cardiovascular 3.2` (a branch name that repeats the
    /// one before it replaces it instead of being appended). For a product
    /// outside the branches, the name the document gives.
    pub name: String,
    /// The `name` of the product's `full_product_name`, as written.
    pub given_name: String,
    pub vendor: Option<String>,
    pub product_family: Option<String>,
    pub product_name: Option<String>,
    pub version: Option<VersionSpec>,
    pub architecture: Option<String>,
    /// Every branch from the root to the product, for the categories
    /// without a field of their own (service pack, patch level, …).
    pub branch_path: Vec<(BranchCategory, String)>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    pub hashes: Vec<Hashes>,
    pub model_numbers: Vec<String>,
    pub serial_numbers: Vec<String>,
    pub skus: Vec<String>,
    /// For a product defined by a relationship: what it combines. The
    /// vendor, version and identifiers above are then those of the
    /// component (`product_reference`) unless the relationship gives its
    /// own identification helper.
    pub relation: Option<ProductRelation>,
    /// JSON pointer of the definition.
    pub path: String,
}

/// The two products a relationship combines, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRelation {
    pub category: RelationshipCategory,
    /// `product_reference`: the component, e.g. the application.
    pub product: String,
    /// `relates_to_product_reference`: e.g. the platform it is installed on.
    pub relates_to: String,
}

/// The version part of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// A `product_version`: one version.
    Exact(String),
    /// A `product_version_range` in `vers` syntax. CISA also writes `vers`
    /// strings as `product_version` (`vers:all/*`); those land here too.
    Vers(Vers),
    /// A `product_version_range` in free text (`<=4.1`, `All versions`),
    /// kept verbatim; [`VersionSpec::constraints`] interprets the common
    /// shapes.
    Text(String),
}

impl VersionSpec {
    fn from_branch(category: BranchCategory, name: &str) -> Option<VersionSpec> {
        match category {
            BranchCategory::ProductVersion | BranchCategory::ProductVersionRange
                if name.starts_with("vers:") =>
            {
                Some(match Vers::parse(name) {
                    Ok(v) => VersionSpec::Vers(v),
                    Err(_) if category == BranchCategory::ProductVersion => {
                        VersionSpec::Exact(name.to_owned())
                    }
                    Err(_) => VersionSpec::Text(name.to_owned()),
                })
            }
            BranchCategory::ProductVersion => Some(VersionSpec::Exact(name.to_owned())),
            BranchCategory::ProductVersionRange => Some(VersionSpec::Text(name.to_owned())),
            _ => None,
        }
    }

    /// The versions meant, as `vers` constraints, where that is clear:
    /// an exact version, a `vers` range, or free text made of
    /// comparator-and-version parts separated by `|` (`<V4.3.10`,
    /// `>=1.00A|<1.05F`, `<= 2.3.6`) or saying all versions. `None` for
    /// other text (`< august 28`, `2nd Edition`).
    pub fn constraints(&self) -> Option<Constraints> {
        match self {
            VersionSpec::Exact(v) => Some(Constraints::List(vec![Constraint {
                comparator: Comparator::Eq,
                version: v.clone(),
            }])),
            VersionSpec::Vers(v) => Some(v.constraints.clone()),
            VersionSpec::Text(text) => {
                let t = text.trim();
                if ["*", "all", "all versions"]
                    .iter()
                    .any(|a| t.eq_ignore_ascii_case(a))
                {
                    return Some(Constraints::Any);
                }
                let mut list = Vec::new();
                for part in t.split('|') {
                    let part = part.trim();
                    let (comparator, version) = Comparator::split(part);
                    let version = version.trim();
                    if version.len() == part.len()
                        || version.is_empty()
                        || version.contains(char::is_whitespace)
                    {
                        return None;
                    }
                    list.push(Constraint {
                        comparator,
                        version: version.to_owned(),
                    });
                }
                Some(Constraints::List(list))
            }
        }
    }
}

/// The resolved products of an advisory, in document order (branches
/// depth first, then `full_product_names`, then relationships), with the
/// product groups.
#[derive(Debug, Clone, Default)]
pub struct Products {
    list: Vec<Product>,
    /// Product id → position of its first definition.
    index: HashMap<String, usize>,
    /// Group id → product ids, merged over repeated definitions.
    groups: HashMap<String, Vec<String>>,
}

impl Products {
    pub fn iter(&self) -> std::slice::Iter<'_, Product> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The first definition of a product id.
    pub fn get(&self, id: &str) -> Option<&Product> {
        self.index.get(id).and_then(|&i| self.list.get(i))
    }

    /// The product ids of a group; empty for an undefined group.
    pub fn group(&self, group_id: &str) -> &[String] {
        self.groups.get(group_id).map_or(&[], Vec::as_slice)
    }

    /// Product ids and the members of group ids, each once, in order.
    pub fn expand<'a>(
        &'a self,
        product_ids: &'a [String],
        group_ids: &'a [String],
    ) -> Vec<&'a str> {
        let mut seen = HashSet::new();
        product_ids
            .iter()
            .chain(group_ids.iter().flat_map(|g| self.group(g)))
            .map(String::as_str)
            .filter(|id| seen.insert(*id))
            .collect()
    }

    /// Whether a reference by product ids and group ids includes `id`.
    pub fn refers_to(&self, product_ids: &[String], group_ids: &[String], id: &str) -> bool {
        product_ids.iter().any(|p| p == id)
            || group_ids
                .iter()
                .any(|g| self.group(g).iter().any(|p| p == id))
    }
}

impl<'a> IntoIterator for &'a Products {
    type Item = &'a Product;
    type IntoIter = std::slice::Iter<'a, Product>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// Resolves the product tree. Branches deeper than [`MAX_BRANCH_DEPTH`]
/// (which [`crate::read`] rejects) are not walked.
pub fn products(advisory: &Advisory) -> Products {
    let mut out = Products::default();
    let Some(tree) = &advisory.product_tree else {
        return out;
    };
    let mut path = Vec::new();
    walk(
        &tree.branches,
        "/product_tree/branches",
        &mut path,
        &mut out,
    );
    for (i, fpn) in tree.full_product_names.iter().enumerate() {
        let p = from_full_product_name(fpn, &[], format!("/product_tree/full_product_names/{i}"));
        add(&mut out, p);
    }
    for (i, rel) in tree.relationships.iter().enumerate() {
        let fpn = &rel.full_product_name;
        let at = format!("/product_tree/relationships/{i}/full_product_name");
        let mut p = match out.get(&rel.product_reference) {
            Some(component) => Product {
                id: fpn.product_id.clone(),
                name: fpn.name.clone(),
                given_name: fpn.name.clone(),
                relation: None,
                path: at.clone(),
                ..component.clone()
            },
            None => from_full_product_name(fpn, &[], at.clone()),
        };
        if let Some(helper) = &fpn.product_identification_helper {
            apply_helper(&mut p, helper);
        }
        p.relation = Some(ProductRelation {
            category: rel.category,
            product: rel.product_reference.clone(),
            relates_to: rel.relates_to_product_reference.clone(),
        });
        add(&mut out, p);
    }
    for group in &tree.product_groups {
        let members = out.groups.entry(group.group_id.clone()).or_default();
        for id in &group.product_ids {
            if !members.contains(id) {
                members.push(id.clone());
            }
        }
    }
    out
}

fn add(out: &mut Products, product: Product) {
    out.index
        .entry(product.id.clone())
        .or_insert(out.list.len());
    out.list.push(product);
}

fn walk<'a>(
    branches: &'a [Branch],
    at: &str,
    path: &mut Vec<(BranchCategory, &'a str)>,
    out: &mut Products,
) {
    if path.len() >= MAX_BRANCH_DEPTH {
        return;
    }
    for (i, branch) in branches.iter().enumerate() {
        let here = format!("{at}/{i}");
        path.push((branch.category, &branch.name));
        if let Some(fpn) = &branch.product {
            let p = from_full_product_name(fpn, path, format!("{here}/product"));
            add(out, p);
        }
        walk(&branch.branches, &format!("{here}/branches"), path, out);
        path.pop();
    }
}

fn from_full_product_name(
    fpn: &FullProductName,
    path: &[(BranchCategory, &str)],
    at: String,
) -> Product {
    let pick = |category| {
        path.iter()
            .rev()
            .find(|(c, _)| *c == category)
            .map(|(_, name)| (*name).to_owned())
    };
    let version = path
        .iter()
        .rev()
        .find_map(|(c, name)| VersionSpec::from_branch(*c, name));
    let mut p = Product {
        id: fpn.product_id.clone(),
        name: if path.is_empty() {
            fpn.name.clone()
        } else {
            full_name(path.iter().map(|(_, n)| *n))
        },
        given_name: fpn.name.clone(),
        vendor: pick(BranchCategory::Vendor),
        product_family: pick(BranchCategory::ProductFamily),
        product_name: pick(BranchCategory::ProductName),
        version,
        architecture: pick(BranchCategory::Architecture),
        branch_path: path.iter().map(|(c, n)| (*c, (*n).to_owned())).collect(),
        cpe: None,
        purl: None,
        hashes: Vec::new(),
        model_numbers: Vec::new(),
        serial_numbers: Vec::new(),
        skus: Vec::new(),
        relation: None,
        path: at,
    };
    if let Some(helper) = &fpn.product_identification_helper {
        apply_helper(&mut p, helper);
    }
    p
}

fn apply_helper(p: &mut Product, helper: &IdentificationHelper) {
    p.cpe = helper.cpe.clone();
    p.purl = helper.purl.clone();
    p.hashes = helper.hashes.clone();
    p.model_numbers = helper.model_numbers.clone();
    p.serial_numbers = helper.serial_numbers.clone();
    p.skus = helper.skus.clone();
}

/// Joins branch names into one name. Vendors often repeat themselves
/// (`Philips` → `Philips IntelliSpace`, `SIMATIC` → `SIMATIC S7-1500`):
/// a name that starts with the one before it, or with everything so far,
/// replaces it.
pub(crate) fn full_name<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for name in names.map(str::trim).filter(|n| !n.is_empty()) {
        let extends = |prefix: &str| {
            name == prefix
                || name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(' '))
        };
        let joined = parts.join(" ");
        if !parts.is_empty() && extends(&joined) {
            parts.clear();
        } else if parts.last().is_some_and(|last| extends(last)) {
            parts.pop();
        }
        parts.push(name);
    }
    parts.join(" ")
}
