//! The watch API: members' log sources with their daily counts and error
//! samples, masking rules and retention. The same rules as the UI and the
//! CLI (all call [`crate::watch`]): the ISAC sees and sets up every member,
//! a hospital reads its own.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, patch, post, put};
use medsec_core::{Permission, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use super::sustain::as_member;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::watch as svc;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.api(
        User,
        Method::GET,
        "/api/v1/watch/sources",
        get(list_sources),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/sources",
        post(create_source),
    )
    .api(
        User,
        Method::PATCH,
        "/api/v1/watch/sources/{source_id}",
        patch(update_source),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/watch/sources/{source_id}",
        delete(delete_source),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/sources/{source_id}/errors",
        get(source_errors),
    )
    .api(User, Method::GET, "/api/v1/watch/usage", get(usage))
    .api(
        User,
        Method::GET,
        "/api/v1/watch/masking",
        get(list_masking),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/masking",
        post(add_masking),
    )
    .api(
        User,
        Method::PATCH,
        "/api/v1/watch/masking/{rule_id}",
        patch(enable_masking),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/watch/retention",
        put(set_retention),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/decoders",
        get(list_decoders),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/decoders",
        post(save_decoder),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/decoders/test",
        post(test_decoder),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/decoders/{decoder_name}/activate",
        post(activate_decoder),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/watch/decoders/{decoder_name}/deactivate",
        post(deactivate_decoder),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/watch/decoders/{decoder_name}",
        delete(delete_decoder),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/events",
        get(search_events),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/watch/events/export",
        get(export_events),
    )
    .api(
        Access::Public,
        Method::POST,
        "/api/v1/ingest",
        post(ingest).layer(axum::extract::DefaultBodyLimit::max(
            medsec_ingest::http::MAX_BODY,
        )),
    )
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The caller's log sources: every member's for the ISAC, its own for a
/// hospital.
#[utoipa::path(get, path = "/api/v1/watch/sources", tag = "watch", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not the ISAC or a hospital", body = ErrorBody)))]
async fn list_sources(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = state.store.log_sources(svc::scope(&by)?).await?;
    Ok(Json(json!({"sources": to_value(&rows)?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceBody {
    /// The member hospital's id or name.
    pub member: String,
    pub name: String,
    /// `udp`, `tcp`, `tls`, `http` or `file`.
    pub transport: String,
    /// The listener port of a `udp` or `tcp` source.
    pub port: Option<u16>,
    /// A built-in format (`auto`, `rfc5424`, `cef`, …) or an active decoder.
    pub format: Option<String>,
    /// The member's client certificate (PEM) for `tls`.
    pub certificate: Option<String>,
    /// Seconds without events before the source is reported silent (0 = never).
    pub silent_after: Option<i64>,
}

/// Sets up a member's source (ISAC only). For `http` the answer holds the
/// ingest token, shown once.
#[utoipa::path(post, path = "/api/v1/watch/sources", tag = "watch", security(("bearer" = [])), request_body = SourceBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 409, description = "Name, port or certificate taken", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn create_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<SourceBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let form = svc::SourceForm {
        member: body.member,
        name: body.name,
        transport: body.transport,
        port: body.port,
        format: body.format,
        certificate: body.certificate,
        silent_after: body.silent_after,
    };
    let created = svc::source_create(&state.store, &by, &form).await?;
    Ok((StatusCode::CREATED, Json(to_value(&created)?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceChangeBody {
    pub format: Option<String>,
    pub silent_after: Option<i64>,
    pub enabled: Option<bool>,
    /// A renewed client certificate (PEM) of a `tls` source.
    pub certificate: Option<String>,
    /// Issue a new token for an `http` source (the old one stops working).
    #[serde(default)]
    pub renew_token: bool,
}

/// Changes a source (ISAC only).
#[utoipa::path(patch, path = "/api/v1/watch/sources/{source_id}", tag = "watch", security(("bearer" = [])), request_body = SourceChangeBody, params(("source_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn update_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<SourceChangeBody>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let form = svc::SourceChangeForm {
        format: body.format,
        silent_after: body.silent_after,
        enabled: body.enabled,
        certificate: body.certificate,
        renew_token: body.renew_token,
    };
    let changed = svc::source_update(&state.store, &by, &id, &form).await?;
    Ok(Json(to_value(&changed)?))
}

/// Deletes a source (ISAC only); its events stay until their retention ends.
#[utoipa::path(delete, path = "/api/v1/watch/sources/{source_id}", tag = "watch", security(("bearer" = [])), params(("source_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete_source(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::source_delete(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest rejected or unparsable messages of a source.
#[utoipa::path(get, path = "/api/v1/watch/sources/{source_id}/errors", tag = "watch", security(("bearer" = [])), params(("source_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn source_errors(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let scope = svc::scope(&by)?;
    if state.store.log_source(scope, &id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let rows = state.store.ingest_errors(scope, &id, 50).await?;
    Ok(Json(json!({"errors": to_value(&rows)?})))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UsageQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days ago).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today); days are Korean calendar days.
    pub to: Option<String>,
}

/// Events, bytes, parse errors and drops per source and UTC day: what a
/// member sent (billing) and how its sources are doing.
#[utoipa::path(get, path = "/api/v1/watch/usage", tag = "watch", security(("bearer" = [])), params(UsageQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 422, description = "Bad day", body = ErrorBody)))]
async fn usage(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let now = Timestamp::now();
    let day = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000) + 9 * 3600)
            .map(|t| t.date().to_string())
            .unwrap_or_default()
    };
    let from = q.from.unwrap_or_else(|| day(now.0 - 30 * 86_400_000));
    let to = q.to.unwrap_or_else(|| day(now.0));
    for (field, d) in [("from", &from), ("to", &to)] {
        if time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_err()
        {
            return Err(Error::field(field, "invalid_date"));
        }
    }
    let rows = state
        .store
        .ingest_days(svc::scope(&by)?, &from, &to)
        .await?;
    Ok(Json(
        json!({"from": from, "to": to, "days": to_value(&rows)?}),
    ))
}

/// The masking rules that apply to the caller's members.
#[utoipa::path(get, path = "/api/v1/watch/masking", tag = "watch", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn list_masking(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = state.store.masking_rules(svc::scope(&by)?).await?;
    Ok(Json(json!({"rules": to_value(&rows)?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MaskingBody {
    /// One member (id or name); absent = every member.
    pub member: Option<String>,
    pub name: String,
    /// A regular expression for patient ids (Rust `regex` syntax).
    pub pattern: String,
}

/// Adds a patient-id masking rule (ISAC only).
#[utoipa::path(post, path = "/api/v1/watch/masking", tag = "watch", security(("bearer" = [])), request_body = MaskingBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 422, description = "Invalid pattern", body = ErrorBody)))]
async fn add_masking(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<MaskingBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let row = svc::masking_add(
        &state.store,
        &by,
        body.member.as_deref(),
        &body.name,
        &body.pattern,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"rule": to_value(&row)?}))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MaskingChangeBody {
    pub enabled: bool,
}

/// Turns a masking rule on or off (ISAC only).
#[utoipa::path(patch, path = "/api/v1/watch/masking/{rule_id}", tag = "watch", security(("bearer" = [])), request_body = MaskingChangeBody, params(("rule_id" = String, Path)),
    responses((status = 204, description = "Changed"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn enable_masking(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<MaskingChangeBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::masking_enable(&state.store, &by, &id, body.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RetentionBody {
    /// The member hospital's id or name.
    pub member: String,
    /// 1 to 3650 days.
    pub retention_days: i64,
}

/// Sets how long a member's events are kept (ISAC only).
#[utoipa::path(put, path = "/api/v1/watch/retention", tag = "watch", security(("bearer" = [])), request_body = RetentionBody,
    responses((status = 204, description = "Set"), (status = 422, description = "Out of range", body = ErrorBody)))]
async fn set_retention(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<RetentionBody>,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::retention_set(&state.store, &by, &body.member, body.retention_days).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A decoder as the API shows it: the draft (`definition`), the version
/// in service (`active_definition`, null when not in service) and whether
/// the draft has changes not active yet.
#[derive(serde::Serialize)]
struct DecoderJson<'a> {
    #[serde(flatten)]
    row: &'a medsec_store::watch::DecoderRow,
    changes_pending: bool,
}

impl<'a> DecoderJson<'a> {
    fn of(row: &'a medsec_store::watch::DecoderRow) -> DecoderJson<'a> {
        DecoderJson {
            row,
            changes_pending: row.changes_pending(),
        }
    }
}

/// The analyst-defined decoders: each one's draft, its version in service
/// and whether the draft differs from it.
#[utoipa::path(get, path = "/api/v1/watch/decoders", tag = "watch", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn list_decoders(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    svc::scope(&by)?;
    let rows = state.store.decoders().await?;
    let decoders: Vec<DecoderJson> = rows.iter().map(DecoderJson::of).collect();
    Ok(Json(json!({"decoders": to_value(&decoders)?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecoderBody {
    /// One decoder definition in TOML (docs/decoders.md).
    pub definition: String,
}

/// Stores a decoder definition as the decoder's draft and runs its
/// samples; a decoder in service stays in service with its earlier
/// definition until the draft is activated. A definition that does not
/// compile is a 400 naming the pattern and position.
#[utoipa::path(post, path = "/api/v1/watch/decoders", tag = "watch", security(("bearer" = [])), request_body = DecoderBody,
    responses((status = 201, description = "Stored, with the samples' results", content_type = "application/json"), (status = 400, description = "Does not compile", body = ErrorBody)))]
async fn save_decoder(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<DecoderBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let (row, test) = svc::decoder_save(&state.store, &by, &body.definition).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"decoder": to_value(&DecoderJson::of(&row))?, "test": to_value(&test)?})),
    ))
}

/// Runs a definition's samples without storing it.
#[utoipa::path(post, path = "/api/v1/watch/decoders/test", tag = "watch", security(("bearer" = [])), request_body = DecoderBody,
    responses((status = 200, description = "The samples' results", content_type = "application/json"), (status = 400, description = "Does not compile", body = ErrorBody)))]
async fn test_decoder(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<DecoderBody>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    svc::scope(&by)?;
    let test = svc::decoder_test(&body.definition)?;
    Ok(Json(json!({"test": to_value(&test)?})))
}

/// Puts a stored decoder's draft in service, replacing the version in
/// service if there is one: only when all the draft's samples pass.
/// `replaced` says whether an earlier, different version was in service.
#[utoipa::path(post, path = "/api/v1/watch/decoders/{decoder_name}/activate", tag = "watch", security(("bearer" = [])), params(("decoder_name" = String, Path)),
    responses((status = 200, description = "In service", content_type = "application/json"), (status = 400, description = "A sample failed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn activate_decoder(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(name): Id,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let done = svc::decoder_activate(&state.store, &by, &name).await?;
    Ok(Json(json!({
        "test": to_value(&done.test)?,
        "decoder": to_value(&DecoderJson::of(&done.decoder))?,
        "replaced": done.replaced,
    })))
}

/// Takes a decoder out of service (its draft stays); refused while a
/// source uses it (409 naming the sources).
#[utoipa::path(post, path = "/api/v1/watch/decoders/{decoder_name}/deactivate", tag = "watch", security(("bearer" = [])), params(("decoder_name" = String, Path)),
    responses((status = 204, description = "Not in service"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "A source uses it", body = ErrorBody)))]
async fn deactivate_decoder(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(name): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::decoder_deactivate(&state.store, &by, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a decoder no source uses (409 naming the sources when one
/// does).
#[utoipa::path(delete, path = "/api/v1/watch/decoders/{decoder_name}", tag = "watch", security(("bearer" = [])), params(("decoder_name" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "A source uses it", body = ErrorBody)))]
async fn delete_decoder(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(name): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    svc::decoder_delete(&state.store, &by, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Searches the collected events: the ISAC every member's (or one
/// member's with `member`), a hospital its own. Newest first, with the
/// exact total, a histogram over the range and the next page's cursor.
#[utoipa::path(get, path = "/api/v1/watch/events", tag = "watch", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, description = "One page", content_type = "application/json"), (status = 400, description = "The query does not parse (the column is named)", body = ErrorBody)))]
async fn search_events(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let page = svc::search(&state, &by, &q.into()).await?;
    Ok(Json(json!({
        "total": page.total,
        "from": medsec_events::rfc3339(page.from),
        "to": medsec_events::rfc3339(page.to),
        "events": page.events.iter().map(|e| svc::event_json(e, &page.members)).collect::<Vec<_>>(),
        "histogram": page.histogram.map(|h| json!({"from": medsec_events::rfc3339(h.from), "width_seconds": h.width / 1_000_000_000, "counts": h.counts})),
        "next": page.next,
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// The query (docs/search.md); empty = every event.
    #[serde(default)]
    pub q: String,
    /// RFC 3339 start (default: 24 hours before `to`).
    pub from: Option<String>,
    /// RFC 3339 end, exclusive (default: now).
    pub to: Option<String>,
    /// One member's events (id or name; ISAC users only).
    pub member: Option<String>,
    /// Events per page, 1 to 1,000 (default 100).
    pub size: Option<usize>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Export format: `csv` or `ndjson`.
    pub format: Option<String>,
}

impl From<SearchQuery> for svc::SearchParams {
    fn from(q: SearchQuery) -> svc::SearchParams {
        svc::SearchParams {
            q: q.q,
            from: q.from,
            to: q.to,
            member: q.member,
            size: q.size,
            cursor: q.cursor,
        }
    }
}

/// Every match of a search, oldest first, as CSV (with a BOM, cells that
/// look like formulas neutralised) or NDJSON; at most 1,000,000 events.
#[utoipa::path(get, path = "/api/v1/watch/events/export", tag = "watch", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, description = "The events", content_type = "text/csv"), (status = 400, description = "Bad query", body = ErrorBody)))]
async fn export_events(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<SearchQuery>,
) -> Result<axum::response::Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let (format, content_type, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (svc::ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "ndjson" => (svc::ExportFormat::Ndjson, "application/x-ndjson", "ndjson"),
        _ => return Err(Error::field("format", "invalid_choice")),
    };
    let bytes = svc::export(&state, &by, &q.into(), format).await?;
    Ok(crate::assure::attachment(
        bytes,
        content_type,
        &format!("medsec-events.{ext}"),
    ))
}

/// Receives a member's logs as NDJSON (one message a line, gzip allowed
/// with `Content-Encoding: gzip`), authenticated by the source's token
/// (`Authorization: Bearer msi_…`). 200 only once every line is stored.
#[utoipa::path(post, path = "/api/v1/ingest", tag = "watch", security(("bearer" = [])),
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, description = "Stored", content_type = "application/json"), (status = 401, description = "Unknown or disabled token", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 503, description = "Not stored; retry", body = ErrorBody)))]
async fn ingest(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    use medsec_ingest::http::HttpError;
    let Some(watch) = state.watch.get() else {
        return Err(Error::Busy);
    };
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Error::Unauthenticated)?;
    let gzip = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    match medsec_ingest::http::ingest(&watch.ingest, token.trim(), &body, gzip).await {
        Ok(report) => Ok(Json(to_value(&report)?)),
        Err(HttpError::Unauthorized) => Err(Error::Unauthenticated),
        Err(HttpError::Gzip(detail)) => Err(Error::BadRequest {
            code: "gzip",
            detail,
        }),
        Err(HttpError::TooLarge) => Err(Error::PayloadTooLarge),
        Err(HttpError::Store) => Err(Error::Busy),
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(search_events, export_events, ingest, list_sources, create_source, update_source, delete_source, source_errors, usage, list_masking, add_masking, enable_masking, set_retention,
        list_decoders, save_decoder, test_decoder, activate_decoder, deactivate_decoder, delete_decoder),
    components(schemas(SourceBody, SourceChangeBody, MaskingBody, MaskingChangeBody, RetentionBody, DecoderBody)),
    tags((name = "watch", description = "ISAC log collection: members' sources, masking, retention, usage")),
)]
pub struct WatchDoc;
