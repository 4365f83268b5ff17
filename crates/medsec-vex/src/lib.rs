//! VEX (Vulnerability Exploitability eXchange) without IO: one model of a
//! manufacturer's statements "product P is (not) affected by
//! vulnerability V, because …", read from and written to the three
//! formats in use: OpenVEX 0.2.0 (and 0.0.1 on input), CycloneDX VEX
//! (1.4–1.6 JSON and XML on input, 1.6 on output) and CSAF 2.0 VEX.
//!
//! [`read`] tells the format from the content. CycloneDX goes through
//! [`medsec_sbom`] and CSAF through [`medsec_csaf`], so each format has one
//! parser in the workspace. The writers ([`write_openvex`],
//! [`write_cyclonedx_json`], [`write_cyclonedx_xml`], [`write_csaf`])
//! refuse a model the target format cannot carry validly with a
//! [`VexError::Write`] naming the field; they never write an invalid
//! document. How the vocabularies map is in [`mapping`], what each
//! format keeps and drops in the module of its writer.
//!
//! Reading never panics: inputs are bounded ([`MAX_BYTES`]), JSON nesting
//! is bounded by serde_json's limit of 128, and errors carry the JSON path
//! (`statements[3].status`) or the reader's location.

mod csaf;
mod cyclonedx;
mod error;
pub mod mapping;
mod model;
mod openvex;

use serde::Deserialize;

pub use csaf::{CsafDocument, CsafOptions, from_csaf, write_csaf};
pub use cyclonedx::{write_cyclonedx_json, write_cyclonedx_xml};
pub use error::VexError;
pub use model::{
    CycloneDxAnalysis, CycloneDxJustification, CycloneDxState, Diagnostic, Document, Format,
    FormatKind, Justification, ProductRef, Response, Statement, Status,
};
pub use openvex::{OPENVEX_CONTEXT, write_openvex};

/// The largest document [`read`] accepts: 256 MiB, far beyond real VEX
/// documents (Red Hat's largest CSAF VEX files are tens of MB).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Reads a VEX document, telling OpenVEX, CycloneDX (JSON or XML) and
/// CSAF apart by their content.
pub fn read(bytes: &[u8]) -> Result<Document, VexError> {
    if bytes.len() > MAX_BYTES {
        return Err(VexError::TooLarge {
            size: bytes.len(),
            limit: MAX_BYTES,
        });
    }
    match detect(bytes)? {
        FormatKind::OpenVex => openvex::read(bytes),
        kind @ (FormatKind::CycloneDxJson | FormatKind::CycloneDxXml) => {
            cyclonedx::read(bytes, kind)
        }
        FormatKind::Csaf => csaf::read(bytes),
    }
}

/// Tells the format of `bytes` from its content: XML is CycloneDX; a JSON
/// object is OpenVEX when it has an `@context`, CycloneDX when it has a
/// `bomFormat`, CSAF when it has `document.csaf_version`.
pub fn detect(bytes: &[u8]) -> Result<FormatKind, VexError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'<') {
        return Ok(FormatKind::CycloneDxXml);
    }
    /// The members that tell the formats apart; every other member is
    /// skipped without being stored.
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "@context")]
        context: Option<serde_json::Value>,
        #[serde(rename = "bomFormat")]
        bom_format: Option<serde_json::Value>,
        document: Option<DocumentProbe>,
    }
    #[derive(Deserialize)]
    struct DocumentProbe {
        csaf_version: Option<serde_json::Value>,
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let probe = match Probe::deserialize(&mut de).and_then(|p| de.end().map(|()| p)) {
        Ok(p) => p,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            return Err(VexError::UnknownFormat(format!(
                "a JSON document that is not an OpenVEX, CycloneDX or CSAF object ({e})"
            )));
        }
        Err(e) => return Err(syntax(&e)),
    };
    if let Some(context) = probe.context {
        return match context.as_str() {
            Some(c) if c.starts_with("https://openvex.dev/ns") => Ok(FormatKind::OpenVex),
            _ => Err(VexError::UnknownFormat(format!(
                "`@context` is {context}, not an OpenVEX context (https://openvex.dev/ns/…)"
            ))),
        };
    }
    if let Some(f) = probe.bom_format {
        return match f.as_str() {
            Some("CycloneDX") => Ok(FormatKind::CycloneDxJson),
            _ => Err(VexError::UnknownFormat(format!(
                "`bomFormat` is {f}, not \"CycloneDX\""
            ))),
        };
    }
    if probe.document.is_some_and(|d| d.csaf_version.is_some()) {
        return Ok(FormatKind::Csaf);
    }
    Err(VexError::UnknownFormat(
        "a JSON object with none of `@context` (OpenVEX), `bomFormat` (CycloneDX) and \
         `document.csaf_version` (CSAF)"
            .to_owned(),
    ))
}

pub(crate) fn syntax(e: &serde_json::Error) -> VexError {
    VexError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

/// serde_json appends ` at line L column C` to its messages; errors keep
/// the position in fields of their own.
pub(crate) fn strip_position(text: &str) -> String {
    match text.rsplit_once(" at line ") {
        Some((m, _)) => m.to_owned(),
        None => text.to_owned(),
    }
}

/// Whether `s` has the shape of an absolute IRI (RFC 3987): a scheme, a
/// colon and a non-empty rest without spaces, controls or the characters
/// IRIs exclude, percent escapes well-formed. OpenVEX requires `@id`s to
/// be IRIs.
pub(crate) fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() {
        return false;
    }
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let hex = (chars.next(), chars.next());
            if !matches!(hex, (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
            {
                return false;
            }
        } else if c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c) {
            return false;
        }
    }
    true
}

/// Parses an RFC 3339 date-time.
pub(crate) fn rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// `None` for a missing or blank text, else the text.
pub(crate) fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}
