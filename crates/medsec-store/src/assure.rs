//! Assure records: device profiles, checklists with their field-level
//! history, evidence files, and submissions to a regulator with the
//! review thread. Documents (profiles, workspaces, snapshots) are JSON
//! written by `medsec-assure`; this module only keeps them, scoped to an
//! organisation, and guards concurrent edits with a revision number.
//!
//! Architecture invariant: every read takes the caller's organisation and
//! returns only its rows, or rows another organisation explicitly shared
//! with it through a submission.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{
    AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, for_both_backends, on,
};

row! {
    /// A device version and its profile.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct DeviceRow {
        pub id: String,
        pub org_id: String,
        pub product: String,
        pub model: String,
        pub software_version: String,
        pub profile: String,
        pub overrides: String,
        pub revision: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const DEVICE_COLUMNS: &str = "id, org_id, product, model, software_version, profile, overrides, revision, created_at, updated_at";

row! {
    /// A checklist on one MFDS edition for one device.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ChecklistRow {
        pub id: String,
        pub org_id: String,
        pub device_id: String,
        pub catalog: String,
        pub edition: String,
        pub workspace: String,
        pub revision: i64,
        pub status: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const CHECKLIST_COLUMNS: &str =
    "id, org_id, device_id, catalog, edition, workspace, revision, status, created_at, updated_at";

row! {
    /// One changed field of one checklist item.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ChangeRow {
        pub revision: i64,
        pub n: i64,
        pub item: String,
        pub field: String,
        pub old_value: String,
        pub new_value: String,
        pub actor: String,
        pub at: i64,
    }
}

row! {
    /// An evidence file's metadata.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct EvidenceRow {
        pub id: String,
        pub org_id: String,
        pub sha256: String,
        pub filename: String,
        pub content_type: String,
        pub size: i64,
        pub created_by: String,
        pub created_at: i64,
    }
}

const EVIDENCE_COLUMNS: &str =
    "id, org_id, sha256, filename, content_type, size, created_by, created_at";

row! {
    /// A checklist version submitted to a reviewing organisation.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct SubmissionRow {
        pub id: String,
        pub checklist_id: String,
        pub org_id: String,
        pub reviewer_org_id: String,
        pub round: i64,
        pub snapshot: String,
        pub status: String,
        pub submitted_by: String,
        pub submitted_at: i64,
        pub decided_by: Option<String>,
        pub decided_at: Option<i64>,
    }
}

const SUBMISSION_COLUMNS: &str = "id, checklist_id, org_id, reviewer_org_id, round, snapshot, status, submitted_by, submitted_at, decided_by, decided_at";

row! {
    /// A reviewer's finding or a manufacturer's answer.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct CommentRow {
        pub id: String,
        pub submission_id: String,
        pub item: String,
        pub org_id: String,
        pub author: String,
        pub verdict: Option<String>,
        pub body: String,
        pub at: i64,
    }
}

const COMMENT_COLUMNS: &str = "id, submission_id, item, org_id, author, verdict, body, at";

/// A new device.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub product: String,
    pub model: String,
    pub software_version: String,
    pub profile: String,
}

/// A change of a checklist's workspace, with the changed fields.
#[derive(Clone, Debug)]
pub struct ChecklistEdit {
    pub workspace: String,
    /// (item, field, old JSON, new JSON).
    pub changes: Vec<(String, String, String, String)>,
    pub actor_id: Option<String>,
    pub actor: String,
    /// New applicability overrides of the checklist's device, saved in the
    /// same transaction (an import): (device revision, overrides JSON).
    pub device_overrides: Option<(i64, String)>,
}

/// A file to keep as evidence.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub created_by: String,
}

/// The states of a submission; `superseded` when resubmitted.
pub const REVIEW_VERDICTS: &[&str] = &["conforming", "needs-work"];

