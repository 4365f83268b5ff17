//! `sigma-bench`: the detection target of issue 7, side by side with the
//! `rsigma` CLI and the SQLite evaluator in one run.
//!
//! Target: with the whole SigmaHQ rule set loaded, at least 100,000
//! events/s on one core; the ratios to rsigma (aim ≥ 1.0) and to the rules
//! converted to SQL by sigma-cli's SQLite backend, on the same rules and
//! events.
//!
//! # Rules
//!
//! Every rule of `MEDSEC_DATA/sigma/rules` and `rules-emerging-threats`
//! (copied into one directory, as rsigma takes one `-r`).
//!
//! # Events
//!
//! `--events` events (100,000) from a seeded generator (splitmix64, seed
//! 7) over real records: with probability `--windows-share` (1/2) a
//! Windows event, a record of SigmaHQ's regression set (EVTX as JSON; 237
//! records, most of them an attack some rule must catch) with its time,
//! record id and computer rewritten; otherwise a line of the loghub
//! Linux, OpenSSH and Apache samples from `medsec_bench::loghub` (member
//! `h01`). Each evaluator reads the events as it reads logs:
//!
//! - **medsec**: the Windows events as EVTX JSON lines (`windows.json`,
//!   decoded by `windows-json`) and the others as the syslog lines a
//!   sender puts on the wire (`syslog.log`, RFC 3164), through
//!   `medsec_logs::import` (format detection, parsing, normalising) into
//!   `SigmaDetector`, in one child process pinned to CPU 0 (`taskset`), as
//!   `medsec hunt` does; twice: with logsource routing (the default) and
//!   with every rule on every event (`--all-rules`, as the peers do). The
//!   child also times the detection alone, over the events already
//!   normalised in memory.
//! - **rsigma** (`rsigma engine eval -r RULES -e @flat.ndjson
//!   --output-format ndjson`, pinned to CPU 0): the same events as flat
//!   JSON, one object a line: a Windows event's `EventID`, `Channel`,
//!   `Provider_Name`, `Computer` and `EventData`/`UserData` fields; a
//!   syslog line's `message` (the whole line), `host`, `program` and
//!   `pid`. Its rule loading is timed separately (on an empty event file)
//!   and taken out.
//! - **SQLite**: the rules converted by `sigma convert -t sqlite -f
//!   zircolite` (pySigma-backend-sqlite), the flat events in an in-memory
//!   SQLite table, every query run over the table
//!   (`crates/medsec-detect/tests/peers/sqlite_eval.py --summary`, pinned
//!   to CPU 0); conversion and loading are timed apart from the queries.
//!
//! The throughput of each is events ÷ the time spent evaluating (rules
//! loaded). `--runs R` gives medians of R runs, alternating. Before each
//! measurement the program waits (up to 5 minutes, or `--quiet-wait`
//! seconds) for a quiet machine.
//!
//! ```text
//! sigma-bench [--events N] [--windows-share F] [--runs R] [--cpu 0]
//!             [--rsigma PATH] [--python PATH] [--peers rsigma,sqlite]
//!             [--dir DIR] [--keep] [--quiet-wait SECS]
//! ```
//!
//! `--python` is a Python with sigma-cli and pySigma-backend-sqlite
//! (`scripts/test-requirements.txt`); `--rsigma` the rsigma 0.23.0 binary
//! (`cargo install rsigma --version 0.23.0 --locked`). It prints Markdown
//! for BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use medsec_bench::loghub::{Generator, Rng, syslog_line};
use medsec_bench::machine::{process_status_mib, wait_quiet};
use medsec_detect::{Detector, Options, RuleSet, SigmaDetector};
use medsec_logs::{Decoders, Format, Masker, SourceConfig};
use serde_json::{Map, Value as Json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    events: usize,
    windows_share: f64,
    runs: usize,
    cpu: usize,
    rsigma: PathBuf,
    python: PathBuf,
    peers: Vec<String>,
    dir: Option<PathBuf>,
    keep: bool,
    /// The longest wait for a quiet machine before each measurement.
    quiet_wait: Duration,
}

