//! The web page monitoring pages: the monitors with their latest outcome
//! and the form to add one; a monitor's page with its baseline, "check
//! now", "accept the current page as the baseline", its settings and the
//! history of checks with what each found.
//!
//! Every page goes through `crate::webmon`, which decides who sees and
//! changes what (the ISAC every member's monitors, a hospital its own).

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};
use medsec_detect::webpage::{Finding, Place};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::Result;
use crate::extract::{CsrfForm, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::webmon::{self as svc, MonitorForm, MonitorView};

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/web-monitors", get(list))
        .ui(User, Method::POST, "/watch/web-monitors", post(add))
        .ui(
            User,
            Method::GET,
            "/watch/web-monitors/{monitor_id}",
            get(monitor),
        )
        .ui(
            User,
            Method::POST,
            "/watch/web-monitors/{monitor_id}",
            post(update),
        )
        .ui(
            User,
            Method::POST,
            "/watch/web-monitors/{monitor_id}/check",
            post(check),
        )
        .ui(
            User,
            Method::POST,
            "/watch/web-monitors/{monitor_id}/baseline",
            post(baseline),
        )
        .ui(
            User,
            Method::POST,
            "/watch/web-monitors/{monitor_id}/delete",
            post(remove),
        )
}

/// The navigation section of these pages (not a message id).
const SECTION: &str = "watch-web-monitors";

/// Whether the caller changes monitors: writers of the ISAC or of a
/// hospital (for its own).
fn writes(by: &By, actor: &Actor) -> bool {
    matches!(by.org_kind, OrgKind::Isac | OrgKind::Hospital) && actor.has(Permission::Write)
}

/// An outcome's label and badge class.
fn outcome(page: &Page, outcome: Option<&str>) -> (String, &'static str) {
    match outcome {
        None => (page.t("webmon-outcome-none"), "badge-disabled"),
        Some(o) => (
            page.t(&format!("webmon-outcome-{o}")),
            match o {
                "defaced" | "injected" => "badge-failure",
                "unreachable" | "changed" => "badge-pending",
                _ => "badge-success",
            },
        ),
    }
}

fn percent(per_mille: impl Into<i64>) -> String {
    let v: i64 = per_mille.into();
    format!("{}.{}%", v / 10, v % 10)
}

/// A finding in the page's language.
fn finding(page: &Page, f: &Finding) -> String {
    let t = |id: &str, args: &[(&str, String)]| {
        let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        page.lang.ta(id, &refs)
    };
    match f {
        Finding::ContentChanged {
            similarity,
            text_similarity,
        } => t(
            "webmon-finding-content-changed",
            &[
                ("similarity", percent(*similarity)),
                ("text", percent(*text_similarity)),
            ],
        ),
        Finding::StructureChanged {
            similarity,
            threshold,
        } => t(
            "webmon-finding-structure-changed",
            &[
                ("similarity", percent(*similarity)),
                ("threshold", percent(*threshold)),
            ],
        ),
        Finding::TitleReplaced { before, after } => t(
            "webmon-finding-title-replaced",
            &[("before", before.clone()), ("after", after.clone())],
        ),
        Finding::Keyword {
            keyword,
            place,
            count,
            baseline_count,
            context,
        } => t(
            "webmon-finding-keyword",
            &[
                ("keyword", keyword.clone()),
                (
                    "place",
                    page.t(match place {
                        Place::Title => "webmon-place-title",
                        Place::Text => "webmon-place-text",
                    }),
                ),
                ("count", count.to_string()),
                ("baseline", baseline_count.to_string()),
                ("context", context.clone()),
            ],
        ),
        Finding::Redirected { from, to } => t(
            "webmon-finding-redirected",
            &[("from", from.clone()), ("to", to.clone())],
        ),
        Finding::NewOrigin {
            element,
            url,
            origin,
        } => t(
            "webmon-finding-new-origin",
            &[
                ("element", element.clone()),
                ("origin", origin.clone()),
                ("url", url.clone()),
            ],
        ),
        Finding::NewInlineScript { excerpt, .. } => t(
            "webmon-finding-inline-script",
            &[("excerpt", excerpt.clone())],
        ),
        Finding::HiddenIframe { url } => t("webmon-finding-hidden-iframe", &[("url", url.clone())]),
        Finding::Indicator {
            element,
            url,
            indicator,
            source,
        } => t(
            "webmon-finding-indicator",
            &[
                ("element", element.clone()),
                ("url", url.clone()),
                ("indicator", indicator.clone()),
                ("source", source.clone()),
            ],
        ),
    }
}

