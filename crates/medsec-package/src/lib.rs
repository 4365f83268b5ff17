//! The premarket submission package: the documents a manufacturer files
//! with MFDS (and, in a second layout, with the FDA under its 2023
//! premarket cybersecurity guidance) built from the already computed
//! premarket documents, laid out in a ZIP with a manifest of every file's
//! SHA-256, and the check of such a ZIP.
//!
//! Architecture invariant: no IO and no clock. [`build`] takes every
//! input, the creation time included, and gives the same bytes for the
//! same inputs (fixed ZIP timestamps, sorted entries, PDFs dated from the
//! creation time), so a package can be rebuilt and compared.
//! The only outside thing it takes is the loaded fonts of `medsec-pdf`.
//!
//! The package never hides gaps: the traceability matrix is computed here
//! with [`medsec_assure::trace::matrix`], its gaps are listed in the
//! traceability documents and the test summary, and the manifest records
//! their count.

mod documents;
pub mod findings;
mod layout;
pub mod lifecycle;
mod prepare;
mod submission;
pub mod verify;

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};

use medsec_assure::evidence::{Justification, SbomFinding, ScanReport, sha256_hex};
use medsec_assure::{Checklist, Profile, Register, TestPlan, ThreatModel};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use crate::layout::{DocId, Layout};
pub use crate::lifecycle::{ComponentSupport, SupportLevel, TplcPlan};
pub use crate::prepare::{Sources, check_support, prepare};
pub use crate::submission::{
    CHARACTERISTICS_SCHEMA, METRICS_SCHEMA, SUPPORT_PROPERTY, SUPPORT_SCHEMA, TPLC_SCHEMA,
};
pub use crate::verify::{
    FileCheck, Limits, Problem, ProblemKind, Verification, read_document, verify, verify_with,
};

/// The schema of `MANIFEST.json`.
pub const SCHEMA: &str = "medsec-package/1";
/// The manifest's path in the ZIP.
pub const MANIFEST: &str = "MANIFEST.json";
/// The checksum list's path in the ZIP, in the format `sha256sum -c` reads.
pub const SUMS: &str = "SHA256SUMS";

/// A scanner's or fuzzer's SARIF file with what was read from it. The file
/// goes into the package as evidence.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The file name in the package (no directories).
    pub name: String,
    pub bytes: Vec<u8>,
    pub report: ScanReport,
}

/// A file of test evidence (a test report, a capture) that goes into the
/// package.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The file name in the package (no directories).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Everything a package is built from, already computed.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub profile: Profile,
    /// The evaluated MFDS checklist (필수원칙 체크리스트).
    pub checklist: Checklist,
    pub model: ThreatModel,
    pub register: Register,
    pub plan: TestPlan,
    pub scans: Vec<Scan>,
    /// The release's SBOM findings as the sustain part hands them over.
    pub findings: Vec<SbomFinding>,
    /// The release's SBOM, written into the package as CycloneDX 1.6 JSON.
    pub sbom: Option<medsec_sbom::Sbom>,
    pub justifications: Vec<Justification>,
    pub evidence: Vec<Evidence>,
    /// The manufacturer's TPLC cybersecurity management plan (D9), with
    /// the customer-documentation statements of the labelling (D8).
    pub tplc: Option<TplcPlan>,
    /// The support of the SBOM's components, keyed by purl or
    /// `name@version` (D5).
    pub support: Vec<ComponentSupport>,
    /// The device's end of cybersecurity support.
    pub end_of_support: Option<time::Date>,
    /// When the package is made; dates the documents and the ZIP entries.
    pub created: OffsetDateTime,
}

/// A built package.
#[derive(Debug, Clone)]
pub struct Package {
    pub layout: Layout,
    pub zip: Vec<u8>,
    pub manifest: Manifest,
}

/// `MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: String,
    /// `mfds` or `fda-2023`.
    pub layout: String,
    pub device: Device,
    /// RFC 3339, UTC.
    pub created: String,
    /// `medsec-package VERSION`.
    pub generator: String,
    /// The traceability matrix's gaps: their number and per kind.
    pub gaps: usize,
    pub gaps_by_kind: BTreeMap<String, usize>,
    /// What the submission documents (D1, D5, D8, D9) could not say
    /// because no input stated it: a missing contact, end-of-support
    /// date, TPLC commitment or component support. Kept apart from the
    /// traceability gaps above, whose count the trace page shows.
    #[serde(default)]
    pub document_gaps: Vec<DocumentGap>,
    #[serde(default)]
    pub document_gaps_by_kind: BTreeMap<String, usize>,
    /// Every file of the package except the manifest and the checksum
    /// list, sorted by path.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub product: String,
    pub model: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
}

