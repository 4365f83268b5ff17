//! SBOMs generated from what a manufacturer ships: the lockfiles of its
//! software (`Cargo.lock`, `package-lock.json`, `requirements.txt`,
//! `poetry.lock`, `Pipfile.lock`, `uv.lock`) and the dpkg database of its
//! Debian-based Linux image (`var/lib/dpkg/status`, with the distribution
//! from `etc/os-release`), read into the normalised [`Sbom`] so that the
//! existing writers, the NTIA check and the matcher work on it unchanged.
//!
//! [`generate`] is pure: it takes [`Input`]s (a path and the bytes) and
//! options, and returns the SBOM or a [`GenerateError`] that names the file,
//! the line or JSON path, and what is wrong. It never reads the clock: the
//! caller passes the timestamp ([`Options::created`]).
//! [`collect`] and [`generate_path`] are the IO edge: they walk a directory
//! the way syft 1.18 does (see `walk.rs` for where and why they differ) and
//! read the files they recognise.
//!
//! What the inputs say and what is left out is documented per format in
//! the submodules; the differences from syft are listed, with reasons, in
//! `tests/it/generate_syft.rs`, which checks them against syft itself.

mod cargo;
mod dpkg;
mod npm;
mod python;
mod walk;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use packageurl::PackageUrl;
use serde::de::DeserializeOwned;

use crate::Limits;
use crate::error::Location;
use crate::model::{
    Component, ComponentKind, Dependency, DependencyKind, Diagnostic, Format, FormatKind, Hash,
    License, Party, PartyKind, Sbom,
};
use crate::purl::Purl;
use crate::util::{line_column, utc_timestamp};

pub use python::{EXTRAS, FILE_HASH, MARKERS};
pub use walk::{Collected, collect};

/// One file to generate from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The file's path, `/`-separated: how it is recognised (by its name),
    /// how a dpkg database finds the `etc/os-release` of its root, and how
    /// messages name it.
    pub path: String,
    pub bytes: Vec<u8>,
    /// What the file is; `None` recognises it by name, then by content.
    pub kind: Option<InputKind>,
}

impl Input {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            path: path.into(),
            bytes: bytes.into(),
            kind: None,
        }
    }
}

/// A kind of file [`generate`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    /// `Cargo.lock`, versions 1 to 4.
    CargoLock,
    /// npm's `package-lock.json` (or `npm-shrinkwrap.json`), lockfile
    /// versions 1, 2 and 3.
    NpmLock,
    /// A pip requirements file (`requirements.txt`, `*requirements*.txt`,
    /// or any file another one includes with `-r`).
    Requirements,
    /// `poetry.lock`, lock versions 1.x and 2.x.
    PoetryLock,
    /// Pipenv's `Pipfile.lock`.
    PipfileLock,
    /// `uv.lock`, version 1.
    UvLock,
    /// A dpkg status database (`var/lib/dpkg/status`) or a distroless
    /// `var/lib/dpkg/status.d/` entry.
    DpkgStatus,
    /// `etc/os-release` or `usr/lib/os-release`: the distribution that
    /// Debian package URLs name.
    OsRelease,
}

