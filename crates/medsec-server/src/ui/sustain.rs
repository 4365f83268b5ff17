//! Postmarket pages: the portfolio (releases × open findings, trend), a
//! release with its explained findings, VEX and sharing, the findings list,
//! a hospital's inventory and exposure, notifications, webhooks, alias
//! rules and the state of the vulnerability database.

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};

use super::{Errors, LinkTpl, Page, form_status, ok, page, render, see_other};
use crate::api::sustain::{SBOM_LIMIT, as_hospital, as_member, order};
use crate::assure::{By, as_maker, attachment};
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, CsrfUpload, Id, Query};
use crate::inventory;
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::sustain::{self as svc, FindingView, Portfolio, ReleaseDetail};

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(SBOM_LIMIT + 1024 * 1024);
    r.ui(User, Method::GET, "/portfolio", get(portfolio))
        .ui(
            User,
            Method::POST,
            "/releases",
            post(release_add).layer(upload()),
        )
        .ui(
            User,
            Method::GET,
            "/releases/{release_id}",
            get(release_show),
        )
        .ui(
            User,
            Method::GET,
            "/releases/{release_id}/sbom/{format}",
            get(release_sbom),
        )
        .ui(
            User,
            Method::POST,
            "/releases/{release_id}/vex",
            post(vex_add),
        )
        .ui(
            User,
            Method::POST,
            "/releases/{release_id}/vex/import",
            post(vex_import).layer(upload()),
        )
        .ui(
            User,
            Method::GET,
            "/releases/{release_id}/vex/{format}",
            get(vex_export),
        )
        .ui(
            User,
            Method::POST,
            "/releases/{release_id}/share",
            post(share),
        )
        .ui(User, Method::POST, "/vex/{vex_id}/delete", post(vex_delete))
        .ui(User, Method::GET, "/findings", get(findings))
        .ui(User, Method::GET, "/inventory", get(inventory_page))
        .ui(User, Method::POST, "/inventory", post(device_add))
        .ui(
            User,
            Method::POST,
            "/inventory/{inventory_id}/delete",
            post(device_remove),
        )
        .ui(
            User,
            Method::GET,
            "/shared/{release_id}/sbom/{format}",
            get(shared_sbom),
        )
        .ui(User, Method::GET, "/notifications", get(notifications))
        .ui(
            User,
            Method::POST,
            "/notifications/read",
            post(notifications_read),
        )
        .ui(User, Method::GET, "/webhooks", get(webhooks))
        .ui(User, Method::POST, "/webhooks", post(webhook_add))
        .ui(
            User,
            Method::POST,
            "/webhooks/{webhook_id}/delete",
            post(webhook_delete),
        )
        .ui(User, Method::GET, "/aliases", get(aliases))
        .ui(User, Method::POST, "/aliases", post(alias_add))
        .ui(
            User,
            Method::POST,
            "/aliases/{rule_id}/delete",
            post(alias_delete),
        )
        .ui(User, Method::GET, "/feeds", get(feeds))
}

fn level_label(page: &Page, level: Option<&str>) -> String {
    page.t(&format!("level-{}", level.unwrap_or("unknown")))
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default()
}

// --- portfolio -----------------------------------------------------------

