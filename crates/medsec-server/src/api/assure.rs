//! The premarket API: devices and applicability, checklists with items,
//! history, exports and imports, evidence files, and submissions with
//! their review. The same rules as the UI (both call [`crate::assure`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use medsec_assure::checklist::Content;
use medsec_assure::profile::Format;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use crate::assure::{self as svc, ExportFormat};
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query, RefPair, is_ref_id};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::EVIDENCE_LIMIT);
    r.api(User, Method::GET, "/api/v1/devices", get(list_devices))
        .api(User, Method::POST, "/api/v1/devices", post(create_device))
        .api(
            User,
            Method::GET,
            "/api/v1/devices/{device_id}",
            get(get_device),
        )
        .api(
            User,
            Method::PUT,
            "/api/v1/devices/{device_id}",
            put(update_device),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/devices/{device_id}/applicability",
            get(applicability),
        )
        .api(
            User,
            Method::PUT,
            "/api/v1/devices/{device_id}/overrides",
            put(set_override),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/devices/{device_id}/checklists",
            post(create_checklist),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/checklists/{checklist_id}",
            get(get_checklist),
        )
        .api(
            User,
            Method::PUT,
            "/api/v1/checklists/{checklist_id}/items/{item_id}",
            put(update_item),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/checklists/{checklist_id}/history",
            get(history),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/checklists/{checklist_id}/export/{format}",
            get(export),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/checklists/{checklist_id}/import",
            post(import).layer(upload()),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/checklists/{checklist_id}/submit",
            post(submit),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/checklists/{checklist_id}/carry",
            post(carry),
        )
        .api(User, Method::GET, "/api/v1/evidence", get(list_evidence))
        .api(
            User,
            Method::POST,
            "/api/v1/evidence",
            post(upload_evidence).layer(upload()),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/evidence/{evidence_id}",
            get(download_evidence),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/submissions",
            get(list_submissions),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/submissions/{submission_id}",
            get(get_submission),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/submissions/{submission_id}/comments",
            post(comment),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/submissions/{submission_id}/decision",
            post(decide),
        )
}

fn device_json(d: &svc::Device) -> Value {
    json!({
        "id": d.row.id, "revision": d.row.revision, "product": d.row.product, "model": d.row.model,
        "software_version": d.row.software_version, "profile": d.profile, "overrides": d.overrides,
        "created_at": medsec_core::Timestamp(d.row.created_at).rfc3339(), "updated_at": medsec_core::Timestamp(d.row.updated_at).rfc3339(),
    })
}

/// The organisation's devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "assure", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not a manufacturer", body = ErrorBody)))]
async fn list_devices(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    let list: Vec<Value> = svc::devices(&state, &by.org_id)
        .await?
        .iter()
        .map(device_json)
        .collect();
    Ok(Json(Value::Array(list)))
}

/// A device profile: `{"profile": {…}}` (the profile as JSON, see
/// `crates/medsec-assure/fixtures/devices`) or `{"profile_toml": "…"}`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProfileBody {
    #[schema(value_type = Object)]
    pub profile: Option<Value>,
    pub profile_toml: Option<String>,
    /// The revision being replaced (updates only).
    pub revision: Option<i64>,
}

fn profile_text(body: &ProfileBody) -> Result<(String, Format)> {
    match (&body.profile, &body.profile_toml) {
        (Some(p), None) => Ok((p.to_string(), Format::Json)),
        (None, Some(t)) => Ok((t.clone(), Format::Toml)),
        _ => Err(Error::field("profile", "required")),
    }
}

/// Registers a device version from its profile.
#[utoipa::path(post, path = "/api/v1/devices", tag = "assure", security(("bearer" = [])), request_body = ProfileBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 409, description = "This product, model and version exist", body = ErrorBody), (status = 422, description = "The profile is invalid (the field is named)", body = ErrorBody)))]
async fn create_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (text, format) = profile_text(&body)?;
    let d = svc::device_import(&state, &by, &text, format).await?;
    Ok((StatusCode::CREATED, Json(device_json(&d))))
}

/// One device with its profile and overrides.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}", tag = "assure", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    Ok(Json(device_json(
        &svc::device(&state, &by.org_id, &id).await?,
    )))
}

