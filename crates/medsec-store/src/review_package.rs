//! The submission package of a review round: the ZIP the reviewing
//! organisation opens read-only (reviewer mode). The ZIP is kept as an
//! evidence row of the manufacturer (once per content, as scan reports
//! keep their SARIF files); `submission_packages` (migration 0020) says
//! which round it belongs to, where it came from (`built` by medsec when
//! the round was submitted, or `uploaded` as built by `medsec package
//! build`) and what its manifest says.
//!
//! Architecture invariant: a package is written in the same transaction
//! as the submission it belongs to ([`Store::submit_with_package`]) or
//! replaces the package of an open round of the caller's own
//! ([`Store::replace_submission_package`]); every read names the viewer's
//! organisation, which must be the manufacturer or the reviewer of the
//! round, so anyone else finds nothing.

use medsec_core::Timestamp;

use crate::assure::{EvidenceRow, NewEvidence, SubmissionRow, SubmitChecklist};
use crate::audit::AppendAudit;
use crate::model::row;
use crate::{
    AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, for_both_backends, on,
};

row! {
    /// The package attached to a submission round.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct PackageRow {
        pub submission_id: String,
        /// The manufacturer.
        pub org_id: String,
        pub reviewer_org_id: String,
        /// `mfds` or `fda-2023`, as the manifest says.
        pub layout: String,
        pub evidence_id: String,
        pub sha256: String,
        pub size: i64,
        /// `MANIFEST.json` as read from the ZIP.
        pub manifest: String,
        pub gaps: i64,
        /// `built` or `uploaded`.
        pub source: String,
        pub attached_by: String,
        pub attached_at: i64,
    }
}

const PACKAGE_COLUMNS: &str = "submission_id, org_id, reviewer_org_id, layout, evidence_id, sha256, size, manifest, gaps, source, attached_by, attached_at";

/// A package to attach: the ZIP (kept as evidence) and what its manifest
/// says.
#[derive(Clone, Debug)]
pub struct NewPackage {
    pub file: NewEvidence,
    pub layout: String,
    pub manifest: String,
    pub gaps: i64,
    /// `built` or `uploaded`.
    pub source: &'static str,
}

/// The audit records of an attachment: the evidence row's (written only
/// when the ZIP is new to the organisation) and the attachment's.
pub struct PackageAudit {
    pub evidence: AuditEntry,
    pub attached: AuditEntry,
}

/// Writes a package of a round inside an open write transaction.
trait AttachPackage {
    async fn attach_package_tx(
        &mut self,
        sub: &SubmissionRow,
        new: &NewPackage,
        now: Timestamp,
        audit: PackageAudit,
        pg: bool,
    ) -> Result<PackageRow>;
}

