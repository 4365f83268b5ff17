//! Live detection: the Sigma rules (and other detectors) evaluated on
//! every event the event store commits, in commit order, each event
//! exactly once across restarts, hits raised as alerts.
//!
//! A worker thread reads the store's feed (`medsec_events::Feed`),
//! evaluates each batch, and every few hundred milliseconds writes the
//! slice's hits and the feed position after it, with the correlation
//! state at that point, in one transaction
//! (`Store::record_detections`); only then does it let the store drop
//! the log files before that position. After a crash it resumes from the
//! saved position with the saved state, so the events after it are
//! evaluated again from the same state and the events before it never:
//! no gaps (as scheduled searches leave) and no alert twice.
//!
//! The thread is CPU-bound and has its own core's worth of work; database
//! calls go through the server's tokio runtime.
//!
//! Indicators from the database ([`crate::indicators::Live`]) are matched
//! by an `IndicatorDetector` whose set a background task rebuilds when
//! the indicators change; the thread swaps the new set in between two
//! batches. Matching holds no state, so a swap does not touch the
//! checkpoint: the events of a slice are evaluated with the set in
//! service when they are read, and after a crash with the set in the
//! database at the restart.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medsec_core::Timestamp;
use medsec_core::audit::{Action, Outcome};
use medsec_detect::indicators::IndicatorDetector;
use medsec_detect::{Detector, Hit, HitKind, SigmaDetector};
use medsec_events::{EventStore, FeedItem, FeedPosition};
use medsec_logs::Event;
use medsec_store::alerts::{Checkpoint, NewHit, SEVERITIES};
use medsec_store::{AuditEntry, Store};
use sha2::{Digest, Sha256};

/// The checkpoint row of live detection.
pub const STATE_ID: &str = "live";

/// The longest raw message kept in an alert's copy of an event.
const MAX_RAW_IN_ALERT: usize = 8 * 1024;

/// How long hits wait before they are written (so a burst is one
/// transaction), and how long a position without hits waits.
const HIT_DELAY: Duration = Duration::from_millis(200);
const QUIET_DELAY: Duration = Duration::from_secs(2);

/// What live detection is doing, for the console and `/metrics`.
#[derive(Debug, Default)]
pub struct Status {
    pub detection_rules: usize,
    pub correlation_rules: usize,
    pub filters: usize,
    pub rule_failures: usize,
    pub rules_digest: String,
    /// Events evaluated and hits raised since the process started.
    pub events: AtomicU64,
    pub hits: AtomicU64,
    pub alerts_created: AtomicU64,
    pub suppressed: AtomicU64,
    /// Gaps the feed reported (events stored but not evaluated).
    pub gaps: AtomicU64,
    /// Milliseconds since the epoch of the last checkpoint written.
    pub checkpoint_at: AtomicI64,
    /// Receive time (ms) of the newest event evaluated, for the lag.
    pub newest_received: AtomicI64,
    pub position: Mutex<String>,
    pub last_error: Mutex<Option<String>>,
    pub stop: AtomicBool,
    /// The worker has opened the feed (and recorded its start).
    pub started: AtomicBool,
    /// The indicators from the database, when detection matches them.
    pub indicators: std::sync::OnceLock<Arc<crate::indicators::Live>>,
    /// Set with `stop`, for the indicators' reload task.
    stop_reload: Arc<AtomicBool>,
}

impl Status {
    /// Asks the worker to write its checkpoint and end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.stop_reload.store(true, Ordering::Release);
        if let Some(live) = self.indicators.get() {
            live.nudge();
        }
    }
}

/// The rules live detection runs and their digest (a change of rules
/// is visible in the checkpoint).
pub struct Rules {
    pub set: medsec_detect::RuleSet,
    pub digest: String,
}

impl Rules {
    /// The rules compiled (again: a fresh detector has no correlation
    /// state).
    fn compile(&self) -> Result<SigmaDetector, medsec_detect::Error> {
        SigmaDetector::new_generate_as_specified(
            &self.set,
            medsec_detect::Options {
                logsource_routing: true,
                include_event: false,
            },
        )
    }
}

