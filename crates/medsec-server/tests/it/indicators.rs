//! Indicators managed in the database, end to end: the ISAC imports a CSV
//! and a STIX source through the API while live detection runs, events
//! posted to the HTTPS ingest endpoint raise indicator alerts without a
//! restart, a revoked indicator stops matching, a re-import replaces the
//! source's indicators (keeping the analyst's revocation), the pages and
//! forms work, and hospitals see none of it.

use std::time::{Duration, Instant};

use super::*;

const CSV: &str = "type,value,source,valid_until,description\nip,203.0.113.5,,,MedLock C2 server\ndomain,emr-login-update.example,,,EMR phishing\n";

const STIX: &str = r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-05-01T00:00:00Z","modified":"2024-05-01T00:00:00Z",
  "name":"PACS viewer dropper","pattern":"[url:value = 'https://pacs-viewer-support.example/update.exe']","pattern_type":"stix","valid_from":"2024-05-01T00:00:00Z",
  "labels":["malicious-activity","attack.t1105"],"confidence":85},
 {"type":"indicator","spec_version":"2.1","id":"indicator--2f9a6d8e-1a3b-4c5d-8e9f-0a1b2c3d4e5f","created":"2024-05-01T00:00:00Z","modified":"2024-05-01T00:00:00Z",
  "pattern":"[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.2']","pattern_type":"stix","valid_from":"2024-05-01T00:00:00Z"}
]}"#;

