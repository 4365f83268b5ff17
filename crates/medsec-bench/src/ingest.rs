//! `ingest-bench`: the receive-pipeline target of issue 6 (watch), side by
//! side with rsyslog in the same run.
//!
//! Target: TCP syslog ingest with parse, normalise and durable write of at
//! least 150,000 events/s on one core, and at least rsyslog's rate
//! (`imtcp` to `omfile`) on the same input.
//!
//! # Input
//!
//! `--events` syslog lines (2,000,000) from the seeded generator of
//! [`medsec_bench::loghub`] (real OpenSSH, Linux and Apache records of the
//! loghub samples, one member `h01`, spread over one day from 2024-05-01
//! 00:00 KST), each as the RFC 3164 line a sender puts on the wire with its
//! `<PRI>` ([`medsec_bench::loghub::syslog_line`]; Apache error lines behind
//! the header a file forwarder adds). They are generated once, framed with
//! a line feed (`--framing newline`, the default) or with RFC 6587 octet
//! counting (`--framing octet`), and written to a file; every receiver gets
//! exactly those bytes. With several connections (`--connections 1,4`)
//! the file is cut into as many runs of whole frames, one per connection.
//!
//! # Receivers
//!
//! Each measurement starts a fresh receiver pinned to one CPU (`taskset -c
//! 0`, so that every thread of it shares that core) and sends from this
//! process, pinned to the other core:
//!
//! - **medsec**: this program again, as a child (`--serve-medsec`), running
//!   the production receive path: a SQLite `medsec_store::Store` with one
//!   member and one TCP log source (format `auto`, `--format`), an
//!   `EventStore` with its default configuration in a fresh directory (write-
//!   ahead log with group commit and `fdatasync`, background flushes to
//!   segments), `medsec_ingest::Ingest` with a `LocalSink` listening on
//!   127.0.0.1 and its upkeep task (`maintain` every 5 s: source reload,
//!   counters into the database), a multi-threaded tokio runtime as `medsec
//!   serve` starts (one worker on one core) and mimalloc. The sender writes
//!   its part, half-closes, and waits for medsec's close, which medsec sends
//!   only once everything received is durable. Afterwards the child counts
//!   the stored events with a search, which must equal the number of
//!   events the lines make: a line repeated within one connection is one
//!   event per repeat, the same line in two connections is taken for a
//!   resend and stored once (`medsec_logs::normalize::Repeats`).
//! - **medsec, indexing on the other CPU**: the same, with the event
//!   store's flusher and compactor threads moved to the sender's CPU after
//!   start, so that the receiver's core runs the receive path alone
//!   (network, framing, parsing, normalising, masking, ids, the log's group
//!   commit); turning the tail into indexed segments shares the other core
//!   with the sender.
//! - **rsyslog** (`rsyslogd -n`, Debian 8.2302): a private instance with its
//!   own configuration and work directory that loads only `imtcp` on its
//!   own port and writes with `omfile` to a file through a ruleset bound to
//!   the input, in two configurations: omfile's defaults (template
//!   `RSYSLOG_FileFormat`, buffered writes at the end of each batch, no
//!   sync) and `sync="on"` (an `fsync` of the file after each batch). rsyslog
//!   has no acknowledgement: it closes as soon as the sender does, so it is
//!   done when the output file holds every line. Reverse DNS is off
//!   (`net.enableDNS="off"`), which only saves a lookup per connection.
//!
//! Throughput is the number of events over the time from the first byte
//! sent to the last acknowledgement (medsec) or the last line written
//! (rsyslog). The receiver's CPU time (all its threads, from
//! `/proc/PID/stat`) and peak RSS (`VmHWM`) are read from `/proc`, and the
//! CPU that the rest of the machine used meanwhile is reported. Before
//! each measurement the program waits (up to `--idle-wait` seconds) until
//! the whole machine used less than 0.15 cores over two seconds. Runs
//! alternate between the receivers; with `--runs R` each row gives the
//! median of R runs.
//!
//! Before the receivers, the stages are timed without the network in this
//! process (`--no-stages` skips it): decoding alone, and decoding with
//! durable appends to a fresh event store, all threads on the sender's
//! core.
//!
//! ```text
//! ingest-bench [--events N] [--connections 1,4] [--framing newline,octet]
//!              [--runs R] [--receivers medsec,rsyslog,rsyslog-sync]
//!              [--format auto] [--cpu 0] [--sender-cpu 1] [--dir DIR]
//!              [--keep] [--idle-wait SECS] [--perf FILE] [--no-stages]
//! ```
//!
//! `--perf FILE` records a `perf` profile of the first medsec run
//! (`INGEST_BENCH_PERF_ARGS` replaces `record -F 999 -g`). For what-if
//! runs, `INGEST_BENCH_STORE=auto_compact_segments=0,compact_level=3`
//! changes the event store's configuration and `INGEST_BENCH_READ_BUFFER`
//! the receivers' read buffer; the output then says so. The working
//! directory (`$TMPDIR/ingest-bench-PID` unless `--dir`) holds the input,
//! the stores and rsyslog's output; it is removed at the end unless
//! `--keep`. It prints Markdown for BENCHMARKS.md.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

