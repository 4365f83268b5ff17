//! Test cases derived from checklists, the test plan document, SARIF
//! details, SBOM findings and the unresolved anomalies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use super::sarif::{self, ImportOptions, Level, ResultKind};
use super::sbom::{SbomComponent, Vex, VexJustification, VexStatus, read_findings};
use super::*;
use crate::checklist::{self, Attachment, Workspace};
use crate::profile::Profile;

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap()
}

fn profile(name: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/devices/{name}.toml"));
    Profile::parse(&std::fs::read_to_string(path).unwrap(), Format::Toml).unwrap()
}

fn checklist_of(name: &str, edition: &str, edit: impl FnOnce(&mut Workspace)) -> Checklist {
    let p = profile(name);
    let mut ws = Workspace::prefill(catalogs(), edition, &p).unwrap();
    edit(&mut ws);
    checklist::evaluate(
        catalogs(),
        crate::rules().unwrap(),
        catalogs().get(edition).unwrap(),
        &p,
        &BTreeMap::new(),
        &ws,
    )
}

#[test]
fn one_case_per_applicable_item_with_the_catalogues_procedure() {
    let c = checklist_of("ecg-gateway", "mfds-2019", |_| {});
    let plan = TestPlan::derive(catalogs(), &c);
    let applicable: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.applies)
        .map(|r| format!("TC-mfds-2019-{}", r.id))
        .collect();
    let ids: Vec<&str> = plan.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, applicable);
    assert!(c.rows.iter().any(|r| !r.applies), "some items do not apply");
    let tc = plan.case("TC-mfds-2019-1.1").unwrap();
    assert_eq!(tc.item.as_deref(), Some("mfds-2019:1.1"));
    assert_eq!(
        tc.title,
        Text::new("접근통제 및 인증", "Access control and authentication")
    );
    assert_eq!(
        tc.expected_ko.as_deref(),
        Some("등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다.")
    );
    assert_eq!(
        tc.expected_en.as_deref(),
        Some("When logging in as a registered user, the login must succeed.")
    );
    assert_eq!(tc.procedure_ko.len(), 2);
    assert_eq!(
        tc.procedure_en[1],
        "Log in to the u-Healthcare gateway with the registered user's ID and password and check that access is possible."
    );
    assert_eq!(tc.procedure_source, ProcedureSource::Catalogue);
    assert_eq!(tc.status, TestStatus::NotRun);
    assert!(plan.cases.iter().all(|c| c.has_procedure()));
    plan.check().unwrap();
}

#[test]
fn another_device_gets_its_own_name_in_both_languages() {
    let p = profile("ecg-patch-gateway");
    let c = checklist_of("ecg-patch-gateway", "mfds-2019", |_| {});
    let plan = TestPlan::derive(catalogs(), &c);
    let tc = plan.case("TC-mfds-2019-1.1").unwrap();
    let product = &p.device.product;
    assert!(
        tc.procedure_ko[1].contains(product.as_str()),
        "{}",
        tc.procedure_ko[1]
    );
    assert!(
        tc.procedure_en[1].contains(product.as_str()),
        "{}",
        tc.procedure_en[1]
    );
    assert!(!tc.procedure_en[1].contains("u-Healthcare"));
    assert_eq!(tc.procedure_source, ProcedureSource::Catalogue);
}

#[test]
fn the_2024_edition_borrows_its_predecessors_procedures() {
    let c = checklist_of("ecg-gateway", "mfds-2024", |_| {});
    let plan = TestPlan::derive(catalogs(), &c);
    let ia01 = plan.case("TC-mfds-2024-IA-01").unwrap();
    let ProcedureSource::Crosswalk { items } = &ia01.procedure_source else {
        panic!("{:?}", ia01.procedure_source);
    };
    assert_eq!(items, &["mfds-2019:1.1", "mfds-2019:1.3", "mfds-2019:1.4"]);
    assert!(ia01.procedure_ko.len() >= 6);
    assert_eq!(ia01.procedure_ko.len(), ia01.procedure_en.len());
    // Items no 2019 item reaches have no procedure yet.
    let missing: Vec<&str> = plan
        .cases
        .iter()
        .filter(|c| c.procedure_source == ProcedureSource::Missing)
        .map(|c| c.id.as_str())
        .collect();
    assert!(missing.contains(&"TC-mfds-2024-SI-05"), "{missing:?}");
    assert!(
        plan.cases
            .iter()
            .filter(|c| c.procedure_source == ProcedureSource::Missing)
            .all(|c| !c.has_procedure())
    );
}

fn evidence_ref(n: u8) -> EvidenceRef {
    EvidenceRef {
        id: format!("ev-{n}"),
        sha256: format!("{n:02x}").repeat(32),
        filename: format!("VVT-SW-00{n}.pdf"),
    }
}