/// Loads rule files and pipelines for live detection; every rule that
/// cannot be loaded is logged with its file, line and reason.
pub fn load_rules(
    paths: &[std::path::PathBuf],
    pipelines: &[std::path::PathBuf],
) -> Result<Rules, medsec_detect::Error> {
    let pipes = pipelines
        .iter()
        .map(|p| medsec_detect::load_pipeline(p))
        .collect::<Result<Vec<_>, _>>()?;
    let set = medsec_detect::RuleSet::load(paths, pipes)?;
    for f in &set.failures {
        tracing::warn!(
            file = %f.path.display(),
            line = ?f.line,
            rule = f.rule.as_deref().unwrap_or(""),
            reason = %f.reason,
            "a Sigma rule could not be loaded; live detection runs without it"
        );
    }
    let mut h = Sha256::new();
    let mut files: Vec<String> = set
        .rules
        .iter()
        .map(|(r, o)| {
            format!(
                "{}\u{0}{}",
                o.path.display(),
                r.id.as_deref().unwrap_or(&r.title)
            )
        })
        .chain(set.correlations.iter().map(|(c, o)| {
            format!(
                "{}\u{0}{}",
                o.path.display(),
                c.id.as_deref().unwrap_or(&c.title)
            )
        }))
        .collect();
    files.sort();
    for f in &files {
        h.update(f.as_bytes());
        h.update(b"\n");
    }
    let digest = data_encoding::HEXLOWER.encode(&h.finalize());
    let rules = Rules { set, digest };
    // Compiled once here so that a rule the engine refuses stops the
    // start, not the worker.
    rules.compile()?;
    Ok(rules)
}

/// Starts the worker; returns its status. `rt` runs the database calls.
pub fn spawn(
    store: Store,
    events: Arc<EventStore>,
    rules: Rules,
    extra: Vec<Box<dyn Detector + Send>>,
    rt: tokio::runtime::Handle,
) -> std::io::Result<(Arc<Status>, std::thread::JoinHandle<()>)> {
    spawn_with(store, events, rules, extra, None, rt)
}