impl InputKind {
    pub const ALL: [InputKind; 8] = [
        InputKind::CargoLock,
        InputKind::NpmLock,
        InputKind::Requirements,
        InputKind::PoetryLock,
        InputKind::PipfileLock,
        InputKind::UvLock,
        InputKind::DpkgStatus,
        InputKind::OsRelease,
    ];

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::CargoLock => "Cargo.lock",
            InputKind::NpmLock => "package-lock.json",
            InputKind::Requirements => "requirements.txt",
            InputKind::PoetryLock => "poetry.lock",
            InputKind::PipfileLock => "Pipfile.lock",
            InputKind::UvLock => "uv.lock",
            InputKind::DpkgStatus => "dpkg status",
            InputKind::OsRelease => "os-release",
        }
    }

    /// The kind a file has by its path alone, with syft's patterns:
    /// `**/Cargo.lock`, `**/package-lock.json`, `**/*requirements*.txt`,
    /// `**/poetry.lock`, `**/Pipfile.lock`, `**/lib/dpkg/status`,
    /// `**/lib/dpkg/status.d/*`; and `uv.lock`, `npm-shrinkwrap.json`,
    /// `etc/os-release` and `usr/lib/os-release`, which syft 1.18 does not
    /// catalogue or finds otherwise.
    pub fn from_path(path: &str) -> Option<InputKind> {
        let path = path.trim_end_matches('/');
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => ("", path),
        };
        Some(match name {
            "Cargo.lock" => InputKind::CargoLock,
            "package-lock.json" | "npm-shrinkwrap.json" => InputKind::NpmLock,
            "poetry.lock" => InputKind::PoetryLock,
            "Pipfile.lock" => InputKind::PipfileLock,
            "uv.lock" => InputKind::UvLock,
            "status" if dir == "lib/dpkg" || dir.ends_with("/lib/dpkg") => InputKind::DpkgStatus,
            "os-release"
                if matches!(dir, "etc" | "usr/lib")
                    || dir.ends_with("/etc")
                    || dir.ends_with("/usr/lib")
                    || dir.is_empty() =>
            {
                InputKind::OsRelease
            }
            _ if name.contains("requirements") && name.ends_with(".txt") => InputKind::Requirements,
            _ if (dir == "lib/dpkg/status.d" || dir.ends_with("/lib/dpkg/status.d"))
                && !dpkg::is_info_file(name) =>
            {
                InputKind::DpkgStatus
            }
            _ => return None,
        })
    }

    /// The kind of a file by its path, else by its content: what each
    /// format's tools write at the top, or the shape of the document.
    pub fn detect(path: &str, bytes: &[u8]) -> Option<InputKind> {
        if let Some(kind) = InputKind::from_path(path) {
            return Some(kind);
        }
        let head = String::from_utf8_lossy(bytes.get(..4096).unwrap_or(bytes));
        let head = head.trim_start_matches('\u{feff}');
        let trimmed = head.trim_start();
        if trimmed.starts_with('{') {
            if head.contains("\"lockfileVersion\"") {
                return Some(InputKind::NpmLock);
            }
            if head.contains("\"_meta\"") && head.contains("\"pipfile-spec\"") {
                return Some(InputKind::PipfileLock);
            }
            return None;
        }
        if head.contains("@generated by Cargo") {
            return Some(InputKind::CargoLock);
        }
        if head.contains("@generated by Poetry") {
            return Some(InputKind::PoetryLock);
        }
        if head.contains("requires-python") && head.contains("[[package]]") {
            return Some(InputKind::UvLock);
        }
        if head.contains("[[package]]") && head.contains("source = \"registry+") {
            return Some(InputKind::CargoLock);
        }
        let mut lines = head.lines().map(str::trim).filter(|l| !l.is_empty());
        if let Some(first) = lines.next() {
            if first.starts_with("Package:") {
                return Some(InputKind::DpkgStatus);
            }
            if head.lines().any(|l| l.starts_with("ID=")) && !head.contains("==") {
                return Some(InputKind::OsRelease);
            }
        }
        None
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The product an SBOM describes, when the caller names it: it becomes the
/// SBOM's subject, depending on every component nothing else depends on,
/// and its supplier becomes the supplier of the project's own packages
/// (Cargo path crates, the npm root and workspace packages, uv's project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub version: Option<String>,
    pub supplier: Option<Party>,
    /// An identifier for the product, which the NTIA check wants.
    pub purl: Option<Purl>,
}

/// How [`generate`] works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// When the SBOM was made (RFC 3339). `None` leaves the SBOM without a
    /// timestamp, which fails the NTIA check; the CLI passes the current
    /// time, or `SOURCE_DATE_EPOCH` for reproducible builds.
    pub created: Option<String>,
    /// Who made the SBOM data: by default the tool, `medsec`.
    pub author: Party,
    pub product: Option<Product>,
    /// Also list packages the lockfile marks as needed for development
    /// only (npm `dev`, Pipfile `develop`, Poetry groups other than
    /// `main` or category `dev`, uv dependency groups), with scope
    /// `excluded`. Off by default: they are not shipped.
    pub include_dev: bool,
    /// Turn a malformed input into a warning and go on with the others,
    /// rather than failing: for scans of large trees that hold test
    /// fixtures. Off by default, so that an SBOM is never silently short.
    pub keep_going: bool,
    /// Bounds on each input's size (and on their total) and on the number
    /// of components.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            created: None,
            author: Party {
                kind: PartyKind::Tool,
                name: "medsec".to_owned(),
                email: None,
            },
            product: None,
            include_dev: false,
            keep_going: false,
            limits: Limits::default(),
        }
    }
}

