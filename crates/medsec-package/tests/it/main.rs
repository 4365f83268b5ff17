//! The submission package end to end: both layouts built from the ECG
//! gateway fixtures and checked with reference tools (Python's `zipfile`,
//! `sha256sum -c`, openpyxl, pdftotext, cyclonedx-python-lib, Threat
//! Dragon's schema), reproducible builds, and `verify` naming each kind of
//! damage. The Python checks need `MEDSEC_TEST_PYTHON` (skipped without it
//! unless `MEDSEC_REQUIRE_PYTHON=1`); the PDF checks need `pdftotext`
//! (required with `MEDSEC_REQUIRE_PDFTOTEXT=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::{Cursor, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use medsec_assure::evidence::sarif::{self, ImportOptions};
use medsec_assure::profile::{Format, Profile};
use medsec_package::{
    Evidence, Inputs, Layout, MANIFEST, Package, ProblemKind, SUMS, Scan, Sources, build,
    build_all, prepare, read_document, verify,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fonts() -> &'static medsec_pdf::Fonts {
    static FONTS: OnceLock<medsec_pdf::Fonts> = OnceLock::new();
    FONTS.get_or_init(|| medsec_pdf::Fonts::discover().expect("Korean fonts (fonts-noto-cjk)"))
}

const SARIF: &str = "medsec-sample-fuzz-login-parser.sarif";

fn sources(device: &str) -> Sources {
    let root = root();
    let profile = Profile::parse(
        &std::fs::read_to_string(root.join(format!(
            "crates/medsec-assure/fixtures/devices/{device}.toml"
        )))
        .unwrap(),
        Format::Toml,
    )
    .unwrap();
    let sbom = medsec_sbom::read(
        &std::fs::read(root.join("crates/medsec-sbom/tests/fixtures/infusion-pump.cdx.json"))
            .unwrap(),
    )
    .unwrap();
    let findings = medsec_package::findings::read(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecg-gateway.findings.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let bytes = std::fs::read(
        root.join("crates/medsec-assure/tests/sarif/valid")
            .join(SARIF),
    )
    .unwrap();
    let report = sarif::import(
        &bytes,
        &ImportOptions {
            source: SARIF.into(),
            test: None,
        },
    )
    .unwrap();
    Sources {
        profile,
        checklist: None,
        register: None,
        plan: None,
        scans: vec![Scan {
            name: SARIF.into(),
            bytes,
            report,
        }],
        findings,
        sbom: Some(sbom),
        justifications: Vec::new(),
        evidence: vec![Evidence {
            name: "VVT-SW-001.txt".into(),
            bytes: "게이트웨이 침투 시험 보고서 / gateway penetration test report\n"
                .as_bytes()
                .to_vec(),
        }],
        tplc: None,
        support: Vec::new(),
        end_of_support: None,
        created: time::macros::datetime!(2026-03-02 09:00 UTC),
    }
}

fn inputs(device: &str) -> Inputs {
    prepare(sources(device)).unwrap()
}

/// Both layouts of each fixture, built once for all tests.
fn packages(device: &str) -> &'static [Package] {
    static GW: OnceLock<Vec<Package>> = OnceLock::new();
    static PATCH: OnceLock<Vec<Package>> = OnceLock::new();
    let cell = match device {
        "ecg-gateway" => &GW,
        _ => &PATCH,
    };
    cell.get_or_init(|| {
        build_all(&inputs(device), &[Layout::Mfds, Layout::Fda2023], fonts()).unwrap()
    })
}

fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().into_owned(), b)
        })
        .collect()
}

fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn python(what: &str) -> Option<std::ffi::OsString> {
    let found = std::env::var_os("MEDSEC_TEST_PYTHON");
    if found.is_none() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: {what} (set MEDSEC_TEST_PYTHON)");
    }
    found
}

fn pdftotext(path: &Path) -> Option<String> {
    match Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext {}: {out:?}",
                path.display()
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            assert!(
                std::env::var("MEDSEC_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
                "MEDSEC_REQUIRE_PDFTOTEXT=1 but pdftotext cannot run: {e}"
            );
            eprintln!("skipped: PDF text checks (pdftotext: {e})");
            None
        }
    }
}

