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
    let r = root.post("/api/v1/watch/sources", mf2).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = root
        .call(Method::DELETE, "/api/v1/watch/decoders/secui-mf2", None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A changed definition whose sample no longer holds stays inactive.
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
    let r = root
        .post(
            "/api/v1/watch/decoders/secui-mf2/activate",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("FAILED"), "{}", r.body);
    let list = hospital.get("/api/v1/watch/decoders").await.json();
    assert_eq!(list["decoders"][0]["active"], false, "{list}");

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
