//! Watch: threat-intelligence indicators kept in the database, so that the
//! ISAC's analysts import and curate them while the server runs.
//!
//! A source (`indicator_sources`) is an imported file, STIX 2.1 or CSV,
//! or the indicators analysts add by hand (`manual`). Importing a source
//! again replaces its indicators whole, in one transaction
//! ([`Store::import_indicator_source`]): readers see the old set or the
//! new one, never a mix. An analyst's revocation is kept across such a
//! replacement (matched by STIX id, kind and value).
//!
//! Architecture invariant: every change of sources or indicators bumps
//! `indicator_state.generation` in its transaction, so live detection,
//! which polls the generation ([`Store::indicator_generation`]), sees
//! every committed change and only committed ones, on every node.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, db, on};

/// The source kinds.
pub const SOURCE_KINDS: &[&str] = &["stix", "csv", "manual"];

/// Rows per statement when indicators are written in bulk.
const BATCH: usize = 5_000;

/// Skipped items kept per source (all are counted).
pub const SKIPPED_KEPT: usize = 1_000;

row! {
    /// A source of indicators.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IndicatorSourceRow {
        pub id: String,
        pub name: String,
        pub description: String,
        /// `stix`, `csv` or `manual`.
        pub kind: String,
        /// SHA-256 of the imported bytes (`None` for manual sources).
        pub sha256: Option<String>,
        /// Indicators the last import (and manual additions) stored.
        pub indicators: i64,
        /// Patterns or parts of them the reader could not use.
        pub skipped_count: i64,
        /// JSON array of the first [`SKIPPED_KEPT`] of them:
        /// `{"index", "id", "reason"}`.
        pub skipped: String,
        /// STIX objects of other types in the file.
        pub other_objects: i64,
        pub created_by: String,
        pub created_at: i64,
        pub imported_at: i64,
    }
}

const SOURCE_COLUMNS: &str = "id, name, description, kind, sha256, indicators, skipped_count, skipped, other_objects, created_by, created_at, imported_at";

row! {
    /// One stored indicator.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IndicatorRow {
        pub id: String,
        pub source_id: String,
        /// The STIX id (`indicator--…`), `csv--…` or `manual--…`.
        pub stix_id: String,
        pub kind: String,
        /// Normalised.
        pub value: String,
        pub name: Option<String>,
        pub description: Option<String>,
        /// JSON array of labels.
        pub labels: String,
        pub confidence: Option<i64>,
        /// Milliseconds since the epoch.
        pub valid_from: i64,
        pub valid_until: Option<i64>,
        /// 1 when revoked (by the source or an analyst).
        pub revoked: i64,
        /// The analyst who revoked it.
        pub revoked_by: Option<String>,
        pub revoked_at: Option<i64>,
        pub created_at: i64,
    }
}

const INDICATOR_COLUMNS: &str = "id, source_id, stix_id, kind, value, name, description, labels, confidence, valid_from, valid_until, revoked, revoked_by, revoked_at, created_at";

impl IndicatorRow {
    pub fn is_revoked(&self) -> bool {
        self.revoked != 0
    }
}

/// An indicator to store (its value already normalised and checked).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewIndicator {
    pub stix_id: String,
    pub kind: String,
    pub value: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub labels: Vec<String>,
    pub confidence: Option<i64>,
    pub valid_from: i64,
    pub valid_until: Option<i64>,
    pub revoked: bool,
}

/// A source being imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceImport {
    pub name: String,
    pub description: String,
    /// `stix` or `csv`.
    pub kind: String,
    pub sha256: Option<String>,
    /// JSON array of the first skipped items.
    pub skipped: String,
    pub skipped_count: i64,
    pub other_objects: i64,
    pub created_by: String,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedSource {
    pub source: IndicatorSourceRow,
    /// Indicators the source held before (0 for a new source).
    pub replaced: i64,
    /// Analysts' revocations carried over to the new indicators.
    pub kept_revocations: usize,
    pub generation: i64,
}

