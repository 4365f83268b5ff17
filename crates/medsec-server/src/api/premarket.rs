//! The API of a device's premarket documents: the threat model (and its
//! Threat Dragon form), the risk register, rubric assessments, SARIF scan
//! reports, unresolved anomalies with their justifications, the
//! traceability matrix, and the release linked as the device's software
//! with its SBOM findings. The same rules as the pages (both call
//! [`crate::premarket`]); documents travel in their own schemas
//! (`medsec-risk-register/1`, Threat Dragon v2, the matrix as
//! `medsec_assure::trace::Matrix` serialises it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use medsec_assure::threat::Report;
use medsec_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ErrorBody;
use crate::assure::{self as assure_svc};
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::{ApiJson, Id, Query};
use crate::premarket::{self as svc, JustificationInput, RiskPatch};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    let document = || DefaultBodyLimit::max(svc::DOCUMENT_LIMIT);
    let sarif = || DefaultBodyLimit::max(svc::SARIF_LIMIT);
    r.api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/threat-model",
        get(get_threat_model),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/devices/{device_id}/threat-model",
        axum::routing::delete(reset_threat_model),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/threat-model/diagram.svg",
        get(get_diagram),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/threat-model/dragon",
        get(export_dragon),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/devices/{device_id}/threat-model/dragon",
        post(import_dragon).layer(document()),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/risk-register",
        get(get_register),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/devices/{device_id}/risk-register",
        put(put_register).layer(document()),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/devices/{device_id}/risk-register/rebuild",
        post(rebuild_register),
    )
    .api(
        User,
        Method::PATCH,
        "/api/v1/devices/{device_id}/risks/{risk_id}",
        patch(patch_risk),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/devices/{device_id}/risks/{risk_id}/rubric",
        post(assess_risk),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/scans",
        get(list_scans),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/devices/{device_id}/scans",
        post(upload_scan).layer(sarif()),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/anomalies",
        get(list_anomalies),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/devices/{device_id}/anomalies/{anomaly_id}/justification",
        put(put_justification),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/trace",
        get(get_trace),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/package/{layout}",
        get(get_package),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/devices/{device_id}/release",
        put(put_device_release),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/devices/{device_id}/release",
        axum::routing::delete(delete_device_release),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/sbom-findings",
        get(get_sbom_findings),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/tplc-plan",
        get(get_tplc_plan),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/devices/{device_id}/tplc-plan",
        put(put_tplc_plan).layer(document()),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/devices/{device_id}/tplc-plan",
        axum::routing::delete(delete_tplc_plan),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/devices/{device_id}/component-support",
        get(get_component_support),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/devices/{device_id}/component-support",
        put(put_component_support).layer(document()),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/devices/{device_id}/component-support",
        axum::routing::delete(delete_component_support),
    )
}

/// A device id and a second id (a risk, an anomaly) in the path; the
/// second may hold what the register's and the anomalies' ids hold,
/// percent-encoded (`/` as `%2F`). Anything else is not found.
struct DeviceAnd(String, String);

impl<S: Send + Sync> FromRequestParts<S> for DeviceAnd {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path((d, x)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        let device_ok = !d.is_empty()
            && d.len() <= 64
            && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let ok = device_ok
            && !x.is_empty()
            && x.chars().count() <= 300
            && !x.chars().any(char::is_control);
        if ok {
            Ok(DeviceAnd(d, x))
        } else {
            Err(Error::NotFound)
        }
    }
}

fn to_value(v: impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Where a device's threat model comes from.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreatModelSource {
    /// `derived` (from the profile) or `threat-dragon` (imported).
    pub source: String,
    pub filename: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// The device's threat model (`model`) and its report by IMDRF's four
/// questions (`report`).
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/threat-model", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_threat_model(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::threat_model(&state, &by, &id).await?;
    let catalogs = medsec_catalog::catalogs().map_err(|e| Error::Internal(e.to_string()))?;
    let report = Report::new(&view.model, catalogs);
    let source = match &view.imported {
        Some(r) => ThreatModelSource {
            source: r.source.clone(),
            filename: Some(r.filename.clone()),
            updated_by: Some(r.updated_by.clone()),
            updated_at: Some(Timestamp(r.updated_at).rfc3339()),
        },
        None => ThreatModelSource {
            source: "derived".into(),
            filename: None,
            updated_by: None,
            updated_at: None,
        },
    };
    Ok(Json(json!({
        "device_id": id, "source": to_value(source)?, "model": to_value(&view.model)?, "report": to_value(&report)?,
    })))
}

