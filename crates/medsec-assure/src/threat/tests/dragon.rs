//! Threat Dragon v2 files: what export writes, that import reads it back
//! unchanged, that Threat Dragon's own demo models come in whole, and
//! that malformed files are refused with the JSON pointer. The schema
//! check against Threat Dragon's schema is in `tests/it`.

use serde_json::{Value, json};

use super::super::dragon::{self, DragonError};
use super::*;

const DEMO: &str = include_str!("../../../tests/threat-dragon/v2-threat-model.json");
const THREE_TIER: &str = include_str!("../../../tests/threat-dragon/three-tier-web-app.json");

fn cells(v: &Value) -> Vec<&Value> {
    v.pointer("/detail/diagrams/0/cells")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn cell<'a>(v: &'a Value, id: &str) -> &'a Value {
    cells(v)
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no cell {id}"))
}

#[test]
fn export_writes_cells_threats_and_geometry() {
    let m = model("ecg-gateway");
    let v = dragon::export(&m);
    assert_eq!(v["version"], dragon::VERSION);
    assert_eq!(v["summary"]["title"], "유헬스케어 게이트웨이 UHG-100 1.0.0");
    assert_eq!(v["summary"]["owner"], "메드시큐 주식회사");
    assert_eq!(v["detail"]["diagrams"].as_array().unwrap().len(), 1);
    assert_eq!(v["detail"]["diagrams"][0]["diagramType"], "STRIDE");
    assert_eq!(v["detail"]["threatTop"], m.threats.len());
    let shapes = |s: &str| cells(&v).into_iter().filter(|c| c["shape"] == s).count();
    assert_eq!(shapes("trust-boundary-box"), 2);
    assert_eq!(shapes("process"), 3);
    assert_eq!(shapes("store"), 1);
    assert_eq!(shapes("actor"), 4);
    assert_eq!(shapes("flow"), 8);
    let gw = cell(&v, "gateway");
    assert_eq!(gw["data"]["type"], "tm.Process");
    assert_eq!(gw["data"]["name"], "유헬스케어 게이트웨이");
    assert_eq!(gw["data"]["hasOpenThreats"], true);
    assert_eq!(gw["attrs"]["text"]["text"], "유헬스케어 게이트웨이");
    assert!(gw["position"]["x"].is_i64() && gw["size"]["width"] == 120);
    assert_eq!(gw["data"]["medsec"]["ports"].as_array().unwrap().len(), 2);
    let types: Vec<&str> = gw["data"]["threats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Spoofing",
            "Tampering",
            "Repudiation",
            "Information disclosure",
            "Denial of service",
            "Elevation of privilege"
        ]
    );
    let f = cell(&v, "gateway-to-server");
    assert_eq!(f["source"], json!({"cell": "gateway"}));
    assert_eq!(f["target"], json!({"cell": "hospital-server"}));
    assert_eq!(f["data"]["isEncrypted"], true);
    assert_eq!(f["data"]["isPublicNetwork"], true);
    assert_eq!(f["data"]["protocol"], "Wi-Fi, 인터넷");
    let t = &f["data"]["threats"][1];
    assert_eq!(t["id"], "TM-gateway-to-server-I");
    assert_eq!(t["modelType"], "STRIDE");
    assert_eq!(t["type"], "Information disclosure");
    assert_eq!(t["status"], "Open");
    assert_eq!(t["severity"], "High");
    assert_eq!(t["title"], "암호화된 심전도 데이터 흐름의 정보 노출");
    assert_eq!(
        t["medsec"]["titleEn"],
        "Information disclosure on the Encrypted ECG data flow"
    );
    assert!(t["mitigation"].as_str().unwrap().contains("mfds-2019:1.15"));
    // A flow whose encryption is not stated says so, beside Threat
    // Dragon's plain `false`.
    let f = cell(&v, "ecg-to-gateway");
    assert_eq!(f["data"]["isEncrypted"], false);
    assert_eq!(f["data"]["medsec"]["encryptionUnknown"], true);
    let b = cell(&v, "home");
    assert_eq!(b["data"]["type"], "tm.BoundaryBox");
    assert_eq!(b["attrs"]["label"]["text"], "환자 가정");
}

#[test]
fn export_then_import_gives_the_model_back() {
    for name in FIXTURES {
        let m = model(name);
        let text = dragon::export(&m).to_string();
        let back = dragon::import(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, m.with_layout(), "{name}");
        // And once more: a fixed point.
        assert_eq!(dragon::export(&back), dragon::export(&m), "{name}");
    }
}

