//! The alerts API: the queue, an alert with its hits and activity, triage,
//! assignment, comments, suppressions, response times and the state of
//! live detection. The same rules as the UI (both call [`crate::alerts`]).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, post};
use medsec_core::Permission;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::alerts as svc;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.api(User, Method::GET, "/api/v1/alerts", get(list_alerts))
        .api(
            User,
            Method::GET,
            "/api/v1/alerts/{alert_id}",
            get(get_alert),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/alerts/{alert_id}/state",
            post(set_state),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/alerts/{alert_id}/assignee",
            post(assign),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/alerts/{alert_id}/comments",
            post(comment_alert),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/alert-suppressions",
            get(list_suppressions),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/alert-suppressions",
            post(add_suppression),
        )
        .api(
            User,
            Method::DELETE,
            "/api/v1/alert-suppressions/{suppression_id}",
            delete(end_suppression),
        )
        .api(User, Method::GET, "/api/v1/alert-metrics", get(metrics))
        .api(User, Method::GET, "/api/v1/detection", get(detection))
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The alert queue: open alerts by default, newest activity first; the
/// ISAC sees every member's, a hospital its own. Each alert's ATT&CK
/// techniques come with their names, matrix and tactics (`attack`) when
/// ATT&CK is imported (`medsec feeds import`), else as ids only.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])), params(svc::QueueParams),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody), (status = 422, description = "Invalid filter", body = ErrorBody)))]
async fn list_alerts(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<svc::QueueParams>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let mut queue = svc::queue(&state.store, &by, &q).await?;
    svc::name_attack(&mut queue.alerts, &*state.attack.get(&state.store).await);
    Ok(Json(to_value(&queue)?))
}

/// An alert with its first hits (and their events) and its activity.
#[utoipa::path(get, path = "/api/v1/alerts/{alert_id}", tag = "alerts", security(("bearer" = [])),
    params(("alert_id" = String, Path, description = "The alert's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such alert in the caller's scope", body = ErrorBody)))]
async fn get_alert(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let mut detail = svc::alert(&state.store, &by, &id).await?;
    svc::name_attack([&mut detail.alert], &*state.attack.get(&state.store).await);
    Ok(Json(to_value(&detail)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StateBody {
    /// `new`, `acknowledged`, `investigating` or `closed`.
    pub state: String,
    /// With `closed`: `true_positive` or `false_positive`.
    pub resolution: Option<String>,
}

/// Moves an alert through triage (the ISAC's users with write permission).
#[utoipa::path(post, path = "/api/v1/alerts/{alert_id}/state", tag = "alerts", security(("bearer" = [])), request_body = StateBody,
    params(("alert_id" = String, Path, description = "The alert's id")),
    responses((status = 204, description = "Changed"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such alert", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn set_state(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<StateBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::set_state(
        &state.store,
        &by,
        &id,
        &body.state,
        body.resolution.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignBody {
    /// A user id or user name of the ISAC; null or empty unassigns.
    pub assignee: Option<String>,
}

/// Assigns an alert to an analyst of the ISAC.
#[utoipa::path(post, path = "/api/v1/alerts/{alert_id}/assignee", tag = "alerts", security(("bearer" = [])), request_body = AssignBody,
    params(("alert_id" = String, Path, description = "The alert's id")),
    responses((status = 204, description = "Assigned"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such alert", body = ErrorBody), (status = 422, description = "Unknown user", body = ErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::assign(&state.store, &by, &id, body.assignee.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CommentBody {
    pub text: String,
}

/// Comments on an alert: the ISAC, or the member the alert concerns.
#[utoipa::path(post, path = "/api/v1/alerts/{alert_id}/comments", tag = "alerts", security(("bearer" = [])), request_body = CommentBody,
    params(("alert_id" = String, Path, description = "The alert's id")),
    responses((status = 201, description = "Added"), (status = 404, description = "No such alert", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn comment_alert(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::comment(&state.store, &by, &id, &body.text).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct SuppressionQuery {
    /// Ended suppressions too.
    #[serde(default)]
    pub all: bool,
}

/// Suppressions (rule tuning), the ISAC only.
#[utoipa::path(get, path = "/api/v1/alert-suppressions", tag = "alerts", security(("bearer" = [])), params(SuppressionQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody)))]
async fn list_suppressions(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<SuppressionQuery>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = svc::suppressions(&state.store, &by, q.all).await?;
    Ok(Json(json!({"suppressions": to_value(&rows)?})))
}

/// Suppresses a rule's alerts for one member or every member, with a
/// reason and an optional end (the ISAC's users with write permission).
#[utoipa::path(post, path = "/api/v1/alert-suppressions", tag = "alerts", security(("bearer" = [])), request_body = svc::SuppressionForm,
    responses((status = 201, description = "Added", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_suppression(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<svc::SuppressionForm>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let id = svc::suppress(&state.store, &by, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// Ends a suppression.
#[utoipa::path(delete, path = "/api/v1/alert-suppressions/{suppression_id}", tag = "alerts", security(("bearer" = [])),
    params(("suppression_id" = String, Path, description = "The suppression's id")),
    responses((status = 204, description = "Ended"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such suppression in force", body = ErrorBody)))]
async fn end_suppression(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::unsuppress(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct MetricsQuery {
    /// The period in days [default: 30].
    pub days: Option<i64>,
}

/// Response times (MTTA, MTTR, late acknowledgements) per member and
/// analyst, and alerts and judgements per rule.
#[utoipa::path(get, path = "/api/v1/alert-metrics", tag = "alerts", security(("bearer" = [])), params(MetricsQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn metrics(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<MetricsQuery>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let r = svc::response_report(&state.store, &by, q.days.unwrap_or(30)).await?;
    Ok(Json(to_value(&r)?))
}

/// What live detection on this node is doing (the ISAC).
#[utoipa::path(get, path = "/api/v1/detection", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody)))]
async fn detection(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    crate::watch::isac(&by)?;
    Ok(Json(to_value(&crate::detection::report(&state).await?)?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_alerts, get_alert, set_state, assign, comment_alert, list_suppressions, add_suppression,
        end_suppression, metrics, detection,
    ),
    components(schemas(StateBody, AssignBody, CommentBody, svc::SuppressionForm)),
    tags((name = "alerts")),
)]
pub struct AlertsDoc;
