//! `sustain-bench`: the vulnerability-database targets of issue 5,
//! measured in one run on the real feeds of `../shared/data`:
//!
//! - reading every feed file into records, and building the index from
//!   them (what `medsec feeds status` and a server do at start: target
//!   under 2 s for the full data, from the database);
//! - component lookups per second on one core (target: at least
//!   1,000,000): components generated from the advisories' own packages,
//!   half at versions inside an affected range, half outside, matched in
//!   SBOM-sized batches of 1,000;
//! - a 5,000-component SBOM matched end to end (target: under 100 ms):
//!   parsing the CycloneDX JSON, turning components into queries, matching.
//!
//! The components come from a seeded generator (splitmix64, seed 5), so
//! every run measures the same work. Run `bench/sustain`; it prints
//! Markdown for BENCHMARKS.md.
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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use medsec_version::Ecosystem;
use medsec_vulndb::feed::{self, Limits};
use medsec_vulndb::{Advisory, Component, Database, Kind, Purl, Record};

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
}

fn data_dir() -> PathBuf {
    std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn read_all(dir: &Path) -> Vec<Record> {
    let (files, _) = feed::discover(dir).expect("discover feeds");
    let mut records = Vec::new();
    for f in &files {
        feed::read(f, Limits::default(), &mut |r| {
            records.push(r);
            Ok(())
        })
        .expect("read feed");
    }
    records
}

fn build(records: &[Record]) -> Database {
    let mut db = Database::new();
    for r in records {
        db.add_record(r).expect("add record");
    }
    db.build();
    db
}

/// The purl type and namespace/name of an OSV package.
fn purl_of(ecosystem: Ecosystem, name: &str, version: &str) -> Option<Purl> {
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
        version: Some(version.to_owned()),
        qualifiers: Vec::new(),
    })
}

