//! The webshell pages of the watch section: scans per member with an
//! upload form (a zip of the web root, or one file), and a scan with its
//! findings and skipped files. Every page goes through
//! `crate::webshell`, which decides who sees and scans what.

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};

use super::{Errors, Page, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfUpload, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::webshell::{self as svc, ScanQuery, ScanView};

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/webshell", get(scans))
        .ui(
            User,
            Method::POST,
            "/watch/webshell",
            post(upload).layer(DefaultBodyLimit::max(svc::MAX_UPLOAD + 64 * 1024)),
        )
        .ui(User, Method::GET, "/watch/webshell/{scan_id}", get(scan))
}

/// The navigation section of these pages (not a message id).
const SECTION: &str = "watch-webshell";

struct Line {
    s: ScanView,
    when: String,
    origin: String,
    size: String,
}

#[derive(Template)]
#[template(path = "watch_webshell.html")]
struct ScansTpl<'a> {
    page: &'a Page,
    lines: Vec<Line>,
    total: i64,
    page_no: i64,
    pages: i64,
    isac: bool,
    can_upload: bool,
    members: Vec<(String, String)>,
    member: String,
    qs: String,
    errors: Errors,
    /// A damaged archive's message.
    upload_error: String,
    rules: usize,
    digest: String,
    max_upload: String,
    max_file: String,
}

fn uploads(by: &By, actor: &Actor) -> bool {
    matches!(by.org_kind, OrgKind::Isac | OrgKind::Hospital) && actor.has(Permission::Write)
}

/// `12.3 MiB`, `4.0 KiB`, `512 B`.
fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[allow(clippy::too_many_arguments)]
async fn scans_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    q: ScanQuery,
    status: StatusCode,
    errors: Errors,
    upload_error: String,
) -> Result<Response> {
    let list = svc::scans(&state.store, by, &q).await?;
    let page = page(state, parts, actor, "webshell-title", SECTION).await?;
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
    let member = q.member.clone().unwrap_or_default();
    let qs = serde_urlencoded::to_string([("member", member.as_str())]).unwrap_or_default();
    let rules = svc::rules()?;
    let lines = list
        .scans
        .into_iter()
        .map(|s| Line {
            when: page.time(Timestamp(s.scan.started_at)),
            origin: page.t(&format!("webshell-origin-{}", s.scan.origin)),
            size: size(s.scan.archive_bytes),
            s,
        })
        .collect();
    let limits = svc::limits();
    Ok(render(
        status,
        &page,
        &ScansTpl {
            page: &page,
            lines,
            total: list.total,
            page_no: list.page,
            pages: list.pages,
            isac,
            can_upload: uploads(by, actor),
            members,
            member,
            qs,
            errors,
            upload_error,
            rules: rules.len(),
            digest: rules.digest().chars().take(12).collect(),
            max_upload: size(svc::MAX_UPLOAD as i64),
            max_file: size(limits.max_file_size as i64),
        },
    ))
}

async fn scans(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<ScanQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    scans_render(
        &state,
        &parts,
        &actor,
        &by,
        q,
        StatusCode::OK,
        Errors::none(),
        String::new(),
    )
    .await
}

async fn upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    form: CsrfUpload,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let member = form.fields.get("member").cloned();
    let result = svc::upload(
        &state.store,
        &by,
        "ui",
        member.as_deref(),
        &form.filename,
        form.bytes,
        state.now(),
    )
    .await;
    let lang = crate::extract::request_lang(&parts);
    let q = ScanQuery {
        member: member.clone(),
        page: None,
    };
    match result {
        Ok(d) => Ok(see_other(&format!("/watch/webshell/{}", d.scan.scan.id))),
        Err(Error::BadRequest { detail, .. }) => {
            scans_render(
                &state,
                &parts,
                &actor,
                &by,
                q,
                StatusCode::BAD_REQUEST,
                Errors::none(),
                detail,
            )
            .await
        }
        Err(Error::Invalid(fields)) => {
            let errors = Errors::from_fields(lang, &fields);
            scans_render(
                &state,
                &parts,
                &actor,
                &by,
                q,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

struct FindingLine {
    path: String,
    sha256: String,
    rule: String,
    severity: String,
    severity_label: String,
    description: String,
    alert_id: Option<String>,
    /// `$id @ offset: data` per match.
    matches: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "watch_webshell_scan.html")]
struct ScanTpl<'a> {
    page: &'a Page,
    s: ScanView,
    origin: String,
    when: String,
    took: String,
    size: String,
    findings: Vec<FindingLine>,
    skipped: Vec<(String, String)>,
    more_skipped: i64,
}

async fn scan(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let d = svc::scan(&state.store, &by, &id).await?;
    let page = page(&state, &parts, &actor, "webshell-scan-title", SECTION).await?;
    let findings = d
        .findings
        .iter()
        .map(|f| FindingLine {
            path: f.finding.path.clone(),
            sha256: f.finding.sha256.clone(),
            rule: f.finding.rule.clone(),
            severity: f.finding.severity.clone(),
            severity_label: page.t(&format!("severity-{}", f.finding.severity)),
            description: f.finding.description.clone(),
            alert_id: f.finding.alert_id.clone(),
            matches: f
                .matches_list
                .iter()
                .map(|m| (format!("{} @ {}", m.id, m.offset), m.data.clone()))
                .collect(),
        })
        .collect();
    let skipped: Vec<(String, String)> = d
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason.to_string()))
        .collect();
    let more_skipped = d.scan.scan.skipped - skipped.len() as i64;
    let took_ms = d.scan.scan.finished_at - d.scan.scan.started_at;
    Ok(render(
        StatusCode::OK,
        &page,
        &ScanTpl {
            origin: page.t(&format!("webshell-origin-{}", d.scan.scan.origin)),
            when: page.time(Timestamp(d.scan.scan.started_at)),
            took: format!("{:.1} s", took_ms as f64 / 1000.0),
            size: size(d.scan.scan.archive_bytes),
            page: &page,
            s: d.scan,
            findings,
            skipped,
            more_skipped,
        },
    ))
}
