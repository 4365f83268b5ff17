//! The analyst console's alert pages: the live queue, an alert with its
//! hits, triage, assignment and comments, rule management (hit counts,
//! false-positive rates, suppressions) and response times.
//!
//! Every page goes through `crate::alerts`, which decides who sees what
//! (the ISAC every member, a hospital its own) and who changes what.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::alerts::{self as svc, AlertView, QueueParams};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::Result;
use crate::extract::{CsrfForm, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/alerts", get(queue))
        .ui(User, Method::GET, "/watch/alerts/{alert_id}", get(alert))
        .ui(
            User,
            Method::POST,
            "/watch/alerts/{alert_id}/state",
            post(set_state),
        )
        .ui(
            User,
            Method::POST,
            "/watch/alerts/{alert_id}/assignee",
            post(assign),
        )
        .ui(
            User,
            Method::POST,
            "/watch/alerts/{alert_id}/comments",
            post(comment),
        )
        .ui(User, Method::GET, "/watch/rules", get(rules))
        .ui(User, Method::POST, "/watch/suppressions", post(suppress))
        .ui(
            User,
            Method::POST,
            "/watch/suppressions/{suppression_id}/end",
            post(unsuppress),
        )
}

/// The navigation sections these pages belong to (not message ids).
const SECTION_ALERTS: &str = "watch-alerts";
const SECTION_RULES: &str = "watch-rules";

/// Whether the caller triages: the ISAC's users who may write.
fn manages(by: &By, actor: &Actor) -> bool {
    by.org_kind == OrgKind::Isac && actor.has(Permission::Write)
}

/// `(value, label)` pairs for a select.
fn options(page: &Page, prefix: &str, values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| ((*v).to_owned(), page.t(&format!("{prefix}{v}"))))
        .collect()
}

/// `1h 5m`, `3m 20s`, `12s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 86_400 {
        format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A technique of an alert as a page shows it: the id, and with ATT&CK
/// imported its name, matrix and tactics.
struct AttackLine {
    id: String,
    name: String,
    /// `Enterprise · Credential Access`, or empty.
    detail: String,
    url: String,
    outdated: bool,
}

fn attack_lines(page: &Page, a: &AlertView) -> Vec<AttackLine> {
    a.attack
        .iter()
        .map(|t| {
            let mut detail: Vec<String> = Vec::new();
            if let Some(d) = &t.domain {
                detail.push(page.t(&format!("attack-domain-{d}")));
            }
            detail.extend(t.tactics.iter().cloned());
            AttackLine {
                id: t.id.clone(),
                name: t.name.clone().unwrap_or_default(),
                detail: detail.join(" · "),
                url: t.url.clone().unwrap_or_else(|| {
                    format!(
                        "https://attack.mitre.org/techniques/{}/",
                        t.id.replace('.', "/")
                    )
                }),
                outdated: t.outdated,
            }
        })
        .collect()
}

struct Line {
    a: AlertView,
    attack: Vec<AttackLine>,
    first: String,
    last: String,
    overdue: String,
}

#[derive(Template)]
#[template(path = "watch_alerts.html")]
struct QueueTpl<'a> {
    page: &'a Page,
    lines: Vec<Line>,
    total: i64,
    page_no: i64,
    pages: i64,
    isac: bool,
    q: QueueParams,
    /// The query string of the filters, for the paging links.
    qs: String,
    states: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    members: Vec<(String, String)>,
    detection: Option<crate::detection::Report>,
    lag: String,
}

