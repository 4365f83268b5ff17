//! `medsec risk init|update|check|rubric` with the real binary over the
//! example devices: the register written equals the library's, updates
//! keep edits, checks give each risk's levels and the exit status, and
//! rubric answers are assessed as `Answers::assess` does.

use std::path::Path;

use medsec_assure::Register;
use medsec_assure::profile::{Format, Profile};
use medsec_assure::risk::{HarmBasis, RiskLevel};
use medsec_assure::rubric::{Answers, Metric};

use crate::threat::{device, library_model};
use crate::{run, text};

fn library_register(name: &str) -> Register {
    let profile = Profile::parse(
        &std::fs::read_to_string(device(name)).unwrap(),
        Format::Toml,
    )
    .unwrap();
    Register::from_threat_model(
        &library_model(name),
        &HarmBasis::of(&profile),
        medsec_catalog::catalogs().unwrap(),
    )
}

fn read_register(path: &Path) -> Register {
    let format = Format::from_path(path.to_str().unwrap());
    Register::parse(
        &std::fs::read_to_string(path).unwrap(),
        format,
        medsec_catalog::catalogs().unwrap(),
    )
    .unwrap()
}

fn init(name: &str, out: &Path) {
    let o = run(&[
        "risk",
        "init",
        device(name).to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn risk_init_writes_the_first_register() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ecg-gateway", "ecg-patch-gateway"] {
        let expected = library_register(name);
        let toml = dir.path().join(format!("{name}.toml"));
        init(name, &toml);
        assert_eq!(
            std::fs::read_to_string(&toml).unwrap(),
            expected.to_toml().unwrap(),
            "{name}"
        );
        let json = dir.path().join(format!("{name}.json"));
        init(name, &json);
        assert_eq!(read_register(&json), expected, "{name}");
        // An existing register is not overwritten by accident.
        let again = run(&[
            "risk",
            "init",
            device(name).to_str().unwrap(),
            "-o",
            toml.to_str().unwrap(),
        ]);
        assert_eq!(again.status.code(), Some(1));
        assert!(
            text(&again.stderr).contains("exists; use `medsec risk update`"),
            "{}",
            text(&again.stderr)
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")),
        "no temporary file is left"
    );
}

#[test]
fn risk_init_adds_sbom_findings() {
    let dir = tempfile::tempdir().unwrap();
    // The hand-over form: a JSON array of findings.
    let handed = dir.path().join("findings.json");
    std::fs::write(
        &handed,
        serde_json::json!([
            {"component": {"name": "openssl", "version": "1.1.1k", "purl": "pkg:generic/openssl@1.1.1k"},
             "vulnerability": "CVE-2022-0778", "summary": "Infinite loop in BN_mod_sqrt()",
             "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
            {"component": {"name": "zlib", "version": "1.2.11"},
             "vulnerability": "CVE-2018-25032",
             "vex": {"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}}
        ])
        .to_string(),
    )
    .unwrap();
    // What `medsec sbom scan --format json` writes.
    let scan = dir.path().join("scan.json");
    std::fs::write(
        &scan,
        serde_json::json!({
            "source": "gateway.cdx.json", "components": 3,
            "findings": [
                {"component": {"name": "lodash", "version": "4.17.11", "purl": "pkg:npm/lodash@4.17.11", "cpes": []},
                 "id": "CVE-2019-10744", "aliases": ["GHSA-jf85-cpcp-j695"], "summary": "Prototype Pollution in lodash",
                 "reasons": [], "cvss": {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", "score": 9.1, "origin": "osv", "by": ""},
                 "level": "critical", "kev": null, "epss": null, "priority": 9.1, "informational": null, "fixed": ["4.17.12"]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    for (file, ids) in [
        (
            &handed,
            vec!["R-SBOM-CVE-2022-0778-pkg:generic-openssl@1.1.1k"],
        ),
        (&scan, vec!["R-SBOM-CVE-2019-10744-pkg:npm-lodash@4.17.11"]),
    ] {
        let out = dir.path().join("reg.toml");
        let _ = std::fs::remove_file(&out);
        let o = run(&[
            "risk",
            "init",
            device("ecg-gateway").to_str().unwrap(),
            "--findings",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let register = read_register(&out);
        let sbom: Vec<&str> = register
            .risks
            .iter()
            .filter(|r| r.id.starts_with("R-SBOM-"))
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(sbom, ids, "only open findings become risks");
        assert_eq!(
            register.risks.len(),
            library_register("ecg-gateway").risks.len() + 1
        );
    }
    // A finding with a broken vector is named.
    std::fs::write(
        &handed,
        r#"[{"component": {"name": "x"}, "vulnerability": "CVE-2024-0001", "cvss": "CVSS:3.1/AV:Q"}]"#,
    )
    .unwrap();
    let o = run(&[
        "risk",
        "init",
        device("ecg-gateway").to_str().unwrap(),
        "--findings",
        handed.to_str().unwrap(),
        "-o",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("findings.json: finding [0] CVE-2024-0001 in x: cvss: `CVSS:3.1/AV:Q` is not a CVSS vector"),
        "{err}"
    );
    assert!(!dir.path().join("bad.toml").exists());
}

#[test]
fn risk_update_adds_new_threats_and_keeps_edits() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("reg.toml");
    init("ecg-gateway", &reg);
    let mut register = read_register(&reg);
    let total = register.risks.len();
    // The user edits one risk and deletes another.
    let removed = register.risks.remove(1).id;
    register.risks[0].note = "검토: 2026-11-20 보안팀".into();
    register.risks[0].exploitability.vector =
        Some("CVSS:3.1/AV:A/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:N".into());
    let edited = register.risks[0].clone();
    std::fs::write(&reg, register.to_toml().unwrap()).unwrap();
    let o = run(&[
        "risk",
        "update",
        device("ecg-gateway").to_str().unwrap(),
        reg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), format!("{removed}\n"));
    assert!(
        text(&o.stderr).contains("1 risks added"),
        "{}",
        text(&o.stderr)
    );
    let after = read_register(&reg);
    assert_eq!(after.risks.len(), total);
    assert_eq!(after.risk(&edited.id), Some(&edited), "edits are kept");
    // Nothing new: nothing printed, the file unchanged.
    let before = std::fs::read(&reg).unwrap();
    let o = run(&[
        "risk",
        "update",
        device("ecg-gateway").to_str().unwrap(),
        reg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read(&reg).unwrap(), before);
    // The larger system's threats added to the smaller one's register.
    let o = run(&[
        "risk",
        "update",
        device("ecg-patch-gateway").to_str().unwrap(),
        reg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!o.stdout.is_empty());
}

#[test]
fn risk_check_prints_levels_and_fails_on_unaccepted_unacceptable_risk() {
    let dir = tempfile::tempdir().unwrap();
    // The ECG gateway: nothing unacceptable, some for ALARP review.
    let reg = dir.path().join("ecg.toml");
    init("ecg-gateway", &reg);
    let register = read_register(&reg);
    let evaluations = register.evaluate().unwrap();
    let o = run(&["risk", "check", reg.to_str().unwrap(), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), evaluations.len() + 1, "{out}");
    for (line, e) in lines.iter().zip(&evaluations) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[0], e.risk);
        assert!(
            fields[1].starts_with(&format!("before {} (", e.before.as_str())),
            "{line}"
        );
        assert!(
            fields[2].starts_with(&format!("after {} (", e.residual.as_str())),
            "{line}"
        );
    }
    assert!(out.contains("\tneeds acceptance\n"), "{out}");
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "risks: {}, unacceptable residual risks not accepted: 0",
            evaluations.len()
        )
    );
    let ko = text(&run(&["risk", "check", reg.to_str().unwrap()]).stdout);
    assert!(ko.contains("\t통제 전 "), "{ko}");
    // JSON: the library's evaluations.
    let json = run(&["risk", "check", reg.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v, serde_json::to_value(&evaluations).unwrap());

    // The infusion pump: unacceptable residual risks until accepted.
    let pump = dir.path().join("pump.toml");
    let o = run(&[
        "risk",
        "init",
        device("infusion-pump").to_str().unwrap(),
        "-o",
        pump.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(&["risk", "check", pump.to_str().unwrap(), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    let mut register = read_register(&pump);
    let bad: Vec<String> = register
        .evaluate()
        .unwrap()
        .into_iter()
        .filter(|e| e.residual == RiskLevel::Unacceptable)
        .map(|e| e.risk)
        .collect();
    assert!(!bad.is_empty());
    for id in &bad {
        assert!(
            out.contains(&format!("\nunacceptable: {id}  ")),
            "{id}: {out}"
        );
    }
    for r in register.risks.iter_mut().filter(|r| bad.contains(&r.id)) {
        r.acceptance = Some(medsec_assure::risk::Acceptance {
            by: "김안전 (위험관리 책임자)".into(),
            on: "2026-11-27".into(),
            rationale: "임상적 이익이 잔여위험보다 큼".into(),
        });
    }
    std::fs::write(&pump, register.to_toml().unwrap()).unwrap();
    let o = run(&["risk", "check", pump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));

    // An invalid register: the file, the entry and the field.
    let broken = dir.path().join("broken.toml");
    let mut register = read_register(&reg);
    register.risks[2].exploitability.vector = Some("CVSS:3.1/AV:N/AC:L".into());
    let id = register.risks[2].id.clone();
    std::fs::write(&broken, register.to_toml().unwrap()).unwrap();
    let o = run(&["risk", "check", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "error: {}: risk `{id}`.exploitability.vector: `CVSS:3.1/AV:N/AC:L` is not a CVSS vector: missing mandatory metrics: PR, UI, S, C, I, A", broken.display()
        )),
        "{err}"
    );
    std::fs::write(
        &broken,
        "schema = \"medsec-risk-register/1\"\ntitle = \"x\"\n[[risk]]\nid = \"R-1\"\nbogus = 1\n",
    )
    .unwrap();
    let err = text(&run(&["risk", "check", broken.to_str().unwrap()]).stderr);
    assert!(
        err.contains("broken.toml: risk `R-1`") && err.contains("bogus"),
        "{err}"
    );
}

/// Complete answers: a network attack at will without privileges or
/// interaction on the gateway's ECG data.
fn answers() -> Answers {
    let mut a = Answers::default()
        .with("XAVN", "yes")
        .with("XACL", "yes")
        .with("XPRL", "yes")
        .with("XUI", "no")
        .with("XS", "no");
    for key in [
        "XCP", "XCD", "XCT", "XCW", "XCS", "XCO", "XIP", "XID", "XIT", "XIW", "XIS", "XIO", "XAP",
        "XAD", "XAT", "XAW", "XAS", "XAO",
    ] {
        a = a.with(key, "none");
    }
    a.with("XID", "high")
        .with("XAD", "low")
        .justify(
            Metric::AttackVector,
            "게이트웨이가 병원망 라우터 뒤에서 접속을 받음",
        )
        .justify(Metric::Integrity, "심전도 파형 변조 시험에서 확인")
}

#[test]
fn risk_rubric_assesses_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = answers();
    // The questionnaire walks to the end with these answers.
    let mut probe = Answers::default();
    while let Some(q) = probe.next() {
        let choice = a
            .answers
            .get(q.key)
            .unwrap_or_else(|| panic!("{} unanswered", q.key));
        probe = probe.with(q.key, choice);
    }
    let assessed = a.assess().unwrap();
    let file = dir.path().join("answers.json");
    std::fs::write(&file, serde_json::to_string(&a).unwrap()).unwrap();
    let o = run(&["risk", "rubric", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}  {:.1} {}",
            assessed.vector, assessed.base_score, assessed.severity
        )
    );
    for m in &assessed.metrics {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{}  ", m.metric.abbrev()))
                    && l.contains(&format!(": {} (", m.value))),
            "{}: {out}",
            m.metric.abbrev()
        );
        for s in &m.steps {
            assert!(
                out.lines()
                    .any(|l| l.starts_with(&format!("  {} {}  ", s.key, s.label))),
                "{}: {out}",
                s.key
            );
        }
    }
    assert!(
        out.contains("  근거: 게이트웨이가 병원망 라우터 뒤에서 접속을 받음\n"),
        "{out}"
    );
    assert!(out.contains("  근거: (없음)\n"), "{out}");
    let json = run(&["risk", "rubric", file.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v, serde_json::to_value(&assessed).unwrap());
    let en = text(&run(&["risk", "rubric", file.to_str().unwrap(), "--lang", "en"]).stdout);
    assert!(en.contains("  justification: (none)\n"), "{en}");

    // Incomplete, unknown and malformed answers are named.
    a.answers.remove("XIT");
    std::fs::write(&file, serde_json::to_string(&a).unwrap()).unwrap();
    let o = run(&["risk", "rubric", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("answers.json: I Q3.I (XIT) is not answered"),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(&file, r#"{"answers": {"XAVN": "maybe"}}"#).unwrap();
    let err = text(&run(&["risk", "rubric", file.to_str().unwrap()]).stderr);
    assert!(
        err.contains("answers.XAVN: `maybe` is not an answer to AV Q1 (one of: yes, no)"),
        "{err}"
    );
    std::fs::write(&file, r#"{"answers": {}, "extra": 1}"#).unwrap();
    let err = text(&run(&["risk", "rubric", file.to_str().unwrap()]).stderr);
    assert!(err.contains("answers.json: unknown field `extra`"), "{err}");
}
