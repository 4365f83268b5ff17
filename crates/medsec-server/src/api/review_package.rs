//! The API of a review round's submission package (reviewer mode): the
//! manifest with the verification computed now from the stored ZIP, the
//! ZIP, one file of it, and the manufacturer's replacement of the package
//! while the round is under review. The same rules as the pages (both
//! call [`crate::review_package`]): only the round's manufacturer and its
//! reviewer find anything.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use medsec_core::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use crate::assure as assure_svc;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{Id, Query};
use crate::review_package as svc;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::UPLOAD_LIMIT);
    r.api(
        User,
        Method::GET,
        "/api/v1/submissions/{submission_id}/package",
        get(get_submission_package),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/submissions/{submission_id}/package",
        axum::routing::put(put_submission_package).layer(upload()),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/submissions/{submission_id}/package/zip",
        get(get_submission_package_zip),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/submissions/{submission_id}/package/files",
        get(get_submission_package_file),
    )
}

fn package_json(
    row: &medsec_store::review_package::PackageRow,
    opened: Option<&svc::Opened>,
) -> Result<Value> {
    let verification = opened
        .map(|o| serde_json::to_value(&o.verification))
        .transpose()
        .map_err(|e| Error::Internal(format!("verification: {e}")))?;
    let manifest = opened
        .and_then(|o| o.manifest.as_ref())
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| Error::Internal(format!("manifest: {e}")))?;
    Ok(json!({
        "submission_id": row.submission_id,
        "layout": row.layout,
        "source": row.source,
        "sha256": row.sha256,
        "size": row.size,
        "gaps": row.gaps,
        "attached_by": row.attached_by,
        "attached_at": Timestamp(row.attached_at).rfc3339(),
        "clean": opened.is_some_and(|o| o.verification.is_clean()),
        "manifest": manifest,
        "verification": verification,
    }))
}

/// The round's package: where it came from, its manifest, and its
/// verification computed now from the stored ZIP (`clean`, every file as
/// found, every problem naming its file). 404 if the round has no
/// package or the caller is neither its manufacturer nor its reviewer.
#[utoipa::path(get, path = "/api/v1/submissions/{submission_id}/package", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_submission_package(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_party(&state, &actor, false).await?;
    let (_, opened) = svc::open(&state, &by, &id).await?;
    let opened = opened.ok_or(Error::NotFound)?;
    Ok(Json(package_json(&opened.row, Some(&opened))?))
}

/// Replaces the package of the caller's round under review with a ZIP
/// built by `medsec package build` (the body). It must verify and name
/// the round's device; otherwise nothing is stored and every problem is
/// listed in `fields`, naming its file.
#[utoipa::path(put, path = "/api/v1/submissions/{submission_id}/package", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 200, description = "Attached", content_type = "application/json"), (status = 403, description = "Not the round's manufacturer", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Does not verify, another device, or the round is closed", body = ErrorBody)))]
async fn put_submission_package(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let by = assure_svc::as_party(&state, &actor, true).await?;
    let name = if q.filename.is_empty() {
        "package.zip"
    } else {
        &q.filename
    };
    svc::upload(&state, &by, &id, name, body.to_vec()).await?;
    let (_, opened) = svc::open(&state, &by, &id).await?;
    let opened = opened.ok_or(Error::NotFound)?;
    Ok((
        StatusCode::OK,
        Json(package_json(&opened.row, Some(&opened))?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, kept with the evidence file.
    #[serde(default)]
    pub filename: String,
}

/// The round's package ZIP as stored (audited as an evidence download).
#[utoipa::path(get, path = "/api/v1/submissions/{submission_id}/package/zip", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path)),
    responses((status = 200, description = "The ZIP", content_type = "application/zip"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_submission_package_zip(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_party(&state, &actor, false).await?;
    let (row, bytes) = svc::zip(&state, &by, &id).await?;
    let manifest: Option<medsec_package::Manifest> = serde_json::from_str(&row.manifest).ok();
    Ok(assure_svc::attachment(
        bytes,
        "application/zip",
        &svc::zip_name(&row, manifest.as_ref()),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's path in the package, as the manifest lists it
    /// (`MANIFEST.json` for the manifest).
    #[serde(default)]
    pub path: String,
}

/// One file of the round's package, checked against the manifest (size
/// and SHA-256), always as an attachment: text formats as plain text,
/// PDF and XLSX as themselves, anything else as bytes.
#[utoipa::path(get, path = "/api/v1/submissions/{submission_id}/package/files", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path), FileQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "Not found, or not a file of the manifest", body = ErrorBody), (status = 422, description = "The file does not match the manifest", body = ErrorBody)))]
async fn get_submission_package_file(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<FileQuery>,
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

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(get_submission_package, put_submission_package, get_submission_package_zip, get_submission_package_file),
    tags((name = "assure", description = "Premarket: devices, applicability, MFDS checklists, evidence, review")),
)]
pub struct ReviewPackageDoc;
