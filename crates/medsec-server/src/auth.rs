//! Authentication (MFDS 1.1–1.4, 1.7–1.11; KISA 1.3.5, 1.4.5, 4.1.1–4.1.3):
//! password login with bounded hashing, lock-out, one generic failure,
//! the TOTP second factor, administrators' single session, idle timeout
//! and lifetime, and the extractors that give handlers an [`Actor`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use medsec_core::audit::{Action, Outcome};
use medsec_core::credential::{API_TOKEN_PREFIX, random_token, secret_hash};
use medsec_core::org::Scope;
use medsec_core::policy::{AdminSessionPolicy, SecurityPolicy};
use medsec_core::{Permission, Role, Timestamp};
use medsec_store::{
    AuditEntry, Client, Credentials, Organization, OtherSessions, Principal, Session, SessionKind,
    SessionStage, User, UserStatus,
};

use crate::error::{Error, Result};
use crate::extract::{self, ExpectedCsrf, SESSION_COOKIE};
use crate::state::AppState;

/// Prefix of API session tokens (from `POST /api/v1/auth/login`), which
/// tells them apart from long-lived API tokens (`msk_`).
pub const API_SESSION_PREFIX: &str = "mss_";

/// How the actor authenticated.
#[derive(Clone, Debug)]
pub enum Via {
    Session(Session),
    Token { id: String, scopes: Vec<Scope> },
}

/// The authenticated user making a request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: User,
    pub org: Organization,
    pub via: Via,
    pub ip: String,
}

impl Actor {
    /// Whether the actor may do `p`: the role allows it and, for API
    /// tokens, the token's scope covers it.
    pub fn has(&self, p: Permission) -> bool {
        let role_ok = self.user.role.can(p, self.org.is_operator);
        match &self.via {
            Via::Session(_) => role_ok,
            Via::Token { scopes, .. } => role_ok && scope_grants(scopes, p),
        }
    }

    /// Fails with [`Error::Forbidden`] (and an audit record) unless the
    /// actor may do `p`.
    pub async fn require(&self, state: &AppState, p: Permission) -> Result<()> {
        if self.has(p) {
            return Ok(());
        }
        let entry = self
            .audit(state, Action::AccessDenied)
            .outcome(Outcome::Failure)
            .details(serde_json::json!({"permission": format!("{p:?}")}));
        state.store.audit(entry).await?;
        Err(Error::Forbidden)
    }

