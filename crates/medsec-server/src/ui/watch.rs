//! Watch pages: members' log sources with today's counts, silence and
//! error samples; the ISAC sets sources up here, a hospital sees its own.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::{OrgKind, Permission, Timestamp};
use medsec_store::watch::{IngestErrorRow, LogSourceRow};

use super::{Errors, LinkTpl, Page, form_status, ok, page, render, see_other};
use crate::api::sustain::as_member;
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Id};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::watch::{self as svc, SourceForm};

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/search", get(search))
        .ui(
            User,
            Method::GET,
            "/watch/search/export/{format}",
            get(search_export),
        )
        .ui(User, Method::GET, "/watch/sources", get(sources))
        .ui(User, Method::POST, "/watch/sources", post(source_add))
        .ui(
            User,
            Method::GET,
            "/watch/sources/{source_id}",
            get(source_show),
        )
        .ui(
            User,
            Method::POST,
            "/watch/sources/{source_id}/enabled",
            post(source_enabled),
        )
        .ui(
            User,
            Method::POST,
            "/watch/sources/{source_id}/delete",
            post(source_delete),
        )
}

/// A source as a table row.
struct SourceLine {
    id: String,
    member: String,
    name: String,
    transport: String,
    port: String,
    format: String,
    enabled: bool,
    last_event: String,
    silent: bool,
    today_events: i64,
    today_bytes: String,
    today_parse_errors: i64,
    today_dropped: i64,
    /// Events per second over the last minute, from the receivers'
    /// counters ("–" when this node has no rate for the source).
    rate: String,
    /// Open TCP and TLS connections now.
    connections: i64,
}

/// A rate as the sources pages show it: more digits for slow sources.
fn rate_text(rate: Option<f64>) -> String {
    match rate {
        None => "–".to_owned(),
        Some(r) if r >= 100.0 => format!("{r:.0}"),
        Some(r) if r >= 10.0 => format!("{r:.1}"),
        Some(r) if r > 0.0 => format!("{r:.2}"),
        Some(_) => "0".to_owned(),
    }
}

/// The Korean calendar day (UTC+9) of a time: ingest counts are kept per
/// Korean day.
fn day_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000) + 9 * 3600)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

fn bytes(n: i64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

#[derive(Template)]
#[template(path = "watch_sources.html")]
struct SourcesTpl<'a> {
    page: &'a Page,
    isac: bool,
    lines: Vec<SourceLine>,
    members: Vec<(String, String)>,
    formats: Vec<String>,
    errors: Errors,
    form: SourceForm,
}

async fn lines(
    state: &AppState,
    page: &Page,
    rows: Vec<LogSourceRow>,
    scope: medsec_store::watch::MemberScope<'_>,
) -> Result<Vec<SourceLine>> {
    let today = day_of(Timestamp::now().0);
    let counts = state.store.ingest_days(scope, &today, &today).await?;
    let orgs = state.store.list_orgs().await?;
    let now_ms = state.now().0;
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = counts.iter().find(|c| c.source_id == r.id);
            let live = svc::live(state, &r.id, now_ms);
            SourceLine {
                member: orgs
                    .iter()
                    .find(|o| o.id == r.member_id)
                    .map_or_else(|| r.member_id.clone(), |o| o.name.clone()),
                port: r.port.map(|p| p.to_string()).unwrap_or_default(),
                last_event: r
                    .last_event_at
                    .map(|t| page.time(Timestamp(t)))
                    .unwrap_or_else(|| page.t("watch-never")),
                silent: r.silent_since.is_some(),
                today_events: c.map_or(0, |c| c.events),
                today_bytes: bytes(c.map_or(0, |c| c.bytes)),
                today_parse_errors: c.map_or(0, |c| c.parse_errors),
                today_dropped: c.map_or(0, |c| c.dropped),
                rate: rate_text(live.and_then(|l| l.rate)),
                connections: live.map_or(0, |l| l.connections),
                id: r.id,
                name: r.name,
                transport: r.transport,
                format: r.format,
                enabled: r.enabled,
            }
        })
        .collect())
}