/// Live counts of a source's indicators.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCounts {
    pub total: i64,
    pub revoked: i64,
    /// Not revoked and past `valid_until`.
    pub expired: i64,
}

/// Which indicators a search returns.
#[derive(Clone, Debug, Default)]
pub struct IndicatorFilter {
    /// Part of the value, or a whole STIX id.
    pub text: Option<String>,
    pub source_id: Option<String>,
    pub kind: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The bulk insert, which differs between the backends only in how a
/// JSON array becomes rows.
const INSERT_SQLITE: &str = "INSERT INTO indicators (id, source_id, stix_id, kind, value, name, description, labels, confidence, valid_from, valid_until, revoked, revoked_by, revoked_at, created_at) \
    SELECT value ->> 0, $2, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, $3 FROM json_each($1)";
const INSERT_POSTGRES: &str = "INSERT INTO indicators (id, source_id, stix_id, kind, value, name, description, labels, confidence, valid_from, valid_until, revoked, revoked_by, revoked_at, created_at) \
    SELECT value ->> 0, $2, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, (value ->> 7)::bigint, (value ->> 8)::bigint, (value ->> 9)::bigint, (value ->> 10)::bigint, value ->> 11, (value ->> 12)::bigint, $3 FROM jsonb_array_elements($1::jsonb)";

/// An analyst's revocation, kept across a re-import.
type Revocation = (Option<String>, Option<i64>);
/// STIX id, kind, value, who revoked it and when.
type RevocationRow = (String, String, String, Option<String>, Option<i64>);

/// One batch of rows as the JSON array the insert reads.
fn batch_json(
    import: &str,
    first: usize,
    rows: &[NewIndicator],
    kept: &HashMap<(String, String, String), Revocation>,
    carried: &mut usize,
) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let key = (r.stix_id.clone(), r.kind.clone(), r.value.clone());
            let (revoked, by, at) = match kept.get(&key) {
                Some((by, at)) => {
                    *carried += 1;
                    (1, by.clone(), *at)
                }
                None => (i64::from(r.revoked), None, None),
            };
            serde_json::json!([
                format!("{import}-{:08x}", first + i),
                r.stix_id,
                r.kind,
                r.value,
                r.name,
                r.description,
                serde_json::to_string(&r.labels).unwrap_or_else(|_| "[]".into()),
                r.confidence,
                r.valid_from,
                r.valid_until,
                revoked,
                by,
                at,
            ])
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Bumps the generation inside the caller's transaction and returns it
/// (a macro: the transaction's type differs by backend).
macro_rules! bump {
    ($tx:expr) => {{
        let (g,): (i64,) = sqlx::query_as("UPDATE indicator_state SET generation = generation + 1 WHERE singleton = 1 RETURNING generation")
            .fetch_one(&mut *$tx)
            .await
            .map_err(db("bump the indicators' generation"))?;
        g
    }};
}

impl Store {
    /// Imports a source: creates it, or replaces every indicator of the
    /// source of that name (whatever its kind: the caller decides whether
    /// a manual source may be replaced), in one transaction with its audit
    /// record. `progress` is called with the indicators written so far.
    pub async fn import_indicator_source(
        &self,
        src: &SourceImport,
        indicators: &[NewIndicator],
        audit: AuditEntry,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<ImportedSource> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let import = medsec_core::new_id();
        let insert = if pg { INSERT_POSTGRES } else { INSERT_SQLITE };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let lock = if pg { " FOR UPDATE" } else { "" };
            let existing: Option<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT id, created_at FROM indicator_sources WHERE name = $1{lock}")))
                .bind(&src.name).fetch_optional(&mut *tx).await.map_err(db("read indicator source"))?;
            let mut kept: HashMap<(String, String, String), Revocation> = HashMap::new();
            let mut replaced = 0;
            let source_id = match &existing {
                Some((id, _)) => {
                    let rows: Vec<RevocationRow> = sqlx::query_as("SELECT stix_id, kind, value, revoked_by, revoked_at FROM indicators WHERE source_id = $1 AND revoked_at IS NOT NULL")
                        .bind(id).fetch_all(&mut *tx).await.map_err(db("read revocations"))?;
                    for (s, k, v, by, at) in rows {
                        kept.insert((s, k, v), (by, at));
                    }
                    replaced = sqlx::query("DELETE FROM indicators WHERE source_id = $1")
                        .bind(id).execute(&mut *tx).await.map_err(db("delete replaced indicators"))?
                        .rows_affected() as i64;
                    id.clone()
                }
                None => medsec_core::new_id(),
            };
            let created_at = existing.as_ref().map_or(now, |(_, c)| *c);
            sqlx::query("INSERT INTO indicator_sources (id, name, description, kind, sha256, indicators, skipped_count, skipped, other_objects, created_by, created_at, imported_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                ON CONFLICT (id) DO UPDATE SET description = excluded.description, kind = excluded.kind, sha256 = excluded.sha256, indicators = excluded.indicators, skipped_count = excluded.skipped_count, skipped = excluded.skipped, other_objects = excluded.other_objects, created_by = excluded.created_by, imported_at = excluded.imported_at")
                .bind(&source_id).bind(&src.name).bind(&src.description).bind(&src.kind).bind(&src.sha256)
                .bind(indicators.len() as i64).bind(src.skipped_count).bind(&src.skipped).bind(src.other_objects)
                .bind(&src.created_by).bind(created_at).bind(now)
                .execute(&mut *tx).await.map_err(|e| match &e {
                    sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { what: "an indicator source of that name" },
                    _ => db("write indicator source")(e),
                })?;
            let mut carried = 0;
            let mut written = 0;
            for (n, chunk) in indicators.chunks(BATCH).enumerate() {
                let json = batch_json(&import, n * BATCH, chunk, &kept, &mut carried);
                sqlx::query(insert).bind(json).bind(&source_id).bind(now)
                    .execute(&mut *tx).await.map_err(db("write indicators"))?;
                written += chunk.len();
                progress(written);
            }
            let generation = bump!(tx);
            tx.append_audit(&audit.target("indicator_source", source_id.clone()).details(serde_json::json!({
                "name": src.name, "kind": src.kind, "indicators": indicators.len(), "replaced": replaced,
                "skipped": src.skipped_count, "sha256": src.sha256,
            })), pg).await?;
            let source: IndicatorSourceRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM indicator_sources WHERE id = $1")))
                .bind(&source_id).fetch_one(&mut *tx).await.map_err(db("read indicator source"))?;
            tx.commit().await.map_err(db("commit indicator import"))?;
            Ok(ImportedSource { source, replaced, kept_revocations: carried, generation })
        })
    }

    /// Adds one indicator to the manual source `source` (created when
    /// missing). Refused with [`StoreError::Conflict`] when a source of
    /// that name is an imported one, whose indicators its next import
    /// would replace. Audited.
    pub async fn add_indicator(
        &self,
        source: &str,
        indicator: &NewIndicator,
        audit: AuditEntry,
    ) -> Result<IndicatorRow> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let id = medsec_core::new_id();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<(String, String)> = sqlx::query_as("SELECT id, kind FROM indicator_sources WHERE name = $1")
                .bind(source).fetch_optional(&mut *tx).await.map_err(db("read indicator source"))?;
            let source_id = match existing {
                Some((_, kind)) if kind != "manual" => {
                    return Err(StoreError::Conflict { what: "an imported indicator source of that name" });
                }
                Some((sid, _)) => {
                    sqlx::query("UPDATE indicator_sources SET indicators = indicators + 1 WHERE id = $1")
                        .bind(&sid).execute(&mut *tx).await.map_err(db("count indicators"))?;
                    sid
                }
                None => {
                    let sid = medsec_core::new_id();
                    sqlx::query("INSERT INTO indicator_sources (id, name, description, kind, sha256, indicators, skipped_count, skipped, other_objects, created_by, created_at, imported_at) VALUES ($1, $2, '', 'manual', NULL, 1, 0, '[]', 0, $3, $4, $4)")
                        .bind(&sid).bind(source).bind(&audit.actor).bind(now)
                        .execute(&mut *tx).await.map_err(|e| match &e {
                            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { what: "an indicator source of that name" },
                            _ => db("write indicator source")(e),
                        })?;
                    sid
                }
            };
            let labels = serde_json::to_string(&indicator.labels).unwrap_or_else(|_| "[]".into());
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO indicators ({INDICATOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, $13)")))
                .bind(&id).bind(&source_id).bind(&indicator.stix_id).bind(&indicator.kind).bind(&indicator.value)
                .bind(&indicator.name).bind(&indicator.description).bind(&labels).bind(indicator.confidence)
                .bind(indicator.valid_from).bind(indicator.valid_until).bind(i64::from(indicator.revoked)).bind(now)
                .execute(&mut *tx).await.map_err(db("write indicator"))?;
            bump!(tx);
            tx.append_audit(&audit.target("indicator", id.clone()).details(serde_json::json!({
                "source": source, "kind": indicator.kind, "value": indicator.value,
            })), pg).await?;
            let row: IndicatorRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE id = $1")))
                .bind(&id).fetch_one(&mut *tx).await.map_err(db("read indicator"))?;
            tx.commit().await.map_err(db("commit indicator"))?;
            Ok(row)
        })
    }

    /// Every source, by name.
    pub async fn indicator_sources(&self) -> Result<Vec<IndicatorSourceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM indicator_sources ORDER BY name")))
            .fetch_all(pool).await.map_err(db("list indicator sources")))
    }

    /// A source by id, or by name when `by_name`.
    pub async fn indicator_source(
        &self,
        key: &str,
        by_name: bool,
    ) -> Result<Option<IndicatorSourceRow>> {
        let column = if by_name { "name" } else { "id" };
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM indicator_sources WHERE {column} = $1")))
            .bind(key).fetch_optional(pool).await.map_err(db("read indicator source")))
    }

    /// Each source's indicators, revoked ones and expired ones at `now`.
    pub async fn indicator_counts(&self, now: i64) -> Result<HashMap<String, SourceCounts>> {
        on!(self, pool => {
            let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = sqlx::query_as("SELECT source_id, COUNT(*), CAST(SUM(revoked) AS BIGINT), CAST(SUM(CASE WHEN revoked = 0 AND valid_until IS NOT NULL AND valid_until <= $1 THEN 1 ELSE 0 END) AS BIGINT) FROM indicators GROUP BY source_id")
                .bind(now).fetch_all(pool).await.map_err(db("count indicators"))?;
            Ok(rows.into_iter().map(|(id, total, revoked, expired)| (id, SourceCounts {
                total, revoked: revoked.unwrap_or(0), expired: expired.unwrap_or(0),
            })).collect())
        })
    }

    /// Removes a source and its indicators. Audited.
    pub async fn remove_indicator_source(&self, id: &str, audit: AuditEntry) -> Result<i64> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let name: Option<(String,)> = sqlx::query_as("SELECT name FROM indicator_sources WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await.map_err(db("read indicator source"))?;
            let Some((name,)) = name else {
                return Err(StoreError::NotFound { what: "indicator source" });
            };
            let removed = sqlx::query("DELETE FROM indicators WHERE source_id = $1")
                .bind(id).execute(&mut *tx).await.map_err(db("delete indicators"))?.rows_affected() as i64;
            sqlx::query("DELETE FROM indicator_sources WHERE id = $1")
                .bind(id).execute(&mut *tx).await.map_err(db("delete indicator source"))?;
            bump!(tx);
            tx.append_audit(&audit.target("indicator_source", id.to_owned()).details(serde_json::json!({
                "name": name, "indicators": removed,
            })), pg).await?;
            tx.commit().await.map_err(db("commit indicator source removal"))?;
            Ok(removed)
        })
    }

    /// One indicator.
    pub async fn indicator(&self, id: &str) -> Result<Option<IndicatorRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE id = $1")))
            .bind(id).fetch_optional(pool).await.map_err(db("read indicator")))
    }

    /// Indicators matching the filter, by source and value; `limit + 1`
    /// rows tell the caller whether there are more.
    pub async fn search_indicators(&self, f: &IndicatorFilter) -> Result<Vec<IndicatorRow>> {
        let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let like = text.map(|t| {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{}%", escaped.to_lowercase())
        });
        let limit = f.limit.clamp(1, 1000) + 1;
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE ($1 IS NULL OR LOWER(value) LIKE $1 ESCAPE '\\' OR stix_id = $2) AND ($3 IS NULL OR source_id = $3) AND ($4 IS NULL OR kind = $4) ORDER BY source_id, id LIMIT $5 OFFSET $6")))
            .bind(&like).bind(text).bind(&f.source_id).bind(&f.kind).bind(limit).bind(f.offset.max(0))
            .fetch_all(pool).await.map_err(db("search indicators")))
    }

    /// Revokes an indicator (an analyst's revocation, which a re-import
    /// of its source keeps). Audited.
    pub async fn revoke_indicator(&self, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE indicators SET revoked = 1, revoked_by = $1, revoked_at = $2 WHERE id = $3 AND revoked = 0")
                .bind(&audit.actor).bind(audit.at.0).bind(id)
                .execute(&mut *tx).await.map_err(db("revoke indicator"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "indicator" });
            }
            bump!(tx);
            tx.append_audit(&audit.target("indicator", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit revocation"))?;
        });
        Ok(())
    }

    /// Ends an indicator's validity at `at` (when it is valid later).
    /// Audited.
    pub async fn expire_indicator(&self, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        let at = audit.at.0;
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE indicators SET valid_until = $1 WHERE id = $2 AND revoked = 0 AND (valid_until IS NULL OR valid_until > $1) AND valid_from < $1")
                .bind(at).bind(id)
                .execute(&mut *tx).await.map_err(db("expire indicator"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "valid indicator" });
            }
            bump!(tx);
            tx.append_audit(&audit.target("indicator", id.to_owned()).details(serde_json::json!({"valid_until": at})), pg).await?;
            tx.commit().await.map_err(db("commit expiry"))?;
        });
        Ok(())
    }

    /// The generation of the indicators: it moves with every committed
    /// change.
    pub async fn indicator_generation(&self) -> Result<i64> {
        on!(self, pool => {
            let (g,): (i64,) = sqlx::query_as("SELECT generation FROM indicator_state WHERE singleton = 1")
                .fetch_one(pool).await.map_err(db("read the indicators' generation"))?;
            Ok(g)
        })
    }

    /// Calls `each` with every indicator not revoked, by source, and
    /// returns the generation they are of (read in one snapshot: on
    /// PostgreSQL a repeatable-read transaction, on SQLite one read
    /// transaction).
    pub async fn each_indicator(
        &self,
        each: &mut (dyn FnMut(IndicatorRow) -> Result<()> + Send),
    ) -> Result<i64> {
        macro_rules! read_all {
            ($tx:expr) => {{
                let mut tx = $tx;
                let (g,): (i64,) = sqlx::query_as("SELECT generation FROM indicator_state WHERE singleton = 1")
                    .fetch_one(&mut *tx).await.map_err(db("read the indicators' generation"))?;
                {
                    let mut rows = sqlx::query_as::<_, IndicatorRow>(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE revoked = 0 ORDER BY source_id, id")))
                        .fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await.map_err(db("read indicators"))? {
                        each(row)?;
                    }
                }
                tx.rollback().await.map_err(db("end indicator read"))?;
                Ok(g)
            }};
        }
        match &self.db {
            crate::Db::Sqlite(pool) => {
                read_all!(pool.begin().await.map_err(db("begin indicator read"))?)
            }
            crate::Db::Postgres(pool) => read_all!(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(db("begin indicator read"))?
            ),
        }
    }
}
