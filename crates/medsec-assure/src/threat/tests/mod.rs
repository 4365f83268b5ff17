//! Tests of the threat model: derivation from profiles, validation
//! errors, STRIDE enumeration and its KISA and MFDS mapping, the layout,
//! the SVG, Threat Dragon files and the report.

mod dragon;
mod report;
mod svg;

use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::profile::Format;

pub(super) const FIXTURES: [&str; 5] = [
    "ecg-gateway",
    "ecg-patch-gateway",
    "infusion-pump",
    "imaging-workstation",
    "mobile-samd",
];

pub(super) fn catalogs() -> &'static medsec_catalog::Catalogs {
    medsec_catalog::catalogs().unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/devices/{name}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn profile(name: &str) -> Profile {
    Profile::parse(&fixture_text(name), Format::Toml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(super) fn model(name: &str) -> ThreatModel {
    ThreatModel::from_profile(&profile(name), catalogs()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn threat<'a>(m: &'a ThreatModel, id: &str) -> &'a Threat {
    m.threats
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no threat {id}"))
}

#[test]
fn every_fixture_gives_a_valid_deterministic_model() {
    let c = catalogs();
    let kisa: BTreeSet<&str> = c
        .get("kisa-dh")
        .unwrap()
        .threat
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    for name in FIXTURES {
        let m = model(name);
        m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m, model(name), "{name}: not deterministic");
        assert!(!m.threats.is_empty(), "{name}");
        let mut numbers = BTreeSet::new();
        for t in &m.threats {
            assert!(t.generated, "{}", t.id);
            assert!(numbers.insert(t.number.unwrap()), "{}: number twice", t.id);
            for k in &t.kisa {
                assert!(
                    kisa.contains(k.as_str()),
                    "{}: unknown KISA threat {k}",
                    t.id
                );
            }
            for r in &t.requirements {
                assert!(c.resolve(r).is_some(), "{}: {r} names no item", t.id);
            }
            assert!(!t.title.ko.is_empty() && !t.title.en.is_empty(), "{}", t.id);
            assert!(!t.description.ko.is_empty() && !t.description.en.is_empty());
            assert_ne!(
                t.title.ko, t.title.en,
                "{}: Korean and English differ",
                t.id
            );
            assert!(!t.controls.is_empty(), "{}", t.id);
        }
        assert_eq!(numbers.len(), m.threats.len());
        assert_eq!(numbers.last().copied(), Some(m.threats.len() as u64));
    }
}

#[test]
fn the_ecg_gateway_model_is_the_seed_review_case() {
    let m = model("ecg-gateway");
    let ids = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        m.elements.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [
            "ecg",
            "gateway",
            "hospital-server",
            "patient",
            "ecg-records",
            "emr",
            "pacs",
            "hospital-admin"
        ]
    );
    assert_eq!(
        m.element("gateway").unwrap().boundary.as_deref(),
        Some("home")
    );
    assert_eq!(m.element("patient").unwrap().boundary, None);
    let gw = m.element("gateway").unwrap();
    assert_eq!(gw.ports.len(), 2);
    assert_eq!(gw.component.as_ref().unwrap().name, "유헬스케어 게이트웨이");
    // The seed's path: ECG → gateway stays at home; gateway → hospital
    // server crosses both zones over the Internet, encrypted.
    let f = m.flow("ecg-to-gateway").unwrap();
    assert!(f.crosses.is_empty());
    assert_eq!(f.encrypted, None);
    let f = m.flow("gateway-to-server").unwrap();
    assert_eq!(f.crosses, ids(vec!["home", "hospital"]));
    assert_eq!(f.encrypted, Some(true));
    assert!(f.public_network);
    // Undeclared crossings are found: the patient is outside the home.
    assert_eq!(m.flow("patient-login").unwrap().crosses, ids(vec!["home"]));
    // Nothing here is guessed.
    assert!(m.elements.iter().all(|e| e.derived.is_none()));
    assert!(m.flows.iter().all(|f| f.derived.is_none()));

    // Its disclosure threat: the KISA threats, the controls and the MFDS
    // item the seed's Q&A names (ECG data must be encrypted in transit).
    let t = threat(&m, "TM-gateway-to-server-I");
    assert_eq!(t.subject, "gateway-to-server");
    assert_eq!(t.category, Category::Stride(Stride::InformationDisclosure));
    assert_eq!(t.severity, Severity::High);
    assert_eq!(t.status, Status::Open);
    assert!(t.crossing);
    for k in [
        "data-exposure-tampering",
        "weak-encryption",
        "weak-crypto-algorithm",
    ] {
        assert!(t.kisa.iter().any(|x| x == k), "{k}: {:?}", t.kisa);
    }
    for r in ["mfds-2019:1.15", "mfds-2024:DC-01", "kisa-dh:3.4.1"] {
        assert!(
            t.requirements.iter().any(|x| x == r),
            "{r}: {:?}",
            t.requirements
        );
    }
    assert!(
        t.controls.iter().any(|c| c.ko == "전송데이터 보호"),
        "{:?}",
        t.controls
    );
    assert_eq!(t.title.ko, "암호화된 심전도 데이터 흐름의 정보 노출");
    assert_eq!(
        t.title.en,
        "Information disclosure on the Encrypted ECG data flow"
    );
    assert!(
        t.description
            .ko
            .contains("신뢰 경계를 넘음: 환자 가정, 의료기관 네트워크")
    );
    assert!(
        t.description
            .en
            .contains("Crosses the trust boundary: Patient's home, Hospital network")
    );
    assert!(t.mitigation.ko.contains("mfds-2019:1.15"));
    // Requirements are in catalogue order: MFDS 2024, MFDS 2019, KISA.
    let first = |p: &str| {
        t.requirements
            .iter()
            .position(|r| r.starts_with(p))
            .unwrap()
    };
    assert!(first("mfds-2024:") < first("mfds-2019:") && first("mfds-2019:") < first("kisa-dh:"));
    // A flow inside one zone is less exposed than one that leaves it.
    assert_eq!(
        threat(&m, "TM-server-to-records-T").severity,
        Severity::Medium
    );
    assert!(!threat(&m, "TM-server-to-records-T").crossing);
    // The patient signs in with a password: the password threats.
    let t = threat(&m, "TM-patient-S");
    for k in [
        "weak-password",
        "credential-exposure",
        "repeated-auth-attempts",
    ] {
        assert!(t.kisa.iter().any(|x| x == k), "{k}: {:?}", t.kisa);
    }
    assert!(
        t.requirements.iter().any(|r| r == "mfds-2019:1.9"),
        "{:?}",
        t.requirements
    );
}