/// The trend as an inline SVG of stacked bars (numbers only, so it is
/// safe to insert unescaped).
fn trend_svg(p: &Portfolio) -> String {
    let days = &p.trend;
    if days.is_empty() {
        return String::new();
    }
    let max = days
        .iter()
        .map(|d| d.critical + d.high + d.medium + d.low + d.unknown)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (w, h, bar) = (640.0, 120.0, (640.0 / days.len().max(1) as f64).min(24.0));
    let mut out = format!(
        r#"<svg class="trend" viewBox="0 0 {w} {h}" width="100%" height="{h}" role="img" aria-hidden="true">"#
    );
    for (i, d) in days.iter().enumerate() {
        let x = i as f64 * bar;
        let mut y = h;
        for (n, class) in [
            (d.unknown, "unknown"),
            (d.low, "low"),
            (d.medium, "medium"),
            (d.high, "high"),
            (d.critical, "critical"),
        ] {
            let bh = n as f64 / max * (h - 4.0);
            if bh > 0.0 {
                y -= bh;
                out.push_str(&format!(
                    r#"<rect class="sev-{class}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}"/>"#,
                    (bar - 2.0).max(1.0)
                ));
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioTpl<'a> {
    page: &'a Page,
    p: Portfolio,
    trend: String,
    errors: Errors,
    form: ReleaseForm,
    feeds_empty: bool,
}

#[derive(Default, serde::Deserialize)]
struct ReleaseForm {
    product: String,
    version: String,
    released_on: String,
    support_until: String,
}

async fn portfolio_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    form: ReleaseForm,
) -> Result<Response> {
    let by = as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "portfolio-title", "portfolio").await?;
    let p = svc::portfolio(&state.store, &by.org_id).await?;
    let feeds_empty = state.store.feed_counts().await?.is_empty();
    let status = form_status(&errors);
    let trend = trend_svg(&p);
    Ok(render(
        status,
        &page,
        &PortfolioTpl {
            page: &page,
            p,
            trend,
            errors,
            form,
            feeds_empty,
        },
    ))
}

async fn portfolio(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    portfolio_page(
        &state,
        &parts,
        &actor,
        Errors::none(),
        ReleaseForm::default(),
    )
    .await
}

async fn release_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    let f = |k: &str| upload.fields.get(k).cloned().unwrap_or_default();
    let form = ReleaseForm {
        product: f("product"),
        version: f("version"),
        released_on: f("released_on"),
        support_until: f("support_until"),
    };
    let db = state.index.get(&state.store).await?;
    let input = svc::ReleaseInput {
        product: form.product.clone(),
        version: form.version.clone(),
        released_on: Some(form.released_on.trim().to_owned()).filter(|s| !s.is_empty()),
        support_until: Some(form.support_until.trim().to_owned()).filter(|s| !s.is_empty()),
        sbom: Some((upload.filename, upload.bytes)),
    };
    let lang = crate::extract::request_lang(&parts);
    match svc::release_create(&state.store, &db, &by, input).await {
        Ok(created) => Ok(see_other(&format!("/releases/{}", created.release.id))),
        Err(Error::BadRequest {
            code: "sbom",
            detail,
        }) => {
            let errors = Errors::from_fields(
                lang,
                &[medsec_core::validate::FieldError::new("file", "format").with("detail", detail)],
            );
            portfolio_page(&state, &parts, &actor, errors, form).await
        }
        Err(e) => {
            let errors = Errors::of(lang, e)?;
            portfolio_page(&state, &parts, &actor, errors, form).await
        }
    }
}

// --- a release -----------------------------------------------------------

struct FindingLine {
    view: FindingView,
    level: String,
    epss: String,
    first_seen: String,
    vex_label: String,
}

struct StatementLine {
    id: String,
    vulnerability: String,
    component: String,
    status: String,
    justification: String,
    text: String,
    expires_on: String,
    source: String,
    stale: bool,
    suppressing: bool,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleaseTpl<'a> {
    page: &'a Page,
    d: ReleaseDetail,
    findings: Vec<FindingLine>,
    statements: Vec<StatementLine>,
    hospitals: Vec<(String, String)>,
    shared_with: Vec<String>,
    statuses: Vec<(String, String)>,
    justifications: Vec<(String, String)>,
    errors: Errors,
    /// What an import did.
    notes: Vec<String>,
    can_write: bool,
    today: String,
    /// Components whose end of support has passed.
    eos_ended: usize,
}

