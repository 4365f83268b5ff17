//! "My account": password, second factor, sessions and API tokens.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::{Errors, LinkTpl, Page, form_status, ok, page, render, see_other};
use crate::auth::{Actor, WebUser, password_change_due, totp_enrolment_due};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Id};
use crate::routes::{Access, Routes};
use crate::service;
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::User, Method::GET, "/account", get(account))
        .ui(
            Access::User,
            Method::GET,
            "/account/password",
            get(password_page),
        )
        .ui(
            Access::User,
            Method::POST,
            "/account/password",
            post(password_submit),
        )
        .ui(Access::User, Method::GET, "/account/totp", get(totp_page))
        .ui(
            Access::User,
            Method::POST,
            "/account/totp",
            post(totp_confirm),
        )
        .ui(
            Access::User,
            Method::POST,
            "/account/totp/disable",
            post(totp_disable),
        )
        .ui(
            Access::User,
            Method::POST,
            "/account/sessions/{session_id}/revoke",
            post(session_revoke),
        )
        .ui(
            Access::User,
            Method::POST,
            "/account/tokens",
            post(token_create),
        )
        .ui(
            Access::User,
            Method::POST,
            "/account/tokens/{token_id}/revoke",
            post(token_revoke),
        )
}

struct SessionView {
    reference: String,
    started: String,
    last_seen: String,
    ip: String,
    client: String,
    current: bool,
}

struct TokenView {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    expires: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTpl<'a> {
    page: &'a Page,
    username: String,
    display_name: String,
    role: String,
    password_changed: String,
    totp_enabled: bool,
    totp_errors: Errors,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
    token_errors: Errors,
    scopes: Vec<(String, String)>,
}

async fn account_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    totp_errors: Errors,
    token_errors: Errors,
) -> Result<Response> {
    let page = page(state, parts, actor, "account-title", "account").await?;
    let current = actor
        .session()
        .map(|s| s.id_hash.clone())
        .unwrap_or_default();
    let sessions = state
        .store
        .list_sessions(&actor.user.id)
        .await?
        .into_iter()
        .filter(|s| s.stage == medsec_store::SessionStage::Full)
        .map(|s| SessionView {
            reference: medsec_store::session_ref(&s.id_hash),
            started: page.time(s.created_at),
            last_seen: page.time(s.last_seen_at),
            ip: s.ip.clone(),
            client: format!("{} · {}", s.kind.as_str(), s.user_agent),
            current: s.id_hash == current,
        })
        .collect();
    let tokens = state
        .store
        .list_tokens(&actor.user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scopes: t
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            expires: page.time(t.expires_at),
            last_used: page.time_opt(t.last_used_at),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let scopes = medsec_core::org::Scope::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                page.t(&format!("scope-{}", s.as_str())),
            )
        })
        .collect();
    let status = if form_status(&totp_errors) == StatusCode::OK {
        form_status(&token_errors)
    } else {
        form_status(&totp_errors)
    };
    let tpl = AccountTpl {
        username: actor.user.username.clone(),
        display_name: actor.user.display_name.clone(),
        role: page.role(actor.user.role),
        password_changed: page.time_opt(actor.user.password_changed_at),
        totp_enabled: actor.user.totp_enabled,
        totp_errors,
        sessions,
        tokens,
        token_errors,
        scopes,
        page: &page,
    };
    Ok(render(status, &page, &tpl))
}

async fn account(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    account_page(&state, &parts, &actor, Errors::none(), Errors::none()).await
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl<'a> {
    page: &'a Page,
    errors: Errors,
    forced: bool,
}

async fn password_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "password-title", "account").await?;
    let forced = password_change_due(&actor.user, &*state.policy().await?, state.now());
    Ok(ok(
        &page,
        &PasswordTpl {
            page: &page,
            errors: Errors::none(),
            forced,
        },
    ))
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

async fn password_submit(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response> {
    match service::change_password(
        &state,
        &actor,
        &form.current_password,
        &form.new_password,
        &form.new_password_confirm,
    )
    .await
    {
        Ok(()) => {
            let page = page(&state, &parts, &actor, "password-title", "account")
                .await?
                .notice("success", "password-changed");
            Ok(ok(
                &page,
                &PasswordTpl {
                    page: &page,
                    errors: Errors::none(),
                    forced: false,
                },
            ))
        }
        Err(e) => {
            let page = page(&state, &parts, &actor, "password-title", "account").await?;
            let errors = Errors::of(page.lang, e)?;
            let forced = password_change_due(&actor.user, &*state.policy().await?, state.now());
            Ok(render(
                form_status(&errors),
                &page,
                &PasswordTpl {
                    page: &page,
                    errors,
                    forced,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "totp_setup.html")]
struct TotpSetupTpl<'a> {
    page: &'a Page,
    errors: Errors,
    secret: String,
    qr_svg: String,
    forced: bool,
}

fn qr_svg(data: &str) -> Result<String> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The XML declaration is meaningless inside HTML.
    Ok(match svg.find("<svg") {
        Some(i) => svg.get(i..).unwrap_or(&svg).to_owned(),
        None => svg,
    })
}

async fn totp_setup_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
) -> Result<Response> {
    if actor.user.totp_enabled {
        return Ok(see_other("/account"));
    }
    let (secret, url) = service::totp_begin(state, actor).await?;
    let page = page(state, parts, actor, "totp-setup-title", "account").await?;
    let forced = totp_enrolment_due(&actor.user, &*state.policy().await?);
    let status = form_status(&errors);
    let tpl = TotpSetupTpl {
        page: &page,
        errors,
        qr_svg: qr_svg(&url)?,
        secret,
        forced,
    };
    Ok(render(status, &page, &tpl))
}

async fn totp_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    totp_setup_page(&state, &parts, &actor, Errors::none()).await
}

#[derive(serde::Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn totp_confirm(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response> {
    match service::totp_confirm(&state, &actor, &form.code).await {
        Ok(()) => Ok(see_other("/account")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            totp_setup_page(&state, &parts, &actor, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct DisableForm {
    #[serde(default)]
    password: String,
}

async fn totp_disable(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<Response> {
    match service::totp_disable(&state, &actor, &form.password).await {
        Ok(()) => Ok(see_other("/account")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            account_page(&state, &parts, &actor, errors, Errors::none()).await
        }
    }
}

#[derive(serde::Deserialize)]
struct Empty {}

async fn session_revoke(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(reference): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    service::revoke_session(&state, &actor, &reference).await?;
    Ok(see_other("/account"))
}

async fn token_create(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    body: CsrfForm<Vec<(String, String)>>,
) -> Result<Response> {
    // Repeated `scopes` fields are read from the raw pairs.
    let pairs = body.0;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "scopes")
        .map(|(_, v)| v.clone())
        .collect();
    let days = get("days").trim().parse::<u32>();
    let result = match days {
        Ok(days) => service::create_token(&state, &actor, &get("name"), &scopes, days).await,
        Err(_) => Err(Error::field("days", "not_a_number")),
    };
    match result {
        Ok((token, secret)) => {
            let page = page(&state, &parts, &actor, "account-title", "account").await?;
            let tpl = LinkTpl {
                heading: page.t("token-created-title"),
                intro: page.ta("token-created-intro", "name", &token.name),
                label: page.t("token-created-label"),
                value: secret,
                note: page.t("token-created-note"),
                back: "/account".into(),
                page: &page,
            };
            Ok(render(StatusCode::CREATED, &page, &tpl))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            account_page(&state, &parts, &actor, Errors::none(), errors).await
        }
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    service::revoke_token(&state, &actor, &id).await?;
    Ok(see_other("/account"))
}