struct Line {
    id: String,
    member: String,
    name: String,
    url: String,
    interval: String,
    enabled: bool,
    last_check: String,
    outcome: String,
    outcome_class: &'static str,
    failures: i64,
    baseline: String,
}

fn line(page: &Page, m: &MonitorView) -> Line {
    let (label, class) = outcome(page, m.monitor.last_outcome.as_deref());
    Line {
        id: m.monitor.id.clone(),
        member: m.member_name.clone(),
        name: m.monitor.name.clone(),
        url: m.monitor.url.clone(),
        interval: super::alerts::duration(m.monitor.interval_secs),
        enabled: m.monitor.enabled != 0,
        last_check: page.time_opt(m.monitor.last_check_at.map(Timestamp)),
        outcome: label,
        outcome_class: class,
        failures: m.monitor.failures,
        baseline: page.time_opt(m.monitor.baseline_at.map(Timestamp)),
    }
}

/// The form's field labels and limits, shared by both pages.
struct FormTpl {
    form: MonitorForm,
    /// The ISAC picks the member; a hospital's monitors are its own.
    pick_member: bool,
    members: Vec<(String, String)>,
    min_interval: i64,
    max_interval: i64,
    keywords_hint: String,
}

#[derive(Template)]
#[template(path = "watch_web_monitors.html")]
struct ListTpl<'a> {
    page: &'a Page,
    lines: Vec<Line>,
    write: bool,
    isac: bool,
    errors: Errors,
    f: FormTpl,
}

async fn members(state: &AppState, by: &By) -> Result<Vec<(String, String)>> {
    if by.org_kind != OrgKind::Isac {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Hospital)
        .map(|o| (o.name.clone(), o.name))
        .collect())
}

async fn form_tpl(state: &AppState, page: &Page, by: &By, form: MonitorForm) -> Result<FormTpl> {
    Ok(FormTpl {
        form,
        pick_member: by.org_kind == OrgKind::Isac,
        members: members(state, by).await?,
        min_interval: svc::MIN_INTERVAL,
        max_interval: svc::MAX_INTERVAL,
        keywords_hint: page.ta(
            "webmon-keywords-hint",
            "builtin",
            medsec_detect::webpage::DEFAULT_KEYWORDS.join(", "),
        ),
    })
}

#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn list_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    done: &str,
    form: MonitorForm,
    errors: Errors,
) -> Result<Response> {
    let monitors = svc::list(&state.store, by).await?;
    let page = page(state, parts, actor, "webmon-title", SECTION).await?;
    let page = match done {
        "removed" => page.notice("success", "webmon-removed"),
        _ => page,
    };
    let lines = monitors.iter().map(|m| line(&page, m)).collect();
    let f = form_tpl(state, &page, by, form).await?;
    Ok(render(
        form_status(&errors),
        &page,
        &ListTpl {
            page: &page,
            lines,
            write: writes(by, actor),
            isac: by.org_kind == OrgKind::Isac,
            errors,
            f,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    crate::watch::scope(&by)?;
    list_render(
        &state,
        &parts,
        &actor,
        &by,
        &q.done,
        MonitorForm::blank(),
        Errors::none(),
    )
    .await
}

fn enabled(f: &mut MonitorForm) {
    if f.enabled.as_deref() == Some("false") {
        f.enabled = None;
    }
}

async fn add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(mut f): CsrfForm<MonitorForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    enabled(&mut f);
    let lang = crate::extract::request_lang(&parts);
    let result = match f.input() {
        Ok(input) => svc::add(&state.store, &by, &input, state.now()).await,
        Err(e) => Err(crate::error::Error::Invalid(e)),
    };
    match result {
        Ok(m) => Ok(see_other(&format!(
            "/watch/web-monitors/{}?done=added",
            m.id
        ))),
        Err(e) => {
            let errors = Errors::of(lang, e)?;
            list_render(&state, &parts, &actor, &by, "", f, errors).await
        }
    }
}

struct CheckLine {
    at: String,
    outcome: String,
    outcome_class: &'static str,
    status: String,
    similarity: String,
    duration: String,
    error: String,
    findings: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "watch_web_monitor.html")]
struct MonitorTpl<'a> {
    page: &'a Page,
    m: MonitorView,
    write: bool,
    enabled: bool,
    interval: String,
    outcome: String,
    outcome_class: &'static str,
    last_check: String,
    next_due: String,
    baseline_at: String,
    baseline_by: String,
    baseline_hash: String,
    baseline_title: String,
    checks: Vec<CheckLine>,
    errors: Errors,
    f: FormTpl,
}

