//! Tests of profiles, rules, the fixtures' applicability tables and the
//! checklist workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::checklist::{Attachment, EvidenceRef, TestRecord, TestResult};
use crate::profile::Format;
use crate::rules::Expr;

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap_or_else(|e| panic!("{e}"))
}

fn ruleset() -> &'static Rules {
    rules().unwrap_or_else(|e| panic!("{e}"))
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devices")
}

fn fixture(name: &str) -> Profile {
    let path = fixture_dir().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Profile::parse(&text, Format::Toml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The table as reviewed text: one line per item, `O` applies, `-` not.
fn render(table: &Table) -> String {
    let mut out = String::new();
    for (_, decisions) in &table.catalogs {
        for d in decisions {
            out.push_str(&format!(
                "{}\t{}\t{}\n",
                d.reference,
                if d.applies { "O" } else { "-" },
                d.reason_ko
            ));
        }
    }
    out
}

/// Compares a fixture's table with its reviewed expectation
/// (`NAME.expected`); `MEDSEC_BLESS=1` rewrites it for review.
fn check_table(name: &str) -> Table {
    let table = applicability(catalogs(), ruleset(), &fixture(name), &BTreeMap::new());
    let actual = render(&table);
    let path = fixture_dir().join(format!("{name}.expected"));
    if std::env::var_os("MEDSEC_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap_or_else(|e| panic!("{e}"));
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if actual != expected {
        for (a, e) in actual.lines().zip(expected.lines()) {
            if a != e {
                panic!(
                    "{name}: table differs from {}\n  expected: {e}\n  actual:   {a}",
                    path.display()
                );
            }
        }
        panic!("{name}: table length differs from {}", path.display());
    }
    table
}

fn applies(table: &Table, reference: &str) -> bool {
    table
        .catalogs
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.reference == reference)
        .unwrap_or_else(|| panic!("{reference} not decided"))
        .applies
}

#[test]
fn ecg_gateway_matches_the_seed_review_case() {
    let table = check_table("ecg-gateway");
    // Seed 000, Ⅳ: 1.1, 1.3 and 1.4 are 적용 for the gateway.
    for id in ["1.1", "1.3", "1.4"] {
        assert!(applies(&table, &format!("mfds-2019:{id}")), "{id}");
    }
    // Only patient data is ticked: no update items, no device control.
    for id in ["1.12", "1.13", "1.14"] {
        assert!(!applies(&table, &format!("mfds-2019:{id}")), "{id}");
    }
    // The Q&A: the gateway's ECG data must be encrypted in transit.
    assert!(applies(&table, "mfds-2019:1.15"));

    let profile = fixture("ecg-gateway");
    let ws = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    let c = catalogs().get("mfds-2019").unwrap();
    let list = checklist::evaluate(catalogs(), ruleset(), c, &profile, &BTreeMap::new(), &ws);
    let row = |id: &str| list.rows.iter().find(|r| r.id == id).unwrap();
    // Verbatim from the seed: evidence, standard, criterion and steps.
    for id in ["1.1", "1.3", "1.4"] {
        let r = row(id);
        assert_eq!(r.content.methods, ["소프트웨어 검증 및 유효성 확인 자료"]);
        assert_eq!(
            r.content.standards,
            ["의료기기 사이버보안 허가·심사 가이드라인 (3.4.1 접근 통제 및 인증)"]
        );
    }
    assert_eq!(
        row("1.1").content.test_criterion.as_deref(),
        Some("등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다.")
    );
    assert_eq!(
        row("1.1").content.test_method,
        [
            "서버에 허가된 사용자를 등록한다.",
            "등록된 사용자의 아이디/패스워드로 유헬스케어 게이트웨이에 로그인하여 접속 가능 여부를 확인한다."
        ]
    );
    assert_eq!(
        row("1.3").content.test_criterion.as_deref(),
        Some("등록되지 않은 회원 정보로 로그인 하였을 때, 접속되지 않아야 한다.")
    );
    assert_eq!(
        row("1.3").content.test_method,
        [
            "등록된 사용자를 서버에서 삭제한다.",
            "삭제된 사용자의 아이디/패스워드로 유헬스케어 게이트웨이에 로그인을 시도할 때 접속이 불가함을 확인한다."
        ]
    );
    assert!(row("1.4").content.test_method[1].contains("유헬스케어 게이트웨이"));
    // The header of the form.
    assert_eq!(list.header.communication, "wifi 통신");
    assert_eq!(list.header.purposes, [profile::Purpose::PatientData]);
    // 1.1 traces to KISA and IMDRF through the crosswalk.
    assert!(row("1.1").traces.contains(&"kisa-dh:1.1.1".to_owned()));
    assert!(row("1.1").traces.contains(&"imdrf-n60:UA".to_owned()));
}

#[test]
fn infusion_pump_with_wifi_and_usb_update() {
    let t = check_table("infusion-pump");
    for r in [
        "mfds-2019:1.12",
        "mfds-2019:1.18",
        "mfds-2019:1.6",
        "mfds-2019:1.20",
        "mfds-2024:SI-09",
        "mfds-2024:SI-10",
        "kisa-dh:3.4.2",
        "kisa-dh:6.1.1",
        "kisa-dh:group:infra.dbms",
    ]
    .iter()
    .filter(|r| !r.contains("group"))
    {
        assert!(applies(&t, r), "{r}");
    }
    assert!(applies(&t, "kisa-dh:infra.dbms.account.01"));
    assert!(!applies(&t, "kisa-dh:app.user-auth.01"));
}

#[test]
fn standalone_imaging_workstation() {
    let t = check_table("imaging-workstation");
    // No network: network items do not apply; ports, updates and stored
    // data do.
    for r in [
        "mfds-2019:1.5",
        "mfds-2019:1.15",
        "mfds-2019:2.4",
        "mfds-2024:SI-01",
        "mfds-2024:RA-01",
    ] {
        assert!(!applies(&t, r), "{r}");
    }
    for r in [
        "mfds-2019:1.1",
        "mfds-2019:1.9",
        "mfds-2019:1.12",
        "mfds-2019:1.16",
        "mfds-2019:1.18",
        "mfds-2019:1.20",
        "mfds-2024:SI-02",
        "mfds-2024:SI-11",
    ] {
        assert!(applies(&t, r), "{r}");
    }
}

#[test]
fn mobile_samd_app() {
    let t = check_table("mobile-samd");
    // Software only: hardware items and KISA device requirements do not
    // apply (the SaMD exception); app, web and infrastructure ones do.
    for r in [
        "mfds-2024:SI-10",
        "mfds-2024:SI-11",
        "mfds-2019:1.18",
        "kisa-dh:1.1.1",
        "kisa-dh:6.1.2",
    ] {
        assert!(!applies(&t, r), "{r}");
    }
    for r in [
        "mfds-2024:UC-02",
        "kisa-dh:app.user-auth.01",
        "kisa-dh:web.sql-injection.01",
        "kisa-dh:infra.server.account.01",
        "kisa-dh:infra.dbms.log.01",
        "mfds-2019:1.6",
    ] {
        assert!(applies(&t, r), "{r}");
    }
}

#[test]
fn every_item_of_the_decided_catalogues_has_a_decision() {
    let profile = fixture("ecg-gateway");
    let table = applicability(catalogs(), ruleset(), &profile, &BTreeMap::new());
    for (id, decisions) in &table.catalogs {
        let c = catalogs().get(id).unwrap();
        assert_eq!(decisions.len(), c.item.len(), "{id}");
        assert!(
            decisions
                .iter()
                .all(|d| !d.reason_ko.is_empty() && !d.reason_en.is_empty())
        );
    }
    assert_eq!(table.catalogs.len(), 3);
}

#[test]
fn an_override_wins_and_keeps_its_justification() {
    let profile = fixture("ecg-gateway");
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "mfds-2019:1.6".to_owned(),
        Override {
            applies: true,
            justification: "제조사 원격 지원 기능 포함".into(),
            by: "kim".into(),
            at: "2026-11-25T10:00:00Z".into(),
        },
    );
    let table = applicability(catalogs(), ruleset(), &profile, &overrides);
    let d = table.catalogs[1]
        .1
        .iter()
        .find(|d| d.reference == "mfds-2019:1.6")
        .unwrap();
    assert!(d.applies);
    assert!(!d.by_rule);
    assert_eq!(
        d.overridden.as_ref().unwrap().justification,
        "제조사 원격 지원 기능 포함"
    );
}

fn check_expr(text: &str, expect: &str) {
    match Expr::parse(text) {
        Ok(e) => assert_eq!(format!("{e:?}"), expect, "{text}"),
        Err(e) => assert_eq!(format!("error {e}"), expect, "{text}"),
    }
}

#[test]
fn expressions() {
    check_expr("network", r#"Fact("network")"#);
    check_expr(
        "login or network and not web",
        r#"Or([Fact("login"), And([Fact("network"), Not(Fact("web"))])])"#,
    );
    check_expr(
        "(login or network) and web",
        r#"And([Or([Fact("login"), Fact("network")]), Fact("web")])"#,
    );
    check_expr("always", "Always");
    check_expr("netwrk", "error at character 0: `netwrk` is not a fact");
    check_expr(
        "login or",
        "error at character 8: expected a fact, `always`, `never`, `not` or `(`",
    );
    check_expr("(login", "error at character 6: expected `)`");
    check_expr("login web", "error at character 6: unexpected `web`");
    check_expr(
        "login & web",
        "error at character 6: unexpected character `&`",
    );
}

#[test]
fn reasons_name_the_deciding_facts() {
    let p = fixture("ecg-gateway");
    let facts = Facts::of(&p);
    // `or` is decided by its true parts only.
    let (v, w) = Expr::parse("login or remote-access").unwrap().eval(&facts);
    assert!(v);
    assert_eq!(w, [("login", true)]);
    // A false `and` by its false parts.
    let (v, w) = Expr::parse("network and remote-access and login")
        .unwrap()
        .eval(&facts);
    assert!(!v);
    assert_eq!(w, [("remote-access", false)]);
    // A false `or` by all its parts.
    let (v, w) = Expr::parse("remote-access or inbound")
        .unwrap()
        .eval(&facts);
    assert!(!v);
    assert_eq!(w, [("remote-access", false), ("inbound", false)]);
    let d = ruleset()
        .decide(
            catalogs().get("mfds-2019").unwrap(),
            &facts,
            &BTreeMap::new(),
        )
        .into_iter()
        .find(|d| d.reference == "mfds-2019:1.6")
        .unwrap();
    assert_eq!(
        d.reason_ko,
        "원격 접속 기능이 없음, 외부 접속을 받는 서비스가 없음 (외부에서 접속할 수 없는 기기는 원격 접속 차단 대상이 없음)"
    );
}

#[test]
fn the_rules_file_is_checked() {
    let c = catalogs();
    let bad = |text: &str| Rules::parse(text, c).unwrap_err().to_string();
    assert!(
        bad("[[rule]]\ntarget = \"mfds-2019:9.9\"\nwhen = \"always\"").contains("names nothing")
    );
    assert!(
        bad("[[rule]]\ntarget = \"mfds-2019:*\"\nwhen = \"wifi\"").contains("`wifi` is not a fact")
    );
    assert!(
        bad("[[rule]]\ntarget = \"mfds-2019:*\"\nwhen = \"always\"")
            .contains("no rule decides `mfds-2024:IA-01`")
    );
    assert!(ruleset().len() > 80);
}

fn check_profile_error(edit: impl Fn(&str) -> String, expect: &str) {
    let text = std::fs::read_to_string(fixture_dir().join("ecg-gateway.toml")).unwrap();
    let err = Profile::parse(&edit(&text), Format::Toml)
        .unwrap_err()
        .to_string();
    assert!(err.contains(expect), "{err}\n  does not contain: {expect}");
}

#[test]
fn bad_profiles_name_the_field() {
    check_profile_error(
        |t| t.replace("grade = 2", "grade = 5"),
        "device.grade: must be 1 to 4",
    );
    check_profile_error(
        |t| t.replace("security_level = \"중\"", "security_level = \"보통\""),
        "unknown variant `보통`",
    );
    check_profile_error(
        |t| t.replace("kind = \"wifi\"", "kind = \"lora\""),
        "unknown variant `lora`",
    );
    check_profile_error(
        |t| {
            t.replace(
                "component = \"유헬스케어 게이트웨이\"",
                "component = \"게이트웨이\"",
            )
        },
        "interface[0].component: `게이트웨이` is not the name of a component",
    );
    check_profile_error(
        |t| t.replace("model = \"UHG-100\"", "model = \" \""),
        "device.model: must not be empty",
    );
    check_profile_error(
        |t| t.replace("[data]", "[data]\ncolour = 1"),
        "unknown field `colour`",
    );
    check_profile_error(
        |t| format!("{t}\n[[role]]\nname = \"x\"\n"),
        "missing field `kind`",
    );
    // TOML errors carry the line.
    check_profile_error(|t| t.replace("grade = 2", "grade = "), "line 14");
    // JSON round trip.
    let p = fixture("infusion-pump");
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(Profile::parse(&json, Format::Json).unwrap(), p);
    let err = Profile::parse(
        &json.replace("\"grade\":3", "\"grade\":\"3\""),
        Format::Json,
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
}

#[test]
fn completeness_lists_every_gap_and_history_every_change() {
    let profile = fixture("ecg-gateway");
    let c = catalogs().get("mfds-2019").unwrap();
    let mut ws = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    let list = checklist::evaluate(catalogs(), ruleset(), c, &profile, &BTreeMap::new(), &ws);
    let gaps = list.gaps();
    let of = |id: &str, gaps: &[Gap]| {
        gaps.iter()
            .filter(|g| g.item == id)
            .map(|g| g.kind)
            .collect::<Vec<_>>()
    };
    // Prefilled from the seed: only evidence and tests are missing.
    assert_eq!(of("1.1", &gaps), [GapKind::Evidence, GapKind::NoTest]);
    // Not applicable: no gaps.
    assert!(of("1.12", &gaps).is_empty());
    let before = ws.clone();
    let item = ws.items.get_mut("1.1").unwrap();
    let evidence = EvidenceRef {
        id: "e1".into(),
        sha256: "ab".repeat(32),
        filename: "VVT-SW-001.pdf".into(),
    };
    item.attachments.push(Attachment {
        document: "VVT-SW-001".into(),
        evidence: Some(evidence.clone()),
    });
    item.tests.push(TestRecord {
        by: "kim".into(),
        on: "2026-11-20".into(),
        result: TestResult::Fail,
        note: String::new(),
        evidence: None,
    });
    let list = checklist::evaluate(catalogs(), ruleset(), c, &profile, &BTreeMap::new(), &ws);
    assert_eq!(of("1.1", &list.gaps()), [GapKind::TestNotPassed]);
    ws.items.get_mut("1.1").unwrap().tests.push(TestRecord {
        by: "kim".into(),
        on: "2026-11-21".into(),
        result: TestResult::Pass,
        note: "재시험".into(),
        evidence: Some(evidence),
    });
    let list = checklist::evaluate(catalogs(), ruleset(), c, &profile, &BTreeMap::new(), &ws);
    assert!(of("1.1", &list.gaps()).is_empty());
    let changes = before.diff(&ws);
    let fields: Vec<_> = changes.iter().map(|c| (c.item.as_str(), c.field)).collect();
    assert_eq!(fields, [("1.1", "attachments"), ("1.1", "tests")]);
    assert!(ws.diff(&ws).is_empty());
}

#[test]
fn prefill_names_this_device_and_refuses_non_checklists() {
    let profile = fixture("infusion-pump");
    let ws = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    assert!(ws.items["1.1"].test_method[1].contains("스마트 수액펌프"));
    assert_eq!(
        ws.edition,
        catalogs().get("mfds-2019").unwrap().catalog.edition
    );
    assert!(Workspace::prefill(catalogs(), "kisa-dh", &profile).is_err());
    assert!(Workspace::prefill(catalogs(), "nope", &profile).is_err());
    let ws = Workspace::prefill(catalogs(), "mfds-2024", &profile).unwrap();
    assert_eq!(ws.items.len(), 35);
}

#[test]
fn a_2019_checklist_carries_to_2024_with_its_documents_and_gaps() {
    let profile = fixture("ecg-gateway");
    let mut old = Workspace::prefill(catalogs(), "mfds-2019", &profile).unwrap();
    let evidence = EvidenceRef {
        id: "e1".into(),
        sha256: "ab".repeat(32),
        filename: "VVT-SW-001.pdf".into(),
    };
    let item = old.items.get_mut("1.9").unwrap();
    item.attachments.push(Attachment {
        document: "VVT-SW-009".into(),
        evidence: Some(evidence),
    });
    item.tests.push(TestRecord {
        by: "kim".into(),
        on: "2026-01-02".into(),
        result: TestResult::Pass,
        note: String::new(),
        evidence: None,
    });
    let carried = old.carry(catalogs(), "mfds-2024", &profile).unwrap();
    // 1.9 (password rules) becomes IA-05 with its document and steps.
    assert_eq!(carried.sources["IA-05"], ["1.9"]);
    let ia05 = &carried.workspace.items["IA-05"];
    assert_eq!(ia05.attachments[0].document, "VVT-SW-009");
    assert!(
        ia05.tests.is_empty(),
        "test records tested the old requirement"
    );
    assert!(!ia05.test_method.is_empty());
    assert!(
        ia05.note
            .as_deref()
            .unwrap()
            .contains("mfds-2019 1.9에서 옮겨 옴")
    );
    // 1.1, 1.3 and 1.4 all reach IA-01.
    assert_eq!(carried.sources["IA-01"], ["1.1", "1.3", "1.4"]);
    // Requirements new in 2024 stay empty and are listed.
    assert!(carried.gaps.contains(&"IA-08".to_owned()));
    assert!(!carried.sources.contains_key("IA-08"));
    assert_eq!(carried.workspace.catalog, "mfds-2024");
    assert_eq!(carried.workspace.items.len(), 35);
}

#[test]
fn ward_ecg_patch_system() {
    // The threat model's full example: network and service-tool updates,
    // USB and a debug port, logins, stored data: every MFDS 2019 item
    // applies, for the reasons the table names.
    let t = check_table("ecg-patch-gateway");
    let c = catalogs().get("mfds-2019").unwrap();
    for item in &c.item {
        assert!(
            applies(&t, &format!("mfds-2019:{}", item.id)),
            "{}",
            item.id
        );
    }
    let reason = |reference: &str| {
        t.catalogs
            .iter()
            .flat_map(|(_, d)| d)
            .find(|d| d.reference == reference)
            .map(|d| d.reason_ko.clone())
            .unwrap()
    };
    assert!(
        reason("mfds-2019:1.12").contains("업데이트"),
        "{}",
        reason("mfds-2019:1.12")
    );
    assert!(
        reason("mfds-2019:1.18").contains("물리적 통신포트"),
        "{}",
        reason("mfds-2019:1.18")
    );
    assert!(
        reason("mfds-2024:SI-02").contains("이동식 매체"),
        "{}",
        reason("mfds-2024:SI-02")
    );
}
