//! The submission package of a review round, for the UI and the API:
//! attached when the manufacturer submits (built in the MFDS layout from
//! the device's stored documents, in the same transaction as the
//! submission), replaced by an upload of a package built with `medsec
//! package build` while the round is under review, and opened read-only
//! by the reviewer (reviewer mode) and the manufacturer.
//!
//! Only the manufacturer of the round and its reviewing organisation see
//! a package; the store scopes every read by the viewer's organisation,
//! so anyone else is answered as for a round that does not exist.
//! Verification is computed from the stored bytes whenever a package is
//! shown, never taken from what was recorded at upload.

use medsec_assure::evidence::sha256_hex;
use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_package::{Manifest, Verification};
use medsec_store::assure::{NewEvidence, SubmissionRow};
use medsec_store::review_package::{NewPackage, PackageAudit, PackageRow};

use crate::assure::{self as assure_svc, By};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Largest package ZIP accepted as an upload.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;
/// Largest text file shown in a page; longer files are cut there and
/// offered whole as a download.
pub const TEXT_VIEW_LIMIT: usize = 512 * 1024;
/// The layout medsec builds when a round is submitted: MFDS receives it.
pub const SUBMIT_LAYOUT: medsec_package::Layout = medsec_package::Layout::Mfds;

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

fn refused(problems: impl IntoIterator<Item = String>) -> Error {
    Error::Invalid(
        problems
            .into_iter()
            .map(|p| FieldError::new("package", "format").with("detail", p))
            .collect(),
    )
}

/// The audit records of attaching a package.
fn package_audit(by: &By, now: medsec_core::Timestamp) -> PackageAudit {
    PackageAudit {
        evidence: by.audit(now, Action::EvidenceUploaded),
        attached: by.audit(now, Action::SubmissionPackageAttached),
    }
}

/// The package as it is stored: the ZIP as an evidence file.
fn new_package(
    by: &By,
    filename: &str,
    zip: Vec<u8>,
    manifest: &Manifest,
    source: &'static str,
) -> Result<NewPackage> {
    let json = serde_json::to_string(manifest).map_err(|e| internal("manifest", e))?;
    Ok(NewPackage {
        file: NewEvidence {
            sha256: sha256_hex(&zip),
            filename: assure_svc::clean_filename(filename),
            content_type: "application/zip".into(),
            content: zip,
            created_by: by.name.clone(),
        },
        layout: manifest.layout.clone(),
        manifest: json,
        gaps: i64::try_from(manifest.gaps).unwrap_or(i64::MAX),
        source,
    })
}

/// Submits a checklist with its package: the package of the checklist's
/// device is built first (in [`SUBMIT_LAYOUT`]), then the round and the
/// package are stored in one transaction. If the package cannot be built
/// nothing is stored and the error says why, so a round never reaches the
/// reviewer without its package.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn submit(
    state: &AppState,
    by: &By,
    checklist: &assure_svc::ChecklistView,
    reviewer_org: &str,
    snapshot: &str,
    evidence: &[String],
) -> Result<SubmissionRow> {
    // The cheap checks the store repeats, made before the build so that a
    // refused submission does not cost one.
    if checklist.row.status == "submitted" {
        return Err(Error::Invalid(vec![
            FieldError::new("checklist", "format")
                .with("detail", "the checklist is already under review"),
        ]));
    }
    let reviewer = state.store.get_org(reviewer_org).await?;
    if !reviewer.is_some_and(|o| o.enabled && o.kind == medsec_core::OrgKind::Regulator) {
        return Err(Error::Invalid(vec![FieldError::new(
            "reviewer_org",
            "invalid_choice",
        )]));
    }
    let built =
        crate::premarket::package(state, by, &checklist.row.device_id, SUBMIT_LAYOUT).await?;
    let package = new_package(by, &built.filename, built.bytes, &built.manifest, "built")?;
    let now = state.now();
    let (sub, _) = state
        .store
        .submit_with_package(
            &by.org_id,
            &checklist.row.id,
            reviewer_org,
            snapshot,
            evidence,
            &by.name,
            now,
            by.audit(now, Action::ChecklistSubmitted),
            &package,
            package_audit(by, now),
        )
        .await?;
    Ok(sub)
}

/// A round the caller's organisation is party to (manufacturer or
/// reviewer); anything else is not found.
pub async fn round(state: &AppState, by: &By, submission_id: &str) -> Result<SubmissionRow> {
    state
        .store
        .get_submission(&by.org_id, submission_id)
        .await?
        .ok_or(Error::NotFound)
}

