//! `assure-bench`: the premarket performance targets of issue 4, measured
//! in one run on the four fixture devices (crates/medsec-assure/fixtures):
//!
//! - applicability of every MFDS and KISA item plus the checklist merge and
//!   its completeness check, per device (target: under 10 ms);
//! - a full checklist to XLSX and to PDF (target: under 1 s each), and the
//!   XLSX read back.
//!
//! Run `bench/assure` (release build); it prints Markdown for BENCHMARKS.md.
//! Checklists are filled like a finished submission: every item has
//! methods, standards, a document with evidence, criterion, steps and two
//! test records, so the exports carry their full size. PDF runs change a
//! note each time, so Typst's memoisation cannot answer from its cache.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use medsec_assure::checklist::{self, Attachment, EvidenceRef, TestRecord, TestResult, Workspace};
use medsec_assure::profile::{Format, Profile};

const DEVICES: &[&str] = &[
    "ecg-gateway",
    "infusion-pump",
    "imaging-workstation",
    "mobile-samd",
];

struct Stats {
    runs: usize,
    mean: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn measure(runs: usize, mut f: impl FnMut()) -> Stats {
    // One warm-up run: caches, lazy statics, page faults.
    f();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    let total: Duration = times.iter().sum();
    Stats {
        runs,
        mean: total / runs as u32,
        p50: times[runs / 2],
        p99: times[(runs * 99 / 100).min(runs - 1)],
        max: times[runs - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, s: &Stats, target: &str) {
    println!(
        "| {what} | {} | {} | {} | {} | {} | {target} |",
        s.runs,
        ms(s.mean),
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
}

fn profile(name: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-assure/fixtures/devices")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    Profile::parse(&text, Format::Toml).unwrap()
}

/// A workspace filled like a finished submission.
fn filled(catalog: &str, p: &Profile) -> Workspace {
    let catalogs = medsec_catalog::catalogs().unwrap();
    let mut ws = Workspace::prefill(catalogs, catalog, p).unwrap();
    for (n, (id, c)) in ws.items.iter_mut().enumerate() {
        let evidence = EvidenceRef {
            id: format!("00000000-0000-4000-8000-{n:012}"),
            sha256: format!("{n:064x}"),
            filename: format!("VVT-SW-{n:03}.pdf"),
        };
        if c.methods.is_empty() {
            c.methods.push("소프트웨어 검증 및 유효성 확인 자료".into());
        }
        if c.standards.is_empty() {
            c.standards.push(format!("IEC 62443-4-2 ({id})"));
        }
        c.attachments.push(Attachment {
            document: format!("VVT-SW-{n:03}"),
            evidence: Some(evidence.clone()),
        });
        if c.test_criterion.is_none() {
            c.test_criterion = Some(format!("{id} 요구사항을 만족하여야 한다."));
        }
        if c.test_method.is_empty() {
            c.test_method = vec![
                "시험 환경을 구성한다.".into(),
                format!("{id} 시험을 수행하고 결과를 기록한다."),
            ];
        }
        for (day, result) in [
            ("2026-11-20", TestResult::Fail),
            ("2026-11-21", TestResult::Pass),
        ] {
            c.tests.push(TestRecord {
                by: "김시험".into(),
                on: day.into(),
                result,
                note: "재시험 포함".into(),
                evidence: Some(evidence.clone()),
            });
        }
    }
    ws
}

fn main() {
    let catalogs = medsec_catalog::catalogs().unwrap();
    let rules = medsec_assure::rules().unwrap();
    let none = BTreeMap::new();

    println!("### Applicability and completeness, per device (target: under 10 ms)\n");
    println!(
        "Every MFDS 2024, MFDS 2019 and KISA item decided with its reasons, then the 2024 checklist merged with a filled workspace and checked for gaps.\n"
    );
    println!("| device | runs | mean ms | p50 ms | p99 ms | max ms | target |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for name in DEVICES {
        let p = profile(name);
        let ws = filled("mfds-2024", &p);
        let cat = catalogs.get("mfds-2024").unwrap();
        let mut decided = 0;
        let s = measure(2000, || {
            let table = medsec_assure::applicability(catalogs, rules, &p, &none);
            let list = checklist::evaluate(catalogs, rules, cat, &p, &none, &ws);
            let gaps = list.gaps();
            decided = table.catalogs.iter().map(|(_, d)| d.len()).sum::<usize>();
            std::hint::black_box((table, gaps));
        });
        row(&format!("{name} ({decided} items)"), &s, "< 10 ms");
    }

    println!("\n### Exports of a full checklist (target: under 1 s each)\n");
    let t = Instant::now();
    let fonts = medsec_pdf::Fonts::discover().unwrap();
    let font_load = t.elapsed();
    println!(
        "Korean fonts loaded once per process in {} ms ({} files).\n",
        ms(font_load),
        fonts.files().len()
    );
    println!("| export | runs | mean ms | p50 ms | p99 ms | max ms | size | target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for catalog in ["mfds-2019", "mfds-2024"] {
        let p = profile("ecg-gateway");
        let ws = filled(catalog, &p);
        let cat = catalogs.get(catalog).unwrap();
        let list = checklist::evaluate(catalogs, rules, cat, &p, &none, &ws);
        let mut size = 0;
        let s = measure(50, || {
            size = medsec_export::xlsx::write(&list).unwrap().len()
        });
        println!(
            "| XLSX write, {catalog} ({} items) | {} | {} | {} | {} | {} | {} KB | < 1 s |",
            list.rows.len(),
            s.runs,
            ms(s.mean),
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            size / 1024
        );
        let bytes = medsec_export::xlsx::write(&list).unwrap();
        let s = measure(50, || {
            let back = medsec_export::xlsx::read(&bytes).unwrap();
            assert_eq!(back, list);
        });
        println!(
            "| XLSX read back, {catalog} | {} | {} | {} | {} | {} | | |",
            s.runs,
            ms(s.mean),
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
        // Typst memoises layout: a different note on every run keeps it
        // from answering from its cache, as a real edit would.
        let mut n = 0;
        let s = measure(10, || {
            n += 1;
            let mut edited = list.clone();
            edited.rows[0].content.note = Some(format!("수정 {n}"));
            size = medsec_pdf::render(&edited, medsec_pdf::Lang::Ko, &fonts)
                .unwrap()
                .len()
        });
        println!(
            "| PDF, {catalog} ({} items) | {} | {} | {} | {} | {} | {} KB | < 1 s |",
            list.rows.len(),
            s.runs,
            ms(s.mean),
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            size / 1024
        );
        let s = measure(50, || {
            size = medsec_export::html::render(&list, medsec_export::Lang::Ko).len()
        });
        println!(
            "| HTML, {catalog} | {} | {} | {} | {} | {} | {} KB | |",
            s.runs,
            ms(s.mean),
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            size / 1024
        );
    }
}
