//! Premarket documents of a device: an imported threat model, the risk
//! register with the summary of every change, MITRE rubric assessments,
//! SARIF scan reports, justifications of unresolved anomalies, and the
//! release (the sustain part's, with its SBOM and findings) a device
//! ships as its software.
//! Documents are JSON written by `medsec-assure`; this module only keeps
//! them, scoped to an organisation, and guards concurrent edits of the
//! register with a revision number.
//!
//! Architecture invariant: every query names the caller's organisation,
//! and a write first checks that the device is the organisation's, so
//! another organisation's device is simply not found.

use medsec_core::Timestamp;

use crate::assure::{EvidenceRow, NewEvidence};
use crate::audit::AppendAudit;
use crate::model::row;
use crate::releases::{ComponentRow, FindingRow, ReleaseRow};
use crate::vex::VexRow;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, on};

row! {
    /// A threat model imported from OWASP Threat Dragon: the original
    /// file and the converted model.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ThreatModelRow {
        pub device_id: String,
        pub org_id: String,
        pub source: String,
        pub filename: String,
        pub original: String,
        pub model: String,
        pub revision: i64,
        pub updated_by: String,
        pub updated_at: i64,
    }
}

const THREAT_MODEL_COLUMNS: &str =
    "device_id, org_id, source, filename, original, model, revision, updated_by, updated_at";

row! {
    /// A device's risk register (`medsec-risk-register/1` as JSON).
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct RegisterRow {
        pub device_id: String,
        pub org_id: String,
        pub register: String,
        pub revision: i64,
        pub updated_by: String,
        pub updated_at: i64,
    }
}

const REGISTER_COLUMNS: &str = "device_id, org_id, register, revision, updated_by, updated_at";

row! {
    /// What one revision of a register changed.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct RegisterChangeRow {
        pub revision: i64,
        pub action: String,
        pub subject: String,
        pub summary: String,
        pub actor: String,
        pub at: i64,
    }
}

row! {
    /// A rubric questionnaire answered for one risk, with its result.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct RubricRow {
        pub id: String,
        pub org_id: String,
        pub device_id: String,
        pub risk_id: String,
        pub answers: String,
        pub vector: String,
        pub base_score: String,
        pub severity: String,
        pub rationale: String,
        pub created_by: String,
        pub created_at: i64,
    }
}

const RUBRIC_COLUMNS: &str = "id, org_id, device_id, risk_id, answers, vector, base_score, severity, rationale, created_by, created_at";

row! {
    /// An uploaded SARIF file of a test case: the evidence row holding the
    /// file and the parsed `ScanReport` as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ScanRow {
        pub id: String,
        pub org_id: String,
        pub device_id: String,
        pub test_id: String,
        pub tool: String,
        pub evidence_id: String,
        pub report: String,
        pub findings: i64,
        pub open_findings: i64,
        pub created_by: String,
        pub created_at: i64,
    }
}

const SCAN_COLUMNS: &str = "id, org_id, device_id, test_id, tool, evidence_id, report, findings, open_findings, created_by, created_at";

row! {
    /// Why an unresolved anomaly may stay (a `Justification` as JSON).
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct JustificationRow {
        pub device_id: String,
        pub anomaly: String,
        pub org_id: String,
        pub justification: String,
        pub updated_by: String,
        pub updated_at: i64,
    }
}

const JUSTIFICATION_COLUMNS: &str =
    "device_id, anomaly, org_id, justification, updated_by, updated_at";

row! {
    /// The release a device ships as its software.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct DeviceReleaseRow {
        pub device_id: String,
        pub org_id: String,
        pub release_id: String,
        pub linked_by: String,
        pub linked_at: i64,
    }
}

const DEVICE_RELEASE_COLUMNS: &str = "device_id, org_id, release_id, linked_by, linked_at";

