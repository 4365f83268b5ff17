//! Pages: every page renders in both languages with no missing message;
//! security headers; error pages; the audit page and its CSV export.

use axum::http::{Method, StatusCode};
use medsec_server::{Access, Surface};
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, TestApp};

pub async fn every_page_renders_in_both_languages(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let user_id = app
        .add_user(&root, "viewer1", "viewer", "Viewer-Pass-1")
        .await;
    let org_id = root.get("/api/v1/me").await.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The premarket pages belong to a manufacturer: one with a device, a
    // checklist, evidence and a submitted round.
    let assure = crate::assure::sample(&app, &root).await;
    let maker_org = app
        .state
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Sample Devices")
        .unwrap()
        .id;
    let hospital_org = app
        .add_org(
            &root,
            "Sample Hospital",
            "hospital",
            "samplenurse",
            "Nurse-Pass-12345",
        )
        .await;
    let sustain =
        crate::sustain::sustain_sample_in(&app, &maker_org, &hospital_org, "Sample").await;
    // A decoder for the decoder page.
    let secui = medsec_logs::custom::EXAMPLES
        .iter()
        .find(|(f, _)| *f == "secui-mf2.toml")
        .unwrap()
        .1;
    let saved = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": secui}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    // In service, with changes not active yet: the page shows both.
    let activated = root
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    let draft = secui.replacen("firewall traffic logs", "firewall traffic logs, v2", 1);
    assert_ne!(draft, secui);
    let saved = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": draft}),
        )
        .await;
    assert_eq!(saved.json()["decoder"]["changes_pending"], true);
    // An alert (as live detection records it) for the alert page.
    let hospital = app
        .state
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == medsec_core::OrgKind::Hospital)
        .unwrap();
    let now = app.state.now();
    let alert_id = app
        .state
        .store
        .record_detections(
            &[medsec_store::alerts::NewHit {
                member_id: hospital.id.clone(),
                group_key: format!("{}\u{1f}rule", hospital.id),
                kind: "detection".into(),
                rule_id: "rule".into(),
                title: "EMR 로그인 차단".into(),
                severity: "medium".into(),
                attack: vec!["T1110".into()],
                tags: vec!["attack.t1110".into()],
                rule_file: None,
                event_id: "0123456789abcdef0123456789abcdef".into(),
                received_at: now.0,
                event_time: now.0,
                detail: serde_json::json!({"matched": [{"field": "url.path", "value": "/emr"}]}),
                event: serde_json::json!({"raw": "WAF blocked"}),
            }],
            &medsec_store::alerts::Checkpoint {
                id: "pages".into(),
                position: "1:8".into(),
                correlation_state: "{}".into(),
                rules_digest: String::new(),
                events: 1,
                at: now,
            },
        )
        .await
        .unwrap()
        .created[0]
        .id
        .clone();
    // An indicator source for its page.
    let imported = root
        .post(
            "/api/v1/watch/indicator-sources",
            serde_json::json!({"source": "KISA C-TAS", "content": "type,value\nip,203.0.113.5\n"}),
        )
        .await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    let indicator_source_id = imported.json()["source"]["id"].as_str().unwrap().to_owned();
    // A web page monitor with a check that found one of every kind, so
    // the monitor's page shows every finding's words.
    let monitor = root
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": hospital.id, "name": "Sample homepage", "url": "https://sample-hospital.example/", "keywords": ["임시"], "ignore_patterns": ["visitors: \\d+"]}),
        )
        .await;
    assert_eq!(monitor.status, StatusCode::CREATED, "{}", monitor.body);
    let monitor_id = monitor.json()["id"].as_str().unwrap().to_owned();
    crate::webmon::record_every_finding(&app, &monitor_id, &hospital.id).await;
    // A webshell scan with findings for the scan page.
    let scan_id = medsec_server::webshell::upload(
        &app.state.store,
        &medsec_server::assure::By {
            org_id: org_id.clone(),
            org_kind: medsec_core::OrgKind::Isac,
            user_id: None,
            name: "root".into(),
            source: "203.0.113.7".into(),
        },
        "api",
        Some(&hospital.id),
        "shell.php",
        b"<?php @eval($_POST['x']);?>".to_vec(),
        app.state.now(),
    )
    .await
    .unwrap()
    .scan
    .scan
    .id;
    // An incident opened from the alert, with a note, for the incident page.
    let isac_by = medsec_server::assure::By {
        org_id: org_id.clone(),
        org_kind: medsec_core::OrgKind::Isac,
        user_id: None,
        name: "root".into(),
        source: "203.0.113.7".into(),
    };
    let incident_id = medsec_server::incidents::open(
        &app.state,
        &isac_by,
        &medsec_server::incidents::OpenForm {
            title: "EMR 계정 무차별 대입".into(),
            category: "account_compromise".into(),
            severity: "high".into(),
            summary: "EMR 로그인 차단이 반복됨".into(),
            alerts: vec![alert_id.clone()],
            share: true,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    medsec_server::incidents::note(&app.state, &isac_by, &incident_id, "", "원격 분석 시작")
        .await
        .unwrap();
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let mut maker = app.browser();
    maker.login(&assure.username, &assure.password).await;
    let mut nurse = app.browser();
    nurse.login("samplenurse", "Nurse-Pass-12345").await;
    let mut pages = 0;
    for lang in ["ko", "en"] {
        web.get(&format!("/lang/{lang}?next=/")).await;
        maker.get(&format!("/lang/{lang}?next=/")).await;
        nurse.get(&format!("/lang/{lang}?next=/")).await;
        for spec in app.specs.iter().filter(|s| {
            s.surface == Surface::Ui && s.method == Method::GET && s.access == Access::User
        }) {
            // Downloads, not pages: checked in the assure tests.
            if spec.path.contains("/export/")
                || spec.path.contains("/sbom/")
                || spec.path.ends_with("/vex/{format}")
                || spec.path == "/evidence/{evidence_id}"
                || spec.path.ends_with("/report.pdf")
                || spec.path.ends_with("/evidence/{file_id}")
                || spec.path.ends_with("/reports/{report_id}")
                || spec.path.ends_with("/package/{layout}")
            {
                continue;
            }
            // The sample checklist is on the current (2024) edition.
            let item = if spec.path.starts_with("/checklists") {
                "IA-01"
            } else {
                "1.1"
            };
            let path = spec
                .path
                .replace("{item_id}", item)
                .replace("{user_id}", &user_id)
                .replace("{org_id}", &org_id)
                .replace("{catalog_id}", "mfds-2019")
                .replace("{item_id}", "1.1")
                .replace("{device_id}", &assure.device)
                .replace("{checklist_id}", &assure.checklist)
                .replace("{submission_id}", &assure.submission)
                .replace("{release_id}", &sustain.release)
                .replace("{source_id}", &sustain.source)
                .replace("{decoder_name}", "secui-mf2")
                .replace("{alert_id}", &alert_id)
                .replace("{monitor_id}", &monitor_id)
                .replace("{indicator_source_id}", &indicator_source_id)
                .replace("{scan_id}", &scan_id)
                .replace("{incident_id}", &incident_id);
            let premarket = [
                "/devices",
                "/checklists",
                "/evidence",
                "/reviews",
                "/portfolio",
                "/releases",
                "/findings",
                "/aliases",
            ]
            .iter()
            .any(|p| spec.path.starts_with(p));
            let r = if premarket {
                maker.get(&path).await
            } else if spec.path.starts_with("/inventory") {
                nurse.get(&path).await
            } else {
                web.get(&path).await
            };
            if spec.path == "/audit.csv" {
                assert_eq!(r.status, StatusCode::OK);
                continue;
            }
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.body);
            assert!(
                r.body.contains(&format!("<html lang=\"{lang}\">")),
                "{lang} {path}"
            );
            // A missing message renders as its id, which looks like `word-word`.
            for line in r.body.lines() {
                let t = line.trim();
                let looks_like_id = !t.is_empty()
                    && t.contains('-')
                    && t.chars().all(|c| {
                        c.is_ascii_lowercase() || c == '-' || c == '_' || c.is_ascii_digit()
                    })
                    && !t.starts_with("--");
                assert!(!looks_like_id, "{lang} {path}: missing message `{t}`");
            }
            assert!(
                !r.body.contains("style=\""),
                "{path}: inline styles break the CSP"
            );
            assert!(
                !r.body.contains("<script>"),
                "{path}: inline script breaks the CSP"
            );
            pages += 1;
        }
    }
    assert!(pages >= 20, "{pages}");
    // The English switch really switches.
    let dash = web.get("/dashboard").await;
    assert!(
        dash.body.contains("Medical ISAC workspace"),
        "{}",
        dash.body
    );
    web.get("/lang/ko?next=/dashboard").await;
    assert!(
        web.get("/dashboard")
            .await
            .body
            .contains("의료ISAC 작업 공간")
    );
}

