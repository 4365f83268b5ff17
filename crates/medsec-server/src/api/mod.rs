//! The JSON API under `/api/v1`: the same operations and authorisation as
//! the UI (both call [`crate::service`]), bearer authentication (API
//! session tokens from `POST /api/v1/auth/login`, or API tokens), one
//! error body shape, and an OpenAPI 3.1 document at `/api/v1/openapi.json`.

mod alerts;
mod assure;
mod crisis;
mod incidents;
mod indicators;
mod premarket;
mod review_package;
pub mod sustain;
mod tools;
mod types;
mod watch;
mod webmon;
mod webshell;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use medsec_core::policy::SecurityPolicy;
use medsec_store::SessionKind;
use utoipa::OpenApi;

pub use types::*;

use crate::auth::{self, ApiUser, LoginResult};
use crate::error::{Error, Result};
use crate::extract::{ApiJson, ClientIp, Id, Query, RefId, RefPair, user_agent};
use crate::routes::{Access, Routes};
use crate::service;
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    let r = assure::routes(r);
    let r = premarket::routes(r);
    let r = review_package::routes(r);
    let r = sustain::routes(r);
    let r = watch::routes(r);
    let r = alerts::routes(r);
    let r = crisis::routes(r);
    let r = incidents::routes(r);
    let r = indicators::routes(r);
    let r = webmon::routes(r);
    let r = webshell::routes(r);
    let r = tools::routes(r);
    r.api(
        Public,
        Method::GET,
        "/api/v1/openapi.json",
        get(openapi_json),
    )
    .api(Public, Method::POST, "/api/v1/auth/login", post(login))
    .api(User, Method::POST, "/api/v1/auth/logout", post(logout))
    .api(User, Method::GET, "/api/v1/me", get(me))
    .api(
        User,
        Method::POST,
        "/api/v1/account/password",
        post(change_password),
    )
    .api(User, Method::POST, "/api/v1/account/totp", post(totp_begin))
    .api(
        User,
        Method::POST,
        "/api/v1/account/totp/confirm",
        post(totp_confirm),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/account/totp",
        delete(totp_disable),
    )
    .api(User, Method::GET, "/api/v1/users", get(list_users))
    .api(User, Method::POST, "/api/v1/users", post(create_user))
    .api(User, Method::GET, "/api/v1/users/{user_id}", get(get_user))
    .api(
        User,
        Method::PATCH,
        "/api/v1/users/{user_id}",
        patch(update_user),
    )
    .api(
        User,
        Method::DELETE,
        "/api/v1/users/{user_id}",
        delete(delete_user),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/users/{user_id}/unlock",
        post(unlock_user),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/users/{user_id}/reset",
        post(reset_user),
    )
    .api(User, Method::GET, "/api/v1/organizations", get(list_orgs))
    .api(
        User,
        Method::POST,
        "/api/v1/organizations",
        post(create_org),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/organizations/{org_id}",
        get(get_org),
    )
    .api(
        User,
        Method::PATCH,
        "/api/v1/organizations/{org_id}",
        patch(update_org),
    )
    .api(
        User,
        Method::POST,
        "/api/v1/organizations/{org_id}/invite",
        post(invite_admin),
    )
    .api(User, Method::GET, "/api/v1/audit", get(list_audit))
    .api(User, Method::GET, "/api/v1/audit/export", get(export_audit))
    .api(User, Method::GET, "/api/v1/audit/verify", get(verify_audit))
    .api(
        User,
        Method::GET,
        "/api/v1/settings/security",
        get(get_policy),
    )
    .api(
        User,
        Method::PUT,
        "/api/v1/settings/security",
        put(put_policy),
    )
    .api(User, Method::GET, "/api/v1/tokens", get(list_tokens))
    .api(User, Method::POST, "/api/v1/tokens", post(create_token))
    .api(
        User,
        Method::DELETE,
        "/api/v1/tokens/{token_id}",
        delete(revoke_token),
    )
    .api(User, Method::GET, "/api/v1/catalogs", get(list_catalogs))
    .api(
        User,
        Method::GET,
        "/api/v1/catalogs/{catalog_id}",
        get(get_catalog),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/catalogs/{catalog_id}/items/{item_id}",
        get(get_catalog_item),
    )
    .api(
        User,
        Method::GET,
        "/api/v1/catalog-search",
        get(search_catalogs),
    )
    .api(User, Method::GET, "/api/v1/sessions", get(list_sessions))
    .api(
        User,
        Method::DELETE,
        "/api/v1/sessions/{session_id}",
        delete(revoke_session),
    )
}

