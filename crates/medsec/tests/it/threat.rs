//! `medsec threat model|import-dragon` with the real binary over the
//! example devices and the Threat Dragon demo models: the output equals
//! what `medsec-assure` computes, the SVG is well-formed XML for Python's
//! parser, and malformed inputs are named with their file and field or
//! JSON pointer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medsec_assure::ThreatModel;
use medsec_assure::profile::{Format, Profile};
use medsec_assure::threat::dragon;

use crate::{run, text};

pub fn device(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../medsec-assure/fixtures/devices/{name}.toml"))
}

fn dragon_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../medsec-assure/tests/threat-dragon/{name}"))
}

/// The model as the library makes it.
pub fn library_model(name: &str) -> ThreatModel {
    let profile = Profile::parse(
        &std::fs::read_to_string(device(name)).unwrap(),
        Format::Toml,
    )
    .unwrap();
    ThreatModel::from_profile(&profile, medsec_catalog::catalogs().unwrap()).unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: {}",
        text(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn threat_model_report_follows_the_four_questions() {
    for name in ["ecg-gateway", "ecg-patch-gateway"] {
        let model = library_model(name);
        let path = device(name);
        let ko = ok(&["threat", "model", path.to_str().unwrap()]);
        assert!(ko.starts_with(&format!("# {}\n", model.title)), "{ko}");
        let headings: Vec<&str> = ko.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(
            headings,
            [
                "## 1. 구축하는 모델은 무엇인가? (What are we working on?)",
                "## 2. 잠재적 문제는 무엇인가? (What can go wrong?)",
                "## 3. 이러한 부분에 어떤 조치를 취할 것인가? (What are we going to do about it?)",
                "## 4. 충분한 조치를 취했는가? (Did we do a good job?)",
            ],
            "{name}"
        );
        // Every threat on a line of its own, in model order, with its
        // STRIDE letter, severity and status.
        let threat_lines: Vec<&str> = ko.lines().filter(|l| l.starts_with("    TM-")).collect();
        assert_eq!(threat_lines.len(), model.threats().len(), "{name}");
        for (line, t) in threat_lines.iter().zip(model.threats()) {
            let fields: Vec<&str> = line.trim().split("  ").collect();
            assert_eq!(fields[0], t.id);
            assert_eq!(fields[2], t.severity.as_str());
            assert_eq!(fields[3], t.status.as_str());
            assert_eq!(fields[4], t.title.ko);
        }
        // Every element and flow of the model is listed.
        for e in &model.elements {
            assert!(
                ko.lines().any(|l| l.starts_with(&format!("  {}  ", e.id))),
                "{name}: element {}",
                e.id
            );
        }
        for f in &model.flows {
            assert!(
                ko.lines().any(|l| l.starts_with(&format!("  {}  ", f.id))),
                "{name}: flow {}",
                f.id
            );
        }
        let last = ko.lines().last().unwrap();
        assert_eq!(
            last,
            format!(
                "위협: {}, 미조치: {}",
                model.threats().len(),
                model.threats().len()
            )
        );
        let en = ok(&["threat", "model", path.to_str().unwrap(), "--lang", "en"]);
        assert!(
            en.contains("\nelements:\n") && en.contains("\nflows:\n"),
            "{en}"
        );
        let t = &model.threats()[0];
        assert!(en.contains(&t.title.en), "{en}");
        assert!(en.lines().last().unwrap().starts_with("threats: "));
    }
    // The ward system states unencrypted and unauthenticated flows, which
    // the fourth question's checks name.
    let patch = ok(&[
        "threat",
        "model",
        device("ecg-patch-gateway").to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert!(
        patch
            .lines()
            .any(|l| l.starts_with("  [ok] threats-for-every-element")),
        "{patch}"
    );
}

#[test]
fn threat_model_json_and_dragon_equal_the_library() {
    for name in ["ecg-gateway", "ecg-patch-gateway"] {
        let model = library_model(name);
        let path = device(name);
        let json = ok(&[
            "threat",
            "model",
            path.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let read: ThreatModel = serde_json::from_str(&json).unwrap();
        assert_eq!(read, model, "{name}");
        let td = ok(&[
            "threat",
            "model",
            path.to_str().unwrap(),
            "--format",
            "dragon",
        ]);
        let value: serde_json::Value = serde_json::from_str(&td).unwrap();
        assert_eq!(value, dragon::export(&model), "{name}");
        // Written back in and read again: the same model as the library's
        // import of its own export.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, &td).unwrap();
        let again = ok(&["threat", "import-dragon", file.to_str().unwrap()]);
        let imported: ThreatModel = serde_json::from_str(&again).unwrap();
        assert_eq!(imported, dragon::import(&td).unwrap(), "{name}");
        assert_eq!(imported.threats().len(), model.threats().len());
    }
}

#[test]
fn threat_dragon_demo_models_import() {
    for name in ["v2-threat-model.json", "three-tier-web-app.json"] {
        let path = dragon_file(name);
        let expected = dragon::import(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let json = ok(&["threat", "import-dragon", path.to_str().unwrap()]);
        let read: ThreatModel = serde_json::from_str(&json).unwrap();
        assert_eq!(read, expected, "{name}");
        let report = ok(&[
            "threat",
            "import-dragon",
            path.to_str().unwrap(),
            "--format",
            "report",
            "--lang",
            "en",
        ]);
        assert!(
            report.starts_with(&format!("# {}\n", expected.title)),
            "{report}"
        );
        for t in expected.threats() {
            assert!(
                report
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{}  ", t.id))),
                "{name}: threat {} missing:\n{report}",
                t.id
            );
        }
    }
}

#[test]
fn threat_svg_parses_as_xml() {
    let Some(python) = std::env::var_os("MEDSEC_TEST_PYTHON") else {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: SVG through Python's XML parser (set MEDSEC_TEST_PYTHON)");
        return;
    };
    let mut documents = serde_json::Map::new();
    for name in ["ecg-gateway", "ecg-patch-gateway"] {
        let svg = ok(&[
            "threat",
            "model",
            device(name).to_str().unwrap(),
            "--format",
            "svg",
        ]);
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
        documents.insert(name.to_owned(), serde_json::Value::String(svg));
    }
    let mut child = Command::new(python)
        .arg(dragon_file("check_svg.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::Value::Object(documents).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for line in text(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["name"].as_str().unwrap();
        assert_eq!(v["root"], "{http://www.w3.org/2000/svg}svg", "{line}");
        let model = library_model(name);
        // Every element of the first diagram is drawn, with its name.
        let drawn = v["elements"].as_object().unwrap();
        for e in model.elements.iter().filter(|e| e.diagram == 0) {
            assert!(drawn.contains_key(&e.id), "{name}: {} not drawn", e.id);
        }
        let texts: Vec<&str> = v["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            model
                .elements
                .iter()
                .any(|e| texts.iter().any(|t| t.contains(e.name.as_str()))),
            "{name}: no element name among {texts:?}"
        );
    }
}

#[test]
fn threat_inputs_that_are_wrong_are_named() {
    let dir = tempfile::tempdir().unwrap();
    // A profile with a bad field: the file and the field.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(device("ecg-gateway"))
            .unwrap()
            .replace("grade = 2", "grade = 9"),
    )
    .unwrap();
    let err = fails(&["threat", "model", bad.to_str().unwrap()]);
    assert!(
        err.contains(&format!(
            "error: {}: device.grade: must be 1 to 4",
            bad.display()
        )),
        "{err}"
    );
    // A flow to an element that does not exist: the flow's field.
    let dangling = dir.path().join("dangling.toml");
    let profile = std::fs::read_to_string(device("ecg-patch-gateway")).unwrap();
    let first_to = profile
        .lines()
        .find(|l| l.trim_start().starts_with("to = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &dangling,
        profile.replacen(&first_to, "to = \"nowhere\"", 1),
    )
    .unwrap();
    let err = fails(&["threat", "model", dangling.to_str().unwrap()]);
    assert!(
        err.contains("dangling.toml: flow[") && err.contains(".to"),
        "{err}"
    );
    assert!(err.contains("nowhere"), "{err}");
    // A missing file.
    let err = fails(&["threat", "model", "/nonexistent/profile.toml"]);
    assert!(err.contains("reading /nonexistent/profile.toml"), "{err}");
    // Threat Dragon files: not JSON, no version, a bad cell.
    for (content, expected) in [
        ("{\"summary\": ", "line 1, column 12: not JSON"),
        (
            "{\"summary\": {\"title\": \"x\"}, \"detail\": {}}",
            "/version: missing",
        ),
        ("[1, 2]", "(document)"),
    ] {
        let f = dir.path().join("td.json");
        std::fs::write(&f, content).unwrap();
        let err = fails(&["threat", "import-dragon", f.to_str().unwrap()]);
        assert!(
            err.contains(&format!("error: {}: ", f.display())) && err.contains(expected),
            "{content}: {err}"
        );
    }
    // A cell deep inside a real model: the JSON pointer to it.
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dragon_file("v2-threat-model.json")).unwrap(),
    )
    .unwrap();
    v["detail"]["diagrams"][0]["cells"][1]["data"]["threats"] = serde_json::json!("none");
    let f = dir.path().join("cell.json");
    std::fs::write(&f, v.to_string()).unwrap();
    let err = fails(&["threat", "import-dragon", f.to_str().unwrap()]);
    assert!(
        err.contains("/detail/diagrams/0/cells/1/data/threats: expected an array"),
        "{err}"
    );
    // Unknown formats are refused by the argument parser.
    let out = run(&["threat", "model", bad.to_str().unwrap(), "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    // --help documents the formats.
    let help = text(&run(&["threat", "model", "--help"]).stdout);
    for word in ["report", "json", "svg", "dragon", "--lang"] {
        assert!(help.contains(word), "{help}");
    }
}