#[test]
fn stride_per_element_and_per_flow() {
    use Stride::*;
    let m = model("ecg-patch-gateway");
    for e in &m.elements {
        let got: Vec<Stride> = m
            .threats_of(&e.id)
            .map(|t| match t.category {
                Category::Stride(s) => s,
                Category::Other { .. } => panic!("{}", t.id),
            })
            .collect();
        assert_eq!(got, e.kind.stride(), "{}", e.id);
        for t in m.threats_of(&e.id) {
            let Category::Stride(s) = t.category else {
                unreachable!()
            };
            assert_eq!(t.id, format!("TM-{}-{}", e.id, s.letter()));
        }
    }
    for f in &m.flows {
        let got: Vec<Stride> = m
            .threats_of(&f.id)
            .filter_map(|t| match t.category {
                Category::Stride(s) => Some(s),
                Category::Other { .. } => None,
            })
            .collect();
        assert_eq!(
            got,
            [Tampering, InformationDisclosure, DenialOfService],
            "{}",
            f.id
        );
    }
    assert_eq!(ElementKind::External.stride(), [Spoofing, Repudiation]);
    assert_eq!(
        ElementKind::Store.stride(),
        [
            Tampering,
            Repudiation,
            InformationDisclosure,
            DenialOfService
        ]
    );
    assert_eq!(ElementKind::Process.stride(), Stride::ALL);
    // The full example reaches every threat of the KISA catalogue.
    let reached: BTreeSet<&str> = m
        .threats
        .iter()
        .flat_map(|t| &t.kisa)
        .map(String::as_str)
        .collect();
    for t in &catalogs().get("kisa-dh").unwrap().threat {
        assert!(
            reached.contains(t.id.as_str()),
            "KISA threat {} not reached",
            t.id
        );
    }
    // What the model says decides the mapping: the debug UART and USB
    // port of the gateway, the firmware it receives, the unencrypted
    // DICOM flow.
    let kisa = |id: &str| threat(&m, id).kisa.clone();
    assert!(kisa("TM-gateway-I").contains(&"debug-info-exposure".to_owned()));
    assert!(kisa("TM-gateway-T").contains(&"unauthorized-physical-access".to_owned()));
    assert!(kisa("TM-gateway-T").contains(&"insecure-update".to_owned()));
    assert!(kisa("TM-gateway-E").contains(&"vulnerable-os".to_owned()));
    assert!(!kisa("TM-patch-E").contains(&"vulnerable-os".to_owned()));
    assert!(!kisa("TM-patch-I").contains(&"debug-info-exposure".to_owned()));
    assert!(!kisa("TM-ecg-to-pacs-I").contains(&"weak-crypto-algorithm".to_owned()));
    assert!(kisa("TM-ecg-to-emr-I").contains(&"weak-crypto-algorithm".to_owned()));
    // A nested zone: the firmware update crosses three boundaries.
    assert_eq!(
        m.flow("firmware-update").unwrap().crosses,
        ["hospital", "ward", "manufacturer"]
    );
}

