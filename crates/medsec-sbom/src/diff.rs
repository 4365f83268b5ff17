//! What changed between two releases' SBOMs: components added and
//! removed, upgraded and downgraded (same identity, other version), and
//! changed (same identity and version, but other hashes, licences or
//! supplier: a rebuilt or re-sourced component a reviewer should look at).
//!
//! A component's identity is its purl without version and qualifiers,
//! else its first CPE's `vendor:product`, else its group and name. Only
//! shipped components are compared ([`Component::is_shipped`]: not files,
//! not build recipes).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Component, License, Sbom};

/// A component on one side of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The identity key (`purl:pkg:npm/lodash`, `cpe:*:openssl`,
    /// `name:org.acme/widget`).
    pub key: String,
    /// `group/name`.
    pub name: String,
    pub version: Option<String>,
}

/// A component whose version changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionChange {
    pub key: String,
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A field that differs between two components of the same version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `hashes`, `licenses` or `supplier`.
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// A component that kept its version but changed otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub key: String,
    pub name: String,
    pub version: Option<String>,
    pub fields: Vec<FieldChange>,
}

/// The differences between two SBOMs, each list sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub upgraded: Vec<VersionChange>,
    pub downgraded: Vec<VersionChange>,
    pub changed: Vec<Changed>,
    /// Components present in both with nothing compared changed.
    pub unchanged: usize,
}

impl Diff {
    /// Whether the two SBOMs list the same components.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.upgraded.is_empty()
            && self.downgraded.is_empty()
            && self.changed.is_empty()
    }
}

/// The CPE's `vendor:product`, for CPE 2.3 formatted strings and 2.2
/// URIs.
fn cpe_key(cpe: &str) -> Option<String> {
    let fields: Vec<&str> = if let Some(rest) = cpe.strip_prefix("cpe:2.3:") {
        rest.split(':').collect()
    } else if let Some(rest) = cpe.strip_prefix("cpe:/") {
        rest.split(':').collect()
    } else {
        return None;
    };
    match fields.as_slice() {
        [_, vendor, product, ..] if !product.is_empty() => Some(format!(
            "{}:{}",
            vendor.to_lowercase(),
            product.to_lowercase()
        )),
        _ => None,
    }
}

/// The identity of a component across releases.
pub fn key(c: &Component) -> String {
    if let Some(p) = &c.purl {
        return format!("purl:{}", p.identity());
    }
    if let Some(k) = c.cpes.iter().find_map(|x| cpe_key(x)) {
        return format!("cpe:{k}");
    }
    format!("name:{}", c.display_name().to_lowercase())
}

/// Orders two versions of one package: dpkg's order for Debian packages,
/// else a natural order (digit runs numerically, a `~`, `-rc`, `alpha`,
/// `beta` or `pre` suffix before the release).
pub fn compare_versions(c: &Component, old: &str, new: &str) -> Ordering {
    if c.purl.as_ref().is_some_and(|p| p.ty() == "deb")
        && let (Ok(a), Ok(b)) = (
            medsec_version::debian::Version::parse(old),
            medsec_version::debian::Version::parse(new),
        )
    {
        return a.cmp(&b);
    }
    natural(old, new)
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    /// A pre-release marker sorts before everything else, even the end.
    Pre(String),
    End,
    Num(u128),
    Text(String),
}

fn pieces(v: &str) -> Vec<Piece> {
    let v = v.trim().trim_start_matches(['v', 'V']);
    let mut out = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(d);
                chars.next();
            }
            out.push(Piece::Num(n.parse().unwrap_or(u128::MAX)));
        } else if c.is_alphabetic() || c == '~' {
            let mut t = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic() || **d == '~') {
                t.push(d.to_ascii_lowercase());
                chars.next();
            }
            let pre = t.starts_with('~')
                || ["alpha", "beta", "rc", "pre", "dev", "snapshot"].contains(&t.as_str());
            out.push(if pre { Piece::Pre(t) } else { Piece::Text(t) });
        } else {
            chars.next();
        }
    }
    out
}

