//! Threat-intelligence indicators managed in the database, for the UI, the
//! API and the CLI: importing STIX 2.1 bundles and CSV files as sources
//! (a new import of a source replaces its indicators atomically), adding
//! one by hand, revoking or expiring one, removing a source, searching;
//! and [`Live`], the index live detection matches, rebuilt in the
//! background when the indicators change.
//!
//! Who may do what: indicators are the ISAC's working material (C-TAS,
//! vendors' feeds, what members share), so only the ISAC's users see them
//! (with read permission) and change them (with write permission); a
//! hospital's users and every other organisation get "forbidden", and a
//! hospital learns of an indicator only through an alert on its own
//! events. Every change is audited in its transaction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use medsec_core::Timestamp;
use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_detect::indicators::{self as ioc, Indicator, IndicatorSet, Kind};
use medsec_store::Store;
use medsec_store::indicators::{
    IndicatorFilter, IndicatorRow, IndicatorSourceRow, NewIndicator, SKIPPED_KEPT, SourceCounts,
    SourceImport,
};
use sha2::{Digest, Sha256};

use crate::assure::By;
use crate::error::{Error, Result};
use crate::watch::isac;

/// The longest source name, in characters.
pub const MAX_NAME: usize = 100;
/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1000;
/// The largest file the UI takes (the API takes the server's body limit;
/// the command line any size).
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;
/// Indicators shown on one page of a search.
pub const PAGE: i64 = 100;
/// The types the manual form and CSV files name.
pub const TYPES: &[&str] = &[
    "ip",
    "cidr",
    "domain",
    "url",
    "md5",
    "sha1",
    "sha256",
    "user-agent",
];

/// The name of a kind as stored.
pub fn kind_named(name: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.as_str() == name)
}

fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(Error::Invalid(vec![
            FieldError::new(field, "length")
                .with("min", min)
                .with("max", max),
        ]));
    }
    if v.chars().any(char::is_control) && field != "description" {
        return Err(Error::field(field, "control_chars"));
    }
    Ok(v.to_owned())
}

/// A file to import as a source.
#[derive(Clone, Debug)]
pub struct ImportRequest {
    /// The source's name; a source of that name is replaced.
    pub source: String,
    pub description: String,
    pub bytes: Vec<u8>,
}

/// What an import did, for the page, the API and the command line.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    pub source: IndicatorSourceRow,
    pub indicators: usize,
    pub replaced: i64,
    pub skipped: usize,
    pub kept_revocations: usize,
    pub generation: i64,
    pub parse_seconds: f64,
    pub store_seconds: f64,
}

/// Parsed indicators as the store keeps them.
fn to_new(list: &[Indicator]) -> Vec<NewIndicator> {
    list.iter()
        .map(|i| NewIndicator {
            stix_id: i.id.clone(),
            kind: i.kind.as_str().to_owned(),
            value: i.value.clone(),
            name: i.name.clone(),
            description: i.description.clone(),
            labels: i.labels.clone(),
            confidence: i.confidence.map(i64::from),
            valid_from: i.valid_from,
            valid_until: i.valid_until,
            revoked: i.revoked,
        })
        .collect()
}