// The allocator of the medsec binary, so that the numbers are the ones
// users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use medsec_bench::loghub::{Generator, syslog_line};
use medsec_bench::machine::{
    core_busy, cpu_seconds, loadavg, machine_busy, process_cpu_seconds, process_status_mib,
    wait_quiet,
};
use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Timestamp};
use medsec_events::{Config, EventStore, MemberScope, Query, SearchRequest, TimeRange};
use medsec_ingest::Ingest;
use medsec_ingest::sink::LocalSink;
use medsec_logs::EventId;
use medsec_logs::normalize::Repeats;
use medsec_store::watch::{NewLogSource, Transport};
use medsec_store::{AuditEntry, OpenOptions, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Newline,
    Octet,
}

impl Framing {
    fn name(self) -> &'static str {
        match self {
            Framing::Newline => "newline",
            Framing::Octet => "octet counting",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Receiver {
    Medsec,
    /// medsec with the event store's flusher and compactor threads moved
    /// to the sender's CPU: the receive path alone on the receiver's core.
    MedsecSplit,
    Rsyslog,
    RsyslogSync,
}

impl Receiver {
    fn is_medsec(self) -> bool {
        matches!(self, Receiver::Medsec | Receiver::MedsecSplit)
    }

    fn name(self) -> &'static str {
        match self {
            Receiver::Medsec => "medsec",
            Receiver::MedsecSplit => "medsec, indexing on the other CPU",
            Receiver::Rsyslog => "rsyslog (omfile defaults)",
            Receiver::RsyslogSync => "rsyslog (omfile sync=\"on\")",
        }
    }
}

struct Args {
    events: u64,
    connections: Vec<usize>,
    framings: Vec<Framing>,
    runs: usize,
    receivers: Vec<Receiver>,
    format: String,
    cpu: usize,
    sender_cpu: usize,
    dir: Option<PathBuf>,
    keep: bool,
    idle_wait: u64,
    perf: Option<PathBuf>,
    rsyslogd: String,
    stages: bool,
}

fn args() -> Args {
    let mut a = Args {
        events: 2_000_000,
        connections: vec![1, 4],
        framings: vec![Framing::Newline],
        runs: 3,
        receivers: vec![
            Receiver::Medsec,
            Receiver::MedsecSplit,
            Receiver::Rsyslog,
            Receiver::RsyslogSync,
        ],
        format: "auto".into(),
        cpu: 0,
        sender_cpu: 1,
        dir: None,
        keep: false,
        idle_wait: 300,
        perf: None,
        rsyslogd: "/usr/sbin/rsyslogd".into(),
        stages: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => a.events = value().parse().unwrap(),
            "--connections" => {
                a.connections = value().split(',').map(|c| c.parse().unwrap()).collect()
            }
            "--framing" => {
                a.framings = value()
                    .split(',')
                    .map(|f| match f {
                        "newline" => Framing::Newline,
                        "octet" => Framing::Octet,
                        other => panic!("unknown framing {other}"),
                    })
                    .collect()
            }
            "--runs" => a.runs = value().parse().unwrap(),
            "--receivers" => {
                a.receivers = value()
                    .split(',')
                    .map(|r| match r {
                        "medsec" => Receiver::Medsec,
                        "medsec-split" => Receiver::MedsecSplit,
                        "rsyslog" => Receiver::Rsyslog,
                        "rsyslog-sync" => Receiver::RsyslogSync,
                        other => panic!("unknown receiver {other}"),
                    })
                    .collect()
            }
            "--format" => a.format = value(),
            "--cpu" => a.cpu = value().parse().unwrap(),
            "--sender-cpu" => a.sender_cpu = value().parse().unwrap(),
            "--dir" => a.dir = Some(value().into()),
            "--keep" => a.keep = true,
            "--idle-wait" => a.idle_wait = value().parse().unwrap(),
            "--perf" => a.perf = Some(value().into()),
            "--rsyslogd" => a.rsyslogd = value(),
            "--no-stages" => a.stages = false,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(a.connections.iter().all(|c| *c > 0), "--connections");
    a
}

/// The generated input in one framing: the bytes and where each frame
/// ends.
struct Input {
    framing: Framing,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Input {
    /// `parts` runs of whole frames, as equal in frames as can be.
    fn parts(&self, parts: usize) -> Vec<&[u8]> {
        let n = self.ends.len();
        let mut out = Vec::with_capacity(parts);
        let mut start = 0;
        for p in 1..=parts {
            let last = n * p / parts;
            let end = if last == 0 { 0 } else { self.ends[last - 1] };
            out.push(&self.bytes[start..end]);
            start = end;
        }
        out
    }
}

/// What generating the input found.
struct Generated {
    inputs: Vec<Input>,
    lines: u64,
    distinct: u64,
    /// Each line's first-occurrence id, in order.
    bases: Vec<EventId>,
    line_bytes: u64,
    secs: f64,
}

impl Generated {
    /// The events medsec stores when the lines are sent over `connections`
    /// connections ([`Input::parts`]): a line repeated within one
    /// connection is one event per repeat, while the same line in two
    /// connections counts as a resend (`medsec_logs::normalize::Repeats`).
    fn expected(&self, connections: usize) -> u64 {
        let n = self.bases.len();
        let mut ids = HashSet::with_capacity(n);
        let mut start = 0;
        for p in 1..=connections {
            let end = n * p / connections;
            let mut repeats = Repeats::default();
            for base in &self.bases[start..end] {
                ids.insert(repeats.id(*base));
            }
            start = end;
        }
        ids.len() as u64
    }
}

fn generate(a: &Args, data: &Path, dir: &Path) -> Generated {
    let t = Instant::now();
    let mut generator = Generator::new(data, 1, a.events, 1);
    let mut inputs: Vec<Input> = a
        .framings
        .iter()
        .map(|&framing| Input {
            framing,
            bytes: Vec::new(),
            ends: Vec::with_capacity(a.events as usize),
        })
        .collect();
    let mut ids = HashSet::with_capacity(a.events as usize);
    let mut bases = Vec::with_capacity(a.events as usize);
    let mut line_bytes = 0u64;
    for _ in 0..a.events {
        let line = syslog_line(&generator.next());
        line_bytes += line.len() as u64;
        // The id medsec gives the line's first occurrence in a stream.
        let base = EventId::of("m", "s", line.as_bytes());
        ids.insert(base);
        bases.push(base);
        for input in &mut inputs {
            match input.framing {
                Framing::Newline => {
                    input.bytes.extend_from_slice(line.as_bytes());
                    input.bytes.push(b'\n');
                }
                Framing::Octet => {
                    input
                        .bytes
                        .extend_from_slice(format!("{} {line}", line.len()).as_bytes());
                }
            }
            input.ends.push(input.bytes.len());
        }
    }
    for input in &inputs {
        let name = match input.framing {
            Framing::Newline => "input-newline.log",
            Framing::Octet => "input-octet.log",
        };
        std::fs::write(dir.join(name), &input.bytes).unwrap();
    }
    Generated {
        inputs,
        lines: a.events,
        distinct: ids.len() as u64,
        bases,
        line_bytes,
        secs: t.elapsed().as_secs_f64(),
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on the port.
fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let t = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{what} does not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends each part over its own connection at once; each connection
/// half-closes after its part and waits for the receiver's close. Returns
/// the start and, per connection, when the receiver closed.
fn send(port: u16, parts: &[&[u8]], mut while_sending: impl FnMut()) -> (Instant, Vec<Instant>) {
    let barrier = Arc::new(Barrier::new(parts.len() + 1));
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| {
                let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let barrier = barrier.clone();
                s.spawn(move || {
                    barrier.wait();
                    tcp.write_all(part).unwrap();
                    tcp.shutdown(Shutdown::Write).unwrap();
                    let mut rest = Vec::new();
                    tcp.read_to_end(&mut rest).unwrap();
                    assert!(rest.is_empty(), "the receiver answered with data");
                    Instant::now()
                })
            })
            .collect();
        let start = Instant::now();
        barrier.wait();
        while_sending();
        let acks = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (start, acks)
    })
}

/// One measurement.
struct Measured {
    secs: f64,
    cpu: f64,
    /// CPU the rest of the machine used meanwhile (seconds).
    others: f64,
    /// CPU used on the receiver's core by anything (seconds).
    core: f64,
    rss_mib: f64,
    threads: String,
    cpus_allowed: String,
    quiet_before: f64,
    load_before: f64,
    /// The receiver's own report (medsec) or the line count (rsyslog).
    stored: u64,
    detail: Option<MedsecReport>,
}

fn status_field(pid: &str, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// What the medsec child says after a run.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
struct MedsecReport {
    /// Events a search over everything counts.
    total: u64,
    /// Per `event.module` and for `error.message`: how many events.
    modules: Vec<(String, u64)>,
    commits: u64,
    batches: u64,
    events_stored: u64,
    duplicates: u64,
    flushes: u64,
    compactions: u64,
    source_events: u64,
    source_bytes: u64,
    parse_errors: u64,
    dropped: u64,
    /// The newest SSH and Apache events, as stored.
    samples: Vec<String>,
}

fn measure_medsec(
    a: &Args,
    exe: &Path,
    dir: &Path,
    parts: &[&[u8]],
    perf: Option<&Path>,
    split: bool,
) -> Measured {
    let work = dir.join("medsec");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let port = free_port();
    let mut child = Command::new("taskset")
        .arg("-c")
        .arg(a.cpu.to_string())
        .arg(exe)
        .arg("--serve-medsec")
        .arg(&work)
        .arg(port.to_string())
        .arg(&a.format)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the medsec receiver");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the medsec receiver did not start");
    wait_listening(port, &mut child, "medsec");
    let pid = child.id().to_string();
    if split {
        move_index_threads(&pid, a.sender_cpu);
    }
    let quiet_before = wait_quiet(
        Duration::from_secs(2),
        0.15,
        Duration::from_secs(a.idle_wait),
    );
    let load_before = loadavg();
    let mut perf_child = perf.map(|file| {
        // `INGEST_BENCH_PERF_ARGS` replaces `record -F 999 -g` (e.g.
        // `record -F 299 --call-graph dwarf,16384` for call graphs without
        // frame pointers, or `stat -e instructions,cycles`).
        let options =
            std::env::var("INGEST_BENCH_PERF_ARGS").unwrap_or_else(|_| "record -F 999 -g".into());
        let p = Command::new("perf")
            .args(options.split_whitespace())
            .arg("-o")
            .arg(file)
            .args(["-p", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start perf");
        std::thread::sleep(Duration::from_millis(500));
        p
    });
    let (cpu0, busy0, own0, core0) = (
        process_cpu_seconds(&pid),
        machine_busy(),
        cpu_seconds(),
        core_busy(a.cpu),
    );
    let (start, acks) = send(port, parts, || {});
    let end = acks.into_iter().max().unwrap();
    let cpu = process_cpu_seconds(&pid) - cpu0;
    let own = cpu_seconds() - own0;
    let others = (machine_busy() - busy0 - cpu - own).max(0.0);
    let core = core_busy(a.cpu) - core0;
    if let Some(mut p) = perf_child.take() {
        let _ = Command::new("kill")
            .args(["-INT", &p.id().to_string()])
            .status();
        let _ = p.wait();
    }
    let threads = status_field(&pid, "Threads:");
    let cpus_allowed = status_field(&pid, "Cpus_allowed_list:");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "report").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    let report: MedsecReport = serde_json::from_str(line.trim()).expect("the medsec report");
    let rss_mib = process_status_mib(&pid, "VmHWM:");
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "the medsec receiver failed: {status}");
    let _ = std::fs::remove_dir_all(&work);
    Measured {
        secs: (end - start).as_secs_f64(),
        cpu,
        others,
        core,
        rss_mib,
        threads,
        cpus_allowed,
        quiet_before,
        load_before,
        stored: report.total,
        detail: Some(report),
    }
}

/// Moves the event store's flusher and compactor threads of process
/// `pid` to `cpu` (thread names are cut to 15 bytes in `comm`).
fn move_index_threads(pid: &str, cpu: usize) {
    let mut moved = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap();
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.starts_with("medsec-events-f") || comm.starts_with("medsec-events-c") {
            let tid = task.file_name().to_string_lossy().into_owned();
            let ok = Command::new("taskset")
                .args(["-p", "-c", &cpu.to_string(), &tid])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "taskset could not move thread {tid}");
            moved += 1;
        }
    }
    assert_eq!(moved, 2, "expected the flusher and the compactor thread");
}

