//! RustSec advisory-db (https://github.com/rustsec/advisory-db): one
//! Markdown file per advisory whose TOML front matter says the crate, the
//! aliases and the `patched` and `unaffected` version requirements.
//!
//! A crate version is affected unless it satisfies one of those
//! requirements, compared by semver precedence as the `rustsec` crate
//! (cargo-audit) compares them: a requirement is a conjunction of
//! comparators, and `^`/`~`/partial versions stand for their ranges.
//!
//! The database has two collections: `crates/` (crates.io crates) and
//! `rust/` (the Rust toolchain: `std`, `cargo`, `rustdoc`, whose versions
//! are Rust releases). Only the first names crates.io packages; an
//! advisory of the second is kept (its ids still join aliases) but
//! affects no package, as cargo-audit audits a Cargo.lock against the
//! `crates` collection only: the `cargo` crate 0.52 is not Cargo 0.52.

use std::cmp::Ordering;

use medsec_version::Ecosystem;
use serde::Deserialize;

use crate::feed::{Kind, Record};
use crate::score::{Origin, Severity};
use crate::{Advisory, Affected, Error, Result};

#[derive(Deserialize)]
struct File {
    advisory: Head,
    #[serde(default)]
    versions: Versions,
}

#[derive(Deserialize)]
struct Head {
    id: String,
    package: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// The versions a RustSec advisory does not affect.
#[derive(Debug, Clone)]
pub struct Unaffected {
    pub patched: Vec<Requirement>,
    pub unaffected: Vec<Requirement>,
}

impl Unaffected {
    /// `None` when `version` is affected, else the requirement it meets.
    pub fn exempts(&self, version: &semver::Version) -> Option<&Requirement> {
        self.patched
            .iter()
            .chain(&self.unaffected)
            .find(|r| r.matches(version))
    }

    /// How the affected versions are described to a user.
    pub fn describe(&self) -> String {
        let list = |reqs: &[Requirement]| {
            if reqs.is_empty() {
                "none".to_owned()
            } else {
                reqs.iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
        };
        format!(
            "not patched ({}) and not unaffected ({})",
            list(&self.patched),
            list(&self.unaffected)
        )
    }
}

/// A semver requirement such as `>= 1.5.1, < 1.6.0` or `^0.3`.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub text: String,
    /// Every bound must hold: (lower or upper, inclusive, version).
    bounds: Vec<(Ordering, bool, semver::Version)>,
}

fn precedence(a: &semver::Version, b: &semver::Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

impl Requirement {
    pub fn parse(text: &str) -> Result<Requirement, String> {
        let req = semver::VersionReq::parse(text).map_err(|e| format!("`{text}`: {e}"))?;
        let mut bounds = Vec::new();
        for c in &req.comparators {
            let exact = |minor: Option<u64>, patch: Option<u64>| semver::Version {
                major: c.major,
                minor: minor.unwrap_or(0),
                patch: patch.unwrap_or(0),
                pre: c.pre.clone(),
                build: semver::BuildMetadata::EMPTY,
            };
            let plain = |major, minor, patch| semver::Version::new(major, minor, patch);
            let low = exact(c.minor, c.patch);
            // The first version past a partial version (`1.2` → 1.3.0).
            let past = || match (c.minor, c.patch) {
                (None, _) => plain(c.major + 1, 0, 0),
                (Some(m), None) => plain(c.major, m + 1, 0),
                (Some(m), Some(p)) => plain(c.major, m, p + 1),
            };
            use semver::Op;
            match c.op {
                Op::Exact | Op::Wildcard => {
                    if c.minor.is_some() && c.patch.is_some() {
                        bounds.push((Ordering::Equal, true, low));
                    } else {
                        bounds.push((Ordering::Greater, true, low));
                        bounds.push((Ordering::Less, false, past()));
                    }
                }
                Op::Greater => {
                    if c.minor.is_some() && c.patch.is_some() {
                        bounds.push((Ordering::Greater, false, low));
                    } else {
                        bounds.push((Ordering::Greater, true, past()));
                    }
                }
                Op::GreaterEq => bounds.push((Ordering::Greater, true, low)),
                Op::Less => bounds.push((Ordering::Less, false, low)),
                Op::LessEq => {
                    if c.minor.is_some() && c.patch.is_some() {
                        bounds.push((Ordering::Less, true, low));
                    } else {
                        bounds.push((Ordering::Less, false, past()));
                    }
                }
                Op::Tilde => {
                    bounds.push((Ordering::Greater, true, low));
                    let upper = match c.minor {
                        None => plain(c.major + 1, 0, 0),
                        Some(m) => plain(c.major, m + 1, 0),
                    };
                    bounds.push((Ordering::Less, false, upper));
                }
                Op::Caret => {
                    bounds.push((Ordering::Greater, true, low));
                    let upper = match (c.major, c.minor, c.patch) {
                        (0, None, _) => plain(1, 0, 0),
                        (0, Some(0), None) => plain(0, 1, 0),
                        (0, Some(0), Some(p)) => plain(0, 0, p + 1),
                        (0, Some(m), _) => plain(0, m + 1, 0),
                        (major, _, _) => plain(major + 1, 0, 0),
                    };
                    bounds.push((Ordering::Less, false, upper));
                }
                _ => return Err(format!("`{text}`: unsupported operator")),
            }
        }
        Ok(Requirement {
            text: text.to_owned(),
            bounds,
        })
    }

    pub fn matches(&self, v: &semver::Version) -> bool {
        self.bounds.iter().all(|(side, inclusive, bound)| {
            let o = precedence(v, bound);
            o == *side || (*inclusive && o == Ordering::Equal)
        })
    }
}

/// Reads a RustSec Markdown file into a record (its id from the front
/// matter).
pub(crate) fn record(text: String, origin: &str) -> Result<Record> {
    let front = front_matter(&text, origin)?;
    let file: File = toml::from_str(front)
        .map_err(|e| Error::invalid(origin, format!("invalid front matter: {e}")))?;
    Ok(Record {
        kind: Kind::RustSec,
        id: file.advisory.id,
        modified: file.advisory.date.unwrap_or_default(),
        body: text,
        origin: origin.to_owned(),
    })
}

fn front_matter<'a>(text: &'a str, origin: &str) -> Result<&'a str> {
    let rest = text
        .strip_prefix("```toml")
        .ok_or_else(|| Error::invalid(origin, "the file does not start with ```toml"))?;
    let end = rest
        .find("\n```")
        .ok_or_else(|| Error::invalid(origin, "the TOML front matter is not closed by ```"))?;
    Ok(rest.get(..end).unwrap_or_default())
}

