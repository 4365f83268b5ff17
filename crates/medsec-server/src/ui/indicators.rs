//! The ISAC's indicator pages: sources with their counts, an upload form
//! (a new import of a source replaces its indicators), a source with what
//! its file held that could not be matched, a search of the indicators
//! with revoke and expire, and a form to add one by hand.
//!
//! Every page goes through `crate::indicators`, which lets only the ISAC's
//! users in (readers read, writers change).

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{Permission, Timestamp};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::Result;
use crate::extract::{CsrfForm, CsrfUpload, Id, Query};
use crate::indicators::{self as svc, AddForm, SearchParams, SourceView};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let upload = || DefaultBodyLimit::max(svc::UPLOAD_LIMIT + 64 * 1024);
    r.ui(User, Method::GET, "/watch/indicators", get(indicators))
        .ui(
            User,
            Method::POST,
            "/watch/indicators/import",
            post(import).layer(upload()),
        )
        .ui(User, Method::POST, "/watch/indicators/add", post(add))
        .ui(
            User,
            Method::POST,
            "/watch/indicators/{indicator_id}/revoke",
            post(revoke),
        )
        .ui(
            User,
            Method::POST,
            "/watch/indicators/{indicator_id}/expire",
            post(expire),
        )
        .ui(
            User,
            Method::GET,
            "/watch/indicator-sources/{indicator_source_id}",
            get(source),
        )
        .ui(
            User,
            Method::POST,
            "/watch/indicator-sources/{indicator_source_id}/remove",
            post(remove),
        )
}

/// The navigation section of these pages (not a message id).
const SECTION: &str = "watch-indicators";

/// Whether the caller changes indicators.
fn manages(actor: &Actor) -> bool {
    actor.has(Permission::Write)
}

fn notify_detection(state: &AppState) {
    if let Some(live) = state
        .watch
        .get()
        .and_then(|w| w.detection.as_ref())
        .and_then(|d| d.indicators.get())
    {
        live.nudge();
    }
}

struct SourceLine {
    v: SourceView,
    kind_label: String,
    imported: String,
}

struct IndicatorLine {
    id: String,
    kind: String,
    value: String,
    source: String,
    status: &'static str,
    status_label: String,
    valid_until: String,
    confidence: String,
    labels: String,
    description: String,
    /// Revoke and expire apply (it is neither revoked nor expired).
    active: bool,
}

/// The upload form's fields, kept when it is shown again with errors.
#[derive(Default)]
struct ImportFields {
    source: String,
    description: String,
}

#[derive(Template)]
#[template(path = "watch_indicators.html")]
struct IndicatorsTpl<'a> {
    page: &'a Page,
    sources: Vec<SourceLine>,
    manage: bool,
    /// The indicators live detection on this node has in service.
    in_service: String,
    results: Vec<IndicatorLine>,
    searched: bool,
    q: SearchParams,
    more: bool,
    page_no: i64,
    /// The query string of the search, for the paging links.
    qs: String,
    kinds: Vec<(String, String)>,
    types: Vec<(String, String)>,
    upload: ImportFields,
    add: AddForm,
    upload_errors: Errors,
    add_errors: Errors,
}

fn kind_label(page: &Page, kind: &str) -> String {
    page.t(&format!("indicator-kind-{kind}"))
}

fn source_kind_label(page: &Page, kind: &str) -> String {
    page.t(&format!("indicator-source-kind-{kind}"))
}

#[allow(clippy::too_many_arguments)]
async fn indicators_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    q: SearchParams,
    done: &str,
    upload: ImportFields,
    upload_errors: Errors,
    add: AddForm,
    add_errors: Errors,
) -> Result<Response> {
    let sources = svc::sources(&state.store, by).await?;
    let page = page(state, parts, actor, "indicators-title", SECTION).await?;
    let page = match done {
        "added" => page.notice("success", "indicators-added"),
        "revoked" => page.notice("success", "indicators-revoked"),
        "expired" => page.notice("success", "indicators-expired"),
        "removed" => page.notice("success", "indicators-source-removed"),
        _ => page,
    };
    let searched = [&q.q, &q.source, &q.kind]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let (results, more, page_no) = if searched {
        let r = svc::search(&state.store, by, &q).await?;
        let lines = r
            .indicators
            .into_iter()
            .map(|v| IndicatorLine {
                kind: kind_label(&page, &v.row.kind),
                status_label: page.t(&format!("indicator-status-{}", v.status)),
                valid_until: v
                    .row
                    .valid_until
                    .map(|t| page.time(Timestamp(t)))
                    .unwrap_or_default(),
                confidence: v.row.confidence.map(|c| c.to_string()).unwrap_or_default(),
                labels: serde_json::from_str::<Vec<String>>(&v.row.labels)
                    .unwrap_or_default()
                    .join(", "),
                description: v.row.description.clone().unwrap_or_default(),
                active: matches!(v.status, "valid" | "not_yet_valid"),
                status: v.status,
                source: v.source_name,
                id: v.row.id,
                value: v.row.value,
            })
            .collect();
        (lines, r.more, r.page)
    } else {
        (Vec::new(), false, 1)
    };
    let in_service = crate::detection::report(state)
        .await
        .ok()
        .and_then(|r| {
            Some(page.ta2(
                "indicators-in-service",
                "count",
                r.indicators?,
                "generation",
                r.indicators_generation.unwrap_or(0),
            ))
        })
        .unwrap_or_else(|| page.t("indicators-not-in-service"));
    let qs = serde_urlencoded::to_string([
        ("q", q.q.clone().unwrap_or_default()),
        ("source", q.source.clone().unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let kinds = medsec_detect::indicators::Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(&page, k.as_str())))
        .collect();
    let types = svc::TYPES
        .iter()
        .map(|t| ((*t).to_owned(), page.t(&format!("indicator-type-{t}"))))
        .collect();
    let sources = sources
        .into_iter()
        .map(|v| SourceLine {
            kind_label: source_kind_label(&page, &v.source.kind),
            imported: page.time(Timestamp(v.source.imported_at)),
            v,
        })
        .collect();
    let status = if upload_errors.is_empty() {
        form_status(&add_errors)
    } else {
        form_status(&upload_errors)
    };
    Ok(render(
        status,
        &page,
        &IndicatorsTpl {
            page: &page,
            sources,
            manage: manages(actor),
            in_service,
            results,
            searched,
            q,
            more,
            page_no,
            qs,
            kinds,
            types,
            upload,
            add,
            upload_errors,
            add_errors,
        },
    ))
}

#[derive(Default, serde::Deserialize)]
struct PageQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    done: String,
}

