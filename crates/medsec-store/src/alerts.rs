//! Watch: what live detection raised and what analysts did with it:
//! alerts (hits grouped per member and rule while open), their first hits,
//! triage, assignment and comments, suppressions (tuning), and the
//! detection checkpoint that makes every stored event evaluated once.
//!
//! Architecture invariant: the alerts raised by a slice of the event feed
//! and the feed position after it are written in one transaction
//! ([`Store::record_detections`]), so a crash repeats the slice's
//! evaluation or none of it, never half. Reads take a [`MemberScope`], so
//! a hospital's query cannot forget its own id.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::watch::MemberScope;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, db, on};

/// Records what a person did with an alert, inside the caller's
/// transaction (a macro: the transaction's type differs by backend).
macro_rules! insert_activity {
    ($tx:expr, $alert_id:expr, $audit:expr, $kind:expr, $detail:expr) => {
        sqlx::query("INSERT INTO alert_activity (id, alert_id, at, org_id, user_id, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(medsec_core::new_id())
            .bind($alert_id)
            .bind($audit.at.0)
            .bind($audit.org_id.clone().unwrap_or_default())
            .bind($audit.actor_id.clone())
            .bind($audit.actor.clone())
            .bind($kind)
            .bind($detail.to_string())
            .execute(&mut *$tx)
            .await
            .map_err(db("record alert activity"))?
    };
}

/// The hits kept per alert with their events; later hits are counted.
pub const MAX_HITS_KEPT: i64 = 20;

/// The states an alert moves through.
pub const STATES: &[&str] = &["new", "acknowledged", "investigating", "closed"];
/// How a closed alert was judged.
pub const RESOLUTIONS: &[&str] = &["true_positive", "false_positive"];
/// Alert severities, lowest first (Sigma's levels).
pub const SEVERITIES: &[&str] = &["informational", "low", "medium", "high", "critical"];

row! {
    /// Where live detection is (see the module documentation).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct DetectionStateRow {
        pub id: String,
        pub position: String,
        pub correlation_state: String,
        pub rules_digest: String,
        pub events: i64,
        pub hits: i64,
        pub updated_at: i64,
    }
}

row! {
    /// An alert.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct AlertRow {
        pub id: String,
        pub member_id: String,
        pub group_key: String,
        pub kind: String,
        pub rule_id: String,
        pub title: String,
        pub severity: String,
        /// JSON array of ATT&CK technique ids.
        pub attack: String,
        /// JSON array of the rule's tags.
        pub tags: String,
        pub rule_file: Option<String>,
        pub state: String,
        pub resolution: Option<String>,
        pub assignee_id: Option<String>,
        pub hits: i64,
        pub first_seen: i64,
        pub last_seen: i64,
        pub created_at: i64,
        pub acknowledged_at: Option<i64>,
        pub closed_at: Option<i64>,
        pub updated_at: i64,
    }
}

const ALERT_COLUMNS: &str = "id, member_id, group_key, kind, rule_id, title, severity, attack, tags, rule_file, state, resolution, assignee_id, hits, first_seen, last_seen, created_at, acknowledged_at, closed_at, updated_at";

row! {
    /// One kept hit of an alert.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct AlertHitRow {
        pub alert_id: String,
        pub seq: i64,
        pub event_id: String,
        pub received_at: i64,
        pub event_time: i64,
        /// JSON: what matched (fields, or the correlation's group).
        pub detail: String,
        /// JSON: the event.
        pub event: String,
    }
}

row! {
    /// Something a person did with an alert.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct AlertActivityRow {
        pub id: String,
        pub alert_id: String,
        pub at: i64,
        pub org_id: String,
        pub user_id: Option<String>,
        pub actor: String,
        /// `state`, `assign` or `comment`.
        pub kind: String,
        /// JSON: the new state and resolution, the assignee, or the text.
        pub detail: String,
    }
}

