//! `webshell-bench`: webshell scanning (`medsec-webshell`, yara-x) side
//! by side with Debian's `yara` (libyara 4) on the same rules and files.
//!
//! # Rules
//!
//! medsec's built-in rules (`crates/medsec-webshell/rules/*.yar`), which
//! both engines read.
//!
//! # Files
//!
//! A web root of `--files` files (2,000) from a seeded generator
//! (splitmix64, seed 11) over the scanner's fixtures
//! (`crates/medsec-webshell/tests/fixtures`): each file takes a clean
//! fixture (a CMS `index.php`, a contact form, JSP, ASPX, HTML, jQuery-like
//! JS …), keeps its extension and repeats its lines, each time starting
//! at a random line, up to a size drawn log-uniformly between 1 KiB and
//! 256 KiB (what a CMS's PHP and JS files weigh); with probability
//! `--infected` (1/100) a malicious fixture (c99, China Chopper, a JSP
//! cmd shell …) is put in the middle of it.
//!
//! # The evaluators
//!
//! - **medsec**: `Rules::builtin()` and `walk::scan_paths` over the
//!   directory, as `medsec webshell scan` does, in a child process pinned
//!   to one CPU; rule compilation is timed apart.
//! - **yara** (`yara --no-warnings --recursive --threads=1 RULES… DIR`,
//!   pinned): its rule compilation is timed on an empty directory and
//!   taken out.
//!
//! Both must report the same (rule, file) pairs. `--runs R` gives medians
//! of R runs, alternating; each measurement waits for a quiet machine.
//!
//! ```text
//! webshell-bench [--files N] [--infected F] [--runs R] [--cpu 0]
//!                [--yara PATH] [--dir DIR] [--keep]
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use medsec_bench::loghub::Rng;
use medsec_bench::machine::{process_status_mib, wait_quiet};
use medsec_webshell::{Limits, Rules, Session};

struct Args {
    files: usize,
    infected: f64,
    runs: usize,
    cpu: usize,
    yara: PathBuf,
    dir: Option<PathBuf>,
    keep: bool,
}

fn args() -> Args {
    let mut a = Args {
        files: 2_000,
        infected: 0.01,
        runs: 3,
        cpu: 0,
        yara: PathBuf::from("yara"),
        dir: None,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--files" => a.files = value().parse().unwrap(),
            "--infected" => a.infected = value().parse().unwrap(),
            "--runs" => a.runs = value().parse().unwrap(),
            "--cpu" => a.cpu = value().parse().unwrap(),
            "--yara" => a.yara = value().into(),
            "--dir" => a.dir = Some(value().into()),
            "--keep" => a.keep = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../medsec-webshell/tests/fixtures")
}

fn rule_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../medsec-webshell/rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yar"))
        .collect();
    files.sort();
    files
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Writes the web root; returns (files, infected files, bytes).
fn generate(a: &Args, root: &Path) -> (usize, usize, u64) {
    let clean = read_dir_sorted(&fixtures().join("clean"));
    let malicious: Vec<_> = read_dir_sorted(&fixtures().join("malicious"))
        .into_iter()
        // Text shells only (the JPEG with a shell inside is kept whole
        // by the fixtures' own tests).
        .filter(|(name, _)| !name.ends_with(".jpg"))
        .collect();
    let mut rng = Rng(11);
    let share = (a.infected * 1_000_000.0) as u64;
    let (mut infected, mut bytes) = (0, 0u64);
    for i in 0..a.files {
        let (name, base) = &clean[rng.below(clean.len())];
        let ext = name.rsplit_once('.').map_or("txt", |(_, e)| e);
        let lines: Vec<&[u8]> = base.split_inclusive(|b| *b == b'\n').collect();
        // log-uniform in [1 KiB, 256 KiB)
        let exp = 10.0 + 8.0 * (rng.next() % 1_000_000) as f64 / 1_000_000.0;
        let size = 2f64.powf(exp) as usize;
        let mut body = Vec::with_capacity(size + 4096);
        while body.len() < size {
            let start = rng.below(lines.len());
            for l in &lines[start..] {
                body.extend_from_slice(l);
            }
        }
        if rng.next() % 1_000_000 < share {
            let (_, shell) = &malicious[rng.below(malicious.len())];
            let at = body.len() / 2;
            let at = body[..at]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            body.splice(at..at, shell.iter().copied());
            infected += 1;
        }
        let dir = root.join(format!("site{:02}/dir{:02}", i % 7, i % 23));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("f{i:05}.{ext}"));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&body)
            .unwrap();
        bytes += body.len() as u64;
    }
    (a.files, infected, bytes)
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
struct ChildReport {
    compile_secs: f64,
    scan_secs: f64,
    files: u64,
    bytes: u64,
    pairs: Vec<(String, String)>,
    skipped: usize,
    rss_mib: f64,
}