for_both_backends! {
impl AttachPackage for Tx {
    async fn attach_package_tx(
        &mut self,
        sub: &SubmissionRow,
        new: &NewPackage,
        now: Timestamp,
        audit: PackageAudit,
        pg: bool,
    ) -> Result<PackageRow> {
        if !matches!(new.source, "built" | "uploaded") {
            return Err(StoreError::Invalid(format!("unknown package source `{}`", new.source)));
        }
        let file = &new.file;
        let existing: Option<EvidenceRow> = sqlx::query_as("SELECT id, org_id, sha256, filename, content_type, size, created_by, created_at FROM evidence WHERE org_id = $1 AND sha256 = $2")
            .bind(&sub.org_id).bind(&file.sha256).fetch_optional(&mut **self).await.map_err(db("read evidence"))?;
        let evidence = match existing {
            Some(row) => row,
            None => {
                let row = EvidenceRow {
                    id: medsec_core::new_id(),
                    org_id: sub.org_id.clone(),
                    sha256: file.sha256.clone(),
                    filename: file.filename.clone(),
                    content_type: file.content_type.clone(),
                    size: file.content.len() as i64,
                    created_by: file.created_by.clone(),
                    created_at: now.0,
                };
                sqlx::query("INSERT INTO evidence (id, org_id, sha256, filename, content_type, size, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(&row.id).bind(&sub.org_id).bind(&row.sha256).bind(&row.filename).bind(&row.content_type).bind(row.size)
                    .bind(&file.content).bind(&row.created_by).bind(now.0)
                    .execute(&mut **self).await.map_err(conflict_or("store package", "evidence"))?;
                self.append_audit(&audit.evidence.target("evidence", row.id.clone()).details(serde_json::json!({"filename": row.filename, "sha256": row.sha256, "size": row.size, "content_type": row.content_type})), pg).await?;
                row
            }
        };
        let row = PackageRow {
            submission_id: sub.id.clone(),
            org_id: sub.org_id.clone(),
            reviewer_org_id: sub.reviewer_org_id.clone(),
            layout: new.layout.clone(),
            evidence_id: evidence.id.clone(),
            sha256: evidence.sha256.clone(),
            size: evidence.size,
            manifest: new.manifest.clone(),
            gaps: new.gaps,
            source: new.source.to_owned(),
            attached_by: file.created_by.clone(),
            attached_at: now.0,
        };
        sqlx::query("INSERT INTO submission_packages (submission_id, org_id, reviewer_org_id, layout, evidence_id, sha256, size, manifest, gaps, source, attached_by, attached_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT (submission_id) DO UPDATE SET layout = excluded.layout, evidence_id = excluded.evidence_id, sha256 = excluded.sha256, size = excluded.size, manifest = excluded.manifest, gaps = excluded.gaps, source = excluded.source, attached_by = excluded.attached_by, attached_at = excluded.attached_at")
            .bind(&row.submission_id).bind(&row.org_id).bind(&row.reviewer_org_id).bind(&row.layout).bind(&row.evidence_id).bind(&row.sha256)
            .bind(row.size).bind(&row.manifest).bind(row.gaps).bind(&row.source).bind(&row.attached_by).bind(now.0)
            .execute(&mut **self).await.map_err(db("attach package"))?;
        self.append_audit(&audit.attached.target("submission", sub.id.clone()).details(serde_json::json!({
            "sha256": row.sha256, "size": row.size, "layout": row.layout, "source": row.source, "gaps": row.gaps, "evidence": row.evidence_id,
        })), pg).await?;
        Ok(row)
    }
}
}

impl Store {
    /// Submits a checklist as [`Store::submit_checklist`] does and attaches
    /// its submission package in the same transaction: either both are
    /// stored or neither.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_with_package(
        &self,
        org_id: &str,
        checklist_id: &str,
        reviewer_org: &str,
        snapshot: &str,
        evidence_ids: &[String],
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
        package: &NewPackage,
        package_audit: PackageAudit,
    ) -> Result<(SubmissionRow, PackageRow)> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let sub = tx.submit_checklist_tx(org_id, checklist_id, reviewer_org, snapshot, evidence_ids, by, now, audit, pg).await?;
            let package = tx.attach_package_tx(&sub, package, now, package_audit, pg).await?;
            tx.commit().await.map_err(db("commit submission"))?;
            Ok((sub, package))
        })
    }

    /// Replaces the package of one of `org_id`'s rounds while the reviewer
    /// has not decided it (`submitted`); any other round is refused.
    pub async fn replace_submission_package(
        &self,
        org_id: &str,
        submission_id: &str,
        package: &NewPackage,
        now: Timestamp,
        audit: PackageAudit,
    ) -> Result<PackageRow> {
        let pg = self.is_postgres();
        // The round's row is locked so a decision cannot slip in between
        // the status check and the write (SQLite's write transaction holds
        // the database's lock already).
        let lock = if pg { " FOR UPDATE" } else { "" };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let sub: Option<SubmissionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, checklist_id, org_id, reviewer_org_id, round, snapshot, status, submitted_by, submitted_at, decided_by, decided_at FROM submissions WHERE id = $1 AND org_id = $2{lock}")))
                .bind(submission_id).bind(org_id).fetch_optional(&mut *tx).await.map_err(db("read submission"))?;
            let Some(sub) = sub else {
                return Err(StoreError::NotFound { what: "submission" });
            };
            if sub.status != "submitted" {
                return Err(StoreError::Invalid(format!("round {} is {}; a package is replaced only while the round is under review", sub.round, sub.status)));
            }
            let row = tx.attach_package_tx(&sub, package, now, audit, pg).await?;
            tx.commit().await.map_err(db("commit package"))?;
            Ok(row)
        })
    }

    /// The package of a round, if `viewer_org` is its manufacturer or its
    /// reviewer and one is attached.
    pub async fn submission_package(
        &self,
        viewer_org: &str,
        submission_id: &str,
    ) -> Result<Option<PackageRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {PACKAGE_COLUMNS} FROM submission_packages WHERE submission_id = $1 AND (org_id = $2 OR reviewer_org_id = $2)")))
            .bind(submission_id).bind(viewer_org).fetch_optional(pool).await.map_err(db("read submission package")))
    }

    /// The package of a round with the ZIP's bytes, on the same terms as
    /// [`Store::submission_package`].
    pub async fn submission_package_zip(
        &self,
        viewer_org: &str,
        submission_id: &str,
    ) -> Result<Option<(PackageRow, Vec<u8>)>> {
        on!(self, pool => {
            let row: Option<PackageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {PACKAGE_COLUMNS} FROM submission_packages WHERE submission_id = $1 AND (org_id = $2 OR reviewer_org_id = $2)")))
                .bind(submission_id).bind(viewer_org).fetch_optional(pool).await.map_err(db("read submission package"))?;
            let Some(row) = row else { return Ok(None) };
            let content: Option<(Vec<u8>,)> = sqlx::query_as("SELECT content FROM evidence WHERE id = $1 AND org_id = $2")
                .bind(&row.evidence_id).bind(&row.org_id).fetch_optional(pool).await.map_err(db("read package content"))?;
            let Some((content,)) = content else {
                return Err(StoreError::NotFound { what: "the package's evidence file" });
            };
            Ok(Some((row, content)))
        })
    }
}
