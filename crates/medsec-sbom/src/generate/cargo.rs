//! `Cargo.lock`, versions 1 to 4.
//!
//! Every `[[package]]` is a component, `pkg:cargo/NAME@VERSION`, as syft
//! does: registry crates, git crates (with a `vcs_url` qualifier naming the
//! commit) and path crates, which are the workspace's own (marked
//! [`LOCAL`](super::LOCAL), since they are the product rather than a
//! dependency of it). Crates of a registry other than crates.io carry a
//! `repository_url` qualifier. The `checksum` (the SHA-256 of the `.crate`
//! file; in version 1 the `[metadata]` table) is the component's hash.
//!
//! Dependencies are written as `name`, `name version` or `name version
//! (source)`, the shortest unambiguous form (always the longest in version
//! 1), and resolve to exactly one package or are reported.
//! Cargo.lock does not tell normal from dev or build dependencies, so all
//! are listed.

mod fast;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Ctx, Found, GenerateError, GenerateErrorKind, Pkg, purl};
use crate::error::Location;
use crate::model::{Hash, HashAlg};
use crate::util::line_column;

/// A lockfile as read, by the fast reader ([`fast::read`]) or the TOML
/// parser ([`read_toml`]), which give the same for every file the first
/// one reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Lock<'a> {
    /// `version`, with the byte offset of its value.
    pub(super) version: Option<(i64, usize)>,
    /// The root package (the `[root]` table of lockfiles that Cargo wrote
    /// until 2017; later ones list it among the packages), then every
    /// `[[package]]`.
    pub(super) packages: Vec<Package<'a>>,
    /// Version 1 checksums: `"checksum NAME VERSION (SOURCE)" = "HEX"`;
    /// only string values.
    pub(super) metadata: HashMap<Cow<'a, str>, Cow<'a, str>>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Package<'a> {
    pub(super) name: Cow<'a, str>,
    /// The byte offset of the name's value, for the line of messages.
    pub(super) name_at: usize,
    pub(super) version: Cow<'a, str>,
    pub(super) source: Option<Cow<'a, str>>,
    pub(super) checksum: Option<Cow<'a, str>>,
    pub(super) dependencies: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct TomlLock {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    package: Vec<TomlPackage>,
    root: Option<TomlPackage>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: toml::Spanned<String>,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl From<TomlPackage> for Package<'static> {
    fn from(p: TomlPackage) -> Package<'static> {
        let name_at = p.name.span().start;
        Package {
            name: Cow::Owned(p.name.into_inner()),
            name_at,
            version: Cow::Owned(p.version),
            source: p.source.map(Cow::Owned),
            checksum: p.checksum.map(Cow::Owned),
            dependencies: p.dependencies.into_iter().map(Cow::Owned).collect(),
        }
    }
}

/// The lockfile in `text` read by the TOML parser, which reports what is
/// wrong with a malformed one, and where.
pub(super) fn read_toml(ctx: &Ctx<'_>, text: &str) -> Result<Lock<'static>, GenerateError> {
    let lock: TomlLock = ctx.toml(text)?;
    Ok(Lock {
        version: lock.version.map(|v| (*v.get_ref(), v.span().start)),
        packages: lock
            .root
            .into_iter()
            .chain(lock.package)
            .map(Package::from)
            .collect(),
        metadata: lock
            .metadata
            .into_iter()
            .filter_map(|(k, v)| match v {
                toml::Value::String(v) => Some((Cow::Owned(k), Cow::Owned(v))),
                _ => None,
            })
            .collect(),
    })
}

/// The lockfile in `text`: by the fast reader when the file is in its
/// subset of TOML (every lockfile Cargo writes), else by the parser.
pub(super) fn read<'a>(ctx: &Ctx<'_>, text: &'a str) -> Result<Lock<'a>, GenerateError> {
    match fast::read(text) {
        Some(lock) => Ok(lock),
        None => read_toml(ctx, text),
    }
}

/// The fast reader alone, for tests: `None` where the parser is needed.
#[cfg(test)]
pub(super) fn read_fast(text: &str) -> Option<Lock<'_>> {
    fast::read(text)
}

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

