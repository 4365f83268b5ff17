//! Appending to and reading the hash-chained audit log.

use medsec_core::Timestamp;
use medsec_core::audit::{Action, Outcome, Record, Verification, Verifier};

use crate::{AuditRow, BeginWrite, Db, Result, Store, db, for_both_backends, on};

/// An event to record; the store adds its sequence number and hashes.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor: String,
    pub source: String,
    pub action: Action,
    pub outcome: Outcome,
    pub target_kind: &'static str,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> AuditEntry {
        self.target_kind = kind;
        self.target_id = Some(id.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> AuditEntry {
        self.details = details;
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> AuditEntry {
        self.outcome = outcome;
        self
    }

    pub fn action(mut self, action: Action) -> AuditEntry {
        self.action = action;
        self
    }

    pub fn org(mut self, org_id: impl Into<String>) -> AuditEntry {
        self.org_id = Some(org_id.into());
        self
    }
}

/// Appending an audit record inside a transaction that also makes the
/// change it records.
pub(crate) trait AppendAudit {
    async fn append_audit(&mut self, entry: &AuditEntry, postgres: bool) -> Result<Record>;
}

for_both_backends! {
impl AppendAudit for Tx {
    async fn append_audit(&mut self, e: &AuditEntry, postgres: bool) -> Result<Record> {
        // SQLite write transactions already hold the database's write lock;
        // PostgreSQL needs the head row locked so appends are serialised.
        let head_sql = if postgres {
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        } else {
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        };
        let (seq, prev_hash): (i64, String) = sqlx::query_as(head_sql)
            .fetch_one(&mut **self)
            .await
            .map_err(db("read audit head"))?;
        let mut record = Record {
            seq: seq + 1,
            at: e.at,
            org_id: e.org_id.clone(),
            actor_id: e.actor_id.clone(),
            actor: e.actor.clone(),
            source: e.source.clone(),
            action: e.action.as_str().to_owned(),
            outcome: e.outcome.as_str().to_owned(),
            target_kind: e.target_kind.to_owned(),
            target_id: e.target_id.clone(),
            details: e.details.to_string(),
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, at, org_id, actor_id, actor, source, action, outcome, \
             target_kind, target_id, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(record.seq)
        .bind(record.at.0)
        .bind(&record.org_id)
        .bind(&record.actor_id)
        .bind(&record.actor)
        .bind(&record.source)
        .bind(&record.action)
        .bind(&record.outcome)
        .bind(&record.target_kind)
        .bind(&record.target_id)
        .bind(&record.details)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut **self)
        .await
        .map_err(db("append audit record"))?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(record.seq)
            .bind(&record.hash)
            .execute(&mut **self)
            .await
            .map_err(db("advance audit head"))?;
        Ok(record)
    }
}
}

/// Filters for listing audit records. `org_id` is mandatory so that an
/// organisation only ever sees its own records.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Only actions starting with this prefix, e.g. `auth.`.
    pub action_prefix: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Only records with a sequence number below this (for paging back).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

const AUDIT_COLUMNS: &str = "seq, at, org_id, actor_id, actor, source, action, outcome, target_kind, target_id, details, prev_hash, hash";

impl Store {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Appends one audit record in its own transaction.
    pub async fn audit(&self, entry: AuditEntry) -> Result<Record> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let record = tx.append_audit(&entry, pg).await?;
            tx.commit().await.map_err(db("commit audit record"))?;
            Ok(record)
        })
    }

    /// Lists one organisation's audit records, newest first; with
    /// `include_instance`, also the records of no organisation (setup,
    /// logins of unknown users), which only operator administrators see.
    pub async fn list_audit(
        &self,
        org_id: &str,
        include_instance: bool,
        f: &AuditFilter,
    ) -> Result<Vec<Record>> {
        let mut sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE (org_id = $1 OR ($2 AND org_id IS NULL))"
        );
        let mut n = 2;
        let mut next = |clause: &str, sql: &mut String| {
            n += 1;
            sql.push_str(&clause.replace('?', &format!("${n}")));
        };
        if f.actor.is_some() {
            next(" AND actor = ?", &mut sql);
        }
        if f.action.is_some() {
            next(" AND action = ?", &mut sql);
        }
        if f.action_prefix.is_some() {
            next(" AND substr(action, 1, length(?)) = ", &mut sql);
            // The prefix is bound twice: once in length(), once to compare.
            next("?", &mut sql);
        }
        if f.outcome.is_some() {
            next(" AND outcome = ?", &mut sql);
        }
        if f.since.is_some() {
            next(" AND at >= ?", &mut sql);
        }
        if f.until.is_some() {
            next(" AND at < ?", &mut sql);
        }
        if f.before_seq.is_some() {
            next(" AND seq < ?", &mut sql);
        }
        // The limit is written into the SQL, not bound: SQLite re-prepares a
        // statement on every execution when a bound value can change its
        // plan, as a LIMIT can. It is a clamped integer, not user text.
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            f.limit.clamp(1, 10_000)
        ));
        on!(self, pool => {
            let mut q = sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql.clone())).bind(org_id).bind(include_instance);
            if let Some(v) = &f.actor { q = q.bind(v); }
            if let Some(v) = &f.action { q = q.bind(v); }
            if let Some(v) = &f.action_prefix { q = q.bind(v).bind(v); }
            if let Some(v) = &f.outcome { q = q.bind(v); }
            if let Some(v) = f.since { q = q.bind(v.0); }
            if let Some(v) = f.until { q = q.bind(v.0); }
            if let Some(v) = f.before_seq { q = q.bind(v); }
            let rows = q.fetch_all(pool).await.map_err(db("list audit records"))?;
            Ok(rows.into_iter().map(Record::from).collect())
        })
    }

    /// Verifies the whole chain in sequence order, in pages so memory stays
    /// flat however long the log is. `progress` is called with the number
    /// of records checked so far.
    pub async fn verify_audit(&self, mut progress: impl FnMut(u64)) -> Result<Verification> {
        let mut verifier = Verifier::new();
        let mut after = 0i64;
        loop {
            let page: Vec<AuditRow> = on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
            )))
            .bind(after)
            .fetch_all(pool)
            .await
            .map_err(db("read audit records"))?);
            let Some(last) = page.last() else { break };
            after = last.seq;
            let n = page.len() as u64;
            for row in page {
                verifier.push(&Record::from(row));
            }
            progress(n);
        }
        let (seq, hash): (i64, String) = on!(self, pool => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await
            .map_err(db("read audit head"))?);
        Ok(verifier.finish(Some((seq, &hash))))
    }

    /// The number of audit records.
    pub async fn audit_count(&self) -> Result<i64> {
        on!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await.map_err(db("count audit records"))?;
            Ok(n)
        })
    }
}
