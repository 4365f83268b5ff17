//! `portfolio-bench`: the portfolio targets of issue 5 (sustain), measured
//! through `medsec-store`'s public API on a generated portfolio of a
//! manufacturer: 1,000 releases × 1,000 components, about ten million
//! findings.
//!
//! Targets: the first page of open findings under 200 ms in every order
//! (priority, severity, EPSS, KEV, newest), "where is component X used"
//! under 1 s, the dashboard's counts interactive (under 2 s), the
//! process's peak RSS under 1 GB. Also measured: the insert throughput of
//! building the portfolio, a deep page, the database size, and what a
//! re-match writes (`store_match` and `apply_vex` per release, as
//! `medsec_server::sustain::rematch_with` calls them) for 10, 100 and
//! 1,000 releases.
//!
//! # The generated portfolio
//!
//! Everything comes from a seeded generator (splitmix64, seed 5, and a
//! per-purl seed from FNV-1a), so every run builds the same data, and
//! every value is drawn from real records of `MEDSEC_DATA/advisories`
//! (the OSV files: Go, PyPI, Bitnami, npm, Maven, …; see PROVENANCE.md)
//! and `MEDSEC_DATA/kev` (the CISA KEV catalogue):
//!
//! - **Vulnerabilities**: every OSV advisory with its real id and aliases;
//!   CVSS and level as medsec shows them (`score::best` of the advisory's
//!   vectors, else its qualitative label). KEV: advisories whose CVE is in
//!   the real KEV catalogue (about 0.5 %), plus seeded CVE-aliased ones up
//!   to about 3 % in all. EPSS (the data holds no EPSS file): only for
//!   advisories with a CVE, a seeded percentile mapped onto the shape of
//!   the published EPSS distribution (median 0.09 %, 90th percentile 2 %,
//!   99th 50 %), KEV entries in the top decile; the priority is
//!   `score::priority` of these, so it is what the matcher would store.
//! - **Components**: the advisories' packages as purls (type, namespace,
//!   name), each at one of the versions its ranges name. A product has
//!   `--components` of them: one in ten from a platform core shared by
//!   every product (every device runs on the same base, so these are the
//!   "used everywhere" components), the rest drawn at random.
//! - **Findings**: attached, not matched, so that their number can be set:
//!   a component has none with probability 0.35, else a geometric number
//!   with mean `--findings`/0.65 (capped at 500); the ids are the
//!   package's own advisories first, then other advisories of the same
//!   ecosystem. They are a function of the purl, so a component that does
//!   not change between releases keeps its findings.
//! - **Releases**: products of 20 releases each (`--releases 1000` = 50
//!   products), created round by round (release 1 of every product, then
//!   release 2, …), six hours apart. Each release changes about 5 % of its
//!   product's components: four in five get another version, one in five
//!   is replaced by another package.
//!
//! A release is stored as the server stores it: `create_release` with its
//! components, `store_match` with its findings, `apply_vex`.
//!
//! # Measuring
//!
//! Queries run on a freshly opened store after the portfolio is built;
//! before the first ("cold") run the operating system's cache of the
//! database file is dropped (`dd iflag=nocache count=0`, this file only)
//! so that it reads from disk; then the median of `--runs` further runs.
//! The peak RSS is `VmHWM` of `/proc/self/status`, for the whole run and
//! for the query phase alone (reset through `/proc/self/clear_refs`).
//!
//! ```text
//! portfolio-bench [--releases N] [--components N] [--findings MEAN]
//!                 [--runs N] [--rematch 10,100,1000] [--db FILE] [--keep]
//! ```
//!
//! `--db FILE` keeps the database there (it is reused when it already
//! holds the portfolio, skipping generation); without it a temporary file
//! is used and removed. `MEDSEC_BENCH_POSTGRES=URL` runs on an empty
//! PostgreSQL database instead. Run `bench/portfolio`; it prints Markdown
//! for BENCHMARKS.md.
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Timestamp};
use medsec_store::releases::{ComponentRow, FindingOrder, NewFinding, NewRelease};
use medsec_store::{AuditEntry, OpenOptions, Store};
use medsec_version::Ecosystem;
use medsec_vulndb::feed::{self, Limits};
use medsec_vulndb::{Advisory, Kind, Purl, score};

