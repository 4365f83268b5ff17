//! Watch: members' web pages monitored against an accepted baseline
//! (defacement, injected scripts): the monitors (`web_monitors`, with the
//! baseline, the latest snapshot, the schedule and the lease of a running
//! check) and their checks (`web_checks`, the latest [`CHECKS_KEPT`] per
//! monitor). Migration 0017.
//!
//! Checks of one monitor never overlap, across nodes too: a check starts
//! only by claiming the monitor ([`Store::claim_due_web_monitors`],
//! [`Store::claim_web_monitor`]), a conditional `UPDATE` that succeeds for
//! one caller while `claimed_until` lies in the future, and
//! [`Store::record_web_check`] ends the claim and sets the next due time
//! from the check's, so a restart resumes the schedule. Reads take a
//! [`MemberScope`], so a hospital sees only its own monitors. Adding,
//! changing, removing a monitor and accepting a new baseline append their
//! audit record in the same transaction.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::watch::MemberScope;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, on};

/// What a check can conclude (`baseline`: the first page read, which
/// became the baseline).
pub const WEB_OUTCOMES: &[&str] = &[
    "baseline",
    "unchanged",
    "changed",
    "defaced",
    "injected",
    "unreachable",
];

/// The checks kept per monitor; older ones are removed as new ones come.
pub const CHECKS_KEPT: i64 = 500;

row! {
    /// A monitored web page.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct WebMonitorRow {
        pub id: String,
        pub member_id: String,
        pub name: String,
        pub url: String,
        pub interval_secs: i64,
        /// JSON array of the monitor's own defacement keywords.
        pub keywords: String,
        /// JSON array of regular expressions removed before comparing.
        pub ignore_patterns: String,
        /// Structure similarity in percent below which a page is defaced.
        pub threshold: i64,
        /// Consecutive failures before an unreachable alert.
        pub failure_threshold: i64,
        /// 1 = checked on schedule.
        pub enabled: i64,
        /// JSON snapshot of the accepted page.
        #[serde(skip)]
        pub baseline: Option<String>,
        pub baseline_hash: Option<String>,
        pub baseline_at: Option<i64>,
        /// Who accepted the baseline; `None`: the first page read.
        pub baseline_by: Option<String>,
        /// JSON snapshot of the latest page read.
        #[serde(skip)]
        pub last_snapshot: Option<String>,
        pub last_check_at: Option<i64>,
        pub last_outcome: Option<String>,
        /// Consecutive failed checks.
        pub failures: i64,
        pub next_due: i64,
        pub claimed_until: Option<i64>,
        pub claimed_by: Option<String>,
        pub created_by: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const MONITOR_COLUMNS: &str = "id, member_id, name, url, interval_secs, keywords, ignore_patterns, threshold, failure_threshold, enabled, baseline, baseline_hash, baseline_at, baseline_by, last_snapshot, last_check_at, last_outcome, failures, next_due, claimed_until, claimed_by, created_by, created_at, updated_at";

row! {
    /// One check of a monitor.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct WebCheckRow {
        pub id: String,
        pub monitor_id: String,
        pub member_id: String,
        pub at: i64,
        pub outcome: String,
        pub http_status: Option<i64>,
        pub final_url: Option<String>,
        pub content_hash: Option<String>,
        /// Structure similarity with the baseline, per mille.
        pub similarity: Option<i64>,
        pub bytes: Option<i64>,
        pub duration_ms: i64,
        /// JSON object of the response headers of interest.
        pub headers: String,
        /// JSON array of findings.
        pub findings: String,
        pub error: Option<String>,
    }
}

const CHECK_COLUMNS: &str = "id, monitor_id, member_id, at, outcome, http_status, final_url, content_hash, similarity, bytes, duration_ms, headers, findings, error";

/// A monitor's settings, as added or changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebMonitorSettings {
    pub member_id: String,
    pub name: String,
    pub url: String,
    pub interval_secs: i64,
    pub keywords: Vec<String>,
    pub ignore_patterns: Vec<String>,
    pub threshold: i64,
    pub failure_threshold: i64,
    pub enabled: bool,
}

/// What a finished check writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebCheckRecord {
    pub check: WebCheckRow,
    /// The page's snapshot (JSON) and content hash, when it was read; it
    /// becomes the baseline if the monitor has none yet.
    pub snapshot: Option<(String, String)>,
    /// Consecutive failures after this check.
    pub failures: i64,
    pub next_due: i64,
    /// The claim this check ran under.
    pub claimed_by: String,
}

