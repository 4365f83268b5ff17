//! Watch: webshell scans of members' uploaded web roots and their
//! findings (one per file and YARA rule).
//!
//! A scan, its findings and its audit record are written in one
//! transaction ([`Store::record_webshell_scan`]); the alerts the findings
//! raise go through [`Store::record_hits`] first, and each finding keeps
//! the id of the open alert of its group. Reads take a [`MemberScope`],
//! so a hospital's query cannot forget its own id.

use crate::audit::AppendAudit;
use crate::model::row;
use crate::watch::MemberScope;
use crate::{AuditEntry, BeginWrite, Result, Store, db, on};

/// How a scan's files came in.
pub const ORIGINS: &[&str] = &["agent", "api", "ui"];

row! {
    /// A scan of a member's web root.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct WebshellScanRow {
        pub id: String,
        pub member_id: String,
        /// `agent`, `api` or `ui`.
        pub origin: String,
        /// The uploaded file's name (a label).
        pub label: String,
        /// The user name, or the ingest source's name for the agent.
        pub uploaded_by: String,
        /// The organisation of whoever uploaded (the member, or the ISAC).
        pub org_id: String,
        pub archive_sha256: String,
        pub archive_bytes: i64,
        /// Files scanned.
        pub files: i64,
        /// Bytes scanned.
        pub bytes: i64,
        /// Files not scanned.
        pub skipped: i64,
        /// JSON array of the first skipped files with their reasons.
        pub skipped_detail: String,
        pub findings: i64,
        pub flagged_files: i64,
        pub rules_digest: String,
        pub started_at: i64,
        pub finished_at: i64,
    }
}

const SCAN_COLUMNS: &str = "id, member_id, origin, label, uploaded_by, org_id, archive_sha256, archive_bytes, files, bytes, skipped, skipped_detail, findings, flagged_files, rules_digest, started_at, finished_at";

row! {
    /// A rule that matched a file of a scan.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct WebshellFindingRow {
        pub scan_id: String,
        pub seq: i64,
        pub path: String,
        pub sha256: String,
        pub size: i64,
        pub rule: String,
        pub severity: String,
        pub description: String,
        /// JSON array of the matched strings (id, offset, length, data).
        pub matches: String,
        /// The open alert of the finding's group when it was stored (none
        /// when a suppression swallowed it).
        pub alert_id: Option<String>,
    }
}

const FINDING_COLUMNS: &str =
    "scan_id, seq, path, sha256, size, rule, severity, description, matches, alert_id";

/// A finding to store with its scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebshellFinding {
    pub path: String,
    pub sha256: String,
    pub size: i64,
    pub rule: String,
    pub severity: String,
    pub description: String,
    pub matches: String,
    /// The alert group the finding's hit went to.
    pub group_key: String,
}

impl Store {
    /// Stores a scan with its findings and the audit record, in one
    /// transaction. Each finding is linked to the open alert of its group.
    pub async fn record_webshell_scan(
        &self,
        scan: &WebshellScanRow,
        findings: &[NewWebshellFinding],
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO webshell_scans ({SCAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")))
                .bind(&scan.id).bind(&scan.member_id).bind(&scan.origin).bind(&scan.label)
                .bind(&scan.uploaded_by).bind(&scan.org_id).bind(&scan.archive_sha256).bind(scan.archive_bytes)
                .bind(scan.files).bind(scan.bytes).bind(scan.skipped).bind(&scan.skipped_detail)
                .bind(scan.findings).bind(scan.flagged_files).bind(&scan.rules_digest)
                .bind(scan.started_at).bind(scan.finished_at)
                .execute(&mut *tx).await.map_err(db("store webshell scan"))?;
            for (i, f) in findings.iter().enumerate() {
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO webshell_findings ({FINDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT id FROM alerts WHERE group_key = $10 AND state <> 'closed'))")))
                    .bind(&scan.id).bind(i as i64 + 1).bind(&f.path).bind(&f.sha256).bind(f.size)
                    .bind(&f.rule).bind(&f.severity).bind(&f.description).bind(&f.matches).bind(&f.group_key)
                    .execute(&mut *tx).await.map_err(db("store webshell finding"))?;
            }
            tx.append_audit(&audit.target("webshell_scan", scan.id.clone()), pg).await?;
            tx.commit().await.map_err(db("commit webshell scan"))?;
        });
        Ok(())
    }

    /// Scans in the caller's scope (optionally of one member), newest
    /// first, with the total.
    pub async fn webshell_scans(
        &self,
        scope: MemberScope<'_>,
        member_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<WebshellScanRow>, i64)> {
        let member = scope.bind();
        let cond = "($1 IS NULL OR member_id = $1) AND ($2 IS NULL OR member_id = $2)";
        let limit = limit.clamp(1, 500);
        let offset = offset.max(0);
        on!(self, pool => {
            let rows: Vec<WebshellScanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SCAN_COLUMNS} FROM webshell_scans WHERE {cond} ORDER BY started_at DESC, id LIMIT $3 OFFSET $4")))
                .bind(&member).bind(member_id).bind(limit).bind(offset)
                .fetch_all(pool).await.map_err(db("list webshell scans"))?;
            let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM webshell_scans WHERE {cond}")))
                .bind(&member).bind(member_id)
                .fetch_one(pool).await.map_err(db("count webshell scans"))?;
            Ok((rows, total))
        })
    }

    /// One scan in the caller's scope.
    pub async fn webshell_scan(
        &self,
        scope: MemberScope<'_>,
        id: &str,
    ) -> Result<Option<WebshellScanRow>> {
        let member = scope.bind();
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SCAN_COLUMNS} FROM webshell_scans WHERE id = $1 AND ($2 IS NULL OR member_id = $2)")))
            .bind(id).bind(member).fetch_optional(pool).await.map_err(db("read webshell scan")))
    }

    /// A scan's findings in the caller's scope, in order (none for a scan
    /// outside it).
    pub async fn webshell_findings(
        &self,
        scope: MemberScope<'_>,
        scan_id: &str,
    ) -> Result<Vec<WebshellFindingRow>> {
        let member = scope.bind();
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {} FROM webshell_findings f JOIN webshell_scans s ON s.id = f.scan_id WHERE f.scan_id = $1 AND ($2 IS NULL OR s.member_id = $2) ORDER BY f.seq", FINDING_COLUMNS.split(", ").map(|c| format!("f.{c}")).collect::<Vec<_>>().join(", "))))
            .bind(scan_id).bind(member).fetch_all(pool).await.map_err(db("read webshell findings")))
    }
}