#[test]
fn out_of_scope_elements_get_no_threats_and_user_threats_stay() {
    let mut m = ThreatModel::structure(&profile("ecg-gateway")).unwrap();
    m.elements[6].out_of_scope = true; // PACS
    m.elements[6].out_of_scope_reason = "의료기관 소관".to_owned();
    m.threats.push(Threat {
        id: "mine".to_owned(),
        subject: "gateway".to_owned(),
        category: Category::Stride(Stride::Spoofing),
        title: Text::same("Fake gateway"),
        description: Text::same("A rogue access point pretends to be the gateway."),
        mitigation: Text::same("Mutual TLS"),
        status: Status::Mitigated,
        severity: Severity::High,
        score: "8.1".to_owned(),
        number: Some(7),
        kisa: Vec::new(),
        requirements: Vec::new(),
        controls: Vec::new(),
        crossing: false,
        generated: false,
    });
    m.enumerate(catalogs());
    assert_eq!(m.threats_of("pacs").count(), 0);
    // The user's spoofing threat covers the category: no TM-gateway-S.
    assert!(m.threats.iter().all(|t| t.id != "TM-gateway-S"));
    let mine = threat(&m, "mine");
    assert_eq!(mine.number, Some(7));
    assert_eq!(mine.status, Status::Mitigated);
    // New numbers follow the highest one in use.
    assert_eq!(m.threats.iter().filter_map(|t| t.number).min(), Some(7));
    // Enumerating again adds nothing.
    let before = m.threats.len();
    m.enumerate(catalogs());
    assert_eq!(m.threats.len(), before);
    // Threats follow the model's order of subjects.
    let gateway_first = m
        .threats
        .iter()
        .position(|t| t.subject == "gateway")
        .unwrap();
    assert_eq!(m.threats[gateway_first].id, "mine");
}