fn paths(p: &Package) -> Vec<&str> {
    p.manifest.files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn both_layouts_hold_every_document_and_verify() {
    for device in ["ecg-gateway", "ecg-patch-gateway"] {
        let [mfds, fda] = packages(device) else {
            panic!("two layouts")
        };
        for p in [mfds, fda] {
            let v = verify(&p.zip);
            assert!(
                v.is_clean(),
                "{device} {}: {:#?}",
                p.layout.as_str(),
                v.problems
            );
            assert_eq!(v.files.len(), p.manifest.files.len());
            assert!(v.files.iter().all(|f| f.ok));
            assert_eq!(p.manifest.schema, "medsec-package/1");
            assert_eq!(p.manifest.created, "2026-03-02T09:00:00Z");
            // Nothing hidden: a first draft has gaps, counted by kind.
            assert!(p.manifest.gaps > 0, "{device}");
            assert_eq!(
                p.manifest.gaps_by_kind.values().sum::<usize>(),
                p.manifest.gaps
            );
            // Every file is a document of the unified set with its
            // MFDS, N60 and FDA sections.
            for f in &p.manifest.files {
                assert!(f.document.starts_with('D'), "{f:?}");
                assert!(!f.mfds.is_empty() && !f.n60.is_empty() && !f.fda.is_empty());
                assert_eq!(f.sha256.len(), 64);
            }
        }
        assert_eq!(mfds.manifest.layout, "mfds");
        assert_eq!(fda.manifest.layout, "fda-2023");
        assert_eq!(mfds.manifest.files.len(), fda.manifest.files.len());
        let m = paths(mfds);
        for p in [
            "1-checklist/checklist.xlsx",
            "1-checklist/checklist.pdf",
            "1-checklist/checklist.en.pdf",
            "1-checklist/checklist.json",
            "2-risk-management/risk-management-report.pdf",
            "2-risk-management/risk-register.json",
            "2-risk-management/threat-model-report.pdf",
            "2-risk-management/data-flow-diagram.svg",
            "2-risk-management/threat-model.threat-dragon.json",
            "2-risk-management/sbom.cdx.json",
            "2-risk-management/vulnerability-assessment.json",
            "3-verification-validation/test-summary.pdf",
            "3-verification-validation/test-plan.json",
            "3-verification-validation/unresolved-anomalies.json",
            "3-verification-validation/traceability-matrix.xlsx",
            "3-verification-validation/traceability-matrix.csv",
            "3-verification-validation/traceability.json",
            "3-verification-validation/scans/medsec-sample-fuzz-login-parser.sarif",
            "3-verification-validation/evidence/VVT-SW-001.txt",
            "1-checklist/characteristics.pdf",
            "1-checklist/characteristics.en.pdf",
            "1-checklist/characteristics.json",
            "2-risk-management/component-support.csv",
            "2-risk-management/component-support.json",
            "2-risk-management/interoperability.pdf",
            "2-risk-management/interoperability.en.pdf",
            "4-labelling/labelling.pdf",
            "4-labelling/labelling.en.pdf",
            "5-postmarket/tplc-plan.pdf",
            "5-postmarket/tplc-plan.en.pdf",
            "5-postmarket/tplc-plan.json",
            "5-postmarket/cybersecurity-metrics.json",
        ] {
            assert!(m.contains(&p), "{device} MFDS layout lacks {p}: {m:#?}");
        }
        // D1 and D8–D10 carry their sections in both layouts.
        for (pkg, name, doc, fda_section, n60, mfds_word) in [
            (
                mfds,
                "characteristics.pdf",
                "D1",
                "V.B.2",
                "5.6.1",
                "체크리스트",
            ),
            (
                fda,
                "characteristics.json",
                "D1",
                "V.B.2",
                "5.6.1",
                "체크리스트",
            ),
            (
                mfds,
                "labelling.pdf",
                "D8",
                "VI.A",
                "5.6.5 (5.5)",
                "사용자 매뉴얼",
            ),
            (
                fda,
                "labelling.en.pdf",
                "D8",
                "VI.A",
                "5.6.5 (5.5)",
                "사용자 매뉴얼",
            ),
            (
                mfds,
                "tplc-plan.json",
                "D9",
                "VI.B, V.A.6",
                "5.6.4 (5.4)",
                "생산 후",
            ),
            (
                fda,
                "cybersecurity-metrics.json",
                "D9",
                "VI.B, V.A.6",
                "5.6.4 (5.4)",
                "제17조",
            ),
            (
                mfds,
                "interoperability.pdf",
                "D10",
                "V.A.3",
                "no N60 section",
                "no MFDS document",
            ),
            (
                fda,
                "interoperability.pdf",
                "D10",
                "V.A.3",
                "no N60 section",
                "no MFDS document",
            ),
            (fda, "component-support.csv", "D5", "V.A.4", "5.5.2", "SBOM"),
        ] {
            let f = pkg
                .manifest
                .files
                .iter()
                .find(|f| f.path.ends_with(&format!("/{name}")))
                .unwrap_or_else(|| panic!("{device} {}: no {name}", pkg.layout.as_str()));
            assert_eq!(f.document, doc, "{f:?}");
            assert_eq!(f.fda, fda_section, "{f:?}");
            assert!(f.n60.contains(n60), "{f:?}");
            assert!(f.mfds.contains(mfds_word), "{f:?}");
        }
        let f = paths(fda);
        for p in [
            "V.B.2-architecture-views/characteristics.pdf",
            "VI.A-labeling/labelling.pdf",
            "VI.B-cybersecurity-management-plan/tplc-plan.pdf",
            "V.A.6-cybersecurity-metrics/cybersecurity-metrics.json",
            "V.A.3-interoperability/interoperability.en.pdf",
            "V.A.4-sbom/component-support.json",
        ] {
            assert!(f.contains(&p), "{device} FDA layout lacks {p}: {f:#?}");
        }
        // Without a plan or support file, the missing commitments are
        // listed, counted by kind, the same in both layouts.
        assert_eq!(mfds.manifest.document_gaps, fda.manifest.document_gaps);
        let g = &mfds.manifest.document_gaps_by_kind;
        assert_eq!(g.get("tplc-not-stated"), Some(&13), "{g:?}");
        assert_eq!(g.get("component-support-unknown"), Some(&6), "{g:?}");
        assert_eq!(g.get("end-of-support-not-stated"), Some(&1), "{g:?}");
        assert!(
            g.get("labelling-not-stated").is_some_and(|n| *n >= 6),
            "{g:?}"
        );
        assert_eq!(g.values().sum::<usize>(), mfds.manifest.document_gaps.len());
        assert!(
            mfds.manifest
                .document_gaps
                .iter()
                .any(|g| g.document == "D8"
                    && g.subject == "cvd.contact"
                    && g.ko.contains("연락처")
                    && g.en.contains("contact"))
        );
        // The FDA layout follows the guidance's sections in order.
        let folders: Vec<&str> = {
            let mut f: Vec<&str> = paths(fda)
                .iter()
                .map(|p| p.split('/').next().unwrap())
                .collect();
            f.dedup();
            f
        };
        assert_eq!(
            folders,
            [
                "V.A-security-risk-management-report",
                "V.A.1-threat-model",
                "V.A.2-cybersecurity-risk-assessment",
                "V.A.3-interoperability",
                "V.A.4-sbom",
                "V.A.5-unresolved-anomalies",
                "V.A.6-cybersecurity-metrics",
                "V.B.1-security-requirements",
                "V.B.2-architecture-views",
                "V.C-cybersecurity-testing",
                "V.C-traceability",
                "VI.A-labeling",
                "VI.B-cybersecurity-management-plan",
            ]
        );
        // The FDA layout's checklist cross-references the MFDS item.
        let checklist = fda
            .manifest
            .files
            .iter()
            .find(|f| f.path == "V.B.1-security-requirements/checklist.xlsx")
            .unwrap();
        assert!(checklist.mfds.contains("필수원칙 체크리스트"));
        assert_eq!(checklist.fda, "V.B.1, Appendix 1");
        // The same documents in both: identical digests.
        let digest = |p: &Package, name: &str| {
            p.manifest
                .files
                .iter()
                .find(|f| f.path.ends_with(&format!("/{name}")))
                .map(|f| f.sha256.clone())
                .unwrap()
        };
        for name in [
            "test-summary.pdf",
            "traceability-matrix.xlsx",
            "sbom.cdx.json",
        ] {
            assert_eq!(digest(mfds, name), digest(fda, name), "{name}");
        }
    }
}

#[test]
fn documents_read_back_and_list_the_gaps() {
    let inputs = inputs("ecg-gateway");
    let [mfds, _] = packages("ecg-gateway") else {
        panic!()
    };
    let json = read_document(&mfds.zip, "1-checklist/checklist.json").unwrap();
    let back: medsec_assure::Checklist = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, inputs.checklist);
    let xlsx = read_document(&mfds.zip, "1-checklist/checklist.xlsx").unwrap();
    assert_eq!(medsec_export::xlsx::read(&xlsx).unwrap(), inputs.checklist);
    let reg = read_document(&mfds.zip, "2-risk-management/risk-register.json").unwrap();
    let reg = medsec_assure::Register::parse(
        std::str::from_utf8(&reg).unwrap(),
        Format::Json,
        medsec_catalog::catalogs().unwrap(),
    )
    .unwrap();
    assert_eq!(reg, inputs.register);
    let dragon = read_document(
        &mfds.zip,
        "2-risk-management/threat-model.threat-dragon.json",
    )
    .unwrap();
    let model =
        medsec_assure::threat::dragon::import(std::str::from_utf8(&dragon).unwrap()).unwrap();
    assert_eq!(model.threats.len(), inputs.model.threats.len());
    assert!(read_document(&mfds.zip, "nowhere.pdf").is_err());

    // The traceability documents list every gap the manifest counts.
    let trace: serde_json::Value = serde_json::from_slice(
        &read_document(&mfds.zip, "3-verification-validation/traceability.json").unwrap(),
    )
    .unwrap();
    assert_eq!(trace["schema"], "medsec-traceability/1");
    let gaps = trace["matrix"]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), mfds.manifest.gaps);
    let csv = String::from_utf8(
        read_document(
            &mfds.zip,
            "3-verification-validation/traceability-matrix.csv",
        )
        .unwrap(),
    )
    .unwrap();
    assert!(csv.starts_with("\u{feff}요구사항 / requirements,"));
    assert!(csv.contains("test-not-run"), "{csv}");
    // The SBOM findings are assessed: the open ones have risks, the VEX
    // not_affected one is closed.
    let va: serde_json::Value = serde_json::from_slice(
        &read_document(&mfds.zip, "2-risk-management/vulnerability-assessment.json").unwrap(),
    )
    .unwrap();
    assert_eq!(va["schema"], "medsec-vulnerability-assessment/1");
    assert_eq!(va["open"], 2);
    let minimist = va["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"] == "CVE-2021-44906")
        .unwrap();
    assert_eq!(minimist["risk_before"], "unacceptable");
}

