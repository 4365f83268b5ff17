//! The threat model through medsec-assure's public API, checked with the
//! reference tools: Threat Dragon's own v2 schema (Python `jsonschema`, as
//! Threat Dragon's Ajv reads it), Python's XML parser for the SVG, and
//! Threat Dragon's demo models compared field by field with what import
//! and export make of them; SARIF import ([`sarif`]) and the premarket
//! documents end to end ([`premarket`]). The Python checks need `MEDSEC_TEST_PYTHON`
//! (required when `MEDSEC_REQUIRE_PYTHON=1`); the demo round trip runs
//! always.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medsec_assure::ThreatModel;
use medsec_assure::profile::{Format, Profile};
use medsec_assure::threat::{dragon, svg};
use serde_json::{Map, Value, json};

mod premarket;
mod sarif;

const FIXTURES: [&str; 5] = [
    "ecg-gateway",
    "ecg-patch-gateway",
    "infusion-pump",
    "imaging-workstation",
    "mobile-samd",
];

const DEMOS: [&str; 2] = ["v2-threat-model", "three-tier-web-app"];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/threat-dragon")
}

fn demo(name: &str) -> String {
    std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap()
}

fn model(name: &str) -> ThreatModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/devices/{name}.toml"));
    let profile = Profile::parse(&std::fs::read_to_string(path).unwrap(), Format::Toml).unwrap();
    ThreatModel::from_profile(&profile, medsec_catalog::catalogs().unwrap()).unwrap()
}

fn python(what: &str) -> Option<std::ffi::OsString> {
    let found = std::env::var_os("MEDSEC_TEST_PYTHON");
    if found.is_none() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: {what} (set MEDSEC_TEST_PYTHON)");
    }
    found
}