/// What kind of problem a [`GenerateError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateErrorKind {
    /// A file or directory could not be read.
    Io,
    /// An input, or all of them together, larger than
    /// [`Limits::max_bytes`].
    TooLarge,
    /// More components than [`Limits::max_components`].
    TooManyComponents,
    /// Nested deeper than the parser allows.
    TooDeep,
    /// Not well-formed TOML, JSON or text of its format, or not UTF-8.
    Syntax,
    /// Well-formed, but not what the format allows: a missing field, a
    /// value of the wrong type, a line that is no requirement.
    Invalid,
    /// A lockfile version this reader does not know.
    UnsupportedVersion,
    /// A file given explicitly that is none of the [`InputKind`]s.
    Unrecognised,
    /// Options that cannot be used (an unreadable timestamp).
    Options,
}

/// An input that could not be used.
///
/// Displayed as `path/Cargo.lock:12:1: package[3].version: missing field
/// `version``, the position and path left out when unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct GenerateError {
    pub kind: GenerateErrorKind,
    /// The input's path, as in [`Input::path`].
    pub file: String,
    pub input: Option<InputKind>,
    /// The line and column, and the TOML or JSON path
    /// (`packages.node_modules/ms.version`) where there is one.
    pub location: Location,
    pub message: String,
}

