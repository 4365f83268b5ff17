//! Live detection and alerts, end to end: events posted to the ingest
//! endpoint are evaluated by the detection worker over the event store's
//! feed, hits become alerts grouped per member and rule (and correlation
//! group), each member sees only its own, the ISAC triages, assigns,
//! comments and suppresses (all audited), and a restarted worker
//! evaluates exactly the events it had not.

use std::time::{Duration, Instant};

use super::*;

const DETECTION_RULE: &str = r#"
title: EMR login blocked by the WAF
id: 5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01
status: test
level: high
tags:
  - attack.initial-access
  - attack.t1190
logsource:
  category: waf
detection:
  selection:
    url.path|startswith: '/emr/'
    event.action: blocked
  condition: selection
"#;

const CORRELATION_RULES: &str = r#"
title: EMR login blocked
name: emr_blocked
id: 0c1b3f0e-4d7a-4a51-8f0e-2f4e5a0b9c11
status: test
level: low
logsource:
  category: waf
detection:
  selection:
    url.path|startswith: '/emr/'
    event.action: blocked
  condition: selection
---
title: Repeated blocked EMR logins from one address
id: 7e6d2c1b-3a4f-4b5c-9d8e-1f2a3b4c5d6e
status: test
level: critical
tags:
  - attack.credential-access
  - attack.t1110
correlation:
  type: event_count
  rules:
    - emr_blocked
  group-by:
    - source.ip
  timespan: 10m
  condition:
    gte: 3
"#;

struct Detection {
    status: Arc<medsec_server::detection::Status>,
    thread: std::thread::JoinHandle<()>,
}

