//! Version ordering, exactly as each ecosystem defines it, for matching
//! components against advisory ranges. Pure and allocation-light; every
//! ordering is checked against the ecosystem's reference implementation
//! by property tests (`dpkg --compare-versions` for Debian, Python's
//! `packaging` for PEP 440, node's `semver` for npm, `univers` for the
//! others).
//!
//! A [`Scheme`] is an ordering (semver, PEP 440, Maven …); an
//! [`Ecosystem`] is a package universe (npm, PyPI, Maven Central …) and
//! names the scheme its advisories' `ECOSYSTEM` ranges use. [`osv`]
//! evaluates OSV affected ranges over parsed versions.

use std::borrow::Cow;
use std::cmp::Ordering;

pub mod alpine;
pub mod composer;
pub mod cran;
pub mod debian;
pub mod generic;
pub mod go;
pub mod maven;
pub mod nuget;
mod num;
pub mod osv;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

#[cfg(test)]
mod reference;

/// A version string that its scheme does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid {ecosystem} version: {reason}")]
pub struct VersionError {
    /// The name of the scheme that rejected the version ([`Scheme::name`]).
    pub ecosystem: &'static str,
    pub version: String,
    pub reason: Cow<'static, str>,
}

impl VersionError {
    pub(crate) fn new(scheme: Scheme, version: &str, reason: impl Into<Cow<'static, str>>) -> Self {
        VersionError {
            ecosystem: scheme.name(),
            version: version.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A version ordering. Each scheme parses and orders versions the way its
/// reference implementation does; the module of each says which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Semantic Versioning 2.0 precedence (npm, crates.io, Hex, Bitnami,
    /// OSV `SEMVER` ranges); see [`semver`].
    Semver,
    /// Go module versions (`v1.2.3`, `+incompatible`, pseudo-versions);
    /// see [`go`].
    Go,
    /// Python's PEP 440 (PyPI); see [`pep440`].
    Pep440,
    /// Maven 3's `ComparableVersion`; see [`maven`].
    Maven,
    /// NuGet's `NuGetVersion`; see [`nuget`].
    NuGet,
    /// RubyGems' `Gem::Version`; see [`rubygems`].
    RubyGems,
    /// dpkg's ordering (Debian, Ubuntu); see [`debian`].
    Debian,
    /// rpm's `rpmvercmp` over `[epoch:]version[-release]`; see [`rpm`].
    Rpm,
    /// apk-tools' ordering (Alpine, Wolfi, Chainguard); see [`alpine`].
    Alpine,
    /// R's `package_version` (CRAN); see [`cran`].
    Cran,
    /// Composer's normalisation and PHP's `version_compare` (Packagist);
    /// see [`composer`].
    Composer,
    /// Dart's `pub_semver`: semver precedence, then build metadata, which
    /// pub orders rather than ignores; see [`semver`].
    Pub,
    /// A documented natural ordering for versions of no known scheme; see
    /// [`generic`].
    Generic,
}

impl Scheme {
    /// Parses `text` as a version of this scheme.
    pub fn parse(self, text: &str) -> Result<Version, VersionError> {
        let repr = match self {
            Scheme::Semver => Repr::Semver(semver::Version::parse(text)?),
            Scheme::Go => Repr::Go(go::parse(text)?),
            Scheme::Pep440 => Repr::Pep440(pep440::Version::parse(text)?),
            Scheme::Maven => Repr::Maven(maven::Version::parse(text)?),
            Scheme::NuGet => Repr::NuGet(nuget::Version::parse(text)?),
            Scheme::RubyGems => Repr::RubyGems(rubygems::Version::parse(text)?),
            Scheme::Debian => Repr::Debian(debian::Version::parse(text)?),
            Scheme::Rpm => Repr::Rpm(rpm::Version::parse(text)?),
            Scheme::Alpine => Repr::Alpine(alpine::Version::parse(text)?),
            Scheme::Cran => Repr::Cran(cran::Version::parse(text)?),
            Scheme::Composer => Repr::Composer(composer::Version::parse(text)?),
            Scheme::Pub => Repr::Pub(semver::Version::parse_pub(text)?),
            Scheme::Generic => Repr::Generic(generic::Version::parse(text)?),
        };
        Ok(Version {
            text: text.into(),
            repr,
        })
    }

    /// The scheme's name, as used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Go => "Go module",
            Scheme::Pep440 => "PEP 440",
            Scheme::Maven => "Maven",
            Scheme::NuGet => "NuGet",
            Scheme::RubyGems => "RubyGems",
            Scheme::Debian => "Debian",
            Scheme::Rpm => "RPM",
            Scheme::Alpine => "Alpine",
            Scheme::Cran => "CRAN",
            Scheme::Composer => "Composer",
            Scheme::Pub => "pub",
            Scheme::Generic => "generic",
        }
    }
}

