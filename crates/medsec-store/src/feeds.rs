//! The offline vulnerability database's records: feed records as the
//! sources wrote them, with provenance, and the log of imports.
//!
//! Feeds are reference data shared by every organisation (an advisory is
//! public), so these tables carry no organisation; who imported what is
//! in `feed_imports` and the audit log.
//!
//! Imports are idempotent: a record whose text did not change is left
//! alone (`unchanged`), so importing the same feed twice changes nothing,
//! and a delta import reports exactly which records changed.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{AuditEntry, BeginWrite, Result, Store, db, on};

/// A record to store.
#[derive(Clone, Debug)]
pub struct NewFeedRecord {
    pub kind: String,
    pub id: String,
    pub modified: String,
    pub sha256: String,
    pub body: String,
    pub origin: String,
}

row! {
    /// A stored record.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct FeedRecordRow {
        pub kind: String,
        pub id: String,
        pub modified: String,
        pub body: String,
        pub origin: String,
        pub updated_at: i64,
    }
}

row! {
    /// One import of feed files.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct FeedImportRow {
        pub id: String,
        pub path: String,
        pub actor: String,
        pub started_at: i64,
        pub finished_at: i64,
        pub added: i64,
        pub changed: i64,
        pub unchanged: i64,
        pub failed: i64,
        pub summary: String,
    }
}

/// What writing one batch changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedWrite {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// (kind, id) of every added or changed record.
    pub touched: Vec<(String, String)>,
}

/// Per kind: how many records and when one last changed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FeedCount {
    pub kind: String,
    pub records: i64,
    pub last_change: i64,
}

impl Store {
    /// The digest of every stored record by (kind, id), to tell new and
    /// changed records from unchanged ones before writing.
    pub async fn feed_digests(&self) -> Result<HashMap<(String, String), String>> {
        on!(self, pool => {
            let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT kind, id, sha256 FROM feed_records")
                .fetch_all(pool).await.map_err(db("read feed digests"))?;
            Ok(rows.into_iter().map(|(k, i, s)| ((k, i), s)).collect())
        })
    }

    /// Writes one batch (one feed file) in one transaction: new records
    /// are added, changed ones replaced, unchanged ones left alone.
    /// `known` holds the digests from [`Store::feed_digests`] and is kept
    /// current.
    pub async fn write_feed_records(
        &self,
        import_id: &str,
        records: &[NewFeedRecord],
        known: &mut HashMap<(String, String), String>,
        now: Timestamp,
    ) -> Result<FeedWrite> {
        let mut out = FeedWrite::default();
        let mut todo = Vec::new();
        for r in records {
            match known.get(&(r.kind.clone(), r.id.clone())) {
                Some(sha) if *sha == r.sha256 => out.unchanged += 1,
                Some(_) => {
                    out.changed += 1;
                    todo.push(r);
                }
                None => {
                    out.added += 1;
                    todo.push(r);
                }
            }
        }
        if todo.is_empty() {
            return Ok(out);
        }
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for r in &todo {
                sqlx::query("INSERT INTO feed_records (kind, id, modified, sha256, body, origin, import_id, first_seen, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                    ON CONFLICT (kind, id) DO UPDATE SET modified = excluded.modified, sha256 = excluded.sha256, body = excluded.body, origin = excluded.origin, import_id = excluded.import_id, updated_at = excluded.updated_at")
                    .bind(&r.kind).bind(&r.id).bind(&r.modified).bind(&r.sha256).bind(&r.body).bind(&r.origin).bind(import_id).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("write feed record"))?;
            }
            tx.commit().await.map_err(db("commit feed records"))?;
        });
        for r in todo {
            known.insert((r.kind.clone(), r.id.clone()), r.sha256.clone());
            out.touched.push((r.kind.clone(), r.id.clone()));
        }
        Ok(out)
    }

    /// Records an import and its audit record.
    pub async fn finish_feed_import(&self, row: &FeedImportRow, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO feed_imports (id, path, actor, started_at, finished_at, added, changed, unchanged, failed, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&row.id).bind(&row.path).bind(&row.actor).bind(row.started_at).bind(row.finished_at)
                .bind(row.added).bind(row.changed).bind(row.unchanged).bind(row.failed).bind(&row.summary)
                .execute(&mut *tx).await.map_err(db("record feed import"))?;
            tx.append_audit(&audit.target("feed-import", row.id.clone()), pg).await?;
            tx.commit().await.map_err(db("commit feed import"))?;
        });
        Ok(())
    }

    /// Imports, newest first.
    pub async fn feed_imports(&self, limit: i64) -> Result<Vec<FeedImportRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, path, actor, started_at, finished_at, added, changed, unchanged, failed, summary FROM feed_imports ORDER BY started_at DESC, id DESC LIMIT $1")
            .bind(limit).fetch_all(pool).await.map_err(db("list feed imports")))
    }

    pub async fn feed_counts(&self) -> Result<Vec<FeedCount>> {
        on!(self, pool => {
            let rows: Vec<(String, i64, i64)> = sqlx::query_as("SELECT kind, COUNT(*), MAX(updated_at) FROM feed_records GROUP BY kind ORDER BY kind")
                .fetch_all(pool).await.map_err(db("count feed records"))?;
            Ok(rows.into_iter().map(|(kind, records, last_change)| FeedCount { kind, records, last_change }).collect())
        })
    }

    /// Streams every stored record (or those of the given keys) to `each`,
    /// for building the index without holding all rows twice.
    pub async fn each_feed_record(
        &self,
        each: &mut (dyn FnMut(FeedRecordRow) -> Result<()> + Send),
    ) -> Result<()> {
        on!(self, pool => {
            let mut rows = sqlx::query_as::<_, FeedRecordRow>("SELECT kind, id, modified, body, origin, updated_at FROM feed_records ORDER BY kind, id")
                .fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(db("read feed records"))? {
                each(row)?;
            }
            Ok(())
        })
    }

    /// One stored record.
    pub async fn feed_record(&self, kind: &str, id: &str) -> Result<Option<FeedRecordRow>> {
        on!(self, pool => sqlx::query_as("SELECT kind, id, modified, body, origin, updated_at FROM feed_records WHERE kind = $1 AND id = $2")
            .bind(kind).bind(id).fetch_optional(pool).await.map_err(db("read feed record")))
    }
}
