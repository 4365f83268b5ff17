//! The risk register: the first register of the fixtures, the harm rules,
//! the exploitability mapping, the matrix, evaluation, and errors that
//! name the entry and field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::build::harm_of;
use super::*;
use crate::evidence::sbom::{SbomComponent, SbomFinding, Vex, VexJustification, VexStatus};
use crate::profile::{Profile, SecurityLevel};
use crate::threat::{Category, DataKind, Severity, Status, Stride, Threat, ThreatModel};

fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap()
}

fn profile(name: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/devices/{name}.toml"));
    Profile::parse(&std::fs::read_to_string(path).unwrap(), Format::Toml).unwrap()
}

fn register(name: &str) -> (ThreatModel, Register) {
    let p = profile(name);
    let m = ThreatModel::from_profile(&p, catalogs()).unwrap();
    let r = Register::from_threat_model(&m, &HarmBasis::of(&p), catalogs());
    (m, r)
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/risk")
}

/// One line per risk and control, for the reviewed snapshot.
fn render(r: &Register) -> String {
    let mut out = String::new();
    for c in &r.controls {
        out.push_str(&format!(
            "control {} {} [{}]\n",
            c.id,
            c.title.ko,
            c.catalog_items.join(" ")
        ));
    }
    for (risk, e) in r.risks.iter().zip(r.evaluate().unwrap()) {
        out.push_str(&format!(
            "risk {} exploitability={} ({:?}) harm={} before={} controls={}\n",
            risk.id,
            e.exploitability.as_str(),
            e.exploitability_source,
            e.severity.as_str(),
            e.before.as_str(),
            risk.controls.join(",")
        ));
    }
    out
}

/// Compares with `fixtures/risk/NAME.expected`; `MEDSEC_BLESS=1` rewrites
/// it for review.
fn check_snapshot(name: &str, actual: &str) {
    let path = snapshot_dir().join(format!("{name}.expected"));
    if std::env::var_os("MEDSEC_BLESS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (a, e) in actual.lines().zip(expected.lines()) {
        assert_eq!(a, e, "{name}: differs from {}", path.display());
    }
    assert_eq!(
        actual.lines().count(),
        expected.lines().count(),
        "{name}: length differs from {}",
        path.display()
    );
}

#[test]
fn every_fixture_gets_a_register_that_checks_and_round_trips() {
    for name in [
        "ecg-gateway",
        "ecg-patch-gateway",
        "infusion-pump",
        "imaging-workstation",
        "mobile-samd",
    ] {
        let (m, r) = register(name);
        r.check(catalogs())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // One risk per threat, each with at least one control that exists.
        assert_eq!(r.risks.len(), m.threats().len(), "{name}");
        for risk in &r.risks {
            assert!(!risk.controls.is_empty(), "{name} {}", risk.id);
            assert_eq!(risk.source, RiskSource::Threat);
            assert!(risk.exploitability.estimate.is_some());
            assert!(!risk.harm.rationale.ko.is_empty() && !risk.harm.rationale.en.is_empty());
        }
        for c in &r.controls {
            assert!(c.suggested && c.status == ControlStatus::Planned);
        }
        let toml_text = r.to_toml().unwrap();
        assert_eq!(
            Register::parse(&toml_text, Format::Toml, catalogs()).unwrap(),
            r,
            "{name}"
        );
        let json = r.to_json().unwrap();
        assert_eq!(
            Register::parse(&json, Format::Json, catalogs()).unwrap(),
            r,
            "{name}"
        );
        // The same model gives the same register.
        assert_eq!(register(name).1, r);
        check_snapshot(name, &render(&r));
    }
}

