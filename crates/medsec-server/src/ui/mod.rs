//! The web UI: server-rendered pages (askama templates in `templates/`),
//! forms that work without JavaScript, Korean by default with an English
//! switch, every string from the message catalogues.

mod account;
mod admin;
mod alerts;
mod assure;
mod auth;
pub mod catalog;
mod crisis;
mod incidents;
mod indicators;
mod pages;
mod premarket;
mod review_package;
mod sustain;
mod tools;
mod watch;
mod watch_config;
mod webmon;
mod webshell;

use std::collections::BTreeMap;

use askama::Template;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Permission, Role, Timestamp};

use crate::auth::Actor;
use crate::error::{Error, Result};
use crate::extract::{self, CSRF_COOKIE};
use crate::i18n::Lang;
use crate::routes::Routes;
use crate::state::AppState;

pub use auth::LoginForm;

/// Registers every UI route.
pub fn routes(r: Routes) -> Routes {
    let r = auth::routes(r);
    let r = pages::routes(r);
    let r = admin::routes(r);
    let r = catalog::routes(r);
    let r = assure::routes(r);
    let r = premarket::routes(r);
    let r = review_package::routes(r);
    let r = sustain::routes(r);
    let r = watch::routes(r);
    let r = watch_config::routes(r);
    let r = alerts::routes(r);
    let r = incidents::routes(r);
    let r = crisis::routes(r);
    let r = webmon::routes(r);
    let r = webshell::routes(r);
    let r = indicators::routes(r);
    let r = tools::routes(r);
    account::routes(r)
}

/// A notice shown at the top of a page.
pub struct Notice {
    pub kind: &'static str,
    pub text: String,
}

/// The header's facts about the logged-in user.
pub struct Nav {
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub is_admin: bool,
    pub is_operator_admin: bool,
    /// Manufacturers keep devices and checklists.
    pub is_manufacturer: bool,
    /// Manufacturers and regulators see reviews.
    pub sees_reviews: bool,
    /// Hospitals keep device inventories.
    pub is_hospital: bool,
    /// The ISAC and its member hospitals see the log sources (watch).
    pub sees_watch: bool,
    /// Only the ISAC sees its threat-intelligence indicators.
    pub sees_indicators: bool,
    /// Organisation settings (webhooks).
    pub manages_org: bool,
    /// Unread notifications of the organisation.
    pub unread: i64,
}

/// The sector crisis level above 정상, shown at the top of every page of
/// the ISAC's and member hospitals' users.
pub struct CrisisBanner {
    /// The level's stored name, which is also its CSS class (`crisis-alert`).
    pub level: &'static str,
    /// The level's name in the page's language.
    pub name: &'static str,
    pub reason: String,
    pub since: String,
}

/// What every page template needs: language, user, CSRF token, title.
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub section: &'static str,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub idle_secs: u32,
    pub path: String,
    pub notice: Option<Notice>,
    /// The crisis banner, when the level is raised and the user sees it.
    pub crisis: Option<CrisisBanner>,
    pub asset_version: &'static str,
    pub version: &'static str,
    offset_minutes: i32,
    /// A CSRF cookie to set because the browser had none.
    new_csrf_cookie: Option<String>,
}

impl Page {
    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    pub fn ta(&self, id: &str, k: &str, v: impl std::fmt::Display) -> String {
        self.lang.ta(id, &[(k, &v.to_string())])
    }

    pub fn ta2(
        &self,
        id: &str,
        k1: &str,
        v1: impl std::fmt::Display,
        k2: &str,
        v2: impl std::fmt::Display,
    ) -> String {
        self.lang
            .ta(id, &[(k1, &v1.to_string()), (k2, &v2.to_string())])
    }

    pub fn time(&self, t: Timestamp) -> String {
        t.display_in(self.offset_minutes)
    }

    pub fn time_opt(&self, t: Option<Timestamp>) -> String {
        t.map_or_else(|| self.t("never"), |t| self.time(t))
    }

    pub fn notice(mut self, kind: &'static str, id: &str) -> Page {
        self.notice = Some(Notice {
            kind,
            text: self.lang.t(id),
        });
        self
    }