/// Imports a STIX 2.1 or CSV file as the source `source` (replacing the
/// indicators of an imported source of that name). A file the reader
/// refuses changes nothing and is reported on the field `file` with the
/// reader's place and reason; what it could not use is kept with the
/// source. `progress` gets the indicators written so far.
pub async fn import(
    store: &Store,
    by: &By,
    req: ImportRequest,
    progress: &mut (dyn FnMut(usize) + Send),
) -> Result<ImportReport> {
    isac(by)?;
    let mut errors = Vec::new();
    let name = text("source", &req.source, 1, MAX_NAME).map_err(|e| errors_of(e, &mut errors));
    let description = text("description", &req.description, 0, MAX_DESCRIPTION)
        .map_err(|e| errors_of(e, &mut errors));
    if req.bytes.iter().all(u8::is_ascii_whitespace) {
        errors.push(FieldError::new("file", "required"));
    }
    let (Ok(name), Ok(description), true) = (name, description, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    if let Some(existing) = store.indicator_source(&name, true).await?
        && existing.kind == "manual"
    {
        return Err(Error::field("source", "indicator_source_manual"));
    }
    let started = std::time::Instant::now();
    let source = name.clone();
    let bytes = req.bytes;
    let (parsed, kind, sha256) = tokio::task::spawn_blocking(move || {
        let sha = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
        let start = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        let kind = if matches!(start, Some(b'{' | b'[')) {
            "stix"
        } else {
            "csv"
        };
        (ioc::read(&bytes, &source), kind, sha)
    })
    .await
    .map_err(|e| Error::Internal(format!("indicator parser: {e}")))?;
    let parsed = parsed.map_err(|e| {
        Error::Invalid(vec![
            FieldError::new("file", "format").with("detail", e.to_string()),
        ])
    })?;
    let parse_seconds = started.elapsed().as_secs_f64();
    let skipped: Vec<serde_json::Value> = parsed
        .skipped
        .iter()
        .take(SKIPPED_KEPT)
        .map(|s| serde_json::json!({"index": s.index, "id": s.id, "reason": s.reason}))
        .collect();
    let rows = to_new(&parsed.indicators);
    let src = SourceImport {
        name,
        description,
        kind: kind.into(),
        sha256: Some(sha256),
        skipped: serde_json::Value::Array(skipped).to_string(),
        skipped_count: parsed.skipped.len() as i64,
        other_objects: parsed.other_objects as i64,
        created_by: by.name.clone(),
    };
    let started = std::time::Instant::now();
    let done = store
        .import_indicator_source(
            &src,
            &rows,
            by.audit(Timestamp::now(), Action::IndicatorsImported),
            progress,
        )
        .await?;
    Ok(ImportReport {
        indicators: rows.len(),
        replaced: done.replaced,
        skipped: parsed.skipped.len(),
        kept_revocations: done.kept_revocations,
        generation: done.generation,
        source: done.source,
        parse_seconds,
        store_seconds: started.elapsed().as_secs_f64(),
    })
}

fn errors_of(e: Error, into: &mut Vec<FieldError>) {
    if let Error::Invalid(mut list) = e {
        into.append(&mut list);
    }
}

/// A source with its live counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceView {
    #[serde(flatten)]
    pub source: IndicatorSourceRow,
    pub counts: SourceCounts,
}

/// Every source with its counts (the ISAC).
pub async fn sources(store: &Store, by: &By) -> Result<Vec<SourceView>> {
    isac(by)?;
    let mut counts = store.indicator_counts(Timestamp::now().0).await?;
    Ok(store
        .indicator_sources()
        .await?
        .into_iter()
        .map(|s| SourceView {
            counts: counts.remove(&s.id).unwrap_or_default(),
            source: s,
        })
        .collect())
}

/// One item of a file the reader could not use.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SkippedItem {
    pub index: usize,
    pub id: String,
    pub reason: String,
}

/// A source with what its file held that could not be matched.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceDetail {
    #[serde(flatten)]
    pub view: SourceView,
    pub skipped_items: Vec<SkippedItem>,
}

/// One source by id (the ISAC).
pub async fn source(store: &Store, by: &By, id: &str) -> Result<SourceDetail> {
    isac(by)?;
    let s = store
        .indicator_source(id, false)
        .await?
        .ok_or(Error::NotFound)?;
    let counts = store
        .indicator_counts(Timestamp::now().0)
        .await?
        .remove(&s.id)
        .unwrap_or_default();
    Ok(SourceDetail {
        skipped_items: serde_json::from_str(&s.skipped).unwrap_or_default(),
        view: SourceView { source: s, counts },
    })
}

/// Removes a source and its indicators (the ISAC's writers).
pub async fn remove_source(store: &Store, by: &By, id: &str) -> Result<i64> {
    isac(by)?;
    Ok(store
        .remove_indicator_source(
            id,
            by.audit(Timestamp::now(), Action::IndicatorSourceRemoved),
        )
        .await?)
}

/// A search of the indicators, as the page or the API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Part of the value (any case), or a whole STIX id.
    #[serde(default)]
    pub q: Option<String>,
    /// A source's id.
    #[serde(default)]
    pub source: Option<String>,
    /// `ipv4`, `ipv6`, `cidr`, `domain`, `url`, `md5`, `sha1`, `sha256`,
    /// `user-agent`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
}

/// An indicator as pages and the API show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IndicatorView {
    #[serde(flatten)]
    pub row: IndicatorRow,
    pub source_name: String,
    /// `valid`, `revoked`, `expired` or `not_yet_valid` now.
    pub status: &'static str,
}

