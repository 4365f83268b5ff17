//! Tests of reading, writing and robustness through the public entry
//! points, on the fixtures in `tests/fixtures` and inline documents.

mod read;
mod robust;
mod write;

use crate::model::Sbom;

pub(crate) const PUMP: &[u8] = include_bytes!("../../tests/fixtures/infusion-pump.cdx.json");
pub(crate) const VENTILATOR: &[u8] = include_bytes!("../../tests/fixtures/ventilator.cdx.xml");
pub(crate) const MONITOR: &[u8] = include_bytes!("../../tests/fixtures/patient-monitor.spdx");
pub(crate) const YOCTO: &[u8] =
    include_bytes!("../../tests/fixtures/yocto-core-image-minimal.spdx.json");

pub(crate) fn read(bytes: &[u8]) -> Sbom {
    crate::read(bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// One line per component: id, kind, name, version, purl, CPEs, parent,
/// supplier, hashes and licences, so a test states what a reader made of
/// a document in one string.
pub(crate) fn summary(sbom: &Sbom) -> String {
    let mut out = String::new();
    for c in &sbom.components {
        let mut line = format!(
            "{} {:?} {}@{}",
            c.id,
            c.kind,
            c.display_name(),
            c.version.as_deref().unwrap_or("-")
        );
        if let Some(p) = &c.purl {
            line.push_str(&format!(" purl={p}"));
        }
        for cpe in &c.cpes {
            line.push_str(&format!(" cpe={cpe}"));
        }
        if let Some(p) = &c.parent {
            line.push_str(&format!(" parent={p}"));
        }
        if let Some(s) = &c.supplier {
            line.push_str(&format!(" supplier={}", s.name));
        }
        for h in &c.hashes {
            line.push_str(&format!(
                " {}={}",
                h.alg,
                h.value.chars().take(8).collect::<String>()
            ));
        }
        for l in &c.licenses {
            line.push_str(&format!(" lic={l}"));
        }
        if let Some(l) = &c.license_concluded {
            line.push_str(&format!(" concluded={l}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The dependency graph, one edge per line.
pub(crate) fn edges(sbom: &Sbom) -> String {
    sbom.dependencies
        .iter()
        .map(|d| {
            let detail = d
                .detail
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            format!("{} {:?} {}{detail}\n", d.from, d.kind, d.to)
        })
        .collect()
}

/// Compares texts line by line, trimming the indentation of `expect`.
#[track_caller]
pub(crate) fn check_text(actual: &str, expect: &str) {
    let expect: String = expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(actual, expect, "\n--- actual ---\n{actual}");
}