    pub fn role(&self, r: Role) -> String {
        self.t(&format!("role-{}", r.as_str()))
    }

    pub fn kind(&self, k: OrgKind) -> String {
        self.t(&format!("org-kind-{}", k.as_str()))
    }

    pub fn kinds(&self) -> Vec<(String, String)> {
        OrgKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), self.kind(*k)))
            .collect()
    }

    pub fn roles(&self, kind: OrgKind) -> Vec<(String, String)> {
        kind.roles()
            .iter()
            .map(|r| (r.as_str().to_owned(), self.role(*r)))
            .collect()
    }
}

fn path_of(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned())
}

/// A page for a logged-in user.
pub async fn page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    title_id: &str,
    section: &'static str,
) -> Result<Page> {
    let lang = extract::request_lang(parts);
    let policy = state.policy().await?;
    let csrf = actor
        .session()
        .map(|s| s.csrf_token.clone())
        .unwrap_or_default();
    // From the cache: the banner costs no query on most pages.
    let crisis = if matches!(actor.org.kind, OrgKind::Hospital | OrgKind::Isac) {
        let current = state.crisis.get(&state.store).await?;
        let level = current.level();
        level.raised().then(|| CrisisBanner {
            level: level.as_str(),
            name: crate::crisis::level_name(lang, level),
            reason: current.reason().to_owned(),
            since: current
                .since()
                .map(|t| t.display_in(state.config.display_offset_minutes))
                .unwrap_or_default(),
        })
    } else {
        None
    };
    Ok(Page {
        lang,
        title: lang.t(title_id),
        section,
        nav: Some(Nav {
            username: actor.user.username.clone(),
            display_name: actor.user.display_name.clone(),
            org_name: actor.org.name.clone(),
            is_admin: actor.has(Permission::ManageUsers),
            is_operator_admin: actor.is_operator_admin(),
            is_manufacturer: actor.org.kind == OrgKind::Manufacturer,
            sees_reviews: matches!(actor.org.kind, OrgKind::Manufacturer | OrgKind::Regulator),
            is_hospital: actor.org.kind == OrgKind::Hospital,
            sees_watch: matches!(actor.org.kind, OrgKind::Hospital | OrgKind::Isac),
            sees_indicators: actor.org.kind == OrgKind::Isac,
            manages_org: actor.has(Permission::ManageOrgSettings),
            unread: state
                .store
                .unread_notifications(&actor.org.id, &actor.user.id)
                .await?,
        }),
        csrf,
        idle_secs: policy.idle_timeout_secs,
        path: path_of(parts),
        notice: None,
        crisis,
        asset_version: crate::assets::VERSION,
        version: env!("CARGO_PKG_VERSION"),
        offset_minutes: state.config.display_offset_minutes,
        new_csrf_cookie: None,
    })
}

/// A page for a visitor who is not logged in; sets the CSRF cookie that
/// its forms carry if the browser has none yet.
pub fn anon_page(state: &AppState, parts: &Parts, title_id: &str) -> Page {
    let lang = extract::request_lang(parts);
    let existing = extract::cookie(parts, CSRF_COOKIE)
        .filter(|c| c.len() >= 32 && c.len() <= 64)
        .map(str::to_owned);
    let (csrf, new_csrf_cookie) = match existing {
        Some(c) => (c, None),
        None => {
            let c = medsec_core::credential::random_token(32);
            (c.clone(), Some(c))
        }
    };
    Page {
        lang,
        title: lang.t(title_id),
        section: "",
        nav: None,
        csrf,
        idle_secs: 0,
        path: path_of(parts),
        notice: None,
        crisis: None,
        asset_version: crate::assets::VERSION,
        version: env!("CARGO_PKG_VERSION"),
        offset_minutes: state.config.display_offset_minutes,
        new_csrf_cookie,
    }
}

/// Field errors by field name, localised.
#[derive(Default)]
pub struct Errors(BTreeMap<String, String>);

impl Errors {
    pub fn none() -> Errors {
        Errors::default()
    }