impl GenerateError {
    pub(crate) fn new(
        kind: GenerateErrorKind,
        file: &str,
        input: Option<InputKind>,
        message: impl Into<String>,
    ) -> GenerateError {
        GenerateError {
            kind,
            file: file.to_owned(),
            input,
            location: Location::default(),
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, location: Location) -> GenerateError {
        self.location = location;
        self
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        match (self.location.line, self.location.column) {
            (Some(l), Some(c)) => write!(f, ":{l}:{c}")?,
            (Some(l), None) => write!(f, ":{l}")?,
            _ => {}
        }
        f.write_str(": ")?;
        if let Some(path) = &self.location.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Generates the SBOM of `inputs`.
///
/// Components found in several inputs (or twice in one, as npm's nested
/// copies) are one component, identified by its package URL, which is
/// also its id. Development-only packages are left out unless
/// [`Options::include_dev`]. The dependency graph is the lockfiles' own
/// (Cargo.lock `dependencies`, package-lock `dependencies`/`requires`,
/// Poetry and uv dependencies, dpkg `Depends` and `Pre-Depends`);
/// `requirements.txt` and `Pipfile.lock` have none.
pub fn generate(inputs: &[Input], options: &Options) -> Result<Sbom, GenerateError> {
    let limits = &options.limits;
    let created = match &options.created {
        None => None,
        Some(t) => Some(utc_timestamp(t).ok_or_else(|| {
            GenerateError::new(
                GenerateErrorKind::Options,
                "options",
                None,
                format!("`{t}` is not an RFC 3339 date and time"),
            )
        })?),
    };
    let total: usize = inputs.iter().map(|i| i.bytes.len()).sum();
    if total > limits.max_bytes {
        return Err(GenerateError::new(
            GenerateErrorKind::TooLarge,
            inputs.first().map_or("", |i| i.path.as_str()),
            None,
            format!(
                "the inputs are {total} bytes together, more than the limit of {}",
                limits.max_bytes
            ),
        ));
    }

    let mut warnings: Vec<Diagnostic> = Vec::new();
    let mut kinds = Vec::with_capacity(inputs.len());
    for input in inputs {
        let kind = match input
            .kind
            .or_else(|| InputKind::detect(&input.path, &input.bytes))
        {
            Some(k) => k,
            None => {
                let e = GenerateError::new(
                    GenerateErrorKind::Unrecognised,
                    &input.path,
                    None,
                    "not a Cargo.lock, package-lock.json, requirements file, poetry.lock, \
                     Pipfile.lock, uv.lock, dpkg status or os-release file",
                );
                fail_or_warn(e, options, &mut warnings)?;
                kinds.push(None);
                continue;
            }
        };
        if input.bytes.len() > limits.max_bytes {
            let e = GenerateError::new(
                GenerateErrorKind::TooLarge,
                &input.path,
                Some(kind),
                format!(
                    "the file is {} bytes, more than the limit of {}",
                    input.bytes.len(),
                    limits.max_bytes
                ),
            );
            fail_or_warn(e, options, &mut warnings)?;
            kinds.push(None);
            continue;
        }
        kinds.push(Some(kind));
    }

    // The distributions first: dpkg databases need them for their purls.
    let mut releases: Vec<(&str, dpkg::Distro)> = Vec::new();
    for (input, kind) in inputs.iter().zip(&kinds) {
        if *kind == Some(InputKind::OsRelease) {
            let text = String::from_utf8_lossy(&input.bytes);
            releases.push((input.path.as_str(), dpkg::Distro::parse(&text)));
        }
    }

    let mut merged = Merged::default();
    for (input, kind) in inputs.iter().zip(&kinds) {
        let Some(kind) = *kind else { continue };
        if kind == InputKind::OsRelease {
            continue;
        }
        let ctx = Ctx {
            file: &input.path,
            kind,
            include_dev: options.include_dev,
        };
        let parsed = match kind {
            InputKind::CargoLock => cargo::parse(&ctx, &input.bytes),
            InputKind::NpmLock => npm::parse(&ctx, &input.bytes),
            InputKind::Requirements => python::parse_requirements(&ctx, &input.bytes, inputs),
            InputKind::PoetryLock => python::parse_poetry(&ctx, &input.bytes),
            InputKind::PipfileLock => python::parse_pipfile(&ctx, &input.bytes),
            InputKind::UvLock => python::parse_uv(&ctx, &input.bytes),
            InputKind::DpkgStatus => {
                let distro = dpkg::distro_for(&input.path, &releases);
                if distro.is_none() {
                    warnings.push(Diagnostic {
                        location: input.path.clone(),
                        message: "no etc/os-release or usr/lib/os-release found for this \
                                  dpkg database: package URLs say `debian` without a \
                                  `distro` qualifier"
                            .to_owned(),
                    });
                }
                dpkg::parse(&ctx, &input.bytes, distro)
            }
            InputKind::OsRelease => continue,
        };
        match parsed {
            Ok(found) => {
                merged.add(&input.path, found, options);
                if merged.components.len() > limits.max_components {
                    return Err(GenerateError::new(
                        GenerateErrorKind::TooManyComponents,
                        &input.path,
                        Some(kind),
                        format!(
                            "more than the limit of {} components",
                            limits.max_components
                        ),
                    ));
                }
            }
            Err(e) => fail_or_warn(e, options, &mut warnings)?,
        }
    }
    warnings.append(&mut merged.warnings);
    Ok(merged.finish(options, created, warnings))
}

/// Collects the inputs under `path` (a directory, walked, or one file) and
/// generates their SBOM, named after `path` unless a product is given.
pub fn generate_path(path: &Path, options: &Options) -> Result<Sbom, GenerateError> {
    let collected = collect(path, &options.limits)?;
    let mut sbom = generate(&collected.inputs, options)?;
    if sbom.name.is_none() {
        sbom.name = std::path::absolute(path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .or_else(|| Some(path.to_string_lossy().into_owned()));
    }
    let mut warnings = collected.warnings;
    warnings.append(&mut sbom.warnings);
    sbom.warnings = warnings;
    Ok(sbom)
}

fn fail_or_warn(
    e: GenerateError,
    options: &Options,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), GenerateError> {
    if !options.keep_going {
        return Err(e);
    }
    let location = match (e.location.line, e.location.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
        (Some(l), None) => format!("{}:{l}", e.file),
        _ => e.file.clone(),
    };
    let message = match &e.location.path {
        Some(p) => format!("{p}: {}; the file was skipped", e.message),
        None => format!("{}; the file was skipped", e.message),
    };
    warnings.push(Diagnostic { location, message });
    Ok(())
}

/// The input being parsed, for errors and warnings.
pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a str,
    pub(crate) kind: InputKind,
    /// [`Options::include_dev`], for formats where it decides which edges
    /// exist rather than which packages are kept.
    pub(crate) include_dev: bool,
}

impl Ctx<'_> {
    pub(crate) fn error(
        &self,
        kind: GenerateErrorKind,
        message: impl Into<String>,
    ) -> GenerateError {
        GenerateError::new(kind, self.file, Some(self.kind), message)
    }

    /// An `Invalid` error at 1-based `line`.
    pub(crate) fn invalid_at(&self, line: usize, message: impl Into<String>) -> GenerateError {
        self.error(GenerateErrorKind::Invalid, message)
            .at(Location::line(line))
    }

    pub(crate) fn warning_at(&self, line: Option<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            location: match line {
                Some(l) => format!("{}:{l}", self.file),
                None => self.file.to_owned(),
            },
            message: message.into(),
        }
    }

    /// The text of `bytes`, which must be UTF-8 (TOML and JSON are).
    pub(crate) fn utf8<'b>(&self, bytes: &'b [u8]) -> Result<&'b str, GenerateError> {
        std::str::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column(bytes, e.valid_up_to());
            self.error(GenerateErrorKind::Syntax, "not UTF-8")
                .at(Location::at(line, column))
        })
    }

    /// Deserialises a TOML document, errors with their TOML path and
    /// position.
    pub(crate) fn toml<T: DeserializeOwned>(&self, text: &str) -> Result<T, GenerateError> {
        let de = toml::Deserializer::parse(text)
            .map_err(|e| self.toml_error(text, String::new(), GenerateErrorKind::Syntax, &e))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            self.toml_error(text, path, GenerateErrorKind::Invalid, e.inner())
        })
    }

    fn toml_error(
        &self,
        text: &str,
        path: String,
        kind: GenerateErrorKind,
        e: &toml::de::Error,
    ) -> GenerateError {
        let message = e.message().trim().to_owned();
        let kind = if message.contains("recursion") {
            GenerateErrorKind::TooDeep
        } else {
            kind
        };
        let mut location = Location::default();
        if let Some(span) = e.span() {
            let (l, c) = line_column(text.as_bytes(), span.start);
            location = Location::at(l, c);
        }
        if !path.is_empty() && path != "." {
            location.path = Some(path);
        }
        self.error(kind, message).at(location)
    }

    /// Deserialises a JSON document, errors with their JSON path and
    /// position; serde_json's recursion limit (128) bounds the nesting.
    pub(crate) fn json<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, GenerateError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize::<_, T>(&mut de)
            .map_err(|e| self.json_error(e.path().to_string(), e.inner()))?;
        de.end().map_err(|e| self.json_error(String::new(), &e))?;
        Ok(value)
    }

    fn json_error(&self, path: String, e: &serde_json::Error) -> GenerateError {
        let text = e.to_string();
        let kind = match e.classify() {
            serde_json::error::Category::Data => GenerateErrorKind::Invalid,
            _ if text.contains("recursion limit exceeded") => GenerateErrorKind::TooDeep,
            _ => GenerateErrorKind::Syntax,
        };
        let message = match text.rsplit_once(" at line ") {
            Some((m, _)) if e.line() > 0 => m.to_owned(),
            _ => text.clone(),
        };
        let mut location = Location::default();
        if e.line() > 0 {
            location = Location::at(e.line(), e.column());
        }
        // serde_path_to_error writes `?` for a key it had not read yet.
        let path = path
            .split('.')
            .filter(|s| *s != "?")
            .collect::<Vec<_>>()
            .join(".");
        if !path.is_empty() && path != "." {
            location.path = Some(path);
        }
        self.error(kind, message).at(location)
    }
}

