//! Administration pages: users, organisations, the audit log and the
//! security policy.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use medsec_core::policy::{AdminSessionPolicy, SecurityPolicy};
use medsec_core::{OrgKind, Permission};
use medsec_store::{Organization, User};

use super::pages::AuditRow;
use super::{Errors, LinkTpl, Page, form_status, ok, page, render, see_other};
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Id, Query};
use crate::routes::{Access, Routes};
use crate::service;
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::User, Method::GET, "/users", get(users))
        .ui(Access::User, Method::GET, "/users/new", get(user_new))
        .ui(Access::User, Method::POST, "/users", post(user_create))
        .ui(
            Access::User,
            Method::GET,
            "/users/{user_id}",
            get(user_show),
        )
        .ui(
            Access::User,
            Method::POST,
            "/users/{user_id}",
            post(user_update),
        )
        .ui(
            Access::User,
            Method::POST,
            "/users/{user_id}/unlock",
            post(user_unlock),
        )
        .ui(
            Access::User,
            Method::POST,
            "/users/{user_id}/reset",
            post(user_reset),
        )
        .ui(
            Access::User,
            Method::POST,
            "/users/{user_id}/delete",
            post(user_delete),
        )
        .ui(Access::User, Method::GET, "/organizations", get(orgs))
        .ui(
            Access::User,
            Method::POST,
            "/organizations",
            post(org_create),
        )
        .ui(
            Access::User,
            Method::GET,
            "/organizations/{org_id}",
            get(org_show),
        )
        .ui(
            Access::User,
            Method::POST,
            "/organizations/{org_id}",
            post(org_update),
        )
        .ui(
            Access::User,
            Method::POST,
            "/organizations/{org_id}/invite",
            post(org_invite),
        )
        .ui(Access::User, Method::GET, "/audit", get(audit))
        .ui(Access::User, Method::GET, "/audit.csv", get(audit_csv))
        .ui(Access::User, Method::GET, "/settings", get(settings))
        .ui(
            Access::User,
            Method::POST,
            "/settings",
            post(settings_update),
        )
}

/// A user as the tables and detail page show it.
pub struct UserView {
    id: String,
    username: String,
    display_name: String,
    role: String,
    role_code: String,
    status: String,
    status_class: &'static str,
    locked: bool,
    last_login: String,
    totp: bool,
    created: String,
}

impl UserView {
    fn new(page: &Page, u: &User, now: medsec_core::Timestamp) -> UserView {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: page.role(u.role),
            role_code: u.role.as_str().to_owned(),
            status: page.t(&format!("status-{}", u.status.as_str())),
            status_class: u.status.as_str(),
            locked: u.locked_until.is_some_and(|t| t > now),
            last_login: page.time_opt(u.last_login_at),
            totp: u.totp_enabled,
            created: page.time(u.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl<'a> {
    page: &'a Page,
    users: Vec<UserView>,
}

async fn users(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    actor.require(&state, Permission::ManageUsers).await?;
    let page = page(&state, &parts, &actor, "users-title", "users").await?;
    let now = state.now();
    let users = state
        .store
        .list_users(&actor.org.id)
        .await?
        .iter()
        .map(|u| UserView::new(&page, u, now))
        .collect();
    Ok(ok(&page, &UsersTpl { page: &page, users }))
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct UserNewTpl<'a> {
    page: &'a Page,
    errors: Errors,
    form: service::NewUserInput,
    roles: Vec<(String, String)>,
}

async fn user_new(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    actor.require(&state, Permission::ManageUsers).await?;
    let page = page(&state, &parts, &actor, "users-new", "users").await?;
    let form = service::NewUserInput {
        role: "viewer".into(),
        ..Default::default()
    };
    Ok(ok(
        &page,
        &UserNewTpl {
            roles: page.roles(actor.org.kind),
            page: &page,
            errors: Errors::none(),
            form,
        },
    ))
}

fn activation_page(page: &Page, parts: &Parts, user: &User, token: &str, back: String) -> Response {
    let tpl = LinkTpl {
        page,
        heading: page.t("link-activation-title"),
        intro: page.ta("link-activation-intro", "username", &user.username),
        label: page.t("link-activation-label"),
        value: service::link(&crate::extract::base_url(parts), "/activate", token),
        note: page.t("link-activation-note"),
        back,
    };
    render(StatusCode::CREATED, page, &tpl)
}

async fn user_create(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<service::NewUserInput>,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "users-new", "users").await?;
    match service::create_user(&state, &actor, &form).await {
        Ok((user, token)) => Ok(activation_page(
            &page,
            &parts,
            &user,
            &token,
            format!("/users/{}", user.id),
        )),
        Err(e) => {
            let errors = Errors::of(page.lang, e)?;
            let tpl = UserNewTpl {
                roles: page.roles(actor.org.kind),
                page: &page,
                errors,
                form,
            };
            Ok(render(form_status(&tpl.errors), &page, &tpl))
        }
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserTpl<'a> {
    page: &'a Page,
    user: UserView,
    errors: Errors,
    roles: Vec<(String, String)>,
    is_self: bool,
}

async fn user_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    actor.require(state, Permission::ManageUsers).await?;
    let user = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let page = page(state, parts, actor, "users-title", "users").await?;
    let status = form_status(&errors);
    let tpl = UserTpl {
        user: UserView::new(&page, &user, state.now()),
        roles: page.roles(actor.org.kind),
        is_self: user.id == actor.user.id,
        page: &page,
        errors,
    };
    Ok(render(status, &page, &tpl))
}

async fn user_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    user_page(&state, &parts, &actor, &id, Errors::none()).await
}

