//! The API's wire types, separate from the domain types so that the JSON
//! stays stable when the domain changes. Times are RFC 3339 in UTC.

use medsec_core::Timestamp;
use medsec_core::policy::{AdminSessionPolicy, SecurityPolicy};
use medsec_store::{ApiToken, Organization, Session, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::service::AuditQuery;

/// The one error body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `login_failed`, `required`.
    pub code: String,
    /// A human-readable message in the language of `Accept-Language`.
    pub message: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
    /// Every invalid field, when several are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    /// The request id to quote when reporting a server error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The current TOTP code, for users with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviousLogin {
    pub at: Option<String>,
    pub address: Option<String>,
    pub failed_attempts_since: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// The bearer token for `Authorization: Bearer …`.
    pub token: String,
    pub token_type: String,
    /// The session ends at this time whatever its use.
    pub expires_at: String,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_secs: u32,
    pub password_change_required: bool,
    pub totp_enrolment_required: bool,
    /// The successful login before this one.
    pub previous_login: Option<PreviousLogin>,
    pub user: UserOut,
    pub organization: OrgOut,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserOut,
    pub organization: OrgOut,
    pub previous_login_at: Option<String>,
    pub previous_login_address: Option<String>,
    pub password_change_required: bool,
    pub totp_enrolment_required: bool,
}

fn ts(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.rfc3339())
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// `admin`, `editor`, `viewer` or `analyst`.
    pub role: String,
    /// `pending`, `active` or `disabled`.
    pub status: String,
    pub totp_enabled: bool,
    pub locked: bool,
    pub last_login_at: Option<String>,
    pub password_changed_at: Option<String>,
    pub created_at: String,
}

