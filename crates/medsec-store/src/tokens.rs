//! API tokens: scoped, expiring, stored as hashes.

use medsec_core::Timestamp;
use medsec_core::org::Scope;

use crate::audit::AppendAudit;
use crate::{
    ApiToken, AuditEntry, BeginWrite, Credentials, Principal, Result, Store, StoreError, TokenRow,
    db, on,
};

const TOKEN_COLUMNS: &str =
    "id, user_id, org_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at";

fn decode(rows: Vec<TokenRow>) -> Result<Vec<ApiToken>> {
    rows.into_iter()
        .map(ApiToken::try_from)
        .collect::<Result<_, _>>()
        .map_err(db("decode token"))
}

impl Store {
    /// Stores a token's metadata and hash.
    pub async fn create_token(
        &self,
        t: &ApiToken,
        token_hash: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, org_id, name, token_hash, prefix, scopes, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&t.id).bind(&t.user_id).bind(&t.org_id).bind(&t.name).bind(token_hash).bind(&t.prefix)
            .bind(scopes.join(",")).bind(t.created_at.0).bind(t.expires_at.0)
            .execute(&mut *tx).await.map_err(db("create token"))?;
            let details = serde_json::json!({"name": t.name, "scopes": scopes, "expires_at": t.expires_at.rfc3339()});
            tx.append_audit(&audit.target("api_token", t.id.clone()).details(details), pg).await?;
            tx.commit().await.map_err(db("commit token"))?;
            Ok(())
        })
    }

    /// A user's tokens, newest first, revoked ones included.
    pub async fn list_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        let rows = on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")))
            .bind(user_id).fetch_all(pool).await.map_err(db("list tokens"))?);
        decode(rows)
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_token(
        &self,
        user_id: &str,
        id: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE user_id = $1 AND id = $2 AND revoked_at IS NULL")
                .bind(user_id).bind(id).bind(now.0).execute(&mut *tx).await.map_err(db("revoke token"))?.rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound { what: "token" });
            }
            tx.append_audit(&audit.target("api_token", id), pg).await?;
            tx.commit().await.map_err(db("commit token revocation"))?;
            Ok(())
        })
    }

    /// A live (unrevoked, unexpired) token with its owner, by hash.
    pub async fn token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(ApiToken, Principal, Credentials)>> {
        let sql = format!(
            "SELECT {}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = u.org_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
            TokenRow::select_prefixed("t", "t_"),
            crate::users::principal_columns()
        );
        on!(self, pool => {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).bind(now.0).fetch_optional(pool).await.map_err(db("read token"))? else {
                return Ok(None);
            };
            let token = ApiToken::try_from(TokenRow::from_prefixed(&row, "t_").map_err(db("decode token"))?).map_err(db("decode token"))?;
            let (principal, creds) = crate::users::decode_principal(&row)?;
            Ok(Some((token, principal, creds)))
        })
    }

    /// Records that a token was used, at most once a minute per token.
    pub async fn touch_token(&self, id: &str, now: Timestamp) -> Result<()> {
        on!(self, pool => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(id).bind(now.0).bind(now.0 - 60_000).execute(pool).await.map(|_| ()).map_err(db("touch token")))
    }
}

/// Checks that every requested scope is known; used by the API and UI.
pub fn parse_scopes(values: &[String]) -> Option<Vec<Scope>> {
    let mut scopes: Vec<Scope> = values
        .iter()
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    scopes.sort();
    scopes.dedup();
    Some(scopes)
}
