//! What users can do, independent of how they ask: the UI handlers and
//! the API handlers both call these, so the rules (validation, who may do
//! what, what is audited) are written once.

use medsec_core::audit::{Action, Outcome};
use medsec_core::credential::{new_api_token, random_token, secret_hash};
use medsec_core::org::Scope;
use medsec_core::policy::SecurityPolicy;
use medsec_core::validate::{self, FieldError};
use medsec_core::{OrgKind, Permission, Role, Timestamp, password};
use medsec_store::{
    ApiToken, AuditEntry, AuditFilter, NewUser, OneTimePurpose, Organization, Setup, User,
    UserStatus, UserUpdate,
};

use crate::auth::{Actor, login_audit};
use crate::error::{Error, Result};
use crate::state::{AppState, POLICY_KEY};

/// How long a new user's activation link stays valid.
pub const ACTIVATION_SECS: i64 = 72 * 3600;
/// How long the first-run setup link stays valid.
pub const SETUP_SECS: i64 = 24 * 3600;

fn invalid(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Checks a new password against the composition rules and, for an
/// existing user, the history; hashes it on the bounded hashing pool.
pub async fn check_and_hash_password(
    state: &AppState,
    field: &str,
    confirm_field: &str,
    password: &str,
    confirm: &str,
    username: &str,
    user_id: Option<&str>,
) -> Result<String> {
    let mut errors: Vec<FieldError> = password::check_composition(password, username)
        .into_iter()
        .map(|p| password_error(field, &p))
        .collect();
    if errors.is_empty() && password != confirm {
        errors.push(FieldError::new(confirm_field, "password_mismatch"));
    }
    invalid(errors)?;
    if let Some(id) = user_id {
        let policy = state.policy().await?;
        let previous = state
            .store
            .password_history(id, policy.password_history.max(1))
            .await?;
        let candidate = password.to_owned();
        let reused = state
            .hash_work(move || password::is_reuse(&candidate, previous.iter().map(String::as_str)))
            .await?;
        if reused {
            return Err(Error::Invalid(vec![
                FieldError::new(field, "password_reused")
                    .with("count", policy.password_history.max(1)),
            ]));
        }
    }
    let candidate = password.to_owned();
    state.hash_work(move || password::hash(&candidate)).await
}

fn password_error(field: &str, p: &password::Problem) -> FieldError {
    match p {
        password::Problem::TooShort { .. } => FieldError::new(field, "password_too_short"),
        password::Problem::TooLong { max } => FieldError::new(field, "too_long").with("max", max),
        password::Problem::ContainsUsername => FieldError::new(field, "password_contains_username"),
        password::Problem::ControlChars => FieldError::new(field, "control_chars"),
        password::Problem::Reused { count } => {
            FieldError::new(field, "password_reused").with("count", count)
        }
        password::Problem::Common => FieldError::new(field, "password_common"),
    }
}

/// A one-time link on this server.
pub fn link(base: &str, path: &str, token: &str) -> String {
    format!("{base}{path}?token={token}")
}

/// The first-run setup, from the web page or `medsec init`.
pub struct SetupInput {
    pub org_name: String,
    pub org_kind: String,
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn setup(
    state: &AppState,
    input: &SetupInput,
    token: Option<&str>,
    source: &str,
) -> Result<(Organization, User)> {
    let mut errors = Vec::new();
    let org_name = validate::text("org_name", &input.org_name, 1, 200)
        .map_err(|e| errors.push(e))
        .ok();
    let kind: Option<OrgKind> = validate::one_of("org_kind", &input.org_kind)
        .map_err(|e| errors.push(e))
        .ok();
    let username = validate::username("username", &input.username)
        .map_err(|e| errors.push(e))
        .ok();
    let display = validate::text("display_name", &input.display_name, 1, 100)
        .map_err(|e| errors.push(e))
        .ok();
    invalid(errors)?;
    let (Some(org_name), Some(kind), Some(username), Some(display)) =
        (org_name, kind, username, display)
    else {
        return Err(Error::Internal("validated fields missing".into()));
    };
    let hash = check_and_hash_password(
        state,
        "password",
        "password_confirm",
        &input.password,
        &input.password_confirm,
        &username,
        None,
    )
    .await?;
    let setup = Setup {
        org_name,
        org_kind: kind,
        username: username.clone(),
        display_name: display,
        password_hash: hash,
    };
    let entry = login_audit(
        state,
        &username,
        source,
        Action::SetupCompleted,
        Outcome::Success,
    );
    let token_hash = token.map(secret_hash);
    match state
        .store
        .complete_setup(&setup, token_hash.as_deref(), state.now(), entry)
        .await
    {
        Ok(done) => Ok(done),
        Err(medsec_store::StoreError::NotFound { .. }) => Err(Error::NotFound),
        Err(medsec_store::StoreError::Invalid(_)) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Issues a first-run setup link if the instance has no user yet.
pub async fn issue_setup_token(state: &AppState) -> Result<Option<String>> {
    if state.store.user_count().await? > 0 {
        return Ok(None);
    }
    let token = random_token(32);
    let now = state.now();
    state
        .store
        .create_one_time_token(
            OneTimePurpose::Setup,
            None,
            &secret_hash(&token),
            now,
            now.plus_secs(SETUP_SECS),
        )
        .await?;
    Ok(Some(token))
}

/// A user to create (by an organisation's administrator).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
}

async fn issue_activation(state: &AppState, user_id: &str) -> Result<String> {
    let token = random_token(32);
    let now = state.now();
    state
        .store
        .create_one_time_token(
            OneTimePurpose::Activation,
            Some(user_id),
            &secret_hash(&token),
            now,
            now.plus_secs(ACTIVATION_SECS),
        )
        .await?;
    Ok(token)
}

fn validate_new_user(input: &NewUserInput, kind: OrgKind) -> Result<(String, String, Role)> {
    let mut errors = Vec::new();
    let username = validate::username("username", &input.username)
        .map_err(|e| errors.push(e))
        .ok();
    let display = validate::text("display_name", &input.display_name, 1, 100)
        .map_err(|e| errors.push(e))
        .ok();
    let role: Option<Role> = validate::one_of("role", &input.role)
        .map_err(|e| errors.push(e))
        .ok();
    if let Some(r) = role
        && !kind.roles().contains(&r)
    {
        errors.push(FieldError::new("role", "role_not_for_org"));
    }
    invalid(errors)?;
    match (username, display, role) {
        (Some(u), Some(d), Some(r)) => Ok((u, d, r)),
        _ => Err(Error::Internal("validated fields missing".into())),
    }
}

/// Creates a pending user in the actor's organisation; returns the user
/// and the secret of their activation link.
pub async fn create_user(
    state: &AppState,
    actor: &Actor,
    input: &NewUserInput,
) -> Result<(User, String)> {
    actor.require(state, Permission::ManageUsers).await?;
    let (username, display_name, role) = validate_new_user(input, actor.org.kind)?;
    create_pending_user(state, actor, &actor.org, username, display_name, role).await
}

async fn create_pending_user(
    state: &AppState,
    actor: &Actor,
    org: &Organization,
    username: String,
    display_name: String,
    role: Role,
) -> Result<(User, String)> {
    let new = NewUser {
        org_id: org.id.clone(),
        username,
        display_name,
        role,
        status: UserStatus::Pending,
        password_hash: None,
    };
    let entry = actor.audit(state, Action::UserCreated).org(org.id.clone());
    let user = match state.store.create_user(&new, state.now(), entry).await {
        Err(medsec_store::StoreError::Conflict { .. }) => {
            return Err(Error::field("username", "taken"));
        }
        other => other?,
    };
    let token = issue_activation(state, &user.id).await?;
    Ok((user, token))
}

/// Changes applied to a user by an administrator.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
}

pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: &str,
    changes: &UserChanges,
) -> Result<User> {
    actor.require(state, Permission::ManageUsers).await?;
    let current = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = Vec::new();
    let display_name = changes
        .display_name
        .as_deref()
        .map(|d| validate::text("display_name", d, 1, 100))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let role: Option<Role> = changes
        .role
        .as_deref()
        .map(|r| validate::one_of("role", r))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let Some(r) = role
        && !actor.org.kind.roles().contains(&r)
    {
        errors.push(FieldError::new("role", "role_not_for_org"));
    }
    let status = match changes.status.as_deref() {
        None => None,
        Some("active") if current.status == UserStatus::Pending => None,
        Some("active") => Some(UserStatus::Active),
        Some("disabled") => Some(UserStatus::Disabled),
        Some(_) => {
            errors.push(FieldError::new("status", "invalid_choice"));
            None
        }
    };
    // An administrator cannot lock themselves out of administration.
    if id == actor.user.id
        && (role.is_some_and(|r| r != Role::Admin) || status == Some(UserStatus::Disabled))
    {
        errors.push(FieldError::new(
            if role.is_some() { "role" } else { "status" },
            "cannot_demote_self",
        ));
    }
    invalid(errors)?;
    let role = role.filter(|r| *r != current.role);
    let status = status.filter(|s| *s != current.status);
    let display_name = display_name.filter(|d| *d != current.display_name);
    if role.is_none() && status.is_none() && display_name.is_none() {
        return Ok(current);
    }
    let action = match (role, status) {
        (Some(_), _) => Action::UserRoleChanged,
        (None, Some(UserStatus::Disabled)) => Action::UserDisabled,
        (None, Some(_)) => Action::UserEnabled,
        (None, None) => Action::UserUpdated,
    };
    let details = serde_json::json!({
        "username": current.username,
        "role": role.map(|r| serde_json::json!({"from": current.role.as_str(), "to": r.as_str()})),
        "status": status.map(|s| serde_json::json!({"from": current.status.as_str(), "to": s.as_str()})),
        "display_name": display_name.as_ref().map(|d| serde_json::json!({"from": current.display_name, "to": d})),
    });
    let update = UserUpdate {
        display_name,
        role,
        status,
    };
    Ok(state
        .store
        .update_user(
            &actor.org.id,
            id,
            &update,
            state.now(),
            actor.audit(state, action).details(details),
        )
        .await?)
}

pub async fn delete_user(state: &AppState, actor: &Actor, id: &str) -> Result<()> {
    actor.require(state, Permission::ManageUsers).await?;
    let user = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    if user.id == actor.user.id {
        return Err(Error::field("user", "cannot_delete_self"));
    }
    let entry = actor
        .audit(state, Action::UserDeleted)
        .details(serde_json::json!({"username": user.username, "role": user.role.as_str()}));
    Ok(state.store.delete_user(&actor.org.id, id, entry).await?)
}

pub async fn unlock_user(state: &AppState, actor: &Actor, id: &str) -> Result<User> {
    actor.require(state, Permission::ManageUsers).await?;
    let user = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let entry = actor
        .audit(state, Action::UserUnlocked)
        .details(serde_json::json!({"username": user.username}));
    state
        .store
        .unlock_user(&actor.org.id, id, state.now(), entry)
        .await?;
    state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Issues a new activation link to a user: their password stops working
/// until they choose a new one through the link.
pub async fn reset_user(state: &AppState, actor: &Actor, id: &str) -> Result<(User, String)> {
    actor.require(state, Permission::ManageUsers).await?;
    let user = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let token = issue_activation(state, &user.id).await?;
    let entry = actor
        .audit(state, Action::PasswordReset)
        .details(serde_json::json!({"username": user.username}));
    // The password stops working so that the link is the only way back
    // in; the history stays, so the old password cannot simply return.
    state
        .store
        .reset_user(&actor.org.id, id, state.now(), entry)
        .await?;
    let user = state
        .store
        .get_user(&actor.org.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((user, token))
}

/// The user an activation link is for, if the link is live.
pub async fn activation_user(state: &AppState, token: &str) -> Result<User> {
    let user_id = state
        .store
        .peek_one_time_token(OneTimePurpose::Activation, &secret_hash(token), state.now())
        .await?
        .flatten()
        .ok_or(Error::NotFound)?;
    let (p, _) = state
        .store
        .principal(&user_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(p.user)
}

/// Sets the password of the user an activation link is for and uses the link up.
pub async fn activate(
    state: &AppState,
    token: &str,
    password: &str,
    confirm: &str,
    ip: &str,
) -> Result<User> {
    let user = activation_user(state, token).await?;
    let hash = check_and_hash_password(
        state,
        "password",
        "password_confirm",
        password,
        confirm,
        &user.username,
        Some(&user.id),
    )
    .await?;
    if !state
        .store
        .take_one_time_token(OneTimePurpose::Activation, &secret_hash(token), state.now())
        .await?
    {
        return Err(Error::NotFound);
    }
    let policy = state.policy().await?;
    let entry = AuditEntry {
        org_id: Some(user.org_id.clone()),
        actor_id: Some(user.id.clone()),
        ..login_audit(
            state,
            &user.username,
            ip,
            Action::UserActivated,
            Outcome::Success,
        )
    };
    state
        .store
        .set_password(
            &user.id,
            &hash,
            false,
            policy.password_history,
            state.now(),
            entry.target("user", user.id.clone()),
        )
        .await?;
    Ok(user)
}

/// Changes the actor's own password after checking the current one.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    actor.require_session()?;
    let creds = crate::auth::credentials(state, &actor.user.id).await?;
    let hash = creds.password_hash.unwrap_or_default();
    let given = current.to_owned();
    if !state
        .hash_work(move || password::verify(&given, &hash))
        .await?
    {
        let e = actor
            .audit(state, Action::PasswordChanged)
            .outcome(Outcome::Failure)
            .details(serde_json::json!({"reason": "wrong_current_password"}));
        state.store.audit(e).await?;
        return Err(Error::field("current_password", "wrong_password"));
    }
    let new_hash = check_and_hash_password(
        state,
        "new_password",
        "new_password_confirm",
        new,
        confirm,
        &actor.user.username,
        Some(&actor.user.id),
    )
    .await?;
    let policy = state.policy().await?;
    state
        .store
        .set_password(
            &actor.user.id,
            &new_hash,
            false,
            policy.password_history,
            state.now(),
            actor.audit(state, Action::PasswordChanged),
        )
        .await?;
    Ok(())
}

/// A new organisation, optionally with its first administrator.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewOrgInput {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub admin_username: Option<String>,
    #[serde(default)]
    pub admin_display_name: Option<String>,
}

pub async fn create_org(
    state: &AppState,
    actor: &Actor,
    input: &NewOrgInput,
) -> Result<(Organization, Option<(User, String)>)> {
    actor
        .require(state, Permission::ManageOrganizations)
        .await?;
    let mut errors = Vec::new();
    let name = validate::text("name", &input.name, 1, 200)
        .map_err(|e| errors.push(e))
        .ok();
    let kind: Option<OrgKind> = validate::one_of("kind", &input.kind)
        .map_err(|e| errors.push(e))
        .ok();
    let admin_username = input
        .admin_username
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    let admin = admin_username.map(|u| {
        let u = validate::username("admin_username", u)
            .map_err(|e| errors.push(e))
            .ok();
        let d = validate::text(
            "admin_display_name",
            input.admin_display_name.as_deref().unwrap_or(""),
            1,
            100,
        )
        .map_err(|e| errors.push(e))
        .ok();
        (u, d)
    });
    invalid(errors)?;
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(Error::Internal("validated fields missing".into()));
    };
    let admin = match admin {
        Some((Some(username), Some(display_name))) => {
            let new = NewUser {
                org_id: String::new(),
                username,
                display_name,
                role: Role::Admin,
                status: UserStatus::Pending,
                password_hash: None,
            };
            Some((new, actor.audit(state, Action::UserCreated)))
        }
        _ => None,
    };
    let entry = actor.audit(state, Action::OrgCreated);
    let (org, user) = match state
        .store
        .create_org(&name, kind, state.now(), entry, admin)
        .await
    {
        Err(medsec_store::StoreError::Conflict { what: "user" }) => {
            return Err(Error::field("admin_username", "taken"));
        }
        Err(medsec_store::StoreError::Conflict { .. }) => {
            return Err(Error::field("name", "taken"));
        }
        other => other?,
    };
    let invited = match user {
        Some(user) => {
            let token = issue_activation(state, &user.id).await?;
            Some((user, token))
        }
        None => None,
    };
    Ok((org, invited))
}

/// Invites another administrator into an organisation (operator only).
pub async fn invite_admin(
    state: &AppState,
    actor: &Actor,
    org_id: &str,
    username: &str,
    display_name: &str,
) -> Result<(User, String)> {
    actor
        .require(state, Permission::ManageOrganizations)
        .await?;
    let org = state.store.get_org(org_id).await?.ok_or(Error::NotFound)?;
    let mut errors = Vec::new();
    let u = validate::username("username", username)
        .map_err(|e| errors.push(e))
        .ok();
    let d = validate::text("display_name", display_name, 1, 100)
        .map_err(|e| errors.push(e))
        .ok();
    invalid(errors)?;
    let (Some(u), Some(d)) = (u, d) else {
        return Err(Error::Internal("validated fields missing".into()));
    };
    create_pending_user(state, actor, &org, u, d, Role::Admin).await
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgChanges {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

pub async fn update_org(
    state: &AppState,
    actor: &Actor,
    id: &str,
    changes: &OrgChanges,
) -> Result<Organization> {
    actor
        .require(state, Permission::ManageOrganizations)
        .await?;
    let org = state.store.get_org(id).await?.ok_or(Error::NotFound)?;
    let name = changes
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 200))
        .transpose()
        .map_err(|e| Error::Invalid(vec![e]))?;
    if org.is_operator && changes.enabled == Some(false) {
        return Err(Error::field("enabled", "cannot_disable_operator"));
    }
    let action = match changes.enabled {
        Some(false) if org.enabled => Action::OrgDisabled,
        Some(true) if !org.enabled => Action::OrgEnabled,
        _ => Action::OrgUpdated,
    };
    let details =
        serde_json::json!({"name": {"from": org.name, "to": name}, "enabled": changes.enabled});
    let entry = actor.audit(state, action).details(details);
    match state
        .store
        .update_org(id, name.as_deref(), changes.enabled, state.now(), entry)
        .await
    {
        Err(medsec_store::StoreError::Conflict { .. }) => Err(Error::field("name", "taken")),
        other => Ok(other?),
    }
}

/// The organisations an actor may see: all for operator administrators,
/// only their own for everyone else.
pub async fn visible_orgs(state: &AppState, actor: &Actor) -> Result<Vec<Organization>> {
    if actor.is_operator_admin() {
        Ok(state.store.list_orgs().await?)
    } else {
        Ok(vec![actor.org.clone()])
    }
}

pub async fn get_org(state: &AppState, actor: &Actor, id: &str) -> Result<Organization> {
    if id == actor.org.id {
        return Ok(actor.org.clone());
    }
    if !actor.is_operator_admin() {
        return Err(Error::NotFound);
    }
    state.store.get_org(id).await?.ok_or(Error::NotFound)
}

pub async fn update_policy(
    state: &AppState,
    actor: &Actor,
    policy: SecurityPolicy,
) -> Result<SecurityPolicy> {
    actor
        .require(state, Permission::ManageSecurityPolicy)
        .await?;
    let errors = policy.validate();
    invalid(errors)?;
    let old = state.policy().await?;
    let text = serde_json::to_string(&policy).map_err(|e| Error::Internal(e.to_string()))?;
    let details = serde_json::json!({"from": &*old, "to": &policy});
    state
        .store
        .put_setting(
            POLICY_KEY,
            &text,
            state.now(),
            actor.audit(state, Action::SettingsChanged).details(details),
        )
        .await?;
    state.set_cached_policy(policy.clone()).await;
    Ok(policy)
}

/// A new API token for the actor.
pub async fn create_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    scopes: &[String],
    days: u32,
) -> Result<(ApiToken, String)> {
    let policy = state.policy().await?;
    let mut errors = Vec::new();
    let name = validate::text("name", name, 1, 100)
        .map_err(|e| errors.push(e))
        .ok();
    let scopes = medsec_store::parse_scopes(scopes).filter(|s| !s.is_empty());
    if scopes.is_none() {
        errors.push(FieldError::new("scopes", "invalid_choice"));
    }
    if days == 0 || days > policy.token_max_days {
        errors.push(FieldError::range(
            "days",
            1,
            i64::from(policy.token_max_days),
        ));
    }
    if let Some(s) = &scopes {
        // A token cannot carry more than its owner's role allows.
        let role_allows = |scope: &Scope| match scope {
            Scope::Read => true,
            Scope::Write => actor
                .user
                .role
                .can(Permission::Write, actor.org.is_operator),
            Scope::Admin => actor.user.role == Role::Admin,
            Scope::Metrics => actor
                .user
                .role
                .can(Permission::ManageOrganizations, actor.org.is_operator),
        };
        if !s.iter().all(role_allows) {
            errors.push(FieldError::new("scopes", "scope_above_role"));
        } else if let crate::auth::Via::Token { scopes: own, .. } = &actor.via {
            // A token may only make tokens it could itself stand in for.
            if !s
                .iter()
                .all(|wanted| crate::auth::token_covers(own, *wanted))
            {
                errors.push(FieldError::new("scopes", "scope_above_token"));
            }
        }
    }
    invalid(errors)?;
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(Error::Internal("validated fields missing".into()));
    };
    let secret = new_api_token();
    let now = state.now();
    let token = ApiToken {
        id: medsec_core::new_id(),
        user_id: actor.user.id.clone(),
        org_id: actor.org.id.clone(),
        name,
        prefix: secret.chars().take(8).collect(),
        scopes,
        created_at: now,
        expires_at: now.plus_secs(i64::from(days) * 86_400),
        last_used_at: None,
        revoked_at: None,
    };
    state
        .store
        .create_token(
            &token,
            &secret_hash(&secret),
            actor.audit(state, Action::TokenCreated),
        )
        .await?;
    Ok((token, secret))
}

