//! The crisis page (`/watch/crisis`): the sector level in force with its
//! reason, the ISAC's form to change it, the checklist of the level (tick
//! boxes for a member hospital, every member's progress for the ISAC) and
//! the history. Every rule is in `crate::crisis`.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::crisis::Level;
use medsec_core::{OrgKind, Permission, Timestamp};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::crisis as svc;
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/crisis", get(crisis))
        .ui(User, Method::POST, "/watch/crisis", post(crisis_set))
        .ui(
            User,
            Method::POST,
            "/watch/crisis/checklist/{action_id}",
            post(crisis_tick),
        )
}

/// The menu entry the page belongs to.
const SECTION: &str = "watch-crisis";

/// `?done=…` after a change: which notice to show.
#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

#[derive(Default, serde::Deserialize)]
struct SetForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    reason: String,
}

/// A tick box: checked sends `done=true`, unchecked sends nothing.
#[derive(Default, serde::Deserialize)]
struct TickForm {
    #[serde(default)]
    done: Option<String>,
}

struct ItemLine {
    id: String,
    text: String,
    done: bool,
    done_by: String,
    done_at: String,
}

struct MemberLine {
    member: String,
    done: usize,
    total: usize,
    updated: String,
}

struct HistoryLine {
    level: &'static str,
    name: &'static str,
    reason: String,
    at: String,
    set_by: String,
}

#[derive(Template)]
#[template(path = "watch_crisis.html")]
struct CrisisTpl<'a> {
    page: &'a Page,
    level: &'static str,
    level_name: &'static str,
    /// Whether the ISAC ever set a level.
    set: bool,
    reason: String,
    since: String,
    /// Who set it (shown to the ISAC only).
    set_by: String,
    isac: bool,
    /// The ISAC's users who may write: the form.
    manage: bool,
    /// A member hospital: its own checklist.
    member: bool,
    /// A member's users who may write, once a level is set: tick boxes.
    can_tick: bool,
    levels: Vec<(&'static str, &'static str)>,
    reason_min: usize,
    reason_max: usize,
    form: SetForm,
    errors: Errors,
    items: Vec<ItemLine>,
    done_count: usize,
    members: Vec<MemberLine>,
    history: Vec<HistoryLine>,
}

async fn crisis_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    done: &str,
    form: Option<SetForm>,
    errors: Errors,
) -> Result<Response> {
    // Read now rather than from the banner's cache: a change made with
    // `medsec crisis set` or on another node shows here at once.
    let current = svc::current(&state.store).await?;
    let view = svc::view(&state.store, by, current).await?;
    let history = svc::history(&state.store, by).await?;
    let page = page(state, parts, actor, "crisis-title", SECTION).await?;
    let page = match done {
        "set" => page.notice("success", "crisis-set-done"),
        "ticked" => page.notice("success", "crisis-ticked"),
        _ => page,
    };
    let lang = page.lang;
    let level = view.current.level();
    let isac = by.org_kind == OrgKind::Isac;
    let items: Vec<ItemLine> = view
        .checklist
        .iter()
        .map(|i| ItemLine {
            id: i.id.clone(),
            text: i.text(lang).to_owned(),
            done: i.done.is_some(),
            done_by: i
                .done
                .as_ref()
                .map_or_else(String::new, |t| t.done_by.clone()),
            done_at: i
                .done
                .as_ref()
                .map_or_else(String::new, |t| page.time(Timestamp(t.done_at))),
        })
        .collect();
    let done_count = items.iter().filter(|i| i.done).count();
    let members = view
        .members
        .iter()
        .map(|m| MemberLine {
            member: m.member.clone(),
            done: m.done.len(),
            total: m.total,
            updated: page.time_opt(m.updated_at),
        })
        .collect();
    let history = history
        .into_iter()
        .map(|h| {
            let l = h.level();
            HistoryLine {
                level: l.as_str(),
                name: svc::level_name(lang, l),
                at: page.time(Timestamp(h.set_at)),
                reason: h.reason,
                set_by: h.set_by,
            }
        })
        .collect();
    let form = form.unwrap_or_else(|| SetForm {
        level: level.as_str().to_owned(),
        reason: String::new(),
    });
    let set = view.current.change.is_some();
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &CrisisTpl {
            page: &page,
            level: level.as_str(),
            level_name: svc::level_name(lang, level),
            set,
            reason: view.current.reason().to_owned(),
            since: page.time_opt(view.current.since()),
            set_by: if isac {
                view.current
                    .change
                    .as_ref()
                    .map_or_else(String::new, |c| c.set_by.clone())
            } else {
                String::new()
            },
            isac,
            manage: isac && actor.has(Permission::Write),
            member: view.member,
            can_tick: view.member && set && actor.has(Permission::Write),
            levels: Level::ALL
                .iter()
                .map(|l| (l.as_str(), svc::level_name(lang, *l)))
                .collect(),
            reason_min: *svc::REASON_LEN.start(),
            reason_max: *svc::REASON_LEN.end(),
            form,
            errors,
            items,
            done_count,
            members,
            history,
        },
    ))
}

async fn crisis(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    crisis_render(&state, &parts, &actor, &by, &q.done, None, Errors::none()).await
}

async fn crisis_set(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<SetForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::set_level(&state.store, &by, &f.level, &f.reason).await {
        Ok(set) => {
            state.crisis.put(set.change).await;
            Ok(see_other("/watch/crisis?done=set"))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            crisis_render(&state, &parts, &actor, &by, "", Some(f), errors).await
        }
    }
}

async fn crisis_tick(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(action_id): Id,
    CsrfForm(f): CsrfForm<TickForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let done = match f.done.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true" | "on") => true,
        Some(_) => {
            return Err(Error::BadRequest {
                code: "invalid_form",
                detail: "done must be true or false".into(),
            });
        }
    };
    let item = svc::tick(&state.store, &by, &action_id, done).await?;
    Ok(see_other(&format!(
        "/watch/crisis?done=ticked#a-{}",
        item.id
    )))
}
