//! npm's `package-lock.json` (and `npm-shrinkwrap.json`), lockfile
//! versions 1, 2 and 3.
//!
//! Versions 2 and 3 list every installed package under `packages`, keyed
//! by its folder (`node_modules/a/node_modules/@scope/b`); version 1 nests
//! them under `dependencies`, which is turned into the same folder keys,
//! so that one resolver serves both. A dependency resolves as Node.js
//! resolves `require`: the nearest `node_modules/NAME` from the
//! dependent's folder up to the root. Links (`"link": true`, workspaces)
//! resolve to the folder they point at.
//!
//! Components are `pkg:npm/%40scope/name@version`, with the scope as the
//! CycloneDX group; aliases (`"name"` in version 2, `npm:real@version` in
//! version 1) are the real package. The `integrity` hashes are the
//! component's hashes. The root package and workspace packages are the
//! project's own ([`LOCAL`](super::LOCAL)); the root depends on its
//! `dependencies`, `optionalDependencies` and workspaces (and
//! `devDependencies` with [`include_dev`](super::Options::include_dev)).
//! Version 1 does not record the root's dependencies: the root depends on
//! every top-level package no other package requires.
//! Packages marked `dev` are development-only; `optional` ones have scope
//! `optional`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value;

use super::{Ctx, Found, GenerateError, GenerateErrorKind, Pkg, purl};
use crate::error::Location;
use crate::license;
use crate::model::{ComponentKind, Hash, HashAlg, License};

#[derive(Deserialize)]
struct Lock {
    name: Option<String>,
    version: Option<String>,
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u64>,
    packages: Option<BTreeMap<String, Entry>>,
    dependencies: Option<BTreeMap<String, V1Entry>>,
}

/// A `packages` entry (versions 2 and 3).
#[derive(Deserialize)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    license: Option<Value>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, Value>,
    #[serde(default, rename = "peerDependencies")]
    peer_dependencies: BTreeMap<String, Value>,
    #[serde(default, rename = "devDependencies")]
    dev_dependencies: BTreeMap<String, Value>,
}