impl Store {
    pub async fn create_device(
        &self,
        org_id: &str,
        new: &NewDevice,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<DeviceRow> {
        let pg = self.is_postgres();
        let row = DeviceRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            product: new.product.clone(),
            model: new.model.clone(),
            software_version: new.software_version.clone(),
            profile: new.profile.clone(),
            overrides: "{}".into(),
            revision: 1,
            created_at: now.0,
            updated_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO devices (id, org_id, product, model, software_version, profile, overrides, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&row.id).bind(&row.org_id).bind(&row.product).bind(&row.model).bind(&row.software_version)
                .bind(&row.profile).bind(&row.overrides).bind(row.revision).bind(now.0).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create device", "device with this product, model and version"))?;
            tx.append_audit(&audit.target("device", row.id.clone()).details(serde_json::json!({"product": row.product, "model": row.model, "software_version": row.software_version})), pg).await?;
            tx.commit().await.map_err(db("commit device"))?;
        });
        Ok(row)
    }

    pub async fn list_devices(&self, org_id: &str) -> Result<Vec<DeviceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE org_id = $1 ORDER BY product, model, software_version")))
            .bind(org_id).fetch_all(pool).await.map_err(db("list devices")))
    }

    pub async fn get_device(&self, org_id: &str, id: &str) -> Result<Option<DeviceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE org_id = $1 AND id = $2")))
            .bind(org_id).bind(id).fetch_optional(pool).await.map_err(db("read device")))
    }

    /// Replaces a device's profile and overrides if its revision is still
    /// `revision`; the new revision is returned with the row.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_device(
        &self,
        org_id: &str,
        id: &str,
        revision: i64,
        new: &NewDevice,
        overrides: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<DeviceRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE devices SET product = $1, model = $2, software_version = $3, profile = $4, overrides = $5, revision = revision + 1, updated_at = $6 WHERE org_id = $7 AND id = $8 AND revision = $9")
                .bind(&new.product).bind(&new.model).bind(&new.software_version).bind(&new.profile).bind(overrides).bind(now.0)
                .bind(org_id).bind(id).bind(revision)
                .execute(&mut *tx).await.map_err(conflict_or("update device", "device with this product, model and version"))?
                .rows_affected();
            if n != 1 {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT revision FROM devices WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(id).fetch_optional(&mut *tx).await.map_err(db("read device"))?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict { what: "device (changed by someone else meanwhile; reload)" },
                    None => StoreError::NotFound { what: "device" },
                });
            }
            tx.append_audit(&audit.target("device", id.to_owned()), pg).await?;
            let row: DeviceRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1")))
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read device"))?;
            tx.commit().await.map_err(db("commit device"))?;
            Ok(row)
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_checklist(
        &self,
        org_id: &str,
        device_id: &str,
        catalog: &str,
        edition: &str,
        workspace: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<ChecklistRow> {
        let pg = self.is_postgres();
        let row = ChecklistRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            device_id: device_id.to_owned(),
            catalog: catalog.to_owned(),
            edition: edition.to_owned(),
            workspace: workspace.to_owned(),
            revision: 1,
            status: "draft".into(),
            created_at: now.0,
            updated_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let owned: Option<(String,)> = sqlx::query_as("SELECT id FROM devices WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(device_id).fetch_optional(&mut *tx).await.map_err(db("read device"))?;
            if owned.is_none() {
                return Err(StoreError::NotFound { what: "device" });
            }
            sqlx::query("INSERT INTO checklists (id, org_id, device_id, catalog, edition, workspace, revision, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 'draft', $7, $7)")
                .bind(&row.id).bind(org_id).bind(device_id).bind(catalog).bind(edition).bind(workspace).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create checklist", "checklist on this edition for this device"))?;
            tx.append_audit(&audit.target("checklist", row.id.clone()).details(serde_json::json!({"device": device_id, "catalog": catalog, "edition": edition})), pg).await?;
            tx.commit().await.map_err(db("commit checklist"))?;
            Ok(())
        })?;
        Ok(row)
    }

    pub async fn list_checklists(
        &self,
        org_id: &str,
        device_id: Option<&str>,
    ) -> Result<Vec<ChecklistRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHECKLIST_COLUMNS} FROM checklists WHERE org_id = $1 AND ($2 IS NULL OR device_id = $2) ORDER BY created_at, id")))
            .bind(org_id).bind(device_id).fetch_all(pool).await.map_err(db("list checklists")))
    }

    pub async fn get_checklist(&self, org_id: &str, id: &str) -> Result<Option<ChecklistRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHECKLIST_COLUMNS} FROM checklists WHERE org_id = $1 AND id = $2")))
            .bind(org_id).bind(id).fetch_optional(pool).await.map_err(db("read checklist")))
    }

    /// Saves a new workspace and its changes if the checklist is still at
    /// `revision`; a submitted checklist is read-only until the reviewer
    /// decides.
    pub async fn update_checklist(
        &self,
        org_id: &str,
        id: &str,
        revision: i64,
        edit: &ChecklistEdit,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<ChecklistRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let current: Option<(i64, String)> = sqlx::query_as("SELECT revision, status FROM checklists WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).fetch_optional(&mut *tx).await.map_err(db("read checklist"))?;
            let Some((rev, status)) = current else {
                return Err(StoreError::NotFound { what: "checklist" });
            };
            if status == "submitted" {
                return Err(StoreError::Invalid("the checklist is under review; it can be changed once the reviewer has decided".into()));
            }
            if rev != revision {
                return Err(StoreError::Conflict { what: "checklist (changed by someone else meanwhile; reload)" });
            }
            let next = rev + 1;
            if let Some((device_rev, overrides)) = &edit.device_overrides {
                let n = sqlx::query("UPDATE devices SET overrides = $1, revision = revision + 1, updated_at = $2 WHERE org_id = $3 AND revision = $4 AND id = (SELECT device_id FROM checklists WHERE id = $5)")
                    .bind(overrides).bind(now.0).bind(org_id).bind(device_rev).bind(id)
                    .execute(&mut *tx).await.map_err(db("update device overrides"))?.rows_affected();
                if n != 1 {
                    return Err(StoreError::Conflict { what: "device (changed by someone else meanwhile; reload)" });
                }
            }
            // A change after acceptance makes a new draft: the accepted version
            // stays in its submission, and the change needs a new review.
            sqlx::query("UPDATE checklists SET workspace = $1, revision = $2, updated_at = $3, status = CASE WHEN status = 'accepted' THEN 'draft' ELSE status END WHERE id = $4")
                .bind(&edit.workspace).bind(next).bind(now.0).bind(id)
                .execute(&mut *tx).await.map_err(db("update checklist"))?;
            for (n, (item, field, old, new)) in edit.changes.iter().enumerate() {
                sqlx::query("INSERT INTO checklist_changes (checklist_id, revision, n, item, field, old_value, new_value, actor_id, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(id).bind(next).bind(n as i64).bind(item).bind(field).bind(old).bind(new)
                    .bind(&edit.actor_id).bind(&edit.actor).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("record checklist change"))?;
            }
            let items: Vec<&str> = {
                let mut v: Vec<&str> = edit.changes.iter().map(|c| c.0.as_str()).collect();
                v.dedup();
                v
            };
            tx.append_audit(&audit.target("checklist", id.to_owned()).details(serde_json::json!({"revision": next, "items": items, "changes": edit.changes.len()})), pg).await?;
            let row: ChecklistRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHECKLIST_COLUMNS} FROM checklists WHERE id = $1")))
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read checklist"))?;
            tx.commit().await.map_err(db("commit checklist"))?;
            Ok(row)
        })
    }

    /// The changes of a checklist, newest first, optionally of one item.
    pub async fn checklist_history(
        &self,
        org_id: &str,
        id: &str,
        item: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChangeRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT c.revision, c.n, c.item, c.field, c.old_value, c.new_value, c.actor, c.at FROM checklist_changes c JOIN checklists k ON k.id = c.checklist_id \
             WHERE k.org_id = $1 AND c.checklist_id = $2 AND ($3 IS NULL OR c.item = $3) ORDER BY c.revision DESC, c.n LIMIT {}", limit.clamp(1, 10_000))))
            .bind(org_id).bind(id).bind(item).fetch_all(pool).await.map_err(db("read checklist history")))
    }

    /// Keeps a file, once per organisation and content: an upload of a
    /// file already kept returns the existing record (`false`).
    pub async fn put_evidence(
        &self,
        org_id: &str,
        new: &NewEvidence,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<(EvidenceRow, bool)> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<EvidenceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE org_id = $1 AND sha256 = $2")))
                .bind(org_id).bind(&new.sha256).fetch_optional(&mut *tx).await.map_err(db("read evidence"))?;
            if let Some(row) = existing {
                tx.rollback().await.map_err(db("end evidence"))?;
                return Ok((row, false));
            }
            let row = EvidenceRow {
                id: medsec_core::new_id(),
                org_id: org_id.to_owned(),
                sha256: new.sha256.clone(),
                filename: new.filename.clone(),
                content_type: new.content_type.clone(),
                size: new.content.len() as i64,
                created_by: new.created_by.clone(),
                created_at: now.0,
            };
            sqlx::query("INSERT INTO evidence (id, org_id, sha256, filename, content_type, size, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&row.id).bind(org_id).bind(&row.sha256).bind(&row.filename).bind(&row.content_type).bind(row.size)
                .bind(&new.content).bind(&row.created_by).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("store evidence", "evidence"))?;
            tx.append_audit(&audit.target("evidence", row.id.clone()).details(serde_json::json!({"filename": row.filename, "sha256": row.sha256, "size": row.size, "content_type": row.content_type})), pg).await?;
            tx.commit().await.map_err(db("commit evidence"))?;
            Ok((row, true))
        })
    }

    pub async fn list_evidence(&self, org_id: &str) -> Result<Vec<EvidenceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE org_id = $1 ORDER BY created_at DESC, id")))
            .bind(org_id).fetch_all(pool).await.map_err(db("list evidence")))
    }

    /// An evidence file with its content, if `viewer_org` owns it or it
    /// was submitted to `viewer_org` for review.
    pub async fn get_evidence(
        &self,
        viewer_org: &str,
        id: &str,
    ) -> Result<Option<(EvidenceRow, Vec<u8>)>> {
        on!(self, pool => {
            let row: Option<EvidenceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {EVIDENCE_COLUMNS} FROM evidence e WHERE e.id = $1 AND (e.org_id = $2 OR EXISTS (\
                 SELECT 1 FROM submission_evidence se JOIN submissions s ON s.id = se.submission_id \
                 WHERE se.evidence_id = e.id AND s.reviewer_org_id = $2))")))
                .bind(id).bind(viewer_org).fetch_optional(pool).await.map_err(db("read evidence"))?;
            let Some(row) = row else { return Ok(None) };
            let (content,): (Vec<u8>,) = sqlx::query_as("SELECT content FROM evidence WHERE id = $1")
                .bind(id).fetch_one(pool).await.map_err(db("read evidence content"))?;
            Ok(Some((row, content)))
        })
    }

    /// Submits the checklist as it is now to `reviewer_org` as a new round,
    /// sharing the evidence it links; an open earlier round is superseded.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_checklist(
        &self,
        org_id: &str,
        checklist_id: &str,
        reviewer_org: &str,
        snapshot: &str,
        evidence_ids: &[String],
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<SubmissionRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row = tx.submit_checklist_tx(org_id, checklist_id, reviewer_org, snapshot, evidence_ids, by, now, audit, pg).await?;
            tx.commit().await.map_err(db("commit submission"))?;
            Ok(row)
        })
    }

    /// Submissions `org_id` made or received, newest first.
    pub async fn list_submissions(&self, org_id: &str) -> Result<Vec<SubmissionRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE org_id = $1 OR reviewer_org_id = $1 ORDER BY submitted_at DESC, id")))
            .bind(org_id).fetch_all(pool).await.map_err(db("list submissions")))
    }

    /// Every round of one checklist visible to `org_id`, oldest first.
    pub async fn checklist_rounds(
        &self,
        org_id: &str,
        checklist_id: &str,
    ) -> Result<Vec<SubmissionRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE checklist_id = $1 AND (org_id = $2 OR reviewer_org_id = $2) ORDER BY round")))
            .bind(checklist_id).bind(org_id).fetch_all(pool).await.map_err(db("list rounds")))
    }

    pub async fn get_submission(&self, org_id: &str, id: &str) -> Result<Option<SubmissionRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1 AND (org_id = $2 OR reviewer_org_id = $2)")))
            .bind(id).bind(org_id).fetch_optional(pool).await.map_err(db("read submission")))
    }

    /// Adds a finding (reviewer, with a verdict) or an answer
    /// (manufacturer, without) to a submission the organisation is party to.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_review_comment(
        &self,
        org_id: &str,
        submission_id: &str,
        item: &str,
        verdict: Option<&str>,
        body: &str,
        author: (&str, &str),
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<CommentRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let sub: Option<(String, String, String)> = sqlx::query_as("SELECT org_id, reviewer_org_id, status FROM submissions WHERE id = $1 AND (org_id = $2 OR reviewer_org_id = $2)")
                .bind(submission_id).bind(org_id).fetch_optional(&mut *tx).await.map_err(db("read submission"))?;
            let Some((maker, reviewer, status)) = sub else {
                return Err(StoreError::NotFound { what: "submission" });
            };
            if verdict.is_some() && org_id != reviewer {
                return Err(StoreError::Invalid("only the reviewing organisation records findings".into()));
            }
            if verdict.is_some() && status != "submitted" {
                return Err(StoreError::Invalid("this round is closed; findings go on the open round".into()));
            }
            if let Some(v) = verdict && !REVIEW_VERDICTS.contains(&v) {
                return Err(StoreError::Invalid(format!("unknown verdict `{v}`")));
            }
            debug_assert!(org_id == maker || org_id == reviewer);
            let row = CommentRow {
                id: medsec_core::new_id(),
                submission_id: submission_id.to_owned(),
                item: item.to_owned(),
                org_id: org_id.to_owned(),
                author: author.1.to_owned(),
                verdict: verdict.map(str::to_owned),
                body: body.to_owned(),
                at: now.0,
            };
            sqlx::query("INSERT INTO review_comments (id, submission_id, item, org_id, author_id, author, verdict, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&row.id).bind(submission_id).bind(item).bind(org_id).bind(author.0).bind(author.1).bind(verdict).bind(body).bind(now.0)
                .execute(&mut *tx).await.map_err(db("add comment"))?;
            tx.append_audit(&audit.target("submission", submission_id.to_owned()).details(serde_json::json!({"item": item, "verdict": verdict})), pg).await?;
            tx.commit().await.map_err(db("commit comment"))?;
            Ok(row)
        })
    }

    /// The thread of every round of a checklist visible to `org_id`.
    pub async fn review_thread(&self, org_id: &str, checklist_id: &str) -> Result<Vec<CommentRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM review_comments c JOIN submissions s ON s.id = c.submission_id \
             WHERE s.checklist_id = $1 AND (s.org_id = $2 OR s.reviewer_org_id = $2) ORDER BY c.at, c.id",
            COMMENT_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", "))))
            .bind(checklist_id).bind(org_id).fetch_all(pool).await.map_err(db("read review thread")))
    }

    /// The reviewer closes a round: `changes-requested` (the manufacturer
    /// may edit and resubmit) or `accepted`.
    pub async fn decide_submission(
        &self,
        reviewer_org: &str,
        submission_id: &str,
        decision: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<SubmissionRow> {
        if !matches!(decision, "changes-requested" | "accepted") {
            return Err(StoreError::Invalid(format!(
                "unknown decision `{decision}`"
            )));
        }
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE submissions SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND reviewer_org_id = $5 AND status = 'submitted'")
                .bind(decision).bind(by).bind(now.0).bind(submission_id).bind(reviewer_org)
                .execute(&mut *tx).await.map_err(db("decide submission"))?.rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound { what: "open submission" });
            }
            let row: SubmissionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1")))
                .bind(submission_id).fetch_one(&mut *tx).await.map_err(db("read submission"))?;
            sqlx::query("UPDATE checklists SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(decision).bind(now.0).bind(&row.checklist_id).execute(&mut *tx).await.map_err(db("mark checklist"))?;
            tx.append_audit(&audit.target("submission", submission_id.to_owned()).details(serde_json::json!({"decision": decision, "round": row.round})), pg).await?;
            tx.commit().await.map_err(db("commit decision"))?;
            Ok(row)
        })
    }
}

