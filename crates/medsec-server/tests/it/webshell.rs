//! Webshell scans end to end: a member's agent packs its web root and
//! posts it with the member's ingest token, the built-in YARA rules find
//! the webshells, alerts are raised for that member only, and users see
//! scans within their scope; bad archives are refused with what and where.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use medsec_store::testing::TestDb;
use medsec_store::watch::MemberScope;

use crate::{ADMIN_PASSWORD, HOST, Res, TestApp};

/// A web root with two webshells among ordinary files.
fn web_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("www/uploads/2026")).unwrap();
    std::fs::create_dir_all(r.join("www/js")).unwrap();
    std::fs::write(
        r.join("www/index.php"),
        "<?php\ndefine('WP_USE_THEMES', true);\nrequire __DIR__ . '/wp-blog-header.php';\n",
    )
    .unwrap();
    std::fs::write(
        r.join("www/js/app.js"),
        "document.addEventListener('DOMContentLoaded', function () {});\n",
    )
    .unwrap();
    std::fs::write(
        r.join("www/uploads/2026/thumb.php"),
        "<?php @eval($_POST['z0']);?>",
    )
    .unwrap();
    std::fs::write(
        r.join("www/uploads/cmd.jsp"),
        "<% Runtime.getRuntime().exec(request.getParameter(\"c\")); %>",
    )
    .unwrap();
    dir
}

fn pack(dir: &std::path::Path) -> Vec<u8> {
    medsec_webshell::archive::pack(dir, &medsec_webshell::Limits::default())
        .unwrap()
        .zip
}