/// Something a submission document leaves unstated because no input
/// says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentGap {
    /// `D1`–`D10`.
    pub document: String,
    /// `labelling-not-stated`, `tplc-not-stated`,
    /// `end-of-support-not-stated`, `component-support-unknown`,
    /// `characteristics-not-stated`.
    pub kind: String,
    /// What is missing: a field of the plan file, a component's purl.
    pub subject: String,
    pub ko: String,
    pub en: String,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// What the file is, for machine-readable files its schema
    /// (`medsec-risk-register/1`, `CycloneDX 1.6`, `SARIF 2.1.0`).
    pub format: String,
    /// The document of the unified set (REGULATORY.md §5, `D1`–`D10`).
    pub document: String,
    pub title_ko: String,
    pub title_en: String,
    /// Where MFDS asks for it (seed 000), N60 §5.6 and the FDA 2023
    /// guidance's section.
    pub mfds: String,
    pub n60: String,
    pub fda: String,
}

/// Why a package could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{document}: {message}")]
    Document { document: String, message: String },
    #[error("{document}: {source}")]
    Pdf {
        document: String,
        #[source]
        source: medsec_pdf::PdfError,
    },
    #[error("evidence file `{name}`: {message}")]
    Evidence { name: String, message: String },
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("reading {path} from the package: {message}")]
    Read { path: String, message: String },
    #[error("writing the ZIP: {0}")]
    Zip(String),
    #[error("created time: {0}")]
    Created(String),
}

fn doc_error(document: &str, message: impl ToString) -> PackageError {
    PackageError::Document {
        document: document.to_owned(),
        message: message.to_string(),
    }
}

/// Builds the package in one layout.
pub fn build(inputs: &Inputs, layout: Layout, fonts: &Fonts) -> Result<Package, PackageError> {
    let mut out = build_all(inputs, &[layout], fonts)?;
    out.pop()
        .ok_or_else(|| PackageError::Zip("no layout built".into()))
}

/// Builds the package in several layouts, rendering each document once.
pub fn build_all(
    inputs: &Inputs,
    layouts: &[Layout],
    fonts: &Fonts,
) -> Result<Vec<Package>, PackageError> {
    let documents = documents::render(inputs, fonts)?;
    layouts
        .iter()
        .map(|&layout| assemble(inputs, &documents, layout))
        .collect()
}

/// The creation time as RFC 3339 in UTC, to the second.
fn created_text(created: OffsetDateTime) -> Result<String, PackageError> {
    let utc = created
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|e| PackageError::Created(e.to_string()))?;
    utc.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| PackageError::Created(e.to_string()))
}

/// The ZIP entries' timestamp: the creation time in UTC (MS-DOS time has
/// no zone and two-second steps).
fn zip_time(created: OffsetDateTime) -> Result<zip::DateTime, PackageError> {
    let t = created.to_offset(time::UtcOffset::UTC);
    zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).map_err(|e| PackageError::Created(e.to_string()))?,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .map_err(|_| {
        PackageError::Created(format!(
            "{} cannot be a ZIP timestamp (years 1980 to 2107)",
            t.date()
        ))
    })
}

