//! Organisations, and the first-run setup that creates the operator
//! organisation with its first administrator.

use medsec_core::{OrgKind, Timestamp};

use crate::audit::AppendAudit;
use crate::users::{InsertUser, NewUser};
use crate::{
    AuditEntry, BeginWrite, OrgRow, Organization, Result, Store, StoreError, User, UserStatus,
    conflict_or, db, on,
};

const ORG_COLUMNS: &str = "id, name, kind, is_operator, enabled, created_at, updated_at";

/// The first administrator and organisation, created at setup.
#[derive(Clone, Debug)]
pub struct Setup {
    pub org_name: String,
    pub org_kind: OrgKind,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
}

impl Store {
    /// Creates the operator organisation and its first administrator, if
    /// and only if the database has no user yet. `setup_token_hash`, when
    /// given, must be a live setup token, which is consumed.
    pub async fn complete_setup(
        &self,
        setup: &Setup,
        setup_token_hash: Option<&str>,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<(Organization, User)> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if pg {
                // Two concurrent setups must not both see an empty database.
                sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE").execute(&mut *tx).await.map_err(db("lock users"))?;
            }
            let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await.map_err(db("count users"))?;
            if users > 0 {
                return Err(StoreError::Invalid("setup is already complete".into()));
            }
            if let Some(hash) = setup_token_hash {
                let taken = sqlx::query("DELETE FROM one_time_tokens WHERE token_hash = $1 AND purpose = 'setup' AND expires_at > $2")
                    .bind(hash)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("consume setup token"))?
                    .rows_affected();
                if taken != 1 {
                    return Err(StoreError::NotFound { what: "setup token" });
                }
            }
            sqlx::query("DELETE FROM one_time_tokens WHERE purpose = 'setup'").execute(&mut *tx).await.map_err(db("clear setup tokens"))?;
            let org = Organization {
                id: medsec_core::new_id(),
                name: setup.org_name.clone(),
                kind: setup.org_kind,
                is_operator: true,
                enabled: true,
                created_at: now,
                updated_at: now,
            };
            sqlx::query("INSERT INTO organizations (id, name, kind, is_operator, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&org.id).bind(&org.name).bind(org.kind.as_str()).bind(true).bind(true).bind(now.0).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create organisation", "organisation"))?;
            let user_id = medsec_core::new_id();
            sqlx::query(
                "INSERT INTO users (id, org_id, username, display_name, role, status, password_hash, password_changed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'admin', 'active', $5, $6, $6, $6)",
            )
            .bind(&user_id).bind(&org.id).bind(&setup.username).bind(&setup.display_name).bind(&setup.password_hash).bind(now.0)
            .execute(&mut *tx).await.map_err(conflict_or("create administrator", "user"))?;
            sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
                .bind(&user_id).bind(&setup.password_hash).bind(now.0)
                .execute(&mut *tx).await.map_err(db("record password history"))?;
            let audit = AuditEntry { org_id: Some(org.id.clone()), actor_id: Some(user_id.clone()), actor: setup.username.clone(), ..audit };
            tx.append_audit(&audit.target("organization", org.id.clone()), pg).await?;
            tx.commit().await.map_err(db("commit setup"))?;
            let user = self.get_user(&org.id, &user_id).await?.ok_or(StoreError::NotFound { what: "user" })?;
            debug_assert_eq!(user.status, UserStatus::Active);
            Ok((org, user))
        })
    }

    /// Creates an organisation that is not the operator, with its first
    /// administrator if one is given, in one transaction: if the
    /// administrator's user id is taken, no organisation is created.
    pub async fn create_org(
        &self,
        name: &str,
        kind: OrgKind,
        now: Timestamp,
        audit: AuditEntry,
        admin: Option<(NewUser, AuditEntry)>,
    ) -> Result<(Organization, Option<User>)> {
        let pg = self.is_postgres();
        let org = Organization {
            id: medsec_core::new_id(),
            name: name.to_owned(),
            kind,
            is_operator: false,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let admin_id = medsec_core::new_id();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO organizations (id, name, kind, is_operator, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&org.id).bind(&org.name).bind(kind.as_str()).bind(false).bind(true).bind(now.0).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create organisation", "organisation"))?;
            tx.append_audit(&audit.target("organization", org.id.clone()).details(serde_json::json!({"name": name, "kind": kind.as_str()})), pg).await?;
            if let Some((new, audit)) = &admin {
                let new = NewUser { org_id: org.id.clone(), ..new.clone() };
                tx.insert_user(&admin_id, &new, now, audit.clone().org(org.id.clone()), pg).await?;
            }
            tx.commit().await.map_err(db("commit organisation"))?;
            Ok(())
        })?;
        let user = match admin {
            Some(_) => Some(
                self.get_user(&org.id, &admin_id)
                    .await?
                    .ok_or(StoreError::NotFound { what: "user" })?,
            ),
            None => None,
        };
        Ok((org, user))
    }

    /// One organisation by id.
    pub async fn get_org(&self, id: &str) -> Result<Option<Organization>> {
        on!(self, pool => {
            let row: Option<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1")))
                .bind(id).fetch_optional(pool).await.map_err(db("read organisation"))?;
            row.map(Organization::try_from).transpose().map_err(db("decode organisation"))
        })
    }

    /// Every organisation, by name.
    pub async fn list_orgs(&self) -> Result<Vec<Organization>> {
        on!(self, pool => {
            let rows: Vec<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY name")))
                .fetch_all(pool).await.map_err(db("list organisations"))?;
            rows.into_iter().map(Organization::try_from).collect::<Result<_, _>>().map_err(db("decode organisation"))
        })
    }

    /// Renames and/or enables or disables an organisation; the operator
    /// organisation can be renamed but never disabled. Disabling ends
    /// every session of its users.
    pub async fn update_org(
        &self,
        id: &str,
        name: Option<&str>,
        enabled: Option<bool>,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<Organization> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE organizations SET name = COALESCE($2, name), enabled = COALESCE($3, enabled), updated_at = $4 \
                 WHERE id = $1 AND NOT (is_operator AND NOT COALESCE($3, TRUE))",
            )
            .bind(id).bind(name).bind(enabled).bind(now.0)
            .execute(&mut *tx).await.map_err(conflict_or("update organisation", "organisation"))?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "organisation" });
            }
            if enabled == Some(false) {
                sqlx::query("DELETE FROM sessions WHERE org_id = $1").bind(id).execute(&mut *tx).await.map_err(db("end sessions"))?;
            }
            tx.append_audit(&audit.target("organization", id), pg).await?;
            tx.commit().await.map_err(db("commit organisation"))?;
            Ok(())
        })?;
        self.get_org(id).await?.ok_or(StoreError::NotFound {
            what: "organisation",
        })
    }
}