    pub fn from_fields(lang: Lang, fields: &[FieldError]) -> Errors {
        let mut map = BTreeMap::new();
        for f in fields {
            map.entry(f.field.clone())
                .or_insert_with(|| lang.field_error(f));
        }
        Errors(map)
    }

    pub fn form(lang: Lang, id: &str) -> Errors {
        let mut map = BTreeMap::new();
        map.insert("_form".to_owned(), lang.t(id));
        Errors(map)
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    /// Every message, as "field: message" (for forms whose fields are
    /// nested, like a checklist item's).
    pub fn all(&self) -> Vec<String> {
        self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Splits an error into form errors to show, or passes it on.
    pub fn of(lang: Lang, e: Error) -> Result<Errors> {
        match e {
            Error::Invalid(fields) => Ok(Errors::from_fields(lang, &fields)),
            Error::Conflict { field } => Ok(Errors::from_fields(
                lang,
                &[FieldError::new(field, "taken")],
            )),
            other => Err(other),
        }
    }
}

/// Renders a template into a response with `status`, adding the CSRF
/// cookie if the page created one.
pub fn render(status: StatusCode, page: &Page, tpl: &impl Template) -> Response {
    match tpl.render() {
        Ok(html) => {
            let mut res = (status, axum::response::Html(html)).into_response();
            if let Some(c) = &page.new_csrf_cookie
                && let Ok(v) = HeaderValue::from_str(&extract::host_cookie(CSRF_COOKIE, c, None))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => Error::Internal(format!("template: {e}")).into_response(),
    }
}

pub fn ok(page: &Page, tpl: &impl Template) -> Response {
    render(StatusCode::OK, page, tpl)
}

/// Status for a re-rendered form with errors.
pub fn form_status(errors: &Errors) -> StatusCode {
    if errors.0.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Redirects after a successful POST (303, so the browser GETs the target).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A one-time secret (activation link, API token) shown once.
#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkTpl<'a> {
    pub page: &'a Page,
    pub heading: String,
    pub intro: String,
    pub label: String,
    pub value: String,
    pub note: String,
    pub back: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl<'a> {
    page: &'a Page,
    heading: String,
    message: String,
    request_id: Option<String>,
}

/// Renders a handler's error as a page, or redirects where that helps
/// the user more (to the login, password or TOTP page).
pub fn error_response(
    state: &AppState,
    parts: &Parts,
    e: &Error,
    request_id: Option<String>,
) -> Response {
    let next =
        percent_encoding::utf8_percent_encode(&path_of(parts), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    match e {
        Error::Unauthenticated => return see_other(&format!("/login?next={next}")),
        Error::SessionExpired => return see_other(&format!("/login?reason=timeout&next={next}")),
        Error::PasswordChangeRequired => return see_other("/account/password"),
        Error::TotpEnrolmentRequired => return see_other("/account/totp"),
        _ => {}
    }
    let mut page = anon_page(state, parts, "error-title");
    // An error page has no form; setting a CSRF cookie here could replace
    // the one a form in another request (tab, favicon) was rendered with.
    page.new_csrf_cookie = None;
    let (heading, message) = match e {
        Error::NotFound => ("error-not-found-title", "error-not-found"),
        Error::Forbidden => ("error-forbidden-title", "error-forbidden"),
        Error::Csrf => ("error-csrf-title", "error-csrf"),
        Error::MethodNotAllowed => ("error-method-title", "error-method"),
        Error::PayloadTooLarge => ("error-too-large-title", "error-too-large"),
        Error::Busy => ("error-busy-title", "error-busy"),
        Error::InUse { .. } => ("error-in-use-title", "error-in-use"),
        Error::BadRequest { .. } | Error::Invalid(_) => {
            ("error-bad-request-title", "error-bad-request")
        }
        _ => ("error-internal-title", "error-internal"),
    };
    let show_id = matches!(e, Error::Internal(_));
    let tpl = ErrorTpl {
        page: &page,
        heading: page.t(heading),
        message: page.t(message),
        request_id: request_id.filter(|_| show_id),
    };
    render(e.status(), &page, &tpl)
}
