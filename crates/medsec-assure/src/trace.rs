//! The traceability matrix requirement ↔ threat ↔ control ↔ test ↔
//! evidence (IMDRF N60 5.6.3: risk ↔ control ↔ test; FDA 2023 V.C), computed
//! from the threat model, the risk register, the checklist, the test plan,
//! the imported scans and SBOM findings, and the evidence files that
//! exist, with every gap listed by a machine-readable [`GapKind`] and a
//! Korean and English sentence.
//!
//! How things link: a risk names its threat and its controls; a control
//! names the catalogue items it implements and, optionally, test cases;
//! a test case verifies the control when it is named or when its item is
//! one of the control's items; a scan belongs to the test it was imported
//! for, and its SARIF file is evidence of that test; evidence is matched
//! by SHA-256.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::checklist::Checklist;
use crate::evidence::anomaly::{self, Anomaly, Justification};
use crate::evidence::{EvidenceFile, SbomFinding, ScanReport, TestPlan, TestStatus};
use crate::risk::{ControlStatus, Evaluation, Register, RegisterError, RiskLevel};
use crate::threat::{Status, Text, ThreatModel};

/// Everything the matrix is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub model: &'a ThreatModel,
    pub register: &'a Register,
    /// The checklist of the edition the device is submitted on; its
    /// applicable rows are the requirements.
    pub checklist: &'a Checklist,
    pub plan: &'a TestPlan,
    pub scans: &'a [ScanReport],
    pub sbom: &'a [SbomFinding],
    pub justifications: &'a [Justification],
    /// The evidence files that exist.
    pub evidence: &'a [EvidenceFile],
}

/// What a gap is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    /// A threat of the model without a risk, or whose risk has no control.
    ThreatWithoutControl,
    /// A risk not from the threat model (SBOM, manual) without a control.
    RiskWithoutControl,
    /// A control still planned.
    ControlNotImplemented,
    /// No test case verifies a control.
    ControlWithoutTest,
    /// A control recorded as verified whose tests did not all pass.
    ControlVerifiedWithoutPassingTest,
    TestNotRun,
    TestFailed,
    /// A test with a result but no evidence.
    TestWithoutEvidence,
    /// A test case without steps.
    TestWithoutProcedure,
    /// An applicable checklist item no control implements.
    RequirementWithoutControl,
    /// An unacceptable residual risk without acceptance.
    UnacceptableResidualRisk,
    /// A residual risk in the ALARP region without acceptance.
    ResidualRiskNotReviewed,
    /// An evidence file referenced by SHA-256 that does not exist.
    EvidenceMissing,
    /// An unresolved anomaly without a (complete) justification.
    AnomalyWithoutJustification,
    /// An id that names nothing.
    DanglingReference,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::ThreatWithoutControl => "threat-without-control",
            GapKind::RiskWithoutControl => "risk-without-control",
            GapKind::ControlNotImplemented => "control-not-implemented",
            GapKind::ControlWithoutTest => "control-without-test",
            GapKind::ControlVerifiedWithoutPassingTest => "control-verified-without-passing-test",
            GapKind::TestNotRun => "test-not-run",
            GapKind::TestFailed => "test-failed",
            GapKind::TestWithoutEvidence => "test-without-evidence",
            GapKind::TestWithoutProcedure => "test-without-procedure",
            GapKind::RequirementWithoutControl => "requirement-without-control",
            GapKind::UnacceptableResidualRisk => "unacceptable-residual-risk",
            GapKind::ResidualRiskNotReviewed => "residual-risk-not-reviewed",
            GapKind::EvidenceMissing => "evidence-missing",
            GapKind::AnomalyWithoutJustification => "anomaly-without-justification",
            GapKind::DanglingReference => "dangling-reference",
        }
    }
}

/// Something the documents still lack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gap {
    pub kind: GapKind,
    /// The id of what lacks it (threat, risk, control, test, item,
    /// SHA-256, anomaly).
    pub subject: String,
    pub ko: String,
    pub en: String,
}

/// A test linked to a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestLink {
    pub test: String,
    /// `explicit` (the control names it) or the catalogue item they share.
    pub via: String,
    pub status: TestStatus,
}

