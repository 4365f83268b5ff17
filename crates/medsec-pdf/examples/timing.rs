//! How long font loading and rendering the MFDS 2019 and 2024 checklists
//! take: `cargo run --release -p medsec-pdf --example timing [runs]`.
//! With `MEDSEC_PDF_OUT=dir` it also writes each PDF there to look at.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use medsec_assure::profile::Format;
use medsec_assure::{Profile, Workspace, checklist};
use medsec_pdf::{Fonts, Lang, Options, render_with};

const PROFILE: &str = include_str!("../../medsec-assure/fixtures/devices/ecg-gateway.toml");

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let start = Instant::now();
    let fonts = Fonts::discover().expect("a Korean font");
    println!(
        "fonts: {} faces from {:?} in {:?}",
        fonts.len(),
        fonts.files(),
        start.elapsed()
    );

    let catalogs = medsec_catalog::catalogs().expect("catalogues");
    let rules = medsec_assure::rules().expect("rules");
    let profile = Profile::parse(PROFILE, Format::Toml).expect("profile");
    for edition in ["mfds-2019", "mfds-2024"] {
        let ws = Workspace::prefill(catalogs, edition, &profile).expect("workspace");
        let catalog = catalogs.get(edition).expect("catalogue");
        let mut list =
            checklist::evaluate(catalogs, rules, catalog, &profile, &BTreeMap::new(), &ws);
        for lang in [Lang::Ko, Lang::En] {
            let options = Options {
                lang,
                ..Options::default()
            };
            let mut times = Vec::new();
            let mut last = None;
            for run in 0..runs {
                // A different note each run, as a server sees different
                // checklists: an identical one would come from Typst's
                // caches almost for free.
                if let Some(row) = list.rows.first_mut() {
                    row.content.note = Some(format!("run {run}"));
                }
                let t = Instant::now();
                last = Some(render_with(&list, &fonts, &options).expect("render"));
                times.push(t.elapsed());
            }
            let out = last.expect("at least one run");
            if let Some(dir) = std::env::var_os("MEDSEC_PDF_OUT") {
                let path = std::path::Path::new(&dir).join(format!("{edition}-{lang:?}.pdf"));
                std::fs::write(&path, &out.pdf).expect("write the PDF");
            }
            let first = times.first().copied().unwrap_or_default();
            let rest = &times[1.min(times.len())..];
            let mean = if rest.is_empty() {
                Duration::ZERO
            } else {
                rest.iter().sum::<Duration>() / u32::try_from(rest.len()).unwrap_or(1)
            };
            println!(
                "{edition} {lang:?}: {} items, {} pages, {} KiB; first {first:?}, then mean {mean:?} over {} runs",
                list.rows.len(),
                out.pages,
                out.pdf.len() / 1024,
                rest.len(),
            );
        }
    }
}
