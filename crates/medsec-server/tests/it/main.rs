//! The server's test suite: in-process requests against the real router
//! and store (SQLite, and PostgreSQL when `MEDSEC_TEST_POSTGRES` is set),
//! with a manual clock so that timeouts and lock-outs need no waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod alerts;
mod api;
mod assure;
mod auth;
mod browser;
mod browser_assure;
mod browser_premarket;
mod browser_sustain;
mod crisis;
mod incidents;
mod indicators;
mod interop;
mod isolation;
mod pages;
mod premarket;
mod review_package;
mod sustain;
mod tools;
mod watch;
mod webmon;
mod webshell;

use alerts::*;
use api::*;
use assure::*;
use auth::*;
use browser::*;
use browser_assure::*;
use browser_sustain::*;
use crisis::*;
use incidents::*;
use indicators::*;
use interop::*;
use isolation::*;
use pages::*;
use premarket::*;
use review_package::*;
use sustain::*;
use tools::*;
use watch::*;
use webmon::*;
use webshell::*;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use medsec_core::Timestamp;
use medsec_server::clock::ManualClock;
use medsec_server::tls::ClientAddr;
use medsec_server::{AppState, RouteSpec, ServerConfig};
use medsec_store::testing::TestDb;
use tower::ServiceExt;

pub const HOST: &str = "localhost:8443";
pub const ADMIN_PASSWORD: &str = "Sup3r-Secret-Pass";

/// The application on a fresh database, driven in-process.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub specs: Vec<RouteSpec>,
    pub clock: Arc<ManualClock>,
    pub db: TestDb,
    _events_dir: tempfile::TempDir,
}