pub async fn revoke_token(state: &AppState, actor: &Actor, id: &str) -> Result<()> {
    actor.require_token_scope(Scope::Write)?;
    Ok(state
        .store
        .revoke_token(
            &actor.user.id,
            id,
            state.now(),
            actor.audit(state, Action::TokenRevoked),
        )
        .await?)
}

/// Ends the session the actor is using (logout). API tokens have no
/// session; for them this does nothing.
pub async fn logout(state: &AppState, actor: &Actor) -> Result<()> {
    if let Some(s) = actor.session() {
        state
            .store
            .end_session(
                &s.id_hash,
                &actor.user.id,
                actor.audit(state, Action::Logout),
            )
            .await?;
    }
    Ok(())
}

/// Ends one of the actor's sessions, named by its reference.
pub async fn revoke_session(state: &AppState, actor: &Actor, reference: &str) -> Result<()> {
    actor.require_token_scope(Scope::Write)?;
    let sessions = state.store.list_sessions(&actor.user.id).await?;
    let s = sessions
        .iter()
        .find(|s| medsec_store::session_ref(&s.id_hash) == reference)
        .ok_or(Error::NotFound)?;
    state
        .store
        .end_session(
            &s.id_hash,
            &actor.user.id,
            actor.audit(state, Action::SessionRevoked),
        )
        .await?;
    Ok(())
}