async fn release_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
    notes: Vec<String>,
) -> Result<Response> {
    let by = as_maker(state, actor, false).await?;
    let d = svc::release_detail(state, &by.org_id, id).await?;
    let mut page = page(state, parts, actor, "release-title", "portfolio").await?;
    page.title = format!("{} {}", d.release.product, d.release.version);
    let findings = d
        .findings
        .iter()
        .map(|f| FindingLine {
            level: level_label(&page, f.level),
            epss: pct(f.epss),
            first_seen: page.time(Timestamp(f.first_seen)),
            vex_label: f
                .vex
                .as_ref()
                .map(|v| page.t(&format!("vex-status-{}", v.status)))
                .unwrap_or_default(),
            view: f.clone(),
        })
        .collect();
    let statements = d
        .statements
        .iter()
        .map(|s| StatementLine {
            id: s.row.id.clone(),
            vulnerability: s.row.vuln_id.clone(),
            component: if s.row.component.is_empty() {
                page.t("vex-all-components")
            } else {
                s.row.component.clone()
            },
            status: page.t(&format!("vex-status-{}", s.row.status)),
            justification: s
                .row
                .justification
                .as_deref()
                .map(|j| page.t(&format!("vex-just-{j}")))
                .unwrap_or_default(),
            text: s
                .row
                .impact
                .clone()
                .or_else(|| s.row.action.clone())
                .unwrap_or_default(),
            expires_on: s.row.expires_on.clone().unwrap_or_default(),
            source: if s.row.source.starts_with("carried:") {
                page.t("vex-source-carried")
            } else if s.row.source.starts_with("import:") {
                page.t("vex-source-import")
            } else {
                page.t("vex-source-manual")
            },
            stale: s.stale,
            suppressing: s.suppressing,
        })
        .collect();
    let hospitals = inventory::hospitals(&state.store).await?;
    let shared_with = d.shares.iter().map(|s| s.org_name.clone()).collect();
    let statuses = medsec_store::vex::STATUSES
        .iter()
        .map(|s| ((*s).to_owned(), page.t(&format!("vex-status-{s}"))))
        .collect();
    let justifications = medsec_store::vex::JUSTIFICATIONS
        .iter()
        .map(|s| ((*s).to_owned(), page.t(&format!("vex-just-{s}"))))
        .collect();
    let status = form_status(&errors);
    let can_write = actor.has(Permission::Write);
    let today = medsec_store::releases::day(Timestamp::now());
    let eos_ended = d
        .components
        .iter()
        .filter(|c| {
            c.end_of_support
                .as_deref()
                .is_some_and(|e| e < today.as_str())
        })
        .count();
    Ok(render(
        status,
        &page,
        &ReleaseTpl {
            page: &page,
            d,
            findings,
            statements,
            hospitals,
            shared_with,
            statuses,
            justifications,
            errors,
            notes,
            can_write,
            today,
            eos_ended,
        },
    ))
}

async fn release_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    release_page(&state, &parts, &actor, &id, Errors::none(), Vec::new()).await
}

fn sbom_format(format: &str) -> Result<&'static str> {
    Ok(match format {
        "cyclonedx-json" => "cyclonedx-json",
        "cyclonedx-xml" => "cyclonedx-xml",
        "spdx-json" => "spdx-json",
        "original" => "original",
        _ => return Err(Error::NotFound),
    })
}

async fn release_sbom(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    axum::extract::Path((id, format)): axum::extract::Path<(String, String)>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, false).await?;
    if !crate::extract::is_ref_id(&id) {
        return Err(Error::NotFound);
    }
    let format = sbom_format(&format)?;
    let file = state
        .store
        .release_sbom(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let (bytes, ctype, name) = svc::sbom_export(file, Some(format))?;
    Ok(attachment(bytes, ctype, &name))
}

async fn vex_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(input): CsrfForm<svc::VexInput>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    match svc::vex_record(&state.store, &by, &id, &[input], "manual").await {
        Ok(_) => Ok(see_other(&format!("/releases/{id}#vex"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            release_page(&state, &parts, &actor, &id, errors, Vec::new()).await
        }
    }
}

async fn vex_import(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    let lang = crate::extract::request_lang(&parts);
    let (errors, notes) =
        match svc::vex_import(&state.store, &by, &id, &upload.filename, &upload.bytes).await {
            Ok(done) => {
                let mut notes = vec![lang.ta(
                    "vex-imported",
                    &[
                        ("count", &done.recorded.to_string()),
                        ("skipped", &done.skipped.len().to_string()),
                    ],
                )];
                notes.extend(done.skipped.iter().take(50).cloned());
                (Errors::none(), notes)
            }
            Err(Error::BadRequest {
                code: "vex",
                detail,
            }) => (
                Errors::from_fields(
                    lang,
                    &[medsec_core::validate::FieldError::new("file", "format")
                        .with("detail", detail)],
                ),
                Vec::new(),
            ),
            Err(e) => (Errors::of(lang, e)?, Vec::new()),
        };
    release_page(&state, &parts, &actor, &id, errors, notes).await
}

#[derive(serde::Deserialize)]
struct VexExportQuery {
    namespace: Option<String>,
}

async fn vex_export(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    axum::extract::Path((id, format)): axum::extract::Path<(String, String)>,
    Query(q): Query<VexExportQuery>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, false).await?;
    if !crate::extract::is_ref_id(&id) || !svc::VEX_FORMATS.contains(&format.as_str()) {
        return Err(Error::NotFound);
    }
    let (bytes, ctype, name) =
        svc::vex_export(&state.store, &by, &id, &format, q.namespace.as_deref()).await?;
    Ok(attachment(bytes, ctype, &name))
}