#[test]
fn reference_tools_accept_the_package() {
    let dir = tempfile::tempdir().unwrap();
    for p in packages("ecg-patch-gateway") {
        let layout = p.layout.as_str();
        let zip_path = dir.path().join(format!("{layout}.zip"));
        std::fs::write(&zip_path, &p.zip).unwrap();
        let out = dir.path().join(layout);
        for (name, bytes) in entries(&p.zip) {
            let path = out.join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        // GNU sha256sum checks every file against SHA256SUMS.
        let sums = Command::new("sha256sum")
            .args(["--check", "--strict", SUMS])
            .current_dir(&out)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&sums.stdout);
        assert!(sums.status.success(), "{layout}: {text}");
        assert_eq!(
            text.lines().filter(|l| l.ends_with(": OK")).count(),
            p.manifest.files.len() + 1
        );

        // Korean text in every PDF, as pdftotext extracts it.
        let expect: &[(&str, &[&str])] = &[
            (
                "checklist.pdf",
                &["의료기기 사이버 보안 특성", "사이버보안 필수원칙", "IA-01"],
            ),
            (
                "checklist.en.pdf",
                &["Cybersecurity characteristics", "IA-01"],
            ),
            (
                "risk-management-report.pdf",
                &[
                    "사이버보안 위험관리 보고서",
                    "위험 평가",
                    "SBOM 취약점 평가",
                    "CVE-2021-44906",
                ],
            ),
            (
                "risk-management-report.en.pdf",
                &["Cybersecurity risk management report", "Residual"],
            ),
            (
                "threat-model-report.pdf",
                &[
                    "위협 모델 보고서",
                    "구축하는 모델은 무엇인가?",
                    "충분한 조치를 취했는가?",
                    "TM-",
                ],
            ),
            ("threat-model-report.en.pdf", &["Threat model report"]),
            (
                "test-summary.pdf",
                &["보안 시험 요약", "미해결 이상", "추적성 공백", "TC-"],
            ),
            ("test-summary.en.pdf", &["Security test summary"]),
            (
                "characteristics.pdf",
                &[
                    "사이버보안 특성 명세서",
                    "사용목적",
                    "연결 및 인터페이스",
                    "사용자 및 역할",
                    "업데이트 경로",
                    "Bluetooth",
                ],
            ),
            (
                "characteristics.en.pdf",
                &[
                    "Characteristics sheet",
                    "Intended use",
                    "Connectivity and interfaces",
                    "Users and roles",
                ],
            ),
            (
                "labelling.pdf",
                &[
                    "사용자 보안 문서",
                    "포트 및 인터페이스",
                    "백업 및 복원",
                    "보안 지원 종료",
                    "입력 자료에 기재되지 않음",
                    "기재되지 않은 사항",
                    "cvd.contact",
                    "component-support.csv",
                ],
            ),
            (
                "labelling.en.pdf",
                &[
                    "Customer security documentation",
                    "Ports and interfaces",
                    "Not stated in the inputs (recorded as a gap in MANIFEST.json)",
                    "End of support",
                ],
            ),
            (
                "tplc-plan.pdf",
                &[
                    "TPLC 사이버보안 관리 계획",
                    "ISO/IEC 29147",
                    "패치 기한",
                    "사이버보안 지표",
                    "입력 자료에 기재되지 않음",
                    "patches.critical_days",
                ],
            ),
            (
                "tplc-plan.en.pdf",
                &[
                    "TPLC cybersecurity management plan",
                    "Monitoring sources and frequency",
                    "Cybersecurity metrics",
                    "CISA KEV",
                    "Not stated in the inputs",
                ],
            ),
            (
                "interoperability.pdf",
                &["상호운용성 고려사항", "인터페이스별 연결과 보안", "HL7"],
            ),
            (
                "interoperability.en.pdf",
                &["Interoperability considerations", "Connects to", "DICOM"],
            ),
        ];
        for f in p.manifest.files.iter().filter(|f| f.path.ends_with(".pdf")) {
            let name = f.path.rsplit('/').next().unwrap();
            let (_, words) = expect
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("unexpected PDF {}", f.path));
            let Some(text) = pdftotext(&out.join(&f.path)) else {
                break;
            };
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for w in *words {
                assert!(
                    flat.contains(w),
                    "{}: no {w:?} in\n{}",
                    f.path,
                    flat.chars().take(1500).collect::<String>()
                );
            }
        }

        let Some(py) = python("package checks with zipfile, openpyxl, cyclonedx, Threat Dragon")
        else {
            continue;
        };
        let run = |args: &[&std::ffi::OsStr], stdin: Option<&[u8]>| {
            let mut child = Command::new(&py)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut input = child.stdin.take().unwrap();
            input.write_all(stdin.unwrap_or_default()).unwrap();
            drop(input);
            let out = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.success(), text)
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_package.py");
        let (ok, text) = run(&[script.as_os_str(), zip_path.as_os_str()], None);
        assert!(ok, "{layout}: {text}");
        assert!(
            text.contains(&format!("zip ok {}", p.manifest.files.len() + 2)),
            "{text}"
        );
        assert_eq!(text.matches("\nxlsx ").count(), 2, "{text}");
        assert!(
            text.contains("A1 요구사항 / requirements"),
            "the trace workbook's first cell: {text}"
        );

        let sbom = p
            .manifest
            .files
            .iter()
            .find(|f| f.path.ends_with("sbom.cdx.json"))
            .unwrap();
        let checker = root().join("crates/medsec-sbom/tests/check_cyclonedx.py");
        let (ok, text) = run(
            &[
                checker.as_os_str(),
                "json".as_ref(),
                out.join(&sbom.path).as_os_str(),
            ],
            None,
        );
        assert!(
            ok && text.contains("checked 1") && !text.contains("INVALID"),
            "{text}"
        );

        let dragon = p
            .manifest
            .files
            .iter()
            .find(|f| f.path.ends_with(".threat-dragon.json"))
            .unwrap();
        let model: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(&dragon.path)).unwrap()).unwrap();
        let td = root().join("crates/medsec-assure/tests/threat-dragon");
        let (ok, text) = run(
            &[
                td.join("check_schema.py").as_os_str(),
                td.join("threat-dragon-v2.schema.json").as_os_str(),
            ],
            Some(
                serde_json::json!({ "package": model })
                    .to_string()
                    .as_bytes(),
            ),
        );
        assert!(ok && text.contains("ok package"), "{text}");
    }
}

