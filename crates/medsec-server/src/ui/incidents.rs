//! The incident pages: the list with the form to open one (prefilled from
//! an alert), and an incident with its status and analysis, affected
//! members and sharing, devices, team, alerts, tasks, evidence, timeline
//! and reports.
//!
//! Every page goes through `crate::incidents`, which decides who sees and
//! changes what.

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};
use medsec_store::incidents::{CATEGORIES, ROLES, SEVERITIES, STATUSES};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::Result;
use crate::extract::{CsrfForm, CsrfUpload, Id, IdPair, Query};
use crate::incidents::{self as svc, IncidentView, ListParams, label};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::EVIDENCE_LIMIT + 64 * 1024);
    r.ui(User, Method::GET, "/watch/incidents", get(list))
        .ui(User, Method::POST, "/watch/incidents", post(open))
        .ui(
            User,
            Method::GET,
            "/watch/incidents/{incident_id}",
            get(incident),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}",
            post(update),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/members",
            post(add_member),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/members/{member_id}/share",
            post(share),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/report-to-isac",
            post(report_to_isac),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/devices",
            post(add_device),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/team",
            post(add_role),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/team/{role_id}/remove",
            post(remove_role),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/alerts",
            post(link_alert),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/tasks",
            post(add_task),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/tasks/{task_id}",
            post(set_task),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/evidence",
            post(add_evidence).layer(upload()),
        )
        .ui(
            User,
            Method::GET,
            "/watch/incidents/{incident_id}/evidence/{file_id}",
            get(evidence),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/notes",
            post(note),
        )
        .ui(
            User,
            Method::GET,
            "/watch/incidents/{incident_id}/report.pdf",
            get(preview),
        )
        .ui(
            User,
            Method::POST,
            "/watch/incidents/{incident_id}/reports",
            post(issue),
        )
        .ui(
            User,
            Method::GET,
            "/watch/incidents/{incident_id}/reports/{report_id}",
            get(report),
        )
}

/// The navigation section of these pages (not a message id).
const SECTION: &str = "watch-incidents";

/// `(value, label)` pairs for a select.
fn choices(page: &Page, kind: &str, values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| ((*v).to_owned(), label(page.lang, kind, v)))
        .collect()
}

struct Line {
    l: svc::IncidentLine,
    status: String,
    severity: String,
    category: String,
    detected: String,
    updated: String,
    members: String,
    shared: bool,
}

#[derive(Template)]
#[template(path = "watch_incidents.html")]
struct ListTpl<'a> {
    page: &'a Page,
    lines: Vec<Line>,
    total: i64,
    page_no: i64,
    pages: i64,
    isac: bool,
    can_open: bool,
    q: ListParams,
    qs: String,
    statuses: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    members: Vec<(String, String)>,
    form: svc::OpenForm,
    /// The alert the form opens from, as `title · member`.
    from_alert: String,
    errors: Errors,
}

#[derive(Default, serde::Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    q: ListParams,
    /// Prefill the form from this alert.
    #[serde(default)]
    alert: Option<String>,
}

