//! `indicator-bench`: the indicator target of issue 7.
//!
//! Target: with 1,000,000 indicators loaded, indicator matching slows
//! ingest down by less than 10 %.
//!
//! # Indicators
//!
//! `--indicators` (1,000,000) from a seeded generator (splitmix64, seed
//! 13), the mix an ISAC's feeds give:
//!
//! | share | kind | values |
//! |---:|---|---|
//! | 40 % | IPv4 addresses | random public-looking addresses; the first `--hits` (25) of them are addresses that really occur in the events (`source.ip` of the loghub SSH and Linux lines, the first distinct ones), so some events match |
//! | 5 % | IPv6 addresses | random in `2001:db8::/32` |
//! | 5 % | CIDR blocks | IPv4 /16 to /30 (half of them /24), IPv6 /32 to /64; they nest and overlap as real block lists do |
//! | 25 % | domains | two or three random labels under `.example`, `.test`, `.kr`, `.com` |
//! | 10 % | URLs | `https://` a random domain and path |
//! | 10 % | hashes | MD5, SHA-1 and SHA-256 in equal parts |
//! | 5 % | user agents | a browser string with a random tool name |
//!
//! From four sources; 10 % have a `valid_until` in the past (expired) and
//! 1 % are revoked, so validity is checked as in production.
//!
//! # Events
//!
//! `--events` (500,000) loghub events (`medsec_bench::loghub`, seed 5, 20
//! members, one day) as the RFC 3164 lines a sender puts on the wire, in
//! memory.
//!
//! # Measurement
//!
//! The program pins itself to one CPU (`--cpu`, 0) and measures the CPU
//! time (the thread's, from `/proc/thread-self/schedstat`) of the ingest
//! path's per-event work, as `ingest-bench` times its "decoding alone"
//! stage: `medsec_logs::normalize::Normalizer` (format
//! `auto`, the default masker: detection, parsing, normalising, masking,
//! the event id) over every line; once as is and once with
//! `IndicatorSet::matches` on every normalised event (validity judged at
//! the event's `event.ingested`). The two are interleaved in slices of
//! 5,000 lines (which goes first alternating), each slice timed on its
//! own, so that other work on the machine falls on both alike; `--runs`
//! (7) such passes, and the medians of the sums are compared: the
//! slowdown is the extra CPU time per event over the normaliser's. It
//! also reports the building time, the memory (resident set growth) of the indicators and of the index, the
//! matching alone over the events already normalised, and how many events
//! matched.
//!
//! ```text
//! indicator-bench [--indicators N] [--events N] [--hits N] [--runs R] [--cpu 0]
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use medsec_bench::loghub::{Generator, Rng, syslog_line};
use medsec_bench::machine::{status_mib, wait_quiet};
use medsec_detect::indicators::{Indicator, IndicatorSet, Kind};
use medsec_logs::{Decoders, Event, Format, Masker, Normalizer, Outcome, SourceConfig, Value};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    indicators: usize,
    events: u64,
    hits: usize,
    runs: usize,
    cpu: usize,
}

