//! Python: pip requirements files, `Pipfile.lock`, `poetry.lock` and
//! `uv.lock`. Components are `pkg:pypi/NAME@VERSION` with the name
//! normalised as PEP 503 says (`PyYAML` → `pyyaml`, `charset_normalizer`
//! → `charset-normalizer`).
//!
//! A locked Python package is one version of many files (an sdist and
//! wheels per platform), each with its own hash, and the lockfile does not
//! say which one is installed: with one hash it is the component's hash,
//! with more they are kept as [`FILE_HASH`] properties.
//! Environment markers are not evaluated (the target environment is not
//! known here); they are kept as the [`MARKERS`] property.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;

use super::{Ctx, Found, GenerateError, GenerateErrorKind, Input, NameIndex, Pkg, pep503, purl};
use crate::error::Location;
use crate::model::{ComponentKind, Hash, HashAlg};
use crate::util::line_column;

/// The property holding a file hash (`sha256:…`) when a package has more
/// than one.
pub const FILE_HASH: &str = "medsec:python:file-hash";
/// The property holding a requirement's environment markers.
pub const MARKERS: &str = "medsec:python:markers";
/// The property holding the extras a requirement asks for.
pub const EXTRAS: &str = "medsec:python:extras";

const PYPI: &str = "https://pypi.org/simple";

/// A `pkg:pypi` package, or a warning if the name makes no purl.
fn pypi_pkg(name: &str, version: Option<&str>, qualifiers: &[(&str, &str)]) -> Result<Pkg, String> {
    let name = pep503(name);
    let purl = purl("pypi", None, &name, version, qualifiers)?;
    Ok(Pkg::new(purl, name, version.map(str::to_owned)))
}