async fn list_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    q: ListParams,
    mut form: svc::OpenForm,
    errors: Errors,
) -> Result<Response> {
    let result = svc::list(&state.store, by, &q).await?;
    let page = page(state, parts, actor, "incidents-title", SECTION).await?;
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
    let mut from_alert = String::new();
    if let Some(a) = form.alerts.first() {
        if let Some(row) = state.store.alert(crate::watch::scope(by)?, a).await? {
            let names = svc::org_names(&state.store).await?;
            from_alert = format!(
                "{} · {}",
                row.title,
                names.get(&row.member_id).cloned().unwrap_or_default()
            );
            if form.title.is_empty() {
                form.title = row.title.clone();
                form.severity = match row.severity.as_str() {
                    "critical" | "high" | "medium" | "low" => row.severity.clone(),
                    _ => "low".to_owned(),
                };
                form.members = vec![row.member_id.clone()];
            }
        } else {
            form.alerts.clear();
        }
    }
    let mut statuses = vec![
        ("open".to_owned(), page.t("incidents-status-open")),
        ("all".to_owned(), page.t("incidents-status-all")),
    ];
    statuses.extend(choices(&page, "status", STATUSES));
    let qs = serde_urlencoded::to_string([
        ("status", q.status.clone().unwrap_or_default()),
        ("severity", q.severity.clone().unwrap_or_default()),
        ("member", q.member.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let lines = result
        .incidents
        .into_iter()
        .map(|l| Line {
            status: label(page.lang, "status", &l.incident.status),
            severity: label(page.lang, "severity", &l.incident.severity),
            category: label(page.lang, "category", &l.incident.category),
            detected: page.time(Timestamp(l.incident.detected_at)),
            updated: page.time(Timestamp(l.incident.updated_at)),
            members: l.member_names.join(", "),
            shared: l.incident.isac_shared_at.is_some(),
            l,
        })
        .collect();
    Ok(render(
        form_status(&errors),
        &page,
        &ListTpl {
            lines,
            total: result.total,
            page_no: result.page,
            pages: result.pages,
            isac,
            can_open: actor.has(Permission::Write),
            q,
            qs,
            statuses,
            severities: choices(&page, "severity", SEVERITIES),
            categories: choices(&page, "category", CATEGORIES),
            members,
            form,
            from_alert,
            errors,
            page: &page,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let form = svc::OpenForm {
        alerts: q.alert.into_iter().collect(),
        category: "intrusion".to_owned(),
        severity: "medium".to_owned(),
        ..svc::OpenForm::default()
    };
    list_render(&state, &parts, &actor, &by, q.q, form, Errors::none()).await
}

/// The open form as posted: members may repeat.
#[derive(Default, serde::Deserialize)]
struct OpenPost {
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    detected_at: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    alert: String,
    #[serde(default)]
    share: Option<String>,
}

async fn open(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<OpenPost>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let form = svc::OpenForm {
        title: f.title,
        category: f.category,
        severity: f.severity,
        summary: f.summary,
        detected_at: f.detected_at,
        members: [f.member].into_iter().filter(|m| !m.is_empty()).collect(),
        alerts: [f.alert].into_iter().filter(|a| !a.is_empty()).collect(),
        share: f.share.is_some(),
    };
    match svc::open(&state, &by, &form).await {
        Ok(row) => Ok(see_other(&format!(
            "/watch/incidents/{}?done=opened",
            row.id
        ))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            list_render(
                &state,
                &parts,
                &actor,
                &by,
                ListParams::default(),
                form,
                errors,
            )
            .await
        }
    }
}

struct MemberLine {
    id: String,
    name: String,
    shared: String,
}

struct DeviceLine {
    member: String,
    tag: String,
    model: String,
    note: String,
    by: String,
}

struct RoleLine {
    id: String,
    role: String,
    name: String,
    org: String,
    contact: String,
}

struct AlertLine {
    id: String,
    title: String,
    rule: String,
    severity: String,
    severity_label: String,
    state: String,
    attack: String,
    hits: i64,
    first: String,
}

struct TaskLine {
    id: String,
    seq: i64,
    title: String,
    who: String,
    due: String,
    overdue: bool,
    done: String,
    is_done: bool,
    can_tick: bool,
}

struct EvidenceLine {
    id: String,
    filename: String,
    description: String,
    size: i64,
    sha256: String,
    by: String,
    at: String,
}

struct TimelineLine {
    at: String,
    by: String,
    text: String,
    note: bool,
}

struct ReportLine {
    id: String,
    version: i64,
    lang: String,
    status: String,
    sha256: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "watch_incident.html")]
struct IncidentTpl<'a> {
    page: &'a Page,
    v: IncidentView,
    status_label: String,
    severity_label: String,
    category_label: String,
    owner: String,
    detected: String,
    opened: String,
    closed: String,
    reported: String,
    /// The caller's organisation owns it and may write.
    manage: bool,
    /// The caller may write (take part).
    write: bool,
    isac: bool,
    hospital_owned: bool,
    members: Vec<MemberLine>,
    devices: Vec<DeviceLine>,
    roles: Vec<RoleLine>,
    alerts: Vec<AlertLine>,
    tasks: Vec<TaskLine>,
    evidence: Vec<EvidenceLine>,
    timeline: Vec<TimelineLine>,
    reports: Vec<ReportLine>,
    statuses: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    role_choices: Vec<(String, String)>,
    /// Hospitals not yet affected (the ISAC's member form).
    other_members: Vec<(String, String)>,
    /// Organisations a task may go to.
    task_orgs: Vec<(String, String)>,
    /// Users of the organisations involved, for the team and tasks.
    users: Vec<(String, String)>,
    errors: Errors,
}

#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn incident_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    id: &str,
    done: &str,
    errors: Errors,
) -> Result<Response> {
    let v = svc::detail(&state.store, by, id).await?;
    let page = page(state, parts, actor, "incident-title", SECTION).await?;
    let page = match done {
        "" => page,
        d => {
            let key = format!("incident-done-{d}");
            if page.lang.t(&key) == key {
                page
            } else {
                page.notice("success", &key)
            }
        }
    };
    let lang = page.lang;
    let i = v.detail.incident.clone();
    let org = |id: &str| {
        v.org_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    let write = actor.has(Permission::Write);
    let manage = v.owned && write;
    let isac = by.org_kind == OrgKind::Isac;
    let now = Timestamp::now().0;
    let members = v
        .detail
        .members
        .iter()
        .map(|m| MemberLine {
            id: m.member_id.clone(),
            name: org(&m.member_id),
            shared: m
                .shared_at
                .map(|t| page.time(Timestamp(t)))
                .unwrap_or_default(),
        })
        .collect();
    let devices = v
        .detail
        .devices
        .iter()
        .map(|d| DeviceLine {
            member: org(&d.member_id),
            tag: d.asset_tag.clone(),
            model: if d.manufacturer.is_empty() {
                d.model.clone()
            } else {
                format!("{} {}", d.manufacturer, d.model)
            },
            note: d.note.clone(),
            by: format!("{} · {}", org(&d.org_id), d.added_by),
        })
        .collect();
    let roles = v
        .detail
        .roles
        .iter()
        .map(|r| RoleLine {
            id: r.id.clone(),
            role: label(lang, "role", &r.role),
            name: r.name.clone(),
            org: r
                .org_id
                .as_deref()
                .map(org)
                .unwrap_or_else(|| page.t("incident-external-org")),
            contact: r.contact.clone(),
        })
        .collect();
    let alerts = v
        .detail
        .alerts
        .iter()
        .map(|a| AlertLine {
            id: a.alert_id.clone(),
            title: a.title.clone(),
            rule: a.rule_id.clone(),
            severity: a.severity.clone(),
            severity_label: page.t(&format!("severity-{}", a.severity)),
            state: page.t(&format!("alert-state-{}", a.state)),
            attack: serde_json::from_str::<Vec<String>>(&a.attack)
                .unwrap_or_default()
                .join(" "),
            hits: a.hits,
            first: page.time(Timestamp(a.first_seen)),
        })
        .collect();
    let tasks = v
        .detail
        .tasks
        .iter()
        .map(|k| {
            let assignee = k
                .assignee_id
                .as_ref()
                .and_then(|u| v.user_names.get(u).cloned())
                .unwrap_or_default();
            TaskLine {
                id: k.id.clone(),
                seq: k.seq,
                title: k.title.clone(),
                who: if assignee.is_empty() {
                    org(&k.org_id)
                } else {
                    format!("{} · {assignee}", org(&k.org_id))
                },
                due: k
                    .due_at
                    .map(|d| page.time(Timestamp(d)))
                    .unwrap_or_default(),
                overdue: k.done_at.is_none() && k.due_at.is_some_and(|d| d < now),
                done: k
                    .done_at
                    .map(|d| {
                        format!(
                            "{} · {}",
                            page.time(Timestamp(d)),
                            k.done_by.clone().unwrap_or_default()
                        )
                    })
                    .unwrap_or_default(),
                is_done: k.done_at.is_some(),
                can_tick: write && (v.owned || k.org_id == by.org_id),
            }
        })
        .collect();
    let evidence = v
        .detail
        .evidence
        .iter()
        .map(|e| EvidenceLine {
            id: e.id.clone(),
            filename: e.filename.clone(),
            description: e.description.clone(),
            size: e.size,
            sha256: e.sha256.clone(),
            by: format!("{} · {}", org(&e.org_id), e.uploaded_by),
            at: page.time(Timestamp(e.uploaded_at)),
        })
        .collect();
    let timeline = v
        .detail
        .timeline
        .iter()
        .map(|t| TimelineLine {
            at: page.time(Timestamp(t.at)),
            by: match &t.org_id {
                Some(o) => format!("{} · {}", org(o), t.actor),
                None => t.actor.clone(),
            },
            text: svc::timeline_text(lang, &v, t),
            note: t.kind == "note",
        })
        .collect();
    let reports = v
        .detail
        .reports
        .iter()
        .map(|r| ReportLine {
            id: r.id.clone(),
            version: r.version,
            lang: r.lang.clone(),
            status: label(lang, "status", &r.status),
            sha256: r.sha256.clone(),
            by: r.created_by.clone(),
            at: page.time(Timestamp(r.created_at)),
        })
        .collect();
    let other_members = if manage && isac {
        state
            .store
            .list_orgs()
            .await?
            .into_iter()
            .filter(|o| {
                o.kind == OrgKind::Hospital && !v.detail.members.iter().any(|m| m.member_id == o.id)
            })
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        Vec::new()
    };
    // Tasks go to the caller's organisation, and from the owner to every
    // organisation involved (a member: to itself or the owner).
    let mut task_orgs = vec![(by.org_id.clone(), org(&by.org_id))];
    let involved: Vec<String> = std::iter::once(i.owner_org_id.clone())
        .chain(
            v.detail
                .members
                .iter()
                .filter(|m| m.shared_at.is_some())
                .map(|m| m.member_id.clone()),
        )
        .collect();
    for o in involved {
        if (v.owned || o == i.owner_org_id) && !task_orgs.iter().any(|(id, _)| *id == o) {
            task_orgs.push((o.clone(), org(&o)));
        }
    }
    let mut users: Vec<(String, String)> = v
        .user_names
        .iter()
        .map(|(id, n)| (id.clone(), n.clone()))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    let opt = |t: Option<i64>| t.map(|t| page.time(Timestamp(t))).unwrap_or_default();
    Ok(render(
        form_status(&errors),
        &page,
        &IncidentTpl {
            status_label: label(lang, "status", &i.status),
            severity_label: label(lang, "severity", &i.severity),
            category_label: label(lang, "category", &i.category),
            owner: org(&i.owner_org_id),
            detected: page.time(Timestamp(i.detected_at)),
            opened: page.time(Timestamp(i.created_at)),
            closed: opt(i.closed_at),
            reported: opt(i.isac_shared_at),
            manage,
            write,
            isac,
            hospital_owned: !isac_owned(state, &i.owner_org_id).await?,
            members,
            devices,
            roles,
            alerts,
            tasks,
            evidence,
            timeline,
            reports,
            statuses: choices(&page, "status", STATUSES),
            severities: choices(&page, "severity", SEVERITIES),
            categories: choices(&page, "category", CATEGORIES),
            role_choices: choices(&page, "role", ROLES),
            other_members,
            task_orgs,
            users,
            errors,
            v,
            page: &page,
        },
    ))
}

async fn isac_owned(state: &AppState, org_id: &str) -> Result<bool> {
    Ok(state
        .store
        .list_orgs()
        .await?
        .iter()
        .any(|o| o.id == org_id && o.kind == OrgKind::Isac))
}

async fn incident(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    incident_render(&state, &parts, &actor, &by, &id, &q.done, Errors::none()).await
}

/// After a change: back to the incident, or the page again with the
/// errors.
#[allow(clippy::too_many_arguments)]
async fn after(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    id: &str,
    done: &str,
    anchor: &str,
    result: Result<()>,
) -> Result<Response> {
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/watch/incidents/{id}?done={done}#{anchor}"
        ))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(parts), e)?;
            incident_render(state, parts, actor, by, id, "", errors).await
        }
    }
}

