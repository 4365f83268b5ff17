//! Incidents end to end: the ISAC opens one from an alert and shares it
//! with the affected hospital, both work on it (team, notes, evidence,
//! devices, tasks), the ISAC closes it and issues the report (PDF checked
//! with `pdftotext` when present); a hospital records its own incident and
//! reports it to the ISAC. Another hospital sees none of it, and every
//! step is audited.

use medsec_core::Timestamp;
use medsec_store::alerts::NewHit;
use sha2::{Digest, Sha256};

use super::*;

/// An alert for `member`, as a webshell scan or live detection would raise
/// it.
pub(crate) async fn alert_for(store: &medsec_store::Store, member: &str, title: &str) -> String {
    let hit = NewHit {
        member_id: member.to_owned(),
        group_key: format!("test:{member}:{title}"),
        kind: "detection".into(),
        rule_id: "0f3a5b1c-7d2e-4c6f-9a8b-1e2d3c4b5a69".into(),
        title: title.to_owned(),
        severity: "high".into(),
        attack: vec!["T1486".into()],
        tags: vec!["attack.impact".into(), "attack.t1486".into()],
        rule_file: None,
        event_id: "e1".into(),
        received_at: Timestamp::now().0 - 60_000,
        event_time: Timestamp::now().0 - 60_000,
        detail: serde_json::json!({}),
        event: serde_json::json!({"message": "mass file rename on PACS"}),
    };
    let r = store.record_hits(&[hit], Timestamp::now()).await.unwrap();
    r.created[0].id.clone()
}

/// The text of a PDF as `pdftotext` reads it, or `None` without it.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => panic!("pdftotext failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(
                std::env::var("MEDSEC_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
                "MEDSEC_REQUIRE_PDFTOTEXT=1 but pdftotext cannot run: {e}"
            );
            eprintln!("skipped: the report's text check needs pdftotext: {e} (poppler-utils)");
            None
        }
    }
}

