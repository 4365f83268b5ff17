//! The incidents API: open, list, read, change, members and sharing,
//! reporting to the ISAC, devices, the team, alerts, tasks, evidence,
//! notes and reports. The same rules as the UI (both call
//! [`crate::incidents`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use medsec_core::Permission;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, IdPair, Query};
use crate::i18n::Lang;
use crate::incidents as svc;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::EVIDENCE_LIMIT);
    r.api(User, Method::GET, "/api/v1/incidents", get(list_incidents))
        .api(User, Method::POST, "/api/v1/incidents", post(open_incident))
        .api(
            User,
            Method::GET,
            "/api/v1/incidents/{incident_id}",
            get(get_incident),
        )
        .api(
            User,
            Method::PATCH,
            "/api/v1/incidents/{incident_id}",
            patch(update_incident),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/members",
            post(add_incident_member),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/members/{member_id}/share",
            post(share_incident),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/report-to-isac",
            post(report_incident),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/devices",
            post(add_incident_device),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/team",
            post(add_incident_role),
        )
        .api(
            User,
            Method::DELETE,
            "/api/v1/incidents/{incident_id}/team/{role_id}",
            delete(remove_incident_role),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/alerts",
            post(link_incident_alert),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/tasks",
            post(add_incident_task),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/tasks/{task_id}",
            post(set_incident_task),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/evidence",
            post(add_incident_evidence).layer(upload()),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/incidents/{incident_id}/evidence/{file_id}",
            get(download_incident_evidence),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/notes",
            post(add_incident_note),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/incidents/{incident_id}/report.pdf",
            get(incident_report_preview),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/incidents/{incident_id}/reports",
            post(issue_incident_report),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/incidents/{incident_id}/reports/{report_id}",
            get(download_incident_report),
        )
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Incidents the caller sees (open ones by default), most recently
/// changed first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(svc::ListParams),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody), (status = 422, description = "Invalid filter", body = ErrorBody)))]
async fn list_incidents(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<svc::ListParams>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::list(&state.store, &by, &q).await?)?))
}

/// Opens an incident: the ISAC (from alerts, or for members), or a
/// hospital for itself (`share` reports it to the ISAC at once).
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), request_body = svc::OpenForm,
    responses((status = 201, description = "Opened", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn open_incident(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<svc::OpenForm>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let row = svc::open(&state, &by, &body).await?;
    Ok((StatusCode::CREATED, Json(to_value(&row)?)))
}

/// An incident with its members, devices, team, alerts, tasks, evidence
/// (without content), timeline and issued reports.
#[utoipa::path(get, path = "/api/v1/incidents/{incident_id}", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such incident for the caller", body = ErrorBody)))]
async fn get_incident(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::detail(&state.store, &by, &id).await?)?))
}

/// Changes an incident's fields or status (the owner). Closing needs the
/// cause and the response written.
#[utoipa::path(patch, path = "/api/v1/incidents/{incident_id}", tag = "incidents", security(("bearer" = [])), request_body = svc::UpdateForm,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 200, description = "Changed", content_type = "application/json"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn update_incident(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<svc::UpdateForm>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    Ok(Json(to_value(
        &svc::update(&state.store, &by, &id, &body).await?,
    )?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberBody {
    /// The member hospital's id or name.
    pub member: String,
    /// Share the incident with it at once.
    #[serde(default)]
    pub share: bool,
}