async fn sources_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    form: SourceForm,
) -> Result<Response> {
    let by = as_member(state, actor, Permission::Read).await?;
    let scope = svc::scope(&by)?;
    let page = page(state, parts, actor, "watch-sources-title", "watch-sources").await?;
    let rows = state.store.log_sources(scope).await?;
    let lines = lines(state, &page, rows, scope).await?;
    let isac = by.org_kind == OrgKind::Isac && actor.has(Permission::Write);
    let members = if isac {
        state
            .store
            .list_orgs()
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Hospital && o.enabled)
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut formats: Vec<String> = svc::FORMATS.iter().map(|f| (*f).to_owned()).collect();
    formats.extend(
        state
            .store
            .decoders()
            .await?
            .into_iter()
            .filter(|d| d.active)
            .map(|d| d.name),
    );
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &SourcesTpl {
            page: &page,
            isac,
            lines,
            members,
            formats,
            errors,
            form,
        },
    ))
}

async fn sources(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    sources_render(
        &state,
        &parts,
        &actor,
        Errors::none(),
        SourceForm::default(),
    )
    .await
}

/// The form: empty numbers come as empty strings.
#[derive(serde::Deserialize)]
struct SourceAddForm {
    member: String,
    name: String,
    transport: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    silent_after: String,
}

async fn source_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<SourceAddForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let mut bad = Vec::new();
    let port = match f.port.trim() {
        "" => None,
        p => match p.parse::<u16>() {
            Ok(p) => Some(p),
            Err(_) => {
                bad.push(medsec_core::validate::FieldError::range(
                    "port",
                    1,
                    i64::from(u16::MAX),
                ));
                None
            }
        },
    };
    let silent_after = match f.silent_after.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(m) => Some(m.saturating_mul(60)),
            Err(_) => {
                bad.push(medsec_core::validate::FieldError::new(
                    "silent_after",
                    "not_a_number",
                ));
                None
            }
        },
    };
    let form = SourceForm {
        member: f.member,
        name: f.name,
        transport: f.transport,
        port,
        format: Some(f.format).filter(|s| !s.trim().is_empty()),
        certificate: Some(f.certificate).filter(|s| !s.trim().is_empty()),
        silent_after,
    };
    let result = if bad.is_empty() {
        svc::source_create(&state.store, &by, &form).await
    } else {
        Err(Error::Invalid(bad))
    };
    match result {
        Ok(created) => match created.token {
            Some(token) => {
                let page = page(
                    &state,
                    &parts,
                    &actor,
                    "watch-sources-title",
                    "watch-sources",
                )
                .await?;
                let tpl = LinkTpl {
                    page: &page,
                    heading: page.t("watch-token-heading"),
                    intro: created.source.name.clone(),
                    label: page.t("watch-token-label"),
                    value: token,
                    note: page.t("watch-token-note"),
                    back: "/watch/sources".into(),
                };
                Ok(ok(&page, &tpl))
            }
            None => Ok(see_other(&format!("/watch/sources/{}", created.source.id))),
        },
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            sources_render(&state, &parts, &actor, errors, form).await
        }
    }
}

struct DayLine {
    day: String,
    events: i64,
    bytes: String,
    parse_errors: i64,
    dropped: i64,
}

struct ErrorLine {
    time: String,
    kind: String,
    message: String,
    sample: String,
}

#[derive(Template)]
#[template(path = "watch_source.html")]
struct SourceTpl<'a> {
    page: &'a Page,
    isac: bool,
    source: SourceLine,
    silent_after_min: i64,
    days: Vec<DayLine>,
    samples: Vec<ErrorLine>,
}

async fn source_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let scope = svc::scope(&by)?;
    let Some(row) = state.store.log_source(scope, &id).await? else {
        return Err(Error::NotFound);
    };
    let page = page(
        &state,
        &parts,
        &actor,
        "watch-source-title",
        "watch-sources",
    )
    .await?;
    let now = Timestamp::now().0;
    let from = day_of(now - 30 * 86_400_000);
    let days = state
        .store
        .ingest_days(scope, &from, &day_of(now))
        .await?
        .into_iter()
        .filter(|d| d.source_id == row.id)
        .rev()
        .map(|d| DayLine {
            day: d.day,
            events: d.events,
            bytes: bytes(d.bytes),
            parse_errors: d.parse_errors,
            dropped: d.dropped,
        })
        .collect();
    let samples = state
        .store
        .ingest_errors(scope, &row.id, 50)
        .await?
        .into_iter()
        .map(|e: IngestErrorRow| ErrorLine {
            time: page.time(Timestamp(e.at)),
            kind: e.kind,
            message: e.message,
            sample: e.sample,
        })
        .collect();
    let silent_after_min = row.silent_after / 60;
    let source = lines(&state, &page, vec![row], scope)
        .await?
        .pop()
        .ok_or(Error::NotFound)?;
    let isac = by.org_kind == OrgKind::Isac && actor.has(Permission::Write);
    Ok(ok(
        &page,
        &SourceTpl {
            page: &page,
            isac,
            source,
            silent_after_min,
            days,
            samples,
        },
    ))
}