fn natural(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (pieces(a), pieces(b));
    let len = pa.len().max(pb.len());
    for i in 0..len {
        let x = pa.get(i).unwrap_or(&Piece::End);
        let y = pb.get(i).unwrap_or(&Piece::End);
        match x.cmp(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    a.cmp(b)
}

fn entry(k: &str, c: &Component) -> Entry {
    Entry {
        key: k.to_owned(),
        name: c.display_name(),
        version: c.version.clone(),
    }
}

/// The licences of a component; a name counts as the `LicenseRef-` SPDX
/// writers make of it, so that a format change is not a licence change.
fn licences(c: &Component) -> BTreeSet<String> {
    c.licenses
        .iter()
        .chain(&c.license_concluded)
        .map(|l| match l {
            License::Expression(e) => e.clone(),
            License::Name(n) => crate::license::license_ref_for_name(n),
        })
        .collect()
}

fn field_changes(old: &Component, new: &Component) -> Vec<FieldChange> {
    let mut out = Vec::new();
    // Hashes: only algorithms both sides state can be compared.
    let differing: Vec<String> = old
        .hashes
        .iter()
        .filter_map(|h| {
            new.hashes
                .iter()
                .find(|n| n.alg == h.alg)
                .filter(|n| n.value != h.value)
                .map(|n| format!("{}: {} → {}", h.alg, h.value, n.value))
        })
        .collect();
    if !differing.is_empty() {
        out.push(FieldChange {
            field: "hashes",
            old: old
                .hashes
                .iter()
                .map(|h| format!("{}:{}", h.alg, h.value))
                .collect::<Vec<_>>()
                .join(", "),
            new: new
                .hashes
                .iter()
                .map(|h| format!("{}:{}", h.alg, h.value))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let (lo, ln) = (licences(old), licences(new));
    if lo != ln {
        out.push(FieldChange {
            field: "licenses",
            old: lo.into_iter().collect::<Vec<_>>().join(", "),
            new: ln.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    let supplier = |c: &Component| {
        c.supplier
            .as_ref()
            .map(|s| s.name.trim().to_lowercase())
            .unwrap_or_default()
    };
    if supplier(old) != supplier(new) {
        out.push(FieldChange {
            field: "supplier",
            old: old
                .supplier
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            new: new
                .supplier
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
        });
    }
    out
}

fn by_key(s: &Sbom) -> BTreeMap<String, Vec<&Component>> {
    let mut m: BTreeMap<String, Vec<&Component>> = BTreeMap::new();
    for c in s.components.iter().filter(|c| c.is_shipped()) {
        m.entry(key(c)).or_default().push(c);
    }
    m
}

/// The differences from `old` to `new`.
pub fn diff(old: &Sbom, new: &Sbom) -> Diff {
    let (olds, news) = (by_key(old), by_key(new));
    let keys: BTreeSet<&String> = olds.keys().chain(news.keys()).collect();
    let mut out = Diff::default();
    for k in keys {
        let mut a: Vec<&Component> = olds.get(k).cloned().unwrap_or_default();
        let mut b: Vec<&Component> = news.get(k).cloned().unwrap_or_default();
        // Same versions pair first; what remains pairs in version order,
        // so that two versions of one library both moving up read as two
        // upgrades.
        let mut i = 0;
        while i < a.len() {
            match b.iter().position(|n| n.version == a[i].version) {
                Some(j) => {
                    let (o, n) = (a.remove(i), b.remove(j));
                    let fields = field_changes(o, n);
                    if fields.is_empty() {
                        out.unchanged += 1;
                    } else {
                        out.changed.push(Changed {
                            key: k.clone(),
                            name: n.display_name(),
                            version: n.version.clone(),
                            fields,
                        });
                    }
                }
                None => i += 1,
            }
        }
        let by_version = |x: &&Component, y: &&Component| match (&x.version, &y.version) {
            (Some(p), Some(q)) => compare_versions(x, p, q),
            (p, q) => p.cmp(q),
        };
        a.sort_by(by_version);
        b.sort_by(by_version);
        let pairs = a.len().min(b.len());
        for (o, n) in a.iter().zip(b.iter()) {
            let change = VersionChange {
                key: k.clone(),
                name: n.display_name(),
                old: o.version.clone(),
                new: n.version.clone(),
            };
            let order = match (&o.version, &n.version) {
                (Some(p), Some(q)) => compare_versions(n, p, q),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if order == Ordering::Greater {
                out.downgraded.push(change);
            } else {
                out.upgraded.push(change);
            }
        }
        out.removed
            .extend(a.iter().skip(pairs).map(|c| entry(k, c)));
        out.added.extend(b.iter().skip(pairs).map(|c| entry(k, c)));
    }
    out
}

#[cfg(test)]
mod tests;