async fn writer(state: &AppState, actor: &Actor) -> Result<By> {
    as_member(state, actor, Permission::Write).await
}

#[derive(Default, serde::Deserialize)]
struct UpdatePost {
    title: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    summary: Option<String>,
    impact: Option<String>,
    cause: Option<String>,
    response: Option<String>,
    prevention: Option<String>,
    lessons: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<UpdatePost>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let form = svc::UpdateForm {
        title: f.title,
        category: f.category,
        severity: f.severity,
        status: f.status,
        summary: f.summary,
        impact: f.impact,
        cause: f.cause,
        response: f.response,
        prevention: f.prevention,
        lessons: f.lessons,
    };
    let r = svc::update(&state.store, &by, &id, &form).await.map(|_| ());
    after(&state, &parts, &actor, &by, &id, "saved", "status-h", r).await
}

#[derive(Default, serde::Deserialize)]
struct MemberPost {
    #[serde(default)]
    member: String,
    #[serde(default)]
    share: Option<String>,
}

async fn add_member(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<MemberPost>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::add_member(&state.store, &by, &id, &f.member, f.share.is_some()).await;
    after(&state, &parts, &actor, &by, &id, "member", "members-h", r).await
}

async fn share(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    IdPair(id, member): IdPair,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::share(&state.store, &by, &id, &member).await;
    after(&state, &parts, &actor, &by, &id, "shared", "members-h", r).await
}

