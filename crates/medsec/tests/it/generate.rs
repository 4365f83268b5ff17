//! `medsec sbom generate`: the binary on the generator's fixtures
//! (`crates/medsec-sbom/tests/generate`), reproducible with
//! `SOURCE_DATE_EPOCH`, in every output format, and its errors.

use std::path::PathBuf;

use super::{medsec, text};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../medsec-sbom/tests/generate")
}

fn generate(args: &[&str]) -> std::process::Output {
    medsec()
        .args(["sbom", "generate"])
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap()
}

#[test]
fn generates_sboms_from_lock_files_reproducibly() {
    let cargo = fixtures().join("cargo-v3");
    let cargo = cargo.to_str().unwrap();
    let out = generate(&[
        cargo,
        "--product",
        "ECG gateway",
        "--version",
        "3.2.0",
        "--supplier",
        "메드시큐",
        "--purl",
        "pkg:generic/medsec/ecg-gateway@3.2.0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same as the library makes of the same directory.
    let sbom = medsec_sbom::read(&out.stdout).unwrap();
    let library = medsec_sbom::generate::generate_path(
        std::path::Path::new(cargo),
        &medsec_sbom::generate::Options::default(),
    )
    .unwrap();
    let names = |s: &medsec_sbom::Sbom| {
        let mut v: Vec<(String, Option<String>)> = s
            .components
            .iter()
            .filter(|c| c.name != "ECG gateway")
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        v.sort();
        v
    };
    assert!(!library.components.is_empty());
    assert_eq!(names(&sbom), names(&library));
    assert_eq!(sbom.created.as_deref(), Some("2026-01-01T00:00:00Z"));
    assert!(
        text(&out.stderr).contains(&format!("{} components", library.components.len() + 1)),
        "{}",
        text(&out.stderr)
    );
    // The product is the subject, with its supplier and identifier.
    let product = sbom
        .components
        .iter()
        .find(|c| c.name == "ECG gateway")
        .expect("the product is a component");
    assert_eq!(product.version.as_deref(), Some("3.2.0"));
    assert_eq!(
        product.supplier.as_ref().map(|p| p.name.as_str()),
        Some("메드시큐")
    );
    // Reproducible: the same inputs and SOURCE_DATE_EPOCH give the same bytes.
    let again = generate(&[
        cargo,
        "--product",
        "ECG gateway",
        "--version",
        "3.2.0",
        "--supplier",
        "메드시큐",
        "--purl",
        "pkg:generic/medsec/ecg-gateway@3.2.0",
    ]);
    assert_eq!(out.stdout, again.stdout);

    // Every format reads back with the same components; several inputs
    // (a directory tree) at once, into a file.
    let dir = tempfile::tempdir().unwrap();
    for format in ["cyclonedx-json", "cyclonedx-xml", "spdx-json"] {
        let file = dir.path().join(format);
        let out = generate(&[
            fixtures().to_str().unwrap(),
            "--keep-going",
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        let sbom = medsec_sbom::read(&std::fs::read(&file).unwrap()).unwrap();
        let purls: Vec<String> = sbom
            .components
            .iter()
            .filter_map(|c| c.purl.as_ref().map(|p| p.to_string()))
            .collect();
        for ecosystem in ["pkg:cargo/", "pkg:npm/", "pkg:pypi/", "pkg:deb/"] {
            assert!(
                purls.iter().any(|p| p.starts_with(ecosystem)),
                "{format}: no {ecosystem} component"
            );
        }
        // What was left out is said, with where.
        assert!(
            text(&out.stderr).contains("requirements.txt:"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn generate_errors_name_the_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "version = 3\n\n[[package]]\nname = \"a\"\nversion = 1\n",
    )
    .unwrap();
    let out = generate(&[lock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("Cargo.lock:5"), "{err}");
    assert!(out.stdout.is_empty());

    let empty = tempfile::tempdir().unwrap();
    let out = generate(&[empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no lock file"),
        "{}",
        text(&out.stderr)
    );

    let out = medsec()
        .args(["sbom", "generate", lock.to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("SOURCE_DATE_EPOCH"));
}
