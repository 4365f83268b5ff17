//! The premarket documents end to end for the ECG gateway of seed 000:
//! profile → threat model → risk register → checklist and test plan → a
//! fuzzing campaign's SARIF file and the release's SBOM findings →
//! traceability with the gaps a first draft has; then the manufacturer
//! fills them in, through the same documents a user edits (TOML), and
//! the gaps close one kind after the other.

use std::collections::BTreeMap;
use std::path::Path;

use medsec_assure::checklist::{self, EvidenceRef, Workspace};
use medsec_assure::evidence::sarif::{self, ImportOptions};
use medsec_assure::evidence::sbom::{Vex, VexStatus};
use medsec_assure::evidence::{
    EvidenceFile, Justification, ProcedureSource, SbomFinding, ScanReport, TestCase, TestKind,
    TestPlan, TestStatus, sha256_hex,
};
use medsec_assure::profile::{Format, Profile};
use medsec_assure::risk::{
    Acceptance, Control, ControlStatus, ExploitabilityLevel, HarmBasis, Register, RiskLevel,
};
use medsec_assure::rules::Override;
use medsec_assure::threat::{Category, Severity, Status, Stride, Text, Threat};
use medsec_assure::trace::{self, GapKind, Inputs, Matrix};
use medsec_assure::{Checklist, ThreatModel};

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap()
}

/// Everything the matrix is computed from, owned.
struct Documents {
    model: ThreatModel,
    register: Register,
    checklist: Checklist,
    plan: TestPlan,
    scans: Vec<ScanReport>,
    sbom: Vec<SbomFinding>,
    justifications: Vec<Justification>,
    evidence: Vec<EvidenceFile>,
}

impl Documents {
    fn matrix(&self) -> Matrix {
        self.register.check(catalogs()).unwrap();
        self.plan.check().unwrap();
        trace::matrix(&Inputs {
            model: &self.model,
            register: &self.register,
            checklist: &self.checklist,
            plan: &self.plan,
            scans: &self.scans,
            sbom: &self.sbom,
            justifications: &self.justifications,
            evidence: &self.evidence,
        })
        .unwrap()
    }

    /// The register and plan written out and read back, as a user who
    /// edits the files would.
    fn through_files(&mut self) {
        let text = self.register.to_toml().unwrap();
        self.register = Register::parse(&text, Format::Toml, catalogs()).unwrap();
        let text = self.plan.to_toml().unwrap();
        self.plan = TestPlan::parse(&text, Format::Toml).unwrap();
    }
}

/// The gaps by kind, with their subjects.
fn gaps(m: &Matrix) -> BTreeMap<GapKind, Vec<String>> {
    let mut out: BTreeMap<GapKind, Vec<String>> = BTreeMap::new();
    for g in &m.gaps {
        assert!(!g.ko.is_empty() && !g.en.is_empty());
        out.entry(g.kind).or_default().push(g.subject.clone());
    }
    out
}

/// A document stored as evidence: its reference and the file.
fn document(n: usize, name: &str) -> (EvidenceRef, EvidenceFile) {
    let bytes = format!("{name} #{n}");
    let sha256 = sha256_hex(bytes.as_bytes());
    (
        EvidenceRef {
            id: format!("ev-{n}"),
            sha256: sha256.clone(),
            filename: name.to_owned(),
        },
        EvidenceFile {
            sha256,
            filename: name.to_owned(),
            size: Some(bytes.len() as u64),
        },
    )
}