/// Starts TOTP enrolment: stores a fresh secret (not yet enabled) and
/// returns it with its `otpauth://` URL.
pub async fn totp_begin(state: &AppState, actor: &Actor) -> Result<(String, String)> {
    actor.require_session()?;
    if actor.user.totp_enabled {
        return Err(Error::field("totp", "totp_already_enabled"));
    }
    let secret = medsec_core::totp::new_secret();
    state.store.set_totp_secret(&actor.user.id, &secret).await?;
    let url = medsec_core::totp::otpauth_url(&secret, &actor.user.username)
        .ok_or_else(|| Error::Internal("otpauth URL".into()))?;
    Ok((secret, url))
}

/// Confirms enrolment with a code from the app, turning TOTP on.
pub async fn totp_confirm(state: &AppState, actor: &Actor, code: &str) -> Result<()> {
    actor.require_session()?;
    let creds = crate::auth::credentials(state, &actor.user.id).await?;
    let Some(secret) = creds.totp_secret.filter(|_| !actor.user.totp_enabled) else {
        return Err(Error::field("code", "totp_not_started"));
    };
    let unix = u64::try_from(state.now().0 / 1000).unwrap_or(0);
    let Some(step) = medsec_core::totp::verify(&secret, code, unix, None) else {
        let e = actor
            .audit(state, Action::TotpFailure)
            .outcome(Outcome::Failure)
            .details(serde_json::json!({"during": "enrolment"}));
        state.store.audit(e).await?;
        return Err(Error::field("code", "totp_wrong"));
    };
    state
        .store
        .set_totp_enabled(
            &actor.user.id,
            true,
            Some(step),
            state.now(),
            actor.audit(state, Action::TotpEnabled),
        )
        .await?;
    Ok(())
}

