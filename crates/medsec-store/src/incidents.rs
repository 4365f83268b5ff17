//! Incidents (침해사고): opened by the ISAC (from alerts or on its own) or
//! reported by a hospital, with the response team's roles, a timeline,
//! the affected members and medical devices, linked alerts, tasks,
//! evidence files and issued reports.
//!
//! Architecture invariants:
//! - Every read goes through a [`Viewer`]: the owner organisation sees its
//!   incidents; the ISAC sees a hospital's incident once the hospital has
//!   reported it (`isac_shared_at`); a hospital sees an ISAC incident once
//!   it was shared with it (`incident_members.shared_at`). Nothing else,
//!   so a hospital never learns of another hospital's incidents.
//! - Every change writes its timeline entry (who, which organisation,
//!   when), touches `updated_at` and appends its audit record in the same
//!   transaction; the incident's row is locked first (`FOR UPDATE` on
//!   PostgreSQL, SQLite's writer lock) so timeline numbers never collide.
//! - Sharing writes the notification and the webhook deliveries for the
//!   organisation told, in the sharing's transaction (the outbox).
//! - Issued reports and evidence are immutable; each carries its SHA-256.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, db, on};

/// Incident categories.
pub const CATEGORIES: &[&str] = &[
    "malware",
    "ransomware",
    "intrusion",
    "webshell",
    "defacement",
    "ddos",
    "data_breach",
    "phishing",
    "account_compromise",
    "device_compromise",
    "other",
];

/// Severities, least first.
pub const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];

/// Statuses: the phases of ISO/IEC 27035 in order, then `rejected` (judged
/// not to be an incident).
pub const STATUSES: &[&str] = &[
    "reported",
    "assessing",
    "responding",
    "recovering",
    "lessons",
    "closed",
    "rejected",
];

/// Whether a status ends the incident.
pub fn is_final(status: &str) -> bool {
    matches!(status, "closed" | "rejected")
}

/// The response team's roles (ISO/IEC 27035, IMDRF N60 annex A).
pub const ROLES: &[&str] = &[
    "manager",
    "planning",
    "monitoring",
    "response",
    "execution",
    "analysis",
    "external",
];

/// The notification kind and webhook event of sharing an incident with a
/// member hospital.
pub const SHARED: &str = "incident.shared";
/// The notification kind and webhook event of a hospital reporting an
/// incident to the ISAC.
pub const REPORTED: &str = "incident.reported";

/// Who reads: an organisation, and whether it is the ISAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer<'a> {
    pub org_id: &'a str,
    pub isac: bool,
}

impl Viewer<'_> {
    /// The condition on `incidents i` under which this viewer sees a row;
    /// the viewer's organisation id is bound as `$1`.
    fn visible(self) -> &'static str {
        if self.isac {
            "(i.owner_org_id = $1 OR i.isac_shared_at IS NOT NULL)"
        } else {
            "(i.owner_org_id = $1 OR EXISTS (SELECT 1 FROM incident_members vm WHERE vm.incident_id = i.id AND vm.member_id = $1 AND vm.shared_at IS NOT NULL))"
        }
    }
}

row! {
    /// An incident.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentRow {
        pub id: String,
        pub owner_org_id: String,
        pub title: String,
        pub category: String,
        pub severity: String,
        pub status: String,
        pub summary: String,
        /// 피해 내용: what was affected and how.
        pub impact: String,
        /// 원인 분석.
        pub cause: String,
        /// 대응 및 복구: containment, eradication, recovery.
        pub response: String,
        /// 재발방지 대책.
        pub prevention: String,
        /// 교훈.
        pub lessons: String,
        pub detected_at: i64,
        /// When a hospital reported its incident to the ISAC.
        pub isac_shared_at: Option<i64>,
        pub created_by_id: Option<String>,
        pub created_by: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub closed_at: Option<i64>,
    }
}

const INCIDENT_COLUMNS: &str = "id, owner_org_id, title, category, severity, status, summary, impact, cause, response, prevention, lessons, detected_at, isac_shared_at, created_by_id, created_by, created_at, updated_at, closed_at";

fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

row! {
    /// A member an incident affects.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentMemberRow {
        pub incident_id: String,
        pub member_id: String,
        pub shared_at: Option<i64>,
        pub added_by: String,
        pub added_at: i64,
    }
}

row! {
    /// An affected medical device.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentDeviceRow {
        pub id: String,
        pub incident_id: String,
        pub member_id: String,
        pub inventory_device_id: Option<String>,
        pub asset_tag: String,
        pub model: String,
        pub manufacturer: String,
        pub note: String,
        /// The organisation that added it.
        pub org_id: String,
        pub added_by: String,
        pub added_at: i64,
    }
}

const DEVICE_COLUMNS: &str = "id, incident_id, member_id, inventory_device_id, asset_tag, model, manufacturer, note, org_id, added_by, added_at";

row! {
    /// A member of the response team.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentRoleRow {
        pub id: String,
        pub incident_id: String,
        pub role: String,
        /// The user, or `None` for an outside expert.
        pub user_id: Option<String>,
        pub name: String,
        pub org_id: Option<String>,
        pub contact: String,
        pub added_by: String,
        pub added_at: i64,
    }
}

