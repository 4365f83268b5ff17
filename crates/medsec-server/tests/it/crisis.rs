//! Sector crisis levels: the ISAC sets the level with a reason, every
//! member hospital is told (notification, webhook) and sees the banner in
//! both languages, members tick the level's checklist (each only its
//! own; the ISAC sees all), and every change is audited. The last test
//! does it in a real Chromium.

use axum::http::StatusCode;
use medsec_server::service;
use medsec_store::testing::TestDb;
use serde_json::json;

use crate::browser::{OrFail, fail, ko, run};
use crate::browser_assure::{ko_args, login};
use crate::{ADMIN_PASSWORD, Api, TestApp};

const SEOUL_PASSWORD: &str = "Seoul-Nurse-1234";
const BUSAN_PASSWORD: &str = "Busan-Nurse-1234";
const MAKER_PASSWORD: &str = "Maker-Pass-1234";
const REASON: &str = "의료기관 대상 랜섬웨어 유포가 확인되어 경계 단계를 발령합니다.";

/// The ISAC (operator, `root`), two member hospitals with their
/// administrators, a manufacturer, and read-only users at the ISAC and
/// the first hospital.
struct Sector<'a> {
    /// The ISAC's administrator, by API token.
    root: Api<'a>,
    seoul: String,
    busan: String,
}

/// An administrator's API client by token rather than API session: their
/// web login (one session per administrator) would end a session.
async fn admin_api<'a>(app: &'a TestApp, who: &str, password: &str) -> Api<'a> {
    let session = app.api_login(who, password).await;
    let made = session
        .post(
            "/api/v1/tokens",
            json!({"name": "crisis-test", "scopes": ["admin"], "days": 1}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    Api {
        app,
        token: Some(made.json()["token"].as_str().unwrap().to_owned()),
    }
}

async fn tick(api: &Api<'_>, id: &str, done: bool) -> crate::Res {
    api.post(
        &format!("/api/v1/crisis/checklist/{id}"),
        json!({"done": done}),
    )
    .await
}

async fn sector(app: &TestApp) -> Sector<'_> {
    app.setup().await;
    let root = admin_api(app, "root", ADMIN_PASSWORD).await;
    let seoul = app
        .add_org(&root, "서울병원", "hospital", "seoul.nurse", SEOUL_PASSWORD)
        .await;
    let busan = app
        .add_org(&root, "부산병원", "hospital", "busan.nurse", BUSAN_PASSWORD)
        .await;
    app.add_org(
        &root,
        "메드시큐",
        "manufacturer",
        "maker.kim",
        MAKER_PASSWORD,
    )
    .await;
    app.add_user(&root, "isac.viewer", "viewer", "Viewer-Pass-1234")
        .await;
    let seoul_admin = app.api_login("seoul.nurse", SEOUL_PASSWORD).await;
    app.add_user(&seoul_admin, "seoul.viewer", "viewer", "Viewer-Pass-5678")
        .await;
    Sector { root, seoul, busan }
}

async fn set(api: &Api<'_>, level: &str, reason: &str) -> crate::Res {
    api.post("/api/v1/crisis", json!({"level": level, "reason": reason}))
        .await
}