async fn report_to_isac(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::report_to_isac(&state.store, &by, &id).await;
    after(&state, &parts, &actor, &by, &id, "reported", "members-h", r).await
}

async fn add_device(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<svc::DeviceForm>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::add_device(&state.store, &by, &id, &f).await;
    after(&state, &parts, &actor, &by, &id, "device", "devices-h", r).await
}

async fn add_role(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<svc::RoleForm>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::add_role(&state.store, &by, &id, &f).await;
    after(&state, &parts, &actor, &by, &id, "team", "team-h", r).await
}

async fn remove_role(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    IdPair(id, role): IdPair,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::remove_role(&state.store, &by, &id, &role).await;
    after(&state, &parts, &actor, &by, &id, "team", "team-h", r).await
}

#[derive(Default, serde::Deserialize)]
struct AlertPost {
    #[serde(default)]
    alert: String,
}

async fn link_alert(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<AlertPost>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::link_alert(&state.store, &by, &id, &f.alert).await;
    after(&state, &parts, &actor, &by, &id, "alert", "alerts-h", r).await
}

async fn add_task(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<svc::TaskForm>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::add_task(&state, &by, &id, &f).await;
    after(&state, &parts, &actor, &by, &id, "task", "tasks-h", r).await
}

#[derive(Default, serde::Deserialize)]
struct TaskPost {
    #[serde(default)]
    done: String,
}