#[test]
fn the_ecg_gateway_register_follows_the_rules() {
    let (_, r) = register("ecg-gateway");
    let eval = r.evaluate().unwrap();
    let e = |id: &str| eval.iter().find(|e| e.risk == id).unwrap();
    // The gateway sends over the Internet: high; spoofing it forges ECG
    // data (안전성 등급 중 → serious): ALARP review.
    let s = e("R-TM-gateway-S");
    assert_eq!(
        (s.exploitability, s.severity, s.before),
        (
            ExploitabilityLevel::High,
            HarmSeverity::Serious,
            RiskLevel::AlarpReview
        )
    );
    assert_eq!(s.exploitability_source, ExploitabilitySource::Estimate);
    // Eavesdropping on the ECG data in transit: a privacy harm, minor.
    assert_eq!(e("R-TM-gateway-to-server-I").severity, HarmSeverity::Minor);
    // The records database inside the hospital: low exploitability.
    assert_eq!(
        e("R-TM-ecg-records-T").exploitability,
        ExploitabilityLevel::Low
    );
    assert_eq!(e("R-TM-ecg-records-R").severity, HarmSeverity::Negligible);
    // Nothing is credited or accepted yet: residual = before.
    assert!(
        eval.iter()
            .all(|x| x.residual == x.before && !x.residual_assessed)
    );
    // The controls come from the KISA 보안항목 the threats' KISA threats
    // name, with the crosswalk's MFDS items.
    let auth = r.control("C-user-auth").unwrap();
    assert_eq!(auth.title, Text::new("사용자 인증", "User authentication"));
    for item in ["kisa-dh:1.1.1", "mfds-2024:IA-01", "mfds-2019:1.1"] {
        assert!(auth.catalog_items.iter().any(|i| i == item), "{item}");
    }
    let risk = r.risk("R-TM-gateway-S").unwrap();
    assert!(risk.controls.contains(&"C-user-auth".to_owned()));
    assert_eq!(risk.threat.as_deref(), Some("TM-gateway-S"));
}

fn threat(category: Stride) -> Threat {
    Threat {
        id: "TM-x".into(),
        subject: "x".into(),
        category: Category::Stride(category),
        title: Text::same("x"),
        description: Text::same("x"),
        mitigation: Text::default(),
        status: Status::Open,
        severity: Severity::Medium,
        score: String::new(),
        number: None,
        kisa: Vec::new(),
        requirements: Vec::new(),
        controls: Vec::new(),
        crossing: false,
        generated: true,
    }
}

/// The harm table of the module documentation, row by row.
#[test]
fn harm_rules() {
    use DataKind::*;
    use HarmSeverity::*;
    use Stride::*;
    let check =
        |s: Stride, data: &[DataKind], level: Option<SecurityLevel>, expect: HarmSeverity| {
            let basis = HarmBasis {
                security_level: level,
            };
            let data: BTreeSet<DataKind> = data.iter().copied().collect();
            let got = harm_of(&threat(s), &data, &basis);
            assert_eq!(got.severity, expect, "{s:?} {data:?} {level:?}");
            assert!(!got.rationale.ko.is_empty() && !got.description.en.is_empty());
        };
    let (hi, mid, lo) = (
        Some(SecurityLevel::High),
        Some(SecurityLevel::Medium),
        Some(SecurityLevel::Low),
    );
    check(Tampering, &[Control], hi, Catastrophic);
    check(Tampering, &[Control], mid, Critical);
    check(Spoofing, &[Control], lo, Critical);
    check(Tampering, &[PatientData], hi, Catastrophic);
    check(ElevationOfPrivilege, &[Firmware], mid, Serious);
    check(Spoofing, &[Credentials], lo, Minor);
    check(Tampering, &[PatientData], None, Serious);
    check(DenialOfService, &[Control], hi, Critical);
    check(DenialOfService, &[Control], lo, Serious);
    check(DenialOfService, &[PatientData], hi, Critical);
    check(DenialOfService, &[PatientData], mid, Minor);
    check(DenialOfService, &[Firmware], lo, Negligible);
    check(
        InformationDisclosure,
        &[Credentials, PatientData],
        hi,
        Critical,
    );
    check(InformationDisclosure, &[PatientData], hi, Minor);
    check(Repudiation, &[Control], hi, Minor);
    check(Repudiation, &[PatientData], hi, Negligible);
    check(Tampering, &[Logs], hi, Negligible);
    check(InformationDisclosure, &[], hi, Negligible);
}

#[test]
fn the_infusion_pumps_control_commands_are_catastrophic() {
    let (m, r) = register("infusion-pump");
    let control_flows: Vec<&str> = m
        .flows
        .iter()
        .filter(|f| f.data.contains(&DataKind::Control))
        .map(|f| f.id.as_str())
        .collect();
    assert!(!control_flows.is_empty());
    for f in control_flows {
        let t = r.risk(&format!("R-TM-{f}-T")).unwrap();
        assert_eq!(t.harm.severity, HarmSeverity::Catastrophic, "{f}");
        let d = r.risk(&format!("R-TM-{f}-D")).unwrap();
        assert_eq!(d.harm.severity, HarmSeverity::Critical, "{f}");
    }
}