    /// An audit entry for something this actor did.
    pub fn audit(&self, state: &AppState, action: Action) -> AuditEntry {
        AuditEntry {
            at: state.now(),
            org_id: Some(self.org.id.clone()),
            actor_id: Some(self.user.id.clone()),
            actor: self.user.username.clone(),
            source: self.ip.clone(),
            action,
            outcome: Outcome::Success,
            target_kind: "",
            target_id: None,
            details: serde_json::json!({}),
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.via {
            Via::Session(s) => Some(s),
            Via::Token { .. } => None,
        }
    }

    /// Fails unless the actor logged in (API tokens cannot change
    /// credentials or the second factor).
    pub fn require_session(&self) -> Result<()> {
        match self.via {
            Via::Session(_) => Ok(()),
            Via::Token { .. } => Err(Error::Forbidden),
        }
    }

    /// Fails if the actor is a token without `scope` (sessions pass).
    pub fn require_token_scope(&self, scope: Scope) -> Result<()> {
        match &self.via {
            Via::Token { scopes, .. } if !token_covers(scopes, scope) => Err(Error::Forbidden),
            _ => Ok(()),
        }
    }

    pub fn is_operator_admin(&self) -> bool {
        self.has(Permission::ManageOrganizations)
    }
}

/// Token scopes form a ladder: `admin` includes `write`, which includes
/// `read`. `metrics` stands alone.
pub fn scope_grants(scopes: &[Scope], p: Permission) -> bool {
    let rank = |s: &Scope| match s {
        Scope::Read => 1,
        Scope::Write => 2,
        Scope::Admin => 3,
        Scope::Metrics => 0,
    };
    let need = rank(&Scope::needed_for(p));
    scopes.iter().any(|s| rank(s) >= need)
}

/// Whether a token holding `scopes` covers `wanted`: the ladder
/// read < write < admin, and `metrics` only by itself.
pub fn token_covers(scopes: &[Scope], wanted: Scope) -> bool {
    match wanted {
        Scope::Metrics => scopes.contains(&Scope::Metrics),
        Scope::Read => scope_grants(scopes, Permission::Read),
        Scope::Write => scope_grants(scopes, Permission::Write),
        Scope::Admin => scopes.contains(&Scope::Admin),
    }
}

/// An audit entry for a login attempt, before the user is known.
pub fn login_audit(
    state: &AppState,
    username: &str,
    ip: &str,
    action: Action,
    outcome: Outcome,
) -> AuditEntry {
    let clean: String = username
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    AuditEntry {
        at: state.now(),
        org_id: None,
        actor_id: None,
        actor: clean,
        source: ip.to_owned(),
        action,
        outcome,
        target_kind: "session",
        target_id: None,
        details: serde_json::json!({}),
    }
}

fn for_user(e: AuditEntry, p: &Principal) -> AuditEntry {
    AuditEntry {
        org_id: Some(p.org.id.clone()),
        actor_id: Some(p.user.id.clone()),
        actor: p.user.username.clone(),
        ..e
    }
}

/// What a login attempt achieved.
pub enum LoginResult {
    /// Logged in; `token` is the new session's secret.
    Full {
        token: String,
        principal: Box<Principal>,
        ended: usize,
    },
    /// The password was right; a TOTP code must follow within this
    /// session (web logins only).
    NeedTotp { token: String },
}

/// Whether the user must change their password before anything else.
pub fn password_change_due(user: &User, policy: &SecurityPolicy, now: Timestamp) -> bool {
    if user.must_change_password {
        return true;
    }
    if policy.password_max_age_days == 0 {
        return false;
    }
    let max_age = i64::from(policy.password_max_age_days) * 86_400;
    user.password_changed_at
        .is_none_or(|t| now.secs_since(t) >= max_age)
}

/// Whether the user must set up TOTP before anything else.
pub fn totp_enrolment_due(user: &User, policy: &SecurityPolicy) -> bool {
    policy.require_totp_for_admins && user.role == Role::Admin && !user.totp_enabled
}

/// Checks a user name and password (and, for API logins of users with a
/// second factor, the TOTP code) and opens a session.
///
/// Every failure is the same [`Error::LoginFailed`] and takes the same
/// time (a password hash is always verified, against a dummy hash when
/// the user does not exist), so the response never tells whether the
/// user exists, is locked or disabled, or only the password was wrong.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    totp: Option<&str>,
    kind: SessionKind,
    ip: &str,
    user_agent: &str,
) -> Result<LoginResult> {
    let now = state.now();
    let policy = state.policy().await?;
    let name = username.trim().to_ascii_lowercase();
    let found = if name.is_empty() || name.len() > 64 {
        None
    } else {
        state.store.principal_by_username(&name).await?
    };
    let hash = found
        .as_ref()
        .and_then(|(_, c)| c.password_hash.clone())
        .unwrap_or_else(|| medsec_core::password::dummy_hash().to_owned());
    let candidate = password.to_owned();
    let password_ok = state
        .hash_work(move || medsec_core::password::verify(&candidate, &hash))
        .await?;

    let Some((principal, creds)) = found else {
        state.metrics.logins_failed.inc();
        let e = login_audit(state, username, ip, Action::LoginFailure, Outcome::Failure)
            .details(serde_json::json!({"reason": "unknown_user"}));
        state.store.audit(e).await?;
        return Err(Error::LoginFailed);
    };
    let user = &principal.user;
    let fail = |reason: &'static str| {
        for_user(
            login_audit(state, username, ip, Action::LoginFailure, Outcome::Failure),
            &principal,
        )
        .details(serde_json::json!({"reason": reason}))
    };

    // A lock that has run out is cleared, so the count starts afresh.
    let mut locked = user.locked_until.is_some_and(|t| t > now);
    if user.locked_until.is_some() && !locked {
        state.store.clear_expired_lock(&user.id, now).await?;
        locked = false;
    }
    if locked {
        state.metrics.logins_failed.inc();
        state.store.audit(fail("locked")).await?;
        return Err(Error::LoginFailed);
    }
    if user.status != UserStatus::Active || !principal.org.enabled {
        state.metrics.logins_failed.inc();
        let reason = if principal.org.enabled {
            "account_not_active"
        } else {
            "organization_disabled"
        };
        state.store.audit(fail(reason)).await?;
        return Err(Error::LoginFailed);
    }
    if !password_ok {
        return Err(record_failure(state, &principal, &policy, fail("wrong_password"), ip).await);
    }

    let others = admin_session_rule(state, &principal, &policy, ip, username).await?;
    let token = new_session_token(kind);
    if user.totp_enabled {
        match (kind, totp) {
            (SessionKind::Web, _) => {
                let s = Session::new(
                    secret_hash(&token),
                    &principal,
                    kind,
                    SessionStage::Totp,
                    now,
                    300,
                    Client { ip, user_agent },
                );
                state
                    .store
                    .create_session(&s, OtherSessions::Keep, None)
                    .await?;
                return Ok(LoginResult::NeedTotp { token });
            }
            (SessionKind::Api, code) => {
                let step = check_totp(&creds, &principal, code.unwrap_or(""), now);
                let Some(step) = step else {
                    let e = fail("wrong_totp").action(Action::TotpFailure);
                    return Err(record_failure(state, &principal, &policy, e, ip).await);
                };
                let s = Session::new(
                    secret_hash(&token),
                    &principal,
                    kind,
                    SessionStage::Totp,
                    now,
                    policy.session_lifetime_secs,
                    Client { ip, user_agent },
                );
                state
                    .store
                    .create_session(&s, OtherSessions::Keep, None)
                    .await?;
                let ok = for_user(
                    login_audit(state, username, ip, Action::LoginSuccess, Outcome::Success),
                    &principal,
                )
                .details(serde_json::json!({"kind": "api", "second_factor": "totp"}));
                let ended = state.store.promote_session(&s, step, others, ok).await?;
                state.metrics.logins_succeeded.inc();
                return Ok(LoginResult::Full {
                    token,
                    principal: Box::new(principal),
                    ended: ended.len(),
                });
            }
        }
    }
    let s = Session::new(
        secret_hash(&token),
        &principal,
        kind,
        SessionStage::Full,
        now,
        policy.session_lifetime_secs,
        Client { ip, user_agent },
    );
    let ok = for_user(
        login_audit(state, username, ip, Action::LoginSuccess, Outcome::Success),
        &principal,
    )
    .details(serde_json::json!({"kind": kind.as_str()}));
    let ended = state.store.create_session(&s, others, Some(ok)).await?;
    state.metrics.logins_succeeded.inc();
    Ok(LoginResult::Full {
        token,
        principal: Box::new(principal),
        ended: ended.len(),
    })
}