fn rsyslog_config(work: &Path, port: u16, sync: bool) -> String {
    format!(
        r#"# ingest-bench: imtcp to omfile, nothing else.
global(workDirectory="{work}/spool" net.enableDNS="off")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="bench")
ruleset(name="bench") {{
    action(type="omfile" file="{work}/out.log"{sync})
}}
"#,
        work = work.display(),
        sync = if sync { r#" sync="on""# } else { "" }
    )
}

fn measure_rsyslog(a: &Args, dir: &Path, parts: &[&[u8]], lines: u64, sync: bool) -> Measured {
    let work = dir.join("rsyslog");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("spool")).unwrap();
    let port = free_port();
    let conf = work.join("rsyslog.conf");
    std::fs::write(&conf, rsyslog_config(&work, port, sync)).unwrap();
    let check = Command::new(&a.rsyslogd)
        .arg("-N1")
        .arg("-f")
        .arg(&conf)
        .output()
        .expect("run rsyslogd -N1");
    assert!(
        check.status.success(),
        "rsyslogd -N1 refuses the configuration: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let log = std::fs::File::create(work.join("rsyslogd.stderr")).unwrap();
    let mut child = Command::new("taskset")
        .arg("-c")
        .arg(a.cpu.to_string())
        .arg(&a.rsyslogd)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(work.join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start rsyslogd");
    wait_listening(port, &mut child, "rsyslogd");
    let pid = child.id().to_string();
    let quiet_before = wait_quiet(
        Duration::from_secs(2),
        0.15,
        Duration::from_secs(a.idle_wait),
    );
    let load_before = loadavg();
    let out_path = work.join("out.log");
    let (cpu0, busy0, own0, core0) = (
        process_cpu_seconds(&pid),
        machine_busy(),
        cpu_seconds(),
        core_busy(a.cpu),
    );
    let mut done = None;
    let (start, _acks) = send(port, parts, || {
        // Done when the output holds every line: count line ends as the
        // file grows.
        let mut seen = 0u64;
        let mut at = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        let mut last_progress = Instant::now();
        let mut file = None;
        while seen < lines {
            if file.is_none() {
                file = std::fs::File::open(&out_path).ok();
            }
            let n = match &mut file {
                Some(f) => f.read(&mut buf).unwrap(),
                None => 0,
            };
            if n == 0 {
                assert!(
                    last_progress.elapsed() < Duration::from_secs(60),
                    "rsyslog wrote {seen} of {lines} lines and stopped"
                );
                std::thread::sleep(Duration::from_micros(500));
                continue;
            }
            at += n as u64;
            seen += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
            last_progress = Instant::now();
        }
        done = Some((Instant::now(), seen, at));
    });
    let (end, seen, _bytes) = done.unwrap();
    let cpu = process_cpu_seconds(&pid) - cpu0;
    let own = cpu_seconds() - own0;
    let others = (machine_busy() - busy0 - cpu - own).max(0.0);
    let core = core_busy(a.cpu) - core0;
    let threads = status_field(&pid, "Threads:");
    let cpus_allowed = status_field(&pid, "Cpus_allowed_list:");
    let rss_mib = process_status_mib(&pid, "VmHWM:");
    // Stop it (we started it; its pid is the child's, taskset exec'd it).
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let _ = child.wait();
    // Nothing more may arrive after the count was reached.
    let written = std::fs::read(&out_path)
        .map(|b| memchr::memchr_iter(b'\n', &b).count() as u64)
        .unwrap_or(0);
    assert_eq!(written, lines, "rsyslog's output holds {written} lines");
    let _ = std::fs::remove_dir_all(&work);
    Measured {
        secs: (end - start).as_secs_f64(),
        cpu,
        others,
        core,
        rss_mib,
        threads,
        cpus_allowed,
        quiet_before,
        load_before,
        stored: seen,
        detail: None,
    }
}

/// The receive pipeline's stages without the network, in this process
/// (pinned to the sender's core, all threads): decoding alone (framing,
/// parsing, normalising, masking, ids; events dropped), then decoding
/// and appending durably to a fresh event store in batches of one 64 KiB
/// read, as a connection does. Returns (decode seconds, decode CPU
/// seconds, pipeline seconds, pipeline CPU seconds, events stored).
fn stages(dir: &Path, input: &Input) -> (f64, f64, f64, f64, u64) {
    use medsec_logs::framing::{Framer, FramerConfig};
    let decoder = medsec_ingest::decode::SourceDecoder::new(
        "member",
        "source",
        "auto",
        Arc::new(medsec_logs::Decoders::new()),
        Arc::new(medsec_logs::Masker::default()),
    )
    .unwrap();
    let received = 1_714_600_000_000_000_000;
    let decode_all = |mut each: Box<dyn FnMut(Vec<medsec_logs::Event>) + '_>| {
        let mut framer = Framer::new(FramerConfig::default());
        let mut conn = decoder.connection();
        for chunk in input.bytes.chunks(64 * 1024) {
            let mut batch = Vec::with_capacity(1024);
            framer.decode(chunk, |f| {
                if let medsec_ingest::decode::Decoded::Event { event, .. } =
                    conn.decode(f.data, received, f.truncated)
                {
                    batch.push(event);
                }
            });
            each(batch);
        }
    };
    let (t, cpu0) = (Instant::now(), cpu_seconds());
    let mut n = 0usize;
    decode_all(Box::new(|batch| n += batch.len()));
    let (decode_secs, decode_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    assert_eq!(n, input.ends.len());

    let store_dir = dir.join("stages");
    let _ = std::fs::remove_dir_all(&store_dir);
    let store = EventStore::open(&store_dir, store_config()).unwrap();
    let (t, cpu0) = (Instant::now(), cpu_seconds());
    decode_all(Box::new(|batch| {
        store.append(batch).unwrap();
    }));
    let (pipe_secs, pipe_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    let stored = store.counters().events_stored;
    store.close();
    let _ = std::fs::remove_dir_all(&store_dir);
    (decode_secs, decode_cpu, pipe_secs, pipe_cpu, stored)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[v.len() / 2]
}

fn entry(action: Action) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: "ingest-bench".into(),
        source: "ingest-bench".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "",
        target_id: None,
        details: serde_json::json!({}),
    }
}

