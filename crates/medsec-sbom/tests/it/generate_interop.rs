//! SBOMs generated from every fixture of `tests/generate/` (with and
//! without a product, with development packages) and from this
//! workspace's `Cargo.lock`, written as CycloneDX 1.6 JSON and XML and as
//! SPDX 2.3 JSON, are accepted by the reference tools: cyclonedx-python-lib
//! and spdx-tools (`check_cyclonedx.py`, `check_spdx.py`).
//!
//! Python is found through `MEDSEC_TEST_PYTHON` (a Python with
//! `scripts/test-requirements.txt`); without it the test says it was
//! skipped, unless `MEDSEC_REQUIRE_PYTHON=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use medsec_sbom::generate::{Options, Product, generate_path};
use medsec_sbom::{Party, Purl, Sbom};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("MEDSEC_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            if std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() == Ok("1") {
                panic!("MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set");
            }
            eprintln!("skipped: reference tools on generated SBOMs (set MEDSEC_TEST_PYTHON)");
            None
        }
    }
}

fn spawn(python: &Path, script: &str, args: &[String]) -> Child {
    Command::new(python)
        .arg(manifest_dir().join("tests").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
}

/// The `INVALID` lines of a checker, after making sure it checked `count`
/// files.
fn finish(child: Child, what: &str, count: usize) -> Vec<String> {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("checked {count}\n")),
        "{what}: {stdout}"
    );
    stdout
        .lines()
        .filter(|l| l.starts_with("INVALID"))
        .map(str::to_owned)
        .collect()
}

/// The SBOMs to check: each fixture three ways, and the workspace.
fn sboms() -> Vec<(String, Sbom)> {
    let created = Some("2025-06-01T09:30:00Z".to_owned());
    let plain = Options {
        created: created.clone(),
        ..Options::default()
    };
    let with_product = Options {
        created: created.clone(),
        product: Some(Product {
            name: "Infusion pump".to_owned(),
            version: Some("3.1.0".to_owned()),
            supplier: Some(Party::organization("ACME Medical")),
            purl: Purl::parse("pkg:generic/acme/infusion-pump@3.1.0").ok(),
        }),
        ..Options::default()
    };
    let with_dev = Options {
        created,
        include_dev: true,
        ..Options::default()
    };
    let root = manifest_dir().join("tests/generate");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        for (how, options) in [
            ("", &plain),
            ("-product", &with_product),
            ("-dev", &with_dev),
        ] {
            let sbom = generate_path(&root.join(&name), options).unwrap();
            out.push((format!("{name}{how}"), sbom));
        }
    }
    let workspace = generate_path(&manifest_dir().join("../../Cargo.lock"), &plain).unwrap();
    out.push(("workspace".to_owned(), workspace));
    out
}

#[test]
fn reference_tools_accept_generated_sboms() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (mut json, mut xml, mut spdx) = (Vec::new(), Vec::new(), Vec::new());
    for (name, sbom) in sboms() {
        let write = |ext: &str, text: String| {
            let p = dir.path().join(format!("{name}.{ext}"));
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        };
        // cyclonedx-python-lib's JSON validation takes seconds per hundred
        // components (IRI checks): the large and the development variants
        // are validated as XML, which has the same content.
        if sbom.components.len() <= 100 && !name.ends_with("-dev") {
            json.push(write("cdx.json", medsec_sbom::write_cyclonedx_json(&sbom)));
        }
        xml.push(write("cdx.xml", medsec_sbom::write_cyclonedx_xml(&sbom)));
        spdx.push(write("spdx.json", medsec_sbom::write_spdx_json(&sbom)));
    }
    let checkers = [
        (
            "cyclonedx-python-lib JSON",
            spawn(
                &python,
                "check_cyclonedx.py",
                &[vec!["json".to_owned()], json.clone()].concat(),
            ),
            json.len(),
        ),
        (
            "cyclonedx-python-lib XML",
            spawn(
                &python,
                "check_cyclonedx.py",
                &[vec!["xml".to_owned()], xml.clone()].concat(),
            ),
            xml.len(),
        ),
        (
            "spdx-tools",
            spawn(&python, "check_spdx.py", &spdx),
            spdx.len(),
        ),
    ];
    let t = std::time::Instant::now();
    let mut invalid = Vec::new();
    for (what, child, count) in checkers {
        invalid.extend(finish(child, what, count));
        eprintln!("{what}: {count} documents checked ({:?})", t.elapsed());
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}
