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
//!
//! Lookup keys: `feed_keys` holds, per record, the keys under which
//! medsec-vulndb's index files its advisories (`pkg:…`, `cpe:…`,
//! `name:…`) and the vulnerability ids they state (`id:CVE-…`), so that a
//! scan reads only the records its components can match
//! ([`Store::feed_records_for_keys`]) instead of all of them. The store
//! does not parse records: the caller computes the keys
//! (`medsec_vulndb::keys`). They are derived data, left out of backups,
//! and `feed_keys_state` says whether they are complete:
//! [`Store::write_feed_records_keyed`] writes a record's keys in the
//! record's transaction, [`Store::finish_feed_import`] keeps the state
//! current, and [`Store::rebuild_feed_keys`] computes them for every
//! record when they are not complete (a database that had records before
//! migration 0007, a restored backup, a new key version, records written
//! without keys by [`Store::write_feed_records`]).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, db, on};

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
    /// current. The records get no lookup keys, so the keys are marked
    /// incomplete (the next [`Store::rebuild_feed_keys`] computes them);
    /// imports use [`Store::write_feed_records_keyed`].
    pub async fn write_feed_records(
        &self,
        import_id: &str,
        records: &[NewFeedRecord],
        known: &mut HashMap<(String, String), String>,
        now: Timestamp,
    ) -> Result<FeedWrite> {
        self.write_records(import_id, records, None, known, now)
            .await
    }

    /// As [`Store::write_feed_records`], with each record's lookup keys
    /// (`keys[i]` for `records[i]`), written in the same transaction in
    /// place of the record's previous keys.
    pub async fn write_feed_records_keyed(
        &self,
        import_id: &str,
        records: &[NewFeedRecord],
        keys: &[Vec<String>],
        known: &mut HashMap<(String, String), String>,
        now: Timestamp,
    ) -> Result<FeedWrite> {
        if keys.len() != records.len() {
            return Err(StoreError::Invalid(format!(
                "{} records but {} lists of keys",
                records.len(),
                keys.len()
            )));
        }
        self.write_records(import_id, records, Some(keys), known, now)
            .await
    }

    async fn write_records(
        &self,
        import_id: &str,
        records: &[NewFeedRecord],
        keys: Option<&[Vec<String>]>,
        known: &mut HashMap<(String, String), String>,
        now: Timestamp,
    ) -> Result<FeedWrite> {
        let mut out = FeedWrite::default();
        // (record, its keys, whether it replaces a stored record).
        let mut todo = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let record_keys = keys.and_then(|k| k.get(i));
            match known.get(&(r.kind.clone(), r.id.clone())) {
                Some(sha) if *sha == r.sha256 => out.unchanged += 1,
                Some(_) => {
                    out.changed += 1;
                    todo.push((r, record_keys, true));
                }
                None => {
                    out.added += 1;
                    todo.push((r, record_keys, false));
                }
            }
        }
        if todo.is_empty() {
            return Ok(out);
        }
        let sql = self.key_sql();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (r, _, _) in &todo {
                sqlx::query("INSERT INTO feed_records (kind, id, modified, sha256, body, origin, import_id, first_seen, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                    ON CONFLICT (kind, id) DO UPDATE SET modified = excluded.modified, sha256 = excluded.sha256, body = excluded.body, origin = excluded.origin, import_id = excluded.import_id, updated_at = excluded.updated_at")
                    .bind(&r.kind).bind(&r.id).bind(&r.modified).bind(&r.sha256).bind(&r.body).bind(&r.origin).bind(import_id).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("write feed record"))?;
            }
            if keys.is_some() {
                // A changed record's old keys go; a new record has none.
                let replaced: Vec<(&str, &str)> = todo
                    .iter()
                    .filter(|(_, _, replaces)| *replaces)
                    .map(|(r, _, _)| (r.kind.as_str(), r.id.as_str()))
                    .collect();
                for chunk in replaced.chunks(KEY_BATCH) {
                    sqlx::query(sql.delete_keys)
                        .bind(json(chunk))
                        .execute(&mut *tx).await.map_err(db("delete feed keys"))?;
                }
                let rows: Vec<(&str, &str, &str)> = todo
                    .iter()
                    .flat_map(|(r, k, _)| {
                        k.iter()
                            .flat_map(|list| list.iter())
                            .map(|key| (key.as_str(), r.kind.as_str(), r.id.as_str()))
                    })
                    .collect();
                for chunk in rows.chunks(KEY_BATCH) {
                    sqlx::query(sql.insert_keys)
                        .bind(json(chunk))
                        .execute(&mut *tx).await.map_err(db("write feed keys"))?;
                }
            } else {
                sqlx::query("DELETE FROM feed_keys_state")
                    .execute(&mut *tx).await.map_err(db("mark feed keys incomplete"))?;
            }
            tx.commit().await.map_err(db("commit feed records"))?;
        });
        for (r, _, _) in todo {
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
            // The keys stay complete if they were before this import (its
            // records were written with their keys); a state that counted
            // fewer imports stays out of date.
            sqlx::query("UPDATE feed_keys_state SET imports = imports + 1 WHERE singleton = 1 AND imports = (SELECT COUNT(*) FROM feed_imports) - 1")
                .execute(&mut *tx).await.map_err(db("update feed keys state"))?;
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

    /// Streams the stored records of one kind to `each`, in id order
    /// (`attack`: ATT&CK's techniques and tactics, for the detection side).
    pub async fn each_feed_record_of(
        &self,
        kind: &str,
        each: &mut (dyn FnMut(FeedRecordRow) -> Result<()> + Send),
    ) -> Result<()> {
        on!(self, pool => {
            let mut rows = sqlx::query_as::<_, FeedRecordRow>("SELECT kind, id, modified, body, origin, updated_at FROM feed_records WHERE kind = $1 ORDER BY id")
                .bind(kind)
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

/// Whether the lookup keys can be used, and the records they select.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyedRecords {
    /// No record is stored.
    Empty,
    /// The keys are not complete for the key version asked for: compute
    /// them ([`Store::rebuild_feed_keys`]) or read every record.
    Stale,
    /// The records the keys select, in [`Store::each_feed_record`]'s
    /// order.
    Records(Vec<FeedRecordRow>),
}

/// Rows per statement when keys are written or deleted in bulk.
const KEY_BATCH: usize = 10_000;

/// A list as a JSON array, the one parameter through which both backends
/// take a list (`json_each`, `jsonb_array_elements`).
fn json<T: serde::Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

/// The statements on lists of keys and records, which differ between the
/// backends only in the function that turns a JSON array into rows.
struct KeySql {
    /// $1: keys. The records filed under any of them, every record that
    /// shares a vulnerability id (`id:` key) with one of those,
    /// transitively, and the KEV and EPSS records of their CVEs, in
    /// `each_feed_record`'s order: one statement, so one snapshot.
    records: &'static str,
    /// $1: [key, kind, id] triples.
    insert_keys: &'static str,
    /// $1: [kind, id] pairs. Their keys.
    delete_keys: &'static str,
}

/// [`KeySql::records`] with `$keys`, the table of the keys (its column
/// `value`): `wanted` is the closure over shared ids (UNION drops the rows
/// already found, so the recursion ends). It starts from a join of the
/// keys, which SQLite runs faster there than an `IN` list of them; every
/// use of `wanted` is an `IN` list, which SQLite runs about three times
/// faster than the same as a join.
macro_rules! records_for_keys {
    ($keys:literal) => {
        concat!(
            "WITH RECURSIVE wanted (kind, id) AS (\
                SELECT k.kind, k.id FROM ", $keys, " AS j JOIN feed_keys k ON k.key = j.value \
                UNION \
                SELECT b.kind, b.id FROM wanted w \
                JOIN feed_keys a ON a.kind = w.kind AND a.id = w.id \
                JOIN feed_keys b ON b.key = a.key \
                WHERE substr(a.key, 1, 3) = 'id:') \
            SELECT kind, id, modified, body, origin, updated_at FROM feed_records \
            WHERE (kind, id) IN (SELECT kind, id FROM wanted) \
            UNION ALL \
            SELECT kind, id, modified, body, origin, updated_at FROM feed_records \
            WHERE kind IN ('kev', 'epss') AND id IN (SELECT substr(key, 4) FROM feed_keys \
                WHERE (kind, id) IN (SELECT kind, id FROM wanted) AND substr(key, 1, 7) = 'id:CVE-') \
            ORDER BY kind, id"
        )
    };
}

const SQLITE_KEYS: KeySql = KeySql {
    records: records_for_keys!("json_each($1)"),
    // `WHERE true` tells SQLite's parser that ON CONFLICT is an upsert.
    insert_keys: "INSERT INTO feed_keys (key, kind, id) \
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true \
        ON CONFLICT DO NOTHING",
    delete_keys: "DELETE FROM feed_keys WHERE (kind, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each($1))",
};

const POSTGRES_KEYS: KeySql = KeySql {
    records: records_for_keys!("jsonb_array_elements_text($1::jsonb)"),
    insert_keys: "INSERT INTO feed_keys (key, kind, id) \
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM jsonb_array_elements($1::jsonb) \
        ON CONFLICT DO NOTHING",
    delete_keys: "DELETE FROM feed_keys WHERE (kind, id) IN (SELECT value ->> 0, value ->> 1 FROM jsonb_array_elements($1::jsonb))",
};

/// Whether any record is stored, how many imports there were, and the
/// keys' state (version, imports counted).
const KEY_STATUS: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM feed_records LIMIT 1) AS any_record), \
    (SELECT COUNT(*) FROM feed_imports), \
    (SELECT version FROM feed_keys_state WHERE singleton = 1), \
    (SELECT imports FROM feed_keys_state WHERE singleton = 1)";

/// What [`KEY_STATUS`] says for a key version.
fn key_status(
    (records, imports, version, counted): (i64, i64, Option<i64>, Option<i64>),
    wanted: i64,
) -> Option<KeyedRecords> {
    if records == 0 {
        Some(KeyedRecords::Empty)
    } else if version == Some(wanted) && counted == Some(imports) {
        None
    } else {
        Some(KeyedRecords::Stale)
    }
}

impl Store {
    fn key_sql(&self) -> &'static KeySql {
        if self.is_postgres() {
            &POSTGRES_KEYS
        } else {
            &SQLITE_KEYS
        }
    }

    /// Marks the lookup keys complete for key version `version` while no
    /// record is stored, so that a first import, which writes every
    /// record with its keys, leaves them complete without computing them
    /// again. Does nothing once there are records.
    pub async fn start_feed_keys(&self, version: i64) -> Result<()> {
        on!(self, pool => {
            sqlx::query("INSERT INTO feed_keys_state (singleton, version, imports) \
                SELECT 1, $1, (SELECT COUNT(*) FROM feed_imports) WHERE NOT EXISTS (SELECT 1 FROM feed_records) \
                ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, imports = excluded.imports")
                .bind(version)
                .execute(pool).await.map_err(db("write feed keys state"))?;
            Ok(())
        })
    }

    /// Whether every record has its lookup keys of key version `version`
    /// (or there is no record).
    pub async fn feed_keys_current(&self, version: i64) -> Result<bool> {
        on!(self, pool => {
            let status: (i64, i64, Option<i64>, Option<i64>) = sqlx::query_as(KEY_STATUS)
                .fetch_one(pool).await.map_err(db("read feed keys state"))?;
            Ok(!matches!(key_status(status, version), Some(KeyedRecords::Stale)))
        })
    }

    /// The records an index needs to match components with the given
    /// lookup keys (of key version `version`) exactly as an index of every
    /// record would: the records filed under any of the keys, every record
    /// that shares a vulnerability id with one of those (transitively,
    /// so that each vulnerability's advisories come whole), and the KEV
    /// and EPSS records of their CVEs. Read by one statement, in the order
    /// of [`Store::each_feed_record`], so that an index built from them
    /// adds advisories in the same relative order.
    pub async fn feed_records_for_keys(
        &self,
        version: i64,
        keys: &[String],
    ) -> Result<KeyedRecords> {
        let sql = self.key_sql();
        on!(self, pool => {
            // The state, then the records, without a transaction: keys
            // are written in the transactions that write their records,
            // so every committed state has the keys of its records; a
            // write that commits between the two statements is missed only
            // as it would be by a scan a moment earlier.
            let status: (i64, i64, Option<i64>, Option<i64>) = sqlx::query_as(KEY_STATUS)
                .fetch_one(pool).await.map_err(db("read feed keys state"))?;
            if let Some(answer) = key_status(status, version) {
                return Ok(answer);
            }
            if keys.is_empty() {
                return Ok(KeyedRecords::Records(Vec::new()));
            }
            let rows: Vec<FeedRecordRow> = sqlx::query_as(sql.records)
                .bind(json(keys))
                .fetch_all(pool).await.map_err(db("read feed records by key"))?;
            Ok(KeyedRecords::Records(rows))
        })
    }

    /// Computes the lookup keys of every record again, in one transaction
    /// that keeps feed writers out: `keys_of` gets each record (in
    /// [`Store::each_feed_record`]'s order, so a caller can build its
    /// index on the way) and returns its keys of key version `version`.
    /// Afterwards the keys are complete for that version. Returns the
    /// number of keys written.
    pub async fn rebuild_feed_keys(
        &self,
        version: i64,
        keys_of: &mut (dyn FnMut(FeedRecordRow) -> Result<Vec<String>> + Send),
    ) -> Result<u64> {
        let pg = self.is_postgres();
        let sql = self.key_sql();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if pg {
                // Writers of records wait (and are waited for), so that no
                // record is written between the read and the commit; a
                // second rebuild waits too.
                sqlx::query("LOCK TABLE feed_records IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx).await.map_err(db("lock feed records"))?;
            }
            sqlx::query("DELETE FROM feed_keys")
                .execute(&mut *tx).await.map_err(db("delete feed keys"))?;
            let mut rows: Vec<(String, String, String)> = Vec::new();
            {
                let mut records = sqlx::query_as::<_, FeedRecordRow>("SELECT kind, id, modified, body, origin, updated_at FROM feed_records ORDER BY kind, id")
                    .fetch(&mut *tx);
                while let Some(record) = records.try_next().await.map_err(db("read feed records"))? {
                    let (kind, id) = (record.kind.clone(), record.id.clone());
                    for key in keys_of(record)? {
                        rows.push((key, kind.clone(), id.clone()));
                    }
                }
            }
            for chunk in rows.chunks(KEY_BATCH) {
                sqlx::query(sql.insert_keys)
                    .bind(json(chunk))
                    .execute(&mut *tx).await.map_err(db("write feed keys"))?;
            }
            sqlx::query("INSERT INTO feed_keys_state (singleton, version, imports) VALUES (1, $1, (SELECT COUNT(*) FROM feed_imports)) \
                ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, imports = excluded.imports")
                .bind(version)
                .execute(&mut *tx).await.map_err(db("write feed keys state"))?;
            tx.commit().await.map_err(db("commit feed keys"))?;
            Ok(rows.len() as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    //! The lookup keys on both backends: kept with each record, the
    //! records of a vulnerability found whole, the state that says when
    //! the keys can be trusted.
    #![allow(clippy::unwrap_used)]

    use medsec_core::audit::{Action, Outcome};

    use super::*;
    use crate::testing::TestDb;

    const V: i64 = 1;

    fn rec(kind: &str, id: &str, body: &str) -> NewFeedRecord {
        NewFeedRecord {
            kind: kind.into(),
            id: id.into(),
            modified: "2024-01-01".into(),
            sha256: format!("sha-of-{body}"),
            body: body.into(),
            origin: format!("fixture {id}"),
        }
    }

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| (*k).to_owned()).collect()
    }

    async fn finish(store: &Store, id: &str) {
        let row = FeedImportRow {
            id: id.into(),
            path: "/data".into(),
            actor: "test".into(),
            started_at: 1,
            finished_at: 2,
            added: 0,
            changed: 0,
            unchanged: 0,
            failed: 0,
            summary: "{}".into(),
        };
        let audit = AuditEntry {
            at: Timestamp(1),
            org_id: None,
            actor_id: None,
            actor: "test".into(),
            source: "test".into(),
            action: Action::FeedImported,
            outcome: Outcome::Success,
            target_kind: "",
            target_id: None,
            details: serde_json::json!({}),
        };
        store.finish_feed_import(&row, audit).await.unwrap();
    }

    /// (kind, id) of what `feed_records_for_keys` returns.
    async fn found(store: &Store, wanted: &[&str]) -> Vec<(String, String)> {
        match store.feed_records_for_keys(V, &keys(wanted)).await.unwrap() {
            KeyedRecords::Records(rows) => rows.into_iter().map(|r| (r.kind, r.id)).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, i)| ((*k).to_owned(), (*i).to_owned()))
            .collect()
    }

    async fn keys_find_whole_vulnerabilities(db: TestDb) {
        let store = &db.store;
        assert_eq!(
            store.feed_records_for_keys(V, &[]).await.unwrap(),
            KeyedRecords::Empty
        );
        store.start_feed_keys(V).await.unwrap();
        let mut known = store.feed_digests().await.unwrap();
        let records = [
            rec("osv", "GHSA-1", "a"),
            rec("nvd", "CVE-2024-1", "n"),
            rec("osv", "PYSEC-1", "p"),
            rec("osv", "GHSA-2", "b"),
            rec("kev", "CVE-2024-1", "k"),
            rec("epss", "CVE-2024-1", "e"),
            rec("epss", "CVE-2024-2", "e2"),
        ];
        let record_keys = [
            keys(&["pkg:npm:lodash", "id:GHSA-1", "id:CVE-2024-1"]),
            keys(&["id:CVE-2024-1"]),
            // Joins through the GHSA id only: an alias of an alias.
            keys(&["pkg:PyPI:x", "id:PYSEC-1", "id:GHSA-1"]),
            keys(&["pkg:npm:other", "id:GHSA-2", "id:CVE-2024-2"]),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ];
        store
            .write_feed_records_keyed("imp-1", &records, &record_keys, &mut known, Timestamp(1))
            .await
            .unwrap();
        finish(store, "imp-1").await;
        assert!(store.feed_keys_current(V).await.unwrap());
        assert!(!store.feed_keys_current(V + 1).await.unwrap());
        // In each_feed_record's order: kind, then id.
        let lodash = pairs(&[
            ("epss", "CVE-2024-1"),
            ("kev", "CVE-2024-1"),
            ("nvd", "CVE-2024-1"),
            ("osv", "GHSA-1"),
            ("osv", "PYSEC-1"),
        ]);
        assert_eq!(found(store, &["pkg:npm:lodash"]).await, lodash);
        assert_eq!(found(store, &["pkg:PyPI:x", "cpe:a:b"]).await, lodash);
        assert!(found(store, &["pkg:npm:left-pad"]).await.is_empty());
        assert!(found(store, &[]).await.is_empty());
        assert_eq!(
            found(store, &["pkg:npm:other"]).await,
            pairs(&[("epss", "CVE-2024-2"), ("osv", "GHSA-2")])
        );

        // A changed record's keys replace its old ones.
        let changed = [rec("osv", "GHSA-2", "b2")];
        store
            .write_feed_records_keyed(
                "imp-2",
                &changed,
                &[keys(&["pkg:npm:renamed", "id:GHSA-2"])],
                &mut known,
                Timestamp(2),
            )
            .await
            .unwrap();
        finish(store, "imp-2").await;
        assert!(found(store, &["pkg:npm:other"]).await.is_empty());
        assert_eq!(
            found(store, &["pkg:npm:renamed"]).await,
            pairs(&[("osv", "GHSA-2")])
        );
        assert!(store.feed_keys_current(V).await.unwrap());

        // An import that this build did not count (another node's import
        // finished in between, a restore): the keys are out of date.
        finish(store, "imp-3").await;
        assert!(store.feed_keys_current(V).await.unwrap());
        sqlx_raw(store, "UPDATE feed_keys_state SET imports = imports - 1").await;
        assert!(!store.feed_keys_current(V).await.unwrap());
        assert_eq!(
            store.feed_records_for_keys(V, &[]).await.unwrap(),
            KeyedRecords::Stale
        );
        // The state stays out of date through later imports.
        finish(store, "imp-4").await;
        assert!(!store.feed_keys_current(V).await.unwrap());
    }

    async fn keys_written_without_are_rebuilt(db: TestDb) {
        let store = &db.store;
        store.start_feed_keys(V).await.unwrap();
        let mut known = store.feed_digests().await.unwrap();
        store
            .write_feed_records_keyed(
                "imp-1",
                &[rec("osv", "GHSA-1", "a")],
                &[keys(&["pkg:npm:lodash", "id:GHSA-1"])],
                &mut known,
                Timestamp(1),
            )
            .await
            .unwrap();
        finish(store, "imp-1").await;
        assert!(store.feed_keys_current(V).await.unwrap());
        // Records without keys, as before migration 0007.
        store
            .write_feed_records(
                "imp-2",
                &[rec("osv", "GHSA-2", "b"), rec("kev", "CVE-1", "k")],
                &mut known,
                Timestamp(2),
            )
            .await
            .unwrap();
        finish(store, "imp-2").await;
        assert!(!store.feed_keys_current(V).await.unwrap());
        let mut seen = Vec::new();
        let written = store
            .rebuild_feed_keys(V, &mut |row| {
                seen.push((row.kind.clone(), row.id.clone()));
                Ok(match row.id.as_str() {
                    "GHSA-1" => keys(&["pkg:npm:lodash", "id:GHSA-1"]),
                    "GHSA-2" => keys(&["pkg:npm:left-pad", "id:GHSA-2", "id:CVE-1"]),
                    _ => Vec::new(),
                })
            })
            .await
            .unwrap();
        assert_eq!(written, 5);
        assert_eq!(
            seen,
            pairs(&[("kev", "CVE-1"), ("osv", "GHSA-1"), ("osv", "GHSA-2")])
        );
        assert!(store.feed_keys_current(V).await.unwrap());
        assert_eq!(
            found(store, &["pkg:npm:left-pad"]).await,
            pairs(&[("kev", "CVE-1"), ("osv", "GHSA-2")])
        );
        // A new key version needs them again.
        assert!(!store.feed_keys_current(V + 1).await.unwrap());
        // start_feed_keys does nothing once records exist.
        store.start_feed_keys(V + 1).await.unwrap();
        assert!(!store.feed_keys_current(V + 1).await.unwrap());
    }

    async fn sqlx_raw(store: &Store, sql: &'static str) {
        on!(store, pool => {
            sqlx::query(sql).execute(pool).await.unwrap();
        });
    }

    crate::both_backends!(
        keys_find_whole_vulnerabilities,
        keys_written_without_are_rebuilt
    );
}