/// The medsec receiver (the child): the production receive path on
/// 127.0.0.1:`port`, until its standard input closes; `report` on its
/// standard input prints what it stored as one line of JSON.
fn serve_medsec(dir: &Path, port: u16, format: &str) {
    // As `medsec serve` starts: a multi-threaded runtime (one worker per
    // core the process may use).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = dir.join("medsec.db");
        let store = Store::open(db.to_str().unwrap(), &OpenOptions::default())
            .await
            .unwrap();
        let (member, _) = store
            .create_org(
                "벤치병원",
                OrgKind::Hospital,
                Timestamp::now(),
                entry(Action::OrgCreated),
                None,
            )
            .await
            .unwrap();
        store
            .create_log_source(
                &NewLogSource {
                    member_id: member.id.clone(),
                    name: "syslog relay".into(),
                    transport: Transport::Tcp,
                    port: Some(port),
                    format: format.into(),
                    credential: None,
                    silent_after: 600,
                },
                "ingest-bench",
                Timestamp::now(),
                entry(Action::LogSourceCreated),
            )
            .await
            .unwrap();
        let events_dir = dir.join("events");
        let config = store_config();
        let events = Arc::new(
            tokio::task::spawn_blocking(move || EventStore::open(events_dir, config))
                .await
                .unwrap()
                .unwrap(),
        );
        let mut ingest = Ingest::new(
            store.clone(),
            Arc::new(LocalSink(events.clone())),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        );
        // What-if: `INGEST_BENCH_READ_BUFFER=BYTES` changes the receivers'
        // read buffer (the default is `Limits::default().read_buffer`).
        if let Some(bytes) = std::env::var("INGEST_BENCH_READ_BUFFER")
            .ok()
            .and_then(|v| v.parse().ok())
            && let Some(i) = Arc::get_mut(&mut ingest)
        {
            i.limits.read_buffer = bytes;
        }
        ingest.reload().await.unwrap();
        assert_eq!(ingest.listening().await, vec![(Transport::Tcp, port)]);
        let upkeep = tokio::spawn(ingest.clone().maintain(Duration::from_secs(5)));
        println!("ready");
        loop {
            let line = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map(|_| line)
            })
            .await
            .unwrap()
            .unwrap_or_default();
            if line.trim() != "report" {
                break;
            }
            let count = |q: &str| {
                let query = if q.is_empty() {
                    Query::all()
                } else {
                    Query::parse(q).unwrap()
                };
                events
                    .search(
                        &SearchRequest::new(query, TimeRange::all(), MemberScope::AllMembers)
                            .page_size(1),
                    )
                    .unwrap()
            };
            let total = count("").total;
            let mut modules = Vec::new();
            let mut samples = Vec::new();
            for q in [
                "event.module:auth",
                "event.module:apache",
                "_exists_:error.message",
                "_exists_:user.name",
                "_exists_:source.ip",
            ] {
                let r = count(q);
                modules.push((q.to_string(), r.total));
                if q.starts_with("event.module")
                    && let Some(e) = r.events.first()
                {
                    let fields: Vec<String> = e
                        .fields
                        .iter()
                        .map(|(n, v)| format!("{n}={}", v.to_text()))
                        .collect();
                    samples.push(format!("{} → {}", e.raw, fields.join(", ")));
                }
            }
            let c = events.counters();
            let (mut source_events, mut source_bytes, mut parse_errors, mut dropped) = (0, 0, 0, 0);
            for (_, _, s) in ingest.counters.all() {
                use std::sync::atomic::Ordering::Relaxed;
                source_events += s.events.load(Relaxed);
                source_bytes += s.bytes.load(Relaxed);
                parse_errors += s.parse_errors.load(Relaxed);
                dropped += s.dropped.load(Relaxed);
            }
            let report = MedsecReport {
                total,
                modules,
                commits: c.commits,
                batches: c.batches,
                events_stored: c.events_stored,
                duplicates: c.duplicates,
                flushes: c.flushes,
                compactions: c.compactions,
                source_events,
                source_bytes,
                parse_errors,
                dropped,
                samples,
            };
            println!("{}", serde_json::to_string(&report).unwrap());
        }
        upkeep.abort();
        drop(ingest);
        store.close().await;
    });
    drop(runtime);
}