#[test]
fn the_checklists_text_records_and_documents_are_kept() {
    let c = checklist_of("ecg-gateway", "mfds-2019", |ws| {
        let item = ws.items.get_mut("1.3").unwrap();
        item.test_method = vec!["서버에서 사용자를 삭제한 뒤 재로그인을 시도한다.".into()];
        item.attachments.push(Attachment {
            document: "VVT-SW-001".into(),
            evidence: Some(evidence_ref(1)),
        });
        item.tests.push(checklist::TestRecord {
            by: "시험자".into(),
            on: "2025-03-01".into(),
            result: TestResult::Fail,
            note: "삭제 후에도 세션 유지".into(),
            evidence: Some(evidence_ref(2)),
        });
        ws.items
            .get_mut("1.1")
            .unwrap()
            .tests
            .push(checklist::TestRecord {
                by: "시험자".into(),
                on: "2025-03-02".into(),
                result: TestResult::Pass,
                note: String::new(),
                evidence: Some(evidence_ref(3)),
            });
    });
    let plan = TestPlan::derive(catalogs(), &c);
    let tc = plan.case("TC-mfds-2019-1.3").unwrap();
    assert_eq!(tc.procedure_source, ProcedureSource::Checklist);
    assert!(tc.procedure_en.is_empty() && tc.expected_en.is_none());
    assert_eq!(tc.status, TestStatus::Fail);
    assert_eq!(tc.note, "삭제 후에도 세션 유지");
    assert_eq!(tc.evidence, [evidence_ref(1), evidence_ref(2)]);
    let tc = plan.case("TC-mfds-2019-1.1").unwrap();
    assert_eq!(
        (tc.status, tc.executed_on.as_deref()),
        (TestStatus::Pass, Some("2025-03-02"))
    );

    // Derived again from a fresh checklist, the recorded results stay.
    let mut again = TestPlan::derive(
        catalogs(),
        &checklist_of("ecg-gateway", "mfds-2019", |_| {}),
    );
    let mut old = plan.clone();
    old.cases.push(TestCase {
        id: "TC-PEN-1".into(),
        kind: TestKind::Penetration,
        item: None,
        title: Text::new("침투 시험", "Penetration test"),
        expected_ko: None,
        expected_en: None,
        procedure_ko: vec!["외부 기관이 게이트웨이를 침투 시험한다.".into()],
        procedure_en: Vec::new(),
        procedure_source: ProcedureSource::Manual,
        status: TestStatus::NotRun,
        executed_by: None,
        executed_on: None,
        evidence: Vec::new(),
        justification: None,
        note: String::new(),
    });
    again.keep_results(&old);
    assert_eq!(
        again.case("TC-mfds-2019-1.1").unwrap().status,
        TestStatus::Pass
    );
    assert_eq!(again.case("TC-mfds-2019-1.3").unwrap().evidence.len(), 2);
    assert!(again.case("TC-PEN-1").is_some());
}

#[test]
fn the_plan_round_trips_and_errors_name_the_case() {
    let plan = TestPlan::derive(
        catalogs(),
        &checklist_of("ecg-gateway", "mfds-2019", |_| {}),
    );
    let text = plan.to_toml().unwrap();
    assert_eq!(TestPlan::parse(&text, Format::Toml).unwrap(), plan);
    let json = plan.to_json().unwrap();
    assert_eq!(TestPlan::parse(&json, Format::Json).unwrap(), plan);
    let err = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        TestPlan::parse(&text.replacen(from, to, 1), Format::Toml)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("status = \"not-run\"", "status = \"done\""),
        "case `TC-mfds-2019-1.1`.status: unknown variant `done`, expected one of `not-run`, `pass`, `fail`, `not-applicable`"
    );
    assert_eq!(
        err("status = \"not-run\"", "status = \"not-applicable\""),
        "case `TC-mfds-2019-1.1`.justification: a test that does not apply needs a justification"
    );
    assert_eq!(
        err(
            "status = \"not-run\"",
            "status = \"pass\"\nexecuted_on = \"1.3.2025\""
        ),
        "case `TC-mfds-2019-1.1`.executed_on: `1.3.2025` is not a date (YYYY-MM-DD)"
    );
    assert_eq!(
        err("id = \"TC-mfds-2019-1.3\"", "id = \"TC-mfds-2019-1.1\""),
        "case `TC-mfds-2019-1.1`.id: is the id of two test cases"
    );
    assert_eq!(
        err("schema = \"medsec-test-plan/1\"", "schema = \"x\""),
        "plan.schema: is `x`, expected `medsec-test-plan/1`"
    );
    assert_eq!(
        err(
            "status = \"not-run\"",
            "status = \"pass\"\n\n[[case.evidence]]\nid = \"e\"\nsha256 = \"abc\"\nfilename = \"a.pdf\""
        ),
        "case `TC-mfds-2019-1.1`.evidence[0].sha256: `abc` is not a SHA-256 (64 hex digits)"
    );
}