pub(crate) fn parse(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Found, GenerateError> {
    let text = ctx.utf8(bytes)?;
    let lock = read(ctx, text)?;
    if let Some((version, at)) = lock.version
        && !(1..=4).contains(&version)
    {
        let (line, column) = line_column(text.as_bytes(), at);
        return Err(ctx
            .error(
                GenerateErrorKind::UnsupportedVersion,
                format!("lockfile version {version} is not supported (versions 1 to 4 are)"),
            )
            .at(Location::at(line, column)));
    }
    let line_of = |p: &Package<'_>| line_column(text.as_bytes(), p.name_at).0;

    let packages = &lock.packages;
    let mut found = Found {
        pkgs: Vec::with_capacity(packages.len()),
        ..Found::default()
    };
    for p in packages {
        let name: &str = &p.name;
        if name.trim().is_empty() {
            return Err(ctx.invalid_at(line_of(p), "a package without a name"));
        }
        if p.version.trim().is_empty() {
            return Err(ctx.invalid_at(line_of(p), format!("package `{name}` has no version")));
        }
        let source = p.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let (qualifier, download) = match source {
            None => (None, None),
            Some(s) if CRATES_IO.contains(&s) => (
                None,
                Some(format!(
                    "https://crates.io/api/v1/crates/{name}/{}/download",
                    p.version
                )),
            ),
            Some(s) => match s.split_once('+') {
                Some(("git", url)) => {
                    // `git+URL?rev=…#COMMIT`: the purl names the commit.
                    let (repo, commit) = url.split_once('#').unwrap_or((url, ""));
                    let repo = repo.split_once('?').map_or(repo, |(r, _)| r);
                    let vcs = if commit.is_empty() {
                        format!("git+{repo}")
                    } else {
                        format!("git+{repo}@{commit}")
                    };
                    (Some(("vcs_url", vcs.clone())), Some(vcs))
                }
                Some(("registry" | "sparse", url)) => {
                    (Some(("repository_url", url.to_owned())), None)
                }
                _ => {
                    found.warnings.push(ctx.warning_at(
                        Some(line_of(p)),
                        format!("package `{name}`: unknown source `{s}`"),
                    ));
                    (None, None)
                }
            },
        };
        let qualifiers: Vec<(&str, &str)> =
            qualifier.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let purl = purl("cargo", None, name, Some(&p.version), &qualifiers)
            .map_err(|e| ctx.invalid_at(line_of(p), format!("package `{name}`: {e}")))?;
        let mut pkg = Pkg::new(purl, name, Some(p.version.to_string()));
        pkg.local = source.is_none();
        pkg.download_location = download;
        let checksum = p.checksum.as_deref().or_else(|| {
            let key = format!(
                "checksum {name} {} ({})",
                p.version,
                source.unwrap_or_default()
            );
            lock.metadata.get(key.as_str()).map(|v| &**v)
        });
        if let Some(sum) = checksum {
            let sum = sum.trim();
            if sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                pkg.hashes.push(Hash::new(HashAlg::Sha256, sum));
            } else if sum != "<none>" {
                found.warnings.push(ctx.warning_at(
                    Some(line_of(p)),
                    format!("package `{name}`: checksum `{sum}` is not a SHA-256; ignored"),
                ));
            }
        }
        found.pkgs.push(pkg);
    }

    // Every package answers to `name`, `name version` and `name version
    // (source)`; a reference must resolve to exactly one.
    let mut keys: HashMap<String, Vec<usize>> = HashMap::with_capacity(packages.len() * 3);
    for (i, p) in packages.iter().enumerate() {
        let name: &str = &p.name;
        keys.entry(name.to_owned()).or_default().push(i);
        keys.entry(format!("{name} {}", p.version))
            .or_default()
            .push(i);
        if let Some(s) = &p.source {
            // Git sources are referred to without their `#commit`.
            let s = s.split_once('#').map_or(&**s, |(a, _)| a);
            keys.entry(format!("{name} {} ({s})", p.version))
                .or_default()
                .push(i);
        }
    }
    for (i, p) in packages.iter().enumerate() {
        for dep in &p.dependencies {
            let key = dep.split_whitespace().collect::<Vec<_>>().join(" ");
            // A version 1 source may carry its `#commit`, which the key
            // leaves out.
            let key = match (key.split_once(" ("), key.contains('#')) {
                (Some((head, src)), true) => {
                    let src = src.split_once('#').map_or(src, |(a, _)| a);
                    format!("{head} ({})", src.trim_end_matches(')'))
                }
                _ => key,
            };
            match keys.get(&key).map(Vec::as_slice) {
                Some([to]) => found.edges.push((i, *to)),
                Some(many) => found.warnings.push(ctx.warning_at(
                    Some(line_of(p)),
                    format!(
                        "package `{}`: dependency `{dep}` is ambiguous ({} packages); left out",
                        p.name,
                        many.len()
                    ),
                )),
                None => found.warnings.push(ctx.warning_at(
                    Some(line_of(p)),
                    format!(
                        "package `{}`: dependency `{dep}` is not in the lockfile; left out",
                        p.name
                    ),
                )),
            }
        }
    }
    Ok(found)
}
