//! Our formats checked by their reference tools: the OpenAPI document by
//! `openapi-spec-validator`, the metrics text by the Prometheus client's
//! parser (both from PyPI, in the venv `scripts/test` makes).

use axum::http::StatusCode;
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, TestApp};

/// The Python with the reference tools, or `None` (with a note) when not
/// configured, unless `MEDSEC_REQUIRE_PYTHON=1` makes that a failure.
pub fn python() -> Option<String> {
    match std::env::var("MEDSEC_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
                "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
            );
            eprintln!(
                "skipped: reference-tool check (run scripts/test, or set MEDSEC_TEST_PYTHON to a Python with scripts/test-requirements.txt)"
            );
            None
        }
    }
}

/// Runs a Python snippet with `path` as its argument; returns stdout, or
/// panics with stderr when the tool rejects the input.
pub fn run_python(python: &str, code: &str, path: &std::path::Path) -> String {
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(code)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the reference tool rejected {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub async fn openapi_passes_the_reference_validator(db: TestDb) {
    let Some(py) = python() else { return };
    let app = TestApp::new(db).await;
    let doc = app.api().get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, &doc.body).unwrap();
    let out = run_python(
        &py,
        "import json, sys\nfrom openapi_spec_validator import validate\nfrom openapi_spec_validator.versions import consts\nspec = json.load(open(sys.argv[1]))\nvalidate(spec)\nprint(spec['openapi'], len(spec['paths']))",
        &path,
    );
    assert!(out.starts_with("3.1.0 "), "{out}");
}

pub async fn metrics_parse_with_the_prometheus_client(db: TestDb) {
    let Some(py) = python() else { return };
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": "wrong-wrong-1"}),
        )
        .await;
    let made = root
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "prom", "scopes": ["metrics"], "days": 1}),
        )
        .await
        .json();
    let prom = crate::Api {
        app: &app,
        token: Some(made["token"].as_str().unwrap().to_owned()),
    };
    let text = prom.get("/metrics").await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(
        text.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.txt");
    std::fs::write(&path, &text.body).unwrap();
    let out = run_python(
        &py,
        "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\nfor f in text_string_to_metric_families(open(sys.argv[1]).read()):\n    for s in f.samples:\n        print(s.name, s.value)",
        &path,
    );
    assert!(
        out.lines().any(|l| l == "medsec_logins_failed_total 1.0"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("medsec_http_request_duration_seconds_bucket ")),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "medsec_up 1.0"), "{out}");
}

/// The checklist JSON of both editions validates against its published
/// schema (docs/schemas) with Python's `jsonschema`, and a broken copy
/// does not.
pub async fn checklist_json_passes_its_schema(db: TestDb) {
    let Some(py) = python() else { return };
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let sample = crate::assure::sample(&app, &root).await;
    let mut web = app.browser();
    web.login(&sample.username, &sample.password).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = format!(
        "{}/../../docs/schemas/medsec-checklist-1.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let code = format!(
        "import json, sys\nfrom jsonschema import Draft202012Validator\nschema = json.load(open({schema:?}))\nDraft202012Validator.check_schema(schema)\ndoc = json.load(open(sys.argv[1]))\nerrors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)\nfor e in errors:\n    print('INVALID', list(e.absolute_path), e.message)\nprint('rows', len(doc['rows']))"
    );
    let r = web
        .get(&format!("/checklists/{}/export/json", sample.checklist))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let path = dir.path().join("checklist.json");
    std::fs::write(&path, &r.bytes).unwrap();
    let out = run_python(&py, &code, &path);
    assert_eq!(out.trim(), "rows 35", "{out}");
    // The schema is not a formality: a wrong value is caught.
    let mut doc: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    doc["header"]["security_level"] = serde_json::json!("extreme");
    doc["rows"][0]["tests"] = serde_json::json!([{"by": "x", "on": "yesterday", "result": "pass"}]);
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = run_python(&py, &code, &path);
    assert!(
        out.contains("INVALID ['header', 'security_level']"),
        "{out}"
    );
    assert!(
        out.contains("INVALID ['rows', 0, 'tests', 0, 'on']"),
        "{out}"
    );
}

/// The multi-node bus series (`medsec_server::watch::bus_metrics`) as the
/// Prometheus client reads them.
#[test]
fn bus_metrics_parse_with_the_prometheus_client() {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(py) = python() else { return };
    let m = medsec_ingest::bus::BusMetrics::default();
    m.published_events.store(1234, Relaxed);
    m.indexer_pending.store(7, Relaxed);
    m.full.store(true, Relaxed);
    m.duplicate_events.store(3, Relaxed);
    let text = medsec_server::watch::bus_metrics(&m);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.txt");
    std::fs::write(&path, &text).unwrap();
    let out = run_python(
        &py,
        "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\nfor f in text_string_to_metric_families(open(sys.argv[1]).read()):\n    for s in f.samples:\n        print(f.type, s.name, s.value)",
        &path,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 15, "{out}");
    for want in [
        "counter medsec_bus_published_events_total 1234.0",
        "gauge medsec_bus_indexer_pending_messages 7.0",
        "gauge medsec_bus_full 1.0",
        "counter medsec_bus_duplicate_events_total 3.0",
        "counter medsec_bus_bad_messages_total 0.0",
    ] {
        assert!(lines.contains(&want), "{want}: {out}");
    }
}
