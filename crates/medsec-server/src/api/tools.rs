//! `GET /api/v1/cvss`: a CVSS vector scored by `medsec-cvss`, the API twin
//! of the calculator page (`/tools/cvss`) with the shape `medsec cvss
//! --json` prints.

use axum::Json;
use axum::http::Method;
use axum::routing::get;
use medsec_core::validate::FieldError;
use medsec_cvss::{Score, Vector};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::extract::Query;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    r.api(
        Access::User,
        Method::GET,
        "/api/v1/cvss",
        get(score_cvss_vector),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CvssParams {
    /// `CVSS:3.1/AV:N/…`, `CVSS:3.0/…`, `CVSS:4.0/…`, or a v2.0 vector
    /// without prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`).
    #[serde(default)]
    pub vector: String,
}

/// A score with its qualitative severity.
#[derive(Serialize, ToSchema)]
pub struct CvssRated {
    /// 0.0 to 10.0.
    #[schema(value_type = f64)]
    pub score: Score,
    /// `none`, `low`, `medium`, `high` or `critical` (v2: low, medium,
    /// high).
    #[schema(value_type = String)]
    pub severity: medsec_cvss::Severity,
}

/// A scored vector: the fields of `medsec cvss --json`.
#[derive(Serialize, ToSchema)]
pub struct CvssOut {
    /// The vector as given.
    pub vector: String,
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    #[schema(value_type = String)]
    pub version: medsec_cvss::Version,
    /// The metrics in the specification's order, Not Defined ones left out.
    pub normalized: String,
    pub base: CvssRated,
    /// v2 and v3.x, when the vector gives a temporal metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<CvssRated>,
    /// v4.0: CVSS-BT, when the vector gives the threat metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threat: Option<CvssRated>,
    /// The environmental score (v4.0: CVSS-BE or CVSS-BTE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental: Option<CvssRated>,
    /// v4.0: the name of the whole vector's score (`CVSS-BTE`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nomenclature: Option<&'static str>,
}

/// Scores a CVSS v2.0, v3.0, v3.1 or v4.0 vector: version, normalised
/// vector, and the score and severity of every group the vector defines.
/// An invalid vector is a 422 naming the metric and the byte offset.
#[utoipa::path(get, path = "/api/v1/cvss", tag = "cvss", operation_id = "score_cvss_vector", security(("bearer" = [])), params(CvssParams),
    responses((status = 200, description = "OK", body = CvssOut), (status = 422, description = "Not a CVSS vector: the error names the metric and its byte offset", body = ErrorBody)))]
async fn score_cvss_vector(
    ApiUser(_): ApiUser,
    Query(p): Query<CvssParams>,
) -> Result<Json<CvssOut>> {
    let vector = p.vector.trim();
    if vector.is_empty() {
        return Err(Error::field("vector", "required"));
    }
    if vector.len() > 400 {
        return Err(Error::Invalid(vec![
            FieldError::new("vector", "too_long").with("max", 400),
        ]));
    }
    let v = Vector::parse(vector).map_err(|e| {
        Error::Invalid(vec![
            FieldError::new("vector", "cvss_invalid")
                .with("detail", e.to_string())
                .with("metric", e.metric().unwrap_or("-"))
                .with("offset", e.offset),
        ])
    })?;
    let scores = v.scores();
    let rated = |score: Score| CvssRated {
        score,
        severity: v.severity(score),
    };
    Ok(Json(CvssOut {
        vector: vector.to_owned(),
        version: v.version(),
        normalized: v.to_string(),
        base: rated(scores.base),
        temporal: scores.temporal.map(rated),
        threat: scores.threat.map(rated),
        environmental: scores.environmental.map(rated),
        nomenclature: match v {
            Vector::V4(v4) => Some(v4.nomenclature()),
            _ => None,
        },
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(score_cvss_vector),
    components(schemas(CvssOut, CvssRated)),
    tags((name = "cvss", description = "CVSS v2.0, v3.0, v3.1 and v4.0 vectors scored as the FIRST calculators score them")),
)]
pub struct ToolsDoc;