#[derive(serde::Deserialize)]
struct ShareForm {
    hospital: String,
}

async fn share(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<ShareForm>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    match inventory::share(&state.store, &by, &id, &form.hospital).await {
        Ok(_) => Ok(see_other(&format!("/releases/{id}#share"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            release_page(&state, &parts, &actor, &id, errors, Vec::new()).await
        }
    }
}

async fn vex_delete(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    let release = state
        .store
        .delete_vex(
            &by.org_id,
            &id,
            by.audit(Timestamp::now(), medsec_core::audit::Action::VexDeleted),
        )
        .await?
        .release_id;
    state
        .store
        .record_trend(&by.org_id, Timestamp::now())
        .await?;
    Ok(see_other(&format!("/releases/{release}#vex")))
}

// --- findings ------------------------------------------------------------

#[derive(serde::Deserialize)]
struct FindingsQuery {
    sort: Option<String>,
    page: Option<i64>,
}

struct ListLine {
    row: svc::FindingListRow,
    level: String,
    epss: String,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsTpl<'a> {
    page: &'a Page,
    rows: Vec<ListLine>,
    sort: String,
    sorts: Vec<(String, String)>,
    page_no: i64,
    more: bool,
}

const PAGE: i64 = 50;

async fn findings(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<FindingsQuery>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, false).await?;
    let sort = q.sort.unwrap_or_else(|| "priority".into());
    let order = order(Some(&sort))?;
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let mut rows = svc::findings_page(
        &state.store,
        &by.org_id,
        order,
        PAGE + 1,
        (page_no - 1) * PAGE,
    )
    .await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let page = page(&state, &parts, &actor, "findings-title", "findings").await?;
    let rows = rows
        .into_iter()
        .map(|row| ListLine {
            level: level_label(&page, row.level),
            epss: pct(row.epss),
            row,
        })
        .collect();
    let sorts = ["priority", "severity", "epss", "kev", "newest"]
        .iter()
        .map(|s| ((*s).to_owned(), page.t(&format!("findings-sort-{s}"))))
        .collect();
    Ok(ok(
        &page,
        &FindingsTpl {
            page: &page,
            rows,
            sort,
            sorts,
            page_no,
            more,
        },
    ))
}

// --- inventory -----------------------------------------------------------

struct ExposureLine {
    e: inventory::DeviceExposure,
    findings: Vec<FindingLine>,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryTpl<'a> {
    page: &'a Page,
    devices: Vec<ExposureLine>,
    shared: Vec<medsec_store::inventory::SharedReleaseRow>,
    errors: Errors,
    form: inventory::DeviceInput,
}

async fn inventory_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    form: inventory::DeviceInput,
) -> Result<Response> {
    let by = as_hospital(state, actor, false).await?;
    let page = page(state, parts, actor, "inventory-title", "inventory").await?;
    let db = state.index.get(&state.store).await?;
    let devices = inventory::exposure(&state.store, Some(&db), &by)
        .await?
        .into_iter()
        .map(|e| ExposureLine {
            findings: e
                .findings
                .iter()
                .filter(|f| f.state != "fixed")
                .map(|f| FindingLine {
                    level: level_label(&page, f.level),
                    epss: pct(f.epss),
                    first_seen: page.time(Timestamp(f.first_seen)),
                    vex_label: f
                        .vex
                        .as_ref()
                        .map(|v| page.t(&format!("vex-status-{}", v.status)))
                        .unwrap_or_default(),
                    view: f.clone(),
                })
                .collect(),
            e,
        })
        .collect();
    let shared = state.store.shared_releases(&by.org_id).await?;
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &InventoryTpl {
            page: &page,
            devices,
            shared,
            errors,
            form,
        },
    ))
}

async fn inventory_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    inventory_render(&state, &parts, &actor, Errors::none(), Default::default()).await
}

async fn device_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<inventory::DeviceInput>,
) -> Result<Response> {
    let by = as_hospital(&state, &actor, true).await?;
    match inventory::device_add(&state.store, &by, &form).await {
        Ok(_) => Ok(see_other("/inventory")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            inventory_render(&state, &parts, &actor, errors, form).await
        }
    }
}

