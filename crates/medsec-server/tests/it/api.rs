//! The JSON API: one error shape, bad input, the OpenAPI document, and
//! the user and organisation lifecycle with its audit trail.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use medsec_server::Surface;
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, HOST, TestApp};

pub async fn error_shape_and_bad_input(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let token = root.token.clone().unwrap();
    let raw = |body: Vec<u8>, ctype: &str| {
        Request::post("/api/v1/users")
            .header("host", HOST)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", ctype.to_owned())
            .body(Body::from(body))
            .unwrap()
    };
    let users_before = app
        .state
        .store
        .list_users(
            root.get("/api/v1/me").await.json()["organization"]["id"]
                .as_str()
                .unwrap(),
        )
        .await
        .unwrap()
        .len();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (raw(b"{not json".to_vec(), "application/json"), StatusCode::BAD_REQUEST, "invalid_json"),
        (raw(vec![0xff, 0xfe, b'{'], "application/json"), StatusCode::BAD_REQUEST, "invalid_utf8"),
        (raw(b"username=x".to_vec(), "application/x-www-form-urlencoded"), StatusCode::BAD_REQUEST, "unsupported_media_type"),
        (raw(vec![b' '; 2 * 1024 * 1024], "application/json"), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        (raw(br#"{"username": "x", "display_name": "x", "role": "admin", "extra": 1}"#.to_vec(), "application/json"), StatusCode::BAD_REQUEST, "invalid_json"),
        (raw(br#"{"username": "kim'; DROP TABLE users;--", "display_name": "x", "role": "viewer"}"#.to_vec(), "application/json"), StatusCode::UNPROCESSABLE_ENTITY, "username_chars"),
        (raw(br#"{"username": "kim", "display_name": "", "role": "root"}"#.to_vec(), "application/json"), StatusCode::UNPROCESSABLE_ENTITY, "required"),
    ];
    for (req, status, code) in cases {
        let r = app.send(req).await;
        assert_eq!(r.status, status, "{code}: {}", r.body);
        let v = r.json();
        assert_eq!(v["error"]["code"], code, "{}", r.body);
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(v["error"].as_object().unwrap().contains_key("field"));
    }
    // Several invalid fields: each is named.
    let r = root
        .post(
            "/api/v1/users",
            serde_json::json!({"username": "x", "display_name": "", "role": "root"}),
        )
        .await;
    let body = r.json();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "display_name", "role"]);
    assert_eq!(r.json()["error"]["field"], "username");
    // Korean messages on request.
    let r = root.call(Method::GET, "/api/v1/nothing", None).await;
    assert_eq!(r.json()["error"]["message"], "Not found");
    let ko = app
        .send(
            Request::get("/api/v1/nothing")
                .header("host", HOST)
                .header("accept-language", "ko-KR,ko;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ko.json()["error"]["message"], "찾을 수 없습니다");
    // Nothing was created by any of it.
    let org = root.get("/api/v1/me").await.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.state.store.list_users(&org).await.unwrap().len(),
        users_before
    );
    // SQL metacharacters in queries are just text.
    let r = root.get("/api/v1/audit?actor=%27%20OR%201%3D1%20--").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    let r = root.get("/api/v1/audit?limit=abc").await;
    assert_eq!(r.json()["error"]["code"], "invalid_query");
}

pub async fn bad_forms_change_nothing(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    web.get("/users/new").await;
    let before = app.state.store.audit_count().await.unwrap();
    let csrf = web.csrf.clone().unwrap();
    // Invalid UTF-8 in a form value.
    let mut body = format!("_csrf={csrf}&username=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(b"&display_name=x&role=viewer");
    let req = Request::post("/users")
        .header("host", HOST)
        .header("origin", format!("https://{HOST}"))
        .header(
            "cookie",
            web.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("잘못된 요청"));
    // An oversized form.
    let big = format!(
        "username=x&display_name={}&role=viewer",
        "가".repeat(400_000)
    );
    let r = web
        .post(
            "/users",
            &[
                ("username", "x"),
                ("display_name", &"가".repeat(400_000)),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{} bytes",
        big.len()
    );
    // A too-long value is a field error, with the value kept.
    let r = web
        .post(
            "/users",
            &[
                ("username", "kim"),
                ("display_name", &"가".repeat(101)),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"e-display_name\"") && r.body.contains("100자 이하로 입력하십시오."),
        "{}",
        r.body
    );
    // HTML in input is escaped, never run.
    let r = web
        .post(
            "/users",
            &[
                ("username", "kim"),
                ("display_name", "<script>alert(1)</script>"),
                ("role", "nope"),
            ],
        )
        .await;
    assert!(
        !r.body.contains("<script>alert(1)") && r.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        r.body
    );
    assert_eq!(
        app.state.store.audit_count().await.unwrap(),
        before,
        "nothing was changed"
    );
}

pub async fn openapi_lists_every_route(db: TestDb) {
    let app = TestApp::new(db).await;
    let doc = app.api().get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut served: Vec<String> = app
        .specs
        .iter()
        .filter(|s| s.surface == Surface::Api)
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    served.sort();
    assert_eq!(
        documented, served,
        "the OpenAPI document and the router disagree"
    );
    // Every operation names its error body.
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

pub async fn users_and_orgs_lifecycle(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    // An organisation with its first administrator.
    let created = root.post("/api/v1/organizations", serde_json::json!({"name": "한빛병원", "kind": "hospital", "admin": {"username": "hbadmin", "display_name": "한빛 관리자"}})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let v = created.json();
    let url = v["admin"]["activation_url"].as_str().unwrap();
    assert!(url.starts_with("https://localhost:8443/activate?token="));
    assert_eq!(v["admin"]["user"]["status"], "pending");
    // The pending user cannot log in yet; the link sets the password once.
    let r = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "hbadmin", "password": "Hanbit-Pass-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let token = url.split("token=").nth(1).unwrap().to_owned();
    let mut web = app.browser();
    assert_eq!(
        web.get(&format!("/activate?token={token}")).await.status,
        StatusCode::OK
    );
    let weak = web
        .post(
            "/activate",
            &[
                ("token", &token),
                ("password", "hbadmin123456"),
                ("password_confirm", "hbadmin123456"),
            ],
        )
        .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "contains the user id"
    );
    let ok = web
        .post(
            "/activate",
            &[
                ("token", &token),
                ("password", "Hanbit-Pass-1"),
                ("password_confirm", "Hanbit-Pass-1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(
        web.get(&format!("/activate?token={token}")).await.status,
        StatusCode::NOT_FOUND,
        "single use"
    );
    let hb = app.api_login("hbadmin", "Hanbit-Pass-1").await;
    // Hospitals have no analysts.
    let r = hb
        .post(
            "/api/v1/users",
            serde_json::json!({"username": "ana", "display_name": "A", "role": "analyst"}),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "role_not_for_org");
    let nurse = app.add_user(&hb, "nurse", "viewer", "Willow-Pass-12").await;
    // Role change ends the user's sessions; disabling locks them out.
    let n = app.api_login("nurse", "Willow-Pass-12").await;
    let r = hb
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{nurse}"),
            Some(serde_json::json!({"role": "editor"})),
        )
        .await;
    assert_eq!(r.json()["role"], "editor");
    assert_eq!(n.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    hb.call(
        Method::PATCH,
        &format!("/api/v1/users/{nurse}"),
        Some(serde_json::json!({"status": "disabled"})),
    )
    .await;
    let r = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "nurse", "password": "Willow-Pass-12"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An administrator cannot demote or delete themselves.
    let me = hb.get("/api/v1/me").await.json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = hb
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            Some(serde_json::json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "cannot_demote_self");
    assert_eq!(
        hb.call(Method::DELETE, &format!("/api/v1/users/{me}"), None)
            .await
            .json()["error"]["code"],
        "cannot_delete_self"
    );
    // Non-operators cannot create organisations; the attempt is audited.
    let r = hb
        .post(
            "/api/v1/organizations",
            serde_json::json!({"name": "x", "kind": "hospital"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Disabling the organisation ends its sessions.
    let org = hb.get("/api/v1/me").await.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = root
        .call(
            Method::PATCH,
            &format!("/api/v1/organizations/{org}"),
            Some(serde_json::json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.json()["enabled"], false);
    assert_eq!(hb.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    let root_org = root.get("/api/v1/me").await.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = root
        .call(
            Method::PATCH,
            &format!("/api/v1/organizations/{root_org}"),
            Some(serde_json::json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "cannot_disable_operator");
    // Deleting a user keeps their name in the audit log.
    let r = hb
        .call(Method::DELETE, &format!("/api/v1/users/{nurse}"), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "hb's session ended with the organisation"
    );
    // The whole story is in the audit log, and the chain holds.
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    for expected in [
        "setup.completed",
        "org.created",
        "user.created",
        "user.activated",
        "auth.login.success",
        "user.role_changed",
        "user.disabled",
        "auth.access.denied",
        "org.disabled",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "no {expected} in {actions:?}"
        );
    }
    assert!(
        app.state
            .store
            .verify_audit(|_| {})
            .await
            .unwrap()
            .is_intact()
    );
}
