//! Telling the format of an SBOM from its content: the first character
//! says JSON, XML or text, and then the keys of the top-level JSON object
//! (read without building values), the XML root element, or an
//! `SPDXVersion:` line say which standard.

use serde::Deserialize;

use crate::error::{ErrorKind, Location, SbomError};
use crate::jsonread;
use crate::model::FormatKind;
use crate::util::Skip;

/// The top-level keys that tell the JSON formats apart.
#[derive(Deserialize)]
struct TopKeys {
    #[serde(rename = "bomFormat")]
    bom_format: Option<Skip>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<Skip>,
    #[serde(rename = "@context")]
    context: Option<Skip>,
    #[serde(rename = "@graph")]
    graph: Option<Skip>,
}

fn unknown(message: impl Into<String>) -> SbomError {
    SbomError::new(ErrorKind::UnknownFormat, None, message)
}

pub(crate) fn detect(bytes: &[u8]) -> Result<FormatKind, SbomError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(unknown("the document is empty"));
    };
    match first {
        b'{' => detect_json(body),
        b'<' => detect_xml(body),
        _ => detect_text(body),
    }
}

fn detect_json(bytes: &[u8]) -> Result<FormatKind, SbomError> {
    let keys: TopKeys = serde_json::from_slice(bytes).map_err(|e| {
        let mut err = jsonread::path_error(FormatKind::CycloneDxJson, String::new(), e);
        err.format = None;
        err.message = format!("not valid JSON: {}", err.message);
        err
    })?;
    if keys.bom_format.is_some() {
        Ok(FormatKind::CycloneDxJson)
    } else if keys.spdx_version.is_some() {
        Ok(FormatKind::Spdx2Json)
    } else if keys.context.is_some() || keys.graph.is_some() {
        Ok(FormatKind::Spdx3JsonLd)
    } else {
        Err(unknown(
            "a JSON object without `bomFormat` (CycloneDX), `spdxVersion` (SPDX 2) or `@context`/`@graph` (SPDX 3)",
        ))
    }
}

fn detect_xml(bytes: &[u8]) -> Result<FormatKind, SbomError> {
    // Look at the root element only: skip the declaration, comments and
    // processing instructions.
    let text = String::from_utf8_lossy(bytes.get(..bytes.len().min(64 * 1024)).unwrap_or_default());
    let mut rest = text.as_ref();
    loop {
        let Some(start) = rest.find('<') else {
            return Err(unknown("XML without a root element"));
        };
        let tail = rest.get(start..).unwrap_or_default();
        if tail.starts_with("<?") || tail.starts_with("<!") {
            let end = if tail.starts_with("<!--") { "-->" } else { ">" };
            let Some(close) = tail.find(end) else {
                return Err(unknown("XML without a root element"));
            };
            rest = tail.get(close + end.len()..).unwrap_or_default();
            continue;
        }
        let name: String = tail
            .chars()
            .skip(1)
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = name.rsplit(':').next().unwrap_or_default();
        if local == "bom" {
            return Ok(FormatKind::CycloneDxXml);
        }
        if local == "RDF" {
            return Err(unknown(
                "SPDX RDF/XML is not supported; use SPDX JSON or tag-value",
            ));
        }
        return Err(unknown(format!(
            "an XML document whose root is `{name}`, not a CycloneDX `bom`"
        ))
        .at(Location::default()));
    }
}

fn detect_text(bytes: &[u8]) -> Result<FormatKind, SbomError> {
    let text = String::from_utf8_lossy(bytes.get(..bytes.len().min(64 * 1024)).unwrap_or_default());
    if text
        .lines()
        .any(|l| l.trim_start().starts_with("SPDXVersion:"))
    {
        Ok(FormatKind::Spdx2TagValue)
    } else {
        Err(unknown(
            "neither JSON, XML nor SPDX tag-value (which has an `SPDXVersion:` line)",
        ))
    }
}