/// A page of search results.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchResult {
    pub indicators: Vec<IndicatorView>,
    pub page: i64,
    pub more: bool,
}

fn status_of(row: &IndicatorRow, now: i64) -> &'static str {
    if row.is_revoked() {
        "revoked"
    } else if row.valid_until.is_some_and(|u| u <= now) {
        "expired"
    } else if row.valid_from > now {
        "not_yet_valid"
    } else {
        "valid"
    }
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Searches the indicators (the ISAC).
pub async fn search(store: &Store, by: &By, p: &SearchParams) -> Result<SearchResult> {
    isac(by)?;
    let kind = blank(&p.kind);
    if kind.as_deref().is_some_and(|k| kind_named(k).is_none()) {
        return Err(Error::field("kind", "invalid_choice"));
    }
    let page = p.page.unwrap_or(1).clamp(1, 10_000);
    let mut rows = store
        .search_indicators(&IndicatorFilter {
            text: blank(&p.q),
            source_id: blank(&p.source),
            kind,
            limit: PAGE,
            offset: (page - 1) * PAGE,
        })
        .await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let names: HashMap<String, String> = store
        .indicator_sources()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let now = Timestamp::now().0;
    Ok(SearchResult {
        indicators: rows
            .into_iter()
            .map(|row| IndicatorView {
                source_name: names.get(&row.source_id).cloned().unwrap_or_default(),
                status: status_of(&row, now),
                row,
            })
            .collect(),
        page,
        more,
    })
}

/// One indicator (the ISAC).
pub async fn indicator(store: &Store, by: &By, id: &str) -> Result<IndicatorView> {
    isac(by)?;
    let row = store.indicator(id).await?.ok_or(Error::NotFound)?;
    let source_name = store
        .indicator_source(&row.source_id, false)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    Ok(IndicatorView {
        source_name,
        status: status_of(&row, Timestamp::now().0),
        row,
    })
}

/// Revokes an indicator: it matches nothing from the next reload of live
/// detection on, and a re-import of its source keeps it revoked.
pub async fn revoke(store: &Store, by: &By, id: &str) -> Result<()> {
    isac(by)?;
    store
        .revoke_indicator(id, by.audit(Timestamp::now(), Action::IndicatorRevoked))
        .await?;
    Ok(())
}

/// Ends an indicator's validity now.
pub async fn expire(store: &Store, by: &By, id: &str) -> Result<()> {
    isac(by)?;
    store
        .expire_indicator(id, by.audit(Timestamp::now(), Action::IndicatorExpired))
        .await?;
    Ok(())
}

/// An indicator added by hand, as the form or API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AddForm {
    /// The manual source to add it to (created when missing); empty:
    /// `manual`.
    #[serde(default)]
    pub source: String,
    /// `ip`, `cidr`, `domain`, `url`, `md5`, `sha1`, `sha256` or
    /// `user-agent`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub description: String,
    /// Labels separated by commas (ATT&CK techniques as `attack.t1190`).
    #[serde(default)]
    pub labels: String,
    /// 0 to 100; empty for none.
    #[serde(default)]
    pub confidence: String,
    /// RFC 3339 time or a date (`2026-12-31`, the end of that day in
    /// Korea); empty: no end.
    #[serde(default)]
    pub valid_until: String,
}

/// The default manual source's name.
pub const MANUAL_SOURCE: &str = "manual";

