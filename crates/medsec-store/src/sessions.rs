//! Login sessions and one-time tokens (setup and activation links).

use medsec_core::Timestamp;
use medsec_core::audit::Action;

use crate::audit::AppendAudit;
use crate::{
    AuditEntry, BeginWrite, Credentials, Principal, Result, Session, SessionKind, SessionRow,
    SessionStage, Store, StoreError, db, on,
};

const SESSION_COLUMNS: &str = "id_hash, user_id, org_id, kind, stage, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent";

/// What to do with the user's other sessions when a login completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherSessions {
    Keep,
    /// End them (an administrator's new login replaces the old one).
    End,
}

fn decode(rows: Vec<SessionRow>) -> Result<Vec<Session>> {
    rows.into_iter()
        .map(Session::try_from)
        .collect::<Result<_, _>>()
        .map_err(db("decode session"))
}

impl Store {
    /// Stores a new session. A `Full` session is a completed login: the
    /// user's last-login fields and failure count are updated, `others`
    /// applies, and `audit` (the login success) is appended together.
    pub async fn create_session(
        &self,
        s: &Session,
        others: OtherSessions,
        audit: Option<AuditEntry>,
    ) -> Result<Vec<Session>> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")))
                .bind(&s.id_hash).bind(&s.user_id).bind(&s.org_id).bind(s.kind.as_str()).bind(s.stage.as_str())
                .bind(&s.csrf_token).bind(s.created_at.0).bind(s.last_seen_at.0).bind(s.expires_at.0).bind(&s.ip).bind(&s.user_agent)
                .execute(&mut *tx).await.map_err(db("create session"))?;
            let mut ended = Vec::new();
            if s.stage == SessionStage::Full {
                ended = complete_login(&mut tx, s, others, audit.as_ref(), pg).await?;
            }
            tx.commit().await.map_err(db("commit session"))?;
            Ok(ended)
        })
    }

    /// Completes a session waiting for its TOTP code: stores the code's
    /// step (so it cannot be replayed) and does what
    /// [`Store::create_session`] does for a completed login.
    pub async fn promote_session(
        &self,
        s: &Session,
        totp_step: i64,
        others: OtherSessions,
        audit: AuditEntry,
    ) -> Result<Vec<Session>> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE sessions SET stage = 'full' WHERE id_hash = $1 AND stage = 'totp'")
                .bind(&s.id_hash).execute(&mut *tx).await.map_err(db("promote session"))?.rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "session" });
            }
            sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1")
                .bind(&s.user_id).bind(totp_step).execute(&mut *tx).await.map_err(db("store TOTP step"))?;
            let ended = complete_login(&mut tx, s, others, Some(&audit), pg).await?;
            tx.commit().await.map_err(db("commit session"))?;
            Ok(ended)
        })
    }

    /// A session with its user, organisation and secrets, by the hash of its id.
    pub async fn session(
        &self,
        id_hash: &str,
    ) -> Result<Option<(Session, Principal, Credentials)>> {
        // One query for what every authenticated request needs.
        let sql = format!(
            "SELECT {}, {} FROM sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.org_id WHERE s.id_hash = $1",
            SessionRow::select_prefixed("s", "s_"),
            crate::users::principal_columns()
        );
        on!(self, pool => {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).fetch_optional(pool).await.map_err(db("read session"))? else {
                return Ok(None);
            };
            let session = Session::try_from(SessionRow::from_prefixed(&row, "s_").map_err(db("decode session"))?).map_err(db("decode session"))?;
            let (principal, creds) = crate::users::decode_principal(&row)?;
            Ok(Some((session, principal, creds)))
        })
    }

    /// Records use of a session.
    pub async fn touch_session(&self, id_hash: &str, now: Timestamp) -> Result<()> {
        on!(self, pool => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash).bind(now.0).execute(pool).await.map(|_| ()).map_err(db("touch session")))
    }

    /// Ends a session, appending `audit` (logout, timeout, revocation).
    /// Returns whether the session existed.
    pub async fn end_session(
        &self,
        id_hash: &str,
        user_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
                .bind(id_hash).bind(user_id).execute(&mut *tx).await.map_err(db("end session"))?.rows_affected();
            if done == 1 {
                tx.append_audit(&audit.target("session", session_ref(id_hash)), pg).await?;
            }
            tx.commit().await.map_err(db("commit session end"))?;
            Ok(done == 1)
        })
    }

    /// A user's sessions, newest first.
    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        let rows = on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC")))
            .bind(user_id).fetch_all(pool).await.map_err(db("list sessions"))?);
        decode(rows)
    }

    /// Sessions idle since before `idle_before` or past their absolute end
    /// at `now`; they are removed and each gets an audit record.
    pub async fn expire_sessions(
        &self,
        now: Timestamp,
        idle_before: Timestamp,
        base: &AuditEntry,
    ) -> Result<Vec<Session>> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let rows: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE last_seen_at < $1 OR expires_at <= $2 ORDER BY created_at"
            )))
            .bind(idle_before.0).bind(now.0).fetch_all(&mut *tx).await.map_err(db("find expired sessions"))?;
            let expired = decode(rows)?;
            for s in &expired {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&s.id_hash).execute(&mut *tx).await.map_err(db("end session"))?;
                let (action, reason) = if s.expires_at <= now { (Action::SessionExpired, "lifetime") } else { (Action::SessionTimeout, "idle") };
                let actor: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE id = $1")
                    .bind(&s.user_id).fetch_optional(&mut *tx).await.map_err(db("read user"))?;
                let entry = AuditEntry {
                    org_id: Some(s.org_id.clone()),
                    actor_id: Some(s.user_id.clone()),
                    actor: actor.map(|(a,)| a).unwrap_or_default(),
                    ..base.clone()
                }
                .action(action)
                .target("session", session_ref(&s.id_hash))
                .details(serde_json::json!({"reason": reason, "kind": s.kind.as_str(), "last_seen_at": s.last_seen_at.rfc3339(), "ip": s.ip}));
                tx.append_audit(&entry, pg).await?;
            }
            tx.commit().await.map_err(db("commit expired sessions"))?;
            Ok(expired)
        })
    }

    /// Whether the user holds a live, fully authenticated session.
    pub async fn has_live_session(
        &self,
        user_id: &str,
        now: Timestamp,
        idle_before: Timestamp,
    ) -> Result<bool> {
        on!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND stage = 'full' AND last_seen_at >= $2 AND expires_at > $3")
                .bind(user_id).bind(idle_before.0).bind(now.0).fetch_one(pool).await.map_err(db("count sessions"))?;
            Ok(n > 0)
        })
    }

    /// Stores a one-time token (setup or activation link) by its hash.
    /// Creating a setup token removes any earlier one; creating an
    /// activation token removes the user's earlier ones.
    pub async fn create_one_time_token(
        &self,
        purpose: OneTimePurpose,
        user_id: Option<&str>,
        hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            match user_id {
                None => sqlx::query("DELETE FROM one_time_tokens WHERE purpose = $1 AND user_id IS NULL").bind(purpose.as_str()).execute(&mut *tx).await,
                Some(u) => sqlx::query("DELETE FROM one_time_tokens WHERE purpose = $1 AND user_id = $2").bind(purpose.as_str()).bind(u).execute(&mut *tx).await,
            }
            .map_err(db("remove old one-time tokens"))?;
            sqlx::query("INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(hash).bind(purpose.as_str()).bind(user_id).bind(now.0).bind(expires_at.0)
                .execute(&mut *tx).await.map_err(db("create one-time token"))?;
            tx.commit().await.map_err(db("commit one-time token"))?;
            Ok(())
        })
    }

    /// Looks up a live one-time token without using it up. Returns the
    /// user it is for (`None` for setup tokens) if it exists.
    pub async fn peek_one_time_token(
        &self,
        purpose: OneTimePurpose,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Option<String>>> {
        on!(self, pool => {
            let row: Option<(Option<String>,)> = sqlx::query_as("SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3")
                .bind(hash).bind(purpose.as_str()).bind(now.0).fetch_optional(pool).await.map_err(db("read one-time token"))?;
            Ok(row.map(|(u,)| u))
        })
    }

    /// Uses up a live one-time token; returns whether it was live.
    pub async fn take_one_time_token(
        &self,
        purpose: OneTimePurpose,
        hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        on!(self, pool => {
            let done = sqlx::query("DELETE FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3")
                .bind(hash).bind(purpose.as_str()).bind(now.0).execute(pool).await.map_err(db("use one-time token"))?.rows_affected();
            Ok(done == 1)
        })
    }
}

