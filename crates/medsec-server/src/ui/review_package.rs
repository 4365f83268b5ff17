//! Reviewer mode: the submission package of a review round, read-only,
//! for the reviewing organisation and the manufacturer. The page shows
//! the verification of the stored ZIP computed now, the manifest, the
//! documents of the unified set with the MFDS, IMDRF N60 and FDA sections
//! that ask for them, every file with its size, media type and SHA-256,
//! and the traceability gaps by kind. Text files are shown escaped in
//! `<pre>`; everything else (PDF, XLSX, binaries) is only downloaded, and
//! an SVG or HTML file is never rendered. The manufacturer may replace
//! the package with an upload while the round is under review; nothing
//! else here changes anything.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use medsec_store::assure::SubmissionRow;

use super::{Page, ok, page, render, see_other};
use crate::assure::{self as assure_svc};
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfUpload, Id, Query};
use crate::i18n::Lang;
use crate::review_package::{self as svc, Opened};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    let upload = || DefaultBodyLimit::max(svc::UPLOAD_LIMIT + 64 * 1024);
    r.ui(
        Access::User,
        Method::GET,
        "/reviews/{submission_id}/package",
        get(package_show),
    )
    .ui(
        Access::User,
        Method::POST,
        "/reviews/{submission_id}/package",
        post(package_upload).layer(upload()),
    )
    .ui(
        Access::User,
        Method::GET,
        "/reviews/{submission_id}/package/export/zip",
        get(package_zip),
    )
    .ui(
        Access::User,
        Method::GET,
        "/reviews/{submission_id}/package/file",
        get(package_file),
    )
    .ui(
        Access::User,
        Method::GET,
        "/reviews/{submission_id}/package/export/file",
        get(package_download),
    )
}

/// The documents of the unified set every package has a place for.
const DOCUMENTS: &[&str] = &["D1", "D2", "D3", "D4", "D5", "D6", "D7"];

/// `D10` after `D9`: by the number after the letter.
fn doc_order(id: &str) -> (u32, String) {
    let n = id
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(u32::MAX);
    (n, id.to_owned())
}

/// A byte count for people: `1.7 MB`, `12 KB`, `512 B`.
fn size_text(bytes: u64) -> String {
    const KB: u64 = 1000;
    if bytes >= KB * KB {
        format!("{:.1} MB", bytes as f64 / (KB * KB) as f64)
    } else if bytes >= KB {
        format!("{:.1} KB", bytes as f64 / KB as f64)
    } else {
        format!("{bytes} B")
    }
}

fn query_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC).to_string()
}

struct FileLine {
    path: String,
    title: String,
    format: String,
    media_type: String,
    size: String,
    sha256: String,
    /// Found in the ZIP with the manifest's size and SHA-256.
    ok: bool,
    /// Shown in a page (text) rather than only downloaded.
    viewable: bool,
    view_href: String,
    download_href: String,
}

struct DocLine {
    id: String,
    /// The document's name in the page's language.
    title: String,
    mfds: String,
    n60: String,
    fda: String,
    files: Vec<FileLine>,
}

struct ProblemLine {
    path: String,
    kind: String,
    message: String,
}

#[derive(Template)]
#[template(path = "review_package.html")]
struct PackageTpl<'a> {
    page: &'a Page,
    sub: SubmissionRow,
    title: String,
    status: String,
    /// The package, if the round has one.
    has_package: bool,
    clean: bool,
    problems: Vec<ProblemLine>,
    facts: Vec<(String, String)>,
    docs: Vec<DocLine>,
    gaps: Vec<(String, usize)>,
    gap_total: usize,
    /// The manufacturer may replace the package (its round, under review).
    can_upload: bool,
    limit_mib: usize,
    /// Why the last upload was refused, one line per problem.
    refused: Vec<String>,
    notice_uploaded: String,
}

fn round_title(sub: &SubmissionRow) -> String {
    assure_svc::snapshot(sub)
        .map(|c| {
            format!(
                "{} {} {} · {}",
                c.header.product, c.header.model, c.header.software_version, c.catalog
            )
        })
        .unwrap_or_default()
}

/// A document's name (`package-doc-d1`); a document this version has no
/// name for (a newer package's) is shown by its id.
fn doc_title(page: &Page, doc: &str) -> String {
    let id = format!("package-doc-{}", doc.to_ascii_lowercase());
    let text = page.t(&id);
    if text == id { String::new() } else { text }
}