const ROLE_COLUMNS: &str =
    "id, incident_id, role, user_id, name, org_id, contact, added_by, added_at";

row! {
    /// A task.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentTaskRow {
        pub id: String,
        pub incident_id: String,
        /// 1 for the incident's first task.
        pub seq: i64,
        pub title: String,
        /// The organisation responsible.
        pub org_id: String,
        pub assignee_id: Option<String>,
        pub due_at: Option<i64>,
        pub done_at: Option<i64>,
        pub done_by: Option<String>,
        pub created_by: String,
        pub created_at: i64,
    }
}

const TASK_COLUMNS: &str = "id, incident_id, seq, title, org_id, assignee_id, due_at, done_at, done_by, created_by, created_at";

row! {
    /// An evidence file without its content.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentEvidenceRow {
        pub id: String,
        pub incident_id: String,
        pub filename: String,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub description: String,
        pub org_id: String,
        pub uploaded_by: String,
        pub uploaded_at: i64,
    }
}

const EVIDENCE_COLUMNS: &str = "id, incident_id, filename, content_type, size, sha256, description, org_id, uploaded_by, uploaded_at";

row! {
    /// A timeline entry. `text` is what a person wrote (notes); changes
    /// carry their facts in `detail` (JSON) for the reader's language.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct TimelineRow {
        pub id: String,
        pub incident_id: String,
        pub seq: i64,
        /// When it happened (a note may say an earlier time).
        pub at: i64,
        pub kind: String,
        pub text: String,
        pub detail: String,
        pub org_id: Option<String>,
        pub actor: String,
        pub created_at: i64,
    }
}

const TIMELINE_COLUMNS: &str =
    "id, incident_id, seq, at, kind, text, detail, org_id, actor, created_at";

row! {
    /// An issued report without its PDF.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentReportRow {
        pub id: String,
        pub incident_id: String,
        pub version: i64,
        pub lang: String,
        /// The incident's status when the report was issued.
        pub status: String,
        pub size: i64,
        pub sha256: String,
        pub created_by: String,
        pub created_at: i64,
    }
}

const REPORT_COLUMNS: &str =
    "id, incident_id, version, lang, status, size, sha256, created_by, created_at";

row! {
    /// An alert linked to an incident, with what the incident page shows.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IncidentAlertRow {
        pub alert_id: String,
        pub member_id: String,
        pub rule_id: String,
        pub title: String,
        pub severity: String,
        pub state: String,
        pub attack: String,
        pub hits: i64,
        pub first_seen: i64,
        pub last_seen: i64,
        pub linked_by: String,
        pub linked_at: i64,
    }
}

/// An incident to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIncident {
    pub owner_org_id: String,
    pub title: String,
    pub category: String,
    pub severity: String,
    pub summary: String,
    pub detected_at: i64,
    pub created_by_id: Option<String>,
    /// Affected members (the owner itself for a hospital's incident).
    pub members: Vec<String>,
    /// Share with the members at once (the ISAC's incidents).
    pub share_members: bool,
    /// Report to the ISAC at once (a hospital's incidents).
    pub report_to_isac: bool,
    /// Alerts it is opened from (checked visible by the caller).
    pub alerts: Vec<String>,
}

/// Changes to an incident's fields; `None` keeps a field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncidentChanges {
    pub title: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub cause: Option<String>,
    pub response: Option<String>,
    pub prevention: Option<String>,
    pub lessons: Option<String>,
}

/// A device to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIncidentDevice {
    pub member_id: String,
    pub inventory_device_id: Option<String>,
    pub asset_tag: String,
    pub model: String,
    pub manufacturer: String,
    pub note: String,
}

/// A team member to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIncidentRole {
    pub role: String,
    pub user_id: Option<String>,
    pub name: String,
    pub org_id: Option<String>,
    pub contact: String,
}

/// A task to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIncidentTask {
    pub title: String,
    pub org_id: String,
    pub assignee_id: Option<String>,
    pub due_at: Option<i64>,
}

/// An evidence file to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIncidentEvidence {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub description: String,
    pub content: Vec<u8>,
}