row! {
    /// A rule's hits that raise no alert, for one member or all.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct SuppressionRow {
        pub id: String,
        pub member_id: Option<String>,
        pub rule_id: String,
        pub reason: String,
        pub created_by: String,
        pub created_at: i64,
        pub expires_at: Option<i64>,
        pub suppressed: i64,
    }
}

/// A hit as live detection hands it to [`Store::record_detections`].
#[derive(Clone, Debug, PartialEq)]
pub struct NewHit {
    pub member_id: String,
    /// What hits are grouped by while the alert is open.
    pub group_key: String,
    pub kind: String,
    pub rule_id: String,
    pub title: String,
    pub severity: String,
    pub attack: Vec<String>,
    pub tags: Vec<String>,
    pub rule_file: Option<String>,
    pub event_id: String,
    pub received_at: i64,
    pub event_time: i64,
    pub detail: serde_json::Value,
    pub event: serde_json::Value,
}

/// The feed position after a slice of events, saved with its alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub id: String,
    pub position: String,
    pub correlation_state: String,
    pub rules_digest: String,
    /// Events evaluated in this slice.
    pub events: i64,
    pub at: Timestamp,
}

/// What recording a slice's hits did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Alerts opened (a notification and a webhook delivery each).
    pub created: Vec<AlertRow>,
    /// Open alerts that got more hits.
    pub updated: usize,
    /// Hits a suppression swallowed.
    pub suppressed: usize,
}

/// Which alerts a list shows.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// `open` = every state but closed.
    pub state: Option<String>,
    pub severity: Option<String>,
    pub member_id: Option<String>,
    pub rule_id: Option<String>,
    pub assignee_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Response times of alerts created in a period, per member or analyst.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ResponseTimes {
    /// The member id or the assignee's user id (empty: unassigned).
    pub key: String,
    pub alerts: i64,
    pub acknowledged: i64,
    /// Mean seconds from creation to acknowledgement.
    pub mtta_secs: Option<f64>,
    pub closed: i64,
    /// Mean seconds from creation to closing.
    pub mttr_secs: Option<f64>,
    pub true_positives: i64,
    pub false_positives: i64,
    /// Acknowledged later than the severity's target.
    pub late: i64,
}

/// Alerts, hits and judgements per rule.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RuleStats {
    pub rule_id: String,
    pub title: String,
    pub alerts: i64,
    pub hits: i64,
    pub open: i64,
    pub true_positives: i64,
    pub false_positives: i64,
}

/// The seconds within which an alert of a severity should be
/// acknowledged (the response-time targets).
pub fn ack_target_secs(severity: &str) -> i64 {
    match severity {
        "critical" => 15 * 60,
        "high" => 60 * 60,
        "medium" => 4 * 3600,
        "low" => 24 * 3600,
        _ => 72 * 3600,
    }
}

/// `CASE severity WHEN … THEN target_ms …` for SQL.
fn ack_target_case() -> String {
    let mut s = String::from("CASE a.severity");
    for sev in SEVERITIES {
        s.push_str(&format!(
            " WHEN '{sev}' THEN {}",
            ack_target_secs(sev) * 1000
        ));
    }
    s.push_str(" ELSE 0 END");
    s
}