/// A `dependencies` entry (version 1), nested.
#[derive(Deserialize)]
struct V1Entry {
    version: String,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    requires: BTreeMap<String, Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

/// One folder of the installed tree, from either version.
struct Node {
    /// The real package name (`@scope/name`), not an alias.
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    licenses: Vec<License>,
    dev: bool,
    optional: bool,
    /// A link's target folder.
    link: Option<String>,
    /// Dependencies by name: (name, required: not optional or peer).
    deps: Vec<(String, bool)>,
}

pub(crate) fn parse(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Found, GenerateError> {
    let lock: Lock = ctx.json(bytes)?;
    let version = match lock.lockfile_version {
        Some(v) => v,
        None if lock.packages.is_some() => 2,
        None if lock.dependencies.is_some() => 1,
        None => {
            return Err(ctx.error(
                GenerateErrorKind::Invalid,
                "no `lockfileVersion`, `packages` or `dependencies`: not a package-lock.json",
            ));
        }
    };
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    match (version, lock.packages, lock.dependencies) {
        (2 | 3, Some(packages), _) => {
            for (path, e) in packages {
                nodes.insert(path.clone(), node_v2(&path, e, ctx.include_dev));
            }
        }
        (1, _, Some(deps)) => {
            flatten_v1("", deps, &mut nodes);
            nodes.insert(
                String::new(),
                Node {
                    name: lock.name.clone(),
                    version: lock.version.clone(),
                    resolved: None,
                    integrity: None,
                    licenses: Vec::new(),
                    dev: false,
                    optional: false,
                    link: None,
                    deps: Vec::new(),
                },
            );
            v1_root_deps(&mut nodes);
        }
        (1..=3, _, _) => {
            let field = if version == 1 {
                "dependencies"
            } else {
                "packages"
            };
            return Err(ctx.error(
                GenerateErrorKind::Invalid,
                format!("lockfile version {version} without `{field}`"),
            ));
        }
        (v, _, _) => {
            return Err(ctx
                .error(
                    GenerateErrorKind::UnsupportedVersion,
                    format!("lockfile version {v} is not supported (versions 1 to 3 are)"),
                )
                .at(Location::path("lockfileVersion")));
        }
    }
    if let Some(root) = nodes.get_mut("") {
        if root.name.is_none() {
            root.name = lock.name;
        }
        if root.version.is_none() {
            root.version = lock.version;
        }
    }
    Ok(build(ctx, &nodes))
}

/// The package name a folder holds: what follows its last `node_modules/`.
fn name_from_path(path: &str) -> Option<&str> {
    match path.rfind("node_modules/") {
        Some(at) => path.get(at + "node_modules/".len()..),
        None => None,
    }
}

fn node_v2(path: &str, e: Entry, include_dev: bool) -> Node {
    let mut deps: Vec<(String, bool)> = Vec::new();
    deps.extend(e.dependencies.into_keys().map(|k| (k, true)));
    deps.extend(e.optional_dependencies.into_keys().map(|k| (k, false)));
    deps.extend(e.peer_dependencies.into_keys().map(|k| (k, false)));
    // Only the root and workspace folders list devDependencies; packages'
    // own dev dependencies are never installed.
    if include_dev && !path.contains("node_modules/") {
        deps.extend(e.dev_dependencies.into_keys().map(|k| (k, true)));
    }
    let name = e
        .name
        .or_else(|| name_from_path(path).map(str::to_owned))
        .or_else(|| {
            // A workspace folder without a name: its folder name, as npm
            // does.
            path.rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        });
    Node {
        name,
        version: e.version,
        licenses: e.license.as_ref().map(licenses).unwrap_or_default(),
        link: e.link.then(|| e.resolved.clone().unwrap_or_default()),
        resolved: e.resolved,
        integrity: e.integrity,
        dev: e.dev,
        optional: e.optional,
        deps,
    }
}

fn flatten_v1(parent: &str, deps: BTreeMap<String, V1Entry>, nodes: &mut BTreeMap<String, Node>) {
    for (key, e) in deps {
        let path = if parent.is_empty() {
            format!("node_modules/{key}")
        } else {
            format!("{parent}/node_modules/{key}")
        };
        // An alias: `"version": "npm:real-name@1.2.3"`.
        let (name, version) = match e.version.strip_prefix("npm:").and_then(|s| {
            let at = s.rfind('@').filter(|&at| at > 0)?;
            Some((s.get(..at)?.to_owned(), s.get(at + 1..)?.to_owned()))
        }) {
            Some((n, v)) => (n, v),
            None => (key.clone(), e.version.clone()),
        };
        let node = Node {
            name: Some(name),
            version: Some(version),
            resolved: e.resolved,
            integrity: e.integrity,
            licenses: Vec::new(),
            dev: e.dev,
            optional: e.optional,
            link: None,
            deps: e.requires.into_keys().map(|k| (k, true)).collect(),
        };
        nodes.insert(path.clone(), node);
        flatten_v1(&path, e.dependencies, nodes);
    }
}

/// Version 1 does not say what the root depends on: every top-level
/// package that no package requires must be one of its dependencies.
fn v1_root_deps(nodes: &mut BTreeMap<String, Node>) {
    let mut required: std::collections::HashSet<String> = std::collections::HashSet::new();
    let paths: Vec<String> = nodes.keys().cloned().collect();
    {
        let by_path: HashMap<&str, usize> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        for (path, node) in nodes.iter() {
            for (dep, _) in &node.deps {
                if let Some(i) = resolve(&by_path, path, dep) {
                    required.insert(paths[i].clone());
                }
            }
        }
    }
    let top: Vec<(String, bool)> = paths
        .iter()
        .filter(|p| p.starts_with("node_modules/") && !p.contains("/node_modules/"))
        .filter(|p| !required.contains(*p))
        .filter_map(|p| name_from_path(p).map(|n| (n.to_owned(), true)))
        .collect();
    if let Some(root) = nodes.get_mut("") {
        root.deps = top;
    }
}

/// The folder `dep` resolves to from folder `from`: `from/node_modules/dep`,
/// then the same from each enclosing package folder, up to the root.
fn resolve(by_path: &HashMap<&str, usize>, from: &str, dep: &str) -> Option<usize> {
    let mut base = from;
    let mut candidate = String::with_capacity(from.len() + dep.len() + 14);
    loop {
        candidate.clear();
        if !base.is_empty() {
            candidate.push_str(base);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(dep);
        if let Some(&i) = by_path.get(candidate.as_str()) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        base = base.rsplit_once('/').map_or("", |(p, _)| p);
        // `a/node_modules` holds packages but is not one.
        while base == "node_modules" || base.ends_with("/node_modules") {
            base = base.rsplit_once('/').map_or("", |(p, _)| p);
        }
    }
}

fn build(ctx: &Ctx<'_>, nodes: &BTreeMap<String, Node>) -> Found {
    let mut found = Found::default();
    let paths: Vec<&str> = nodes.keys().map(String::as_str).collect();
    let by_path: HashMap<&str, usize> = paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    // The component of each folder, if it makes one.
    let mut component: Vec<Option<usize>> = vec![None; paths.len()];
    for (i, (path, node)) in nodes.iter().enumerate() {
        if node.link.is_some() {
            continue;
        }
        let local = !path.contains("node_modules/");
        let Some(name) = node.name.as_deref().filter(|n| !n.is_empty()) else {
            if !path.is_empty() {
                found.warnings.push(
                    ctx.warning_at(None, format!("packages.{path}: no package name; left out")),
                );
            }
            continue;
        };
        let version = node.version.as_deref().filter(|v| !v.is_empty());
        if version.is_none() && !local {
            found
                .warnings
                .push(ctx.warning_at(None, format!("packages.{path}: `{name}` has no version")));
        }
        let (group, short) = match name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
            _ => (None, name),
        };
        let vcs = node
            .resolved
            .as_deref()
            .filter(|r| r.starts_with("git+") || r.starts_with("git:"))
            .map(|r| r.replacen('#', "@", 1));
        let qualifiers: Vec<(&str, &str)> = vcs.iter().map(|v| ("vcs_url", v.as_str())).collect();
        let purl = match purl("npm", group, short, version, &qualifiers) {
            Ok(p) => p,
            Err(e) => {
                found.warnings.push(
                    ctx.warning_at(None, format!("packages.{path}: `{name}`: {e}; left out")),
                );
                continue;
            }
        };
        let mut pkg = Pkg::new(purl, short, version.map(str::to_owned));
        pkg.group = group.map(str::to_owned);
        pkg.local = local;
        if path.is_empty() {
            pkg.kind = ComponentKind::Application;
        }
        pkg.dev = node.dev;
        if node.optional {
            pkg.scope = Some("optional");
        }
        pkg.licenses = node.licenses.clone();
        pkg.hashes = node.integrity.as_deref().map(integrity).unwrap_or_default();
        pkg.download_location = node
            .resolved
            .as_deref()
            .filter(|r| r.contains("://"))
            .map(str::to_owned);
        component[i] = Some(found.pkgs.len());
        found.pkgs.push(pkg);
    }

    // A folder's component, following a link to its target folder.
    let target = |i: usize| -> Option<usize> {
        let path = paths.get(i)?;
        match &nodes.get(*path)?.link {
            Some(to) => by_path.get(to.as_str()).and_then(|&t| component[t]),
            None => component[i],
        }
    };
    for (i, (path, node)) in nodes.iter().enumerate() {
        let Some(from) = component[i] else { continue };
        for (dep, required) in &node.deps {
            match resolve(&by_path, path, dep).and_then(target) {
                Some(to) => found.edges.push((from, to)),
                None if *required && !node.dev => found.warnings.push(ctx.warning_at(
                    None,
                    format!(
                        "packages.{}: dependency `{dep}` is not installed; left out",
                        if path.is_empty() { "\"\"" } else { path }
                    ),
                )),
                None => {}
            }
        }
        // The root depends on its workspaces.
        if path.is_empty() {
            for (j, p) in paths.iter().enumerate() {
                if !p.is_empty()
                    && !p.contains("node_modules/")
                    && let Some(to) = component[j]
                {
                    found.edges.push((from, to));
                }
            }
        }
    }
    found
}

/// The hashes of an `integrity` value: Subresource Integrity, one or more
/// `ALG-BASE64` separated by spaces.
fn integrity(sri: &str) -> Vec<Hash> {
    sri.split_whitespace()
        .filter_map(|part| {
            let (alg, b64) = part.split_once('-')?;
            let alg = match alg {
                "sha1" => HashAlg::Sha1,
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                _ => return None,
            };
            // Options after `?` are allowed by the specification.
            let b64 = b64.split_once('?').map_or(b64, |(b, _)| b);
            let raw = base64(b64)?;
            Some(Hash::new(alg, &hex(&raw)))
        })
        .collect()
}

/// Lowercase hex, without `format!` per byte: lockfiles have a hash per
/// package and this was a quarter of the time on large ones.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Standard base64 with optional padding; `None` for anything else.
fn base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The licences of a `license` value: an SPDX expression or name, a list
/// of them, or a `{"type": …}` object.
fn licenses(v: &Value) -> Vec<License> {
    match v {
        Value::String(s) => license::classify(s).into_iter().collect(),
        Value::Array(items) => items.iter().flat_map(licenses).collect(),
        Value::Object(o) => o.get("type").map(licenses).unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_integrity() {
        let h = integrity(
            "sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A==",
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].alg, HashAlg::Sha512);
        assert_eq!(h[0].value.len(), 128);
        assert!(h[0].value.starts_with("4e9a7ad0fe88"));
        assert!(integrity("sha512-!!").is_empty());
        assert!(integrity("md5-AAAA").is_empty());
    }

    #[test]
    fn resolution_walks_up_past_node_modules() {
        let paths = [
            "",
            "node_modules/a",
            "node_modules/a/node_modules/@s/b",
            "node_modules/c",
            "node_modules/a/node_modules/c",
            "packages/w",
        ];
        let by_path: HashMap<&str, usize> =
            paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        assert_eq!(
            resolve(&by_path, "node_modules/a/node_modules/@s/b", "c"),
            Some(4)
        );
        assert_eq!(resolve(&by_path, "node_modules/c", "c"), Some(3));
        assert_eq!(resolve(&by_path, "packages/w", "a"), Some(1));
        assert_eq!(resolve(&by_path, "", "x"), None);
    }
}