/// A package as a parser found it, before inputs are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pkg {
    pub(crate) purl: Purl,
    pub(crate) kind: ComponentKind,
    pub(crate) group: Option<String>,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    pub(crate) hashes: Vec<Hash>,
    pub(crate) licenses: Vec<License>,
    pub(crate) supplier: Option<Party>,
    pub(crate) description: Option<String>,
    pub(crate) homepage: Option<String>,
    pub(crate) download_location: Option<String>,
    /// CycloneDX scope; `optional` for optional dependencies.
    pub(crate) scope: Option<&'static str>,
    /// Part of the project itself (a Cargo path crate, the npm root or a
    /// workspace package, uv's project), rather than a dependency.
    pub(crate) local: bool,
    /// Needed for development only.
    pub(crate) dev: bool,
    pub(crate) properties: Vec<(String, String)>,
}

impl Pkg {
    pub(crate) fn new(purl: Purl, name: impl Into<String>, version: Option<String>) -> Pkg {
        Pkg {
            purl,
            kind: ComponentKind::Library,
            group: None,
            name: name.into(),
            version,
            hashes: Vec::new(),
            licenses: Vec::new(),
            supplier: None,
            description: None,
            homepage: None,
            download_location: None,
            scope: None,
            local: false,
            dev: false,
            properties: Vec::new(),
        }
    }
}

