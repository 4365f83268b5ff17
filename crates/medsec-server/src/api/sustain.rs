//! The postmarket API: the vulnerability database's state, SBOM scans,
//! products and releases with their findings, VEX statements, the
//! portfolio, alias rules, sharing with hospitals, hospital inventories
//! and their exposure, notifications and webhooks. The same rules as the
//! UI and the CLI (all call [`crate::sustain`] and [`crate::inventory`]).

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use medsec_core::{OrgKind, Permission, Timestamp};
use medsec_store::releases::FindingOrder;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ErrorBody;
use crate::assure::{By, as_maker, attachment};
use crate::auth::{Actor, ApiUser};
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::{inventory, sustain as svc};

/// The largest SBOM accepted in a request body.
pub const SBOM_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let sbom = || DefaultBodyLimit::max(SBOM_LIMIT + 1024 * 1024);
    r.api(User, Method::GET, "/api/v1/feeds", get(feeds))
        .api(
            User,
            Method::POST,
            "/api/v1/sbom/scan",
            post(scan).layer(sbom()),
        )
        .api(User, Method::GET, "/api/v1/releases", get(list_releases))
        .api(
            User,
            Method::POST,
            "/api/v1/releases",
            post(create_release).layer(sbom()),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/releases/{release_id}",
            get(get_release),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/releases/{release_id}/sbom",
            get(release_sbom),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/releases/{release_id}/vex",
            post(record_vex),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/releases/{release_id}/vex/import",
            post(import_vex).layer(sbom()),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/releases/{release_id}/vex",
            get(export_vex),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/releases/{release_id}/shares",
            post(share),
        )
        .api(
            User,
            Method::DELETE,
            "/api/v1/vex/{vex_id}",
            delete(delete_vex),
        )
        .api(User, Method::GET, "/api/v1/findings", get(findings))
        .api(User, Method::GET, "/api/v1/portfolio", get(portfolio))
        .api(User, Method::GET, "/api/v1/components/used", get(used))
        .api(User, Method::GET, "/api/v1/alias-rules", get(list_aliases))
        .api(User, Method::POST, "/api/v1/alias-rules", post(add_alias))
        .api(
            User,
            Method::DELETE,
            "/api/v1/alias-rules/{rule_id}",
            delete(delete_alias),
        )
        .api(User, Method::GET, "/api/v1/inventory", get(list_inventory))
        .api(User, Method::POST, "/api/v1/inventory", post(add_device))
        .api(
            User,
            Method::DELETE,
            "/api/v1/inventory/{inventory_id}",
            delete(remove_device),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/inventory/exposure",
            get(exposure),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/shared-releases",
            get(shared_releases),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/shared-releases/{release_id}/sbom",
            get(shared_sbom),
        )
        .api(
            User,
            Method::GET,
            "/api/v1/notifications",
            get(notifications),
        )
        .api(
            User,
            Method::POST,
            "/api/v1/notifications/read",
            post(read_notifications),
        )
        .api(User, Method::GET, "/api/v1/webhooks", get(list_webhooks))
        .api(User, Method::POST, "/api/v1/webhooks", post(add_webhook))
        .api(
            User,
            Method::DELETE,
            "/api/v1/webhooks/{webhook_id}",
            delete(delete_webhook),
        )
}

fn permission(write: bool) -> Permission {
    if write {
        Permission::Write
    } else {
        Permission::Read
    }
}

/// The caller, if a hospital's user with the permission.
pub async fn as_hospital(state: &AppState, actor: &Actor, write: bool) -> Result<By> {
    actor.require(state, permission(write)).await?;
    if actor.org.kind != OrgKind::Hospital {
        return Err(Error::Forbidden);
    }
    Ok(By::of(actor))
}

/// The caller, any organisation, with the permission.
pub async fn as_member(state: &AppState, actor: &Actor, permission: Permission) -> Result<By> {
    actor.require(state, permission).await?;
    Ok(By::of(actor))
}