async fn user_update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<service::UserChanges>,
) -> Result<Response> {
    match service::update_user(&state, &actor, &id, &form).await {
        Ok(_) => Ok(see_other(&format!("/users/{id}"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            user_page(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct Empty {}

async fn user_unlock(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    service::unlock_user(&state, &actor, &id).await?;
    Ok(see_other(&format!("/users/{id}")))
}

async fn user_reset(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let (user, token) = service::reset_user(&state, &actor, &id).await?;
    let page = page(&state, &parts, &actor, "users-title", "users").await?;
    Ok(activation_page(
        &page,
        &parts,
        &user,
        &token,
        format!("/users/{id}"),
    ))
}

async fn user_delete(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    match service::delete_user(&state, &actor, &id).await {
        Ok(()) => Ok(see_other("/users")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            user_page(&state, &parts, &actor, &id, errors).await
        }
    }
}

/// An organisation as lists and the detail page show it.
pub struct OrgView {
    id: String,
    name: String,
    kind: String,
    is_operator: bool,
    enabled: bool,
    created: String,
}

impl OrgView {
    fn new(page: &Page, o: &Organization) -> OrgView {
        OrgView {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: page.kind(o.kind),
            is_operator: o.is_operator,
            enabled: o.enabled,
            created: page.time(o.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsTpl<'a> {
    page: &'a Page,
    orgs: Vec<OrgView>,
    can_create: bool,
    errors: Errors,
    form: OrgForm,
    kinds: Vec<(String, String)>,
}

#[derive(Default, serde::Deserialize)]
struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    admin_username: String,
    #[serde(default)]
    admin_display_name: String,
}

async fn orgs_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    form: OrgForm,
) -> Result<Response> {
    let page = page(state, parts, actor, "orgs-title", "organizations").await?;
    let orgs = service::visible_orgs(state, actor)
        .await?
        .iter()
        .map(|o| OrgView::new(&page, o))
        .collect();
    let status = form_status(&errors);
    let tpl = OrgsTpl {
        orgs,
        can_create: actor.is_operator_admin(),
        kinds: page.kinds(),
        page: &page,
        errors,
        form,
    };
    Ok(render(status, &page, &tpl))
}

async fn orgs(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    orgs_page(
        &state,
        &parts,
        &actor,
        Errors::none(),
        OrgForm {
            kind: OrgKind::Hospital.as_str().into(),
            ..Default::default()
        },
    )
    .await
}

async fn org_create(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response> {
    let input = service::NewOrgInput {
        name: form.name.clone(),
        kind: form.kind.clone(),
        admin_username: Some(form.admin_username.clone()),
        admin_display_name: Some(form.admin_display_name.clone()),
    };
    match service::create_org(&state, &actor, &input).await {
        Ok((org, Some((user, token)))) => {
            let page = page(&state, &parts, &actor, "orgs-title", "organizations").await?;
            Ok(activation_page(
                &page,
                &parts,
                &user,
                &token,
                format!("/organizations/{}", org.id),
            ))
        }
        Ok((org, None)) => Ok(see_other(&format!("/organizations/{}", org.id))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            orgs_page(&state, &parts, &actor, errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgTpl<'a> {
    page: &'a Page,
    org: OrgView,
    can_manage: bool,
    errors: Errors,
    invite_errors: Errors,
}

async fn org_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
    invite_errors: Errors,
) -> Result<Response> {
    let org = service::get_org(state, actor, id).await?;
    let page = page(state, parts, actor, "orgs-title", "organizations").await?;
    let status = if form_status(&errors) == StatusCode::OK {
        form_status(&invite_errors)
    } else {
        form_status(&errors)
    };
    let tpl = OrgTpl {
        org: OrgView::new(&page, &org),
        can_manage: actor.is_operator_admin(),
        page: &page,
        errors,
        invite_errors,
    };
    Ok(render(status, &page, &tpl))
}

async fn org_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    org_page(&state, &parts, &actor, &id, Errors::none(), Errors::none()).await
}

#[derive(serde::Deserialize)]
struct OrgUpdateForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    enabled: Option<String>,
}

async fn org_update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<OrgUpdateForm>,
) -> Result<Response> {
    let enabled = match form.enabled.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(Error::field("enabled", "invalid_choice")),
    };
    let changes = service::OrgChanges {
        name: form.name,
        enabled,
    };
    match service::update_org(&state, &actor, &id, &changes).await {
        Ok(_) => Ok(see_other(&format!("/organizations/{id}"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            org_page(&state, &parts, &actor, &id, errors, Errors::none()).await
        }
    }
}

#[derive(serde::Deserialize)]
struct InviteForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
}

async fn org_invite(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<Response> {
    match service::invite_admin(&state, &actor, &id, &form.username, &form.display_name).await {
        Ok((user, token)) => {
            let page = page(&state, &parts, &actor, "orgs-title", "organizations").await?;
            Ok(activation_page(
                &page,
                &parts,
                &user,
                &token,
                format!("/organizations/{id}"),
            ))
        }
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            org_page(&state, &parts, &actor, &id, Errors::none(), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl<'a> {
    page: &'a Page,
    q: AuditForm,
    errors: Errors,
    actions: Vec<(String, String)>,
    rows: Vec<AuditRow>,
    query_string: String,
    older: Option<String>,
    chain: Option<(&'static str, String)>,
}

/// The audit filters as the form echoes them back.
#[derive(Default, serde::Deserialize, serde::Serialize)]
struct AuditForm {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<i64>,
}

impl AuditForm {
    fn without_paging(&self) -> AuditForm {
        AuditForm {
            actor: self.actor.clone(),
            action: self.action.clone(),
            outcome: self.outcome.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            before: None,
        }
    }

    fn query(&self) -> service::AuditQuery {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        service::AuditQuery {
            actor: o(&self.actor),
            action: o(&self.action),
            outcome: o(&self.outcome),
            from: o(&self.from),
            to: o(&self.to),
            before: self.before,
            limit: None,
        }
    }
}

const AUDIT_PAGE: i64 = 100;

async fn audit(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(form): Query<AuditForm>,
) -> Result<Response> {
    actor.require(&state, Permission::ViewAudit).await?;
    let page = page(&state, &parts, &actor, "audit-title", "audit").await?;
    let (rows, errors) = match form
        .query()
        .to_filter(state.config.display_offset_minutes, AUDIT_PAGE)
    {
        Ok(filter) => (
            service::audit_records(&state, &actor, &filter).await?,
            Errors::none(),
        ),
        Err(e) => (Vec::new(), Errors::of(page.lang, e)?),
    };
    let older = (rows.len() as i64 == AUDIT_PAGE).then(|| {
        let next = AuditForm {
            before: rows.last().map(|r| r.seq),
            ..form.without_paging()
        };
        serde_urlencoded::to_string(&next).unwrap_or_default()
    });
    let chain = if actor.is_operator_admin() && form.before.is_none() {
        let v = state.store.verify_audit(|_| {}).await?;
        Some(match v.first_break {
            None => (
                "success",
                page.ta("audit-chain-ok", "count", v.checked.to_string()),
            ),
            Some(b) => (
                "error",
                page.ta("audit-chain-broken", "problem", b.to_string()),
            ),
        })
    } else {
        None
    };
    let query_string = serde_urlencoded::to_string(form.without_paging()).unwrap_or_default();
    let actions = medsec_core::audit::Action::ALL
        .iter()
        .map(|a| {
            (
                a.as_str().to_owned(),
                page.t(&format!("action-{}", a.as_str().replace('.', "-"))),
            )
        })
        .collect();
    let status = form_status(&errors);
    let tpl = AuditTpl {
        rows: rows.iter().map(|r| AuditRow::new(&page, r)).collect(),
        page: &page,
        q: form,
        errors,
        actions,
        query_string,
        older,
        chain,
    };
    Ok(render(status, &page, &tpl))
}

async fn audit_csv(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Query(form): Query<AuditForm>,
) -> Result<Response> {
    let filter = form
        .query()
        .to_filter(state.config.display_offset_minutes, 10_000)?;
    let csv = service::audit_csv(&state, &actor, &filter).await?;
    let name = format!(
        "attachment; filename=\"medsec-audit-{}.csv\"",
        state.now().rfc3339().replace([':', '.'], "-")
    );
    let mut res = (StatusCode::OK, csv).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsTpl<'a> {
    page: &'a Page,
    errors: Errors,
    form: SettingsForm,
}

/// The policy form, in the units people think in.
#[derive(serde::Deserialize)]
struct SettingsForm {
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    #[serde(default)]
    idle_timeout_secs: String,
    #[serde(default)]
    session_lifetime_minutes: String,
    #[serde(default)]
    admin_sessions: String,
    #[serde(default)]
    password_max_age_days: String,
    #[serde(default)]
    password_history: String,
    #[serde(default)]
    token_max_days: String,
    #[serde(default)]
    require_totp_for_admins: Option<String>,
}

impl SettingsForm {
    fn from_policy(p: &SecurityPolicy) -> SettingsForm {
        SettingsForm {
            lockout_threshold: p.lockout_threshold.to_string(),
            lockout_minutes: (p.lockout_secs / 60).to_string(),
            idle_timeout_secs: p.idle_timeout_secs.to_string(),
            session_lifetime_minutes: (p.session_lifetime_secs / 60).to_string(),
            admin_sessions: match p.admin_sessions {
                AdminSessionPolicy::ReplaceOld => "replace_old".into(),
                AdminSessionPolicy::RefuseNew => "refuse_new".into(),
            },
            password_max_age_days: p.password_max_age_days.to_string(),
            password_history: p.password_history.to_string(),
            token_max_days: p.token_max_days.to_string(),
            require_totp_for_admins: p.require_totp_for_admins.then(|| "true".into()),
        }
    }

    fn to_policy(
        &self,
    ) -> std::result::Result<SecurityPolicy, Vec<medsec_core::validate::FieldError>> {
        let mut errors = Vec::new();
        let mut num = |field: &'static str, v: &str, scale: u32| match v.trim().parse::<u32>() {
            Ok(n) => n.saturating_mul(scale),
            Err(_) => {
                errors.push(medsec_core::validate::FieldError::new(
                    field,
                    "not_a_number",
                ));
                0
            }
        };
        let policy = SecurityPolicy {
            lockout_threshold: num("lockout_threshold", &self.lockout_threshold, 1),
            lockout_secs: num("lockout_minutes", &self.lockout_minutes, 60),
            idle_timeout_secs: num("idle_timeout_secs", &self.idle_timeout_secs, 1),
            session_lifetime_secs: num(
                "session_lifetime_minutes",
                &self.session_lifetime_minutes,
                60,
            ),
            admin_sessions: if self.admin_sessions == "refuse_new" {
                AdminSessionPolicy::RefuseNew
            } else {
                AdminSessionPolicy::ReplaceOld
            },
            password_max_age_days: num("password_max_age_days", &self.password_max_age_days, 1),
            password_history: num("password_history", &self.password_history, 1),
            require_totp_for_admins: self.require_totp_for_admins.as_deref() == Some("true"),
            token_max_days: num("token_max_days", &self.token_max_days, 1),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // Map the policy's field names back to the form's.
        let renamed: Vec<_> = policy
            .validate()
            .into_iter()
            .map(|mut e| {
                e.field = match e.field.as_str() {
                    "lockout_secs" => "lockout_minutes".into(),
                    "session_lifetime_secs" => "session_lifetime_minutes".into(),
                    other => other.to_owned(),
                };
                e
            })
            .collect();
        if renamed.is_empty() {
            Ok(policy)
        } else {
            Err(renamed)
        }
    }
}

async fn settings(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    actor
        .require(&state, Permission::ManageSecurityPolicy)
        .await?;
    let page = page(&state, &parts, &actor, "settings-title", "settings").await?;
    let form = SettingsForm::from_policy(&*state.policy().await?);
    Ok(ok(
        &page,
        &SettingsTpl {
            page: &page,
            errors: Errors::none(),
            form,
        },
    ))
}

async fn settings_update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response> {
    actor
        .require(&state, Permission::ManageSecurityPolicy)
        .await?;
    let result = match form.to_policy() {
        Ok(policy) => service::update_policy(&state, &actor, policy)
            .await
            .map(|_| ()),
        Err(errors) => Err(Error::Invalid(errors)),
    };
    let page = page(&state, &parts, &actor, "settings-title", "settings").await?;
    match result {
        Ok(()) => {
            let page = page.notice("success", "settings-saved");
            let form = SettingsForm::from_policy(&*state.policy().await?);
            Ok(ok(
                &page,
                &SettingsTpl {
                    page: &page,
                    errors: Errors::none(),
                    form,
                },
            ))
        }
        Err(e) => {
            let errors = Errors::of(page.lang, e)?;
            let status = form_status(&errors);
            Ok(render(
                status,
                &page,
                &SettingsTpl {
                    page: &page,
                    errors,
                    form,
                },
            ))
        }
    }
}