/// The event store's configuration: the defaults, as `medsec serve` uses
/// them, unless `INGEST_BENCH_STORE` changes some for a what-if run
/// (`auto_compact_segments=0,compact_level=3,flush_level=1`); the output
/// says so.
fn store_config() -> Config {
    let mut config = Config::default();
    for kv in std::env::var("INGEST_BENCH_STORE")
        .unwrap_or_default()
        .split(',')
        .filter(|kv| !kv.is_empty())
    {
        let (k, v) = kv.split_once('=').expect("INGEST_BENCH_STORE: key=value");
        let v: i64 = v.parse().expect("INGEST_BENCH_STORE: a number");
        match k {
            "auto_compact_segments" => config.auto_compact_segments = v as usize,
            "compact_level" => config.compact_level = v as i32,
            "flush_level" => config.flush_level = v as i32,
            "tail_max_bytes" => config.tail_max_bytes = v as usize,
            "tail_max_events" => config.tail_max_events = v as usize,
            other => panic!("INGEST_BENCH_STORE: unknown setting {other}"),
        }
    }
    config
}

fn git_commit() -> String {
    Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--serve-medsec") {
        let dir = PathBuf::from(&argv[2]);
        let port = argv[3].parse().unwrap();
        serve_medsec(&dir, port, &argv[4]);
        return;
    }
    let a = args();
    let exe = std::env::current_exe().unwrap();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    // The sender (this process, all its threads) on its own core.
    let pinned = Command::new("taskset")
        .args(["-a", "-p", "-c", &a.sender_cpu.to_string()])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(pinned, "taskset could not pin the sender");
    let data = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ingest-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).unwrap();

    let g = generate(&a, &data, &dir);
    let rsyslog_version = Command::new(&a.rsyslogd)
        .arg("-v")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    println!(
        "commit {}, {} CPUs, {}; {rsyslog_version}",
        git_commit(),
        cpus,
        Command::new("rustc")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    );
    println!();
    println!(
        "Input: {} syslog lines ({} distinct), {:.1} bytes a line on average, {:.1} MB with line feeds; generated in {:.1} s; in {}",
        g.lines,
        g.distinct,
        g.line_bytes as f64 / g.lines as f64,
        (g.line_bytes + g.lines) as f64 / 1e6,
        g.secs,
        dir.display()
    );
    println!(
        "Receivers pinned to CPU {}, the sender to CPU {}.",
        a.cpu, a.sender_cpu
    );
    match std::env::var("INGEST_BENCH_STORE") {
        Ok(v) if !v.is_empty() => println!(
            "**What-if run: medsec's event store configuration changed from the defaults: {v}.**"
        ),
        _ => println!(
            "medsec's event store with its default configuration, as `medsec serve` opens it."
        ),
    }

    if a.stages
        && let Some(input) = g.inputs.iter().find(|i| i.framing == Framing::Newline)
    {
        wait_quiet(
            Duration::from_secs(2),
            0.15,
            Duration::from_secs(a.idle_wait),
        );
        let (ds, dc, ps, pc, stored) = stages(&dir, input);
        let n = g.lines as f64;
        println!();
        println!(
            "Stages without the network, in the sending process on CPU {} (all its threads there): decoding alone {:.2} s ({:.2} µs CPU an event, {:.0} events/s); decoding and appending durably in batches of one 64 KiB read {:.2} s ({:.2} µs CPU an event, {:.0} events/s, {stored} stored).",
            a.sender_cpu,
            ds,
            dc * 1e6 / n,
            n / ds,
            ps,
            pc * 1e6 / n,
            n / ps
        );
    }

    struct Row {
        receiver: Receiver,
        framing: Framing,
        connections: usize,
        runs: Vec<Measured>,
    }
    let mut rows: Vec<Row> = Vec::new();
    for input in &g.inputs {
        for &c in &a.connections {
            for &r in &a.receivers {
                rows.push(Row {
                    receiver: r,
                    framing: input.framing,
                    connections: c,
                    runs: Vec::new(),
                });
            }
        }
    }
    let mut failures = Vec::new();
    let mut perf = a.perf.clone();
    for run in 0..a.runs {
        for row in &mut rows {
            let input = g.inputs.iter().find(|i| i.framing == row.framing).unwrap();
            let parts = input.parts(row.connections);
            let m = match row.receiver {
                Receiver::Medsec => {
                    measure_medsec(&a, &exe, &dir, &parts, perf.take().as_deref(), false)
                }
                Receiver::MedsecSplit => {
                    measure_medsec(&a, &exe, &dir, &parts, perf.take().as_deref(), true)
                }
                Receiver::Rsyslog => measure_rsyslog(&a, &dir, &parts, g.lines, false),
                Receiver::RsyslogSync => measure_rsyslog(&a, &dir, &parts, g.lines, true),
            };
            let expected = if row.receiver.is_medsec() {
                g.expected(row.connections)
            } else {
                g.lines
            };
            if m.stored != expected {
                failures.push(format!(
                    "{} ({} connection(s), {}): stored {} of {expected}",
                    row.receiver.name(),
                    row.connections,
                    row.framing.name(),
                    m.stored
                ));
            }
            eprintln!(
                "run {}: {:<28} {} conn, {}: {:>9.0} events/s, {:.2} s, CPU {:.2} s, others {:.2} s, RSS {:.0} MiB, threads {}, CPUs {}",
                run + 1,
                row.receiver.name(),
                row.connections,
                row.framing.name(),
                g.lines as f64 / m.secs,
                m.secs,
                m.cpu,
                m.others,
                m.rss_mib,
                m.threads,
                m.cpus_allowed
            );
            row.runs.push(m);
        }
    }

    println!();
    println!(
        "| receiver | framing | connections | events/s (median of {}) | MB/s | wall s | receiver CPU s | CPU % of its core | events per CPU s | peak RSS | stored |",
        a.runs
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mb = (g.line_bytes + g.lines) as f64 / 1e6;
    for row in &rows {
        let secs = median(row.runs.iter().map(|m| m.secs).collect());
        let cpu = median(row.runs.iter().map(|m| m.cpu).collect());
        let rss = row.runs.iter().map(|m| m.rss_mib).fold(0.0, f64::max);
        let stored = row.runs.last().map_or(0, |m| m.stored);
        let bold = |s: String| {
            if row.receiver.is_medsec() {
                format!("**{s}**")
            } else {
                s
            }
        };
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.0} % | {:.0} | {:.0} MiB | {} |",
            row.receiver.name(),
            row.framing.name(),
            row.connections,
            bold(format!("{:.0}", g.lines as f64 / secs)),
            mb / secs,
            secs,
            cpu,
            100.0 * cpu / secs,
            g.lines as f64 / cpu,
            rss,
            if row.receiver.is_medsec() {
                format!("{stored} events (search)")
            } else {
                format!("{stored} lines")
            }
        );
    }
    println!();
    println!("Ratios (medsec events/s ÷ rsyslog events/s, medians):");
    println!();
    for input in &g.inputs {
        for &c in &a.connections {
            let rate = |r: Receiver| {
                rows.iter()
                    .find(|x| x.receiver == r && x.connections == c && x.framing == input.framing)
                    .map(|x| g.lines as f64 / median(x.runs.iter().map(|m| m.secs).collect()))
            };
            let mut parts = Vec::new();
            for ours in [Receiver::Medsec, Receiver::MedsecSplit] {
                let Some(m) = rate(ours) else {
                    continue;
                };
                for r in [Receiver::Rsyslog, Receiver::RsyslogSync] {
                    if let Some(x) = rate(r) {
                        parts.push(format!("{} {:.2} against {}", ours.name(), m / x, r.name()));
                    }
                }
            }
            if !parts.is_empty() {
                println!(
                    "- {}, {} connection(s): {}",
                    input.framing.name(),
                    c,
                    parts.join("; ")
                );
            }
        }
    }
    println!();
    println!("The machine during each run:");
    println!();
    for row in &rows {
        for (i, m) in row.runs.iter().enumerate() {
            println!(
                "- {} / {} conn / {} / run {}: before: {:.2} cores busy over 2 s, load average {:.2}; during: others {:.0} % of one core, CPU {} busy {:.0} % (receiver {:.0} %); receiver threads {}, allowed CPUs {}",
                row.receiver.name(),
                row.connections,
                row.framing.name(),
                i + 1,
                m.quiet_before,
                m.load_before,
                100.0 * m.others / m.secs,
                a.cpu,
                100.0 * m.core / m.secs,
                100.0 * m.cpu / m.secs,
                m.threads,
                m.cpus_allowed
            );
        }
    }
    if let Some(r) = rows
        .iter()
        .find(|r| r.receiver == Receiver::Medsec)
        .and_then(|r| r.runs.last())
        .and_then(|m| m.detail.clone())
    {
        println!();
        println!(
            "medsec, last run: {} events stored ({} duplicates skipped), {} group commits for {} appended batches ({:.1} batches a commit, {:.0} events a batch), {} background flushes, {} segments written by compaction; source counters: {} events, {} bytes, {} parse errors, {} dropped.",
            r.events_stored,
            r.duplicates,
            r.commits,
            r.batches,
            r.batches as f64 / r.commits.max(1) as f64,
            r.events_stored as f64 / r.batches.max(1) as f64,
            r.flushes,
            r.compactions,
            r.source_events,
            r.source_bytes,
            r.parse_errors,
            r.dropped
        );
        for (q, n) in &r.modules {
            println!("- `{q}`: {n}");
        }
        for s in &r.samples {
            println!("- sample: {s}");
        }
    }
    if !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        std::process::exit(1);
    }
}
