//! A device's premarket documents through the web UI and the API: the
//! ECG gateway of seed 000 from its profile to the threat model, the risk
//! register, a rubric assessment, a fuzzing campaign's SARIF file, a
//! justification and the traceability matrix, whose gaps close as the
//! manufacturer works; bad files are refused naming what and where, stale
//! revisions conflict, and another manufacturer finds nothing.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use medsec_assure::rubric::Answers;
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, Browser, HOST, Res, TestApp};

fn assure_file(path: &str) -> Vec<u8> {
    let path = format!("{}/../medsec-assure/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn profile() -> String {
    String::from_utf8(assure_file("fixtures/devices/ecg-gateway.toml")).unwrap()
}

/// The text of a page as a reader sees it (askama escapes `/` and `=`).
fn text(res: &Res) -> String {
    res.body
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#96;", "`")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// A complete questionnaire: the first choice of every question asked.
fn rubric_answers() -> Answers {
    let mut a = Answers::default();
    while let Some(q) = a.next() {
        a = a.with(q.key, q.choices[0].id);
    }
    a
}

/// The gap kinds the trace page lists, with their count.
fn gap_kinds(app: &TestApp, page: &Res) -> BTreeMap<String, usize> {
    let _ = app;
    let mut out = BTreeMap::new();
    for row in page.body.split("<tr class=\"gap\">").skip(1) {
        let kind = row
            .split("<td>")
            .nth(1)
            .and_then(|c| c.split("</td>").next())
            .unwrap()
            .to_owned();
        *out.entry(kind).or_default() += 1;
    }
    out
}

async fn maker_app(db: TestDb) -> TestApp {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "메드시큐",
        "manufacturer",
        "maker",
        "Quartz-Pass-123",
    )
    .await;
    app.add_org(
        &root,
        "Other Devices",
        "manufacturer",
        "other",
        "Cedar-Pass-1234",
    )
    .await;
    app
}

async fn login<'a>(app: &'a TestApp, user: &str, password: &str) -> Browser<'a> {
    let mut web = app.browser();
    web.login(user, password).await;
    web
}