fn gap_label(page: &Page, kind: &str) -> String {
    let id = format!("premarket-gap-{kind}");
    let text = page.t(&id);
    if text == id { kind.to_owned() } else { text }
}

fn build_tpl<'a>(
    page: &'a Page,
    actor: &Actor,
    sub: SubmissionRow,
    opened: Option<Opened>,
    refused: Vec<String>,
    notice_uploaded: String,
) -> PackageTpl<'a> {
    let en = page.lang == Lang::En;
    let base = format!("/reviews/{}/package", sub.id);
    let mut tpl = PackageTpl {
        page,
        title: round_title(&sub),
        status: page.t(&format!("review-status-{}", sub.status)),
        has_package: false,
        clean: false,
        problems: Vec::new(),
        facts: Vec::new(),
        docs: Vec::new(),
        gaps: Vec::new(),
        gap_total: 0,
        can_upload: actor.org.id == sub.org_id && sub.status == "submitted",
        limit_mib: svc::UPLOAD_LIMIT / (1024 * 1024),
        refused,
        notice_uploaded,
        sub,
    };
    let Some(o) = opened else {
        return tpl;
    };
    tpl.has_package = true;
    tpl.clean = o.verification.is_clean();
    tpl.problems = o
        .verification
        .problems
        .iter()
        .map(|p| ProblemLine {
            path: p.path.clone(),
            kind: svc::problem_kind(p.kind),
            message: p.message.clone(),
        })
        .collect();
    let found: BTreeMap<&str, bool> = o
        .verification
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.ok))
        .collect();
    let row = &o.row;
    tpl.facts.push((
        page.t("package-source"),
        page.t(&format!("package-source-{}", row.source)),
    ));
    tpl.facts.push((
        page.t("package-attached"),
        format!(
            "{} · {}",
            page.time(medsec_core::Timestamp(row.attached_at)),
            row.attached_by
        ),
    ));
    tpl.facts
        .push((page.t("package-sha256"), row.sha256.clone()));
    tpl.facts.push((
        page.t("package-size"),
        size_text(u64::try_from(row.size).unwrap_or_default()),
    ));
    if let Some(m) = &o.manifest {
        let d = &m.device;
        tpl.facts.push((
            page.t("package-device"),
            format!(
                "{} {} {}{}",
                d.product,
                d.model,
                d.version,
                d.manufacturer
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
        ));
        tpl.facts.push((
            page.t("package-layout"),
            page.t(&format!("package-layout-{}", m.layout)),
        ));
        tpl.facts
            .push((page.t("package-created"), m.created.clone()));
        tpl.facts
            .push((page.t("package-generator"), m.generator.clone()));
        tpl.facts.push((page.t("package-schema"), m.schema.clone()));
        let mut docs: BTreeMap<(u32, String), DocLine> = DOCUMENTS
            .iter()
            .map(|d| {
                (
                    doc_order(d),
                    DocLine {
                        id: (*d).to_owned(),
                        title: doc_title(page, d),
                        mfds: String::new(),
                        n60: String::new(),
                        fda: String::new(),
                        files: Vec::new(),
                    },
                )
            })
            .collect();
        for f in &m.files {
            let doc = docs
                .entry(doc_order(&f.document))
                .or_insert_with(|| DocLine {
                    id: f.document.clone(),
                    title: doc_title(page, &f.document),
                    mfds: String::new(),
                    n60: String::new(),
                    fda: String::new(),
                    files: Vec::new(),
                });
            if doc.mfds.is_empty() {
                doc.mfds = f.mfds.clone();
                doc.n60 = f.n60.clone();
                doc.fda = f.fda.clone();
            }
            let q = query_path(&f.path);
            let viewable = svc::is_text_type(&f.media_type, &f.path);
            doc.files.push(FileLine {
                path: f.path.clone(),
                title: if en {
                    f.title_en.clone()
                } else {
                    f.title_ko.clone()
                },
                format: f.format.clone(),
                media_type: f.media_type.clone(),
                size: size_text(f.size),
                sha256: f.sha256.clone(),
                ok: found.get(f.path.as_str()).copied().unwrap_or(false),
                viewable,
                view_href: format!("{base}/file?path={q}"),
                download_href: format!("{base}/export/file?path={q}"),
            });
        }
        tpl.docs = docs.into_values().collect();
        tpl.gaps = m
            .gaps_by_kind
            .iter()
            .map(|(k, n)| (gap_label(page, k), *n))
            .collect();
        tpl.gap_total = m.gaps;
    }
    tpl
}

