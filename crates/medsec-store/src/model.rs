//! Rows as the store returns them.

use medsec_core::{OrgKind, Role, Timestamp};

/// Declares a row struct and its `FromRow` for every backend, decoding
/// each field from the column of the same name.
macro_rules! row {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        pub struct $name { $($(#[$fm])* pub $f: $t),* }

        impl $name {
            /// Decodes the row from columns named `PREFIX<field>`, for
            /// joins that select several tables' columns at once.
            #[allow(dead_code)]
            pub(crate) fn from_prefixed<'r, R: sqlx::Row>(row: &'r R, prefix: &str) -> Result<Self, sqlx::Error>
            where
                for<'a> &'a str: sqlx::ColumnIndex<R>,
                $($t: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
            {
                Ok($name { $($f: row.try_get(format!("{prefix}{}", stringify!($f)).as_str())?),* })
            }

            /// `alias.column AS PREFIXcolumn, …` for every field.
            #[allow(dead_code)]
            pub(crate) fn select_prefixed(alias: &str, prefix: &str) -> String {
                [$(stringify!($f)),*].iter().map(|f| format!("{alias}.{f} AS {prefix}{f}")).collect::<Vec<_>>().join(", ")
            }
        }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            $($t: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok($name { $($f: row.try_get(stringify!($f))?),* })
            }
        }
    };
}

row! {
    /// An organisation as stored.
    #[derive(Clone, Debug)]
    pub struct OrgRow {
        pub id: String,
        pub name: String,
        pub kind: String,
        pub is_operator: bool,
        pub enabled: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// An organisation (tenant).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    /// The organisation that installed medsec; its administrators manage
    /// the other organisations.
    pub is_operator: bool,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl TryFrom<OrgRow> for Organization {
    type Error = sqlx::Error;
    fn try_from(r: OrgRow) -> Result<Self, Self::Error> {
        Ok(Organization {
            kind: r
                .kind
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            id: r.id,
            name: r.name,
            is_operator: r.is_operator,
            enabled: r.enabled,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

/// A user's account state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created, waiting for the user to choose a password via their link.
    Pending,
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "pending" => Some(UserStatus::Pending),
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

row! {
    #[derive(Clone, Debug)]
    pub struct UserRow {
        pub id: String,
        pub org_id: String,
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub status: String,
        pub password_hash: Option<String>,
        pub password_changed_at: Option<i64>,
        pub must_change_password: bool,
        pub totp_secret: Option<String>,
        pub totp_enabled: bool,
        pub totp_last_step: Option<i64>,
        pub failed_logins: i64,
        pub locked_until: Option<i64>,
        pub last_login_at: Option<i64>,
        pub last_login_ip: Option<String>,
        pub prev_login_at: Option<i64>,
        pub prev_login_ip: Option<String>,
        pub failures_before_login: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// A user account. Secrets (password hash, TOTP secret) stay in the store
/// layer's [`Credentials`] and are not part of this type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub totp_enabled: bool,
    pub must_change_password: bool,
    pub password_changed_at: Option<Timestamp>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    pub last_login_at: Option<Timestamp>,
    pub last_login_ip: Option<String>,
    /// The successful login before the current one, shown after login.
    pub prev_login_at: Option<Timestamp>,
    pub prev_login_ip: Option<String>,
    /// Failed attempts between the previous and the current login.
    pub failures_before_login: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Secrets needed to authenticate a user.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

fn decode_err(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("invalid {what} `{value}` in database").into())
}

impl UserRow {
    pub fn split(self) -> Result<(User, Credentials), sqlx::Error> {
        let role = self
            .role
            .parse()
            .map_err(|_| decode_err("role", &self.role))?;
        let status =
            UserStatus::parse(&self.status).ok_or_else(|| decode_err("status", &self.status))?;
        Ok((
            User {
                id: self.id,
                org_id: self.org_id,
                username: self.username,
                display_name: self.display_name,
                role,
                status,
                totp_enabled: self.totp_enabled,
                must_change_password: self.must_change_password,
                password_changed_at: self.password_changed_at.map(Timestamp),
                failed_logins: self.failed_logins,
                locked_until: self.locked_until.map(Timestamp),
                last_login_at: self.last_login_at.map(Timestamp),
                last_login_ip: self.last_login_ip,
                prev_login_at: self.prev_login_at.map(Timestamp),
                prev_login_ip: self.prev_login_ip,
                failures_before_login: self.failures_before_login,
                created_at: Timestamp(self.created_at),
                updated_at: Timestamp(self.updated_at),
            },
            Credentials {
                password_hash: self.password_hash,
                totp_secret: self.totp_secret,
                totp_last_step: self.totp_last_step,
            },
        ))
    }
}

/// Whether a session came from the web UI (cookie) or an API login (bearer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// How far a session has come through login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    /// The password was right; the TOTP code is still due.
    Totp,
    /// Fully authenticated.
    Full,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Totp => "totp",
            SessionStage::Full => "full",
        }
    }
}

row! {
    #[derive(Clone, Debug)]
    pub struct SessionRow {
        pub id_hash: String,
        pub user_id: String,
        pub org_id: String,
        pub kind: String,
        pub stage: String,
        pub csrf_token: String,
        pub created_at: i64,
        pub last_seen_at: i64,
        pub expires_at: i64,
        pub ip: String,
        pub user_agent: String,
    }
}

/// A login session. The session secret itself is never stored; `id_hash`
/// is its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub org_id: String,
    pub kind: SessionKind,
    pub stage: SessionStage,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end of the session, whatever its use.
    pub expires_at: Timestamp,
    pub ip: String,
    pub user_agent: String,
}

impl TryFrom<SessionRow> for Session {
    type Error = sqlx::Error;
    fn try_from(r: SessionRow) -> Result<Self, Self::Error> {
        let kind = match r.kind.as_str() {
            "web" => SessionKind::Web,
            "api" => SessionKind::Api,
            other => return Err(decode_err("session kind", other)),
        };
        let stage = match r.stage.as_str() {
            "totp" => SessionStage::Totp,
            "full" => SessionStage::Full,
            other => return Err(decode_err("session stage", other)),
        };
        Ok(Session {
            id_hash: r.id_hash,
            user_id: r.user_id,
            org_id: r.org_id,
            kind,
            stage,
            csrf_token: r.csrf_token,
            created_at: Timestamp(r.created_at),
            last_seen_at: Timestamp(r.last_seen_at),
            expires_at: Timestamp(r.expires_at),
            ip: r.ip,
            user_agent: r.user_agent,
        })
    }
}

row! {
    #[derive(Clone, Debug)]
    pub struct TokenRow {
        pub id: String,
        pub user_id: String,
        pub org_id: String,
        pub name: String,
        pub prefix: String,
        pub scopes: String,
        pub created_at: i64,
        pub expires_at: i64,
        pub last_used_at: Option<i64>,
        pub revoked_at: Option<i64>,
    }
}

/// An API token's metadata. The token itself is shown once at creation;
/// the store keeps its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub org_id: String,
    pub name: String,
    /// The first characters of the token, to recognise it in lists.
    pub prefix: String,
    pub scopes: Vec<medsec_core::org::Scope>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = sqlx::Error;
    fn try_from(r: TokenRow) -> Result<Self, Self::Error> {
        let scopes = r
            .scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| decode_err("token scope", s)))
            .collect::<Result<_, _>>()?;
        Ok(ApiToken {
            id: r.id,
            user_id: r.user_id,
            org_id: r.org_id,
            name: r.name,
            prefix: r.prefix,
            scopes,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            last_used_at: r.last_used_at.map(Timestamp),
            revoked_at: r.revoked_at.map(Timestamp),
        })
    }
}

row! {
    #[derive(Clone, Debug)]
    pub struct AuditRow {
        pub seq: i64,
        pub at: i64,
        pub org_id: Option<String>,
        pub actor_id: Option<String>,
        pub actor: String,
        pub source: String,
        pub action: String,
        pub outcome: String,
        pub target_kind: String,
        pub target_id: Option<String>,
        pub details: String,
        pub prev_hash: String,
        pub hash: String,
    }
}

impl From<AuditRow> for medsec_core::audit::Record {
    fn from(r: AuditRow) -> Self {
        medsec_core::audit::Record {
            seq: r.seq,
            at: Timestamp(r.at),
            org_id: r.org_id,
            actor_id: r.actor_id,
            actor: r.actor,
            source: r.source,
            action: r.action,
            outcome: r.outcome,
            target_kind: r.target_kind,
            target_id: r.target_id,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A user together with their organisation, as authentication needs them.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub org: Organization,
}
pub(crate) use row;
