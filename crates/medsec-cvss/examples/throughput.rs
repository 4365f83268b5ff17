//! Vectors parsed and scored per second on this thread, per version: the
//! quick measurement while working on this crate (a release build takes
//! seconds). The canonical benchmark, side by side with the PyPI `cvss`
//! package, is `cvss-bench` in `medsec-bench` (BENCHMARKS.md).
//!
//! ```text
//! taskset -c 0 cargo run --release -p medsec-cvss --example throughput [VECTORS]
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use medsec_cvss::random::Generator;
use medsec_cvss::{Vector, Version};

/// The CPU time of this thread in seconds, from the scheduler's
/// statistics, so that other work on the machine does not count.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(50_000, |n| n.parse().unwrap());
    let mut generator = Generator::new(1);
    for version in Version::ALL {
        let vectors: Vec<String> = (0..n).map(|_| generator.vector(version)).collect();
        let start = Instant::now();
        let cpu = cpu_seconds();
        let mut done = 0_usize;
        while start.elapsed() < Duration::from_secs(1) {
            for v in &vectors {
                let parsed = Vector::parse(black_box(v)).unwrap();
                let s = parsed.scores();
                black_box((s, parsed.severity(s.base)));
            }
            done += vectors.len();
        }
        let rate = done as f64 / start.elapsed().as_secs_f64();
        let cpu_rate = done as f64 / (cpu_seconds() - cpu);
        println!(
            "CVSS {version}: {rate:.0} vectors/s, {cpu_rate:.0} per CPU second (parse and Vector::scores)"
        );
    }
}