/// [`spawn`], matching also the indicators of the database: `indicators`
/// is the set loaded at start ([`crate::indicators::Live::load`]), which
/// a task on `rt` reloads every [`crate::indicators::RELOAD_EVERY`] when
/// the database's indicators changed.
pub fn spawn_with(
    store: Store,
    events: Arc<EventStore>,
    rules: Rules,
    extra: Vec<Box<dyn Detector + Send>>,
    indicators: Option<Arc<crate::indicators::Live>>,
    rt: tokio::runtime::Handle,
) -> std::io::Result<(Arc<Status>, std::thread::JoinHandle<()>)> {
    let status = Arc::new(Status {
        detection_rules: rules.set.rules.len(),
        correlation_rules: rules.set.correlations.len(),
        filters: rules.set.filters.len(),
        rule_failures: rules.set.failures.len(),
        rules_digest: rules.digest.clone(),
        ..Status::default()
    });
    let indicators = indicators.map(|live| {
        let _ = status.indicators.set(live.clone());
        rt.spawn(live.clone().reload_loop(
            store.clone(),
            crate::indicators::RELOAD_EVERY,
            status.stop_reload.clone(),
        ));
        let detector = IndicatorDetector::new(live.set(), false);
        (live, detector)
    });
    let s = status.clone();
    let handle = std::thread::Builder::new()
        .name("medsec-detection".into())
        .spawn(move || {
            let mut w = Worker {
                store,
                events,
                rules,
                extra,
                indicators,
                status: s,
                rt,
            };
            loop {
                match w.run() {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::error!(error = %e, "live detection failed; it resumes from its last checkpoint in 5 s");
                        *w.status.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(e.clone());
                        for _ in 0..50 {
                            if w.status.stop.load(Ordering::Acquire) {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            }
        })?;
    Ok((status, handle))
}

struct Worker {
    store: Store,
    events: Arc<EventStore>,
    rules: Rules,
    extra: Vec<Box<dyn Detector + Send>>,
    /// The database's indicators and the detector over the set in service.
    indicators: Option<(Arc<crate::indicators::Live>, IndicatorDetector)>,
    status: Arc<Status>,
    rt: tokio::runtime::Handle,
}

/// Hits and events since the last checkpoint.
#[derive(Default)]
struct Slice {
    hits: Vec<NewHit>,
    events: i64,
    position: Option<FeedPosition>,
    since: Option<Instant>,
}

impl Worker {
    /// Runs until stopped; an error means the last checkpoint is where to
    /// start again (the detector's state is reloaded from it).
    fn run(&mut self) -> Result<(), String> {
        let saved = self
            .rt
            .block_on(self.store.detection_state(STATE_ID))
            .map_err(|e| e.to_string())?;
        let mut sigma = self.rules.compile().map_err(|e| e.to_string())?;
        let start = match &saved {
            Some(s) => {
                let pos: FeedPosition = s
                    .position
                    .parse()
                    .map_err(|e: medsec_events::Error| e.to_string())?;
                if !sigma
                    .import_state(&s.correlation_state)
                    .map_err(|e| e.to_string())?
                {
                    tracing::warn!(
                        "the saved correlation state is of another engine version; correlations start empty"
                    );
                }
                if s.rules_digest != self.rules.digest {
                    tracing::info!(
                        "the rules changed since the last checkpoint; correlations of removed rules are dropped"
                    );
                }
                Some(pos)
            }
            None => None,
        };
        let mut feed = self.events.feed(start).map_err(|e| e.to_string())?;
        if saved.is_none() {
            // The first start: record where evaluation begins before
            // anything is read, so a crash before the first checkpoint
            // does not move the start past events stored meanwhile.
            let slice = Slice {
                position: Some(feed.position()),
                ..Slice::default()
            };
            self.checkpoint(&sigma, slice)?;
            tracing::info!(position = %feed.position(), "live detection starts at the end of the event log");
        } else {
            tracing::info!(position = %feed.position(), "live detection resumes");
        }
        *self
            .status
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.status.started.store(true, Ordering::Release);
        let mut slice = Slice::default();
        let mut hits = Vec::new();
        loop {
            let stopping = self.status.stop.load(Ordering::Acquire);
            let wait = if slice.position.is_some() {
                Duration::from_millis(50)
            } else {
                Duration::from_millis(500)
            };
            let item = if stopping {
                None
            } else {
                feed.next(wait).map_err(|e| e.to_string())?
            };
            let idle = item.is_none();
            // A set rebuilt since the last batch goes into service now,
            // between two batches.
            if let Some((live, detector)) = &mut self.indicators
                && let Some(set) = live.take_fresh()
            {
                *detector = IndicatorDetector::new(set, false);
            }
            match item {
                Some(FeedItem::Batch { events, position }) => {
                    for ev in &events {
                        hits.clear();
                        sigma.detect(ev, &mut hits);
                        for d in &mut self.extra {
                            d.detect(ev, &mut hits);
                        }
                        if let Some((_, d)) = &mut self.indicators {
                            d.detect(ev, &mut hits);
                        }
                        for h in hits.drain(..) {
                            slice.hits.push(new_hit(h, ev));
                        }
                        self.status
                            .newest_received
                            .fetch_max(ev.received.div_euclid(1_000_000), Ordering::Relaxed);
                    }
                    slice.events += events.len() as i64;
                    self.status
                        .events
                        .fetch_add(events.len() as u64, Ordering::Relaxed);
                    slice.position = Some(position);
                    slice.since.get_or_insert_with(Instant::now);
                }
                Some(FeedItem::Gap { from, to }) => {
                    self.status.gaps.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(%from, %to, "live detection skipped events the event log no longer holds (it fell too far behind); they are stored and can be retro-hunted");
                    let audit = AuditEntry {
                        at: Timestamp::now(),
                        org_id: None,
                        actor_id: None,
                        actor: "medsec".into(),
                        source: "detection".into(),
                        action: Action::DetectionGap,
                        outcome: Outcome::Failure,
                        target_kind: "detection",
                        target_id: Some(STATE_ID.into()),
                        details: serde_json::json!({"from": from.to_string(), "to": to.to_string()}),
                    };
                    self.rt
                        .block_on(self.store.audit(audit))
                        .map_err(|e| e.to_string())?;
                    slice.position = Some(to);
                    slice.since.get_or_insert_with(Instant::now);
                }
                None => {}
            }
            let due = match slice.since {
                Some(since) if slice.position.is_some() => {
                    let age = since.elapsed();
                    stopping
                        || (!slice.hits.is_empty() && (idle || age >= HIT_DELAY))
                        || age >= QUIET_DELAY
                        || slice.hits.len() >= 10_000
                }
                _ => false,
            };
            if due {
                let pos = slice.position;
                self.checkpoint(&sigma, std::mem::take(&mut slice))?;
                if let Some(p) = pos {
                    feed.release(p).map_err(|e| e.to_string())?;
                }
            }
            if stopping {
                return Ok(());
            }
        }
    }

    fn checkpoint(&mut self, sigma: &SigmaDetector, slice: Slice) -> Result<(), String> {
        let Some(position) = slice.position else {
            return Ok(());
        };
        let cp = Checkpoint {
            id: STATE_ID.into(),
            position: position.to_string(),
            correlation_state: sigma.export_state().map_err(|e| e.to_string())?,
            rules_digest: self.rules.digest.clone(),
            events: slice.events,
            at: Timestamp::now(),
        };
        let recorded = self
            .rt
            .block_on(self.store.record_detections(&slice.hits, &cp))
            .map_err(|e| e.to_string())?;
        let s = &self.status;
        s.hits.fetch_add(
            (slice.hits.len() - recorded.suppressed) as u64,
            Ordering::Relaxed,
        );
        s.suppressed
            .fetch_add(recorded.suppressed as u64, Ordering::Relaxed);
        s.alerts_created
            .fetch_add(recorded.created.len() as u64, Ordering::Relaxed);
        s.checkpoint_at.store(cp.at.0, Ordering::Relaxed);
        *s.position.lock().unwrap_or_else(|p| p.into_inner()) = cp.position;
        for a in &recorded.created {
            tracing::info!(alert = %a.id, member = %a.member_id, rule = %a.rule_id, severity = %a.severity, "alert raised");
        }
        Ok(())
    }
}

/// The severity of a hit (Sigma's level; medium when the rule has none).
pub fn severity(level: Option<&str>) -> String {
    match level {
        Some(l) if SEVERITIES.contains(&l) => l.to_owned(),
        Some("info") => "informational".into(),
        _ => "medium".into(),
    }
}

/// A detector's hit on `ev` as the store records it.
fn new_hit(h: Hit, ev: &Event) -> NewHit {
    let rule_id = h.rule_id.clone().unwrap_or_else(|| h.title.clone());
    let (kind, group_key) = match &h.kind {
        HitKind::Correlation(t) => {
            let group: Vec<String> = h
                .group
                .iter()
                .map(|g| format!("{}={}", g.field, g.value))
                .collect();
            (
                format!("correlation:{t}"),
                format!("{}\u{1f}{rule_id}\u{1f}{}", ev.member, group.join("\u{1e}")),
            )
        }
        other => (
            match other {
                HitKind::Detection => "detection".to_owned(),
                _ => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "other".into()),
            },
            format!("{}\u{1f}{rule_id}", ev.member),
        ),
    };
    // The event as the search API shows it (`raw` cut to a bounded size).
    let mut event = crate::watch::event_json(ev, &std::collections::HashMap::new());
    if let Some(raw) = event.get_mut("raw")
        && let Some(text) = raw.as_str()
        && text.len() > MAX_RAW_IN_ALERT
    {
        let mut n = 0;
        let kept: String = text
            .chars()
            .take_while(|c| {
                n += c.len_utf8();
                n <= MAX_RAW_IN_ALERT
            })
            .collect();
        *raw = serde_json::Value::String(format!("{kept}…"));
    }
    NewHit {
        member_id: ev.member.clone(),
        group_key,
        kind,
        rule_id,
        title: h.title,
        severity: severity(h.level.as_deref()),
        attack: h.attack,
        tags: h.tags,
        rule_file: h.rule_file.map(|p| p.display().to_string()),
        event_id: ev.id.to_string(),
        received_at: ev.received.div_euclid(1_000_000),
        event_time: ev.timestamp.div_euclid(1_000_000),
        detail: serde_json::json!({
            "matched": h.matched,
            "group": h.group,
            "aggregated": h.aggregated,
            "timespan_secs": h.timespan_secs,
        }),
        event,
    }
}

/// Live detection as the console and the API show it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Whether this node runs live detection.
    pub running: bool,
    pub detection_rules: usize,
    pub correlation_rules: usize,
    pub filters: usize,
    pub rule_failures: usize,
    /// Since this process started.
    pub events: u64,
    pub hits: u64,
    pub alerts_created: u64,
    pub suppressed: u64,
    pub gaps: u64,
    /// Since detection first ran (the checkpoint's totals).
    pub events_total: i64,
    pub hits_total: i64,
    pub position: Option<String>,
    /// RFC 3339 time of the last checkpoint.
    pub checkpoint_at: Option<String>,
    /// Events the event store committed that detection has not
    /// evaluated yet are behind `position`; this is how long ago the
    /// newest evaluated event was received.
    pub newest_received_secs_ago: Option<f64>,
    pub last_error: Option<String>,
    /// Indicators from the database in service, and the generation of
    /// the database they were built from (`None`: not matched here).
    pub indicators: Option<usize>,
    pub indicators_generation: Option<i64>,
    /// Seconds the last build of the indicator index took.
    pub indicators_build_secs: Option<f64>,
}

/// The report of live detection on this node and in the database.
pub async fn report(state: &crate::AppState) -> crate::error::Result<Report> {
    let saved = state.store.detection_state(STATE_ID).await?;
    let mut r = Report::default();
    if let Some(s) = &saved {
        r.events_total = s.events;
        r.hits_total = s.hits;
        r.position = Some(s.position.clone());
        r.checkpoint_at = Some(Timestamp(s.updated_at).rfc3339());
    }
    if let Some(s) = state.watch.get().and_then(|w| w.detection.as_ref()) {
        r.running = true;
        r.detection_rules = s.detection_rules;
        r.correlation_rules = s.correlation_rules;
        r.filters = s.filters;
        r.rule_failures = s.rule_failures;
        r.events = s.events.load(Ordering::Relaxed);
        r.hits = s.hits.load(Ordering::Relaxed);
        r.alerts_created = s.alerts_created.load(Ordering::Relaxed);
        r.suppressed = s.suppressed.load(Ordering::Relaxed);
        r.gaps = s.gaps.load(Ordering::Relaxed);
        let newest = s.newest_received.load(Ordering::Relaxed);
        if newest > 0 {
            r.newest_received_secs_ago = Some((Timestamp::now().0 - newest).max(0) as f64 / 1000.0);
        }
        r.last_error = s
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(live) = s.indicators.get() {
            r.indicators = Some(live.indicators.load(Ordering::Relaxed));
            r.indicators_generation = Some(live.generation.load(Ordering::Relaxed));
            r.indicators_build_secs = Some(live.build_ms.load(Ordering::Relaxed) as f64 / 1000.0);
            if r.last_error.is_none() {
                r.last_error = live
                    .last_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
            }
        }
    }
    Ok(r)
}