fn level(vector: &str) -> ExploitabilityLevel {
    exploitability_of(&medsec_cvss::Vector::parse(vector).unwrap()).0
}

#[test]
fn exploitability_from_cvss() {
    use ExploitabilityLevel::*;
    for (vector, expect) in [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", VeryHigh),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", VeryHigh),
        ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", High),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", High),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", High),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", Medium),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Medium),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", Low),
        ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Low),
        ("CVSS:3.1/AV:P/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", VeryLow),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", VeryLow),
        // v4.0: AT:P counts as high complexity, passive UI as required.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            VeryHigh,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            High,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            Medium,
        ),
        // v2: Au:S as a low privilege, AC:M as high complexity.
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", VeryHigh),
        ("AV:N/AC:M/Au:N/C:P/I:P/A:P", Medium),
        ("AV:A/AC:L/Au:S/C:C/I:C/A:C", Medium),
    ] {
        assert_eq!(level(vector), expect, "{vector}");
    }
    let (_, why) = exploitability_of(
        &medsec_cvss::Vector::parse("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap(),
    );
    assert_eq!(
        why.en,
        "CVSS 3.1 exploitability metrics AV:A/AC:L/PR:N/UI:N → reference score 8.8 (CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H) → exploitability high"
    );
}

/// Making any exploitability metric easier never lowers the level.
#[test]
fn exploitability_is_monotonic_in_every_metric() {
    let metrics: [(&str, &[&str]); 4] = [
        ("AV", &["P", "L", "A", "N"]),
        ("AC", &["H", "L"]),
        ("PR", &["H", "L", "N"]),
        ("UI", &["R", "N"]),
    ];
    let mut seen = BTreeSet::new();
    for av in metrics[0].1 {
        for ac in metrics[1].1 {
            for pr in metrics[2].1 {
                for ui in metrics[3].1 {
                    let values = [*av, *ac, *pr, *ui];
                    let vector = |v: [&str; 4]| {
                        format!(
                            "CVSS:3.1/AV:{}/AC:{}/PR:{}/UI:{}/S:U/C:L/I:N/A:N",
                            v[0], v[1], v[2], v[3]
                        )
                    };
                    let here = level(&vector(values));
                    seen.insert(here);
                    for (i, (_, order)) in metrics.iter().enumerate() {
                        let at = order.iter().position(|x| *x == values[i]).unwrap();
                        if let Some(easier) = order.get(at + 1) {
                            let mut e = values;
                            e[i] = easier;
                            assert!(
                                level(&vector(e)) >= here,
                                "{} vs {}",
                                vector(e),
                                vector(values)
                            );
                        }
                    }
                }
            }
        }
    }
    assert_eq!(seen.len(), 5, "every level is reachable");
}

#[test]
fn the_default_matrix_is_the_documented_one() {
    use RiskLevel::*;
    let m = RiskMatrix::default();
    assert_eq!(
        m.very_high,
        [
            AlarpReview,
            AlarpReview,
            Unacceptable,
            Unacceptable,
            Unacceptable
        ]
    );
    assert_eq!(
        m.high,
        [
            Acceptable,
            AlarpReview,
            AlarpReview,
            Unacceptable,
            Unacceptable
        ]
    );
    assert_eq!(
        m.medium,
        [
            Acceptable,
            Acceptable,
            AlarpReview,
            AlarpReview,
            Unacceptable
        ]
    );
    assert_eq!(
        m.low,
        [Acceptable, Acceptable, Acceptable, AlarpReview, AlarpReview]
    );
    assert_eq!(
        m.very_low,
        [Acceptable, Acceptable, Acceptable, Acceptable, AlarpReview]
    );
    assert_eq!(m.check(), Ok(()));
    let mut bad = m.clone();
    bad.high[3] = Acceptable;
    let (field, message) = bad.check().unwrap_err();
    assert_eq!(field, "high[3]");
    assert!(
        message.contains("a more severe harm must not lower the risk"),
        "{message}"
    );
    let mut bad = m;
    bad.medium[1] = Unacceptable;
    let (field, message) = bad.check().unwrap_err();
    assert_eq!(field, "medium[2]");
    assert!(
        message.contains("a more severe harm must not lower the risk"),
        "{message}"
    );
    let mut bad = RiskMatrix::default();
    bad.very_high[0] = Acceptable;
    bad.very_high[1] = Acceptable;
    let (field, message) = bad.check().unwrap_err();
    assert_eq!(field, "very-high[1]");
    assert!(
        message.contains("a higher exploitability must not lower the risk"),
        "{message}"
    );
}

