//! The rubric questionnaire: worked examples whose vectors follow from the
//! rubric's flows, every path ending in a valid vector, and errors that
//! name the answer at fault.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use super::*;

/// Answers along one way through a flow: (key, choice) pairs.
type Path = Vec<(&'static str, &'static str)>;

fn answers(list: &[(&str, &str)]) -> Answers {
    list.iter()
        .fold(Answers::default(), |a, (k, c)| a.with(k, c))
}

/// No impact in any category but the ones listed.
fn with_impacts(
    base: &[(&'static str, &'static str)],
    impacts: &[(&'static str, &'static str)],
) -> Answers {
    let mut a = answers(base);
    for m in [
        Metric::Confidentiality,
        Metric::Integrity,
        Metric::Availability,
    ] {
        for e in m.entries() {
            a = a.with(e, "none");
        }
    }
    for (k, c) in impacts {
        a = a.with(k, c);
    }
    a
}

/// Assesses the answers and compares the vector and score; also checks
/// that the guided questionnaire asks exactly the questions answered.
fn check(a: &Answers, vector: &str, score: f64, severity: &str) -> Assessment {
    let got = a.assess().unwrap_or_else(|e| panic!("{vector}: {e}"));
    assert_eq!(got.vector, vector);
    assert_eq!(got.base_score, score, "{vector}");
    assert_eq!(got.severity, severity, "{vector}");
    assert!(got.unused.is_empty(), "{:?}", got.unused);
    assert_eq!(a.next(), None);
    // Replaying the guided order reaches the same answers.
    let mut replay = Answers::default();
    let mut asked = 0;
    while let Some(q) = replay.next() {
        let choice = a
            .answers
            .get(q.key)
            .unwrap_or_else(|| panic!("{} asked", q.key));
        replay = replay.with(q.key, choice);
        asked += 1;
    }
    assert_eq!(asked, a.answers.len());
    got
}