fn first_draft() -> Documents {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devices/ecg-gateway.toml");
    let profile = Profile::parse(&std::fs::read_to_string(path).unwrap(), Format::Toml).unwrap();
    let basis = HarmBasis::of(&profile);
    let mut model = ThreatModel::from_profile(&profile, catalogs()).unwrap();
    let mut register = Register::from_threat_model(&model, &basis, catalogs());

    // The manufacturer ships firmware updates from the hospital server,
    // which the profile's 통신목적 does not tick: item 1.12 is made
    // applicable by hand, and a threat to it added to the model after the
    // register was made.
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "mfds-2019:1.12".to_owned(),
        Override {
            applies: true,
            justification: "게이트웨이는 병원 서버에서 펌웨어를 내려받아 업데이트함".into(),
            by: "김보안".into(),
            at: "2025-02-20T09:00:00+09:00".into(),
        },
    );
    let workspace = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    let checklist = checklist::evaluate(
        catalogs(),
        medsec_assure::rules().unwrap(),
        catalogs().get("mfds-2019").unwrap(),
        &profile,
        &overrides,
        &workspace,
    );
    model.threats.push(Threat {
        id: "TM-gateway-S-update".into(),
        subject: "gateway".into(),
        category: Category::Stride(Stride::Tampering),
        title: Text::new("위조 펌웨어 설치", "Installation of forged firmware"),
        description: Text::new(
            "서버를 가장한 공격자가 위조 펌웨어를 게이트웨이에 설치함",
            "An attacker posing as the server installs forged firmware on the gateway",
        ),
        mitigation: Text::default(),
        status: Status::Open,
        severity: Severity::High,
        score: String::new(),
        number: None,
        kisa: vec!["insecure-update".into()],
        requirements: vec!["mfds-2019:1.12".into()],
        controls: Vec::new(),
        crossing: true,
        generated: false,
    });
    model.validate().unwrap();

    let mut plan = TestPlan::derive(catalogs(), &checklist);
    plan.cases.push(TestCase {
        id: "TC-FUZZ-LOGIN".into(),
        kind: TestKind::Vulnerability,
        item: None,
        title: Text::new(
            "로그인 요청 파서 퍼징",
            "Fuzzing of the login request parser",
        ),
        expected_ko: Some("24시간 동안 충돌과 시간 초과가 없어야 한다.".into()),
        expected_en: Some("No crash and no timeout in 24 hours.".into()),
        procedure_ko: vec![
            "libFuzzer와 AddressSanitizer로 로그인 요청 파서를 24시간 퍼징한다.".into(),
        ],
        procedure_en: vec![
            "Fuzz the login request parser for 24 hours with libFuzzer and AddressSanitizer."
                .into(),
        ],
        procedure_source: ProcedureSource::Manual,
        status: TestStatus::NotRun,
        executed_by: None,
        executed_on: None,
        evidence: Vec::new(),
        justification: None,
        note: String::new(),
    });
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif"),
    )
    .unwrap();
    let fuzz = sarif::import(
        &bytes,
        &ImportOptions {
            source: "fuzz-login-parser.sarif".into(),
            test: Some("TC-FUZZ-LOGIN".into()),
        },
    )
    .unwrap();
    // The release's SBOM findings as `medsec sbom scan` finds them.
    let (_, sbom) = super::sarif::sbom_scan();
    register.add_sbom_findings(&sbom, &basis);

    Documents {
        model,
        register,
        checklist,
        plan,
        scans: vec![fuzz],
        sbom,
        justifications: Vec::new(),
        evidence: Vec::new(),
    }
}

const MINIMIST: &str = "R-SBOM-CVE-2021-44906-pkg:npm-minimist@1.2.5";
const LODASH: &str = "R-SBOM-CVE-2019-10744-pkg:npm-lodash@4.17.11";