fn new_session_token(kind: SessionKind) -> String {
    match kind {
        SessionKind::Web => random_token(32),
        SessionKind::Api => format!("{API_SESSION_PREFIX}{}", random_token(32)),
    }
}

fn check_totp(creds: &Credentials, p: &Principal, code: &str, now: Timestamp) -> Option<i64> {
    let _ = p;
    let secret = creds.totp_secret.as_deref()?;
    let unix = u64::try_from(now.0 / 1000).ok()?;
    medsec_core::totp::verify(secret, code, unix, creds.totp_last_step)
}

/// Counts a failure (locking the account at the threshold) and returns
/// the generic login error.
async fn record_failure(
    state: &AppState,
    p: &Principal,
    policy: &SecurityPolicy,
    entry: AuditEntry,
    ip: &str,
) -> Error {
    state.metrics.logins_failed.inc();
    let now = state.now();
    let until = now.plus_secs(i64::from(policy.lockout_secs));
    let lock = for_user(
        login_audit(
            state,
            &p.user.username,
            ip,
            Action::Lockout,
            Outcome::Failure,
        ),
        p,
    )
    .target("user", p.user.id.clone())
    .details(
        serde_json::json!({"failures": policy.lockout_threshold, "locked_until": until.rfc3339()}),
    );
    match state
        .store
        .record_login_failure(&p.user.id, policy.lockout_threshold, until, entry, lock)
        .await
    {
        Ok(st) => {
            if st.locked_now {
                state.metrics.lockouts.inc();
                tracing::warn!(user = %p.user.username, "account locked after repeated login failures");
            }
            Error::LoginFailed
        }
        Err(e) => e.into(),
    }
}