#[test]
fn builds_are_reproducible() {
    let a = build(&inputs("ecg-gateway"), Layout::Mfds, fonts()).unwrap();
    let [mfds, _] = packages("ecg-gateway") else {
        panic!()
    };
    assert_eq!(a.manifest, mfds.manifest);
    assert!(a.zip == mfds.zip, "two builds of the same inputs differ");
    // Another creation time changes the bytes.
    let mut later = sources("ecg-gateway");
    later.created = time::macros::datetime!(2026-03-03 09:00 UTC);
    let b = build(&prepare(later).unwrap(), Layout::Mfds, fonts()).unwrap();
    assert_ne!(a.zip, b.zip);
    assert_eq!(b.manifest.created, "2026-03-03T09:00:00Z");
}

/// `verify`'s problems as (path, kind).
fn problems(zip: &[u8]) -> Vec<(String, ProblemKind)> {
    verify(zip)
        .problems
        .into_iter()
        .map(|p| {
            assert!(!p.message.is_empty());
            (p.path, p.kind)
        })
        .collect()
}

#[test]
fn verify_names_each_kind_of_damage() {
    let [mfds, _] = packages("ecg-gateway") else {
        panic!()
    };
    let files = entries(&mfds.zip);
    assert!(problems(&rezip(&files)).is_empty());
    const TARGET: &str = "2-risk-management/risk-register.json";

    // One changed byte in one file.
    let mut changed = files.clone();
    let f = changed.iter_mut().find(|(n, _)| n == TARGET).unwrap();
    f.1[10] ^= 1;
    assert_eq!(
        problems(&rezip(&changed)),
        [(TARGET.to_owned(), ProblemKind::DigestMismatch)]
    );

    // A flipped byte inside the compressed data: that entry is unreadable
    // (its CRC or deflate stream), and only that entry.
    let mut raw = mfds.zip.clone();
    let at = {
        let mut a = zip::ZipArchive::new(Cursor::new(&raw)).unwrap();
        let f = a.by_name(TARGET).unwrap();
        usize::try_from(f.data_start().unwrap() + f.compressed_size() / 2).unwrap()
    };
    raw[at] ^= 0x55;
    let p = problems(&raw);
    assert!(!p.is_empty());
    assert!(p.iter().all(|(path, _)| path == TARGET), "{p:?}");

    // A missing file.
    let missing: Vec<_> = files.iter().filter(|(n, _)| n != TARGET).cloned().collect();
    assert_eq!(
        problems(&rezip(&missing)),
        [(TARGET.to_owned(), ProblemKind::Missing)]
    );

    // An extra file.
    let mut extra = files.clone();
    extra.push(("2-risk-management/notes.txt".into(), b"later".to_vec()));
    assert_eq!(
        problems(&rezip(&extra)),
        [(
            "2-risk-management/notes.txt".to_owned(),
            ProblemKind::Unlisted
        )]
    );

    // A tampered manifest: the register's digest replaced by that of the
    // changed file. The file now agrees with the manifest, the checksum
    // list no longer does with either.
    let mut tampered = changed.clone();
    let new_sha =
        medsec_assure::evidence::sha256_hex(&changed.iter().find(|(n, _)| n == TARGET).unwrap().1);
    let m = tampered.iter_mut().find(|(n, _)| n == MANIFEST).unwrap();
    let text = String::from_utf8(m.1.clone()).unwrap();
    let old_sha = &mfds
        .manifest
        .files
        .iter()
        .find(|f| f.path == TARGET)
        .unwrap()
        .sha256;
    m.1 = text.replace(old_sha.as_str(), &new_sha).into_bytes();
    let mut p = problems(&rezip(&tampered));
    p.sort();
    assert_eq!(
        p,
        [
            (TARGET.to_owned(), ProblemKind::SumsMismatch),
            (MANIFEST.to_owned(), ProblemKind::SumsMismatch),
        ]
    );
    // A manifest that is not one.
    let mut broken = files.clone();
    broken.iter_mut().find(|(n, _)| n == MANIFEST).unwrap().1 = b"{\"schema\": 1".to_vec();
    assert!(
        problems(&rezip(&broken)).contains(&(MANIFEST.to_owned(), ProblemKind::ManifestInvalid))
    );
    let no_manifest: Vec<_> = files
        .iter()
        .filter(|(n, _)| n != MANIFEST)
        .cloned()
        .collect();
    assert!(
        problems(&rezip(&no_manifest))
            .contains(&(MANIFEST.to_owned(), ProblemKind::ManifestMissing))
    );

    // A `../` path and an absolute one.
    for evil in ["../evil.sh", "2-risk-management/../../evil.sh", "/etc/evil"] {
        let mut e = files.clone();
        e.push((evil.into(), b"#!/bin/sh".to_vec()));
        assert_eq!(
            problems(&rezip(&e)),
            [(evil.to_owned(), ProblemKind::UnsafePath)],
            "{evil}"
        );
    }

    // A truncated ZIP.
    for cut in [mfds.zip.len() / 2, mfds.zip.len() - 10] {
        assert_eq!(
            problems(&mfds.zip[..cut]),
            [("(archive)".to_owned(), ProblemKind::NotAZip)]
        );
    }
    assert_eq!(
        problems(b"not a zip"),
        [("(archive)".to_owned(), ProblemKind::NotAZip)]
    );

    // Size limits: a file over the per-file limit is named, not read.
    let limits = medsec_package::Limits {
        max_file_bytes: 1000,
        ..medsec_package::Limits::default()
    };
    let v = medsec_package::verify_with(&mfds.zip, &limits);
    assert!(
        v.problems
            .iter()
            .any(|p| p.kind == ProblemKind::TooLarge && p.path == "1-checklist/checklist.pdf")
    );
}

