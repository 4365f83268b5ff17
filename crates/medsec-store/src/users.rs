//! User accounts: creation, roles, status, passwords, second factor and
//! the login bookkeeping (failures, lock-out, last login).

use medsec_core::{Role, Timestamp};

use crate::audit::AppendAudit;
use crate::{
    AuditEntry, BeginWrite, Credentials, OrgRow, Organization, Principal, Result, Store,
    StoreError, User, UserRow, UserStatus, conflict_or, db, on,
};

pub(crate) const USER_COLUMNS: &str = "id, org_id, username, display_name, role, status, password_hash, \
    password_changed_at, must_change_password, totp_secret, totp_enabled, totp_last_step, failed_logins, \
    locked_until, last_login_at, last_login_ip, prev_login_at, prev_login_ip, failures_before_login, \
    created_at, updated_at";

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub org_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `Pending` users choose their password through an activation link;
    /// `Active` users get `password_hash` now.
    pub status: UserStatus,
    pub password_hash: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// The result of recording a failed login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureState {
    pub failed_logins: i64,
    /// Set when this failure locked the account.
    pub locked_now: bool,
}

/// Inserting a user inside a transaction, with its audit record.
pub(crate) trait InsertUser {
    async fn insert_user(
        &mut self,
        id: &str,
        new: &NewUser,
        now: Timestamp,
        audit: AuditEntry,
        pg: bool,
    ) -> Result<()>;
}

crate::for_both_backends! {
impl InsertUser for Tx {
    async fn insert_user(&mut self, id: &str, new: &NewUser, now: Timestamp, audit: AuditEntry, pg: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, org_id, username, display_name, role, status, password_hash, password_changed_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(id).bind(&new.org_id).bind(&new.username).bind(&new.display_name).bind(new.role.as_str())
        .bind(new.status.as_str()).bind(&new.password_hash).bind(new.password_hash.as_ref().map(|_| now.0)).bind(now.0)
        .execute(&mut **self).await.map_err(conflict_or("create user", "user"))?;
        if let Some(hash) = &new.password_hash {
            sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
                .bind(id).bind(hash).bind(now.0).execute(&mut **self).await.map_err(db("record password history"))?;
        }
        let details = serde_json::json!({"username": new.username, "role": new.role.as_str(), "display_name": new.display_name});
        self.append_audit(&audit.target("user", id.to_owned()).details(details), pg).await?;
        Ok(())
    }
}
}

/// The columns of a user (`u_…`) and their organisation (`o_…`).
pub(crate) fn principal_columns() -> String {
    format!(
        "{}, {}",
        UserRow::select_prefixed("u", "u_"),
        OrgRow::select_prefixed("o", "o_")
    )
}

/// A user and their organisation from a row selected with [`principal_columns`].
pub(crate) fn decode_principal<R: sqlx::Row>(row: &R) -> Result<(Principal, Credentials)>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let (user, creds) = split(UserRow::from_prefixed(row, "u_").map_err(db("decode user"))?)?;
    let org = Organization::try_from(
        OrgRow::from_prefixed(row, "o_").map_err(db("decode organisation"))?,
    )
    .map_err(db("decode organisation"))?;
    Ok((Principal { user, org }, creds))
}

fn split(row: UserRow) -> Result<(User, Credentials)> {
    row.split().map_err(db("decode user"))
}