#[derive(OpenApi)]
#[openapi(
    info(title = "medsec API", description = "Cybersecurity lifecycle of connected medical devices: platform API (accounts, organisations, audit log, settings)."),
    paths(
        login, logout, me, change_password, totp_begin, totp_confirm, totp_disable,
        list_users, create_user, get_user, update_user, delete_user, unlock_user, reset_user,
        list_orgs, create_org, get_org, update_org, invite_admin,
        list_audit, export_audit, verify_audit, get_policy, put_policy,
        list_tokens, create_token, revoke_token, list_sessions, revoke_session, openapi_json,
        list_catalogs, get_catalog, get_catalog_item, search_catalogs,
    ),
    modifiers(&BearerAuth),
    tags((name = "catalogs"), (name = "auth"), (name = "account"), (name = "users"), (name = "organizations"), (name = "audit"), (name = "settings")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "auth", responses((status = 200, description = "The OpenAPI document")))]
async fn openapi_json() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(assure::AssureDoc::openapi());
    doc.merge(premarket::PremarketDoc::openapi());
    doc.merge(review_package::ReviewPackageDoc::openapi());
    doc.merge(sustain::SustainDoc::openapi());
    doc.merge(watch::WatchDoc::openapi());
    doc.merge(alerts::AlertsDoc::openapi());
    doc.merge(crisis::CrisisDoc::openapi());
    doc.merge(incidents::IncidentsDoc::openapi());
    doc.merge(indicators::IndicatorsDoc::openapi());
    doc.merge(webmon::WebMonitorsDoc::openapi());
    doc.merge(webshell::WebshellDoc::openapi());
    doc.merge(tools::ToolsDoc::openapi());
    match doc.to_json() {
        Ok(json) => {
            let mut res = json.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res
        }
        Err(e) => Error::Internal(format!("OpenAPI: {e}")).into_response(),
    }
}

/// Logs in with user name and password (and TOTP code when enabled);
/// returns a bearer token for this API. Every failure is the same 401.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "OK", body = LoginResponse), (status = 401, description = "Not authenticated, or login failed (one generic answer)", body = ErrorBody), (status = 409, description = "Conflict", body = ErrorBody), (status = 503, description = "Busy: too many logins are being checked", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    ip: ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    let ua = user_agent(&parts);
    match auth::login(
        &state,
        &body.username,
        &body.password,
        body.totp.as_deref(),
        SessionKind::Api,
        &ip.0,
        &ua,
    )
    .await?
    {
        LoginResult::Full {
            token, principal, ..
        } => {
            let policy = state.policy().await?;
            let now = state.now();
            // Read the user again: the login itself moved "last login" to
            // "previous login".
            let (p, _) = state
                .store
                .principal(&principal.user.id)
                .await?
                .ok_or(Error::Unauthenticated)?;
            let user = &p.user;
            Ok(Json(LoginResponse {
                token,
                token_type: "Bearer".into(),
                expires_at: now
                    .plus_secs(i64::from(policy.session_lifetime_secs))
                    .rfc3339(),
                idle_timeout_secs: policy.idle_timeout_secs,
                password_change_required: auth::password_change_due(user, &policy, now),
                totp_enrolment_required: auth::totp_enrolment_due(user, &policy),
                previous_login: user.prev_login_at.map(|t| PreviousLogin {
                    at: Some(t.rfc3339()),
                    address: user.prev_login_ip.clone(),
                    failed_attempts_since: user.failures_before_login,
                }),
                user: UserOut::new(user, now),
                organization: OrgOut::from(&p.org),
            }))
        }
        LoginResult::NeedTotp { .. } => Err(Error::LoginFailed),
    }
}