/// Waits until `check` holds for the ISAC's alert list (20 s at most).
async fn alerts_until(
    api: &Api<'_>,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let t = Instant::now();
    loop {
        let v = api.get("/api/v1/alerts?state=all").await.json();
        if check(&v) {
            return v;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{what}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Hits of the indicator alert whose title names `value`.
fn hits_of(v: &serde_json::Value, value: &str) -> i64 {
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "indicator" && a["title"].as_str().unwrap().contains(value))
        .map(|a| a["hits"].as_i64().unwrap())
        .sum()
}

/// Waits until live detection has the database's indicators in service.
async fn reloaded(app: &TestApp, status: &medsec_server::detection::Status) {
    let want = app.state.store.indicator_generation().await.unwrap();
    let live = status.indicators.get().unwrap();
    let t = Instant::now();
    while live.generation.load(std::sync::atomic::Ordering::Acquire) != want {
        assert!(t.elapsed() < Duration::from_secs(20), "no reload");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn indicators_imported_live_revoked_and_replaced(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "서울병원",
        "hospital",
        "seoul-sec",
        "Gangnam-Word-9876",
    )
    .await;
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "서울병원", "name": "proxy", "transport": "http", "format": "json"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let watch = app.state.watch.get().unwrap();
    watch.ingest.reload().await.unwrap();

    // Live detection without rules or indicators yet: the database's
    // (empty) set, reloaded as it changes.
    let rules = tempfile::tempdir().unwrap();
    let loaded = medsec_server::detection::load_rules(&[rules.path().to_owned()], &[]).unwrap();
    let live = medsec_server::indicators::Live::load(&app.state.store)
        .await
        .unwrap();
    assert_eq!(live.set().len(), 0);
    let (status, thread) = medsec_server::detection::spawn_with(
        app.state.store.clone(),
        watch.events.clone().unwrap(),
        loaded,
        Vec::new(),
        Some(live),
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    let t = Instant::now();
    while !status.started.load(std::sync::atomic::Ordering::Acquire) {
        assert!(t.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let post = |lines: Vec<String>| {
        let body = lines.join("\n") + "\n";
        app.send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/ingest")
                .header(header::HOST, HOST)
                .header(header::CONTENT_TYPE, "application/x-ndjson")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let ev = |ip: &str, url: &str, n: u32| {
        format!(
            "{{\"source\":{{\"ip\":\"10.1.1.{n}\"}},\"destination\":{{\"ip\":\"{ip}\"}},\"url\":{{\"full\":\"{url}\"}},\"message\":\"proxy {n}\"}}"
        )
    };

    // The ISAC imports a CSV source through the API.
    let r = root
        .post(
            "/api/v1/watch/indicator-sources",
            serde_json::json!({"source": "KISA C-TAS", "description": "C-TAS 공유", "content": CSV}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ctas = r.json();
    assert_eq!(ctas["indicators"], 2, "{ctas}");
    let ctas_id = ctas["source"]["id"].as_str().unwrap().to_owned();
    // A file the reader refuses changes nothing and names where.
    let r = root
        .post(
            "/api/v1/watch/indicator-sources",
            serde_json::json!({"source": "bad", "content": "type,value\nip,198.51.100.300\n"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "file", "{}", r.body);
    assert!(r.body.contains("line 2"), "{}", r.body);
    // And a STIX bundle, with a pattern that cannot be matched.
    let r = root
        .post(
            "/api/v1/watch/indicator-sources",
            serde_json::json!({"source": "vendor", "content": STIX}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let vendor_id = r.json()["source"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["skipped"], 1, "{}", r.body);
    let detail = root
        .get(&format!("/api/v1/watch/indicator-sources/{vendor_id}"))
        .await
        .json();
    assert!(
        detail["skipped_items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("FOLLOWEDBY"),
        "{detail}"
    );
    reloaded(&app, &status).await;

    // Events now raise indicator alerts: detection was not restarted.
    assert_eq!(
        post(vec![
            ev(
                "203.0.113.5",
                "https://www.emr-login-update.example/login",
                1
            ),
            ev(
                "192.0.2.9",
                "https://pacs-viewer-support.example/update.exe",
                2
            ),
        ])
        .await
        .status,
        StatusCode::OK
    );
    let v = alerts_until(&root, "three indicator alerts", |v| {
        hits_of(v, "203.0.113.5") == 1
            && hits_of(v, "emr-login-update.example") == 1
            && hits_of(v, "pacs-viewer-support.example") == 1
    })
    .await;
    let pacs = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("pacs-viewer"))
        .unwrap();
    assert_eq!(pacs["severity"], "high", "{pacs}");
    assert_eq!(pacs["attack_ids"], serde_json::json!(["T1105"]), "{pacs}");

    // The analyst revokes the address: the next events from it raise
    // nothing, while the domain still does.
    let found = root
        .get("/api/v1/watch/indicators?q=203.0.113")
        .await
        .json();
    assert_eq!(found["indicators"].as_array().unwrap().len(), 1, "{found}");
    let ip_id = found["indicators"][0]["id"].as_str().unwrap().to_owned();
    let r = root
        .post(
            &format!("/api/v1/watch/indicators/{ip_id}/revoke"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    reloaded(&app, &status).await;
    assert_eq!(
        post(vec![ev(
            "203.0.113.5",
            "https://emr-login-update.example/",
            3
        )])
        .await
        .status,
        StatusCode::OK
    );
    // The domain's hit arrives with the same event: evaluated after the
    // revocation, so the address gained none.
    let v = alerts_until(&root, "domain hit", |v| {
        hits_of(v, "emr-login-update.example") == 2
    })
    .await;
    assert_eq!(hits_of(&v, "203.0.113.5"), 1, "{v}");

    // A re-import replaces the source's indicators: the domain is gone, a
    // new address is in, and the revoked address stays revoked.
    let r = root
        .post(
            "/api/v1/watch/indicator-sources",
            serde_json::json!({"source": "KISA C-TAS", "content": "type,value\nip,203.0.113.5\nip,198.51.100.77\n"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["replaced"], 2, "{}", r.body);
    assert_eq!(r.json()["kept_revocations"], 1, "{}", r.body);
    assert_eq!(r.json()["source"]["id"], ctas_id.as_str());
    reloaded(&app, &status).await;
    assert_eq!(
        post(vec![
            ev("203.0.113.5", "https://emr-login-update.example/", 4),
            ev("198.51.100.77", "https://intranet.example/", 5),
        ])
        .await
        .status,
        StatusCode::OK
    );
    let v = alerts_until(&root, "new address", |v| hits_of(v, "198.51.100.77") == 1).await;
    assert_eq!(hits_of(&v, "emr-login-update.example"), 2, "{v}");
    assert_eq!(hits_of(&v, "203.0.113.5"), 1, "{v}");

    // Added by hand: invalid fields are named; a valid one matches.
    let r = root
        .post(
            "/api/v1/watch/indicators",
            serde_json::json!({"kind": "ip", "value": "10.0.0.300", "confidence": "101"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "value", "{}", r.body);
    let r = root
        .post(
            "/api/v1/watch/indicators",
            serde_json::json!({"kind": "domain", "value": "x.example", "source": "KISA C-TAS"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "source", "{}", r.body);
    let r = root
        .post(
            "/api/v1/watch/indicators",
            serde_json::json!({"kind": "domain", "value": "Phish.Example.", "confidence": "20", "valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["value"], "phish.example");
    reloaded(&app, &status).await;
    assert_eq!(
        post(vec![ev("192.0.2.10", "https://a.phish.example/x", 6)])
            .await
            .status,
        StatusCode::OK
    );
    let v = alerts_until(&root, "manual indicator", |v| {
        hits_of(v, "phish.example") == 1
    })
    .await;
    let manual = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("phish.example"))
        .unwrap();
    assert_eq!(manual["severity"], "low", "{manual}");

    // Hospitals see no indicator, through the API or the pages.
    let seoul = app.api_login("seoul-sec", "Gangnam-Word-9876").await;
    for path in [
        "/api/v1/watch/indicator-sources".to_owned(),
        format!("/api/v1/watch/indicator-sources/{ctas_id}"),
        "/api/v1/watch/indicators?q=203".to_owned(),
    ] {
        let r = seoul.get(&path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(!r.body.contains("203.0.113.5"));
    }
    let mut web = app.browser();
    web.login("seoul-sec", "Gangnam-Word-9876").await;
    let r = web.get("/watch/indicators").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !web.get("/watch/alerts")
            .await
            .body
            .contains("/watch/indicators")
    );

    // The ISAC's pages: sources with counts, search, a source's skipped
    // items, an upload and a manual form that name their fields.
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let page = web.get("/watch/indicators").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("KISA C-TAS") && page.body.contains("vendor"));
    let page = web.get("/watch/indicators?q=198.51.100.77").await;
    assert!(
        page.body.contains("id=\"indicator-results\""),
        "{}",
        page.body
    );
    let page = web
        .get(&format!("/watch/indicator-sources/{vendor_id}"))
        .await;
    assert!(page.body.contains("FOLLOWEDBY"), "{}", page.body);
    web.get("/watch/indicators").await;
    let r = web
        .upload_with(
            "/watch/indicators/import",
            &[("source", "회원간 정보공유")],
            "share.csv",
            b"type,value\nsha256,ac11ab5bdf460602dbd4b135a8669dbb371ff5a38fc2838bfa3535f5687b5caa\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(r.location()).await;
    assert!(page.body.contains("회원간 정보공유"), "{}", page.body);
    web.get("/watch/indicators").await;
    let r = web
        .post(
            "/watch/indicators/add",
            &[
                ("kind", "url"),
                ("value", "not a url"),
                ("valid_until", "yesterday"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-a-value\""), "{}", r.body);
    assert!(r.body.contains("id=\"e-a-until\""), "{}", r.body);

    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    for a in [
        "indicators.imported",
        "indicator.revoked",
        "indicator.added",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }

    // Removing a source: its indicators go from detection too (an
    // administrator has one session: the web login above ended the API's).
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let r = root
        .call(
            Method::DELETE,
            &format!("/api/v1/watch/indicator-sources/{vendor_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    reloaded(&app, &status).await;
    // C-TAS's new address, the manual domain and the shared hash (the
    // revoked address is not loaded).
    let live = status.indicators.get().unwrap();
    assert_eq!(live.set().len(), 3);
    assert_eq!(
        live.indicators.load(std::sync::atomic::Ordering::Relaxed),
        3
    );

    status.stop();
    thread.join().unwrap();
}