/// `--child DIR`: medsec's side, pinned by the parent.
fn child(root: &Path) {
    let t = Instant::now();
    let rules = Rules::builtin().unwrap();
    let compile_secs = t.elapsed().as_secs_f64();
    let limits = Limits {
        max_total_bytes: u64::MAX,
        max_files: u64::MAX,
        ..Limits::default()
    };
    let mut session = Session::new(&rules, limits);
    let t = Instant::now();
    medsec_webshell::walk::scan_paths(&mut session, &[root.to_owned()]).unwrap();
    let report = session.finish();
    let scan_secs = t.elapsed().as_secs_f64();
    let report = ChildReport {
        compile_secs,
        scan_secs,
        files: report.files,
        bytes: report.bytes,
        pairs: report
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.path.clone()))
            .collect(),
        skipped: report.skipped.len(),
        rss_mib: process_status_mib("self", "VmHWM:"),
    };
    println!("{}", serde_json::to_string(&report).unwrap());
}

fn quiet() {
    wait_quiet(Duration::from_secs(2), 0.15, Duration::from_secs(300));
}

fn measure_medsec(a: &Args, root: &Path) -> ChildReport {
    quiet();
    let out = Command::new("taskset")
        .arg("-c")
        .arg(a.cpu.to_string())
        .arg(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// yara's seconds and (rule, file) pairs.
fn run_yara(a: &Args, target: &Path) -> (f64, BTreeSet<(String, String)>) {
    quiet();
    let t = Instant::now();
    let out = Command::new("taskset")
        .arg("-c")
        .arg(a.cpu.to_string())
        .arg(&a.yara)
        .args(["--no-warnings", "--recursive", "--threads=1"])
        .args(rule_files())
        .arg(target)
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "yara failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pairs = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (rule, file) = l.split_once(' ').unwrap();
            (rule.to_owned(), file.to_owned())
        })
        .collect();
    (secs, pairs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--child") {
        child(Path::new(&argv[2]));
        return;
    }
    let a = args();
    let version = Command::new(&a.yara)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (apt-get install yara)",
                a.yara.display()
            )
        });
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("webshell-bench-{}", std::process::id()))
    });
    let root = dir.join("www");
    let empty = dir.join("empty");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let t = Instant::now();
    let (files, infected, bytes) = generate(&a, &root);
    println!(
        "Input: {files} files ({infected} with a webshell), {:.1} MiB, generated in {:.1} s; {} rule files; yara {version}; pinned to CPU {}; in {}",
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64(),
        rule_files().len(),
        a.cpu,
        dir.display()
    );

    let (mut ours, mut theirs, mut theirs_load) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for run in 0..a.runs {
        let m = measure_medsec(&a, &root);
        eprintln!(
            "run {}: medsec: compile {:.3} s, scan {:.3} s, {} files, {} findings, {} skipped",
            run + 1,
            m.compile_secs,
            m.scan_secs,
            m.files,
            m.pairs.len(),
            m.skipped
        );
        let (load, _) = run_yara(&a, &empty);
        let (secs, pairs) = run_yara(&a, &root);
        eprintln!(
            "run {}: yara: {secs:.3} s ({load:.3} s on an empty directory), {} findings",
            run + 1,
            pairs.len()
        );
        let mine: BTreeSet<(String, String)> = m.pairs.iter().cloned().collect();
        assert_eq!(
            mine, pairs,
            "medsec and yara disagree on (rule, file) pairs"
        );
        assert_eq!(m.skipped, 0, "no file may be skipped");
        ours.push(m.clone());
        theirs.push(secs);
        theirs_load.push(load);
        last = Some(m);
    }
    let m = last.unwrap();
    let mib = bytes as f64 / 1048576.0;
    let our_scan = median(ours.iter().map(|r| r.scan_secs).collect());
    let our_compile = median(ours.iter().map(|r| r.compile_secs).collect());
    let yara_total = median(theirs.clone());
    let yara_load = median(theirs_load);
    let yara_scan = (yara_total - yara_load).max(1e-9);
    println!();
    println!(
        "| scanner | files | MiB | findings | scanning s (median of {}) | MiB/s | rule compilation s | peak RSS |",
        a.runs
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| medsec (yara-x 1.22.1) | {} | {mib:.1} | {} | {our_scan:.3} | **{:.1}** | {our_compile:.3} | {:.0} MiB |",
        m.files,
        m.pairs.len(),
        mib / our_scan,
        m.rss_mib
    );
    println!(
        "| yara {version} (`--threads=1`) | {files} | {mib:.1} | {} | {yara_scan:.3} | **{:.1}** | {yara_load:.3} (whole run on an empty directory) | |",
        m.pairs.len(),
        mib / yara_scan
    );
    println!();
    println!(
        "medsec ÷ yara (throughput): **{:.2}**; same (rule, file) pairs in every run",
        yara_scan / our_scan
    );
    if !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
