//! Gaps the end-to-end test (tests/it/premarket.rs) does not reach:
//! results without evidence, cases without steps, dangling references,
//! threats marked not applicable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::checklist::{EvidenceRef, Workspace};
use crate::evidence::sarif::{ImportOptions, import};
use crate::profile::{Format, Profile};
use crate::risk::HarmBasis;

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap()
}

struct Fixture {
    model: ThreatModel,
    register: Register,
    checklist: Checklist,
    plan: TestPlan,
    scans: Vec<ScanReport>,
    justifications: Vec<Justification>,
}

impl Fixture {
    fn new(edition: &str) -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devices/ecg-gateway.toml");
        let profile =
            Profile::parse(&std::fs::read_to_string(path).unwrap(), Format::Toml).unwrap();
        let model = ThreatModel::from_profile(&profile, catalogs()).unwrap();
        let register = Register::from_threat_model(&model, &HarmBasis::of(&profile), catalogs());
        let ws = Workspace::prefill(catalogs(), edition, &profile).unwrap();
        let checklist = crate::checklist::evaluate(
            catalogs(),
            crate::rules().unwrap(),
            catalogs().get(edition).unwrap(),
            &profile,
            &BTreeMap::new(),
            &ws,
        );
        let plan = TestPlan::derive(catalogs(), &checklist);
        Fixture {
            model,
            register,
            checklist,
            plan,
            scans: Vec::new(),
            justifications: Vec::new(),
        }
    }

    fn gaps(&self) -> Vec<Gap> {
        matrix(&Inputs {
            model: &self.model,
            register: &self.register,
            checklist: &self.checklist,
            plan: &self.plan,
            scans: &self.scans,
            sbom: &[],
            justifications: &self.justifications,
            evidence: &[],
        })
        .unwrap()
        .gaps
    }

    fn of(&self, kind: GapKind) -> Vec<(String, String)> {
        self.gaps()
            .into_iter()
            .filter(|g| g.kind == kind)
            .map(|g| (g.subject, g.en))
            .collect()
    }
}

#[test]
fn results_need_evidence_and_cases_need_steps() {
    let mut f = Fixture::new("mfds-2024");
    // The 2024 items the crosswalk gives no 2019 predecessor have no
    // steps yet.
    let without: Vec<String> = f
        .of(GapKind::TestWithoutProcedure)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert!(
        without.contains(&"TC-mfds-2024-SI-05".to_owned()),
        "{without:?}"
    );
    let c = f.plan.case_mut("TC-mfds-2024-IA-01").unwrap();
    c.status = TestStatus::Pass;
    assert_eq!(
        f.of(GapKind::TestWithoutEvidence),
        [(
            "TC-mfds-2024-IA-01".to_owned(),
            "test TC-mfds-2024-IA-01 (User identification and authentication) has no evidence"
                .to_owned()
        )]
    );
    f.plan
        .case_mut("TC-mfds-2024-IA-01")
        .unwrap()
        .evidence
        .push(EvidenceRef {
            id: "e".into(),
            sha256: "ab".repeat(32),
            filename: "report.pdf".into(),
        });
    assert!(f.of(GapKind::TestWithoutEvidence).is_empty());
    // Referenced but not among the files: missing.
    assert_eq!(
        f.of(GapKind::EvidenceMissing),
        [(
            "ab".repeat(32),
            format!(
                "evidence report.pdf (SHA-256 {}) referenced by test TC-mfds-2024-IA-01 is missing",
                "ab".repeat(32)
            )
        )]
    );
}

#[test]
fn dangling_references_are_gaps() {
    let mut f = Fixture::new("mfds-2019");
    f.register.controls[0].tests.push("TC-nope".into());
    f.register.risks[0].threat = Some("TM-gone".into());
    let sarif = br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"results":[{"message":{"text":"x"}}]}]}"#;
    let scan = import(
        sarif,
        &ImportOptions {
            source: "scan.sarif".into(),
            test: Some("TC-missing".into()),
        },
    )
    .unwrap();
    f.justifications.push(Justification {
        anomaly: format!("AN-{}", scan.findings[0].id),
        why_acceptable: "x".into(),
        compensating_controls: vec!["C-nope".into()],
        by: "a".into(),
        on: "2025-01-01".into(),
    });
    f.scans.push(scan);
    let got: Vec<String> = f
        .of(GapKind::DanglingReference)
        .into_iter()
        .map(|(_, en)| en)
        .collect();
    let anomaly = &f.justifications[0].anomaly;
    assert_eq!(
        got,
        [
            "control C-user-auth: test `TC-nope` is not in the test plan".to_owned(),
            "risk R-TM-ecg-S: threat `TM-gone` is not in the threat model".to_owned(),
            "scan scan.sarif: test `TC-missing` is not in the test plan".to_owned(),
            format!(
                "unresolved anomaly {anomaly}: compensating control `C-nope` is not in the risk register"
            ),
        ]
    );
    // The threat whose risk now names another threat has no control.
    assert!(
        f.of(GapKind::ThreatWithoutControl)
            .iter()
            .any(|(s, en)| s == "TM-ecg-S" && en.ends_with("(it is not in the risk register)"))
    );
}

#[test]
fn threats_marked_not_applicable_need_nothing() {
    let mut f = Fixture::new("mfds-2019");
    let id = f.model.threats[0].id.clone();
    f.register
        .risks
        .retain(|r| r.threat.as_deref() != Some(id.as_str()));
    assert!(
        f.of(GapKind::ThreatWithoutControl)
            .iter()
            .any(|(s, _)| *s == id)
    );
    f.model.threats[0].status = Status::NotApplicable;
    assert!(f.of(GapKind::ThreatWithoutControl).is_empty());
    let m = matrix(&Inputs {
        model: &f.model,
        register: &f.register,
        checklist: &f.checklist,
        plan: &f.plan,
        scans: &[],
        sbom: &[],
        justifications: &[],
        evidence: &[],
    })
    .unwrap();
    assert!(m.threats.iter().all(|t| t.threat != id));
    // Every threat row names its risk, control and tests.
    assert!(
        m.rows
            .iter()
            .all(|r| r.risk.is_some() && r.control.is_some())
    );
    assert_eq!(m.threats.len(), f.model.threats().len() - 1);
}
