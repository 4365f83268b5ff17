//! Watch (ISAC log collection): members' log sources, analyst-defined
//! decoders, personal-data masking rules, retention, and what came in per
//! source and day (billing and health).
//!
//! Architecture invariant: a source belongs to exactly one member, and the
//! receivers attribute an event to the member of the source whose port,
//! client certificate or token delivered it. Functions that list a
//! member's data take a [`MemberScope`], so a caller cannot forget to say
//! whose data it may see.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, on};

/// Whose data a read may return: every member (ISAC analysts) or one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberScope<'a> {
    All,
    Member(&'a str),
}

impl MemberScope<'_> {
    /// The member id to bind, or `None` for all; queries use
    /// `($1 IS NULL OR member_id = $1)`.
    pub(crate) fn bind(self) -> Option<String> {
        match self {
            MemberScope::All => None,
            MemberScope::Member(m) => Some(m.to_owned()),
        }
    }
}

/// How a source delivers its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Syslog over UDP (RFC 5426) on the source's own port.
    Udp,
    /// Syslog over TCP (RFC 6587) on the source's own port.
    Tcp,
    /// Syslog over TLS (RFC 5425) on the shared TLS port, attributed by the
    /// client certificate.
    Tls,
    /// NDJSON over HTTPS, attributed by the source's token.
    Http,
    /// Files imported with `medsec logs import`.
    File,
}

impl Transport {
    pub const ALL: [Transport; 5] = [
        Transport::Udp,
        Transport::Tcp,
        Transport::Tls,
        Transport::Http,
        Transport::File,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Http => "http",
            Transport::File => "file",
        }
    }

    pub fn parse(text: &str) -> Option<Transport> {
        Transport::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Whether a source of this transport listens on a port of its own.
    pub fn has_port(self) -> bool {
        matches!(self, Transport::Udp | Transport::Tcp)
    }
}

row! {
    /// A member's log source.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct LogSourceRow {
        pub id: String,
        pub member_id: String,
        pub name: String,
        pub transport: String,
        pub port: Option<i64>,
        pub format: String,
        /// SHA-256 (hex) of the client certificate or token.
        #[serde(skip)]
        pub credential: Option<String>,
        /// Seconds without events after which the source counts as silent;
        /// 0 = never.
        pub silent_after: i64,
        pub enabled: bool,
        pub last_event_at: Option<i64>,
        pub silent_since: Option<i64>,
        pub created_by: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

impl LogSourceRow {
    pub fn transport(&self) -> Option<Transport> {
        Transport::parse(&self.transport)
    }
}

const SOURCE_COLUMNS: &str = "id, member_id, name, transport, port, format, credential, silent_after, enabled, last_event_at, silent_since, created_by, created_at, updated_at";

/// A source to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLogSource {
    pub member_id: String,
    pub name: String,
    pub transport: Transport,
    pub port: Option<u16>,
    pub format: String,
    pub credential: Option<String>,
    pub silent_after: i64,
}

/// Changes to a source; `None` leaves a value as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSourceChange {
    pub format: Option<String>,
    pub silent_after: Option<i64>,
    pub enabled: Option<bool>,
    /// A new credential (a renewed client certificate or a new token).
    pub credential: Option<String>,
}

row! {
    /// An analyst-defined decoder: the draft being edited and the version
    /// in service, which sources use until a newer draft is activated.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct DecoderRow {
        pub name: String,
        /// The draft: the definition as last saved.
        pub definition: String,
        /// The definition in service, which the receivers compile; `None`
        /// when the decoder is not in service.
        pub active_definition: Option<String>,
        /// Whether the decoder is in service (`active_definition` is set).
        pub active: bool,
        /// When the draft's samples last passed at its activation; cleared
        /// when a different draft is saved.
        pub tested_at: Option<i64>,
        /// When the version in service was activated.
        pub activated_at: Option<i64>,
        pub created_by: String,
        pub created_at: i64,
        /// When the draft was last saved.
        pub updated_at: i64,
    }
}

impl DecoderRow {
    /// Whether the draft differs from the version in service: saved
    /// changes that are not active yet.
    pub fn changes_pending(&self) -> bool {
        self.active_definition
            .as_deref()
            .is_some_and(|a| a != self.definition)
    }
}

