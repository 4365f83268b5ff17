//! The indicators API: the ISAC's threat-intelligence sources (import,
//! list, one with what its file held that could not be matched, remove)
//! and indicators (search, one, add by hand, revoke, expire). The same
//! rules as the UI and the CLI (all call [`crate::indicators`]): the
//! ISAC's users read, its writers change, everyone else is forbidden.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, post};
use medsec_core::Permission;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query};
use crate::indicators as svc;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.api(
        User,
        Method::GET,
        "/api/v1/watch/indicator-sources",
        get(list_indicator_sources),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/indicator-sources",
        post(import_indicator_source),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/indicator-sources/{indicator_source_id}",
        get(get_indicator_source),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/watch/indicator-sources/{indicator_source_id}",
        delete(remove_indicator_source),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/indicators",
        get(search_indicators),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/indicators",
        post(add_indicator),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/indicators/{indicator_id}",
        get(get_indicator),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/indicators/{indicator_id}/revoke",
        post(revoke_indicator),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/indicators/{indicator_id}/expire",
        post(expire_indicator),
    )
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Tells live detection on this node to reload now rather than at its
/// next poll (other nodes see the change within a few seconds).
fn nudge(state: &AppState) {
    if let Some(live) = state
        .watch
        .get()
        .and_then(|w| w.detection.as_ref())
        .and_then(|d| d.indicators.get())
    {
        live.nudge();
    }
}

/// The indicator sources with their counts (the ISAC).
#[utoipa::path(get, path = "/api/v1/watch/indicator-sources", tag = "indicators", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody)))]
async fn list_indicator_sources(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = svc::sources(&state.store, &by).await?;
    Ok(Json(json!({"sources": to_value(&rows)?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ImportBody {
    /// The source's name; the indicators of an imported source of that
    /// name are replaced.
    pub source: String,
    #[serde(default)]
    pub description: String,
    /// The file: a STIX 2.1 bundle (JSON) or CSV (`type,value,…`).
    pub content: String,
}

/// Imports a STIX 2.1 bundle or a CSV file as a source, replacing the
/// indicators of the source of that name in one transaction (the ISAC's
/// writers). A file the reader refuses changes nothing; the error names
/// the place in the file.
#[utoipa::path(post, path = "/api/v1/watch/indicator-sources", tag = "indicators", security(("bearer" = [])), request_body = ImportBody,
    responses((status = 201, description = "Imported", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid source name or file", body = ErrorBody)))]
async fn import_indicator_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let req = svc::ImportRequest {
        source: body.source,
        description: body.description,
        bytes: body.content.into_bytes(),
    };
    let report = svc::import(&state.store, &by, req, &mut |_| {}).await?;
    nudge(&state);
    Ok((StatusCode::CREATED, Json(to_value(&report)?)))
}

/// One source, with the items of its file that could not be matched and
/// why.
#[utoipa::path(get, path = "/api/v1/watch/indicator-sources/{indicator_source_id}", tag = "indicators", security(("bearer" = [])),
    params(("indicator_source_id" = String, Path, description = "The source's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody), (status = 404, description = "No such source", body = ErrorBody)))]
async fn get_indicator_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::source(&state.store, &by, &id).await?)?))
}

/// Removes a source and its indicators.
#[utoipa::path(delete, path = "/api/v1/watch/indicator-sources/{indicator_source_id}", tag = "indicators", security(("bearer" = [])),
    params(("indicator_source_id" = String, Path, description = "The source's id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such source", body = ErrorBody)))]
async fn remove_indicator_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::remove_source(&state.store, &by, &id).await?;
    nudge(&state);
    Ok(StatusCode::NO_CONTENT)
}

/// Searches the indicators by part of the value (or a whole STIX id),
/// source and kind, 100 a page.
#[utoipa::path(get, path = "/api/v1/watch/indicators", tag = "indicators", security(("bearer" = [])), params(svc::SearchParams),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody), (status = 422, description = "Invalid filter", body = ErrorBody)))]
async fn search_indicators(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<svc::SearchParams>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(&svc::search(&state.store, &by, &q).await?)?))
}

/// Adds an indicator by hand to a manual source (created when missing);
/// every invalid field is named.
#[utoipa::path(post, path = "/api/v1/watch/indicators", tag = "indicators", security(("bearer" = [])), request_body = svc::AddForm,
    responses((status = 201, description = "Added", content_type = "application/json"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_indicator(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<svc::AddForm>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let added = svc::add(&state.store, &by, &body).await?;
    nudge(&state);
    Ok((StatusCode::CREATED, Json(to_value(&added)?)))
}

/// One indicator.
#[utoipa::path(get, path = "/api/v1/watch/indicators/{indicator_id}", tag = "indicators", security(("bearer" = [])),
    params(("indicator_id" = String, Path, description = "The indicator's id")),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC", body = ErrorBody), (status = 404, description = "No such indicator", body = ErrorBody)))]
async fn get_indicator(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(to_value(
        &svc::indicator(&state.store, &by, &id).await?,
    )?))
}

/// Revokes an indicator: it matches nothing from the next reload of live
/// detection on (within seconds), and a re-import of its source keeps it
/// revoked.
#[utoipa::path(post, path = "/api/v1/watch/indicators/{indicator_id}/revoke", tag = "indicators", security(("bearer" = [])),
    params(("indicator_id" = String, Path, description = "The indicator's id")),
    responses((status = 204, description = "Revoked"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such indicator, or revoked already", body = ErrorBody)))]
async fn revoke_indicator(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::revoke(&state.store, &by, &id).await?;
    nudge(&state);
    Ok(StatusCode::NO_CONTENT)
}

/// Ends an indicator's validity now.
#[utoipa::path(post, path = "/api/v1/watch/indicators/{indicator_id}/expire", tag = "indicators", security(("bearer" = [])),
    params(("indicator_id" = String, Path, description = "The indicator's id")),
    responses((status = 204, description = "Expired"), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such valid indicator", body = ErrorBody)))]
async fn expire_indicator(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::expire(&state.store, &by, &id).await?;
    nudge(&state);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_indicator_sources, import_indicator_source, get_indicator_source, remove_indicator_source,
        search_indicators, add_indicator, get_indicator, revoke_indicator, expire_indicator,
    ),
    components(schemas(ImportBody, svc::AddForm)),
    tags((name = "indicators")),
)]
pub struct IndicatorsDoc;