impl Store {
    /// The detection checkpoint `id`, if detection ran before.
    pub async fn detection_state(&self, id: &str) -> Result<Option<DetectionStateRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, position, correlation_state, rules_digest, events, hits, updated_at FROM detection_state WHERE id = $1")
            .bind(id).fetch_optional(pool).await.map_err(db("read detection state")))
    }

    /// Records a slice's hits as alerts (grouped into the open alert of
    /// their group, or a new one with a notification and webhook
    /// deliveries for its member; suppressed hits counted) and the
    /// checkpoint after the slice, in one transaction.
    pub async fn record_detections(
        &self,
        hits: &[NewHit],
        checkpoint: &Checkpoint,
    ) -> Result<Recorded> {
        self.record(hits, Some(checkpoint), checkpoint.at).await
    }

    /// Records hits found outside the event stream (a webshell scan, a
    /// changed web page) as alerts, grouped, suppressed and notified as
    /// [`Store::record_detections`] does, in one transaction.
    pub async fn record_hits(&self, hits: &[NewHit], at: Timestamp) -> Result<Recorded> {
        self.record(hits, None, at).await
    }

    async fn record(
        &self,
        hits: &[NewHit],
        checkpoint: Option<&Checkpoint>,
        at: Timestamp,
    ) -> Result<Recorded> {
        let now = at.0;
        let mut out = Recorded::default();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let suppressions: Vec<(String, Option<String>, String)> = if hits.is_empty() {
                Vec::new()
            } else {
                sqlx::query_as("SELECT id, member_id, rule_id FROM alert_suppressions WHERE expires_at IS NULL OR expires_at > $1")
                    .bind(now).fetch_all(&mut *tx).await.map_err(db("read suppressions"))?
            };
            // Hits in order, grouped by key (a group's first hit decides
            // its alert's fields).
            let mut groups: Vec<(&str, Vec<&NewHit>)> = Vec::new();
            let mut suppressed: Vec<(String, i64)> = Vec::new();
            for h in hits {
                let sup = suppressions.iter().find(|(_, m, r)| {
                    *r == h.rule_id && m.as_deref().is_none_or(|m| m == h.member_id)
                });
                if let Some((id, ..)) = sup {
                    match suppressed.iter_mut().find(|(s, _)| s == id) {
                        Some((_, n)) => *n += 1,
                        None => suppressed.push((id.clone(), 1)),
                    }
                    out.suppressed += 1;
                    continue;
                }
                match groups.iter_mut().find(|(k, _)| *k == h.group_key) {
                    Some((_, v)) => v.push(h),
                    None => groups.push((&h.group_key, vec![h])),
                }
            }
            for (id, n) in &suppressed {
                sqlx::query("UPDATE alert_suppressions SET suppressed = suppressed + $1 WHERE id = $2")
                    .bind(n).bind(id).execute(&mut *tx).await.map_err(db("count suppressed hits"))?;
            }
            for (key, list) in groups {
                let n = list.len() as i64;
                let last = list.iter().map(|h| h.received_at).max().unwrap_or(now);
                let open: Option<(String, i64)> = sqlx::query_as("SELECT id, hits FROM alerts WHERE group_key = $1 AND state <> 'closed'")
                    .bind(key).fetch_optional(&mut *tx).await.map_err(db("find open alert"))?;
                let (alert_id, before) = match open {
                    Some((id, before)) => {
                        sqlx::query("UPDATE alerts SET hits = hits + $1, last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END, updated_at = $3 WHERE id = $4")
                            .bind(n).bind(last).bind(now).bind(&id)
                            .execute(&mut *tx).await.map_err(db("update alert"))?;
                        out.updated += 1;
                        (id, before)
                    }
                    None => {
                        let h = list[0];
                        let first = list.iter().map(|h| h.received_at).min().unwrap_or(now);
                        let row = AlertRow {
                            id: medsec_core::new_id(),
                            member_id: h.member_id.clone(),
                            group_key: key.to_owned(),
                            kind: h.kind.clone(),
                            rule_id: h.rule_id.clone(),
                            title: h.title.clone(),
                            severity: h.severity.clone(),
                            attack: serde_json::to_string(&h.attack).unwrap_or_else(|_| "[]".into()),
                            tags: serde_json::to_string(&h.tags).unwrap_or_else(|_| "[]".into()),
                            rule_file: h.rule_file.clone(),
                            state: "new".into(),
                            resolution: None,
                            assignee_id: None,
                            hits: n,
                            first_seen: first,
                            last_seen: last,
                            created_at: now,
                            acknowledged_at: None,
                            closed_at: None,
                            updated_at: now,
                        };
                        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)")))
                            .bind(&row.id).bind(&row.member_id).bind(&row.group_key).bind(&row.kind)
                            .bind(&row.rule_id).bind(&row.title).bind(&row.severity).bind(&row.attack)
                            .bind(&row.tags).bind(&row.rule_file).bind(&row.state).bind(&row.resolution)
                            .bind(&row.assignee_id).bind(row.hits).bind(row.first_seen).bind(row.last_seen)
                            .bind(row.created_at).bind(row.acknowledged_at).bind(row.closed_at).bind(row.updated_at)
                            .execute(&mut *tx).await.map_err(db("create alert"))?;
                        let details = serde_json::json!({
                            "alert": row.id, "title": row.title, "severity": row.severity,
                            "rule": row.rule_id, "attack": h.attack,
                        });
                        sqlx::query("INSERT INTO notifications (id, org_id, kind, subject_id, details, created_at) VALUES ($1, $2, 'alert.new', $3, $4, $5)")
                            .bind(medsec_core::new_id()).bind(&row.member_id).bind(&row.id).bind(details.to_string()).bind(now)
                            .execute(&mut *tx).await.map_err(db("notify member"))?;
                        let hooks: Vec<(String,)> = sqlx::query_as("SELECT id FROM webhooks WHERE org_id = $1 AND enabled = $2")
                            .bind(&row.member_id).bind(1_i64).fetch_all(&mut *tx).await.map_err(db("read webhooks"))?;
                        for (hook,) in hooks {
                            let delivery = medsec_core::new_id();
                            let mut body = details.clone();
                            if let Some(o) = body.as_object_mut() {
                                o.insert("delivery".into(), delivery.clone().into());
                                o.insert("event".into(), "alert.created".into());
                                o.insert("member".into(), row.member_id.clone().into());
                                o.insert("first_seen".into(), row.first_seen.into());
                            }
                            sqlx::query("INSERT INTO webhook_deliveries (id, webhook_id, org_id, event, payload, state, attempts, last_status, last_error, next_at, created_at, delivered_at) VALUES ($1, $2, $3, 'alert.created', $4, 'pending', 0, NULL, NULL, $5, $5, NULL)")
                                .bind(&delivery).bind(&hook).bind(&row.member_id).bind(body.to_string()).bind(now)
                                .execute(&mut *tx).await.map_err(db("queue alert delivery"))?;
                        }
                        let id = row.id.clone();
                        out.created.push(row);
                        (id, 0)
                    }
                };
                for (i, h) in list.iter().enumerate() {
                    let seq = before + 1 + i as i64;
                    if seq > MAX_HITS_KEPT {
                        break;
                    }
                    sqlx::query("INSERT INTO alert_hits (alert_id, seq, event_id, received_at, event_time, detail, event) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(&alert_id).bind(seq).bind(&h.event_id).bind(h.received_at).bind(h.event_time)
                        .bind(h.detail.to_string()).bind(h.event.to_string())
                        .execute(&mut *tx).await.map_err(db("keep alert hit"))?;
                }
            }
            let hit_count = (hits.len() - out.suppressed) as i64;
            if let Some(checkpoint) = checkpoint {
            sqlx::query("INSERT INTO detection_state (id, position, correlation_state, rules_digest, events, hits, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET position = excluded.position, correlation_state = excluded.correlation_state, rules_digest = excluded.rules_digest, events = detection_state.events + excluded.events, hits = detection_state.hits + excluded.hits, updated_at = excluded.updated_at")
                .bind(&checkpoint.id).bind(&checkpoint.position).bind(&checkpoint.correlation_state)
                .bind(&checkpoint.rules_digest).bind(checkpoint.events).bind(hit_count).bind(now)
                .execute(&mut *tx).await.map_err(db("save detection state"))?;
            }
            tx.commit().await.map_err(db("commit detections"))?;
        });
        Ok(out)
    }

    /// One alert in the caller's scope.
    pub async fn alert(&self, scope: MemberScope<'_>, id: &str) -> Result<Option<AlertRow>> {
        let member = scope.bind();
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1 AND ($2 IS NULL OR member_id = $2)")))
            .bind(id).bind(member).fetch_optional(pool).await.map_err(db("read alert")))
    }

    /// Alerts in the caller's scope, newest activity first, and how many
    /// match the filter in all.
    pub async fn alerts(
        &self,
        scope: MemberScope<'_>,
        filter: &AlertFilter,
    ) -> Result<(Vec<AlertRow>, i64)> {
        let member = scope.bind();
        let (state, open) = match filter.state.as_deref() {
            Some("open") => (None, true),
            s => (s.map(str::to_owned), false),
        };
        let cond = "($1 IS NULL OR member_id = $1) AND ($2 IS NULL OR state = $2) AND ($3 = FALSE OR state <> 'closed') AND ($4 IS NULL OR severity = $4) AND ($5 IS NULL OR member_id = $5) AND ($6 IS NULL OR rule_id = $6) AND ($7 IS NULL OR assignee_id = $7)";
        let limit = filter.limit.clamp(1, 500);
        let offset = filter.offset.max(0);
        on!(self, pool => {
            let rows: Vec<AlertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE {cond} ORDER BY last_seen DESC, id LIMIT $8 OFFSET $9")))
                .bind(&member).bind(&state).bind(open).bind(&filter.severity).bind(&filter.member_id)
                .bind(&filter.rule_id).bind(&filter.assignee_id).bind(limit).bind(offset)
                .fetch_all(pool).await.map_err(db("list alerts"))?;
            let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM alerts WHERE {cond}")))
                .bind(&member).bind(&state).bind(open).bind(&filter.severity).bind(&filter.member_id)
                .bind(&filter.rule_id).bind(&filter.assignee_id)
                .fetch_one(pool).await.map_err(db("count alerts"))?;
            Ok((rows, total))
        })
    }

    /// The kept hits of an alert the caller has already found in scope.
    pub async fn alert_hits(&self, alert_id: &str) -> Result<Vec<AlertHitRow>> {
        on!(self, pool => sqlx::query_as("SELECT alert_id, seq, event_id, received_at, event_time, detail, event FROM alert_hits WHERE alert_id = $1 ORDER BY seq")
            .bind(alert_id).fetch_all(pool).await.map_err(db("list alert hits")))
    }

    /// What people did with an alert the caller has already found in
    /// scope, oldest first.
    pub async fn alert_activity(&self, alert_id: &str) -> Result<Vec<AlertActivityRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, alert_id, at, org_id, user_id, actor, kind, detail FROM alert_activity WHERE alert_id = $1 ORDER BY at, id")
            .bind(alert_id).fetch_all(pool).await.map_err(db("list alert activity")))
    }

    /// Moves an alert to `state` (with a resolution when closed, which a
    /// reopened alert loses); the first move away from `new` is its
    /// acknowledgement. Audited in the same transaction.
    pub async fn set_alert_state(
        &self,
        id: &str,
        state: &str,
        resolution: Option<&str>,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let detail = serde_json::json!({"state": state, "resolution": resolution});
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE alerts SET state = $1, resolution = $2, acknowledged_at = CASE WHEN acknowledged_at IS NULL AND $1 <> 'new' THEN $3 ELSE acknowledged_at END, closed_at = CASE WHEN $1 = 'closed' THEN $3 ELSE NULL END, updated_at = $3 WHERE id = $4")
                .bind(state).bind(resolution).bind(now).bind(id)
                .execute(&mut *tx).await.map_err(|e| match e {
                    // Reopening while a newer alert of the group is open.
                    sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { what: "an open alert of the same rule and member" },
                    e => db("change alert state")(e),
                })?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "alert" });
            }
            insert_activity!(tx, id, audit, "state", detail);
            tx.append_audit(&audit.target("alert", id.to_owned()).details(detail), pg).await?;
            tx.commit().await.map_err(db("commit alert state"))?;
        });
        Ok(())
    }

    /// Assigns an alert to an analyst (or nobody). Audited.
    pub async fn assign_alert(
        &self,
        id: &str,
        assignee: Option<(&str, &str)>,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        let detail = serde_json::json!({
            "assignee": assignee.map(|a| a.0), "assignee_name": assignee.map(|a| a.1),
        });
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE alerts SET assignee_id = $1, updated_at = $2 WHERE id = $3")
                .bind(assignee.map(|a| a.0)).bind(now).bind(id)
                .execute(&mut *tx).await.map_err(db("assign alert"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "alert" });
            }
            insert_activity!(tx, id, audit, "assign", detail);
            tx.append_audit(&audit.target("alert", id.to_owned()).details(detail), pg).await?;
            tx.commit().await.map_err(db("commit assignment"))?;
        });
        Ok(())
    }

    /// Adds a comment to an alert. Audited (without the text).
    pub async fn comment_alert(&self, id: &str, body: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        let now = audit.at.0;
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE alerts SET updated_at = $1 WHERE id = $2")
                .bind(now).bind(id).execute(&mut *tx).await.map_err(db("touch alert"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "alert" });
            }
            insert_activity!(tx, id, audit, "comment", serde_json::json!({"text": body}));
            tx.append_audit(&audit.target("alert", id.to_owned()).details(serde_json::json!({"chars": body.chars().count()})), pg).await?;
            tx.commit().await.map_err(db("commit comment"))?;
        });
        Ok(())
    }

    /// Suppressions in force at `now` or later, and expired ones too when
    /// `all`.
    pub async fn suppressions(&self, now: Timestamp, all: bool) -> Result<Vec<SuppressionRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, member_id, rule_id, reason, created_by, created_at, expires_at, suppressed FROM alert_suppressions WHERE $1 OR expires_at IS NULL OR expires_at > $2 ORDER BY created_at DESC, id")
            .bind(all).bind(now.0).fetch_all(pool).await.map_err(db("list suppressions")))
    }

    /// Adds a suppression. Audited.
    pub async fn add_suppression(
        &self,
        member_id: Option<&str>,
        rule_id: &str,
        reason: &str,
        expires_at: Option<i64>,
        audit: AuditEntry,
    ) -> Result<String> {
        let pg = self.is_postgres();
        let id = medsec_core::new_id();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO alert_suppressions (id, member_id, rule_id, reason, created_by, created_at, expires_at, suppressed) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)")
                .bind(&id).bind(member_id).bind(rule_id).bind(reason).bind(&audit.actor).bind(audit.at.0).bind(expires_at)
                .execute(&mut *tx).await.map_err(db("add suppression"))?;
            tx.append_audit(&audit.target("alert_suppression", id.clone()).details(serde_json::json!({
                "member": member_id, "rule": rule_id, "reason": reason, "expires_at": expires_at,
            })), pg).await?;
            tx.commit().await.map_err(db("commit suppression"))?;
        });
        Ok(id)
    }

    /// Ends a suppression (it is kept, expired, for the record). Audited.
    pub async fn end_suppression(&self, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE alert_suppressions SET expires_at = $1 WHERE id = $2 AND (expires_at IS NULL OR expires_at > $1)")
                .bind(audit.at.0).bind(id).execute(&mut *tx).await.map_err(db("end suppression"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "suppression" });
            }
            tx.append_audit(&audit.target("alert_suppression", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit suppression"))?;
        });
        Ok(())
    }

    /// Response times of the alerts created since `since` in the scope,
    /// per member (`by_member`) or per assignee.
    pub async fn response_times(
        &self,
        scope: MemberScope<'_>,
        since: i64,
        by_member: bool,
    ) -> Result<Vec<ResponseTimes>> {
        let member = scope.bind();
        let key = if by_member {
            "a.member_id"
        } else {
            "COALESCE(a.assignee_id, '')"
        };
        let target = ack_target_case();
        let sql = format!(
            "SELECT {key} AS key, COUNT(*) AS alerts, \
             SUM(CASE WHEN a.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END) AS acknowledged, \
             CAST(AVG(CASE WHEN a.acknowledged_at IS NOT NULL THEN (a.acknowledged_at - a.created_at) / 1000.0 END) AS DOUBLE PRECISION) AS mtta_secs, \
             SUM(CASE WHEN a.state = 'closed' THEN 1 ELSE 0 END) AS closed, \
             CAST(AVG(CASE WHEN a.state = 'closed' THEN (a.closed_at - a.created_at) / 1000.0 END) AS DOUBLE PRECISION) AS mttr_secs, \
             SUM(CASE WHEN a.resolution = 'true_positive' THEN 1 ELSE 0 END) AS true_positives, \
             SUM(CASE WHEN a.resolution = 'false_positive' THEN 1 ELSE 0 END) AS false_positives, \
             SUM(CASE WHEN COALESCE(a.acknowledged_at, $3) - a.created_at > {target} THEN 1 ELSE 0 END) AS late \
             FROM alerts a WHERE ($1 IS NULL OR a.member_id = $1) AND a.created_at >= $2 \
             GROUP BY {key} ORDER BY {key}"
        );
        let now = Timestamp::now().0;
        on!(self, pool => {
            let rows: Vec<ResponseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&member).bind(since).bind(now).fetch_all(pool).await.map_err(db("alert response times"))?;
            Ok(rows.into_iter().map(ResponseRow::into_times).collect())
        })
    }

    /// Alerts, hits and judgements per rule since `since`.
    pub async fn rule_stats(&self, since: i64) -> Result<Vec<RuleStats>> {
        on!(self, pool => {
            let rows: Vec<RuleStatsRow> = sqlx::query_as("SELECT rule_id, MIN(title) AS title, COUNT(*) AS alerts, CAST(SUM(hits) AS BIGINT) AS hits, SUM(CASE WHEN state <> 'closed' THEN 1 ELSE 0 END) AS open, SUM(CASE WHEN resolution = 'true_positive' THEN 1 ELSE 0 END) AS true_positives, SUM(CASE WHEN resolution = 'false_positive' THEN 1 ELSE 0 END) AS false_positives FROM alerts WHERE last_seen >= $1 GROUP BY rule_id ORDER BY alerts DESC, rule_id")
                .bind(since).fetch_all(pool).await.map_err(db("rule statistics"))?;
            Ok(rows.into_iter().map(RuleStatsRow::into_stats).collect())
        })
    }
}