#[test]
fn ecg_gateway_from_profile_to_a_trace_without_gaps() {
    let mut d = first_draft();
    let m = d.matrix();
    let g = gaps(&m);
    let kinds: Vec<GapKind> = g.keys().copied().collect();
    assert_eq!(
        kinds,
        [
            GapKind::ThreatWithoutControl,
            GapKind::RiskWithoutControl,
            GapKind::ControlNotImplemented,
            GapKind::ControlWithoutTest,
            GapKind::TestNotRun,
            GapKind::RequirementWithoutControl,
            GapKind::UnacceptableResidualRisk,
            GapKind::ResidualRiskNotReviewed,
            GapKind::EvidenceMissing,
            GapKind::AnomalyWithoutJustification,
        ]
    );
    assert_eq!(g[&GapKind::ThreatWithoutControl], ["TM-gateway-S-update"]);
    assert_eq!(g[&GapKind::RiskWithoutControl], [MINIMIST, LODASH]);
    assert_eq!(g[&GapKind::RequirementWithoutControl], ["mfds-2019:1.12"]);
    assert_eq!(g[&GapKind::UnacceptableResidualRisk], [MINIMIST, LODASH]);
    // Every suggested control is still planned.
    assert_eq!(
        g[&GapKind::ControlNotImplemented].len(),
        d.register.controls.len()
    );
    assert_eq!(
        g[&GapKind::ControlWithoutTest],
        [
            "C-interface",
            "C-config",
            "C-secure-dev",
            "C-stored",
            "C-privacy",
            "C-input-validation"
        ]
    );
    // Every applicable item's test and the fuzzing test wait to be run.
    assert_eq!(g[&GapKind::TestNotRun].len(), d.plan.cases.len());
    assert!(g[&GapKind::TestNotRun].contains(&"TC-mfds-2019-1.12".to_owned()));
    // The fuzzing campaign's SARIF file is evidence not yet stored.
    assert_eq!(g[&GapKind::EvidenceMissing], [d.scans[0].sha256.clone()]);
    // Both fuzzer findings and both SBOM vulnerabilities are unresolved.
    let anomalies = &g[&GapKind::AnomalyWithoutJustification];
    assert_eq!(anomalies.len(), 4);
    assert!(anomalies.contains(&"AN-CVE-2021-44906@pkg:npm/minimist@1.2.5".to_owned()));
    // The gateway's spoofing: high × serious, ALARP review.
    assert!(g[&GapKind::ResidualRiskNotReviewed].contains(&"R-TM-gateway-S".to_owned()));
    let gap = m
        .gaps
        .iter()
        .find(|x| x.kind == GapKind::UnacceptableResidualRisk && x.subject == MINIMIST)
        .unwrap();
    assert_eq!(
        gap.en,
        format!(
            "the residual risk of {MINIMIST} (CVE-2021-44906 in pkg:npm/minimist@1.2.5) is unacceptable (exploitability very high, harm serious) and has no acceptance"
        )
    );
    assert!(gap.ko.contains("수용 불가"), "{}", gap.ko);

    // 1. The new threat gets its risk and the KISA 안전한 업데이트 control,
    //    which implements item 1.12.
    let basis = HarmBasis {
        security_level: Some(medsec_assure::profile::SecurityLevel::Medium),
    };
    assert_eq!(
        d.register.add_threats(&d.model, &basis, catalogs()),
        ["R-TM-gateway-S-update"]
    );
    let g = gaps(&d.matrix());
    assert!(!g.contains_key(&GapKind::ThreatWithoutControl));
    assert!(!g.contains_key(&GapKind::RequirementWithoutControl));
    assert!(
        d.register
            .risk("R-TM-gateway-S-update")
            .unwrap()
            .controls
            .contains(&"C-update".to_owned())
    );

    // 2. The SBOM risks get a control: the companion web UI's packages
    //    are upgraded in the next release and the UI is reachable only from
    //    the hospital LAN meanwhile.
    d.register.controls.push(Control {
        id: "C-web-ui-lan-only".into(),
        title: Text::new(
            "웹 UI 병원 내부망 한정",
            "Web UI restricted to the hospital LAN",
        ),
        description: Text::default(),
        catalog_items: vec!["mfds-2019:1.5".into()],
        requirements: vec!["SRS-SEC-031".into()],
        tests: vec!["TC-mfds-2019-1.5".into()],
        status: ControlStatus::Planned,
        suggested: false,
    });
    for id in [MINIMIST, LODASH] {
        let r = d.register.risks.iter_mut().find(|r| r.id == id).unwrap();
        r.controls.push("C-web-ui-lan-only".into());
    }
    d.through_files();
    let g = gaps(&d.matrix());
    assert!(!g.contains_key(&GapKind::RiskWithoutControl));

    // 3. Controls without a test get threat-mitigation tests.
    let without: Vec<String> = g[&GapKind::ControlWithoutTest].clone();
    for c in &without {
        let id = format!("TC-{c}");
        d.plan.cases.push(TestCase {
            id: id.clone(),
            kind: TestKind::ThreatMitigation,
            item: None,
            title: Text::new(format!("{c} 효과 검증"), format!("Effectiveness of {c}")),
            expected_ko: Some("통제가 위협을 막아야 한다.".into()),
            expected_en: Some("The control stops the threat.".into()),
            procedure_ko: vec!["위협 시나리오를 재현하여 통제를 확인한다.".into()],
            procedure_en: vec!["Replay the threat scenario and check the control.".into()],
            procedure_source: ProcedureSource::Manual,
            status: TestStatus::NotRun,
            executed_by: None,
            executed_on: None,
            evidence: Vec::new(),
            justification: None,
            note: String::new(),
        });
        let ctl = d.register.controls.iter_mut().find(|x| &x.id == c).unwrap();
        ctl.tests.push(id);
    }
    let g = gaps(&d.matrix());
    assert!(!g.contains_key(&GapKind::ControlWithoutTest));

    // 4. Every control implemented; every test run and passed with its
    //    report, except 1.3 which fails at first.
    for c in &mut d.register.controls {
        c.status = ControlStatus::Implemented;
    }
    for (n, c) in d.plan.cases.iter_mut().enumerate() {
        let (reference, file) = document(n, &format!("VVT-SW-{:03}.pdf", n + 1));
        c.status = if c.id == "TC-mfds-2019-1.3" {
            TestStatus::Fail
        } else {
            TestStatus::Pass
        };
        c.executed_by = Some("시험팀".into());
        c.executed_on = Some("2025-03-05".into());
        c.evidence.push(reference);
        d.evidence.push(file);
    }
    // The user-auth control is claimed verified although 1.3 failed.
    d.register
        .controls
        .iter_mut()
        .find(|c| c.id == "C-device-auth")
        .unwrap()
        .status = ControlStatus::Verified;
    d.through_files();
    let m = d.matrix();
    let g = gaps(&m);
    assert!(!g.contains_key(&GapKind::ControlNotImplemented));
    assert!(!g.contains_key(&GapKind::TestNotRun));
    assert_eq!(g[&GapKind::TestFailed], ["TC-mfds-2019-1.3"]);
    assert_eq!(
        g[&GapKind::ControlVerifiedWithoutPassingTest],
        ["C-device-auth"]
    );
    // A failed test is an anomaly too; the SARIF file is still missing.
    assert!(g[&GapKind::AnomalyWithoutJustification].contains(&"AN-TC-mfds-2019-1.3".to_owned()));
    assert_eq!(g[&GapKind::EvidenceMissing].len(), 1);
    // A report referenced but not stored is missing too.
    let (orphan, _) = document(999, "VVT-SW-999.pdf");
    d.plan
        .case_mut("TC-mfds-2019-1.1")
        .unwrap()
        .evidence
        .push(orphan.clone());
    assert!(gaps(&d.matrix())[&GapKind::EvidenceMissing].contains(&orphan.sha256));
    d.plan.case_mut("TC-mfds-2019-1.1").unwrap().evidence.pop();

    // 5. The defect behind 1.3 is fixed and the test passes on re-run; the
    //    SARIF file is stored as evidence.
    d.plan.case_mut("TC-mfds-2019-1.3").unwrap().status = TestStatus::Pass;
    d.evidence.push(EvidenceFile {
        sha256: d.scans[0].sha256.clone(),
        filename: "fuzz-login-parser.sarif".into(),
        size: None,
    });
    let g = gaps(&d.matrix());
    for k in [
        GapKind::TestFailed,
        GapKind::ControlVerifiedWithoutPassingTest,
        GapKind::EvidenceMissing,
    ] {
        assert!(!g.contains_key(&k), "{k:?}");
    }

    // 6. Unresolved anomalies: the fuzzer's crash and timeout and the
    //    lodash finding are justified; minimist is fixed in this release
    //    (VEX).
    let fuzz_ids: Vec<String> = d.scans[0].open().map(|f| format!("AN-{}", f.id)).collect();
    for id in fuzz_ids
        .iter()
        .chain(["AN-CVE-2019-10744@pkg:npm/lodash@4.17.11".to_owned()].iter())
    {
        d.justifications.push(Justification {
            anomaly: id.clone(),
            why_acceptable: "인증 전에는 길이 제한(512 B)으로 도달 불가, 다음 릴리스에서 수정"
                .into(),
            compensating_controls: vec!["C-input-validation".into()],
            by: "김보안".into(),
            on: "2025-03-06".into(),
        });
    }
    d.sbom
        .iter_mut()
        .find(|f| f.vulnerability == "CVE-2021-44906")
        .unwrap()
        .vex = Some(Vex {
        status: VexStatus::Fixed,
        justification: None,
        statement: Some("minimist 1.2.6으로 갱신".into()),
    });
    // An incomplete justification does not count.
    d.justifications[0].on = "곧".into();
    let m = d.matrix();
    let g = gaps(&m);
    assert_eq!(
        g[&GapKind::AnomalyWithoutJustification],
        [fuzz_ids[0].clone()]
    );
    assert!(m.gaps.iter().any(|x| {
        x.en.ends_with("is incomplete: on `곧` is not a date (YYYY-MM-DD)")
    }));
    d.justifications[0].on = "2025-03-06".into();
    assert!(!gaps(&d.matrix()).contains_key(&GapKind::AnomalyWithoutJustification));

    // 7. Residual risk: the ALARP risks are reviewed with the controls in
    //    place and accepted; the SBOM risks are re-assessed (LAN only).
    let evaluations = d.register.evaluate().unwrap();
    for e in evaluations.iter().filter(|e| e.needs_acceptance) {
        let r = d
            .register
            .risks
            .iter_mut()
            .find(|r| r.id == e.risk)
            .unwrap();
        if r.id == MINIMIST || r.id == LODASH {
            r.residual.exploitability = Some(ExploitabilityLevel::Low);
            r.residual.rationale = Text::new(
                "웹 UI가 병원 내부망에서만 열리고 인증 뒤에 있음",
                "The web UI is open only on the hospital LAN, behind login",
            );
        }
        r.acceptance = Some(Acceptance {
            by: "이품질 (위험관리 책임자)".into(),
            on: "2025-03-07".into(),
            rationale: "추가 통제는 실행 불가능하며 원격 심전도 모니터링의 이익이 잔여위험보다 큼"
                .into(),
        });
    }
    for c in &mut d.register.controls {
        c.status = ControlStatus::Verified;
    }
    d.through_files();
    let m = d.matrix();
    assert_eq!(m.gaps, [], "{:#?}", m.gaps);
    let e = m.evaluations.iter().find(|e| e.risk == MINIMIST).unwrap();
    assert_eq!(
        (e.before, e.residual),
        (RiskLevel::Unacceptable, RiskLevel::Acceptable)
    );
    assert!(m.anomalies.iter().all(|a| a.justification.is_some()));

    // The chain of the seed's item 1.1: requirement → control → threat →
    // test → evidence, in the table rows.
    let req = m
        .requirements
        .iter()
        .find(|r| r.item == "mfds-2019:1.1")
        .unwrap();
    assert!(req.controls.contains(&"C-user-auth".to_owned()));
    assert!(req.threats.contains(&"TM-gateway-S".to_owned()));
    assert_eq!(req.tests, ["TC-mfds-2019-1.1"]);
    let row = m
        .rows
        .iter()
        .find(|r| {
            r.threat.as_deref() == Some("TM-gateway-S")
                && r.control.as_deref() == Some("C-user-auth")
                && r.test.as_deref() == Some("TC-mfds-2019-1.1")
        })
        .unwrap();
    assert!(row.requirements.contains(&"mfds-2019:1.1".to_owned()));
    assert_eq!(row.test_status, Some(TestStatus::Pass));
    assert_eq!(row.evidence.len(), 1);
    let test = m.tests.iter().find(|t| t.test == "TC-FUZZ-LOGIN").unwrap();
    assert_eq!(test.findings.len(), 2);
    assert!(
        test.evidence
            .iter()
            .any(|e| e.filename == "fuzz-login-parser.sarif" && e.present)
    );
    // The whole matrix is stored as JSON for the package and the pages.
    let json = serde_json::to_string(&m).unwrap();
    let back: Matrix = serde_json::from_str(&json).unwrap();
    assert_eq!(back.rows.len(), m.rows.len());
}
