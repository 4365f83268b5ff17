//! The one error type of every handler, UI and API alike.
//!
//! A handler's `Error` becomes a bare response carrying an [`ErrorInfo`]
//! extension; the `render_errors` middleware of the UI or API router then
//! renders it in the request's language, as an HTML page or as the API's
//! `{"error": {"code", "message", "field"}}` body. Internal errors are
//! logged once there, with the request id, and the client sees only a
//! generic message and that id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use medsec_core::validate::FieldError;

/// Why a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// One or more fields are invalid (422).
    #[error("invalid input: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    /// The request itself is malformed: bad JSON, bad form encoding,
    /// invalid UTF-8 (400). `code` names the problem.
    #[error("bad request ({code}): {detail}")]
    BadRequest { code: &'static str, detail: String },
    /// No valid session or token (401).
    #[error("not authenticated")]
    Unauthenticated,
    /// The session ended by idle timeout or lifetime (401).
    #[error("the session expired")]
    SessionExpired,
    /// The one generic login failure (401): wrong user, wrong password,
    /// locked or disabled account all look the same.
    #[error("login failed")]
    LoginFailed,
    /// An administrator is already logged in elsewhere and the policy
    /// refuses a second session (409).
    #[error("an administrator session is already open")]
    SessionRefused,
    /// Logged in, but the password must be changed first (403).
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    /// Logged in, but a second factor must be set up first (403).
    #[error("a second factor must be set up first")]
    TotpEnrolmentRequired,
    /// Not allowed for this user (403).
    #[error("forbidden")]
    Forbidden,
    /// The form's CSRF token is missing or wrong, or the request came
    /// from another origin (403).
    #[error("CSRF check failed")]
    Csrf,
    /// Not found in the caller's organisation (404).
    #[error("not found")]
    NotFound,
    /// No such method on this path (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A unique value is taken (409).
    #[error("{field} already exists")]
    Conflict { field: String },
    /// The object is still used and may not be turned off or removed
    /// (409); `by` names its users as the caller knows them (a decoder's
    /// sources as `member · source`).
    #[error("{what} is in use by {}", .by.join(", "))]
    InUse { what: &'static str, by: Vec<String> },
    /// The body is larger than allowed (413).
    #[error("request body too large")]
    PayloadTooLarge,
    /// Too many password checks are queued; try again shortly (503).
    #[error("too many password checks queued")]
    Busy,
    /// Anything else (500). The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn field(field: &str, code: &'static str) -> Error {
        Error::Invalid(vec![FieldError::new(field, code)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthenticated | Error::SessionExpired | Error::LoginFailed => {
                StatusCode::UNAUTHORIZED
            }
            Error::SessionRefused | Error::Conflict { .. } | Error::InUse { .. } => {
                StatusCode::CONFLICT
            }
            Error::PasswordChangeRequired
            | Error::TotpEnrolmentRequired
            | Error::Forbidden
            | Error::Csrf => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(errors) => errors.first().map_or("invalid", |e| e.code),
            Error::BadRequest { code, .. } => code,
            Error::Unauthenticated => "unauthenticated",
            Error::SessionExpired => "session_expired",
            Error::LoginFailed => "login_failed",
            Error::SessionRefused => "session_refused",
            Error::PasswordChangeRequired => "password_change_required",
            Error::TotpEnrolmentRequired => "totp_enrolment_required",
            Error::Forbidden => "forbidden",
            Error::Csrf => "csrf",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Conflict { .. } => "conflict",
            Error::InUse { .. } => "in_use",
            Error::PayloadTooLarge => "payload_too_large",
            Error::Busy => "busy",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<medsec_store::StoreError> for Error {
    fn from(e: medsec_store::StoreError) -> Error {
        match e {
            medsec_store::StoreError::NotFound { .. } => Error::NotFound,
            medsec_store::StoreError::Conflict { what } => Error::Conflict {
                field: what.to_owned(),
            },
            medsec_store::StoreError::InUse { what, by } => Error::InUse { what, by },
            other => Error::Internal(chain(&other)),
        }
    }
}

/// An error and its causes, `a: b: c`, for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// The error a response carries to the rendering middleware.
#[derive(Debug, Clone)]
pub struct ErrorInfo(pub Error);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(ErrorInfo(self));
        res
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