const ORG: &str = "Portfolio bench";
const RELEASES_PER_PRODUCT: usize = 20;
/// 2024-01-01T00:00:00Z, the first release.
const START: i64 = 1_704_067_200_000;
const HOUR: i64 = 3_600_000;

/// splitmix64: small, seeded, good enough to pick test data.
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

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// FNV-1a of a text and a salt: per-item seeds that do not depend on the
/// order items are visited in.
fn hash(salt: u64, text: &str) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325u64 ^ salt;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    // One splitmix round, so that close texts give distant seeds.
    Rng(h).next()
}

fn unit_of(salt: u64, text: &str) -> f64 {
    (hash(salt, text) >> 11) as f64 / (1u64 << 53) as f64
}

// --- Command line ---------------------------------------------------------

struct Args {
    releases: usize,
    components: usize,
    findings: f64,
    runs: usize,
    rematch: Vec<usize>,
    db: Option<PathBuf>,
    keep: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: portfolio-bench [--releases N] [--components N] [--findings MEAN] [--runs N] [--rematch N,N,…] [--db FILE] [--keep]"
    );
    std::process::exit(2);
}

fn args() -> Args {
    let mut a = Args {
        releases: 1000,
        components: 1000,
        findings: 10.0,
        runs: 7,
        rematch: vec![10, 100, 1000],
        db: None,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--releases" => a.releases = value().parse().unwrap_or_else(|_| usage()),
            "--components" => a.components = value().parse().unwrap_or_else(|_| usage()),
            "--findings" => a.findings = value().parse().unwrap_or_else(|_| usage()),
            "--runs" => a.runs = value().parse().unwrap_or_else(|_| usage()),
            "--rematch" => {
                a.rematch = value()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap_or_else(|_| usage()))
                    .collect();
            }
            "--db" => a.db = Some(PathBuf::from(value())),
            "--keep" => a.keep = true,
            _ => usage(),
        }
    }
    if a.releases == 0 || a.components == 0 || a.runs == 0 || a.findings < 0.0 {
        usage();
    }
    a
}

fn data_dir() -> PathBuf {
    std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

// --- Vulnerabilities and packages ----------------------------------------

/// One advisory as a finding stores it.
struct Vuln {
    id: String,
    aliases: String,
    level: i64,
    cvss10: Option<i64>,
    epss100k: Option<i64>,
    kev: bool,
    priority10: i64,
}

/// A package of the advisories, as a purl without version.
struct Package {
    ecosystem: Ecosystem,
    purl: Purl,
    identity: String,
    versions: Vec<String>,
    /// Indexes into the vulnerabilities.
    advisories: Vec<u32>,
}

struct Catalog {
    vulns: Vec<Vuln>,
    packages: Vec<Package>,
    /// Vulnerabilities per ecosystem, to fill components up.
    by_ecosystem: BTreeMap<Ecosystem, Vec<u32>>,
    real_kev: usize,
}

/// The CVE ids of the CISA KEV catalogue.
fn kev_ids(dir: &Path) -> HashSet<String> {
    let path = dir.join("kev/known_exploited_vulnerabilities.json");
    let text = std::fs::read_to_string(&path).expect("read the KEV catalogue");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("KEV JSON");
    doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["cveID"].as_str().map(str::to_owned))
        .collect()
}

/// An EPSS probability from its percentile, log-linear between points of
/// the published distribution's shape.
fn epss_of(percentile: f64) -> f64 {
    const KNOTS: [(f64, f64); 7] = [
        (0.0, 0.0001),
        (0.5, 0.0009),
        (0.75, 0.003),
        (0.9, 0.02),
        (0.95, 0.07),
        (0.99, 0.5),
        (1.0, 0.975),
    ];
    for w in KNOTS.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if percentile <= x1 {
            let t = (percentile - x0) / (x1 - x0);
            return (y0.ln() + t * (y1.ln() - y0.ln())).exp();
        }
    }
    KNOTS[KNOTS.len() - 1].1
}

/// The purl (without version) of an OSV package.
fn purl_of(ecosystem: Ecosystem, name: &str) -> Option<Purl> {
    let (namespace, name) = match ecosystem {
        Ecosystem::Maven => {
            let (g, a) = name.split_once(':')?;
            (Some(g.to_owned()), a.to_owned())
        }
        Ecosystem::Go | Ecosystem::Npm if name.contains('/') => {
            let (ns, n) = name.rsplit_once('/')?;
            (Some(ns.to_owned()), n.to_owned())
        }
        Ecosystem::Debian | Ecosystem::Ubuntu | Ecosystem::Rpm | Ecosystem::Alpine => return None,
        _ => (None, name.to_owned()),
    };
    Some(Purl {
        ty: ecosystem.purl_type().to_owned(),
        namespace,
        name,
        version: None,
        qualifiers: Vec::new(),
    })
}

