//! The crisis-level API: the sector level in force with its checklist, the
//! ISAC setting it, its history, and a member ticking its checklist. The
//! same rules as the UI and the CLI (all call [`crate::crisis`]).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use medsec_core::{Permission, Timestamp};

use super::sustain::as_member;
use super::{
    CrisisActionOut, CrisisChangeOut, CrisisHistoryOut, CrisisMemberOut, CrisisOut,
    CrisisSetRequest, CrisisSetResponse, CrisisTickRequest, ErrorBody,
};
use crate::auth::ApiUser;
use crate::crisis as svc;
use crate::error::Result;
use crate::extract::{ApiJson, Id};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.api(User, Method::GET, "/api/v1/crisis", get(current))
        .api(User, Method::POST, "/api/v1/crisis", post(set_level))
        .api(
            User,
            Method::GET,
            "/api/v1/crisis/history",
            get(crisis_history),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/crisis/checklist/{action_id}",
            post(tick),
        )
}

fn action_out(i: &svc::Item) -> CrisisActionOut {
    CrisisActionOut {
        id: i.id.clone(),
        ko: i.ko.clone(),
        en: i.en.clone(),
        done: i.done.is_some(),
        done_by: i.done.as_ref().map(|t| t.done_by.clone()),
        done_at: i.done.as_ref().map(|t| Timestamp(t.done_at).rfc3339()),
    }
}

/// The sector level in force, its reason and since when, and the
/// checklist of the level with the caller's hospital's ticks; for the
/// ISAC, every member's progress.
#[utoipa::path(get, path = "/api/v1/crisis", tag = "crisis", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CrisisOut), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn current(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<CrisisOut>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let current = svc::current(&state.store).await?;
    let view = svc::view(&state.store, &by, current).await?;
    let level = view.current.level();
    let isac = svc::scope(&by)? == medsec_store::watch::MemberScope::All;
    Ok(Json(CrisisOut {
        level: level.as_str().into(),
        name_ko: level.ko().into(),
        name_en: level.en().into(),
        colour: level.colour().into(),
        reason: view.current.reason().to_owned(),
        since: view.current.since().map(Timestamp::rfc3339),
        change_id: view.current.change.as_ref().map(|c| c.id.clone()),
        checklist: view.checklist.iter().map(action_out).collect(),
        members: isac.then(|| {
            view.members
                .iter()
                .map(|m| CrisisMemberOut {
                    member_id: m.member_id.clone(),
                    member: m.member.clone(),
                    done_count: m.done.len(),
                    done: m.done.clone(),
                    total: m.total,
                    updated_at: m.updated_at.map(Timestamp::rfc3339),
                })
                .collect()
        }),
    }))
}

/// Sets the sector level (an ISAC user with write permission): every
/// member hospital gets a notification and a `crisis.level_changed`
/// webhook event, and starts the level's checklist afresh. The level in
/// force may be set again only with a different reason.
#[utoipa::path(post, path = "/api/v1/crisis", tag = "crisis", security(("bearer" = [])), request_body = CrisisSetRequest,
    responses((status = 201, description = "Set", body = CrisisSetResponse), (status = 403, description = "Not an ISAC user with write permission", body = ErrorBody), (status = 422, description = "Invalid level or reason, or the level in force with the same reason", body = ErrorBody)))]
async fn set_level(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<CrisisSetRequest>,
) -> Result<(StatusCode, Json<CrisisSetResponse>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let set = svc::set_level(&state.store, &by, &body.level, &body.reason).await?;
    let out = CrisisSetResponse {
        change: CrisisChangeOut::new(&set.change),
        previous: set.previous.as_str().into(),
        notified: set.notified,
        deliveries: set.deliveries,
    };
    state.crisis.put(set.change).await;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Every change of the sector level, newest first (the ISAC also sees who
/// set each).
#[utoipa::path(get, path = "/api/v1/crisis/history", tag = "crisis", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CrisisHistoryOut), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn crisis_history(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<CrisisHistoryOut>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = svc::history(&state.store, &by).await?;
    Ok(Json(CrisisHistoryOut {
        history: rows.iter().map(CrisisChangeOut::new).collect(),
    }))
}

/// Marks an action of the level in force done or not done for the
/// caller's hospital (a hospital user with write permission).
#[utoipa::path(post, path = "/api/v1/crisis/checklist/{action_id}", tag = "crisis", security(("bearer" = [])),
    params(("action_id" = String, Path, description = "An action of the level in force, e.g. `caution-block-indicators`")), request_body = CrisisTickRequest,
    responses((status = 200, description = "The action as it is now", body = CrisisActionOut), (status = 403, description = "Not a hospital user with write permission", body = ErrorBody), (status = 404, description = "Not an action of the level in force, or no level set yet", body = ErrorBody)))]
async fn tick(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(action_id): Id,
    ApiJson(body): ApiJson<CrisisTickRequest>,
) -> Result<Json<CrisisActionOut>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let item = svc::tick(&state.store, &by, &action_id, body.done).await?;
    Ok(Json(action_out(&item)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(current, set_level, crisis_history, tick),
    components(schemas(CrisisOut, CrisisActionOut, CrisisMemberOut, CrisisChangeOut, CrisisHistoryOut, CrisisSetRequest, CrisisSetResponse, CrisisTickRequest)),
    tags((name = "crisis", description = "Sector crisis levels (사이버 위기경보): the level in force, its history and members' checklists")),
)]
pub struct CrisisDoc;