/// Runs a check script with a JSON object of named documents on its
/// standard input; (success, standard output and error).
fn run(
    python: &std::ffi::OsStr,
    script: &str,
    args: &[&Path],
    documents: &Value,
) -> (bool, String) {
    let mut child = Command::new(python)
        .arg(dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(documents.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn exports_are_valid_by_threat_dragons_schema() {
    let Some(python) = python("Threat Dragon schema check") else {
        return;
    };
    let schema = dir().join("threat-dragon-v2.schema.json");
    let mut docs = Map::new();
    for name in FIXTURES {
        docs.insert(name.to_owned(), dragon::export(&model(name)));
    }
    for name in DEMOS {
        // Threat Dragon's own files (so the check reads the schema as
        // Threat Dragon does) and what medsec writes of them.
        let text = demo(name);
        docs.insert(format!("td:{name}"), serde_json::from_str(&text).unwrap());
        docs.insert(
            format!("re:{name}"),
            dragon::export(&dragon::import(&text).unwrap()),
        );
    }
    let (ok, out) = run(
        &python,
        "check_schema.py",
        &[&schema],
        &Value::Object(docs.clone()),
    );
    assert!(ok, "{out}");
    for name in docs.keys() {
        assert!(
            out.lines().any(|l| l == format!("ok {name}")),
            "{name}: {out}"
        );
    }

    // The check can fail: a model without a title, a threat without a
    // severity and a diagram without its type are refused, with where.
    let mut broken = dragon::export(&model("ecg-gateway"));
    broken["summary"].as_object_mut().unwrap().remove("title");
    let cells = broken["detail"]["diagrams"][0]["cells"]
        .as_array_mut()
        .unwrap();
    let gateway = cells.iter_mut().find(|c| c["id"] == "gateway").unwrap();
    gateway["data"]["threats"][0]
        .as_object_mut()
        .unwrap()
        .remove("severity");
    broken["detail"]["diagrams"][0]
        .as_object_mut()
        .unwrap()
        .remove("diagramType");
    let (ok, out) = run(
        &python,
        "check_schema.py",
        &[&schema],
        &json!({"broken": broken}),
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("error broken $.summary: 'title' is a required property"),
        "{out}"
    );
    assert!(
        out.contains(".data.threats[0]: 'severity' is a required property"),
        "{out}"
    );
    assert!(
        out.contains("$.detail.diagrams[0]: 'diagramType' is a required property"),
        "{out}"
    );
}

#[test]
fn svgs_are_well_formed_xml_with_every_part() {
    let Some(python) = python("SVG parse with xml.etree") else {
        return;
    };
    let mut models: BTreeMap<String, ThreatModel> = BTreeMap::new();
    for name in FIXTURES {
        models.insert(name.to_owned(), model(name));
    }
    for name in DEMOS {
        models.insert(format!("td:{name}"), dragon::import(&demo(name)).unwrap());
    }
    let mut hostile = model("ecg-gateway");
    hostile.elements[0].name = "</text><script>alert(1)</script> & \"q\" 'x' ]]> \u{1}".to_owned();
    hostile.boundaries[0].name = "<!-- & -->".to_owned();
    models.insert("hostile".to_owned(), hostile);
    let docs: Map<String, Value> = models
        .iter()
        .map(|(k, m)| (k.clone(), json!(svg::render(m))))
        .collect();
    let (ok, out) = run(&python, "check_svg.py", &[], &Value::Object(docs));
    assert!(ok, "{out}");
    let parsed: BTreeMap<String, Value> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["name"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    assert_eq!(parsed.len(), models.len(), "{out}");
    for (name, m) in &models {
        let p = &parsed[name];
        assert_eq!(p["root"], "{http://www.w3.org/2000/svg}svg", "{name}");
        assert!(
            p["font_family"]
                .as_str()
                .unwrap()
                .contains("Noto Sans CJK KR")
        );
        let elements: BTreeMap<String, String> =
            serde_json::from_value(p["elements"].clone()).unwrap();
        let expected: BTreeMap<String, String> = m
            .elements
            .iter()
            .map(|e| (e.id.clone(), format!("element {}", e.kind.as_str())))
            .collect();
        assert_eq!(elements, expected, "{name}");
        let flows: Vec<String> = serde_json::from_value(p["flows"].clone()).unwrap();
        assert_eq!(
            flows,
            m.flows.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            "{name}"
        );
        let boundaries: Vec<String> = serde_json::from_value(p["boundaries"].clone()).unwrap();
        assert_eq!(
            boundaries,
            m.boundaries
                .iter()
                .map(|b| b.id.clone())
                .collect::<Vec<_>>(),
            "{name}"
        );
    }
    let texts = |name: &str| parsed[name]["texts"].as_array().unwrap().clone();
    // Korean text survives as text.
    let ecg = texts("ecg-gateway");
    for word in ["환자 가정", "병원 서버", "유헬스케어", "심전도 측정 데이터"]
    {
        assert!(
            ecg.iter().any(|t| t.as_str().unwrap().contains(word)),
            "{word}"
        );
    }
    // Hostile names come back as the text they were, never as markup.
    let hostile = texts("hostile");
    assert!(
        hostile
            .iter()
            .any(|t| t.as_str().unwrap().contains("</text><script>"))
    );
    assert!(hostile.iter().any(|t| t == "<!-- & -->"));

    // The parser refuses what is not XML.
    let (ok, out) = run(
        &python,
        "check_svg.py",
        &[],
        &json!({"bad": "<svg><g></svg>"}),
    );
    assert!(!ok && out.contains("\"error\""), "{out}");
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn b(v: &Value) -> bool {
    v.as_bool().unwrap_or(false)
}

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Object(m) => ["x", "y", "width", "height"]
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_f64))
            .collect(),
        Value::Array(a) => a.iter().flat_map(nums).collect(),
        _ => Vec::new(),
    }
}

/// The name Threat Dragon shows: `data.name`, else the label.
fn shown(cell: &Value) -> String {
    if let Some(n) = cell["data"]["name"].as_str() {
        return n.to_owned();
    }
    for p in [
        "/attrs/text/text",
        "/attrs/label/text",
        "/labels/0/attrs/labelText/text",
    ] {
        if let Some(n) = cell.pointer(p).and_then(Value::as_str) {
            return n.to_owned();
        }
    }
    String::new()
}

/// Everything Threat Dragon's model holds, original against export.
fn compare(name: &str, original: &Value, exported: &Value) {
    for p in [
        "/summary/title",
        "/summary/owner",
        "/summary/description",
        "/detail/reviewer",
    ] {
        assert_eq!(
            s(&original.pointer(p).cloned().unwrap_or_default()),
            s(&exported.pointer(p).cloned().unwrap_or_default()),
            "{name} {p}"
        );
    }
    assert_eq!(
        original["detail"]["contributors"], exported["detail"]["contributors"],
        "{name}"
    );
    let od = original["detail"]["diagrams"].as_array().unwrap();
    let ed = exported["detail"]["diagrams"].as_array().unwrap();
    assert_eq!(od.len(), ed.len(), "{name}");
    for (o, e) in od.iter().zip(ed) {
        for k in ["id", "title", "diagramType", "thumbnail"] {
            assert_eq!(o[k], e[k], "{name} diagram {k}");
        }
        assert_eq!(s(&o["description"]), s(&e["description"]), "{name}");
        let ecells: BTreeMap<&str, &Value> = e["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_str().unwrap(), c))
            .collect();
        let ocells = o["cells"].as_array().unwrap();
        assert_eq!(ocells.len(), ecells.len(), "{name}: cell count");
        for oc in ocells {
            let id = oc["id"].as_str().unwrap();
            let ec = ecells
                .get(id)
                .unwrap_or_else(|| panic!("{name}: cell {id} lost"));
            let at = format!("{name} cell {id}");
            let shape = s(&oc["shape"]).replace("broundary", "boundary");
            assert_eq!(shape, s(&ec["shape"]), "{at}");
            if let Some(t) = oc["data"]["type"].as_str() {
                assert_eq!(t, ec["data"]["type"], "{at}");
            }
            assert_eq!(shown(oc), s(&ec["data"]["name"]), "{at} name");
            assert_eq!(shown(oc), shown(ec), "{at} label");
            for k in [
                "description",
                "reasonOutOfScope",
                "protocol",
                "privilegeLevel",
            ] {
                assert_eq!(s(&oc["data"][k]), s(&ec["data"][k]), "{at} {k}");
            }
            for k in [
                "outOfScope",
                "isALog",
                "isEncrypted",
                "isSigned",
                "storesCredentials",
                "storesInventory",
                "providesAuthentication",
                "handlesCardPayment",
                "handlesGoodsOrServices",
                "isWebApplication",
                "isBidirectional",
                "isPublicNetwork",
            ] {
                assert_eq!(b(&oc["data"][k]), b(&ec["data"][k]), "{at} {k}");
            }
            for k in ["position", "size", "vertices"] {
                assert_eq!(nums(&oc[k]), nums(&ec[k]), "{at} {k}");
            }
            for k in ["source", "target"] {
                assert_eq!(oc[k]["cell"], ec[k]["cell"], "{at} {k}");
                if oc[k]["cell"].is_null() {
                    assert_eq!(nums(&oc[k]), nums(&ec[k]), "{at} {k}");
                }
            }
            let empty = Vec::new();
            let ot = oc["data"]["threats"].as_array().unwrap_or(&empty);
            let et = ec["data"]["threats"].as_array().unwrap_or(&empty);
            assert_eq!(ot.len(), et.len(), "{at} threats");
            for (o, e) in ot.iter().zip(et) {
                for k in [
                    "id",
                    "title",
                    "type",
                    "status",
                    "severity",
                    "description",
                    "mitigation",
                    "number",
                ] {
                    assert_eq!(o[k], e[k], "{at} threat {k}");
                }
                assert_eq!(s(&o["score"]), s(&e["score"]), "{at} threat score");
                let model = o["modelType"]
                    .as_str()
                    .unwrap_or(s(&od[0]["diagramType"]).as_str())
                    .to_owned();
                assert_eq!(model, s(&e["modelType"]), "{at} threat modelType");
            }
        }
    }
}

#[test]
fn threat_dragon_demos_survive_import_and_export() {
    for name in DEMOS {
        let text = demo(name);
        let original: Value = serde_json::from_str(&text).unwrap();
        let m = dragon::import(&text).unwrap();
        let exported = dragon::export(&m);
        compare(name, &original, &exported);
        let again = dragon::import(&exported.to_string()).unwrap();
        assert_eq!(again, m, "{name}");
    }
}
