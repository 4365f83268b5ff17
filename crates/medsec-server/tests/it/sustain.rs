//! Postmarket through the API and the pages: releases with their SBOMs,
//! explained findings, VEX, sharing with a hospital and its exposure,
//! notifications, and signed webhook deliveries to a real HTTPS receiver.

use medsec_server::assure::By;
use medsec_server::{inventory, sustain as svc};

use super::*;

pub const OSV: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}]}"#;
pub const OSV_PAD: &str = r#"{"id":"GHSA-test-left-pad1","modified":"2024-01-01T00:00:00Z","summary":"A made-up left-pad flaw","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.0.0"}]}]}]}"#;
pub const KEV: &str = r#"{"title":"KEV","catalogVersion":"2025.08.25","count":1,"vulnerabilities":[{"cveID":"CVE-2019-10744","vendorProject":"lodash","product":"lodash","dateAdded":"2024-01-01"}]}"#;

pub fn sbom(product: &str) -> String {
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{{"timestamp":"2026-01-01T00:00:00Z","component":{{"type":"device","name":"{product}","version":"2"}}}},"components":[
{{"type":"library","bom-ref":"a","name":"lodash","version":"4.17.11","purl":"pkg:npm/lodash@4.17.11"}},
{{"type":"library","bom-ref":"c","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}}]}}"#
    )
}

/// Imports the small feeds above, as `medsec feeds import` does.
pub async fn import_feeds(app: &TestApp, osv: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("npm.jsonl"), osv).unwrap();
    std::fs::write(dir.path().join("kev.json"), KEV).unwrap();
    let summary = svc::import_feeds(&app.state.store, dir.path(), "test", "test", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 0);
}

fn by(org: &str, kind: medsec_core::OrgKind) -> By {
    By {
        org_id: org.to_owned(),
        org_kind: kind,
        user_id: None,
        name: "sample".into(),
        source: "test".into(),
    }
}

/// A manufacturer's release with a VEX statement, an alias rule and a
/// webhook, shared with a hospital that has it in its inventory.
pub struct SustainSample {
    pub release: String,
    pub vex: String,
    pub rule: String,
    pub webhook: String,
    pub device: String,
    /// A log source of the hospital (watch).
    pub source: String,
}

pub async fn sustain_sample_in(
    app: &TestApp,
    maker: &str,
    hospital: &str,
    marker: &str,
) -> SustainSample {
    use medsec_core::OrgKind;
    if app.state.store.feed_counts().await.unwrap().is_empty() {
        import_feeds(app, &format!("{OSV}\n{OSV_PAD}\n")).await;
    }
    let m = by(maker, OrgKind::Manufacturer);
    let db = app.state.index.get(&app.state.store).await.unwrap();
    let created = svc::release_create(
        &app.state.store,
        &db,
        &m,
        svc::ReleaseInput {
            product: format!("{marker} Infusion"),
            version: "1.0".into(),
            released_on: None,
            support_until: Some("2030-12-31".into()),
            sbom: Some((format!("{marker}.cdx.json"), sbom(marker).into_bytes())),
        },
    )
    .await
    .unwrap();
    let release = created.release.id;
    svc::vex_record(
        &app.state.store,
        &m,
        &release,
        &[svc::VexInput {
            vulnerability: "CVE-2019-10744".into(),
            status: "not_affected".into(),
            justification: Some("vulnerable_code_not_in_execute_path".into()),
            impact: Some(format!("{marker} vex impact")),
            ..Default::default()
        }],
        "manual",
    )
    .await
    .unwrap();
    let vex = app.state.store.release_vex(maker, &release).await.unwrap()[0]
        .id
        .clone();
    let (rule, _) = svc::alias_add(
        &app.state.store,
        &db,
        &m,
        &format!("name:{marker}-firmware"),
        Some("pkg:npm/left-pad"),
        None,
        Some("2030-01-01"),
        Some(&format!("{marker} alias note")),
    )
    .await
    .unwrap();
    let (hook, _) = svc::webhook_add(
        &app.state.store,
        &m,
        &format!("https://{}.example/hook", marker.to_lowercase()),
    )
    .await
    .unwrap();
    inventory::share(&app.state.store, &m, &release, hospital)
        .await
        .unwrap();
    let device = inventory::device_add(
        &app.state.store,
        &by(hospital, OrgKind::Hospital),
        &inventory::DeviceInput {
            asset_tag: format!("{marker}-ICU-1"),
            model: format!("{marker} Infusion"),
            release: Some(release.clone()),
            location: Some(format!("{marker} ward")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let source = app
        .state
        .store
        .create_log_source(
            &medsec_store::watch::NewLogSource {
                member_id: hospital.to_owned(),
                name: format!("{marker} firewall"),
                transport: medsec_store::watch::Transport::Http,
                port: None,
                format: "auto".into(),
                credential: Some(medsec_server::watch::token_hash(&format!("{marker}-token"))),
                silent_after: 600,
            },
            "test",
            Timestamp::now(),
            medsec_store::AuditEntry {
                at: Timestamp::now(),
                org_id: None,
                actor_id: None,
                actor: "test".into(),
                source: "test".into(),
                action: medsec_core::audit::Action::LogSourceCreated,
                outcome: medsec_core::audit::Outcome::Success,
                target_kind: "",
                target_id: None,
                details: serde_json::json!({}),
            },
        )
        .await
        .unwrap()
        .id;
    SustainSample {
        release,
        vex,
        rule: rule.id,
        webhook: hook.id,
        device: device.id,
        source,
    }
}

pub async fn sustain_api_and_pages(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "Pump Maker",
        "manufacturer",
        "pumper",
        "Pump-Pass-12345",
    )
    .await;
    app.add_org(
        &root,
        "Seoul Hospital",
        "hospital",
        "nurse",
        "Cedar-Pass-12345",
    )
    .await;
    import_feeds(&app, &format!("{OSV}\n{OSV_PAD}\n")).await;
    let maker = app.api_login("pumper", "Pump-Pass-12345").await;
    let nurse = app.api_login("nurse", "Cedar-Pass-12345").await;

    // A release with its SBOM, matched at once.
    let r = maker
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": "주입 펌프", "version": "2.1", "support_until": "2031-12-31", "sbom_filename": "pump.cdx.json", "sbom": sbom("pump")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["open"], 2);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let again = maker
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": "주입 펌프", "version": "2.1", "sbom": sbom("pump")}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let bad = maker
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": "주입 펌프", "version": "2.2", "sbom": "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":[{\"name\":1}]}"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("components[0]"), "{}", bad.body);
    // A lock file as the release's SBOM: the CycloneDX SBOM generated from
    // it (the product its subject, the manufacturer its supplier) is what
    // is stored and matched. (Another manufacturer, so that the counts
    // below stay Pump Maker's.)
    app.add_org(
        &root,
        "Lock Maker",
        "manufacturer",
        "locker",
        "Lock-Pass-12345",
    )
    .await;
    let locker = app.api_login("locker", "Lock-Pass-12345").await;
    let lock = r#"{"name":"pump-ui","version":"3.0.0","lockfileVersion":3,"requires":true,"packages":{
"":{"name":"pump-ui","version":"3.0.0","dependencies":{"lodash":"^4.17.0"}},
"node_modules/lodash":{"version":"4.17.11","resolved":"https://registry.npmjs.org/lodash/-/lodash-4.17.11.tgz","integrity":"sha512-cQKh8igo5QUhZ7lg38DYWAxMvjSAKG0A8wGSVimP07SIUEK2UO+arSRKbRZWtelMtN5V0Hkwh5ryOto/SshYIg=="}}}"#;
    let r = locker
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": "주입 펌프 UI", "version": "3.0", "sbom_filename": "package-lock.json", "sbom": lock}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["open"], 1, "{}", r.body);
    let lock_id = r.json()["id"].as_str().unwrap().to_owned();
    let stored = locker
        .get(&format!("/api/v1/releases/{lock_id}/sbom?format=original"))
        .await;
    assert_eq!(stored.status, StatusCode::OK);
    let stored: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(stored["bomFormat"], "CycloneDX");
    assert_eq!(stored["metadata"]["component"]["name"], "주입 펌프 UI");
    assert_eq!(
        stored["metadata"]["component"]["supplier"]["name"],
        "Lock Maker"
    );
    let broken = locker
        .post(
            "/api/v1/releases",
            serde_json::json!({"product": "주입 펌프 UI", "version": "3.1", "sbom_filename": "package-lock.json", "sbom": "{\"lockfileVersion\": \"three\"}"}),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
    assert!(broken.body.contains("lockfileVersion"), "{}", broken.body);

    let list = maker.get("/api/v1/releases").await.json();
    let pump = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(pump["counts"]["kev"], 1, "{list}");
    let detail = maker.get(&format!("/api/v1/releases/{id}")).await.json();
    let findings = detail["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{detail}");
    // The SBOM names no suppliers: the NTIA gate is not met, and says why.
    assert_eq!(detail["ntia"]["passed"], false);
    assert_eq!(detail["ntia"]["elements"].as_array().unwrap().len(), 7);
    assert_eq!(detail["ntia"]["elements"][0]["element"], "Supplier Name");
    assert_eq!(
        detail["ntia"]["elements"][0]["failing_count"], 3,
        "{detail}"
    );
    let lodash = findings
        .iter()
        .find(|f| f["vulnerability"] == "CVE-2019-10744")
        .unwrap();
    assert_eq!(lodash["state"], "open");
    assert_eq!(lodash["kev"], true);
    assert!(
        lodash["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("GHSA-jf85-cpcp-j695: "),
        "{lodash}"
    );

    // VEX: refused without a justification, then recorded and applied.
    let r = maker
        .post(
            &format!("/api/v1/releases/{id}/vex"),
            serde_json::json!({"statements": [{"vulnerability": "CVE-2019-10744", "status": "not_affected"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("justification"), "{}", r.body);
    let r = maker
        .post(
            &format!("/api/v1/releases/{id}/vex"),
            serde_json::json!({"statements": [{"vulnerability": "GHSA-jf85-cpcp-j695", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "impact": "defaultsDeep is never called"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let open = maker.get("/api/v1/findings?sort=kev").await.json();
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["vulnerability"], "GHSA-test-left-pad1");
    for sort in ["priority", "severity", "epss", "newest"] {
        let r = maker.get(&format!("/api/v1/findings?sort={sort}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(
        maker.get("/api/v1/findings?sort=bogus").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let portfolio = maker.get("/api/v1/portfolio").await.json();
    assert_eq!(portfolio["totals"]["kev"], 0, "{portfolio}");
    assert_eq!(portfolio["trend"].as_array().unwrap().len(), 1);

    // An end of support for a component, for every product.
    let r = maker
        .post(
            "/api/v1/alias-rules",
            serde_json::json!({"component": "pkg:npm/left-pad", "end_of_support": "2020-13-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = maker
        .post(
            "/api/v1/alias-rules",
            serde_json::json!({"component": "pkg:npm/left-pad", "end_of_support": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let detail = maker.get(&format!("/api/v1/releases/{id}")).await.json();
    let pad = detail["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "left-pad")
        .unwrap();
    assert_eq!(pad["end_of_support"], "2020-01-01", "{detail}");

    // Exports of the stored SBOM.
    let spdx = maker
        .get(&format!("/api/v1/releases/{id}/sbom?format=spdx-json"))
        .await;
    assert_eq!(spdx.status, StatusCode::OK);
    assert_eq!(spdx.json()["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        maker
            .get(&format!("/api/v1/releases/{id}/sbom?format=bogus"))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A scan that stores nothing.
    let scan = maker
        .post("/api/v1/sbom/scan", serde_json::json!({"sbom": sbom("x")}))
        .await;
    assert_eq!(scan.status, StatusCode::OK, "{}", scan.body);
    assert!(scan.body.contains("GHSA-test-left-pad1"), "{}", scan.body);
    let used = maker
        .get("/api/v1/components/used?identity=pkg:npm/lodash")
        .await
        .json();
    assert_eq!(used[0]["component_version"], "4.17.11");

    // Shared with the hospital, which sees its device's exposure.
    assert_eq!(
        maker
            .post(
                &format!("/api/v1/releases/{id}/shares"),
                serde_json::json!({"hospital": "Nowhere Hospital"})
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = maker
        .post(
            &format!("/api/v1/releases/{id}/shares"),
            serde_json::json!({"hospital": "Seoul Hospital"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        nurse.get("/api/v1/releases").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        maker.get("/api/v1/inventory").await.status,
        StatusCode::FORBIDDEN
    );
    let shared = nurse.get("/api/v1/shared-releases").await.json();
    assert_eq!(shared[0]["product"], "주입 펌프", "{shared}");
    let r = nurse
        .post(
            "/api/v1/inventory",
            serde_json::json!({"asset_tag": "ICU-7", "model": "주입 펌프", "release": id, "location": "중환자실", "segment": "VLAN 30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let exposure = nurse.get("/api/v1/inventory/exposure").await.json();
    assert_eq!(exposure[0]["open"], 1, "{exposure}");
    let said = exposure[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"] == "CVE-2019-10744")
        .unwrap();
    assert_eq!(said["state"], "suppressed");
    assert_eq!(said["vex"]["impact"], "defaultsDeep is never called");
    let sbom_file = nurse
        .get(&format!("/api/v1/shared-releases/{id}/sbom"))
        .await;
    assert_eq!(sbom_file.status, StatusCode::OK);
    assert_eq!(sbom_file.json()["bomFormat"], "CycloneDX");
    let notes = nurse.get("/api/v1/notifications").await.json();
    assert_eq!(notes[0]["kind"], "release.shared", "{notes}");

    // A new advisory reaches the maker and the hospital.
    let newer = OSV_PAD.replace("GHSA-test-left-pad1", "GHSA-test-left-pad2");
    import_feeds(&app, &format!("{OSV}\n{OSV_PAD}\n{newer}\n")).await;
    let db = app.state.index.get(&app.state.store).await.unwrap();
    let summary = svc::rematch_all(&app.state.store, &db).await.unwrap();
    assert_eq!(summary.new, 1);
    for who in [&maker, &nurse] {
        let notes = who.get("/api/v1/notifications").await.json();
        assert_eq!(notes[0]["kind"], "findings.new", "{notes}");
        assert_eq!(notes[0]["details"]["new"], 1);
        assert_eq!(notes[0]["details"]["top"][0], "GHSA-test-left-pad2");
        assert_eq!(notes[0]["read"], false);
    }
    // Read for the user who marks them (the store test checks that a
    // colleague's stay unread).
    let r = maker
        .post("/api/v1/notifications/read", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["read"].as_u64().unwrap() >= 1, "{}", r.body);
    assert_eq!(
        maker.get("/api/v1/notifications").await.json()[0]["read"],
        true
    );
    assert_eq!(
        nurse.get("/api/v1/notifications").await.json()[0]["read"],
        false
    );
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    for a in [
        "release.created",
        "vex.recorded",
        "release.shared",
        "inventory.device_added",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }

    // The same through the pages.
    let mut web = app.browser();
    web.login("pumper", "Pump-Pass-12345").await;
    let page = web.get("/portfolio").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("주입 펌프"), "{}", page.body);
    web.get("/portfolio").await;
    let r = web
        .upload_with(
            "/releases",
            &[
                ("product", "주입 펌프"),
                ("version", "2.3"),
                ("support_until", "2032-01-01"),
            ],
            "bom.json",
            sbom("pump").as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let release_page = r.location().to_owned();
    let page = web.get(&release_page).await;
    assert!(page.body.contains("CVE-2019-10744"), "{}", page.body);
    assert!(page.body.contains("대조 근거"));
    // The statement about 2.1 was carried over (lodash did not change).
    assert!(
        page.body.contains("이전 릴리스에서 이어짐"),
        "{}",
        page.body
    );
    let new_id = release_page.trim_start_matches("/releases/");
    let r = web
        .post(
            &format!("/releases/{new_id}/vex"),
            &[
                ("vulnerability", "GHSA-test-left-pad1"),
                ("component", "pkg:npm/left-pad"),
                ("status", "affected"),
                ("action", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("action"), "{}", r.body);
    let r = web
        .post(
            &format!("/releases/{new_id}/vex"),
            &[
                ("vulnerability", "GHSA-test-left-pad1"),
                ("component", "pkg:npm/left-pad"),
                ("status", "fixed"),
                ("expires_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = web.get(&release_page).await;
    assert_eq!(page.body.matches("억제됨(VEX)").count(), 2, "{}", page.body);
    let download = web
        .get(&format!("/releases/{new_id}/sbom/cyclonedx-xml"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(download.body.contains("<bom "), "{}", download.body);
    let r = web
        .upload_with(
            "/releases",
            &[("product", "주입 펌프"), ("version", "2.4")],
            "bad.json",
            b"{\"bomFormat\":\"CycloneDX\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut hospital = app.browser();
    hospital.login("nurse", "Cedar-Pass-12345").await;
    let inv = hospital.get("/inventory").await;
    assert!(inv.body.contains("ICU-7"), "{}", inv.body);
    assert!(
        inv.body.contains("defaultsDeep is never called"),
        "{}",
        inv.body
    );
}

/// A TLS receiver on loopback that answers 500 to the first request and
/// 204 afterwards, and hands every request (head, body) to the test.
async fn receiver(
    dir: &std::path::Path,
) -> (u16, tokio::sync::mpsc::UnboundedReceiver<(String, String)>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tls = medsec_server::tls::load(&medsec_server::tls::TlsSource::SelfSigned {
        data_dir: dir.to_owned(),
        hostnames: Vec::new(),
    })
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut served = 0;
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let Ok(mut s) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break (head.to_owned(), body.to_owned());
                    }
                }
            };
            served += 1;
            let status = if served == 1 {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = s
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
            let _ = s.shutdown().await;
            let _ = tx.send((head, body));
        }
    });
    (port, rx)
}

pub async fn webhooks_are_signed_and_retried(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let (port, mut requests) = receiver(dir.path()).await;
    let mut config = ServerConfig::new(dir.path().to_owned());
    config.webhook_ca = Some(dir.path().join("tls/cert.pem"));
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let state = AppState::new(db.store.clone(), clock, config)
        .await
        .unwrap();
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let org = app
        .add_org(
            &root,
            "Hook Maker",
            "manufacturer",
            "hooker",
            "Hook-Pass-12345",
        )
        .await;
    let admin = app.api_login("hooker", "Hook-Pass-12345").await;
    let r = admin
        .post(
            "/api/v1/webhooks",
            serde_json::json!({"url": "http://127.0.0.1/x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("https_required"), "{}", r.body);
    let r = admin
        .post(
            "/api/v1/webhooks",
            serde_json::json!({"url": format!("https://127.0.0.1:{port}/medsec?x=1")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();

    let now = Timestamp::now();
    let queued = state
        .store
        .enqueue_webhook(
            &org,
            "findings.new",
            &serde_json::json!({"release": {"version": "2.1"}}),
            now,
        )
        .await
        .unwrap();
    assert_eq!(queued, 1);
    // The receiver fails the first attempt: retried later, not lost.
    assert_eq!(
        medsec_server::webhook::deliver_due(&state, now)
            .await
            .unwrap(),
        0
    );
    let (_, first_body) = requests.recv().await.unwrap();
    let list = admin.get("/api/v1/webhooks").await.json();
    assert_eq!(list["deliveries"][0]["state"], "pending", "{list}");
    assert_eq!(list["deliveries"][0]["last_status"], 500);
    assert_eq!(
        medsec_server::webhook::deliver_due(&state, now)
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    let later = now.plus_secs(31);
    assert_eq!(
        medsec_server::webhook::deliver_due(&state, later)
            .await
            .unwrap(),
        1
    );
    let (head, body) = requests.recv().await.unwrap();
    assert_eq!(body, first_body, "the same delivery is retried");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    assert!(head.starts_with("POST /medsec?x=1 HTTP/1.1"), "{head}");
    assert_eq!(header("x-medsec-event"), "findings.new");
    let ts: i64 = header("x-medsec-timestamp").parse().unwrap();
    assert_eq!(
        header("x-medsec-signature"),
        medsec_server::webhook::signature(&secret, ts, &body)
    );
    // Checked independently of medsec's own function.
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(header("x-medsec-signature"), format!("sha256={hex}"));
    let payload: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["event"], "findings.new");
    assert_eq!(payload["release"]["version"], "2.1");
    let list = admin.get("/api/v1/webhooks").await.json();
    assert_eq!(list["deliveries"][0]["state"], "delivered", "{list}");
    assert_eq!(list["deliveries"][0]["attempts"], 2);
    // The secret is never shown again.
    assert!(!list.to_string().contains(&secret));
}

/// `medsec feeds import` of ATT&CK's STIX bundles: the small fixture
/// bundles always, the real ones of `../shared/data/attack` when present.
/// Each technique, tactic, group and piece of software is a record, the
/// server's matrix rebuilt from the records is the one the bundles give,
/// a second import changes nothing, and the vulnerability index ignores
/// the records.
pub async fn attack_bundles_import_as_feed_records(db: TestDb) {
    let app = TestApp::new(db).await;
    let store = &app.state.store;
    let fixtures = attack_fixtures();
    let summary = svc::import_feeds(store, &fixtures, "test", "test", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 0, "{:?}", summary.files);
    let kinds: Vec<(&str, u64)> = summary.files.iter().map(|f| (f.kind, f.records)).collect();
    // Enterprise: 4 tactics, 8 techniques, a group and a tool; ICS: 3
    // tactics, 5 techniques and a piece of malware.
    assert_eq!(kinds, [("attack", 14), ("attack", 9)]);
    let m = svc::attack_matrix(store).await.unwrap();
    let ps = m.technique("T1059.001").unwrap();
    assert_eq!(ps.name, "PowerShell");
    assert_eq!(ps.tactics[0].name, "Execution");
    assert_eq!(
        m.technique("T1143").unwrap().revoked_by.as_deref(),
        Some("T1564.003")
    );
    assert_eq!(m.technique("T0800").unwrap().tactics[0].id, "TA0107");
    assert_eq!(m.entity("G0032").unwrap().name, "Lazarus Group");
    let direct = medsec_detect::attack::load_dir(&fixtures).unwrap();
    same_matrix(&m, &direct);
    let again = svc::import_feeds(store, &fixtures, "test", "test", &mut |_| {})
        .await
        .unwrap();
    assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 23));
    let index = svc::load_database(store).await.unwrap();
    assert_eq!(index.stats().advisories, 0);
}

/// As [`attack_bundles_import_as_feed_records`] with the real bundles of
/// `../shared/data/attack` (enterprise STIX 2.0 gzip'd, ICS STIX 2.1; the
/// collection index and the documentation are passed over).
pub async fn attack_real_bundles_import_as_feed_records(db: TestDb) {
    let test = "attack_real_bundles_import_as_feed_records";
    let data = std::env::var_os("MEDSEC_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        })
        .join("attack");
    if !data.is_dir() {
        eprintln!("{test}: skipped: ../shared/data/attack not found (set MEDSEC_DATA)");
        return;
    }
    let app = TestApp::new(db).await;
    let store = &app.state.store;
    let started = std::time::Instant::now();
    let summary = svc::import_feeds(store, &data, "test", "test", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 0, "{:?}", summary.files);
    let records: u64 = summary.files.iter().map(|f| f.records).sum();
    let m = svc::attack_matrix(store).await.unwrap();
    eprintln!(
        "{test}: {} files, {records} records imported and the matrix rebuilt in {:.2} s; skipped {:?}",
        summary.files.len(),
        started.elapsed().as_secs_f64(),
        summary.skipped
    );
    let ps = m.technique("T1059.001").unwrap();
    assert_eq!(ps.name, "PowerShell");
    assert_eq!(ps.tactics[0].id, "TA0002");
    assert_eq!(
        m.technique("T0800").unwrap().name,
        "Activate Firmware Update Mode"
    );
    // 835 + 95 techniques, 14 + 12 tactics, and the groups and software
    // of both bundles.
    assert_eq!(m.techniques().count(), 930);
    assert_eq!(m.tactics().count(), 26);
    same_matrix(&m, &medsec_detect::attack::load_dir(&data).unwrap());
}

fn attack_fixtures() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-detect/tests/fixtures/attack")
}

/// The records `medsec feeds import` makes of the ATT&CK bundles rebuild
/// the matrix the bundles give, whatever the store: the fixtures, and the
/// real bundles when present.
#[test]
fn attack_records_rebuild_the_bundles_matrix() {
    let data = std::env::var_os("MEDSEC_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        })
        .join("attack");
    let mut dirs = vec![attack_fixtures()];
    if data.is_dir() {
        dirs.push(data);
    } else {
        eprintln!(
            "attack_records_rebuild_the_bundles_matrix: real bundles skipped: ../shared/data/attack not found"
        );
    }
    for dir in dirs {
        let (files, _) = medsec_vulndb::feed::discover(&dir).unwrap();
        assert_eq!(files.len(), 2, "{files:?}");
        let mut records = Vec::new();
        for f in &files {
            assert_eq!(f.format.kind(), medsec_vulndb::Kind::Attack);
            medsec_vulndb::feed::read(f, medsec_vulndb::feed::Limits::default(), &mut |r| {
                records.push((r.id, r.body));
                Ok(())
            })
            .unwrap();
        }
        let m = medsec_detect::attack::Matrix::from_records(records).unwrap();
        assert_eq!(m.technique("T1059.001").unwrap().name, "PowerShell");
        same_matrix(&m, &medsec_detect::attack::load_dir(&dir).unwrap());
    }
}

fn same_matrix(a: &medsec_detect::attack::Matrix, b: &medsec_detect::attack::Matrix) {
    assert_eq!(
        a.techniques().collect::<Vec<_>>(),
        b.techniques().collect::<Vec<_>>()
    );
    assert_eq!(
        a.tactics().collect::<Vec<_>>(),
        b.tactics().collect::<Vec<_>>()
    );
    assert_eq!(
        a.entities().collect::<Vec<_>>(),
        b.entities().collect::<Vec<_>>()
    );
}
