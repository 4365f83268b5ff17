//! Web page monitoring end to end against real pages on loopback servers
//! whose content the tests switch: a baseline from the first check, a
//! re-rendered page that is unchanged, a defacement and an injected
//! script that become alerts for that member only, a new baseline
//! accepted (audited) after which the page is unchanged again, pages that
//! stay unreachable, members that see only their own monitors, the pages
//! and forms, and claims that keep checks of one monitor from
//! overlapping.

use std::sync::Mutex;

use medsec_store::watch::MemberScope;

use super::*;

const HOSPITAL: &str = include_str!("../../../medsec-detect/src/webpage/fixtures/hospital.html");
const DEFACED: &str = include_str!("../../../medsec-detect/src/webpage/fixtures/defaced.html");

/// What the loopback site answers.
#[derive(Clone)]
enum Content {
    Page(String),
    Status(u16),
}

/// A web site on 127.0.0.1 whose answer the test switches.
struct Site {
    url: String,
    content: Arc<Mutex<Content>>,
    task: tokio::task::JoinHandle<()>,
}

impl Site {
    async fn start(page: &str) -> Site {
        let content = Arc::new(Mutex::new(Content::Page(page.to_owned())));
        let shared = content.clone();
        let router = Router::new().fallback(move || {
            let c = shared.lock().unwrap().clone();
            async move {
                match c {
                    Content::Page(html) => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        html,
                    ),
                    Content::Status(s) => (
                        StatusCode::from_u16(s).unwrap(),
                        [(header::CONTENT_TYPE, "text/plain")],
                        "unavailable".to_owned(),
                    ),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Site {
            url: format!("http://{addr}/"),
            content,
            task,
        }
    }

    fn serve(&self, c: Content) {
        *self.content.lock().unwrap() = c;
    }

    fn page(&self, html: &str) {
        self.serve(Content::Page(html.to_owned()));
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The hospital page re-rendered: new date, time, nonce and tokens.
fn rerendered() -> String {
    HOSPITAL
        .replace("2026년 11월 25일", "2026년 11월 26일")
        .replace("14:03 기준", "08:15 기준")
        .replace("r4nd0mN0nce1", "Q9xv0aLmZ2bT")
        .replace(
            "d41d8cd98f00b204e9800998ecf8427e",
            "9e107d9d372bb6826bd81d3542a419d6",
        )
        .replace(
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "e4d909c290d0fb1ca068ffaddf22cbd0",
        )
}

/// The app allowed to reach loopback pages.
async fn app(db: TestDb) -> TestApp {
    let app = TestApp::with_config(db, |c| c.webmon_allow_private = true).await;
    app.setup().await;
    app
}

async fn monitor(app: &TestApp, id: &str) -> medsec_store::webmon::WebMonitorRow {
    app.state
        .store
        .web_monitor(MemberScope::All, id)
        .await
        .unwrap()
        .unwrap()
}

async fn alerts_of(app: &TestApp, member: &str) -> Vec<medsec_store::alerts::AlertRow> {
    app.state
        .store
        .alerts(
            MemberScope::Member(member),
            &medsec_store::alerts::AlertFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0
}

/// Runs the due checks after `secs` seconds.
async fn after(app: &TestApp, secs: i64) -> usize {
    app.clock.advance_secs(secs);
    medsec_server::webmon::run_due(&app.state).await.unwrap()
}

pub async fn webmon_baseline_defacement_and_acceptance(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let hospital = app
        .add_org(
            &root,
            "서울메디병원",
            "hospital",
            "nurse",
            "Ward-Pass-12345",
        )
        .await;
    let other = app
        .add_org(&root, "부산의료원", "hospital", "busan", "Harbor-Pass-1234")
        .await;
    let site = Site::start(HOSPITAL).await;
    let added = root
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": "서울메디병원", "name": "대표 홈페이지", "url": site.url, "interval_secs": 300}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let id = added.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(added.json()["member_id"], hospital.as_str());

    // The first check reads the baseline; nothing else is due.
    assert_eq!(after(&app, 0).await, 1);
    let m = monitor(&app, &id).await;
    assert_eq!(m.last_outcome.as_deref(), Some("baseline"));
    assert!(m.baseline_hash.is_some() && m.baseline_by.is_none());
    assert_eq!(m.failures, 0);
    assert_eq!(after(&app, 10).await, 0, "not due yet");

    // Re-rendered with a new date, nonce and tokens: unchanged.
    site.page(&rerendered());
    assert_eq!(after(&app, 300).await, 1);
    assert_eq!(
        monitor(&app, &id).await.last_outcome.as_deref(),
        Some("unchanged")
    );
    assert!(alerts_of(&app, &hospital).await.is_empty());

    // Defaced: an alert for the hospital, none for the other.
    site.page(DEFACED);
    assert_eq!(after(&app, 300).await, 1);
    assert_eq!(
        monitor(&app, &id).await.last_outcome.as_deref(),
        Some("defaced")
    );
    let alerts = alerts_of(&app, &hospital).await;
    let deface = alerts
        .iter()
        .find(|a| a.rule_id == "web.defacement")
        .expect("a defacement alert");
    assert_eq!(deface.kind, "webpage");
    assert_eq!(deface.severity, "critical");
    assert_eq!(deface.attack, r#"["T1491.002"]"#);
    assert!(deface.title.contains("대표 홈페이지"), "{}", deface.title);
    assert!(alerts_of(&app, &other).await.is_empty());
    let hits = app.state.store.alert_hits(&deface.id).await.unwrap();
    assert!(
        hits[0].detail.contains("title replaced") && hits[0].detail.contains("Hacked By"),
        "{}",
        hits[0].detail
    );
    // The defacement page's hidden music is a new embedded origin.
    assert!(alerts.iter().any(|a| a.rule_id == "web.injected-script"));

    // The hospital sees its alert and the check's findings; the other
    // hospital sees neither.
    let mut nurse = app.api_login("nurse", "Ward-Pass-12345").await;
    let queue = nurse.get("/api/v1/alerts").await.json();
    assert!(
        queue["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule_id"] == "web.defacement")
    );
    let busan = app.api_login("busan", "Harbor-Pass-1234").await;
    assert_eq!(busan.get("/api/v1/alerts").await.json()["total"], 0);
    assert_eq!(
        busan
            .get(&format!("/api/v1/web-monitors/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let detail = nurse.get(&format!("/api/v1/web-monitors/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let detail = detail.json();
    let latest = &detail["checks"][0];
    assert_eq!(latest["outcome"], "defaced");
    assert!(
        latest["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "title_replaced" && f["after"] == "Hacked By Gh0st_Cr3w"),
        "{latest}"
    );

    // Still defaced at the next check: the same open alert, one more hit.
    assert_eq!(after(&app, 300).await, 1);
    let again = alerts_of(&app, &hospital).await;
    assert_eq!(again.len(), alerts.len());
    assert_eq!(again.iter().find(|a| a.id == deface.id).unwrap().hits, 2);

    // The hospital redesigns its site for real and accepts the new page
    // (logged in again: the checks above took longer than the idle
    // timeout).
    nurse = app.api_login("nurse", "Ward-Pass-12345").await;
    let redesign = HOSPITAL
        .replace("환자 중심, 안전한 진료", "새 누리집을 열었습니다")
        .replace("<section class=\"hero\">", "<section class=\"hero\"><div class=\"banner\"><img src=\"/img/new.png\" alt=\"\"></div>");
    site.page(&redesign);
    let checked = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.json()["check"]["outcome"], "changed");
    let accepted = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/baseline"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let m = monitor(&app, &id).await;
    assert_eq!(m.baseline_by.as_deref(), Some("nurse"));
    assert_eq!(
        accepted.json()["content_hash"].as_str(),
        m.baseline_hash.as_deref()
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|(a, who, _)| a == "web_monitor.baseline_accepted" && who == "nurse")
    );
    let checked = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        checked.json()["check"]["outcome"],
        "unchanged",
        "{}",
        checked.body
    );
    assert!(
        checked.json()["alerts_created"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // "Check now" does not move the schedule's own due time backwards.
    assert!(monitor(&app, &id).await.next_due > app.state.now().0);
}

pub async fn webmon_unreachable_after_failures(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let hospital = app
        .add_org(
            &root,
            "서울메디병원",
            "hospital",
            "nurse",
            "Ward-Pass-12345",
        )
        .await;
    let site = Site::start(HOSPITAL).await;
    let id = root
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": hospital, "name": "예약", "url": format!("{}reserve", site.url), "interval_secs": 60, "failure_threshold": 3}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(after(&app, 0).await, 1);
    site.serve(Content::Status(503));
    for n in 1..=2 {
        assert_eq!(after(&app, 60).await, 1);
        let m = monitor(&app, &id).await;
        assert_eq!(m.last_outcome.as_deref(), Some("unreachable"));
        assert_eq!(m.failures, n);
        assert!(
            alerts_of(&app, &hospital).await.is_empty(),
            "alert after {n}"
        );
    }
    assert_eq!(after(&app, 60).await, 1);
    let alerts = alerts_of(&app, &hospital).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_id, "web.unreachable");
    assert_eq!(alerts[0].severity, "low");
    let checks = app.state.store.web_checks(&id, 10).await.unwrap();
    assert_eq!(checks[0].http_status, Some(503));
    assert_eq!(checks[0].error.as_deref(), Some("HTTP 503"));

    // The server goes away entirely: connection refused, same alert.
    drop(site);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(after(&app, 60).await, 1);
    let checks = app.state.store.web_checks(&id, 10).await.unwrap();
    assert!(
        checks[0].error.as_deref().unwrap_or("").contains("connect"),
        "{:?}",
        checks[0].error
    );
    let alerts = alerts_of(&app, &hospital).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].hits, 2);

    // Back up: the failures reset and the page is unchanged.
    let site = Site::start(HOSPITAL).await;
    let input = serde_json::json!({"name": "예약", "url": format!("{}reserve", site.url), "interval_secs": 60, "failure_threshold": 3});
    let put = app
        .api_call_put(&root, &format!("/api/v1/web-monitors/{id}"), input)
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.body);
    // A new address drops the baseline: the next check reads it again.
    let m = monitor(&app, &id).await;
    assert!(m.baseline.is_none() && m.failures == 0);
    assert_eq!(after(&app, 0).await, 1);
    assert_eq!(
        monitor(&app, &id).await.last_outcome.as_deref(),
        Some("baseline")
    );

    // Without --webmon-allow-private, loopback pages are refused.
    let strict = TestApp::new(medsec_store::testing::sqlite().await).await;
    strict.setup().await;
    let root = strict.api_login("root", ADMIN_PASSWORD).await;
    strict
        .add_org(
            &root,
            "서울메디병원",
            "hospital",
            "nurse",
            "Ward-Pass-12345",
        )
        .await;
    let id = root
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": "서울메디병원", "name": "내부", "url": site.url}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checked = root
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(checked["check"]["outcome"], "unreachable");
    assert!(
        checked["check"]["error"]
            .as_str()
            .unwrap()
            .contains("private or local addresses"),
        "{checked}"
    );
}

pub async fn webmon_injected_script_and_hidden_iframe(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let hospital = app
        .add_org(
            &root,
            "서울메디병원",
            "hospital",
            "nurse",
            "Ward-Pass-12345",
        )
        .await;
    let site = Site::start(HOSPITAL).await;
    let nurse = app.api_login("nurse", "Ward-Pass-12345").await;
    // A hospital adds its own page; the member it names is ignored.
    let added = nurse
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": "anything", "name": "홈", "url": site.url, "keywords": ["긴급 점검"], "ignore_patterns": ["외래 대기 \\d+명"]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let id = added.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(added.json()["member_id"], hospital.as_str());
    nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await;
    // A visitor counter the monitor ignores.
    site.page(&HOSPITAL.replace("외래 대기 12명", "외래 대기 57명"));
    let c = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(c["check"]["outcome"], "unchanged", "{c}");

    site.page(&HOSPITAL.replacen(
        "</main>",
        "<script src=https://evil.example/x.js></script><div style=\"display:none\"><iframe src=\"http://malware.example/ek/\"></iframe></div></main>",
        1,
    ));
    let c = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(c["check"]["outcome"], "injected", "{c}");
    assert_eq!(c["alerts_created"].as_array().unwrap().len(), 1);
    let kinds: Vec<&str> = c["check"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"new_origin") && kinds.contains(&"hidden_iframe"),
        "{kinds:?}"
    );
    let alerts = alerts_of(&app, &hospital).await;
    assert_eq!(alerts.len(), 1);
    let injected = alerts[0].clone();
    assert_eq!(alerts[0].rule_id, "web.injected-script");
    assert_eq!(alerts[0].severity, "high");
    assert_eq!(alerts[0].attack, r#"["T1189"]"#);
    let hit = &app.state.store.alert_hits(&alerts[0].id).await.unwrap()[0];
    assert!(
        hit.detail.contains("https://evil.example/x.js"),
        "{}",
        hit.detail
    );
    assert!(
        hit.detail.contains("http://malware.example/ek/"),
        "{}",
        hit.detail
    );
    // The monitor's own keyword, injected as text, is defacement.
    site.page(&HOSPITAL.replacen("</main>", "<p>긴급 점검 중입니다</p></main>", 1));
    let c = nurse
        .post(
            &format!("/api/v1/web-monitors/{id}/check"),
            serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(c["check"]["outcome"], "defaced", "{c}");
    // The alert page shows what changed.
    let mut web = app.browser();
    web.login("nurse", "Ward-Pass-12345").await;
    let page = web.get(&format!("/watch/alerts/{}", injected.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("https://evil.example/x.js"),
        "{}",
        page.body
    );
}

pub async fn webmon_members_see_only_their_own(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let a = app
        .add_org(
            &root,
            "Alpha Hospital",
            "hospital",
            "alice",
            "Aspen-Pass-123",
        )
        .await;
    let b = app
        .add_org(&root, "Beta Hospital", "hospital", "bob", "Birch-Pass-1234")
        .await;
    app.add_org(&root, "Maker", "manufacturer", "maker", "Maple-Pass-1234")
        .await;
    let add = |member: &str, name: &str, url: &str| serde_json::json!({"member": member, "name": name, "url": url});
    let a_id = root
        .post(
            "/api/v1/web-monitors",
            add(&a, "Alpha home", "https://alpha.example/"),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_id = root
        .post(
            "/api/v1/web-monitors",
            add(&b, "Beta-Secret home", "https://beta-secret.example/"),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same address twice for one member is refused, naming the field.
    let dup = root
        .post(
            "/api/v1/web-monitors",
            add(&a, "again", "https://alpha.example/"),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.body);
    assert_eq!(dup.json()["error"]["field"], "url");

    let isac = root.get("/api/v1/web-monitors").await.json();
    assert_eq!(isac["monitors"].as_array().unwrap().len(), 2);
    let alice = app.api_login("alice", "Aspen-Pass-123").await;
    let mine = alice.get("/api/v1/web-monitors").await;
    assert_eq!(mine.json()["monitors"].as_array().unwrap().len(), 1);
    assert!(!mine.body.contains("Beta-Secret"));
    let missing = "00000000-0000-4000-8000-000000000000";
    for (method, suffix, body) in [
        (Method::GET, "", None),
        (
            Method::PUT,
            "",
            Some(add("", "hijacked", "https://hijack.example/")),
        ),
        (Method::POST, "/check", Some(serde_json::json!({}))),
        (Method::POST, "/baseline", Some(serde_json::json!({}))),
        (Method::DELETE, "", None),
    ] {
        let theirs = alice
            .call(
                method.clone(),
                &format!("/api/v1/web-monitors/{b_id}{suffix}"),
                body.clone(),
            )
            .await;
        let nothing = alice
            .call(
                method.clone(),
                &format!("/api/v1/web-monitors/{missing}{suffix}"),
                body,
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{method} {suffix}");
        assert_eq!(theirs.body, nothing.body, "{method} {suffix}");
    }
    let bm = monitor(&app, &b_id).await;
    assert_eq!(bm.name, "Beta-Secret home");
    assert!(bm.claimed_until.is_none());
    // A hospital cannot place a monitor on another member.
    let placed = alice
        .post(
            "/api/v1/web-monitors",
            add(&b, "mine", "https://alpha.example/news"),
        )
        .await;
    assert_eq!(placed.json()["member_id"], a.as_str());
    // Manufacturers see nothing of watch.
    let maker = app.api_login("maker", "Maple-Pass-1234").await;
    assert_eq!(
        maker.get("/api/v1/web-monitors").await.status,
        StatusCode::FORBIDDEN
    );
    // A viewer reads but does not change.
    app.add_user(&alice, "aviewer", "viewer", "Viewer-Pass-123")
        .await;
    let viewer = app.api_login("aviewer", "Viewer-Pass-123").await;
    assert_eq!(
        viewer
            .get(&format!("/api/v1/web-monitors/{a_id}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        viewer
            .post(
                &format!("/api/v1/web-monitors/{a_id}/check"),
                serde_json::json!({})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Removing is audited and leaves the other member's monitor alone.
    assert_eq!(
        alice
            .call(
                Method::DELETE,
                &format!("/api/v1/web-monitors/{a_id}"),
                None
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|(a, who, _)| a == "web_monitor.removed" && who == "alice")
    );
    assert!(
        app.state
            .store
            .web_monitor(MemberScope::All, &b_id)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn webmon_forms_pages_and_validation(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "서울메디병원",
        "hospital",
        "nurse",
        "Ward-Pass-12345",
    )
    .await;
    let site = Site::start(HOSPITAL).await;
    // The API names each wrong field.
    for (body, field, code) in [
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "ftp://h.example/"}),
            "url",
            "web_url_scheme",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "https://user:pw@h.example/"}),
            "url",
            "invalid",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "https://h.example/", "interval_secs": 5}),
            "interval_secs",
            "out_of_range",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "https://h.example/", "ignore_patterns": ["(unclosed"]}),
            "ignore_patterns",
            "format",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "https://h.example/", "ignore_patterns": ["\\w{1000}{1000}"]}),
            "ignore_patterns",
            "format",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": "x", "url": "https://h.example/", "threshold": 100}),
            "threshold",
            "out_of_range",
        ),
        (
            serde_json::json!({"member": "없는 병원", "name": "x", "url": "https://h.example/"}),
            "member",
            "unknown_member",
        ),
        (
            serde_json::json!({"member": "서울메디병원", "name": " ", "url": "https://h.example/"}),
            "name",
            "required",
        ),
    ] {
        let r = root.post("/api/v1/web-monitors", body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], code, "{body}: {}", r.body);
    }
    assert!(
        app.state
            .store
            .web_monitors(MemberScope::All)
            .await
            .unwrap()
            .is_empty()
    );

    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let list = web.get("/watch/web-monitors").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("웹페이지 모니터링"));
    // A bad form comes back with the messages next to its fields.
    let bad = web
        .post(
            "/watch/web-monitors",
            &[
                ("member", "서울메디병원"),
                ("name", "홈"),
                ("url", "javascript:alert(1)"),
                ("interval_secs", "ten"),
                ("ignore_patterns", "(unclosed"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-interval\""), "{}", bad.body);
    let bad = web
        .post(
            "/watch/web-monitors",
            &[
                ("member", "서울메디병원"),
                ("name", "홈"),
                ("url", "javascript:alert(1)"),
                ("ignore_patterns", "(unclosed"),
            ],
        )
        .await;
    assert!(
        bad.body.contains("id=\"e-url\"") && bad.body.contains("http:// 또는 https://"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("id=\"e-ignore\""), "{}", bad.body);
    let ok = web
        .post(
            "/watch/web-monitors",
            &[
                ("member", "서울메디병원"),
                ("name", "대표 홈페이지"),
                ("url", &site.url),
                ("interval_secs", "600"),
                ("keywords", "긴급 점검\n임시 페이지"),
                ("threshold", "70"),
                ("failure_threshold", "2"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let at = ok.location().to_owned();
    assert!(
        at.starts_with("/watch/web-monitors/") && at.ends_with("?done=added"),
        "{at}"
    );
    let id = at
        .trim_start_matches("/watch/web-monitors/")
        .trim_end_matches("?done=added")
        .to_owned();
    let m = monitor(&app, &id).await;
    assert_eq!(
        (m.interval_secs, m.threshold, m.failure_threshold, m.enabled),
        (600, 70, 2, 1)
    );
    assert_eq!(m.keywords, r#"["긴급 점검","임시 페이지"]"#);

    // Check now, then accept: both from the monitor's page.
    let r = web
        .post(&format!("/watch/web-monitors/{id}/check"), &[])
        .await;
    assert_eq!(
        r.location(),
        format!("/watch/web-monitors/{id}?done=checked")
    );
    site.page(DEFACED);
    web.post(&format!("/watch/web-monitors/{id}/check"), &[])
        .await;
    for lang in ["ko", "en"] {
        web.get(&format!("/lang/{lang}?next=/")).await;
        let page = web.get(&format!("/watch/web-monitors/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let (outcome, title) = if lang == "ko" {
            (
                "위변조",
                "제목 변경: “서울메디병원 - 환자 중심의 진료” → “Hacked By Gh0st_Cr3w”",
            )
        } else {
            (
                "Defaced",
                "Title replaced: “서울메디병원 - 환자 중심의 진료” → “Hacked By Gh0st_Cr3w”",
            )
        };
        assert!(page.body.contains(outcome), "{lang}: {}", page.body);
        assert!(page.body.contains(title), "{lang}: {}", page.body);
        let list = web.get("/watch/web-monitors").await;
        assert!(list.body.contains("대표 홈페이지") && list.body.contains(outcome));
    }
    web.get("/lang/ko?next=/").await;
    let r = web
        .post(&format!("/watch/web-monitors/{id}/baseline"), &[])
        .await;
    assert_eq!(
        r.location(),
        format!("/watch/web-monitors/{id}?done=baseline")
    );
    assert_eq!(
        monitor(&app, &id).await.baseline_by.as_deref(),
        Some("root")
    );
    // Editing: a disabled monitor is not checked on schedule.
    let r = web
        .post(
            &format!("/watch/web-monitors/{id}"),
            &[
                ("name", "대표 홈페이지"),
                ("url", &site.url),
                ("interval_secs", "600"),
                ("threshold", "70"),
                ("failure_threshold", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(monitor(&app, &id).await.enabled, 0);
    assert_eq!(after(&app, 3600).await, 0);
    // An hour idle ended the session.
    web.cookies.clear();
    web.login("root", ADMIN_PASSWORD).await;
    web.get("/watch/web-monitors").await;
    let r = web
        .post(&format!("/watch/web-monitors/{id}/delete"), &[])
        .await;
    assert_eq!(r.location(), "/watch/web-monitors?done=removed");
    assert!(
        app.state
            .store
            .web_monitors(MemberScope::All)
            .await
            .unwrap()
            .is_empty()
    );
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, ..)| a)
        .collect();
    for a in [
        "web_monitor.added",
        "web_monitor.baseline_accepted",
        "web_monitor.updated",
        "web_monitor.removed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

pub async fn webmon_scheduler_claims_due_monitors_once(db: TestDb) {
    let app = app(db).await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let hospital = app
        .add_org(
            &root,
            "서울메디병원",
            "hospital",
            "nurse",
            "Ward-Pass-12345",
        )
        .await;
    let site = Site::start(HOSPITAL).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let r = root
            .post(
                "/api/v1/web-monitors",
                serde_json::json!({"member": hospital, "name": format!("page {n}"), "url": format!("{}p{n}", site.url), "interval_secs": 120}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let store = &app.state.store;
    let now = app.state.now();
    // Two nodes claim at once: each monitor goes to one of them, never
    // to both.
    let (one, two) = tokio::join!(
        store.claim_due_web_monitors(now, 60_000, "node-1", 4),
        store.claim_due_web_monitors(now, 60_000, "node-2", 4),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    // What both passed over (each saw the other's claims) a third takes.
    let three = store
        .claim_due_web_monitors(now, 60_000, "node-3", 10)
        .await
        .unwrap();
    assert!(
        one.iter()
            .all(|m| m.claimed_by.as_deref() == Some("node-1"))
    );
    assert!(
        two.iter()
            .all(|m| m.claimed_by.as_deref() == Some("node-2"))
    );
    let mut claimed: Vec<&str> = one
        .iter()
        .chain(two.iter())
        .chain(three.iter())
        .map(|m| m.id.as_str())
        .collect();
    claimed.sort_unstable();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(claimed.len(), before, "a monitor was claimed twice");
    assert_eq!(claimed.len(), 6);
    // "Check now" of a claimed monitor is refused; the scheduler has
    // nothing to run while the claims last.
    let busy = root
        .post(
            &format!("/api/v1/web-monitors/{}/check", ids[0]),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        busy.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        busy.body
    );
    assert_eq!(busy.json()["error"]["code"], "web_check_running");
    assert_eq!(after(&app, 0).await, 0);
    // The claims lapse (a node died): the monitors are due again and run
    // once each, at most four at a time.
    assert_eq!(after(&app, 61).await, 6);
    for id in &ids {
        let m = monitor(&app, id).await;
        assert_eq!(m.last_outcome.as_deref(), Some("baseline"));
        assert!(m.claimed_until.is_none() && m.claimed_by.is_none());
        assert_eq!(m.next_due, m.last_check_at.unwrap() + 120_000);
        assert_eq!(store.web_checks(id, 10).await.unwrap().len(), 1);
    }
    // A restarted server (a new state over the same database) continues
    // the schedule from the stored checks: nothing is due before the
    // interval, everything after it.
    let mut config = ServerConfig::new(std::env::temp_dir());
    config.webmon_allow_private = true;
    let restarted = AppState::new(store.clone(), app.clock.clone(), config)
        .await
        .unwrap();
    app.clock.advance_secs(60);
    assert_eq!(medsec_server::webmon::run_due(&restarted).await.unwrap(), 0);
    app.clock.advance_secs(60);
    assert_eq!(medsec_server::webmon::run_due(&restarted).await.unwrap(), 6);
    for id in &ids {
        assert_eq!(store.web_checks(id, 10).await.unwrap().len(), 2);
    }
}

/// Records a check of `monitor` that found one of every kind (and makes
/// the hospital page its baseline), for the page and isolation tests.
pub async fn record_every_finding(app: &TestApp, monitor: &str, member: &str) {
    use medsec_detect::webpage::{self, Finding, Place};
    let snapshot = webpage::snapshot(
        "https://www.seoulmedi.example/",
        HOSPITAL,
        &webpage::Options::default(),
    );
    let s = |v: &str| v.to_owned();
    let findings = vec![
        Finding::ContentChanged {
            similarity: 123,
            text_similarity: 45,
        },
        Finding::StructureChanged {
            similarity: 123,
            threshold: 600,
        },
        Finding::TitleReplaced {
            before: s("서울메디병원"),
            after: s("Hacked By X"),
        },
        Finding::Keyword {
            keyword: s("카지노"),
            place: Place::Text,
            count: 2,
            baseline_count: 0,
            context: s("온라인 카지노 추천"),
        },
        Finding::Redirected {
            from: s("https://www.seoulmedi.example"),
            to: s("https://casino.example/"),
        },
        Finding::NewOrigin {
            element: s("script"),
            url: s("https://evil.example/x.js"),
            origin: s("https://evil.example"),
        },
        Finding::NewInlineScript {
            hash: s("ab"),
            excerpt: s("document.write(unescape('%3C'))"),
        },
        Finding::HiddenIframe {
            url: s("http://malware.example/ek/"),
        },
        Finding::Indicator {
            element: s("script"),
            url: s("https://cdn.evil.example/a.js"),
            indicator: s("evil.example"),
            source: s("KISA C-TAS"),
        },
    ];
    let at = app.state.now().0;
    app.state
        .store
        .record_web_check(&medsec_store::webmon::WebCheckRecord {
            check: medsec_store::webmon::WebCheckRow {
                id: medsec_core::new_id(),
                monitor_id: monitor.to_owned(),
                member_id: member.to_owned(),
                at,
                outcome: "defaced".into(),
                http_status: Some(200),
                final_url: Some("https://www.seoulmedi.example/".into()),
                content_hash: Some(snapshot.content_hash.clone()),
                similarity: Some(123),
                bytes: Some(2454),
                duration_ms: 42,
                headers: r#"{"content-type": "text/html"}"#.into(),
                findings: serde_json::to_string(&findings).unwrap(),
                error: None,
            },
            snapshot: Some((
                serde_json::to_string(&snapshot).unwrap(),
                snapshot.content_hash.clone(),
            )),
            failures: 0,
            next_due: at + 300_000,
            claimed_by: "test".into(),
        })
        .await
        .unwrap();
}

/// The fetch's bounds on real sockets: redirects followed and counted,
/// relative ones resolved, a page cut at the size limit, a slow server
/// timed out, a non-http redirect refused.
#[tokio::test]
async fn webmon_fetch_is_bounded() {
    use axum::response::IntoResponse;
    use medsec_server::webmon::{FetchOptions, fetch};
    let router = Router::new()
        .route(
            "/loop/{n}",
            axum::routing::get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, format!("/loop/{}", n + 1))],
                    )
                        .into_response()
                },
            ),
        )
        .route(
            "/to-home",
            axum::routing::get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "home?x=1")],
                )
            }),
        )
        .route(
            "/home",
            axum::routing::get(|| async { ([(header::SERVER, "nginx")], HOSPITAL) }),
        )
        .route(
            "/big",
            axum::routing::get(|| async { "가".repeat(1_000_000) }),
        )
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/file",
            axum::routing::get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "file:///etc/passwd")],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let mut o = FetchOptions::new(true);
    o.max_bytes = 64 * 1024;
    o.timeout = std::time::Duration::from_secs(2);

    let f = fetch(&format!("{base}/to-home"), &o).await.unwrap();
    assert_eq!(f.status, 200);
    assert_eq!(f.final_url, format!("{base}/home?x=1"));
    assert_eq!(f.redirects, vec![format!("{base}/home?x=1")]);
    assert_eq!(f.headers.get("server").map(String::as_str), Some("nginx"));
    assert_eq!(f.body, HOSPITAL.as_bytes());
    assert!(!f.truncated);

    let e = fetch(&format!("{base}/loop/0"), &o).await.unwrap_err();
    assert_eq!(e, "more than 5 redirects");
    let f = fetch(&format!("{base}/big"), &o).await.unwrap();
    assert!(f.truncated);
    assert_eq!(f.body.len(), 64 * 1024);
    let started = std::time::Instant::now();
    let e = fetch(&format!("{base}/slow"), &o).await.unwrap_err();
    assert_eq!(e, "timed out after 2 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let e = fetch(&format!("{base}/file"), &o).await.unwrap_err();
    assert_eq!(e, "redirect to a file address");
    // Private addresses are refused unless allowed, by the address
    // connected to, names included.
    let strict = FetchOptions::new(false);
    for url in [
        format!("{base}/home"),
        "http://localhost:9/".to_owned(),
        "http://[::1]:9/".to_owned(),
    ] {
        let e = fetch(&url, &strict).await.unwrap_err();
        assert!(e.contains("private or local addresses"), "{url}: {e}");
    }
    server.abort();
}
