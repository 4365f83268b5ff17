//! Watch through the API: the ISAC sets up members' sources, masking and
//! retention; a hospital reads only its own; everyone else sees nothing.

use super::*;

pub async fn watch_sources_api(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let seoul = app
        .add_org(
            &root,
            "서울병원",
            "hospital",
            "seoul-sec",
            "Gangnam-Word-9876",
        )
        .await;
    app.add_org(
        &root,
        "부산병원",
        "hospital",
        "busan-sec",
        "Haeundae-Word-9876",
    )
    .await;
    app.add_org(
        &root,
        "메드시큐",
        "manufacturer",
        "maker",
        "Device-Word-9876",
    )
    .await;

    // Validation: every bad field named at once.
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "없는병원", "name": "", "transport": "tcp", "format": "nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["member", "name", "port", "format"] {
        assert!(
            r.body.contains(&format!("\"{field}\"")),
            "{field}: {}",
            r.body
        );
    }
    // A manufacturer is not a member.
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "메드시큐", "name": "fw", "transport": "tcp", "port": 20514}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "서울병원", "name": "방화벽", "transport": "tcp", "port": 20514, "format": "fortigate"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let fw = r.json()["source"]["id"].as_str().unwrap().to_owned();
    assert!(r.json().get("token").is_none());
    // The port is taken.
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "부산병원", "name": "fw", "transport": "tcp", "port": 20514}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // HTTP: a token, shown once, never listed.
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": seoul, "name": "WAF", "transport": "http", "format": "json"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("msi_"));
    let http_id = r.json()["source"]["id"].as_str().unwrap().to_owned();
    let found = app
        .state
        .store
        .log_source_by_credential(
            medsec_store::watch::Transport::Http,
            &medsec_server::watch::token_hash(&token),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.member_id, seoul);

    // TLS: the client certificate's fingerprint; a PEM that is not one
    // certificate is refused.
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "부산병원", "name": "IDS", "transport": "tls", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let cert = rcgen::generate_simple_self_signed(vec!["busan-ids".to_owned()]).unwrap();
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "부산병원", "name": "IDS", "transport": "tls", "certificate": cert.cert.pem()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // The ISAC sees all three; a hospital its own; a manufacturer nothing.
    let all = root.get("/api/v1/watch/sources").await.json();
    assert_eq!(all["sources"].as_array().unwrap().len(), 3, "{all}");
    assert!(!all.to_string().contains("credential"), "{all}");
    let hospital = app.api_login("seoul-sec", "Gangnam-Word-9876").await;
    let mine = hospital.get("/api/v1/watch/sources").await.json();
    let names: Vec<&str> = mine["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["WAF", "방화벽"]);
    let maker = app.api_login("maker", "Device-Word-9876").await;
    assert_eq!(
        maker.get("/api/v1/watch/sources").await.status,
        StatusCode::FORBIDDEN
    );
    // A hospital reads, it does not set up.
    let r = hospital
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "서울병원", "name": "x", "transport": "udp", "port": 5514}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let busan = app.api_login("busan-sec", "Haeundae-Word-9876").await;
    assert_eq!(
        busan
            .get(&format!("/api/v1/watch/sources/{fw}/errors"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hospital
            .get(&format!("/api/v1/watch/sources/{fw}/errors"))
            .await
            .status,
        StatusCode::OK
    );

    // Renewing the token retires the old one.
    let r = root
        .call(
            Method::PATCH,
            &format!("/api/v1/watch/sources/{http_id}"),
            Some(serde_json::json!({"renew_token": true, "silent_after": 120})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let renewed = r.json()["token"].as_str().unwrap().to_owned();
    assert_ne!(renewed, token);
    for (t, there) in [(&token, false), (&renewed, true)] {
        let hit = app
            .state
            .store
            .log_source_by_credential(
                medsec_store::watch::Transport::Http,
                &medsec_server::watch::token_hash(t),
            )
            .await
            .unwrap();
        assert_eq!(hit.is_some(), there);
    }

    // Usage per day, scoped like everything else.
    app.state
        .store
        .record_ingest(&[medsec_store::watch::IngestDelta {
            source_id: fw.clone(),
            member_id: seoul.clone(),
            day: "2026-11-20".into(),
            events: 42,
            bytes: 4200,
            ..Default::default()
        }])
        .await
        .unwrap();
    let usage = hospital
        .get("/api/v1/watch/usage?from=2026-11-01&to=2026-11-30")
        .await
        .json();
    assert_eq!(usage["days"][0]["events"], 42, "{usage}");
    let usage = busan
        .get("/api/v1/watch/usage?from=2026-11-01&to=2026-11-30")
        .await
        .json();
    assert_eq!(usage["days"].as_array().unwrap().len(), 0, "{usage}");
    let r = hospital.get("/api/v1/watch/usage?from=2026-13-01").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Masking: a bad pattern is refused; a member's rule is its own.
    let r = root
        .post(
            "/api/v1/watch/masking",
            serde_json::json!({"member": "서울병원", "name": "환자번호", "pattern": "P(\\d{8}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = root
        .post(
            "/api/v1/watch/masking",
            serde_json::json!({"member": "서울병원", "name": "환자번호", "pattern": "P\\d{8}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let seoul_rules = hospital.get("/api/v1/watch/masking").await.json();
    assert_eq!(seoul_rules["rules"].as_array().unwrap().len(), 3);
    let busan_rules = busan.get("/api/v1/watch/masking").await.json();
    assert_eq!(busan_rules["rules"].as_array().unwrap().len(), 2);
    let r = root
        .call(
            Method::PATCH,
            "/api/v1/watch/masking/builtin-phone",
            Some(serde_json::json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // Retention.
    let r = app
        .api_call_put(
            &root,
            "/api/v1/watch/retention",
            serde_json::json!({"member": "서울병원", "retention_days": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api_call_put(
            &root,
            "/api/v1/watch/retention",
            serde_json::json!({"member": "서울병원", "retention_days": 180}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(app.state.store.retention_days(&seoul).await.unwrap(), 180);

    let r = root
        .call(Method::DELETE, &format!("/api/v1/watch/sources/{fw}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Decoders: a pattern that does not compile is named with its
    // position; samples decide activation; a used decoder stays.
    let secui = medsec_logs::custom::EXAMPLES
        .iter()
        .find(|(f, _)| *f == "secui-mf2.toml")
        .unwrap()
        .1;
    let broken = secui.replacen(
        "%{IP:source.ip}:%{INT:source.port}",
        "%{IP:source.ip}:(%{INT:source.port}",
        1,
    );
    let r = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": broken}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("secui-mf2") && r.body.contains("character"),
        "{}",
        r.body
    );
    // A source cannot name an inactive decoder.
    let r = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": secui}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["test"]["passed"], true, "{}", r.body);
    assert_eq!(r.json()["decoder"]["active"], false);
    let mf2 = serde_json::json!({"member": "부산병원", "name": "MF2", "transport": "udp", "port": 5514, "format": "secui-mf2"});
    let r = root.post("/api/v1/watch/sources", mf2.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = hospital
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = root
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["replaced"], false, "{}", r.body);
    assert_eq!(r.json()["decoder"]["active_definition"], secui);
    let r = root.post("/api/v1/watch/sources", mf2).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // While a source uses it, the decoder can be neither deleted nor
    // deactivated; the refusal names the source.
    for r in [
        root.call(Method::DELETE, "/api/v1/watch/decoders/secui-mf2", None)
            .await,
        root.post(
            "/api/v1/watch/decoders/secui-mf2/deactivate",
            serde_json::json!({}),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "in_use", "{}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .ends_with(": 부산병원 · MF2"),
            "{}",
            r.body
        );
    }
    let list = hospital.get("/api/v1/watch/decoders").await.json();
    assert_eq!(list["decoders"][0]["active"], true, "{list}");
    // A changed definition whose sample no longer holds is saved as the
    // draft; the version in service stays in service.
    let wrong = secui.replacen(
        "\"event.action\" = \"DENY\"",
        "\"event.action\" = \"ALLOW\"",
        1,
    );
    assert_ne!(wrong, secui);
    let r = root
        .post(
            "/api/v1/watch/decoders/test",
            serde_json::json!({"definition": wrong}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["test"]["passed"], false, "{}", r.body);
    assert!(
        r.json()["test"]["report"]
            .as_str()
            .unwrap()
            .contains("event.action"),
        "{}",
        r.body
    );
    let r = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": wrong}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let saved = &r.json()["decoder"];
    assert_eq!(saved["active"], true, "{saved}");
    assert_eq!(saved["changes_pending"], true, "{saved}");
    assert_eq!(saved["definition"], wrong);
    assert_eq!(saved["active_definition"], secui);
    let r = root
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("FAILED"), "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "decoder_samples");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Not every sample passes: sample 1: ok"),
        "{}",
        r.body
    );
    let list = hospital.get("/api/v1/watch/decoders").await.json();
    let listed = &list["decoders"][0];
    assert_eq!(listed["active"], true, "{list}");
    assert_eq!(listed["changes_pending"], true, "{list}");
    assert_eq!(listed["definition"], wrong, "{list}");
    assert_eq!(listed["active_definition"], secui, "{list}");
    // A changed definition whose samples pass replaces the version in
    // service when it is activated.
    let better = secui.replacen("firewall traffic logs", "firewall traffic logs, v2", 1);
    assert_ne!(better, secui);
    let r = root
        .post(
            "/api/v1/watch/decoders",
            serde_json::json!({"definition": better}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["decoder"]["active_definition"], secui);
    let r = root
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["replaced"], true, "{}", r.body);
    assert_eq!(r.json()["decoder"]["changes_pending"], false);
    let list = hospital.get("/api/v1/watch/decoders").await.json();
    assert_eq!(list["decoders"][0]["active_definition"], better, "{list}");
    assert_eq!(list["decoders"][0]["changes_pending"], false, "{list}");
    assert!(list["decoders"][0]["activated_at"].is_i64(), "{list}");

    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    for a in [
        "log_source.created",
        "log_source.updated",
        "log_source.deleted",
        "masking_rule.changed",
        "retention.changed",
        "decoder.saved",
        "decoder.activated",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

/// NDJSON in through `/api/v1/ingest` with a source token, out through
/// search and export: the ISAC sees every member, a hospital its own.
pub async fn watch_ingest_search_export(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let seoul = app
        .add_org(
            &root,
            "서울병원",
            "hospital",
            "seoul-sec",
            "Gangnam-Word-9876",
        )
        .await;
    app.add_org(
        &root,
        "부산병원",
        "hospital",
        "busan-sec",
        "Haeundae-Word-9876",
    )
    .await;
    let mut tokens = Vec::new();
    for member in ["서울병원", "부산병원"] {
        let r = root
            .post(
                "/api/v1/watch/sources",
                serde_json::json!({"member": member, "name": "WAF", "transport": "http", "format": "json"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        tokens.push(r.json()["token"].as_str().unwrap().to_owned());
    }
    let watch = app.state.watch.get().unwrap();
    watch.ingest.reload().await.unwrap();

    let post = |token: String, body: Vec<u8>, gzip: bool| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/ingest")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if gzip {
            b = b.header(header::CONTENT_ENCODING, "gzip");
        }
        app.send(b.body(Body::from(body)).unwrap())
    };
    let now = app.state.now();
    let at = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(now.0 / 1000 - secs)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut seoul_lines = String::new();
    for i in 0..30 {
        seoul_lines.push_str(&format!(
            "{{\"@timestamp\":\"{}\",\"source\":{{\"ip\":\"198.51.100.{i}\"}},\"url\":{{\"path\":\"/emr/login\"}},\"event\":{{\"action\":\"{}\"}},\"message\":\"로그인 서버가 요청을 차단함 {i}\"}}\n",
            at(60 * i),
            if i % 3 == 0 { "blocked" } else { "allowed" }
        ));
    }
    let r = post(tokens[0].clone(), seoul_lines.into_bytes(), false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["accepted"], 30);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        format!("{{\"@timestamp\":\"{}\",\"event\":{{\"action\":\"blocked\"}},\"message\":\"busan\"}}\n", at(5)).as_bytes(),
    )
    .unwrap();
    let r = post(tokens[1].clone(), gz.finish().unwrap(), true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post("msi_nope".into(), b"{}\n".to_vec(), false).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    // The ISAC: both members; a member filter; Korean inside words.
    let all = root
        .get("/api/v1/watch/events?q=event.action:blocked")
        .await
        .json();
    assert_eq!(all["total"], 11, "{all}");
    let counts: u64 = all["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 11);
    let only = root
        .get("/api/v1/watch/events?q=event.action:blocked&member=%EB%B6%80%EC%82%B0%EB%B3%91%EC%9B%90")
        .await
        .json();
    assert_eq!(only["total"], 1, "{only}");
    let korean = root
        .get("/api/v1/watch/events?q=%EC%84%9C%EB%B2%84")
        .await
        .json();
    assert_eq!(korean["total"], 30, "{korean}");
    // Paging: 30 events in pages of 12.
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let page = root
            .get(&format!(
                "/api/v1/watch/events?q=url.path:%22/emr/login%22&size=12&cursor={cursor}"
            ))
            .await
            .json();
        seen += page["events"].as_array().unwrap().len();
        match page["next"].as_str() {
            Some(c) => {
                cursor =
                    percent_encoding::utf8_percent_encode(c, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
            }
            None => break,
        }
    }
    assert_eq!(seen, 30);
    // A bad query names its column.
    let r = root.get("/api/v1/watch/events?q=(a%20AND").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("column"), "{}", r.body);

    // A hospital: its own events only, whatever it asks for.
    let hospital = app.api_login("seoul-sec", "Gangnam-Word-9876").await;
    let mine = hospital
        .get("/api/v1/watch/events?q=event.action:blocked&member=%EB%B6%80%EC%82%B0%EB%B3%91%EC%9B%90")
        .await
        .json();
    assert_eq!(mine["total"], 10, "{mine}");
    assert!(
        mine["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["member"] == seoul.as_str())
    );

    // Export: CSV with a BOM, and NDJSON; audited.
    let csv = hospital
        .get("/api/v1/watch/events/export?format=csv&q=event.action:blocked")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.body.starts_with('\u{feff}'));
    assert_eq!(csv.body.lines().count(), 11, "{}", csv.body);
    let nd = root.get("/api/v1/watch/events/export?format=ndjson").await;
    assert_eq!(nd.body.lines().count(), 31);
    for line in nd.body.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["@timestamp"].is_string() && v["raw"].is_string());
    }
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    assert!(actions.iter().filter(|a| *a == "events.exported").count() >= 2);

    // The search page, in both languages, with a bad query shown as such.
    let mut web = app.browser();
    web.login("seoul-sec", "Gangnam-Word-9876").await;
    let r = web
        .get("/watch/search?q=event.action%3Ablocked&range=24h")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<svg class=\"histogram\""), "{}", r.body);
    assert!(!r.body.contains("busan"), "{}", r.body);
    let r = web.get("/watch/search?q=%28a+AND").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("notice-error"));
}

/// The text between `start` and the next `end` in a page (what one
/// element shows), or "" when `start` is not there.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let Some(rest) = body.find(start).and_then(|at| body.get(at + start.len()..)) else {
        return "";
    };
    rest.get(..rest.find(end).unwrap_or(rest.len()))
        .unwrap_or_default()
}

/// The ISAC with an analyst (who manages watch) and a viewer, two member
/// hospitals and a manufacturer; logged in as each in the browser.
struct WatchPeople {
    seoul: String,
    busan: String,
}

async fn watch_people(app: &TestApp) -> WatchPeople {
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let seoul = app
        .add_org(
            &root,
            "서울병원",
            "hospital",
            "seoul-sec",
            "Gangnam-Word-9876",
        )
        .await;
    let busan = app
        .add_org(
            &root,
            "부산병원",
            "hospital",
            "busan-sec",
            "Haeundae-Word-9876",
        )
        .await;
    app.add_org(
        &root,
        "메드시큐",
        "manufacturer",
        "maker",
        "Device-Word-9876",
    )
    .await;
    app.add_user(&root, "analyst-kim", "analyst", "Analyst-Word-9876")
        .await;
    app.add_user(&root, "viewer-lee", "viewer", "Viewer-Word-9876")
        .await;
    WatchPeople { seoul, busan }
}

async fn logged_in<'a>(app: &'a TestApp, username: &str, password: &str) -> Browser<'a> {
    let mut web = app.browser();
    let r = web.login(username, password).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "login {username}: {}",
        r.body
    );
    web.get("/dashboard").await;
    web
}

/// The decoder pages: start from an example, test (fields, errors with
/// their position, what differed), save, activation only when the
/// samples pass, deletion refused while a source uses the decoder; the
/// ISAC manages, a hospital tries and reads, a manufacturer sees nothing.
pub async fn watch_decoder_pages(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let people = watch_people(&app).await;
    let mut analyst = logged_in(&app, "analyst-kim", "Analyst-Word-9876").await;
    let secui = medsec_logs::custom::EXAMPLES
        .iter()
        .find(|(f, _)| *f == "secui-mf2.toml")
        .unwrap()
        .1;

    // The list, with the examples to start from.
    let r = analyst.get("/watch/decoders").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for example in [
        "secui-mf2.toml",
        "ahnlab-trusguard.toml",
        "penta-wapples.toml",
    ] {
        assert!(r.body.contains(example), "{example}");
    }
    assert!(
        r.body
            .contains("href=\"/watch/decoders\" aria-current=\"page\"")
    );
    assert!(r.body.contains("아직 등록된 디코더가 없습니다"));
    let r = analyst
        .get("/watch/decoders?example=penta-wapples.toml")
        .await;
    assert!(
        between(&r.body, "name=\"definition\"", "</textarea>").contains("penta-wapples"),
        "{}",
        r.body
    );

    // A pattern that does not compile: named with its character position,
    // next to the definition, and the text kept.
    let broken = secui.replacen(
        "%{IP:source.ip}:%{INT:source.port}",
        "%{IP:source.ip}:(%{INT:source.port}",
        1,
    );
    let r = analyst
        .post(
            "/watch/decoders/test",
            &[("definition", &broken), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let error = between(&r.body, "id=\"e-definition\"", "</p>");
    assert!(
        error.contains("정의를 해석할 수 없습니다")
            && error.contains("pattern 1 at character")
            && error.contains("unclosed group"),
        "{error}"
    );
    assert!(between(&r.body, "name=\"definition\"", "</textarea>").contains("(%{INT:source.port}"));
    // TOML that does not parse: line and column.
    let r = analyst
        .post(
            "/watch/decoders/test",
            &[
                ("definition", "name = \"x\"\npatern = 'a'\n"),
                ("editing", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        between(&r.body, "id=\"e-definition\"", "</p>").contains("line 2, column 1"),
        "{}",
        r.body
    );

    // The test button: each sample's fields, or what went wrong.
    let r = analyst
        .post(
            "/watch/decoders/test",
            &[("definition", secui), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("표본 3개가 모두 통과했습니다"),
        "{}",
        r.body
    );
    assert!(r.body.contains("작성 중인 정의의 표본 결과"));
    let first = between(&r.body, "표본 1 ", "</article>");
    for (field, value) in [
        ("@timestamp", "2024-03-09T01:15:30Z"),
        ("source.ip", "10.1.1.5"),
        ("destination.port", "443"),
        ("rule.name", "외부 웹 허용"),
        ("observer.vendor", "SECUI"),
    ] {
        assert!(
            first.contains(&format!(
                "<td class=\"mono\">{field}</td><td class=\"mono\">{value}</td>"
            )),
            "{field}: {first}"
        );
    }
    let failing = secui
        .replacen(
            "\"event.action\" = \"DENY\"",
            "\"event.action\" = \"ALLOW\"",
            1,
        )
        .replacen(
            "DROP ICMP 198.51.100.23 -> 10.1.1.1 rule=9",
            "DROP ICMP from-nowhere rule=9",
            1,
        );
    let r = analyst
        .post(
            "/watch/decoders/test",
            &[("definition", &failing), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("통과하지 못한 표본이 있습니다"));
    let second = between(&r.body, "표본 2 ", "</article>");
    assert!(second.contains("badge-failure"), "{second}");
    assert!(
        second.contains("<td class=\"mono\">event.action</td><td class=\"mono\">ALLOW</td><td class=\"mono\">DENY</td>"),
        "{second}"
    );
    let third = between(&r.body, "표본 3 ", "</article>");
    assert!(
        third.contains("the pattern does not match at byte"),
        "{third}"
    );
    // Trying stores nothing.
    assert!(app.state.store.decoders().await.unwrap().is_empty());

    // Saving: inactive until activated; the page runs the stored samples.
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &failing), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=saved_failing");
    let r = analyst.get(r.location()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("통과하지 못한 표본이 있어 아직 활성화할 수 없습니다")
    );
    assert!(r.body.contains("저장된 정의의 표본 결과"));
    // Activation is refused with the service's report.
    let r = analyst
        .post("/watch/decoders/secui-mf2/activate", &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let refusal = between(&r.body, "notice-error\" role=\"alert\">", "</div>");
    assert!(
        refusal.contains("표본이 모두 통과하지 않아 활성화하지 않았습니다")
            && refusal.contains("sample 2: FAILED"),
        "{refusal}"
    );
    assert!(
        !app.state
            .store
            .decoder("secui-mf2")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // A save from the decoder's page that does not compile stays there.
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &broken), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("action=\"/watch/decoders/secui-mf2/activate\"")
    );
    assert!(r.body.contains("id=\"e-definition\""));
    // Fixed, saved and activated.
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", secui), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=saved");
    let r = analyst
        .post("/watch/decoders/secui-mf2/activate", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("디코더를 활성화했습니다"));
    assert!(r.body.contains("badge-success\">활성"));
    assert!(
        app.state
            .store
            .decoder("secui-mf2")
            .await
            .unwrap()
            .unwrap()
            .active
    );

    // A member's source uses it: deletion is refused and says by whom.
    let r = analyst
        .post(
            "/watch/sources",
            &[
                ("member", &people.busan),
                ("name", "부산-방화벽"),
                ("transport", "udp"),
                ("port", "25514"),
                ("format", "secui-mf2"),
                ("silent_after", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let source = r
        .location()
        .trim_start_matches("/watch/sources/")
        .to_owned();
    let r = analyst.post("/watch/decoders/secui-mf2/delete", &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let refusal = between(&r.body, "notice-error\" role=\"alert\">", "</div>");
    assert!(
        refusal.contains("삭제하지 않았습니다") && refusal.contains("부산병원 · 부산-방화벽"),
        "{refusal}"
    );
    assert!(
        app.state
            .store
            .decoder("secui-mf2")
            .await
            .unwrap()
            .is_some()
    );
    let r = analyst.get("/watch/decoders").await;
    assert!(r.body.contains(&format!(
        "<a href=\"/watch/sources/{source}\">부산병원 · 부산-방화벽</a>"
    )));
    // Nor is deactivation: the source would receive nothing.
    let r = analyst
        .post("/watch/decoders/secui-mf2/deactivate", &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let refusal = between(&r.body, "notice-error\" role=\"alert\">", "</div>");
    assert!(
        refusal.contains("비활성화하지 않았습니다") && refusal.contains("부산병원 · 부산-방화벽"),
        "{refusal}"
    );
    assert!(r.body.contains("badge-success\">활성"));

    // Editing the decoder in service: saved as a draft, shown next to
    // the version in service, which the source keeps until activation.
    let draft = secui.replacen("firewall traffic logs", "firewall traffic logs, v2", 1);
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &draft), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=draft_saved");
    let r = analyst.get(r.location()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("변경 사항을 저장했습니다"), "{}", r.body);
    assert!(r.body.contains("badge-success\">활성"));
    assert!(
        between(&r.body, "id=\"pending\">", "</span>") == "변경 사항이 아직 적용되지 않음",
        "{}",
        r.body
    );
    assert!(
        between(&r.body, "id=\"in-service-definition\">", "</pre>")
            .contains("firewall traffic logs (reconstructed"),
        "{}",
        r.body
    );
    assert!(between(&r.body, "name=\"definition\"", "</textarea>").contains("traffic logs, v2"));
    assert!(r.body.contains(">변경 사항 활성화</button>"));
    let r = analyst.get("/watch/decoders").await;
    assert!(
        r.body
            .contains("badge-pending\">변경 사항이 아직 적용되지 않음")
    );
    let stored = app.state.store.decoder("secui-mf2").await.unwrap().unwrap();
    assert!(stored.active && stored.changes_pending());
    assert_eq!(stored.active_definition.as_deref(), Some(secui));
    // A failing draft is saved too, and still leaves the source alone.
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &failing), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(
        r.location(),
        "/watch/decoders/secui-mf2?done=draft_saved_failing"
    );
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("수집원은 적용 중인 버전을 계속 씁니다"));
    let r = analyst
        .post("/watch/decoders/secui-mf2/activate", &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &draft), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=draft_saved");
    // Activating the changes swaps the versions.
    let r = analyst
        .post("/watch/decoders/secui-mf2/activate", &[])
        .await;
    assert_eq!(
        r.location(),
        "/watch/decoders/secui-mf2?done=changes_activated"
    );
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("변경 사항을 활성화했습니다"), "{}", r.body);
    assert!(!r.body.contains("id=\"pending\"") && !r.body.contains("id=\"in-service-definition\""));
    assert!(!r.body.contains("/activate\""));
    let stored = app.state.store.decoder("secui-mf2").await.unwrap().unwrap();
    assert_eq!(stored.active_definition.as_deref(), Some(draft.as_str()));
    // Saving the same text again says so.
    let r = analyst
        .post(
            "/watch/decoders",
            &[("definition", &draft), ("editing", "secui-mf2")],
        )
        .await;
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=draft_same");

    // A hospital: reads the decoders and tries definitions; sees only its
    // own sources; changes nothing.
    let mut seoul = logged_in(&app, "seoul-sec", "Gangnam-Word-9876").await;
    let r = seoul.get("/watch/decoders").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("secui-mf2") && !r.body.contains("부산"),
        "{}",
        r.body
    );
    let r = seoul.get("/watch/decoders/secui-mf2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("/activate") && !r.body.contains("/delete\""));
    assert!(!r.body.contains(">저장</button>"));
    let r = seoul
        .post(
            "/watch/decoders/test",
            &[("definition", secui), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("표본 3개가 모두 통과했습니다"));
    let mut busan = logged_in(&app, "busan-sec", "Haeundae-Word-9876").await;
    let r = busan.get("/watch/decoders").await;
    assert!(r.body.contains("부산-방화벽"), "{}", r.body);
    for (path, fields) in [
        (
            "/watch/decoders",
            vec![("definition", secui), ("editing", "")],
        ),
        ("/watch/decoders/secui-mf2/deactivate", vec![]),
        ("/watch/decoders/secui-mf2/delete", vec![]),
    ] {
        let r = busan.post(path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // An ISAC viewer reads but does not change.
    let mut viewer = logged_in(&app, "viewer-lee", "Viewer-Word-9876").await;
    assert_eq!(viewer.get("/watch/decoders").await.status, StatusCode::OK);
    let r = viewer
        .post("/watch/decoders/secui-mf2/deactivate", &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A manufacturer sees nothing of watch.
    let mut maker = logged_in(&app, "maker", "Device-Word-9876").await;
    assert!(
        !maker
            .get("/dashboard")
            .await
            .body
            .contains("/watch/decoders")
    );
    assert_eq!(
        maker.get("/watch/decoders").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        maker.get("/watch/decoders/secui-mf2").await.status,
        StatusCode::FORBIDDEN
    );
    let r = maker
        .post(
            "/watch/decoders/test",
            &[("definition", secui), ("editing", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        app.state
            .store
            .decoder("secui-mf2")
            .await
            .unwrap()
            .unwrap()
            .active
    );

    // The source gone: deactivated (the definition stays), deleted.
    app.state
        .store
        .delete_log_source(
            medsec_store::watch::MemberScope::All,
            &source,
            medsec_store::AuditEntry {
                at: Timestamp::now(),
                org_id: None,
                actor_id: None,
                actor: "test".into(),
                source: "test".into(),
                action: medsec_core::audit::Action::LogSourceDeleted,
                outcome: medsec_core::audit::Outcome::Success,
                target_kind: "",
                target_id: None,
                details: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
    let r = analyst
        .post("/watch/decoders/secui-mf2/deactivate", &[])
        .await;
    assert_eq!(r.location(), "/watch/decoders/secui-mf2?done=deactivated");
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("디코더를 비활성화했습니다"));
    assert!(r.body.contains("적용 중인 버전 없음"), "{}", r.body);
    assert!(r.body.contains(">활성화</button>"));
    let stored = app.state.store.decoder("secui-mf2").await.unwrap().unwrap();
    assert!(!stored.active && stored.definition == draft);
    let r = analyst.post("/watch/decoders/secui-mf2/delete", &[]).await;
    assert_eq!(r.location(), "/watch/decoders?done=deleted");
    assert!(
        app.state
            .store
            .decoder("secui-mf2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        analyst.get("/watch/decoders/secui-mf2").await.status,
        StatusCode::NOT_FOUND
    );

    // Every change is in the audit log, by the analyst.
    let audit = app.audit_actions().await;
    for action in [
        "decoder.saved",
        "decoder.activated",
        "decoder.deactivated",
        "decoder.deleted",
    ] {
        assert!(
            audit.iter().any(|(a, who, outcome)| a == action
                && who == "analyst-kim"
                && outcome == "success"),
            "{action}: {audit:?}"
        );
    }
    // The refusals of the hospital and the viewer are audited as such.
    assert!(
        audit
            .iter()
            .any(|(a, who, _)| a == "auth.access.denied" && who == "viewer-lee"),
        "{audit:?}"
    );
    let _ = people.seoul;
}

/// The masking and retention pages: rules listed, added, changed and
/// turned off with field errors where they belong, the test box showing
/// the stored form of a line; retention per member with its default.
pub async fn watch_masking_and_retention_pages(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let people = watch_people(&app).await;
    let mut analyst = logged_in(&app, "analyst-kim", "Analyst-Word-9876").await;

    let r = analyst.get("/watch/masking").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("주민등록번호") && r.body.contains("전화번호"));
    assert!(r.body.contains("id=\"rule-form\""));

    // Every bad field at once, each next to its field.
    let r = analyst
        .post(
            "/watch/masking",
            &[
                ("member", "없는병원"),
                ("name", ""),
                ("pattern", "P(\\d{8}"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        between(&r.body, "id=\"e-pattern\">", "</p>").contains("올바른 정규 표현식이 아닙니다")
    );
    assert!(between(&r.body, "id=\"e-name\">", "</p>").contains("필수 입력 항목입니다"));
    assert!(between(&r.body, "id=\"e-member\">", "</p>").contains("회원 의료기관이 없습니다"));
    assert!(r.body.contains("value=\"P(\\d{8}\""), "the pattern is kept");
    // A pattern that matches nothing at all would match everywhere.
    let r = analyst
        .post(
            "/watch/masking",
            &[("member", ""), ("name", "숫자"), ("pattern", "\\d*")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(between(&r.body, "id=\"e-pattern\">", "</p>").contains("빈 문자열"));
    // Refused as the receivers would refuse it (the size limit), not only
    // by the syntax.
    let huge = "\\w{1000}\\w{1000}\\w{1000}";
    let r = analyst
        .post(
            "/watch/masking",
            &[("member", ""), ("name", "huge"), ("pattern", huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-pattern\""));
    assert_eq!(
        app.state
            .store
            .masking_rules(medsec_store::watch::MemberScope::All)
            .await
            .unwrap()
            .len(),
        2
    );

    let r = analyst
        .post(
            "/watch/masking",
            &[
                ("member", &people.seoul),
                ("name", "환자번호"),
                ("pattern", "P\\d{8}"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/watch/masking?done=mask_added");
    let r = analyst
        .post(
            "/watch/masking",
            &[
                ("member", "부산병원"),
                ("name", "부산-환자번호"),
                ("pattern", "BS-\\d{6}"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rules = app
        .state
        .store
        .masking_rules(medsec_store::watch::MemberScope::All)
        .await
        .unwrap();
    let seoul_rule = rules
        .iter()
        .find(|r| r.name == "환자번호")
        .unwrap()
        .id
        .clone();

    // Editing: the form filled in, errors kept there, then the change.
    let r = analyst
        .get(&format!("/watch/masking?edit={seoul_rule}"))
        .await;
    assert!(
        r.body
            .contains(&format!("action=\"/watch/masking/{seoul_rule}\""))
    );
    assert!(r.body.contains("value=\"P\\d{8}\""));
    let r = analyst
        .post(
            &format!("/watch/masking/{seoul_rule}"),
            &[
                ("member", &people.seoul),
                ("name", "환자번호"),
                ("pattern", "["),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains(&format!("action=\"/watch/masking/{seoul_rule}\""))
    );
    assert!(r.body.contains("id=\"e-pattern\""));
    let r = analyst
        .post(
            &format!("/watch/masking/{seoul_rule}"),
            &[
                ("member", &people.seoul),
                ("name", "환자번호"),
                ("pattern", "PT-\\d{8}"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/watch/masking?done=mask_changed");
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("마스킹 규칙을 변경했습니다"));
    assert!(r.body.contains("PT-\\d{8}"));
    // The built-in rules are only turned on and off.
    let r = analyst
        .post(
            "/watch/masking/builtin-rrn",
            &[("member", ""), ("name", "x"), ("pattern", "\\d+")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(between(&r.body, "id=\"e-pattern\">", "</p>").contains("기본 규칙은"));

    // The test box: the line as Seoul's rules would store it.
    let line = "환자 PT-12345678 연락처 010-2345-6789 주민 900101-1234567 BS-123456";
    let r = analyst
        .post(
            "/watch/masking/test",
            &[("member", &people.seoul), ("line", line), ("pattern", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let masked = between(&r.body, "<pre class=\"mono raw masked\">", "</pre>");
    assert_eq!(
        masked, "환자 *********** 연락처 ***-****-**** 주민 ******-******* BS-123456",
        "{}",
        r.body
    );
    let counts = between(&r.body, "id=\"mask-result\"", "</ul>");
    assert!(
        counts.contains("환자번호: 1곳") && counts.contains("전화번호: 1곳"),
        "{counts}"
    );
    // With a pattern being tried, not stored.
    let r = analyst
        .post(
            "/watch/masking/test",
            &[
                ("member", &people.seoul),
                ("line", line),
                ("pattern", "BS-\\d+"),
            ],
        )
        .await;
    assert!(between(&r.body, "<pre class=\"mono raw masked\">", "</pre>").ends_with("*********"));
    assert!(r.body.contains("시험 중인 패턴: 1곳"));
    let r = analyst
        .post(
            "/watch/masking/test",
            &[("member", ""), ("line", ""), ("pattern", "(")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-t-line\"") && r.body.contains("id=\"e-t-pattern\""));

    // Turning the phone rule off shows in the test box.
    let r = analyst
        .post(
            "/watch/masking/builtin-phone/enabled",
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(r.location(), "/watch/masking?done=mask_disabled");
    let r = analyst
        .post(
            "/watch/masking/test",
            &[("member", &people.seoul), ("line", line), ("pattern", "")],
        )
        .await;
    assert!(
        between(&r.body, "<pre class=\"mono raw masked\">", "</pre>").contains("010-2345-6789")
    );

    // A hospital sees the rules that apply to it, tries its own, changes
    // nothing.
    let mut seoul = logged_in(&app, "seoul-sec", "Gangnam-Word-9876").await;
    let r = seoul.get("/watch/masking").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("PT-\\d{8}") && r.body.contains("우리 기관"));
    assert!(
        !r.body.contains("부산") && !r.body.contains("BS-"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("id=\"rule-form\"") && !r.body.contains("/enabled"));
    let r = seoul
        .post(
            "/watch/masking/test",
            // The member named is ignored: a hospital gets its own rules.
            &[
                ("member", &people.busan),
                ("line", "PT-12345678 BS-123456"),
                ("pattern", ""),
            ],
        )
        .await;
    assert_eq!(
        between(&r.body, "<pre class=\"mono raw masked\">", "</pre>"),
        "*********** BS-123456"
    );
    for (path, fields) in [
        ("/watch/masking", vec![("name", "x"), ("pattern", "X\\d+")]),
        (
            "/watch/masking/builtin-rrn/enabled",
            vec![("enabled", "false")],
        ),
    ] {
        let r = seoul.post(path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let mut maker = logged_in(&app, "maker", "Device-Word-9876").await;
    assert_eq!(
        maker.get("/watch/masking").await.status,
        StatusCode::FORBIDDEN
    );
    let r = maker
        .post("/watch/masking/test", &[("line", "010-2345-6789")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Retention: every member with the default, then its own setting.
    let r = analyst.get("/watch/retention").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("기본값 365일") && r.body.contains("부산병원"));
    assert_eq!(r.body.matches("<td>365일</td>").count(), 2, "{}", r.body);
    let r = analyst
        .post(
            "/watch/retention",
            &[("member", &people.seoul), ("retention_days", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        between(&r.body, "id=\"e-retention_days\">", "</p>").contains("1부터 3650까지"),
        "{}",
        r.body
    );
    let r = analyst
        .post(
            "/watch/retention",
            &[("member", &people.seoul), ("retention_days", "반년")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(between(&r.body, "id=\"e-retention_days\">", "</p>").contains("정수를 입력하십시오"));
    let r = analyst
        .post(
            "/watch/retention",
            &[("member", &people.seoul), ("retention_days", "180")],
        )
        .await;
    assert_eq!(r.location(), "/watch/retention?done=retention");
    assert_eq!(
        app.state.store.retention_days(&people.seoul).await.unwrap(),
        180
    );
    let r = analyst.get(r.location()).await;
    assert!(r.body.contains("보존 기간을 저장했습니다"));
    assert!(r.body.contains("<td>180일</td>") && r.body.contains("기관별 설정"));
    let r = analyst
        .get(&format!("/watch/retention?edit={}", people.seoul))
        .await;
    assert!(r.body.contains("value=\"180\""));
    // A hospital sees its own retention only and cannot change it.
    let r = seoul.get("/watch/retention").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<td>180일</td>") && !r.body.contains("부산병원"));
    assert!(!r.body.contains("id=\"retention-form\""));
    let r = seoul
        .post(
            "/watch/retention",
            &[("member", &people.seoul), ("retention_days", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        maker.get("/watch/retention").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.state.store.retention_days(&people.seoul).await.unwrap(),
        180
    );
    assert_eq!(
        app.state.store.retention_days(&people.busan).await.unwrap(),
        medsec_store::watch::DEFAULT_RETENTION_DAYS
    );

    // In English too.
    analyst.get("/lang/en?next=/").await;
    let r = analyst.get("/watch/masking").await;
    assert!(r.body.contains("Resident registration number") && r.body.contains("Try the masking"));

    let audit = app.audit_actions().await;
    for action in ["masking_rule.changed", "retention.changed"] {
        assert!(
            audit
                .iter()
                .any(|(a, who, _)| a == action && who == "analyst-kim"),
            "{action}: {audit:?}"
        );
    }
    // Three changes to rules: two added, one changed, one turned off.
    assert_eq!(
        audit
            .iter()
            .filter(|(a, _, _)| a == "masking_rule.changed")
            .count(),
        4
    );
}

/// Per-source rates on the sources pages and per-source series in
/// `/metrics`: they move when events come in, and the metrics text
/// parses with the Prometheus client's parser.
pub async fn watch_source_rates_and_metrics(db: TestDb) {
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
            serde_json::json!({"member": "서울병원", "name": "WAF", "transport": "http", "format": "json"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let waf = r.json()["source"]["id"].as_str().unwrap().to_owned();
    let r = root
        .post(
            "/api/v1/watch/sources",
            serde_json::json!({"member": "서울병원", "name": "IDS", "transport": "udp", "port": free_udp_port()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ids = r.json()["source"]["id"].as_str().unwrap().to_owned();
    let made = root
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "prom", "scopes": ["metrics"], "days": 1}),
        )
        .await
        .json();
    let prom = Api {
        app: &app,
        token: Some(made["token"].as_str().unwrap().to_owned()),
    };
    let watch = app.state.watch.get().unwrap();
    watch.ingest.reload().await.unwrap();
    // The receivers sample the counters at each flush; the first sample,
    // a minute ago, is the rate's base.
    let mut flusher = watch.ingest.counters.flusher();
    let now = app.state.now();
    flusher
        .flush(&app.state.store, Timestamp(now.0 - 60_000))
        .await
        .unwrap();

    let series = |text: &str, name: &str, source: &str| -> Option<f64> {
        text.lines()
            .find(|l| {
                l.starts_with(&format!("{name}{{")) && l.contains(&format!("source=\"{source}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .map(|v| v.parse().unwrap())
    };
    let before = prom.get("/metrics").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        before.body.contains(&format!(
            "medsec_ingest_events_total{{member=\"서울병원\",source=\"WAF\",source_id=\"{waf}\"}} 0\n"
        )),
        "{}",
        before.body
    );
    assert_eq!(
        series(&before.body, "medsec_ingest_last_event_age_seconds", "WAF"),
        None
    );

    // 30 events, 2 of them unreadable JSON (stored with error.message).
    let mut body = String::new();
    for i in 0..30 {
        if i % 15 == 0 {
            body.push_str("{not json\n");
        } else {
            body.push_str(&format!(
                "{{\"message\":\"login {i}\",\"event\":{{\"action\":\"allowed\"}}}}\n"
            ));
        }
    }
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/ingest")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.clone()))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["accepted"], 30);
    flusher.flush(&app.state.store, now).await.unwrap();

    let after = prom.get("/metrics").await;
    assert_eq!(
        series(&after.body, "medsec_ingest_events_total", "WAF"),
        Some(30.0)
    );
    assert_eq!(
        series(&after.body, "medsec_ingest_parse_errors_total", "WAF"),
        Some(2.0)
    );
    assert_eq!(
        series(&after.body, "medsec_ingest_dropped_total", "WAF"),
        Some(0.0)
    );
    assert_eq!(
        series(&after.body, "medsec_ingest_connections", "WAF"),
        Some(0.0)
    );
    assert!(series(&after.body, "medsec_ingest_bytes_total", "WAF").unwrap() > 0.0);
    let age = series(&after.body, "medsec_ingest_last_event_age_seconds", "WAF").unwrap();
    assert!((0.0..600.0).contains(&age), "{age}");
    // The silent source has its counters and no age; one series per
    // configured source, and none for a deleted one.
    assert_eq!(
        series(&after.body, "medsec_ingest_events_total", "IDS"),
        Some(0.0)
    );
    assert_eq!(
        series(&after.body, "medsec_ingest_last_event_age_seconds", "IDS"),
        None
    );
    assert_eq!(after.body.matches("medsec_ingest_events_total{").count(), 2);

    // The reference parser reads it, with the values that moved.
    if let Some(py) = python() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.txt");
        std::fs::write(&path, &after.bytes).unwrap();
        let out = run_python(
            &py,
            "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\nfor f in text_string_to_metric_families(open(sys.argv[1], encoding='utf-8').read()):\n    for s in f.samples:\n        if s.name.startswith('medsec_ingest_'):\n            print(f.type, s.name, s.labels['source'], s.labels['member'].encode('unicode_escape').decode(), s.value)",
            &path,
        );
        let member = "서울병원"
            .escape_unicode()
            .to_string()
            .replace("\\u{", "\\u")
            .replace('}', "");
        for want in [
            format!("counter medsec_ingest_events_total WAF {member} 30.0"),
            format!("counter medsec_ingest_parse_errors_total WAF {member} 2.0"),
            format!("counter medsec_ingest_dropped_total IDS {member} 0.0"),
            format!("gauge medsec_ingest_connections WAF {member} 0.0"),
        ] {
            assert!(out.lines().any(|l| l == want), "{want}\n{out}");
        }
        assert!(
            out.lines()
                .any(|l| l.starts_with("gauge medsec_ingest_last_event_age_seconds WAF ")),
            "{out}"
        );
    }

    // The sources pages: 30 events over the last minute, today's parse
    // errors and drops apart.
    let mut web = logged_in(&app, "seoul-sec", "Gangnam-Word-9876").await;
    let r = web.get("/watch/sources").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("초당 이벤트 (최근 1분)"));
    let row = between(
        &r.body,
        &format!("href=\"/watch/sources/{waf}\">WAF"),
        "</tr>",
    );
    assert!(row.contains("<td class=\"rate\">0.50</td>"), "{row}");
    assert!(row.contains("<td>30</td>"), "{row}");
    assert!(
        row.contains(&format!(
            "<a href=\"/watch/sources/{waf}#samples\" class=\"warn-count\">2</a>"
        )),
        "{row}"
    );
    let row = between(
        &r.body,
        &format!("href=\"/watch/sources/{ids}\">IDS"),
        "</tr>",
    );
    assert!(row.contains("<td class=\"rate\">0</td>"), "{row}");
    let r = web.get(&format!("/watch/sources/{waf}")).await;
    assert!(
        between(&r.body, "초당 이벤트 (최근 1분)</dt>", "</dd>").contains("0.50"),
        "{}",
        r.body
    );
    // Another minute of silence: the rate falls to zero.
    flusher
        .flush(&app.state.store, Timestamp(now.0 + 61_000))
        .await
        .unwrap();
    app.clock.advance_secs(61);
    let r = web.get("/watch/sources").await;
    let row = between(
        &r.body,
        &format!("href=\"/watch/sources/{waf}\">WAF"),
        "</tr>",
    );
    assert!(row.contains("<td class=\"rate\">0</td>"), "{row}");
}

/// A UDP port nothing listens on now.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
