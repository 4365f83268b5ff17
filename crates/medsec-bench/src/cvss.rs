//! `cvss-bench`: CVSS vectors parsed and scored per second on one core by
//! `medsec-cvss`, side by side with the PyPI `cvss` package (Red Hat's
//! implementation of the FIRST calculators) on the same vectors.
//!
//! Target (issue 8): at least 2,000,000 CVSS v3.1 vectors and 500,000
//! v4.0 vectors parsed and scored per second on one core.
//!
//! # Vectors
//!
//! Per version (2.0, 3.0, 3.1, 4.0), `--vectors N` (50,000) vectors from
//! `medsec_cvss::random::Generator` (splitmix64, seed 1): every base
//! metric, each other group (temporal or threat, environmental,
//! supplemental) with probability 1/2 and then each of its metrics with
//! probability 1/2, any value including Not Defined; one v2 or v3.x
//! vector in four has its metrics shuffled.
//!
//! # What is measured
//!
//! This process pins itself to one CPU (`taskset`, `--cpu`, 0); the
//! Python process inherits the pinning.
//!
//! - **medsec**: `Vector::parse` and the scores the package computes
//!   (v2: base, and temporal and environmental when the vector defines
//!   such metrics; v3.x: base, temporal and environmental; v4.0: the
//!   score of the whole vector) with their severities, over the vectors
//!   again and again for at least a second. A further column gives the
//!   same with `Vector::scores`, the API the command line uses (for v4.0
//!   up to three scores: CVSS-B, CVSS-BT and the whole vector's), per CPU
//!   second.
//! - **cvss** (`--python`, with `cvss` of `scripts/test-requirements.txt`):
//!   `CVSS2(v)`, `CVSS3(v)` or `CVSS4(v)` (parsing and every score),
//!   `scores()` and `severities()`, timed inside Python over the vectors
//!   once per run (start-up and reading the file excluded).
//!
//! Both sum the scores they computed, in tenths; the sums must be equal
//! in every run. Throughput is vectors per second of CPU time of the
//! measuring thread (`/proc/thread-self/schedstat`) and of the Python
//! process (`time.process_time()`), so that other work on the shared
//! machine does not count; the wall-clock rate of medsec is printed too.
//! `--runs R` (3) gives medians of R runs; each measurement first waits
//! up to `--max-wait` seconds (60) for a quiet machine.
//!
//! ```text
//! cvss-bench [--vectors N] [--runs R] [--cpu 0] [--python PATH] [--no-peer] [--max-wait SECS]
//! ```
//!
//! It prints Markdown for BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use medsec_bench::machine::wait_quiet;
use medsec_cvss::random::Generator;
use medsec_cvss::{Vector, Version};

struct Args {
    vectors: usize,
    runs: usize,
    cpu: usize,
    python: PathBuf,
    peer: bool,
    max_wait: u64,
}