/// Drops an imported model: the one derived from the profile applies
/// again.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/threat-model", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 204, description = "Derived from the profile again"), (status = 404, description = "Not found, or nothing imported", body = ErrorBody)))]
async fn reset_threat_model(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    if svc::threat_model_reset(&state, &by, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

/// The data-flow diagram as SVG.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/threat-model/diagram.svg", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "The diagram", content_type = "image/svg+xml"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_diagram(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::threat_model(&state, &by, &id).await?;
    let mut res = (
        StatusCode::OK,
        medsec_assure::threat::svg::render(&view.model),
    )
        .into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    Ok(res)
}

/// The threat model as an OWASP Threat Dragon v2 file.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/threat-model/dragon", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "Threat Dragon v2 JSON", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn export_dragon(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::threat_model(&state, &by, &id).await?;
    let mut res = (StatusCode::OK, svc::dragon_export(&view.model)?).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's name.
    #[serde(default)]
    pub filename: String,
}

/// Replaces the threat model by a Threat Dragon v2 file (the body); a
/// malformed file is refused with the JSON pointer at fault.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/threat-model/dragon", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/json"),
    responses((status = 200, description = "Imported", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Malformed (the JSON pointer is named)", body = ErrorBody)))]
async fn import_dragon(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let name = if q.filename.is_empty() {
        "threat-dragon.json"
    } else {
        &q.filename
    };
    let row = svc::dragon_import(&state, &by, &id, name, &body).await?;
    Ok(Json(json!({
        "device_id": id, "source": row.source, "filename": row.filename, "revision": row.revision,
        "updated_by": row.updated_by, "updated_at": Timestamp(row.updated_at).rfc3339(),
    })))
}

fn register_json(view: &svc::RegisterView) -> Result<Value> {
    let evaluations = view
        .register
        .evaluate()
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(json!({
        "revision": view.revision,
        "stored": view.updated.is_some(),
        "register": to_value(&view.register)?,
        "evaluations": to_value(evaluations)?,
    }))
}

/// The risk register (schema `medsec-risk-register/1`) with every risk's
/// levels; `revision` 0 means derived from the threat model, not stored
/// yet.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/risk-register", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_register(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    Ok(Json(register_json(
        &svc::register(&state, &by, &id).await?,
    )?))
}

/// A whole register: `register` (the JSON document) or `register_toml`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterBody {
    /// The revision being replaced (0 while none is stored).
    pub revision: i64,
    #[schema(value_type = Option<Object>)]
    pub register: Option<Value>,
    pub register_toml: Option<String>,
}

