//! The report by IMDRF N60's four questions.

use super::super::report::{Check, Question};
use super::*;

fn check<'a>(r: &'a Report, id: &str) -> &'a Check {
    r.good_job
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn the_four_questions_in_the_seed_wording() {
    // Seed 001, 5.2: the Korean edition of N60 lists them so.
    let ko: Vec<&str> = Question::ALL.iter().map(|q| q.ko()).collect();
    assert_eq!(
        ko,
        [
            "구축하는 모델은 무엇인가?",
            "잠재적 문제는 무엇인가?",
            "이러한 부분에 어떤 조치를 취할 것인가?",
            "충분한 조치를 취했는가?"
        ]
    );
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let text = std::fs::read_dir(&seed)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("001"))
        .and_then(|e| std::fs::read_to_string(e.path()).ok());
    match text {
        Some(text) => {
            for q in ko {
                assert!(text.contains(q), "seed 001 does not word it `{q}`");
            }
        }
        None => eprintln!("skipped: the seed wording check (no ../shared/seeds/001*)"),
    }
    assert_eq!(Question::GoodJob.en(), "Did we do a good job?");
    assert_eq!(Question::DoingAboutIt.number(), 3);
}

#[test]
fn the_ecg_gateway_report() {
    let m = model("ecg-gateway");
    let r = Report::new(&m, catalogs());
    assert_eq!(r.title, "유헬스케어 게이트웨이 UHG-100 1.0.0");
    // 1. What are we working on.
    let w = &r.working_on;
    assert_eq!(
        (w.boundaries.len(), w.elements.len(), w.flows.len()),
        (2, 8, 8)
    );
    assert_eq!(w.interfaces.len(), 2);
    let f = w
        .flows
        .iter()
        .find(|f| f.id == "gateway-to-server")
        .unwrap();
    assert_eq!(f.from, "유헬스케어 게이트웨이");
    assert_eq!(f.crosses, ["환자 가정", "의료기관 네트워크"]);
    assert_eq!(f.data_names.ko, "개인의료정보");
    // 2. What can go wrong: every threat, by subject, and every KISA
    // catalogue threat with its instances.
    let c = &r.can_go_wrong;
    assert_eq!(
        c.subjects.iter().map(|s| s.threats.len()).sum::<usize>(),
        m.threats.len()
    );
    assert_eq!(c.kisa.len(), 29);
    let row = c
        .kisa
        .iter()
        .find(|k| k.threat.id == "data-exposure-tampering")
        .unwrap();
    assert_eq!(row.threat.title.ko, "데이터 노출 및 변조");
    assert!(row.instances.iter().any(|t| t == "TM-gateway-to-server-I"));
    // The ECG link carries no credentials: no session hijacking there.
    let row = c
        .kisa
        .iter()
        .find(|k| k.threat.id == "session-hijacking")
        .unwrap();
    assert!(
        !row.instances
            .iter()
            .any(|t| t.starts_with("TM-ecg-to-gateway"))
    );
    // 3. What are we going to do about it: the requirement index.
    let d = &r.doing_about_it;
    assert_eq!(d.treatments.len(), m.threats.len());
    let req = d
        .requirements
        .iter()
        .find(|x| x.requirement.reference == "mfds-2019:1.15")
        .unwrap();
    assert_eq!(req.requirement.title.ko, "데이터 암호화");
    assert!(req.threats.iter().any(|t| t == "TM-gateway-to-server-I"));
    let first_2019 = d
        .requirements
        .iter()
        .position(|x| x.requirement.reference.starts_with("mfds-2019:"))
        .unwrap();
    assert!(
        d.requirements[..first_2019]
            .iter()
            .all(|x| x.requirement.reference.starts_with("mfds-2024:"))
    );
    // 4. Did we do a good job: what the seed does not state is listed.
    let g = &r.good_job;
    assert_eq!(g.threats, m.threats.len());
    assert_eq!(g.open, m.threats.len());
    assert_eq!(g.statuses[1], (Status::Open, m.threats.len()));
    let e = check(&r, "encryption-stated");
    assert!(!e.passed);
    assert!(
        e.subjects.contains(&"ecg-to-gateway".to_owned()),
        "{:?}",
        e.subjects
    );
    assert!(!e.subjects.contains(&"gateway-to-server".to_owned()));
    assert!(check(&r, "sensitive-flows-encrypted").passed);
    assert!(check(&r, "assumptions-confirmed").passed);
    assert!(check(&r, "no-isolated-elements").passed);
    assert!(check(&r, "threats-for-every-element").passed);
    assert!(check(&r, "requirement-for-every-threat").passed);
    assert!(check(&r, "public-network-declared").passed);
    assert!(!check(&r, "threats-treated").passed);
    let auth = check(&r, "crossing-flows-authenticated");
    assert_eq!(auth.subjects, ["login-check"]);
    // The report serialises for the writers.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["good_job"]["question"], "good-job");
}

#[test]
fn checks_fail_on_what_they_look_for() {
    // The ward system sends DICOM in the clear.
    let r = Report::new(&model("ecg-patch-gateway"), catalogs());
    assert_eq!(
        check(&r, "sensitive-flows-encrypted").subjects,
        ["ecg-to-pacs"]
    );
    // A device said not to use a public network, with flows that do: the
    // misconfiguration N60 asks about.
    let mut p = profile("ecg-patch-gateway");
    p.device.public_network = false;
    p.update.signed = false;
    let r = Report::new(
        &ThreatModel::from_profile(&p, catalogs()).unwrap(),
        catalogs(),
    );
    assert_eq!(
        check(&r, "public-network-declared").subjects,
        ["firmware-update", "status-report"]
    );
    assert_eq!(
        check(&r, "updates-signed").subjects,
        ["patch-firmware", "firmware-update", "service-usb"]
    );
    // Derived parts are listed for the manufacturer to confirm.
    let r = Report::new(&model("infusion-pump"), catalogs());
    let a = check(&r, "assumptions-confirmed");
    assert!(a.subjects.contains(&"zone-device".to_owned()));
    assert!(a.subjects.contains(&"device-to-server".to_owned()));
    assert!(a.subjects.contains(&"removable-media".to_owned()));
    // An element without flows, a threat treated.
    let mut m = model("ecg-gateway");
    m.elements.push(Element {
        id: "printer".to_owned(),
        ..m.elements[5].clone()
    });
    for t in &mut m.threats {
        t.status = Status::Mitigated;
    }
    let r = Report::new(&m, catalogs());
    assert_eq!(check(&r, "no-isolated-elements").subjects, ["printer"]);
    assert_eq!(check(&r, "threats-for-every-element").subjects, ["printer"]);
    assert!(check(&r, "threats-treated").passed);
    assert_eq!(r.good_job.open, 0);
}
