//! The premarket flow end to end through the web UI: a manufacturer
//! registers the ECG gateway of seed 000 from its profile, decides an
//! item, fills and evidences the checklist, exports and re-imports it,
//! and takes it through a review round with a regulator.

use axum::http::StatusCode;
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, Browser, Res, TestApp};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../medsec-assure/fixtures/devices/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn id_after(res: &Res, prefix: &str) -> String {
    let loc = res.location();
    assert!(
        loc.starts_with(prefix),
        "{} {loc}: {}",
        res.status,
        res.body
    );
    loc.trim_start_matches(prefix)
        .split(['/', '#', '?'])
        .next()
        .unwrap()
        .to_owned()
}

async fn login<'a>(app: &'a TestApp, user: &str, password: &str) -> Browser<'a> {
    let mut web = app.browser();
    web.login(user, password).await;
    web
}

pub async fn assure_review_round_trip(db: TestDb) {
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
    let mfds = app
        .add_org(&root, "식약처", "regulator", "reviewer", "Birch-Pass-1234")
        .await;
    app.add_org(
        &root,
        "Other Devices",
        "manufacturer",
        "other",
        "Cedar-Pass-1234",
    )
    .await;
    app.add_org(
        &root,
        "Some Hospital",
        "hospital",
        "nurse",
        "Maple-Pass-1234",
    )
    .await;

    // A hospital has no devices page.
    let mut nurse = login(&app, "nurse", "Maple-Pass-1234").await;
    assert_eq!(nurse.get("/devices").await.status, StatusCode::FORBIDDEN);

    let mut web = login(&app, "maker", "Quartz-Pass-123").await;
    web.get("/devices").await;
    // A bad profile names the field and keeps the text.
    let bad = fixture("ecg-gateway.toml").replace("grade = 2", "grade = 7");
    let r = web
        .post("/devices", &[("format", "toml"), ("profile", &bad)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("device.grade: must be 1 to 4"),
        "{}",
        r.body
    );
    assert!(r.body.contains("grade = 7"));
    let r = web
        .post(
            "/devices",
            &[
                ("format", "toml"),
                ("profile", &fixture("ecg-gateway.toml")),
            ],
        )
        .await;
    let device = id_after(&r, "/devices/");

    // The applicability table with its reasons.
    let page = web.get(&format!("/devices/{device}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("원격 접속 기능이 없음"), "1.6 reason");
    assert!(page.body.contains("35개 중 30개 적용"), "mfds-2024 count");
    let revision = page.input_value("revision").unwrap();
    // An override needs a real justification.
    let r = web
        .post(
            &format!("/devices/{device}/override"),
            &[
                ("reference", "mfds-2019:1.6"),
                ("decision", "applies"),
                ("justification", "x"),
                ("revision", &revision),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = web
        .post(
            &format!("/devices/{device}/override"),
            &[
                ("reference", "mfds-2019:1.6"),
                ("decision", "applies"),
                ("justification", "서비스 담당자 원격 지원 기능이 있음"),
                ("revision", &revision),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&format!("/devices/{device}")).await;
    assert!(page.body.contains("서비스 담당자 원격 지원 기능이 있음"));

    // Start the checklist on the 2019 edition (the seed's).
    let r = web
        .post(
            &format!("/devices/{device}/checklists"),
            &[("catalog", "mfds-2019")],
        )
        .await;
    let checklist = id_after(&r, "/checklists/");
    let page = web.get(&format!("/checklists/{checklist}")).await;
    assert!(page.body.contains("□상 ■중 □하"), "header");
    assert!(page.body.contains("wifi 통신"));
    assert!(
        page.body
            .contains("등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다.")
    );

    // Evidence: kept once, sniffed, served only as a download.
    web.get("/evidence").await;
    let pdf = b"%PDF-1.7\n% VVT-SW-001 test report\n".to_vec();
    let r = web.upload("/evidence", "VVT-SW-001.pdf", &pdf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("보관했습니다"), "{}", r.body);
    let r = web.upload("/evidence", "copy.pdf", &pdf).await;
    assert!(r.body.contains("이미 있습니다"), "{}", r.body);
    let html = web
        .upload("/evidence", "../../evil.html", b"<script>alert(1)</script>")
        .await;
    assert!(
        html.body.contains("evil.html") && !html.body.contains("../"),
        "{}",
        html.body
    );
    let files = app
        .state
        .store
        .list_evidence(
            &app.state
                .store
                .list_orgs()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.name == "메드시큐")
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert_eq!(files.len(), 2);
    let evil = files.iter().find(|f| f.filename == "evil.html").unwrap();
    assert_eq!(evil.content_type, "text/plain; charset=utf-8");
    let d = web.get(&format!("/evidence/{}", evil.id)).await;
    assert!(
        d.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(d.headers["x-content-type-options"], "nosniff");
    assert_eq!(d.headers["content-type"], "text/plain; charset=utf-8");
    let report = files
        .iter()
        .find(|f| f.filename == "VVT-SW-001.pdf")
        .unwrap();

    // Fill 1.1: document number with its file, and a passing test.
    let item = web.get(&format!("/checklists/{checklist}/items/1.1")).await;
    assert_eq!(item.status, StatusCode::OK);
    let rev = item.input_value("revision").unwrap();
    let r = web
        .post(&format!("/checklists/{checklist}/items/1.1"), &[
            ("revision", &rev),
            ("methods", "소프트웨어 검증 및 유효성 확인 자료"),
            ("standards", "의료기기 사이버보안 허가·심사 가이드라인 (3.4.1 접근 통제 및 인증)"),
            ("doc0", "VVT-SW-001"),
            ("ev0", &report.id),
            ("doc1", ""),
            ("ev1", ""),
            ("criterion", "등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다."),
            ("steps", "서버에 허가된 사용자를 등록한다.\n등록된 사용자의 아이디/패스워드로 유헬스케어 게이트웨이에 로그인하여 접속 가능 여부를 확인한다."),
            ("note", ""),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A stale revision is refused, not silently merged.
    let r = web
        .post(
            &format!("/checklists/{checklist}/items/1.1"),
            &[("revision", &rev), ("methods", "x")],
        )
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    let item = web.get(&format!("/checklists/{checklist}/items/1.1")).await;
    let rev = item.input_value("revision").unwrap();
    let r = web
        .post(
            &format!("/checklists/{checklist}/items/1.1/tests"),
            &[
                ("revision", &rev),
                ("tester", "김시험"),
                ("on", "2026-11-20"),
                ("result", "pass"),
                ("note", "재시험 포함"),
                ("evidence", &report.id),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let item = web.get(&format!("/checklists/{checklist}/items/1.1")).await;
    assert!(item.body.contains("김시험") && item.body.contains("VVT-SW-001.pdf"));
    assert!(item.body.contains("변경 이력"));
    assert!(
        !item.body.contains("첨부된 근거자료 없음"),
        "1.1 has evidence now"
    );

    // Exports.
    let x = web
        .get(&format!("/checklists/{checklist}/export/xlsx"))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.bytes.starts_with(b"PK\x03\x04"));
    let p = web
        .get(&format!("/checklists/{checklist}/export/pdf"))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.bytes.starts_with(b"%PDF-"));
    let h = web
        .get(&format!("/checklists/{checklist}/export/html"))
        .await;
    assert!(h.body.contains("접근통제 및 인증"));
    let j = web
        .get(&format!("/checklists/{checklist}/export/json"))
        .await;
    let mut json: serde_json::Value = serde_json::from_slice(&j.bytes).unwrap();
    assert_eq!(json["schema"], "medsec-checklist/1");
    assert_eq!(json["catalog"], "mfds-2019");
    assert!(
        web.get(&format!("/checklists/{checklist}/export/docx"))
            .await
            .status
            == StatusCode::NOT_FOUND
    );

    // Re-import: the XLSX as exported changes nothing; an edited JSON
    // changes 1.2; a file with an unknown item changes nothing at all.
    web.get(&format!("/checklists/{checklist}")).await;
    let r = web
        .upload(
            &format!("/checklists/{checklist}/import"),
            "checklist.xlsx",
            &x.bytes,
        )
        .await;
    assert!(r.body.contains("항목 0개를 가져왔습니다"), "{}", r.body);
    let rows = json["rows"].as_array_mut().unwrap();
    rows[1]["standards"] = serde_json::json!(["IEC 62443-4-2 CR2.7"]);
    let edited = serde_json::to_vec(&json).unwrap();
    let r = web
        .upload(
            &format!("/checklists/{checklist}/import"),
            "checklist.json",
            &edited,
        )
        .await;
    assert!(r.body.contains("항목 1개를 가져왔습니다"), "{}", r.body);
    json["rows"].as_array_mut().unwrap()[0]["id"] = serde_json::json!("9.9");
    json["rows"].as_array_mut().unwrap()[1]["standards"] = serde_json::json!(["changed again"]);
    let r = web
        .upload(
            &format!("/checklists/{checklist}/import"),
            "bad.json",
            &serde_json::to_vec(&json).unwrap(),
        )
        .await;
    assert!(r.body.contains("9.9"), "{}", r.body);
    let page = web.get(&format!("/checklists/{checklist}")).await;
    assert!(page.body.contains("IEC 62443-4-2 CR2.7") && !page.body.contains("changed again"));

    // Submit to the regulator: shared, and read-only meanwhile.
    let r = web
        .post(
            &format!("/checklists/{checklist}/submit"),
            &[("reviewer", &mfds)],
        )
        .await;
    let round1 = id_after(&r, "/reviews/");
    let item = web.get(&format!("/checklists/{checklist}/items/1.3")).await;
    assert!(
        !item.body.contains("type=\"submit\" class=\"primary\""),
        "read-only while under review"
    );

    // The reviewer reads it, downloads the shared evidence, records findings.
    let mut rev_web = login(&app, "reviewer", "Birch-Pass-1234").await;
    let list = rev_web.get("/reviews").await;
    assert!(list.body.contains("유헬스케어 게이트웨이"), "{}", list.body);
    let page = rev_web.get(&format!("/reviews/{round1}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("VVT-SW-001"));
    assert_eq!(
        rev_web.get(&format!("/evidence/{}", report.id)).await.bytes,
        pdf
    );
    assert_eq!(
        rev_web.get(&format!("/evidence/{}", evil.id)).await.status,
        StatusCode::NOT_FOUND,
        "not linked, not shared"
    );
    assert_eq!(
        rev_web
            .get(&format!("/checklists/{checklist}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = rev_web
        .post(
            &format!("/reviews/{round1}/comments"),
            &[
                ("item", "1.1"),
                ("verdict", "needs-work"),
                ("body", "재시험 성적서의 시험 환경을 기재하세요"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    rev_web
        .post(
            &format!("/reviews/{round1}/comments"),
            &[("item", "1.3"), ("verdict", "conforming"), ("body", "")],
        )
        .await;
    rev_web.get(&format!("/reviews/{round1}")).await;
    let r = rev_web
        .post(
            &format!("/reviews/{round1}/decision"),
            &[("decision", "changes-requested")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Another manufacturer sees none of it.
    let mut other = login(&app, "other", "Cedar-Pass-1234").await;
    assert_eq!(
        other.get(&format!("/reviews/{round1}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/evidence/{}", report.id)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/checklists/{checklist}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/devices/{device}")).await.status,
        StatusCode::NOT_FOUND
    );

    // The manufacturer answers, fixes 1.1 and resubmits.
    let page = web.get(&format!("/reviews/{round1}")).await;
    assert!(page.body.contains("재시험 성적서의 시험 환경을 기재하세요"));
    web.post(
        &format!("/reviews/{round1}/comments"),
        &[("item", "1.1"), ("body", "시험 환경을 비고에 기재했습니다")],
    )
    .await;
    let item = web.get(&format!("/checklists/{checklist}/items/1.1")).await;
    let rev = item.input_value("revision").unwrap();
    let r = web
        .post(&format!("/checklists/{checklist}/items/1.1"), &[
            ("revision", &rev),
            ("methods", "소프트웨어 검증 및 유효성 확인 자료"),
            ("standards", "의료기기 사이버보안 허가·심사 가이드라인 (3.4.1 접근 통제 및 인증)"),
            ("doc0", "VVT-SW-001"),
            ("ev0", &report.id),
            ("criterion", "등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다."),
            ("steps", "서버에 허가된 사용자를 등록한다.\n등록된 사용자의 아이디/패스워드로 유헬스케어 게이트웨이에 로그인하여 접속 가능 여부를 확인한다."),
            ("note", "시험 환경: 게이트웨이 펌웨어 1.0.0, 병원 서버 시험계"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    web.get(&format!("/checklists/{checklist}")).await;
    let r = web
        .post(
            &format!("/checklists/{checklist}/submit"),
            &[("reviewer", &mfds)],
        )
        .await;
    let round2 = id_after(&r, "/reviews/");
    assert_ne!(round1, round2);

    // Round 2 shows what changed and the whole thread; the reviewer accepts.
    let page = rev_web.get(&format!("/reviews/{round2}")).await;
    assert!(page.body.contains("2차"), "{}", page.body);
    assert!(
        page.body.contains("이전 차수와 달라짐: 비고"),
        "diff of 1.1"
    );
    assert!(
        page.body.contains("시험 환경을 비고에 기재했습니다"),
        "the thread spans rounds"
    );
    let r = rev_web
        .post(
            &format!("/reviews/{round2}/decision"),
            &[("decision", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        web.get(&format!("/checklists/{checklist}"))
            .await
            .body
            .contains("적합")
    );

    // Carried to the 2024 edition: documents follow, new requirements listed.
    let page = web.get(&format!("/checklists/{checklist}")).await;
    assert!(
        page.body.contains("/carry"),
        "the 2019 checklist offers the carry"
    );
    let r = web
        .post(
            &format!("/checklists/{checklist}/carry"),
            &[("catalog", "mfds-2024")],
        )
        .await;
    let carried = id_after(&r, "/checklists/");
    let page = web.get(r.location()).await;
    assert!(
        page.body.contains("새로 작성해야 하는 요구사항 7개"),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"#item-IA-08\""));
    let ia01 = web.get(&format!("/checklists/{carried}/items/IA-01")).await;
    assert!(
        ia01.body.contains("VVT-SW-001")
            && ia01.body.contains("mfds-2019 1.1, 1.3, 1.4에서 옮겨 옴"),
        "{}",
        ia01.body
    );

    let actions: Vec<String> = app.audit_actions().await.into_iter().map(|a| a.0).collect();
    for a in [
        "device.created",
        "applicability.overridden",
        "checklist.created",
        "evidence.uploaded",
        "checklist.updated",
        "checklist.exported",
        "checklist.imported",
        "checklist.submitted",
        "evidence.downloaded",
        "review.commented",
        "review.decided",
    ] {
        assert!(actions.iter().any(|x| x == a), "no {a} in the audit log");
    }
}

/// A manufacturer with a device, a checklist, evidence and a submission
/// to a regulator, made through the service layer.
pub struct Sample {
    pub username: String,
    pub password: String,
    pub device: String,
    pub checklist: String,
    pub evidence: String,
    pub submission: String,
}

pub async fn sample(app: &TestApp, operator: &crate::Api<'_>) -> Sample {
    sample_named(
        app,
        operator,
        "Sample Devices",
        "sampler",
        "유헬스케어 게이트웨이",
        "evidence.pdf",
    )
    .await
}

pub async fn sample_named(
    app: &TestApp,
    operator: &crate::Api<'_>,
    org_name: &str,
    username: &str,
    product: &str,
    evidence_name: &str,
) -> Sample {
    let password = "Walnut-Pass-1234".to_owned();
    let org = app
        .add_org(operator, org_name, "manufacturer", username, &password)
        .await;
    let regulator = app
        .add_org(
            operator,
            &format!("{org_name} Regulator"),
            "regulator",
            &format!("{username}-reg"),
            "Spruce-Pass-1234",
        )
        .await;
    let mut s = sample_in(app, &org, &regulator, product, evidence_name).await;
    s.username = username.to_owned();
    s.password = password;
    s
}

/// Premarket records in an existing manufacturer organisation.
pub async fn sample_in(
    app: &TestApp,
    org: &str,
    regulator: &str,
    product: &str,
    evidence_name: &str,
) -> Sample {
    use medsec_server::assure as svc;
    let by = svc::By {
        org_id: org.to_owned(),
        org_kind: medsec_core::OrgKind::Manufacturer,
        user_id: None,
        name: "sample".to_owned(),
        source: "test".into(),
    };
    let profile = fixture("ecg-gateway.toml").replace(
        "product = \"유헬스케어 게이트웨이\"",
        &format!("product = \"{product}\""),
    );
    let d = svc::device_import(
        &app.state,
        &by,
        &profile,
        medsec_assure::profile::Format::Toml,
    )
    .await
    .unwrap();
    let c = svc::checklist_create(&app.state, &by, &d.row.id, None)
        .await
        .unwrap();
    let (e, _) = svc::evidence_upload(&app.state, &by, evidence_name, b"%PDF-1.7 sample".to_vec())
        .await
        .unwrap();
    let view = svc::checklist(&app.state, org, &c.id).await.unwrap();
    let first = view.checklist.rows[0].id.clone();
    let mut content = view.workspace.items[&first].clone();
    content
        .attachments
        .push(medsec_assure::checklist::Attachment {
            document: format!("{product}-DOC-1"),
            evidence: Some(medsec_assure::checklist::EvidenceRef {
                id: e.id.clone(),
                sha256: e.sha256.clone(),
                filename: e.filename.clone(),
            }),
        });
    svc::item_update(&app.state, &by, &c.id, c.revision, &first, content)
        .await
        .unwrap();
    let s = svc::submit(&app.state, &by, &c.id, regulator)
        .await
        .unwrap();
    Sample {
        username: String::new(),
        password: String::new(),
        device: d.row.id,
        checklist: c.id,
        evidence: e.id,
        submission: s.id,
    }
}

/// The same flow through the JSON API, with its errors.
pub async fn assure_api(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "API Devices",
        "manufacturer",
        "apimaker",
        "Quartz-Pass-123",
    )
    .await;
    let reg = app
        .add_org(
            &root,
            "API Regulator",
            "regulator",
            "apireg",
            "Birch-Pass-1234",
        )
        .await;
    let maker = app.api_login("apimaker", "Quartz-Pass-123").await;
    let toml_text = fixture("infusion-pump.toml");
    let r = maker.post("/api/v1/devices", serde_json::json!({"profile_toml": toml_text.replace("kind = \"usb\"", "kind = \"floppy\"")})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "profile");
    assert!(r.body.contains("floppy"), "{}", r.body);
    let r = maker
        .post(
            "/api/v1/devices",
            serde_json::json!({"profile_toml": toml_text}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let device = r.json()["id"].as_str().unwrap().to_owned();
    let again = maker
        .post(
            "/api/v1/devices",
            serde_json::json!({"profile_toml": toml_text}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let t = maker
        .get(&format!("/api/v1/devices/{device}/applicability"))
        .await
        .json();
    assert_eq!(t["catalogs"][0][0], "mfds-2024");
    assert_eq!(t["catalogs"][1][1].as_array().unwrap().len(), 24);
    let r = maker
        .post(
            &format!("/api/v1/devices/{device}/checklists"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.json();
    let checklist = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["catalog"], "mfds-2024", "the current edition by default");
    // Evidence as a raw body.
    let req = axum::http::Request::post("/api/v1/evidence?filename=SVV-002.pdf")
        .header("host", crate::HOST)
        .header(
            "authorization",
            format!("Bearer {}", maker.token.as_deref().unwrap()),
        )
        .header("content-type", "application/pdf")
        .body(axum::body::Body::from(b"%PDF-1.7 api".to_vec()))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ev = r.json();
    assert_eq!(ev["content_type"], "application/pdf");
    let content = serde_json::json!({"methods": ["소프트웨어 검증 및 유효성 확인 자료"], "standards": ["IEC 62443-4-2 CR 1.1"],
        "attachments": [{"document": "SVV-002", "evidence": {"id": ev["id"], "sha256": ev["sha256"], "filename": ev["filename"]}}],
        "test_criterion": "등록된 사용자만 로그인된다.", "test_method": ["사용자를 등록한다.", "로그인한다."],
        "tests": [{"by": "lee", "on": "2026-11-21", "result": "pass"}]});
    let r = app
        .api_call_put(
            &maker,
            &format!("/api/v1/checklists/{checklist}/items/IA-01"),
            serde_json::json!({"revision": 1, "content": content}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.json()["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["item"] != "IA-01")
    );
    let stale = app
        .api_call_put(
            &maker,
            &format!("/api/v1/checklists/{checklist}/items/IA-01"),
            serde_json::json!({"revision": 1, "content": {}}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let bad_date = app.api_call_put(&maker, &format!("/api/v1/checklists/{checklist}/items/IA-02"), serde_json::json!({"revision": 2, "content": {"tests": [{"by": "x", "on": "21/11/2026", "result": "pass"}]}})).await;
    assert_eq!(
        bad_date.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_date.body
    );
    assert_eq!(bad_date.json()["error"]["field"], "IA-02.tests.on");
    let h = maker
        .get(&format!("/api/v1/checklists/{checklist}/history"))
        .await
        .json();
    assert!(
        h.as_array()
            .unwrap()
            .iter()
            .any(|c| c["item"] == "IA-01" && c["field"] == "tests")
    );
    let x = maker
        .get(&format!("/api/v1/checklists/{checklist}/export/xlsx"))
        .await;
    assert!(x.bytes.starts_with(b"PK"));
    let r = maker
        .post(
            &format!("/api/v1/checklists/{checklist}/submit"),
            serde_json::json!({"reviewer_org": reg}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let sub = r.json()["id"].as_str().unwrap().to_owned();
    let reviewer = app.api_login("apireg", "Birch-Pass-1234").await;
    assert_eq!(
        reviewer
            .get("/api/v1/submissions")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let s = reviewer
        .get(&format!("/api/v1/submissions/{sub}"))
        .await
        .json();
    assert_eq!(s["checklist"]["header"]["product"], "스마트 수액펌프");
    let r = reviewer
        .post(
            &format!("/api/v1/submissions/{sub}/comments"),
            serde_json::json!({"item": "IA-01", "verdict": "conforming", "body": "확인"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = maker
        .post(
            &format!("/api/v1/submissions/{sub}/decision"),
            serde_json::json!({"decision": "accepted"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only the regulator decides"
    );
    let r = reviewer
        .post(
            &format!("/api/v1/submissions/{sub}/decision"),
            serde_json::json!({"decision": "accepted"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "accepted");
    assert_eq!(
        reviewer
            .get(&format!("/api/v1/evidence/{}", ev["id"].as_str().unwrap()))
            .await
            .bytes,
        b"%PDF-1.7 api"
    );
}