fn args() -> Args {
    let mut a = Args {
        vectors: 50_000,
        runs: 3,
        cpu: 0,
        python: std::env::var_os("MEDSEC_TEST_PYTHON")
            .map_or_else(|| PathBuf::from("python3"), PathBuf::from),
        peer: true,
        max_wait: 60,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--vectors" => a.vectors = value().parse().unwrap(),
            "--runs" => a.runs = value().parse().unwrap(),
            "--cpu" => a.cpu = value().parse().unwrap(),
            "--python" => a.python = PathBuf::from(value()),
            "--no-peer" => a.peer = false,
            "--max-wait" => a.max_wait = value().parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// The package's side: the checksum and the seconds of each run.
const PEER: &str = r#"
import sys, time
from cvss import CVSS2, CVSS3, CVSS4

vectors = open(sys.argv[1]).read().split("\n")[:-1]
runs = int(sys.argv[2])

def scored(v):
    if v.startswith("CVSS:4."):
        c = CVSS4(v)
    elif v.startswith("CVSS:3."):
        c = CVSS3(v)
    else:
        c = CVSS2(v)
    c.severities()
    return c.scores()

out = []
for _ in range(runs):
    total = 0
    t = time.process_time()
    for v in vectors:
        for s in scored(v):
            if s is not None:
                total += round(s * 10)
    out.append((total, time.process_time() - t))
for total, secs in out:
    print(total, secs)
"#;

/// Parses and scores every vector as the package does; the sum of the
/// scores in tenths.
fn as_the_package(vectors: &[String]) -> u64 {
    let mut total = 0_u64;
    for v in vectors {
        let parsed = black_box(Vector::parse(black_box(v))).unwrap();
        let scores = match parsed {
            Vector::V2(v) => {
                let s = v.scores();
                [
                    Some(s.base),
                    v.has_temporal().then_some(s.temporal),
                    v.has_environmental().then_some(s.environmental),
                ]
            }
            Vector::V3(v) => {
                let s = v.scores();
                [Some(s.base), Some(s.temporal), Some(s.environmental)]
            }
            Vector::V4(v) => [Some(v.score()), None, None],
        };
        for s in scores.into_iter().flatten() {
            black_box(parsed.severity(s));
            total += u64::from(s.tenths());
        }
    }
    total
}

/// `Vector::parse` and `Vector::scores` with severities; the sum of the
/// scores in tenths.
fn with_every_group(vectors: &[String]) -> u64 {
    let mut total = 0_u64;
    for v in vectors {
        let parsed = black_box(Vector::parse(black_box(v))).unwrap();
        let s = parsed.scores();
        for score in [Some(s.base), s.temporal, s.threat, s.environmental]
            .into_iter()
            .flatten()
        {
            black_box(parsed.severity(score));
            total += u64::from(score.tenths());
        }
    }
    total
}

/// The CPU time of this thread in seconds.
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace()
        .next()
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1e9
}

/// Vectors per CPU second and per second of `f` over `vectors`, repeated
/// for at least a second; and its checksum.
fn throughput(vectors: &[String], f: fn(&[String]) -> u64) -> (f64, f64, u64) {
    let checksum = f(vectors);
    let start = Instant::now();
    let cpu = thread_cpu_seconds();
    let mut done = 0_usize;
    while start.elapsed() < Duration::from_secs(1) {
        assert_eq!(f(vectors), checksum);
        done += vectors.len();
    }
    let done = done as f64;
    (
        done / (thread_cpu_seconds() - cpu),
        done / start.elapsed().as_secs_f64(),
        checksum,
    )
}

/// The package's checksum and seconds per run over `vectors`.
fn peer(a: &Args, vectors: &[String], dir: &std::path::Path, version: Version) -> Vec<(u64, f64)> {
    let file = dir.join(format!("vectors-{version}.txt"));
    std::fs::write(&file, vectors.join("\n") + "\n").unwrap();
    quiet(a);
    let out = Command::new(&a.python)
        .arg("-c")
        .arg(PEER)
        .arg(&file)
        .arg(a.runs.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", a.python.display()));
    assert!(
        out.status.success(),
        "{} failed (is the cvss package installed?): {}",
        a.python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (total, secs) = l.split_once(' ').unwrap();
            (total.parse().unwrap(), secs.parse().unwrap())
        })
        .collect()
}

fn quiet(a: &Args) {
    wait_quiet(Duration::from_secs(2), 0.3, Duration::from_secs(a.max_wait));
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let a = args();
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
    let package = if a.peer {
        let out = Command::new(&a.python)
            .args(["-c", "import cvss; print(cvss.__version__)"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", a.python.display()));
        assert!(
            out.status.success(),
            "no cvss package in {}",
            a.python.display()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    } else {
        String::new()
    };
    let dir = std::env::temp_dir().join(format!("cvss-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "{} vectors per version, pinned to CPU {}, medians of {} runs{}",
        a.vectors,
        a.cpu,
        a.runs,
        if a.peer {
            format!("; cvss {package} ({})", a.python.display())
        } else {
            String::new()
        }
    );
    println!();
    println!(
        "| version | medsec vectors/CPU s | medsec vectors/s (wall) | medsec with `Vector::scores` | cvss {package} vectors/CPU s | medsec ÷ cvss | target |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut generator = Generator::new(1);
    for version in Version::ALL {
        let vectors: Vec<String> = (0..a.vectors).map(|_| generator.vector(version)).collect();
        let mut ours = Vec::new();
        let mut wall = Vec::new();
        let mut every = Vec::new();
        let mut checksum = 0;
        for _ in 0..a.runs {
            quiet(&a);
            let (rate, wall_rate, sum) = throughput(&vectors, as_the_package);
            ours.push(rate);
            wall.push(wall_rate);
            checksum = sum;
            quiet(&a);
            every.push(throughput(&vectors, with_every_group).0);
        }
        let (theirs, ratio) = if a.peer {
            let runs = peer(&a, &vectors, &dir, version);
            for (sum, _) in &runs {
                assert_eq!(
                    *sum, checksum,
                    "CVSS {version}: the cvss package's scores add up to {sum} tenths, ours to {checksum}"
                );
            }
            let rate = median(runs.iter().map(|(_, s)| vectors.len() as f64 / s).collect());
            (
                format!("{rate:.0}"),
                format!("**{:.0}**", median(ours.clone()) / rate),
            )
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        let target = match version {
            Version::V3_1 => "2,000,000",
            Version::V4 => "500,000",
            _ => "",
        };
        println!(
            "| {version} | **{:.0}** | {:.0} | {:.0} | {theirs} | {ratio} | {target} |",
            median(ours),
            median(wall),
            median(every),
        );
    }
    println!();
    println!(
        "Load average at the end: {:.2}; the two cores are shared with other work.",
        medsec_bench::machine::loadavg()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