#[test]
fn bad_inputs_name_what_is_wrong() {
    let mut s = sources("ecg-gateway");
    s.evidence.push(Evidence {
        name: "../report.pdf".into(),
        bytes: Vec::new(),
    });
    let err = build(&prepare(s).unwrap(), Layout::Mfds, fonts()).unwrap_err();
    assert!(err.to_string().contains("`../report.pdf`"), "{err}");

    let mut s = sources("ecg-gateway");
    s.created = time::macros::datetime!(1970-01-01 00:00 UTC);
    let err = build(&prepare(s).unwrap(), Layout::Mfds, fonts()).unwrap_err();
    assert!(err.to_string().contains("1970-01-01"), "{err}");

    // The scanner JSON of `medsec sbom scan --format json` reads too, and
    // a finding without its component is named.
    let scan = r#"{"source":"bom.json","components":3,"findings":[
        {"id":"CVE-2021-44906","aliases":["GHSA-xvch-5gv4-984h"],"summary":"Prototype Pollution",
         "cvss":{"vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","score":9.8},
         "kev":null,"component":{"name":"minimist","version":"1.2.5","purl":"pkg:npm/minimist@1.2.5"}},
        {"id":"CVE-2019-10744","summary":"x"}]}"#;
    let err = medsec_package::findings::read(scan).unwrap_err();
    assert_eq!(
        err.to_string(),
        "finding [1]: findings[1].component: missing"
    );
    let ok = scan.replace(
        r#",
        {"id":"CVE-2019-10744","summary":"x"}"#,
        "",
    );
    let f = medsec_package::findings::read(&ok).unwrap();
    assert_eq!(f[0].key(), "CVE-2021-44906@pkg:npm/minimist@1.2.5");
    assert!(!f[0].kev);

    // An edited checklist that changes an applicability without a reason
    // is refused, naming the item.
    let mut s = sources("ecg-gateway");
    let mut list = inputs("ecg-gateway").checklist;
    let row = list.rows.iter_mut().find(|r| r.applies).unwrap();
    row.applies = false;
    let id = row.id.clone();
    s.checklist = Some(list);
    let err = prepare(s).unwrap_err().to_string();
    assert!(err.starts_with(&format!("checklist: {id}: ")), "{err}");
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The patch gateway with the manufacturer's plan and every component's
/// support: nothing is left unstated.
fn complete_sources() -> Sources {
    let mut s = sources("ecg-patch-gateway");
    s.tplc = Some(
        medsec_package::lifecycle::read_tplc("tplc-plan.toml", &fixture("tplc-plan.toml")).unwrap(),
    );
    s.support = medsec_package::lifecycle::read_support(
        "infusion-pump.support.csv",
        &fixture("infusion-pump.support.csv"),
    )
    .unwrap();
    s
}