async fn set_task(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    IdPair(id, task): IdPair,
    CsrfForm(f): CsrfForm<TaskPost>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::set_task(&state.store, &by, &id, &task, f.done == "1").await;
    after(&state, &parts, &actor, &by, &id, "task", "tasks-h", r).await
}

async fn add_evidence(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let description = upload
        .fields
        .get("description")
        .cloned()
        .unwrap_or_default();
    let r = svc::add_evidence(
        &state.store,
        &by,
        &id,
        &upload.filename,
        &description,
        upload.bytes,
    )
    .await
    .map(|_| ());
    after(
        &state,
        &parts,
        &actor,
        &by,
        &id,
        "evidence",
        "evidence-h",
        r,
    )
    .await
}

async fn evidence(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
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

#[derive(Default, serde::Deserialize)]
struct NotePost {
    #[serde(default)]
    note: String,
    #[serde(default)]
    at: String,
}

async fn note(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<NotePost>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let r = svc::note(&state, &by, &id, &f.at, &f.note).await;
    after(&state, &parts, &actor, &by, &id, "note", "timeline-h", r).await
}

async fn preview(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let lang = crate::extract::request_lang(&parts);
    let bytes = svc::report_pdf(&state, &by, &id, lang).await?;
    Ok(crate::assure::attachment(
        bytes,
        "application/pdf",
        &format!("incident-{id}.pdf"),
    ))
}

async fn issue(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = writer(&state, &actor).await?;
    let lang = crate::extract::request_lang(&parts);
    let r = svc::issue_report(&state, &by, &id, lang).await.map(|_| ());
    after(&state, &parts, &actor, &by, &id, "report", "reports-h", r).await
}

async fn report(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    IdPair(id, report): IdPair,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let (row, bytes) = svc::report(&state.store, &by, &id, &report).await?;
    Ok(crate::assure::attachment(
        bytes,
        "application/pdf",
        &format!("incident-{id}-v{}.pdf", row.version),
    ))
}