fn import(json: &str) -> Result<ScanReport, sarif::SarifError> {
    sarif::import(json.as_bytes(), &ImportOptions::default())
}

fn run(results: &str) -> String {
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"T","rules":[{{"id":"R1","defaultConfiguration":{{"level":"error"}},"messageStrings":{{"m":{{"text":"{{0}} at {{1}}; {{{{literal}}}} {{2}}"}}}}}},{{"id":"R2"}}]}}}},"results":[{results}]}}]}}"#
    )
}

#[test]
fn sarif_levels_kinds_and_messages_follow_the_standard() {
    let r = import(&run(r#"{"ruleId":"R1","message":{"text":"a"}},
           {"ruleId":"R2","message":{"text":"b"}},
           {"ruleId":"R1","kind":"open","message":{"text":"c"}},
           {"ruleIndex":0,"message":{"id":"m","arguments":["x","y"]}},
           {"ruleId":"R1/sub","message":{"text":"e"},"level":"note"},
           {"ruleId":"R2","kind":"pass","level":"warning","message":{"text":"f"}}"#))
    .unwrap();
    let f = &r.findings;
    // A failing result takes its rule's default level, else warning.
    assert_eq!((f[0].level, f[0].kind), (Level::Error, ResultKind::Fail));
    assert_eq!(f[1].level, Level::Warning);
    // Other kinds default to none, and stay open when open or review.
    assert_eq!((f[2].level, f[2].is_open()), (Level::None, true));
    // Message strings by id, with arguments and escaped braces; the rule
    // id from the index.
    assert_eq!(f[3].message, "x at y; {literal} {2}");
    assert_eq!(f[3].rule_id.as_deref(), Some("R1"));
    // A hierarchical id names its parent rule.
    assert_eq!(f[4].rule_id.as_deref(), Some("R1/sub"));
    assert!(r.warnings.iter().all(|w| !w.message.contains("R1/sub")));
    // A passing result is not open; its level is refused politely.
    assert!(!f[5].is_open());
    assert_eq!(
        r.warnings
            .last()
            .map(|w| (w.pointer.as_str(), w.message.as_str())),
        Some((
            "/runs/0/results/5/level",
            "a result whose kind is not `fail` should have level `none`"
        ))
    );
}

#[test]
fn suppressions_count_as_the_sarif_sdk_counts_them() {
    let r = import(&run(
        r#"{"ruleId":"R1","message":{"text":"a"},"suppressions":[{"kind":"inSource"}]},
           {"ruleId":"R1","message":{"text":"b"},"suppressions":[{"kind":"external","status":"accepted"},{"kind":"inSource","status":"rejected"}]},
           {"ruleId":"R1","message":{"text":"c"},"suppressions":[]},
           {"ruleId":"R1","message":{"text":"d"},"baselineState":"absent"}"#,
    ))
    .unwrap();
    let open: Vec<bool> = r.findings.iter().map(|f| f.is_open()).collect();
    assert_eq!(open, [false, true, true, false]);
}

#[test]
fn pointers_escape_keys() {
    let err = import(&run(
        r#"{"ruleId":"R1","message":{"text":"a"},"fingerprints":{"a/b~c":1}}"#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/runs/0/results/0/fingerprints/a~1b~0c");
    assert_eq!(
        err.to_string(),
        "/runs/0/results/0/fingerprints/a~1b~0c: must be a string, not a number"
    );
    let err = import("[]").unwrap_err();
    assert_eq!(err.to_string(), "must be an object, not an array");
}

#[test]
fn cwe_ids_are_read_from_tags() {
    for (tag, cwe) in [
        ("external/cwe/cwe-079", Some("CWE-79")),
        ("CWE-798: Use of Hard-coded Credentials", Some("CWE-798")),
        ("cwe:89", Some("CWE-89")),
        ("security", None),
        ("cwe-", None),
    ] {
        assert_eq!(sarif::cwe_in(tag).as_deref(), cwe, "{tag}");
    }
}

fn finding(vuln: &str, cvss: Option<&str>, vex: Option<Vex>) -> SbomFinding {
    SbomFinding {
        component: SbomComponent {
            name: "lodash".into(),
            version: Some("4.17.11".into()),
            purl: Some("pkg:npm/lodash@4.17.11".into()),
        },
        vulnerability: vuln.into(),
        aliases: Vec::new(),
        summary: String::new(),
        cvss: cvss.map(str::to_owned),
        cwe: Vec::new(),
        kev: false,
        vex,
    }
}

#[test]
fn sbom_findings_are_checked_and_named() {
    let ok = r#"[{"component":{"name":"lodash","version":"4.17.11","purl":"pkg:npm/lodash@4.17.11"},"vulnerability":"CVE-2019-10744","cvss":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H","vex":{"status":"affected"}}]"#;
    let found = read_findings(ok).unwrap();
    assert!(found[0].is_open());
    assert_eq!(found[0].key(), "CVE-2019-10744@pkg:npm/lodash@4.17.11");
    for (text, expect) in [
        (
            ok.replace("\"affected\"", "\"affectd\""),
            "finding [0] CVE-2019-10744: vex.status: unknown variant `affectd`",
        ),
        (
            ok.replace("AV:N/AC:L", "AV:N/AC:Q"),
            "finding [0] CVE-2019-10744 in pkg:npm/lodash@4.17.11: cvss: `CVSS:3.1/AV:N/AC:Q/PR:N/UI:N/S:U/C:N/I:H/A:H` is not a CVSS vector",
        ),
        (
            ok.replace("\"affected\"", "\"not_affected\""),
            "finding [0] CVE-2019-10744 in pkg:npm/lodash@4.17.11: vex: not_affected needs a justification or an impact statement",
        ),
        ("{}".to_owned(), "expected a JSON array of findings"),
    ] {
        let got = read_findings(&text).unwrap_err().to_string();
        assert!(got.starts_with(expect), "expected {expect}\n     got {got}");
    }
    let fixed = finding(
        "CVE-1",
        None,
        Some(Vex {
            status: VexStatus::Fixed,
            justification: None,
            statement: None,
        }),
    );
    let not_affected = finding(
        "CVE-2",
        None,
        Some(Vex {
            status: VexStatus::NotAffected,
            justification: Some(VexJustification::ComponentNotPresent),
            statement: None,
        }),
    );
    let investigating = finding(
        "CVE-3",
        None,
        Some(Vex {
            status: VexStatus::UnderInvestigation,
            justification: None,
            statement: None,
        }),
    );
    assert!(!fixed.is_open() && !not_affected.is_open() && investigating.is_open());
}

#[test]
fn unresolved_anomalies_and_their_justifications() {
    let mut plan = TestPlan::derive(
        catalogs(),
        &checklist_of("ecg-gateway", "mfds-2019", |_| {}),
    );
    plan.case_mut("TC-mfds-2019-1.3").unwrap().status = TestStatus::Fail;
    let scan = import(&run(
        r#"{"ruleId":"R1","message":{"text":"overflow"}},{"ruleId":"R1","kind":"pass","message":{"text":"ok"}}"#,
    ))
    .unwrap();
    let sbom = [
        finding(
            "CVE-2019-10744",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"),
            None,
        ),
        SbomFinding {
            kev: true,
            ..finding("CVE-2021-23337", None, None)
        },
        finding(
            "CVE-2020-8203",
            None,
            Some(Vex {
                status: VexStatus::Fixed,
                justification: None,
                statement: None,
            }),
        ),
    ];
    let justification = Justification {
        anomaly: "AN-CVE-2019-10744@pkg:npm/lodash@4.17.11".into(),
        why_acceptable: "웹 UI는 병원 내부망에서만 접근 가능".into(),
        compensating_controls: vec!["C-flow-control".into()],
        by: "김보안".into(),
        on: "2025-03-03".into(),
    };
    let list = anomaly::unresolved(
        &plan,
        std::slice::from_ref(&scan),
        &sbom,
        std::slice::from_ref(&justification),
    );
    let summary: Vec<(AnomalyKind, &str, Option<&str>, bool)> = list
        .iter()
        .map(|a| {
            (
                a.kind,
                a.id.as_str(),
                a.severity.as_deref(),
                a.justification.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (AnomalyKind::FailedTest, "AN-TC-mfds-2019-1.3", None, false),
            (
                AnomalyKind::ScannerFinding,
                format!("AN-{}", scan.findings[0].id).as_str(),
                Some("error"),
                false
            ),
            (
                AnomalyKind::SbomVulnerability,
                "AN-CVE-2019-10744@pkg:npm/lodash@4.17.11",
                Some("critical"),
                true
            ),
            (
                AnomalyKind::SbomVulnerability,
                "AN-CVE-2021-23337@pkg:npm/lodash@4.17.11",
                Some("kev"),
                false
            ),
        ]
    );
    assert!(justification.problems().is_empty());
    let bad = Justification {
        why_acceptable: " ".into(),
        on: "어제".into(),
        ..justification
    };
    let fields: Vec<&str> = bad.problems().iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["why_acceptable", "on"]);
}
