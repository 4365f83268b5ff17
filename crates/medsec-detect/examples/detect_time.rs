//! Times Sigma detection alone over events already normalised, to iterate
//! on the engine's speed without building the whole `sigma-bench` (which
//! gives the numbers BENCHMARKS.md reports).
//!
//! ```text
//! cargo run --release -p medsec-detect --example detect_time -- \
//!     RULES_DIR FILE… [--all-rules] [--repeat N] [--same] [--hits OUT]
//! ```
//!
//! The files are read as `medsec hunt` reads logs (format detection,
//! parsing, normalising); `sigma-bench --keep --dir DIR` leaves its input
//! in `DIR` (`windows.json`, `syslog.log`, `rules/`). It prints the events,
//! the hits and, for each repetition, the wall and CPU seconds of the
//! detection loop; `--hits OUT` writes every hit as `event-index rule-id`,
//! one a line, to compare two versions of the engine. Each repetition
//! builds a fresh detector unless `--same` (one detector for all, so that
//! a profile of the whole program is mostly the detection loop).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use medsec_detect::{Detector, Options, RuleSet, SigmaDetector};
use medsec_logs::{Decoders, Format, Masker, SourceConfig};

/// This thread's CPU time in seconds (`/proc/thread-self/schedstat`: time
/// on the CPU in nanoseconds first).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// This process's resident memory now and at its peak, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(key)?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(f64::NAN, |k| k / 1024.0)
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

fn main() {
    let mut rules = None;
    let mut files = Vec::new();
    let mut all_rules = false;
    let mut repeat = 3;
    let mut hits_out = None;
    let mut same = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--all-rules" => all_rules = true,
            "--same" => same = true,
            "--repeat" => repeat = it.next().expect("--repeat N").parse().unwrap(),
            "--hits" => hits_out = Some(PathBuf::from(it.next().expect("--hits OUT"))),
            _ if rules.is_none() => rules = Some(PathBuf::from(a)),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let rules = rules.expect("usage: detect_time RULES_DIR FILE…");
    let t = Instant::now();
    let set = RuleSet::load(&[rules], Vec::new()).unwrap();
    let options = Options {
        logsource_routing: !all_rules,
        include_event: false,
    };
    println!(
        "{} rules, {} failures, loaded in {:.2} s",
        set.rules.len(),
        set.failures.len(),
        t.elapsed().as_secs_f64()
    );
    let decoders = Arc::new(Decoders::new());
    let masker = Arc::new(Masker::disabled());
    let mut events = Vec::new();
    for file in &files {
        let reader = BufReader::with_capacity(256 * 1024, std::fs::File::open(file).unwrap());
        let config = SourceConfig::new("h01", file.display().to_string(), Format::Auto);
        let import = medsec_logs::Import::new(
            reader,
            config,
            decoders.clone(),
            masker.clone(),
            1_714_489_200_000_000_000,
        )
        .unwrap();
        for item in import {
            if let medsec_logs::Outcome::Event { event, .. } = item.unwrap().outcome {
                events.push(event);
            }
        }
    }
    let (rss, peak) = rss_mib();
    println!(
        "{} events; memory {rss:.0} MiB, peak {peak:.0} MiB",
        events.len()
    );
    let mut out = Vec::new();
    let mut detector = SigmaDetector::new(&set, options.clone()).unwrap();
    let (rss, peak) = rss_mib();
    println!("detector built; memory {rss:.0} MiB, peak {peak:.0} MiB");
    for run in 0..repeat {
        // A fresh detector each time (correlation state empty).
        if run > 0 && !same {
            detector = SigmaDetector::new(&set, options.clone()).unwrap();
        }
        let mut lines = Vec::new();
        let (wall, cpu) = (Instant::now(), cpu_secs());
        let mut hits = 0;
        for (i, e) in events.iter().enumerate() {
            detector.detect(e, &mut out);
            hits += out.len();
            if run == 0 && hits_out.is_some() {
                for h in &out {
                    lines.push(format!(
                        "{i} {}",
                        h.rule_id.as_deref().unwrap_or(h.title.as_str())
                    ));
                }
            }
            out.clear();
        }
        let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_secs() - cpu);
        println!(
            "run {}: {} events, {hits} hits, {wall:.3} s wall, {cpu:.3} s CPU, {:.0} events/s (CPU)",
            run + 1,
            events.len(),
            events.len() as f64 / cpu
        );
        if let Some(path) = hits_out.as_ref().filter(|_| run == 0) {
            let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
            for l in lines {
                writeln!(f, "{l}").unwrap();
            }
        }
    }
}