fn args() -> Args {
    let mut a = Args {
        indicators: 1_000_000,
        events: 500_000,
        hits: 25,
        runs: 7,
        cpu: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--indicators" => a.indicators = value().parse().unwrap(),
            "--events" => a.events = value().parse().unwrap(),
            "--hits" => a.hits = value().parse().unwrap(),
            "--runs" => a.runs = value().parse().unwrap(),
            "--cpu" => a.cpu = value().parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// When the events are received (2024-05-02T00:00:00+09:00), and the
/// indicators' times around it.
const RECEIVED: i64 = 1_714_575_600_000_000_000;
const RECEIVED_MS: i64 = RECEIVED / 1_000_000;
const DAY_MS: i64 = 86_400_000;

const SOURCES: [&str; 4] = ["KISA C-TAS", "Medical ISAC", "abuse feed", "member share"];
const TLDS: [&str; 4] = ["example", "test", "kr", "com"];

fn label(rng: &mut Rng) -> String {
    let len = 3 + rng.below(10);
    (0..len)
        .map(|_| (b'a' + rng.below(26) as u8) as char)
        .collect()
}

fn domain(rng: &mut Rng) -> String {
    let mut d = String::new();
    for _ in 0..2 + rng.below(2) {
        d.push_str(&label(rng));
        d.push('.');
    }
    d.push_str(TLDS[rng.below(TLDS.len())]);
    d
}

fn hex(rng: &mut Rng, digits: usize) -> String {
    let mut s = String::with_capacity(digits);
    while s.len() < digits {
        s.push_str(&format!("{:016x}", rng.next()));
    }
    s.truncate(digits);
    s
}

fn public_v4(rng: &mut Rng) -> Ipv4Addr {
    let r = rng.next();
    Ipv4Addr::new(
        1 + (r % 223) as u8,
        (r >> 8) as u8,
        (r >> 16) as u8,
        (r >> 24) as u8,
    )
}

/// The indicators (module documentation); `seen` are addresses of the
/// events, used for the first `hits` IPv4 indicators.
fn generate(n: usize, seen: &[Ipv4Addr], hits: usize) -> Vec<Indicator> {
    let mut rng = Rng(13);
    let sources: Vec<Arc<str>> = SOURCES.iter().map(|s| Arc::from(*s)).collect();
    let mut out = Vec::with_capacity(n);
    let mut used_hits = 0;
    for i in 0..n {
        let pick = rng.below(100);
        let (kind, value) = match pick {
            0..40 => {
                let a = if used_hits < hits.min(seen.len()) {
                    used_hits += 1;
                    seen[used_hits - 1]
                } else {
                    public_v4(&mut rng)
                };
                (Kind::Ipv4, a.to_string())
            }
            40..45 => {
                let a = Ipv6Addr::from(
                    0x2001_0db8_u128 << 96
                        | u128::from(rng.next()) << 32
                        | u128::from(rng.next() as u32),
                );
                (Kind::Ipv6, a.to_string())
            }
            45..50 => {
                if rng.below(5) == 0 {
                    let len = 32 + rng.below(33) as u32;
                    let a = 0x2001_0db8_u128 << 96 | u128::from(rng.next()) << 32;
                    let net = a & u128::MAX.checked_shl(128 - len).unwrap_or(0);
                    (Kind::Cidr, format!("{}/{len}", Ipv6Addr::from(net)))
                } else {
                    let len = match rng.below(4) {
                        0 | 1 => 24,
                        2 => 16 + rng.below(8) as u32,
                        _ => 25 + rng.below(6) as u32,
                    };
                    let a = u32::from(public_v4(&mut rng));
                    let net = a & u32::MAX.checked_shl(32 - len).unwrap_or(0);
                    (Kind::Cidr, format!("{}/{len}", Ipv4Addr::from(net)))
                }
            }
            50..75 => (Kind::Domain, domain(&mut rng)),
            75..85 => (
                Kind::Url,
                format!(
                    "https://{}/{}/{}.php?id={}",
                    domain(&mut rng),
                    label(&mut rng),
                    label(&mut rng),
                    rng.below(10_000)
                ),
            ),
            85..95 => match rng.below(3) {
                0 => (Kind::Md5, hex(&mut rng, 32)),
                1 => (Kind::Sha1, hex(&mut rng, 40)),
                _ => (Kind::Sha256, hex(&mut rng, 64)),
            },
            _ => (
                Kind::UserAgent,
                format!(
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) {}/{}.{}",
                    label(&mut rng),
                    rng.below(10),
                    rng.below(100)
                ),
            ),
        };
        let mut ind = Indicator::new(
            format!("indicator--{}", hex(&mut rng, 32)),
            kind,
            &value,
            sources[i % sources.len()].clone(),
        )
        .unwrap();
        ind.confidence = Some(rng.below(101) as u8);
        ind.valid_from = RECEIVED_MS - 30 * DAY_MS;
        match rng.below(100) {
            0..10 => ind.valid_until = Some(RECEIVED_MS - DAY_MS),
            10 => ind.revoked = true,
            _ => ind.valid_until = Some(RECEIVED_MS + 90 * DAY_MS),
        }
        out.push(ind);
    }
    out
}

/// CPU seconds this thread ran, in nanoseconds' resolution (the first
/// field of `/proc/thread-self/schedstat`), where `/proc/PID/stat` counts
/// only in hundredths.
fn thread_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    s.split_whitespace().next().unwrap().parse::<f64>().unwrap() / 1e9
}

