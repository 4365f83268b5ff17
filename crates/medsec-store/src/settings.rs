//! Instance settings as JSON values under a key.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::{AuditEntry, BeginWrite, Result, Store, db, on};

impl Store {
    /// The stored JSON text of a setting, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        on!(self, pool => {
            let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                .bind(key).fetch_optional(pool).await.map_err(db("read setting"))?;
            Ok(row.map(|(v,)| v))
        })
    }

    /// Stores a setting, appending `audit` in the same transaction.
    pub async fn put_setting(
        &self,
        key: &str,
        value: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
                .bind(key).bind(value).bind(now.0).execute(&mut *tx).await.map_err(db("store setting"))?;
            tx.append_audit(&audit.target("setting", key), pg).await?;
            tx.commit().await.map_err(db("commit setting"))?;
            Ok(())
        })
    }
}