/// What a parser found in one input: packages and the edges between them
/// (indexes into `pkgs`, dependent first).
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) pkgs: Vec<Pkg>,
    pub(crate) edges: Vec<(usize, usize)>,
    pub(crate) warnings: Vec<Diagnostic>,
}

/// The property naming the input a component was found in (one per
/// input).
pub const FOUND_IN: &str = "medsec:found-in";
/// The property marking the project's own packages (`true`).
pub const LOCAL: &str = "medsec:local";

/// Components of all inputs, merged by package URL.
#[derive(Default)]
struct Merged {
    components: Vec<Component>,
    dev: Vec<bool>,
    by_purl: HashMap<String, usize>,
    edges: BTreeSet<(usize, usize)>,
    warnings: Vec<Diagnostic>,
}

impl Merged {
    fn add(&mut self, file: &str, found: Found, options: &Options) {
        self.warnings.extend(found.warnings);
        let mut index = Vec::with_capacity(found.pkgs.len());
        for pkg in found.pkgs {
            if pkg.dev && !options.include_dev {
                index.push(None);
                continue;
            }
            let key = pkg.purl.as_str().to_owned();
            let at = match self.by_purl.get(&key) {
                Some(&at) => {
                    merge_into(&mut self.components[at], &mut self.dev[at], pkg, file);
                    at
                }
                None => {
                    let at = self.components.len();
                    self.dev.push(pkg.dev);
                    self.components.push(component(pkg, file));
                    self.by_purl.insert(key, at);
                    at
                }
            };
            index.push(Some(at));
        }
        for (a, b) in found.edges {
            if let (Some(Some(a)), Some(Some(b))) = (index.get(a), index.get(b))
                && a != b
            {
                self.edges.insert((*a, *b));
            }
        }
    }

    fn finish(self, options: &Options, created: Option<String>, warnings: Vec<Diagnostic>) -> Sbom {
        let Merged {
            mut components,
            dev,
            edges,
            ..
        } = self;
        for (c, dev) in components.iter_mut().zip(&dev) {
            if *dev {
                c.scope = Some("excluded".to_owned());
            }
        }
        let mut dependencies: Vec<Dependency> = edges
            .iter()
            .map(|&(a, b)| Dependency {
                from: components[a].id.clone(),
                to: components[b].id.clone(),
                kind: DependencyKind::DependsOn,
                detail: None,
            })
            .collect();

        let mut sbom = Sbom::new(Format {
            kind: FormatKind::CycloneDxJson,
            spec_version: "1.6".to_owned(),
        });
        if let Some(product) = &options.product {
            let mut has_parent = vec![false; components.len()];
            for &(_, b) in &edges {
                has_parent[b] = true;
            }
            let mut subject = Component::new(PRODUCT_ID, product.name.clone());
            subject.kind = Some(ComponentKind::Application);
            subject.version = product.version.clone();
            subject.supplier = product.supplier.clone();
            subject.purl = product.purl.clone();
            for (c, has_parent) in components.iter_mut().zip(&has_parent) {
                if c.property(LOCAL) == Some("true") && c.supplier.is_none() {
                    c.supplier = product.supplier.clone();
                }
                if !has_parent {
                    dependencies.push(Dependency {
                        from: subject.id.clone(),
                        to: c.id.clone(),
                        kind: DependencyKind::DependsOn,
                        detail: None,
                    });
                }
            }
            sbom.subject = Some(subject.id.clone());
            sbom.name = Some(product.name.clone());
            components.insert(0, subject);
        }
        // Sorted by id (the purl), so that the output does not depend on
        // the order of inputs and is easy to diff.
        // The order is found on indexes and the components moved once:
        // sorting them in place moved each large struct many times, a
        // tenth of the time of a large lockfile.
        let start = usize::from(options.product.is_some()).min(components.len());
        let mut order: Vec<usize> = (start..components.len()).collect();
        order.sort_by(|&a, &b| components[a].id.cmp(&components[b].id));
        let mut slots: Vec<Option<Component>> = components.drain(start..).map(Some).collect();
        components.extend(
            order
                .into_iter()
                .filter_map(|i| slots.get_mut(i - start).and_then(Option::take)),
        );
        dependencies.sort();
        dependencies.dedup();
        sbom.components = components;
        sbom.dependencies = dependencies;
        sbom.created = created;
        sbom.authors = vec![options.author.clone()];
        sbom.warnings = warnings;
        sbom
    }
}