row! {
    /// A device's lifecycle file as uploaded: `kind` is `tplc` (the TPLC
    /// cybersecurity management plan) or `support` (component support).
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct LifecycleRow {
        pub device_id: String,
        pub kind: String,
        pub org_id: String,
        pub filename: String,
        pub content: String,
        pub updated_by: String,
        pub updated_at: i64,
    }
}

const LIFECYCLE_COLUMNS: &str =
    "device_id, kind, org_id, filename, content, updated_by, updated_at";

/// A device's release with what its premarket documents need of it: the
/// product's name, the SBOM file, the components and the findings the
/// last match still finds (suppressed or not), with the release's VEX
/// statements.
#[derive(Clone, Debug)]
pub struct LinkedRelease {
    pub link: DeviceReleaseRow,
    pub release: ReleaseRow,
    pub product: String,
    /// The SBOM file's name and bytes, when the release has one.
    pub sbom: Option<(String, Vec<u8>)>,
    pub components: Vec<ComponentRow>,
    /// Findings in state `open` (a VEX statement may suppress them).
    pub findings: Vec<FindingRow>,
    pub statements: Vec<VexRow>,
}

/// A change of a register: the new document and what changed, with an
/// optional rubric assessment stored in the same transaction.
#[derive(Clone, Debug)]
pub struct RegisterSave {
    pub register: String,
    /// `edit`, `rebuild`, `upload`, `rubric`.
    pub action: String,
    /// The risk or control concerned, or `register`.
    pub subject: String,
    pub summary: String,
    pub actor_id: Option<String>,
    pub actor: String,
    pub rubric: Option<NewRubric>,
}

/// A rubric assessment to keep.
#[derive(Clone, Debug)]
pub struct NewRubric {
    pub risk_id: String,
    pub answers: String,
    pub vector: String,
    pub base_score: String,
    pub severity: String,
    pub rationale: String,
}

/// A parsed scan report to keep with its file.
#[derive(Clone, Debug)]
pub struct NewScan {
    pub test_id: String,
    pub tool: String,
    pub report: String,
    pub findings: i64,
    pub open_findings: i64,
    pub created_by: String,
}

/// Whether `device_id` is one of `org_id`'s devices, inside a transaction.
macro_rules! own_device {
    ($tx:expr, $org:expr, $device:expr) => {{
        let owned: Option<(String,)> =
            sqlx::query_as("SELECT id FROM devices WHERE org_id = $1 AND id = $2")
                .bind($org)
                .bind($device)
                .fetch_optional(&mut *$tx)
                .await
                .map_err(db("read device"))?;
        if owned.is_none() {
            return Err(StoreError::NotFound { what: "device" });
        }
    }};
}