pub async fn security_headers_and_errors(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let mut web = app.browser();
    let login = web.get("/login").await;
    let h = &login.headers;
    assert_eq!(
        h["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.get("server").is_none());
    let cookie = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        cookie.contains("__Host-medsec_csrf=")
            && cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
    );
    let r = web.login("root", ADMIN_PASSWORD).await;
    let session_cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("__Host-medsec_session="))
        .unwrap()
        .to_owned();
    assert!(
        session_cookie.contains("; Path=/; Secure; HttpOnly; SameSite=Strict"),
        "{session_cookie}"
    );
    // Authenticated pages are not cached.
    assert_eq!(
        web.get("/dashboard").await.headers["cache-control"],
        "no-store"
    );

    // 404 and 405: our pages, no framework defaults.
    let nf = web.get("/no/such/page").await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    assert!(nf.body.contains("찾을 수 없음"));
    let api_nf = app.api().get("/api/v1/nothing").await;
    assert_eq!(api_nf.json()["error"]["code"], "not_found");
    let m = app.api().call(Method::DELETE, "/api/v1/me", None).await;
    assert_eq!(m.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(m.json()["error"]["code"], "method_not_allowed");
    let m = app
        .api()
        .call(Method::from_bytes(b"TRACE").unwrap(), "/login", None)
        .await;
    assert_eq!(m.status, StatusCode::METHOD_NOT_ALLOWED);

    // Health needs no login and tells no secrets.
    let h = app.api().get("/healthz").await.json();
    assert_eq!(h["status"], "ok");

    // An open redirect through `next` is not possible.
    let mut web = app.browser();
    web.get("/login").await;
    let r = web
        .post(
            "/login",
            &[
                ("username", "root"),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
    let r = web.get("/lang/en?next=https://evil.example").await;
    assert_eq!(r.location(), "/");
}

pub async fn audit_page_filters_and_csv(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    // Failed logins, including one with a name built to look like a formula.
    for name in ["root", "=HYPERLINK(\"x\")"] {
        app.api()
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"username": name, "password": "wrong-pass-1"}),
            )
            .await;
    }
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let page = web.get("/audit?action=auth.login.failure").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("로그인 실패"));
    assert!(
        page.body.contains("203.0.113.7"),
        "the client address is recorded"
    );
    assert!(
        page.body.contains("해시 체인 검증 완료"),
        "the chain status is shown to the operator"
    );
    assert!(!page.body.contains("auth.login.success</span>"), "filtered");
    let bad = web.get("/audit?from=2026-99-01").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"e-from\""));
    let csv = web.get("/audit.csv?outcome=failure").await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap(),
        "seq,time,actor,source,action,outcome,target_kind,target_id,details,hash"
    );
    assert!(
        csv.body.contains("'=HYPERLINK"),
        "formula-looking cells are defused"
    );
    assert!(csv.body.lines().skip(1).all(|l| l.contains(",failure,")));
    // The export itself is audited.
    let api = app.api_login("root", ADMIN_PASSWORD).await;
    let exported = api.get("/api/v1/audit?action=audit.exported").await.json();
    assert_eq!(exported.as_array().unwrap().len(), 1);
    let v = api.get("/api/v1/audit/verify").await.json();
    assert_eq!(v["intact"], true);
}