/// Turns TOTP off after checking the password. Refused when the policy
/// requires TOTP for this user.
pub async fn totp_disable(state: &AppState, actor: &Actor, password: &str) -> Result<()> {
    actor.require_session()?;
    let policy = state.policy().await?;
    if crate::auth::totp_enrolment_due(
        &User {
            totp_enabled: false,
            ..actor.user.clone()
        },
        &policy,
    ) {
        return Err(Error::field("password", "totp_required_by_policy"));
    }
    let creds = crate::auth::credentials(state, &actor.user.id).await?;
    let hash = creds.password_hash.unwrap_or_default();
    let given = password.to_owned();
    if !state
        .hash_work(move || password::verify(&given, &hash))
        .await?
    {
        return Err(Error::field("password", "wrong_password"));
    }
    state
        .store
        .set_totp_enabled(
            &actor.user.id,
            false,
            None,
            state.now(),
            actor.audit(state, Action::TotpDisabled),
        )
        .await?;
    Ok(())
}

/// Audit-log filters as the UI and API take them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    /// `YYYY-MM-DD` (display time zone), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// `YYYY-MM-DD` (display time zone), inclusive.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Parses `YYYY-MM-DD` as the start of that day in the display offset.
fn parse_day(field: &str, value: &str, offset_minutes: i32) -> Result<Timestamp, FieldError> {
    let bad = || FieldError::new(field, "invalid_date");
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(value.trim(), &fmt).map_err(|_| bad())?;
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).map_err(|_| bad())?;
    let dt = date.midnight().assume_offset(offset);
    Ok(Timestamp(
        i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).map_err(|_| bad())?,
    ))
}