/// What a one-time token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneTimePurpose {
    /// The first-run setup link.
    Setup,
    /// A new user's link to choose a password (also used for resets).
    Activation,
}

impl OneTimePurpose {
    fn as_str(self) -> &'static str {
        match self {
            OneTimePurpose::Setup => "setup",
            OneTimePurpose::Activation => "activation",
        }
    }
}

/// How a session appears in audit records: a short prefix of its hash,
/// enough to correlate records, useless to hijack it.
pub fn session_ref(id_hash: &str) -> String {
    id_hash.chars().take(16).collect()
}

/// The bookkeeping of a completed login, inside the login's transaction.
async fn complete_login<Tx>(
    tx: &mut Tx,
    s: &Session,
    others: OtherSessions,
    audit: Option<&AuditEntry>,
    pg: bool,
) -> Result<Vec<Session>>
where
    Tx: AppendAudit + LoginTx,
{
    tx.mark_login(s).await?;
    let mut ended = Vec::new();
    if others == OtherSessions::End {
        ended = tx.end_other_sessions(s).await?;
        for old in &ended {
            if let Some(a) = audit {
                let entry = a
                    .clone()
                    .action(Action::SessionReplaced)
                    .target("session", session_ref(&old.id_hash))
                    .details(
                        serde_json::json!({"replaced_by": session_ref(&s.id_hash), "ip": old.ip}),
                    );
                tx.append_audit(&entry, pg).await?;
            }
        }
    }
    if let Some(a) = audit {
        tx.append_audit(&a.clone().target("session", session_ref(&s.id_hash)), pg)
            .await?;
    }
    Ok(ended)
}