/// What activating a decoder did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecoderActivation {
    /// The decoder as it is now: its draft in service.
    pub decoder: DecoderRow,
    /// Whether an earlier, different version was in service and the
    /// activation replaced it.
    pub replaced: bool,
}

const DECODER_COLUMNS: &str = "name, definition, active_definition, (active_definition IS NOT NULL) AS active, tested_at, activated_at, created_by, created_at, updated_at";

/// The sources that name a decoder as their format.
const DECODER_USERS: &str = "SELECT id FROM log_sources WHERE format = $1 ORDER BY member_id, name";

/// The SHA-256 (hex) of a definition, which audit records name versions by.
fn definition_sha256(definition: &str) -> String {
    use sha2::Digest;
    medsec_core::credential::hex(&sha2::Sha256::digest(definition.as_bytes()))
}

row! {
    /// A personal-data masking rule.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct MaskingRuleRow {
        pub id: String,
        pub member_id: Option<String>,
        pub name: String,
        pub kind: String,
        pub pattern: Option<String>,
        pub enabled: bool,
        pub created_by: String,
        pub created_at: i64,
    }
}

row! {
    /// What one source delivered on one Korean calendar day (UTC+9).
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IngestDayRow {
        pub source_id: String,
        pub member_id: String,
        pub day: String,
        pub events: i64,
        pub bytes: i64,
        pub parse_errors: i64,
        pub dropped: i64,
    }
}

row! {
    /// A rejected or unparsable message, kept for the analyst.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct IngestErrorRow {
        pub id: String,
        pub source_id: String,
        pub member_id: String,
        pub at: i64,
        pub kind: String,
        pub message: String,
        pub sample: String,
    }
}

/// Counts to add for one source and day (the receivers keep them in memory
/// and flush them every few seconds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestDelta {
    pub source_id: String,
    pub member_id: String,
    /// `YYYY-MM-DD`, Korean calendar day (UTC+9).
    pub day: String,
    pub events: i64,
    pub bytes: i64,
    pub parse_errors: i64,
    pub dropped: i64,
    /// When the newest event of the delta was received, in milliseconds
    /// like every store timestamp: the source's `last_event_at`.
    pub last_event_at: Option<i64>,
}

/// A masking rule to add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewMaskingRule<'a> {
    /// `None` = every member.
    pub member_id: Option<&'a str>,
    pub name: &'a str,
    /// `rrn`, `phone` or `pattern`.
    pub kind: &'a str,
    /// The regular expression of a `pattern` rule.
    pub pattern: Option<&'a str>,
}

/// How many error samples a source keeps.
pub const ERROR_SAMPLES_PER_SOURCE: i64 = 50;

/// The retention of a member without its own setting (days).
pub const DEFAULT_RETENTION_DAYS: i64 = 365;

impl Store {
    // --- sources --------------------------------------------------------