pub async fn crisis_level_is_set_told_and_audited(db: TestDb) {
    let app = TestApp::new(db).await;
    let s = sector(&app).await;
    let nurse = admin_api(&app, "seoul.nurse", SEOUL_PASSWORD).await;
    let hook = nurse
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://hooks.seoul.example/medsec"}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);

    // Before the first change the sector is at 정상, with its checklist.
    let before = nurse.get("/api/v1/crisis").await.json();
    assert_eq!(before["level"], "normal");
    assert_eq!(before["name_ko"], "정상");
    assert!(before["since"].is_null() && before["change_id"].is_null());
    assert!(before["members"].is_null(), "{before}");
    let first = &before["checklist"][0];
    assert_eq!(first["id"], "normal-log-forwarding");
    assert_eq!(first["done"], false);

    // Only an ISAC user who may write sets it.
    let maker = admin_api(&app, "maker.kim", MAKER_PASSWORD).await;
    let viewer = app.api_login("isac.viewer", "Viewer-Pass-1234").await;
    for (who, api) in [
        ("seoul.nurse", &nurse),
        ("maker.kim", &maker),
        ("isac.viewer", &viewer),
    ] {
        let r = set(api, "alert", REASON).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    assert_eq!(
        maker.get("/api/v1/crisis").await.status,
        StatusCode::FORBIDDEN,
        "manufacturers are not members"
    );
    // A level and a reason it understands.
    let r = set(&s.root, "red", REASON).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "level");
    assert_eq!(r.json()["error"]["code"], "invalid_choice");
    let r = set(&s.root, "alert", "짧음").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "reason");
    assert_eq!(r.json()["error"]["code"], "length");
    let r = set(&s.root, "alert", &"가".repeat(1001)).await;
    assert_eq!(r.json()["error"]["code"], "length");
    assert!(app.state.store.crisis_current().await.unwrap().is_none());

    // 경계, by its Korean name.
    let r = set(&s.root, "경계", REASON).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["change"]["level"], "alert");
    assert_eq!(v["change"]["name_ko"], "경계");
    assert_eq!(v["change"]["reason"], REASON);
    assert_eq!(v["change"]["set_by"], "root");
    assert_eq!(v["previous"], "normal");
    assert_eq!(v["notified"], 2);
    assert_eq!(v["deliveries"], 1);
    let first_change = v["change"]["id"].as_str().unwrap().to_owned();

    // The same level with the same reason tells nobody anything: refused.
    let r = set(&s.root, "alert", REASON).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "crisis_unchanged");
    // With a new reason it is a new alert.
    let again = "경계 유지: 침해지표 12건을 추가로 공유합니다.";
    let r = set(&s.root, "alert", again).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["previous"], "alert");

    // Every hospital was told twice; the manufacturer and the ISAC not.
    for (org, user) in [(&s.seoul, "seoul.nurse"), (&s.busan, "busan.nurse")] {
        let (p, _) = app
            .state
            .store
            .principal_by_username(user)
            .await
            .unwrap()
            .unwrap();
        let told: Vec<_> = app
            .state
            .store
            .notifications(org, &p.user.id, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.kind == "crisis.level_changed")
            .collect();
        assert_eq!(told.len(), 2, "{user}");
        let details: serde_json::Value = serde_json::from_str(&told[0].details).unwrap();
        assert_eq!(details["reason"], again);
    }
    for org in app.state.store.list_orgs().await.unwrap() {
        if org.kind != medsec_core::OrgKind::Hospital {
            let (p, _) = app
                .state
                .store
                .principal_by_username(match org.kind {
                    medsec_core::OrgKind::Isac => "root",
                    _ => "maker.kim",
                })
                .await
                .unwrap()
                .unwrap();
            assert!(
                app.state
                    .store
                    .notifications(&org.id, &p.user.id, 10)
                    .await
                    .unwrap()
                    .iter()
                    .all(|n| n.kind != "crisis.level_changed"),
                "{}",
                org.name
            );
        }
    }
    // The hospital's notification page says it in words, with a link.
    let mut web = app.browser();
    web.login("seoul.nurse", SEOUL_PASSWORD).await;
    let page = web.get("/notifications").await;
    assert!(
        page.body
            .contains("사이버 위기경보가 &#39;경계&#39; 단계로 바뀌었습니다")
            || page
                .body
                .contains("사이버 위기경보가 &#x27;경계&#x27; 단계로 바뀌었습니다"),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/watch/crisis\""));

    // The webhook event went into the outbox, once per change.
    let deliveries = app.state.store.deliveries(&s.seoul, 10).await.unwrap();
    let crisis: Vec<_> = deliveries
        .iter()
        .filter(|d| d.event == "crisis.level_changed")
        .collect();
    assert_eq!(crisis.len(), 2);
    let payload: serde_json::Value = crisis
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(&d.payload).unwrap())
        .find(|p| p["crisis"]["reason"] == REASON)
        .unwrap();
    assert_eq!(payload["event"], "crisis.level_changed");
    assert_eq!(payload["crisis"]["id"], first_change);
    assert_eq!(payload["crisis"]["level"], "alert");
    assert_eq!(payload["crisis"]["name_en"], "Alert");
    assert_eq!(payload["crisis"]["reason"], REASON);
    assert_eq!(payload["previous"], "normal");
    assert!(
        app.state
            .store
            .deliveries(&s.busan, 10)
            .await
            .unwrap()
            .is_empty(),
        "Busan has no webhook"
    );

    // The history, newest first; only the ISAC sees who set each level.
    let h = s.root.get("/api/v1/crisis/history").await.json();
    let levels: Vec<_> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["level"].as_str().unwrap(), c["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(levels, [("alert", again), ("alert", REASON)]);
    assert_eq!(h["history"][0]["set_by"], "root");
    let h = nurse.get("/api/v1/crisis/history").await.json();
    assert_eq!(h["history"].as_array().unwrap().len(), 2);
    assert!(h["history"][0]["set_by"].is_null(), "{h}");
    // Lowered to 정상 it is one more change.
    let r = set(&s.root, "normal", "상황이 종료되어 정상 단계로 돌아갑니다.").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let h = nurse.get("/api/v1/crisis/history").await.json();
    assert_eq!(h["history"][0]["level"], "normal");
    assert_eq!(h["history"].as_array().unwrap().len(), 3);

    // Audited: three changes by root, the refusals as denied access.
    let audit = app.audit_actions().await;
    let sets: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "crisis.level.set")
        .collect();
    assert_eq!(sets.len(), 3, "{audit:?}");
    assert!(
        sets.iter()
            .all(|(_, who, o)| who == "root" && o == "success")
    );
    assert!(
        audit
            .iter()
            .any(|(a, who, o)| a == "auth.access.denied" && who == "isac.viewer" && o == "failure"),
        "{audit:?}"
    );
    // And the chain holds.
    assert!(
        app.state
            .store
            .verify_audit(|_| {})
            .await
            .unwrap()
            .is_intact()
    );
}