/// The writes of [`Store::submit_checklist`] inside an open write
/// transaction, so that other records of the same submission (its
/// submission package) are written in the same transaction.
pub(crate) trait SubmitChecklist {
    #[allow(clippy::too_many_arguments)]
    async fn submit_checklist_tx(
        &mut self,
        org_id: &str,
        checklist_id: &str,
        reviewer_org: &str,
        snapshot: &str,
        evidence_ids: &[String],
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
        pg: bool,
    ) -> Result<SubmissionRow>;
}

for_both_backends! {
impl SubmitChecklist for Tx {
    async fn submit_checklist_tx(
        &mut self,
        org_id: &str,
        checklist_id: &str,
        reviewer_org: &str,
        snapshot: &str,
        evidence_ids: &[String],
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
        pg: bool,
    ) -> Result<SubmissionRow> {
        let status: Option<(String,)> = sqlx::query_as("SELECT status FROM checklists WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(checklist_id).fetch_optional(&mut **self).await.map_err(db("read checklist"))?;
        match status {
            None => return Err(StoreError::NotFound { what: "checklist" }),
            Some((s,)) if s == "submitted" => return Err(StoreError::Invalid("the checklist is already under review".into())),
            Some(_) => {}
        }
        let reviewer: Option<(String, bool)> = sqlx::query_as("SELECT kind, enabled FROM organizations WHERE id = $1")
            .bind(reviewer_org).fetch_optional(&mut **self).await.map_err(db("read organisation"))?;
        if !matches!(&reviewer, Some((kind, true)) if kind == "regulator") {
            return Err(StoreError::Invalid("submissions go to an enabled regulator organisation".into()));
        }
        let (round,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(round), 0) + 1 FROM submissions WHERE checklist_id = $1")
            .bind(checklist_id).fetch_one(&mut **self).await.map_err(db("count rounds"))?;
        sqlx::query("UPDATE submissions SET status = 'superseded' WHERE checklist_id = $1 AND status = 'changes-requested'")
            .bind(checklist_id).execute(&mut **self).await.map_err(db("supersede round"))?;
        let row = SubmissionRow {
            id: medsec_core::new_id(),
            checklist_id: checklist_id.to_owned(),
            org_id: org_id.to_owned(),
            reviewer_org_id: reviewer_org.to_owned(),
            round,
            snapshot: snapshot.to_owned(),
            status: "submitted".into(),
            submitted_by: by.to_owned(),
            submitted_at: now.0,
            decided_by: None,
            decided_at: None,
        };
        sqlx::query("INSERT INTO submissions (id, checklist_id, org_id, reviewer_org_id, round, snapshot, status, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8)")
            .bind(&row.id).bind(checklist_id).bind(org_id).bind(reviewer_org).bind(round).bind(snapshot).bind(by).bind(now.0)
            .execute(&mut **self).await.map_err(db("create submission"))?;
        for e in evidence_ids {
            let n = sqlx::query("INSERT INTO submission_evidence (submission_id, evidence_id) SELECT $1, id FROM evidence WHERE id = $2 AND org_id = $3")
                .bind(&row.id).bind(e).bind(org_id).execute(&mut **self).await.map_err(db("share evidence"))?.rows_affected();
            if n != 1 {
                return Err(StoreError::NotFound { what: "evidence linked from the checklist" });
            }
        }
        sqlx::query("UPDATE checklists SET status = 'submitted', updated_at = $1 WHERE id = $2")
            .bind(now.0).bind(checklist_id).execute(&mut **self).await.map_err(db("mark submitted"))?;
        self.append_audit(&audit.target("submission", row.id.clone()).details(serde_json::json!({"checklist": checklist_id, "reviewer_org": reviewer_org, "round": round, "evidence": evidence_ids.len()})), pg).await?;
        Ok(row)
    }
}
}
