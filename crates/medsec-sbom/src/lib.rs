//! SBOMs as manufacturers submit them, read into one normalised model and
//! written back out: CycloneDX 1.2–1.7 (JSON and XML, VEX included),
//! SPDX 2.2/2.3 (JSON and tag-value) and SPDX 3.0 JSON-LD as Yocto's
//! `create-spdx` writes it; CycloneDX 1.6 JSON/XML and SPDX 2.3 JSON out.
//! On the model sit the NTIA minimum-elements check ([`ntia`]) and the
//! diff between two releases ([`diff`]); [`generate`] makes the model from
//! lockfiles and a dpkg database.
//!
//! Pure: no IO beyond the bytes given, no clock, no network, with one
//! edge: [`generate::collect`] and [`generate::generate_path`] read the
//! local files they are pointed at. Readers never panic; they return the
//! model with warnings, or an [`SbomError`] naming the format, where, and
//! what is wrong. Writers are deterministic: the same model gives the same
//! bytes.

pub mod diff;
pub mod generate;
pub mod license;
pub mod model;
pub mod ntia;
pub mod purl;

mod cyclonedx;
mod detect;
mod error;
mod jsonread;
mod spdx2;
mod spdx3;
mod util;
mod xmltree;

pub use error::{ErrorKind, Location, SbomError};
pub use model::{
    AffectedStatus, AffectedVersion, Affects, Component, ComponentId, ComponentKind, Dependency,
    DependencyKind, Diagnostic, ExtractedLicense, Format, FormatKind, Hash, HashAlg, License,
    Party, PartyKind, Rating, Sbom, VexAnalysis, VexJustification, VexResponse, VexState,
    Vulnerability,
};
pub use purl::{Purl, PurlError};

/// Bounds on what a reader accepts, so that a hostile or broken upload
/// cannot exhaust memory or the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Inputs larger than this are refused before parsing.
    pub max_bytes: usize,
    /// Documents with more components than this are refused.
    pub max_components: usize,
    /// XML elements nested deeper than this are refused (JSON nesting is
    /// bounded by serde_json's own limit of 128).
    pub max_depth: usize,
}

impl Default for Limits {
    /// 512 MiB, a million components, 128 levels: far beyond real SBOMs
    /// (the largest public ones are tens of MB with tens of thousands of
    /// components).
    fn default() -> Limits {
        Limits {
            max_bytes: 512 * 1024 * 1024,
            max_components: 1_000_000,
            max_depth: 128,
        }
    }
}

/// Reads an SBOM of any supported format, telling the format from the
/// content.
pub fn read(bytes: &[u8]) -> Result<Sbom, SbomError> {
    read_with(bytes, None, &Limits::default())
}

/// Reads an SBOM that must be of `format`.
pub fn read_as(bytes: &[u8], format: FormatKind) -> Result<Sbom, SbomError> {
    read_with(bytes, Some(format), &Limits::default())
}

/// Reads an SBOM of `format` (detected when `None`) within `limits`.
pub fn read_with(
    bytes: &[u8],
    format: Option<FormatKind>,
    limits: &Limits,
) -> Result<Sbom, SbomError> {
    if bytes.len() > limits.max_bytes {
        return Err(SbomError::new(
            ErrorKind::TooLarge,
            format,
            format!(
                "the document is {} bytes, more than the limit of {}",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    let format = match format {
        Some(f) => f,
        None => detect::detect(bytes)?,
    };
    let sbom = match format {
        FormatKind::CycloneDxJson => cyclonedx::read_json(bytes, limits)?,
        FormatKind::CycloneDxXml => cyclonedx::read_xml(bytes, limits)?,
        FormatKind::Spdx2Json => spdx2::read_json(bytes, limits)?,
        FormatKind::Spdx2TagValue => spdx2::read_tag_value(bytes, limits)?,
        FormatKind::Spdx3JsonLd => spdx3::read(bytes, limits)?,
    };
    if sbom.components.len() > limits.max_components {
        return Err(SbomError::new(
            ErrorKind::TooManyComponents,
            Some(format),
            format!(
                "{} components, more than the limit of {}",
                sbom.components.len(),
                limits.max_components
            ),
        ));
    }
    Ok(sbom)
}

/// Tells the format of `bytes` from its content, without reading it all
/// into the model.
pub fn detect(bytes: &[u8]) -> Result<FormatKind, SbomError> {
    detect::detect(bytes)
}

/// The SBOM as CycloneDX 1.6 JSON.
pub fn write_cyclonedx_json(sbom: &Sbom) -> String {
    cyclonedx::write_json(sbom)
}

/// The SBOM as CycloneDX 1.6 XML.
pub fn write_cyclonedx_xml(sbom: &Sbom) -> String {
    cyclonedx::write_xml(sbom)
}

/// The SBOM as SPDX 2.3 JSON. Vulnerabilities are not written: SPDX 2.3
/// has no place for them.
pub fn write_spdx_json(sbom: &Sbom) -> String {
    spdx2::write_json(sbom)
}

#[cfg(test)]
mod tests;