impl AuditQuery {
    pub fn to_filter(&self, offset_minutes: i32, default_limit: i64) -> Result<AuditFilter> {
        let mut errors = Vec::new();
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let action = nonempty(&self.action);
        if let Some(a) = &action
            && a.parse::<Action>().is_err()
        {
            errors.push(FieldError::new("action", "invalid_choice"));
        }
        let outcome = nonempty(&self.outcome);
        if outcome
            .as_deref()
            .is_some_and(|o| o != "success" && o != "failure")
        {
            errors.push(FieldError::new("outcome", "invalid_choice"));
        }
        let since = nonempty(&self.from)
            .map(|d| parse_day("from", &d, offset_minutes))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let until = nonempty(&self.to)
            .map(|d| parse_day("to", &d, offset_minutes).map(|t| t.plus_secs(86_400)))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let limit = self.limit.unwrap_or(default_limit);
        if !(1..=10_000).contains(&limit) {
            errors.push(FieldError::range("limit", 1, 10_000));
        }
        invalid(errors)?;
        Ok(AuditFilter {
            actor: nonempty(&self.actor),
            action,
            action_prefix: None,
            outcome,
            since,
            until,
            before_seq: self.before,
            limit,
        })
    }
}

/// The audit records an actor may read: their organisation's, plus the
/// instance's own records (org-less) for operator administrators.
pub async fn audit_records(
    state: &AppState,
    actor: &Actor,
    filter: &AuditFilter,
) -> Result<Vec<medsec_core::audit::Record>> {
    actor.require(state, Permission::ViewAudit).await?;
    Ok(state
        .store
        .list_audit(&actor.org.id, actor.is_operator_admin(), filter)
        .await?)
}

