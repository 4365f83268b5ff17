//! Sector crisis levels (사이버 위기경보 단계): the history of the levels the
//! medical ISAC set, and each member's ticks on the checklist of the level
//! in force.
//!
//! Architecture invariant: setting a level writes the change, its audit
//! record, a notification for every enabled hospital and a
//! `crisis.level_changed` delivery for each of their webhooks (the outbox)
//! in one transaction, so members are told of every change exactly once.
//! A member's ticks are read and written under its own organisation id
//! ([`MemberScope`]); the ISAC reads every member's.

use medsec_core::Timestamp;
use medsec_core::crisis::Level;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::watch::MemberScope;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, db, on};

row! {
    /// One change of the sector level; the newest is in force.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct CrisisChangeRow {
        pub id: String,
        /// The order of changes, 1 for the first.
        pub seq: i64,
        pub level: String,
        pub reason: String,
        /// The ISAC organisation that set it.
        pub org_id: String,
        /// The user who set it; `None` for the command line.
        pub set_by_id: Option<String>,
        /// Their user name at the time, or `cli`.
        pub set_by: String,
        pub set_at: i64,
    }
}

impl CrisisChangeRow {
    /// The level (a stored name this build does not know reads as 정상,
    /// which the `CHECK` constraint rules out anyway).
    pub fn level(&self) -> Level {
        self.level.parse().unwrap_or_default()
    }
}

const CHANGE_COLUMNS: &str = "id, seq, level, reason, org_id, set_by_id, set_by, set_at";

row! {
    /// An action a member marked done for one change.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct CrisisTickRow {
        pub change_id: String,
        pub org_id: String,
        pub action_id: String,
        pub done_by_id: Option<String>,
        pub done_by: String,
        pub done_at: i64,
    }
}

const TICK_COLUMNS: &str = "change_id, org_id, action_id, done_by_id, done_by, done_at";

/// A level to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewCrisisLevel<'a> {
    pub level: Level,
    /// Checked by the caller (required, bounded).
    pub reason: &'a str,
    /// The ISAC organisation.
    pub org_id: &'a str,
    pub set_by_id: Option<&'a str>,
    pub set_by: &'a str,
}

/// What setting a level did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrisisSet {
    pub change: CrisisChangeRow,
    /// The level before (정상 when none was set).
    pub previous: Level,
    /// The hospitals notified.
    pub notified: usize,
    /// The webhook deliveries queued.
    pub deliveries: usize,
}

/// The notification kind and webhook event of a change.
pub const LEVEL_CHANGED: &str = "crisis.level_changed";

/// A tick or untick of one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrisisTick<'a> {
    /// The member hospital.
    pub org_id: &'a str,
    /// The change the member saw: refused if another is in force now.
    pub change_id: &'a str,
    pub action_id: &'a str,
    pub done: bool,
    pub by_id: Option<&'a str>,
    pub by: &'a str,
}