fn assemble(
    inputs: &Inputs,
    documents: &documents::Documents,
    layout: Layout,
) -> Result<Package, PackageError> {
    let mut files: Vec<(FileEntry, &[u8])> = Vec::new();
    for file in &documents.files {
        let doc = file.kind.doc();
        let info = layout::info(doc);
        let path = format!("{}/{}", layout.folder(file.kind), file.name);
        files.push((
            FileEntry {
                path,
                sha256: sha256_hex(&file.bytes),
                size: file.bytes.len() as u64,
                media_type: file.media_type.to_owned(),
                format: file.format.clone(),
                document: doc.as_str().to_owned(),
                title_ko: file.title_ko.clone(),
                title_en: file.title_en.clone(),
                mfds: info.mfds.to_owned(),
                n60: info.n60.to_owned(),
                fda: info.fda.to_owned(),
            },
            &file.bytes,
        ));
    }
    files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    for pair in files.windows(2) {
        if pair[0].0.path == pair[1].0.path {
            return Err(PackageError::Evidence {
                name: pair[0].0.path.clone(),
                message: "two files of the package have this path; rename one".into(),
            });
        }
    }
    let d = &inputs.profile.device;
    let mut gaps_by_kind = BTreeMap::new();
    for g in &documents.matrix.gaps {
        *gaps_by_kind.entry(g.kind.as_str().to_owned()).or_insert(0) += 1;
    }
    let mut document_gaps_by_kind = BTreeMap::new();
    for g in &documents.gaps {
        *document_gaps_by_kind.entry(g.kind.clone()).or_insert(0) += 1;
    }
    let manifest = Manifest {
        schema: SCHEMA.to_owned(),
        layout: layout.as_str().to_owned(),
        device: Device {
            product: d.product.clone(),
            model: d.model.clone(),
            version: d.software_version.clone(),
            manufacturer: d.manufacturer.clone(),
        },
        created: created_text(inputs.created)?,
        generator: format!("medsec-package {}", env!("CARGO_PKG_VERSION")),
        gaps: documents.matrix.gaps.len(),
        gaps_by_kind,
        document_gaps: documents.gaps.clone(),
        document_gaps_by_kind,
        files: files.iter().map(|(e, _)| e.clone()).collect(),
    };
    let mut manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| doc_error(MANIFEST, e))?;
    manifest_json.push(b'\n');
    let sums = sums(
        manifest
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.sha256.clone()))
            .chain(std::iter::once((MANIFEST, sha256_hex(&manifest_json)))),
    );
    let mut entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(e, b)| (e.path.as_str(), *b))
        .chain([
            (MANIFEST, manifest_json.as_slice()),
            (SUMS, sums.as_bytes()),
        ])
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let zip = write_zip(&entries, zip_time(inputs.created)?)?;
    Ok(Package {
        layout,
        zip,
        manifest,
    })
}

/// `SHA256SUMS`: `HEX  PATH` lines, sorted by path.
fn sums<'a>(files: impl Iterator<Item = (&'a str, String)>) -> String {
    let mut lines: Vec<(&str, String)> = files.collect();
    lines.sort();
    let mut out = String::new();
    for (path, sha) in lines {
        out.push_str(&sha);
        out.push_str("  ");
        out.push_str(path);
        out.push('\n');
    }
    out
}

/// Writes the entries in the given order, all with the same timestamp
/// and permissions, deflated (stored where deflating gains nothing, as
/// for PDFs whose streams are compressed already).
fn write_zip(entries: &[(&str, &[u8])], time: zip::DateTime) -> Result<Vec<u8>, PackageError> {
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;
    let zip_error =
        |path: &str, e: &dyn std::fmt::Display| PackageError::Zip(format!("{path}: {e}"));
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in entries {
        let method = if path.ends_with(".pdf") {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(time)
            .unix_permissions(0o644)
            .large_file(bytes.len() >= u32::MAX as usize);
        w.start_file(*path, options)
            .map_err(|e| zip_error(path, &e))?;
        w.write_all(bytes).map_err(|e| zip_error(path, &e))?;
    }
    let cursor = w.finish().map_err(|e| zip_error("central directory", &e))?;
    Ok(cursor.into_inner())
}

/// A checklist file as exported by medsec: JSON (`medsec-checklist/1`) or
/// the XLSX form, told apart by the name's extension.
pub fn read_checklist(name: &str, bytes: &[u8]) -> Result<Checklist, PackageError> {
    let err = |message: String| PackageError::Read {
        path: name.to_owned(),
        message,
    };
    if name.to_ascii_lowercase().ends_with(".xlsx") {
        return medsec_export::xlsx::read(bytes).map_err(|e| err(e.to_string()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| err(format!("not UTF-8: {e}")))?;
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| err(format!("{}: {}", e.path(), e.inner())))
}

/// The fonts the PDFs are set in (`medsec_pdf::Fonts`), for callers that
/// do not otherwise use `medsec-pdf`.
pub use medsec_pdf::Fonts;