pub async fn catalogue_browser_and_api(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let list = web.get("/catalogs").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body
            .contains("의료기기 사이버보안 필수원칙 체크리스트")
    );
    // Korean search finds a word inside a longer one (`세션` in `세션을`).
    let found = web.get("/catalogs?q=%EC%84%B8%EC%85%98").await;
    assert!(
        found.body.contains("/catalogs/mfds-2019/1.8"),
        "{}",
        found.body
    );
    let item = web.get("/catalogs/mfds-2019/1.3").await;
    assert!(
        item.body
            .contains("등록되지 않은 회원 정보로 로그인 하였을 때, 접속되지 않아야 한다.")
    );
    assert!(item.body.contains("VVT-SW-001"));
    assert_eq!(
        web.get("/catalogs/mfds-2019/9.99").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        web.get("/catalogs/no-such/1.1").await.status,
        StatusCode::NOT_FOUND
    );
    // English titles after the switch.
    web.get("/lang/en?next=/").await;
    assert!(
        web.get("/catalogs/mfds-2019/1.2")
            .await
            .body
            .contains("No concurrent sessions")
    );

    let api = app.api_login("root", ADMIN_PASSWORD).await;
    let list = api.get("/api/v1/catalogs").await.json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "mfds-2019" && c["items"] == 24)
    );
    let hits = api
        .get("/api/v1/catalog-search?q=session%20termination")
        .await
        .json();
    assert_eq!(hits[0]["item"], "1.8");
    let item = api.get("/api/v1/catalogs/mfds-2019/items/1.1").await.json();
    assert_eq!(item["item"]["attachment"], "VVT-SW-001");
    let bad = api.get("/api/v1/catalog-search?q=x&catalog=nope").await;
    assert_eq!(bad.json()["error"]["field"], "catalog");
}
