//! The web page monitoring API: monitors (list, add, change, remove),
//! a monitor with its latest checks, "check now" and accepting the latest
//! page as the baseline. The same rules as the UI (both call
//! [`crate::webmon`]).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use medsec_core::Permission;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::webmon as svc;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.api(
        User,
        Method::GET,
        "/api/v1/web-monitors",
        get(list_web_monitors),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/web-monitors",
        post(add_web_monitor),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/web-monitors/{monitor_id}",
        get(get_web_monitor),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/web-monitors/{monitor_id}",
        axum::routing::put(update_web_monitor),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/web-monitors/{monitor_id}",
        axum::routing::delete(remove_web_monitor),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/web-monitors/{monitor_id}/check",
        post(check_web_monitor),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/web-monitors/{monitor_id}/baseline",
        post(accept_web_baseline),
    )
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The monitored web pages: every member's for the ISAC, a hospital its
/// own, each with its latest outcome.
#[utoipa::path(get, path = "/api/v1/web-monitors", tag = "web-monitors", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn list_web_monitors(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let list = svc::list(&state.store, &by).await?;
    Ok(Json(json!({"monitors": to_value(&list)?})))
}

/// Adds a monitor; its first check (at once, by the scheduler or "check
/// now") reads the baseline.
#[utoipa::path(post, path = "/api/v1/web-monitors", tag = "web-monitors", security(("bearer" = [])), request_body = svc::MonitorInput,
    responses((status = 201, description = "Added", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid (the field is named)", body = ErrorBody)))]
async fn add_web_monitor(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<svc::MonitorInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let row = svc::add(&state.store, &by, &body, state.now()).await?;
    Ok((StatusCode::CREATED, Json(to_value(&row)?)))
}

/// A monitor with its settings, baseline and latest checks (findings
/// included).
#[utoipa::path(get, path = "/api/v1/web-monitors/{monitor_id}", tag = "web-monitors", security(("bearer" = [])),
    params(("monitor_id" = String, Path, description = "The monitor's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such monitor in the caller's scope", body = ErrorBody)))]
async fn get_web_monitor(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::detail(&state.store, &by, &id).await?)?))
}

/// Changes a monitor's settings (a new address drops the baseline).
#[utoipa::path(put, path = "/api/v1/web-monitors/{monitor_id}", tag = "web-monitors", security(("bearer" = [])), request_body = svc::MonitorInput,
    params(("monitor_id" = String, Path, description = "The monitor's id")),
    responses((status = 204, description = "Changed"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such monitor", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn update_web_monitor(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<svc::MonitorInput>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::update(&state.store, &by, &id, &body, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a monitor and its checks (its alerts stay).
#[utoipa::path(delete, path = "/api/v1/web-monitors/{monitor_id}", tag = "web-monitors", security(("bearer" = [])),
    params(("monitor_id" = String, Path, description = "The monitor's id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such monitor", body = ErrorBody)))]
async fn remove_web_monitor(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::remove(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the page now and answers with the check (outcome, findings)
/// and the alerts it raised.
#[utoipa::path(post, path = "/api/v1/web-monitors/{monitor_id}/check", tag = "web-monitors", security(("bearer" = [])),
    params(("monitor_id" = String, Path, description = "The monitor's id")),
    responses((status = 200, description = "Checked", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such monitor", body = ErrorBody), (status = 422, description = "A check of this monitor is running", body = ErrorBody)))]
async fn check_web_monitor(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    Ok(Json(to_value(&svc::check_now(&state, &by, &id).await?)?))
}

/// Accepts the latest page read as the new baseline (after a legitimate
/// change); audited.
#[utoipa::path(post, path = "/api/v1/web-monitors/{monitor_id}/baseline", tag = "web-monitors", security(("bearer" = [])),
    params(("monitor_id" = String, Path, description = "The monitor's id")),
    responses((status = 200, description = "Accepted", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such monitor", body = ErrorBody), (status = 422, description = "No page read yet", body = ErrorBody)))]
async fn accept_web_baseline(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let hash = svc::accept_baseline(&state.store, &by, &id).await?;
    Ok(Json(json!({"content_hash": hash})))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_web_monitors, add_web_monitor, get_web_monitor, update_web_monitor,
        remove_web_monitor, check_web_monitor, accept_web_baseline,
    ),
    components(schemas(svc::MonitorInput)),
    tags((name = "web-monitors")),
)]
pub struct WebMonitorsDoc;