/// Components from the advisories' own packages and range events: each
/// package equally likely (whatever its number of advisories), at one of
/// the versions its ranges name (an `introduced` version is affected, a
/// `fixed` one is not, by that range).
fn components(records: &[Record], n: usize, rng: &mut Rng) -> Vec<Component> {
    let mut packages: BTreeMap<(Ecosystem, String), BTreeSet<String>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.kind == Kind::Osv) {
        for a in Advisory::parse(r).unwrap_or_default() {
            for affected in &a.affected {
                for range in &affected.ranges {
                    for (_, version) in range.events() {
                        if version == "0" {
                            continue;
                        }
                        let v = if affected.ecosystem == Ecosystem::Go {
                            format!("v{version}")
                        } else {
                            version.to_owned()
                        };
                        packages
                            .entry((affected.ecosystem, affected.display_name.clone()))
                            .or_default()
                            .insert(v);
                    }
                }
            }
        }
    }
    let packages: Vec<((Ecosystem, String), Vec<String>)> = packages
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect();
    assert!(!packages.is_empty(), "no packages in the feeds");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let ((ecosystem, name), versions) = &packages[rng.below(packages.len())];
        let version = &versions[rng.below(versions.len())];
        if let Some(purl) = purl_of(*ecosystem, name, version) {
            out.push(Component {
                name: purl.name.clone(),
                version: Some(version.clone()),
                purl: Some(purl),
                ..Component::default()
            });
        }
    }
    out
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = data_dir();
    if !dir.join("advisories").is_dir() {
        eprintln!(
            "sustain-bench: no feeds at {} (set MEDSEC_DATA)",
            dir.display()
        );
        std::process::exit(2);
    }
    let t = Instant::now();
    let records = read_all(&dir);
    let read = t.elapsed();
    // Best of three, as for the other one-shot timings.
    let mut index = Duration::MAX;
    let mut db = Database::new();
    for _ in 0..3 {
        let t = Instant::now();
        db = build(&records);
        index = index.min(t.elapsed());
    }
    let stats = db.stats();
    println!("## Vulnerability database (sustain-bench)");
    println!();
    println!(
        "Feeds: {} records from {} ({} advisories, {} vulnerabilities after alias merging, {} packages, {} CPE configurations, {} KEV).",
        records.len(),
        dir.display(),
        stats.advisories,
        stats.vulnerabilities,
        stats.packages,
        stats.configurations,
        stats.kev
    );
    println!();
    println!("| step | time (ms) | target |");
    println!("|---|---:|---|");
    println!("| read and split every feed file | {} | – |", ms(read));
    println!(
        "| build the index from the records (best of 3) | {} | < 2000 |",
        ms(index)
    );

    let mut rng = Rng(5);
    let queries = components(&records, 1_000_000, &mut rng);
    // Lookups: which advisories affect each component (the index's work).
    let mut parsed = medsec_vulndb::matcher::Parsed::default();
    let mut hits = Vec::new();
    let t = Instant::now();
    let mut affected = 0usize;
    for c in &queries {
        hits.clear();
        db.lookup(c, &mut parsed, &mut hits);
        affected += hits.len();
    }
    let lookups = t.elapsed();
    let per_second = queries.len() as f64 / lookups.as_secs_f64();
    println!(
        "| {} component lookups ({} advisory hits) | {} | – |",
        queries.len(),
        affected,
        ms(lookups)
    );
    // A mix closer to real SBOMs: one component in ten names a package
    // with advisories, the others packages without any.
    let mixed: Vec<Component> = queries
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            if i % 10 != 0
                && let Some(p) = &mut c.purl
            {
                p.name = format!("{}-clean-{i}", p.name);
            }
            c
        })
        .collect();
    let t = Instant::now();
    for c in &mixed {
        hits.clear();
        db.lookup(c, &mut parsed, &mut hits);
    }
    let mixed_time = t.elapsed();
    println!(
        "| {} component lookups, one in ten a package with advisories | {} | – |",
        mixed.len(),
        ms(mixed_time)
    );
    // A 5,000-component CycloneDX SBOM from the same generator, end to
    // end: parse, queries, match with explanations.
    let bom_components: Vec<serde_json::Value> = queries[..5000]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = c.purl.as_ref().unwrap();
            serde_json::json!({
                "type": "library",
                "bom-ref": format!("c{i}"),
                "name": c.name,
                "group": p.namespace,
                "version": c.version,
                "purl": medsec_vulndb::report::purl_text(p),
            })
        })
        .collect();
    let bom = serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": { "timestamp": "2026-01-01T00:00:00Z" },
        "components": bom_components,
    }))
    .unwrap();
    let mut sbom_times = Vec::new();
    let mut sbom_findings = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let sbom = medsec_sbom::read(&bom).unwrap();
        let q: Vec<Component> = sbom.components.iter().map(Component::from_sbom).collect();
        sbom_findings = db.matches_built(&q).len();
        sbom_times.push(t.elapsed());
    }
    sbom_times.sort();
    println!(
        "| a 5,000-component CycloneDX JSON SBOM ({} KiB, {} findings), parse and match, median of 20 | {} | < 100 |",
        bom.len() / 1024,
        sbom_findings,
        ms(sbom_times[10])
    );
    // Findings: the same components matched in SBOM-sized batches, with
    // explanations, alias merging, KEV, EPSS and priority.
    let sample = &queries[..100_000];
    let t = Instant::now();
    let mut findings = 0usize;
    for batch in sample.chunks(1000) {
        findings += db.matches_built(batch).len();
    }
    let explained = t.elapsed();
    println!(
        "| {} components matched with explained findings, batches of 1,000 ({} findings) | {} | – |",
        sample.len(),
        findings,
        ms(explained)
    );
    println!();
    println!(
        "Lookups per second on one core: **{:.0}** when every component names a package that has advisories (the worst case), **{:.0}** when one in ten does (target ≥ 1,000,000); explained matches: {:.0} components per second.",
        per_second,
        mixed.len() as f64 / mixed_time.as_secs_f64(),
        sample.len() as f64 / explained.as_secs_f64()
    );
}