pub async fn crisis_banner_in_both_languages(db: TestDb) {
    let app = TestApp::new(db).await;
    let s = sector(&app).await;
    let mut nurse = app.browser();
    nurse.login("seoul.nurse", SEOUL_PASSWORD).await;
    let mut maker = app.browser();
    maker.login("maker.kim", MAKER_PASSWORD).await;
    let mut isac = app.browser();
    isac.login("root", ADMIN_PASSWORD).await;

    // 정상: no banner.
    assert!(!nurse.get("/dashboard").await.body.contains("crisis-banner"));
    let r = set(
        &s.root,
        "caution",
        "의료기관 대상 피싱 메일이 유포되고 있습니다.",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = set(&s.root, "alert", REASON).await;
    assert_eq!(r.status, StatusCode::CREATED);

    // Every page of a member's and the ISAC's users, in Korean…
    for path in ["/dashboard", "/inventory", "/account", "/watch/sources"] {
        let page = nurse.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body
                .contains("class=\"crisis-banner crisis-alert\" id=\"crisis-banner\""),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains("경계"), "{path}");
        assert!(page.body.contains(REASON), "{path}");
        assert!(page.body.contains("href=\"/watch/crisis\""), "{path}");
    }
    assert!(isac.get("/dashboard").await.body.contains("crisis-alert"));
    // … and in English.
    nurse.get("/lang/en?next=/dashboard").await;
    let page = nurse.get("/dashboard").await;
    assert!(
        page.body.contains("Cyber crisis level: Alert"),
        "{}",
        page.body
    );
    assert!(page.body.contains(REASON));
    // The reason is the ISAC's text, escaped like any other.
    let r = set(&s.root, "severe", "<script>alert(1)</script> 확산 중").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let page = nurse.get("/dashboard").await;
    assert!(page.body.contains("crisis-severe"));
    assert!(page.body.contains("Cyber crisis level: Severe"));
    assert!(!page.body.contains("<script>alert(1)"));
    // Not members: no banner.
    let page = maker.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("crisis-banner"), "{}", page.body);
    // The crisis page: the level in force, the checklist of 심각.
    nurse.get("/lang/ko?next=/dashboard").await;
    let page = nurse.get("/watch/crisis").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("crisis-level large crisis-severe"));
    let checklists = medsec_core::crisis::checklists().unwrap();
    for a in checklists.of(medsec_core::crisis::Level::Severe) {
        assert!(page.body.contains(&a.id), "{}", a.id);
    }
    assert!(
        page.body
            .contains("비상 진료 체계로 전환하여 환자 안전을 확보한다.")
    );
    nurse.get("/lang/en?next=/watch/crisis").await;
    let page = nurse.get("/watch/crisis").await;
    assert!(
        page.body
            .contains("Switch to downtime care to keep patients safe.")
    );
    // Back to 정상: the banner goes (the cache was replaced at the change).
    set(&s.root, "normal", "상황이 종료되었습니다.").await;
    assert!(!nurse.get("/dashboard").await.body.contains("crisis-banner"));
    assert!(!isac.get("/dashboard").await.body.contains("crisis-banner"));
    let _ = (s.seoul, s.busan);
}