/// The result of claiming one monitor for a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    Claimed(Box<WebMonitorRow>),
    /// Another check of it is running.
    Busy,
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// The monitors in the scope, by member and name.
    pub async fn web_monitors(&self, scope: MemberScope<'_>) -> Result<Vec<WebMonitorRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {MONITOR_COLUMNS} FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) ORDER BY member_id, name, id")))
            .bind(scope.bind()).fetch_all(pool).await.map_err(db("list web monitors")))
    }

    /// One monitor in the scope.
    pub async fn web_monitor(
        &self,
        scope: MemberScope<'_>,
        id: &str,
    ) -> Result<Option<WebMonitorRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {MONITOR_COLUMNS} FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) AND id = $2")))
            .bind(scope.bind()).bind(id).fetch_optional(pool).await.map_err(db("read web monitor")))
    }

    /// A monitor's latest checks, newest first (the caller found the
    /// monitor in its scope).
    pub async fn web_checks(&self, monitor_id: &str, limit: i64) -> Result<Vec<WebCheckRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHECK_COLUMNS} FROM web_checks WHERE monitor_id = $1 ORDER BY at DESC, id DESC LIMIT $2")))
            .bind(monitor_id).bind(limit).fetch_all(pool).await.map_err(db("list web checks")))
    }

    /// Adds a monitor, due at once (its first check reads the baseline).
    /// Audited; the same address twice for one member is a conflict.
    pub async fn add_web_monitor(
        &self,
        s: &WebMonitorSettings,
        audit: AuditEntry,
    ) -> Result<WebMonitorRow> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let row = WebMonitorRow {
            id: medsec_core::new_id(),
            member_id: s.member_id.clone(),
            name: s.name.clone(),
            url: s.url.clone(),
            interval_secs: s.interval_secs,
            keywords: json_list(&s.keywords),
            ignore_patterns: json_list(&s.ignore_patterns),
            threshold: s.threshold,
            failure_threshold: s.failure_threshold,
            enabled: i64::from(s.enabled),
            baseline: None,
            baseline_hash: None,
            baseline_at: None,
            baseline_by: None,
            last_snapshot: None,
            last_check_at: None,
            last_outcome: None,
            failures: 0,
            next_due: now,
            claimed_until: None,
            claimed_by: None,
            created_by: audit.actor.clone(),
            created_at: now,
            updated_at: now,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO web_monitors (id, member_id, name, url, interval_secs, keywords, ignore_patterns, threshold, failure_threshold, enabled, failures, next_due, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13, $13)")
                .bind(&row.id).bind(&row.member_id).bind(&row.name).bind(&row.url).bind(row.interval_secs)
                .bind(&row.keywords).bind(&row.ignore_patterns).bind(row.threshold).bind(row.failure_threshold)
                .bind(row.enabled).bind(row.next_due).bind(&row.created_by).bind(now)
                .execute(&mut *tx).await.map_err(conflict_or("add web monitor", "web monitor"))?;
            tx.append_audit(&audit.target("web_monitor", row.id.clone()).details(serde_json::json!({
                "member": row.member_id, "name": row.name, "url": row.url, "interval_secs": row.interval_secs,
                "keywords": s.keywords, "ignore_patterns": s.ignore_patterns, "threshold": row.threshold,
                "failure_threshold": row.failure_threshold, "enabled": s.enabled,
            })), pg).await?;
            tx.commit().await.map_err(db("commit web monitor"))?;
        });
        Ok(row)
    }

    /// Changes a monitor's settings (its member stays). A new address
    /// drops the baseline and makes the monitor due at once, since the
    /// old page says nothing about the new one. Audited.
    pub async fn update_web_monitor(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        s: &WebMonitorSettings,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old: Option<(String,)> = sqlx::query_as("SELECT url FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) AND id = $2")
                .bind(scope.bind()).bind(id).fetch_optional(&mut *tx).await.map_err(db("read web monitor"))?;
            let Some((old_url,)) = old else {
                return Err(StoreError::NotFound { what: "web monitor" });
            };
            let moved = old_url != s.url;
            sqlx::query("UPDATE web_monitors SET name = $1, url = $2, interval_secs = $3, keywords = $4, ignore_patterns = $5, threshold = $6, failure_threshold = $7, enabled = $8, updated_at = $9, baseline = CASE WHEN $10 THEN NULL ELSE baseline END, baseline_hash = CASE WHEN $10 THEN NULL ELSE baseline_hash END, baseline_at = CASE WHEN $10 THEN NULL ELSE baseline_at END, baseline_by = CASE WHEN $10 THEN NULL ELSE baseline_by END, last_snapshot = CASE WHEN $10 THEN NULL ELSE last_snapshot END, failures = CASE WHEN $10 THEN 0 ELSE failures END, next_due = CASE WHEN $10 THEN $9 ELSE next_due END WHERE id = $11")
                .bind(&s.name).bind(&s.url).bind(s.interval_secs).bind(json_list(&s.keywords))
                .bind(json_list(&s.ignore_patterns)).bind(s.threshold).bind(s.failure_threshold)
                .bind(i64::from(s.enabled)).bind(now).bind(moved).bind(id)
                .execute(&mut *tx).await.map_err(conflict_or("update web monitor", "web monitor"))?;
            tx.append_audit(&audit.target("web_monitor", id.to_owned()).details(serde_json::json!({
                "name": s.name, "url": s.url, "previous_url": old_url, "interval_secs": s.interval_secs,
                "keywords": s.keywords, "ignore_patterns": s.ignore_patterns, "threshold": s.threshold,
                "failure_threshold": s.failure_threshold, "enabled": s.enabled, "baseline_dropped": moved,
            })), pg).await?;
            tx.commit().await.map_err(db("commit web monitor"))?;
        });
        Ok(())
    }

    /// Removes a monitor and its checks (its alerts stay). Audited.
    pub async fn remove_web_monitor(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old: Option<(String, String)> = sqlx::query_as("SELECT member_id, url FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) AND id = $2")
                .bind(scope.bind()).bind(id).fetch_optional(&mut *tx).await.map_err(db("read web monitor"))?;
            let Some((member, url)) = old else {
                return Err(StoreError::NotFound { what: "web monitor" });
            };
            sqlx::query("DELETE FROM web_checks WHERE monitor_id = $1")
                .bind(id).execute(&mut *tx).await.map_err(db("remove web checks"))?;
            sqlx::query("DELETE FROM web_monitors WHERE id = $1")
                .bind(id).execute(&mut *tx).await.map_err(db("remove web monitor"))?;
            tx.append_audit(&audit.target("web_monitor", id.to_owned()).details(serde_json::json!({
                "member": member, "url": url,
            })), pg).await?;
            tx.commit().await.map_err(db("commit web monitor"))?;
        });
        Ok(())
    }

    /// Claims up to `limit` enabled monitors due at `now` for checks by
    /// `node`, each until `now + lease_ms` (or until its check is
    /// recorded). A monitor claimed by another caller is left alone.
    pub async fn claim_due_web_monitors(
        &self,
        now: Timestamp,
        lease_ms: i64,
        node: &str,
        limit: i64,
    ) -> Result<Vec<WebMonitorRow>> {
        let due: Vec<(String,)> = on!(self, pool => sqlx::query_as("SELECT id FROM web_monitors WHERE enabled = $1 AND next_due <= $2 AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY next_due, id LIMIT $3")
            .bind(1_i64).bind(now.0).bind(limit).fetch_all(pool).await.map_err(db("find due web monitors")))?;
        let mut out = Vec::new();
        for (id,) in due {
            if let Claim::Claimed(row) = self.claim(None, &id, now, lease_ms, node).await? {
                out.push(*row);
            }
        }
        Ok(out)
    }

    /// Claims one monitor in the scope for a check now ("check now"),
    /// enabled or not.
    pub async fn claim_web_monitor(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        now: Timestamp,
        lease_ms: i64,
        node: &str,
    ) -> Result<Claim> {
        self.claim(scope.bind(), id, now, lease_ms, node).await
    }

    async fn claim(
        &self,
        member: Option<String>,
        id: &str,
        now: Timestamp,
        lease_ms: i64,
        node: &str,
    ) -> Result<Claim> {
        on!(self, pool => {
            let done = sqlx::query("UPDATE web_monitors SET claimed_until = $1, claimed_by = $2 WHERE id = $3 AND ($4 IS NULL OR member_id = $4) AND (claimed_until IS NULL OR claimed_until <= $5)")
                .bind(now.0 + lease_ms).bind(node).bind(id).bind(&member).bind(now.0)
                .execute(pool).await.map_err(db("claim web monitor"))?;
            let row: Option<WebMonitorRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {MONITOR_COLUMNS} FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) AND id = $2")))
                .bind(&member).bind(id).fetch_optional(pool).await.map_err(db("read web monitor"))?;
            match (done.rows_affected(), row) {
                (_, None) => Err(StoreError::NotFound { what: "web monitor" }),
                (0, Some(_)) => Ok(Claim::Busy),
                (_, Some(row)) => Ok(Claim::Claimed(Box::new(row))),
            }
        })
    }

    /// Records a finished check: the check, the monitor's latest outcome,
    /// snapshot, failures and next due time, the baseline if it had none,
    /// and the end of the claim; older checks beyond [`CHECKS_KEPT`] go.
    /// A monitor removed meanwhile is [`StoreError::NotFound`].
    pub async fn record_web_check(&self, r: &WebCheckRecord) -> Result<()> {
        let c = &r.check;
        let (snapshot, hash) = match &r.snapshot {
            Some((s, h)) => (Some(s.as_str()), Some(h.as_str())),
            None => (None, None),
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE web_monitors SET last_check_at = $1, last_outcome = $2, failures = $3, next_due = $4, last_snapshot = COALESCE($5, last_snapshot), baseline = COALESCE(baseline, $5), baseline_hash = COALESCE(baseline_hash, $6), baseline_at = CASE WHEN baseline_at IS NULL AND $5 IS NOT NULL THEN $1 ELSE baseline_at END, claimed_until = CASE WHEN claimed_by = $7 THEN NULL ELSE claimed_until END, claimed_by = CASE WHEN claimed_by = $7 THEN NULL ELSE claimed_by END WHERE id = $8")
                .bind(c.at).bind(&c.outcome).bind(r.failures).bind(r.next_due).bind(snapshot).bind(hash)
                .bind(&r.claimed_by).bind(&c.monitor_id)
                .execute(&mut *tx).await.map_err(db("update web monitor"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "web monitor" });
            }
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO web_checks ({CHECK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")))
                .bind(&c.id).bind(&c.monitor_id).bind(&c.member_id).bind(c.at).bind(&c.outcome)
                .bind(c.http_status).bind(&c.final_url).bind(&c.content_hash).bind(c.similarity)
                .bind(c.bytes).bind(c.duration_ms).bind(&c.headers).bind(&c.findings).bind(&c.error)
                .execute(&mut *tx).await.map_err(db("record web check"))?;
            let cutoff: Option<(i64,)> = sqlx::query_as("SELECT at FROM web_checks WHERE monitor_id = $1 ORDER BY at DESC, id DESC LIMIT 1 OFFSET $2")
                .bind(&c.monitor_id).bind(CHECKS_KEPT - 1).fetch_optional(&mut *tx).await.map_err(db("find old web checks"))?;
            if let Some((cutoff,)) = cutoff {
                sqlx::query("DELETE FROM web_checks WHERE monitor_id = $1 AND at < $2")
                    .bind(&c.monitor_id).bind(cutoff).execute(&mut *tx).await.map_err(db("remove old web checks"))?;
            }
            tx.commit().await.map_err(db("commit web check"))?;
        });
        Ok(())
    }

    /// Makes the latest page read the monitor's baseline (after a
    /// legitimate change), naming who accepted it. Audited with the
    /// previous and the new content hash; returns the new one.
    pub async fn accept_web_baseline(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        audit: AuditEntry,
    ) -> Result<String> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let hash = on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(Option<String>, Option<String>, String)> = sqlx::query_as("SELECT last_snapshot, baseline_hash, url FROM web_monitors WHERE ($1 IS NULL OR member_id = $1) AND id = $2")
                .bind(scope.bind()).bind(id).fetch_optional(&mut *tx).await.map_err(db("read web monitor"))?;
            let Some((snapshot, previous, url)) = row else {
                return Err(StoreError::NotFound { what: "web monitor" });
            };
            let Some(snapshot) = snapshot else {
                return Err(StoreError::Invalid("no page of this monitor has been read yet".into()));
            };
            let hash = serde_json::from_str::<serde_json::Value>(&snapshot)
                .ok()
                .and_then(|v| v.get("content_hash").and_then(|h| h.as_str()).map(str::to_owned))
                .unwrap_or_default();
            sqlx::query("UPDATE web_monitors SET baseline = last_snapshot, baseline_hash = $1, baseline_at = $2, baseline_by = $3, updated_at = $2 WHERE id = $4")
                .bind(&hash).bind(now).bind(&audit.actor).bind(id)
                .execute(&mut *tx).await.map_err(db("accept web baseline"))?;
            tx.append_audit(&audit.target("web_monitor", id.to_owned()).details(serde_json::json!({
                "url": url, "previous_hash": previous, "content_hash": hash,
            })), pg).await?;
            tx.commit().await.map_err(db("commit web baseline"))?;
            hash
        });
        Ok(hash)
    }
}