fn args() -> Args {
    let mut a = Args {
        events: 100_000,
        windows_share: 0.5,
        runs: 3,
        cpu: 0,
        rsigma: PathBuf::from("/work/cache/rsigma/bin/rsigma"),
        python: PathBuf::from(".venv-test/bin/python"),
        peers: vec!["rsigma".into(), "sqlite".into()],
        dir: None,
        keep: false,
        quiet_wait: Duration::from_secs(300),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => a.events = value().parse().unwrap(),
            "--windows-share" => a.windows_share = value().parse().unwrap(),
            "--runs" => a.runs = value().parse().unwrap(),
            "--cpu" => a.cpu = value().parse().unwrap(),
            "--rsigma" => a.rsigma = value().into(),
            "--python" => a.python = value().into(),
            "--peers" => a.peers = value().split(',').map(str::to_owned).collect(),
            "--dir" => a.dir = Some(value().into()),
            "--keep" => a.keep = true,
            "--quiet-wait" => a.quiet_wait = Duration::from_secs(value().parse().unwrap()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// The regression set's EVTX JSON records.
fn windows_records(data: &Path) -> Vec<Json> {
    let file = std::fs::File::open(data.join("sigma/regression_events.jsonl.gz")).unwrap();
    let mut out = Vec::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let record: Json = serde_json::from_str(&line.unwrap()).unwrap();
        for ev in record["events"].as_array().into_iter().flatten() {
            match ev["format"].as_str() {
                Some("json") => out.push(ev["data"].clone()),
                Some("json-multi") => {
                    out.extend(ev["data"].as_array().cloned().unwrap_or_default())
                }
                _ => {}
            }
        }
    }
    out
}

fn text_of(v: &Json) -> Json {
    match v {
        Json::Object(m) => m.get("#text").cloned().unwrap_or(Json::Null),
        other => other.clone(),
    }
}

/// An EVTX JSON record flattened as the peers read Windows events (as
/// `crates/medsec-detect/tests/it/peers.rs` does).
fn flatten_windows(doc: &Json) -> Json {
    let event = &doc["Event"];
    let system = &event["System"];
    let mut m = Map::new();
    m.insert("EventID".into(), text_of(&system["EventID"]));
    m.insert("Channel".into(), system["Channel"].clone());
    m.insert("Computer".into(), system["Computer"].clone());
    m.insert(
        "Provider_Name".into(),
        system["Provider"]["#attributes"]["Name"].clone(),
    );
    for (k, v) in event["EventData"].as_object().into_iter().flatten() {
        if k != "#attributes" {
            m.insert(k.clone(), text_of(v));
        }
    }
    for inner in event["UserData"].as_object().into_iter().flatten() {
        for (k, v) in inner.1.as_object().into_iter().flatten() {
            if k != "#attributes" {
                m.insert(k.clone(), text_of(v));
            }
        }
    }
    Json::Object(m)
}

struct Generated {
    windows: usize,
    syslog: usize,
    secs: f64,
}

/// Writes `windows.json`, `syslog.log` (medsec's input) and `flat.ndjson`
/// (the peers').
fn generate(a: &Args, data: &Path, dir: &Path) -> Generated {
    let t = Instant::now();
    let records = windows_records(data);
    assert!(!records.is_empty(), "no regression events");
    let mut rng = Rng(7);
    let mut loghub = Generator::new(data, 1, a.events as u64, 1);
    let mut windows =
        std::io::BufWriter::new(std::fs::File::create(dir.join("windows.json")).unwrap());
    let mut syslog =
        std::io::BufWriter::new(std::fs::File::create(dir.join("syslog.log")).unwrap());
    let mut flat = std::io::BufWriter::new(std::fs::File::create(dir.join("flat.ndjson")).unwrap());
    let (mut nw, mut ns) = (0, 0);
    let share = (a.windows_share * 1_000_000.0) as u64;
    for i in 0..a.events {
        if rng.next() % 1_000_000 < share {
            let mut doc = records[rng.below(records.len())].clone();
            let system = &mut doc["Event"]["System"];
            let secs = (i as u64 * 86_400 / a.events as u64) as i64;
            let time = time::OffsetDateTime::from_unix_timestamp(1_714_489_200 + secs).unwrap();
            system["TimeCreated"]["#attributes"]["SystemTime"] = Json::String(
                time.format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            );
            system["EventRecordID"] = Json::from(i as u64);
            system["Computer"] = Json::String(format!("h01-pc{:03}", rng.below(200)));
            writeln!(windows, "{doc}").unwrap();
            writeln!(flat, "{}", flatten_windows(&doc)).unwrap();
            nw += 1;
        } else {
            let event = loghub.next();
            let line = syslog_line(&event);
            writeln!(syslog, "{line}").unwrap();
            let field = |n: &str| event.fields.get(n).map(|v| v.to_text());
            let mut m = Map::new();
            m.insert("message".into(), Json::String(line.clone()));
            for (k, n) in [
                ("host", "host.name"),
                ("program", "process.name"),
                ("pid", "process.pid"),
            ] {
                if let Some(v) = field(n) {
                    m.insert(k.into(), Json::String(v));
                }
            }
            writeln!(flat, "{}", Json::Object(m)).unwrap();
            ns += 1;
        }
    }
    windows.flush().unwrap();
    syslog.flush().unwrap();
    flat.flush().unwrap();
    Generated {
        windows: nw,
        syslog: ns,
        secs: t.elapsed().as_secs_f64(),
    }
}

/// The child's report (one JSON line on standard output).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default)]
struct ChildReport {
    rules: usize,
    load_secs: f64,
    events: usize,
    hits: usize,
    /// Reading, parsing, normalising and detecting.
    end_to_end_secs: f64,
    /// Detecting alone, over the events already normalised.
    detect_secs: f64,
    rss_mib: f64,
}

/// `--child MODE RULES FILE…`: medsec's side, pinned by the parent.
fn child(mode: &str, rules: &Path, files: &[PathBuf]) {
    let t = Instant::now();
    let set = RuleSet::load(&[rules.to_owned()], Vec::new()).unwrap();
    let options = Options {
        logsource_routing: mode == "routed",
        include_event: false,
    };
    let mut detector = SigmaDetector::new(&set, options.clone()).unwrap();
    let load_secs = t.elapsed().as_secs_f64();
    let decoders = Arc::new(Decoders::new());
    let masker = Arc::new(Masker::disabled());
    let mut hits = 0;
    let mut events = Vec::new();
    let mut out = Vec::new();
    let t = Instant::now();
    for file in files {
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
                detector.detect(&event, &mut out);
                hits += out.len();
                out.clear();
                events.push(event);
            }
        }
    }
    let end_to_end_secs = t.elapsed().as_secs_f64();
    // Detection alone, with a fresh detector (correlation state empty).
    let mut detector = SigmaDetector::new(&set, options).unwrap();
    let t = Instant::now();
    let mut again = 0;
    for e in &events {
        detector.detect(e, &mut out);
        again += out.len();
        out.clear();
    }
    let detect_secs = t.elapsed().as_secs_f64();
    assert_eq!(again, hits, "the same hits the second time");
    let report = ChildReport {
        rules: set.rules.len() + set.correlations.len(),
        load_secs,
        events: events.len(),
        hits,
        end_to_end_secs,
        detect_secs,
        rss_mib: process_status_mib("self", "VmHWM:"),
    };
    println!("{}", serde_json::to_string(&report).unwrap());
}