/// Sets the hashes of `pkg` from `alg:hex` strings.
fn set_hashes<'a>(pkg: &mut Pkg, hashes: impl Iterator<Item = &'a str>) {
    let parsed: Vec<Hash> = hashes
        .filter_map(|h| {
            let (alg, hex) = h.trim().split_once(':')?;
            let alg = match alg.to_ascii_lowercase().as_str() {
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                "md5" => HashAlg::Md5,
                "sha1" => HashAlg::Sha1,
                _ => return None,
            };
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit())
                .then(|| Hash::new(alg, hex))
        })
        .collect();
    let mut unique: Vec<Hash> = Vec::new();
    for h in parsed {
        if !unique.contains(&h) {
            unique.push(h);
        }
    }
    if unique.len() == 1 {
        pkg.hashes = unique;
    } else {
        for h in unique {
            pkg.properties.push((
                FILE_HASH.to_owned(),
                format!(
                    "{}:{}",
                    h.alg.to_string().to_lowercase().replace('-', ""),
                    h.value
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------
// requirements.txt

/// A requirements file: pinned requirements (`name==version`, `===`)
/// become components; unpinned ones, editable installs and direct URL
/// references are left out with a warning, as syft leaves them out.
/// `-r FILE` includes are read as inputs of their own ([`super::collect`]
/// follows them); one that is not among `inputs` is reported.
pub(crate) fn parse_requirements(
    ctx: &Ctx<'_>,
    bytes: &[u8],
    inputs: &[Input],
) -> Result<Found, GenerateError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let mut found = Found::default();
    for (line_no, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('-') {
            let (option, value) = split_option(rest);
            match option {
                "r" | "-requirement" => {
                    let target = include_path(ctx.file, value);
                    if !inputs.iter().any(|i| i.path == target) {
                        found.warnings.push(ctx.warning_at(
                            Some(line_no),
                            format!(
                                "`-r {value}`: {target} is not among the inputs; its \
                                 requirements are not in the SBOM"
                            ),
                        ));
                    }
                }
                "e" | "-editable" => found.warnings.push(ctx.warning_at(
                    Some(line_no),
                    format!("`{line}`: an editable install has no released version; left out"),
                )),
                "c" | "-constraint" | "i" | "-index-url" | "-extra-index-url" | "f"
                | "-find-links" | "-no-index" | "-no-binary" | "-only-binary"
                | "-prefer-binary" | "-require-hashes" | "-pre" | "-trusted-host"
                | "-use-feature" | "-config-settings" | "-global-option" | "Z"
                | "-always-unzip" => {}
                _ => {
                    return Err(ctx.invalid_at(line_no, format!("unknown option `-{option}`")));
                }
            }
            continue;
        }
        if is_path_or_url(line) {
            found.warnings.push(ctx.warning_at(
                Some(line_no),
                format!("`{line}` is a local path or URL, not a released version; left out"),
            ));
            continue;
        }
        let req = requirement(line).map_err(|e| ctx.invalid_at(line_no, e))?;
        let version = match req.spec {
            Spec::Pinned(v) => v,
            Spec::Url(url) => {
                found.warnings.push(ctx.warning_at(
                    Some(line_no),
                    format!("`{}` refers to {url}, not a version; left out", req.name),
                ));
                continue;
            }
            Spec::Unpinned(_) => {
                found.warnings.push(ctx.warning_at(
                    Some(line_no),
                    format!(
                        "`{}` is not pinned to one version (`NAME==VERSION`); left out",
                        req.text
                    ),
                ));
                continue;
            }
        };
        let mut pkg = pypi_pkg(req.name, Some(version), &[])
            .map_err(|e| ctx.invalid_at(line_no, format!("`{}`: {e}", req.name)))?;
        set_hashes(&mut pkg, req.hashes.iter().copied());
        if let Some(m) = req.markers {
            pkg.properties.push((MARKERS.to_owned(), m.to_owned()));
        }
        if !req.extras.is_empty() {
            pkg.properties
                .push((EXTRAS.to_owned(), req.extras.join(",")));
        }
        found.pkgs.push(pkg);
    }
    Ok(found)
}

/// The lines of a requirements file with comments removed and `\`
/// continuations joined, each with the number of its first line, as pip
/// reads them.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        // A comment line ends a continuation.
        if line.trim().is_empty() && raw.trim_start().starts_with('#') {
            if let Some(c) = current.take() {
                out.push(c);
            }
            continue;
        }
        let (body, continues) = match line.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        let entry = current.get_or_insert_with(|| (i + 1, String::new()));
        entry.1.push_str(body);
        entry.1.push(' ');
        if !continues && let Some(c) = current.take() {
            out.push(c);
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

/// `line` without a `#` comment (a `#` at the start or after whitespace;
/// `#egg=` in a URL is not one).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line.get(..i).unwrap_or(line);
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// `-r FILE`, `--requirement=FILE`: the option without its dashes but one,
/// and its value.
fn split_option(rest: &str) -> (&str, &str) {
    let end = rest
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(rest.len());
    let option = rest.get(..end).unwrap_or(rest);
    let value = rest
        .get(end..)
        .unwrap_or_default()
        .trim_start_matches('=')
        .trim();
    // `-rfile.txt`: a short option glued to its value.
    if !option.starts_with('-')
        && let Some(first) = option.chars().next()
        && option.len() > first.len_utf8()
    {
        let glued = rest.get(first.len_utf8()..).unwrap_or_default().trim();
        return (option.get(..first.len_utf8()).unwrap_or_default(), glued);
    }
    (option, value)
}

/// The path of an included file, relative to the including file's folder.
pub(crate) fn include_path(from: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_owned();
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if from.starts_with('/') && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The `-r`/`--requirement` targets of a requirements file, for
/// [`super::collect`].
pub(crate) fn includes(text: &str) -> Vec<String> {
    logical_lines(text)
        .into_iter()
        .filter_map(|(_, line)| {
            let rest = line.trim().strip_prefix('-')?;
            match split_option(rest) {
                ("r" | "-requirement", v) if !v.is_empty() => Some(v.to_owned()),
                _ => None,
            }
        })
        .collect()
}

/// Whether a requirements line installs a local directory, an archive or a
/// URL rather than a named release (pip accepts `.`, `./lib`,
/// `pkg-1.0.tar.gz`, `https://…/pkg.whl`, `git+https://…`).
fn is_path_or_url(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or_default();
    let first = first.split(';').next().unwrap_or_default();
    first.starts_with(['.', '/', '~'])
        || first.contains("://")
        || first.starts_with("file:")
        || ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .any(|p| first.starts_with(p))
        || [".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip"]
            .iter()
            .any(|s| first.ends_with(s))
}

#[derive(Debug, PartialEq, Eq)]
enum Spec<'a> {
    Pinned(&'a str),
    Unpinned(&'a str),
    Url(&'a str),
}

#[derive(Debug)]
struct Requirement<'a> {
    /// The requirement as written, without markers and options.
    text: &'a str,
    name: &'a str,
    extras: Vec<&'a str>,
    spec: Spec<'a>,
    markers: Option<&'a str>,
    hashes: Vec<&'a str>,
}

/// A PEP 508 requirement with pip's per-requirement options (`--hash`).
fn requirement(line: &str) -> Result<Requirement<'_>, String> {
    // Options start at the first ` --`.
    let (body, options) = match line.find(" --") {
        Some(at) => (
            line.get(..at).unwrap_or(line),
            line.get(at..).unwrap_or_default(),
        ),
        None => (line, ""),
    };
    let mut hashes = Vec::new();
    let mut words = options.split_whitespace();
    while let Some(w) = words.next() {
        let (opt, value) = match w.split_once('=') {
            Some((o, v)) => (o, Some(v)),
            None => (w, None),
        };
        match opt {
            "--hash" => {
                let v = value.or_else(|| words.next()).unwrap_or_default();
                let (alg, hex) = v
                    .split_once(':')
                    .ok_or_else(|| format!("`--hash={v}` is not ALGORITHM:HEX"))?;
                if !matches!(alg, "sha256" | "sha384" | "sha512")
                    || hex.is_empty()
                    || !hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return Err(format!(
                        "`--hash={v}`: pip accepts sha256, sha384 and sha512 digests in hex"
                    ));
                }
                hashes.push(v);
            }
            "--global-option" | "--install-option" | "--config-settings" => {
                if value.is_none() {
                    words.next();
                }
            }
            _ => return Err(format!("unknown requirement option `{opt}`")),
        }
    }
    let (body, markers) = match body.split_once(';') {
        Some((b, m)) => (b, Some(m.trim()).filter(|m| !m.is_empty())),
        None => (body, None),
    };
    let body = body.trim();
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(body.len());
    let name = body.get(..name_end).unwrap_or_default();
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!("`{line}` is not a requirement (NAME==VERSION)"));
    }
    let mut rest = body.get(name_end..).unwrap_or_default().trim_start();
    let mut extras = Vec::new();
    if let Some(r) = rest.strip_prefix('[') {
        let (inside, after) = r
            .split_once(']')
            .ok_or_else(|| format!("`{line}`: `[` of the extras is not closed"))?;
        extras = inside
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        rest = after.trim_start();
    }
    let spec = if let Some(url) = rest.strip_prefix('@') {
        Spec::Url(url.trim())
    } else if rest.is_empty() {
        Spec::Unpinned("")
    } else {
        let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
        for p in &parts {
            let op_end = p
                .find(|c: char| !matches!(c, '=' | '<' | '>' | '!' | '~'))
                .unwrap_or(p.len());
            let (op, v) = (
                p.get(..op_end).unwrap_or_default(),
                p.get(op_end..).unwrap_or_default().trim(),
            );
            if !matches!(op, "==" | "===" | "!=" | "<=" | ">=" | "<" | ">" | "~=") {
                return Err(format!("`{line}`: `{p}` is not a version specifier"));
            }
            if v.is_empty()
                || !v.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '-' | '_')
                })
            {
                return Err(format!("`{line}`: `{v}` is not a version"));
            }
        }
        match parts.as_slice() {
            [one] => {
                let v = one.trim_start_matches(['=', '<', '>', '!', '~']).trim();
                if (one.starts_with("==") && !v.contains('*')) || one.starts_with("===") {
                    Spec::Pinned(v)
                } else {
                    Spec::Unpinned(rest)
                }
            }
            _ => Spec::Unpinned(rest),
        }
    };
    Ok(Requirement {
        text: body,
        name,
        extras,
        spec,
        markers,
        hashes,
    })
}