/// The id of the product component, when [`Options::product`] is set.
pub const PRODUCT_ID: &str = "medsec:product";

fn component(pkg: Pkg, file: &str) -> Component {
    let mut c = Component::new(pkg.purl.as_str(), pkg.name);
    c.kind = Some(pkg.kind);
    c.group = pkg.group;
    c.version = pkg.version;
    c.purl = Some(pkg.purl);
    c.hashes = pkg.hashes;
    c.licenses = pkg.licenses;
    c.supplier = pkg.supplier;
    c.description = pkg.description;
    c.homepage = pkg.homepage;
    c.download_location = pkg.download_location;
    c.scope = pkg.scope.map(str::to_owned);
    c.properties = pkg.properties;
    if pkg.local {
        c.properties.push((LOCAL.to_owned(), "true".to_owned()));
    }
    c.properties.push((FOUND_IN.to_owned(), file.to_owned()));
    c
}

/// Folds a second finding of the same package into its component: the
/// first finding's fields win, lists are joined, and a package needed
/// outside development is not development-only.
fn merge_into(c: &mut Component, dev: &mut bool, pkg: Pkg, file: &str) {
    *dev = *dev && pkg.dev;
    for h in pkg.hashes {
        if !c.hashes.contains(&h) {
            c.hashes.push(h);
        }
    }
    for l in pkg.licenses {
        if !c.licenses.contains(&l) {
            c.licenses.push(l);
        }
    }
    c.supplier = c.supplier.take().or(pkg.supplier);
    c.description = c.description.take().or(pkg.description);
    c.homepage = c.homepage.take().or(pkg.homepage);
    c.download_location = c.download_location.take().or(pkg.download_location);
    // Required somewhere beats optional elsewhere.
    if c.scope.is_some() && pkg.scope.is_none() {
        c.scope = None;
    }
    for p in pkg.properties {
        if !c.properties.contains(&p) {
            c.properties.push(p);
        }
    }
    if pkg.local && c.property(LOCAL).is_none() {
        c.properties.push((LOCAL.to_owned(), "true".to_owned()));
    }
    let found = (FOUND_IN.to_owned(), file.to_owned());
    if !c.properties.contains(&found) {
        c.properties.push(found);
    }
}

/// A package URL from its parts, canonical; `Err` says why the parts make
/// none (an empty name).
pub(crate) fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> Result<Purl, String> {
    let mut p = PackageUrl::new(ty, name).map_err(|e| e.to_string())?;
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        p.with_namespace(ns).map_err(|e| e.to_string())?;
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        p.with_version(v).map_err(|e| e.to_string())?;
    }
    for (k, v) in qualifiers {
        if !v.is_empty() {
            p.add_qualifier(*k, *v).map_err(|e| e.to_string())?;
        }
    }
    Purl::parse(&p.to_string()).map_err(|e| e.reason)
}

/// Resolves dependency references by a key, for the formats whose
/// dependencies name packages rather than point at them.
pub(crate) struct NameIndex<'a> {
    map: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> NameIndex<'a> {
    pub(crate) fn new(names: impl Iterator<Item = &'a str>) -> NameIndex<'a> {
        let mut map: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, n) in names.enumerate() {
            map.entry(n).or_default().push(i);
        }
        NameIndex { map }
    }

    pub(crate) fn get(&self, name: &str) -> &[usize] {
        self.map.get(name).map_or(&[], Vec::as_slice)
    }
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` as one `-`.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A `Name <email>` contact (dpkg `Maintainer`).
pub(crate) fn party(text: &str) -> Option<Party> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (name, email) = match (text.rfind('<'), text.rfind('>')) {
        (Some(a), Some(b)) if a < b => (
            text.get(..a).unwrap_or_default().trim(),
            text.get(a + 1..b).map(|e| e.trim().to_owned()),
        ),
        _ => (text, None),
    };
    let name = if name.is_empty() {
        email.clone().unwrap_or_default()
    } else {
        name.to_owned()
    };
    Some(Party {
        // A maintainer may be a person or a team; the text does not say.
        kind: PartyKind::Unspecified,
        name,
        email: email.filter(|e| !e.is_empty()),
    })
}