fn path(a: &Assessment, metric: Metric) -> String {
    let m = a.metrics.iter().find(|m| m.metric == metric).unwrap();
    m.steps
        .iter()
        .map(|s| format!("{} {}", s.key, s.answer))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A command injection in an infusion pump's BLE service, reachable by
/// anyone in radio range without pairing. AV: not routed (Q1 no), not a
/// shared IP segment (Q2 no), short-range wireless (Q3 yes) → Adjacent,
/// the rubric's answer for BLE. AC: the injection works at will → Low.
/// PR: the service answers before any authentication → None. UI: nobody
/// else acts → None. S: the shell runs on the pump, whose own data and
/// therapy are affected → Unchanged. C: a shell reads one patient's PHI
/// (XCPM no → Low), the programmed therapy and the device keys (High) →
/// High. I: the dose and rate can be changed at will, a direct serious
/// consequence → High. A: the infusion can be stopped → High. The FIRST
/// calculator scores AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H 8.8 (High).
#[test]
fn ble_infusion_pump_command_injection() {
    let a = with_impacts(
        &[
            ("XAVN", "no"),
            ("XAVT", "no"),
            ("XAVW", "yes"),
            ("XACL", "yes"),
            ("XPRL", "yes"),
            ("XUI", "no"),
            ("XS", "no"),
        ],
        &[
            ("XCP", "yes"),
            ("XCPM", "no"),
            ("XCT", "high"),
            ("XCS", "high"),
            ("XIT", "high"),
            ("XIS", "high"),
            ("XAT", "high"),
            ("XAW", "low"),
        ],
    )
    .justify(
        Metric::AttackVector,
        "BLE GATT 서비스는 전파 범위(약 10 m) 안에서만 닿음",
    );
    let got = check(
        &a,
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        8.8,
        "high",
    );
    assert_eq!(
        path(&got, Metric::AttackVector),
        "XAVN no, XAVT no, XAVW yes"
    );
    let av = &got.metrics[0];
    assert_eq!(av.value_name, Text::new("인접 네트워크", "Adjacent"));
    assert_eq!(
        av.justification,
        "BLE GATT 서비스는 전파 범위(약 10 m) 안에서만 닿음"
    );
    assert_eq!(av.steps.last().unwrap().value.as_deref(), Some("A"));
    // C is the highest category: PHI of one patient is only Low.
    assert_eq!(
        path(&got, Metric::Confidentiality),
        "XCP yes, XCPM no, XCD none, XCT high, XCW none, XCS high, XCO none"
    );
    assert_eq!(got.metrics[5].value, "H");
}

/// Credentials of the hospital server hard-coded in an ECG gateway's
/// firmware, usable from the Internet to upload forged ECG data. AV: the
/// server is reached over routed networks → Network. AC: Low. PR: the
/// server requires a login (Q1 no), but the credentials are the same in
/// every unit and readable from the firmware (Q2 yes) → None. UI: None.
/// S: the vulnerable gateway's credentials compromise the hospital
/// server, another security authority → Changed. C: nothing is read
/// through the upload → None. I: forged ECG records reach the clinicians'
/// diagnosis → High. A: None. FIRST: AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:N
/// is 8.6 (High).
#[test]
fn ecg_gateway_hard_coded_server_credentials() {
    let a = with_impacts(
        &[
            ("XAVN", "yes"),
            ("XACL", "yes"),
            ("XPRL", "no"),
            ("XPRZ", "yes"),
            ("XUI", "no"),
            ("XS", "yes"),
        ],
        &[("XID", "high")],
    );
    let got = check(
        &a,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:N",
        8.6,
        "high",
    );
    assert_eq!(path(&got, Metric::PrivilegesRequired), "XPRL no, XPRZ yes");
}

/// Firmware read and rewritten through an ECG patch's unprotected JTAG
/// pads. AV: none of the remote or local paths (Q1–Q4 no), the attacker
/// must hold the patch (Q5 yes) and connect to the debug pads (Q5.1 yes)
/// → Physical. AC, PR (JTAG asks for nothing), UI: Low, None, None.
/// S: Unchanged. C: the device key is read → High. I: rewritten firmware
/// falsifies the ECG → High. A: the patch can be bricked → High. FIRST:
/// AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H is 6.8 (Medium).
#[test]
fn ecg_patch_jtag_firmware_extraction() {
    let a = with_impacts(
        &[
            ("XAVN", "no"),
            ("XAVT", "no"),
            ("XAVW", "no"),
            ("XAVR", "no"),
            ("XAVP", "yes"),
            ("XAVPA", "yes"),
            ("XACL", "yes"),
            ("XPRL", "yes"),
            ("XUI", "no"),
            ("XS", "no"),
        ],
        &[("XCS", "high"), ("XID", "high"), ("XAD", "high")],
    );
    check(
        &a,
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        6.8,
        "medium",
    );
}

/// The same presence at the pump, but only through its keypad: a service
/// menu behind a default PIN. Q5.1 no → Local (CVSS: console access);
/// PR: the PIN is the same in every pump (Q2 yes) → None. I and A of the
/// therapy: High. FIRST: AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H is 7.7.
#[test]
fn pump_keypad_service_menu_is_local() {
    let a = with_impacts(
        &[
            ("XAVN", "no"),
            ("XAVT", "no"),
            ("XAVW", "no"),
            ("XAVR", "no"),
            ("XAVP", "yes"),
            ("XAVPA", "no"),
            ("XACL", "yes"),
            ("XPRL", "no"),
            ("XPRZ", "yes"),
            ("XUI", "no"),
            ("XS", "no"),
        ],
        &[("XIT", "high"), ("XAT", "high")],
    );
    check(
        &a,
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
        7.7,
        "high",
    );
}

/// A crafted DICOM file that a radiologist opens on an imaging
/// workstation. AV: the parser is reached through a file someone opens
/// (Q4 yes) → Local. PR: parsing needs no login → None. UI: the
/// radiologist must open it → Required. C: the workstation's cache holds
/// many patients' studies (XCPM yes) → High; I: images and reports can be
/// altered → High; A: the reading worklist stops → High. FIRST:
/// AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H is 7.8.
#[test]
fn imaging_workstation_malicious_dicom() {
    let a = with_impacts(
        &[
            ("XAVN", "no"),
            ("XAVT", "no"),
            ("XAVW", "no"),
            ("XAVR", "yes"),
            ("XACL", "yes"),
            ("XPRL", "yes"),
            ("XUI", "yes"),
            ("XS", "no"),
        ],
        &[
            ("XCP", "yes"),
            ("XCPM", "yes"),
            ("XID", "high"),
            ("XAW", "high"),
        ],
    );
    check(
        &a,
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
        "high",
    );
}

/// Every way through one entry's flow: the answers and the value.
fn flows(entry: &'static str) -> Vec<(Path, &'static str)> {
    let q = question(entry).unwrap();
    let mut out = Vec::new();
    for c in q.choices {
        match c.then {
            Then::Value(v) => out.push((vec![(q.key, c.id)], v)),
            Then::Ask(next) => {
                for (mut rest, v) in flows(next) {
                    rest.insert(0, (q.key, c.id));
                    out.push((rest, v));
                }
            }
        }
    }
    out
}

/// Per metric, every combination of its flows: the answers and the
/// metric value they give.
fn metric_paths(metric: Metric) -> Vec<(Path, &'static str)> {
    let mut combos: Vec<(Path, &str)> = vec![(Vec::new(), "")];
    for entry in metric.entries() {
        let mut next = Vec::new();
        for (answers, best) in &combos {
            for (path, v) in flows(entry) {
                let mut a = answers.clone();
                a.extend(path);
                let b = if best.is_empty() || metric.rank(v) > metric.rank(best) {
                    v
                } else {
                    best
                };
                next.push((a, b));
            }
        }
        combos = next;
    }
    combos
}

#[test]
fn every_question_is_reachable_and_every_flow_ends() {
    let mut reached = BTreeSet::new();
    for metric in Metric::ALL {
        for entry in metric.entries() {
            for (path, v) in flows(entry) {
                assert!(metric.values().iter().any(|(x, _)| *x == v), "{entry}: {v}");
                assert!(path.len() <= MAX_STEPS);
                reached.extend(path.iter().map(|(k, _)| *k));
            }
        }
    }
    let all: BTreeSet<&str> = QUESTIONS.iter().map(|q| q.key).collect();
    assert_eq!(reached, all);
    // The brief's count: 31 answer keys, every one with Korean and
    // English text for the question and each answer.
    assert_eq!(QUESTIONS.len(), 31);
    for q in &QUESTIONS {
        for w in [q.text, q.help] {
            assert!(!w.ko.is_empty() && !w.en.is_empty(), "{}", q.key);
        }
        for c in q.choices {
            assert!(!c.text.ko.is_empty() && !c.text.en.is_empty(), "{}", q.key);
        }
    }
}

/// Every path of every metric reaches a valid value, every value of every
/// metric is reachable, and every combination of values across the eight
/// metrics gives a vector `medsec-cvss` parses and scores.
#[test]
fn every_path_reaches_a_valid_vector() {
    let mut representatives: Vec<Vec<(Path, &str)>> = Vec::new();
    for metric in Metric::ALL {
        let paths = metric_paths(metric);
        let mut by_value: Vec<(Path, &str)> = Vec::new();
        for (answers, value) in paths {
            // Each path alone, with the other metrics answered minimally,
            // gives this value.
            if !by_value.iter().any(|(_, v)| *v == value) {
                by_value.push((answers, value));
            }
        }
        let values: BTreeSet<&str> = by_value.iter().map(|(_, v)| *v).collect();
        let all: BTreeSet<&str> = metric.values().iter().map(|(v, _)| *v).collect();
        assert_eq!(values, all, "{}", metric.abbrev());
        representatives.push(by_value);
    }
    // The impact flows' paths checked in full: 729 combinations each.
    for metric in [
        Metric::Confidentiality,
        Metric::Integrity,
        Metric::Availability,
    ] {
        let base = representatives
            .iter()
            .take(5)
            .flat_map(|r| r[0].0.clone())
            .collect::<Vec<_>>();
        let others: Vec<(&str, &str)> = Metric::ALL[5..]
            .iter()
            .filter(|m| **m != metric)
            .flat_map(|m| m.entries().iter().map(|e| (*e, "none")))
            .collect();
        let paths = metric_paths(metric);
        assert!(paths.len() >= 729);
        for (answers_, value) in paths {
            let mut list = base.clone();
            list.extend(others.iter().copied());
            list.extend(answers_);
            let got = answers(&list).assess().unwrap();
            let m = got.metrics.iter().find(|m| m.metric == metric).unwrap();
            assert_eq!(m.value, value);
        }
    }
    // The cross product of one path per value: 4·2·3·2·2·3·3·3 vectors.
    let mut count = 0;
    let mut stack: Vec<(usize, Path, Vec<&str>)> = vec![(0, Vec::new(), Vec::new())];
    while let Some((depth, list, values)) = stack.pop() {
        if depth == representatives.len() {
            let got = answers(&list).assess().unwrap();
            let expect = format!(
                "CVSS:3.1/{}",
                Metric::ALL
                    .iter()
                    .zip(&values)
                    .map(|(m, v)| format!("{}:{v}", m.abbrev()))
                    .collect::<Vec<_>>()
                    .join("/")
            );
            assert_eq!(got.vector, expect);
            let v = medsec_cvss::Vector::parse(&got.vector).unwrap();
            assert_eq!(v.base_score().value(), got.base_score);
            count += 1;
            continue;
        }
        for (path, value) in &representatives[depth] {
            let mut l = list.clone();
            l.extend(path.iter().copied());
            let mut vs = values.clone();
            vs.push(*value);
            stack.push((depth + 1, l, vs));
        }
    }
    assert_eq!(count, 4 * 2 * 3 * 2 * 2 * 3 * 3 * 3);
}

#[test]
fn errors_name_the_answer_at_fault() {
    let err = |a: Answers| a.assess().unwrap_err().to_string();
    assert_eq!(err(Answers::default()), "AV Q1 (XAVN) is not answered");
    assert_eq!(
        err(answers(&[("XAVN", "no")])),
        "AV Q2 (XAVT) is not answered"
    );
    assert_eq!(
        err(answers(&[("XAVX", "yes")])),
        "answers.XAVX: no question of the rubric has this key"
    );
    assert_eq!(
        err(answers(&[("XCD", "yes")])),
        "answers.XCD: `yes` is not an answer to C Q2.C (one of: none, low, high)"
    );
    // Impact metrics need every category.
    let a = with_impacts(
        &[
            ("XAVN", "yes"),
            ("XACL", "yes"),
            ("XPRL", "yes"),
            ("XUI", "no"),
            ("XS", "no"),
        ],
        &[("XCP", "yes")],
    );
    assert_eq!(err(a.clone()), "C Q1.1.C (XCPM) is not answered");
    assert_eq!(a.next().map(|q| q.key), Some("XCPM"));
}

#[test]
fn answers_off_the_path_are_kept_but_do_not_count() {
    let a = with_impacts(
        &[
            ("XAVN", "yes"),
            ("XAVT", "no"),
            ("XACL", "no"),
            ("XPRL", "no"),
            ("XPRZ", "no"),
            ("XPRS", "yes"),
            ("XUI", "yes"),
            ("XS", "no"),
        ],
        &[("XCPM", "yes")],
    );
    let got = a.assess().unwrap();
    assert_eq!(got.vector, "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N");
    assert_eq!(got.unused, ["XAVT", "XCPM"]);
}

#[test]
fn answers_round_trip_through_json_and_toml() {
    let a = answers(&[("XAVN", "no"), ("XAVT", "yes")])
        .justify(Metric::AttackVector, "병동 VLAN 안에서만 닿음")
        .justify(Metric::Scope, "펌프 자체");
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(
        json,
        r#"{"answers":{"XAVN":"no","XAVT":"yes"},"justifications":{"AV":"병동 VLAN 안에서만 닿음","S":"펌프 자체"}}"#
    );
    assert_eq!(serde_json::from_str::<Answers>(&json).unwrap(), a);
    let toml_text = toml::to_string(&a).unwrap();
    assert_eq!(toml::from_str::<Answers>(&toml_text).unwrap(), a);
    // An assessment is stored as JSON with the finding and read back.
    let full = with_impacts(
        &[
            ("XAVN", "yes"),
            ("XACL", "yes"),
            ("XPRL", "yes"),
            ("XUI", "no"),
            ("XS", "no"),
        ],
        &[],
    );
    let assessed = full.assess().unwrap();
    let back: Assessment =
        serde_json::from_str(&serde_json::to_string(&assessed).unwrap()).unwrap();
    assert_eq!(back, assessed);
    assert_eq!(back.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N");
    assert_eq!(back.base_score, 0.0);
    assert_eq!(back.severity, "none");
}
