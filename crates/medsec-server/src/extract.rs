//! Request extractors that turn every kind of bad input into a clear
//! [`Error`]: forms with CSRF protection, JSON bodies, query strings,
//! path ids, and the client's address and language.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tls::ClientAddr;

pub const SESSION_COOKIE: &str = "__Host-medsec_session";
pub const CSRF_COOKIE: &str = "__Host-medsec_csrf";
pub const LANG_COOKIE: &str = "medsec_lang";

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for a `__Host-` cookie: Secure, HttpOnly,
/// SameSite=Strict, whole site. `max_age` of `Some(0)` deletes it.
pub fn host_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}")
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(request_lang(parts))
    }
}

/// The UI language: the language cookie, else Korean.
pub fn request_lang(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// The API language: `Accept-Language` (Korean if it asks for Korean
/// first), else English.
pub fn api_lang(parts: &Parts) -> Lang {
    let header = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if header.trim_start().to_ascii_lowercase().starts_with("ko") {
        Lang::Ko
    } else {
        Lang::En
    }
}

/// The client's IP address as text (`unknown` if the connection has none,
/// as in in-process tests).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(client_ip(parts))
    }
}

pub fn client_ip(parts: &Parts) -> ClientIp {
    let addr = parts
        .extensions
        .get::<axum::extract::ConnectInfo<ClientAddr>>()
        .map(|c| c.0.0.ip().to_string());
    ClientIp(addr.unwrap_or_else(|| "unknown".to_owned()))
}

pub fn user_agent(parts: &Parts) -> String {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

/// Reads the body up to the configured limit.
async fn body_bytes(req: Request, state: &AppState) -> Result<(Parts, Bytes), Error> {
    let (parts, body) = req.into_parts();
    let limit = state.config.body_limit;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    Ok((parts, bytes))
}

/// The CSRF token a form must carry: the session's token when the request
/// belongs to a session, else the per-browser token of the CSRF cookie.
#[derive(Clone, Debug)]
pub struct ExpectedCsrf(pub String);

/// Rejects cross-site form posts by `Sec-Fetch-Site` or `Origin`.
///
/// Browsers that send `Sec-Fetch-Site` say exactly where a request came
/// from; only `same-origin` passes. Without it, an `Origin` must be this
/// server. Under our `Referrer-Policy: no-referrer` Chromium sends
/// `Origin: null` even for same-origin forms, so `null` proves nothing
/// either way; the CSRF token (and the SameSite=Strict session cookie)
/// remain the defence then.
fn check_origin(parts: &Parts) -> Result<(), Error> {
    let header = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return if site == "same-origin" {
            Ok(())
        } else {
            Err(Error::Csrf)
        };
    }
    match header(header::ORIGIN) {
        None | Some("null") => Ok(()),
        Some(origin) => {
            let host = header(header::HOST).unwrap_or("");
            if origin == format!("https://{host}") {
                Ok(())
            } else {
                Err(Error::Csrf)
            }
        }
    }
}

/// Checks the `_csrf` field of a form that is not URL-encoded (a file
/// upload), with the same rules as [`CsrfForm`].
pub fn check_csrf(parts: &Parts, given: &str) -> Result<(), Error> {
    check_origin(parts)?;
    csrf_matches(&expected_csrf(parts), given)
}

fn expected_csrf(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ExpectedCsrf>()
        .map(|e| e.0.clone())
        .or_else(|| cookie(parts, CSRF_COOKIE).map(str::to_owned))
        .unwrap_or_default()
}

fn csrf_matches(expected: &str, given: &str) -> Result<(), Error> {
    if expected.is_empty()
        || !medsec_core::credential::constant_time_eq(given.as_bytes(), expected.as_bytes())
    {
        return Err(Error::Csrf);
    }
    Ok(())
}