/// The device and its checklist on MFDS 2019 (the seed's edition).
async fn ecg_gateway(web: &mut Browser<'_>) -> String {
    web.get("/devices").await;
    let r = web
        .post("/devices", &[("format", "toml"), ("profile", &profile())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let device = r.location().trim_start_matches("/devices/").to_owned();
    web.get(&format!("/devices/{device}")).await;
    let r = web
        .post(
            &format!("/devices/{device}/checklists"),
            &[("catalog", "mfds-2019")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    device
}

pub async fn premarket_documents_from_profile_to_trace(db: TestDb) {
    let app = maker_app(db).await;
    let mut web = login(&app, "maker", "Quartz-Pass-123").await;
    let device = ecg_gateway(&mut web).await;
    let base = format!("/devices/{device}");

    // The device page links to the four documents.
    let page = web.get(&base).await;
    for p in ["threat-model", "risks", "tests", "trace"] {
        assert!(text(&page).contains(&format!("href=\"{base}/{p}\"")), "{p}");
    }

    // 위협 모델: IMDRF's four questions, the threats with their KISA
    // threats and requirements, and the diagram from its own route.
    let page = web.get(&format!("{base}/threat-model")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = text(&page);
    for q in medsec_assure::threat::report::Question::ALL {
        assert!(body.contains(q.ko()), "{}", q.ko());
    }
    assert!(body.contains("TM-gateway-S"), "{body}");
    assert!(body.contains("/catalogs/mfds-2019/1.1"), "requirement link");
    assert!(body.contains(&format!(
        "<img class=\"diagram\" src=\"{base}/threat-model/export/diagram.svg\""
    )));
    let svg = web
        .get(&format!("{base}/threat-model/export/diagram.svg"))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(
        svg.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.body.contains("<svg") && svg.body.contains("</svg>"));
    // Threat Dragon: export, import of that export, a malformed file.
    let dragon = web
        .get(&format!("{base}/threat-model/export/threat-dragon.json"))
        .await;
    assert_eq!(dragon.status, StatusCode::OK);
    assert!(
        dragon.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let exported: serde_json::Value = serde_json::from_slice(&dragon.bytes).unwrap();
    assert!(exported["detail"]["diagrams"].is_array(), "{exported}");
    let mut broken = exported.clone();
    broken["detail"]["diagrams"][0]["cells"] = serde_json::json!("not cells");
    let r = web
        .upload(
            &format!("{base}/threat-model/import"),
            "broken.json",
            broken.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        text(&r).contains("/detail/diagrams/0/cells"),
        "the pointer: {}",
        r.body
    );
    assert!(
        app.state
            .store
            .threat_model(&app_org(&app, "메드시큐").await, &device)
            .await
            .unwrap()
            .is_none(),
        "nothing stored"
    );
    let r = web
        .upload(
            &format!("{base}/threat-model/import"),
            "ecg.json",
            &dragon.bytes,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/threat-model")).await;
    assert!(page.body.contains("ecg.json"), "imported: {}", page.body);
    assert!(text(&page).contains("TM-gateway-S"));
    let r = web.post(&format!("{base}/threat-model/reset"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get(&format!("{base}/threat-model")).await;
    assert!(!page.body.contains("ecg.json"));

    // 위험 관리: the first register, derived and not stored yet.
    let page = web.get(&format!("{base}/risks")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.input_value("revision").as_deref(), Some("0"));
    let body = text(&page);
    assert!(body.contains("R-TM-gateway-S"));
    assert!(
        body.contains(&format!(
            "/tools/rubric?device={device}&risk=R-TM-gateway-S"
        )),
        "{}",
        body.split("tools/rubric").nth(1).unwrap_or("no link")
    );

    // The trace of the first draft.
    let trace = web.get(&format!("{base}/trace")).await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    let first = gap_kinds(&app, &trace);
    for kind in ["시험 없는 통제", "실시 안 한 시험", "구현 안 된 통제"] {
        assert!(first.contains_key(kind), "{kind}: {first:?}");
    }
    assert!(!first.contains_key("정당화 없는 이상 사항"), "{first:?}");
    assert!(!first.contains_key("없는 증거 파일"), "{first:?}");
    let residual_before = first.get("검토 안 된 잔여위험").copied().unwrap_or(0);
    assert!(residual_before > 0, "{first:?}");
    // Each gap links to where it is fixed.
    assert!(text(&trace).contains(&format!("{base}/risks#control-C-")));
    assert!(text(&trace).contains("/checklists/"));

    // Edit a risk: harm, controls, residual and acceptance.
    let risk = "R-TM-gateway-S";
    let path = format!("{base}/risks/{risk}");
    let edit = |rev: &'static str| {
        vec![
            ("revision", rev),
            ("harm_severity", "serious"),
            ("harm_rationale", "잘못된 심전도 전송으로 진단 지연"),
            ("control:C-user-auth", "implemented"),
            ("residual_exploitability", "low"),
            ("residual_severity", ""),
            (
                "residual_rationale",
                "게이트웨이 관리 화면은 인증 뒤에 있음",
            ),
            ("accept", "yes"),
            ("accepted_by", "이품질 (위험관리 책임자)"),
            ("accepted_on", "2025-03-07"),
            (
                "acceptance_rationale",
                "추가 통제는 실행 불가능하며 이익이 잔여위험보다 큼",
            ),
        ]
    };
    // A bad date names the field and stores nothing.
    let mut bad = edit("0");
    bad[9] = ("accepted_on", "곧");
    let r = web.post(&path, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("accepted_on"), "{}", r.body);
    let r = web.post(&path, &edit("0")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("#risk-R-TM-gateway-S"));
    // The same form again: its revision is stale.
    let mut again = edit("0");
    again[1] = ("harm_severity", "critical");
    let r = web.post(&path, &again).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("changed by someone else"), "{}", r.body);
    // An unknown risk is not found.
    let r = web
        .post(&format!("{base}/risks/R-no-such"), &edit("1"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = web.get(&format!("{base}/risks")).await;
    assert_eq!(page.input_value("revision").as_deref(), Some("1"));
    assert!(page.body.contains("이품질"));

    // The rubric page's contract: `answers` and `_csrf` only.
    let answers = rubric_answers();
    let assessed = answers.assess().unwrap();
    let r = web
        .post(
            &format!("{path}/rubric"),
            &[("answers", "{\"answers\": {\"XNOPE\": \"yes\"}}")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(text(&r).contains("answers.XNOPE"), "{}", r.body);
    let r = web
        .post(
            &format!("{path}/rubric"),
            &[("answers", &serde_json::to_string(&answers).unwrap())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/risks")).await;
    assert_eq!(page.input_value("revision").as_deref(), Some("2"));
    assert!(text(&page).contains(&assessed.vector), "{}", page.body);
    let org = app_org(&app, "메드시큐").await;
    let stored = app
        .state
        .store
        .rubric_assessments(&org, &device, Some(risk))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].vector, assessed.vector);

    // Download, change and upload the register; a broken one is refused
    // naming the entry and field, all or nothing.
    let toml = web.get(&format!("{base}/risk-register/export/toml")).await;
    assert_eq!(toml.status, StatusCode::OK);
    let toml = toml.body;
    assert!(toml.contains("medsec-risk-register/1"));
    let broken = toml.replacen("controls = [", "controls = [\"C-nowhere\", ", 1);
    web.get(&format!("{base}/risks")).await;
    let r = web
        .upload_with(
            &format!("{base}/risk-register/upload"),
            &[("revision", "2")],
            "register.toml",
            broken.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        text(&r).contains("controls[0]") && text(&r).contains("C-nowhere"),
        "{}",
        r.body
    );
    let r = web
        .upload_with(
            &format!("{base}/risk-register/upload"),
            &[("revision", "2")],
            "register.toml",
            b"schema = \"medsec-risk-register/1\"\ntitle = ",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = web
        .upload_with(
            &format!("{base}/risk-register/upload"),
            &[("revision", "2")],
            "register.toml",
            toml.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/risks")).await;
    assert_eq!(page.input_value("revision").as_deref(), Some("3"));
    // Rebuilding from the model adds nothing new and keeps the edits.
    let r = web
        .post(
            &format!("{base}/risk-register/rebuild"),
            &[("revision", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/risks")).await;
    assert!(page.body.contains("이품질"));

    // 보안 시험 증거: a malformed SARIF file is refused with its pointer
    // and nothing is kept; the fuzzing campaign's file is kept.
    let page = web.get(&format!("{base}/tests")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("TC-mfds-2019-1.1"));
    let evidence_before = app.state.store.list_evidence(&org).await.unwrap().len();
    let r = web
        .upload_with(
            &format!("{base}/scans"),
            &[("test", "TC-mfds-2019-1.1")],
            "bad.sarif",
            &assure_file("tests/sarif/invalid/results-not-array.sarif"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        text(&r).contains("/runs/0/results: must be an array"),
        "{}",
        r.body
    );
    let r = web
        .upload_with(
            &format!("{base}/scans"),
            &[("test", "TC-nowhere")],
            "fuzz.sarif",
            &assure_file("tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(text(&r).contains("TC-nowhere"));
    assert_eq!(
        app.state.store.list_evidence(&org).await.unwrap().len(),
        evidence_before
    );
    assert!(
        app.state
            .store
            .scan_reports(&org, &device)
            .await
            .unwrap()
            .is_empty()
    );
    let fuzz = assure_file("tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif");
    let r = web
        .upload_with(
            &format!("{base}/scans"),
            &[("test", "TC-mfds-2019-1.1")],
            "fuzz-login-parser.sarif",
            &fuzz,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let evidence = app.state.store.list_evidence(&org).await.unwrap();
    assert_eq!(evidence.len(), evidence_before + 1);
    let sha = medsec_assure::evidence::sha256_hex(&fuzz);
    assert!(evidence.iter().any(|e| e.sha256 == sha));
    let page = web.get(&format!("{base}/tests")).await;
    assert!(page.body.contains("fuzz-login-parser.sarif"));
    let anomalies: Vec<String> = page
        .body
        .split("name=\"anomaly\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().replace("&#x2f;", "/"))
        .collect();
    assert_eq!(anomalies.len(), 2, "both fuzzer findings: {anomalies:?}");

    // The trace now has the unjustified anomalies but no missing file:
    // the SARIF file is stored as evidence.
    let trace = web.get(&format!("{base}/trace")).await;
    let second = gap_kinds(&app, &trace);
    assert_eq!(second.get("정당화 없는 이상 사항"), Some(&2), "{second:?}");
    assert!(!second.contains_key("없는 증거 파일"), "{second:?}");
    // The accepted risk left the residual gaps.
    assert!(
        second.get("검토 안 된 잔여위험").copied().unwrap_or(0) < residual_before,
        "{second:?}"
    );

    // Justifications: an unknown anomaly and an unknown control are
    // refused; a complete one closes its gap.
    web.get(&format!("{base}/tests")).await;
    let r = web
        .post(
            &format!("{base}/anomalies"),
            &[
                ("anomaly", "AN-nowhere"),
                ("why_acceptable", "인증 전에는 도달할 수 없음"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = web
        .post(
            &format!("{base}/anomalies"),
            &[
                ("anomaly", &anomalies[0]),
                ("why_acceptable", "인증 전에는 도달할 수 없음"),
                ("compensating_controls", "C-nowhere"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("C-nowhere"));
    let r = web
        .post(
            &format!("{base}/anomalies"),
            &[
                ("anomaly", &anomalies[0]),
                (
                    "why_acceptable",
                    "인증 전에는 길이 제한(512 B)으로 도달 불가, 다음 릴리스에서 수정",
                ),
                ("compensating_controls", "C-user-auth"),
                ("on", "2025-03-06"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let trace = web.get(&format!("{base}/trace")).await;
    let third = gap_kinds(&app, &trace);
    assert_eq!(third.get("정당화 없는 이상 사항"), Some(&1), "{third:?}");
    assert!(
        third.values().sum::<usize>() < second.values().sum::<usize>(),
        "closing gaps shrinks the list"
    );
    // The English page says the same in English.
    web.get(&format!("/lang/en?next={base}/trace")).await;
    let en = web.get(&format!("{base}/trace")).await;
    assert!(en.body.contains("Anomaly without justification"));
    web.get(&format!("/lang/ko?next={base}/trace")).await;

    // One action builds the submission package from what is stored; it
    // verifies, holds the SARIF file by its SHA-256 and lists the gaps
    // the trace page shows instead of hiding them.
    assert!(offers_package(
        &web.get(&format!("{base}/trace")).await.body,
        &base
    ));
    for layout in ["mfds", "fda"] {
        let zip = web.get(&format!("{base}/package/{layout}")).await;
        assert_eq!(zip.status, StatusCode::OK, "{layout}: {}", zip.body);
        assert!(zip.bytes.starts_with(b"PK\x03\x04"), "{layout}");
        let v = medsec_package::verify(&zip.bytes);
        assert!(v.is_clean(), "{layout}: {:?}", v.problems);
        let manifest = v.manifest.unwrap();
        assert!(
            manifest.files.iter().any(|f| f.sha256 == sha),
            "{layout}: the SARIF file is in the package"
        );
        assert_eq!(
            manifest.gaps_by_kind.get("anomaly-without-justification"),
            Some(&1),
            "{layout}: {:?}",
            manifest.gaps_by_kind
        );
        assert_eq!(
            manifest.gaps,
            third.values().sum::<usize>(),
            "{layout}: the package lists the trace page's gaps"
        );
    }
    assert_eq!(
        web.get(&format!("{base}/package/docx")).await.status,
        StatusCode::NOT_FOUND
    );

    // Every change is audited.
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    for a in [
        "threat_model.imported",
        "threat_model.reset",
        "risk_register.updated",
        "risk.rubric_assessed",
        "scan_report.uploaded",
        "anomaly.justified",
        "package.built",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }

    // Another manufacturer finds none of it, by page or API.
    let mut other = login(&app, "other", "Cedar-Pass-1234").await;
    for p in ["threat-model", "risks", "tests", "trace", "package/mfds"] {
        assert_eq!(
            other.get(&format!("{base}/{p}")).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    other.get("/devices").await;
    assert_eq!(
        other.post(&path, &edit("3")).await.status,
        StatusCode::NOT_FOUND
    );
    let api = app.api_login("other", "Cedar-Pass-1234").await;
    assert_eq!(
        api.get(&format!("/api/v1{base}/risk-register"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Whether the trace page offers both package downloads.
fn offers_package(body: &str, base: &str) -> bool {
    body.contains(&format!("{base}/package/mfds")) && body.contains(&format!("{base}/package/fda"))
}

async fn app_org(app: &TestApp, name: &str) -> String {
    app.state
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == name)
        .unwrap()
        .id
}

/// Sends a raw body with the API token.
async fn api_raw(app: &TestApp, token: &str, method: Method, path: &str, body: Vec<u8>) -> Res {
    app.send(
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

pub async fn premarket_api(db: TestDb) {
    let app = maker_app(db).await;
    let mut web = login(&app, "maker", "Quartz-Pass-123").await;
    let device = ecg_gateway(&mut web).await;
    let api = app.api_login("maker", "Quartz-Pass-123").await;
    let token = api.token.clone().unwrap();
    let base = format!("/api/v1/devices/{device}");

    let m = api.get(&format!("{base}/threat-model")).await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    let m = m.json();
    assert_eq!(m["source"]["source"], "derived");
    assert!(m["model"]["threats"].as_array().unwrap().len() > 5);
    assert_eq!(m["report"]["working_on"]["question"], "working-on");
    assert_eq!(m["report"]["good_job"]["question"], "good-job");
    let svg = api.get(&format!("{base}/threat-model/diagram.svg")).await;
    assert!(svg.body.starts_with("<svg") || svg.body.starts_with("<?xml"));
    let dragon = api.get(&format!("{base}/threat-model/dragon")).await;
    assert_eq!(dragon.status, StatusCode::OK);
    let r = api_raw(
        &app,
        &token,
        Method::POST,
        &format!("{base}/threat-model/dragon?filename=ecg.json"),
        b"{\"version\": \"2.6.2\"}".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "file");
    let r = api_raw(
        &app,
        &token,
        Method::POST,
        &format!("{base}/threat-model/dragon?filename=ecg.json"),
        dragon.bytes.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        api.get(&format!("{base}/threat-model")).await.json()["source"]["filename"],
        "ecg.json"
    );
    let r = api
        .call(Method::DELETE, &format!("{base}/threat-model"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // The register: derived (revision 0), patched, conflicting, replaced.
    let reg = api.get(&format!("{base}/risk-register")).await.json();
    assert_eq!(reg["revision"], 0);
    assert!(!reg["evaluations"].as_array().unwrap().is_empty());
    let r = api
        .call(
            Method::PATCH,
            &format!("{base}/risks/R-TM-gateway-S"),
            Some(serde_json::json!({"revision": 0, "harm_severity": "critical", "controls": {"C-user-auth": "verified"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["revision"], 1);
    let r = api
        .call(
            Method::PATCH,
            &format!("{base}/risks/R-TM-gateway-S"),
            Some(serde_json::json!({"revision": 0, "harm_severity": "minor"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = api
        .call(
            Method::PATCH,
            &format!("{base}/risks/R-TM-gateway-S"),
            Some(serde_json::json!({"revision": 1, "controls": {"C-nowhere": "verified"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut document = api.get(&format!("{base}/risk-register")).await.json()["register"].clone();
    document["risk"][0]["exploitability"]["vector"] = serde_json::json!("CVSS:3.1/AV:X");
    let r = api
        .call(
            Method::PUT,
            &format!("{base}/risk-register"),
            Some(serde_json::json!({"revision": 1, "register": document})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("exploitability.vector")
            || r.body.contains("exploitability.vector"),
        "{}",
        r.body
    );
    let r = api
        .post(
            &format!("{base}/risks/R-TM-gateway-S/rubric"),
            serde_json::json!({"answers": rubric_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["revision"], 2);
    let r = api
        .post(
            &format!("{base}/risk-register/rebuild"),
            serde_json::json!({"revision": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Scans and anomalies.
    let fuzz = assure_file("tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif");
    let r = api_raw(
        &app,
        &token,
        Method::POST,
        &format!("{base}/scans?test=TC-mfds-2019-1.1&filename=fuzz.sarif"),
        assure_file("tests/sarif/invalid/results-not-array.sarif"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("/runs/0/results"), "{}", r.body);
    let r = api_raw(
        &app,
        &token,
        Method::POST,
        &format!("{base}/scans?test=TC-mfds-2019-1.1&filename=fuzz.sarif"),
        fuzz.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.json()["sha256"],
        medsec_assure::evidence::sha256_hex(&fuzz)
    );
    assert_eq!(
        api.get(&format!("{base}/scans")).await.json()[0]["findings"],
        2
    );
    let anomalies = api.get(&format!("{base}/anomalies")).await.json();
    let id = anomalies[0]["id"].as_str().unwrap().to_owned();
    let encoded = percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC);
    let r = api
        .call(
            Method::PUT,
            &format!("{base}/anomalies/{encoded}/justification"),
            Some(serde_json::json!({"why_acceptable": "퍼저 전용 빌드에서만 재현됨", "on": "2025-03-06"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let trace = api.get(&format!("{base}/trace")).await.json();
    let gaps = trace["matrix"]["gaps"].as_array().unwrap();
    let unjustified: Vec<&serde_json::Value> = gaps
        .iter()
        .filter(|g| g["kind"] == "anomaly-without-justification")
        .collect();
    assert_eq!(unjustified.len(), 1, "{unjustified:?}");
    assert!(!gaps.iter().any(|g| g["kind"] == "evidence-missing"));
    let zip = api.get(&format!("{base}/package/fda")).await;
    assert_eq!(zip.status, StatusCode::OK, "{}", zip.body);
    let v = medsec_package::verify(&zip.bytes);
    assert!(v.is_clean(), "{:?}", v.problems);
    assert_eq!(v.manifest.unwrap().gaps, gaps.len());

    // Another manufacturer: not found everywhere.
    let other = app.api_login("other", "Cedar-Pass-1234").await;
    for p in [
        "threat-model",
        "risk-register",
        "scans",
        "anomalies",
        "trace",
        "package/mfds",
    ] {
        assert_eq!(
            other.get(&format!("{base}/{p}")).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    assert_eq!(
        other
            .call(
                Method::PATCH,
                &format!("{base}/risks/R-TM-gateway-S"),
                Some(serde_json::json!({"revision": 3, "harm_severity": "minor"}))
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// lodash's prototype pollution with its CVSS vector (the sustain tests'
/// record has none), so the SBOM risk gets an exploitability from it.
const OSV_LODASH_SCORED: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}]}"#;

const LODASH_RISK: &str = "R-SBOM-CVE-2019-10744-pkg:npm-lodash@4.17.11";
const LEFT_PAD_RISK: &str = "R-SBOM-GHSA-test-left-pad1-pkg:npm-left-pad@1.3.0";

/// An API token of a user (read and write), which outlives the user's
/// sessions: administrators have one session at a time, and the tests
/// below log in through the pages too.
async fn token_api<'a>(app: &'a TestApp, user: &str, password: &str) -> crate::Api<'a> {
    let session = app.api_login(user, password).await;
    let made = session
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "premarket", "scopes": ["read", "write"], "days": 1}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    crate::Api {
        app,
        token: Some(made.json()["token"].as_str().unwrap().to_owned()),
    }
}

/// A release with its SBOM through the API; returns its id.
async fn release(api: &crate::Api<'_>, product: &str, support_until: &str) -> String {
    let r = api
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": product, "version": "3.2.1", "support_until": support_until,
                "sbom_filename": "gateway.cdx.json", "sbom": crate::sustain::sbom(product)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["open"], 2, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// The ECG gateway ships a release of the sustain part: its findings
/// become the device's SCA evidence, `R-SBOM-` risks that the rubric can
/// assess through their percent-encoded ids, anomalies, and the SBOM and
/// vulnerability assessment of the package; another manufacturer's
/// release cannot be linked, and unlinking takes it all away again.
pub async fn premarket_release_sbom_findings(db: TestDb) {
    let app = maker_app(db).await;
    crate::sustain::import_feeds(
        &app,
        &format!("{OSV_LODASH_SCORED}\n{}\n", crate::sustain::OSV_PAD),
    )
    .await;
    let api = token_api(&app, "maker", "Quartz-Pass-123").await;
    let other = token_api(&app, "other", "Cedar-Pass-1234").await;
    let mut web = login(&app, "maker", "Quartz-Pass-123").await;
    let device = ecg_gateway(&mut web).await;
    let base = format!("/devices/{device}");
    let api_base = format!("/api/v1/devices/{device}");
    let mine = release(&api, "ECG 게이트웨이 펌웨어", "2031-12-31").await;
    let theirs = release(&other, "Other Firmware", "2029-06-30").await;

    // A register stored before the link: a rebuild adds the SBOM risks.
    let r = api
        .post(
            &format!("{api_base}/risk-register/rebuild"),
            serde_json::json!({"revision": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Nothing linked yet; the form offers the manufacturer's own releases
    // only.
    let page = web.get(&format!("{base}/tests")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{:?} {}",
        page.headers,
        page.body
    );
    assert!(
        page.body.contains("연결된 릴리스가 없습니다"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("value=\"{mine}\"")));
    assert!(!page.body.contains(&theirs));
    assert!(!page.body.contains("CVE-2019-10744"));

    // Another manufacturer's release is not found, by page or API, and
    // nothing is linked.
    let r = web
        .post(&format!("{base}/release"), &[("release_id", &theirs)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = api
        .call(
            Method::PUT,
            &format!("{api_base}/release"),
            Some(serde_json::json!({"release_id": theirs})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let org = app_org(&app, "메드시큐").await;
    assert!(
        app.state
            .store
            .device_release(&org, &device)
            .await
            .unwrap()
            .is_none()
    );

    // Linked: the tests page lists the findings as SCA evidence.
    web.get(&format!("{base}/tests")).await;
    let r = web
        .post(&format!("{base}/release"), &[("release_id", &mine)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("{base}/tests#sbom"));
    let page = web.get(&format!("{base}/tests")).await;
    let body = text(&page);
    assert!(body.contains("ECG 게이트웨이 펌웨어 3.2.1"), "{body}");
    assert!(
        body.contains(&format!("href=\"/releases/{mine}\"")),
        "{body}"
    );
    assert!(body.contains("2031-12-31"), "the end of support: {body}");
    assert!(body.contains("gateway.cdx.json"));
    assert!(body.contains("미해결 2건, VEX로 제외 0건"), "{body}");
    let row = body
        .split("<tr")
        .find(|r| r.contains("CVE-2019-10744"))
        .unwrap_or_else(|| panic!("no lodash row: {body}"));
    for cell in [
        "lodash 4.17.11",
        "GHSA-jf85-cpcp-j695",
        "Prototype Pollution in lodash",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
        "<td>예</td>",
        "미해결",
        LODASH_RISK,
    ] {
        assert!(row.contains(cell), "{cell}: {row}");
    }
    assert!(body.contains("GHSA-test-left-pad1") && body.contains("left-pad 1.3.0"));
    // The open findings are unresolved anomalies to justify.
    let anomalies = api.get(&format!("{api_base}/anomalies")).await.json();
    let sbom_anomalies: Vec<&serde_json::Value> = anomalies
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "sbom-vulnerability")
        .collect();
    assert_eq!(sbom_anomalies.len(), 2, "{anomalies}");

    // The API says the same.
    let f = api.get(&format!("{api_base}/sbom-findings")).await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    let f = f.json();
    assert_eq!(f["release"]["release_id"], mine.as_str());
    assert_eq!(f["release"]["end_of_support"], "2031-12-31");
    assert_eq!(f["release"]["open"], 2);
    let findings = f["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{f}");
    assert_eq!(findings[0]["vulnerability"], "CVE-2019-10744", "KEV first");
    assert_eq!(findings[0]["kev"], true);
    assert_eq!(findings[0]["risk"], LODASH_RISK);
    assert_eq!(findings[1]["risk"], LEFT_PAD_RISK);

    // The stored register gains the SBOM risks on rebuild, with the
    // exploitability of the CVSS vector.
    let r = api
        .post(
            &format!("{api_base}/risk-register/rebuild"),
            serde_json::json!({"revision": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut added: Vec<String> = r.json()["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    added.sort();
    assert_eq!(added, [LODASH_RISK, LEFT_PAD_RISK], "{}", r.body);
    let reg = api.get(&format!("{api_base}/risk-register")).await.json();
    let lodash = reg["register"]["risk"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == LODASH_RISK)
        .unwrap_or_else(|| panic!("{reg}"));
    assert_eq!(
        lodash["exploitability"]["vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"
    );

    // The risks page links the SBOM risk to the rubric with its id
    // percent-encoded; the questionnaire takes it and posts back to the
    // risk, which the route decodes.
    let page = web.get(&format!("{base}/risks")).await;
    let encoded = "R-SBOM-CVE-2019-10744-pkg%3Anpm-lodash%404.17.11";
    let link = format!("/tools/rubric?device={device}&risk={encoded}");
    assert!(text(&page).contains(&link), "{}", page.body);
    let rubric = web.get(&link).await;
    assert_eq!(rubric.status, StatusCode::OK, "{}", rubric.body);
    assert_eq!(rubric.input_value("risk").as_deref(), Some(LODASH_RISK));
    let answers = rubric_answers();
    let answers_json = serde_json::to_string(&answers).unwrap();
    let done = web
        .post(
            "/tools/rubric",
            &[
                ("device", device.as_str()),
                ("risk", LODASH_RISK),
                ("answers", &answers_json),
                ("action", "load"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let save_to = format!("{base}/risks/{encoded}/rubric");
    assert!(
        text(&done).contains(&format!("action=\"{save_to}\"")),
        "{}",
        done.body
    );
    // Whitespace or a control character in the id is refused.
    for bad in ["R-a%20b", "R-a%09b", "R-a%00b"] {
        let r = web
            .get(&format!("/tools/rubric?device={device}&risk={bad}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    let assessed = answers.assess().unwrap();
    let r = web.post(&save_to, &[("answers", &answers_json)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("{base}/risks#risk-R-SBOM-CVE-2019-10744-pkg-npm-lodash-4-17-11")
    );
    let stored = app
        .state
        .store
        .rubric_assessments(&org, &device, Some(LODASH_RISK))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].vector, assessed.vector);
    // The API's rubric route takes the encoded id too, not a blank one.
    let r = api
        .post(
            &format!(
                "{api_base}/risks/R-SBOM-GHSA-test-left-pad1-pkg%3Anpm-left-pad%401.3.0/rubric"
            ),
            serde_json::json!({"answers": answers}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .post(
            &format!("{api_base}/risks/R-a%20b/rubric"),
            serde_json::json!({"answers": answers}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // A VEX statement suppresses left-pad's finding: shown as such, and
    // no longer an anomaly.
    let r = api
        .post(
            &format!("/api/v1/releases/{mine}/vex"),
            serde_json::json!({"statements": [{"vulnerability": "GHSA-test-left-pad1", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact": "padding is never user-controlled"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let f = api.get(&format!("{api_base}/sbom-findings")).await.json();
    assert_eq!(f["release"]["open"], 1, "{f}");
    assert_eq!(f["findings"][1]["state"], "suppressed", "{f}");
    assert_eq!(f["findings"][1]["vex"], "not_affected", "{f}");
    let page = web.get(&format!("{base}/tests")).await;
    assert!(text(&page).contains("미해결 1건, VEX로 제외 1건"));
    let anomalies = api.get(&format!("{api_base}/anomalies")).await.json();
    assert_eq!(
        anomalies
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "sbom-vulnerability")
            .count(),
        1,
        "{anomalies}"
    );

    // The package carries the SBOM and the assessment of its findings.
    for layout in ["mfds", "fda"] {
        let zip = web.get(&format!("{base}/package/{layout}")).await;
        assert_eq!(zip.status, StatusCode::OK, "{layout}: {}", zip.body);
        let v = medsec_package::verify(&zip.bytes);
        assert!(v.is_clean(), "{layout}: {:?}", v.problems);
        let manifest = v.manifest.unwrap();
        let path = |end: &str| {
            manifest
                .files
                .iter()
                .find(|f| f.path.ends_with(end))
                .unwrap_or_else(|| panic!("{layout}: no {end}"))
                .path
                .clone()
        };
        let sbom: serde_json::Value = serde_json::from_slice(
            &medsec_package::read_document(&zip.bytes, &path("sbom.cdx.json")).unwrap(),
        )
        .unwrap();
        let purls: Vec<&str> = sbom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .collect();
        assert!(
            purls.contains(&"pkg:npm/lodash@4.17.11"),
            "{layout}: {purls:?}"
        );
        let va: serde_json::Value = serde_json::from_slice(
            &medsec_package::read_document(&zip.bytes, &path("vulnerability-assessment.json"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(va["open"], 1, "{layout}: {va}");
        // The release's SBOM as stored, the device itself included.
        let stored =
            medsec_sbom::read(crate::sustain::sbom("ECG 게이트웨이 펌웨어").as_bytes()).unwrap();
        assert_eq!(
            va["sbom_components"],
            stored.components.len(),
            "{layout}: {va}"
        );
        let lodash = va["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["vulnerability"] == "CVE-2019-10744")
            .unwrap_or_else(|| panic!("{layout}: {va}"));
        assert_eq!(lodash["risk"], LODASH_RISK);
        assert_eq!(lodash["kev"], true);
        assert_eq!(lodash["open"], true);
        let pad = va["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["vulnerability"] == "GHSA-test-left-pad1")
            .unwrap_or_else(|| panic!("{layout}: {va}"));
        assert_eq!(pad["open"], false);
        assert_eq!(pad["vex"]["status"], "not_affected");
    }

    // The other manufacturer sees none of it, and its own device's
    // derived register has its own release's risks.
    assert_eq!(
        other.get(&format!("{api_base}/sbom-findings")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other
            .call(
                Method::PUT,
                &format!("{api_base}/release"),
                Some(serde_json::json!({"release_id": theirs}))
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut other_web = login(&app, "other", "Cedar-Pass-1234").await;
    let other_device = ecg_gateway(&mut other_web).await;
    let r = other
        .call(
            Method::PUT,
            &format!("/api/v1/devices/{other_device}/release"),
            Some(serde_json::json!({"release_id": theirs})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["end_of_support"], "2029-06-30");
    let reg = other
        .get(&format!("/api/v1/devices/{other_device}/risk-register"))
        .await
        .json();
    assert_eq!(reg["revision"], 0);
    assert!(
        reg["register"]["risk"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == LODASH_RISK),
        "the derived register: {reg}"
    );

    // Unlinking takes the findings away; unlinking nothing is not found.
    web.get(&format!("{base}/tests")).await;
    let r = web.post(&format!("{base}/release/unlink"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/tests")).await;
    assert!(page.body.contains("연결된 릴리스가 없습니다"));
    assert!(!page.body.contains("CVE-2019-10744"));
    let f = api.get(&format!("{api_base}/sbom-findings")).await.json();
    assert!(f["release"].is_null(), "{f}");
    assert!(f["findings"].as_array().unwrap().is_empty());
    assert_eq!(
        api.call(Method::DELETE, &format!("{api_base}/release"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = api
        .call(
            Method::PUT,
            &format!("{api_base}/release"),
            Some(serde_json::json!({"release_id": mine})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        api.call(Method::DELETE, &format!("{api_base}/release"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "device.release_linked")
            .count(),
        3,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "device.release_unlinked")
            .count(),
        2,
        "{actions:?}"
    );
}

/// The manifest of the MFDS package the trace page offers, checked clean.
async fn mfds_manifest(web: &mut Browser<'_>, base: &str) -> (medsec_package::Manifest, Vec<u8>) {
    let zip = web.get(&format!("{base}/package/mfds")).await;
    assert_eq!(zip.status, StatusCode::OK, "{}", zip.body);
    let v = medsec_package::verify(&zip.bytes);
    assert!(v.is_clean(), "{:?}", v.problems);
    (v.manifest.unwrap(), zip.bytes)
}

/// The manufacturer's TPLC plan and component support, uploaded on the
/// traceability page or through the API, close the documents' gaps in
/// every package built afterwards; malformed files are refused naming
/// line and field, support must name the linked release's components,
/// and a plan whose end of support disagrees with the release's stops the
/// build with both dates named.
pub async fn premarket_lifecycle_files(db: TestDb) {
    let app = maker_app(db).await;
    crate::sustain::import_feeds(
        &app,
        &format!("{OSV_LODASH_SCORED}\n{}\n", crate::sustain::OSV_PAD),
    )
    .await;
    let api = token_api(&app, "maker", "Quartz-Pass-123").await;
    let other = token_api(&app, "other", "Cedar-Pass-1234").await;
    let mut web = login(&app, "maker", "Quartz-Pass-123").await;
    let device = ecg_gateway(&mut web).await;
    let base = format!("/devices/{device}");
    let api_base = format!("/api/v1/devices/{device}");
    // The plan fixture's end of support is 2032-12-31.
    let mine = release(&api, "ECG 게이트웨이 펌웨어", "2032-12-31").await;
    let r = web
        .post(&format!("{base}/release"), &[("release_id", &mine)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let page = web.get(&format!("{base}/trace")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"lifecycle\""), "{}", page.body);
    assert!(page.body.contains("등록되지 않음"), "{}", page.body);
    let (before, _) = mfds_manifest(&mut web, &base).await;
    let tplc_gaps = |m: &medsec_package::Manifest| {
        m.document_gaps_by_kind
            .get("tplc-not-stated")
            .copied()
            .unwrap_or(0)
    };
    let support_gaps = |m: &medsec_package::Manifest| {
        m.document_gaps_by_kind
            .get("component-support-unknown")
            .copied()
            .unwrap_or(0)
    };
    assert!(tplc_gaps(&before) > 0, "{:?}", before.document_gaps_by_kind);
    assert!(
        support_gaps(&before) >= 2,
        "{:?}",
        before.document_gaps_by_kind
    );
    // The release's support date is the device's end of support already.
    assert_eq!(
        before
            .document_gaps_by_kind
            .get("end-of-support-not-stated")
            .copied()
            .unwrap_or(0),
        0,
        "{:?}",
        before.document_gaps_by_kind
    );

    // A malformed plan is refused naming the field; nothing is stored.
    let r = web
        .upload_with(
            &format!("{base}/lifecycle"),
            &[("kind", "tplc")],
            "plan.toml",
            b"[patches]\ncritical_days = \"soon\"\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("critical_days"), "{}", r.body);
    assert_eq!(
        api.get(&format!("{api_base}/tplc-plan")).await.status,
        StatusCode::NOT_FOUND
    );

    // The plan fixture, on the page.
    let plan = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../medsec-package/tests/fixtures/tplc-plan.toml"),
    )
    .unwrap();
    let r = web
        .upload_with(
            &format!("{base}/lifecycle"),
            &[("kind", "tplc")],
            "tplc-plan.toml",
            &plan,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("{base}/trace")).await;
    assert!(page.body.contains("tplc-plan.toml"), "{}", page.body);
    let got = web.get(&format!("{base}/lifecycle/export/tplc")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.bytes, plan);

    // Support naming a component the release's SBOM does not have is
    // refused with the entry; the real one goes in through the API.
    let r = api_raw(
        &app,
        api.token.as_deref().unwrap(),
        Method::PUT,
        &format!("{api_base}/component-support?filename=support.csv"),
        b"component,level\npkg:npm/express@4.0.0,active\n".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("pkg:npm/express@4.0.0"), "{}", r.body);
    let support = "component,level,end_of_support,note\npkg:npm/lodash@4.17.11,limited,2027-06-30,security fixes only\npkg:npm/left-pad@1.3.0,end-of-support,2020-01-01,\n";
    let r = api_raw(
        &app,
        api.token.as_deref().unwrap(),
        Method::PUT,
        &format!("{api_base}/component-support?filename=support.csv"),
        support.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["filename"], "support.csv", "{}", r.body);
    // Another manufacturer reaches none of it.
    for path in ["tplc-plan", "component-support"] {
        assert_eq!(
            other.get(&format!("{api_base}/{path}")).await.status,
            StatusCode::NOT_FOUND
        );
    }

    // The package now states the plan and the two components' support.
    let (after, zip) = mfds_manifest(&mut web, &base).await;
    assert_eq!(tplc_gaps(&after), 0, "{:?}", after.document_gaps);
    assert_eq!(
        support_gaps(&after) + 2,
        support_gaps(&before),
        "{:?}",
        after.document_gaps_by_kind
    );
    let path = |end: &str| {
        after
            .files
            .iter()
            .find(|f| f.path.ends_with(end))
            .unwrap_or_else(|| panic!("no {end}"))
            .path
            .clone()
    };
    let table: serde_json::Value = serde_json::from_slice(
        &medsec_package::read_document(&zip, &path("component-support.json")).unwrap(),
    )
    .unwrap();
    let text = table.to_string();
    assert!(
        text.contains("limited") && text.contains("2027-06-30"),
        "{text}"
    );
    let plan_json: serde_json::Value = serde_json::from_slice(
        &medsec_package::read_document(&zip, &path("tplc-plan.json")).unwrap(),
    )
    .unwrap();
    assert!(
        plan_json.to_string().contains("psirt@medsec.example"),
        "{plan_json}"
    );

    // A plan whose end of support is not the release's stops the build,
    // naming both dates.
    let r = api_raw(
        &app,
        api.token.as_deref().unwrap(),
        Method::PUT,
        &format!("{api_base}/tplc-plan"),
        b"end_of_support = 2030-01-01\n".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The page's download shows the traceability page with the cause.
    let r = web.get(&format!("{base}/package/mfds")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("notice-error")
            && r.body.contains("2030-01-01")
            && r.body.contains("2032-12-31")
            && r.body.contains("id=\"lifecycle\""),
        "{}",
        r.body
    );
    let r = api.get(&format!("{api_base}/package/mfds")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("2030-01-01") && r.body.contains("2032-12-31"),
        "{}",
        r.body
    );

    // Removed through the page and the API; a second removal finds none.
    let r = web
        .post(&format!("{base}/lifecycle/remove"), &[("kind", "tplc")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = api
        .call(
            Method::DELETE,
            &format!("{api_base}/component-support"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = api
        .call(
            Method::DELETE,
            &format!("{api_base}/component-support"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let (removed, _) = mfds_manifest(&mut web, &base).await;
    assert_eq!(tplc_gaps(&removed), tplc_gaps(&before));
    assert_eq!(support_gaps(&removed), support_gaps(&before));

    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    let count = |name: &str| actions.iter().filter(|a| *a == name).count();
    assert_eq!(count("device.lifecycle_updated"), 3, "{actions:?}");
    assert_eq!(count("device.lifecycle_removed"), 2, "{actions:?}");
}
