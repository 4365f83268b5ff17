//! `audit-bench`: medsec against `cargo audit` on the same real Cargo.lock
//! files (`crates/medsec-vulndb/tests/cargo-lock/`) with the same RustSec
//! data (`MEDSEC_DATA/rustsec/advisory-db`), side by side in one run.
//! Target: medsec at least ten times faster end to end.
//!
//! Measured, each the median of `AUDIT_BENCH_RUNS` runs (default 7), for
//! every lock file alone and for all of them together:
//!
//! - **cargo audit**: `cargo-audit audit --db COPY --no-fetch --stale
//!   --no-yanked --json -f LOCK`, one process per lock file (cargo audit
//!   audits one lock file per run), its JSON read to the end; `COPY` is a
//!   plain copy of the advisory-db, CARGO_HOME an empty directory.
//!   `--no-yanked` because medsec does not check yanked crates either
//!   (that needs the crates.io index, not advisory data).
//! - **medsec, process**: this binary as `audit-bench scan DB LOCK…`, one
//!   process for all the lock files given, doing what cargo audit does:
//!   read every advisory of the advisory-db (`feed::discover`,
//!   `feed::read`), build the index, parse each Cargo.lock (TOML), turn
//!   its packages into pkg:cargo components, match with explanations, and
//!   write medsec's JSON report of each to standard output (read to the
//!   end by the benchmark).
//! - **medsec, library**: the same steps in this process (no process
//!   start), the report written to memory.
//! - **medsec, warm index**: the lock files parsed, matched and reported
//!   with the index already in memory, as the server holds it (`medsec
//!   serve` builds it once at start and after each feed import).
//! - **medsec sbom scan, fresh process**: the real `medsec` release binary,
//!   `medsec sbom scan --data-dir DIR --format json LOCK`, one process per
//!   lock file as with cargo audit, against a database into which `medsec
//!   feeds import` stored the same advisory-db (untimed, before): it
//!   generates the SBOM of the lock file, opens the database, reads only
//!   the advisories the lock file's crates can match (the feed records'
//!   lookup keys) and matches. `MEDSEC_BIN` names the binary (default:
//!   `medsec` next to this program, from `cargo build --release -p
//!   medsec`); without it the column is left out.
//!
//! It also prints where medsec's cold start goes: finding the advisory
//! files, reading them into records, and parsing and indexing them; and
//! for `medsec sbom scan`, the steps it reports with `--timings` next to
//! the start of a process that does nothing (`medsec --version`).
//!
//! The ratio is cargo audit's time over medsec's. `CARGO_AUDIT` names the
//! cargo-audit binary (default: `cargo-audit` on the PATH). Run
//! `bench/cargo-audit`; it prints Markdown for BENCHMARKS.md.
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

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use medsec_vulndb::feed::{self, Limits};
use medsec_vulndb::{Component, Database, Purl};

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// The RustSec advisory-db read into an index.
fn load(advisory_db: &Path) -> Database {
    let (files, _) = feed::discover(advisory_db).expect("discover the advisory-db");
    let mut db = Database::new();
    for f in &files {
        feed::read(f, Limits::default(), &mut |r| db.add_record(&r)).expect("read an advisory");
    }
    db.build();
    db
}

/// One pkg:cargo component per `[[package]]` of a Cargo.lock.
fn components(lock: &str) -> Vec<Component> {
    let doc: toml::Table = toml::from_str(lock).expect("a Cargo.lock");
    let packages = doc.get("package").and_then(toml::Value::as_array);
    packages
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let s = |k: &str| p.get(k).and_then(toml::Value::as_str);
            let (name, version) = (s("name")?, s("version")?);
            let qualifiers = match s("source") {
                Some(src) if CRATES_IO.contains(&src) => Vec::new(),
                Some(src) if src.starts_with("git+") => vec![("vcs_url".into(), src.into())],
                Some(src) => vec![(
                    "repository_url".into(),
                    src.split_once('+').map_or(src, |(_, u)| u).into(),
                )],
                None => Vec::new(),
            };
            Some(Component {
                name: name.to_owned(),
                supplier: None,
                version: Some(version.to_owned()),
                purl: Some(Purl {
                    ty: "cargo".to_owned(),
                    namespace: None,
                    name: name.to_owned(),
                    version: Some(version.to_owned()),
                    qualifiers,
                }),
                cpes: Vec::new(),
                // A path dependency or workspace member, as
                // `medsec_sbom::generate` marks it.
                local: s("source").is_none(),
            })
        })
        .collect()
}

/// What medsec does for a run: index, then each lock file parsed, matched
/// and reported as JSON. Returns the number of findings.
fn scan(advisory_db: &Path, locks: &[PathBuf], out: &mut dyn Write) -> usize {
    let db = load(advisory_db);
    scan_with(&db, locks, out)
}