pub(crate) trait LoginTx {
    async fn mark_login(&mut self, s: &Session) -> Result<()>;
    async fn end_other_sessions(&mut self, s: &Session) -> Result<Vec<Session>>;
}

crate::for_both_backends! {
impl LoginTx for Tx {
    async fn mark_login(&mut self, s: &Session) -> Result<()> {
        sqlx::query(
            "UPDATE users SET prev_login_at = last_login_at, prev_login_ip = last_login_ip, \
             failures_before_login = failed_logins, last_login_at = $2, last_login_ip = $3, \
             failed_logins = 0, locked_until = NULL WHERE id = $1",
        )
        .bind(&s.user_id).bind(s.created_at.0).bind(&s.ip)
        .execute(&mut **self).await.map_err(db("record login"))?;
        Ok(())
    }

    async fn end_other_sessions(&mut self, s: &Session) -> Result<Vec<Session>> {
        let rows: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 RETURNING {SESSION_COLUMNS}"
        )))
        .bind(&s.user_id).bind(&s.id_hash)
        .fetch_all(&mut **self).await.map_err(db("end other sessions"))?;
        decode(rows)
    }
}
}

/// Where a login came from.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
}

impl Session {
    /// A new session of `kind` for a principal.
    pub fn new(
        id_hash: String,
        p: &Principal,
        kind: SessionKind,
        stage: SessionStage,
        now: Timestamp,
        lifetime_secs: u32,
        client: Client<'_>,
    ) -> Session {
        Session {
            id_hash,
            user_id: p.user.id.clone(),
            org_id: p.org.id.clone(),
            kind,
            stage,
            csrf_token: medsec_core::credential::random_token(32),
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_secs(i64::from(lifetime_secs)),
            ip: client.ip.to_owned(),
            user_agent: client.user_agent.chars().take(300).collect(),
        }
    }
}