#[test]
fn ids_follow_the_subject_not_the_order() {
    let text = fixture_text("ecg-gateway");
    // The same profile with its first flow moved to the end.
    let start = text.find("[[flow]]\nid = \"ecg-to-gateway\"").unwrap();
    let end = text.find("[[flow]]\nid = \"patient-login\"").unwrap();
    let part = |r: std::ops::Range<usize>| text.get(r).unwrap().to_owned();
    let moved = format!(
        "{}{}\n{}",
        part(0..start),
        part(end..text.len()),
        part(start..end)
    );
    let a = model("ecg-gateway");
    let b = ThreatModel::from_profile(&Profile::parse(&moved, Format::Toml).unwrap(), catalogs())
        .unwrap();
    let ids = |m: &ThreatModel| {
        m.threats
            .iter()
            .map(|t| t.id.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_ne!(
        a.threats.iter().map(|t| &t.id).collect::<Vec<_>>(),
        b.threats.iter().map(|t| &t.id).collect::<Vec<_>>()
    );
}

#[test]
fn a_profile_without_tables_gets_a_derived_model_that_says_why() {
    let m = model("infusion-pump");
    let zones: Vec<&str> = m.boundaries.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(zones, ["zone-device", "zone-hospital"]);
    assert!(m.boundaries.iter().all(|b| b.derived.is_some()));
    assert_eq!(
        m.element("device").unwrap().boundary.as_deref(),
        Some("zone-device")
    );
    assert_eq!(
        m.element("server-db").unwrap().boundary.as_deref(),
        Some("zone-hospital")
    );
    // The data path and the control path, over the pump's Wi-Fi.
    let f = m.flow("device-to-server").unwrap();
    assert_eq!(f.data, [DataKind::PatientData]);
    assert_eq!(f.interface.as_deref(), Some("Wi-Fi (병원망)"));
    assert_eq!(f.crosses, ["zone-device", "zone-hospital"]);
    assert!(f.derived.as_ref().unwrap().ko.contains("device → server"));
    assert_eq!(
        m.flow("server-to-device-control").unwrap().data,
        [DataKind::Control]
    );
    // USB updates come from removable media through the USB port.
    let f = m.flow("removable-media-to-device").unwrap();
    assert_eq!(f.interface.as_deref(), Some("USB (업데이트)"));
    assert_eq!(f.data, [DataKind::Firmware]);
    assert!(m.element("removable-media").unwrap().derived.is_some());
    // Each role signs in where it works.
    let f = m.flow("role-clinician-to-device").unwrap();
    assert_eq!(f.authenticated, Some(true));
    assert!(f.data.contains(&DataKind::Credentials));
    // The internal network is not public.
    assert!(m.flows.iter().all(|f| !f.public_network));
    // A mobile app over the Internet: its path to the cloud is public.
    let m = model("mobile-samd");
    assert!(m.flow("app-to-cloud").unwrap().public_network);
    assert_eq!(
        m.element("cloud").unwrap().boundary.as_deref(),
        Some("zone-manufacturer")
    );
    // A profile with no components is one process.
    let mut p = profile("imaging-workstation");
    p.components.clear();
    p.interfaces.iter_mut().for_each(|i| i.component = None);
    let m = ThreatModel::from_profile(&p, catalogs()).unwrap();
    let e = m.element("device").unwrap();
    assert_eq!(e.name, "영상 판독 워크스테이션");
    assert_eq!(e.ports.len(), 2);
    assert!(e.derived.is_some());
}

/// Edits the ECG gateway profile and expects the error to contain `expect`.
fn check_error(edit: impl Fn(&str) -> String, expect: &str) {
    let text = edit(&fixture_text("ecg-gateway"));
    let err = match Profile::parse(&text, Format::Toml) {
        Ok(_) => panic!("accepted; expected: {expect}"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(expect), "{err}\n  does not contain: {expect}");
}

fn replace(from: &'static str, to: &'static str) -> impl Fn(&str) -> String {
    move |t: &str| {
        assert!(t.contains(from), "the fixture has no {from:?}");
        t.replacen(from, to, 1)
    }
}

#[test]
fn bad_threat_models_name_the_item_and_field() {
    const FIRST: &str = "from = \"ecg\"\nto = \"gateway\"";
    // Dangling ends.
    check_error(
        replace(FIRST, "from = \"ecg\"\nto = \"nowhere\""),
        "flow[0].to: `nowhere` names no element (flow `ecg-to-gateway`)",
    );
    check_error(
        replace(FIRST, "from = \"home\"\nto = \"gateway\""),
        "flow[0].from: `home` is a boundary, not an element (flow `ecg-to-gateway`)",
    );
    // A cycle of one element.
    check_error(
        replace(FIRST, "from = \"gateway\"\nto = \"gateway\""),
        "flow[0].to: the flow starts and ends at `gateway`",
    );
    // Duplicate ids, across components, elements, boundaries and flows.
    check_error(
        replace("id = \"emr\"", "id = \"gateway\""),
        "element[1].id: is already the id of a component (element `gateway`)",
    );
    check_error(
        replace("id = \"patient-login\"", "id = \"ecg-to-gateway\""),
        "is already the id of a flow",
    );
    check_error(
        replace("id = \"hospital\"", "id = \"home\""),
        "boundary[1].id: is already the id of a boundary",
    );
    check_error(
        replace("id = \"ecg-to-gateway\"", "id = \"ecg to gateway\""),
        "flow[0].id: must be 1 to 100 letters, digits, `-`, `_`, `.` or `:` (flow `ecg to gateway`)",
    );
    // Boundary nesting cycles.
    check_error(
        |t| {
            t.replacen(
                "name = \"환자 가정\"",
                "name = \"환자 가정\"\nparent = \"hospital\"",
                1,
            )
            .replacen(
                "name = \"의료기관 네트워크\"",
                "name = \"의료기관 네트워크\"\nparent = \"home\"",
                1,
            )
        },
        "boundary[0].parent: boundaries nest in a cycle (home → hospital → home)",
    );
    check_error(
        replace(
            "name = \"환자 가정\"",
            "name = \"환자 가정\"\nparent = \"home\"",
        ),
        "boundaries nest in a cycle (home → home)",
    );
    check_error(
        replace(
            "name = \"환자 가정\"",
            "name = \"환자 가정\"\nparent = \"attic\"",
        ),
        "boundary[0].parent: `attic` names no boundary",
    );
    // Membership.
    check_error(
        replace(
            "contains = [\"ecg\", \"gateway\"]",
            "contains = [\"ecg\", \"gateway\", \"toaster\"]",
        ),
        "boundary[0].contains[2]: `toaster` names no element",
    );
    check_error(
        replace(
            "contains = [\"ecg\", \"gateway\"]",
            "contains = [\"ecg\", \"gateway\", \"emr\"]",
        ),
        "boundary[1].contains[2]: `emr` is already inside boundary `home`",
    );
    // Declared crossings that are not.
    check_error(
        replace(
            FIRST,
            "from = \"ecg\"\nto = \"gateway\"\ncrosses = [\"home\"]",
        ),
        "flow[0].crosses[0]: the flow is declared as crossing `home`, but both of its ends lie inside it",
    );
    check_error(
        replace(
            FIRST,
            "from = \"ecg\"\nto = \"gateway\"\ncrosses = [\"hospital\"]",
        ),
        "flow[0].crosses[0]: the flow is declared as crossing `hospital`, but neither of its ends lies inside it",
    );
    check_error(
        replace(
            FIRST,
            "from = \"ecg\"\nto = \"gateway\"\ncrosses = [\"moon\"]",
        ),
        "flow[0].crosses[0]: `moon` names no boundary",
    );
    // Interfaces.
    check_error(
        replace(
            "protocol = \"HL7 v2\"",
            "protocol = \"HL7 v2\"\ninterface = \"심전계 연결 Wi-Fi\"",
        ),
        "flow[5].interface: `심전계 연결 Wi-Fi` is an interface of `gateway`, which is neither end of the flow",
    );
    check_error(
        replace("interface = \"심전계 연결 Wi-Fi\"", "interface = \"Li-Fi\""),
        "flow[0].interface: `Li-Fi` is not the name of an interface",
    );
    // What serde refuses, with the line.
    check_error(
        replace("data = [\"patient-data\"]", "data = [\"ecg\"]"),
        "unknown variant `ecg`",
    );
    check_error(
        replace("protocol = \"DICOM\"", "protocol = \"DICOM\"\nqos = 1"),
        "unknown field `qos`",
    );
    check_error(
        replace("from = \"hospital-server\"\nto = \"pacs\"", "to = \"pacs\""),
        "missing field `from`",
    );
    check_error(
        replace("name = \"PACS\"", "name = \" \""),
        "element[2].name: must not be empty",
    );
}

#[test]
fn validate_checks_models_built_in_code() {
    let m = model("ecg-gateway");
    let expect = |edit: &dyn Fn(&mut ThreatModel), what: &str| {
        let mut x = m.clone();
        edit(&mut x);
        let e = x.validate().unwrap_err().to_string();
        assert!(e.contains(what), "{e}\n  does not contain: {what}");
    };
    expect(
        &|x| x.threats[0].subject = "ghost".to_owned(),
        "threat `TM-ecg-S`.subject: `ghost` names no element, flow or boundary",
    );
    expect(
        &|x| x.threats[1].id = "TM-ecg-S".to_owned(),
        "threat `TM-ecg-S`.id: is the id of two threats",
    );
    expect(
        &|x| {
            x.flows[1].crosses.clear();
        },
        "flow `patient-login`.crosses: one end lies in boundary `home`",
    );
    expect(
        &|x| x.elements[0].diagram = 3,
        "element `ecg`.diagram: is 3, but the model has 1 diagram(s)",
    );
    expect(
        &|x| x.elements[0].boundary = Some("ocean".to_owned()),
        "element `ecg`.boundary: `ocean` names no boundary",
    );
    // A flow inside one zone crosses nothing: clearing is no change.
    let mut x = m.clone();
    x.flows[0].crosses.clear();
    assert_eq!(x.validate(), Ok(()));
}