#[test]
fn threat_dragon_demos_come_in_whole() {
    let m = dragon::import(DEMO).unwrap();
    assert_eq!(m.title, "Demo Threat Model");
    assert_eq!(m.owner, "Mike Goodwin");
    assert_eq!(m.reviewer, "Jane Smith");
    assert_eq!(m.contributors, ["Tom Brown", "Albert Moneypenny"]);
    assert_eq!(m.diagrams[0].title, "Main Request Data Flow");
    assert_eq!(
        (
            m.elements.len(),
            m.flows.len(),
            m.boundaries.len(),
            m.notes.len()
        ),
        (7, 10, 3, 1)
    );
    assert_eq!(m.threats.len(), 14);
    assert!(m.boundaries.iter().all(|b| !b.is_box()));
    // The "Web Request" flow starts at a loose point.
    let web = m.flow("2d84bfae-f1ed-49e5-8542-10a02f4a1c57").unwrap();
    assert_eq!(web.from, End::Point(Point { x: 180.0, y: 70.0 }));
    assert_eq!(web.encrypted, Some(true));
    assert!(web.public_network);
    // Boundary lines are crossed where the drawn path meets them.
    assert!(!m.flows.iter().all(|f| f.crosses.is_empty()));
    let store = m.element("a25bbb4e-093f-4238-a620-31efdee452dc").unwrap();
    assert_eq!(store.kind, ElementKind::Store);
    assert!(store.flags.stores_credentials);
    let t = m.threats_of(&store.id).next().unwrap();
    assert_eq!(t.title.ko, "Accessing DB credentials");
    assert_eq!(t.title.en, t.title.ko);
    assert_eq!(t.category, Category::Stride(Stride::InformationDisclosure));
    assert_eq!(t.severity, Severity::High);
    assert_eq!(t.status, Status::Open);
    assert!(!t.generated);
    // The out-of-scope store keeps its flag.
    assert!(
        m.element("bdd3e115-4b92-4020-90b7-c3351dba292b")
            .unwrap()
            .out_of_scope
    );

    let m = dragon::import(THREE_TIER).unwrap();
    assert_eq!(m.boundaries.len(), 2);
    assert!(m.boundaries.iter().all(Boundary::is_box));
    // Names come from the label when `data.name` is absent.
    assert_eq!(m.boundaries[0].name, "Internet");
    // Boxes contain what lies wholly inside them.
    let inside: Vec<&str> = m
        .elements
        .iter()
        .filter(|e| e.boundary.as_deref() == Some(m.boundaries[1].id.as_str()))
        .map(|e| e.name.as_str())
        .collect();
    assert!(!inside.is_empty(), "{:?}", m.elements);
    let numbered: Vec<u64> = m.threats.iter().filter_map(|t| t.number).collect();
    assert_eq!(numbered.len(), 2);

    for (name, text) in [("demo", DEMO), ("three-tier", THREE_TIER)] {
        let first = dragon::import(text).unwrap();
        let again = dragon::import(&dragon::export(&first).to_string()).unwrap();
        assert_eq!(again, first, "{name}");
    }
}

#[test]
fn enumerating_an_imported_model_adds_what_is_missing() {
    let mut m = dragon::import(DEMO).unwrap();
    let before: Vec<Threat> = m.threats.clone();
    m.enumerate(catalogs());
    for t in &before {
        assert_eq!(m.threats.iter().find(|x| x.id == t.id), Some(t));
    }
    // The message queue has spoofing, tampering and disclosure threats of
    // its own: only repudiation and denial of service are added.
    let queue = "ec574fb4-87e7-494b-88dc-2a3c99172067";
    let added: Vec<&str> = m
        .threats_of(queue)
        .filter(|t| t.generated)
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(added, [format!("TM-{queue}-R"), format!("TM-{queue}-D")]);
    // Nothing out of scope gets threats.
    assert_eq!(
        m.threats_of("bdd3e115-4b92-4020-90b7-c3351dba292b").count(),
        before
            .iter()
            .filter(|t| t.subject == "bdd3e115-4b92-4020-90b7-c3351dba292b")
            .count()
    );
    m.validate().unwrap();
}