impl UserOut {
    pub fn new(u: &User, now: Timestamp) -> UserOut {
        UserOut {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            status: u.status.as_str().into(),
            totp_enabled: u.totp_enabled,
            locked: u.locked_until.is_some_and(|t| t > now),
            last_login_at: ts(u.last_login_at),
            password_changed_at: ts(u.password_changed_at),
            created_at: u.created_at.rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgOut {
    pub id: String,
    pub name: String,
    /// `manufacturer`, `hospital`, `isac` or `regulator`.
    pub kind: String,
    pub is_operator: bool,
    pub enabled: bool,
    pub created_at: String,
}

impl From<&Organization> for OrgOut {
    fn from(o: &Organization) -> OrgOut {
        OrgOut {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind.as_str().into(),
            is_operator: o.is_operator,
            enabled: o.enabled,
            created_at: o.created_at.rfc3339(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfirm {
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The shared secret, base32.
    pub secret: String,
    pub otpauth_url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvitedUser {
    pub user: UserOut,
    /// A one-time link where the user chooses their password.
    pub activation_url: String,
    pub activation_expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminInvite {
    pub username: String,
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgRequest {
    pub name: String,
    pub kind: String,
    /// The first administrator to invite.
    #[serde(default)]
    pub admin: Option<AdminInvite>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedOrg {
    pub organization: OrgOut,
    pub admin: Option<InvitedUser>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

/// Audit filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only records by this user name.
    pub actor: Option<String>,
    /// Only this action, e.g. `auth.login.failure`.
    pub action: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// First day (`YYYY-MM-DD`, KST), inclusive.
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, KST), inclusive.
    pub to: Option<String>,
    /// Only records before this sequence number (paging).
    pub before: Option<i64>,
    /// At most this many records (1–10000, default 100).
    pub limit: Option<i64>,
}

impl AuditParams {
    pub fn into_query(self) -> AuditQuery {
        AuditQuery {
            actor: self.actor,
            action: self.action,
            outcome: self.outcome,
            from: self.from,
            to: self.to,
            before: self.before,
            limit: self.limit,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditRecordOut {
    pub seq: i64,
    pub at: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor: String,
    pub source: String,
    pub action: String,
    pub outcome: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&medsec_core::audit::Record> for AuditRecordOut {
    fn from(r: &medsec_core::audit::Record) -> AuditRecordOut {
        AuditRecordOut {
            seq: r.seq,
            at: r.at.rfc3339(),
            org_id: r.org_id.clone(),
            actor_id: r.actor_id.clone(),
            actor: r.actor.clone(),
            source: r.source.clone(),
            action: r.action.clone(),
            outcome: r.outcome.clone(),
            target_kind: r.target_kind.clone(),
            target_id: r.target_id.clone(),
            details: serde_json::from_str(&r.details)
                .unwrap_or(serde_json::Value::String(r.details.clone())),
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditVerification {
    pub intact: bool,
    pub checked: u64,
    pub last_seq: i64,
    /// The first record where the chain breaks, described.
    pub first_break: Option<String>,
}

/// The security policy.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    pub lockout_threshold: u32,
    pub lockout_secs: u32,
    pub idle_timeout_secs: u32,
    pub session_lifetime_secs: u32,
    /// `replace_old` or `refuse_new`.
    pub admin_sessions: String,
    pub password_max_age_days: u32,
    pub password_history: u32,
    pub require_totp_for_admins: bool,
    pub token_max_days: u32,
}

impl From<&SecurityPolicy> for PolicyDoc {
    fn from(p: &SecurityPolicy) -> PolicyDoc {
        PolicyDoc {
            lockout_threshold: p.lockout_threshold,
            lockout_secs: p.lockout_secs,
            idle_timeout_secs: p.idle_timeout_secs,
            session_lifetime_secs: p.session_lifetime_secs,
            admin_sessions: match p.admin_sessions {
                AdminSessionPolicy::ReplaceOld => "replace_old".into(),
                AdminSessionPolicy::RefuseNew => "refuse_new".into(),
            },
            password_max_age_days: p.password_max_age_days,
            password_history: p.password_history,
            require_totp_for_admins: p.require_totp_for_admins,
            token_max_days: p.token_max_days,
        }
    }
}

impl From<PolicyDoc> for SecurityPolicy {
    fn from(d: PolicyDoc) -> SecurityPolicy {
        SecurityPolicy {
            lockout_threshold: d.lockout_threshold,
            lockout_secs: d.lockout_secs,
            idle_timeout_secs: d.idle_timeout_secs,
            session_lifetime_secs: d.session_lifetime_secs,
            admin_sessions: if d.admin_sessions == "refuse_new" {
                AdminSessionPolicy::RefuseNew
            } else {
                AdminSessionPolicy::ReplaceOld
            },
            password_max_age_days: d.password_max_age_days,
            password_history: d.password_history,
            require_totp_for_admins: d.require_totp_for_admins,
            token_max_days: d.token_max_days,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&ApiToken> for TokenOut {
    fn from(t: &ApiToken) -> TokenOut {
        TokenOut {
            id: t.id.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: t.created_at.rfc3339(),
            expires_at: t.expires_at.rfc3339(),
            last_used_at: ts(t.last_used_at),
            revoked_at: ts(t.revoked_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
    /// Any of `read`, `write`, `admin`, `metrics`.
    pub scopes: Vec<String>,
    /// Days until the token expires.
    pub days: u32,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token itself; shown only in this response.
    pub token: String,
    pub info: TokenOut,
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// The session's reference, for `DELETE /api/v1/sessions/{id}`.
    pub id: String,
    /// `web` or `api`.
    pub kind: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

impl SessionOut {
    pub fn new(s: &Session, current_hash: &str) -> SessionOut {
        SessionOut {
            id: medsec_store::session_ref(&s.id_hash),
            kind: s.kind.as_str().into(),
            created_at: s.created_at.rfc3339(),
            last_seen_at: s.last_seen_at.rfc3339(),
            expires_at: s.expires_at.rfc3339(),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            current: s.id_hash == current_hash,
        }
    }
}

/// A catalogue without its items.
#[derive(Serialize, ToSchema)]
pub struct CatalogSummary {
    pub id: String,
    /// `regulation`, `guide`, `principles`, `standard` or `reference`.
    pub kind: String,
    pub title_ko: String,
    pub title_en: String,
    pub edition: String,
    pub issued: Option<String>,
    pub accepted_until: Option<String>,
    pub default_for_new: bool,
    pub items: usize,
}

impl From<&medsec_catalog::Catalog> for CatalogSummary {
    fn from(c: &medsec_catalog::Catalog) -> CatalogSummary {
        let h = &c.catalog;
        CatalogSummary {
            id: h.id.clone(),
            kind: h.kind.as_str().into(),
            title_ko: h.title_ko.clone(),
            title_en: h.title_en.clone(),
            edition: h.edition.clone(),
            issued: h.issued.clone(),
            accepted_until: h.accepted_until.clone(),
            default_for_new: h.default_for_new,
            items: c.item.len(),
        }
    }
}

/// An item a search found.
#[derive(Serialize, ToSchema)]
pub struct CatalogHit {
    pub catalog: String,
    pub item: String,
    pub title_ko: String,
    pub title_en: String,
}

/// The sector crisis level in force with its checklist.
#[derive(Serialize, ToSchema)]
pub struct CrisisOut {
    /// `normal`, `attention`, `caution`, `alert` or `severe`.
    pub level: String,
    /// 정상, 관심, 주의, 경계 or 심각.
    pub name_ko: String,
    pub name_en: String,
    /// The banner colour (CSS hex).
    pub colour: String,
    /// Why the ISAC set it; empty before the first change.
    pub reason: String,
    /// When it was set; `null` before the first change (the sector is at
    /// `normal`).
    pub since: Option<String>,
    /// The change in force: the checklist's ticks belong to it.
    pub change_id: Option<String>,
    /// The actions of the level, with the caller's organisation's ticks.
    pub checklist: Vec<CrisisActionOut>,
    /// Every member hospital's progress (for the ISAC only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<CrisisMemberOut>>,
}

/// One action of a level's checklist.
#[derive(Serialize, ToSchema)]
pub struct CrisisActionOut {
    /// Stable id, e.g. `caution-block-indicators`.
    pub id: String,
    pub ko: String,
    pub en: String,
    /// Whether the caller's hospital marked it done.
    pub done: bool,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
}

/// A member hospital's progress on the checklist in force.
#[derive(Serialize, ToSchema)]
pub struct CrisisMemberOut {
    pub member_id: String,
    pub member: String,
    /// The ids of the actions done.
    pub done: Vec<String>,
    pub done_count: usize,
    pub total: usize,
    pub updated_at: Option<String>,
}

/// One change of the sector level.
#[derive(Serialize, ToSchema)]
pub struct CrisisChangeOut {
    pub id: String,
    pub level: String,
    pub name_ko: String,
    pub name_en: String,
    pub reason: String,
    pub set_at: String,
    /// Who at the ISAC set it (shown to the ISAC only).
    pub set_by: Option<String>,
}

impl CrisisChangeOut {
    pub fn new(c: &medsec_store::crisis::CrisisChangeRow) -> CrisisChangeOut {
        let level = c.level();
        CrisisChangeOut {
            id: c.id.clone(),
            level: level.as_str().into(),
            name_ko: level.ko().into(),
            name_en: level.en().into(),
            reason: c.reason.clone(),
            set_at: Timestamp(c.set_at).rfc3339(),
            set_by: Some(c.set_by.clone()).filter(|s| !s.is_empty()),
        }
    }
}

/// The history of the sector level, newest first.
#[derive(Serialize, ToSchema)]
pub struct CrisisHistoryOut {
    pub history: Vec<CrisisChangeOut>,
}

/// A new sector level (the ISAC).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisSetRequest {
    /// `normal`, `attention`, `caution`, `alert` or `severe` (or the
    /// Korean or English name).
    pub level: String,
    /// Why: 5 to 1000 characters, shown to every member. The level in
    /// force may be set again only with a different reason.
    pub reason: String,
}

/// What setting the level did.
#[derive(Serialize, ToSchema)]
pub struct CrisisSetResponse {
    pub change: CrisisChangeOut,
    /// The level before.
    pub previous: String,
    /// How many member hospitals were notified.
    pub notified: usize,
    /// How many webhook deliveries were queued.
    pub deliveries: usize,
}

/// A tick on the checklist in force (a member hospital).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisTickRequest {
    pub done: bool,
}