/// Replaces a device's profile (`revision` must be the current one).
#[utoipa::path(put, path = "/api/v1/devices/{device_id}", tag = "assure", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = ProfileBody,
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn update_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (text, format) = profile_text(&body)?;
    let revision = body
        .revision
        .ok_or_else(|| Error::field("revision", "required"))?;
    Ok(Json(device_json(
        &svc::device_update(&state, &by, &id, revision, &text, format).await?,
    )))
}

/// Whether each MFDS (2024, 2019) and KISA item applies, and why.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/applicability", tag = "assure", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn applicability(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    let d = svc::device(&state, &by.org_id, &id).await?;
    let table = svc::applicability(&d)?;
    Ok(Json(
        serde_json::to_value(&table).map_err(|e| Error::Internal(e.to_string()))?,
    ))
}

/// A user's applicability decision; `applies: null` returns to the rule.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OverrideBody {
    pub revision: i64,
    /// `catalogue:item`, e.g. `mfds-2019:1.6`.
    pub reference: String,
    pub applies: Option<bool>,
    #[serde(default)]
    pub justification: String,
}

/// Decides an item's applicability with a justification (audited).
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/overrides", tag = "assure", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = OverrideBody,
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn set_override(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let d = svc::set_override(
        &state,
        &by,
        &id,
        body.revision,
        &body.reference,
        body.applies,
        &body.justification,
    )
    .await?;
    Ok(Json(device_json(&d)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewChecklistBody {
    /// `mfds-2024` (default) or `mfds-2019`.
    pub catalog: Option<String>,
}

fn checklist_json(v: &svc::ChecklistView) -> Value {
    json!({
        "id": v.row.id, "device_id": v.row.device_id, "catalog": v.row.catalog, "edition": v.row.edition,
        "revision": v.row.revision, "status": v.row.status, "checklist": v.checklist, "gaps": v.gaps,
    })
}

/// Starts the device's checklist on an MFDS edition, prefilled.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/checklists", tag = "assure", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = NewChecklistBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Exists", body = ErrorBody)))]
async fn create_checklist(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<NewChecklistBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let row = svc::checklist_create(&state, &by, &id, body.catalog.as_deref()).await?;
    let v = svc::checklist(&state, &by.org_id, &row.id).await?;
    Ok((StatusCode::CREATED, Json(checklist_json(&v))))
}

/// The checklist (schema `medsec-checklist/1`) with its gaps.
#[utoipa::path(get, path = "/api/v1/checklists/{checklist_id}", tag = "assure", security(("bearer" = [])), params(("checklist_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_checklist(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    Ok(Json(checklist_json(
        &svc::checklist(&state, &by.org_id, &id).await?,
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ItemBody {
    pub revision: i64,
    /// methods, standards, attachments, test_criterion, test_method, tests, note.
    #[schema(value_type = Object)]
    pub content: Content,
}

/// Replaces one item's content (`revision` must be the current one).
#[utoipa::path(put, path = "/api/v1/checklists/{checklist_id}/items/{item_id}", tag = "assure", security(("bearer" = [])),
    params(("checklist_id" = String, Path), ("item_id" = String, Path)), request_body = ItemBody,
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn update_item(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    RefPair(id, item): RefPair,
    ApiJson(body): ApiJson<ItemBody>,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, true).await?;
    svc::item_update(&state, &by, &id, body.revision, &item, body.content).await?;
    Ok(Json(checklist_json(
        &svc::checklist(&state, &by.org_id, &id).await?,
    )))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this item.
    pub item: Option<String>,
    pub limit: Option<i64>,
}

/// Every change of the checklist, newest first.
#[utoipa::path(get, path = "/api/v1/checklists/{checklist_id}/history", tag = "assure", security(("bearer" = [])), params(("checklist_id" = String, Path), HistoryQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    state
        .store
        .get_checklist(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let rows = state
        .store
        .checklist_history(&by.org_id, &id, q.item.as_deref(), q.limit.unwrap_or(1000))
        .await?;
    Ok(Json(
        serde_json::to_value(rows).map_err(|e| Error::Internal(e.to_string()))?,
    ))
}

/// The checklist as `xlsx`, `pdf`, `html` or `json` (audited).
#[utoipa::path(get, path = "/api/v1/checklists/{checklist_id}/export/{format}", tag = "assure", security(("bearer" = [])),
    params(("checklist_id" = String, Path), ("format" = String, Path, description = "xlsx, pdf, html or json")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    RefPair(id, format): RefPair,
) -> Result<Response> {
    let format = ExportFormat::parse(&format).ok_or(Error::NotFound)?;
    let by = svc::as_maker(&state, &actor, false).await?;
    let view = svc::checklist(&state, &by.org_id, &id).await?;
    let file = svc::export(
        &state,
        &by,
        &view,
        format,
        crate::extract::request_lang(&parts),
    )
    .await?;
    Ok(svc::attachment(
        file.bytes,
        file.content_type,
        &file.filename,
    ))
}

/// Loads a filled-in checklist: the body is the XLSX file, or the JSON
/// (`Content-Type: application/json`); all or nothing.
#[utoipa::path(post, path = "/api/v1/checklists/{checklist_id}/import", tag = "assure", security(("bearer" = [])), params(("checklist_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "How many items changed", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "The file is invalid (row, column or item named)", body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    body: Bytes,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let name = if json_body {
        "checklist.json"
    } else {
        "checklist.xlsx"
    };
    let changed = svc::import(&state, &by, &id, name, &body).await?;
    Ok(Json(json!({"changed_items": changed})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubmitBody {
    /// The regulator organisation's id.
    pub reviewer_org: String,
}

fn submission_json(s: &medsec_store::assure::SubmissionRow) -> Value {
    json!({
        "id": s.id, "checklist_id": s.checklist_id, "org_id": s.org_id, "reviewer_org_id": s.reviewer_org_id,
        "round": s.round, "status": s.status, "submitted_by": s.submitted_by,
        "submitted_at": medsec_core::Timestamp(s.submitted_at).rfc3339(),
        "decided_by": s.decided_by, "decided_at": s.decided_at.map(|t| medsec_core::Timestamp(t).rfc3339()),
    })
}

/// Submits the checklist as it is to a regulator (shares it and its
/// evidence; audited).
#[utoipa::path(post, path = "/api/v1/checklists/{checklist_id}/submit", tag = "assure", security(("bearer" = [])), params(("checklist_id" = String, Path)), request_body = SubmitBody,
    responses((status = 201, description = "Submitted", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let s = svc::submit(&state, &by, &id, &body.reviewer_org).await?;
    Ok((StatusCode::CREATED, Json(submission_json(&s))))
}

/// Carries the checklist to another edition (2019 to 2024) as a new
/// checklist of the device; lists the new edition's items no old item
/// reaches.
#[utoipa::path(post, path = "/api/v1/checklists/{checklist_id}/carry", tag = "assure", security(("bearer" = [])), params(("checklist_id" = String, Path)), request_body = NewChecklistBody,
    responses((status = 201, description = "Carried", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "A checklist on that edition exists", body = ErrorBody)))]
async fn carry(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<NewChecklistBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let to = body.catalog.unwrap_or_else(|| "mfds-2024".to_owned());
    let (row, gaps) = svc::checklist_carry(&state, &by, &id, &to).await?;
    let v = svc::checklist(&state, &by.org_id, &row.id).await?;
    let mut out = checklist_json(&v);
    out["new_in_edition"] = json!(gaps);
    Ok((StatusCode::CREATED, Json(out)))
}

/// The organisation's evidence files.
#[utoipa::path(get, path = "/api/v1/evidence", tag = "assure", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not a manufacturer", body = ErrorBody)))]
async fn list_evidence(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = svc::as_maker(&state, &actor, false).await?;
    Ok(Json(
        serde_json::to_value(state.store.list_evidence(&by.org_id).await?)
            .map_err(|e| Error::Internal(e.to_string()))?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name.
    pub filename: String,
}

/// Keeps an evidence file (the body); an identical file is kept once.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "assure", security(("bearer" = [])), params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, description = "Kept", content_type = "application/json"), (status = 200, description = "Already kept", content_type = "application/json"), (status = 413, description = "Too large", body = ErrorBody)))]
async fn upload_evidence(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (row, created) = svc::evidence_upload(&state, &by, &q.filename, body.to_vec()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::to_value(row).map_err(|e| Error::Internal(e.to_string()))?),
    ))
}

/// An evidence file (the organisation's, or one submitted to it).
#[utoipa::path(get, path = "/api/v1/evidence/{evidence_id}", tag = "assure", security(("bearer" = [])), params(("evidence_id" = String, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn download_evidence(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    let by = svc::as_party(&state, &actor, false).await?;
    let (row, bytes) = svc::evidence_download(&state, &by, &id).await?;
    Ok(svc::attachment(bytes, &row.content_type, &row.filename))
}

/// Submissions the organisation made or received.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "assure", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn list_submissions(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = svc::as_party(&state, &actor, false).await?;
    Ok(Json(Value::Array(
        state
            .store
            .list_submissions(&by.org_id)
            .await?
            .iter()
            .map(submission_json)
            .collect(),
    )))
}