/// `2026-12-31` (the end of that day, KST) or an RFC 3339 time, in ms.
fn until_ms(v: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(v, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(v, &fmt).ok()?;
    let end = d
        .next_day()?
        .midnight()
        .assume_offset(time::macros::offset!(+9));
    Some((end.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Adds one indicator by hand to a manual source; every invalid field is
/// named.
pub async fn add(store: &Store, by: &By, f: &AddForm) -> Result<IndicatorView> {
    isac(by)?;
    let mut errors = Vec::new();
    let source = if f.source.trim().is_empty() {
        Ok(MANUAL_SOURCE.to_owned())
    } else {
        text("source", &f.source, 1, MAX_NAME)
    }
    .map_err(|e| errors_of(e, &mut errors));
    let description = text("description", &f.description, 0, MAX_DESCRIPTION)
        .map_err(|e| errors_of(e, &mut errors));
    let value = f.value.trim();
    let kind_value: Option<(Kind, String)> = match f.kind.trim() {
        "" => {
            errors.push(FieldError::new("kind", "required"));
            None
        }
        k if !TYPES.contains(&k) => {
            errors.push(FieldError::new("kind", "invalid_choice"));
            None
        }
        _ if value.is_empty() => {
            errors.push(FieldError::new("value", "required"));
            None
        }
        "ip" | "cidr" => {
            // A /32 or /128 block is its address, as the readers make it.
            match ioc::ip_or_cidr(value, None) {
                Ok(kv) => Some(kv),
                Err(m) => {
                    errors.push(FieldError::new("value", "format").with("detail", m));
                    None
                }
            }
        }
        k => {
            let kind = match k {
                "domain" => Kind::Domain,
                "url" => Kind::Url,
                "md5" => Kind::Md5,
                "sha1" => Kind::Sha1,
                "sha256" => Kind::Sha256,
                _ => Kind::UserAgent,
            };
            let raw = if kind == Kind::UserAgent {
                &f.value
            } else {
                value
            };
            match kind.normalise(raw) {
                Ok(v) => Some((kind, v)),
                Err(m) => {
                    errors.push(FieldError::new("value", "format").with("detail", m));
                    None
                }
            }
        }
    };
    let confidence = match f.confidence.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(n) if (0..=100).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::range("confidence", 0, 100));
                None
            }
        },
    };
    let now = Timestamp::now().0;
    let valid_until = match f.valid_until.trim() {
        "" => None,
        v => match until_ms(v) {
            Some(t) if t > now => Some(t),
            Some(_) => {
                errors.push(FieldError::new("valid_until", "indicator_until_past"));
                None
            }
            None => {
                errors.push(FieldError::new("valid_until", "indicator_until_format"));
                None
            }
        },
    };
    let labels: Vec<String> = f
        .labels
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if labels.len() > 20 || labels.iter().any(|l| l.chars().count() > 100) {
        errors.push(FieldError::new("labels", "too_long").with("max", 100));
    }
    let (Ok(source), Ok(description), Some((kind, value)), true) =
        (source, description, kind_value, errors.is_empty())
    else {
        return Err(Error::Invalid(errors));
    };
    let new = NewIndicator {
        stix_id: format!("manual--{}", medsec_core::new_id()),
        kind: kind.as_str().to_owned(),
        value,
        name: None,
        description: Some(description).filter(|d| !d.is_empty()),
        labels,
        confidence,
        valid_from: now,
        valid_until,
        revoked: false,
    };
    let row = store
        .add_indicator(
            &source,
            &new,
            by.audit(Timestamp(now), Action::IndicatorAdded),
        )
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::Conflict { .. } => {
                Error::field("source", "indicator_source_imported")
            }
            e => e.into(),
        })?;
    Ok(IndicatorView {
        source_name: source,
        status: status_of(&row, now),
        row,
    })
}

/// Reads every indicator not revoked from the database and indexes it
/// (off the async threads); returns the generation it is of.
pub async fn load_set(store: &Store) -> Result<(i64, IndicatorSet)> {
    let names: HashMap<String, Arc<str>> = store
        .indicator_sources()
        .await?
        .into_iter()
        .map(|s| (s.id, Arc::from(s.name.as_str())))
        .collect();
    let mut list: Vec<Indicator> = Vec::new();
    let mut unknown = 0usize;
    let generation = store
        .each_indicator(&mut |row| {
            let Some(kind) = kind_named(&row.kind) else {
                unknown += 1;
                return Ok(());
            };
            list.push(Indicator {
                id: row.stix_id,
                kind,
                value: row.value,
                source: names
                    .get(&row.source_id)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
                name: row.name,
                description: row.description,
                labels: serde_json::from_str(&row.labels).unwrap_or_default(),
                confidence: row.confidence.and_then(|c| u8::try_from(c).ok()),
                valid_from: row.valid_from,
                valid_until: row.valid_until,
                revoked: row.revoked != 0,
            });
            Ok(())
        })
        .await?;
    if unknown > 0 {
        tracing::warn!(
            count = unknown,
            "stored indicators of a kind this build does not know are left out"
        );
    }
    let set = tokio::task::spawn_blocking(move || IndicatorSet::build(list))
        .await
        .map_err(|e| Error::Internal(format!("indicator index: {e}")))?;
    Ok((generation, set))
}

