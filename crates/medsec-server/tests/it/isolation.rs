//! Table-driven checks over the route table itself, so that every route
//! added later is covered without touching these tests:
//! organisations never see or change each other's data, every form needs
//! its CSRF token, every private route needs a login.

use axum::http::{Method, StatusCode};
use medsec_server::{Access, RouteSpec, Surface};
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, Browser, Res, TestApp};

/// Organisation B's objects, which A's users must not reach.
struct Victim {
    org_id: String,
    /// A hospital B shares its release with.
    hospital_id: String,
    assure: crate::assure::Sample,
    sustain: crate::sustain::SustainSample,
    user_id: String,
    token_id: String,
    session_ref: String,
    /// An alert on B's hospital's events, and a suppression of the ISAC.
    alert_id: String,
    suppression_id: String,
    /// A web page monitor of B's hospital, with a check.
    monitor_id: String,
    /// A webshell scan of B's hospital's web root, with a finding.
    scan_id: String,
    /// B's hospital's own incident (not reported to the ISAC) with a
    /// team member, a task, an evidence file and an issued report.
    incident: IncidentSample,
    /// Strings that only B's data contains.
    markers: Vec<String>,
}

struct IncidentSample {
    id: String,
    role: String,
    task: String,
    file: String,
    report: String,
}