impl Store {
    /// The level in force: the newest change, `None` before the first.
    pub async fn crisis_current(&self) -> Result<Option<CrisisChangeRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHANGE_COLUMNS} FROM crisis_levels ORDER BY seq DESC LIMIT 1")))
            .fetch_optional(pool).await.map_err(db("read crisis level")))
    }

    /// The latest `limit` changes, newest first.
    pub async fn crisis_history(&self, limit: i64) -> Result<Vec<CrisisChangeRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHANGE_COLUMNS} FROM crisis_levels ORDER BY seq DESC LIMIT $1")))
            .bind(limit).fetch_all(pool).await.map_err(db("list crisis levels")))
    }

    /// Sets the sector level. In one transaction: the change (refused as
    /// [`StoreError::Conflict`] when it repeats the level in force with the
    /// same reason), its audit record, a notification for every enabled
    /// hospital and a delivery for each of their enabled webhooks.
    pub async fn set_crisis_level(
        &self,
        new: &NewCrisisLevel<'_>,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<CrisisSet> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if pg {
                // SQLite's BEGIN IMMEDIATE already serialises writers; on
                // PostgreSQL concurrent changes would read the same `seq`.
                sqlx::query("LOCK TABLE crisis_levels IN EXCLUSIVE MODE")
                    .execute(&mut *tx).await.map_err(db("lock crisis levels"))?;
            }
            let current: Option<CrisisChangeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHANGE_COLUMNS} FROM crisis_levels ORDER BY seq DESC LIMIT 1")))
                .fetch_optional(&mut *tx).await.map_err(db("read crisis level"))?;
            if current.as_ref().is_some_and(|c| c.level() == new.level && c.reason == new.reason) {
                return Err(StoreError::Conflict { what: "crisis level with this reason" });
            }
            let previous = current.as_ref().map_or(Level::Normal, CrisisChangeRow::level);
            let change = CrisisChangeRow {
                id: medsec_core::new_id(),
                seq: current.as_ref().map_or(1, |c| c.seq + 1),
                level: new.level.as_str().to_owned(),
                reason: new.reason.to_owned(),
                org_id: new.org_id.to_owned(),
                set_by_id: new.set_by_id.map(str::to_owned),
                set_by: new.set_by.to_owned(),
                set_at: now.0,
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO crisis_levels ({CHANGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")))
                .bind(&change.id).bind(change.seq).bind(&change.level).bind(&change.reason).bind(&change.org_id)
                .bind(&change.set_by_id).bind(&change.set_by).bind(change.set_at)
                .execute(&mut *tx).await.map_err(db("set crisis level"))?;
            tx.append_audit(&audit.target("crisis_level", change.id.clone()).details(serde_json::json!({
                "level": change.level, "previous": previous.as_str(), "reason": change.reason,
            })), pg).await?;
            let details = serde_json::json!({
                "level": change.level, "previous": previous.as_str(), "reason": change.reason,
            });
            let payload = serde_json::json!({
                "crisis": {
                    "id": change.id,
                    "level": change.level,
                    "name_ko": new.level.ko(),
                    "name_en": new.level.en(),
                    "reason": change.reason,
                    "since": now.rfc3339(),
                },
                "previous": previous.as_str(),
                "at": now.rfc3339(),
            });
            let hospitals: Vec<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE kind = 'hospital' AND enabled = $1 ORDER BY id")
                .bind(true).fetch_all(&mut *tx).await.map_err(db("list hospitals"))?;
            let mut deliveries = 0;
            for (org,) in &hospitals {
                sqlx::query("INSERT INTO notifications (id, org_id, kind, subject_id, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(medsec_core::new_id()).bind(org).bind(LEVEL_CHANGED).bind(&change.id).bind(details.to_string()).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("notify hospital"))?;
                let hooks: Vec<(String,)> = sqlx::query_as("SELECT id FROM webhooks WHERE org_id = $1 AND enabled <> 0 ORDER BY created_at, id")
                    .bind(org).fetch_all(&mut *tx).await.map_err(db("list webhooks"))?;
                for (hook,) in hooks {
                    let id = medsec_core::new_id();
                    let mut body = payload.clone();
                    if let Some(o) = body.as_object_mut() {
                        o.insert("delivery".into(), serde_json::Value::String(id.clone()));
                        o.insert("event".into(), serde_json::Value::String(LEVEL_CHANGED.to_owned()));
                    }
                    sqlx::query("INSERT INTO webhook_deliveries (id, webhook_id, org_id, event, payload, state, attempts, last_status, last_error, next_at, created_at, delivered_at) \
                        VALUES ($1, $2, $3, $4, $5, 'pending', 0, NULL, NULL, $6, $6, NULL)")
                        .bind(&id).bind(&hook).bind(org).bind(LEVEL_CHANGED).bind(body.to_string()).bind(now.0)
                        .execute(&mut *tx).await.map_err(db("queue delivery"))?;
                    deliveries += 1;
                }
            }
            tx.commit().await.map_err(db("commit crisis level"))?;
            Ok(CrisisSet { change, previous, notified: hospitals.len(), deliveries })
        })
    }

    /// The done actions of `change_id`: one member's, or every member's.
    pub async fn crisis_ticks(
        &self,
        scope: MemberScope<'_>,
        change_id: &str,
    ) -> Result<Vec<CrisisTickRow>> {
        let member = match scope {
            MemberScope::All => None,
            MemberScope::Member(m) => Some(m.to_owned()),
        };
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TICK_COLUMNS} FROM crisis_checklist WHERE change_id = $1 AND ($2 IS NULL OR org_id = $2) ORDER BY org_id, done_at, action_id")))
            .bind(change_id).bind(member).fetch_all(pool).await.map_err(db("list crisis checklist")))
    }

    /// Marks an action of the change in force done or not done for one
    /// member, with its audit record; `Ok(false)` when it already was.
    /// Refused as [`StoreError::Conflict`] when `change_id` is no longer
    /// the change in force (the ISAC changed the level meanwhile), and as
    /// [`StoreError::NotFound`] when there is no change at all.
    pub async fn tick_crisis_action(
        &self,
        tick: &CrisisTick<'_>,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Against a concurrent level change: the change in force is read
            // under a share lock that the change's exclusive lock waits for.
            if pg {
                sqlx::query("LOCK TABLE crisis_levels IN SHARE MODE")
                    .execute(&mut *tx).await.map_err(db("lock crisis levels"))?;
            }
            let current: Option<(String, String)> = sqlx::query_as("SELECT id, level FROM crisis_levels ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx).await.map_err(db("read crisis level"))?;
            let Some((current, level)) = current else {
                return Err(StoreError::NotFound { what: "crisis level" });
            };
            if current != tick.change_id {
                return Err(StoreError::Conflict { what: "crisis level change" });
            }
            let done = if tick.done {
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO crisis_checklist ({TICK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (change_id, org_id, action_id) DO NOTHING")))
                    .bind(tick.change_id).bind(tick.org_id).bind(tick.action_id).bind(tick.by_id).bind(tick.by).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("tick crisis action"))?
            } else {
                sqlx::query("DELETE FROM crisis_checklist WHERE change_id = $1 AND org_id = $2 AND action_id = $3")
                    .bind(tick.change_id).bind(tick.org_id).bind(tick.action_id)
                    .execute(&mut *tx).await.map_err(db("untick crisis action"))?
            };
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            tx.append_audit(&audit.target("crisis_action", tick.action_id.to_owned()).details(serde_json::json!({
                "change": tick.change_id, "level": level, "done": tick.done,
            })), pg).await?;
            tx.commit().await.map_err(db("commit crisis checklist"))?;
            Ok(true)
        })
    }
}