/// Whether a file is in the database's `rust/` collection (the
/// toolchain), which the database's layout says:
/// `rust/<package>/<id>.md` against `crates/<crate>/<id>.md`.
fn is_toolchain(origin: &str) -> bool {
    let collection = std::path::Path::new(origin)
        .parent()
        .and_then(std::path::Path::parent)
        .and_then(std::path::Path::file_name);
    collection.is_some_and(|c| c == "rust")
}

pub(crate) fn parse(body: &str, origin: &str) -> Result<Advisory> {
    let front = front_matter(body, origin)?;
    let file: File = toml::from_str(front)
        .map_err(|e| Error::invalid(origin, format!("invalid front matter: {e}")))?;
    let head = file.advisory;
    let parse_all = |list: &[String], field: &str| {
        list.iter()
            .map(|r| {
                Requirement::parse(r).map_err(|e| {
                    Error::invalid(
                        format!("{origin}: {}", head.id),
                        format!("versions.{field}: {e}"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()
    };
    let rules = Unaffected {
        patched: parse_all(&file.versions.patched, "patched")?,
        unaffected: parse_all(&file.versions.unaffected, "unaffected")?,
    };
    // The title is the Markdown's first heading.
    let title = head.title.clone().or_else(|| {
        body.lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_owned())
    });
    let mut severity = Vec::new();
    if let Some(v) = &head.cvss
        && let Some(s) = Severity::from_vector(v, Origin::RustSec, "rustsec")
    {
        severity.push(s);
    }
    let ecosystem = Ecosystem::CratesIo;
    let affected = if is_toolchain(origin) {
        Vec::new()
    } else {
        vec![Affected {
            ecosystem,
            name: ecosystem.normalize_name(&head.package).into_owned(),
            display_name: head.package,
            distro: None,
            ranges: Vec::new(),
            versions: Vec::new(),
            rustsec: Some(rules),
            skipped_ranges: Vec::new(),
        }]
    };
    let mut aliases = head.aliases;
    aliases.extend(
        head.related
            .iter()
            .filter(|r| r.starts_with("CVE-"))
            .cloned(),
    );
    aliases.retain(|a| a != &head.id);
    aliases.dedup();
    let mut references: Vec<String> = head.url.into_iter().collect();
    references.extend(head.references);
    Ok(Advisory {
        id: head.id,
        kind: None,
        aliases,
        summary: title.unwrap_or_default(),
        published: head.date.clone(),
        modified: head.date,
        withdrawn: head.withdrawn,
        informational: head.informational,
        severity,
        severity_label: None,
        cwes: Vec::new(),
        affected,
        configurations: Vec::new(),
        products: Vec::new(),
        documents: Vec::new(),
        references,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(req: &str, version: &str, expect: bool) {
        let r = Requirement::parse(req).unwrap();
        let v = semver::Version::parse(version).unwrap();
        assert_eq!(r.matches(&v), expect, "{version} in {req}");
    }

    #[test]
    fn requirements_hold_as_semver_ranges() {
        check(">= 1.5.1, < 1.6.0", "1.5.1", true);
        check(">= 1.5.1, < 1.6.0", "1.6.0", false);
        check(">= 1.5.1, < 1.6.0", "1.6.0-alpha.1", true);
        check("< 0.3.0", "0.2.9", true);
        check("< 0.3", "0.3.0", false);
        check("^0.3", "0.3.9", true);
        check("^0.3", "0.4.0", false);
        check("^0.0.3", "0.0.4", false);
        check("^1.2", "1.9.0", true);
        check("~1.2.3", "1.3.0", false);
        check("~1.2.3", "1.2.9", true);
        check("= 1.2", "1.2.7", true);
        check("<= 1.2", "1.2.7", true);
        check("<= 1.2", "1.3.0", false);
        check("> 1.2", "1.2.9", false);
        check("> 1.2", "1.3.0", true);
        check(">= 2.0.0-rc.1", "2.0.0-beta.3", false);
        check(">= 2.0.0-rc.1", "2.0.0", true);
    }

    #[test]
    fn tokio_advisory_reads_with_its_exemptions() {
        let text = "```toml\n[advisory]\nid = \"RUSTSEC-2021-0072\"\npackage = \"tokio\"\ndate = \"2021-07-07\"\naliases = [\"CVE-2021-38191\", \"GHSA-2grh-hm3w-w7hv\"]\n\n[versions]\npatched = [\">= 1.5.1, < 1.6.0\", \">= 1.8.1\"]\nunaffected = [\"< 0.3.0\"]\n```\n\n# Task dropped in wrong thread\n\nBody.\n";
        let record = record(text.to_owned(), "t.md").unwrap();
        assert_eq!(record.id, "RUSTSEC-2021-0072");
        let a = parse(&record.body, "t.md").unwrap();
        assert_eq!(a.summary, "Task dropped in wrong thread");
        assert_eq!(a.aliases, ["CVE-2021-38191", "GHSA-2grh-hm3w-w7hv"]);
        let rules = a.affected[0].rustsec.as_ref().unwrap();
        let v = |s| semver::Version::parse(s).unwrap();
        assert!(rules.exempts(&v("1.5.2")).is_some());
        assert!(rules.exempts(&v("1.7.0")).is_none());
        assert!(rules.exempts(&v("0.2.0")).is_some());
        let bad = text.replace("\">= 1.8.1\"", "\">= x\"");
        let err = parse(&bad, "t.md").unwrap_err().to_string();
        assert!(err.contains("versions.patched"), "{err}");
        assert!(record_err("no front matter").contains("does not start with"));
    }

    #[test]
    fn toolchain_advisories_affect_no_crate() {
        let text = "```toml\n[advisory]\nid = \"CVE-2019-16760\"\npackage = \"cargo\"\naliases = [\"GHSA-phjm-8x66-qw4r\"]\n\n[versions]\npatched = [\">= 1.26.0\"]\n```\n\n# Cargo prior to Rust 1.26.0 may download the wrong dependency\n";
        let toolchain = parse(text, "advisory-db/rust/cargo/CVE-2019-16760.md").unwrap();
        assert_eq!(toolchain.id, "CVE-2019-16760");
        assert!(toolchain.affected.is_empty());
        // The same text in the crates collection names the `cargo` crate.
        let krate = parse(text, "advisory-db/crates/cargo/CVE-2019-16760.md").unwrap();
        assert_eq!(krate.affected[0].name, "cargo");
        assert!(
            !parse(text, "CVE-2019-16760.md")
                .unwrap()
                .affected
                .is_empty()
        );
    }

    fn record_err(text: &str) -> String {
        record(text.to_owned(), "t.md").unwrap_err().to_string()
    }
}