    pub async fn create_log_source(
        &self,
        new: &NewLogSource,
        created_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<LogSourceRow> {
        let pg = self.is_postgres();
        let row = LogSourceRow {
            id: medsec_core::new_id(),
            member_id: new.member_id.clone(),
            name: new.name.clone(),
            transport: new.transport.as_str().to_owned(),
            port: new.port.map(i64::from),
            format: new.format.clone(),
            credential: new.credential.clone(),
            silent_after: new.silent_after,
            enabled: true,
            last_event_at: None,
            silent_since: None,
            created_by: created_by.to_owned(),
            created_at: now.0,
            updated_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO log_sources ({SOURCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")))
                .bind(&row.id).bind(&row.member_id).bind(&row.name).bind(&row.transport).bind(row.port).bind(&row.format)
                .bind(&row.credential).bind(row.silent_after).bind(row.enabled).bind(row.last_event_at).bind(row.silent_since)
                .bind(&row.created_by).bind(row.created_at).bind(row.updated_at)
                .execute(&mut *tx).await.map_err(conflict_or("create log source", "log source with this name, port or credential"))?;
            tx.append_audit(&audit.target("log_source", row.id.clone()).details(serde_json::json!({
                "member": row.member_id, "name": row.name, "transport": row.transport, "port": row.port, "format": row.format,
            })), pg).await?;
            tx.commit().await.map_err(db("commit log source"))?;
        });
        Ok(row)
    }

    pub async fn log_sources(&self, scope: MemberScope<'_>) -> Result<Vec<LogSourceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM log_sources WHERE ($1 IS NULL OR member_id = $1) ORDER BY member_id, name")))
            .bind(scope.bind()).fetch_all(pool).await.map_err(db("list log sources")))
    }

    pub async fn log_source(
        &self,
        scope: MemberScope<'_>,
        id: &str,
    ) -> Result<Option<LogSourceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM log_sources WHERE ($1 IS NULL OR member_id = $1) AND id = $2")))
            .bind(scope.bind()).bind(id).fetch_optional(pool).await.map_err(db("read log source")))
    }

    /// The enabled source a credential (certificate or token hash) belongs
    /// to: how the TLS and HTTP receivers attribute what they receive.
    pub async fn log_source_by_credential(
        &self,
        transport: Transport,
        credential: &str,
    ) -> Result<Option<LogSourceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM log_sources WHERE credential = $1 AND transport = $2 AND enabled = $3")))
            .bind(credential).bind(transport.as_str()).bind(true).fetch_optional(pool).await.map_err(db("read log source by credential")))
    }

    /// Every enabled source, for the receivers to start their listeners.
    pub async fn enabled_log_sources(&self) -> Result<Vec<LogSourceRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SOURCE_COLUMNS} FROM log_sources WHERE enabled = $1 ORDER BY transport, port, id")))
            .bind(true).fetch_all(pool).await.map_err(db("list enabled log sources")))
    }

    pub async fn update_log_source(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        change: &LogSourceChange,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<LogSourceRow> {
        let pg = self.is_postgres();
        let Some(mut row) = self.log_source(scope, id).await? else {
            return Err(StoreError::NotFound { what: "log source" });
        };
        if let Some(f) = &change.format {
            row.format = f.clone();
        }
        if let Some(s) = change.silent_after {
            row.silent_after = s;
        }
        if let Some(e) = change.enabled {
            row.enabled = e;
        }
        if let Some(c) = &change.credential {
            row.credential = Some(c.clone());
        }
        row.updated_at = now.0;
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE log_sources SET format = $1, silent_after = $2, enabled = $3, credential = $4, updated_at = $5 WHERE id = $6")
                .bind(&row.format).bind(row.silent_after).bind(row.enabled).bind(&row.credential).bind(row.updated_at).bind(&row.id)
                .execute(&mut *tx).await.map_err(conflict_or("update log source", "log source with this credential"))?;
            tx.append_audit(&audit.target("log_source", row.id.clone()).details(serde_json::json!({
                "format": change.format, "silent_after": change.silent_after, "enabled": change.enabled,
                "credential_renewed": change.credential.is_some(),
            })), pg).await?;
            tx.commit().await.map_err(db("commit log source"))?;
        });
        Ok(row)
    }

    /// Deletes a source with its counts and error samples. The events it
    /// delivered stay in the event store until their retention ends.
    pub async fn delete_log_source(
        &self,
        scope: MemberScope<'_>,
        id: &str,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        let Some(row) = self.log_source(scope, id).await? else {
            return Err(StoreError::NotFound { what: "log source" });
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for table in ["ingest_errors", "ingest_daily"] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE source_id = $1")))
                    .bind(&row.id).execute(&mut *tx).await.map_err(db("delete log source counts"))?;
            }
            sqlx::query("DELETE FROM log_sources WHERE id = $1")
                .bind(&row.id).execute(&mut *tx).await.map_err(db("delete log source"))?;
            tx.append_audit(&audit.target("log_source", row.id.clone()).details(serde_json::json!({"member": row.member_id, "name": row.name})), pg).await?;
            tx.commit().await.map_err(db("commit log source deletion"))?;
        });
        Ok(())
    }

    // --- counts and health --------------------------------------------

    /// Adds what the receivers counted, per source and day, and moves each
    /// source's `last_event_at` forward (clearing `silent_since`).
    pub async fn record_ingest(&self, deltas: &[IngestDelta]) -> Result<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for d in deltas {
                // `WHERE true` tells SQLite's parser that ON CONFLICT is an upsert.
                sqlx::query("INSERT INTO ingest_daily (source_id, member_id, day, events, bytes, parse_errors, dropped) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE true
                    ON CONFLICT (source_id, day) DO UPDATE SET events = ingest_daily.events + excluded.events, bytes = ingest_daily.bytes + excluded.bytes,
                    parse_errors = ingest_daily.parse_errors + excluded.parse_errors, dropped = ingest_daily.dropped + excluded.dropped")
                    .bind(&d.source_id).bind(&d.member_id).bind(&d.day).bind(d.events).bind(d.bytes).bind(d.parse_errors).bind(d.dropped)
                    .execute(&mut *tx).await.map_err(db("record ingest counts"))?;
                if let Some(at) = d.last_event_at {
                    sqlx::query("UPDATE log_sources SET last_event_at = $1, silent_since = NULL WHERE id = $2 AND (last_event_at IS NULL OR last_event_at < $1)")
                        .bind(at).bind(&d.source_id).execute(&mut *tx).await.map_err(db("record last event"))?;
                }
            }
            tx.commit().await.map_err(db("commit ingest counts"))?;
        });
        Ok(())
    }

    /// Counts per source and day between two `YYYY-MM-DD` days (inclusive).
    pub async fn ingest_days(
        &self,
        scope: MemberScope<'_>,
        from: &str,
        to: &str,
    ) -> Result<Vec<IngestDayRow>> {
        on!(self, pool => sqlx::query_as("SELECT source_id, member_id, day, events, bytes, parse_errors, dropped FROM ingest_daily WHERE ($1 IS NULL OR member_id = $1) AND day >= $2 AND day <= $3 ORDER BY day, member_id, source_id")
            .bind(scope.bind()).bind(from).bind(to).fetch_all(pool).await.map_err(db("read ingest counts")))
    }

    /// Keeps a sample of a rejected or unparsable message; a source keeps
    /// its latest [`ERROR_SAMPLES_PER_SOURCE`].
    pub async fn add_ingest_error(&self, error: &IngestErrorRow) -> Result<()> {
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO ingest_errors (id, source_id, member_id, at, kind, message, sample) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&error.id).bind(&error.source_id).bind(&error.member_id).bind(error.at).bind(&error.kind).bind(&error.message).bind(&error.sample)
                .execute(&mut *tx).await.map_err(db("store ingest error"))?;
            sqlx::query("DELETE FROM ingest_errors WHERE source_id = $1 AND id NOT IN (SELECT id FROM ingest_errors WHERE source_id = $1 ORDER BY at DESC, id DESC LIMIT $2)")
                .bind(&error.source_id).bind(ERROR_SAMPLES_PER_SOURCE).execute(&mut *tx).await.map_err(db("trim ingest errors"))?;
            tx.commit().await.map_err(db("commit ingest error"))?;
        });
        Ok(())
    }

    pub async fn ingest_errors(
        &self,
        scope: MemberScope<'_>,
        source_id: &str,
        limit: i64,
    ) -> Result<Vec<IngestErrorRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, source_id, member_id, at, kind, message, sample FROM ingest_errors WHERE ($1 IS NULL OR member_id = $1) AND source_id = $2 ORDER BY at DESC, id DESC LIMIT $3")
            .bind(scope.bind()).bind(source_id).bind(limit).fetch_all(pool).await.map_err(db("read ingest errors")))
    }

    /// Marks the sources that have been silent longer than they may be and
    /// are not marked yet; returns them, each once per silence.
    pub async fn mark_silent_sources(&self, now: Timestamp) -> Result<Vec<LogSourceRow>> {
        let candidates: Vec<LogSourceRow> = on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SOURCE_COLUMNS} FROM log_sources WHERE enabled = $1 AND silent_after > 0 AND silent_since IS NULL AND COALESCE(last_event_at, created_at) + silent_after * 1000 < $2")))
            .bind(true).bind(now.0).fetch_all(pool).await.map_err(db("find silent sources")))?;
        let mut marked = Vec::with_capacity(candidates.len());
        for mut row in candidates {
            let affected = on!(self, pool => sqlx::query("UPDATE log_sources SET silent_since = $1 WHERE id = $2 AND silent_since IS NULL")
                .bind(now.0).bind(&row.id).execute(pool).await.map(|d| d.rows_affected()).map_err(db("mark silent source")))?;
            // Another node may have marked it first: it reports it then.
            if affected == 1 {
                row.silent_since = Some(now.0);
                marked.push(row);
            }
        }
        Ok(marked)
    }

    // --- decoders -----------------------------------------------------

    /// Saves a decoder's draft: a new decoder (not in service until it is
    /// activated) or a new definition of a stored one. The version in
    /// service, if any, stays in service: the sources that use the
    /// decoder go on with it until the draft is activated.
    pub async fn save_decoder(
        &self,
        name: &str,
        definition: &str,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<DecoderRow> {
        let pg = self.is_postgres();
        let lock = if pg { " FOR UPDATE" } else { "" };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<DecoderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DECODER_COLUMNS} FROM log_decoders WHERE name = $1{lock}")))
                .bind(name).fetch_optional(&mut *tx).await.map_err(db("read decoder"))?;
            let row = match existing.clone() {
                Some(mut row) => {
                    if row.definition != definition {
                        row.definition = definition.to_owned();
                        row.tested_at = None;
                    }
                    row.updated_at = now.0;
                    sqlx::query("UPDATE log_decoders SET definition = $1, tested_at = $2, updated_at = $3 WHERE name = $4")
                        .bind(&row.definition).bind(row.tested_at).bind(row.updated_at).bind(name)
                        .execute(&mut *tx).await.map_err(db("save decoder"))?;
                    row
                }
                None => {
                    let row = DecoderRow {
                        name: name.to_owned(),
                        definition: definition.to_owned(),
                        active_definition: None,
                        active: false,
                        tested_at: None,
                        activated_at: None,
                        created_by: by.to_owned(),
                        created_at: now.0,
                        updated_at: now.0,
                    };
                    sqlx::query("INSERT INTO log_decoders (name, definition, active_definition, tested_at, activated_at, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(&row.name).bind(&row.definition).bind(&row.active_definition).bind(row.tested_at).bind(row.activated_at)
                        .bind(&row.created_by).bind(row.created_at).bind(row.updated_at)
                        .execute(&mut *tx).await.map_err(conflict_or("save decoder", "decoder"))?;
                    row
                }
            };
            tx.append_audit(&audit.target("decoder", name.to_owned()).details(serde_json::json!({
                "draft": true,
                "new": existing.is_none(),
                "sha256": definition_sha256(definition),
                "in_service": row.active,
                "changes_pending": row.changes_pending(),
            })), pg).await?;
            tx.commit().await.map_err(db("commit decoder"))?;
            Ok(row)
        })
    }

    /// Puts a decoder's draft in service, in place of the version in
    /// service if there is one. `tested` is the definition whose samples
    /// the caller ran and saw pass: if the draft is no longer that one
    /// (saved again meanwhile), nothing changes and the answer is
    /// [`StoreError::Conflict`].
    pub async fn activate_decoder(
        &self,
        name: &str,
        tested: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<DecoderActivation> {
        let pg = self.is_postgres();
        let lock = if pg { " FOR UPDATE" } else { "" };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let Some(mut row): Option<DecoderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DECODER_COLUMNS} FROM log_decoders WHERE name = $1{lock}")))
                .bind(name).fetch_optional(&mut *tx).await.map_err(db("read decoder"))?
            else {
                return Err(StoreError::NotFound { what: "decoder" });
            };
            if row.definition != tested {
                return Err(StoreError::Conflict { what: "newer draft of the decoder" });
            }
            let previous = row.active_definition.replace(row.definition.clone());
            let previous_at = row.activated_at.replace(now.0);
            row.active = true;
            row.tested_at = Some(now.0);
            sqlx::query("UPDATE log_decoders SET active_definition = definition, activated_at = $1, tested_at = $1 WHERE name = $2")
                .bind(now.0).bind(name).execute(&mut *tx).await.map_err(db("activate decoder"))?;
            let replaced = previous.as_ref().is_some_and(|p| *p != row.definition);
            tx.append_audit(&audit.target("decoder", name.to_owned()).details(serde_json::json!({
                "active": true,
                "sha256": definition_sha256(&row.definition),
                "replaced": replaced,
                "previous_sha256": previous.as_deref().map(definition_sha256),
                "previous_activated_at": previous_at,
            })), pg).await?;
            tx.commit().await.map_err(db("commit decoder"))?;
            Ok(DecoderActivation { decoder: row, replaced })
        })
    }

    /// Takes a decoder out of service; its draft stays. Refused with
    /// [`StoreError::InUse`] while a source names it as its format, so
    /// that no source is left without its decoder.
    pub async fn deactivate_decoder(&self, name: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The decoder's row is changed (and so locked on PostgreSQL)
            // before its users are counted: a source added meanwhile
            // either committed already, and is counted, or waits.
            let previous: Option<(Option<String>,)> = sqlx::query_as("SELECT active_definition FROM log_decoders WHERE name = $1")
                .bind(name).fetch_optional(&mut *tx).await.map_err(db("read decoder"))?;
            let Some((previous,)) = previous else {
                return Err(StoreError::NotFound { what: "decoder" });
            };
            sqlx::query("UPDATE log_decoders SET active_definition = NULL, activated_at = NULL WHERE name = $1")
                .bind(name).execute(&mut *tx).await.map_err(db("deactivate decoder"))?;
            let users: Vec<(String,)> = sqlx::query_as(DECODER_USERS)
                .bind(name).fetch_all(&mut *tx).await.map_err(db("find the decoder's sources"))?;
            if !users.is_empty() {
                return Err(StoreError::InUse { what: "decoder", by: users.into_iter().map(|(id,)| id).collect() });
            }
            tx.append_audit(&audit.target("decoder", name.to_owned()).details(serde_json::json!({
                "active": false,
                "previous_sha256": previous.as_deref().map(definition_sha256),
            })), pg).await?;
            tx.commit().await.map_err(db("commit decoder"))?;
        });
        Ok(())
    }

    pub async fn decoder(&self, name: &str) -> Result<Option<DecoderRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DECODER_COLUMNS} FROM log_decoders WHERE name = $1")))
            .bind(name).fetch_optional(pool).await.map_err(db("read decoder")))
    }

    pub async fn decoders(&self) -> Result<Vec<DecoderRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DECODER_COLUMNS} FROM log_decoders ORDER BY name")))
            .fetch_all(pool).await.map_err(db("list decoders")))
    }

    /// Deletes a decoder, draft and version in service. Refused with
    /// [`StoreError::InUse`] while a source names it as its format.
    pub async fn delete_decoder(&self, name: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let previous: Option<(Option<String>,)> = sqlx::query_as("SELECT active_definition FROM log_decoders WHERE name = $1")
                .bind(name).fetch_optional(&mut *tx).await.map_err(db("read decoder"))?;
            let Some((previous,)) = previous else {
                return Err(StoreError::NotFound { what: "decoder" });
            };
            // Deleted before its users are counted, as in deactivation.
            sqlx::query("DELETE FROM log_decoders WHERE name = $1").bind(name).execute(&mut *tx).await.map_err(db("delete decoder"))?;
            let users: Vec<(String,)> = sqlx::query_as(DECODER_USERS)
                .bind(name).fetch_all(&mut *tx).await.map_err(db("find the decoder's sources"))?;
            if !users.is_empty() {
                return Err(StoreError::InUse { what: "decoder", by: users.into_iter().map(|(id,)| id).collect() });
            }
            tx.append_audit(&audit.target("decoder", name.to_owned()).details(serde_json::json!({
                "was_active": previous.is_some(),
                "previous_sha256": previous.as_deref().map(definition_sha256),
            })), pg).await?;
            tx.commit().await.map_err(db("commit decoder deletion"))?;
        });
        Ok(())
    }

    // --- masking and retention ----------------------------------------

    /// The masking rules that apply to a member: its own and those for
    /// every member.
    pub async fn masking_rules(&self, scope: MemberScope<'_>) -> Result<Vec<MaskingRuleRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, member_id, name, kind, pattern, enabled, created_by, created_at FROM masking_rules WHERE $1 IS NULL OR member_id IS NULL OR member_id = $1 ORDER BY created_at, id")
            .bind(scope.bind()).fetch_all(pool).await.map_err(db("list masking rules")))
    }

    pub async fn add_masking_rule(
        &self,
        rule: &NewMaskingRule<'_>,
        by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<MaskingRuleRow> {
        let NewMaskingRule {
            member_id,
            name,
            kind,
            pattern,
        } = *rule;
        let pg = self.is_postgres();
        let row = MaskingRuleRow {
            id: medsec_core::new_id(),
            member_id: member_id.map(str::to_owned),
            name: name.to_owned(),
            kind: kind.to_owned(),
            pattern: pattern.map(str::to_owned),
            enabled: true,
            created_by: by.to_owned(),
            created_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO masking_rules (id, member_id, name, kind, pattern, enabled, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&row.id).bind(&row.member_id).bind(&row.name).bind(&row.kind).bind(&row.pattern).bind(row.enabled).bind(&row.created_by).bind(row.created_at)
                .execute(&mut *tx).await.map_err(db("add masking rule"))?;
            tx.append_audit(&audit.target("masking_rule", row.id.clone()).details(serde_json::json!({"added": true, "member": member_id, "kind": kind, "name": name, "pattern": pattern})), pg).await?;
            tx.commit().await.map_err(db("commit masking rule"))?;
        });
        Ok(row)
    }

    /// One masking rule, if it applies to the scope's member (its own or
    /// one for every member).
    pub async fn masking_rule(
        &self,
        scope: MemberScope<'_>,
        id: &str,
    ) -> Result<Option<MaskingRuleRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, member_id, name, kind, pattern, enabled, created_by, created_at FROM masking_rules WHERE ($1 IS NULL OR member_id IS NULL OR member_id = $1) AND id = $2")
            .bind(scope.bind()).bind(id).fetch_optional(pool).await.map_err(db("read masking rule")))
    }

    /// Changes a pattern rule's member, name and pattern (the built-in
    /// rules have no pattern to change: they are only turned on or off).
    pub async fn update_masking_rule(
        &self,
        id: &str,
        change: &NewMaskingRule<'_>,
        audit: AuditEntry,
    ) -> Result<MaskingRuleRow> {
        let pg = self.is_postgres();
        let Some(mut row) = self.masking_rule(MemberScope::All, id).await? else {
            return Err(StoreError::NotFound {
                what: "masking rule",
            });
        };
        row.member_id = change.member_id.map(str::to_owned);
        row.name = change.name.to_owned();
        row.pattern = change.pattern.map(str::to_owned);
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE masking_rules SET member_id = $1, name = $2, pattern = $3 WHERE id = $4 AND kind = $5")
                .bind(&row.member_id).bind(&row.name).bind(&row.pattern).bind(id).bind(change.kind)
                .execute(&mut *tx).await.map_err(db("change masking rule"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "masking rule" });
            }
            tx.append_audit(&audit.target("masking_rule", id.to_owned()).details(serde_json::json!({"changed": true, "member": change.member_id, "name": change.name, "pattern": change.pattern})), pg).await?;
            tx.commit().await.map_err(db("commit masking rule"))?;
        });
        Ok(row)
    }

    pub async fn set_masking_rule_enabled(
        &self,
        id: &str,
        enabled: bool,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE masking_rules SET enabled = $1 WHERE id = $2")
                .bind(enabled).bind(id).execute(&mut *tx).await.map_err(db("change masking rule"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "masking rule" });
            }
            tx.append_audit(&audit.target("masking_rule", id.to_owned()).details(serde_json::json!({"enabled": enabled})), pg).await?;
            tx.commit().await.map_err(db("commit masking rule"))?;
        });
        Ok(())
    }

    /// A member's retention in days ([`DEFAULT_RETENTION_DAYS`] unless set).
    pub async fn retention_days(&self, member_id: &str) -> Result<i64> {
        let row: Option<(i64,)> = on!(self, pool => sqlx::query_as("SELECT retention_days FROM member_log_settings WHERE member_id = $1")
            .bind(member_id).fetch_optional(pool).await.map_err(db("read retention")))?;
        Ok(row.map_or(DEFAULT_RETENTION_DAYS, |(d,)| d))
    }

    /// Every member's own retention setting.
    pub async fn retention_settings(&self) -> Result<Vec<(String, i64)>> {
        on!(self, pool => sqlx::query_as("SELECT member_id, retention_days FROM member_log_settings ORDER BY member_id")
            .fetch_all(pool).await.map_err(db("list retention")))
    }

    pub async fn set_retention_days(
        &self,
        member_id: &str,
        days: i64,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO member_log_settings (member_id, retention_days) SELECT $1, $2 WHERE true ON CONFLICT (member_id) DO UPDATE SET retention_days = excluded.retention_days")
                .bind(member_id).bind(days).execute(&mut *tx).await.map_err(db("set retention"))?;
            tx.append_audit(&audit.target("organization", member_id.to_owned()).details(serde_json::json!({"retention_days": days})), pg).await?;
            tx.commit().await.map_err(db("commit retention"))?;
        });
        Ok(())
    }
}