/// Each lock file parsed, matched and reported with an index already
/// built, as the server keeps it.
fn scan_with(db: &Database, locks: &[PathBuf], out: &mut dyn Write) -> usize {
    let mut total = 0;
    for lock in locks {
        let text = std::fs::read_to_string(lock).expect("read the lock file");
        let components = components(&text);
        let findings = db.matches_built(&components);
        total += findings.len();
        let report =
            medsec_vulndb::report::json(&lock.display().to_string(), &components, &findings);
        serde_json::to_writer(&mut *out, &report).expect("write the report");
        out.write_all(b"\n").expect("write the report");
    }
    total
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Runs a command to the end with its output read, and returns how long
/// it took and what it wrote.
fn run(command: &mut Command, ok: &[i32]) -> (Duration, Vec<u8>) {
    let t = Instant::now();
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("start the process");
    let elapsed = t.elapsed();
    let code = output.status.code().unwrap_or(-1);
    if !ok.contains(&code) {
        eprintln!("{command:?}: {}", output.status);
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        std::process::exit(1);
    }
    (elapsed, output.stdout)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// cargo audit's findings in one JSON report: vulnerabilities and
/// warnings.
fn cargo_audit_count(report: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(report).expect("cargo audit's JSON");
    let vulns = v
        .pointer("/vulnerabilities/list")
        .and_then(|l| l.as_array())
        .map_or(0, Vec::len);
    let warnings: usize = v
        .get("warnings")
        .and_then(|w| w.as_object())
        .map_or(0, |w| {
            w.values().map(|l| l.as_array().map_or(0, Vec::len)).sum()
        });
    vulns + warnings
}

/// The number of findings in a `medsec sbom scan --format json` report.
fn medsec_count(report: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(report).expect("medsec's JSON");
    v.get("findings")
        .and_then(|f| f.as_array())
        .map_or(0, Vec::len)
}

/// The `medsec` binary to run: `MEDSEC_BIN`, else the one next to this
/// program.
fn medsec_binary(me: &Path) -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("MEDSEC_BIN") {
        return Some(PathBuf::from(bin));
    }
    let bin = me.with_file_name("medsec");
    bin.is_file().then_some(bin)
}

/// The steps of `medsec sbom scan --timings` (its `timings:` line), in
/// ms by name.
fn scan_steps(stderr: &[u8]) -> Vec<(String, f64)> {
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("timings: ")) else {
        return Vec::new();
    };
    let steps = line.split("; total").next().unwrap_or_default();
    steps
        .split(", ")
        .filter_map(|step| {
            let (name, ms) = step.strip_suffix(" ms")?.rsplit_once(' ')?;
            Some((name.to_owned(), ms.parse().ok()?))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `audit-bench scan DB LOCK…`: medsec's side as its own process.
    if args.get(1).map(String::as_str) == Some("scan") && args.len() >= 4 {
        let locks: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        scan(Path::new(&args[2]), &locks, &mut out);
        out.flush().expect("write the report");
        return;
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data"));
    let advisory_db = data.join("rustsec/advisory-db");
    if !advisory_db.is_dir() {
        eprintln!(
            "audit-bench: no advisory-db at {} (set MEDSEC_DATA)",
            advisory_db.display()
        );
        std::process::exit(2);
    }
    let cargo_audit = std::env::var_os("CARGO_AUDIT").unwrap_or_else(|| "cargo-audit".into());
    let runs: usize = std::env::var("AUDIT_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
        .max(1);
    let fixtures = root.join("crates/medsec-vulndb/tests/cargo-lock");
    let mut locks: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("the lock files")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    locks.sort();
    let me = std::env::current_exe().expect("this program");

    let scratch = std::env::temp_dir().join(format!("audit-bench-{}", std::process::id()));
    let db_copy = scratch.join("advisory-db");
    copy_dir(&advisory_db, &db_copy);
    let cargo_home = scratch.join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    let audit = |lock: &Path| {
        let mut c = Command::new(&cargo_audit);
        c.arg("audit")
            .arg("--db")
            .arg(&db_copy)
            .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
            .arg(lock)
            .env("CARGO_HOME", &cargo_home)
            .current_dir(&scratch);
        // 1: vulnerabilities found.
        run(&mut c, &[0, 1])
    };
    let process = |locks: &[PathBuf]| {
        let mut c = Command::new(&me);
        c.arg("scan").arg(&advisory_db).args(locks);
        run(&mut c, &[0])
    };
    let library = |locks: &[PathBuf]| {
        let t = Instant::now();
        let mut out = Vec::new();
        let n = scan(&advisory_db, locks, &mut out);
        (t.elapsed(), n)
    };
    let warm_db = load(&advisory_db);
    let warm = |locks: &[PathBuf]| {
        let t = Instant::now();
        let mut out = Vec::new();
        scan_with(&warm_db, locks, &mut out);
        t.elapsed()
    };

    // `medsec sbom scan` against a database with the advisory-db imported.
    let medsec = medsec_binary(&me);
    let medsec_data = scratch.join("medsec-data");
    if let Some(bin) = &medsec {
        let mut c = Command::new(bin);
        c.args(["feeds", "import", "--data-dir"])
            .arg(&medsec_data)
            .arg(&advisory_db);
        run(&mut c, &[0]);
    }
    let sbom_scan = |lock: &Path, extra: &[&str]| {
        let bin = medsec.as_ref().expect("the medsec binary");
        let mut c = Command::new(bin);
        c.args(["sbom", "scan", "--data-dir"])
            .arg(&medsec_data)
            .args(["--format", "json"])
            .args(extra)
            .arg(lock);
        let t = Instant::now();
        let output = c.output().expect("start medsec");
        let elapsed = t.elapsed();
        if !output.status.success() {
            eprintln!("{c:?}: {}", output.status);
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            std::process::exit(1);
        }
        (elapsed, output.stdout, output.stderr)
    };

    // One untimed round first, so that every file is in the page cache.
    for lock in &locks {
        audit(lock);
        if medsec.is_some() {
            sbom_scan(lock, &[]);
        }
    }
    process(&locks);

    println!("## cargo audit side by side (audit-bench)");
    println!();
    println!(
        "{} real Cargo.lock files of `crates/medsec-vulndb/tests/cargo-lock`, RustSec advisory-db at {}; median of {runs} runs; times in ms; ratio = cargo audit / medsec.",
        locks.len(),
        advisory_db.display()
    );
    println!();
    println!(
        "| lock file | packages | findings (cargo audit / medsec) | cargo audit | medsec sbom scan, fresh process | ratio | medsec, process | ratio | medsec, library | ratio | medsec, warm index | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut all_audit = vec![Duration::ZERO; runs];
    let mut all_scan = vec![Duration::ZERO; runs];
    let mut all_audit_findings = 0;
    let mut all_scan_findings = 0;
    let mut scan_ratios = Vec::new();
    for lock in &locks {
        let packages = components(&std::fs::read_to_string(lock).unwrap()).len();
        let mut audit_times = Vec::new();
        let mut scan_times = Vec::new();
        let mut process_times = Vec::new();
        let mut library_times = Vec::new();
        let mut warm_times = Vec::new();
        let mut audit_findings = 0;
        let mut scan_findings = None;
        let mut ours = 0;
        let one = std::slice::from_ref(lock);
        for (total, scan_total) in all_audit.iter_mut().zip(all_scan.iter_mut()) {
            let (t, report) = audit(lock);
            audit_findings = cargo_audit_count(&report);
            *total += t;
            audit_times.push(t);
            if medsec.is_some() {
                let (t, report, _) = sbom_scan(lock, &[]);
                scan_findings = Some(medsec_count(&report));
                *scan_total += t;
                scan_times.push(t);
            }
            process_times.push(process(one).0);
            let (t, n) = library(one);
            ours = n;
            library_times.push(t);
            warm_times.push(warm(one));
        }
        all_audit_findings += audit_findings;
        all_scan_findings += scan_findings.unwrap_or(0);
        let (a, p, l, w) = (
            median(audit_times),
            median(process_times),
            median(library_times),
            median(warm_times),
        );
        let scan = if scan_times.is_empty() {
            "– | –".to_owned()
        } else {
            let s = median(scan_times);
            scan_ratios.push(a.as_secs_f64() / s.as_secs_f64());
            format!("{} | **{:.1}×**", ms(s), a.as_secs_f64() / s.as_secs_f64())
        };
        println!(
            "| `{}` | {packages} | {audit_findings} / {} | {} | {scan} | {} | {:.1}× | {} | {:.1}× | {} | {:.0}× |",
            lock.file_name().unwrap().to_string_lossy(),
            match scan_findings {
                Some(n) if n != ours => format!("{ours} ({n} by `sbom scan`)"),
                _ => ours.to_string(),
            },
            ms(a),
            ms(p),
            a.as_secs_f64() / p.as_secs_f64(),
            ms(l),
            a.as_secs_f64() / l.as_secs_f64(),
            ms(w),
            a.as_secs_f64() / w.as_secs_f64(),
        );
    }
    // All the lock files: cargo audit once per file (the sums of the runs
    // above), medsec once for all of them.
    let mut process_times = Vec::new();
    let mut library_times = Vec::new();
    let mut warm_times = Vec::new();
    let mut ours = 0;
    for _ in 0..runs {
        process_times.push(process(&locks).0);
        let (t, n) = library(&locks);
        ours = n;
        library_times.push(t);
        warm_times.push(warm(&locks));
    }
    let packages: usize = locks
        .iter()
        .map(|l| components(&std::fs::read_to_string(l).unwrap()).len())
        .sum();
    let (a, p, l, w) = (
        median(all_audit),
        median(process_times),
        median(library_times),
        median(warm_times),
    );
    let scan = if medsec.is_some() {
        let s = median(all_scan);
        format!(
            "{} (one process per file) | **{:.1}×**",
            ms(s),
            a.as_secs_f64() / s.as_secs_f64()
        )
    } else {
        "– | –".to_owned()
    };
    println!(
        "| **all {} together** | {packages} | {all_audit_findings} / {ours} | {} | {scan} | {} | **{:.1}×** | {} | **{:.1}×** | {} | **{:.0}×** |",
        locks.len(),
        ms(a),
        ms(p),
        a.as_secs_f64() / p.as_secs_f64(),
        ms(l),
        a.as_secs_f64() / l.as_secs_f64(),
        ms(w),
        a.as_secs_f64() / w.as_secs_f64(),
    );
    println!();
    // Where medsec's cold start goes.
    let mut steps = [const { Vec::new() }; 3];
    for _ in 0..runs {
        let t = Instant::now();
        let (files, _) = feed::discover(&advisory_db).expect("discover the advisory-db");
        let discovered = t.elapsed();
        let mut records = Vec::new();
        for f in &files {
            feed::read(f, Limits::default(), &mut |r| {
                records.push(r);
                Ok(())
            })
            .expect("read an advisory");
        }
        let read = t.elapsed();
        let mut db = Database::new();
        for r in &records {
            db.add_record(r).expect("add an advisory");
        }
        db.build();
        let indexed = t.elapsed();
        steps[0].push(discovered);
        steps[1].push(read - discovered);
        steps[2].push(indexed - read);
    }
    let [discover, read, index] = steps.map(median);
    println!(
        "medsec's cold start, median: finding and recognising the {} advisory files {} ms (`feed::discover` reads the head of each), reading them into records {} ms (`feed::read`, which parses each front matter for the id), parsing and indexing them {} ms (`Database::add_record`, `build`).",
        warm_db.stats().advisories,
        ms(discover),
        ms(read),
        ms(index)
    );
    println!();
    if let Some(bin) = &medsec {
        scan_ratios.sort_by(f64::total_cmp);
        println!(
            "`medsec sbom scan`, one fresh process per lock file ({}): {:.1}× to {:.1}× faster than cargo audit per file (median {:.1}×); {all_scan_findings} findings in all.",
            bin.display(),
            scan_ratios.first().copied().unwrap_or_default(),
            scan_ratios.last().copied().unwrap_or_default(),
            scan_ratios
                .get(scan_ratios.len() / 2)
                .copied()
                .unwrap_or_default(),
        );
        println!();
        // Where a fresh `medsec sbom scan` spends its time: the steps it
        // times itself, and the rest (process start, runtime, clap,
        // configuration) next to a process that only prints its version.
        let largest = locks
            .iter()
            .max_by_key(|l| std::fs::metadata(l).map(|m| m.len()).unwrap_or(0))
            .unwrap();
        let mut version_times = Vec::new();
        let mut totals = Vec::new();
        let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
        for _ in 0..runs {
            let mut c = Command::new(bin);
            c.arg("--version");
            version_times.push(run(&mut c, &[0]).0);
            let (t, _, stderr) = sbom_scan(largest, &["--timings"]);
            totals.push(t);
            for (name, ms) in scan_steps(&stderr) {
                match steps.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, list)) => list.push(ms),
                    None => steps.push((name, vec![ms])),
                }
            }
        }
        let total = median(totals);
        let inside: f64 = steps
            .iter_mut()
            .map(|(_, list)| {
                list.sort_by(f64::total_cmp);
                list[list.len() / 2]
            })
            .sum();
        let shown: Vec<String> = steps
            .iter()
            .map(|(name, list)| format!("{name} {:.1} ms", list[list.len() / 2]))
            .collect();
        println!(
            "Where `medsec sbom scan` of the largest lock file (`{}`) spends its {} ms (medians): {}; the rest, {:.1} ms, is the process around it (start, async runtime, command line, configuration, exit); `medsec --version` alone takes {} ms.",
            largest.file_name().unwrap().to_string_lossy(),
            ms(total),
            shown.join(", "),
            (total.as_secs_f64() * 1000.0 - inside).max(0.0),
            ms(median(version_times)),
        );
        println!();
    }
    println!(
        "cargo audit counts each advisory once per crate version (vulnerabilities and warnings); medsec counts one finding per vulnerability (aliases merged) and component, so the counts differ where one vulnerability has several advisories; `cargo test -p medsec-vulndb --test it cargo_audit` compares the advisories themselves."
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