pub async fn incidents_from_alert_to_report(db: TestDb) {
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
    app.add_user(&root, "analyst", "editor", "Triage-Word-9876")
        .await;
    app.add_user(&root, "viewer", "viewer", "Glance-Word-9876")
        .await;
    let analyst = app.api_login("analyst", "Triage-Word-9876").await;
    let viewer = app.api_login("viewer", "Glance-Word-9876").await;
    let seoul = app.api_login("seoul-sec", "Gangnam-Word-9876").await;
    let busan = app.api_login("busan-sec", "Haeundae-Word-9876").await;
    let alert = alert_for(&app.state.store, &seoul_id, "PACS 대량 파일 암호화").await;
    let busan_alert = alert_for(&app.state.store, &busan_id, "부산 경보").await;

    // Bad input names the field; a reader may not open; a hospital may not
    // open from another hospital's alert.
    let r = analyst
        .post("/api/v1/incidents", serde_json::json!({"title": "", "category": "nope", "severity": "high", "summary": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("title") && r.body.contains("category"),
        "{}",
        r.body
    );
    let r = viewer
        .post("/api/v1/incidents", serde_json::json!({"title": "t", "category": "other", "severity": "low", "summary": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = busan
        .post("/api/v1/incidents", serde_json::json!({"title": "t", "category": "other", "severity": "low", "summary": "x", "alerts": [alert]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // 1. The ISAC opens an incident from Seoul's alert (not shared yet).
    let r = analyst
        .post(
            "/api/v1/incidents",
            serde_json::json!({"title": "PACS 랜섬웨어 감염", "category": "ransomware", "severity": "critical",
                "summary": "영상 저장 서버의 파일이 암호화됨", "alerts": [alert]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let inc = r.json();
    let id = inc["id"].as_str().unwrap().to_owned();
    assert_eq!(inc["status"], "reported");
    let path = format!("/api/v1/incidents/{id}");
    let d = analyst.get(&path).await.json();
    assert_eq!(d["members"][0]["member_id"], seoul_id.as_str(), "{d}");
    assert!(d["members"][0]["shared_at"].is_null());
    assert_eq!(d["alerts"][0]["alert_id"], alert.as_str());
    // Detected when the alert's first hit was, not when it was opened.
    assert!(
        d["incident"]["detected_at"].as_i64().unwrap()
            < d["incident"]["created_at"].as_i64().unwrap()
    );
    assert_eq!(seoul.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(busan.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(seoul.get("/api/v1/incidents").await.json()["total"], 0);

    // 2. Team, a task for Seoul, sharing with Seoul (notified).
    let r = analyst
        .post(
            &format!("{path}/team"),
            serde_json::json!({"role": "manager", "user": "analyst", "contact": "02-000-0000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = analyst
        .post(
            &format!("{path}/team"),
            serde_json::json!({"role": "external", "name": "포렌식 업체 김분석"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = analyst
        .post(
            &format!("{path}/team"),
            serde_json::json!({"role": "response", "user": "seoul-sec"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not shared yet: {}",
        r.body
    );
    let r = analyst
        .post(
            &format!("{path}/tasks"),
            serde_json::json!({"title": "감염 PC 네트워크 분리", "org": "서울병원"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Seoul is not involved yet: {}",
        r.body
    );
    let r = analyst
        .post(
            &format!("{path}/members/{busan_id}/share"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Busan is not affected: {}",
        r.body
    );
    let r = analyst
        .post(
            &format!("{path}/members/{seoul_id}/share"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = analyst
        .post(&format!("{path}/tasks"), serde_json::json!({"title": "감염 PC 네트워크 분리", "org": "서울병원", "assignee": "seoul-sec", "due": "2026-12-01"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let notes = app
        .state
        .store
        .notifications(&seoul_id, "x", 20)
        .await
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.kind == "incident.shared" && n.subject_id.as_deref() == Some(id.as_str()))
    );

    // 3. Seoul sees it and takes part; it may not manage it.
    let d = seoul.get(&path).await.json();
    assert_eq!(d["incident"]["title"], "PACS 랜섬웨어 감염", "{d}");
    assert_eq!(d["owned"], false);
    let r = seoul
        .call(
            Method::PATCH,
            &path,
            Some(serde_json::json!({"status": "closed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = seoul
        .post(&format!("{path}/notes"), serde_json::json!({"text": "03:10 영상 조회 불가 최초 인지", "at": "2026-11-20T03:10:00+09:00"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = seoul
        .post(
            &format!("{path}/notes"),
            serde_json::json!({"text": "x", "at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = seoul
        .post(&format!("{path}/devices"), serde_json::json!({"asset_tag": "PACS-01", "model": "PACS 서버", "manufacturer": "인피니트", "note": "암호화됨"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let note = b"YOUR FILES ARE ENCRYPTED. contact decrypt@example.invalid";
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!(
                    "{path}/evidence?filename=ransom-note.txt&description=%EA%B0%90%EC%97%BC%20PC"
                ))
                .header(header::HOST, HOST)
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", seoul.token.clone().unwrap()),
                )
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(note.to_vec()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ev = r.json();
    let sha = hex(&Sha256::digest(note));
    assert_eq!(ev["sha256"], sha.as_str());
    let d = seoul.get(&path).await.json();
    let task = d["tasks"][0]["id"].as_str().unwrap().to_owned();
    let r = seoul
        .post(
            &format!("{path}/tasks/{task}"),
            serde_json::json!({"done": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Now Seoul is involved, its users may join the team.
    let r = analyst
        .post(
            &format!("{path}/team"),
            serde_json::json!({"role": "response", "user": "seoul-sec"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Busan: 404 everywhere, as for an incident that does not exist.
    for p in [
        path.clone(),
        format!("{path}/report.pdf"),
        format!("{path}/evidence/{}", ev["id"].as_str().unwrap()),
    ] {
        assert_eq!(busan.get(&p).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    let r = busan
        .post(&format!("{path}/notes"), serde_json::json!({"text": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The ISAC cannot link Busan's alert through Seoul's view, but can
    // link it itself: Busan becomes affected (not shared).
    let r = seoul
        .post(
            &format!("{path}/alerts"),
            serde_json::json!({"alert": busan_alert}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = analyst
        .post(
            &format!("{path}/alerts"),
            serde_json::json!({"alert": busan_alert}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let d = seoul.get(&path).await.json();
    // Seoul does not learn that Busan is affected.
    assert_eq!(d["members"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["alerts"].as_array().unwrap().len(), 1, "{d}");
    assert!(!d.to_string().contains("부산"), "{d}");
    assert_eq!(busan.get(&path).await.status, StatusCode::NOT_FOUND);

    // 4. Closing needs the cause and the response.
    let r = analyst
        .call(
            Method::PATCH,
            &path,
            Some(serde_json::json!({"status": "closed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("cause") && r.body.contains("response"),
        "{}",
        r.body
    );
    let r = analyst
        .call(
            Method::PATCH,
            &path,
            Some(serde_json::json!({"status": "responding", "impact": "영상 조회 6시간 중단",
                "cause": "VPN 장비 취약점으로 침입 후 랜섬웨어 실행", "response": "감염 서버 격리, 백업에서 복구"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = analyst
        .call(Method::PATCH, &path, Some(serde_json::json!({"status": "closed", "prevention": "VPN 패치, MFA 적용", "lessons": "오프라인 백업 점검 주기 단축"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["closed_at"].is_i64());

    // 5. The report: issued, kept with its SHA-256, downloadable by Seoul.
    let r = analyst
        .post(&format!("{path}/reports"), serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    assert_eq!(
        (report["version"].as_i64(), report["status"].as_str()),
        (Some(1), Some("closed"))
    );
    let r = seoul
        .get(&format!(
            "{path}/reports/{}",
            report["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.starts_with(b"%PDF-"));
    assert_eq!(
        hex(&Sha256::digest(&r.bytes)),
        report["sha256"].as_str().unwrap()
    );
    if let Some(text) = pdf_text(&r.bytes) {
        for expect in [
            "침해사고 보고서",
            "PACS 랜섬웨어 감염",
            "서울병원",
            "VPN 장비 취약점",
            "03:10 영상 조회 불가 최초 인지",
            "ransom-note.txt",
            "PACS-01",
            "포렌식 업체 김분석",
            "감염 PC 네트워크 분리",
            "T1486",
        ] {
            assert!(
                text.contains(expect),
                "{expect:?} missing in the report:\n{text}"
            );
        }
        // The ISAC's report names Busan; a Seoul preview does not.
        assert!(text.contains("부산병원"), "{text}");
    }
    let r = seoul.get(&format!("{path}/report.pdf?lang=en")).await;
    assert_eq!(r.status, StatusCode::OK);
    if let Some(text) = pdf_text(&r.bytes) {
        assert!(text.contains("Security incident report"), "{text}");
        assert!(
            !text.contains("부산"),
            "Seoul's own preview leaks Busan:\n{text}"
        );
    }
    let r = seoul
        .post(&format!("{path}/reports"), serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Evidence downloads are audited (chain of custody).
    let r = analyst
        .get(&format!("{path}/evidence/{}", ev["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.bytes, note);

    // 6. A hospital's own incident: the ISAC sees it once reported.
    let r = busan
        .post(
            "/api/v1/incidents",
            serde_json::json!({"title": "홈페이지 웹셸 발견", "category": "webshell", "severity": "medium", "summary": "업로드 폴더의 수상한 JSP"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let own = r.json()["id"].as_str().unwrap().to_owned();
    let own_path = format!("/api/v1/incidents/{own}");
    assert_eq!(analyst.get(&own_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(seoul.get(&own_path).await.status, StatusCode::NOT_FOUND);
    let r = busan
        .post(&format!("{own_path}/report-to-isac"), serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let d = analyst.get(&own_path).await.json();
    assert!(d["incident"]["isac_shared_at"].is_i64(), "{d}");
    assert!(
        app.state
            .store
            .notifications(
                &app.state
                    .store
                    .list_orgs()
                    .await
                    .unwrap()
                    .iter()
                    .find(|o| o.kind == medsec_core::OrgKind::Isac)
                    .unwrap()
                    .id,
                "x",
                50
            )
            .await
            .unwrap()
            .iter()
            .any(|n| n.kind == "incident.reported")
    );
    // The ISAC takes part (a note, a task for itself) but does not manage.
    let r = analyst
        .post(
            &format!("{own_path}/notes"),
            serde_json::json!({"text": "원격 분석 지원 시작"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = analyst
        .call(
            Method::PATCH,
            &own_path,
            Some(serde_json::json!({"status": "assessing"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(seoul.get(&own_path).await.status, StatusCode::NOT_FOUND);
    let list = seoul.get("/api/v1/incidents?status=all").await.json();
    assert_eq!(list["total"], 1, "{list}");

    let audit = app.audit_actions().await;
    for action in [
        "incident.opened",
        "incident.shared",
        "incident.role_assigned",
        "incident.task_added",
        "incident.task_updated",
        "incident.noted",
        "incident.device_added",
        "incident.evidence_added",
        "incident.evidence_downloaded",
        "incident.alert_linked",
        "incident.member_added",
        "incident.updated",
        "incident.report_issued",
        "incident.reported",
    ] {
        assert!(
            audit.iter().any(|(a, _, _)| a == action),
            "{action} not audited"
        );
    }

    // The pages: the list, the incident, in both languages, for both
    // sides.
    let mut web = app.browser();
    web.login("analyst", "Triage-Word-9876").await;
    let page = web.get("/watch/incidents?status=all").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("PACS 랜섬웨어 감염") && page.body.contains("홈페이지 웹셸 발견"),
        "{}",
        page.body
    );
    let page = web.get(&format!("/watch/incidents/{id}")).await;
    assert!(
        page.body.contains("03:10 영상 조회 불가 최초 인지")
            && page.body.contains("ransom-note.txt")
    );
    let page = web.get(&format!("/watch/incidents?alert={alert}")).await;
    assert!(
        page.body.contains("value=\"PACS 대량 파일 암호화\""),
        "prefilled from the alert: {}",
        page.body
    );
    // An alert's page lists the incidents it is part of, as the viewer
    // sees them: the ISAC both alerts' incident, Seoul its shared one,
    // Busan (not shared with) none.
    let linked = format!("href=\"/watch/incidents/{id}\"");
    for a in [&alert, &busan_alert] {
        let page = web.get(&format!("/watch/alerts/{a}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(&linked) && page.body.contains("이 경보가 포함된 침해사고"),
            "{}",
            page.body
        );
    }
    let mut web = app.browser();
    web.login("seoul-sec", "Gangnam-Word-9876").await;
    let page = web.get(&format!("/watch/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("부산"), "{}", page.body);
    assert!(
        !page.body.contains("id=\"incident-form\""),
        "a member does not manage"
    );
    let page = web.get(&format!("/watch/alerts/{alert}")).await;
    assert!(page.body.contains(&linked), "{}", page.body);
    let mut web = app.browser();
    web.login("busan-sec", "Haeundae-Word-9876").await;
    let page = web.get(&format!("/watch/alerts/{busan_alert}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains(&linked) && page.body.contains("이 경보가 포함된 침해사고가 없습니다."),
        "{}",
        page.body
    );
}

const NURSE: &str = "nurse.park";
const NURSE_PASSWORD: &str = "Cedar-Ward-12345";

pub async fn browser_incident_from_alert_to_report(db: TestDb) {
    use crate::browser::{OrFail, fail, ko, run};
    use crate::browser_assure::{download, login, logout, menu, pdftotext};
    use medsec_server::service;
    run(
        "browser_incident_from_alert_to_report",
        db,
        |w| async move {
            let s = &w.server;
            s.setup().await;
            let root = s.actor("root").await;
            let input = service::NewOrgInput {
                name: "서울병원".into(),
                kind: "hospital".into(),
                admin_username: Some(NURSE.into()),
                admin_display_name: Some(NURSE.into()),
            };
            let (hospital, invited) = service::create_org(&s.state, &root, &input)
                .await
                .or_fail("create the hospital")?;
            let (_, token) = invited.ok_or_else(|| fail("the hospital's admin invited"))?;
            service::activate(&s.state, &token, NURSE_PASSWORD, NURSE_PASSWORD, "test")
                .await
                .or_fail("activate the hospital's admin")?;
            let alert = alert_for(&s.state.store, &hospital.id, "PACS 대량 파일 암호화").await;

            // 1. The analyst opens an incident from the alert, shared at once.
            login(&w, "root", ADMIN_PASSWORD).await?;
            w.goto(&format!("/watch/alerts/{alert}")).await?;
            w.click("#open-incident").await?;
            assert!(w.path().await?.starts_with("/watch/incidents?alert="));
            let title = w
                .find("#o-title")
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            assert_eq!(title, "PACS 대량 파일 암호화");
            w.find("#o-cat")
                .await?
                .select_by_value("ransomware")
                .await?;
            w.find("#o-sum")
                .await?
                .send_keys("영상 저장 서버의 파일이 암호화됨")
                .await?;
            w.find("input[name=share]").await?.click().await?;
            w.click("#open-form button[type=submit]").await?;
            let p = w.path().await?;
            assert!(
                p.starts_with("/watch/incidents/") && p.contains("done=opened"),
                "{p}"
            );
            assert_eq!(w.notice().await?, Some(ko("incident-done-opened")));
            let id = p
                .trim_start_matches("/watch/incidents/")
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .to_owned();
            assert!(
                w.text("#incident-alerts")
                    .await?
                    .contains("PACS 대량 파일 암호화")
            );
            assert!(
                !w.text("#incident-members")
                    .await?
                    .contains(&ko("incident-not-shared"))
            );

            // 2. A task for the hospital.
            w.find("#k-title")
                .await?
                .send_keys("감염 PC 네트워크 분리")
                .await?;
            w.find("#k-org")
                .await?
                .select_by_value(&hospital.id)
                .await?;
            w.click("#task-form button[type=submit]").await?;
            assert!(
                w.text("#incident-tasks")
                    .await?
                    .contains("감염 PC 네트워크 분리")
            );
            logout(&w).await?;

            // 3. The hospital finds it in its menu, writes what it saw, keeps
            //    the ransom note as evidence and ticks its task.
            login(&w, NURSE, NURSE_PASSWORD).await?;
            menu(&w, "/watch/incidents", "nav-watch-incidents").await?;
            w.click(&format!("a[href='/watch/incidents/{id}']")).await?;
            w.find("#n-text")
                .await?
                .send_keys("03:10 영상 조회 불가 최초 인지")
                .await?;
            w.click("form[action$='/notes'] button[type=submit]")
                .await?;
            assert_eq!(w.notice().await?, Some(ko("incident-done-note")));
            let dir = tempfile::tempdir().or_fail("temp dir")?;
            let file = dir.path().join("ransom-note.txt");
            std::fs::write(&file, "YOUR FILES ARE ENCRYPTED").or_fail("write the note")?;
            w.find("#e-file")
                .await?
                .send_keys(&file.display().to_string())
                .await?;
            w.find("#e-desc")
                .await?
                .send_keys("감염 PC 바탕화면")
                .await?;
            w.click("form[action$='/evidence'] button[type=submit]")
                .await?;
            assert!(
                w.text("#incident-evidence")
                    .await?
                    .contains("ransom-note.txt")
            );
            w.click("#incident-tasks .task-done").await?;
            assert!(w.has("#incident-tasks tr.task.done").await?);
            assert!(
                !w.has("#incident-form").await?,
                "the hospital does not manage it"
            );
            logout(&w).await?;

            // 4. The analyst writes the analysis, closes it and issues the
            //    report, which the browser downloads.
            login(&w, "root", ADMIN_PASSWORD).await?;
            w.goto(&format!("/watch/incidents/{id}")).await?;
            assert!(
                w.text("#incident-timeline")
                    .await?
                    .contains("03:10 영상 조회 불가 최초 인지")
            );
            w.find("#u-cause")
                .await?
                .send_keys("VPN 장비 취약점으로 침입")
                .await?;
            w.find("#u-response")
                .await?
                .send_keys("감염 서버 격리, 백업에서 복구")
                .await?;
            w.find("#u-status").await?.select_by_value("closed").await?;
            w.click("#incident-form button[type=submit]").await?;
            assert_eq!(
                w.text("#incident-status").await?,
                ko("incident-status-closed")
            );
            w.click("#issue-report").await?;
            assert_eq!(w.notice().await?, Some(ko("incident-done-report")));
            let pdf = download(&w, "#incident-reports a").await?;
            assert_eq!(pdf.status, 200);
            assert_eq!(pdf.content_type, "application/pdf");
            assert!(pdf.bytes.starts_with(b"%PDF-"));
            let path = dir.path().join("report.pdf");
            std::fs::write(&path, &pdf.bytes).or_fail("write the report")?;
            if let Some(text) = pdftotext(&path) {
                for expect in [
                    "PACS 대량 파일 암호화",
                    "VPN 장비 취약점으로 침입",
                    "03:10 영상 조회 불가 최초 인지",
                    "ransom-note.txt",
                    "감염 PC 네트워크 분리",
                ] {
                    if !text.contains(expect) {
                        return Err(fail(format!("{expect:?} missing in the report:\n{text}")));
                    }
                }
            }
            let audit = s.audit_actions().await;
            for a in [
                "incident.opened",
                "incident.noted",
                "incident.evidence_added",
                "incident.task_updated",
                "incident.updated",
                "incident.report_issued",
            ] {
                assert!(audit.iter().any(|x| x == a), "{a}: {audit:?}");
            }
            Ok(())
        },
    )
    .await;
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
