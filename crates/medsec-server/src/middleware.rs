//! Cross-cutting layers: request ids, access log and metrics, security
//! headers, error rendering (HTML for the UI, JSON elsewhere), health and
//! metrics endpoints, and the 404/405 fallbacks.

use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::{ErrorBody, ErrorDetail, FieldProblem};
use crate::auth::ApiUser;
use crate::error::{Error, ErrorInfo};
use crate::extract;
use crate::state::AppState;

/// The id of a request, in logs, the `x-request-id` header and error pages.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The route template that matched, carried out to the access log.
#[derive(Clone, Debug)]
struct RouteTemplate(String);

pub async fn matched_path(req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut res = next.run(req).await;
    if let Some(t) = template {
        res.extensions_mut().insert(RouteTemplate(t));
    }
    res
}

/// Assigns the request id, logs the request once and records metrics.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = medsec_core::credential::random_token(9);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::tls::ClientAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.0.ip().to_string());
    let mut res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteTemplate>()
        .map_or("unmatched", |r| r.0.as_str())
        .to_owned();
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .record_request(method.as_str(), &route, status, elapsed.as_secs_f64());
    tracing::info!(target: "medsec::access", request_id = %id, %method, %path, route = %route, status, ms = elapsed.as_secs_f64() * 1e3, client = %ip, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    res
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every response carries (KISA web: 정보누출, 응답 메시지 헤더 정보 숨기기).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set(
        h,
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    );
    set(h, "content-security-policy", CSP);
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), usb=(), serial=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    h.remove(header::SERVER);
    res
}

fn take_error(res: &mut Response) -> Option<Error> {
    res.extensions_mut().remove::<ErrorInfo>().map(|e| e.0)
}

fn log_internal(e: &Error, id: Option<&RequestId>) {
    if let Error::Internal(msg) = e {
        tracing::error!(request_id = id.map_or("-", |r| r.0.as_str()), error = %msg, "internal error");
    }
}

/// Turns a handler's error into the UI's error page or redirect.
pub async fn render_ui_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let snapshot = parts.clone();
    let mut res = next.run(Request::from_parts(parts, body)).await;
    match take_error(&mut res) {
        None => res,
        Some(e) => {
            let id = snapshot.extensions.get::<RequestId>().cloned();
            log_internal(&e, id.as_ref());
            let mut page = crate::ui::error_response(&state, &snapshot, &e, id.map(|r| r.0));
            if let Some(t) = res.extensions_mut().remove::<RouteTemplate>() {
                page.extensions_mut().insert(t);
            }
            page
        }
    }
}

/// The API's one error body: `{"error": {"code", "message", "field"}}`.
pub fn api_error(parts: &Parts, e: &Error) -> Response {
    let lang = extract::api_lang(parts);
    let id = parts.extensions.get::<RequestId>();
    log_internal(e, id);
    let (field, fields) = match e {
        Error::Invalid(errors) => (
            errors.first().map(|f| f.field.clone()),
            errors
                .iter()
                .map(|f| FieldProblem {
                    field: f.field.clone(),
                    code: f.code.to_owned(),
                    message: lang.field_error(f),
                })
                .collect(),
        ),
        Error::Conflict { field } => (Some(field.clone()), Vec::new()),
        _ => (None, Vec::new()),
    };
    let message = match e {
        Error::Invalid(errors) => errors
            .first()
            .map_or_else(|| lang.t("error-bad-request"), |f| lang.field_error(f)),
        Error::BadRequest { code, detail } => {
            format!("{}: {detail}", lang.t(&format!("api-error-{code}")))
        }
        Error::InUse { by, .. } => format!("{}: {}", lang.t("api-error-in_use"), by.join(", ")),
        other => lang.t(&format!("api-error-{}", other.code())),
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code: e.code().to_owned(),
            message,
            field,
            fields,
            request_id: matches!(e, Error::Internal(_))
                .then(|| id.map(|r| r.0.clone()))
                .flatten(),
        },
    };
    let mut res = (e.status(), Json(body)).into_response();
    if matches!(
        e,
        Error::Unauthenticated | Error::SessionExpired | Error::LoginFailed
    ) {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"medsec\""),
        );
    }
    if matches!(e, Error::Busy) {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    res
}

pub async fn render_api_errors(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let snapshot = parts.clone();
    let mut res = next.run(Request::from_parts(parts, body)).await;
    match take_error(&mut res) {
        None => res,
        Some(e) => {
            let mut out = api_error(&snapshot, &e);
            if let Some(t) = res.extensions_mut().remove::<RouteTemplate>() {
                out.extensions_mut().insert(t);
            }
            out
        }
    }
}

/// Errors of no route (404 fallback): JSON under `/api/`, a page elsewhere.
pub async fn render_fallback_errors(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let snapshot = parts.clone();
    let mut res = next.run(Request::from_parts(parts, body)).await;
    match take_error(&mut res) {
        None => res,
        Some(e) if snapshot.uri.path().starts_with("/api/") => api_error(&snapshot, &e),
        Some(e) => {
            let id = snapshot.extensions.get::<RequestId>().cloned();
            crate::ui::error_response(&state, &snapshot, &e, id.map(|r| r.0))
        }
    }
}

pub async fn not_found() -> Error {
    Error::NotFound
}

pub async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    backend: &'static str,
    version: &'static str,
}

/// Liveness and database reachability; no authentication, no secrets.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let db_ok = state.store.ping().await.is_ok();
    let body = Health {
        status: if db_ok { "ok" } else { "degraded" },
        database: if db_ok { "ok" } else { "unreachable" },
        backend: state.store.backend().as_str(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics, for API tokens with the `metrics` scope.
pub async fn metrics(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, Error> {
    let allowed = match &actor.via {
        crate::auth::Via::Token { scopes, .. } => {
            scopes.contains(&medsec_core::org::Scope::Metrics)
        }
        crate::auth::Via::Session(_) => actor.is_operator_admin(),
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let up = [("medsec_up", "Whether medsec is serving.", 1.0)];
    let mut text = state.metrics.render(&up);
    // The log sources' series need the database; without it the rest is
    // still worth scraping.
    match crate::watch::source_metrics(&state).await {
        Ok(sources) => text.push_str(&sources),
        Err(e) => tracing::warn!(error = %e, "log source metrics left out"),
    }
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(res)
}