async fn queue(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<QueueParams>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let mut result = svc::queue(&state.store, &by, &q).await?;
    svc::name_attack(&mut result.alerts, &*state.attack.get(&state.store).await);
    let page = page(&state, &parts, &actor, "alerts-title", SECTION_ALERTS).await?;
    let isac = by.org_kind == OrgKind::Isac;
    let members = if isac {
        state
            .store
            .list_orgs()
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Hospital)
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        Vec::new()
    };
    let detection = if isac {
        Some(crate::detection::report(&state).await?)
    } else {
        None
    };
    let lag = detection
        .as_ref()
        .and_then(|d| d.newest_received_secs_ago)
        .map(|s| duration(s as i64))
        .unwrap_or_default();
    let mut states = vec![
        ("open".to_owned(), page.t("alerts-state-open")),
        ("all".to_owned(), page.t("alerts-state-all")),
    ];
    states.extend(options(&page, "alert-state-", medsec_store::alerts::STATES));
    let severities = options(&page, "severity-", medsec_store::alerts::SEVERITIES);
    let qs = serde_urlencoded::to_string([
        ("state", q.state.clone().unwrap_or_default()),
        ("severity", q.severity.clone().unwrap_or_default()),
        ("member", q.member.clone().unwrap_or_default()),
        ("rule", q.rule.clone().unwrap_or_default()),
        ("assignee", q.assignee.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let lines = result
        .alerts
        .into_iter()
        .map(|a| Line {
            attack: attack_lines(&page, &a),
            first: page.time(Timestamp(a.alert.first_seen)),
            last: page.time(Timestamp(a.alert.last_seen)),
            overdue: if a.overdue_secs > 0 {
                duration(a.overdue_secs)
            } else {
                String::new()
            },
            a,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &page,
        &QueueTpl {
            page: &page,
            lines,
            total: result.total,
            page_no: result.page,
            pages: result.pages,
            isac,
            q,
            qs,
            states,
            severities,
            members,
            detection,
            lag,
        },
    ))
}

struct HitLine {
    seq: i64,
    event_id: String,
    received: String,
    matched: Vec<(String, String)>,
    event: String,
}

struct ActivityLine {
    at: String,
    actor: String,
    text: String,
    comment: bool,
}

/// An incident the alert is linked to, as the viewer sees it.
struct IncidentLine {
    id: String,
    title: String,
    status: String,
    severity: String,
    severity_label: String,
    detected: String,
}

#[derive(Template)]
#[template(path = "watch_alert.html")]
struct AlertTpl<'a> {
    page: &'a Page,
    a: AlertView,
    attack: Vec<AttackLine>,
    severity_label: String,
    /// The state, and the resolution of a closed alert.
    state_label: String,
    first: String,
    last: String,
    created: String,
    acknowledged: String,
    closed: String,
    overdue: String,
    target: String,
    hits: Vec<HitLine>,
    more_hits: i64,
    activity: Vec<ActivityLine>,
    incidents: Vec<IncidentLine>,
    manage: bool,
    can_comment: bool,
    users: Vec<(String, String)>,
    states: Vec<(String, String)>,
    resolutions: Vec<(String, String)>,
    errors: Errors,
    comment: String,
}

/// `field=value` pairs of a hit's detail for the page.
fn matched(detail: &str) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(detail) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["matched", "group"] {
        if let Some(list) = v.get(key).and_then(|l| l.as_array()) {
            for m in list {
                let field = m.get("field").and_then(|f| f.as_str()).unwrap_or("");
                let value = match m.get("value") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                out.push((field.to_owned(), value));
            }
        }
    }
    if let Some(n) = v.get("aggregated").and_then(|n| n.as_f64()) {
        out.push(("aggregated".into(), n.to_string()));
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn alert_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    id: &str,
    done: &str,
    errors: Errors,
    comment: String,
) -> Result<Response> {
    let mut d = svc::alert(&state.store, by, id).await?;
    svc::name_attack([&mut d.alert], &*state.attack.get(&state.store).await);
    let page = page(state, parts, actor, "alert-title", SECTION_ALERTS).await?;
    let page = match done {
        "state" => page.notice("success", "alert-state-saved"),
        "assignee" => page.notice("success", "alert-assignee-saved"),
        "comment" => page.notice("success", "alert-comment-saved"),
        _ => page,
    };
    let manage = manages(by, actor);
    let users = if manage {
        state
            .store
            .list_users(&by.org_id)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let hits = d
        .hits
        .iter()
        .map(|h| HitLine {
            seq: h.seq,
            event_id: h.event_id.clone(),
            received: page.time(Timestamp(h.received_at)),
            matched: matched(&h.detail),
            event: serde_json::from_str::<serde_json::Value>(&h.event)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| h.event.clone()),
        })
        .collect::<Vec<_>>();
    let activity = d
        .activity
        .iter()
        .map(|x| {
            let v: serde_json::Value = serde_json::from_str(&x.detail).unwrap_or_default();
            let s = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or("").to_owned();
            let text = match x.kind.as_str() {
                "state" => {
                    let mut t = page.ta(
                        "alert-activity-state",
                        "state",
                        page.t(&format!("alert-state-{}", s("state"))),
                    );
                    if !s("resolution").is_empty() {
                        t.push_str(&format!(
                            " ({})",
                            page.t(&format!("alert-resolution-{}", s("resolution")))
                        ));
                    }
                    t
                }
                "assign" if s("assignee_name").is_empty() => page.t("alert-activity-unassigned"),
                "assign" => page.ta("alert-activity-assigned", "name", s("assignee_name")),
                _ => s("text"),
            };
            ActivityLine {
                at: page.time(Timestamp(x.at)),
                actor: x.actor.clone(),
                text,
                comment: x.kind == "comment",
            }
        })
        .collect();
    // The incidents this alert is part of, those the viewer sees.
    // (Only the ISAC and hospitals take part in incidents.)
    let linked = match crate::incidents::viewer(by) {
        Ok(viewer) => state.store.incidents_for_alert(viewer, id).await?,
        Err(_) => Vec::new(),
    };
    let incidents = linked
        .into_iter()
        .map(|i| IncidentLine {
            status: page.t(&format!("incident-status-{}", i.status)),
            severity_label: page.t(&format!("severity-{}", i.severity)),
            detected: page.time(Timestamp(i.detected_at)),
            severity: i.severity,
            id: i.id,
            title: i.title,
        })
        .collect();
    let a = d.alert;
    let opt = |t: Option<i64>| t.map(|t| page.time(Timestamp(t))).unwrap_or_default();
    let mut state_label = page.t(&format!("alert-state-{}", a.alert.state));
    if let Some(r) = &a.alert.resolution {
        state_label.push_str(&format!(" ({})", page.t(&format!("alert-resolution-{r}"))));
    }
    Ok(render(
        form_status(&errors),
        &page,
        &AlertTpl {
            attack: attack_lines(&page, &a),
            severity_label: page.t(&format!("severity-{}", a.alert.severity)),
            state_label,
            first: page.time(Timestamp(a.alert.first_seen)),
            last: page.time(Timestamp(a.alert.last_seen)),
            created: page.time(Timestamp(a.alert.created_at)),
            acknowledged: opt(a.alert.acknowledged_at),
            closed: opt(a.alert.closed_at),
            overdue: if a.overdue_secs > 0 {
                duration(a.overdue_secs)
            } else {
                String::new()
            },
            target: duration(medsec_store::alerts::ack_target_secs(&a.alert.severity)),
            more_hits: (a.alert.hits - hits.len() as i64).max(0),
            hits,
            activity,
            incidents,
            manage,
            can_comment: actor.has(Permission::Write),
            users,
            states: options(&page, "alert-state-", medsec_store::alerts::STATES),
            resolutions: options(
                &page,
                "alert-resolution-",
                medsec_store::alerts::RESOLUTIONS,
            ),
            errors,
            comment,
            a,
            page: &page,
        },
    ))
}

#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn alert(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    alert_render(
        &state,
        &parts,
        &actor,
        &by,
        &id,
        &q.done,
        Errors::none(),
        String::new(),
    )
    .await
}