row! {
    /// Aggregates as the database gives them (sums of nothing are NULL).
    pub struct ResponseRow {
        pub key: String,
        pub alerts: i64,
        pub acknowledged: Option<i64>,
        pub mtta_secs: Option<f64>,
        pub closed: Option<i64>,
        pub mttr_secs: Option<f64>,
        pub true_positives: Option<i64>,
        pub false_positives: Option<i64>,
        pub late: Option<i64>,
    }
}

impl ResponseRow {
    fn into_times(self) -> ResponseTimes {
        ResponseTimes {
            key: self.key,
            alerts: self.alerts,
            acknowledged: self.acknowledged.unwrap_or(0),
            mtta_secs: self.mtta_secs,
            closed: self.closed.unwrap_or(0),
            mttr_secs: self.mttr_secs,
            true_positives: self.true_positives.unwrap_or(0),
            false_positives: self.false_positives.unwrap_or(0),
            late: self.late.unwrap_or(0),
        }
    }
}

row! {
    /// Per-rule aggregates as the database gives them.
    pub struct RuleStatsRow {
        pub rule_id: String,
        pub title: String,
        pub alerts: i64,
        pub hits: Option<i64>,
        pub open: Option<i64>,
        pub true_positives: Option<i64>,
        pub false_positives: Option<i64>,
    }
}

impl RuleStatsRow {
    fn into_stats(self) -> RuleStats {
        RuleStats {
            rule_id: self.rule_id,
            title: self.title,
            alerts: self.alerts,
            hits: self.hits.unwrap_or(0),
            open: self.open.unwrap_or(0),
            true_positives: self.true_positives.unwrap_or(0),
            false_positives: self.false_positives.unwrap_or(0),
        }
    }
}