/// A package universe whose advisories OSV publishes, or whose components
/// a package URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    Go,
    PyPI,
    Maven,
    NuGet,
    RubyGems,
    Packagist,
    Hex,
    Pub,
    Debian,
    Ubuntu,
    /// Every RPM distribution OSV knows (Red Hat, Rocky Linux, AlmaLinux,
    /// SUSE, openSUSE, Mageia, openEuler, Azure Linux, Photon OS): one
    /// ordering, so one variant; the distribution itself is in the OSV
    /// ecosystem name and the purl namespace, which callers keep.
    Rpm,
    Alpine,
    /// Wolfi, Chainguard's community distribution, versioned as apk does.
    Wolfi,
    /// Chainguard's images, versioned as apk does.
    Chainguard,
    Bitnami,
    Cran,
    GitHubActions,
    /// Swift packages, named by their repository URL; versions are semver
    /// tags.
    SwiftUrl,
}

impl Ecosystem {
    /// Every ecosystem, for tables and tests.
    pub const ALL: [Ecosystem; 20] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::PyPI,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Hex,
        Ecosystem::Pub,
        Ecosystem::Debian,
        Ecosystem::Ubuntu,
        Ecosystem::Rpm,
        Ecosystem::Alpine,
        Ecosystem::Wolfi,
        Ecosystem::Chainguard,
        Ecosystem::Bitnami,
        Ecosystem::Cran,
        Ecosystem::GitHubActions,
        Ecosystem::SwiftUrl,
    ];

    /// OSV `affected[].package.ecosystem`, e.g. "crates.io", "PyPI",
    /// "Debian:12", "Alpine:v3.18", "Red Hat", "Rocky Linux:8" (the suffix
    /// after ':' is ignored). Names are matched exactly, as the OSV schema
    /// spells them.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split_once(':').map_or(name, |(base, _)| base);
        Some(match base {
            "crates.io" => Ecosystem::CratesIo,
            "npm" => Ecosystem::Npm,
            "Go" => Ecosystem::Go,
            "PyPI" => Ecosystem::PyPI,
            "Maven" => Ecosystem::Maven,
            "NuGet" => Ecosystem::NuGet,
            "RubyGems" => Ecosystem::RubyGems,
            "Packagist" => Ecosystem::Packagist,
            "Hex" => Ecosystem::Hex,
            "Pub" => Ecosystem::Pub,
            "Debian" => Ecosystem::Debian,
            "Ubuntu" => Ecosystem::Ubuntu,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "Photon OS" => Ecosystem::Rpm,
            "Alpine" => Ecosystem::Alpine,
            "Wolfi" => Ecosystem::Wolfi,
            "Chainguard" => Ecosystem::Chainguard,
            "Bitnami" => Ecosystem::Bitnami,
            "CRAN" => Ecosystem::Cran,
            "GitHub Actions" => Ecosystem::GitHubActions,
            "SwiftURL" => Ecosystem::SwiftUrl,
            _ => return None,
        })
    }

    /// The package URL type, with the namespace for the types that several
    /// ecosystems share: `deb` (namespace `debian` or `ubuntu`) and `apk`
    /// (`alpine`, `wolfi` or `chainguard`). Types are matched
    /// case-insensitively, as the purl specification says; `rpm` is
    /// [`Ecosystem::Rpm`] whatever its namespace.
    pub fn from_purl(purl_type: &str, namespace: Option<&str>) -> Option<Ecosystem> {
        let ty = purl_type.to_ascii_lowercase();
        let ns = namespace.map(str::to_ascii_lowercase);
        Some(match (ty.as_str(), ns.as_deref()) {
            ("cargo", _) => Ecosystem::CratesIo,
            ("npm", _) => Ecosystem::Npm,
            ("golang", _) => Ecosystem::Go,
            ("pypi", _) => Ecosystem::PyPI,
            ("maven", _) => Ecosystem::Maven,
            ("nuget", _) => Ecosystem::NuGet,
            ("gem", _) => Ecosystem::RubyGems,
            ("composer", _) => Ecosystem::Packagist,
            ("hex", _) => Ecosystem::Hex,
            ("pub", _) => Ecosystem::Pub,
            ("deb", Some("debian")) => Ecosystem::Debian,
            ("deb", Some("ubuntu")) => Ecosystem::Ubuntu,
            ("rpm", _) => Ecosystem::Rpm,
            ("apk", Some("alpine")) => Ecosystem::Alpine,
            ("apk", Some("wolfi")) => Ecosystem::Wolfi,
            ("apk", Some("chainguard")) => Ecosystem::Chainguard,
            ("bitnami", _) => Ecosystem::Bitnami,
            ("cran", _) => Ecosystem::Cran,
            ("github" | "githubactions", _) => Ecosystem::GitHubActions,
            ("swift", _) => Ecosystem::SwiftUrl,
            _ => return None,
        })
    }

    /// The OSV ecosystem name. [`Ecosystem::Rpm`] answers "Red Hat", the
    /// first of the distributions it stands for.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "Go",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Hex => "Hex",
            Ecosystem::Pub => "Pub",
            Ecosystem::Debian => "Debian",
            Ecosystem::Ubuntu => "Ubuntu",
            Ecosystem::Rpm => "Red Hat",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::Wolfi => "Wolfi",
            Ecosystem::Chainguard => "Chainguard",
            Ecosystem::Bitnami => "Bitnami",
            Ecosystem::Cran => "CRAN",
            Ecosystem::GitHubActions => "GitHub Actions",
            Ecosystem::SwiftUrl => "SwiftURL",
        }
    }

    /// The package URL type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "golang",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::NuGet => "nuget",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::Hex => "hex",
            Ecosystem::Pub => "pub",
            Ecosystem::Debian | Ecosystem::Ubuntu => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Alpine | Ecosystem::Wolfi | Ecosystem::Chainguard => "apk",
            Ecosystem::Bitnami => "bitnami",
            Ecosystem::Cran => "cran",
            Ecosystem::GitHubActions => "github",
            Ecosystem::SwiftUrl => "swift",
        }
    }

    /// The ordering the ecosystem's `ECOSYSTEM`-type ranges use.
    pub fn scheme(self) -> Scheme {
        match self {
            Ecosystem::CratesIo
            | Ecosystem::Npm
            | Ecosystem::Hex
            | Ecosystem::Bitnami
            | Ecosystem::GitHubActions
            | Ecosystem::SwiftUrl => Scheme::Semver,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::NuGet => Scheme::NuGet,
            Ecosystem::RubyGems => Scheme::RubyGems,
            Ecosystem::Packagist => Scheme::Composer,
            Ecosystem::Pub => Scheme::Pub,
            Ecosystem::Debian | Ecosystem::Ubuntu => Scheme::Debian,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Alpine | Ecosystem::Wolfi | Ecosystem::Chainguard => Scheme::Alpine,
            Ecosystem::Cran => Scheme::Cran,
        }
    }

    /// The package name as the ecosystem compares it, so that a component's
    /// name and an advisory's name can be compared with `==`:
    ///
    /// - PyPI: PEP 503 normalisation: lower case, and every run of `-`, `_`
    ///   and `.` becomes one `-` (`Foo.Bar_baz` → `foo-bar-baz`).
    /// - crates.io: lower case, `_` as `-`: the registry refuses a new crate
    ///   whose name differs from an existing one only in these.
    /// - NuGet, Packagist, GitHub Actions: lower case, as the registry (and
    ///   GitHub for `owner/repo`) looks names up case-insensitively.
    /// - npm: as is; scoped names keep their `@scope/`, and the registry
    ///   still serves a few old packages whose names differ only in case.
    /// - Maven: as is, written `group:artifact`; Maven coordinates are
    ///   case-sensitive.
    /// - Go: the module path as is; module paths are case-sensitive (the
    ///   proxy escapes capitals rather than folding them).
    /// - Everything else (RubyGems, Hex, Pub, Debian, Ubuntu, RPM, apk,
    ///   Bitnami, CRAN, SwiftURL): as is; their names are case-sensitive or
    ///   lower case by rule.
    ///
    /// Leading and trailing white space is removed everywhere.
    pub fn normalize_name(self, name: &str) -> Cow<'_, str> {
        let name = name.trim();
        match self {
            Ecosystem::PyPI => {
                let unchanged = !name
                    .chars()
                    .any(|c| c.is_uppercase() || c == '_' || c == '.')
                    && !name.contains("--");
                if unchanged {
                    return Cow::Borrowed(name);
                }
                let mut out = String::with_capacity(name.len());
                let mut in_separator = false;
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !in_separator {
                            out.push('-');
                        }
                        in_separator = true;
                    } else {
                        out.extend(c.to_lowercase());
                        in_separator = false;
                    }
                }
                Cow::Owned(out)
            }
            Ecosystem::CratesIo => {
                if name.bytes().all(|b| !b.is_ascii_uppercase() && b != b'_') {
                    Cow::Borrowed(name)
                } else {
                    Cow::Owned(name.to_ascii_lowercase().replace('_', "-"))
                }
            }
            Ecosystem::NuGet | Ecosystem::Packagist | Ecosystem::GitHubActions => lower(name),
            _ => Cow::Borrowed(name),
        }
    }
}