impl Store {
    /// The imported threat model of a device, if one was imported.
    pub async fn threat_model(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Option<ThreatModelRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {THREAT_MODEL_COLUMNS} FROM threat_models WHERE org_id = $1 AND device_id = $2")))
            .bind(org_id).bind(device_id).fetch_optional(pool).await.map_err(db("read threat model")))
    }

    /// Keeps an imported threat model in place of the one derived from
    /// the profile (or of an earlier import).
    #[allow(clippy::too_many_arguments)]
    pub async fn put_threat_model(
        &self,
        org_id: &str,
        device_id: &str,
        filename: &str,
        original: &str,
        model: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<ThreatModelRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            sqlx::query("INSERT INTO threat_models (device_id, org_id, source, filename, original, model, revision, updated_by, updated_at) VALUES ($1, $2, 'threat-dragon', $3, $4, $5, 1, $6, $7) \
                         ON CONFLICT (device_id) DO UPDATE SET filename = excluded.filename, original = excluded.original, model = excluded.model, revision = threat_models.revision + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(device_id).bind(org_id).bind(filename).bind(original).bind(model).bind(by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("store threat model"))?;
            let row: ThreatModelRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {THREAT_MODEL_COLUMNS} FROM threat_models WHERE device_id = $1")))
                .bind(device_id).fetch_one(&mut *tx).await.map_err(db("read threat model"))?;
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit threat model"))?;
            Ok(row)
        })
    }

    /// Drops an imported threat model: the device's model is derived from
    /// its profile again. Returns whether there was one.
    pub async fn delete_threat_model(
        &self,
        org_id: &str,
        device_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let n = sqlx::query("DELETE FROM threat_models WHERE org_id = $1 AND device_id = $2")
                .bind(org_id).bind(device_id).execute(&mut *tx).await.map_err(db("delete threat model"))?.rows_affected();
            if n == 0 {
                tx.rollback().await.map_err(db("end threat model"))?;
                return Ok(false);
            }
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit threat model"))?;
            Ok(true)
        })
    }

    /// The stored register of a device; `None` until its first change.
    pub async fn risk_register(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Option<RegisterRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REGISTER_COLUMNS} FROM risk_registers WHERE org_id = $1 AND device_id = $2")))
            .bind(org_id).bind(device_id).fetch_optional(pool).await.map_err(db("read risk register")))
    }

    /// Saves a register if it is still at `revision` (0: not stored yet),
    /// with its change record, the rubric assessment it applies and the
    /// audit record, in one transaction.
    pub async fn save_risk_register(
        &self,
        org_id: &str,
        device_id: &str,
        revision: i64,
        save: &RegisterSave,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<RegisterRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let current: Option<(i64,)> = sqlx::query_as("SELECT revision FROM risk_registers WHERE org_id = $1 AND device_id = $2")
                .bind(org_id).bind(device_id).fetch_optional(&mut *tx).await.map_err(db("read risk register"))?;
            let stored = current.map_or(0, |(r,)| r);
            if stored != revision {
                return Err(StoreError::Conflict { what: "risk register (changed by someone else meanwhile; reload)" });
            }
            let next = stored + 1;
            if stored == 0 {
                sqlx::query("INSERT INTO risk_registers (device_id, org_id, register, revision, updated_by, updated_at) VALUES ($1, $2, $3, 1, $4, $5)")
                    .bind(device_id).bind(org_id).bind(&save.register).bind(&save.actor).bind(now.0)
                    .execute(&mut *tx).await.map_err(conflict_or("create risk register", "risk register (changed by someone else meanwhile; reload)"))?;
            } else {
                sqlx::query("UPDATE risk_registers SET register = $1, revision = $2, updated_by = $3, updated_at = $4 WHERE org_id = $5 AND device_id = $6 AND revision = $7")
                    .bind(&save.register).bind(next).bind(&save.actor).bind(now.0).bind(org_id).bind(device_id).bind(stored)
                    .execute(&mut *tx).await.map_err(db("update risk register"))?;
            }
            sqlx::query("INSERT INTO risk_register_changes (device_id, revision, action, subject, summary, actor_id, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(device_id).bind(next).bind(&save.action).bind(&save.subject).bind(&save.summary).bind(&save.actor_id).bind(&save.actor).bind(now.0)
                .execute(&mut *tx).await.map_err(db("record risk register change"))?;
            if let Some(r) = &save.rubric {
                sqlx::query("INSERT INTO rubric_assessments (id, org_id, device_id, risk_id, answers, vector, base_score, severity, rationale, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                    .bind(medsec_core::new_id()).bind(org_id).bind(device_id).bind(&r.risk_id).bind(&r.answers).bind(&r.vector)
                    .bind(&r.base_score).bind(&r.severity).bind(&r.rationale).bind(&save.actor).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("store rubric assessment"))?;
            }
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            let row: RegisterRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REGISTER_COLUMNS} FROM risk_registers WHERE device_id = $1")))
                .bind(device_id).fetch_one(&mut *tx).await.map_err(db("read risk register"))?;
            tx.commit().await.map_err(db("commit risk register"))?;
            Ok(row)
        })
    }

    /// The changes of a device's register, newest first.
    pub async fn risk_register_changes(
        &self,
        org_id: &str,
        device_id: &str,
        limit: i64,
    ) -> Result<Vec<RegisterChangeRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT c.revision, c.action, c.subject, c.summary, c.actor, c.at FROM risk_register_changes c JOIN risk_registers r ON r.device_id = c.device_id \
             WHERE r.org_id = $1 AND c.device_id = $2 ORDER BY c.revision DESC LIMIT {}", limit.clamp(1, 10_000))))
            .bind(org_id).bind(device_id).fetch_all(pool).await.map_err(db("read risk register changes")))
    }

    /// The rubric assessments of a device (of one risk), newest first.
    pub async fn rubric_assessments(
        &self,
        org_id: &str,
        device_id: &str,
        risk_id: Option<&str>,
    ) -> Result<Vec<RubricRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RUBRIC_COLUMNS} FROM rubric_assessments WHERE org_id = $1 AND device_id = $2 AND ($3 IS NULL OR risk_id = $3) ORDER BY created_at DESC, id")))
            .bind(org_id).bind(device_id).bind(risk_id).fetch_all(pool).await.map_err(db("list rubric assessments")))
    }

    /// Keeps an uploaded scan report: the file as evidence (once per
    /// content, as [`Store::put_evidence`] does) and the parsed report,
    /// with an audit record for each, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_scan_report(
        &self,
        org_id: &str,
        device_id: &str,
        file: &NewEvidence,
        scan: &NewScan,
        now: Timestamp,
        evidence_audit: AuditEntry,
        audit: AuditEntry,
    ) -> Result<(ScanRow, EvidenceRow)> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let existing: Option<EvidenceRow> = sqlx::query_as("SELECT id, org_id, sha256, filename, content_type, size, created_by, created_at FROM evidence WHERE org_id = $1 AND sha256 = $2")
                .bind(org_id).bind(&file.sha256).fetch_optional(&mut *tx).await.map_err(db("read evidence"))?;
            let evidence = match existing {
                Some(row) => row,
                None => {
                    let row = EvidenceRow {
                        id: medsec_core::new_id(),
                        org_id: org_id.to_owned(),
                        sha256: file.sha256.clone(),
                        filename: file.filename.clone(),
                        content_type: file.content_type.clone(),
                        size: file.content.len() as i64,
                        created_by: file.created_by.clone(),
                        created_at: now.0,
                    };
                    sqlx::query("INSERT INTO evidence (id, org_id, sha256, filename, content_type, size, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(&row.id).bind(org_id).bind(&row.sha256).bind(&row.filename).bind(&row.content_type).bind(row.size)
                        .bind(&file.content).bind(&row.created_by).bind(now.0)
                        .execute(&mut *tx).await.map_err(conflict_or("store evidence", "evidence"))?;
                    tx.append_audit(&evidence_audit.target("evidence", row.id.clone()).details(serde_json::json!({"filename": row.filename, "sha256": row.sha256, "size": row.size, "content_type": row.content_type})), pg).await?;
                    row
                }
            };
            let row = ScanRow {
                id: medsec_core::new_id(),
                org_id: org_id.to_owned(),
                device_id: device_id.to_owned(),
                test_id: scan.test_id.clone(),
                tool: scan.tool.clone(),
                evidence_id: evidence.id.clone(),
                report: scan.report.clone(),
                findings: scan.findings,
                open_findings: scan.open_findings,
                created_by: scan.created_by.clone(),
                created_at: now.0,
            };
            sqlx::query("INSERT INTO scan_reports (id, org_id, device_id, test_id, tool, evidence_id, report, findings, open_findings, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(&row.id).bind(org_id).bind(device_id).bind(&row.test_id).bind(&row.tool).bind(&row.evidence_id)
                .bind(&row.report).bind(row.findings).bind(row.open_findings).bind(&row.created_by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("store scan report"))?;
            tx.append_audit(&audit.target("device", device_id.to_owned()).details(serde_json::json!({"scan": row.id, "test": row.test_id, "tool": row.tool, "evidence": evidence.id, "sha256": evidence.sha256, "findings": row.findings, "open": row.open_findings})), pg).await?;
            tx.commit().await.map_err(db("commit scan report"))?;
            Ok((row, evidence))
        })
    }

    /// The scan reports of a device, oldest first.
    pub async fn scan_reports(&self, org_id: &str, device_id: &str) -> Result<Vec<ScanRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SCAN_COLUMNS} FROM scan_reports WHERE org_id = $1 AND device_id = $2 ORDER BY created_at, id")))
            .bind(org_id).bind(device_id).fetch_all(pool).await.map_err(db("list scan reports")))
    }

    /// One scan report of a device.
    pub async fn scan_report(
        &self,
        org_id: &str,
        device_id: &str,
        id: &str,
    ) -> Result<Option<ScanRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SCAN_COLUMNS} FROM scan_reports WHERE org_id = $1 AND device_id = $2 AND id = $3")))
            .bind(org_id).bind(device_id).bind(id).fetch_optional(pool).await.map_err(db("read scan report")))
    }

    /// Records (or replaces) the justification of an anomaly.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_justification(
        &self,
        org_id: &str,
        device_id: &str,
        anomaly: &str,
        justification: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<JustificationRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            sqlx::query("INSERT INTO anomaly_justifications (device_id, anomaly, org_id, justification, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (device_id, anomaly) DO UPDATE SET justification = excluded.justification, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(device_id).bind(anomaly).bind(org_id).bind(justification).bind(by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("store justification"))?;
            let row: JustificationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {JUSTIFICATION_COLUMNS} FROM anomaly_justifications WHERE device_id = $1 AND anomaly = $2")))
                .bind(device_id).bind(anomaly).fetch_one(&mut *tx).await.map_err(db("read justification"))?;
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit justification"))?;
            Ok(row)
        })
    }

    /// The justifications recorded for a device's anomalies.
    pub async fn justifications(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Vec<JustificationRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {JUSTIFICATION_COLUMNS} FROM anomaly_justifications WHERE org_id = $1 AND device_id = $2 ORDER BY anomaly")))
            .bind(org_id).bind(device_id).fetch_all(pool).await.map_err(db("list justifications")))
    }
    /// Links one of the organisation's releases to one of its devices as
    /// the device's software, replacing an earlier link. Another
    /// organisation's device or release is not found.
    pub async fn link_device_release(
        &self,
        org_id: &str,
        device_id: &str,
        release_id: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<DeviceReleaseRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let release: Option<(String,)> = sqlx::query_as("SELECT id FROM releases WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(release_id).fetch_optional(&mut *tx).await.map_err(db("read release"))?;
            if release.is_none() {
                return Err(StoreError::NotFound { what: "release" });
            }
            sqlx::query("INSERT INTO device_releases (device_id, org_id, release_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (device_id) DO UPDATE SET release_id = excluded.release_id, linked_by = excluded.linked_by, linked_at = excluded.linked_at")
                .bind(device_id).bind(org_id).bind(release_id).bind(by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("link device release"))?;
            let row: DeviceReleaseRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_RELEASE_COLUMNS} FROM device_releases WHERE org_id = $1 AND device_id = $2")))
                .bind(org_id).bind(device_id).fetch_one(&mut *tx).await.map_err(db("read device release"))?;
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit device release"))?;
            Ok(row)
        })
    }

    /// Removes a device's release link; returns whether there was one.
    pub async fn unlink_device_release(
        &self,
        org_id: &str,
        device_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let n = sqlx::query("DELETE FROM device_releases WHERE org_id = $1 AND device_id = $2")
                .bind(org_id).bind(device_id).execute(&mut *tx).await.map_err(db("unlink device release"))?.rows_affected();
            if n == 0 {
                tx.rollback().await.map_err(db("end device release"))?;
                return Ok(false);
            }
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit device release"))?;
            Ok(true)
        })
    }

    /// Stores a device's lifecycle file of `kind` (`tplc` or `support`),
    /// replacing the previous one, with its audit record.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_lifecycle_document(
        &self,
        org_id: &str,
        device_id: &str,
        kind: &str,
        filename: &str,
        content: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<LifecycleRow> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            sqlx::query("INSERT INTO device_lifecycle_documents (device_id, kind, org_id, filename, content, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (device_id, kind) DO UPDATE SET filename = excluded.filename, content = excluded.content, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(device_id).bind(kind).bind(org_id).bind(filename).bind(content).bind(by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("store lifecycle document"))?;
            let row: LifecycleRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {LIFECYCLE_COLUMNS} FROM device_lifecycle_documents WHERE org_id = $1 AND device_id = $2 AND kind = $3")))
                .bind(org_id).bind(device_id).bind(kind).fetch_one(&mut *tx).await.map_err(db("read lifecycle document"))?;
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit lifecycle document"))?;
            Ok(row)
        })
    }

    /// Removes a device's lifecycle file of `kind`; returns whether there
    /// was one (the audit record is written only then).
    pub async fn delete_lifecycle_document(
        &self,
        org_id: &str,
        device_id: &str,
        kind: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            own_device!(tx, org_id, device_id);
            let n = sqlx::query("DELETE FROM device_lifecycle_documents WHERE org_id = $1 AND device_id = $2 AND kind = $3")
                .bind(org_id).bind(device_id).bind(kind).execute(&mut *tx).await.map_err(db("remove lifecycle document"))?.rows_affected();
            if n == 0 {
                tx.rollback().await.map_err(db("end lifecycle document"))?;
                return Ok(false);
            }
            tx.append_audit(&audit.target("device", device_id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit lifecycle document"))?;
            Ok(true)
        })
    }

    /// A device's lifecycle files, by kind.
    pub async fn lifecycle_documents(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Vec<LifecycleRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {LIFECYCLE_COLUMNS} FROM device_lifecycle_documents WHERE org_id = $1 AND device_id = $2 ORDER BY kind")))
            .bind(org_id).bind(device_id).fetch_all(pool).await.map_err(db("list lifecycle documents")))
    }

    /// The link of a device to its release, if any.
    pub async fn device_release(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceReleaseRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_RELEASE_COLUMNS} FROM device_releases WHERE org_id = $1 AND device_id = $2")))
            .bind(org_id).bind(device_id).fetch_optional(pool).await.map_err(db("read device release")))
    }

    /// A device's release with its SBOM file, components, the findings
    /// the last match still finds and the VEX statements; `None` when the
    /// device has no release linked.
    pub async fn linked_release(
        &self,
        org_id: &str,
        device_id: &str,
    ) -> Result<Option<LinkedRelease>> {
        let Some(link) = self.device_release(org_id, device_id).await? else {
            return Ok(None);
        };
        let release = self
            .get_release(org_id, &link.release_id)
            .await?
            .ok_or(StoreError::NotFound { what: "release" })?;
        let product: Option<(String,)> = on!(self, pool => sqlx::query_as("SELECT name FROM products WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(&release.product_id).fetch_optional(pool).await.map_err(db("read product")))?;
        let sbom = self.release_sbom(org_id, &release.id).await?;
        let components = self.release_components(org_id, &release.id).await?;
        let findings = self
            .release_findings(org_id, &release.id)
            .await?
            .into_iter()
            .filter(|f| f.state == "open")
            .collect();
        let statements = self.release_vex(org_id, &release.id).await?;
        Ok(Some(LinkedRelease {
            link,
            product: product.map(|(n,)| n).unwrap_or_default(),
            release,
            sbom,
            components,
            findings,
            statements,
        }))
    }
}