impl Store {
    pub async fn create_user(
        &self,
        new: &NewUser,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<User> {
        let pg = self.is_postgres();
        let id = medsec_core::new_id();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            tx.insert_user(&id, new, now, audit, pg).await?;
            tx.commit().await.map_err(db("commit user"))?;
            Ok(())
        })?;
        self.get_user(&new.org_id, &id)
            .await?
            .ok_or(StoreError::NotFound { what: "user" })
    }

    /// One user of `org_id`; `None` if the user does not exist there.
    pub async fn get_user(&self, org_id: &str, id: &str) -> Result<Option<User>> {
        on!(self, pool => {
            let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2")))
                .bind(org_id).bind(id).fetch_optional(pool).await.map_err(db("read user"))?;
            row.map(|r| split(r).map(|(u, _)| u)).transpose()
        })
    }

    /// The users of `org_id`, by user id.
    pub async fn list_users(&self, org_id: &str) -> Result<Vec<User>> {
        on!(self, pool => {
            let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY username")))
                .bind(org_id).fetch_all(pool).await.map_err(db("list users"))?;
            rows.into_iter().map(|r| split(r).map(|(u, _)| u)).collect()
        })
    }

    /// The number of users of one organisation.
    pub async fn org_user_count(&self, org_id: &str) -> Result<i64> {
        on!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE org_id = $1").bind(org_id).fetch_one(pool).await.map_err(db("count users"))?;
            Ok(n)
        })
    }

    /// The number of users in the whole instance (0 means setup is due).
    pub async fn user_count(&self) -> Result<i64> {
        on!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await.map_err(db("count users"))?;
            Ok(n)
        })
    }

    /// A user, their organisation and their secrets, by user id (unscoped:
    /// for authentication only).
    pub async fn principal(&self, user_id: &str) -> Result<Option<(Principal, Credentials)>> {
        self.principal_where("id", user_id).await
    }

    /// As [`Store::principal`], by user name, for login.
    pub async fn principal_by_username(
        &self,
        username: &str,
    ) -> Result<Option<(Principal, Credentials)>> {
        self.principal_where("username", username).await
    }

    async fn principal_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<(Principal, Credentials)>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.{column} = $1",
            principal_columns()
        );
        on!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(pool).await.map_err(db("read user"))?;
            row.map(|r| decode_principal(&r)).transpose()
        })
    }

    /// Changes a user of `org_id`. Disabling ends the user's sessions.
    pub async fn update_user(
        &self,
        org_id: &str,
        id: &str,
        update: &UserUpdate,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<User> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET display_name = COALESCE($3, display_name), role = COALESCE($4, role), \
                 status = COALESCE($5, status), updated_at = $6 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id).bind(id).bind(&update.display_name).bind(update.role.map(Role::as_str))
            .bind(update.status.map(UserStatus::as_str)).bind(now.0)
            .execute(&mut *tx).await.map_err(db("update user"))?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            if matches!(update.status, Some(UserStatus::Disabled | UserStatus::Pending)) || update.role.is_some() {
                // A disabled user loses access at once; a changed role takes
                // effect on a fresh login.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await.map_err(db("end sessions"))?;
            }
            tx.append_audit(&audit.target("user", id), pg).await?;
            tx.commit().await.map_err(db("commit user"))?;
            Ok(())
        })?;
        self.get_user(org_id, id)
            .await?
            .ok_or(StoreError::NotFound { what: "user" })
    }

    /// Deletes a user of `org_id` with their sessions and tokens. Audit
    /// records keep the user's name.
    pub async fn delete_user(&self, org_id: &str, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("delete user"))?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            tx.append_audit(&audit.target("user", id), pg).await?;
            tx.commit().await.map_err(db("commit user deletion"))?;
            Ok(())
        })
    }

    /// Sets a new password, records it in the history (keeping the newest
    /// `keep` entries), activates a pending user and clears a lock-out.
    pub async fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        must_change: bool,
        keep: u32,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = $2, password_changed_at = $3, must_change_password = $4, \
                 status = CASE WHEN status = 'pending' THEN 'active' ELSE status END, \
                 failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1",
            )
            .bind(user_id).bind(hash).bind(now.0).bind(must_change)
            .execute(&mut *tx).await.map_err(db("set password"))?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
                .bind(user_id).bind(hash).bind(now.0).execute(&mut *tx).await.map_err(db("record password history"))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM password_history WHERE user_id = $1 AND created_at < \
                 (SELECT MIN(created_at) FROM (SELECT created_at FROM password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT {}) AS newest)",
                keep.clamp(1, 1000)
            )))
            .bind(user_id)
            .execute(&mut *tx).await.map_err(db("prune password history"))?;
            tx.append_audit(&audit.target("user", user_id), pg).await?;
            tx.commit().await.map_err(db("commit password"))?;
            Ok(())
        })
    }

    /// Resets a user of `org_id` to waiting for activation: the password
    /// stops working (the history stays, so old passwords still cannot
    /// come back), a lock-out is lifted and every session ends.
    pub async fn reset_user(
        &self,
        org_id: &str,
        id: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = NULL, must_change_password = $3, status = 'pending', \
                 failed_logins = 0, locked_until = NULL, updated_at = $4 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id).bind(id).bind(false).bind(now.0)
            .execute(&mut *tx).await.map_err(db("reset user"))?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await.map_err(db("end sessions"))?;
            tx.append_audit(&audit.target("user", id), pg).await?;
            tx.commit().await.map_err(db("commit user reset"))?;
            Ok(())
        })
    }

    /// The newest `n` password hashes of a user, newest first (the current
    /// password included).
    pub async fn password_history(&self, user_id: &str, n: u32) -> Result<Vec<String>> {
        on!(self, pool => {
            // A literal limit (see list_audit): no re-preparing per call.
            let sql = format!("SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT {}", n.min(1000));
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(user_id).fetch_all(pool).await.map_err(db("read password history"))?;
            Ok(rows.into_iter().map(|(h,)| h).collect())
        })
    }

    /// Records a failed login or TOTP attempt; locks the account until
    /// `lock_until` when the count reaches `threshold`. Appends `audit`
    /// and, if the account locked now, `lockout_audit`.
    pub async fn record_login_failure(
        &self,
        user_id: &str,
        threshold: u32,
        lock_until: Timestamp,
        audit: AuditEntry,
        lockout_audit: AuditEntry,
    ) -> Result<FailureState> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (failed, was_locked): (i64, Option<i64>) = sqlx::query_as(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins, locked_until",
            )
            .bind(user_id).fetch_one(&mut *tx).await.map_err(db("count failed login"))?;
            let locked_now = failed >= i64::from(threshold) && was_locked.is_none_or(|t| t < audit.at.0);
            tx.append_audit(&audit, pg).await?;
            if locked_now {
                sqlx::query("UPDATE users SET locked_until = $2 WHERE id = $1")
                    .bind(user_id).bind(lock_until.0).execute(&mut *tx).await.map_err(db("lock account"))?;
                tx.append_audit(&lockout_audit, pg).await?;
            }
            tx.commit().await.map_err(db("commit failed login"))?;
            Ok(FailureState { failed_logins: failed, locked_now })
        })
    }

    /// Clears an expired lock-out so the account starts counting afresh.
    pub async fn clear_expired_lock(&self, user_id: &str, now: Timestamp) -> Result<()> {
        on!(self, pool => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND locked_until IS NOT NULL AND locked_until <= $2")
            .bind(user_id).bind(now.0).execute(pool).await.map(|_| ()).map_err(db("clear lock-out")))
    }

    /// Unlocks a user of `org_id` (an administrator's action).
    pub async fn unlock_user(
        &self,
        org_id: &str,
        id: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).bind(now.0).execute(&mut *tx).await.map_err(db("unlock user"))?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            tx.append_audit(&audit.target("user", id), pg).await?;
            tx.commit().await.map_err(db("commit unlock"))?;
            Ok(())
        })
    }

    /// Stores a TOTP secret (not yet enabled) for enrolment.
    pub async fn set_totp_secret(&self, user_id: &str, secret: &str) -> Result<()> {
        on!(self, pool => sqlx::query("UPDATE users SET totp_secret = $2 WHERE id = $1 AND totp_enabled = $3")
            .bind(user_id).bind(secret).bind(false).execute(pool).await.map(|_| ()).map_err(db("store TOTP secret")))
    }

    /// Turns the second factor on (with the step of the code that proved
    /// enrolment) or off (forgetting the secret).
    pub async fn set_totp_enabled(
        &self,
        user_id: &str,
        enabled: bool,
        step: Option<i64>,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let sql = if enabled {
                "UPDATE users SET totp_enabled = $2, totp_last_step = $3, updated_at = $4 WHERE id = $1 AND totp_secret IS NOT NULL"
            } else {
                "UPDATE users SET totp_enabled = $2, totp_last_step = $3, totp_secret = NULL, updated_at = $4 WHERE id = $1"
            };
            let done = sqlx::query(sql).bind(user_id).bind(enabled).bind(step).bind(now.0)
                .execute(&mut *tx).await.map_err(db("set TOTP"))?.rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "user" });
            }
            tx.append_audit(&audit.target("user", user_id), pg).await?;
            tx.commit().await.map_err(db("commit TOTP"))?;
            Ok(())
        })
    }
}
