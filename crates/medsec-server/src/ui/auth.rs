//! Setup, login (with the TOTP step), logout, activation links and the
//! language switch.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use medsec_store::SessionKind;

use super::{Errors, Page, anon_page, form_status, render, see_other};
use crate::auth::{self, LoginResult, MaybeWebUser, PendingTotp, WebUser};
use crate::error::{Error, Result};
use crate::extract::{
    self, ClientIp, CsrfForm, Id, Query, SESSION_COOKIE, host_cookie, safe_next, user_agent,
};
use crate::routes::{Access, Routes};
use crate::service;
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::Public, Method::GET, "/setup", get(setup_page))
        .ui(Access::Public, Method::POST, "/setup", post(setup_submit))
        .ui(Access::Public, Method::GET, "/login", get(login_page))
        .ui(Access::Public, Method::POST, "/login", post(login_submit))
        .ui(Access::Public, Method::GET, "/login/totp", get(totp_page))
        .ui(
            Access::Public,
            Method::POST,
            "/login/totp",
            post(totp_submit),
        )
        .ui(Access::User, Method::POST, "/logout", post(logout))
        .ui(Access::Public, Method::GET, "/activate", get(activate_page))
        .ui(
            Access::Public,
            Method::POST,
            "/activate",
            post(activate_submit),
        )
        .ui(
            Access::Public,
            Method::GET,
            "/lang/{lang}",
            get(switch_lang),
        )
}

#[derive(Default, serde::Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupTpl<'a> {
    page: &'a Page,
    errors: Errors,
    token: String,
    form: SetupForm,
    kinds: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The setup page exists only while the instance has no user, and only
/// with the live one-time token printed at start.
async fn setup_allowed(state: &AppState, token: &str) -> Result<()> {
    if token.is_empty() || state.store.user_count().await? > 0 {
        return Err(Error::NotFound);
    }
    let hash = medsec_core::credential::secret_hash(token);
    match state
        .store
        .peek_one_time_token(medsec_store::OneTimePurpose::Setup, &hash, state.now())
        .await?
    {
        Some(_) => Ok(()),
        None => Err(Error::NotFound),
    }
}

async fn setup_page(
    State(state): State<AppState>,
    parts: Parts,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    setup_allowed(&state, &q.token).await?;
    let page = anon_page(&state, &parts, "setup-title");
    let form = SetupForm {
        org_kind: "isac".into(),
        ..Default::default()
    };
    let tpl = SetupTpl {
        kinds: page.kinds(),
        page: &page,
        errors: Errors::none(),
        token: q.token,
        form,
    };
    Ok(render(StatusCode::OK, &page, &tpl))
}