async fn device_remove(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_hospital(&state, &actor, true).await?;
    inventory::device_remove(&state.store, &by, &id).await?;
    Ok(see_other("/inventory"))
}

async fn shared_sbom(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    axum::extract::Path((id, format)): axum::extract::Path<(String, String)>,
) -> Result<Response> {
    let by = as_hospital(&state, &actor, false).await?;
    if !crate::extract::is_ref_id(&id) {
        return Err(Error::NotFound);
    }
    let format = sbom_format(&format)?;
    let file = state
        .store
        .shared_sbom(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let (bytes, ctype, name) = svc::sbom_export(file, Some(format))?;
    Ok(attachment(bytes, ctype, &name))
}

// --- notifications -------------------------------------------------------

struct NotificationLine {
    time: String,
    text: String,
    link: Option<String>,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsTpl<'a> {
    page: &'a Page,
    items: Vec<NotificationLine>,
    unread: usize,
}

fn notification_text(page: &Page, kind: &str, details: &serde_json::Value) -> String {
    let s = |k: &str| details[k].as_str().unwrap_or_default().to_owned();
    let n = |k: &str| details[k].as_i64().unwrap_or(0);
    match kind {
        "findings.new" => page.lang.ta(
            "notification-findings-new",
            &[
                ("product", &s("product")),
                ("version", &s("version")),
                ("count", &n("new").to_string()),
                ("kev", &n("kev").to_string()),
            ],
        ),
        "release.shared" => page.lang.ta(
            "notification-release-shared",
            &[("product", &s("product")), ("version", &s("version"))],
        ),
        medsec_store::crisis::LEVEL_CHANGED => {
            let level = s("level")
                .parse()
                .unwrap_or(medsec_core::crisis::Level::Normal);
            page.lang.ta(
                "notification-crisis-level-changed",
                &[
                    ("level", crate::crisis::level_name(page.lang, level)),
                    ("reason", &s("reason")),
                ],
            )
        }
        "alert.new" => page
            .lang
            .ta("notification-alert-new", &[("title", &s("title"))]),
        medsec_store::incidents::SHARED => page
            .lang
            .ta("notification-incident-shared", &[("title", &s("title"))]),
        medsec_store::incidents::REPORTED => page
            .lang
            .ta("notification-incident-reported", &[("title", &s("title"))]),
        other => other.to_owned(),
    }
}

async fn notifications(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let page = page(
        &state,
        &parts,
        &actor,
        "notifications-title",
        "notifications",
    )
    .await?;
    let rows = state
        .store
        .notifications(&by.org_id, &actor.user.id, 100)
        .await?;
    let items: Vec<NotificationLine> = rows
        .iter()
        .map(|n| {
            let details: serde_json::Value =
                serde_json::from_str(&n.details).unwrap_or(serde_json::Value::Null);
            NotificationLine {
                time: page.time(Timestamp(n.created_at)),
                text: notification_text(&page, &n.kind, &details),
                link: n.subject_id.as_ref().map(|id| match actor.org.kind {
                    _ if n.kind == medsec_store::crisis::LEVEL_CHANGED => {
                        "/watch/crisis".to_owned()
                    }
                    _ if n.kind == "alert.new" => format!("/watch/alerts/{id}"),
                    _ if n.kind == medsec_store::incidents::SHARED
                        || n.kind == medsec_store::incidents::REPORTED =>
                    {
                        format!("/watch/incidents/{id}")
                    }
                    OrgKind::Hospital => "/inventory".to_owned(),
                    _ => format!("/releases/{id}"),
                }),
                unread: n.read_at.is_none(),
            }
        })
        .collect();
    let unread = items.iter().filter(|i| i.unread).count();
    Ok(ok(
        &page,
        &NotificationsTpl {
            page: &page,
            items,
            unread,
        },
    ))
}

async fn notifications_read(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    state
        .store
        .read_notifications(&by.org_id, &actor.user.id, Timestamp::now())
        .await?;
    Ok(see_other("/notifications"))
}

// --- webhooks ------------------------------------------------------------

struct DeliveryLine {
    time: String,
    event: String,
    state: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksTpl<'a> {
    page: &'a Page,
    hooks: Vec<medsec_store::inventory::WebhookRow>,
    deliveries: Vec<DeliveryLine>,
    errors: Errors,
    url: String,
}

async fn webhooks_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    url: String,
) -> Result<Response> {
    let by = as_member(state, actor, Permission::ManageOrgSettings).await?;
    let page = page(state, parts, actor, "webhooks-title", "webhooks").await?;
    let hooks = state.store.webhooks(&by.org_id).await?;
    let deliveries = state
        .store
        .deliveries(&by.org_id, 50)
        .await?
        .into_iter()
        .map(|d| DeliveryLine {
            time: page.time(Timestamp(d.created_at)),
            event: d.event,
            state: page.t(&format!("delivery-{}", d.state)),
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &WebhooksTpl {
            page: &page,
            hooks,
            deliveries,
            errors,
            url,
        },
    ))
}