/// What the package pages and the API show.
pub struct Opened {
    pub row: PackageRow,
    /// Computed now from the stored bytes.
    pub verification: Verification,
    /// The manifest found in the ZIP, or, if it cannot be read any more,
    /// the one recorded when the package was attached.
    pub manifest: Option<Manifest>,
}

impl Opened {
    /// The manifest's entry of `path`, if it lists it.
    pub fn entry(&self, path: &str) -> Option<&medsec_package::FileEntry> {
        self.manifest
            .as_ref()
            .and_then(|m| m.files.iter().find(|f| f.path == path))
    }
}

/// The round and its package (`None` when the round has none, as rounds
/// submitted before packages were attached), verified now.
pub async fn open(
    state: &AppState,
    by: &By,
    submission_id: &str,
) -> Result<(SubmissionRow, Option<Opened>)> {
    let sub = round(state, by, submission_id).await?;
    let Some((row, zip)) = state
        .store
        .submission_package_zip(&by.org_id, submission_id)
        .await?
    else {
        return Ok((sub, None));
    };
    let verification = tokio::task::spawn_blocking(move || medsec_package::verify(&zip))
        .await
        .map_err(|e| internal("package verification", e))?;
    let manifest = match &verification.manifest {
        Some(m) => Some(m.clone()),
        None => serde_json::from_str(&row.manifest).ok(),
    };
    Ok((
        sub,
        Some(Opened {
            row,
            verification,
            manifest,
        }),
    ))
}

/// The round's package ZIP for download (audited as a download of the
/// evidence file it is kept as).
pub async fn zip(state: &AppState, by: &By, submission_id: &str) -> Result<(PackageRow, Vec<u8>)> {
    round(state, by, submission_id).await?;
    let (row, bytes) = state
        .store
        .submission_package_zip(&by.org_id, submission_id)
        .await?
        .ok_or(Error::NotFound)?;
    let now = state.now();
    state
        .store
        .audit(
            by.audit(now, Action::EvidenceDownloaded)
                .target("evidence", row.evidence_id.clone())
                .details(
                    serde_json::json!({"sha256": row.sha256, "submission": row.submission_id}),
                ),
        )
        .await?;
    Ok((row, bytes))
}

/// The package's name for download.
pub fn zip_name(row: &PackageRow, manifest: Option<&Manifest>) -> String {
    match manifest {
        Some(m) => format!(
            "{}-{}-{}-{}.zip",
            m.device.product, m.device.model, m.device.version, row.layout
        ),
        None => format!("package-{}.zip", row.submission_id),
    }
}

/// One file of a round's package, read back and checked against the
/// manifest (listed, with its size and SHA-256); `MANIFEST.json` is the
/// manifest itself.
pub struct PackageFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// The manifest's media type (`application/json` for the manifest).
    pub media_type: String,
    pub entry: Option<medsec_package::FileEntry>,
}

/// Reads one file of a round's package. A path the manifest does not list
/// is not found; a listed file whose bytes do not match is refused with
/// the problem.
pub async fn file(
    state: &AppState,
    by: &By,
    submission_id: &str,
    path: &str,
) -> Result<PackageFile> {
    round(state, by, submission_id).await?;
    let (row, zip) = state
        .store
        .submission_package_zip(&by.org_id, submission_id)
        .await?
        .ok_or(Error::NotFound)?;
    let manifest: Option<Manifest> = serde_json::from_str(&row.manifest).ok();
    let entry = manifest
        .as_ref()
        .and_then(|m| m.files.iter().find(|f| f.path == path).cloned());
    if entry.is_none() && path != medsec_package::MANIFEST {
        return Err(Error::NotFound);
    }
    let owned = path.to_owned();
    let bytes = tokio::task::spawn_blocking(move || medsec_package::read_document(&zip, &owned))
        .await
        .map_err(|e| internal("package file", e))?
        .map_err(|e| refused([e.to_string()]))?;
    Ok(PackageFile {
        path: path.to_owned(),
        bytes,
        media_type: entry
            .as_ref()
            .map_or_else(|| "application/json".to_owned(), |e| e.media_type.clone()),
        entry,
    })
}

/// Whether a file's type is one shown as text in a page (escaped, in
/// `<pre>`): JSON, CSV, SVG, TOML, SARIF, plain text and other text
/// formats. Everything else is only downloaded.
pub fn is_text_type(media_type: &str, path: &str) -> bool {
    let m = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    m.starts_with("text/")
        || m.ends_with("/json")
        || m.ends_with("+json")
        || m.ends_with("+xml")
        || m.ends_with("/xml")
        || m == "application/toml"
        || matches!(
            ext.as_str(),
            "json" | "csv" | "svg" | "toml" | "sarif" | "txt" | "md" | "xml" | "log"
        )
}