#[test]
fn plan_and_support_close_the_document_gaps() {
    let inputs = prepare(complete_sources()).unwrap();
    assert_eq!(
        inputs.end_of_support,
        Some(time::macros::date!(2032 - 12 - 31))
    );
    let p = build(&inputs, Layout::Mfds, fonts()).unwrap();
    assert!(verify(&p.zip).is_clean());
    assert!(
        p.manifest.document_gaps.is_empty(),
        "{:#?}",
        p.manifest.document_gaps
    );
    assert!(p.manifest.document_gaps_by_kind.is_empty());
    // The traceability gaps are another matter and stay.
    assert_eq!(
        p.manifest.gaps,
        packages("ecg-patch-gateway")[0].manifest.gaps
    );

    // Without one component's support, that component is the one gap.
    let mut one_less = complete_sources();
    one_less.support.retain(|s| s.component != "pyserial@3.5");
    let q = build(&prepare(one_less).unwrap(), Layout::Mfds, fonts()).unwrap();
    let subjects: Vec<(&str, &str)> = q
        .manifest
        .document_gaps
        .iter()
        .map(|g| (g.kind.as_str(), g.subject.as_str()))
        .collect();
    assert_eq!(
        subjects,
        [("component-support-unknown", "pkg:pypi/pyserial@3.5")]
    );

    // The support goes into the SBOM as namespaced properties and into
    // component-support.csv and .json.
    let sbom: serde_json::Value =
        serde_json::from_slice(&read_document(&p.zip, "2-risk-management/sbom.cdx.json").unwrap())
            .unwrap();
    let openssl = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "openssl")
        .unwrap();
    let props = openssl["properties"].as_array().unwrap();
    assert!(props.contains(&serde_json::json!({"name": "medsec:supportLevel", "value": "active"})));
    assert!(
        props.contains(&serde_json::json!({"name": "medsec:endOfSupport", "value": "2026-09-07"}))
    );
    let csv = String::from_utf8(
        read_document(&p.zip, "2-risk-management/component-support.csv").unwrap(),
    )
    .unwrap();
    assert!(csv.starts_with("\u{feff}구성요소 / component,"), "{csv}");
    assert!(
        csv.contains("pkg:pypi/pyserial@3.5,pyserial,3.5,,limited,,support file,\"community maintained, no fixed end\""),
        "{csv}"
    );
    let support: serde_json::Value = serde_json::from_slice(
        &read_document(&p.zip, "2-risk-management/component-support.json").unwrap(),
    )
    .unwrap();
    assert_eq!(support["schema"], "medsec-component-support/1");
    assert_eq!(support["by_level"]["active"], 4);
    assert_eq!(support["by_level"]["end-of-support"], 1);
    assert_eq!(support["by_level"]["unknown"], 0);

    // The plan and the metrics as JSON.
    let plan: serde_json::Value =
        serde_json::from_slice(&read_document(&p.zip, "5-postmarket/tplc-plan.json").unwrap())
            .unwrap();
    assert_eq!(plan["schema"], "medsec-tplc-plan/1");
    assert_eq!(plan["cvd"]["contact"], "psirt@medsec.example");
    assert_eq!(plan["patches"]["critical_days"], 30);
    assert_eq!(plan["end_of_support"], "2032-12-31");
    assert_eq!(plan["not_stated"], serde_json::json!([]));
    let metrics: serde_json::Value = serde_json::from_slice(
        &read_document(&p.zip, "5-postmarket/cybersecurity-metrics.json").unwrap(),
    )
    .unwrap();
    let findings = &inputs.findings;
    assert_eq!(metrics["findings"], findings.len());
    assert_eq!(
        metrics["open"],
        findings.iter().filter(|f| f.is_open()).count()
    );
    assert_eq!(
        metrics["kev"]["open"],
        findings.iter().filter(|f| f.kev && f.is_open()).count()
    );
    let by_severity: u64 = metrics["by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["open"].as_u64().unwrap())
        .sum();
    assert_eq!(metrics["open"], by_severity);
    // CVE-2021-44906 (9.8, open) is counted as critical.
    assert!(metrics["by_severity"]["critical"]["open"].as_u64().unwrap() >= 1);

    // The documents state the commitments instead of the gap sentence.
    let dir = tempfile::tempdir().unwrap();
    for (name, words) in [
        (
            "5-postmarket/tplc-plan.pdf",
            &["psirt@medsec.example", "30일 이내", "2032-12-31", "NVD"][..],
        ),
        (
            "4-labelling/labelling.en.pdf",
            &["psirt@medsec.example", "2032-12-31", "factory reset"][..],
        ),
    ] {
        let path = dir.path().join(name.replace('/', "_"));
        std::fs::write(&path, read_document(&p.zip, name).unwrap()).unwrap();
        let Some(text) = pdftotext(&path) else {
            break;
        };
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for w in words {
            assert!(flat.contains(w), "{name}: no {w:?} in {flat}");
        }
        assert!(
            !flat.contains("입력 자료에 기재되지 않음")
                && !flat.contains("Not stated in the inputs"),
            "{name}: {flat}"
        );
    }

    // cyclonedx-python-lib accepts the SBOM with its support properties.
    let Some(py) = python("the SBOM with support properties") else {
        return;
    };
    let sbom_path = dir.path().join("sbom.cdx.json");
    std::fs::write(
        &sbom_path,
        read_document(&p.zip, "2-risk-management/sbom.cdx.json").unwrap(),
    )
    .unwrap();
    let out = Command::new(py)
        .arg(root().join("crates/medsec-sbom/tests/check_cyclonedx.py"))
        .arg("json")
        .arg(&sbom_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("checked 1") && !text.contains("INVALID"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_plan_and_support_inputs_are_named() {
    // A support entry that names no component of the SBOM.
    let mut s = complete_sources();
    s.support[0].component = "pkg:generic/zlib@1.3".into();
    let err = prepare(s).unwrap_err().to_string();
    assert!(
        err.starts_with("component support [0] `pkg:generic/zlib@1.3`: no component"),
        "{err}"
    );
    // Support without an SBOM.
    let mut s = complete_sources();
    s.sbom = None;
    let err = prepare(s).unwrap_err().to_string();
    assert!(err.contains("needs the SBOM"), "{err}");
    // Two ends of support that disagree.
    let mut s = complete_sources();
    s.end_of_support = Some(time::macros::date!(2030 - 01 - 01));
    let err = prepare(s).unwrap_err().to_string();
    assert!(
        err.contains("2030-01-01") && err.contains("2032-12-31"),
        "{err}"
    );
    // The same date from both is fine.
    let mut s = complete_sources();
    s.end_of_support = Some(time::macros::date!(2032 - 12 - 31));
    assert!(prepare(s).is_ok());
    // A plan file with a wrong field names it.
    let bad = fixture("tplc-plan.toml").replace("critical_days = 30", "critical_days = \"30d\"");
    let err = medsec_package::lifecycle::read_tplc("tplc-plan.toml", &bad).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tplc-plan.toml: patches.critical_days: "),
        "{err}"
    );
}