/// An uploaded file from a `multipart/form-data` form whose `_csrf` field
/// matches the expected token (checked like [`CsrfForm`]). A request that
/// is not multipart is still checked for its token first, so a forged
/// request is refused as forged whatever its encoding. The route sets the
/// size limit with `DefaultBodyLimit`.
pub struct CsrfUpload {
    pub filename: String,
    pub bytes: Vec<u8>,
    /// The form's other fields (text, at most 64 of 4 KiB each).
    pub fields: std::collections::BTreeMap<String, String>,
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = Error;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let (parts, bytes) = body_bytes(req, state).await?;
            let given: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
                csrf: String::new(),
            });
            check_csrf(&parts, &given.csrf)?;
            return Err(Error::field("file", "required"));
        }
        let (parts, body) = req.into_parts();
        let origin = check_origin(&parts);
        let expected = expected_csrf(&parts);
        let req = Request::from_parts(parts, body);
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| Error::BadRequest {
                code: "invalid_upload",
                detail: e.body_text(),
            })?;
        let upload_error = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::BadRequest {
                    code: "invalid_upload",
                    detail: e.body_text(),
                }
            }
        };
        let mut csrf = String::new();
        let mut file = None;
        let mut fields = std::collections::BTreeMap::new();
        while let Some(field) = form.next_field().await.map_err(upload_error)? {
            match field.name().map(str::to_owned).as_deref() {
                Some("_csrf") => csrf = field.text().await.map_err(upload_error)?,
                Some("file") => {
                    let filename = field.file_name().unwrap_or("upload").to_owned();
                    let bytes = field.bytes().await.map_err(upload_error)?;
                    // A form sent without choosing a file has an empty part.
                    if !(filename.is_empty() && bytes.is_empty()) {
                        file = Some((filename, bytes.to_vec()));
                    }
                }
                Some(name) if fields.len() < 64 => {
                    let text = field.text().await.map_err(upload_error)?;
                    if text.len() > 4096 {
                        return Err(Error::Invalid(vec![
                            medsec_core::validate::FieldError::new(name, "too_long")
                                .with("max", 4096),
                        ]));
                    }
                    fields.insert(name.to_owned(), text);
                }
                _ => {}
            }
        }
        origin?;
        csrf_matches(&expected, &csrf)?;
        let (filename, bytes) = file.ok_or_else(|| Error::field("file", "required"))?;
        Ok(CsrfUpload {
            filename,
            bytes,
            fields,
        })
    }
}

/// A URL-encoded form body whose `_csrf` field matches the expected token.
/// Every state-changing UI route takes its input through this extractor.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let (parts, bytes) = body_bytes(req, state).await?;
        check_origin(&parts)?;
        let expected = parts
            .extensions
            .get::<ExpectedCsrf>()
            .map(|e| e.0.clone())
            .or_else(|| cookie(&parts, CSRF_COOKIE).map(str::to_owned))
            .unwrap_or_default();
        if std::str::from_utf8(&bytes).is_err() {
            return Err(Error::BadRequest {
                code: "invalid_utf8",
                detail: "the form is not valid UTF-8".into(),
            });
        }
        let given: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if expected.is_empty()
            || !medsec_core::credential::constant_time_eq(
                given.csrf.as_bytes(),
                expected.as_bytes(),
            )
        {
            return Err(Error::Csrf);
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| Error::BadRequest {
            code: "invalid_form",
            detail: e.to_string(),
        })?;
        Ok(CsrfForm(value))
    }
}

/// A JSON body for the API, limited in size, with errors that say what
/// and where (line, column, field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(Error::BadRequest {
                code: "unsupported_media_type",
                detail: "send the body as application/json".into(),
            });
        }
        let (_, bytes) = body_bytes(req, state).await?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(Error::BadRequest {
                code: "invalid_utf8",
                detail: "the body is not valid UTF-8".into(),
            });
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| Error::BadRequest {
                code: "invalid_json",
                detail: e.to_string(),
            })
    }
}

/// A query string decoded into `T`, with a clear error if it does not fit.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q)
            .map(Query)
            .map_err(|e| Error::BadRequest {
                code: "invalid_query",
                detail: e.to_string(),
            })
    }
}

/// One id in the path. A malformed id is simply not found.
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        if id.is_empty()
            || id.len() > 64
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::NotFound);
        }
        Ok(Id(id))
    }
}

/// Two ids in the path (an incident and one of its tasks). A malformed id
/// is simply not found.
pub struct IdPair(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPair {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        let ok = |id: &str| {
            !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if ok(&a) && ok(&b) {
            Ok(IdPair(a, b))
        } else {
            Err(Error::NotFound)
        }
    }
}

/// The base URL of links this server hands out (activation links), from
/// the request's `Host` header, reduced to characters a host may have.
pub fn base_url(parts: &Parts) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(*c))
        .collect();
    format!("https://{host}")
}

/// A reference id in the path (catalogue and item ids such as `1.1.1`,
/// `CR3.10-RE1`): letters, digits, `.`, `-`, `_`. Anything else is
/// simply not found.
pub struct RefId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RefId {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        if is_ref_id(&id) {
            Ok(RefId(id))
        } else {
            Err(Error::NotFound)
        }
    }
}

/// Two reference ids in the path, such as a catalogue and an item.
pub struct RefPair(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for RefPair {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        if is_ref_id(&a) && is_ref_id(&b) {
            Ok(RefPair(a, b))
        } else {
            Err(Error::NotFound)
        }
    }
}

/// Whether `id` is a well-formed reference id.
pub fn is_ref_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A local path to return to after login or a language switch; anything
/// that could leave the site becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://") =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_paths_stay_on_site() {
        use super::safe_next;
        assert_eq!(safe_next(Some("/users?x=1")), "/users?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