/// Ends the API session of the bearer token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "Done, no content"), (status = 401, description = "Not authenticated, or login failed (one generic answer)", body = ErrorBody)))]
async fn logout(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<StatusCode> {
    service::logout(&state, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, their organisation and the last successful login before this one.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])), responses((status = 200, description = "OK", body = MeResponse), (status = 401, description = "Not authenticated, or login failed (one generic answer)", body = ErrorBody)))]
async fn me(State(state): State<AppState>, ApiUser(actor): ApiUser) -> Result<Json<MeResponse>> {
    let policy = state.policy().await?;
    let now = state.now();
    Ok(Json(MeResponse {
        password_change_required: auth::password_change_due(&actor.user, &policy, now),
        totp_enrolment_required: auth::totp_enrolment_due(&actor.user, &policy),
        previous_login_at: actor.user.prev_login_at.map(|t| t.rfc3339()),
        previous_login_address: actor.user.prev_login_ip.clone(),
        user: UserOut::new(&actor.user, now),
        organization: OrgOut::from(&actor.org),
    }))
}

/// Changes the caller's password.
#[utoipa::path(post, path = "/api/v1/account/password", tag = "account", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204, description = "Done, no content"), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode> {
    service::change_password(
        &state,
        &actor,
        &body.current_password,
        &body.new_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts TOTP enrolment: returns a new secret and its otpauth URL.
#[utoipa::path(post, path = "/api/v1/account/totp", tag = "account", security(("bearer" = [])), responses((status = 200, description = "OK", body = TotpEnrolment), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn totp_begin(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<TotpEnrolment>> {
    let (secret, otpauth_url) = service::totp_begin(&state, &actor).await?;
    Ok(Json(TotpEnrolment {
        secret,
        otpauth_url,
    }))
}

/// Confirms TOTP enrolment with a current code.
#[utoipa::path(post, path = "/api/v1/account/totp/confirm", tag = "account", security(("bearer" = [])), request_body = TotpCode,
    responses((status = 204, description = "Done, no content"), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn totp_confirm(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<TotpCode>,
) -> Result<StatusCode> {
    service::totp_confirm(&state, &actor, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns TOTP off (needs the password).
#[utoipa::path(delete, path = "/api/v1/account/totp", tag = "account", security(("bearer" = [])), request_body = PasswordConfirm,
    responses((status = 204, description = "Done, no content"), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn totp_disable(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<PasswordConfirm>,
) -> Result<StatusCode> {
    service::totp_disable(&state, &actor, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The users of the caller's organisation (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<UserOut>), (status = 403, description = "Not allowed for this user or token", body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<UserOut>>> {
    actor
        .require(&state, medsec_core::Permission::ManageUsers)
        .await?;
    let now = state.now();
    Ok(Json(
        state
            .store
            .list_users(&actor.org.id)
            .await?
            .iter()
            .map(|u| UserOut::new(u, now))
            .collect(),
    ))
}

fn invited(state: &AppState, parts: &Parts, user: &medsec_store::User, token: &str) -> InvitedUser {
    InvitedUser {
        user: UserOut::new(user, state.now()),
        activation_url: service::link(&crate::extract::base_url(parts), "/activate", token),
        activation_expires_at: state.now().plus_secs(service::ACTIVATION_SECS).rfc3339(),
    }
}

/// Creates a user in the caller's organisation. The user chooses a
/// password through the returned one-time activation URL.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, description = "Created", body = InvitedUser), (status = 409, description = "Conflict", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<InvitedUser>)> {
    let input = service::NewUserInput {
        username: body.username,
        display_name: body.display_name,
        role: body.role,
    };
    let (user, token) = service::create_user(&state, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(invited(&state, &parts, &user, &token)),
    ))
}

/// One user of the caller's organisation.
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])), params(("user_id" = String, Path)),
    responses((status = 200, description = "OK", body = UserOut), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<UserOut>> {
    actor
        .require(&state, medsec_core::Permission::ManageUsers)
        .await?;
    let user = state
        .store
        .get_user(&actor.org.id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(UserOut::new(&user, state.now())))
}

/// Changes a user's display name, role or status (`active`, `disabled`).
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])), params(("user_id" = String, Path)), request_body = UserPatch,
    responses((status = 200, description = "OK", body = UserOut), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<UserPatch>,
) -> Result<Json<UserOut>> {
    let changes = service::UserChanges {
        display_name: body.display_name,
        role: body.role,
        status: body.status,
    };
    let user = service::update_user(&state, &actor, &id, &changes).await?;
    Ok(Json(UserOut::new(&user, state.now())))
}

