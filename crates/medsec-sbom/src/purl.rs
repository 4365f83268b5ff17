//! Package URLs, parsed and canonicalised so that two spellings of one
//! package compare equal: types and case-insensitive names lowercased,
//! PyPI `_` turned into `-`, percent-encoding normalised, qualifiers
//! sorted. Parsing is `packageurl`'s, which passes the purl-spec test
//! suite; this module adds an owned value type and the canonical form of
//! the types added to the specification after that crate's rules were
//! written (checked by the suite copy in `tests/fixtures/purl-spec`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use packageurl::PackageUrl;

/// A string that is not a valid package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{purl}` is not a valid package URL: {reason}")]
pub struct PurlError {
    pub purl: String,
    pub reason: String,
}

/// A parsed package URL in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    canonical: String,
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

/// Types the specification (`types/*-definition.json`) declares
/// case-insensitive but whose rules `packageurl` 0.7 does not have yet:
/// (type, lowercase the namespace, lowercase the name).
const CASE_INSENSITIVE: &[(&str, bool, bool)] = &[
    ("alpm", true, true),
    ("brew", true, true),
    ("luarocks", true, true),
    ("vscode-extension", true, true),
    ("yocto", true, false),
    ("bitnami", false, true),
    ("chrome-extension", false, true),
    ("oci", false, true),
    ("otp", false, true),
    ("pub", false, true),
];

impl Purl {
    /// Parses `s` and canonicalises it.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let error = |reason: String| PurlError {
            purl: s.to_owned(),
            reason,
        };
        let parsed = PackageUrl::from_str(s.trim()).map_err(|e| error(e.to_string()))?;
        let Some(&(_, lower_ns, lower_name)) = CASE_INSENSITIVE
            .iter()
            .find(|(ty, _, _)| *ty == parsed.ty())
        else {
            return Ok(Purl::from_package_url(&parsed));
        };
        let has_upper = |s: &str| s.chars().any(char::is_uppercase);
        let fix_ns = lower_ns && parsed.namespace().is_some_and(has_upper);
        let fix_name = lower_name && has_upper(parsed.name());
        if !fix_ns && !fix_name {
            return Ok(Purl::from_package_url(&parsed));
        }
        let name = if fix_name {
            parsed.name().to_lowercase()
        } else {
            parsed.name().to_owned()
        };
        let mut fixed =
            PackageUrl::new(parsed.ty().to_owned(), name).map_err(|e| error(e.to_string()))?;
        if let Some(ns) = parsed.namespace() {
            let ns = if fix_ns {
                ns.to_lowercase()
            } else {
                ns.to_owned()
            };
            fixed.with_namespace(ns).map_err(|e| error(e.to_string()))?;
        }
        if let Some(v) = parsed.version() {
            fixed
                .with_version(v.to_owned())
                .map_err(|e| error(e.to_string()))?;
        }
        if let Some(sp) = parsed.subpath() {
            fixed
                .with_subpath(sp.to_owned())
                .map_err(|e| error(e.to_string()))?;
        }
        for (k, v) in parsed.qualifiers() {
            fixed
                .add_qualifier(k.to_string(), v.to_string())
                .map_err(|e| error(e.to_string()))?;
        }
        Ok(Purl::from_package_url(&fixed))
    }

    fn from_package_url(p: &PackageUrl<'_>) -> Purl {
        Purl {
            canonical: p.to_string(),
            ty: p.ty().to_owned(),
            namespace: p.namespace().map(str::to_owned),
            name: p.name().to_owned(),
            version: p.version().map(str::to_owned),
            qualifiers: p
                .qualifiers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            subpath: p.subpath().map(str::to_owned),
        }
    }

    /// The canonical string, e.g. `pkg:pypi/django-rest@3.0?arch=x86`.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The type, lowercase (`npm`, `maven`, `yocto`).
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace, decoded (`org.apache.logging.log4j`, `@angular`).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The qualifiers, decoded and sorted by key.
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The package's identity across releases: the canonical purl without
    /// version and qualifiers (qualifiers such as `distro` or
    /// `repository_url` change with a release without making it another
    /// package).
    pub fn identity(&self) -> String {
        let mut p = match PackageUrl::new(Cow::Borrowed(self.ty.as_str()), self.name.as_str()) {
            Ok(p) => p,
            // Unreachable for a value made by `parse`, but keep a usable
            // key rather than panic.
            Err(_) => return self.canonical.clone(),
        };
        if let Some(ns) = &self.namespace
            && p.with_namespace(ns.as_str()).is_err()
        {
            return self.canonical.clone();
        }
        if let Some(sp) = &self.subpath
            && p.with_subpath(sp.as_str()).is_err()
        {
            return self.canonical.clone();
        }
        p.to_string()
    }

    /// This purl with another version (or none).
    pub fn with_version(&self, version: Option<&str>) -> Purl {
        let mut p = match PackageUrl::from_str(&self.canonical) {
            Ok(p) => p,
            Err(_) => return self.clone(),
        };
        match version {
            Some(v) => {
                if p.with_version(v.to_owned()).is_err() {
                    return self.clone();
                }
            }
            None => {
                p.without_version();
            }
        }
        Purl::from_package_url(&p)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Purl, PurlError> {
        Purl::parse(s)
    }
}

#[cfg(test)]
mod tests;