fn catalog(dir: &Path) -> Catalog {
    let kev = kev_ids(dir);
    let (files, _) = feed::discover(&dir.join("advisories")).expect("discover the OSV feeds");
    let mut advisories = Vec::new();
    for f in &files {
        feed::read(f, Limits::default(), &mut |r| {
            if r.kind == Kind::Osv {
                advisories.extend(Advisory::parse(&r).unwrap_or_default());
            }
            Ok(())
        })
        .expect("read an OSV feed");
    }
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    advisories.dedup_by(|a, b| a.id == b.id);
    let mut vulns = Vec::with_capacity(advisories.len());
    let mut real_kev = 0;
    let mut packages: BTreeMap<(Ecosystem, String), (Vec<u32>, Vec<String>)> = BTreeMap::new();
    for a in &advisories {
        let best = score::best(&a.severity);
        let cvss = best.map(|s| s.score);
        let level = best.map(score::Severity::level).or(a.severity_label);
        let has_cve = a.cves().next().is_some();
        let in_kev = a.cves().any(|c| kev.contains(c));
        real_kev += usize::from(in_kev);
        // Seeded KEV entries bring the share to about 3 % of advisories.
        let kev = in_kev || (has_cve && unit_of(1, &a.id) < 0.026);
        let percentile = has_cve.then(|| {
            let u = unit_of(2, &a.id);
            if kev { 0.9 + 0.1 * u } else { u }
        });
        let priority = score::priority(cvss, a.severity_label, percentile.map(|p| p as f32), kev);
        let index = vulns.len() as u32;
        vulns.push(Vuln {
            id: a.id.clone(),
            aliases: a.aliases.join(" "),
            level: level.map_or(-1, |l| l as i64),
            cvss10: cvss.map(|s| (s * 10.0).round() as i64),
            epss100k: percentile.map(|p| (epss_of(p) * 100_000.0).round() as i64),
            kev,
            priority10: (priority * 10.0).round() as i64,
        });
        for affected in &a.affected {
            let entry = packages
                .entry((affected.ecosystem, affected.display_name.clone()))
                .or_default();
            if entry.0.last() != Some(&index) {
                entry.0.push(index);
            }
            let versions = affected
                .ranges
                .iter()
                .flat_map(|r| r.events().map(|(_, v)| v))
                .chain(affected.versions.iter().map(String::as_str));
            for v in versions.filter(|v| *v != "0") {
                entry.1.push(if affected.ecosystem == Ecosystem::Go {
                    format!("v{v}")
                } else {
                    v.to_owned()
                });
            }
        }
    }
    let mut by_ecosystem: BTreeMap<Ecosystem, Vec<u32>> = BTreeMap::new();
    let mut list = Vec::new();
    for ((ecosystem, name), (advisories, mut versions)) in packages {
        versions.sort();
        versions.dedup();
        let Some(purl) = purl_of(ecosystem, &name) else {
            continue;
        };
        if versions.is_empty() {
            continue;
        }
        let text = medsec_vulndb::report::purl_text(&purl);
        let Ok(parsed) = medsec_sbom::Purl::parse(&text) else {
            continue;
        };
        by_ecosystem
            .entry(ecosystem)
            .or_default()
            .extend(&advisories);
        list.push(Package {
            ecosystem,
            identity: parsed.identity(),
            purl,
            versions,
            advisories,
        });
    }
    for v in by_ecosystem.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    Catalog {
        vulns,
        packages: list,
        by_ecosystem,
        real_kev,
    }
}

// --- Components and findings ---------------------------------------------

/// A component: a package at one of its versions.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pick {
    package: u32,
    version: u32,
}

impl Catalog {
    fn purl_text(&self, pick: Pick) -> String {
        let p = &self.packages[pick.package as usize];
        let mut purl = p.purl.clone();
        purl.version = Some(p.versions[pick.version as usize].clone());
        medsec_vulndb::report::purl_text(&purl)
    }