/// Deletes a user, with their sessions and tokens.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])), params(("user_id" = String, Path)),
    responses((status = 204, description = "Done, no content"), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    service::delete_user(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a lock-out.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/unlock", tag = "users", security(("bearer" = [])), params(("user_id" = String, Path)),
    responses((status = 200, description = "OK", body = UserOut), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<UserOut>> {
    let user = service::unlock_user(&state, &actor, &id).await?;
    Ok(Json(UserOut::new(&user, state.now())))
}

/// Invalidates a user's password and issues a new activation URL.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reset", tag = "users", security(("bearer" = [])), params(("user_id" = String, Path)),
    responses((status = 200, description = "OK", body = InvitedUser), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn reset_user(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<InvitedUser>> {
    let (user, token) = service::reset_user(&state, &actor, &id).await?;
    Ok(Json(invited(&state, &parts, &user, &token)))
}

/// The organisations the caller may see: all for operator administrators, else their own.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<OrgOut>)))]
async fn list_orgs(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<OrgOut>>> {
    Ok(Json(
        service::visible_orgs(&state, &actor)
            .await?
            .iter()
            .map(OrgOut::from)
            .collect(),
    ))
}

/// Creates an organisation, optionally inviting its first administrator (operator administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), request_body = NewOrgRequest,
    responses((status = 201, description = "Created", body = CreatedOrg), (status = 403, description = "Not allowed for this user or token", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<NewOrgRequest>,
) -> Result<(StatusCode, Json<CreatedOrg>)> {
    let input = service::NewOrgInput {
        name: body.name,
        kind: body.kind,
        admin_username: body.admin.as_ref().map(|a| a.username.clone()),
        admin_display_name: body.admin.as_ref().map(|a| a.display_name.clone()),
    };
    let (org, admin) = service::create_org(&state, &actor, &input).await?;
    let admin = admin.map(|(u, t)| invited(&state, &parts, &u, &t));
    Ok((
        StatusCode::CREATED,
        Json(CreatedOrg {
            organization: OrgOut::from(&org),
            admin,
        }),
    ))
}

/// One organisation (the caller's own; any for operator administrators).
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}", tag = "organizations", security(("bearer" = [])), params(("org_id" = String, Path)),
    responses((status = 200, description = "OK", body = OrgOut), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn get_org(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<Json<OrgOut>> {
    Ok(Json(OrgOut::from(
        &service::get_org(&state, &actor, &id).await?,
    )))
}

/// Renames, disables or enables an organisation (operator administrators).
#[utoipa::path(patch, path = "/api/v1/organizations/{org_id}", tag = "organizations", security(("bearer" = [])), params(("org_id" = String, Path)), request_body = OrgPatch,
    responses((status = 200, description = "OK", body = OrgOut), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn update_org(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<OrgPatch>,
) -> Result<Json<OrgOut>> {
    let org = service::update_org(
        &state,
        &actor,
        &id,
        &service::OrgChanges {
            name: body.name,
            enabled: body.enabled,
        },
    )
    .await?;
    Ok(Json(OrgOut::from(&org)))
}

/// Invites an administrator into an organisation (operator administrators).
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/invite", tag = "organizations", security(("bearer" = [])), params(("org_id" = String, Path)), request_body = AdminInvite,
    responses((status = 201, description = "Created", body = InvitedUser), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn invite_admin(
    State(state): State<AppState>,
    parts: Parts,
    ApiUser(actor): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<AdminInvite>,
) -> Result<(StatusCode, Json<InvitedUser>)> {
    let (user, token) =
        service::invite_admin(&state, &actor, &id, &body.username, &body.display_name).await?;
    Ok((
        StatusCode::CREATED,
        Json(invited(&state, &parts, &user, &token)),
    ))
}

/// The caller's organisation's audit records, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, description = "OK", body = Vec<AuditRecordOut>), (status = 403, description = "Not allowed for this user or token", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<AuditParams>,
) -> Result<Json<Vec<AuditRecordOut>>> {
    let filter = q
        .into_query()
        .to_filter(state.config.display_offset_minutes, 100)?;
    Ok(Json(
        service::audit_records(&state, &actor, &filter)
            .await?
            .iter()
            .map(AuditRecordOut::from)
            .collect(),
    ))
}

/// The audit records as CSV (the export is itself audited).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, description = "OK", content_type = "text/csv", body = String), (status = 403, description = "Not allowed for this user or token", body = ErrorBody)))]
async fn export_audit(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<AuditParams>,
) -> Result<Response> {
    let filter = q
        .into_query()
        .to_filter(state.config.display_offset_minutes, 10_000)?;
    let csv = service::audit_csv(&state, &actor, &filter).await?;
    let mut res = csv.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(res)
}

/// Verifies the whole audit chain (operator administrators).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AuditVerification), (status = 403, description = "Not allowed for this user or token", body = ErrorBody)))]
async fn verify_audit(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<AuditVerification>> {
    actor
        .require(&state, medsec_core::Permission::ManageSecurityPolicy)
        .await?;
    let v = state.store.verify_audit(|_| {}).await?;
    Ok(Json(AuditVerification {
        intact: v.is_intact(),
        checked: v.checked,
        last_seq: v.last_seq,
        first_break: v.first_break.map(|b| b.to_string()),
    }))
}

/// The instance's security policy.
#[utoipa::path(get, path = "/api/v1/settings/security", tag = "settings", security(("bearer" = [])), responses((status = 200, description = "OK", body = PolicyDoc)))]
async fn get_policy(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<PolicyDoc>> {
    actor
        .require(&state, medsec_core::Permission::ManageSecurityPolicy)
        .await?;
    Ok(Json(PolicyDoc::from(&*state.policy().await?)))
}

/// Replaces the instance's security policy (operator administrators).
#[utoipa::path(put, path = "/api/v1/settings/security", tag = "settings", security(("bearer" = [])), request_body = PolicyDoc,
    responses((status = 200, description = "OK", body = PolicyDoc), (status = 403, description = "Not allowed for this user or token", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn put_policy(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<PolicyDoc>,
) -> Result<Json<PolicyDoc>> {
    let policy = service::update_policy(&state, &actor, SecurityPolicy::from(body)).await?;
    Ok(Json(PolicyDoc::from(&policy)))
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<TokenOut>)))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<TokenOut>>> {
    Ok(Json(
        state
            .store
            .list_tokens(&actor.user.id)
            .await?
            .iter()
            .map(TokenOut::from)
            .collect(),
    ))
}

/// Creates an API token; the token is in the response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", security(("bearer" = [])), request_body = NewTokenRequest,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 422, description = "A field is invalid", body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let (t, secret) =
        service::create_token(&state, &actor, &body.name, &body.scopes, body.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            info: TokenOut::from(&t),
        }),
    ))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "account", security(("bearer" = [])), params(("token_id" = String, Path)),
    responses((status = 204, description = "Done, no content"), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(id): Id,
) -> Result<StatusCode> {
    service::revoke_token(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "account", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<SessionOut>)))]
async fn list_sessions(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<SessionOut>>> {
    let current = actor
        .session()
        .map(|s| s.id_hash.clone())
        .unwrap_or_default();
    Ok(Json(
        state
            .store
            .list_sessions(&actor.user.id)
            .await?
            .iter()
            .map(|s| SessionOut::new(s, &current))
            .collect(),
    ))
}

/// Ends one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}", tag = "account", security(("bearer" = [])), params(("session_id" = String, Path)),
    responses((status = 204, description = "Done, no content"), (status = 404, description = "Not found in the caller's organisation", body = ErrorBody)))]
async fn revoke_session(
    State(state): State<AppState>,
    ApiUser(actor): ApiUser,
    Id(reference): Id,
) -> Result<StatusCode> {
    service::revoke_session(&state, &actor, &reference).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The requirement catalogues, with their editions.
#[utoipa::path(get, path = "/api/v1/catalogs", tag = "catalogs", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<CatalogSummary>)))]
async fn list_catalogs(ApiUser(_): ApiUser) -> Result<Json<Vec<CatalogSummary>>> {
    let all = crate::ui::catalog::all()?;
    Ok(Json(
        all.catalogs.iter().map(CatalogSummary::from).collect(),
    ))
}

/// One catalogue in full: header, groups, items, threats (the schema of
/// `crates/medsec-catalog/data/README.md`).
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog_id}", tag = "catalogs", security(("bearer" = [])), params(("catalog_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such catalogue", body = ErrorBody)))]
async fn get_catalog(ApiUser(_): ApiUser, RefId(id): RefId) -> Result<Response> {
    let all = crate::ui::catalog::all()?;
    let c = all.get(&id).ok_or(Error::NotFound)?;
    Ok(Json(c).into_response())
}

/// One item with its crosswalk links in both directions.
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog_id}/items/{item_id}", tag = "catalogs", security(("bearer" = [])),
    params(("catalog_id" = String, Path), ("item_id" = String, Path)),
    responses((status = 200, description = "OK", content_type = "application/json"), (status = 404, description = "No such item", body = ErrorBody)))]
async fn get_catalog_item(
    ApiUser(_): ApiUser,
    RefPair(catalog, item): RefPair,
) -> Result<Response> {
    let all = crate::ui::catalog::all()?;
    let reference = format!("{catalog}:{item}");
    let (_, i) = all.resolve(&reference).ok_or(Error::NotFound)?;
    let links: Vec<_> = all.links_of(&reference).map(|(l, other)| serde_json::json!({"item": other, "relation": l.relation, "confidence": l.confidence, "reason_en": l.reason_en, "source": l.source})).collect();
    Ok(Json(serde_json::json!({"catalog": catalog, "item": i, "links": links})).into_response())
}

/// Search parameters.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogSearch {
    /// Words to find (all of them), Korean or English.
    pub q: String,
    /// Only this catalogue.
    pub catalog: Option<String>,
}

/// Items of every catalogue (or one) matching all the words, best first.
#[utoipa::path(get, path = "/api/v1/catalog-search", tag = "catalogs", security(("bearer" = [])), params(CatalogSearch),
    responses((status = 200, description = "OK", body = Vec<CatalogHit>), (status = 400, description = "Bad query", body = ErrorBody)))]
async fn search_catalogs(
    ApiUser(_): ApiUser,
    Query(q): Query<CatalogSearch>,
) -> Result<Json<Vec<CatalogHit>>> {
    let all = crate::ui::catalog::all()?;
    if let Some(c) = &q.catalog
        && all.get(c).is_none()
    {
        return Err(Error::field("catalog", "invalid_choice"));
    }
    if q.q.chars().count() > 200 {
        return Err(Error::Invalid(vec![
            medsec_core::validate::FieldError::new("q", "too_long").with("max", 200),
        ]));
    }
    let hits = all
        .search(&q.q, q.catalog.as_deref())
        .into_iter()
        .take(200)
        .map(|h| {
            let (title_ko, title_en) = all
                .resolve(&format!("{}:{}", h.catalog, h.item))
                .map(|(_, i)| (i.title_ko.clone(), i.title_en.clone()))
                .unwrap_or_default();
            CatalogHit {
                catalog: h.catalog,
                item: h.item,
                title_ko,
                title_en,
            }
        })
        .collect();
    Ok(Json(hits))
}
