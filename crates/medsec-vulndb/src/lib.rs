//! The offline vulnerability database: advisories from OSV, the NVD,
//! RustSec and CSAF, enriched by CISA KEV and FIRST EPSS, read from feed
//! files and turned into an in-memory index that matches SBOM components
//! exactly, with an explanation for every finding.
//!
//! The crate is pure: [`feed`] reads bytes into [`feed::Record`]s (the
//! unit the store keeps, with its provenance), [`Advisory::parse`] turns a
//! record into the normalised model, and [`Database`] indexes advisories
//! and matches components against them; [`keys`] gives the index's
//! lookup keys as text, for reading only the records a scan needs.
//!
//! Architecture invariant: a record's body is the source's own text, so a
//! record stored today can be re-read by tomorrow's parser; everything
//! derived (aliases, parsed ranges, scores) is rebuilt at load time.

pub mod attack;
pub mod csaf;
pub mod epss;
pub mod feed;
pub mod kev;
pub mod keys;
pub mod matcher;
pub mod nvd;
pub mod osv;
pub mod report;
pub mod rustsec;
pub mod score;

pub use feed::{Kind, Record};
pub use matcher::{Component, Database, Finding, Purl, Reason};

use medsec_version::Ecosystem;
use medsec_version::osv::Range;

/// A record that cannot be read, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{origin}: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(origin: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One advisory from one source, normalised.
#[derive(Debug, Clone, Default)]
pub struct Advisory {
    /// The source's id: `GHSA-…`, `GO-…`, `PYSEC-…`, `RUSTSEC-…`, `CVE-…`.
    pub id: String,
    /// Which feed it came from.
    pub kind: Option<Kind>,
    /// Other ids of the same vulnerability (CVE, GHSA, …), without `id`.
    pub aliases: Vec<String>,
    pub summary: String,
    pub published: Option<String>,
    pub modified: Option<String>,
    /// Set when the source withdrew the advisory; it then matches nothing.
    pub withdrawn: Option<String>,
    /// RustSec's informational kinds (`unmaintained`, `unsound`, …):
    /// reported as warnings, not as vulnerabilities, as cargo-audit does.
    pub informational: Option<String>,
    pub severity: Vec<score::Severity>,
    /// A qualitative severity the source gives without a vector (GHSA's
    /// `database_specific.severity`).
    pub severity_label: Option<score::Level>,
    pub cwes: Vec<String>,
    pub affected: Vec<Affected>,
    /// NVD applicability statements, evaluated over a whole inventory.
    pub configurations: Vec<nvd::Configuration>,
    /// Products a CSAF advisory names as affected.
    pub products: Vec<csaf::CsafProduct>,
    /// The advisory documents that state it (CSAF tracking ids), shown
    /// with a finding but not ids of the vulnerability.
    pub documents: Vec<String>,
    pub references: Vec<String>,
}

/// A package an advisory affects, with the versions it affects.
#[derive(Debug, Clone)]
pub struct Affected {
    pub ecosystem: Ecosystem,
    /// The name as the ecosystem compares it (`Ecosystem::normalize_name`).
    pub name: String,
    /// The name as the advisory writes it.
    pub display_name: String,
    /// For RPM advisories, the distribution as its purl namespace writes
    /// it (`redhat`, `rocky`, `suse`, …): RPM versions of one
    /// distribution say nothing about another's package of the same name.
    pub distro: Option<String>,
    pub ranges: Vec<Range>,
    /// Versions listed one by one (OSV `versions`), compared as text the
    /// way the OSV schema says.
    pub versions: Vec<String>,
    /// RustSec's requirement lists: affected unless a version matches one.
    pub rustsec: Option<rustsec::Unaffected>,
    /// Ranges that cannot be evaluated on a version string (GIT ranges,
    /// versions the ecosystem rejects), with why: shown with a finding
    /// that only the `versions` list produced.
    pub skipped_ranges: Vec<String>,
}

impl Advisory {
    /// Parses one record's body: one advisory, or for a CSAF document one
    /// per vulnerability with affected products.
    pub fn parse(record: &Record) -> Result<Vec<Advisory>> {
        let mut list = match record.kind {
            Kind::Osv => vec![osv::parse(&record.body, &record.origin)?],
            Kind::Nvd => vec![nvd::parse(&record.body, &record.origin)?],
            Kind::RustSec => vec![rustsec::parse(&record.body, &record.origin)?],
            Kind::Csaf => csaf::parse(&record.body, &record.origin)?,
            // ATT&CK records are reference data for detection, not
            // advisories: nothing to index, and not an error.
            Kind::Attack => return Ok(Vec::new()),
            Kind::Kev | Kind::Epss => {
                return Err(Error::invalid(
                    &record.origin,
                    format!("a {} record is not an advisory", record.kind.as_str()),
                ));
            }
        };
        for advisory in &mut list {
            advisory.kind = Some(record.kind);
        }
        Ok(list)
    }

    /// The CVE ids among the advisory's id and aliases.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .filter(|id| id.starts_with("CVE-"))
    }
}