fn start(app: &TestApp, rules: &std::path::Path) -> Detection {
    let loaded = medsec_server::detection::load_rules(&[rules.to_owned()], &[]).unwrap();
    assert_eq!(loaded.set.failures.len(), 0, "{:?}", loaded.set.failures);
    let events = app.state.watch.get().unwrap().events.clone().unwrap();
    // A C2 address shared by the ISAC, as a CSV indicator.
    let indicators = medsec_detect::indicators::read(
        b"type,value,source,valid_until,description\nip,203.0.113.5,KISA C-TAS,,C2 server\n",
        "ctas",
    )
    .unwrap();
    let set = medsec_detect::indicators::IndicatorSet::build(indicators.indicators);
    let (status, thread) = medsec_server::detection::spawn(
        app.state.store.clone(),
        events,
        loaded,
        vec![Box::new(medsec_detect::indicators::IndicatorDetector::new(
            Arc::new(set),
            false,
        ))],
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    Detection { status, thread }
}

fn stop(d: Detection) {
    d.status.stop();
    d.thread.join().unwrap();
}

/// Waits until `check` holds for the ISAC's alert list, or fails after
/// 20 s; returns how long it took.
async fn wait_for(
    api: &Api<'_>,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> Duration {
    let t = Instant::now();
    loop {
        let v = api.get("/api/v1/alerts?state=all").await.json();
        if check(&v) {
            return t.elapsed();
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{what}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn find<'a>(v: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_id"] == rule)
        .collect()
}

pub async fn alerts_from_live_detection(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let seoul_id = app
        .add_org(
            &root,
            "서울병원",
            "hospital",
            "seoul-sec",
            "Gangnam-Word-9876",
        )
        .await;
    let busan_id = app
        .add_org(
            &root,
            "부산병원",
            "hospital",
            "busan-sec",
            "Haeundae-Word-9876",
        )
        .await;
    let analyst = app
        .add_user(&root, "analyst", "editor", "Triage-Word-9876")
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
    app.state
        .watch
        .get()
        .unwrap()
        .ingest
        .reload()
        .await
        .unwrap();
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("detection.yml"), DETECTION_RULE).unwrap();
    std::fs::write(rules.path().join("correlation.yml"), CORRELATION_RULES).unwrap();

    let post = |token: String, lines: Vec<String>| {
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
    let now = app.state.now();
    let line = |secs: i64, ip: &str, action: &str, n: u32| {
        let at = time::OffsetDateTime::from_unix_timestamp(now.0 / 1000 - 600 + secs)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        format!(
            "{{\"@timestamp\":\"{at}\",\"source\":{{\"ip\":\"{ip}\"}},\"url\":{{\"path\":\"/emr/login\"}},\"event\":{{\"action\":\"{action}\"}},\"message\":\"WAF {action} {n}\"}}"
        )
    };

    // Events stored before detection first starts are not evaluated (a
    // retro-hunt covers them).
    let r = post(
        tokens[0].clone(),
        vec![line(0, "198.51.100.9", "blocked", 0)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let d = start(&app, rules.path());
    // The worker has recorded where it starts before we post more.
    let t = Instant::now();
    while app
        .state
        .store
        .detection_state(medsec_server::detection::STATE_ID)
        .await
        .unwrap()
        .is_none()
    {
        assert!(t.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Seoul: four blocked logins from one address (the correlation fires
    // at the third) and one allowed; Busan: one blocked.
    let seoul: Vec<String> = (1..=4)
        .map(|i| line(i * 10, "198.51.100.7", "blocked", i as u32))
        .chain([line(50, "198.51.100.8", "allowed", 5)])
        .collect();
    let sent = Instant::now();
    assert_eq!(post(tokens[0].clone(), seoul).await.status, StatusCode::OK);
    assert_eq!(
        post(
            tokens[1].clone(),
            vec![line(20, "203.0.113.5", "blocked", 6)]
        )
        .await
        .status,
        StatusCode::OK
    );
    let took = wait_for(&root, "four alerts", |v| v["total"] == 4).await;
    eprintln!(
        "alerts visible {:?} after the events were acknowledged ({:?} after sending)",
        took,
        sent.elapsed()
    );
    assert!(took < Duration::from_secs(5), "alerts took {took:?}");

    let all = root.get("/api/v1/alerts").await.json();
    let det = find(&all, "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01");
    assert_eq!(det.len(), 2, "{all}");
    let seoul_det = det
        .iter()
        .find(|a| a["member_id"] == seoul_id.as_str())
        .unwrap();
    let busan_det = det
        .iter()
        .find(|a| a["member_id"] == busan_id.as_str())
        .unwrap();
    // Grouped: one alert for Seoul's four hits.
    assert_eq!(seoul_det["hits"], 4, "{seoul_det}");
    assert_eq!(busan_det["hits"], 1);
    assert_eq!(seoul_det["severity"], "high");
    assert_eq!(seoul_det["attack_ids"], serde_json::json!(["T1190"]));
    assert_eq!(seoul_det["member_name"], "서울병원");
    assert_eq!(seoul_det["state"], "new");
    let corr = find(&all, "7e6d2c1b-3a4f-4b5c-9d8e-1f2a3b4c5d6e");
    assert_eq!(corr.len(), 1, "{all}");
    assert_eq!(corr[0]["member_id"], seoul_id.as_str());
    assert_eq!(corr[0]["severity"], "critical");
    assert_eq!(corr[0]["kind"], "correlation:event_count");
    // Without ATT&CK imported an alert's techniques are ids only.
    assert_eq!(
        corr[0]["attack"],
        serde_json::json!([{"id": "T1110", "name": null, "domain": null, "tactics": [], "url": null, "outdated": false}])
    );
    // With a (tiny) ATT&CK bundle imported as feed records, the API and
    // the pages name them; ids the matrix does not know stay ids.
    let bundles = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-detect/tests/fixtures/attack");
    medsec_server::sustain::import_feeds(&app.state.store, &bundles, "test", "test", &mut |_| {})
        .await
        .unwrap();
    let named = root.get("/api/v1/alerts").await.json();
    let corr_named = find(&named, "7e6d2c1b-3a4f-4b5c-9d8e-1f2a3b4c5d6e");
    assert_eq!(corr_named[0]["attack"][0]["name"], "Brute Force", "{named}");
    assert_eq!(corr_named[0]["attack"][0]["domain"], "enterprise");
    assert_eq!(
        corr_named[0]["attack"][0]["tactics"],
        serde_json::json!(["Credential Access"])
    );
    let det_named = find(&named, "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01");
    assert_eq!(det_named[0]["attack"][0]["id"], "T1190");
    assert!(det_named[0]["attack"][0]["name"].is_null());
    let corr_id = corr[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        root.get(&format!("/api/v1/alerts/{corr_id}")).await.json()["alert"]["attack"][0]["name"],
        "Brute Force"
    );
    let mut analyst_web = app.browser();
    analyst_web.login("analyst", "Triage-Word-9876").await;
    let page = analyst_web.get("/watch/alerts").await;
    assert!(
        page.body.contains("Brute Force") && page.body.contains("Credential Access"),
        "{}",
        page.body
    );
    let page = analyst_web.get(&format!("/watch/alerts/{corr_id}")).await;
    assert!(page.body.contains("Brute Force"), "{}", page.body);
    // Busan's event came from the indicator's address.
    let ioc: Vec<&serde_json::Value> = all["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "indicator")
        .collect();
    assert_eq!(ioc.len(), 1, "{all}");
    assert_eq!(ioc[0]["member_id"], busan_id.as_str());
    assert!(
        ioc[0]["title"].as_str().unwrap().contains("203.0.113.5"),
        "{}",
        ioc[0]
    );
    // A rule a correlation uses raises no alert of its own (Sigma's
    // `generate: false`, the default).
    assert!(
        find(&all, "0c1b3f0e-4d7a-4a51-8f0e-2f4e5a0b9c11").is_empty(),
        "{all}"
    );
    let seoul_alert = seoul_det["id"].as_str().unwrap().to_owned();
    let busan_alert = busan_det["id"].as_str().unwrap().to_owned();

    // The alert keeps its hits with the events and what matched.
    let detail = root
        .get(&format!("/api/v1/alerts/{seoul_alert}"))
        .await
        .json();
    assert_eq!(detail["hits"].as_array().unwrap().len(), 4, "{detail}");
    let first: serde_json::Value =
        serde_json::from_str(detail["hits"][0]["event"].as_str().unwrap()).unwrap();
    assert_eq!(first["member"], seoul_id.as_str(), "{first}");
    assert!(
        detail["hits"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("url.path")
    );

    // Each hospital sees its own alerts only; another's is "not found".
    let seoul_api = app.api_login("seoul-sec", "Gangnam-Word-9876").await;
    let busan_api = app.api_login("busan-sec", "Haeundae-Word-9876").await;
    assert_eq!(seoul_api.get("/api/v1/alerts").await.json()["total"], 2);
    let b = busan_api.get("/api/v1/alerts").await.json();
    assert_eq!(b["total"], 2, "{b}");
    let r = busan_api
        .get(&format!("/api/v1/alerts/{seoul_alert}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = busan_api
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/comments"),
            serde_json::json!({"text": "우리 것이 아님"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A member is told (UI notification).
    let n = app
        .state
        .store
        .notifications(&seoul_id, "", 50)
        .await
        .unwrap();
    assert!(
        n.iter().filter(|x| x.kind == "alert.new").count() >= 2,
        "{n:?}"
    );

    // Only the ISAC triages.
    let r = seoul_api
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/state"),
            serde_json::json!({"state": "acknowledged"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = root
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/state"),
            serde_json::json!({"state": "acknowledged"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = root
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/assignee"),
            serde_json::json!({"assignee": "analyst"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = root
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/assignee"),
            serde_json::json!({"assignee": "seoul-sec"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The member comments; the ISAC reads it.
    let r = seoul_api
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/comments"),
            serde_json::json!({"text": "점검 중인 스캐너입니다.\n내일까지 차단 유지."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Closing needs a resolution.
    let r = root
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/state"),
            serde_json::json!({"state": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("resolution"));
    let r = root
        .post(
            &format!("/api/v1/alerts/{seoul_alert}/state"),
            serde_json::json!({"state": "closed", "resolution": "false_positive"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let detail = root
        .get(&format!("/api/v1/alerts/{seoul_alert}"))
        .await
        .json();
    assert_eq!(detail["alert"]["state"], "closed");
    assert_eq!(detail["alert"]["resolution"], "false_positive");
    assert_eq!(detail["alert"]["assignee_id"], analyst.as_str());
    assert!(detail["alert"]["acknowledged_at"].is_i64());
    let kinds: Vec<&str> = detail["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["state", "assign", "comment", "state"]);

    // Tuning: Seoul's hits of the rule are suppressed (audited); Busan's
    // still count.
    let r = root
        .post(
            "/api/v1/alert-suppressions",
            serde_json::json!({"rule": "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01", "member": "서울병원", "reason": "취약점 점검 기간", "days": "7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = root
        .post(
            "/api/v1/alert-suppressions",
            serde_json::json!({"rule": "", "reason": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Detection stops (as in a restart); events arrive meanwhile.
    stop(d);
    let events_before = app
        .state
        .store
        .detection_state(medsec_server::detection::STATE_ID)
        .await
        .unwrap()
        .unwrap()
        .events;
    assert_eq!(events_before, 6, "every event since the start, once");
    assert_eq!(
        post(
            tokens[0].clone(),
            vec![line(300, "198.51.100.50", "blocked", 7)]
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        post(
            tokens[1].clone(),
            vec![line(310, "203.0.113.5", "blocked", 8)]
        )
        .await
        .status,
        StatusCode::OK
    );
    let d = start(&app, rules.path());
    wait_for(&root, "Busan's second hit", |v| {
        find(v, "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01")
            .iter()
            .any(|a| a["id"] == busan_alert.as_str() && a["hits"] == 2)
    })
    .await;
    stop(d);
    let state = app
        .state
        .store
        .detection_state(medsec_server::detection::STATE_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        state.events, 8,
        "each event evaluated exactly once across the restart"
    );
    let all = root.get("/api/v1/alerts?state=all").await.json();
    // Seoul's new hit was suppressed: no new alert for the rule.
    assert_eq!(
        find(&all, "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01").len(),
        2,
        "{all}"
    );
    let sup = root.get("/api/v1/alert-suppressions").await.json();
    assert_eq!(sup["suppressions"][0]["suppressed"], 1, "{sup}");
    // Hospitals do not see the ISAC's tuning.
    assert_eq!(
        seoul_api.get("/api/v1/alert-suppressions").await.status,
        StatusCode::FORBIDDEN
    );

    // Response times: per member and per analyst.
    let m = root.get("/api/v1/alert-metrics?days=7").await.json();
    let rows = m["members"].as_array().unwrap();
    let seoul_row = rows.iter().find(|r| r[0] == "서울병원").unwrap();
    assert_eq!(seoul_row[1]["closed"], 1, "{m}");
    assert_eq!(seoul_row[1]["false_positives"], 1);
    assert!(seoul_row[1]["mtta_secs"].is_f64(), "{m}");
    assert!(
        m["analysts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[0] == "analyst")
    );
    let rule = m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "5b3a0c52-9a62-4f59-9d4b-0b8f2f7f6a01")
        .unwrap();
    assert_eq!(rule["false_positives"], 1);
    let hm = seoul_api.get("/api/v1/alert-metrics").await.json();
    assert_eq!(hm["members"].as_array().unwrap().len(), 1, "{hm}");
    assert!(hm["rules"].as_array().unwrap().is_empty());

    // Audited.
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, ..)| a)
        .collect();
    for a in [
        "alert.triaged",
        "alert.assigned",
        "alert.commented",
        "alert_suppression.added",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }

    // The pages: the queue (live region) and the alert in both languages.
    let mut b = app.browser();
    b.login("root", ADMIN_PASSWORD).await;
    let q = b.get("/watch/alerts?state=all").await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains("data-live"), "{}", q.body);
    assert!(q.body.contains("서울병원"));
    assert!(q.body.contains("T1110"));
    let p = b.get(&format!("/watch/alerts/{seoul_alert}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("점검 중인 스캐너입니다."), "{}", p.body);
    assert!(p.body.contains("오탐"));
    let r = b
        .post(
            &format!("/watch/alerts/{busan_alert}/state"),
            &[("state", "investigating"), ("resolution", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rules_page = b.get("/watch/rules").await;
    assert!(
        rules_page.body.contains("취약점 점검 기간"),
        "{}",
        rules_page.body
    );
}

/// An alert as live detection records it, for the browser test (whose
/// server has no event store): the same store path as the worker's.
async fn record_alert(state: &AppState, member: &str, rule: &str, title: &str, n: &str) {
    let hit = medsec_store::alerts::NewHit {
        member_id: member.into(),
        group_key: format!("{member}\u{1f}{rule}"),
        kind: "detection".into(),
        rule_id: rule.into(),
        title: title.into(),
        severity: "critical".into(),
        attack: vec!["T1190".into()],
        tags: vec!["attack.t1190".into()],
        rule_file: None,
        event_id: format!("00000000000000000000000000000{n}"),
        received_at: state.now().0,
        event_time: state.now().0,
        detail: serde_json::json!({"matched": [{"field": "url.path", "value": "/emr/login"}]}),
        event: serde_json::json!({"raw": format!("WAF blocked {n}"), "member": member}),
    };
    let cp = medsec_store::alerts::Checkpoint {
        id: "browser-test".into(),
        position: "1:8".into(),
        correlation_state: "{}".into(),
        rules_digest: String::new(),
        events: 1,
        at: state.now(),
    };
    state.store.record_detections(&[hit], &cp).await.unwrap();
}

pub async fn browser_alert_queue_live_and_triage(db: TestDb) {
    use crate::browser::{OrFail, fail, ko, run};
    use crate::browser_assure::login;
    run("browser_alert_queue_live_and_triage", db, |w| async move {
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        let input = medsec_server::service::NewOrgInput {
            name: "서울병원".into(),
            kind: "hospital".into(),
            admin_username: None,
            admin_display_name: None,
        };
        let (seoul, _) = medsec_server::service::create_org(&s.state, &root, &input)
            .await
            .or_fail("create the hospital")?;
        record_alert(&s.state, &seoul.id, "rule-a", "EMR 로그인 차단", "1").await;

        // 1. The queue shows the alert.
        login(&w, "root", ADMIN_PASSWORD).await?;
        w.goto("/watch/alerts").await?;
        assert_eq!(w.h1().await?, ko("alerts-title"));
        let queue = w.text("#alert-queue").await?;
        assert!(queue.contains("EMR 로그인 차단"), "{queue}");
        assert!(queue.contains("서울병원"), "{queue}");

        // 2. A new alert appears in the open page without a reload (the
        //    live region polls every five seconds).
        record_alert(&s.state, &seoul.id, "rule-b", "웹셸 업로드 시도", "2").await;
        let t = Instant::now();
        loop {
            if w.text("#alert-queue").await?.contains("웹셸 업로드 시도") {
                break;
            }
            if t.elapsed() > Duration::from_secs(15) {
                return Err(fail("the new alert did not appear in the open queue"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!(
            "the open queue showed the new alert after {:?}",
            t.elapsed()
        );

        // 3. Open it, acknowledge, then close it as a true positive.
        w.navigating(w.find("#alert-queue a").await?.click())
            .await?;
        assert!(w.path().await?.starts_with("/watch/alerts/"));
        w.find("#t-state")
            .await?
            .select_by_value("acknowledged")
            .await?;
        w.click("form[action$='/state'] button[type=submit]")
            .await?;
        assert_eq!(w.notice().await?, Some(ko("alert-state-saved")));
        assert_eq!(
            w.text("#alert-state").await?,
            ko("alert-state-acknowledged")
        );
        w.find("#t-state").await?.select_by_value("closed").await?;
        // Without a resolution the form says what is missing.
        w.click("form[action$='/state'] button[type=submit]")
            .await?;
        assert!(w.has(".field.invalid #t-res").await?);
        w.find("#t-state").await?.select_by_value("closed").await?;
        w.find("#t-res")
            .await?
            .select_by_value("true_positive")
            .await?;
        w.click("form[action$='/state'] button[type=submit]")
            .await?;
        assert_eq!(
            w.text("#alert-state").await?,
            format!(
                "{} ({})",
                ko("alert-state-closed"),
                ko("alert-resolution-true_positive")
            )
        );
        let audit = s.audit_actions().await;
        assert!(audit.iter().any(|a| a == "alert.triaged"), "{audit:?}");
        Ok(())
    })
    .await;
}