const MINIMAL: &str = r#"
schema = "medsec-risk-register/1"
title = "테스트 기기"

[[control]]
id = "C-tls"
title = { ko = "TLS 1.2 이상", en = "TLS 1.2 or later" }
catalog_items = ["mfds-2019:1.15"]

[[risk]]
id = "R-1"
title = { ko = "전송 중 변조", en = "Tampering in transit" }
controls = ["C-tls"]

[risk.vulnerability]
description = { ko = "평문 전송", en = "Plain-text transfer" }
cwe = ["CWE-319"]

[risk.exploitability]
vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"

[risk.harm]
severity = "serious"
"#;

fn parse_err(text: &str) -> String {
    Register::parse(text, Format::Toml, catalogs())
        .unwrap_err()
        .to_string()
}

#[test]
fn errors_name_the_entry_and_field() {
    let r = Register::parse(MINIMAL, Format::Toml, catalogs()).unwrap();
    assert_eq!(
        r.risks[0].exploitability.vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N")
    );
    for (from, to, expect) in [
        (
            "AV:N/AC:L/PR:N/UI:N/S:U/C:N",
            "AV:N/AC:L/PR:N/UI:Q/S:U/C:N",
            "risk `R-1`.exploitability.vector: `CVSS:3.1/AV:N/AC:L/PR:N/UI:Q/S:U/C:N/I:H/A:N` is not a CVSS vector",
        ),
        (
            "severity = \"serious\"",
            "severity = \"grave\"",
            "risk `R-1`.harm.severity: unknown variant `grave`",
        ),
        (
            "cwe = [\"CWE-319\"]",
            "cwe = [\"319\"]",
            "risk `R-1`.vulnerability.cwe[0]: `319` is not a CWE id (CWE-N)",
        ),
        (
            "controls = [\"C-tls\"]",
            "controls = [\"C-tls\", \"C-x\"]",
            "risk `R-1`.controls[1]: `C-x` names no control of the register",
        ),
        (
            "catalog_items = [\"mfds-2019:1.15\"]",
            "catalog_items = [\"mfds-2019:9.9\"]",
            "control `C-tls`.catalog_items[0]: `mfds-2019:9.9` names no catalogue item",
        ),
        (
            "catalog_items = [\"mfds-2019:1.15\"]",
            "colour = \"red\"",
            "control `C-tls`.colour: unknown field `colour`",
        ),
        ("id = \"R-1\"\n", "", "risk[0]: missing field `id`"),
        (
            "id = \"R-1\"\n",
            "id = \"R 1\"\n",
            "risk `R 1`.id: `R 1` must be 1 to 200 letters",
        ),
        (
            "schema = \"medsec-risk-register/1\"",
            "schema = \"medsec-risk-register/2\"",
            "register.schema: is `medsec-risk-register/2`, expected `medsec-risk-register/1`",
        ),
        (
            "title = \"테스트 기기\"",
            "title = \"테스트 기기\"\nowner = \"x\"",
            "register.owner: unknown field (expected schema, title, matrix, control, risk)",
        ),
        (
            "[risk.harm]",
            "[risk.acceptance]\nby = \"품질책임자\"\non = \"2025-13-01\"\nrationale = \"x\"\n\n[risk.harm]",
            "risk `R-1`.acceptance.on: `2025-13-01` is not a date (YYYY-MM-DD)",
        ),
        (
            "[risk.harm]",
            "[risk.residual]\nexploitability = \"low\"\n\n[risk.harm]",
            "risk `R-1`.residual.rationale: a residual assessment needs a rationale",
        ),
        (
            "vector = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N\"",
            "level = \"low\"",
            "risk `R-1`.exploitability.rationale: a stated level needs a rationale",
        ),
        (
            "vector = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N\"",
            "vector = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N\"\nrubric = { answers = { XAVN = \"maybe\" } }",
            "risk `R-1`.exploitability.rubric: answers.XAVN: `maybe` is not an answer to AV Q1 (one of: yes, no)",
        ),
    ] {
        assert!(MINIMAL.contains(from), "{from}");
        let text = MINIMAL.replacen(from, to, 1);
        let got = parse_err(&text);
        assert!(got.starts_with(expect), "expected {expect}\n     got {got}");
    }
    // A matrix of the register's own, not monotonic.
    let text = MINIMAL.replacen(
        "[[control]]",
        "[matrix]\nvery-high = [\"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\"]\nhigh = [\"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\"]\nmedium = [\"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\"]\nlow = [\"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\"]\nvery-low = [\"acceptable\", \"acceptable\", \"acceptable\", \"acceptable\", \"unacceptable\"]\n\n[[control]]",
        1,
    );
    assert!(
        parse_err(&text).starts_with(
            "matrix.low[4]: is acceptable but very-low exploitability gives unacceptable"
        ),
        "{}",
        parse_err(&text)
    );
    // Syntax errors keep the parser's line.
    assert!(
        parse_err("schema = ").contains("line 1"),
        "{}",
        parse_err("schema = ")
    );
    // JSON names the same entries.
    let json = r#"{"schema":"medsec-risk-register/1","title":"t","risk":[{"id":"R-9","title":{"ko":"a","en":"a"},"vulnerability":{"description":{"ko":"a","en":"a"}},"harm":{"severity":"minor","extra":1}}]}"#;
    let got = Register::parse(json, Format::Json, catalogs())
        .unwrap_err()
        .to_string();
    assert!(
        got.starts_with("risk `R-9`.harm.extra: unknown field `extra`"),
        "{got}"
    );
}

