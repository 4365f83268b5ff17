//! The webshell-scan API: upload a member's web root (a zip archive or
//! one file) to be scanned with the built-in YARA rules, list scans, read
//! a scan with its findings, list the rules; and the agent's endpoint,
//! authenticated by the member's ingest token. The same rules as the UI
//! (both call [`crate::webshell`]).

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{get, post};
use medsec_core::Permission;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ClientIp, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::webshell as svc;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::MAX_UPLOAD);
    r.api(
        User,
        Method::GET,
        "/api/v1/watch/webshell/scans",
        get(list_webshell_scans),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/webshell/scans",
        post(upload_webshell_scan).layer(upload()),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/webshell/scans/{scan_id}",
        get(get_webshell_scan),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/webshell/rules",
        get(list_webshell_rules),
    )
    .api(
        Access::Public,
        Method::POST,
        "/api/v1/ingest/webshell",
        post(ingest_webshell).layer(upload()),
    )
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Scans in the caller's scope, newest first: every member's for the
/// ISAC, its own for a hospital.
#[utoipa::path(get, path = "/api/v1/watch/webshell/scans", tag = "webshell", security(("bearer" = [])), params(svc::ScanQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn list_webshell_scans(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<svc::ScanQuery>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::scans(&state.store, &by, &q).await?)?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct UploadQuery {
    /// The member hospital (id or name); the ISAC must name one, a
    /// hospital may only name itself.
    #[serde(default)]
    pub member: Option<String>,
    /// The upload's name, shown with the scan (a single file's findings
    /// carry it as their path).
    #[serde(default)]
    pub filename: Option<String>,
}

/// Scans a member's web root: the body is a zip archive (entries scanned
/// in memory, never extracted; bounded decompression) or else one file.
/// Each finding raises an alert for the member. 201 with the scan and its
/// findings; 400 naming the entry when the archive is damaged.
#[utoipa::path(post, path = "/api/v1/watch/webshell/scans", tag = "webshell", security(("bearer" = [])), params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 201, description = "Scanned", content_type = "application/json"), (status = 400, description = "A damaged archive (what and where)", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Unknown member", body = ErrorBody)))]
async fn upload_webshell_scan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let detail = svc::upload(
        &state.store,
        &by,
        "api",
        q.member.as_deref(),
        q.filename.as_deref().unwrap_or("upload"),
        body.to_vec(),
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(to_value(&detail)?)))
}

/// A scan with its findings (file, SHA-256, rule, severity, matched
/// strings with offsets) and the files it skipped with their reasons.
#[utoipa::path(get, path = "/api/v1/watch/webshell/scans/{scan_id}", tag = "webshell", security(("bearer" = [])),
    params(("scan_id" = String, Path, description = "The scan's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such scan in the caller's scope", body = ErrorBody)))]
async fn get_webshell_scan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::scan(&state.store, &by, &id).await?)?))
}

/// The built-in YARA rules with their description, severity, ATT&CK
/// technique and reference.
#[utoipa::path(get, path = "/api/v1/watch/webshell/rules", tag = "webshell", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn list_webshell_rules(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    crate::watch::scope(&by)?;
    let rules = svc::rules()?;
    Ok(Json(json!({
        "digest": rules.digest(),
        "rules": to_value(&svc::rule_list()?)?,
    })))
}

/// Receives a member's web root from its agent (`medsec webshell
/// upload`): a zip archive, authenticated by the member's ingest token
/// (`Authorization: Bearer msi_…`, the token of one of its `http` log
/// sources). 201 with the scan once it is stored.
#[utoipa::path(post, path = "/api/v1/ingest/webshell", tag = "webshell", security(("bearer" = [])), params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 201, description = "Scanned", content_type = "application/json"), (status = 400, description = "A damaged archive (what and where)", body = ErrorBody), (status = 401, description = "Unknown or disabled token", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody)))]
async fn ingest_webshell(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Error::Unauthenticated)?;
    let detail = svc::agent_upload(
        &state.store,
        token,
        &ip.0,
        q.filename.as_deref().unwrap_or("webroot.zip"),
        body.to_vec(),
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(to_value(&detail)?)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_webshell_scans, upload_webshell_scan, get_webshell_scan, list_webshell_rules, ingest_webshell),
    tags((name = "webshell", description = "Webshell scans of members' web roots with YARA rules")),
)]
pub struct WebshellDoc;