/// The audit records as CSV (RFC 4180), itself an audited export.
pub async fn audit_csv(state: &AppState, actor: &Actor, filter: &AuditFilter) -> Result<String> {
    actor.require(state, Permission::ExportAudit).await?;
    let records = state
        .store
        .list_audit(&actor.org.id, actor.is_operator_admin(), filter)
        .await?;
    let details = serde_json::json!({"records": records.len(), "actor": filter.actor, "action": filter.action, "outcome": filter.outcome});
    state
        .store
        .audit(actor.audit(state, Action::AuditExported).details(details))
        .await?;
    let mut out =
        String::from("seq,time,actor,source,action,outcome,target_kind,target_id,details,hash\r\n");
    for r in &records {
        let cells = [
            r.seq.to_string(),
            r.at.rfc3339(),
            r.actor.clone(),
            r.source.clone(),
            r.action.clone(),
            r.outcome.clone(),
            r.target_kind.clone(),
            r.target_id.clone().unwrap_or_default(),
            r.details.clone(),
            r.hash.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// One CSV cell, quoted when needed. Cells that a spreadsheet would run
/// as a formula are prefixed with `'` (CSV injection).
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_guarded() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    }

    #[test]
    fn days_are_read_in_the_display_offset() {
        let t = parse_day("from", "2026-11-25", 540).unwrap();
        assert_eq!(t.rfc3339(), "2026-11-24T15:00:00.000Z");
        assert_eq!(
            parse_day("from", "2026-13-01", 540).unwrap_err().code,
            "invalid_date"
        );
    }
}