/// A response with its body read.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (downloads).
    pub bytes: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `value` of the first `<input name="NAME" … value="…">`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let at = self.body.find(&marker)?;
        let rest = self.body.get(at..)?;
        let v = rest.find("value=\"")?;
        let tail = rest.get(v + 7..)?;
        Some(
            tail.get(..tail.find('"')?)?
                .replace("&#x2f;", "/")
                .replace("&#x3d;", "="),
        )
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        TestApp::with_config(db, |_| {}).await
    }

    /// The application with its server settings changed by `configure`.
    pub async fn with_config(db: TestDb, configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
        let clock = Arc::new(ManualClock::new(Timestamp::now()));
        let dir = std::env::temp_dir();
        let mut config = ServerConfig::new(dir);
        configure(&mut config);
        let state = AppState::new(db.store.clone(), clock.clone(), config)
            .await
            .unwrap();
        // Watch: a real event store and the receivers over it.
        let events_dir = tempfile::tempdir().unwrap();
        let events = Arc::new(
            medsec_events::EventStore::open(events_dir.path(), Default::default()).unwrap(),
        );
        let ingest = medsec_ingest::Ingest::new(
            db.store.clone(),
            Arc::new(medsec_ingest::sink::LocalSink(events.clone())),
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        );
        let _ = state.watch.set(medsec_server::watch::Watch {
            events: Some(events),
            ingest,
            bus: None,
            detection: None,
        });
        let app = medsec_server::build(state.clone());
        TestApp {
            state,
            router: app.router,
            specs: app.specs,
            clock,
            db,
            _events_dir: events_dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Res {
        let mut req = req;
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(ClientAddr(
                "203.0.113.7:50000".parse().unwrap(),
            )));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        Res {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// Creates the operator organisation and its administrator `root`.
    pub async fn setup(&self) {
        let input = medsec_server::service::SetupInput {
            org_name: "Operator ISAC".into(),
            org_kind: "isac".into(),
            username: "root".into(),
            display_name: "Root Admin".into(),
            password: ADMIN_PASSWORD.into(),
            password_confirm: ADMIN_PASSWORD.into(),
        };
        medsec_server::service::setup(&self.state, &input, None, "test")
            .await
            .unwrap();
    }

    /// A logged-in API client for `username`.
    pub async fn api_login(&self, username: &str, password: &str) -> Api<'_> {
        let res = Api {
            app: self,
            token: None,
        }
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": username, "password": password}),
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "login as {username}: {}",
            res.body
        );
        Api {
            app: self,
            token: Some(res.json()["token"].as_str().unwrap().to_owned()),
        }
    }

    pub fn api(&self) -> Api<'_> {
        Api {
            app: self,
            token: None,
        }
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    /// Creates a user through the API of `admin` and activates it with `password`.
    pub async fn add_user(
        &self,
        admin: &Api<'_>,
        username: &str,
        role: &str,
        password: &str,
    ) -> String {
        let res = admin
            .post(
                "/api/v1/users",
                serde_json::json!({"username": username, "display_name": username, "role": role}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let v = res.json();
        let url = v["activation_url"].as_str().unwrap();
        let token = url.split("token=").nth(1).unwrap();
        medsec_server::service::activate(&self.state, token, password, password, "test")
            .await
            .unwrap();
        v["user"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates an organisation with an active administrator.
    pub async fn add_org(
        &self,
        operator: &Api<'_>,
        name: &str,
        kind: &str,
        admin: &str,
        password: &str,
    ) -> String {
        let res = operator.post("/api/v1/organizations", serde_json::json!({"name": name, "kind": kind, "admin": {"username": admin, "display_name": admin}})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let v = res.json();
        let token = v["admin"]["activation_url"]
            .as_str()
            .unwrap()
            .split("token=")
            .nth(1)
            .unwrap()
            .to_owned();
        medsec_server::service::activate(&self.state, &token, password, password, "test")
            .await
            .unwrap();
        v["organization"]["id"].as_str().unwrap().to_owned()
    }

    /// A PUT with a JSON body through an API client.
    pub async fn api_call_put(&self, api: &Api<'_>, path: &str, body: serde_json::Value) -> Res {
        api.call(Method::PUT, path, Some(body)).await
    }

    /// Every audit record, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String, String)> {
        let mut all = Vec::new();
        for org in self.state.store.list_orgs().await.unwrap() {
            let f = medsec_store::AuditFilter {
                limit: 10_000,
                ..Default::default()
            };
            for r in self
                .state
                .store
                .list_audit(&org.id, org.is_operator, &f)
                .await
                .unwrap()
            {
                all.push((r.seq, r.action, r.actor, r.outcome));
            }
        }
        all.sort();
        all.dedup();
        all.into_iter().map(|(_, a, b, c)| (a, b, c)).collect()
    }
}

/// An API client with an optional bearer token.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: Option<String>,
}

impl Api<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Res {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST);
        if let Some(t) = &self.token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.app.send(req).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Res {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// A browser with a cookie jar that submits forms with their CSRF token.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    /// The CSRF token of the last page that had a form.
    pub csrf: Option<String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, res: &Res) {
        for v in res.headers.get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        if let Some(c) = res.input_value("_csrf") {
            self.csrf = Some(c);
        }
    }

    pub async fn get(&mut self, path: &str) -> Res {
        let req = Request::builder()
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }

    /// Posts a form, adding the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &serde_urlencoded::to_string(&all).unwrap())
            .await
    }

    pub async fn post_raw(&mut self, path: &str, body: &str) -> Res {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, HOST)
            // What Chromium sends for a same-origin form under
            // `Referrer-Policy: no-referrer`.
            .header(header::ORIGIN, "null")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }

    /// Uploads a file as a `multipart/form-data` form with the CSRF token.
    pub async fn upload(&mut self, path: &str, filename: &str, content: &[u8]) -> Res {
        self.upload_with(path, &[], filename, content).await
    }

    /// Uploads a file with other form fields.
    pub async fn upload_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        filename: &str,
        content: &[u8],
    ) -> Res {
        let boundary = "----medsec-test-boundary-7d1a";
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"
        );
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ));
        let mut body = body.into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, "null")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        let res = self.app.send(req).await;
        self.absorb(&res);
        res
    }

    /// Logs in through the login page; returns the final response.
    pub async fn login(&mut self, username: &str, password: &str) -> Res {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

medsec_store::both_backends!(
    webshell_agent_upload_raises_alerts_for_its_member,
    webshell_uploads_by_users_and_bad_archives,
    generic_failure_and_lockout,
    lockout_expires_and_admin_unlocks,
    idle_timeout_and_lifetime,
    admin_single_session,
    totp_second_factor,
    password_rules_and_history,
    forced_password_change_and_expiry,
    api_tokens_are_scoped_and_expire,
    login_flood_is_bounded,
    setup_link_and_init,
    organisations_never_see_each_other,
    every_form_needs_its_csrf_token,
    every_private_route_needs_login,
    every_page_renders_in_both_languages,
    security_headers_and_errors,
    audit_page_filters_and_csv,
    catalogue_browser_and_api,
    error_shape_and_bad_input,
    bad_forms_change_nothing,
    openapi_lists_every_route,
    users_and_orgs_lifecycle,
    openapi_passes_the_reference_validator,
    metrics_parse_with_the_prometheus_client,
    browser_first_run_setup,
    browser_login_lockout,
    browser_idle_timeout,
    browser_language_switch,
    browser_org_isolation,
    browser_premarket_review,
    browser_sustain_flow,
    assure_review_round_trip,
    assure_api,
    checklist_json_passes_its_schema,
    premarket_documents_from_profile_to_trace,
    premarket_api,
    review_package_reviewer_mode,
    premarket_release_sbom_findings,
    premarket_lifecycle_files,
    sustain_api_and_pages,
    webhooks_are_signed_and_retried,
    attack_bundles_import_as_feed_records,
    attack_real_bundles_import_as_feed_records,
    alerts_from_live_detection,
    browser_alert_queue_live_and_triage,
    watch_sources_api,
    watch_ingest_search_export,
    watch_decoder_pages,
    watch_masking_and_retention_pages,
    watch_source_rates_and_metrics,
    crisis_level_is_set_told_and_audited,
    crisis_banner_in_both_languages,
    crisis_checklist_ticks_are_each_members_own,
    browser_crisis_banner_and_checklist,
    incidents_from_alert_to_report,
    browser_incident_from_alert_to_report,
    indicators_imported_live_revoked_and_replaced,
    webmon_baseline_defacement_and_acceptance,
    webmon_unreachable_after_failures,
    webmon_injected_script_and_hidden_iframe,
    webmon_members_see_only_their_own,
    webmon_forms_pages_and_validation,
    webmon_scheduler_claims_due_monitors_once,
    tools_cvss_calculator_and_api,
    tools_rubric_questionnaire,
);