/// Applies the administrators' single-session rule (MFDS 1.2): with
/// `RefuseNew`, a second login is refused while a session is alive; with
/// `ReplaceOld`, the new session ends the old one.
async fn admin_session_rule(
    state: &AppState,
    p: &Principal,
    policy: &SecurityPolicy,
    ip: &str,
    username: &str,
) -> Result<OtherSessions> {
    if p.user.role != Role::Admin {
        return Ok(OtherSessions::Keep);
    }
    match policy.admin_sessions {
        AdminSessionPolicy::ReplaceOld => Ok(OtherSessions::End),
        AdminSessionPolicy::RefuseNew => {
            let now = state.now();
            let idle_before = now.plus_secs(-i64::from(policy.idle_timeout_secs));
            if state
                .store
                .has_live_session(&p.user.id, now, idle_before)
                .await?
            {
                let e = for_user(
                    login_audit(
                        state,
                        username,
                        ip,
                        Action::SessionRefused,
                        Outcome::Failure,
                    ),
                    p,
                );
                state.store.audit(e).await?;
                return Err(Error::SessionRefused);
            }
            Ok(OtherSessions::End)
        }
    }
}

/// Completes a web login waiting for its TOTP code.
pub async fn complete_totp(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    creds: &Credentials,
    code: &str,
    ip: &str,
) -> Result<()> {
    let now = state.now();
    let policy = state.policy().await?;
    let fail = for_user(
        login_audit(
            state,
            &principal.user.username,
            ip,
            Action::TotpFailure,
            Outcome::Failure,
        ),
        principal,
    );
    let Some(step) = check_totp(creds, principal, code, now) else {
        let err = record_failure(state, principal, &policy, fail, ip).await;
        // A locked account loses its half-open login too.
        if let Ok(Some((p, _))) = state.store.principal(&principal.user.id).await
            && p.user.locked_until.is_some_and(|t| t > now)
        {
            let _ = state
                .store
                .end_session(
                    &session.id_hash,
                    &p.user.id,
                    login_audit(
                        state,
                        &p.user.username,
                        ip,
                        Action::Logout,
                        Outcome::Failure,
                    ),
                )
                .await;
        }
        return Err(err);
    };
    let others =
        admin_session_rule(state, principal, &policy, ip, &principal.user.username).await?;
    let ok = for_user(
        login_audit(
            state,
            &principal.user.username,
            ip,
            Action::LoginSuccess,
            Outcome::Success,
        ),
        principal,
    )
    .details(serde_json::json!({"kind": "web", "second_factor": "totp"}));
    state
        .store
        .promote_session(session, step, others, ok)
        .await?;
    state.metrics.logins_succeeded.inc();
    Ok(())
}

/// Paths a session in a restricted state (password change or TOTP
/// enrolment due) may still use.
const RESTRICTED_OK: &[&str] = &[
    "/account/password",
    "/account/totp",
    "/logout",
    "/api/v1/auth/logout",
    "/api/v1/me",
    "/api/v1/account/password",
    "/api/v1/account/totp",
    "/api/v1/account/totp/confirm",
];

/// Loads and checks the session or token of a request.
async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
    api: bool,
    stage: SessionStage,
) -> Result<(Actor, Credentials)> {
    let ip = extract::client_ip(parts).0;
    let token = if api {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    } else {
        extract::cookie(parts, SESSION_COOKIE)
            .unwrap_or("")
            .to_owned()
    };
    if token.is_empty() || token.len() > 200 {
        return Err(Error::Unauthenticated);
    }
    let now = state.now();
    let policy = state.policy().await?;

    if api && token.starts_with(API_TOKEN_PREFIX) {
        let Some((t, principal, creds)) = state.store.token(&secret_hash(&token), now).await?
        else {
            return Err(Error::Unauthenticated);
        };
        if principal.user.status != UserStatus::Active || !principal.org.enabled {
            return Err(Error::Unauthenticated);
        }
        // Record use at most once a minute: a write per request would
        // serialise API reads behind SQLite's single writer.
        if t.last_used_at.is_none_or(|u| now.secs_since(u) >= 60) {
            state.store.touch_token(&t.id, now).await?;
        }
        let actor = Actor {
            user: principal.user,
            org: principal.org,
            via: Via::Token {
                id: t.id,
                scopes: t.scopes,
            },
            ip,
        };
        return Ok((actor, creds));
    }

    let hash = secret_hash(&token);
    let Some((session, principal, creds)) = state.store.session(&hash).await? else {
        return Err(Error::Unauthenticated);
    };
    let wanted_kind = if api {
        SessionKind::Api
    } else {
        SessionKind::Web
    };
    if session.kind != wanted_kind || session.stage != stage {
        return Err(Error::Unauthenticated);
    }
    let idle_before = now.plus_secs(-i64::from(policy.idle_timeout_secs));
    if session.expires_at <= now || session.last_seen_at < idle_before {
        let (action, reason) = if session.expires_at <= now {
            (Action::SessionExpired, "lifetime")
        } else {
            (Action::SessionTimeout, "idle")
        };
        let e = for_user(
            login_audit(
                state,
                &principal.user.username,
                &ip,
                action,
                Outcome::Success,
            ),
            &principal,
        )
        .details(serde_json::json!({"reason": reason}));
        if state
            .store
            .end_session(&hash, &principal.user.id, e)
            .await?
        {
            state.metrics.sessions_expired.inc();
        }
        return Err(Error::SessionExpired);
    }
    if principal.user.status != UserStatus::Active || !principal.org.enabled {
        return Err(Error::Unauthenticated);
    }
    // Writing on every request would serialise reads behind the writer;
    // a coarse last-seen time is enough for a minutes-long idle timeout.
    // A page's own background refresh (the live alert queue) says so
    // with `X-Medsec-Poll`; it is not the user's activity, so it does
    // not hold the session open past its idle timeout.
    let throttle = (i64::from(policy.idle_timeout_secs) / 15).clamp(1, 60);
    let poll = parts.headers.contains_key(POLL_HEADER);
    if !poll && now.secs_since(session.last_seen_at) >= throttle {
        state.store.touch_session(&hash, now).await?;
    }
    parts
        .extensions
        .insert(ExpectedCsrf(session.csrf_token.clone()));
    let actor = Actor {
        user: principal.user,
        org: principal.org,
        via: Via::Session(session),
        ip,
    };
    Ok((actor, creds))
}