#[test]
fn evaluation_uses_the_first_source_that_is_set() {
    let mut r = Register::parse(MINIMAL, Format::Toml, catalogs()).unwrap();
    let e = &r.evaluate().unwrap()[0];
    // AV:N/AC:L/PR:N/UI:N: very high; serious harm: unacceptable.
    assert_eq!(e.exploitability_source, ExploitabilitySource::Vector);
    assert_eq!(e.exploitability, ExploitabilityLevel::VeryHigh);
    assert_eq!(e.base_score, Some(7.5));
    assert_eq!(e.before, RiskLevel::Unacceptable);
    assert!(e.needs_acceptance);

    // The rubric's answers decide (and must agree with the vector).
    let answers = rubric::Answers::default()
        .with("XAVN", "no")
        .with("XAVT", "no")
        .with("XAVW", "yes")
        .with("XACL", "yes")
        .with("XPRL", "yes")
        .with("XUI", "no")
        .with("XS", "no");
    let answers = [
        "XCP", "XCD", "XCT", "XCW", "XCS", "XCO", "XIP", "XIT", "XIW", "XIS", "XIO", "XAP", "XAD",
        "XAT", "XAW", "XAS", "XAO",
    ]
    .iter()
    .fold(answers, |a, k| a.with(k, "none"))
    .with("XID", "high");
    r.risks[0].exploitability.rubric = Some(answers);
    let err = r.check(catalogs()).unwrap_err().to_string();
    assert_eq!(
        err,
        "risk `R-1`.exploitability.vector: is CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N but the rubric's answers give CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"
    );
    r.risks[0].exploitability.vector = None;
    r.check(catalogs()).unwrap();
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(e.exploitability_source, ExploitabilitySource::Rubric);
    assert_eq!(e.exploitability, ExploitabilityLevel::High);
    assert_eq!(
        e.vector.as_deref(),
        Some("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N")
    );
    assert_eq!(e.rubric.as_ref().map(|a| a.base_score), Some(6.5));
    assert_eq!(e.before, RiskLevel::AlarpReview);

    // A stated level overrides both.
    r.risks[0].exploitability.level = Some(ExploitabilityLevel::Low);
    r.risks[0].exploitability.rationale = Text::new(
        "병동 VLAN 안에서만 닿음",
        "Only reachable from the ward VLAN",
    );
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(
        (e.exploitability_source, e.exploitability, e.before),
        (
            ExploitabilitySource::Stated,
            ExploitabilityLevel::Low,
            RiskLevel::Acceptable
        )
    );
    assert!(!e.needs_acceptance);

    // Nothing at all: very high until assessed.
    r.risks[0].exploitability = Exploitability::default();
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(e.exploitability_source, ExploitabilitySource::Unassessed);
    assert_eq!(e.exploitability, ExploitabilityLevel::VeryHigh);
}