// ---------------------------------------------------------------------
// Pipfile.lock

#[derive(Deserialize)]
struct Pipfile {
    #[serde(rename = "_meta", default)]
    meta: PipfileMeta,
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

#[derive(Deserialize, Default)]
struct PipfileMeta {
    #[serde(default)]
    sources: Vec<PipfileSource>,
}

#[derive(Deserialize)]
struct PipfileSource {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct PipfileEntry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    markers: Option<String>,
    index: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
}

/// `Pipfile.lock`: `default` packages, and `develop` ones as
/// development-only. It records no dependency graph.
pub(crate) fn parse_pipfile(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Found, GenerateError> {
    let lock: Pipfile = ctx.json(bytes)?;
    let sources: BTreeMap<&str, &str> = lock
        .meta
        .sources
        .iter()
        .filter_map(|s| Some((s.name.as_deref()?, s.url.as_deref()?)))
        .collect();
    let mut found = Found::default();
    for (section, dev) in [(&lock.default, false), (&lock.develop, true)] {
        for (name, e) in section {
            let version = e
                .version
                .as_deref()
                .map(|v| v.trim().trim_start_matches("==").trim())
                .filter(|v| !v.is_empty());
            let index = e.index.as_deref().and_then(|i| sources.get(i).copied());
            let vcs = e.git.as_deref().map(|g| match &e.reference {
                Some(r) => format!("git+{}@{r}", g.trim_start_matches("git+")),
                None => format!("git+{}", g.trim_start_matches("git+")),
            });
            let mut qualifiers: Vec<(&str, &str)> = Vec::new();
            if let Some(i) = index.filter(|i| i.trim_end_matches('/') != PYPI) {
                qualifiers.push(("repository_url", i));
            }
            if let Some(v) = &vcs {
                qualifiers.push(("vcs_url", v));
            }
            let section_name = if dev { "develop" } else { "default" };
            let mut pkg = match pypi_pkg(name, version, &qualifiers) {
                Ok(p) => p,
                Err(err) => {
                    return Err(ctx
                        .error(GenerateErrorKind::Invalid, err)
                        .at(Location::path(format!("{section_name}.{name}"))));
                }
            };
            if version.is_none() {
                found.warnings.push(
                    ctx.warning_at(None, format!("{section_name}.{name}: no pinned version")),
                );
            }
            pkg.local = e.path.is_some();
            pkg.dev = dev;
            set_hashes(&mut pkg, e.hashes.iter().map(String::as_str));
            if let Some(m) = &e.markers {
                pkg.properties.push((MARKERS.to_owned(), m.clone()));
            }
            if !e.extras.is_empty() {
                pkg.properties.push((EXTRAS.to_owned(), e.extras.join(",")));
            }
            found.pkgs.push(pkg);
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------
// poetry.lock

#[derive(Deserialize)]
struct Poetry {
    #[serde(default)]
    package: Vec<PoetryPackage>,
    #[serde(default)]
    metadata: PoetryMetadata,
}

#[derive(Deserialize, Default)]
struct PoetryMetadata {
    #[serde(rename = "lock-version")]
    lock_version: Option<toml::Spanned<String>>,
    /// Lock version 1 keeps the files here, by package name.
    #[serde(default)]
    files: BTreeMap<String, Vec<PoetryFile>>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: toml::Spanned<String>,
    version: String,
    description: Option<String>,
    #[serde(default)]
    optional: bool,
    category: Option<String>,
    groups: Option<Vec<String>>,
    source: Option<PoetrySource>,
    #[serde(default)]
    files: Vec<PoetryFile>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    extras: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    resolved_reference: Option<String>,
    reference: Option<String>,
}

#[derive(Deserialize)]
struct PoetryFile {
    hash: String,
}

/// `poetry.lock`: every package; those only in groups other than `main`
/// (lock 2.1) or of category `dev` (lock 1.x) are development-only.
/// Dependencies resolve by normalised name; those needed only for an
/// extra (`markers = "extra == …"`) or optional count only when some
/// package asks for the extra, as syft decides.
pub(crate) fn parse_poetry(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Found, GenerateError> {
    let text = ctx.utf8(bytes)?;
    let lock: Poetry = ctx.toml(text)?;
    if let Some(v) = &lock.metadata.lock_version {
        let major = v.get_ref().split('.').next().unwrap_or_default();
        if !matches!(major, "1" | "2") {
            let (l, c) = line_column(text.as_bytes(), v.span().start);
            return Err(ctx
                .error(
                    GenerateErrorKind::UnsupportedVersion,
                    format!(
                        "lock version {} is not supported (1.x and 2.x are)",
                        v.get_ref()
                    ),
                )
                .at(Location::at(l, c)));
        }
    }
    let line_of = |p: &PoetryPackage| line_column(text.as_bytes(), p.name.span().start).0;
    let mut found = Found::default();
    let names: Vec<String> = lock
        .package
        .iter()
        .map(|p| pep503(p.name.get_ref()))
        .collect();
    for p in &lock.package {
        let name = p.name.get_ref();
        if p.version.trim().is_empty() {
            return Err(ctx.invalid_at(line_of(p), format!("package `{name}` has no version")));
        }
        let src = p.source.as_ref();
        let kind = src.and_then(|s| s.kind.as_deref()).unwrap_or_default();
        let vcs = (kind == "git").then(|| {
            let url = src.and_then(|s| s.url.as_deref()).unwrap_or_default();
            match src.and_then(|s| s.resolved_reference.as_deref().or(s.reference.as_deref())) {
                Some(r) => format!("git+{}@{r}", url.trim_start_matches("git+")),
                None => format!("git+{}", url.trim_start_matches("git+")),
            }
        });
        let mut qualifiers: Vec<(&str, &str)> = Vec::new();
        if kind == "legacy"
            && let Some(url) = src.and_then(|s| s.url.as_deref())
        {
            qualifiers.push(("repository_url", url));
        }
        if let Some(v) = &vcs {
            qualifiers.push(("vcs_url", v));
        }
        let mut pkg = pypi_pkg(name, Some(p.version.trim()), &qualifiers)
            .map_err(|e| ctx.invalid_at(line_of(p), format!("package `{name}`: {e}")))?;
        pkg.description = p.description.clone().filter(|d| !d.trim().is_empty());
        pkg.local = matches!(kind, "directory" | "file");
        if kind == "url" {
            pkg.download_location = src.and_then(|s| s.url.clone());
        }
        pkg.dev = p.category.as_deref() == Some("dev")
            || p.groups
                .as_ref()
                .is_some_and(|g| !g.is_empty() && !g.iter().any(|g| g == "main"));
        if p.optional {
            pkg.scope = Some("optional");
        }
        let files = if p.files.is_empty() {
            lock.metadata
                .files
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default()
        } else {
            p.files.as_slice()
        };
        set_hashes(&mut pkg, files.iter().map(|f| f.hash.as_str()));
        found.pkgs.push(pkg);
    }

    let index = NameIndex::new(names.iter().map(String::as_str));
    // Extras some package asks for, by normalised package name.
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, p) in lock.package.iter().enumerate() {
        for (dep, spec) in &p.dependencies {
            let dep = pep503(dep);
            for c in constraints(spec) {
                if c.for_extra || c.optional {
                    continue;
                }
                for &to in index.get(&dep) {
                    found.edges.push((i, to));
                }
                for e in c.extras {
                    wanted.entry(dep.clone()).or_default().insert(e);
                }
            }
        }
    }
    for (i, p) in lock.package.iter().enumerate() {
        let Some(extras) = wanted.get(&names[i]) else {
            continue;
        };
        for extra in extras {
            for req in p.extras.get(extra).into_iter().flatten() {
                for &to in index.get(&pep503(requirement_name(req))) {
                    found.edges.push((i, to));
                }
            }
        }
    }
    Ok(found)
}

struct Constraint {
    for_extra: bool,
    optional: bool,
    extras: Vec<String>,
}

/// The constraints of a Poetry dependency value: a version string, a table
/// or an array of tables.
fn constraints(v: &toml::Value) -> Vec<Constraint> {
    match v {
        toml::Value::String(_) => vec![Constraint {
            for_extra: false,
            optional: false,
            extras: Vec::new(),
        }],
        toml::Value::Table(t) => vec![Constraint {
            for_extra: t
                .get("markers")
                .and_then(|m| m.as_str())
                .is_some_and(|m| m.contains("extra ==") || m.contains("extra==")),
            optional: t.get("optional").and_then(toml::Value::as_bool) == Some(true),
            extras: t
                .get("extras")
                .and_then(|e| e.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }],
        toml::Value::Array(items) => items.iter().flat_map(constraints).collect(),
        _ => Vec::new(),
    }
}

/// The name at the start of a requirement string (`PySocks (>=1.5.6)`).
fn requirement_name(req: &str) -> &str {
    let req = req.trim();
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    req.get(..end).unwrap_or(req)
}

// ---------------------------------------------------------------------
// uv.lock

#[derive(Deserialize)]
struct Uv {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: toml::Spanned<String>,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<UvDependency>>,
    sdist: Option<UvFile>,
    #[serde(default)]
    wheels: Vec<UvFile>,
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Deserialize)]
struct UvFile {
    url: Option<String>,
    hash: Option<String>,
}

/// `uv.lock`: every package; the workspace's own (source `editable` or
/// `virtual`) are the roots. Packages reached from the roots only through
/// `dev-dependencies` (dependency groups) are development-only; extras
/// count where some package, or a root, asks for them.
pub(crate) fn parse_uv(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Found, GenerateError> {
    let text = ctx.utf8(bytes)?;
    let lock: Uv = ctx.toml(text)?;
    if let Some(v) = &lock.version
        && *v.get_ref() != 1
    {
        let (l, c) = line_column(text.as_bytes(), v.span().start);
        return Err(ctx
            .error(
                GenerateErrorKind::UnsupportedVersion,
                format!("uv.lock version {} is not supported (1 is)", v.get_ref()),
            )
            .at(Location::at(l, c)));
    }
    let line_of = |p: &UvPackage| line_column(text.as_bytes(), p.name.span().start).0;
    let source_str = |s: &BTreeMap<String, toml::Value>, key: &str| -> Option<String> {
        s.get(key).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let names: Vec<String> = lock
        .package
        .iter()
        .map(|p| pep503(p.name.get_ref()))
        .collect();
    let mut found = Found::default();
    let mut roots = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let name = p.name.get_ref();
        let mut qualifiers: Vec<(&str, String)> = Vec::new();
        if let Some(r) = source_str(&p.source, "registry")
            && r.trim_end_matches('/') != PYPI
        {
            qualifiers.push(("repository_url", r));
        }
        if let Some(g) = source_str(&p.source, "git") {
            let (repo, commit) = g.split_once('#').unwrap_or((&g, ""));
            let repo = repo.split_once('?').map_or(repo, |(r, _)| r);
            let vcs = if commit.is_empty() {
                format!("git+{}", repo.trim_start_matches("git+"))
            } else {
                format!("git+{}@{commit}", repo.trim_start_matches("git+"))
            };
            qualifiers.push(("vcs_url", vcs));
        }
        let q: Vec<(&str, &str)> = qualifiers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let version = p
            .version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let mut pkg = pypi_pkg(name, version, &q)
            .map_err(|e| ctx.invalid_at(line_of(p), format!("package `{name}`: {e}")))?;
        let root = p.source.contains_key("editable") || p.source.contains_key("virtual");
        if root {
            roots.push(i);
            pkg.kind = ComponentKind::Application;
        }
        pkg.local = root || p.source.contains_key("directory") || p.source.contains_key("path");
        if version.is_none() && !pkg.local {
            found
                .warnings
                .push(ctx.warning_at(Some(line_of(p)), format!("package `{name}` has no version")));
        }
        if let Some(url) = source_str(&p.source, "url") {
            pkg.download_location = Some(url);
        } else {
            pkg.download_location = p.sdist.as_ref().and_then(|s| s.url.clone());
        }
        set_hashes(
            &mut pkg,
            p.sdist
                .iter()
                .chain(&p.wheels)
                .filter_map(|f| f.hash.as_deref()),
        );
        found.pkgs.push(pkg);
    }

    let index = NameIndex::new(names.iter().map(String::as_str));
    let resolve = |d: &UvDependency| -> Vec<usize> {
        let candidates = index.get(&pep503(&d.name));
        if candidates.len() <= 1 {
            return candidates.to_vec();
        }
        candidates
            .iter()
            .copied()
            .filter(|&c| {
                let p = &lock.package[c];
                d.version
                    .as_ref()
                    .is_none_or(|v| p.version.as_ref() == Some(v))
                    && (d.source.is_empty() || d.source == p.source)
            })
            .collect()
    };
    // Extras asked for, by package index.
    let mut wanted: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for p in &lock.package {
        let all = p
            .dependencies
            .iter()
            .chain(p.optional_dependencies.values().flatten())
            .chain(p.dev_dependencies.values().flatten());
        for d in all {
            for to in resolve(d) {
                wanted
                    .entry(to)
                    .or_default()
                    .extend(d.extra.iter().map(String::as_str));
            }
        }
    }
    for &r in &roots {
        wanted.entry(r).or_default().extend(
            lock.package[r]
                .optional_dependencies
                .keys()
                .map(String::as_str),
        );
    }
    // Production edges, then development ones.
    let mut prod: Vec<Vec<usize>> = vec![Vec::new(); lock.package.len()];
    let mut dev_edges: Vec<(usize, usize)> = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let extras = wanted.get(&i);
        let optional = p
            .optional_dependencies
            .iter()
            .filter(|(e, _)| extras.is_some_and(|w| w.contains(e.as_str())))
            .flat_map(|(_, deps)| deps);
        for d in p.dependencies.iter().chain(optional) {
            prod[i].extend(resolve(d));
        }
        for d in p.dev_dependencies.values().flatten() {
            for to in resolve(d) {
                dev_edges.push((i, to));
            }
        }
    }
    let reach = |starts: &[usize], extra: &[(usize, usize)]| -> Vec<bool> {
        let mut seen = vec![false; prod.len()];
        let mut queue: VecDeque<usize> = starts.iter().copied().collect();
        for &s in starts {
            seen[s] = true;
        }
        while let Some(i) = queue.pop_front() {
            let next = prod[i]
                .iter()
                .copied()
                .chain(extra.iter().filter(|(a, _)| *a == i).map(|(_, b)| *b));
            for n in next {
                if !seen[n] {
                    seen[n] = true;
                    queue.push_back(n);
                }
            }
        }
        seen
    };
    let in_prod = reach(&roots, &[]);
    let in_any = reach(&roots, &dev_edges);
    for (i, pkg) in found.pkgs.iter_mut().enumerate() {
        pkg.dev = !in_prod[i] && in_any[i];
    }
    for (i, tos) in prod.iter().enumerate() {
        for &to in tos {
            found.edges.push((i, to));
        }
    }
    if ctx.include_dev {
        found.edges.extend(dev_edges);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines() {
        let r = requirement(
            "requests[socks, security] == 2.32.3 ; python_version >= \"3.8\" --hash=sha256:ab12",
        )
        .unwrap();
        assert_eq!(r.name, "requests");
        assert_eq!(r.extras, ["socks", "security"]);
        assert_eq!(r.spec, Spec::Pinned("2.32.3"));
        assert_eq!(r.markers, Some("python_version >= \"3.8\""));
        assert_eq!(r.hashes, ["sha256:ab12"]);
        assert_eq!(requirement("a===1.0").unwrap().spec, Spec::Pinned("1.0"));
        assert_eq!(requirement("a==1.*").unwrap().spec, Spec::Unpinned("==1.*"));
        assert_eq!(
            requirement("a>=1,<2").unwrap().spec,
            Spec::Unpinned(">=1,<2")
        );
        assert_eq!(requirement("a").unwrap().spec, Spec::Unpinned(""));
        assert_eq!(
            requirement("a @ https://x/a-1.0.tar.gz").unwrap().spec,
            Spec::Url("https://x/a-1.0.tar.gz")
        );
        assert!(requirement("==1.0").is_err());
        assert!(requirement("a==").is_err());
        assert!(requirement("a=1.0").is_err());
        assert!(requirement("a==1.0 --hash=md5:00").is_err());
        assert!(requirement("a[x==1.0").is_err());
        for path in [
            ".",
            "./vendor/lib",
            "/srv/pkg",
            "dist/pkg-1.0-py3-none-any.whl",
            "https://x/a.zip",
            "git+https://x/a",
            "file:../a",
        ] {
            assert!(is_path_or_url(path), "{path}");
        }
        for name in ["a==1.0", "requests[socks]>=2", "zope.interface==6.0"] {
            assert!(!is_path_or_url(name), "{name}");
        }
    }

    #[test]
    fn includes_resolve_against_the_including_folder() {
        assert_eq!(
            include_path("app/requirements.txt", "common.txt"),
            "app/common.txt"
        );
        assert_eq!(
            include_path("app/requirements.txt", "../base/r.txt"),
            "base/r.txt"
        );
        assert_eq!(include_path("requirements.txt", "./a/b.txt"), "a/b.txt");
        assert_eq!(include_path("/srv/requirements.txt", "c.txt"), "/srv/c.txt");
        assert_eq!(
            includes("-r a.txt\n--requirement=b.txt\n-rc.txt\nx==1 # -r d.txt\n"),
            ["a.txt", "b.txt", "c.txt"]
        );
    }

    #[test]
    fn comments_and_continuations_as_pip_reads_them() {
        let lines = logical_lines(
            "a==1 \\\n  --hash=sha256:00\n  # via b\nc==2#x\nd @ https://x/d.zip#egg=d\n",
        );
        let lines: Vec<(usize, &str)> = lines.iter().map(|(n, l)| (*n, l.trim())).collect();
        assert_eq!(
            lines,
            [
                (1, "a==1    --hash=sha256:00"),
                (4, "c==2#x"),
                (5, "d @ https://x/d.zip#egg=d")
            ]
        );
    }
}