fn to_value(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The vulnerability database: records per feed, what the index holds,
/// the last imports.
#[utoipa::path(get, path = "/api/v1/feeds", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn feeds(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<Json<Value>> {
    as_member(&state, &actor, Permission::Read).await?;
    Ok(Json(svc::feed_status(&state).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScanBody {
    /// The SBOM document as text (CycloneDX JSON/XML, SPDX 2 JSON or
    /// tag-value, SPDX 3 JSON-LD).
    pub sbom: String,
}

/// Matches an SBOM against the database without storing anything.
#[utoipa::path(post, path = "/api/v1/sbom/scan", tag = "sustain", security(("bearer" = [])), request_body = ScanBody,
    responses((status = 200, description = "Findings with explanations", content_type = "application/json"), (status = 400, description = "Not a readable SBOM (the location is named)", body = ErrorBody)))]
async fn scan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<ScanBody>,
) -> Result<Json<Value>> {
    as_member(&state, &actor, Permission::Read).await?;
    let db = state.index.get(&state.store).await?;
    Ok(Json(svc::scan_json(&db, body.sbom.as_bytes())?))
}

/// The organisation's releases with open findings by level.
#[utoipa::path(get, path = "/api/v1/releases", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not a manufacturer", body = ErrorBody)))]
async fn list_releases(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    Ok(Json(to_value(
        &svc::portfolio(&state.store, &by.org_id).await?.releases,
    )?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReleaseBody {
    /// The product's name (created on first use).
    pub product: String,
    pub version: String,
    pub released_on: Option<String>,
    pub support_until: Option<String>,
    /// The SBOM file's name and text.
    pub sbom_filename: Option<String>,
    pub sbom: Option<String>,
}

/// Registers a release with its SBOM; it is matched at once.
#[utoipa::path(post, path = "/api/v1/releases", tag = "sustain", security(("bearer" = [])), request_body = ReleaseBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 409, description = "This version exists", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn create_release(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<ReleaseBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_maker(&state, &actor, true).await?;
    let db = state.index.get(&state.store).await?;
    let input = svc::ReleaseInput {
        product: body.product,
        version: body.version,
        released_on: body.released_on.filter(|s| !s.is_empty()),
        support_until: body.support_until.filter(|s| !s.is_empty()),
        sbom: body.sbom.map(|s| {
            (
                body.sbom_filename.unwrap_or_else(|| "sbom".into()),
                s.into_bytes(),
            )
        }),
    };
    let created = svc::release_create(&state.store, &db, &by, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": created.release.id, "version": created.release.version, "components": created.components,
            "new_findings": created.change.new.len(), "open": created.change.open,
        })),
    ))
}