/// Which incidents a list shows.
#[derive(Clone, Debug, Default)]
pub struct IncidentFilter {
    /// `open` = not closed or rejected; `None` = all.
    pub status: Option<String>,
    pub severity: Option<String>,
    /// Affecting this member.
    pub member_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Everything about one incident a page shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IncidentDetail {
    pub incident: IncidentRow,
    pub members: Vec<IncidentMemberRow>,
    pub devices: Vec<IncidentDeviceRow>,
    pub roles: Vec<IncidentRoleRow>,
    pub alerts: Vec<IncidentAlertRow>,
    pub tasks: Vec<IncidentTaskRow>,
    pub evidence: Vec<IncidentEvidenceRow>,
    pub timeline: Vec<TimelineRow>,
    pub reports: Vec<IncidentReportRow>,
}

/// A notification and webhook deliveries for one organisation, in a
/// transaction. Returns the deliveries queued.
macro_rules! tell {
    ($tx:expr, $org:expr, $kind:expr, $subject:expr, $details:expr, $payload:expr, $now:expr) => {{
        sqlx::query("INSERT INTO notifications (id, org_id, kind, subject_id, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(medsec_core::new_id()).bind($org).bind($kind).bind($subject).bind($details.to_string()).bind($now)
            .execute(&mut *$tx).await.map_err(db("notify organisation"))?;
        let hooks: Vec<(String,)> = sqlx::query_as("SELECT id FROM webhooks WHERE org_id = $1 AND enabled <> 0 ORDER BY created_at, id")
            .bind($org).fetch_all(&mut *$tx).await.map_err(db("list webhooks"))?;
        for (hook,) in &hooks {
            let id = medsec_core::new_id();
            let mut body = $payload.clone();
            if let Some(o) = body.as_object_mut() {
                o.insert("delivery".into(), serde_json::Value::String(id.clone()));
                o.insert("event".into(), serde_json::Value::String($kind.to_owned()));
            }
            sqlx::query("INSERT INTO webhook_deliveries (id, webhook_id, org_id, event, payload, state, attempts, last_status, last_error, next_at, created_at, delivered_at) \
                VALUES ($1, $2, $3, $4, $5, 'pending', 0, NULL, NULL, $6, $6, NULL)")
                .bind(&id).bind(hook).bind($org).bind($kind).bind(body.to_string()).bind($now)
                .execute(&mut *$tx).await.map_err(db("queue delivery"))?;
        }
        hooks.len()
    }};
}

/// Locks the incident's row for the transaction; `NotFound` if it is gone.
macro_rules! lock {
    ($tx:expr, $pg:expr, $id:expr) => {{
        let sql = if $pg {
            "SELECT id FROM incidents WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT id FROM incidents WHERE id = $1"
        };
        let found: Option<(String,)> = sqlx::query_as(sql)
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await
            .map_err(db("lock incident"))?;
        if found.is_none() {
            return Err(StoreError::NotFound { what: "incident" });
        }
    }};
}

/// Writes a timeline entry (the next number) and touches the incident.
macro_rules! entry {
    ($tx:expr, $incident:expr, $at:expr, $kind:expr, $text:expr, $detail:expr, $audit:expr) => {{
        let (seq,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_timeline WHERE incident_id = $1",
        )
        .bind($incident)
        .fetch_one(&mut *$tx)
        .await
        .map_err(db("number timeline entry"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO incident_timeline ({TIMELINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")))
            .bind(medsec_core::new_id()).bind($incident).bind(seq).bind($at).bind($kind).bind($text)
            .bind($detail.to_string()).bind(&$audit.org_id).bind(&$audit.actor).bind($audit.at.0)
            .execute(&mut *$tx).await.map_err(db("write timeline entry"))?;
        sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
            .bind($audit.at.0).bind($incident)
            .execute(&mut *$tx).await.map_err(db("touch incident"))?;
    }};
}

fn payload(incident: &IncidentRow, at: Timestamp) -> serde_json::Value {
    serde_json::json!({
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "category": incident.category,
            "severity": incident.severity,
            "status": incident.status,
            "detected_at": Timestamp(incident.detected_at).rfc3339(),
        },
        "at": at.rfc3339(),
    })
}

impl Store {
    /// Incidents the viewer sees, most recently changed first, and how many
    /// match in all.
    pub async fn incidents(
        &self,
        viewer: Viewer<'_>,
        filter: &IncidentFilter,
    ) -> Result<(Vec<IncidentRow>, i64)> {
        let mut cond = viewer.visible().to_owned();
        let status = match filter.status.as_deref() {
            Some("open") => {
                cond.push_str(" AND i.status NOT IN ('closed', 'rejected')");
                None
            }
            other => other.map(str::to_owned),
        };
        cond.push_str(" AND ($2 IS NULL OR i.status = $2) AND ($3 IS NULL OR i.severity = $3) AND ($4 IS NULL OR EXISTS (SELECT 1 FROM incident_members fm WHERE fm.incident_id = i.id AND fm.member_id = $4))");
        let columns = prefixed(INCIDENT_COLUMNS, "i");
        let list = format!(
            "SELECT {columns} FROM incidents i WHERE {cond} ORDER BY i.updated_at DESC, i.id LIMIT $5 OFFSET $6"
        );
        let count = format!("SELECT COUNT(*) FROM incidents i WHERE {cond}");
        let limit = if filter.limit <= 0 { 50 } else { filter.limit };
        on!(self, pool => {
            let rows: Vec<IncidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(viewer.org_id).bind(&status).bind(&filter.severity).bind(&filter.member_id)
                .bind(limit).bind(filter.offset.max(0))
                .fetch_all(pool).await.map_err(db("list incidents"))?;
            let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count))
                .bind(viewer.org_id).bind(&status).bind(&filter.severity).bind(&filter.member_id)
                .fetch_one(pool).await.map_err(db("count incidents"))?;
            Ok((rows, total))
        })
    }

    /// One incident, if the viewer sees it.
    pub async fn incident(&self, viewer: Viewer<'_>, id: &str) -> Result<Option<IncidentRow>> {
        let sql = format!(
            "SELECT {} FROM incidents i WHERE i.id = $2 AND {}",
            prefixed(INCIDENT_COLUMNS, "i"),
            viewer.visible()
        );
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(viewer.org_id).bind(id)
            .fetch_optional(pool).await.map_err(db("read incident")))
    }

    /// The incidents the viewer sees that an alert is linked to.
    pub async fn incidents_for_alert(
        &self,
        viewer: Viewer<'_>,
        alert_id: &str,
    ) -> Result<Vec<IncidentRow>> {
        let sql = format!(
            "SELECT {} FROM incidents i JOIN incident_alerts l ON l.incident_id = i.id WHERE l.alert_id = $2 AND {} ORDER BY i.created_at",
            prefixed(INCIDENT_COLUMNS, "i"),
            viewer.visible()
        );
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(viewer.org_id).bind(alert_id)
            .fetch_all(pool).await.map_err(db("list incidents of alert")))
    }

    /// Everything about an incident (the caller checked the viewer sees
    /// it).
    pub async fn incident_detail(&self, incident: IncidentRow) -> Result<IncidentDetail> {
        let id = incident.id.clone();
        on!(self, pool => {
            let members: Vec<IncidentMemberRow> = sqlx::query_as("SELECT incident_id, member_id, shared_at, added_by, added_at FROM incident_members WHERE incident_id = $1 ORDER BY added_at, member_id")
                .bind(&id).fetch_all(pool).await.map_err(db("list incident members"))?;
            let devices: Vec<IncidentDeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLUMNS} FROM incident_devices WHERE incident_id = $1 ORDER BY added_at, id")))
                .bind(&id).fetch_all(pool).await.map_err(db("list incident devices"))?;
            let roles: Vec<IncidentRoleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ROLE_COLUMNS} FROM incident_roles WHERE incident_id = $1 ORDER BY added_at, id")))
                .bind(&id).fetch_all(pool).await.map_err(db("list incident roles"))?;
            let alerts: Vec<IncidentAlertRow> = sqlx::query_as("SELECT a.id AS alert_id, a.member_id, a.rule_id, a.title, a.severity, a.state, a.attack, a.hits, a.first_seen, a.last_seen, l.linked_by, l.linked_at \
                FROM incident_alerts l JOIN alerts a ON a.id = l.alert_id WHERE l.incident_id = $1 ORDER BY a.first_seen, a.id")
                .bind(&id).fetch_all(pool).await.map_err(db("list incident alerts"))?;
            let tasks: Vec<IncidentTaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TASK_COLUMNS} FROM incident_tasks WHERE incident_id = $1 ORDER BY seq")))
                .bind(&id).fetch_all(pool).await.map_err(db("list incident tasks"))?;
            let evidence: Vec<IncidentEvidenceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM incident_evidence WHERE incident_id = $1 ORDER BY uploaded_at, id")))
                .bind(&id).fetch_all(pool).await.map_err(db("list incident evidence"))?;
            let timeline: Vec<TimelineRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TIMELINE_COLUMNS} FROM incident_timeline WHERE incident_id = $1 ORDER BY at, seq")))
                .bind(&id).fetch_all(pool).await.map_err(db("read incident timeline"))?;
            let reports: Vec<IncidentReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REPORT_COLUMNS} FROM incident_reports WHERE incident_id = $1 ORDER BY version")))
                .bind(&id).fetch_all(pool).await.map_err(db("list incident reports"))?;
            Ok(IncidentDetail { incident, members, devices, roles, alerts, tasks, evidence, timeline, reports })
        })
    }

    /// Opens an incident: the row, its members, its alerts, the timeline's
    /// first entries and the audit record in one transaction; sharing at
    /// once notifies as [`Store::share_incident`] and
    /// [`Store::report_incident`] do.
    pub async fn create_incident(
        &self,
        new: &NewIncident,
        audit: AuditEntry,
    ) -> Result<IncidentRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        let row = IncidentRow {
            id: medsec_core::new_id(),
            owner_org_id: new.owner_org_id.clone(),
            title: new.title.clone(),
            category: new.category.clone(),
            severity: new.severity.clone(),
            status: "reported".to_owned(),
            summary: new.summary.clone(),
            impact: String::new(),
            cause: String::new(),
            response: String::new(),
            prevention: String::new(),
            lessons: String::new(),
            detected_at: new.detected_at,
            isac_shared_at: new.report_to_isac.then_some(now),
            created_by_id: new.created_by_id.clone(),
            created_by: audit.actor.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
        };
        let id = row.id.clone();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")))
                .bind(&row.id).bind(&row.owner_org_id).bind(&row.title).bind(&row.category).bind(&row.severity).bind(&row.status)
                .bind(&row.summary).bind(&row.impact).bind(&row.cause).bind(&row.response).bind(&row.prevention).bind(&row.lessons)
                .bind(row.detected_at).bind(row.isac_shared_at).bind(&row.created_by_id).bind(&row.created_by)
                .bind(row.created_at).bind(row.updated_at).bind(row.closed_at)
                .execute(&mut *tx).await.map_err(db("open incident"))?;
            entry!(tx, &id, row.detected_at, "detected", "", serde_json::json!({}), audit);
            entry!(tx, &id, now, "opened", "", serde_json::json!({
                "title": row.title, "severity": row.severity, "category": row.category,
            }), audit);
            let mut members = new.members.clone();
            members.dedup();
            for m in &members {
                let shared = new.share_members.then_some(now);
                sqlx::query("INSERT INTO incident_members (incident_id, member_id, shared_at, added_by, added_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id).bind(m).bind(shared).bind(&audit.actor).bind(now)
                    .execute(&mut *tx).await.map_err(db("add incident member"))?;
                if m != &row.owner_org_id {
                    entry!(tx, &id, now, "member_added", "", serde_json::json!({"member_id": m}), audit);
                    if new.share_members {
                        entry!(tx, &id, now, "shared", "", serde_json::json!({"member_id": m}), audit);
                        tell!(tx, m, SHARED, &id, serde_json::json!({"title": row.title, "severity": row.severity}), payload(&row, audit.at), now);
                    }
                }
            }
            for a in &new.alerts {
                sqlx::query("INSERT INTO incident_alerts (incident_id, alert_id, linked_by, linked_at) VALUES ($1, $2, $3, $4)")
                    .bind(&id).bind(a).bind(&audit.actor).bind(now)
                    .execute(&mut *tx).await.map_err(db("link alert"))?;
                entry!(tx, &id, now, "alert_linked", "", serde_json::json!({"alert_id": a}), audit);
            }
            if new.report_to_isac {
                entry!(tx, &id, now, "reported", "", serde_json::json!({}), audit);
                let isacs: Vec<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE kind = 'isac' AND enabled = $1 ORDER BY id")
                    .bind(true).fetch_all(&mut *tx).await.map_err(db("list ISAC"))?;
                for (org,) in &isacs {
                    tell!(tx, org, REPORTED, &id, serde_json::json!({"title": row.title, "severity": row.severity}), payload(&row, audit.at), now);
                }
            }
            tx.append_audit(&audit.target("incident", id.clone()).details(serde_json::json!({
                "title": row.title, "severity": row.severity, "category": row.category,
                "members": members, "alerts": new.alerts, "shared_with_members": new.share_members,
                "reported_to_isac": new.report_to_isac,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident"))?;
        });
        Ok(row)
    }

    /// Changes an incident's fields; the status and severity changes and
    /// the fields edited go into the timeline. Returns the row after.
    pub async fn update_incident(
        &self,
        id: &str,
        changes: &IncidentChanges,
        audit: AuditEntry,
    ) -> Result<IncidentRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let mut row: IncidentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1")))
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read incident"))?;
            let before = row.clone();
            let mut edited = Vec::new();
            macro_rules! set {
                ($field:ident) => {
                    if let Some(v) = &changes.$field {
                        if *v != row.$field {
                            row.$field = v.clone();
                            edited.push(stringify!($field));
                        }
                    }
                };
            }
            set!(title);
            set!(category);
            set!(severity);
            set!(status);
            set!(summary);
            set!(impact);
            set!(cause);
            set!(response);
            set!(prevention);
            set!(lessons);
            if edited.is_empty() {
                return Ok(row);
            }
            if row.status != before.status {
                row.closed_at = is_final(&row.status).then_some(now);
            }
            row.updated_at = now;
            sqlx::query("UPDATE incidents SET title = $1, category = $2, severity = $3, status = $4, summary = $5, impact = $6, cause = $7, response = $8, prevention = $9, lessons = $10, closed_at = $11, updated_at = $12 WHERE id = $13")
                .bind(&row.title).bind(&row.category).bind(&row.severity).bind(&row.status).bind(&row.summary)
                .bind(&row.impact).bind(&row.cause).bind(&row.response).bind(&row.prevention).bind(&row.lessons)
                .bind(row.closed_at).bind(now).bind(id)
                .execute(&mut *tx).await.map_err(db("update incident"))?;
            if row.status != before.status {
                entry!(tx, id, now, "status", "", serde_json::json!({"from": before.status, "to": row.status}), audit);
            }
            if row.severity != before.severity {
                entry!(tx, id, now, "severity", "", serde_json::json!({"from": before.severity, "to": row.severity}), audit);
            }
            let fields: Vec<&str> = edited.iter().copied().filter(|f| *f != "status" && *f != "severity").collect();
            if !fields.is_empty() {
                entry!(tx, id, now, "edited", "", serde_json::json!({"fields": fields}), audit);
            }
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "fields": edited, "status": {"from": before.status, "to": row.status},
                "severity": {"from": before.severity, "to": row.severity},
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident change"))?;
            Ok(row)
        })
    }

    /// Adds an affected member (not shared yet). `false` if it was there.
    pub async fn add_incident_member(
        &self,
        id: &str,
        member_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let there: Option<(String,)> = sqlx::query_as("SELECT member_id FROM incident_members WHERE incident_id = $1 AND member_id = $2")
                .bind(id).bind(member_id).fetch_optional(&mut *tx).await.map_err(db("read incident member"))?;
            if there.is_some() {
                return Ok(false);
            }
            sqlx::query("INSERT INTO incident_members (incident_id, member_id, shared_at, added_by, added_at) VALUES ($1, $2, NULL, $3, $4)")
                .bind(id).bind(member_id).bind(&audit.actor).bind(now)
                .execute(&mut *tx).await.map_err(db("add incident member"))?;
            entry!(tx, id, now, "member_added", "", serde_json::json!({"member_id": member_id}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({"member_id": member_id})), pg).await?;
            tx.commit().await.map_err(db("commit incident member"))?;
            Ok(true)
        })
    }

    /// Shares an ISAC incident with one affected member: that member sees
    /// it from now on and is notified (UI and webhooks). `false` if it was
    /// shared already; `NotFound` if the member is not affected.
    pub async fn share_incident(
        &self,
        id: &str,
        member_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let m: Option<(Option<i64>,)> = sqlx::query_as("SELECT shared_at FROM incident_members WHERE incident_id = $1 AND member_id = $2")
                .bind(id).bind(member_id).fetch_optional(&mut *tx).await.map_err(db("read incident member"))?;
            match m {
                None => return Err(StoreError::NotFound { what: "affected member" }),
                Some((Some(_),)) => return Ok(false),
                Some((None,)) => {}
            }
            sqlx::query("UPDATE incident_members SET shared_at = $1 WHERE incident_id = $2 AND member_id = $3")
                .bind(now).bind(id).bind(member_id)
                .execute(&mut *tx).await.map_err(db("share incident"))?;
            let row: IncidentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1")))
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read incident"))?;
            entry!(tx, id, now, "shared", "", serde_json::json!({"member_id": member_id}), audit);
            tell!(tx, member_id, SHARED, id, serde_json::json!({"title": row.title, "severity": row.severity}), payload(&row, audit.at), now);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({"member_id": member_id})), pg).await?;
            tx.commit().await.map_err(db("commit incident sharing"))?;
            Ok(true)
        })
    }

    /// Reports a hospital's incident to the ISAC (신고): the ISAC sees it
    /// from now on and is notified. `false` if reported already.
    pub async fn report_incident(&self, id: &str, audit: AuditEntry) -> Result<bool> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let row: IncidentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1")))
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read incident"))?;
            if row.isac_shared_at.is_some() {
                return Ok(false);
            }
            sqlx::query("UPDATE incidents SET isac_shared_at = $1 WHERE id = $2")
                .bind(now).bind(id).execute(&mut *tx).await.map_err(db("report incident"))?;
            entry!(tx, id, now, "reported", "", serde_json::json!({}), audit);
            let isacs: Vec<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE kind = 'isac' AND enabled = $1 ORDER BY id")
                .bind(true).fetch_all(&mut *tx).await.map_err(db("list ISAC"))?;
            for (org,) in &isacs {
                tell!(tx, org, REPORTED, id, serde_json::json!({"title": row.title, "severity": row.severity}), payload(&row, audit.at), now);
            }
            tx.append_audit(&audit.target("incident", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit incident report"))?;
            Ok(true)
        })
    }

    /// Adds an affected medical device.
    pub async fn add_incident_device(
        &self,
        id: &str,
        device: &NewIncidentDevice,
        audit: AuditEntry,
    ) -> Result<IncidentDeviceRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        let row = IncidentDeviceRow {
            id: medsec_core::new_id(),
            incident_id: id.to_owned(),
            member_id: device.member_id.clone(),
            inventory_device_id: device.inventory_device_id.clone(),
            asset_tag: device.asset_tag.clone(),
            model: device.model.clone(),
            manufacturer: device.manufacturer.clone(),
            note: device.note.clone(),
            org_id: audit.org_id.clone().unwrap_or_default(),
            added_by: audit.actor.clone(),
            added_at: now,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO incident_devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")))
                .bind(&row.id).bind(&row.incident_id).bind(&row.member_id).bind(&row.inventory_device_id)
                .bind(&row.asset_tag).bind(&row.model).bind(&row.manufacturer).bind(&row.note)
                .bind(&row.org_id).bind(&row.added_by).bind(row.added_at)
                .execute(&mut *tx).await.map_err(db("add incident device"))?;
            entry!(tx, id, now, "device_added", "", serde_json::json!({
                "member_id": row.member_id, "asset_tag": row.asset_tag, "model": row.model, "manufacturer": row.manufacturer,
            }), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "device": row.id, "asset_tag": row.asset_tag, "model": row.model,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident device"))?;
        });
        Ok(row)
    }

    /// Adds a member of the response team.
    pub async fn add_incident_role(
        &self,
        id: &str,
        role: &NewIncidentRole,
        audit: AuditEntry,
    ) -> Result<IncidentRoleRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        let row = IncidentRoleRow {
            id: medsec_core::new_id(),
            incident_id: id.to_owned(),
            role: role.role.clone(),
            user_id: role.user_id.clone(),
            name: role.name.clone(),
            org_id: role.org_id.clone(),
            contact: role.contact.clone(),
            added_by: audit.actor.clone(),
            added_at: now,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO incident_roles ({ROLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")))
                .bind(&row.id).bind(&row.incident_id).bind(&row.role).bind(&row.user_id).bind(&row.name)
                .bind(&row.org_id).bind(&row.contact).bind(&row.added_by).bind(row.added_at)
                .execute(&mut *tx).await.map_err(db("add incident role"))?;
            entry!(tx, id, now, "role_added", "", serde_json::json!({"role": row.role, "name": row.name}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "role": row.role, "name": row.name, "user_id": row.user_id,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident role"))?;
        });
        Ok(row)
    }

    /// Removes a member of the response team. `NotFound` if not there.
    pub async fn remove_incident_role(
        &self,
        id: &str,
        role_id: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let row: Option<IncidentRoleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ROLE_COLUMNS} FROM incident_roles WHERE incident_id = $1 AND id = $2")))
                .bind(id).bind(role_id).fetch_optional(&mut *tx).await.map_err(db("read incident role"))?;
            let Some(row) = row else {
                return Err(StoreError::NotFound { what: "team member" });
            };
            sqlx::query("DELETE FROM incident_roles WHERE id = $1")
                .bind(role_id).execute(&mut *tx).await.map_err(db("remove incident role"))?;
            entry!(tx, id, now, "role_removed", "", serde_json::json!({"role": row.role, "name": row.name}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "role": row.role, "name": row.name, "user_id": row.user_id,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident role"))?;
            Ok(())
        })
    }

    /// Links an alert (the caller checked the viewer sees it). `false` if
    /// it was linked already.
    pub async fn link_incident_alert(
        &self,
        id: &str,
        alert_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let there: Option<(String,)> = sqlx::query_as("SELECT alert_id FROM incident_alerts WHERE incident_id = $1 AND alert_id = $2")
                .bind(id).bind(alert_id).fetch_optional(&mut *tx).await.map_err(db("read incident alert"))?;
            if there.is_some() {
                return Ok(false);
            }
            sqlx::query("INSERT INTO incident_alerts (incident_id, alert_id, linked_by, linked_at) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(alert_id).bind(&audit.actor).bind(now)
                .execute(&mut *tx).await.map_err(db("link alert"))?;
            entry!(tx, id, now, "alert_linked", "", serde_json::json!({"alert_id": alert_id}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({"alert_id": alert_id})), pg).await?;
            tx.commit().await.map_err(db("commit incident alert"))?;
            Ok(true)
        })
    }

    /// Adds a task (numbered in its incident).
    pub async fn add_incident_task(
        &self,
        id: &str,
        task: &NewIncidentTask,
        audit: AuditEntry,
    ) -> Result<IncidentTaskRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let (seq,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_tasks WHERE incident_id = $1")
                .bind(id).fetch_one(&mut *tx).await.map_err(db("number task"))?;
            let row = IncidentTaskRow {
                id: medsec_core::new_id(),
                incident_id: id.to_owned(),
                seq,
                title: task.title.clone(),
                org_id: task.org_id.clone(),
                assignee_id: task.assignee_id.clone(),
                due_at: task.due_at,
                done_at: None,
                done_by: None,
                created_by: audit.actor.clone(),
                created_at: now,
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO incident_tasks ({TASK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")))
                .bind(&row.id).bind(&row.incident_id).bind(row.seq).bind(&row.title).bind(&row.org_id)
                .bind(&row.assignee_id).bind(row.due_at).bind(row.done_at).bind(&row.done_by)
                .bind(&row.created_by).bind(row.created_at)
                .execute(&mut *tx).await.map_err(db("add incident task"))?;
            entry!(tx, id, now, "task_added", "", serde_json::json!({"seq": seq, "title": row.title, "org_id": row.org_id}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "task": row.id, "seq": seq, "title": row.title, "org_id": row.org_id, "assignee_id": row.assignee_id,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident task"))?;
            Ok(row)
        })
    }

    /// One task of an incident.
    pub async fn incident_task(&self, id: &str, task_id: &str) -> Result<Option<IncidentTaskRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TASK_COLUMNS} FROM incident_tasks WHERE incident_id = $1 AND id = $2")))
            .bind(id).bind(task_id).fetch_optional(pool).await.map_err(db("read incident task")))
    }

    /// Marks a task done or not done. `false` if it already was.
    pub async fn set_incident_task_done(
        &self,
        id: &str,
        task_id: &str,
        done: bool,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let row: Option<IncidentTaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TASK_COLUMNS} FROM incident_tasks WHERE incident_id = $1 AND id = $2")))
                .bind(id).bind(task_id).fetch_optional(&mut *tx).await.map_err(db("read incident task"))?;
            let Some(row) = row else {
                return Err(StoreError::NotFound { what: "task" });
            };
            if row.done_at.is_some() == done {
                return Ok(false);
            }
            let (at, by) = if done { (Some(now), Some(audit.actor.clone())) } else { (None, None) };
            sqlx::query("UPDATE incident_tasks SET done_at = $1, done_by = $2 WHERE id = $3")
                .bind(at).bind(&by).bind(task_id)
                .execute(&mut *tx).await.map_err(db("update incident task"))?;
            let kind = if done { "task_done" } else { "task_reopened" };
            entry!(tx, id, now, kind, "", serde_json::json!({"seq": row.seq, "title": row.title}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "task": row.id, "seq": row.seq, "done": done,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident task"))?;
            Ok(true)
        })
    }

    /// Keeps an evidence file.
    pub async fn add_incident_evidence(
        &self,
        id: &str,
        file: &NewIncidentEvidence,
        audit: AuditEntry,
    ) -> Result<IncidentEvidenceRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        let row = IncidentEvidenceRow {
            id: medsec_core::new_id(),
            incident_id: id.to_owned(),
            filename: file.filename.clone(),
            content_type: file.content_type.clone(),
            size: file.content.len() as i64,
            sha256: file.sha256.clone(),
            description: file.description.clone(),
            org_id: audit.org_id.clone().unwrap_or_default(),
            uploaded_by: audit.actor.clone(),
            uploaded_at: now,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            sqlx::query("INSERT INTO incident_evidence (id, incident_id, filename, content_type, size, sha256, content, description, org_id, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(&row.id).bind(&row.incident_id).bind(&row.filename).bind(&row.content_type).bind(row.size)
                .bind(&row.sha256).bind(&file.content).bind(&row.description).bind(&row.org_id)
                .bind(&row.uploaded_by).bind(row.uploaded_at)
                .execute(&mut *tx).await.map_err(db("keep incident evidence"))?;
            entry!(tx, id, now, "evidence_added", "", serde_json::json!({
                "filename": row.filename, "sha256": row.sha256, "size": row.size,
            }), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "evidence": row.id, "filename": row.filename, "sha256": row.sha256, "size": row.size,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident evidence"))?;
        });
        Ok(row)
    }

    /// An evidence file with its content.
    pub async fn incident_evidence(
        &self,
        id: &str,
        evidence_id: &str,
    ) -> Result<Option<(IncidentEvidenceRow, Vec<u8>)>> {
        on!(self, pool => {
            let meta: Option<IncidentEvidenceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM incident_evidence WHERE incident_id = $1 AND id = $2")))
                .bind(id).bind(evidence_id).fetch_optional(pool).await.map_err(db("read incident evidence"))?;
            let Some(meta) = meta else { return Ok(None) };
            let (content,): (Vec<u8>,) = sqlx::query_as("SELECT content FROM incident_evidence WHERE id = $1")
                .bind(evidence_id).fetch_one(pool).await.map_err(db("read incident evidence"))?;
            Ok(Some((meta, content)))
        })
    }

    /// A note on the timeline: what happened at `at`, in the writer's
    /// words.
    pub async fn add_incident_note(
        &self,
        id: &str,
        at: i64,
        text: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            entry!(tx, id, at, "note", text, serde_json::json!({}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "at": Timestamp(at).rfc3339(), "chars": text.chars().count(),
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident note"))?;
            Ok(())
        })
    }

    /// Keeps an issued report (the next version).
    pub async fn add_incident_report(
        &self,
        id: &str,
        lang: &str,
        pdf: &[u8],
        sha256: &str,
        audit: AuditEntry,
    ) -> Result<IncidentReportRow> {
        let now = audit.at.0;
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock!(tx, pg, id);
            let (version,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM incident_reports WHERE incident_id = $1")
                .bind(id).fetch_one(&mut *tx).await.map_err(db("number report"))?;
            let (status,): (String,) = sqlx::query_as("SELECT status FROM incidents WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await.map_err(db("read incident"))?;
            let row = IncidentReportRow {
                id: medsec_core::new_id(),
                incident_id: id.to_owned(),
                version,
                lang: lang.to_owned(),
                status,
                size: pdf.len() as i64,
                sha256: sha256.to_owned(),
                created_by: audit.actor.clone(),
                created_at: now,
            };
            sqlx::query("INSERT INTO incident_reports (id, incident_id, version, lang, status, size, sha256, pdf, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&row.id).bind(id).bind(version).bind(&row.lang).bind(&row.status).bind(row.size)
                .bind(&row.sha256).bind(pdf).bind(&row.created_by).bind(now)
                .execute(&mut *tx).await.map_err(db("keep incident report"))?;
            entry!(tx, id, now, "report_issued", "", serde_json::json!({"version": version, "sha256": row.sha256, "lang": lang}), audit);
            tx.append_audit(&audit.target("incident", id.to_owned()).details(serde_json::json!({
                "report": row.id, "version": version, "sha256": row.sha256, "size": row.size,
            })), pg).await?;
            tx.commit().await.map_err(db("commit incident report"))?;
            Ok(row)
        })
    }

    /// An issued report with its PDF.
    pub async fn incident_report(
        &self,
        id: &str,
        report_id: &str,
    ) -> Result<Option<(IncidentReportRow, Vec<u8>)>> {
        on!(self, pool => {
            let meta: Option<IncidentReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {REPORT_COLUMNS} FROM incident_reports WHERE incident_id = $1 AND id = $2")))
                .bind(id).bind(report_id).fetch_optional(pool).await.map_err(db("read incident report"))?;
            let Some(meta) = meta else { return Ok(None) };
            let (pdf,): (Vec<u8>,) = sqlx::query_as("SELECT pdf FROM incident_reports WHERE id = $1")
                .bind(report_id).fetch_one(pool).await.map_err(db("read incident report"))?;
            Ok(Some((meta, pdf)))
        })
    }
}