/// The header of background refreshes that are not user activity.
pub const POLL_HEADER: &str = "x-medsec-poll";

fn restricted_check(
    parts: &Parts,
    actor: &Actor,
    policy: &SecurityPolicy,
    now: Timestamp,
) -> Result<()> {
    if RESTRICTED_OK.contains(&parts.uri.path()) {
        return Ok(());
    }
    if matches!(actor.via, Via::Session(_)) {
        if password_change_due(&actor.user, policy, now) {
            return Err(Error::PasswordChangeRequired);
        }
        if totp_enrolment_due(&actor.user, policy) {
            return Err(Error::TotpEnrolmentRequired);
        }
    }
    Ok(())
}

/// The logged-in user of a UI request (session cookie).
pub struct WebUser(pub Actor);

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let (actor, _) = authenticate(parts, state, false, SessionStage::Full).await?;
        restricted_check(parts, &actor, &*state.policy().await?, state.now())?;
        Ok(WebUser(actor))
    }
}

/// The authenticated caller of an API request (bearer session or token).
pub struct ApiUser(pub Actor);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let (actor, _) = authenticate(parts, state, true, SessionStage::Full).await?;
        restricted_check(parts, &actor, &*state.policy().await?, state.now())?;
        Ok(ApiUser(actor))
    }
}

/// A web session that passed the password and now waits for its TOTP code.
pub struct PendingTotp {
    pub session: Session,
    pub principal: Principal,
    pub creds: Credentials,
}

impl FromRequestParts<AppState> for PendingTotp {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let (actor, creds) = authenticate(parts, state, false, SessionStage::Totp).await?;
        let Via::Session(session) = actor.via else {
            return Err(Error::Unauthenticated);
        };
        Ok(PendingTotp {
            session,
            principal: Principal {
                user: actor.user,
                org: actor.org,
            },
            creds,
        })
    }
}

/// An optional web user, for pages that also work logged out.
pub struct MaybeWebUser(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match authenticate(parts, state, false, SessionStage::Full).await {
            Ok((actor, _)) => Ok(MaybeWebUser(Some(actor))),
            Err(Error::Unauthenticated | Error::SessionExpired) => Ok(MaybeWebUser(None)),
            Err(e) => Err(e),
        }
    }
}

/// The current user's secrets, for handlers that re-check the password
/// or a TOTP code.
pub async fn credentials(state: &AppState, user_id: &str) -> Result<Credentials> {
    Ok(state
        .store
        .principal(user_id)
        .await?
        .ok_or(Error::Unauthenticated)?
        .1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_ladder() {
        assert!(scope_grants(&[Scope::Admin], Permission::Read));
        assert!(scope_grants(&[Scope::Write], Permission::Write));
        assert!(!scope_grants(&[Scope::Read], Permission::Write));
        assert!(!scope_grants(&[Scope::Write], Permission::ManageUsers));
        assert!(!scope_grants(&[Scope::Metrics], Permission::Read));
    }
}