/// Waits (up to 30 s) for the machine to be nearly idle: other work on
/// the shared cores shows as cache pressure even when pinned away.
fn quiet() {
    wait_quiet(Duration::from_secs(1), 0.3, Duration::from_secs(30));
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn normalizer() -> Normalizer {
    Normalizer::new(
        SourceConfig::new("h01", "bench", Format::Auto),
        Arc::new(Decoders::new()),
        Arc::new(Masker::default()),
    )
}

/// Lines per slice of an interleaved pass.
const SLICE: usize = 5_000;

/// One slice of lines: CPU seconds, events, events that matched.
fn slice(
    n: &mut Normalizer,
    lines: &[String],
    set: Option<&'static IndicatorSet>,
    found: &mut Vec<&'static Indicator>,
) -> (f64, usize, usize) {
    let (mut events, mut matched) = (0, 0);
    let cpu = thread_cpu();
    for line in lines {
        if let Outcome::Event { event, .. } = n.normalize(line.as_bytes(), RECEIVED) {
            events += 1;
            if let Some(set) = set {
                set.matches(&event, event.received.div_euclid(1_000_000), found);
                matched += usize::from(!found.is_empty());
                found.clear();
            }
            std::hint::black_box(&event);
        }
    }
    (thread_cpu() - cpu, events, matched)
}

/// One pass over the lines in both ways, interleaved slice by slice (the
/// order alternating), so that whatever else the machine does falls on
/// both alike: CPU seconds without and with matching, events, events that
/// matched.
fn pass(lines: &[String], set: &'static IndicatorSet) -> (f64, f64, usize, usize) {
    let (mut plain, mut matching) = (normalizer(), normalizer());
    let mut found = Vec::new();
    let (mut without, mut with, mut events, mut matched) = (0.0, 0.0, 0, 0);
    for (k, chunk) in lines.chunks(SLICE).enumerate() {
        let (ra, rb) = if k % 2 == 0 {
            let ra = slice(&mut plain, chunk, None, &mut found);
            (ra, slice(&mut matching, chunk, Some(set), &mut found))
        } else {
            let rb = slice(&mut matching, chunk, Some(set), &mut found);
            (slice(&mut plain, chunk, None, &mut found), rb)
        };
        without += ra.0;
        with += rb.0;
        events += ra.1;
        assert_eq!(ra.1, rb.1);
        matched += rb.2;
    }
    (without, with, events, matched)
}

fn main() {
    let a = args();
    let data = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let pinned = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &a.cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(pinned, "taskset could not pin this process");

    // The events, as lines, and the addresses they carry.
    let t = Instant::now();
    let mut generator = Generator::new(&data, 20, a.events, 1);
    let lines: Vec<String> = (0..a.events)
        .map(|_| syslog_line(&generator.next()))
        .collect();
    let mut n = normalizer();
    let mut seen = Vec::new();
    let mut distinct = HashSet::new();
    let mut normalised: Vec<Event> = Vec::with_capacity(lines.len());
    for line in &lines {
        if let Outcome::Event { event, .. } = n.normalize(line.as_bytes(), RECEIVED) {
            if let Some(Value::Ip(IpAddr::V4(ip))) = event.fields.get("source.ip")
                && distinct.insert(*ip)
            {
                seen.push(*ip);
            }
            normalised.push(event);
        }
    }
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "Input: {} loghub lines ({:.1} MB, {} distinct source addresses), generated in {:.1} s; pinned to CPU {}.",
        lines.len(),
        bytes as f64 / 1e6,
        seen.len(),
        t.elapsed().as_secs_f64(),
        a.cpu
    );

    // The indicators and the index.
    let rss0 = status_mib("VmRSS:");
    let t = Instant::now();
    let list = generate(a.indicators, &seen, a.hits);
    let gen_secs = t.elapsed().as_secs_f64();
    let rss1 = status_mib("VmRSS:");
    let mut kinds = std::collections::BTreeMap::new();
    for i in &list {
        *kinds.entry(i.kind.as_str()).or_insert(0usize) += 1;
    }
    let t = Instant::now();
    // Leaked: the passes borrow it for the rest of the program.
    let set: &'static IndicatorSet = Box::leak(Box::new(IndicatorSet::build(list)));
    let build_secs = t.elapsed().as_secs_f64();
    let rss2 = status_mib("VmRSS:");
    assert_eq!(set.ignored(), 0);
    let mix: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "Indicators: {} ({}), generated in {gen_secs:.2} s; index built in {build_secs:.2} s.",
        set.len(),
        mix.join(", ")
    );
    println!(
        "Memory (resident set growth): the indicators {:.0} MiB, the index {:.0} MiB, {:.0} bytes an indicator in all.",
        rss1 - rss0,
        rss2 - rss1,
        (rss2 - rss0) * 1_048_576.0 / set.len().max(1) as f64
    );

    // Matching alone, over the events already normalised.
    let mut found = Vec::new();
    let mut alone = Vec::new();
    let mut matched = 0;
    for _ in 0..a.runs {
        quiet();
        let cpu = thread_cpu();
        matched = 0;
        for e in &normalised {
            set.matches(e, e.received.div_euclid(1_000_000), &mut found);
            matched += usize::from(!found.is_empty());
            found.clear();
        }
        alone.push(thread_cpu() - cpu);
    }
    let alone = median(alone);

    // The ingest path with and without matching, alternating.
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut events = 0;
    for run in 0..a.runs {
        quiet();
        let (cpu_a, cpu_b, ev, m) = pass(&lines, set);
        assert_eq!(m, matched);
        events = ev;
        eprintln!(
            "run {}: normalise {:.3} s, normalise + match {:.3} s ({:+.1} %)",
            run + 1,
            cpu_a,
            cpu_b,
            (cpu_b / cpu_a - 1.0) * 100.0
        );
        without.push(cpu_a);
        with.push(cpu_b);
    }
    let (without, with) = (median(without), median(with));
    let per = |s: f64| s * 1e6 / events.max(1) as f64;
    println!(
        "Matching alone: {:.3} µs an event ({:.0} events/s); {matched} of {events} events matched an indicator.",
        per(alone),
        events as f64 / alone.max(1e-9)
    );
    println!(
        "Ingest path (normalise), CPU an event, medians of {} runs: {:.3} µs without indicators, {:.3} µs with every event matched against {} indicators.",
        a.runs,
        per(without),
        per(with),
        set.len()
    );
    println!(
        "Slowdown: {:+.1} % (target < 10 %); peak RSS {:.0} MiB.",
        (with / without - 1.0) * 100.0,
        status_mib("VmHWM:")
    );
}