async fn show(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    refused: Vec<String>,
    notice_uploaded: String,
) -> Result<Response> {
    let by = assure_svc::as_party(state, actor, false).await?;
    let (sub, opened) = svc::open(state, &by, id).await?;
    let page = page(state, parts, actor, "package-title", "reviews").await?;
    let status = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let tpl = build_tpl(&page, actor, sub, opened, refused, notice_uploaded);
    Ok(render(status, &page, &tpl))
}

async fn package_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let uploaded = if parts.uri.query() == Some("uploaded=1") {
        crate::extract::request_lang(&parts).t("package-uploaded")
    } else {
        String::new()
    };
    show(&state, &parts, &actor, &id, Vec::new(), uploaded).await
}

async fn package_upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = assure_svc::as_party(&state, &actor, true).await?;
    match svc::upload(&state, &by, &id, &upload.filename, upload.bytes).await {
        Ok(_) => Ok(see_other(&format!("/reviews/{id}/package?uploaded=1"))),
        Err(Error::Invalid(errors)) => {
            let lang = crate::extract::request_lang(&parts);
            let lines = errors.iter().map(|e| lang.field_error(e)).collect();
            show(&state, &parts, &actor, &id, lines, String::new()).await
        }
        Err(e) => Err(e),
    }
}

async fn package_zip(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_party(&state, &actor, false).await?;
    let (row, bytes) = svc::zip(&state, &by, &id).await?;
    let manifest: Option<medsec_package::Manifest> = serde_json::from_str(&row.manifest).ok();
    let name = svc::zip_name(&row, manifest.as_ref());
    Ok(assure_svc::attachment(bytes, "application/zip", &name))
}

#[derive(serde::Deserialize)]
struct PathQuery {
    #[serde(default)]
    path: String,
}

#[derive(Template)]
#[template(path = "review_package_file.html")]
struct FileTpl<'a> {
    page: &'a Page,
    sub_id: String,
    title: String,
    path: String,
    facts: Vec<(String, String)>,
    text: String,
    cut: bool,
    download_href: String,
}

/// A text file shown escaped in a page (the manifest if no path is
/// given); any other file as a download.
async fn package_file(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<PathQuery>,
) -> Result<Response> {
    let by = assure_svc::as_party(&state, &actor, false).await?;
    // Without a path, the manifest: the file that describes all others.
    let path = if q.path.is_empty() {
        medsec_package::MANIFEST
    } else {
        q.path.as_str()
    };
    let file = svc::file(&state, &by, &id, path).await?;
    if !svc::is_text(&file.media_type, &file.path, &file.bytes) {
        let ct = svc::download_type(&file.media_type, &file.path, &file.bytes);
        return Ok(assure_svc::attachment(
            file.bytes,
            ct,
            &svc::file_name(&file.path),
        ));
    }
    let page = page(&state, &parts, &actor, "package-file-title", "reviews").await?;
    let en = page.lang == Lang::En;
    let (text, cut) = svc::text_view(&file.bytes);
    let mut facts = vec![
        (page.t("package-col-media-type"), file.media_type.clone()),
        (page.t("package-size"), size_text(file.bytes.len() as u64)),
        (
            page.t("package-sha256"),
            medsec_assure::evidence::sha256_hex(&file.bytes),
        ),
    ];
    if let Some(e) = &file.entry {
        facts.insert(
            0,
            (
                page.t("package-col-title"),
                if en {
                    e.title_en.clone()
                } else {
                    e.title_ko.clone()
                },
            ),
        );
        facts.push((page.t("package-col-document"), e.document.clone()));
        facts.push((page.t("package-col-format"), e.format.clone()));
    }
    let tpl = FileTpl {
        page: &page,
        title: file.path.clone(),
        download_href: format!(
            "/reviews/{id}/package/export/file?path={}",
            query_path(&file.path)
        ),
        sub_id: id,
        path: file.path,
        facts,
        text,
        cut,
    };
    Ok(ok(&page, &tpl))
}

/// Any file of the package as a download, never rendered.
async fn package_download(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<PathQuery>,
) -> Result<Response> {
    let by = assure_svc::as_party(&state, &actor, false).await?;
    let file = svc::file(&state, &by, &id, &q.path).await?;
    let ct = svc::download_type(&file.media_type, &file.path, &file.bytes);
    Ok(assure_svc::attachment(
        file.bytes,
        ct,
        &svc::file_name(&file.path),
    ))
}