fn pinned(a: &Args, program: &Path) -> Command {
    let mut c = Command::new("taskset");
    c.arg("-c").arg(a.cpu.to_string()).arg(program);
    c
}

fn quiet(a: &Args) {
    wait_quiet(Duration::from_secs(2), 0.15, a.quiet_wait);
}

fn measure_medsec(a: &Args, exe: &Path, mode: &str, rules: &Path, dir: &Path) -> ChildReport {
    quiet(a);
    let out = pinned(a, exe)
        .args(["--child", mode])
        .arg(rules)
        .arg(dir.join("windows.json"))
        .arg(dir.join("syslog.log"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "the medsec child failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// rsigma's evaluation seconds (wall time less its rule loading), hits.
fn measure_rsigma(a: &Args, rules: &Path, events: &Path, empty: &Path) -> (f64, f64, usize) {
    let run = |file: &Path| {
        quiet(a);
        let t = Instant::now();
        let out = pinned(a, &a.rsigma)
            .args(["engine", "eval", "-r"])
            .arg(rules)
            .arg("-e")
            .arg(format!("@{}", file.display()))
            .args(["--output-format", "ndjson"])
            .stderr(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "rsigma failed");
        let hits = out
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"{"))
            .count();
        (t.elapsed().as_secs_f64(), hits)
    };
    let (load, _) = run(empty);
    let (total, hits) = run(events);
    (total - load, load, hits)
}

#[derive(serde::Deserialize, Clone, Debug)]
struct SqliteReport {
    rules: usize,
    errors: usize,
    hits: usize,
    convert_secs: f64,
    load_secs: f64,
    query_secs: f64,
}

fn measure_sqlite(a: &Args, rules: &Path, events: &Path) -> SqliteReport {
    quiet(a);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../medsec-detect/tests/peers/sqlite_eval.py");
    let out = pinned(a, &a.python)
        .arg(script)
        .arg(rules)
        .arg(events)
        .arg("--summary")
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "sqlite_eval.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn copy_rules(data: &Path, to: &Path) -> usize {
    fn walk(from: &Path, to: &Path, n: &mut usize) {
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, to, n);
            } else if p.extension().is_some_and(|e| e == "yml") {
                *n += 1;
                let name = format!("{:05}_{}", *n, p.file_name().unwrap().to_string_lossy());
                std::fs::copy(&p, to.join(name)).unwrap();
            }
        }
    }
    std::fs::create_dir_all(to).unwrap();
    let mut n = 0;
    walk(&data.join("sigma/rules"), to, &mut n);
    walk(&data.join("sigma/rules-emerging-threats"), to, &mut n);
    n
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--child") {
        let files: Vec<PathBuf> = argv[4..].iter().map(PathBuf::from).collect();
        child(&argv[2], Path::new(&argv[3]), &files);
        return;
    }
    let a = args();
    let data = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("sigma-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let rules = dir.join("rules");
    let n_rules = copy_rules(&data, &rules);
    let g = generate(&a, &data, &dir);
    let flat = dir.join("flat.ndjson");
    let empty = dir.join("empty.ndjson");
    std::fs::write(&empty, "").unwrap();
    println!(
        "Input: {} events ({} Windows, {} syslog), generated in {:.1} s; {n_rules} rule files; evaluators pinned to CPU {}; in {}",
        a.events,
        g.windows,
        g.syslog,
        g.secs,
        a.cpu,
        dir.display()
    );

    let mut routed = Vec::new();
    let mut all = Vec::new();
    let mut rsigma = Vec::new();
    let mut sqlite = Vec::new();
    for run in 0..a.runs {
        let r = measure_medsec(&a, &exe, "routed", &rules, &dir);
        eprintln!("run {}: medsec (routed): {r:?}", run + 1);
        routed.push(r);
        let r = measure_medsec(&a, &exe, "all", &rules, &dir);
        eprintln!("run {}: medsec (all rules): {r:?}", run + 1);
        all.push(r);
        if a.peers.iter().any(|p| p == "rsigma") {
            let r = measure_rsigma(&a, &rules, &flat, &empty);
            eprintln!(
                "run {}: rsigma: eval {:.2} s, load {:.2} s, {} hits",
                run + 1,
                r.0,
                r.1,
                r.2
            );
            rsigma.push(r);
        }
        // SQLite takes minutes a run; once is enough.
        if run == 0 && a.peers.iter().any(|p| p == "sqlite") {
            let r = measure_sqlite(&a, &rules, &flat);
            eprintln!("run 1: sqlite: {r:?}");
            sqlite.push(r);
        }
    }

    let n = a.events as f64;
    println!();
    println!(
        "| evaluator | rules | events/s (median of {}) | seconds evaluating | rule loading s | hits | peak RSS |",
        a.runs
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut rates: Vec<(String, f64)> = Vec::new();
    // (row, runs, whether end to end rather than detection alone)
    let rows = [
        ("medsec, logsource routing, detection alone", &routed, false),
        (
            "medsec, every rule on every event, detection alone",
            &all,
            false,
        ),
        (
            "medsec, logsource routing, read + parse + normalise + detect (`medsec hunt`)",
            &routed,
            true,
        ),
        (
            "medsec, every rule on every event, read + parse + normalise + detect",
            &all,
            true,
        ),
    ];
    for (name, reports, end_to_end) in rows {
        let secs = median(
            reports
                .iter()
                .map(|r| {
                    if end_to_end {
                        r.end_to_end_secs
                    } else {
                        r.detect_secs
                    }
                })
                .collect(),
        );
        let r = &reports[0];
        println!(
            "| {name} | {} | **{:.0}** | {:.2} | {:.2} | {} | {:.0} MiB |",
            r.rules,
            r.events as f64 / secs,
            secs,
            median(reports.iter().map(|r| r.load_secs).collect()),
            r.hits,
            r.rss_mib
        );
        rates.push((name.to_owned(), r.events as f64 / secs));
    }
    if !rsigma.is_empty() {
        let secs = median(rsigma.iter().map(|r| r.0).collect());
        println!(
            "| rsigma 0.23.0 `engine eval` (flat JSON: parse + detect) | {n_rules} | {:.0} | {:.2} | {:.2} | {} | |",
            n / secs,
            secs,
            median(rsigma.iter().map(|r| r.1).collect()),
            rsigma[0].2
        );
        rates.push(("rsigma".into(), n / secs));
    }
    if let Some(r) = sqlite.first() {
        println!(
            "| SQLite (sigma-cli + pySigma-backend-sqlite; queries only) | {} ({} failed) | {:.0} | {:.2} | convert {:.1}, load {:.1} | {} | |",
            r.rules,
            r.errors,
            n / r.query_secs,
            r.query_secs,
            r.convert_secs,
            r.load_secs,
            r.hits
        );
        rates.push(("sqlite".into(), n / r.query_secs));
    }
    println!();
    let get = |k: &str| {
        rates
            .iter()
            .find(|(n, _)| n.starts_with(k))
            .map(|(_, r)| *r)
    };
    for (ours, label) in [
        (
            "medsec, logsource routing, read",
            "medsec hunt (routed, end to end)",
        ),
        (
            "medsec, every rule on every event, read",
            "medsec (every rule, end to end)",
        ),
    ] {
        for peer in ["rsigma", "sqlite"] {
            if let (Some(m), Some(p)) = (get(ours), get(peer)) {
                println!("- {label} ÷ {peer}: {:.2}", m / p);
            }
        }
    }
    if !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