/// `name` in lower case, borrowed when it is already.
fn lower(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_uppercase) {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// A parsed version of one scheme. Comparisons across schemes are `None`;
/// equality is the scheme's equality (`1.0` equals `1.0.0` in PEP 440,
/// `1.0.0+a` equals `1.0.0+b` in semver).
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    Semver(semver::Version),
    Go(semver::Version),
    Pep440(pep440::Version),
    Maven(maven::Version),
    NuGet(nuget::Version),
    RubyGems(rubygems::Version),
    Debian(debian::Version),
    Rpm(rpm::Version),
    Alpine(alpine::Version),
    Cran(cran::Version),
    Composer(composer::Version),
    Pub(semver::Version),
    Generic(generic::Version),
}

impl Version {
    pub fn scheme(&self) -> Scheme {
        match self.repr {
            Repr::Semver(_) => Scheme::Semver,
            Repr::Go(_) => Scheme::Go,
            Repr::Pep440(_) => Scheme::Pep440,
            Repr::Maven(_) => Scheme::Maven,
            Repr::NuGet(_) => Scheme::NuGet,
            Repr::RubyGems(_) => Scheme::RubyGems,
            Repr::Debian(_) => Scheme::Debian,
            Repr::Rpm(_) => Scheme::Rpm,
            Repr::Alpine(_) => Scheme::Alpine,
            Repr::Cran(_) => Scheme::Cran,
            Repr::Composer(_) => Scheme::Composer,
            Repr::Pub(_) => Scheme::Pub,
            Repr::Generic(_) => Scheme::Generic,
        }
    }