/// One release: its findings (why each matched, what the VEX says),
/// statements (stale ones flagged), components and shares.
#[utoipa::path(get, path = "/api/v1/releases/{release_id}", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_release(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    let detail = svc::release_detail(&state, &by.org_id, &id).await?;
    Ok(Json(to_value(&detail)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SbomQuery {
    /// `cyclonedx-json` (default), `cyclonedx-xml`, `spdx-json` or
    /// `original`.
    pub format: Option<String>,
}

/// The release's SBOM, as registered or converted.
#[utoipa::path(get, path = "/api/v1/releases/{release_id}/sbom", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path), SbomQuery),
    responses((status = 200, description = "The SBOM file"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn release_sbom(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<SbomQuery>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, false).await?;
    let file = state
        .store
        .release_sbom(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let (bytes, ctype, name) = svc::sbom_export(file, q.format.as_deref())?;
    Ok(attachment(bytes, ctype, &name))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VexBody {
    /// The statements to record.
    #[schema(value_type = Vec<Object>)]
    pub statements: Vec<svc::VexInput>,
}

/// Records VEX statements (each audited); not_affected and fixed suppress
/// their findings, until `expires_on` when given.
#[utoipa::path(post, path = "/api/v1/releases/{release_id}/vex", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path)), request_body = VexBody,
    responses((status = 200, description = "Recorded", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid (the field is named)", body = ErrorBody)))]
async fn record_vex(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<VexBody>,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, true).await?;
    if body.statements.is_empty() || body.statements.len() > 10_000 {
        return Err(Error::field("statements", "required"));
    }
    let n = svc::vex_record(&state.store, &by, &id, &body.statements, "manual").await?;
    Ok(Json(json!({"recorded": n})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VexImportBody {
    /// The file's name (kept as the statements' source).
    pub filename: Option<String>,
    /// The OpenVEX, CycloneDX VEX (JSON or XML) or CSAF VEX document.
    pub document: String,
}

/// Records the statements of a VEX document about this release; says
/// which were skipped and why.
#[utoipa::path(post, path = "/api/v1/releases/{release_id}/vex/import", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path)), request_body = VexImportBody,
    responses((status = 200, description = "Imported", content_type = "application/json"), (status = 400, description = "Not a readable VEX document (the location is named)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn import_vex(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<VexImportBody>,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, true).await?;
    let name = body.filename.unwrap_or_else(|| "vex.json".into());
    let done = svc::vex_import(&state.store, &by, &id, &name, body.document.as_bytes()).await?;
    Ok(Json(to_value(&done)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VexQuery {
    /// `openvex` (default), `cyclonedx-json`, `cyclonedx-xml` or `csaf`.
    pub format: Option<String>,
    /// For CSAF: the publisher's namespace, its web address.
    pub namespace: Option<String>,
}

/// The release's VEX statements as an OpenVEX, CycloneDX or CSAF document.
#[utoipa::path(get, path = "/api/v1/releases/{release_id}/vex", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path), VexQuery),
    responses((status = 200, description = "The VEX document"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Unknown format, or what the format cannot express", body = ErrorBody)))]
async fn export_vex(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<VexQuery>,
) -> Result<Response> {
    let by = as_maker(&state, &actor, false).await?;
    let (bytes, ctype, name) = svc::vex_export(
        &state.store,
        &by,
        &id,
        q.format.as_deref().unwrap_or("openvex"),
        q.namespace.as_deref(),
    )
    .await?;
    Ok(attachment(bytes, ctype, &name))
}

/// Deletes a VEX statement (audited).
#[utoipa::path(delete, path = "/api/v1/vex/{vex_id}", tag = "sustain", security(("bearer" = [])), params(("vex_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete_vex(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_maker(&state, &actor, true).await?;
    svc::vex_delete(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ShareBody {
    /// The hospital organisation's id or name.
    pub hospital: String,
}

/// Shares the release (SBOM, findings, VEX) with a hospital.
#[utoipa::path(post, path = "/api/v1/releases/{release_id}/shares", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path)), request_body = ShareBody,
    responses((status = 200, description = "Shared", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "No such hospital", body = ErrorBody)))]
async fn share(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<ShareBody>,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, true).await?;
    let new = inventory::share(&state.store, &by, &id, &body.hospital).await?;
    Ok(Json(json!({"shared": true, "new": new})))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FindingsQuery {
    /// `priority` (default), `severity`, `epss`, `kev` or `newest`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub fn order(sort: Option<&str>) -> Result<FindingOrder> {
    Ok(match sort.unwrap_or("priority") {
        "priority" => FindingOrder::Priority,
        "severity" => FindingOrder::Severity,
        "epss" => FindingOrder::Epss,
        "kev" => FindingOrder::Kev,
        "newest" => FindingOrder::Newest,
        _ => return Err(Error::field("sort", "invalid_choice")),
    })
}

/// A page of the open findings across the organisation's releases.
#[utoipa::path(get, path = "/api/v1/findings", tag = "sustain", security(("bearer" = [])), params(FindingsQuery),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 422, description = "Unknown sort order", body = ErrorBody)))]
async fn findings(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<FindingsQuery>,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    let page = svc::findings_page(
        &state.store,
        &by.org_id,
        order(q.sort.as_deref())?,
        q.limit.unwrap_or(50),
        q.offset.unwrap_or(0),
    )
    .await?;
    Ok(Json(to_value(&page)?))
}

/// The portfolio: releases × open findings by level (known-exploited
/// first) and the trend of the last 90 days.
#[utoipa::path(get, path = "/api/v1/portfolio", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn portfolio(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    Ok(Json(to_value(
        &svc::portfolio(&state.store, &by.org_id).await?,
    )?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UsedQuery {
    /// A purl without version (`pkg:npm/lodash`) or `name:NAME`.
    pub identity: String,
}

/// The releases that contain a component.
#[utoipa::path(get, path = "/api/v1/components/used", tag = "sustain", security(("bearer" = [])), params(UsedQuery),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn used(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<UsedQuery>,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    let rows = state
        .store
        .where_used(&by.org_id, q.identity.trim())
        .await?;
    Ok(Json(Value::Array(
        rows.into_iter()
            .map(|(release, version, component_version)| {
                json!({"release": release, "version": version, "component_version": component_version})
            })
            .collect(),
    )))
}

/// The organisation's alias rules.
#[utoipa::path(get, path = "/api/v1/alias-rules", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn list_aliases(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_maker(&state, &actor, false).await?;
    Ok(Json(to_value(&state.store.alias_rules(&by.org_id).await?)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AliasBody {
    /// The component's identity: a purl without version or `name:NAME`.
    pub component: String,
    /// A purl without version.
    pub purl: Option<String>,
    /// A CPE 2.3 name (a `*` version becomes the component's).
    pub cpe: Option<String>,
    /// `YYYY-MM-DD`: when the component's supplier ends support.
    pub end_of_support: Option<String>,
    pub note: Option<String>,
}

/// Adds an alias rule; every release is re-matched.
#[utoipa::path(post, path = "/api/v1/alias-rules", tag = "sustain", security(("bearer" = [])), request_body = AliasBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 409, description = "A rule for this component exists", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_alias(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<AliasBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_maker(&state, &actor, true).await?;
    let db = state.index.get(&state.store).await?;
    let (rule, summary) = svc::alias_add(
        &state.store,
        &db,
        &by,
        &body.component,
        body.purl.as_deref(),
        body.cpe.as_deref(),
        body.end_of_support.as_deref(),
        body.note.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"rule": to_value(&rule)?, "rematch": to_value(&summary)?})),
    ))
}

/// Deletes an alias rule; every release is re-matched.
#[utoipa::path(delete, path = "/api/v1/alias-rules/{rule_id}", tag = "sustain", security(("bearer" = [])), params(("rule_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete_alias(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_maker(&state, &actor, true).await?;
    let db = state.index.get(&state.store).await?;
    svc::alias_delete(&state.store, &db, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hospital's devices.
#[utoipa::path(get, path = "/api/v1/inventory", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 403, description = "Not a hospital", body = ErrorBody)))]
async fn list_inventory(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_hospital(&state, &actor, false).await?;
    Ok(Json(to_value(&state.store.inventory(&by.org_id).await?)?))
}

/// Adds a device to the hospital's inventory (`release`: a release shared
/// with the hospital).
#[utoipa::path(post, path = "/api/v1/inventory", tag = "sustain", security(("bearer" = [])), request_body(content = Object),
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 409, description = "The asset tag is taken", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn add_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<inventory::DeviceInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_hospital(&state, &actor, true).await?;
    let row = inventory::device_add(&state.store, &by, &body).await?;
    Ok((StatusCode::CREATED, Json(to_value(&row)?)))
}

/// Removes a device from the inventory.
#[utoipa::path(delete, path = "/api/v1/inventory/{inventory_id}", tag = "sustain", security(("bearer" = [])), params(("inventory_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn remove_device(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_hospital(&state, &actor, true).await?;
    inventory::device_remove(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every device with the vulnerabilities it is exposed to and what its
/// manufacturer says about each.
#[utoipa::path(get, path = "/api/v1/inventory/exposure", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn exposure(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<Json<Value>> {
    let by = as_hospital(&state, &actor, false).await?;
    let db = state.index.get(&state.store).await?;
    Ok(Json(to_value(
        &inventory::exposure(&state.store, Some(&db), &by).await?,
    )?))
}

/// Releases manufacturers shared with the hospital.
#[utoipa::path(get, path = "/api/v1/shared-releases", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn shared_releases(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_hospital(&state, &actor, false).await?;
    Ok(Json(to_value(
        &state.store.shared_releases(&by.org_id).await?,
    )?))
}

/// The SBOM of a release shared with the hospital.
#[utoipa::path(get, path = "/api/v1/shared-releases/{release_id}/sbom", tag = "sustain", security(("bearer" = [])), params(("release_id" = String, Path), SbomQuery),
    responses((status = 200, description = "The SBOM file"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn shared_sbom(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<SbomQuery>,
) -> Result<Response> {
    let by = as_hospital(&state, &actor, false).await?;
    let file = state
        .store
        .shared_sbom(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let (bytes, ctype, name) = svc::sbom_export(file, q.format.as_deref())?;
    Ok(attachment(bytes, ctype, &name))
}

/// The organisation's latest notifications.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn notifications(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let rows = state
        .store
        .notifications(&by.org_id, &actor.user.id, 100)
        .await?;
    Ok(Json(Value::Array(
        rows.into_iter()
            .map(|n| {
                json!({"id": n.id, "kind": n.kind, "subject": n.subject_id,
                    "details": serde_json::from_str::<Value>(&n.details).unwrap_or(Value::Null),
                    "created_at": Timestamp(n.created_at).rfc3339(), "read": n.read_at.is_some()})
            })
            .collect(),
    )))
}

/// Marks every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn read_notifications(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let n = state
        .store
        .read_notifications(&by.org_id, &actor.user.id, Timestamp::now())
        .await?;
    Ok(Json(json!({"read": n})))
}

/// The organisation's webhooks and their latest deliveries.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "sustain", security(("bearer" = [])),
    responses((status = 200, description = "OK", content_type = "application/json")))]
async fn list_webhooks(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Value>> {
    let by = as_member(&state, &actor, Permission::ManageOrgSettings).await?;
    let hooks = state.store.webhooks(&by.org_id).await?;
    let deliveries = state.store.deliveries(&by.org_id, 50).await?;
    Ok(Json(
        json!({"webhooks": to_value(&hooks)?, "deliveries": to_value(&deliveries)?}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WebhookBody {
    /// An https:// address.
    pub url: String,
}

/// Adds a webhook; the answer holds its signing secret, shown once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "sustain", security(("bearer" = [])), request_body = WebhookBody,
    responses((status = 201, description = "Created", content_type = "application/json"), (status = 422, description = "Not an https address", body = ErrorBody)))]
async fn add_webhook(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let by = as_member(&state, &actor, Permission::ManageOrgSettings).await?;
    let (row, secret) = svc::webhook_add(&state.store, &by, &body.url).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"webhook": to_value(&row)?, "secret": secret})),
    ))
}

/// Deletes a webhook and its pending deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{webhook_id}", tag = "sustain", security(("bearer" = [])), params(("webhook_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = as_member(&state, &actor, Permission::ManageOrgSettings).await?;
    svc::webhook_delete(&state.store, &by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(feeds, scan, list_releases, create_release, get_release, release_sbom, record_vex, import_vex, export_vex, delete_vex, share, findings, portfolio, used,
        list_aliases, add_alias, delete_alias, list_inventory, add_device, remove_device, exposure, shared_releases, shared_sbom,
        notifications, read_notifications, list_webhooks, add_webhook, delete_webhook),
    components(schemas(ScanBody, ReleaseBody, VexBody, VexImportBody, ShareBody, AliasBody, WebhookBody)),
    tags((name = "sustain", description = "Postmarket: vulnerability database, SBOMs, releases, findings, VEX, hospital inventories")),
)]
pub struct SustainDoc;