pub async fn crisis_checklist_ticks_are_each_members_own(db: TestDb) {
    let app = TestApp::new(db).await;
    let s = sector(&app).await;
    let seoul = admin_api(&app, "seoul.nurse", SEOUL_PASSWORD).await;
    let busan = admin_api(&app, "busan.nurse", BUSAN_PASSWORD).await;

    // Nothing to tick before the ISAC set a level.
    let r = tick(&seoul, "normal-log-forwarding", true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let r = set(&s.root, "caution", "침해지표를 공유합니다: 악성 IP 5건").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = tick(&seoul, "caution-block-indicators", true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["done"], true);
    assert_eq!(v["done_by"], "seoul.nurse");
    // Twice is once.
    assert_eq!(
        tick(&seoul, "caution-block-indicators", true).await.status,
        StatusCode::OK
    );
    // Not on this level's checklist, unknown, malformed: not found.
    for id in ["alert-24h-monitoring", "no-such-action", "A_B"] {
        assert_eq!(
            tick(&seoul, id, true).await.status,
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
    // Only a member's users who may write tick.
    let viewer = app.api_login("seoul.viewer", "Viewer-Pass-5678").await;
    assert_eq!(
        tick(&viewer, "caution-web-check", true).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        tick(&s.root, "caution-web-check", true).await.status,
        StatusCode::FORBIDDEN,
        "the ISAC has no checklist of its own"
    );

    // The tick box form of the page.
    let mut web = app.browser();
    web.login("seoul.nurse", SEOUL_PASSWORD).await;
    let page = web.get("/watch/crisis").await;
    assert!(page.body.contains("5개 중 1개 완료"), "{}", page.body);
    assert!(
        page.body
            .contains("action=\"/watch/crisis/checklist/caution-remote-access\"")
    );
    let r = web
        .post(
            "/watch/crisis/checklist/caution-remote-access",
            &[("done", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        "/watch/crisis?done=ticked#a-caution-remote-access"
    );
    let page = web.get("/watch/crisis?done=ticked").await;
    assert!(page.body.contains("5개 중 2개 완료"), "{}", page.body);
    assert!(page.body.contains("점검표를 저장했습니다."));
    // An unticked box sends nothing: not done.
    web.post("/watch/crisis/checklist/caution-remote-access", &[])
        .await;
    assert!(
        web.get("/watch/crisis")
            .await
            .body
            .contains("5개 중 1개 완료")
    );
    let r = web
        .post(
            "/watch/crisis/checklist/caution-remote-access",
            &[("done", "maybe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Busan never sees Seoul's ticks, and Seoul's page no one else's.
    let v = busan.get("/api/v1/crisis").await.json();
    assert!(
        v["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["done"] == false),
        "{v}"
    );
    assert!(v["members"].is_null());
    let r = tick(&busan, "caution-staff-notice", true).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = seoul.get("/api/v1/crisis").await.json();
    let done: Vec<_> = v["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["done"] == true)
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(done, ["caution-block-indicators"]);
    let mut busan_web = app.browser();
    busan_web.login("busan.nurse", BUSAN_PASSWORD).await;
    let page = busan_web.get("/watch/crisis").await;
    assert!(!page.body.contains("seoul.nurse") && !page.body.contains("서울병원"));

    // The ISAC sees every member's progress.
    let v = s.root.get("/api/v1/crisis").await.json();
    let members = v["members"].as_array().unwrap();
    let summary: Vec<_> = members
        .iter()
        .map(|m| {
            (
                m["member"].as_str().unwrap(),
                m["done_count"].as_u64().unwrap(),
                m["total"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [("부산병원", 1, 5), ("서울병원", 1, 5)]);
    assert_eq!(members[1]["member_id"], s.seoul.as_str());
    assert_eq!(members[1]["done"], json!(["caution-block-indicators"]));
    let mut isac = app.browser();
    isac.login("root", ADMIN_PASSWORD).await;
    let page = isac.get("/watch/crisis").await;
    assert!(page.body.contains("서울병원") && page.body.contains("부산병원"));
    assert!(
        page.body
            .contains("<progress class=\"crisis-progress\" max=\"5\" value=\"1\">")
    );

    // A new change starts a new checklist; the old actions are gone.
    let r = set(&s.root, "alert", REASON).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = seoul.get("/api/v1/crisis").await.json();
    assert_eq!(v["level"], "alert");
    assert!(
        v["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["done"] == false)
    );
    assert_eq!(
        tick(&seoul, "caution-block-indicators", true).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        tick(&seoul, "alert-backup-check", true).await.status,
        StatusCode::OK
    );

    // Each effective tick and untick is audited once, by the member.
    let audit = app.audit_actions().await;
    let ticks: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "crisis.checklist.updated")
        .map(|(_, who, _)| who.as_str())
        .collect();
    assert_eq!(
        ticks,
        [
            "seoul.nurse",
            "seoul.nurse",
            "seoul.nurse",
            "busan.nurse",
            "seoul.nurse"
        ]
    );
    // Seoul's records are in Seoul's audit log, not Busan's.
    let f = medsec_store::AuditFilter {
        action: Some("crisis.checklist.updated".into()),
        limit: 100,
        ..Default::default()
    };
    let busan_log = app
        .state
        .store
        .list_audit(&s.busan, false, &f)
        .await
        .unwrap();
    assert_eq!(busan_log.len(), 1);
    assert_eq!(busan_log[0].actor, "busan.nurse");
}

pub async fn browser_crisis_banner_and_checklist(db: TestDb) {
    run("browser_crisis_banner_and_checklist", db, |w| async move {
        const NURSE: &str = "nurse.park";
        const NURSE_PASSWORD: &str = "Cedar-Ward-12345";
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        let input = service::NewOrgInput {
            name: "서울병원".into(),
            kind: "hospital".into(),
            admin_username: Some(NURSE.into()),
            admin_display_name: Some(NURSE.into()),
        };
        let (_, invited) = service::create_org(&s.state, &root, &input)
            .await
            .or_fail("create the hospital")?;
        let (_, token) = invited.ok_or_else(|| fail("the hospital's admin invited"))?;
        service::activate(&s.state, &token, NURSE_PASSWORD, NURSE_PASSWORD, "test")
            .await
            .or_fail("activate the hospital's admin")?;

        // 1. The ISAC raises the level to 경계.
        login(&w, "root", ADMIN_PASSWORD).await?;
        w.goto("/watch/crisis").await?;
        assert_eq!(w.h1().await?, ko("crisis-title"));
        w.find("#f-level").await?.select_by_value("alert").await?;
        let reason = w.find("#f-reason").await?;
        reason.send_keys(REASON).await?;
        w.click("form[action='/watch/crisis'] button[type=submit]")
            .await?;
        assert_eq!(w.path().await?, "/watch/crisis?done=set");
        assert_eq!(w.notice().await?, Some(ko("crisis-set-done")));
        assert_eq!(w.text("#crisis-level").await?, "경계");
        w.click("header form[action='/logout'] button[type=submit]")
            .await?;

        // 2. The hospital sees the banner on its first page.
        login(&w, NURSE, NURSE_PASSWORD).await?;
        let banner = w.text("#crisis-banner").await?;
        assert!(
            banner.contains(&ko_args("crisis-banner-level", &[("level", "경계")])),
            "{banner}"
        );
        assert!(banner.contains(REASON), "{banner}");
        let class = w
            .find("#crisis-banner")
            .await?
            .attr("class")
            .await?
            .unwrap_or_default();
        assert!(class.contains("crisis-alert"), "{class}");

        // 3. It follows the banner to the checklist and ticks an action:
        //    the box saves itself.
        w.click("#crisis-banner a").await?;
        assert_eq!(w.path().await?, "/watch/crisis");
        let progress = ko_args(
            "crisis-checklist-progress",
            &[("done", "0"), ("total", "6")],
        );
        assert_eq!(w.text("#crisis-progress").await?, progress);
        let box_ = w.find("#a-alert-backup-check input[type=checkbox]").await?;
        w.navigating(box_.click()).await?;
        assert!(w.path().await?.starts_with("/watch/crisis?done=ticked"));
        assert_eq!(w.notice().await?, Some(ko("crisis-ticked")));
        let progress = ko_args(
            "crisis-checklist-progress",
            &[("done", "1"), ("total", "6")],
        );
        assert_eq!(w.text("#crisis-progress").await?, progress);
        let checked = w
            .find("#a-alert-backup-check input[type=checkbox]")
            .await?
            .prop("checked")
            .await?;
        assert_eq!(checked.as_deref(), Some("true"));
        let audit = s.audit_actions().await;
        assert!(audit.iter().any(|a| a == "crisis.level.set"), "{audit:?}");
        assert!(
            audit.iter().any(|a| a == "crisis.checklist.updated"),
            "{audit:?}"
        );
        Ok(())
    })
    .await;
}