#[allow(clippy::too_many_arguments)]
async fn monitor_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    id: &str,
    done: &str,
    form: Option<MonitorForm>,
    errors: Errors,
) -> Result<Response> {
    let d = svc::detail(&state.store, by, id).await?;
    let page = page(state, parts, actor, "webmon-monitor-title", SECTION).await?;
    let page = match done {
        "added" => page.notice("success", "webmon-added"),
        "updated" => page.notice("success", "webmon-updated"),
        "checked" => page.notice("success", "webmon-checked"),
        "baseline" => page.notice("success", "webmon-baseline-accepted"),
        _ => page,
    };
    let m = d.monitor;
    let (label, class) = outcome(&page, m.monitor.last_outcome.as_deref());
    let checks = d
        .checks
        .iter()
        .map(|c| {
            let (label, class) = outcome(&page, Some(&c.check.outcome));
            CheckLine {
                at: page.time(Timestamp(c.check.at)),
                outcome: label,
                outcome_class: class,
                status: c
                    .check
                    .http_status
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                similarity: c.check.similarity.map(percent).unwrap_or_default(),
                duration: format!("{} ms", c.check.duration_ms),
                error: c.check.error.clone().unwrap_or_default(),
                findings: c
                    .finding_list
                    .iter()
                    .map(|f| (finding(&page, f), f.rule().is_some()))
                    .collect(),
            }
        })
        .collect();
    let form = form.unwrap_or_else(|| MonitorForm::of(&m.monitor, &m.member_name));
    let f = form_tpl(state, &page, by, form).await?;
    let tpl = MonitorTpl {
        page: &page,
        write: writes(by, actor),
        enabled: m.monitor.enabled != 0,
        interval: super::alerts::duration(m.monitor.interval_secs),
        outcome: label,
        outcome_class: class,
        last_check: page.time_opt(m.monitor.last_check_at.map(Timestamp)),
        next_due: page.time(Timestamp(m.monitor.next_due)),
        baseline_at: page.time_opt(m.monitor.baseline_at.map(Timestamp)),
        baseline_by: match (&m.monitor.baseline_at, &m.monitor.baseline_by) {
            (None, _) => String::new(),
            (Some(_), Some(who)) => page.ta("webmon-baseline-by", "user", who),
            (Some(_), None) => page.t("webmon-baseline-first"),
        },
        baseline_hash: m.monitor.baseline_hash.clone().unwrap_or_default(),
        baseline_title: m.baseline_title.clone().unwrap_or_default(),
        checks,
        errors,
        f,
        m,
    };
    Ok(render(form_status(&tpl.errors), &page, &tpl))
}

async fn monitor(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    monitor_render(
        &state,
        &parts,
        &actor,
        &by,
        &id,
        &q.done,
        None,
        Errors::none(),
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(mut f): CsrfForm<MonitorForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    enabled(&mut f);
    let lang = crate::extract::request_lang(&parts);
    let result = match f.input() {
        Ok(input) => svc::update(&state.store, &by, &id, &input, state.now()).await,
        Err(e) => Err(crate::error::Error::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/watch/web-monitors/{id}?done=updated"))),
        Err(e) => {
            let errors = Errors::of(lang, e)?;
            monitor_render(&state, &parts, &actor, &by, &id, "", Some(f), errors).await
        }
    }
}

#[derive(Default, serde::Deserialize)]
struct Empty {}

async fn check(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::check_now(&state, &by, &id).await {
        Ok(_) => Ok(see_other(&format!("/watch/web-monitors/{id}?done=checked"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            monitor_render(&state, &parts, &actor, &by, &id, "", None, errors).await
        }
    }
}

async fn baseline(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::accept_baseline(&state.store, &by, &id).await {
        Ok(_) => Ok(see_other(&format!(
            "/watch/web-monitors/{id}?done=baseline"
        ))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            monitor_render(&state, &parts, &actor, &by, &id, "", None, errors).await
        }
    }
}

async fn remove(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::remove(&state.store, &by, &id).await?;
    Ok(see_other("/watch/web-monitors?done=removed"))
}