/// How often live detection asks whether the indicators changed.
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// The indicators live detection matches: the set in service, and the
/// generation of the database it was built from. A background task
/// ([`Live::reload_loop`]) polls the generation and builds a new set when
/// it moved, off the detection thread; the thread swaps it in between two
/// batches ([`Live::take_fresh`]), so matching never waits for a build.
#[derive(Debug)]
pub struct Live {
    current: Mutex<Arc<IndicatorSet>>,
    fresh: AtomicBool,
    wake: tokio::sync::Notify,
    /// The generation of the set in service.
    pub generation: AtomicI64,
    /// Indicators in the set in service.
    pub indicators: AtomicUsize,
    /// Sets built since the start (the first one included).
    pub builds: AtomicU64,
    /// Seconds the last build took (reading and indexing), in ms.
    pub build_ms: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

impl Live {
    /// Builds the first set from the database.
    pub async fn load(store: &Store) -> Result<Arc<Live>> {
        let started = std::time::Instant::now();
        let (generation, set) = load_set(store).await?;
        let took = started.elapsed();
        tracing::info!(
            indicators = set.len(),
            generation,
            seconds = took.as_secs_f64(),
            "live detection: indicators loaded from the database"
        );
        Ok(Arc::new(Live {
            indicators: AtomicUsize::new(set.len()),
            current: Mutex::new(Arc::new(set)),
            fresh: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            generation: AtomicI64::new(generation),
            builds: AtomicU64::new(1),
            build_ms: AtomicU64::new(took.as_millis() as u64),
            last_error: Mutex::new(None),
        }))
    }

    /// The set in service.
    pub fn set(&self) -> Arc<IndicatorSet> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A set built since the last call, if any (one atomic load when
    /// there is none).
    pub fn take_fresh(&self) -> Option<Arc<IndicatorSet>> {
        if self.fresh.load(Ordering::Acquire) && self.fresh.swap(false, Ordering::AcqRel) {
            Some(self.set())
        } else {
            None
        }
    }

    /// Asks the reload task to look now rather than at its next poll
    /// (after a change on this node).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Rebuilds the set when the database's generation moved; returns
    /// whether it did.
    pub async fn refresh(&self, store: &Store) -> Result<bool> {
        let now = store.indicator_generation().await?;
        if now == self.generation.load(Ordering::Acquire) {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let (generation, set) = load_set(store).await?;
        let took = started.elapsed();
        tracing::info!(
            indicators = set.len(),
            generation,
            seconds = took.as_secs_f64(),
            "live detection: indicators changed; the new index is in service from the next batch"
        );
        self.indicators.store(set.len(), Ordering::Relaxed);
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        self.generation.store(generation, Ordering::Release);
        self.builds.fetch_add(1, Ordering::Relaxed);
        self.build_ms
            .store(took.as_millis() as u64, Ordering::Relaxed);
        self.fresh.store(true, Ordering::Release);
        Ok(true)
    }

    /// Polls the generation every `every` (or when nudged) until `stop`
    /// is set; an error is logged and tried again at the next poll.
    pub async fn reload_loop(
        self: Arc<Self>,
        store: Store,
        every: Duration,
        stop: Arc<AtomicBool>,
    ) {
        while !stop.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(every, self.wake.notified()).await;
            if stop.load(Ordering::Acquire) {
                break;
            }
            let result = self.refresh(&store).await;
            let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(_) => *last = None,
                Err(e) => {
                    tracing::warn!(error = %e, "live detection: the indicators could not be reloaded; the previous set stays in service");
                    *last = Some(e.to_string());
                }
            }
        }
    }
}

/// A file of `serve --indicators`, imported as the source named after the
/// file (its stem) unless that source already holds exactly these bytes.
/// Returns the report of the import, or `None` when unchanged.
pub async fn import_file_at_start(
    store: &Store,
    by: &By,
    source: &str,
    bytes: Vec<u8>,
) -> Result<Option<ImportReport>> {
    let sha = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
    if let Some(existing) = store.indicator_source(source, true).await?
        && existing.sha256.as_deref() == Some(sha.as_str())
    {
        return Ok(None);
    }
    let req = ImportRequest {
        source: source.to_owned(),
        description: "medsec serve --indicators".into(),
        bytes,
    };
    Ok(Some(import(store, by, req, &mut |_| {}).await?))
}