/// Whether a file is shown as text: a text type whose bytes are UTF-8
/// without NUL bytes.
pub fn is_text(media_type: &str, path: &str, bytes: &[u8]) -> bool {
    is_text_type(media_type, path) && std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0)
}

/// The content type a file is downloaded with: the formats a browser
/// hands to a viewer keep theirs, text is plain text (an SVG or HTML file
/// is never served as what it is), anything else is opaque bytes. The
/// response is an attachment in any case.
pub fn download_type(media_type: &str, path: &str, bytes: &[u8]) -> &'static str {
    match media_type {
        "application/pdf" => "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
        "application/zip" => "application/zip",
        _ if is_text(media_type, path, bytes) => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file name of a package file for download (its last component).
pub fn file_name(path: &str) -> String {
    assure_svc::clean_filename(path.rsplit('/').next().unwrap_or(path))
}

/// The text shown for a file: at most [`TEXT_VIEW_LIMIT`] bytes, cut at a
/// character boundary, and whether it was cut.
pub fn text_view(bytes: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= TEXT_VIEW_LIMIT {
        return (text.into_owned(), false);
    }
    let mut end = TEXT_VIEW_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text.get(..end).unwrap_or_default().to_owned(), true)
}

/// Replaces the package of one of the caller's rounds under review with
/// an uploaded ZIP. The ZIP must verify (every problem is listed, naming
/// its file) and its manifest must name the round's device (product,
/// model, version); nothing is stored otherwise. Audited as
/// `submission.package_attached` with source `uploaded`.
pub async fn upload(
    state: &AppState,
    by: &By,
    submission_id: &str,
    filename: &str,
    zip: Vec<u8>,
) -> Result<PackageRow> {
    // Looked up first: anyone who is no party to the round finds nothing.
    let sub = round(state, by, submission_id).await?;
    if sub.org_id != by.org_id {
        // The reviewer sees the round but cannot change its package.
        return Err(Error::Forbidden);
    }
    if sub.status != "submitted" {
        return Err(Error::Invalid(vec![
            FieldError::new("package", "format").with(
                "detail",
                format!(
                    "round {} is closed; a package is replaced only while the round is under review",
                    sub.round
                ),
            ),
        ]));
    }
    if zip.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if zip.len() > UPLOAD_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let shown = assure_svc::clean_filename(filename);
    let (zip, v) = tokio::task::spawn_blocking(move || {
        let v = medsec_package::verify(&zip);
        (zip, v)
    })
    .await
    .map_err(|e| internal("package verification", e))?;
    if !v.is_clean() {
        return Err(refused(v.problems.iter().map(|p| {
            format!(
                "{shown}: {}: {} ({})",
                p.path,
                p.message,
                problem_kind(p.kind)
            )
        })));
    }
    let Some(manifest) = v.manifest else {
        return Err(refused([format!(
            "{shown}: {}: the package has no manifest",
            medsec_package::MANIFEST
        )]));
    };
    let snap = assure_svc::snapshot(&sub)?;
    let h = &snap.header;
    let d = &manifest.device;
    if (d.product.as_str(), d.model.as_str(), d.version.as_str())
        != (
            h.product.as_str(),
            h.model.as_str(),
            h.software_version.as_str(),
        )
    {
        return Err(refused([format!(
            "{shown}: {}: the package is of {} {} {}, the round is of {} {} {}",
            medsec_package::MANIFEST,
            d.product,
            d.model,
            d.version,
            h.product,
            h.model,
            h.software_version
        )]));
    }
    let name = if filename.trim().is_empty() {
        zip_name_for(&manifest)
    } else {
        filename.to_owned()
    };
    let package = new_package(by, &name, zip, &manifest, "uploaded")?;
    let now = state.now();
    Ok(state
        .store
        .replace_submission_package(
            &by.org_id,
            submission_id,
            &package,
            now,
            package_audit(by, now),
        )
        .await?)
}

fn zip_name_for(m: &Manifest) -> String {
    format!(
        "{}-{}-{}-{}.zip",
        m.device.product, m.device.model, m.device.version, m.layout
    )
}

/// A problem kind's name as the package's verification report writes it.
pub fn problem_kind(kind: medsec_package::ProblemKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