#[derive(serde::Deserialize)]
struct EnabledForm {
    enabled: String,
}

async fn source_enabled(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<EnabledForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let change = svc::SourceChangeForm {
        enabled: Some(f.enabled == "true"),
        ..Default::default()
    };
    svc::source_update(&state.store, &by, &id, &change).await?;
    Ok(see_other(&format!("/watch/sources/{id}")))
}

async fn source_delete(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::source_delete(&state.store, &by, &id).await?;
    Ok(see_other("/watch/sources"))
}

// --- search ------------------------------------------------------------------

/// The query string of the search page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
struct SearchForm {
    #[serde(default)]
    q: String,
    /// A quick range (`15m`, `1h`, `24h`, `7d`, `30d`) or `custom`.
    #[serde(default)]
    range: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    cursor: String,
}

struct EventLine {
    time: String,
    member: String,
    host: String,
    action: String,
    source_ip: String,
    destination: String,
    user: String,
    summary: String,
    raw: String,
    error: bool,
}

#[derive(Template)]
#[template(path = "watch_search.html")]
struct SearchTpl<'a> {
    page: &'a Page,
    isac: bool,
    form: SearchForm,
    members: Vec<(String, String)>,
    ranges: Vec<(&'static str, String)>,
    error: Option<String>,
    total: u64,
    lines: Vec<EventLine>,
    histogram_svg: String,
    next_link: Option<String>,
    export_query: String,
}

/// The quick ranges of the form, in seconds.
const RANGES: &[(&str, i64)] = &[
    ("15m", 900),
    ("1h", 3600),
    ("24h", 86_400),
    ("7d", 7 * 86_400),
    ("30d", 30 * 86_400),
];