#[derive(Default, serde::Deserialize)]
struct StateForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    resolution: String,
}

async fn set_state(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<StateForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::set_state(&state.store, &by, &id, &f.state, Some(&f.resolution)).await {
        Ok(()) => Ok(see_other(&format!("/watch/alerts/{id}?done=state"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            alert_render(&state, &parts, &actor, &by, &id, "", errors, String::new()).await
        }
    }
}

#[derive(Default, serde::Deserialize)]
struct AssignForm {
    #[serde(default)]
    assignee: String,
}

async fn assign(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<AssignForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::assign(&state.store, &by, &id, Some(&f.assignee)).await {
        Ok(()) => Ok(see_other(&format!("/watch/alerts/{id}?done=assignee"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            alert_render(&state, &parts, &actor, &by, &id, "", errors, String::new()).await
        }
    }
}

#[derive(Default, serde::Deserialize)]
struct CommentForm {
    #[serde(default)]
    comment: String,
}

async fn comment(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<CommentForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::comment(&state.store, &by, &id, &f.comment).await {
        Ok(()) => Ok(see_other(&format!("/watch/alerts/{id}?done=comment"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            alert_render(&state, &parts, &actor, &by, &id, "", errors, f.comment).await
        }
    }
}

// --- rules, suppressions, response times ---------------------------------------

struct RuleLine {
    s: medsec_store::alerts::RuleStats,
    fp_rate: String,
}

struct SuppressionLine {
    s: medsec_store::alerts::SuppressionRow,
    member: String,
    created: String,
    expires: String,
}

struct ResponseLine {
    name: String,
    r: medsec_store::alerts::ResponseTimes,
    mtta: String,
    mttr: String,
}

#[derive(Template)]
#[template(path = "watch_rules.html")]
struct RulesTpl<'a> {
    page: &'a Page,
    isac: bool,
    manage: bool,
    days: i64,
    detection: Option<crate::detection::Report>,
    rules: Vec<RuleLine>,
    suppressions: Vec<SuppressionLine>,
    members: Vec<ResponseLine>,
    analysts: Vec<ResponseLine>,
    hospitals: Vec<(String, String)>,
    form: svc::SuppressionForm,
    errors: Errors,
    targets: Vec<(String, String)>,
}

#[derive(Default, serde::Deserialize)]
struct RulesQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    days: Option<i64>,
    /// A rule to fill the suppression form with.
    #[serde(default)]
    rule: String,
}

async fn rules_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    q: &RulesQuery,
    form: svc::SuppressionForm,
    errors: Errors,
) -> Result<Response> {
    let days = q.days.unwrap_or(30).clamp(1, 366);
    let report = svc::response_report(&state.store, by, days).await?;
    let isac = by.org_kind == OrgKind::Isac;
    let page = page(state, parts, actor, "rules-title", SECTION_RULES).await?;
    let page = match q.done.as_str() {
        "suppressed" => page.notice("success", "rules-suppression-saved"),
        "unsuppressed" => page.notice("success", "rules-suppression-ended"),
        _ => page,
    };
    let orgs: std::collections::HashMap<String, String> = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let suppressions = if isac {
        svc::suppressions(&state.store, by, true)
            .await?
            .into_iter()
            .map(|s| SuppressionLine {
                member: s
                    .member_id
                    .as_ref()
                    .map(|m| orgs.get(m).cloned().unwrap_or_else(|| m.clone()))
                    .unwrap_or_else(|| page.t("rules-every-member")),
                created: page.time(Timestamp(s.created_at)),
                expires: s
                    .expires_at
                    .map(|t| page.time(Timestamp(t)))
                    .unwrap_or_default(),
                s,
            })
            .collect()
    } else {
        Vec::new()
    };
    let now = Timestamp::now().0;
    let response = |(name, r): (String, medsec_store::alerts::ResponseTimes)| ResponseLine {
        mtta: r.mtta_secs.map(|s| duration(s as i64)).unwrap_or_default(),
        mttr: r.mttr_secs.map(|s| duration(s as i64)).unwrap_or_default(),
        name,
        r,
    };
    let rules = report
        .rules
        .into_iter()
        .map(|s| {
            let judged = s.true_positives + s.false_positives;
            RuleLine {
                fp_rate: if judged > 0 {
                    format!("{:.0}%", 100.0 * s.false_positives as f64 / judged as f64)
                } else {
                    String::new()
                },
                s,
            }
        })
        .collect();
    let hospitals = orgs_of_kind(state, OrgKind::Hospital).await?;
    let detection = if isac {
        Some(crate::detection::report(state).await?)
    } else {
        None
    };
    let targets = medsec_store::alerts::SEVERITIES
        .iter()
        .rev()
        .map(|s| {
            (
                page.t(&format!("severity-{s}")),
                duration(medsec_store::alerts::ack_target_secs(s)),
            )
        })
        .collect();
    let _ = now;
    Ok(render(
        form_status(&errors),
        &page,
        &RulesTpl {
            isac,
            manage: manages(by, actor),
            days,
            detection,
            rules,
            suppressions,
            members: report.members.into_iter().map(response).collect(),
            analysts: report
                .analysts
                .into_iter()
                .map(|(n, r)| {
                    let n = if n.is_empty() {
                        page.t("rules-unassigned")
                    } else {
                        n
                    };
                    response((n, r))
                })
                .collect(),
            hospitals,
            form,
            errors,
            targets,
            page: &page,
        },
    ))
}

async fn orgs_of_kind(state: &AppState, kind: OrgKind) -> Result<Vec<(String, String)>> {
    Ok(state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == kind)
        .map(|o| (o.id, o.name))
        .collect())
}

async fn rules(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<RulesQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let form = svc::SuppressionForm {
        rule: q.rule.clone(),
        ..Default::default()
    };
    rules_render(&state, &parts, &actor, &by, &q, form, Errors::none()).await
}

async fn suppress(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<svc::SuppressionForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::suppress(&state.store, &by, &f).await {
        Ok(_) => Ok(see_other("/watch/rules?done=suppressed")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            rules_render(
                &state,
                &parts,
                &actor,
                &by,
                &RulesQuery::default(),
                f,
                errors,
            )
            .await
        }
    }
}

#[derive(Default, serde::Deserialize)]
struct Empty {}

async fn unsuppress(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::unsuppress(&state.store, &by, &id).await?;
    Ok(see_other("/watch/rules?done=unsuppressed"))
}
