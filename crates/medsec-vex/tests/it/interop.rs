//! The reference tools judge the writers' output: the official OpenVEX
//! JSON schema and the CSAF 2.0 schema through Python `jsonschema`
//! (formats checked), CycloneDX through cyclonedx-python-lib's strict
//! 1.6 validators. Each check first shows that the tool rejects a broken
//! document, so a passing test means something.

use std::path::{Path, PathBuf};
use std::process::Command;

use medsec_vex::{CsafOptions, Document};

use super::*;

fn script(name: &str) -> PathBuf {
    manifest_dir().join("tests").join(name)
}

/// Runs a checker script; (success, output).
fn run(python: &Path, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let output = Command::new(python)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Writes `docs` to files in a fresh directory.
fn write_files(dir: &Path, docs: &[(String, String)]) -> Vec<PathBuf> {
    docs.iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// The models every writer is checked on: medsec's device VEX, the
/// go-vex and specification examples, and the CycloneDX fixture.
fn models() -> Vec<(String, Document)> {
    let mut cyclonedx = read_fixture("cyclonedx/infusion-pump-vex.cdx.json");
    // CSAF needs a justification for the false positive.
    cyclonedx.statements[5].justification = Some(Justification::ComponentNotPresent);
    vec![
        ("device".to_owned(), device_vex()),
        (
            "go-vex-v0.2.0".to_owned(),
            read_fixture("openvex/go-vex/v0.2.0.json"),
        ),
        (
            "go-vex-v0.0.1".to_owned(),
            read_fixture("openvex/go-vex/v0.0.1.json"),
        ),
        (
            "spec-example-06".to_owned(),
            read_fixture("openvex/spec/example-06.json"),
        ),
        ("cyclonedx-fixture".to_owned(), cyclonedx),
    ]
}

#[test]
fn written_openvex_is_valid_by_the_official_schema() {
    let Some(python) = python("OpenVEX schema check") else {
        return;
    };
    let schema = fixture("openvex/openvex_json_schema.json");
    let dir = tempfile::tempdir().unwrap();
    // The tool rejects what the schema forbids: a not_affected statement
    // without justification or impact statement, an @id that is no IRI.
    let mut broken: serde_json::Value =
        serde_json::from_str(&medsec_vex::write_openvex(&device_vex()).unwrap()).unwrap();
    broken["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("justification");
    broken["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("impact_statement");
    broken["@id"] = serde_json::json!("not an iri");
    let bad = write_files(
        dir.path(),
        &[("broken.json".to_owned(), broken.to_string())],
    );
    let (ok, out) = run(
        &python,
        &[
            script("check_schema.py").as_os_str(),
            schema.as_os_str(),
            bad[0].as_os_str(),
        ],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("$.statements[0]"), "{out}");
    assert!(out.contains("$.@id") || out.contains("$['@id']"), "{out}");

    let mut docs = Vec::new();
    for (name, model) in models() {
        let mut model = model;
        // Documents without an IRI id or a timestamp get ones, so that
        // the writer has what the schema requires.
        if model.id.as_deref().is_none_or(|id| !id.contains(':')) {
            model.id = Some(format!("https://openvex.dev/docs/example/{name}"));
        }
        model
            .timestamp
            .get_or_insert_with(|| "2025-01-01T00:00:00Z".to_owned());
        docs.push((
            format!("{name}.openvex.json"),
            medsec_vex::write_openvex(&model).unwrap_or_else(|e| panic!("{name}: {e}")),
        ));
    }
    // Output that came through the other formats, too.
    let device = device_vex();
    let via_cdx = medsec_vex::read(
        medsec_vex::write_cyclonedx_json(&device)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let mut via_cdx = via_cdx;
    via_cdx.id = device.id.clone();
    docs.push((
        "via-cyclonedx.openvex.json".to_owned(),
        medsec_vex::write_openvex(&via_cdx).unwrap(),
    ));
    let files = write_files(dir.path(), &docs);
    let mut args = vec![
        script("check_schema.py").into_os_string(),
        schema.into_os_string(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (ok, out) = run(&python, &args);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("ok {}", docs.len())), "{out}");
}

#[test]
fn written_cyclonedx_is_valid_for_cyclonedx_python_lib() {
    let Some(python) = python("CycloneDX validation") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut json_docs = Vec::new();
    let mut xml_docs = Vec::new();
    for (name, model) in models() {
        json_docs.push((
            format!("{name}.cdx.json"),
            medsec_vex::write_cyclonedx_json(&model).unwrap(),
        ));
        xml_docs.push((
            format!("{name}.cdx.xml"),
            medsec_vex::write_cyclonedx_xml(&model).unwrap(),
        ));
    }
    // The tool rejects an analysis state CycloneDX does not have.
    let broken = json_docs[0].1.replace("\"in_triage\"", "\"triaged\"");
    assert_ne!(broken, json_docs[0].1);
    for (kind, docs, broken) in [("json", json_docs, Some(broken)), ("xml", xml_docs, None)] {
        if let Some(broken) = broken {
            let bad = write_files(dir.path(), &[("broken.cdx.json".to_owned(), broken)]);
            let (ok, out) = run(
                &python,
                &[
                    script("check_cyclonedx.py").as_os_str(),
                    std::ffi::OsStr::new(kind),
                    bad[0].as_os_str(),
                ],
            );
            assert!(!ok && out.contains("INVALID"), "{out}");
        }
        let files = write_files(dir.path(), &docs);
        let mut args = vec![script("check_cyclonedx.py").into_os_string(), kind.into()];
        args.extend(files.iter().map(|f| f.clone().into_os_string()));
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let (ok, out) = run(&python, &args);
        assert!(ok, "{kind}: {out}");
        assert!(out.contains(&format!("ok {}", docs.len())), "{out}");
    }
}

#[test]
fn written_csaf_is_valid_by_the_csaf_schema() {
    let Some(python) = python("CSAF schema check") else {
        return;
    };
    let Some(data) = data_dir("CSAF schema check") else {
        return;
    };
    let schema = data.join("csaf/schema/csaf_2.0/csaf_json_schema.json");
    let dir = tempfile::tempdir().unwrap();
    let options = CsafOptions {
        lang: Some("ko-KR".to_owned()),
        ..CsafOptions::new("https://psirt.example.com")
    };
    let mut docs = Vec::new();
    for (name, model) in models() {
        let written =
            medsec_vex::write_csaf(&model, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (n, w) in written.into_iter().enumerate() {
            docs.push((format!("{name}-{n}.csaf.json"), w.json));
        }
    }
    // The tool rejects a flag label CSAF does not have.
    let broken = docs[0]
        .1
        .replace("\"component_not_present\"", "\"not_present\"");
    assert_ne!(broken, docs[0].1);
    let bad = write_files(dir.path(), &[("broken.csaf.json".to_owned(), broken)]);
    let (ok, out) = run(
        &python,
        &[
            script("check_schema.py").as_os_str(),
            schema.as_os_str(),
            bad[0].as_os_str(),
        ],
    );
    assert!(!ok, "{out}");
    let files = write_files(dir.path(), &docs);
    let mut args = vec![
        script("check_schema.py").into_os_string(),
        schema.into_os_string(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (ok, out) = run(&python, &args);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("ok {}", docs.len())), "{out}");
}