    fn row(&self, idx: usize, pick: Pick) -> ComponentRow {
        let p = &self.packages[pick.package as usize];
        ComponentRow {
            idx: idx as i64,
            name: p.purl.name.clone(),
            version: Some(p.versions[pick.version as usize].clone()),
            purl: Some(self.purl_text(pick)),
            identity: p.identity.clone(),
            cpes: "[]".to_owned(),
            supplier: None,
            end_of_support: None,
            local: false,
        }
    }

    /// The vulnerabilities of a component, a function of its purl (see
    /// the module docs).
    fn vulns_of(&self, purl: &str, ecosystem: Ecosystem, own: &[u32], mean: f64) -> Vec<u32> {
        let mut rng = Rng(hash(3, purl));
        if rng.unit() < 0.35 || mean == 0.0 {
            return Vec::new();
        }
        // 1 + a geometric number with mean m, so that the mean over all
        // components is `mean`.
        let m = (mean / 0.65 - 1.0).max(0.0);
        let q = m / (m + 1.0);
        let extra = if q > 0.0 {
            (rng.unit().max(f64::MIN_POSITIVE).ln() / q.ln()).floor()
        } else {
            0.0
        };
        let k = (1.0 + extra).min(500.0) as usize;
        let mut out: Vec<u32> = Vec::with_capacity(k);
        let start = if own.is_empty() {
            0
        } else {
            rng.below(own.len())
        };
        for i in 0..own.len().min(k) {
            out.push(own[(start + i) % own.len()]);
        }
        let pool = &self.by_ecosystem[&ecosystem];
        let wanted = k.min(pool.len());
        while out.len() < wanted {
            let v = pool[rng.below(pool.len())];
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The findings a match of these components stores. `delta` > 0 is a
    /// feed update: about 1 % of the vulnerabilities get new EPSS and
    /// priority values, one component in 200 a new vulnerability and one
    /// in 200 loses one.
    fn findings(&self, components: &[ComponentRow], mean: f64, delta: u64) -> Vec<NewFinding> {
        let by_identity: HashMap<&str, &Package> = self
            .packages
            .iter()
            .map(|p| (p.identity.as_str(), p))
            .collect();
        let mut out = Vec::new();
        for c in components {
            let (Some(purl), Some(p)) = (&c.purl, by_identity.get(c.identity.as_str())) else {
                continue;
            };
            let mut vulns = self.vulns_of(purl, p.ecosystem, &p.advisories, mean);
            if delta > 0 {
                let h = hash(delta, purl) % 200;
                if h == 0 {
                    let pool = &self.by_ecosystem[&p.ecosystem];
                    let v = pool[(hash(delta + 1, purl) % pool.len() as u64) as usize];
                    if !vulns.contains(&v) {
                        vulns.push(v);
                    }
                } else if h == 1 {
                    vulns.pop();
                }
            }
            for v in vulns {
                let v = &self.vulns[v as usize];
                let mut f = NewFinding {
                    component: c.idx,
                    vuln_id: v.id.clone(),
                    level: v.level,
                    cvss10: v.cvss10,
                    epss100k: v.epss100k,
                    kev: v.kev,
                    priority10: v.priority10,
                    aliases: v.aliases.clone(),
                };
                if delta > 0 && hash(delta, &v.id).is_multiple_of(100) {
                    f.epss100k = Some(f.epss100k.unwrap_or(0) + 50);
                    f.priority10 += 1;
                }
                out.push(f);
            }
        }
        out
    }
}

// --- The portfolio --------------------------------------------------------

/// Products and their releases, generated round by round.
struct Portfolio<'a> {
    catalog: &'a Catalog,
    products: Vec<Vec<Pick>>,
    rng: Rng,
}

/// One release to store.
struct PlannedRelease {
    product: usize,
    round: usize,
    components: Vec<Pick>,
}

impl<'a> Portfolio<'a> {
    fn new(catalog: &'a Catalog, products: usize, components: usize) -> Portfolio<'a> {
        let n = catalog.packages.len();
        assert!(
            components + components / 10 <= n,
            "--components {components} needs more than the {n} packages of the advisories"
        );
        let mut rng = Rng(5);
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let core = components / 10;
        let (platform, rest) = order.split_at(core);
        let mut list = Vec::with_capacity(products);
        for _ in 0..products {
            let mut rest = rest.to_vec();
            let mut picks: Vec<Pick> = Vec::with_capacity(components);
            for &package in platform {
                picks.push(Self::at_random_version(catalog, package, &mut rng));
            }
            for i in 0..components - core {
                let j = i + rng.below(rest.len() - i);
                rest.swap(i, j);
                picks.push(Self::at_random_version(catalog, rest[i], &mut rng));
            }
            list.push(picks);
        }
        Portfolio {
            catalog,
            products: list,
            rng,
        }
    }

    fn at_random_version(catalog: &Catalog, package: u32, rng: &mut Rng) -> Pick {
        let versions = catalog.packages[package as usize].versions.len();
        Pick {
            package,
            version: rng.below(versions) as u32,
        }
    }

    /// The next release of `product`: about 5 % of its components change.
    fn advance(&mut self, product: usize) {
        let n = self.catalog.packages.len();
        let mut present: HashSet<u32> = self.products[product].iter().map(|p| p.package).collect();
        for i in 0..self.products[product].len() {
            if self.rng.unit() >= 0.05 {
                continue;
            }
            let pick = self.products[product][i];
            let versions = self.catalog.packages[pick.package as usize].versions.len();
            if self.rng.unit() < 0.8 && versions > 1 {
                let mut version = self.rng.below(versions - 1) as u32;
                if version >= pick.version {
                    version += 1;
                }
                self.products[product][i].version = version;
            } else {
                let package = loop {
                    let p = self.rng.below(n) as u32;
                    if !present.contains(&p) {
                        break p;
                    }
                };
                present.remove(&pick.package);
                present.insert(package);
                self.products[product][i] =
                    Self::at_random_version(self.catalog, package, &mut self.rng);
            }
        }
    }

    /// Every release, in the order they are created.
    fn releases(mut self, total: usize, mut each: impl FnMut(PlannedRelease)) {
        let products = self.products.len();
        let mut done = 0;
        'rounds: for round in 0..RELEASES_PER_PRODUCT {
            for product in 0..products {
                if done == total {
                    break 'rounds;
                }
                if round > 0 {
                    self.advance(product);
                }
                each(PlannedRelease {
                    product,
                    round,
                    components: self.products[product].clone(),
                });
                done += 1;
            }
        }
    }
}

// --- Measuring ------------------------------------------------------------

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A `kB` field of `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak RSS (`VmHWM`) to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Drops the operating system's cached pages of one file, so that the
/// next read comes from disk.
fn drop_cache(path: &Path) -> bool {
    path.exists()
        && std::process::Command::new("dd")
            .arg(format!("if={}", path.display()))
            .args(["iflag=nocache", "count=0", "status=none"])
            .status()
            .is_ok_and(|s| s.success())
}

fn entry(action: Action, org: Option<&str>, at: Timestamp) -> AuditEntry {
    AuditEntry {
        at,
        org_id: org.map(str::to_owned),
        actor_id: None,
        actor: "portfolio-bench".into(),
        source: "127.0.0.1".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "bench",
        target_id: None,
        details: serde_json::json!({}),
    }
}

/// One query: its first run, and the median of `runs` more.
async fn measure<T>(what: &str, runs: usize, f: impl AsyncFn() -> T) -> (Duration, Duration, T) {
    eprintln!("portfolio-bench: {what}");
    let t = Instant::now();
    let out = f().await;
    let cold = t.elapsed();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    (cold, times[times.len() / 2], out)
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            std::fs::metadata(PathBuf::from(p)).ok()
        })
        .map(|m| m.len())
        .sum()
}

#[derive(Default)]
struct Build {
    releases: usize,
    components: u64,
    findings: u64,
    create: Duration,
    store_match: Duration,
    apply_vex: Duration,
}

async fn build(
    store: &Store,
    org: &str,
    catalog: &Catalog,
    portfolio: Portfolio<'_>,
    args: &Args,
) -> Build {
    let mut planned = Vec::new();
    portfolio.releases(args.releases, |r| planned.push(r));
    let products = planned.iter().map(|r| r.product).max().map_or(0, |p| p + 1);
    let mut product_ids = Vec::with_capacity(products);
    for p in 0..products {
        let at = Timestamp(START);
        let row = store
            .create_product(
                org,
                &format!("device-{p:03}"),
                at,
                entry(Action::ProductCreated, Some(org), at),
            )
            .await
            .expect("create product");
        product_ids.push(row.id);
    }
    let mut b = Build::default();
    let started = Instant::now();
    for (i, r) in planned.into_iter().enumerate() {
        let at = Timestamp(START + i as i64 * 6 * HOUR);
        let components: Vec<ComponentRow> = r
            .components
            .iter()
            .enumerate()
            .map(|(idx, &pick)| catalog.row(idx, pick))
            .collect();
        let findings = catalog.findings(&components, args.findings, 0);
        let new = NewRelease {
            product_id: product_ids[r.product].clone(),
            version: format!("1.{}.0", r.round),
            released_on: Some(at.rfc3339().chars().take(10).collect()),
            support_until: None,
            sbom: None,
            components,
        };
        let t = Instant::now();
        let release = store
            .create_release(org, &new, at, entry(Action::ReleaseCreated, Some(org), at))
            .await
            .expect("create release");
        b.create += t.elapsed();
        let t = Instant::now();
        store
            .store_match(org, &release.id, &findings, at)
            .await
            .expect("store match");
        b.store_match += t.elapsed();
        let t = Instant::now();
        store.apply_vex(org, &release.id).await.expect("apply vex");
        b.apply_vex += t.elapsed();
        b.releases += 1;
        b.components += new.components.len() as u64;
        b.findings += findings.len() as u64;
        if b.releases.is_multiple_of(25) || b.releases == args.releases {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "portfolio-bench: {}/{} releases, {} findings, {:.0} findings/s, {:.0} s",
                b.releases,
                args.releases,
                thousands(b.findings),
                b.findings as f64 / b.store_match.as_secs_f64(),
                secs
            );
        }
    }
    b
}

/// The identities used in the most and in the fewest releases.
fn common_and_rare(
    catalog: &Catalog,
    portfolio: Portfolio<'_>,
    releases: usize,
) -> (String, String) {
    let mut count: HashMap<u32, usize> = HashMap::new();
    portfolio.releases(releases, |r| {
        for p in r.components {
            *count.entry(p.package).or_default() += 1;
        }
    });
    let mut list: Vec<(usize, &str)> = count
        .iter()
        .map(|(p, n)| (*n, catalog.packages[*p as usize].identity.as_str()))
        .collect();
    list.sort();
    (list[list.len() - 1].1.to_owned(), list[0].1.to_owned())
}

fn main() {
    let args = args();
    let dir = data_dir();
    if !dir.join("advisories").is_dir() {
        eprintln!(
            "portfolio-bench: no feeds at {} (set MEDSEC_DATA)",
            dir.display()
        );
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(args, dir));
}

async fn run(args: Args, dir: PathBuf) {
    let t = Instant::now();
    let catalog = catalog(&dir);
    let catalog_time = t.elapsed();
    let products = args.releases.div_ceil(RELEASES_PER_PRODUCT);
    let kev = catalog.vulns.iter().filter(|v| v.kev).count();
    eprintln!(
        "portfolio-bench: {} advisories ({} KEV, {} of them in the CISA catalogue), {} packages, read in {} ms",
        catalog.vulns.len(),
        kev,
        catalog.real_kev,
        catalog.packages.len(),
        ms(catalog_time)
    );

    let postgres = std::env::var("MEDSEC_BENCH_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty());
    let temp = std::env::temp_dir().join(format!("medsec-portfolio-{}", std::process::id()));
    let path = match (&postgres, &args.db) {
        (Some(_), _) => None,
        (None, Some(p)) => Some(p.clone()),
        (None, None) => {
            std::fs::create_dir_all(&temp).expect("create a temporary directory");
            Some(temp.join("medsec.db"))
        }
    };
    let location = postgres
        .clone()
        .unwrap_or_else(|| path.as_ref().unwrap().display().to_string());
    let options = OpenOptions::default();
    let store = Store::open(&location, &options)
        .await
        .expect("open the store");

    let existing = store
        .list_orgs()
        .await
        .expect("list organisations")
        .into_iter()
        .find(|o| o.name == ORG);
    let (org, built) = match existing {
        Some(o) => {
            eprintln!("portfolio-bench: reusing the portfolio in {location}");
            (o.id, None)
        }
        None => {
            let at = Timestamp(START);
            let (o, _) = store
                .create_org(
                    ORG,
                    OrgKind::Manufacturer,
                    at,
                    entry(Action::OrgCreated, None, at),
                    None,
                )
                .await
                .expect("create organisation");
            let portfolio = Portfolio::new(&catalog, products, args.components);
            let t = Instant::now();
            let b = build(&store, &o.id, &catalog, portfolio, &args).await;
            (o.id, Some((b, t.elapsed())))
        }
    };
    let release_ids: Vec<String> = {
        // In creation order, as they were built.
        let mut list = store.list_releases(&org).await.expect("list releases");
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        list.into_iter().map(|r| r.id).collect()
    };
    // When reusing a database, the releases it holds (with the same
    // `--components`).
    let products = release_ids.len().div_ceil(RELEASES_PER_PRODUCT);
    let build_peak = status_mib("VmHWM:");
    let (common, rare) = common_and_rare(
        &catalog,
        Portfolio::new(&catalog, products, args.components),
        release_ids.len(),
    );

    // Queries, on a freshly opened store with the file's cache dropped.
    store.close().await;
    drop(store);
    let mut dropped = false;
    if let Some(p) = &path {
        dropped = drop_cache(p);
        let mut wal = p.as_os_str().to_owned();
        wal.push("-wal");
        drop_cache(Path::new(&wal));
    }
    reset_peak();
    let store = Store::open(&location, &options)
        .await
        .expect("reopen the store");
    let now = Timestamp(START + (release_ids.len() as i64 + 40) * 6 * HOUR);
    let org = org.as_str();
    let runs = args.runs;
    let mut rows: Vec<(String, Duration, Duration, &str)> = Vec::new();
    let orders = [
        ("priority", FindingOrder::Priority),
        ("severity", FindingOrder::Severity),
        ("EPSS", FindingOrder::Epss),
        ("KEV", FindingOrder::Kev),
        ("newest", FindingOrder::Newest),
    ];
    for (name, order) in orders {
        let (cold, median, page) = measure(name, runs, async || {
            store
                .open_findings(org, order, 50, 0, now)
                .await
                .expect("open findings")
        })
        .await;
        assert_eq!(page.len(), 50, "a full first page");
        rows.push((
            format!("first page of open findings (50), by {name}"),
            cold,
            median,
            "< 200",
        ));
    }
    let (cold, median, _) = measure("deep page", runs, async || {
        store
            .open_findings(org, FindingOrder::Priority, 50, 10_000, now)
            .await
            .expect("deep page")
    })
    .await;
    rows.push((
        "page at offset 10,000 (50), by priority".into(),
        cold,
        median,
        "–",
    ));
    let (cold, median, used) = measure(&common, runs, async || {
        store.where_used(org, &common).await.expect("where used")
    })
    .await;
    rows.push((
        format!("where used: `{common}` (common, {} releases)", used.len()),
        cold,
        median,
        "< 1000",
    ));
    let (cold, median, used) = measure(&rare, runs, async || {
        store.where_used(org, &rare).await.expect("where used")
    })
    .await;
    rows.push((
        format!("where used: `{rare}` (rare, {} releases)", used.len()),
        cold,
        median,
        "< 1000",
    ));
    let (cold, median, counts) = measure("release_counts", runs, async || {
        store
            .release_counts(org, now)
            .await
            .expect("release counts")
    })
    .await;
    rows.push((
        format!(
            "dashboard counts by release and level (`release_counts`, {} releases)",
            counts.len()
        ),
        cold,
        median,
        "< 2000",
    ));
    let (cold, median, trend) = measure("record_trend", runs, async || {
        store.record_trend(org, now).await.expect("record trend")
    })
    .await;
    rows.push(("daily trend (`record_trend`)".into(), cold, median, "–"));
    let query_peak = status_mib("VmHWM:");

    // What a re-match writes, release by release.
    let mut rematch_rows = Vec::new();
    for (k, &n) in args.rematch.iter().enumerate() {
        let n = n.min(release_ids.len());
        let at = Timestamp(now.0 + (k as i64 + 1) * HOUR);
        let (mut read, mut write, mut vex) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let (mut upserts, mut new, mut fixed) = (0u64, 0u64, 0u64);
        let started = Instant::now();
        for id in &release_ids[..n] {
            let t = Instant::now();
            let components = store
                .release_components(org, id)
                .await
                .expect("read components");
            let findings = catalog.findings(&components, args.findings, k as u64 + 1);
            read += t.elapsed();
            let t = Instant::now();
            let change = store
                .store_match(org, id, &findings, at)
                .await
                .expect("store match");
            write += t.elapsed();
            let t = Instant::now();
            store.apply_vex(org, id).await.expect("apply vex");
            vex += t.elapsed();
            upserts += findings.len() as u64;
            new += change.new.len() as u64;
            fixed += change.fixed;
        }
        let total = started.elapsed();
        eprintln!(
            "portfolio-bench: re-matched {n} releases in {} ms",
            ms(total)
        );
        rematch_rows.push((n, upserts, new, fixed, read, write, vex, total));
    }
    let peak = status_mib("VmHWM:").max(build_peak);

    // Report.
    let total_findings: i64 = counts.values().map(|c| c.total()).sum();
    println!("## Portfolio (portfolio-bench)");
    println!();
    println!(
        "Backend: {}. Portfolio: {} releases of {} products × {} components, {} open findings ({} critical, {} KEV), from {} real OSV advisories ({} KEV: {} from the CISA catalogue, the rest seeded) and {} of their packages.",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        release_ids.len(),
        products,
        args.components,
        thousands(total_findings as u64),
        thousands(trend.critical as u64),
        thousands(trend.kev as u64),
        thousands(catalog.vulns.len() as u64),
        kev,
        catalog.real_kev,
        catalog.packages.len(),
    );
    println!();
    if let Some((b, elapsed)) = &built {
        println!("| building the portfolio | time (s) | rate |");
        println!("|---|---:|---:|");
        println!(
            "| `create_release`: {} releases, {} components | {:.1} | {:.0} components/s |",
            b.releases,
            thousands(b.components),
            b.create.as_secs_f64(),
            b.components as f64 / b.create.as_secs_f64()
        );
        println!(
            "| `store_match`: {} findings | {:.1} | {:.0} findings/s |",
            thousands(b.findings),
            b.store_match.as_secs_f64(),
            b.findings as f64 / b.store_match.as_secs_f64()
        );
        println!(
            "| `apply_vex` (no statements: reads the release back) | {:.1} | {:.0} findings/s |",
            b.apply_vex.as_secs_f64(),
            b.findings as f64 / b.apply_vex.as_secs_f64()
        );
        println!(
            "| all, with generating the data | {:.1} | {:.0} findings/s |",
            elapsed.as_secs_f64(),
            b.findings as f64 / elapsed.as_secs_f64()
        );
        println!();
    }
    println!(
        "Queries: first run on a freshly opened store{}, then the median of {runs} runs.",
        if dropped {
            " with the database file dropped from the OS cache"
        } else {
            ""
        }
    );
    println!();
    println!("| query | first (ms) | median (ms) | target (ms) |");
    println!("|---|---:|---:|---|");
    for (name, cold, median, target) in &rows {
        println!("| {name} | {} | {} | {target} |", ms(*cold), ms(*median));
    }
    println!();
    println!(
        "| re-match: `release_components`, `store_match`, `apply_vex` per release | findings matched | new | fixed | read (ms) | `store_match` (ms) | `apply_vex` (ms) | total (ms) | per release (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (n, upserts, new, fixed, read, write, vex, total) in &rematch_rows {
        println!(
            "| {n} releases | {} | {} | {} | {} | {} | {} | {} | {} |",
            thousands(*upserts),
            thousands(*new),
            thousands(*fixed),
            ms(*read),
            ms(*write),
            ms(*vex),
            ms(*total),
            ms(*total / (*n).max(1) as u32)
        );
    }
    println!();
    let size = path.as_deref().map(file_size);
    println!("| resource | value | target |");
    println!("|---|---:|---|");
    println!("| peak RSS of the process (VmHWM), whole run | {peak:.0} MiB | < 1024 MiB |");
    println!("| peak RSS during the queries | {query_peak:.0} MiB | < 1024 MiB |");
    if let Some(size) = size {
        println!(
            "| database file (with WAL) | {:.2} GiB ({} bytes per finding) | – |",
            size as f64 / (1u64 << 30) as f64,
            size / (total_findings.max(1) as u64)
        );
    }
    store.close().await;
    if args.db.is_none() && postgres.is_none() && !args.keep {
        let _ = std::fs::remove_dir_all(&temp);
    } else if let Some(p) = &path {
        eprintln!("portfolio-bench: database kept at {}", p.display());
    }
}