/// Bars of the histogram as an inline SVG (numbers only: safe unescaped).
fn histogram_svg(h: &medsec_events::Histogram) -> String {
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1);
    let n = h.counts.len().max(1);
    let (w, height) = (600.0_f64, 80.0_f64);
    let bar = w / n as f64;
    let mut svg = format!(
        "<svg class=\"histogram\" viewBox=\"0 0 {w} {height}\" role=\"img\" preserveAspectRatio=\"none\">"
    );
    for (i, c) in h.counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let bh = (*c as f64 / max as f64) * height;
        svg.push_str(&format!(
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"><title>{c}</title></rect>",
            i as f64 * bar,
            height - bh,
            (bar - 0.5).max(0.5),
            bh
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn text_of(ev: &medsec_logs::Event, field: &str) -> String {
    ev.fields
        .get(field)
        .map(|v| v.to_text())
        .unwrap_or_default()
}

async fn search(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    crate::extract::Query(mut form): crate::extract::Query<SearchForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let scope = svc::scope(&by)?;
    let page = page(&state, &parts, &actor, "watch-search-title", "watch-search").await?;
    let isac = matches!(scope, medsec_store::watch::MemberScope::All);
    let members: Vec<(String, String)> = if isac {
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
    if form.range.is_empty() {
        form.range = "24h".into();
    }
    let ranges = RANGES
        .iter()
        .map(|(k, _)| (*k, page.t(&format!("watch-range-{k}"))))
        .chain(std::iter::once(("custom", page.t("watch-range-custom"))))
        .collect();
    let now_ns = state.now().0.saturating_mul(1_000_000);
    let (from, to) = match RANGES.iter().find(|(k, _)| *k == form.range) {
        Some((_, secs)) => (
            Some(medsec_events::rfc3339(now_ns - secs * 1_000_000_000)),
            Some(medsec_events::rfc3339(now_ns)),
        ),
        None => (Some(form.from.clone()), Some(form.to.clone())),
    };
    let params = svc::SearchParams {
        q: form.q.clone(),
        from,
        to,
        member: Some(form.member.clone()).filter(|m| isac && !m.is_empty()),
        size: Some(100),
        cursor: Some(form.cursor.clone()).filter(|c| !c.is_empty()),
    };
    let mut tpl = SearchTpl {
        page: &page,
        isac,
        members,
        ranges,
        error: None,
        total: 0,
        lines: Vec::new(),
        histogram_svg: String::new(),
        next_link: None,
        export_query: String::new(),
        form: form.clone(),
    };
    match svc::search(&state, &by, &params).await {
        Ok(result) => {
            tpl.total = result.total;
            tpl.histogram_svg = result
                .histogram
                .as_ref()
                .map(histogram_svg)
                .unwrap_or_default();
            tpl.lines = result
                .events
                .iter()
                .map(|ev| EventLine {
                    time: page.time(Timestamp(ev.timestamp.div_euclid(1_000_000))),
                    member: result
                        .members
                        .get(&ev.member)
                        .cloned()
                        .unwrap_or_else(|| ev.member.clone()),
                    host: text_of(ev, "host.name"),
                    action: text_of(ev, "event.action"),
                    source_ip: text_of(ev, "source.ip"),
                    destination: match (
                        text_of(ev, "destination.ip"),
                        text_of(ev, "destination.port"),
                    ) {
                        (ip, port) if !port.is_empty() => format!("{ip}:{port}"),
                        (ip, _) => ip,
                    },
                    user: text_of(ev, "user.name"),
                    summary: text_of(ev, "message"),
                    raw: ev.raw.clone(),
                    error: ev.fields.get("error.message").is_some(),
                })
                .collect();
            let base = serde_urlencoded::to_string([
                ("q", form.q.as_str()),
                ("range", form.range.as_str()),
                ("from", params.from.as_deref().unwrap_or("")),
                ("to", params.to.as_deref().unwrap_or("")),
                ("member", form.member.as_str()),
            ])
            .unwrap_or_default();
            // The next page keeps the same absolute range, so the cursor
            // stays valid while time passes.
            let fixed = serde_urlencoded::to_string([
                ("q", form.q.as_str()),
                ("range", "custom"),
                ("from", params.from.as_deref().unwrap_or("")),
                ("to", params.to.as_deref().unwrap_or("")),
                ("member", form.member.as_str()),
            ])
            .unwrap_or_default();
            tpl.next_link = result.next.map(|c| {
                format!(
                    "/watch/search?{fixed}&{}",
                    serde_urlencoded::to_string([("cursor", c.as_str())]).unwrap_or_default()
                )
            });
            tpl.export_query = base;
        }
        Err(Error::BadRequest { detail, .. }) => tpl.error = Some(detail),
        Err(Error::Invalid(fields)) => {
            tpl.error = Some(
                Errors::from_fields(crate::extract::request_lang(&parts), &fields)
                    .all()
                    .join(" "),
            )
        }
        Err(e) => return Err(e),
    }
    let status = if tpl.error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok(render(status, &page, &tpl))
}

/// The search's matches as a download (CSV or NDJSON).
async fn search_export(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    axum::extract::Path(format): axum::extract::Path<String>,
    crate::extract::Query(form): crate::extract::Query<SearchForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let isac = matches!(svc::scope(&by)?, medsec_store::watch::MemberScope::All);
    let (format, content_type, ext) = match format.as_str() {
        "csv" => (svc::ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "ndjson" => (svc::ExportFormat::Ndjson, "application/x-ndjson", "ndjson"),
        _ => return Err(Error::NotFound),
    };
    let params = svc::SearchParams {
        q: form.q,
        from: Some(form.from).filter(|f| !f.is_empty()),
        to: Some(form.to).filter(|t| !t.is_empty()),
        member: Some(form.member).filter(|m| isac && !m.is_empty()),
        size: None,
        cursor: None,
    };
    let bytes = svc::export(&state, &by, &params, format).await?;
    Ok(crate::assure::attachment(
        bytes,
        content_type,
        &format!("medsec-events.{ext}"),
    ))
}