/// B's hospital records an incident (`Zeta-Marker`) and works on it.
async fn incident_sample(app: &TestApp) -> IncidentSample {
    let nurse = app.api_login("zetanurse", "Zeta-Nurse-1234").await;
    let r = nurse
        .post(
            "/api/v1/incidents",
            serde_json::json!({"title": "Zeta-Marker incident", "category": "malware", "severity": "high", "summary": "Zeta-Marker summary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/incidents/{id}");
    for (p, body) in [
        (
            "team",
            serde_json::json!({"role": "external", "name": "Zeta-Marker expert"}),
        ),
        ("tasks", serde_json::json!({"title": "Zeta-Marker task"})),
        ("notes", serde_json::json!({"text": "Zeta-Marker note"})),
    ] {
        let r = nurse.post(&format!("{path}/{p}"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{p}: {}", r.body);
    }
    let r = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("{path}/evidence?filename=zeta-marker-note.txt"))
                .header(axum::http::header::HOST, crate::HOST)
                .header(
                    axum::http::header::AUTHORIZATION,
                    format!("Bearer {}", nurse.token.clone().unwrap()),
                )
                .body(axum::body::Body::from("Zeta-Marker evidence"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let file = r.json()["id"].as_str().unwrap().to_owned();
    let r = nurse
        .post(&format!("{path}/reports"), serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json()["id"].as_str().unwrap().to_owned();
    let d = nurse.get(&path).await.json();
    IncidentSample {
        role: d["roles"][0]["id"].as_str().unwrap().to_owned(),
        task: d["tasks"][0]["id"].as_str().unwrap().to_owned(),
        id,
        file,
        report,
    }
}

/// A path with its `{param}` segments filled in.
fn fill(path: &str, pick: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => out.push_str(&pick(name)),
            None => out.push_str(seg),
        }
    }
    out
}

fn victim_param(v: &Victim, name: &str) -> String {
    match name {
        "user_id" => v.user_id.clone(),
        "org_id" => v.org_id.clone(),
        "token_id" => v.token_id.clone(),
        "session_id" => v.session_ref.clone(),
        "lang" => "en".into(),
        "catalog_id" => "mfds-2019".into(),
        "item_id" => "1.1".into(),
        "device_id" => v.assure.device.clone(),
        "checklist_id" => v.assure.checklist.clone(),
        "evidence_id" => v.assure.evidence.clone(),
        "submission_id" => v.assure.submission.clone(),
        // A risk and an anomaly of B's device: the device decides, and it
        // is not A's.
        "risk_id" => "R-TM-gateway-S".into(),
        "anomaly_id" => "AN-TC-mfds-2024-IA-01".into(),
        "release_id" => v.sustain.release.clone(),
        "vex_id" => v.sustain.vex.clone(),
        "rule_id" => v.sustain.rule.clone(),
        "webhook_id" => v.sustain.webhook.clone(),
        "inventory_id" => v.sustain.device.clone(),
        "source_id" => v.sustain.source.clone(),
        "decoder_name" => "secui-mf2".into(),
        "format" => "json".into(),
        "layout" => "mfds".into(),
        "action_id" => "caution-block-indicators".into(),
        "alert_id" => v.alert_id.clone(),
        "suppression_id" => v.suppression_id.clone(),
        "monitor_id" => v.monitor_id.clone(),
        "scan_id" => v.scan_id.clone(),
        "incident_id" => v.incident.id.clone(),
        "member_id" => v.hospital_id.clone(),
        "role_id" => v.incident.role.clone(),
        "task_id" => v.incident.task.clone(),
        "file_id" => v.incident.file.clone(),
        "report_id" => v.incident.report.clone(),
        // Indicators are the ISAC's alone: no member owns one, and every
        // other organisation is refused before any is looked up.
        "indicator_id" | "indicator_source_id" => "00000000-0000-4000-8000-00000000b0b0".into(),
        other => panic!(
            "the isolation test does not know the path parameter {{{other}}}: add it to victim_param"
        ),
    }
}

/// Path parameters that name data every organisation shares (the
/// requirement catalogues): there is nothing of B's to hide behind them.
const SHARED_PARAMS: &[&str] = &[
    "{catalog_id}",
    "{item_id}",
    "{lang}",
    "{format}",
    // Decoders are the ISAC's, not any member's.
    "{decoder_name}",
    // The crisis checklists are built in; a member's ticks are found by
    // its own organisation, never by the path.
    "{action_id}",
];

fn missing_param(name: &str) -> String {
    match name {
        "catalog_id" => "no-such-catalogue".into(),
        // The same item as B's: only the owned object differs.
        "item_id" => "1.1".into(),
        // The same risk and anomaly ids as B's: only the device differs.
        "risk_id" => "R-TM-gateway-S".into(),
        "anomaly_id" => "AN-TC-mfds-2024-IA-01".into(),
        "session_id" => "0123456789abcdef".into(),
        "lang" => "en".into(),
        "format" => "json".into(),
        "layout" => "mfds".into(),
        _ => "00000000-0000-4000-8000-000000000000".into(),
    }
}

/// A body that would change something if the route let it through.
fn json_body(spec: &RouteSpec) -> Option<serde_json::Value> {
    match spec.method {
        Method::GET | Method::DELETE => None,
        _ => {
            let profile: serde_json::Value = toml::from_str(include_str!(
                "../../../medsec-assure/fixtures/devices/ecg-gateway.toml"
            ))
            .unwrap();
            Some(
                serde_json::json!({"name": "hijacked", "display_name": "hijacked", "role": "viewer", "status": "disabled", "enabled": false, "username": "intruder", "kind": "hospital", "scopes": ["read"], "days": 1, "code": "000000", "password": "x", "current_password": "x", "new_password": "Hijack-Pass-1",
                    "profile": profile, "revision": 1, "reference": "mfds-2019:1.6", "applies": true, "justification": "hijacked justification", "catalog": "mfds-2019",
                    "content": {"methods": ["hijacked"]}, "reviewer_org": "00000000-0000-4000-8000-000000000000", "item": "1.1", "verdict": "conforming", "body": "hijacked", "decision": "accepted",
                    "statements": [{"vulnerability": "CVE-2019-10744", "status": "fixed"}], "hospital": "Zeta-Marker Hospital", "url": "https://hijack.example/hook",
                    "component": "name:hijacked", "purl": "pkg:npm/hijacked", "asset_tag": "hijacked", "model": "hijacked",
                    "release_id": "00000000-0000-4000-8000-000000000000"}),
            )
        }
    }
}

const FORM_FIELDS: &[(&str, &str)] = &[
    ("name", "hijacked"),
    ("display_name", "hijacked"),
    ("role", "viewer"),
    ("status", "disabled"),
    ("enabled", "false"),
    ("username", "intruder"),
    ("display_name", "x"),
    // Premarket forms: complete enough to reach the object they name.
    ("revision", "1"),
    ("reference", "mfds-2019:1.6"),
    ("justification", "hijacked justification"),
    ("catalog", "mfds-2019"),
    ("format", "toml"),
    (
        "profile",
        include_str!("../../../medsec-assure/fixtures/devices/ecg-gateway.toml"),
    ),
    ("methods", "hijacked"),
    ("tester", "intruder"),
    ("on", "2026-01-01"),
    ("result", "pass"),
    ("item", "1.1"),
    ("verdict", "conforming"),
    ("body", "hijacked"),
    ("decision", "accepted"),
    // Postmarket forms.
    ("vulnerability", "CVE-2019-10744"),
    ("hospital", "Zeta-Marker Hospital"),
    ("url", "https://hijack.example/hook"),
    ("component", "name:hijacked"),
    ("purl", "pkg:npm/hijacked"),
    // A device's release: the device decides, and it is not A's.
    ("release_id", "00000000-0000-4000-8000-000000000000"),
    ("asset_tag", "hijacked"),
    ("model", "hijacked"),
];

async fn snapshot(app: &TestApp, v: &Victim) -> String {
    let s = &app.state.store;
    let org = s.get_org(&v.org_id).await.unwrap();
    let users = s.list_users(&v.org_id).await.unwrap();
    let tokens = s.list_tokens(&v.user_id).await.unwrap();
    let sessions: Vec<_> = s
        .list_sessions(&v.user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.id_hash, s.expires_at))
        .collect();
    let devices = s.list_devices(&v.org_id).await.unwrap();
    let checklists = s.list_checklists(&v.org_id, None).await.unwrap();
    let evidence = s.list_evidence(&v.org_id).await.unwrap();
    let submissions = s.list_submissions(&v.org_id).await.unwrap();
    let thread = s
        .review_thread(&v.org_id, &v.assure.checklist)
        .await
        .unwrap();
    // The round's submission package (reviewer mode).
    let package = s
        .submission_package(&v.org_id, &v.assure.submission)
        .await
        .unwrap();
    assert!(package.is_some(), "B's round has its package");
    let device_release = s.device_release(&v.org_id, &v.assure.device).await.unwrap();
    assert!(device_release.is_some(), "B's device has its release");
    let lifecycle = s
        .lifecycle_documents(&v.org_id, &v.assure.device)
        .await
        .unwrap();
    assert_eq!(lifecycle.len(), 1, "B's device has its TPLC plan");
    let releases = s.list_releases(&v.org_id).await.unwrap();
    let findings = s
        .release_findings(&v.org_id, &v.sustain.release)
        .await
        .unwrap();
    let vex = s.release_vex(&v.org_id, &v.sustain.release).await.unwrap();
    let rules = s.alias_rules(&v.org_id).await.unwrap();
    let hooks = s.webhooks(&v.org_id).await.unwrap();
    let shares = s
        .release_shares(&v.org_id, &v.sustain.release)
        .await
        .unwrap();
    let inventory = s.inventory(&v.hospital_id).await.unwrap();
    let sources = s
        .log_sources(medsec_store::watch::MemberScope::Member(&v.hospital_id))
        .await
        .unwrap();
    let change = s.crisis_current().await.unwrap().unwrap().id;
    let crisis_ticks = s
        .crisis_ticks(
            medsec_store::watch::MemberScope::Member(&v.hospital_id),
            &change,
        )
        .await
        .unwrap();
    let alert = s
        .alert(
            medsec_store::watch::MemberScope::Member(&v.hospital_id),
            &v.alert_id,
        )
        .await
        .unwrap();
    let alert_activity = s.alert_activity(&v.alert_id).await.unwrap();
    let suppressions = s
        .suppressions(medsec_core::Timestamp(0), true)
        .await
        .unwrap();
    let monitors = s
        .web_monitors(medsec_store::watch::MemberScope::Member(&v.hospital_id))
        .await
        .unwrap();
    let web_checks = s.web_checks(&v.monitor_id, 100).await.unwrap();
    let webshell_scans = s
        .webshell_scans(
            medsec_store::watch::MemberScope::Member(&v.hospital_id),
            None,
            500,
            0,
        )
        .await
        .unwrap();
    let webshell_findings = s
        .webshell_findings(medsec_store::watch::MemberScope::All, &v.scan_id)
        .await
        .unwrap();
    let incident = match s
        .incident(
            medsec_store::incidents::Viewer {
                org_id: &v.hospital_id,
                isac: false,
            },
            &v.incident.id,
        )
        .await
        .unwrap()
    {
        Some(row) => format!("{:?}", s.incident_detail(row).await.unwrap()),
        None => "gone".to_owned(),
    };
    format!(
        "{incident}\n{org:?}\n{users:?}\n{tokens:?}\n{sessions:?}\n{devices:?}\n{checklists:?}\n{evidence:?}\n{submissions:?}\n{thread:?}\n{package:?}\n{device_release:?}\n{lifecycle:?}\n{releases:?}\n{findings:?}\n{vex:?}\n{rules:?}\n{hooks:?}\n{shares:?}\n{inventory:?}\n{sources:?}\n{crisis_ticks:?}\n{alert:?}\n{alert_activity:?}\n{suppressions:?}\n{monitors:?}\n{web_checks:?}\n{webshell_scans:?}\n{webshell_findings:?}"
    )
}

/// Removes what legitimately differs between two error pages of one user.
fn normalise(res: &Res, ids: &[&str]) -> (StatusCode, String) {
    let mut body = res.body.clone();
    for id in ids {
        body = body.replace(id, "ID");
    }
    (res.status, body)
}

pub async fn organisations_never_see_each_other(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let a_org = app
        .add_org(
            &root,
            "Alpha Hospital",
            "hospital",
            "alice",
            "Aspen-Pass-123",
        )
        .await;
    let b_org = app
        .add_org(
            &root,
            "Zeta-Marker Devices",
            "manufacturer",
            "bobmarker",
            "Bob-Pass-12345",
        )
        .await;
    let bob = app.api_login("bobmarker", "Bob-Pass-12345").await;
    let b_user = app
        .add_user(&bob, "zetauser", "editor", "Zeta-Pass-1234")
        .await;
    let tok = bob
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "zeta-token-marker", "scopes": ["read"], "days": 5}),
        )
        .await
        .json();
    let sessions = bob.get("/api/v1/sessions").await.json();
    // B's premarket records, submitted to B's regulator.
    let b_regulator = app
        .add_org(
            &root,
            "Zeta Regulator",
            "regulator",
            "zetareg",
            "Spruce-Pass-1234",
        )
        .await;
    let assure = crate::assure::sample_in(
        &app,
        &b_org,
        &b_regulator,
        "Zeta-Marker Pump",
        "zeta-evidence-marker.pdf",
    )
    .await;
    let b_hospital = app
        .add_org(
            &root,
            "Zeta-Marker Hospital",
            "hospital",
            "zetanurse",
            "Zeta-Nurse-1234",
        )
        .await;
    let sustain = crate::sustain::sustain_sample_in(&app, &b_org, &b_hospital, "Zeta-Marker").await;
    // B's device ships B's release.
    medsec_server::premarket::release_link(
        &app.state,
        &medsec_server::assure::By {
            org_id: b_org.clone(),
            org_kind: medsec_core::OrgKind::Manufacturer,
            user_id: None,
            name: "sample".into(),
            source: "test".into(),
        },
        &assure.device,
        &sustain.release,
    )
    .await
    .unwrap();
    // B's device has a TPLC plan (a lifecycle file).
    medsec_server::premarket::lifecycle_upload(
        &app.state,
        &medsec_server::assure::By {
            org_id: b_org.clone(),
            org_kind: medsec_core::OrgKind::Manufacturer,
            user_id: None,
            name: "sample".into(),
            source: "test".into(),
        },
        &assure.device,
        medsec_server::premarket::LifecycleKind::Tplc,
        "zeta-plan.toml",
        b"[cvd]\ncontact = \"psirt@zeta.example\"\n",
    )
    .await
    .unwrap();
    // The sector's crisis level, and B's hospital's tick on its checklist.
    let set = root
        .post(
            "/api/v1/crisis",
            serde_json::json!({"level": "caution", "reason": "의료기관 대상 랜섬웨어 유포 정황"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);
    let ticked = app
        .api_login("zetanurse", "Zeta-Nurse-1234")
        .await
        .post(
            "/api/v1/crisis/checklist/caution-block-indicators",
            serde_json::json!({"done": true}),
        )
        .await;
    assert_eq!(ticked.status, StatusCode::OK, "{}", ticked.body);
    // An alert on B's hospital's events (as live detection records it) and
    // a suppression of the ISAC.
    let now = app.state.now();
    let recorded = app
        .state
        .store
        .record_detections(
            &[medsec_store::alerts::NewHit {
                member_id: b_hospital.clone(),
                group_key: format!("{b_hospital}\u{1f}zeta-rule"),
                kind: "detection".into(),
                rule_id: "zeta-rule".into(),
                title: "Zeta-Marker alert".into(),
                severity: "high".into(),
                attack: vec!["T1190".into()],
                tags: Vec::new(),
                rule_file: None,
                event_id: "0123456789abcdef0123456789abcdef".into(),
                received_at: now.0,
                event_time: now.0,
                detail: serde_json::json!({}),
                event: serde_json::json!({"raw": "Zeta-Marker event"}),
            }],
            &medsec_store::alerts::Checkpoint {
                id: "isolation".into(),
                position: "1:8".into(),
                correlation_state: "{}".into(),
                rules_digest: String::new(),
                events: 1,
                at: now,
            },
        )
        .await
        .unwrap();
    let sup = root
        .post(
            "/api/v1/alert-suppressions",
            serde_json::json!({"rule": "zeta-rule", "member": "Zeta-Marker Hospital", "reason": "Zeta-Marker tuning"}),
        )
        .await;
    assert_eq!(sup.status, StatusCode::CREATED, "{}", sup.body);
    // A web page monitor of B's hospital, with a check on record.
    let monitor = root
        .post(
            "/api/v1/web-monitors",
            serde_json::json!({"member": b_hospital, "name": "Zeta-Marker homepage", "url": "https://www.zeta-marker.example/"}),
        )
        .await;
    assert_eq!(monitor.status, StatusCode::CREATED, "{}", monitor.body);
    let monitor_id = monitor.json()["id"].as_str().unwrap().to_owned();
    crate::webmon::record_every_finding(&app, &monitor_id, &b_hospital).await;
    // A webshell scan of B's hospital's web root (as its agent sends it).
    let scan = medsec_server::webshell::scan_upload(
        &app.state.store,
        &medsec_server::webshell::Uploader {
            origin: "agent",
            name: "agent:zeta-marker-agent".into(),
            org_id: b_hospital.clone(),
            user_id: None,
            source: "203.0.113.9".into(),
        },
        &b_hospital,
        "zeta-marker-webroot.php",
        b"<?php @eval($_POST['zeta']);?>".to_vec(),
        app.state.now(),
    )
    .await
    .unwrap();
    assert_eq!(scan.findings.len(), 2);
    let incident = incident_sample(&app).await;
    let victim = Victim {
        incident,
        scan_id: scan.scan.scan.id.clone(),
        monitor_id,
        alert_id: recorded.created[0].id.clone(),
        suppression_id: sup.json()["id"].as_str().unwrap().to_owned(),
        assure,
        sustain,
        hospital_id: b_hospital.clone(),
        org_id: b_org.clone(),
        user_id: b_user.clone(),
        token_id: tok["info"]["id"].as_str().unwrap().to_owned(),
        session_ref: sessions[0]["id"].as_str().unwrap().to_owned(),
        markers: vec![
            "Zeta-Marker".into(),
            "bobmarker".into(),
            "zetauser".into(),
            "zeta-token-marker".into(),
            "zeta-evidence-marker".into(),
            "zeta-marker-webroot".into(),
            "zeta-marker-agent".into(),
            "zeta-marker.example".into(),
            b_org.clone(),
            b_hospital.clone(),
            b_user.clone(),
        ],
    };
    let before = snapshot(&app, &victim).await;
    let _ = a_org;

    // Each of A's users, by each means: an administrator (web and API)
    // and an editor; and the operator's administrator for everything but
    // the organisation records it manages.
    let alice_api = app.api_login("alice", "Aspen-Pass-123").await;
    app.add_user(&alice_api, "aeditor", "editor", "Larch-Pass-123")
        .await;
    // Another manufacturer and another regulator, who have premarket pages.
    app.add_org(
        &root,
        "Alpha Devices",
        "manufacturer",
        "amaker",
        "Poplar-Pass-123",
    )
    .await;
    app.add_org(
        &root,
        "Alpha Regulator",
        "regulator",
        "areg",
        "Willow-Pass-123",
    )
    .await;
    let mut checked = 0;
    for (who, password, operator, scope) in [
        ("alice", "Aspen-Pass-123", false, "admin"),
        ("aeditor", "Larch-Pass-123", false, "write"),
        ("amaker", "Poplar-Pass-123", false, "admin"),
        ("areg", "Willow-Pass-123", false, "admin"),
        ("root", ADMIN_PASSWORD, true, "admin"),
    ] {
        // An API token rather than an API session: an administrator's web
        // login below would end an API session (one session per admin).
        let session = app.api_login(who, password).await;
        let made = session
            .post(
                "/api/v1/tokens",
                serde_json::json!({"name": "probe", "scopes": [scope], "days": 1}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let api = crate::Api {
            app: &app,
            token: Some(made.json()["token"].as_str().unwrap().to_owned()),
        };
        let mut web = app.browser();
        web.login(who, password).await;
        web.get("/account").await;
        for spec in app.specs.iter().filter(|s| s.access == Access::User) {
            // The operator's administrators manage organisation records
            // (and their own audit trail records creating B) by design, and
            // the operator is the ISAC, which watches every member's logs
            // and sees every member's crisis checklist.
            if operator
                && (spec.path.contains("organizations")
                    || spec.path.contains("audit")
                    || spec.path.contains("watch")
                    || spec.path.contains("crisis")
                    || spec.path.contains("alert")
                    || spec.path.contains("detection")
                    || spec.path.contains("web-monitors"))
            {
                continue;
            }
            // Compare with a missing object only where a parameter names
            // something an organisation owns.
            let mut owned = spec.path.to_owned();
            for p in SHARED_PARAMS {
                owned = owned.replace(p, "");
            }
            let has_param = owned.contains('{');
            let b_path = fill(spec.path, |n| victim_param(&victim, n));
            let missing_path = fill(spec.path, missing_param);
            let (b_res, missing_res) = match spec.surface {
                Surface::Ui => {
                    let fields: Vec<(&str, &str)> = if spec.method == Method::POST {
                        FORM_FIELDS.to_vec()
                    } else {
                        Vec::new()
                    };
                    let b = if spec.method == Method::POST {
                        web.post(&b_path, &fields).await
                    } else {
                        web.get(&b_path).await
                    };
                    let m = if spec.method == Method::POST {
                        web.post(&missing_path, &fields).await
                    } else {
                        web.get(&missing_path).await
                    };
                    (b, m)
                }
                Surface::Api | Surface::Other => {
                    let b = api
                        .call(spec.method.clone(), &b_path, json_body(spec))
                        .await;
                    let m = api
                        .call(spec.method.clone(), &missing_path, json_body(spec))
                        .await;
                    (b, m)
                }
            };
            if has_param {
                let ids: Vec<&str> = vec![
                    &victim.org_id,
                    &victim.user_id,
                    &victim.token_id,
                    &victim.session_ref,
                    &victim.assure.device,
                    &victim.assure.checklist,
                    &victim.assure.evidence,
                    &victim.assure.submission,
                    &victim.sustain.release,
                    &victim.sustain.vex,
                    &victim.sustain.rule,
                    &victim.sustain.webhook,
                    &victim.alert_id,
                    &victim.suppression_id,
                    &victim.monitor_id,
                    &victim.scan_id,
                    &victim.incident.id,
                    &victim.hospital_id,
                    &victim.incident.role,
                    &victim.incident.task,
                    &victim.incident.file,
                    &victim.incident.report,
                    &victim.sustain.device,
                    &victim.sustain.source,
                    "00000000-0000-4000-8000-00000000b0b0",
                    "00000000-0000-4000-8000-000000000000",
                    "0123456789abcdef",
                ];
                assert_eq!(
                    normalise(&b_res, &ids),
                    normalise(&missing_res, &ids),
                    "{who}: {} {} answers differently for organisation B's object than for a missing one",
                    spec.method,
                    spec.path
                );
            }
            // An id we put in the path may be echoed back (in links); any
            // other trace of B is a leak.
            for m in victim
                .markers
                .iter()
                .filter(|m| !b_path.contains(m.as_str()))
            {
                assert!(
                    !b_res.body.contains(m.as_str()),
                    "{who}: {} {} shows organisation B's data ({m})",
                    spec.method,
                    spec.path
                );
            }
            checked += 1;
            // Some routes end the caller's own session (logout); log in again.
            assert_eq!(
                api.get("/api/v1/me").await.status,
                StatusCode::OK,
                "{who}: the token stopped working after {} {}",
                spec.method,
                spec.path
            );
            if web.get("/dashboard").await.status != StatusCode::OK {
                return_to_life(&app, who, password, &mut web).await;
            }
        }
    }
    assert!(checked > 60, "only {checked} route checks ran");
    assert_eq!(
        before,
        snapshot(&app, &victim).await,
        "organisation B's data changed"
    );
    // And B still works.
    assert_eq!(
        app.api_login("bobmarker", "Bob-Pass-12345")
            .await
            .get("/api/v1/me")
            .await
            .status,
        StatusCode::OK
    );
}

async fn return_to_life(_app: &TestApp, who: &str, password: &str, web: &mut Browser<'_>) {
    web.cookies.clear();
    web.login(who, password).await;
    web.get("/account").await;
}

pub async fn every_form_needs_its_csrf_token(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let token = medsec_server::service::issue_setup_token(&app.state)
        .await
        .unwrap();
    assert!(token.is_none());
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    web.get("/account").await;
    let good = web.csrf.clone().unwrap();
    let audit_before = app.state.store.audit_count().await.unwrap();
    let mut checked = 0;
    for spec in app
        .specs
        .iter()
        .filter(|s| s.surface == Surface::Ui && s.method == Method::POST)
    {
        let path = fill(spec.path, missing_param);
        for bad in ["", "forged-token-forged-token-forged-token-x"] {
            web.csrf = Some(bad.to_owned());
            let r = web
                .post(
                    &path,
                    &[("name", "x"), ("username", "x"), ("password", "x")],
                )
                .await;
            // Refused as a bad form, or (for the TOTP step, which needs a
            // half-open login this session is not) sent back to the login.
            let to_login =
                r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login?next=");
            assert!(
                r.status == StatusCode::FORBIDDEN || to_login,
                "POST {} accepted a form with CSRF token {bad:?}: {} {}",
                spec.path,
                r.status,
                r.location()
            );
            if !to_login {
                assert!(
                    r.body.contains("만료된 양식"),
                    "POST {}: {}",
                    spec.path,
                    r.body
                );
            }
        }
        // A cross-site origin is refused even with the right token, whether
        // the browser says so by Sec-Fetch-Site or only by Origin.
        web.csrf = Some(good.clone());
        let cookies = web
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        for (name, value) in [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
            ("origin", "https://evil.example"),
        ] {
            let body = serde_urlencoded::to_string([("_csrf", good.as_str())]).unwrap();
            let req = axum::http::Request::post(&path)
                .header("host", crate::HOST)
                .header(name, value)
                .header("cookie", cookies.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap();
            let r = app.send(req).await;
            let to_login =
                r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login?next=");
            assert!(
                r.status == StatusCode::FORBIDDEN || to_login,
                "POST {} accepted a form with {name}: {value}",
                spec.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
    assert_eq!(
        app.state.store.audit_count().await.unwrap(),
        audit_before,
        "a rejected form changed something"
    );
}

pub async fn every_private_route_needs_login(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let mut checked = 0;
    for spec in app.specs.iter().filter(|s| s.access == Access::User) {
        let path = fill(spec.path, missing_param);
        let r = match spec.surface {
            Surface::Ui => {
                let mut web = app.browser();
                web.get("/login").await;
                if spec.method == Method::POST {
                    web.post(&path, &[]).await
                } else {
                    web.get(&path).await
                }
            }
            _ => {
                app.api()
                    .call(spec.method.clone(), &path, json_body(spec))
                    .await
            }
        };
        match spec.surface {
            Surface::Ui => {
                assert_eq!(
                    r.status,
                    StatusCode::SEE_OTHER,
                    "{} {}",
                    spec.method,
                    spec.path
                );
                assert!(
                    r.location().starts_with("/login?next="),
                    "{} {} -> {}",
                    spec.method,
                    spec.path,
                    r.location()
                );
            }
            _ => {
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {}",
                    spec.method,
                    spec.path
                );
                assert_eq!(r.json()["error"]["code"], "unauthenticated");
                assert!(r.headers.contains_key("www-authenticate"));
            }
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
}