/// A submitted round: the checklist as submitted, the thread of every
/// round, and what changed since the previous round.
#[utoipa::path(get, path = "/api/v1/submissions/{submission_id}", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_submission(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = svc::as_party(&state, &actor, false).await?;
    let sub = state
        .store
        .get_submission(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let snap = svc::snapshot(&sub)?;
    let rounds = state
        .store
        .checklist_rounds(&by.org_id, &sub.checklist_id)
        .await?;
    let previous = rounds
        .iter()
        .filter(|r| r.round < sub.round)
        .max_by_key(|r| r.round)
        .map(svc::snapshot)
        .transpose()?;
    let changed: Vec<Value> = previous
        .map(|p| svc::round_diff(&p, &snap))
        .unwrap_or_default()
        .into_iter()
        .map(|(item, fields)| json!({"item": item, "fields": fields}))
        .collect();
    let thread = state
        .store
        .review_thread(&by.org_id, &sub.checklist_id)
        .await?;
    let mut out = submission_json(&sub);
    out["checklist"] = serde_json::to_value(&snap).map_err(|e| Error::Internal(e.to_string()))?;
    out["changed_since_previous_round"] = Value::Array(changed);
    out["thread"] = serde_json::to_value(thread).map_err(|e| Error::Internal(e.to_string()))?;
    out["rounds"] = Value::Array(rounds.iter().map(submission_json).collect());
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CommentBody {
    /// The item, or empty for a general comment.
    #[serde(default)]
    pub item: String,
    /// Reviewers: `conforming` or `needs-work`; answers have none.
    pub verdict: Option<String>,
    #[serde(default)]
    pub body: String,
}

/// A finding (reviewer) or an answer (manufacturer).
#[utoipa::path(post, path = "/api/v1/submissions/{submission_id}/comments", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path)), request_body = CommentBody,
    responses((status = 201, description = "Recorded"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn comment(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<StatusCode> {
    let by = svc::as_party(&state, &actor, true).await?;
    if !body.item.is_empty() && !is_ref_id(&body.item) {
        return Err(Error::field("item", "invalid_choice"));
    }
    svc::comment(
        &state,
        &by,
        &id,
        &body.item,
        body.verdict.as_deref(),
        &body.body,
    )
    .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    /// `changes-requested` or `accepted`.
    pub decision: String,
}

/// The reviewer closes the round.
#[utoipa::path(post, path = "/api/v1/submissions/{submission_id}/decision", tag = "assure", security(("bearer" = [])), params(("submission_id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, description = "Decided", content_type = "application/json"), (status = 404, description = "No open round", body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Value>> {
    let by = svc::as_party(&state, &actor, true).await?;
    Ok(Json(submission_json(
        &svc::decide(&state, &by, &id, &body.decision).await?,
    )))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_devices, create_device, get_device, update_device, applicability, set_override, create_checklist, get_checklist, update_item, history, export, import, submit, carry, list_evidence, upload_evidence, download_evidence, list_submissions, get_submission, comment, decide),
    components(schemas(ProfileBody, OverrideBody, NewChecklistBody, ItemBody, SubmitBody, CommentBody, DecisionBody)),
    tags((name = "assure", description = "Premarket: devices, applicability, MFDS checklists, evidence, review")),
)]
pub struct AssureDoc;