async fn indicators(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(p): Query<PageQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let q = SearchParams {
        q: p.q,
        source: p.source,
        kind: p.kind,
        page: p.page,
    };
    indicators_render(
        &state,
        &parts,
        &actor,
        &by,
        q,
        &p.done,
        ImportFields::default(),
        Errors::none(),
        AddForm::default(),
        Errors::none(),
    )
    .await
}

async fn import(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let f = |k: &str| upload.fields.get(k).cloned().unwrap_or_default();
    let fields = ImportFields {
        source: f("source"),
        description: f("description"),
    };
    let req = svc::ImportRequest {
        source: fields.source.clone(),
        description: fields.description.clone(),
        bytes: upload.bytes,
    };
    match svc::import(&state.store, &by, req, &mut |_| {}).await {
        Ok(report) => {
            notify_detection(&state);
            Ok(see_other(&format!(
                "/watch/indicator-sources/{}?done=imported",
                report.source.id
            )))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            indicators_render(
                &state,
                &parts,
                &actor,
                &by,
                SearchParams::default(),
                "",
                fields,
                errors,
                AddForm::default(),
                Errors::none(),
            )
            .await
        }
    }
}

async fn add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<AddForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::add(&state.store, &by, &f).await {
        Ok(v) => {
            notify_detection(&state);
            let qs = serde_urlencoded::to_string([("q", v.row.value.as_str()), ("done", "added")])
                .unwrap_or_default();
            Ok(see_other(&format!("/watch/indicators?{qs}")))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            indicators_render(
                &state,
                &parts,
                &actor,
                &by,
                SearchParams::default(),
                "",
                ImportFields::default(),
                Errors::none(),
                f,
                errors,
            )
            .await
        }
    }
}

/// Where a revoke or expire form returns to: the search it came from.
#[derive(Default, serde::Deserialize)]
struct BackForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: String,
}

impl BackForm {
    fn to(&self, done: &str) -> String {
        let qs = serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("source", self.source.as_str()),
            ("kind", self.kind.as_str()),
            ("done", done),
        ])
        .unwrap_or_default();
        format!("/watch/indicators?{qs}")
    }
}

async fn revoke(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::revoke(&state.store, &by, &id).await?;
    notify_detection(&state);
    Ok(see_other(&f.to("revoked")))
}

async fn expire(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::expire(&state.store, &by, &id).await?;
    notify_detection(&state);
    Ok(see_other(&f.to("expired")))
}

#[derive(Template)]
#[template(path = "watch_indicator_source.html")]
struct SourceTpl<'a> {
    page: &'a Page,
    d: svc::SourceDetail,
    kind_label: String,
    created: String,
    imported: String,
    manage: bool,
    /// Skipped items beyond those kept.
    more_skipped: i64,
}

#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn source(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let d = svc::source(&state.store, &by, &id).await?;
    let page = page(&state, &parts, &actor, "indicators-source-title", SECTION).await?;
    let page = match q.done.as_str() {
        "imported" => page.notice("success", "indicators-imported"),
        _ => page,
    };
    let s = &d.view.source;
    Ok(render(
        StatusCode::OK,
        &page,
        &SourceTpl {
            kind_label: source_kind_label(&page, &s.kind),
            created: page.time(Timestamp(s.created_at)),
            imported: page.time(Timestamp(s.imported_at)),
            manage: manages(&actor),
            more_skipped: (s.skipped_count - d.skipped_items.len() as i64).max(0),
            page: &page,
            d,
        },
    ))
}

async fn remove(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_f): CsrfForm<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::remove_source(&state.store, &by, &id).await?;
    notify_detection(&state);
    Ok(see_other("/watch/indicators?done=removed"))
}