async fn setup_submit(
    State(state): State<AppState>,
    parts: Parts,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response> {
    setup_allowed(&state, &form.token).await?;
    let input = service::SetupInput {
        org_name: form.org_name.clone(),
        org_kind: form.org_kind.clone(),
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        password_confirm: form.password_confirm.clone(),
    };
    match service::setup(&state, &input, Some(&form.token), &ip.0).await {
        Ok(_) => Ok(see_other("/login?reason=setup")),
        Err(e) => {
            let page = anon_page(&state, &parts, "setup-title");
            let errors = Errors::of(page.lang, e)?;
            let form = SetupForm {
                password: String::new(),
                password_confirm: String::new(),
                ..form
            };
            let tpl = SetupTpl {
                kinds: page.kinds(),
                page: &page,
                token: form.token.clone(),
                errors,
                form,
            };
            Ok(render(form_status(&tpl.errors), &page, &tpl))
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl<'a> {
    page: &'a Page,
    errors: Errors,
    username: String,
    next: String,
}

#[derive(serde::Deserialize)]
struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    parts: Parts,
    MaybeWebUser(user): MaybeWebUser,
    Query(q): Query<LoginQuery>,
) -> Result<Response> {
    if user.is_some() {
        return Ok(see_other(&safe_next(q.next.as_deref())));
    }
    if state.store.user_count().await? == 0 {
        // Nothing to log in to yet: say how to set up instead.
        let page = anon_page(&state, &parts, "login-title").notice("info", "login-setup-pending");
        let tpl = LoginTpl {
            page: &page,
            errors: Errors::none(),
            username: String::new(),
            next: "/".into(),
        };
        return Ok(render(StatusCode::OK, &page, &tpl));
    }
    let mut page = anon_page(&state, &parts, "login-title");
    page = match q.reason.as_deref() {
        Some("timeout") => page.notice("warn", "login-timed-out"),
        Some("logout") => page.notice("info", "login-logged-out"),
        Some("setup") => page.notice("success", "login-setup-done"),
        Some("activated") => page.notice("success", "login-activated"),
        Some("password") => page.notice("success", "login-password-changed"),
        _ => page,
    };
    let tpl = LoginTpl {
        page: &page,
        errors: Errors::none(),
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    };
    Ok(render(StatusCode::OK, &page, &tpl))
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

fn session_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&host_cookie(SESSION_COOKIE, token, None))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

async fn login_submit(
    State(state): State<AppState>,
    parts: Parts,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let ua = user_agent(&parts);
    match auth::login(
        &state,
        &form.username,
        &form.password,
        None,
        SessionKind::Web,
        &ip.0,
        &ua,
    )
    .await
    {
        Ok(LoginResult::Full { token, .. }) => {
            Ok(with_cookie(see_other(&next), session_cookie(&token)))
        }
        Ok(LoginResult::NeedTotp { token }) => {
            let to = format!(
                "/login/totp?next={}",
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
            );
            Ok(with_cookie(see_other(&to), session_cookie(&token)))
        }
        Err(e @ (Error::LoginFailed | Error::SessionRefused | Error::Busy)) => {
            let page = anon_page(&state, &parts, "login-title");
            let id = match e {
                Error::SessionRefused => "login-session-refused",
                Error::Busy => "error-busy",
                _ => "login-failed",
            };
            let tpl = LoginTpl {
                errors: Errors::form(page.lang, id),
                page: &page,
                username: form.username.chars().take(64).collect(),
                next,
            };
            Ok(render(e.status(), &page, &tpl))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpTpl<'a> {
    page: &'a Page,
    errors: Errors,
    next: String,
}

async fn totp_page(
    State(state): State<AppState>,
    parts: Parts,
    pending: PendingTotp,
    Query(q): Query<LoginQuery>,
) -> Result<Response> {
    let mut page = anon_page(&state, &parts, "totp-title");
    page.csrf = pending.session.csrf_token.clone();
    let tpl = TotpTpl {
        page: &page,
        errors: Errors::none(),
        next: safe_next(q.next.as_deref()),
    };
    Ok(render(StatusCode::OK, &page, &tpl))
}

#[derive(serde::Deserialize)]
struct TotpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

async fn totp_submit(
    State(state): State<AppState>,
    parts: Parts,
    ip: ClientIp,
    pending: PendingTotp,
    CsrfForm(form): CsrfForm<TotpForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    match auth::complete_totp(
        &state,
        &pending.session,
        &pending.principal,
        &pending.creds,
        &form.code,
        &ip.0,
    )
    .await
    {
        Ok(()) => Ok(see_other(&next)),
        Err(e @ (Error::LoginFailed | Error::SessionRefused)) => {
            let mut page = anon_page(&state, &parts, "totp-title");
            page.csrf = pending.session.csrf_token.clone();
            let id = if matches!(e, Error::SessionRefused) {
                "login-session-refused"
            } else {
                "totp-failed"
            };
            let tpl = TotpTpl {
                errors: Errors::form(page.lang, id),
                page: &page,
                next,
            };
            Ok(render(e.status(), &page, &tpl))
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    service::logout(&state, &actor).await?;
    Ok(with_cookie(
        see_other("/login?reason=logout"),
        HeaderValue::from_str(&host_cookie(SESSION_COOKIE, "", Some(0)))
            .unwrap_or(HeaderValue::from_static("")),
    ))
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivateTpl<'a> {
    page: &'a Page,
    errors: Errors,
    token: String,
    username: String,
}

async fn activate_page(
    State(state): State<AppState>,
    parts: Parts,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    let user = service::activation_user(&state, &q.token).await?;
    let page = anon_page(&state, &parts, "activate-title");
    let tpl = ActivateTpl {
        page: &page,
        errors: Errors::none(),
        token: q.token,
        username: user.username,
    };
    Ok(render(StatusCode::OK, &page, &tpl))
}

#[derive(serde::Deserialize)]
struct ActivateForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn activate_submit(
    State(state): State<AppState>,
    parts: Parts,
    ip: ClientIp,
    CsrfForm(form): CsrfForm<ActivateForm>,
) -> Result<Response> {
    let user = service::activation_user(&state, &form.token).await?;
    match service::activate(
        &state,
        &form.token,
        &form.password,
        &form.password_confirm,
        &ip.0,
    )
    .await
    {
        Ok(_) => Ok(see_other("/login?reason=activated")),
        Err(e) => {
            let page = anon_page(&state, &parts, "activate-title");
            let errors = Errors::of(page.lang, e)?;
            let tpl = ActivateTpl {
                page: &page,
                errors,
                token: form.token,
                username: user.username,
            };
            Ok(render(form_status(&tpl.errors), &page, &tpl))
        }
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn switch_lang(Id(lang): Id, Query(q): Query<LangQuery>) -> Result<Response> {
    let lang = crate::i18n::Lang::parse(&lang).ok_or(Error::NotFound)?;
    let cookie = format!(
        "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
        extract::LANG_COOKIE,
        lang.code()
    );
    let mut res = see_other(&safe_next(q.next.as_deref()));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res.into_response())
}