    /// The text the version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialOrd for Version {
    #[inline]
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(match (&self.repr, &other.repr) {
            (Repr::Semver(a), Repr::Semver(b)) | (Repr::Go(a), Repr::Go(b)) => a.cmp(b),
            (Repr::Pep440(a), Repr::Pep440(b)) => a.cmp(b),
            (Repr::Maven(a), Repr::Maven(b)) => a.cmp(b),
            (Repr::NuGet(a), Repr::NuGet(b)) => a.cmp(b),
            (Repr::RubyGems(a), Repr::RubyGems(b)) => a.cmp(b),
            (Repr::Debian(a), Repr::Debian(b)) => a.cmp(b),
            (Repr::Rpm(a), Repr::Rpm(b)) => a.cmp(b),
            (Repr::Alpine(a), Repr::Alpine(b)) => a.cmp(b),
            (Repr::Cran(a), Repr::Cran(b)) => a.cmp(b),
            (Repr::Composer(a), Repr::Composer(b)) => a.cmp(b),
            (Repr::Pub(a), Repr::Pub(b)) => a.cmp_with_build(b),
            (Repr::Generic(a), Repr::Generic(b)) => a.cmp(b),
            _ => return None,
        })
    }
}

impl PartialEq for Version {
    #[inline]
    fn eq(&self, other: &Version) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests;