async fn webhooks(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    webhooks_render(&state, &parts, &actor, Errors::none(), String::new()).await
}

#[derive(serde::Deserialize)]
struct WebhookForm {
    url: String,
}

async fn webhook_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::ManageOrgSettings).await?;
    match svc::webhook_add(&state.store, &by, &form.url).await {
        Ok((row, secret)) => {
            let page = page(&state, &parts, &actor, "webhooks-title", "webhooks").await?;
            let tpl = LinkTpl {
                page: &page,
                heading: page.t("webhooks-added"),
                intro: row.url.clone(),
                label: page.t("webhooks-secret"),
                value: secret,
                note: page.t("webhooks-secret-note"),
                back: "/webhooks".into(),
            };
            Ok(ok(&page, &tpl))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            webhooks_render(&state, &parts, &actor, errors, form.url).await
        }
    }
}

async fn webhook_delete(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::ManageOrgSettings).await?;
    svc::webhook_delete(&state.store, &by, &id).await?;
    Ok(see_other("/webhooks"))
}

// --- alias rules ---------------------------------------------------------

#[derive(Default, serde::Deserialize)]
struct AliasForm {
    component: String,
    #[serde(default)]
    purl: String,
    #[serde(default)]
    cpe: String,
    #[serde(default)]
    end_of_support: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "aliases.html")]
struct AliasesTpl<'a> {
    page: &'a Page,
    rules: Vec<medsec_store::vex::AliasRuleRow>,
    errors: Errors,
    form: AliasForm,
}

async fn aliases_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    form: AliasForm,
) -> Result<Response> {
    let by = as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "aliases-title", "aliases").await?;
    let rules = state.store.alias_rules(&by.org_id).await?;
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &AliasesTpl {
            page: &page,
            rules,
            errors,
            form,
        },
    ))
}

async fn aliases(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    aliases_render(&state, &parts, &actor, Errors::none(), AliasForm::default()).await
}

async fn alias_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<AliasForm>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, true).await?;
    let db = state.index.get(&state.store).await?;
    let opt = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let (purl, cpe, note) = (opt(&form.purl), opt(&form.cpe), opt(&form.note));
    let eos = opt(&form.end_of_support);
    match svc::alias_add(
        &state.store,
        &db,
        &by,
        &form.component,
        purl.as_deref(),
        cpe.as_deref(),
        eos.as_deref(),
        note.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(see_other("/aliases")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            aliases_render(&state, &parts, &actor, errors, form).await
        }
    }
}

async fn alias_delete(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by: By = as_maker(&state, &actor, true).await?;
    let db = state.index.get(&state.store).await?;
    svc::alias_delete(&state.store, &db, &by, &id).await?;
    Ok(see_other("/aliases"))
}

// --- feeds ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsTpl<'a> {
    page: &'a Page,
    status: serde_json::Value,
    feeds: Vec<(String, i64, String)>,
    imports: Vec<(String, String, i64, i64, i64, i64)>,
}

async fn feeds(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    as_member(&state, &actor, Permission::Read).await?;
    let page = page(&state, &parts, &actor, "feeds-title", "feeds").await?;
    let status = svc::feed_status(&state).await?;
    let feeds = state
        .store
        .feed_counts()
        .await?
        .into_iter()
        .map(|c| (c.kind, c.records, page.time(Timestamp(c.last_change))))
        .collect();
    let imports = state
        .store
        .feed_imports(10)
        .await?
        .into_iter()
        .map(|i| {
            (
                page.time(Timestamp(i.started_at)),
                i.path,
                i.added,
                i.changed,
                i.unchanged,
                i.failed,
            )
        })
        .collect();
    Ok(ok(
        &page,
        &FeedsTpl {
            page: &page,
            status,
            feeds,
            imports,
        },
    ))
}