/// Edits the demo model and expects an error at `pointer` containing
/// `message`.
fn check(edit: impl Fn(&mut Value), pointer: &str, message: &str) {
    let mut v: Value = serde_json::from_str(DEMO).unwrap();
    edit(&mut v);
    match dragon::import(&v.to_string()) {
        Err(DragonError::Invalid {
            pointer: p,
            message: m,
        }) => {
            assert_eq!(p, pointer, "{m}");
            assert!(m.contains(message), "{m}\n  does not contain: {message}");
        }
        other => panic!("expected an error at {pointer}, got {other:?}"),
    }
}

const FLOW: &str = "/detail/diagrams/0/cells/7";

#[test]
fn malformed_files_name_the_json_pointer() {
    check(
        |v| v["version"] = json!("1.6.1"),
        "/version",
        "this is a Threat Dragon 1.x model",
    );
    check(
        |v| v["version"] = json!("3.0.0"),
        "/version",
        "`3.0.0` is not a Threat Dragon v2 version",
    );
    check(|v| v["version"] = json!(2), "/version", "expected a string");
    check(
        |v| {
            v.as_object_mut().unwrap().remove("version");
        },
        "/version",
        "missing",
    );
    check(
        |v| {
            v["summary"].as_object_mut().unwrap().remove("title");
        },
        "/summary/title",
        "missing",
    );
    check(
        |v| {
            v.as_object_mut().unwrap().remove("detail");
        },
        "/detail",
        "missing",
    );
    check(
        |v| v["detail"]["diagrams"] = json!({}),
        "/detail/diagrams",
        "expected an array",
    );
    // The flow at index 7 ("Put Message").
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][7]
                .as_object_mut()
                .unwrap()
                .remove("source");
        },
        &format!("{FLOW}/source"),
        "missing: a data flow needs a source",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][7]["target"] = json!({}),
        &format!("{FLOW}/target"),
        "neither a cell nor a point",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][7]["target"]["cell"] = json!("no-such-cell"),
        &format!("{FLOW}/target/cell"),
        "`no-such-cell` names no cell of this diagram",
    );
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][7]["target"]["cell"] =
                json!("6767506f-3d7f-4a5f-bbe2-ea03689d30fc")
        },
        &format!("{FLOW}/target/cell"),
        "is a trust boundary, not an element",
    );
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][7]["target"]["cell"] =
                json!("0d9909ea-1398-4898-be81-cf1c808324dc")
        },
        "/detail/diagrams/0/cells/7",
        "the flow starts and ends at `0d9909ea-1398-4898-be81-cf1c808324dc`",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["shape"] = json!("cylinder"),
        "/detail/diagrams/0/cells/0/shape",
        "unknown shape `cylinder` (known: actor, process",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["data"]["type"] = json!("tm.Process"),
        "/detail/diagrams/0/cells/0/data/type",
        "`tm.Process` does not go with shape `store`",
    );
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][1]["id"] =
                v["detail"]["diagrams"][0]["cells"][0]["id"].clone()
        },
        "/detail/diagrams/0/cells/1/id",
        "is already the id of the cell at /detail/diagrams/0/cells/0",
    );
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][0]["data"]["threats"][0]
                .as_object_mut()
                .unwrap()
                .remove("title");
        },
        "/detail/diagrams/0/cells/0/data/threats/0/title",
        "missing",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["data"]["threats"][0]["number"] = json!(-1),
        "/detail/diagrams/0/cells/0/data/threats/0/number",
        "expected a whole number",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["data"]["outOfScope"] = json!("no"),
        "/detail/diagrams/0/cells/0/data/outOfScope",
        "expected true or false",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["position"]["x"] = json!("left"),
        "/detail/diagrams/0/cells/0/position/x",
        "expected a number",
    );
    check(
        |v| {
            v["detail"]["diagrams"][0]["cells"][16]
                .as_object_mut()
                .unwrap()
                .remove("target");
        },
        "/detail/diagrams/0/cells/16/target",
        "a boundary line needs a start and an end point",
    );
    check(
        |v| v["detail"]["diagrams"][0]["cells"][0]["data"]["medsec"] = json!({"colour": 1}),
        "/detail/diagrams/0/cells/0/data/medsec",
        "unknown field `colour`",
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = dragon::import("{\n  \"version\": \"2.6.2\",\n  oops\n}").unwrap_err();
    assert!(
        matches!(
            err,
            DragonError::Syntax {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("line 3, column 3: not JSON"),
        "{err}"
    );
    let err = dragon::import("[]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "(document): expected an object, found an array"
    );
}