/// An evidence file of a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLink {
    pub sha256: String,
    pub filename: String,
    /// The file exists.
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementTrace {
    /// `catalogue:item`.
    pub item: String,
    pub title: Text,
    pub controls: Vec<String>,
    /// Threats whose requirements name the item.
    pub threats: Vec<String>,
    pub tests: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatTrace {
    pub threat: String,
    pub title: Text,
    pub risk: Option<String>,
    pub before: Option<RiskLevel>,
    pub residual: Option<RiskLevel>,
    pub controls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlTrace {
    pub control: String,
    pub title: Text,
    pub status: ControlStatus,
    /// Its catalogue items that are applicable requirements.
    pub requirements: Vec<String>,
    pub risks: Vec<String>,
    pub tests: Vec<TestLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestTrace {
    pub test: String,
    pub title: Text,
    pub item: Option<String>,
    pub status: TestStatus,
    pub evidence: Vec<EvidenceLink>,
    /// The scan findings of the test (all, open or not).
    pub findings: Vec<String>,
    pub controls: Vec<String>,
}

/// One line of the matrix as a table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub requirements: Vec<String>,
    pub threat: Option<String>,
    pub risk: Option<String>,
    pub control: Option<String>,
    pub test: Option<String>,
    pub test_status: Option<TestStatus>,
    /// SHA-256 of the test's evidence.
    pub evidence: Vec<String>,
}

/// The traceability matrix and its gaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub requirements: Vec<RequirementTrace>,
    pub threats: Vec<ThreatTrace>,
    pub controls: Vec<ControlTrace>,
    pub tests: Vec<TestTrace>,
    pub rows: Vec<Row>,
    pub evaluations: Vec<Evaluation>,
    pub anomalies: Vec<Anomaly>,
    pub gaps: Vec<Gap>,
}

impl Matrix {
    /// The gaps of one kind.
    pub fn gaps_of(&self, kind: GapKind) -> impl Iterator<Item = &Gap> {
        self.gaps.iter().filter(move |g| g.kind == kind)
    }
}

fn gap(kind: GapKind, subject: &str, ko: String, en: String) -> Gap {
    Gap {
        kind,
        subject: subject.to_owned(),
        ko,
        en,
    }
}

/// Computes the matrix; fails only when the register's vectors or rubric
/// answers do not assess (see [`Register::check`]).
pub fn matrix(inputs: &Inputs<'_>) -> Result<Matrix, RegisterError> {
    let Inputs {
        model,
        register,
        checklist,
        plan,
        scans,
        sbom,
        justifications,
        evidence,
    } = *inputs;
    let evaluations = register.evaluate()?;
    let present: BTreeSet<String> = evidence
        .iter()
        .map(|e| e.sha256.to_ascii_lowercase())
        .collect();
    let mut gaps = Vec::new();
    let applicable: Vec<(String, Text)> = checklist
        .rows
        .iter()
        .filter(|r| r.applies)
        .map(|r| {
            (
                format!("{}:{}", checklist.catalog, r.id),
                Text::new(r.title_ko.clone(), r.title_en.clone()),
            )
        })
        .collect();
    let is_applicable = |item: &str| applicable.iter().any(|(i, _)| i == item);

    // Tests: their evidence (documents and the SARIF files of their scans)
    // and findings.
    let mut tests = Vec::new();
    for c in &plan.cases {
        let mut links: Vec<EvidenceLink> = c
            .evidence
            .iter()
            .map(|e| EvidenceLink {
                sha256: e.sha256.to_ascii_lowercase(),
                filename: e.filename.clone(),
                present: present.contains(&e.sha256.to_ascii_lowercase()),
            })
            .collect();
        let mut findings = Vec::new();
        for s in scans {
            let whole = s.test.as_deref() == Some(c.id.as_str());
            let some: Vec<&str> = s
                .findings
                .iter()
                .filter(|f| f.test.as_deref() == Some(c.id.as_str()))
                .map(|f| f.id.as_str())
                .collect();
            if (whole || !some.is_empty()) && !links.iter().any(|l| l.sha256 == s.sha256) {
                links.push(EvidenceLink {
                    sha256: s.sha256.clone(),
                    filename: s.source.clone(),
                    present: present.contains(&s.sha256),
                });
            }
            findings.extend(some.into_iter().map(str::to_owned));
        }
        tests.push(TestTrace {
            test: c.id.clone(),
            title: c.title.clone(),
            item: c.item.clone(),
            status: c.status,
            evidence: links,
            findings,
            controls: Vec::new(),
        });
    }

    // Controls and the tests that verify them.
    let mut controls = Vec::new();
    for ctl in &register.controls {
        let mut links: Vec<TestLink> = Vec::new();
        for t in &ctl.tests {
            match plan.case(t) {
                Some(c) => links.push(TestLink {
                    test: c.id.clone(),
                    via: "explicit".to_owned(),
                    status: c.status,
                }),
                None => gaps.push(gap(
                    GapKind::DanglingReference,
                    &ctl.id,
                    format!("위험통제 {}의 시험 `{t}`이 시험 계획에 없음", ctl.id),
                    format!("control {}: test `{t}` is not in the test plan", ctl.id),
                )),
            }
        }
        for c in &plan.cases {
            if let Some(item) = &c.item
                && ctl.catalog_items.contains(item)
                && !links.iter().any(|l| l.test == c.id)
            {
                links.push(TestLink {
                    test: c.id.clone(),
                    via: item.clone(),
                    status: c.status,
                });
            }
        }
        for l in &links {
            if let Some(t) = tests.iter_mut().find(|t| t.test == l.test) {
                t.controls.push(ctl.id.clone());
            }
        }
        controls.push(ControlTrace {
            control: ctl.id.clone(),
            title: ctl.title.clone(),
            status: ctl.status,
            requirements: ctl
                .catalog_items
                .iter()
                .filter(|i| is_applicable(i))
                .cloned()
                .collect(),
            risks: register
                .risks
                .iter()
                .filter(|r| r.controls.contains(&ctl.id))
                .map(|r| r.id.clone())
                .collect(),
            tests: links,
        });
    }

    // Threats.
    let mut threats = Vec::new();
    for t in model.threats() {
        if t.status == Status::NotApplicable {
            continue;
        }
        let risk = register.risk_of_threat(&t.id);
        let eval = risk.and_then(|r| evaluations.iter().find(|e| e.risk == r.id));
        let ctl: Vec<String> = risk.map(|r| r.controls.clone()).unwrap_or_default();
        if ctl.is_empty() {
            let (ko_more, en_more) = if risk.is_none() {
                (" (위험 등록부에 없음)", " (it is not in the risk register)")
            } else {
                ("", "")
            };
            gaps.push(gap(
                GapKind::ThreatWithoutControl,
                &t.id,
                format!(
                    "위협 {} ({})에 위험통제 수단이 없음{ko_more}",
                    t.id, t.title.ko
                ),
                format!("threat {} ({}) has no control{en_more}", t.id, t.title.en),
            ));
        }
        threats.push(ThreatTrace {
            threat: t.id.clone(),
            title: t.title.clone(),
            risk: risk.map(|r| r.id.clone()),
            before: eval.map(|e| e.before),
            residual: eval.map(|e| e.residual),
            controls: ctl,
        });
    }
    for r in &register.risks {
        match &r.threat {
            Some(t) if model.threats().iter().all(|x| &x.id != t) => gaps.push(gap(
                GapKind::DanglingReference,
                &r.id,
                format!("위험 {}의 위협 `{t}`이 위협 모델에 없음", r.id),
                format!("risk {}: threat `{t}` is not in the threat model", r.id),
            )),
            Some(_) => {}
            None if r.controls.is_empty() => gaps.push(gap(
                GapKind::RiskWithoutControl,
                &r.id,
                format!("위험 {} ({})에 위험통제 수단이 없음", r.id, r.title.ko),
                format!("risk {} ({}) has no control", r.id, r.title.en),
            )),
            None => {}
        }
    }

    // Controls' own gaps.
    for c in &controls {
        if c.status == ControlStatus::Planned {
            gaps.push(gap(
                GapKind::ControlNotImplemented,
                &c.control,
                format!(
                    "위험통제 {} ({})가 아직 구현되지 않음(계획)",
                    c.control, c.title.ko
                ),
                format!(
                    "control {} ({}) is not implemented yet (planned)",
                    c.control, c.title.en
                ),
            ));
        }
        if c.tests.is_empty() {
            gaps.push(gap(
                GapKind::ControlWithoutTest,
                &c.control,
                format!(
                    "위험통제 {} ({})를 검증하는 시험이 없음",
                    c.control, c.title.ko
                ),
                format!("no test verifies control {} ({})", c.control, c.title.en),
            ));
        } else if c.status == ControlStatus::Verified {
            let failing: Vec<&str> = c
                .tests
                .iter()
                .filter(|l| l.status != TestStatus::Pass)
                .map(|l| l.test.as_str())
                .collect();
            if !failing.is_empty() {
                let list = failing.join(", ");
                gaps.push(gap(
                    GapKind::ControlVerifiedWithoutPassingTest,
                    &c.control,
                    format!(
                        "위험통제 {}가 검증됨으로 기록되었으나 시험 {list}의 결과가 적합이 아님",
                        c.control
                    ),
                    format!(
                        "control {} is recorded as verified, but test(s) {list} did not pass",
                        c.control
                    ),
                ));
            }
        }
    }

    // Tests' own gaps.
    for (c, t) in plan.cases.iter().zip(&tests) {
        let (ko, en) = (&c.title.ko, &c.title.en);
        if !c.has_procedure() {
            gaps.push(gap(
                GapKind::TestWithoutProcedure,
                &c.id,
                format!("시험 {} ({ko})에 시험방법이 없음", c.id),
                format!("test {} ({en}) has no procedure", c.id),
            ));
        }
        match c.status {
            TestStatus::NotRun => gaps.push(gap(
                GapKind::TestNotRun,
                &c.id,
                format!("시험 {} ({ko})을 실시하지 않음", c.id),
                format!("test {} ({en}) has not been run", c.id),
            )),
            TestStatus::Fail => gaps.push(gap(
                GapKind::TestFailed,
                &c.id,
                format!("시험 {} ({ko})의 결과가 부적합", c.id),
                format!("test {} ({en}) failed", c.id),
            )),
            TestStatus::Pass | TestStatus::NotApplicable => {}
        }
        if matches!(c.status, TestStatus::Pass | TestStatus::Fail) && t.evidence.is_empty() {
            gaps.push(gap(
                GapKind::TestWithoutEvidence,
                &c.id,
                format!("시험 {} ({ko})에 근거자료가 없음", c.id),
                format!("test {} ({en}) has no evidence", c.id),
            ));
        }
        for e in t.evidence.iter().filter(|e| !e.present) {
            gaps.push(gap(
                GapKind::EvidenceMissing,
                &e.sha256,
                format!(
                    "시험 {}이 참조하는 근거자료 {} (SHA-256 {})가 없음",
                    c.id, e.filename, e.sha256
                ),
                format!(
                    "evidence {} (SHA-256 {}) referenced by test {} is missing",
                    e.filename, e.sha256, c.id
                ),
            ));
        }
    }
    for s in scans {
        let named = s
            .test
            .iter()
            .chain(s.findings.iter().filter_map(|f| f.test.as_ref()));
        let mut seen = BTreeSet::new();
        for t in named {
            if plan.case(t).is_none() && seen.insert(t.clone()) {
                gaps.push(gap(
                    GapKind::DanglingReference,
                    t,
                    format!("스캔 {}의 시험 `{t}`이 시험 계획에 없음", s.source),
                    format!("scan {}: test `{t}` is not in the test plan", s.source),
                ));
            }
        }
    }

    // Requirements.
    let mut requirements = Vec::new();
    for (item, title) in &applicable {
        let covering: Vec<String> = register
            .controls
            .iter()
            .filter(|c| c.catalog_items.contains(item))
            .map(|c| c.id.clone())
            .collect();
        if covering.is_empty() {
            gaps.push(gap(
                GapKind::RequirementWithoutControl,
                item,
                format!(
                    "적용 요구사항 {item} ({})을 구현하는 위험통제 수단이 없음",
                    title.ko
                ),
                format!(
                    "no control implements the applicable requirement {item} ({})",
                    title.en
                ),
            ));
        }
        requirements.push(RequirementTrace {
            item: item.clone(),
            title: title.clone(),
            threats: model
                .threats()
                .iter()
                .filter(|t| t.status != Status::NotApplicable && t.requirements.contains(item))
                .map(|t| t.id.clone())
                .collect(),
            tests: plan
                .cases
                .iter()
                .filter(|c| c.item.as_deref() == Some(item.as_str()))
                .map(|c| c.id.clone())
                .collect(),
            controls: covering,
        });
    }

    // Residual risk.
    for e in evaluations.iter().filter(|e| e.needs_acceptance) {
        let title = register
            .risk(&e.risk)
            .map(|r| r.title.clone())
            .unwrap_or_default();
        let levels_ko = format!(
            "악용 가능성 {}, 위해 {}",
            e.residual_exploitability.ko(),
            e.residual_severity.ko()
        );
        let levels_en = format!(
            "exploitability {}, harm {}",
            e.residual_exploitability.en(),
            e.residual_severity.en()
        );
        let g = if e.residual == RiskLevel::Unacceptable {
            gap(
                GapKind::UnacceptableResidualRisk,
                &e.risk,
                format!(
                    "위험 {} ({})의 잔여위험이 수용 불가({levels_ko})이며 허용 기록이 없음",
                    e.risk, title.ko
                ),
                format!(
                    "the residual risk of {} ({}) is unacceptable ({levels_en}) and has no acceptance",
                    e.risk, title.en
                ),
            )
        } else {
            gap(
                GapKind::ResidualRiskNotReviewed,
                &e.risk,
                format!(
                    "위험 {} ({})의 잔여위험이 ALARP 검토 대상({levels_ko})이나 검토·허용 기록이 없음",
                    e.risk, title.ko
                ),
                format!(
                    "the residual risk of {} ({}) needs an ALARP review ({levels_en}) and has no acceptance on record",
                    e.risk, title.en
                ),
            )
        };
        gaps.push(g);
    }

    // Anomalies.
    let anomalies = anomaly::unresolved(plan, scans, sbom, justifications);
    for a in &anomalies {
        match &a.justification {
            None => gaps.push(gap(
                GapKind::AnomalyWithoutJustification,
                &a.id,
                format!(
                    "미해결 이상 {} ({}: {})에 정당화가 없음",
                    a.id,
                    a.kind.ko(),
                    a.title
                ),
                format!(
                    "unresolved anomaly {} ({}: {}) has no justification",
                    a.id,
                    a.kind.as_str(),
                    a.title
                ),
            )),
            Some(j) => {
                let problems = j.problems();
                if !problems.is_empty() {
                    let list = problems
                        .iter()
                        .map(|(f, m)| format!("{f} {m}"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    gaps.push(gap(
                        GapKind::AnomalyWithoutJustification,
                        &a.id,
                        format!("미해결 이상 {}의 정당화가 불완전함: {list}", a.id),
                        format!(
                            "the justification of unresolved anomaly {} is incomplete: {list}",
                            a.id
                        ),
                    ));
                }
                for c in &j.compensating_controls {
                    if register.control(c).is_none() {
                        gaps.push(gap(
                            GapKind::DanglingReference,
                            &a.id,
                            format!("미해결 이상 {}의 보완 통제 `{c}`이 위험 등록부에 없음", a.id),
                            format!(
                                "unresolved anomaly {}: compensating control `{c}` is not in the risk register",
                                a.id
                            ),
                        ));
                    }
                }
            }
        }
    }

    // The rows of the table: per threat or risk, per control, per test.
    let mut rows = Vec::new();
    let test_row = |test: Option<&TestTrace>| {
        (
            test.map(|t| t.test.clone()),
            test.map(|t| t.status),
            test.map(|t| t.evidence.iter().map(|e| e.sha256.clone()).collect())
                .unwrap_or_default(),
        )
    };
    for t in &threats {
        if t.risk.is_none() {
            rows.push(Row {
                requirements: Vec::new(),
                threat: Some(t.threat.clone()),
                risk: None,
                control: None,
                test: None,
                test_status: None,
                evidence: Vec::new(),
            });
        }
    }
    for r in &register.risks {
        if r.controls.is_empty() {
            rows.push(Row {
                requirements: Vec::new(),
                threat: r.threat.clone(),
                risk: Some(r.id.clone()),
                control: None,
                test: None,
                test_status: None,
                evidence: Vec::new(),
            });
        }
        for cid in &r.controls {
            let Some(c) = controls.iter().find(|c| &c.control == cid) else {
                continue;
            };
            let linked: Vec<Option<&TestTrace>> = if c.tests.is_empty() {
                vec![None]
            } else {
                c.tests
                    .iter()
                    .map(|l| tests.iter().find(|t| t.test == l.test))
                    .collect()
            };
            for t in linked {
                let (test, test_status, evidence) = test_row(t);
                rows.push(Row {
                    requirements: c.requirements.clone(),
                    threat: r.threat.clone(),
                    risk: Some(r.id.clone()),
                    control: Some(c.control.clone()),
                    test,
                    test_status,
                    evidence,
                });
            }
        }
    }
    for req in requirements.iter().filter(|r| r.controls.is_empty()) {
        rows.push(Row {
            requirements: vec![req.item.clone()],
            threat: None,
            risk: None,
            control: None,
            test: None,
            test_status: None,
            evidence: Vec::new(),
        });
    }

    Ok(Matrix {
        requirements,
        threats,
        controls,
        tests,
        rows,
        evaluations,
        anomalies,
        gaps,
    })
}

#[cfg(test)]
mod tests;
