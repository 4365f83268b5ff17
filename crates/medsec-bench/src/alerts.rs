//! `alert-bench`: how long after an event is stored its alert is in the
//! database, where the analyst console reads it (issue 7: "an alert
//! appears in the analyst console within 2 s of the event being
//! received"), with the whole SigmaHQ rule set loaded and a steady
//! background load.
//!
//! # Setup
//!
//! A SQLite database and an event store in a temporary directory, an ISAC
//! and one member hospital, and live detection
//! (`medsec_server::detection`, the code `medsec serve --rules` runs)
//! with every rule of `MEDSEC_DATA/sigma/rules` and
//! `rules-emerging-threats` plus one probe rule (a keyword no real line
//! has).
//!
//! # Load
//!
//! Background: `--rate` events a second (5,000) from the seeded loghub
//! generator (`medsec_bench::loghub`, seed 5: real Linux, OpenSSH and
//! Apache lines), appended in batches every 10 ms. Every `--every` ms
//! (500) a probe event with the keyword is appended; its latency is the
//! time from the append's acknowledgement (the moment a sender would be
//! acknowledged) until the probe alert's hit count in the database
//! includes it (polled every 2 ms). The console's queue refreshes every
//! second on top of this.
//!
//! ```text
//! alert-bench [--data DIR] [--rate N] [--seconds S] [--every MS]
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use medsec_bench::loghub::Generator;
use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Timestamp};
use medsec_logs::{Event, EventId, Fields};
use medsec_store::alerts::AlertFilter;
use medsec_store::watch::MemberScope;
use medsec_store::{AuditEntry, OpenOptions, Store};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PROBE_RULE: &str = "title: medsec latency probe\nid: 11111111-2222-4333-8444-555555555555\nstatus: test\nlevel: high\nlogsource:\n  category: test\ndetection:\n  keywords:\n    - 'medsec-latency-probe'\n  condition: keywords\n";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn audit(action: Action) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: "alert-bench".into(),
        source: "bench".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "organization",
        target_id: None,
        details: serde_json::json!({}),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = PathBuf::from(
        arg(&args, "--data")
            .or_else(|| std::env::var("MEDSEC_DATA").ok())
            .unwrap_or_else(|| "../shared/data".into()),
    );
    let rate: u64 = arg(&args, "--rate").map_or(5_000, |v| v.parse().unwrap());
    let seconds: u64 = arg(&args, "--seconds").map_or(20, |v| v.parse().unwrap());
    let every: u64 = arg(&args, "--every").map_or(500, |v| v.parse().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(Store::open(
            dir.path().join("medsec.db").to_str().unwrap(),
            &OpenOptions::default(),
        ))
        .unwrap();
    let (hospital, _) = rt
        .block_on(store.create_org(
            "서울병원",
            OrgKind::Hospital,
            Timestamp::now(),
            audit(Action::OrgCreated),
            None,
        ))
        .unwrap();
    let events = Arc::new(
        medsec_events::EventStore::open(dir.path().join("events"), Default::default()).unwrap(),
    );
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("probe.yml"), PROBE_RULE).unwrap();
    let t = Instant::now();
    let loaded = medsec_server::detection::load_rules(
        &[
            data.join("sigma/rules"),
            data.join("sigma/rules-emerging-threats"),
            rules.clone(),
        ],
        &[],
    )
    .unwrap_or_else(|e| panic!("loading the rules under {}: {e}", data.display()));
    let n_rules = loaded.set.rules.len() + loaded.set.correlations.len();
    println!(
        "loaded {n_rules} rules ({} failed) in {:.1} s",
        loaded.set.failures.len(),
        t.elapsed().as_secs_f64()
    );
    let (status, thread) = medsec_server::detection::spawn(
        store.clone(),
        events.clone(),
        loaded,
        Vec::new(),
        rt.handle().clone(),
    )
    .unwrap();
    while !status.started.load(std::sync::atomic::Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut generator = Generator::new(&data, 1, u64::MAX, 1);
    let filter = AlertFilter {
        state: None,
        rule_id: Some("11111111-2222-4333-8444-555555555555".into()),
        limit: 1,
        ..AlertFilter::default()
    };
    let start = Instant::now();
    let mut sent = 0u64;
    // Events stored (a generated line that repeats an earlier one in the
    // same partition is stored once).
    let mut stored = 0u64;
    let mut probes = 0i64;
    let mut next_probe = Duration::from_millis(every);
    let mut latencies = Vec::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        if due > sent {
            let batch: Vec<Event> = (sent..due)
                .map(|_| {
                    let mut e = generator.next();
                    e.member = hospital.id.clone();
                    e
                })
                .collect();
            sent = due;
            stored += events.append(batch).unwrap().stored as u64;
        }
        if start.elapsed() >= next_probe {
            next_probe += Duration::from_millis(every);
            probes += 1;
            let raw = format!("<134>Nov 26 09:00:00 probe app: medsec-latency-probe {probes}");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as i64;
            let probe = Event {
                id: EventId::of(&hospital.id, "probe", raw.as_bytes()),
                member: hospital.id.clone(),
                source: "probe".into(),
                timestamp: now,
                received: now,
                raw,
                fields: Fields::default(),
            };
            events.append(vec![probe]).unwrap();
            let acked = Instant::now();
            loop {
                let (rows, _) = rt
                    .block_on(store.alerts(MemberScope::All, &filter))
                    .unwrap();
                if rows.first().is_some_and(|a| a.hits >= probes) {
                    latencies.push(acked.elapsed());
                    break;
                }
                assert!(
                    acked.elapsed() < Duration::from_secs(60),
                    "probe {probes} never alerted"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Detection keeps up when it has evaluated everything soon after the
    // load stops.
    let total = stored + probes as u64;
    let end = Instant::now();
    while status.events.load(std::sync::atomic::Ordering::Relaxed) < total {
        assert!(
            end.elapsed() < Duration::from_secs(600),
            "detection stalled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let catch_up = end.elapsed();
    let evaluated = status.events.load(std::sync::atomic::Ordering::Relaxed);
    status.stop();
    thread.join().unwrap();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "{sent} background events ({rate}/s for {seconds} s, {stored} stored), {evaluated} evaluated ({:.2} s after the load stopped), {} probes",
        catch_up.as_secs_f64(),
        latencies.len()
    );
    println!("| rules | background | probes | p50 | p95 | p99 | max |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {n_rules} | {rate} ev/s | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
        latencies.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
}