/// Adds an affected member to an ISAC incident.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/members", tag = "incidents", security(("bearer" = [])), request_body = MemberBody,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 204, description = "Added"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Unknown member", body = ErrorBody)))]
async fn add_incident_member(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::add_member(&state.store, &by, &id, &body.member, body.share).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shares an ISAC incident with an affected member: it sees the incident
/// and its reports from now on and is notified (UI and `incident.shared`
/// webhook).
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/members/{member_id}/share", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), ("member_id" = String, Path, description = "The affected member's id")),
    responses((status = 204, description = "Shared"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Not an affected member", body = ErrorBody)))]
async fn share_incident(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    IdPair(id, member): IdPair,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::share(&state.store, &by, &id, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reports a hospital's incident to the ISAC (신고): the ISAC sees it from
/// now on and is notified (UI and `incident.reported` webhook).
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/report-to-isac", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 204, description = "Reported"), (status = 403, description = "Not the owning hospital", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody)))]
async fn report_incident(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::report_to_isac(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an affected medical device (a hospital's inventory device, or
/// described).
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/devices", tag = "incidents", security(("bearer" = [])), request_body = svc::DeviceForm,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 201, description = "Added"), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_incident_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<svc::DeviceForm>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::add_device(&state.store, &by, &id, &body).await?;
    Ok(StatusCode::CREATED)
}

/// Adds a member of the response team (the owner).
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/team", tag = "incidents", security(("bearer" = [])), request_body = svc::RoleForm,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 201, description = "Added"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_incident_role(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<svc::RoleForm>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::add_role(&state.store, &by, &id, &body).await?;
    Ok(StatusCode::CREATED)
}

/// Removes a member of the response team (the owner).
#[utoipa::path(delete, path = "/api/v1/incidents/{incident_id}/team/{role_id}", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), ("role_id" = String, Path, description = "The team entry's id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn remove_incident_role(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    IdPair(id, role): IdPair,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::remove_role(&state.store, &by, &id, &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AlertBody {
    /// An alert's id the caller sees.
    pub alert: String,
}

/// Links an alert (the owner); an ISAC incident gains its member.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/alerts", tag = "incidents", security(("bearer" = [])), request_body = AlertBody,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 204, description = "Linked"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Unknown alert", body = ErrorBody)))]
async fn link_incident_alert(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<AlertBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::link_alert(&state.store, &by, &id, &body.alert).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a task for the caller's organisation or another one involved.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/tasks", tag = "incidents", security(("bearer" = [])), request_body = svc::TaskForm,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 201, description = "Added"), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_incident_task(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<svc::TaskForm>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::add_task(&state, &by, &id, &body).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TaskBody {
    /// Done (`true`) or open again (`false`).
    pub done: bool,
}

/// Marks a task done or open (the owner any task, others their own
/// organisation's).
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/tasks/{task_id}", tag = "incidents", security(("bearer" = [])), request_body = TaskBody,
    params(("incident_id" = String, Path, description = "The incident's id"), ("task_id" = String, Path, description = "The task's id")),
    responses((status = 204, description = "Changed"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn set_incident_task(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    IdPair(id, task): IdPair,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::set_task(&state.store, &by, &id, &task, body.done).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// The file's name.
    pub filename: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// Keeps an evidence file (the body) with its SHA-256.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/evidence", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, description = "Kept", content_type = "application/json"), (status = 404, description = "No such incident", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_incident_evidence(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<EvidenceQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let row = svc::add_evidence(
        &state.store,
        &by,
        &id,
        &q.filename,
        &q.description,
        body.to_vec(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(to_value(&row)?)))
}

/// An evidence file (every download is audited).
#[utoipa::path(get, path = "/api/v1/incidents/{incident_id}/evidence/{file_id}", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), ("file_id" = String, Path, description = "The file's id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn download_incident_evidence(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    IdPair(id, evidence): IdPair,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let (row, bytes) = svc::evidence(&state.store, &by, &id, &evidence).await?;
    Ok(crate::assure::attachment(
        bytes,
        &row.content_type,
        &row.filename,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    pub text: String,
    /// When it happened (RFC 3339); absent = now.
    #[serde(default)]
    pub at: String,
}

/// A note on the timeline.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/notes", tag = "incidents", security(("bearer" = [])), request_body = NoteBody,
    params(("incident_id" = String, Path, description = "The incident's id")),
    responses((status = 201, description = "Added"), (status = 404, description = "No such incident", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_incident_note(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::note(&state, &by, &id, &body.at, &body.text).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `ko` (default) or `en`.
    #[serde(default)]
    pub lang: String,
}

fn lang_of(q: &LangQuery) -> Result<Lang> {
    match q.lang.as_str() {
        "" => Ok(Lang::Ko),
        l => Lang::parse(l).ok_or_else(|| Error::field("lang", "invalid_choice")),
    }
}

fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    crate::assure::attachment(bytes, "application/pdf", name)
}

/// The report as of now, as PDF (not kept).
#[utoipa::path(get, path = "/api/v1/incidents/{incident_id}/report.pdf", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), LangQuery),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 404, description = "No such incident", body = ErrorBody)))]
async fn incident_report_preview(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<LangQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let bytes = svc::report_pdf(&state, &by, &id, lang_of(&q)?).await?;
    Ok(pdf(bytes, &format!("incident-{id}.pdf")))
}

/// Issues the report (the owner): the PDF as of now, kept unchanged with
/// its SHA-256 for everyone who sees the incident.
#[utoipa::path(post, path = "/api/v1/incidents/{incident_id}/reports", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), LangQuery),
    responses((status = 201, description = "Issued", content_type = "application/json"), (status = 403, description = "Not the owner", body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody)))]
async fn issue_incident_report(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<LangQuery>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let row = svc::issue_report(&state, &by, &id, lang_of(&q)?).await?;
    Ok((StatusCode::CREATED, Json(json!(row))))
}

/// An issued report's PDF.
#[utoipa::path(get, path = "/api/v1/incidents/{incident_id}/reports/{report_id}", tag = "incidents", security(("bearer" = [])),
    params(("incident_id" = String, Path, description = "The incident's id"), ("report_id" = String, Path, description = "The report's id")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn download_incident_report(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    IdPair(id, report): IdPair,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let (row, bytes) = svc::report(&state.store, &by, &id, &report).await?;
    Ok(pdf(bytes, &format!("incident-{id}-v{}.pdf", row.version)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_incidents, open_incident, get_incident, update_incident, add_incident_member, share_incident, report_incident, add_incident_device, add_incident_role, remove_incident_role, link_incident_alert, add_incident_task, set_incident_task, add_incident_evidence, download_incident_evidence, add_incident_note, incident_report_preview, issue_incident_report, download_incident_report),
    components(schemas(svc::OpenForm, svc::UpdateForm, svc::DeviceForm, svc::RoleForm, svc::TaskForm, MemberBody, AlertBody, TaskBody, NoteBody)),
    tags((name = "incidents")),
)]
pub struct IncidentsDoc;