#[test]
fn residual_risk_takes_credit_only_when_assessed_and_acceptance_closes_it() {
    let mut r = Register::parse(MINIMAL, Format::Toml, catalogs()).unwrap();
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(
        (e.before, e.residual),
        (RiskLevel::Unacceptable, RiskLevel::Unacceptable)
    );
    assert!(!e.residual_assessed);
    // With TLS, an attacker needs to defeat the session: re-scored.
    r.risks[0].residual = Residual {
        vector: Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N".into()),
        exploitability: None,
        severity: None,
        rationale: Text::new("TLS 1.2 상호 인증", "Mutual TLS 1.2"),
    };
    r.check(catalogs()).unwrap();
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(e.residual_exploitability, ExploitabilityLevel::Medium);
    assert_eq!(e.residual, RiskLevel::AlarpReview);
    assert!(e.residual_assessed && e.needs_acceptance);
    r.risks[0].acceptance = Some(Acceptance {
        by: "김보안 (품질책임자)".into(),
        on: "2025-03-02".into(),
        rationale: "추가 통제는 실행 불가능하며 원격 모니터링의 이익이 위험보다 큼".into(),
    });
    r.check(catalogs()).unwrap();
    let e = &r.evaluate().unwrap()[0];
    assert!(e.accepted && !e.needs_acceptance);
    // TOML dates may be written unquoted.
    let text = r
        .to_toml()
        .unwrap()
        .replace("on = \"2025-03-02\"", "on = 2025-03-02");
    assert!(text.contains("on = 2025-03-02\n"));
    assert_eq!(Register::parse(&text, Format::Toml, catalogs()).unwrap(), r);
}

#[test]
fn user_edits_survive_adding_threats_again() {
    let p = profile("ecg-gateway");
    let (m, mut r) = register("ecg-gateway");
    r.risks[0].harm.severity = HarmSeverity::Critical;
    r.controls[0].status = ControlStatus::Verified;
    let before = r.clone();
    assert!(r.add_threats(&m, &HarmBasis::of(&p), catalogs()).is_empty());
    assert_eq!(r, before);
    // A threat marked not applicable gets no risk; a new one does.
    let mut m2 = m.clone();
    m2.threats[0].status = Status::NotApplicable;
    let fresh = Register::from_threat_model(&m2, &HarmBasis::of(&p), catalogs());
    assert_eq!(fresh.risks.len(), m.threats().len() - 1);
    let mut extra = m.threats[0].clone();
    extra.id = "TM-gateway-S-2".into();
    m2.threats.push(extra);
    assert_eq!(
        r.add_threats(&m2, &HarmBasis::of(&p), catalogs()),
        ["R-TM-gateway-S-2"]
    );
}

fn finding(vuln: &str, purl: &str, cvss: Option<&str>, vex: Option<Vex>) -> SbomFinding {
    SbomFinding {
        component: SbomComponent {
            name: "openssl".into(),
            version: Some("1.1.1k".into()),
            purl: Some(purl.into()),
        },
        vulnerability: vuln.into(),
        aliases: vec!["GHSA-xxxx-yyyy-zzzz".into()],
        summary: "Buffer overflow".into(),
        cvss: cvss.map(str::to_owned),
        cwe: vec!["CWE-120".into()],
        kev: false,
        vex,
    }
}

#[test]
fn open_sbom_findings_become_risks() {
    let p = profile("ecg-gateway");
    let mut r = Register::new("t");
    let findings = [
        finding(
            "CVE-2021-3711",
            "pkg:generic/openssl@1.1.1k",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None,
        ),
        finding(
            "CVE-2021-3712",
            "pkg:generic/openssl@1.1.1k",
            None,
            Some(Vex {
                status: VexStatus::NotAffected,
                justification: Some(VexJustification::VulnerableCodeNotInExecutePath),
                statement: None,
            }),
        ),
    ];
    let added = r.add_sbom_findings(&findings, &HarmBasis::of(&p));
    assert_eq!(added, ["R-SBOM-CVE-2021-3711-pkg:generic-openssl@1.1.1k"]);
    r.check(catalogs()).unwrap();
    let risk = &r.risks[0];
    assert_eq!(risk.source, RiskSource::Sbom);
    assert_eq!(risk.vulnerability.cve, ["CVE-2021-3711"]);
    assert_eq!(risk.vulnerability.cwe, ["CWE-120"]);
    assert_eq!(risk.harm.severity, HarmSeverity::Serious);
    let e = &r.evaluate().unwrap()[0];
    assert_eq!(e.before, RiskLevel::Unacceptable);
    // Again: nothing new.
    assert!(
        r.add_sbom_findings(&findings, &HarmBasis::of(&p))
            .is_empty()
    );
}
