//! Between manufacturers and hospitals: releases a manufacturer shares
//! with a hospital, the hospital's device inventory and its exposure, and
//! what organisations are told (notifications in the UI, webhooks).
//!
//! Architecture invariant: a hospital reads a manufacturer's release, its
//! findings and VEX only through a share row naming the hospital; every
//! function takes the caller's organisation.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::releases::FindingRow;
use crate::vex::VexRow;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, on};

row! {
    /// A release as a hospital sees it through a share.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct SharedReleaseRow {
        pub release_id: String,
        pub manufacturer_id: String,
        pub manufacturer: String,
        pub product: String,
        pub version: String,
        pub support_until: Option<String>,
        pub shared_at: i64,
    }
}

row! {
    /// A hospital a release is shared with.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ShareRow {
        pub org_id: String,
        pub org_name: String,
        pub shared_by: String,
        pub created_at: i64,
    }
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct InventoryDeviceRow {
        pub id: String,
        pub org_id: String,
        pub asset_tag: String,
        pub model: String,
        pub manufacturer: Option<String>,
        pub version: Option<String>,
        pub release_id: Option<String>,
        pub location: Option<String>,
        pub segment: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const DEVICE_COLUMNS: &str = "id, org_id, asset_tag, model, manufacturer, version, release_id, location, segment, created_at, updated_at";

/// A device to add to an inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInventoryDevice {
    pub asset_tag: String,
    pub model: String,
    pub manufacturer: Option<String>,
    pub version: Option<String>,
    /// A release shared with the hospital.
    pub release_id: Option<String>,
    pub location: Option<String>,
    pub segment: Option<String>,
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct NotificationRow {
        pub id: String,
        pub org_id: String,
        pub kind: String,
        pub subject_id: Option<String>,
        pub details: String,
        pub created_at: i64,
        pub read_at: Option<i64>,
    }
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct WebhookRow {
        pub id: String,
        pub org_id: String,
        pub url: String,
        #[serde(skip)]
        pub secret: String,
        pub created_by: String,
        pub created_at: i64,
        pub enabled: bool,
    }
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct DeliveryRow {
        pub id: String,
        pub webhook_id: String,
        pub org_id: String,
        pub event: String,
        pub payload: String,
        pub state: String,
        pub attempts: i64,
        pub last_status: Option<i64>,
        pub last_error: Option<String>,
        pub next_at: i64,
        pub created_at: i64,
        pub delivered_at: Option<i64>,
    }
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, org_id, event, payload, state, attempts, last_status, last_error, next_at, created_at, delivered_at";

/// How often a delivery is tried before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;

impl Store {
    /// Shares a release of `org_id` with a hospital (idempotent; audited
    /// once), and tells the hospital.
    pub async fn share_release(
        &self,
        org_id: &str,
        release_id: &str,
        hospital_id: &str,
        shared_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<bool> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let release: Option<(String, String)> = sqlx::query_as("SELECT r.version, p.name FROM releases r JOIN products p ON p.id = r.product_id WHERE r.org_id = $1 AND r.id = $2")
                .bind(org_id).bind(release_id).fetch_optional(&mut *tx).await.map_err(db("read release"))?;
            let Some((version, product)) = release else {
                return Err(StoreError::NotFound { what: "release" });
            };
            let hospital: Option<(String,)> = sqlx::query_as("SELECT name FROM organizations WHERE id = $1 AND kind = 'hospital' AND enabled = $2")
                .bind(hospital_id).bind(true).fetch_optional(&mut *tx).await.map_err(db("read hospital"))?;
            if hospital.is_none() {
                return Err(StoreError::NotFound { what: "hospital" });
            }
            let done = sqlx::query("INSERT INTO release_shares (release_id, org_id, shared_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (release_id, org_id) DO NOTHING")
                .bind(release_id).bind(hospital_id).bind(shared_by).bind(now.0)
                .execute(&mut *tx).await.map_err(db("share release"))?;
            let new = done.rows_affected() > 0;
            if new {
                tx.append_audit(&audit.target("release", release_id.to_owned()).details(serde_json::json!({"hospital": hospital_id, "product": product, "version": version})), pg).await?;
                sqlx::query("INSERT INTO notifications (id, org_id, kind, subject_id, details, created_at) VALUES ($1, $2, 'release.shared', $3, $4, $5)")
                    .bind(medsec_core::new_id()).bind(hospital_id).bind(release_id)
                    .bind(serde_json::json!({"product": product, "version": version, "manufacturer": org_id}).to_string()).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("notify hospital"))?;
            }
            tx.commit().await.map_err(db("commit share"))?;
            Ok(new)
        })
    }

    /// The hospitals a release of `org_id` is shared with.
    pub async fn release_shares(&self, org_id: &str, release_id: &str) -> Result<Vec<ShareRow>> {
        on!(self, pool => sqlx::query_as("SELECT s.org_id, o.name AS org_name, s.shared_by, s.created_at FROM release_shares s JOIN releases r ON r.id = s.release_id JOIN organizations o ON o.id = s.org_id \
            WHERE r.org_id = $1 AND s.release_id = $2 ORDER BY o.name")
            .bind(org_id).bind(release_id).fetch_all(pool).await.map_err(db("list shares")))
    }

    /// Every release shared with hospital `org_id`.
    pub async fn shared_releases(&self, org_id: &str) -> Result<Vec<SharedReleaseRow>> {
        on!(self, pool => sqlx::query_as("SELECT r.id AS release_id, m.id AS manufacturer_id, m.name AS manufacturer, p.name AS product, r.version, r.support_until, s.created_at AS shared_at \
            FROM release_shares s JOIN releases r ON r.id = s.release_id JOIN products p ON p.id = r.product_id JOIN organizations m ON m.id = r.org_id \
            WHERE s.org_id = $1 ORDER BY m.name, p.name, r.created_at")
            .bind(org_id).fetch_all(pool).await.map_err(db("list shared releases")))
    }

    /// One release shared with hospital `org_id`.
    pub async fn shared_release(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Option<SharedReleaseRow>> {
        on!(self, pool => sqlx::query_as("SELECT r.id AS release_id, m.id AS manufacturer_id, m.name AS manufacturer, p.name AS product, r.version, r.support_until, s.created_at AS shared_at \
            FROM release_shares s JOIN releases r ON r.id = s.release_id JOIN products p ON p.id = r.product_id JOIN organizations m ON m.id = r.org_id \
            WHERE s.org_id = $1 AND s.release_id = $2")
            .bind(org_id).bind(release_id).fetch_optional(pool).await.map_err(db("read shared release")))
    }

    /// The findings of a release shared with hospital `org_id` (every
    /// state, with the VEX status), and the manufacturer's statements.
    pub async fn shared_findings(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<(Vec<FindingRow>, Vec<VexRow>)> {
        let Some(shared) = self.shared_release(org_id, release_id).await? else {
            return Err(StoreError::NotFound { what: "release" });
        };
        // Read on the manufacturer's behalf, which the share allows.
        let findings = self
            .release_findings(&shared.manufacturer_id, release_id)
            .await?;
        let vex = self
            .release_vex(&shared.manufacturer_id, release_id)
            .await?;
        Ok((findings, vex))
    }

    /// The components of a release shared with hospital `org_id`.
    pub async fn shared_components(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Vec<crate::releases::ComponentRow>> {
        let Some(shared) = self.shared_release(org_id, release_id).await? else {
            return Err(StoreError::NotFound { what: "release" });
        };
        self.release_components(&shared.manufacturer_id, release_id)
            .await
    }

    /// The SBOM file of a release shared with hospital `org_id`.
    pub async fn shared_sbom(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let Some(shared) = self.shared_release(org_id, release_id).await? else {
            return Err(StoreError::NotFound { what: "release" });
        };
        self.release_sbom(&shared.manufacturer_id, release_id).await
    }

    /// The SBOM file (name, bytes) a release was registered with.
    pub async fn release_sbom(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        on!(self, pool => sqlx::query_as("SELECT s.filename, s.content FROM releases r JOIN sboms s ON s.id = r.sbom_id WHERE r.org_id = $1 AND r.id = $2")
            .bind(org_id).bind(release_id).fetch_optional(pool).await.map_err(db("read sbom")))
    }

    /// Adds a device to hospital `org_id`'s inventory (audited). A
    /// release, when given, must be shared with the hospital.
    pub async fn add_inventory_device(
        &self,
        org_id: &str,
        new: &NewInventoryDevice,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<InventoryDeviceRow> {
        let pg = self.is_postgres();
        let row = InventoryDeviceRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            asset_tag: new.asset_tag.clone(),
            model: new.model.clone(),
            manufacturer: new.manufacturer.clone(),
            version: new.version.clone(),
            release_id: new.release_id.clone(),
            location: new.location.clone(),
            segment: new.segment.clone(),
            created_at: now.0,
            updated_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(release) = &new.release_id {
                let shared: Option<(String,)> = sqlx::query_as("SELECT release_id FROM release_shares WHERE org_id = $1 AND release_id = $2")
                    .bind(org_id).bind(release).fetch_optional(&mut *tx).await.map_err(db("read share"))?;
                if shared.is_none() {
                    return Err(StoreError::NotFound { what: "release" });
                }
            }
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO inventory_devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")))
                .bind(&row.id).bind(org_id).bind(&row.asset_tag).bind(&row.model).bind(&row.manufacturer).bind(&row.version)
                .bind(&row.release_id).bind(&row.location).bind(&row.segment).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("add device", "device with this asset tag"))?;
            tx.append_audit(&audit.target("inventory_device", row.id.clone()).details(serde_json::json!({"asset_tag": row.asset_tag, "model": row.model, "release": row.release_id})), pg).await?;
            tx.commit().await.map_err(db("commit device"))?;
        });
        Ok(row)
    }

    pub async fn inventory(&self, org_id: &str) -> Result<Vec<InventoryDeviceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLUMNS} FROM inventory_devices WHERE org_id = $1 ORDER BY asset_tag")))
            .bind(org_id).fetch_all(pool).await.map_err(db("list inventory")))
    }

    pub async fn remove_inventory_device(
        &self,
        org_id: &str,
        id: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM inventory_devices WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("remove device"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "device" });
            }
            tx.append_audit(&audit.target("inventory_device", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit device removal"))?;
        });
        Ok(())
    }

    /// The hospitals whose inventory holds a device running `release_id`
    /// or which the release is shared with, for notifications.
    pub async fn release_audience(&self, release_id: &str) -> Result<Vec<String>> {
        on!(self, pool => {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT org_id FROM release_shares WHERE release_id = $1 ORDER BY org_id")
                .bind(release_id).fetch_all(pool).await.map_err(db("release audience"))?;
            Ok(rows.into_iter().map(|(o,)| o).collect())
        })
    }

    // --- notifications ------------------------------------------------

    pub async fn notify(
        &self,
        org_id: &str,
        kind: &str,
        subject_id: Option<&str>,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> Result<String> {
        let id = medsec_core::new_id();
        on!(self, pool => sqlx::query("INSERT INTO notifications (id, org_id, kind, subject_id, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id).bind(org_id).bind(kind).bind(subject_id).bind(details.to_string()).bind(now.0)
            .execute(pool).await.map(|_| ()).map_err(db("notify")))?;
        Ok(id)
    }

    /// The organisation's latest notifications, `read_at` as `user_id`
    /// marked them.
    pub async fn notifications(
        &self,
        org_id: &str,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        on!(self, pool => sqlx::query_as("SELECT n.id, n.org_id, n.kind, n.subject_id, n.details, n.created_at, \
            CASE WHEN n.created_at <= m.read_until THEN m.read_until END AS read_at \
            FROM notifications n LEFT JOIN notification_marks m ON m.org_id = n.org_id AND m.user_id = $2 \
            WHERE n.org_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $3")
            .bind(org_id).bind(user_id).bind(limit).fetch_all(pool).await.map_err(db("list notifications")))
    }

    /// How many of the organisation's notifications `user_id` has not read.
    pub async fn unread_notifications(&self, org_id: &str, user_id: &str) -> Result<i64> {
        on!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications n \
                WHERE n.org_id = $1 AND n.created_at > COALESCE((SELECT read_until FROM notification_marks WHERE org_id = $1 AND user_id = $2), -1)")
                .bind(org_id).bind(user_id).fetch_one(pool).await.map_err(db("count notifications"))?;
            Ok(n)
        })
    }

    /// Marks every notification of the organisation created until `now`
    /// read for `user_id`; returns how many became read.
    pub async fn read_notifications(
        &self,
        org_id: &str,
        user_id: &str,
        now: Timestamp,
    ) -> Result<u64> {
        let before = self.unread_notifications(org_id, user_id).await?;
        on!(self, pool => sqlx::query("INSERT INTO notification_marks (org_id, user_id, read_until) VALUES ($1, $2, $3) \
            ON CONFLICT (org_id, user_id) DO UPDATE SET read_until = CASE WHEN excluded.read_until > notification_marks.read_until THEN excluded.read_until ELSE notification_marks.read_until END")
            .bind(org_id).bind(user_id).bind(now.0).execute(pool).await.map(|_| ()).map_err(db("read notifications")))?;
        let after = self.unread_notifications(org_id, user_id).await?;
        Ok((before - after).max(0) as u64)
    }

    // --- webhooks -----------------------------------------------------

    pub async fn add_webhook(
        &self,
        org_id: &str,
        url: &str,
        secret: &str,
        created_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<WebhookRow> {
        let pg = self.is_postgres();
        let row = WebhookRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            url: url.to_owned(),
            secret: secret.to_owned(),
            created_by: created_by.to_owned(),
            created_at: now.0,
            enabled: true,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO webhooks (id, org_id, url, secret, created_by, created_at, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&row.id).bind(org_id).bind(url).bind(secret).bind(created_by).bind(now.0).bind(1_i64)
                .execute(&mut *tx).await.map_err(db("add webhook"))?;
            tx.append_audit(&audit.target("webhook", row.id.clone()).details(serde_json::json!({"url": url})), pg).await?;
            tx.commit().await.map_err(db("commit webhook"))?;
        });
        Ok(row)
    }

    pub async fn webhooks(&self, org_id: &str) -> Result<Vec<WebhookRow>> {
        let rows: Vec<(String, String, String, String, String, i64, i64)> = on!(self, pool => sqlx::query_as("SELECT id, org_id, url, secret, created_by, created_at, enabled FROM webhooks WHERE org_id = $1 ORDER BY created_at")
            .bind(org_id).fetch_all(pool).await.map_err(db("list webhooks")))?;
        Ok(rows
            .into_iter()
            .map(
                |(id, org_id, url, secret, created_by, created_at, enabled)| WebhookRow {
                    id,
                    org_id,
                    url,
                    secret,
                    created_by,
                    created_at,
                    enabled: enabled != 0,
                },
            )
            .collect())
    }

    pub async fn delete_webhook(&self, org_id: &str, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("delete deliveries"))?;
            let done = sqlx::query("DELETE FROM webhooks WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("delete webhook"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "webhook" });
            }
            tx.append_audit(&audit.target("webhook", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit webhook deletion"))?;
        });
        Ok(())
    }

    /// Queues an event for every enabled webhook of the organisation;
    /// returns how many deliveries were queued.
    pub async fn enqueue_webhook(
        &self,
        org_id: &str,
        event: &str,
        payload: &serde_json::Value,
        now: Timestamp,
    ) -> Result<usize> {
        let hooks = self.webhooks(org_id).await?;
        let hooks: Vec<&WebhookRow> = hooks.iter().filter(|h| h.enabled).collect();
        if hooks.is_empty() {
            return Ok(0);
        }
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for h in &hooks {
                let id = medsec_core::new_id();
                let mut body = payload.clone();
                if let Some(o) = body.as_object_mut() {
                    o.insert("delivery".into(), serde_json::Value::String(id.clone()));
                    o.insert("event".into(), serde_json::Value::String(event.to_owned()));
                }
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'pending', 0, NULL, NULL, $6, $6, NULL)")))
                    .bind(&id).bind(&h.id).bind(org_id).bind(event).bind(body.to_string()).bind(now.0)
                    .execute(&mut *tx).await.map_err(db("queue delivery"))?;
            }
            tx.commit().await.map_err(db("commit deliveries"))?;
        });
        Ok(hooks.len())
    }

    /// Deliveries due at `now`, with their webhook (not on anyone's
    /// behalf: the server's sender works for every organisation).
    pub async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(DeliveryRow, WebhookRow)>> {
        let rows: Vec<DeliveryRow> = on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2")))
            .bind(now.0).bind(limit).fetch_all(pool).await.map_err(db("due deliveries")))?;
        let mut out = Vec::with_capacity(rows.len());
        for d in rows {
            if let Some(h) = self
                .webhooks(&d.org_id)
                .await?
                .into_iter()
                .find(|h| h.id == d.webhook_id)
            {
                out.push((d, h));
            }
        }
        Ok(out)
    }

    /// Records the outcome of one delivery attempt: delivered, or retried
    /// at `retry_at` (given up after [`MAX_ATTEMPTS`]).
    pub async fn delivery_attempted(
        &self,
        id: &str,
        status: Option<i64>,
        error: Option<&str>,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let delivered = error.is_none();
        on!(self, pool => {
            if delivered {
                sqlx::query("UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $1, last_error = NULL, delivered_at = $2 WHERE id = $3")
                    .bind(status).bind(now.0).bind(id).execute(pool).await.map_err(db("delivery done"))?;
            } else {
                sqlx::query("UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2, next_at = $3, \
                    state = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END WHERE id = $5")
                    .bind(status).bind(error).bind(retry_at.unwrap_or(now).0).bind(MAX_ATTEMPTS).bind(id)
                    .execute(pool).await.map_err(db("delivery failed"))?;
            }
        });
        Ok(())
    }

    pub async fn deliveries(&self, org_id: &str, limit: i64) -> Result<Vec<DeliveryRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")))
            .bind(org_id).bind(limit).fetch_all(pool).await.map_err(db("list deliveries")))
    }
}
