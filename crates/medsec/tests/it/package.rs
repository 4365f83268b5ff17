//! `medsec package build|verify` with the real binary: the ECG gateway
//! fixture to both layouts from files, the same bytes for the same
//! inputs and time, `verify` clean on them and failing with status 1,
//! naming the file, on damaged ones; bad input named with its file.

use std::path::{Path, PathBuf};

use crate::{run, text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `medsec package build` for the ECG gateway with every kind of input.
fn build(out: &Path, extra: &[&str]) -> std::process::Output {
    let root = root();
    let profile = root.join("crates/medsec-assure/fixtures/devices/ecg-gateway.toml");
    let sbom = root.join("crates/medsec-sbom/tests/fixtures/infusion-pump.cdx.json");
    let findings = root.join("crates/medsec-package/tests/fixtures/ecg-gateway.findings.json");
    let sarif = format!(
        "{}#TC-mfds-2024-SI-05",
        s(&root
            .join("crates/medsec-assure/tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif"))
    );
    let evidence = out.parent().unwrap().join("VVT-SW-001.txt");
    std::fs::write(&evidence, "침투 시험 보고서\n").unwrap();
    let mut args = vec![
        "package",
        "build",
        "--profile",
        s(&profile),
        "--sbom",
        s(&sbom),
        "--findings",
        s(&findings),
        "--sarif",
        &sarif,
        "--evidence",
        s(&evidence),
        "-o",
        s(out),
    ];
    if !extra.contains(&"--created") {
        args.extend_from_slice(&["--created", "2026-03-02T18:00:00+09:00"]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn package_build_and_verify_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ecg.zip");
    let b = build(&out, &["--layout", "both"]);
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let stdout = text(&b.stdout);
    let mfds = dir.path().join("ecg-mfds.zip");
    let fda = dir.path().join("ecg-fda.zip");
    assert!(
        stdout.contains(&format!("{}  mfds layout, ", s(&mfds))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}  fda-2023 layout, ", s(&fda))),
        "{stdout}"
    );
    assert!(stdout.contains("traceability gaps: "), "{stdout}");
    assert!(!out.exists());

    for zip in [&mfds, &fda] {
        let v = run(&["package", "verify", s(zip)]);
        let t = text(&v.stdout);
        assert_eq!(v.status.code(), Some(0), "{t}{}", text(&v.stderr));
        assert!(t.contains("ok    D2  "), "{t}");
        assert!(
            t.contains("(") && t.contains("created 2026-03-02T09:00:00Z"),
            "{t}"
        );
        assert!(t.trim_end().ends_with("files match the manifest"), "{t}");
    }

    // The same inputs and time give the same bytes; the JSON summary
    // gives the ZIP's SHA-256.
    let again = dir.path().join("again.zip");
    let b = build(&again, &["--json"]);
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    let p = &summary["packages"][0];
    assert_eq!(p["layout"], "mfds");
    let bytes = std::fs::read(&again).unwrap();
    assert_eq!(bytes, std::fs::read(&mfds).unwrap());
    use sha2::Digest as _;
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(p["sha256"], sha);
    assert!(p["gaps"].as_u64().unwrap() > 0);

    // Damage: one byte of the register's compressed data, then a cut.
    let mut bad = bytes.clone();
    let at = find(&bad, b"2-risk-management/risk-register.json").unwrap() + 200;
    bad[at] ^= 0x55;
    let broken = dir.path().join("broken.zip");
    std::fs::write(&broken, &bad).unwrap();
    let v = run(&["package", "verify", s(&broken), "--json"]);
    assert_eq!(v.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(r["clean"], false);
    assert!(!r["problems"].as_array().unwrap().is_empty());
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let v = run(&["package", "verify", s(&broken)]);
    assert_eq!(v.status.code(), Some(1));
    assert!(
        text(&v.stdout).contains("problem  (archive): not a readable ZIP file"),
        "{}",
        text(&v.stdout)
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn package_build_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("register.toml");
    std::fs::write(
        &register,
        "schema = \"medsec-risk-register/1\"\ntitle = \"x\"\n\n[[risk]]\nid = \"R-1\"\ntitle = { ko = \"가\", en = \"a\" }\nvulnerability = { description = { ko = \"가\", en = \"a\" } }\nharm = { severity = \"fatal\" }\n",
    )
    .unwrap();
    let out = dir.path().join("x.zip");
    let b = build(&out, &["--register", s(&register)]);
    assert_eq!(b.status.code(), Some(1));
    let err = text(&b.stderr);
    assert!(
        err.contains(&format!("reading the risk register {}", s(&register))),
        "{err}"
    );
    assert!(
        err.contains("R-1") && err.contains("harm.severity"),
        "{err}"
    );
    assert!(!out.exists());

    let b = build(&out, &["--created", "yesterday"]);
    assert_eq!(b.status.code(), Some(1));
    assert!(text(&b.stderr).contains("--created yesterday: not an RFC 3339 time"));

    let v = run(&["package", "verify", s(&dir.path().join("none.zip"))]);
    assert_eq!(v.status.code(), Some(1));
    assert!(text(&v.stderr).contains("none.zip"), "{}", text(&v.stderr));
}

#[test]
fn package_build_with_plan_support_and_end_of_support() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("crates/medsec-package/tests/fixtures");
    let plan = fixtures.join("tplc-plan.toml");
    let support = fixtures.join("infusion-pump.support.csv");
    let out = dir.path().join("ecg.zip");
    let b = build(
        &out,
        &[
            "--tplc",
            s(&plan),
            "--support",
            s(&support),
            "--end-of-support",
            "2032-12-31",
            "--json",
        ],
    );
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    // The ECG gateway's profile states no update path; everything else
    // is stated by the plan, the support file and the date.
    assert_eq!(
        summary["packages"][0]["document_gaps_by_kind"],
        serde_json::json!({"labelling-not-stated": 1})
    );
    let v = run(&["package", "verify", s(&out)]);
    let t = text(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "{t}");
    for doc in ["D1", "D8", "D9", "D10"] {
        assert!(t.contains(&format!("ok    {doc}  ")), "{doc}: {t}");
    }

    // Without them, the summary names what is unstated.
    let bare = dir.path().join("bare.zip");
    let b = build(&bare, &[]);
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let stdout = text(&b.stdout);
    assert!(
        stdout.contains("unstated in the documents: ")
            && stdout.contains("tplc-not-stated 13")
            && stdout.contains("component-support-unknown 6"),
        "{stdout}"
    );

    // Bad values are named with their flag, file and line.
    let b = build(
        &out,
        &["--tplc", s(&plan), "--end-of-support", "2030-01-01"],
    );
    assert_eq!(b.status.code(), Some(1));
    let err = text(&b.stderr);
    assert!(
        err.contains("2030-01-01") && err.contains("2032-12-31"),
        "{err}"
    );
    let b = build(&out, &["--end-of-support", "2030-13-01"]);
    assert_eq!(b.status.code(), Some(1));
    assert!(text(&b.stderr).contains("--end-of-support: `2030-13-01`"));
    let bad = dir.path().join("support.csv");
    std::fs::write(
        &bad,
        "component,level\npkg:generic/openssl@3.0.13,retired\n",
    )
    .unwrap();
    let b = build(&out, &["--support", s(&bad)]);
    assert_eq!(b.status.code(), Some(1));
    let err = text(&b.stderr);
    assert!(
        err.contains(&format!("{}: line 2, level: `retired`", s(&bad))),
        "{err}"
    );
}