async fn post_raw(app: &TestApp, path: &str, bearer: Option<&str>, body: Vec<u8>) -> Res {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/zip");
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

/// Two member hospitals with a nurse each, and an ingest token of the
/// first's HTTP log source.
async fn members(app: &TestApp) -> (String, String, String) {
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let alpha = app
        .add_org(
            &root,
            "알파병원",
            "hospital",
            "alphanurse",
            "Alpha-Nurse-123",
        )
        .await;
    let beta = app
        .add_org(
            &root,
            "베타병원",
            "hospital",
            "betanurse",
            "Beta-Nurse-1234",
        )
        .await;
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": alpha, "name": "web-agent", "transport": "http", "format": "json"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    (alpha, beta, token)
}

pub async fn webshell_agent_upload_raises_alerts_for_its_member(db: TestDb) {
    let app = TestApp::new(db).await;
    let (alpha, beta, token) = members(&app).await;
    let root_dir = web_root();
    let zip = pack(root_dir.path());

    // A wrong token is refused and stores nothing.
    let r = post_raw(
        &app,
        "/api/v1/ingest/webshell",
        Some("msi_wrong"),
        zip.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = post_raw(&app, "/api/v1/ingest/webshell", None, zip.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let r = post_raw(
        &app,
        "/api/v1/ingest/webshell?filename=www.zip",
        Some(&token),
        zip.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["scan"]["member_id"], alpha.as_str());
    assert_eq!(v["scan"]["origin"], "agent");
    assert_eq!(v["scan"]["uploaded_by"], "agent:web-agent");
    assert_eq!(v["scan"]["files"], 4);
    assert_eq!(v["scan"]["skipped"], 0);
    assert_eq!(v["scan"]["flagged_files"], 2);
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "www/uploads/2026/thumb.php".into(),
                "php_china_chopper".into()
            ),
            (
                "www/uploads/2026/thumb.php".into(),
                "php_eval_request_input".into()
            ),
            (
                "www/uploads/cmd.jsp".into(),
                "jsp_command_execution_request_input".into()
            ),
        ]
    );
    let chopper = &v["findings"][0];
    assert_eq!(
        chopper["sha256"],
        medsec_webshell::sha256_hex(b"<?php @eval($_POST['z0']);?>")
    );
    assert!(chopper["alert_id"].is_string(), "{chopper}");
    let scan_id = v["scan"]["id"].as_str().unwrap().to_owned();

    // Alerts for alpha only: one per rule, kind webshell, T1505.003.
    let store = &app.state.store;
    let filter = medsec_store::alerts::AlertFilter {
        limit: 50,
        ..Default::default()
    };
    let (alerts, _) = store
        .alerts(MemberScope::Member(&alpha), &filter)
        .await
        .unwrap();
    let mut rules: Vec<_> = alerts.iter().map(|a| a.rule_id.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        [
            "yara:jsp_command_execution_request_input",
            "yara:php_china_chopper",
            "yara:php_eval_request_input"
        ]
    );
    for a in &alerts {
        assert_eq!(a.kind, "webshell");
        assert_eq!(a.attack, "[\"T1505.003\"]");
        assert_eq!(a.severity, "critical");
        assert_eq!(a.hits, 1);
    }
    let (beta_alerts, _) = store
        .alerts(MemberScope::Member(&beta), &filter)
        .await
        .unwrap();
    assert!(beta_alerts.is_empty());

    // The same web root again: the open alerts get the hits, no new ones.
    let r = post_raw(&app, "/api/v1/ingest/webshell", Some(&token), zip).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (again, _) = store
        .alerts(MemberScope::Member(&alpha), &filter)
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|a| a.hits == 2), "{again:?}");

    // The alert page shows the file, its hash and the matched string.
    let chopper_alert = again
        .iter()
        .find(|a| a.rule_id == "yara:php_china_chopper")
        .unwrap();
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let page = web
        .get(&format!("/watch/alerts/{}", chopper_alert.id))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for needle in [
        "yara:php_china_chopper",
        "www/uploads/2026/thumb.php",
        "file.hash.sha256",
        "$one@0",
        "T1505.003",
    ] {
        assert!(page.body.contains(needle), "{needle}: {}", page.body);
    }
    // The queue lists them, and the scan page links to them.
    let queue = web.get("/watch/alerts").await;
    assert!(
        queue.body.contains("Webshell: php_china_chopper"),
        "{}",
        queue.body
    );
    let scan_page = web.get(&format!("/watch/webshell/{scan_id}")).await;
    assert_eq!(scan_page.status, StatusCode::OK, "{}", scan_page.body);
    assert!(scan_page.body.contains("www/uploads/cmd.jsp"));
    assert!(
        scan_page
            .body
            .contains(&format!("/watch/alerts/{}", chopper_alert.id))
    );

    // Hospitals see their own scans and alerts only.
    let alpha_api = app.api_login("alphanurse", "Alpha-Nurse-123").await;
    let beta_api = app.api_login("betanurse", "Beta-Nurse-1234").await;
    assert_eq!(
        alpha_api.get("/api/v1/watch/webshell/scans").await.json()["total"],
        2
    );
    let mine = alpha_api
        .get(&format!("/api/v1/watch/webshell/scans/{scan_id}"))
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.json()["findings"].as_array().unwrap().len(), 3);
    let list = beta_api.get("/api/v1/watch/webshell/scans").await;
    assert_eq!(list.json()["total"], 0, "{}", list.body);
    let theirs = beta_api
        .get(&format!("/api/v1/watch/webshell/scans/{scan_id}"))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let missing = beta_api
        .get("/api/v1/watch/webshell/scans/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(theirs.body, missing.body);
    let beta_alerts = beta_api.get("/api/v1/alerts?state=all").await;
    assert!(!beta_alerts.body.contains("yara:"), "{}", beta_alerts.body);
    let mut beta_web = app.browser();
    beta_web.login("betanurse", "Beta-Nurse-1234").await;
    let p = beta_web.get(&format!("/watch/webshell/{scan_id}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(
        !beta_web
            .get("/watch/webshell")
            .await
            .body
            .contains("www.zip")
    );
    // The member is told, as for any new alert.
    let notes = store.notifications(&alpha, "nobody", 50).await.unwrap();
    assert!(
        notes.iter().filter(|n| n.kind == "alert.new").count() >= 3,
        "{notes:?}"
    );

    let audit = app.audit_actions().await;
    assert_eq!(
        audit
            .iter()
            .filter(|(a, _, _)| a == "webshell.scanned")
            .count(),
        2,
        "{audit:?}"
    );
}

pub async fn webshell_uploads_by_users_and_bad_archives(db: TestDb) {
    let app = TestApp::new(db).await;
    let (alpha, beta, _) = members(&app).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let nurse = app.api_login("alphanurse", "Alpha-Nurse-123").await;
    let nurse_token = nurse.token.clone();
    let root_token = root.token.clone();
    let count = |app: &TestApp| {
        let store = app.state.store.clone();
        async move {
            store
                .webshell_scans(MemberScope::All, None, 500, 0)
                .await
                .unwrap()
                .1
        }
    };

    // A hospital scans one file of its own.
    let r = post_raw(
        &app,
        "/api/v1/watch/webshell/scans?filename=shell.aspx",
        nurse_token.as_deref(),
        b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"pass\"],\"unsafe\");%>".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["scan"]["member_id"], alpha.as_str());
    assert_eq!(r.json()["scan"]["origin"], "api");
    assert_eq!(r.json()["findings"][0]["path"], "shell.aspx");
    assert_eq!(r.json()["findings"][0]["rule"], "asp_eval_request_input");
    // Not for another member, which looks like an unknown one.
    let r = post_raw(
        &app,
        &format!("/api/v1/watch/webshell/scans?member={beta}"),
        nurse_token.as_deref(),
        b"<?php @eval($_POST['x']);?>".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "unknown_member");
    // The ISAC names the member.
    let r = post_raw(
        &app,
        "/api/v1/watch/webshell/scans",
        root_token.as_deref(),
        b"x".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "member");
    let before = count(&app).await;

    // Bad archives: what and where, nothing stored.
    let r = post_raw(
        &app,
        "/api/v1/watch/webshell/scans?member=베타병원",
        root_token.as_deref(),
        b"PK\x03\x04 definitely not a zip archive".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "invalid_archive");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a readable zip archive"),
        "{}",
        r.body
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.php"), "<?php echo 1;").unwrap();
    let content: Vec<u8> = (0..20_000_u32).flat_map(|i| i.to_le_bytes()).collect();
    std::fs::write(dir.path().join("b.bin"), content).unwrap();
    let mut zip = pack(dir.path());
    let at = zip.windows(5).position(|w| w == b"b.bin").unwrap();
    for b in zip.iter_mut().skip(at + 40).take(200) {
        *b ^= 0x5a;
    }
    let r = post_raw(
        &app,
        &format!("/api/v1/watch/webshell/scans?member={beta}"),
        root_token.as_deref(),
        zip,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zip entry 1 (b.bin)"),
        "{}",
        r.body
    );
    assert_eq!(count(&app).await, before);

    // A zip bomb costs the limits: the entry is skipped with its reason.
    let bomb_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        bomb_dir.path().join("bomb.php"),
        vec![b'A'; 40 * 1024 * 1024],
    )
    .unwrap();
    // Packed with a larger file limit than the server's, so that the
    // server is the one that refuses to inflate it.
    let bomb = medsec_webshell::archive::pack(
        bomb_dir.path(),
        &medsec_webshell::Limits {
            max_file_size: 64 * 1024 * 1024,
            ..medsec_webshell::Limits::default()
        },
    )
    .unwrap()
    .zip;
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let r = post_raw(
        &app,
        &format!("/api/v1/watch/webshell/scans?member={beta}"),
        root_token.as_deref(),
        bomb,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["scan"]["files"], 0);
    assert_eq!(r.json()["scan"]["skipped"], 1);
    assert_eq!(r.json()["skipped"][0]["path"], "bomb.php");
    assert_eq!(r.json()["skipped"][0]["reason"], "too_large");

    // Other organisations have no webshell scans.
    app.add_org(&root, "Maker", "manufacturer", "maker", "Poplar-Pass-1234")
        .await;
    let maker = app.api_login("maker", "Poplar-Pass-1234").await;
    let r = post_raw(
        &app,
        "/api/v1/watch/webshell/scans",
        maker.token.as_deref(),
        b"x".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        maker.get("/api/v1/watch/webshell/scans").await.status,
        StatusCode::FORBIDDEN
    );

    // The UI: the ISAC uploads a zip for a member and lands on the scan.
    let root_dir = web_root();
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let list = web.get("/watch/webshell").await;
    assert_eq!(list.status, StatusCode::OK);
    let r = web
        .upload_with(
            "/watch/webshell",
            &[("member", beta.as_str())],
            "site.zip",
            &pack(root_dir.path()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(r.location()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("www/uploads/2026/thumb.php"),
        "{}",
        page.body
    );
    assert!(page.body.contains("베타병원"));
    // A bad archive through the UI: the form again with the message.
    web.get("/watch/webshell").await;
    let r = web
        .upload_with(
            "/watch/webshell",
            &[("member", beta.as_str())],
            "broken.zip",
            b"PK\x03\x04 broken",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("not a readable zip archive"), "{}", r.body);
    // The rule list (a new API session: the web login above ended the
    // administrator's previous one).
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let rules = root.get("/api/v1/watch/webshell/rules").await.json();
    assert!(rules["rules"].as_array().unwrap().len() >= 14);
    assert_eq!(rules["rules"][0]["attack"][0], "T1505.003");
}