/// Replaces the register, all or nothing; errors name the entry and the
/// field (``risk `R-1`.exploitability.vector``).
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/risk-register", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = RegisterBody,
    responses((status = 200, description = "Stored", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid (entry and field named)", body = ErrorBody)))]
async fn put_register(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let (text, name) = match (&body.register, &body.register_toml) {
        (Some(v), None) => (v.to_string(), "register.json"),
        (None, Some(t)) => (t.clone(), "register.toml"),
        _ => return Err(Error::field("register", "required")),
    };
    svc::register_upload(&state, &by, &id, body.revision, name, text.as_bytes()).await?;
    Ok(Json(register_json(
        &svc::register(&state, &by, &id).await?,
    )?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevisionBody {
    pub revision: i64,
}

/// Adds a risk for every threat of the model without one (the user's
/// edits stay).
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/risk-register/rebuild", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = RevisionBody,
    responses((status = 200, description = "The new revision and the risks added", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody)))]
async fn rebuild_register(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<RevisionBody>,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let (revision, added) = svc::register_rebuild(&state, &by, &id, body.revision).await?;
    Ok(Json(json!({"revision": revision, "added": added})))
}

/// A change of one risk: what is absent stays.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RiskPatchBody {
    pub revision: i64,
    #[serde(flatten)]
    pub patch: RiskPatch,
}

/// Changes one risk: harm, its controls' status, the residual assessment,
/// the acceptance.
#[utoipa::path(patch, path = "/api/v1/devices/{device_id}/risks/{risk_id}", tag = "premarket", security(("bearer" = [])),
    params(("device_id" = String, Path), ("risk_id" = String, Path)), request_body = RiskPatchBody,
    responses((status = 200, description = "The register", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn patch_risk(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    DeviceAnd(id, risk): DeviceAnd,
    ApiJson(body): ApiJson<RiskPatchBody>,
) -> Result<Json<Value>> {
    if !svc::is_risk_id(&risk) {
        return Err(Error::NotFound);
    }
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    svc::risk_update(&state, &by, &id, body.revision, &risk, &body.patch).await?;
    Ok(Json(register_json(
        &svc::register(&state, &by, &id).await?,
    )?))
}

/// The rubric's answers for a risk.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RubricBody {
    /// `medsec_assure::rubric::Answers`: `{"answers": {"XAVN": "no", …}, "justifications": {…}}`.
    #[schema(value_type = Object)]
    pub answers: Value,
    /// The register's revision; the current one when absent.
    pub revision: Option<i64>,
}

/// Assesses a risk with the MITRE rubric and makes the vector its
/// exploitability; the assessment is kept. `risk_id` is percent-encoded
/// (`R-SBOM-CVE-2021-3711-pkg%3Ageneric-openssl%401.1.1k`).
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/risks/{risk_id}/rubric", tag = "premarket", security(("bearer" = [])),
    params(("device_id" = String, Path), ("risk_id" = String, Path)), request_body = RubricBody,
    responses((status = 200, description = "The assessment and the new revision", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Changed meanwhile", body = ErrorBody), (status = 422, description = "Invalid answers (the answer is named)", body = ErrorBody)))]
async fn assess_risk(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    DeviceAnd(id, risk): DeviceAnd,
    ApiJson(body): ApiJson<RubricBody>,
) -> Result<Json<Value>> {
    if !svc::is_risk_id(&risk) {
        return Err(Error::NotFound);
    }
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let (revision, assessment) = svc::rubric_apply(
        &state,
        &by,
        &id,
        &risk,
        &body.answers.to_string(),
        body.revision,
    )
    .await?;
    Ok(Json(
        json!({"revision": revision, "assessment": to_value(assessment)?}),
    ))
}

/// One stored scan report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScanOut {
    pub id: String,
    pub test: String,
    pub tool: String,
    pub evidence_id: String,
    pub sha256: String,
    pub filename: String,
    pub findings: i64,
    pub open_findings: i64,
    pub created_by: String,
    pub created_at: String,
}

fn scan_out(
    row: &medsec_store::premarket::ScanRow,
    report: &medsec_assure::evidence::ScanReport,
) -> ScanOut {
    ScanOut {
        id: row.id.clone(),
        test: row.test_id.clone(),
        tool: row.tool.clone(),
        evidence_id: row.evidence_id.clone(),
        sha256: report.sha256.clone(),
        filename: report.source.clone(),
        findings: row.findings,
        open_findings: row.open_findings,
        created_by: row.created_by.clone(),
        created_at: Timestamp(row.created_at).rfc3339(),
    }
}

/// The device's SARIF scan reports with their findings.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/scans", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn list_scans(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    assure_svc::device(&state, &by.org_id, &id).await?;
    let docs = svc::documents(&state, &by, &id).await?;
    let mut out = Vec::new();
    for (row, report) in &docs.scans {
        let mut v = to_value(scan_out(row, report))?;
        v["report"] = to_value(report)?;
        out.push(v);
    }
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanQuery {
    /// The test case the scan was run for (`TC-mfds-2019-1.1`).
    pub test: String,
    /// The file's name.
    #[serde(default)]
    pub filename: String,
}

/// Keeps a SARIF 2.1.0 file (the body) of a test case as evidence with its
/// findings; a malformed file is refused with its JSON pointer and nothing
/// is stored.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/scans", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path), ScanQuery),
    request_body(content = Vec<u8>, content_type = "application/sarif+json"),
    responses((status = 201, description = "Kept", body = ScanOut), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Malformed, or no such test case", body = ErrorBody)))]
async fn upload_scan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<ScanQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ScanOut>)> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let name = if q.filename.is_empty() {
        "scan.sarif"
    } else {
        &q.filename
    };
    let (row, report) = svc::scan_upload(&state, &by, &id, &q.test, name, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(scan_out(&row, &report))))
}

/// The unresolved anomalies (failed tests, open scanner findings) with
/// their justifications.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/anomalies", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn list_anomalies(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let docs = svc::documents(&state, &by, &id).await?;
    Ok(Json(to_value(docs.anomalies())?))
}

/// Records why an unresolved anomaly may stay (`anomaly_id` as the
/// anomalies list gives it, percent-encoded).
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/anomalies/{anomaly_id}/justification", tag = "premarket", security(("bearer" = [])),
    params(("device_id" = String, Path), ("anomaly_id" = String, Path)), request_body = JustificationInput,
    responses((status = 200, description = "Recorded", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid, or no such anomaly", body = ErrorBody)))]
async fn put_justification(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    DeviceAnd(id, anomaly): DeviceAnd,
    ApiJson(body): ApiJson<JustificationInput>,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let j = svc::justify(&state, &by, &id, &anomaly, &body).await?;
    Ok(Json(to_value(j)?))
}

/// The traceability matrix requirement ↔ threat ↔ control ↔ test ↔
/// evidence with its gaps.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/trace", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_trace(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let docs = svc::documents(&state, &by, &id).await?;
    let m = docs.matrix()?;
    Ok(Json(json!({
        "device_id": id, "checklist_id": docs.checklist_id, "matrix": to_value(m)?,
    })))
}

/// The submission package as a ZIP (`mfds` or `fda`), built from the
/// device's stored documents, with its manifest's SHA-256 of every file
/// (audited). Gaps are listed in the package, not refused.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/package/{layout}", tag = "premarket", security(("bearer" = [])),
    params(("device_id" = String, Path), ("layout" = String, Path, description = "mfds or fda")),
    responses((status = 200, description = "The ZIP", content_type = "application/zip"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_package(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    crate::extract::RefPair(id, layout): crate::extract::RefPair,
) -> Result<Response> {
    let layout = medsec_package::Layout::parse(&layout).ok_or(Error::NotFound)?;
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let file = svc::package(&state, &by, &id, layout).await?;
    Ok(assure_svc::attachment(
        file.bytes,
        "application/zip",
        &file.filename,
    ))
}

/// The release to link as the device's software.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DeviceReleaseBody {
    /// One of the caller's releases (`GET /api/v1/releases`).
    pub release_id: String,
}

/// The release a device ships as its software.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceReleaseOut {
    pub release_id: String,
    pub product: String,
    pub version: String,
    pub released_on: Option<String>,
    /// `YYYY-MM-DD`: the release's end of support, the device's.
    pub end_of_support: Option<String>,
    pub sbom_filename: Option<String>,
    pub linked_by: String,
    pub linked_at: String,
    /// Findings still open, and suppressed by VEX.
    pub open: usize,
    pub suppressed: usize,
}

fn release_out(r: &svc::DeviceRelease) -> DeviceReleaseOut {
    DeviceReleaseOut {
        release_id: r.release_id.clone(),
        product: r.product.clone(),
        version: r.version.clone(),
        released_on: r.released_on.clone(),
        end_of_support: r.support_until.clone(),
        sbom_filename: r.sbom.as_ref().map(|(n, _)| n.clone()),
        linked_by: r.linked_by.clone(),
        linked_at: Timestamp(r.linked_at).rfc3339(),
        open: r.open(),
        suppressed: r.findings.len() - r.open(),
    }
}

/// Links one of the caller's releases to the device as its software: its
/// open findings enter the register (derived or rebuilt), the anomalies,
/// the trace and the package, which carries its SBOM. Another
/// organisation's release is not found.
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/release", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)), request_body = DeviceReleaseBody,
    responses((status = 200, description = "Linked", body = DeviceReleaseOut), (status = 404, description = "No such device or release", body = ErrorBody), (status = 422, description = "Invalid", body = ErrorBody)))]
