//! Times a full submission package for the ECG gateway fixture (both
//! layouts, documents rendered once): the target is under 3 s.
//! `crates/medsec-bench`'s `package-bench` is the same measurement; this
//! example exists because release builds of the bench crate take tens of
//! minutes on small machines (BENCHMARKS.md).
//!
//! `cargo run --release -p medsec-package --example build_time [-- RUNS]`

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use medsec_assure::evidence::sarif::{self, ImportOptions};
use medsec_assure::profile::{Format, Profile};
use medsec_package::{Evidence, Layout, Scan, Sources, build_all, prepare};

/// CPU time of the whole process (user + system, all threads) from
/// `/proc/self/stat`, in clock ticks of 10 ms: the machine is shared, so
/// wall time alone says little.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the command name: state is field 0, utime 11, stime 12.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("RUNS is a number"))
        .unwrap_or(10);
    let root = workspace();
    let t = Instant::now();
    let fonts = medsec_pdf::Fonts::discover().expect("fonts");
    let font_time = t.elapsed();
    let profile_path = root.join("crates/medsec-assure/fixtures/devices/ecg-gateway.toml");
    let profile = Profile::parse(
        &std::fs::read_to_string(&profile_path).unwrap(),
        Format::Toml,
    )
    .unwrap();
    let sbom_path =
        root.join("../shared/data/sbom/cyclonedx-examples/SBOM/juice-shop/v11.1.2/bom.json");
    let sbom = std::fs::read(&sbom_path)
        .ok()
        .map(|b| medsec_sbom::read(&b).expect("the SBOM reads"));
    let findings = medsec_package::findings::read(
        &std::fs::read_to_string(
            root.join("crates/medsec-package/tests/fixtures/ecg-gateway.findings.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let sarif_name = "medsec-sample-fuzz-login-parser.sarif";
    let sarif_bytes = std::fs::read(
        root.join("crates/medsec-assure/tests/sarif/valid")
            .join(sarif_name),
    )
    .unwrap();
    let report = sarif::import(
        &sarif_bytes,
        &ImportOptions {
            source: sarif_name.into(),
            test: None,
        },
    )
    .unwrap();
    let sources = Sources {
        profile,
        checklist: None,
        register: None,
        plan: None,
        scans: vec![Scan {
            name: sarif_name.into(),
            bytes: sarif_bytes,
            report,
        }],
        findings,
        sbom,
        justifications: Vec::new(),
        evidence: vec![Evidence {
            name: "VVT-SW-001.txt".into(),
            bytes: b"Penetration test report of the ECG gateway".to_vec(),
        }],
        tplc: None,
        support: Vec::new(),
        end_of_support: None,
        created: time::macros::datetime!(2026-03-02 09:00 UTC),
    };
    println!(
        "fonts loaded in {:.0} ms (once per process); SBOM: {}",
        font_time.as_secs_f64() * 1000.0,
        sources.sbom.as_ref().map_or("none".to_owned(), |s| format!(
            "{} components",
            s.components.len()
        ))
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut cpu: Vec<Duration> = Vec::new();
    let mut sizes = Vec::new();
    for run in 0..runs {
        let t = Instant::now();
        let c = cpu_time();
        let inputs = prepare(sources.clone()).unwrap();
        let packages = build_all(&inputs, &[Layout::Mfds, Layout::Fda2023], &fonts).unwrap();
        let took = t.elapsed();
        let used = cpu_time().saturating_sub(c);
        if run == 0 {
            println!(
                "first build in the process (cold Typst caches, as one CLI run): {:.0} ms wall, {:.0} ms CPU",
                took.as_secs_f64() * 1000.0,
                used.as_secs_f64() * 1000.0
            );
        }
        cpu.push(used);
        if run == 0 {
            for p in &packages {
                let files = p.manifest.files.len();
                sizes.push((p.layout.as_str(), p.zip.len(), files, p.manifest.gaps));
            }
        }
        times.push(took);
    }
    times.sort();
    cpu.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[((times.len() * 95).div_ceil(100))
        .saturating_sub(1)
        .min(times.len() - 1)];
    for (layout, bytes, files, gaps) in sizes {
        println!("{layout}: {bytes} bytes, {files} files, {gaps} gaps");
    }
    let cpu_median = cpu[cpu.len() / 2];
    let cpu_p95 = cpu[((cpu.len() * 95).div_ceil(100))
        .saturating_sub(1)
        .min(cpu.len() - 1)];
    println!(
        "both layouts, {runs} runs: wall median {:.0} ms, p95 {:.0} ms, min {:.0} ms, max {:.0} ms; CPU median {:.0} ms, p95 {:.0} ms (target < 3000 ms) {}",
        ms(median),
        ms(p95),
        ms(times[0]),
        ms(times[times.len() - 1]),
        ms(cpu_median),
        ms(cpu_p95),
        if p95 < Duration::from_secs(3) {
            "PASS"
        } else {
            "FAIL"
        }
    );
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