async fn put_device_release(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<DeviceReleaseBody>,
) -> Result<Json<DeviceReleaseOut>> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    svc::release_link(&state, &by, &id, &body.release_id).await?;
    let r = svc::device_release(&state, &by.org_id, &id)
        .await?
        .ok_or_else(|| {
            Error::Internal(format!("device {id}: the release just linked is missing"))
        })?;
    Ok(Json(release_out(&r)))
}

/// Unlinks the device's release.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/release", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 204, description = "Unlinked"), (status = 404, description = "Not found, or no release linked", body = ErrorBody)))]
async fn delete_device_release(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    if svc::release_unlink(&state, &by, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

/// The device's release (`null` when none is linked) and its findings as
/// software composition analysis evidence, with the register's risk of
/// each open one.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/sbom-findings", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody)))]
async fn get_sbom_findings(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    assure_svc::device(&state, &by.org_id, &id).await?;
    let release = svc::device_release(&state, &by.org_id, &id).await?;
    Ok(Json(json!({
        "device_id": id,
        "release": release.as_ref().map(release_out).map(to_value).transpose()?,
        "findings": to_value(release.as_ref().map(|r| r.views.as_slice()).unwrap_or_default())?,
    })))
}

// --- lifecycle files ---------------------------------------------------------

async fn lifecycle_get(
    state: &AppState,
    actor: &crate::auth::Actor,
    id: &str,
    kind: svc::LifecycleKind,
) -> Result<Response> {
    let by = assure_svc::as_maker(state, actor, false).await?;
    assure_svc::device(state, &by.org_id, id).await?;
    svc::lifecycle_download(state, &by, id, kind).await
}

async fn lifecycle_put(
    state: &AppState,
    actor: &crate::auth::Actor,
    id: &str,
    kind: svc::LifecycleKind,
    filename: &str,
    body: &[u8],
) -> Result<Json<Value>> {
    let by = assure_svc::as_maker(state, actor, true).await?;
    let name = match (filename.is_empty(), kind) {
        (false, _) => filename,
        (true, svc::LifecycleKind::Tplc) => "tplc-plan.toml",
        (true, svc::LifecycleKind::Support) => "component-support.toml",
    };
    let row = svc::lifecycle_upload(state, &by, id, kind, name, body).await?;
    Ok(Json(json!({
        "device_id": id, "kind": row.kind, "filename": row.filename,
        "updated_by": row.updated_by, "updated_at": Timestamp(row.updated_at).rfc3339(),
    })))
}

async fn lifecycle_delete(
    state: &AppState,
    actor: &crate::auth::Actor,
    id: &str,
    kind: svc::LifecycleKind,
) -> Result<StatusCode> {
    let by = assure_svc::as_maker(state, actor, true).await?;
    if svc::lifecycle_remove(state, &by, id, kind).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}

/// The device's TPLC cybersecurity management plan as uploaded (TOML,
/// the format of `medsec package build --tplc`).
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/tplc-plan", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "The file", content_type = "application/toml"), (status = 404, description = "Not found, or none uploaded", body = ErrorBody)))]
async fn get_tplc_plan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    lifecycle_get(&state, &actor, &id, svc::LifecycleKind::Tplc).await
}

/// Stores the device's TPLC plan (the body, TOML); every package built
/// from now on carries it. Errors name the line and field.
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/tplc-plan", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path), FileQuery),
    request_body(content = Vec<u8>, content_type = "application/toml"),
    responses((status = 200, description = "Stored", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Malformed (line and field named)", body = ErrorBody)))]
async fn put_tplc_plan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> Result<Json<Value>> {
    lifecycle_put(
        &state,
        &actor,
        &id,
        svc::LifecycleKind::Tplc,
        &q.filename,
        &body,
    )
    .await
}

/// Removes the device's TPLC plan.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/tplc-plan", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not found, or none uploaded", body = ErrorBody)))]
async fn delete_tplc_plan(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    lifecycle_delete(&state, &actor, &id, svc::LifecycleKind::Tplc).await
}

/// The device's component support file as uploaded (TOML or CSV, the
/// format of `medsec package build --support`).
#[utoipa::path(get, path = "/api/v1/devices/{device_id}/component-support", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 200, description = "The file", content_type = "text/csv"), (status = 404, description = "Not found, or none uploaded", body = ErrorBody)))]
async fn get_component_support(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Response> {
    lifecycle_get(&state, &actor, &id, svc::LifecycleKind::Support).await
}

/// Stores each SBOM component's support level and end of support (the
/// body; CSV when `filename` ends in `.csv`, else TOML); every entry must
/// name a component of the linked release's SBOM.
#[utoipa::path(put, path = "/api/v1/devices/{device_id}/component-support", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path), FileQuery),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, description = "Stored", content_type = "application/json"), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Malformed, or naming no SBOM component", body = ErrorBody)))]
async fn put_component_support(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> Result<Json<Value>> {
    lifecycle_put(
        &state,
        &actor,
        &id,
        svc::LifecycleKind::Support,
        &q.filename,
        &body,
    )
    .await
}

/// Removes the device's component support file.
#[utoipa::path(delete, path = "/api/v1/devices/{device_id}/component-support", tag = "premarket", security(("bearer" = [])), params(("device_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not found, or none uploaded", body = ErrorBody)))]
async fn delete_component_support(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    lifecycle_delete(&state, &actor, &id, svc::LifecycleKind::Support).await
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(get_package, get_threat_model, reset_threat_model, get_diagram, export_dragon, import_dragon, get_register, put_register, rebuild_register, patch_risk, assess_risk, list_scans, upload_scan, list_anomalies, put_justification, get_trace, put_device_release, delete_device_release, get_sbom_findings, get_tplc_plan, put_tplc_plan, delete_tplc_plan, get_component_support, put_component_support, delete_component_support),
    components(schemas(ThreatModelSource, RegisterBody, RevisionBody, RiskPatchBody, RubricBody, ScanOut, JustificationInput, svc::ResidualInput, svc::AcceptanceInput, DeviceReleaseBody, DeviceReleaseOut, svc::SbomFindingView)),
    tags((name = "premarket", description = "Premarket documents of a device: threat model, risk register, rubric, security test evidence, traceability")),
)]
pub struct PremarketDoc;
