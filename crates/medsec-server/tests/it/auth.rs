//! Authentication against MFDS 1.1–1.4, 1.7–1.11 and the KISA items:
//! generic failures, lock-out, timeouts, single admin session, TOTP,
//! password rules, API tokens and the hashing bound.

use axum::http::StatusCode;
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, TestApp};

fn count(actions: &[(String, String, String)], action: &str) -> usize {
    actions.iter().filter(|(a, _, _)| a == action).count()
}

pub async fn generic_failure_and_lockout(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;

    // Wrong password, unknown user, malformed user id: the same answer.
    let wrong = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": "nope-nope-1"}),
        )
        .await;
    let unknown = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "ghost", "password": "nope-nope-1"}),
        )
        .await;
    let weird = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "' OR 1=1 --", "password": "x"}),
        )
        .await;
    for r in [&wrong, &unknown, &weird] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"]["code"], "login_failed");
    }
    assert_eq!(wrong.json(), unknown.json());
    assert_eq!(wrong.json(), weird.json());

    // The web form: same generic message for both.
    let mut b = app.browser();
    let web_wrong = b.login("root", "nope-nope-1").await;
    let web_unknown = b.login("ghost", "nope-nope-1").await;
    assert_eq!(web_wrong.status, StatusCode::UNAUTHORIZED);
    let msg = "로그인에 실패했습니다. 아이디와 비밀번호를 확인하십시오.";
    assert!(web_wrong.body.contains(msg) && web_unknown.body.contains(msg));

    // Three more failures (five in all) lock the account; then even the
    // right password gets the same generic failure.
    for _ in 0..3 {
        let r = app
            .api()
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"username": "root", "password": "nope-nope-1"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(locked.json(), wrong.json());
    let actions = app.audit_actions().await;
    assert_eq!(count(&actions, "auth.lockout"), 1);
    assert_eq!(count(&actions, "auth.login.failure"), 9, "{actions:?}");
    assert!(
        actions
            .iter()
            .any(|(a, actor, _)| a == "auth.login.failure" && actor == "ghost"),
        "unknown users are audited too"
    );
}

pub async fn lockout_expires_and_admin_unlocks(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_user(&root, "kim", "editor", "Maple-Pass-123").await;
    for _ in 0..5 {
        app.api()
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"username": "kim", "password": "wrong-wrong-1"}),
            )
            .await;
    }
    let r = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "kim", "password": "Maple-Pass-123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "locked");
    // The lock lasts 30 minutes by default.
    app.clock.advance_secs(29 * 60);
    let r = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "kim", "password": "Maple-Pass-123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "still locked");
    app.clock.advance_secs(2 * 60);
    let kim = app.api_login("kim", "Maple-Pass-123").await;
    let me = kim.get("/api/v1/me").await.json();
    assert_eq!(me["user"]["locked"], false);

    // An administrator lifts a lock at once.
    for _ in 0..5 {
        app.api()
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"username": "kim", "password": "wrong-wrong-1"}),
            )
            .await;
    }
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let users = root.get("/api/v1/users").await.json();
    let kim_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "kim")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        root.get(&format!("/api/v1/users/{kim_id}")).await.json()["locked"],
        true
    );
    let r = root
        .post(
            &format!("/api/v1/users/{kim_id}/unlock"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.json()["locked"], false);
    app.api_login("kim", "Maple-Pass-123").await;
}

pub async fn idle_timeout_and_lifetime(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    assert_eq!(root.get("/api/v1/me").await.status, StatusCode::OK);
    // 15 minutes idle is the default.
    app.clock.advance_secs(14 * 60);
    assert_eq!(
        root.get("/api/v1/me").await.status,
        StatusCode::OK,
        "used within the idle time"
    );
    app.clock.advance_secs(16 * 60);
    let r = root.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "session_expired");
    assert_eq!(
        root.get("/api/v1/me").await.json()["error"]["code"],
        "unauthenticated",
        "the session is gone"
    );

    // The web: an idle session redirects to the login page with a notice.
    let mut b = app.browser();
    b.login("root", ADMIN_PASSWORD).await;
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);
    app.clock.advance_secs(15 * 60 + 1);
    let r = b.get("/dashboard").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().starts_with("/login?reason=timeout"),
        "{}",
        r.location()
    );
    let page = b.get(r.location()).await;
    assert!(
        page.body
            .contains("일정 시간 사용하지 않아 세션이 종료되었습니다")
    );

    // The sweeper ends idle sessions nobody comes back to, and audits it.
    let mut b2 = app.browser();
    b2.login("root", ADMIN_PASSWORD).await;
    app.clock.advance_secs(16 * 60);
    assert_eq!(medsec_server::sweep(&app.state).await.unwrap(), 1);
    let actions = app.audit_actions().await;
    assert_eq!(count(&actions, "auth.session.timeout"), 3, "{actions:?}");

    // Absolute lifetime (12 h by default) ends even a busy session.
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    for _ in 0..(12 * 60 / 10) {
        app.clock.advance_secs(10 * 60);
        let r = root.get("/api/v1/me").await;
        if r.status != StatusCode::OK {
            assert_eq!(r.json()["error"]["code"], "session_expired");
            assert_eq!(count(&app.audit_actions().await, "auth.session.expired"), 1);
            return;
        }
    }
    panic!("the session outlived its lifetime");
}

pub async fn admin_single_session(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    // Default: a new login ends the earlier one.
    let first = app.api_login("root", ADMIN_PASSWORD).await;
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    assert_eq!(
        first.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "replaced"
    );
    assert_eq!(web.get("/dashboard").await.status, StatusCode::OK);
    assert_eq!(
        count(&app.audit_actions().await, "auth.session.replaced"),
        1
    );

    // Editors may hold several sessions.
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_user(&root, "lee", "editor", "Cedar-Pass-123").await;
    let a = app.api_login("lee", "Cedar-Pass-123").await;
    let b = app.api_login("lee", "Cedar-Pass-123").await;
    assert_eq!(a.get("/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(b.get("/api/v1/me").await.status, StatusCode::OK);

    // Policy "refuse_new": the second administrator login is refused.
    let mut policy = root.get("/api/v1/settings/security").await.json();
    policy["admin_sessions"] = "refuse_new".into();
    assert_eq!(
        root.call(
            axum::http::Method::PUT,
            "/api/v1/settings/security",
            Some(policy)
        )
        .await
        .status,
        StatusCode::OK
    );
    let second = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.json()["error"]["code"], "session_refused");
    assert_eq!(
        root.get("/api/v1/me").await.status,
        StatusCode::OK,
        "the first session lives on"
    );
    // Once it ends, logging in works again.
    root.post("/api/v1/auth/logout", serde_json::json!({}))
        .await;
    app.api_login("root", ADMIN_PASSWORD).await;
}

pub async fn totp_second_factor(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let enrol = root
        .post("/api/v1/account/totp", serde_json::json!({}))
        .await
        .json();
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    assert!(
        enrol["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/medsec:root?")
    );
    let now = || u64::try_from(app.clock_now() / 1000).unwrap();
    let bad = root
        .post(
            "/api/v1/account/totp/confirm",
            serde_json::json!({"code": "000000"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = medsec_core::totp::code_at(&secret, now()).unwrap();
    assert_eq!(
        root.post(
            "/api/v1/account/totp/confirm",
            serde_json::json!({"code": code})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );

    // API login now needs the code; a replayed code is refused.
    let no_code = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(no_code.status, StatusCode::UNAUTHORIZED);
    let replay = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": ADMIN_PASSWORD, "totp": code}),
        )
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNAUTHORIZED,
        "the enrolment code was used"
    );
    app.clock.advance_secs(30);
    let code = medsec_core::totp::code_at(&secret, now()).unwrap();
    let ok = app
        .api()
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "root", "password": ADMIN_PASSWORD, "totp": code}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    // Web login: password, then the TOTP page.
    app.clock.advance_secs(30);
    let mut b = app.browser();
    let r = b.login("root", ADMIN_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login/totp"));
    assert_eq!(
        b.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "not logged in before the code"
    );
    b.get("/login/totp").await;
    let wrong = b.post("/login/totp", &[("code", "123456")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = medsec_core::totp::code_at(&secret, now()).unwrap();
    let r = b.post("/login/totp", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);
    let actions = app.audit_actions().await;
    assert!(count(&actions, "auth.totp.failure") >= 2);
    assert_eq!(count(&actions, "auth.totp.enabled"), 1);
}

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use medsec_server::clock::Clock;
        self.clock.now().0
    }
}

pub async fn password_rules_and_history(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let check = |new: &'static str| {
        let root = &root;
        async move {
            root.post(
                "/api/v1/account/password",
                serde_json::json!({"current_password": ADMIN_PASSWORD, "new_password": new}),
            )
            .await
        }
    };
    for (pw, code) in [
        ("short1!", "password_too_short"),
        ("onlyletters", "password_too_short"),
        ("xxroot12345", "password_contains_username"),
        ("Password1!", "password_common"),
        (ADMIN_PASSWORD, "password_reused"),
    ] {
        let r = check(pw).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{pw}");
        assert_eq!(r.json()["error"]["code"], code, "{pw}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], "new_password");
    }
    let wrong_current = root
        .post(
            "/api/v1/account/password",
            serde_json::json!({"current_password": "nope", "new_password": "Another-Pass-99"}),
        )
        .await;
    assert_eq!(wrong_current.json()["error"]["field"], "current_password");
    // 9 characters of three classes, and 10 of two, are accepted.
    assert_eq!(check("abcxyz12!").await.status, StatusCode::NO_CONTENT);
    let root = app.api_login("root", "abcxyz12!").await;
    let r = root
        .post(
            "/api/v1/account/password",
            serde_json::json!({"current_password": "abcxyz12!", "new_password": "qwmnbv5678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // The last three may not come back.
    let root = app.api_login("root", "qwmnbv5678").await;
    let r = root
        .post(
            "/api/v1/account/password",
            serde_json::json!({"current_password": "qwmnbv5678", "new_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "password_reused");
    // Stored as Argon2id, never in clear.
    let (_, creds) = app
        .state
        .store
        .principal_by_username("root")
        .await
        .unwrap()
        .unwrap();
    assert!(creds.password_hash.unwrap().starts_with("$argon2id$"));
}

pub async fn forced_password_change_and_expiry(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let mut policy = root.get("/api/v1/settings/security").await.json();
    policy["password_max_age_days"] = 90.into();
    root.call(
        axum::http::Method::PUT,
        "/api/v1/settings/security",
        Some(policy),
    )
    .await;
    app.clock.advance_secs(91 * 86_400);
    let mut b = app.browser();
    b.login("root", ADMIN_PASSWORD).await;
    let r = b.get("/dashboard").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/password");
    let page = b.get("/account/password").await;
    assert!(page.body.contains("계속하려면 비밀번호를 변경해야 합니다"));
    let api = app.api_login("root", ADMIN_PASSWORD).await;
    assert_eq!(
        api.get("/api/v1/users").await.json()["error"]["code"],
        "password_change_required"
    );
    assert_eq!(
        api.get("/api/v1/me").await.json()["password_change_required"],
        true
    );
    let mut b = app.browser();
    b.login("root", ADMIN_PASSWORD).await;
    b.get("/account/password").await;
    let r = b
        .post(
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "Fresh-Pass-2026"),
                ("new_password_confirm", "Fresh-Pass-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);

    // TOTP required for administrators: enrolment comes first. (The API
    // login ends the web session: one session per administrator.)
    let root = app.api_login("root", "Fresh-Pass-2026").await;
    let mut policy = root.get("/api/v1/settings/security").await.json();
    policy["require_totp_for_admins"] = true.into();
    root.call(
        axum::http::Method::PUT,
        "/api/v1/settings/security",
        Some(policy),
    )
    .await;
    b.login("root", "Fresh-Pass-2026").await;
    let r = b.get("/dashboard").await;
    assert_eq!(r.location(), "/account/totp");
    assert!(
        b.get("/account/totp").await.body.contains("<svg"),
        "the QR code"
    );
}

pub async fn api_tokens_are_scoped_and_expire(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let made = root
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "reader", "scopes": ["read"], "days": 1}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let secret = made.json()["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("msk_"));
    let reader = crate::Api {
        app: &app,
        token: Some(secret.clone()),
    };
    assert_eq!(reader.get("/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(
        reader.get("/api/v1/users").await.status,
        StatusCode::FORBIDDEN,
        "read scope cannot administer"
    );
    let r = reader
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "x", "scopes": ["read"], "days": 1}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "a token may make tokens within its own scope"
    );
    // But never more than its own scope, and never touch credentials.
    for (scopes, code) in [
        (serde_json::json!(["admin"]), "scope_above_token"),
        (serde_json::json!(["write"]), "scope_above_token"),
        (serde_json::json!(["metrics"]), "scope_above_token"),
    ] {
        let r = reader
            .post(
                "/api/v1/tokens",
                serde_json::json!({"name": "up", "scopes": scopes, "days": 1}),
            )
            .await;
        assert_eq!(r.json()["error"]["code"], code, "{}", r.body);
    }
    let r = reader.post("/api/v1/account/password", serde_json::json!({"current_password": ADMIN_PASSWORD, "new_password": "Token-Stolen-1"})).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a token cannot change the password"
    );
    assert_eq!(
        reader
            .post("/api/v1/account/totp", serde_json::json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = reader.get("/api/v1/sessions").await.json();
    let sid = own[0]["id"].as_str().unwrap();
    assert_eq!(
        reader
            .call(
                axum::http::Method::DELETE,
                &format!("/api/v1/sessions/{sid}"),
                None
            )
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a read token cannot end sessions"
    );
    // Metrics need the metrics scope.
    assert_eq!(reader.get("/metrics").await.status, StatusCode::FORBIDDEN);
    let m = root
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "prometheus", "scopes": ["metrics"], "days": 30}),
        )
        .await
        .json();
    let metrics = crate::Api {
        app: &app,
        token: Some(m["token"].as_str().unwrap().to_owned()),
    };
    let text = metrics.get("/metrics").await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(text.body.contains("medsec_logins_succeeded_total"));
    // Stored hashed only.
    let listed = root.get("/api/v1/tokens").await.body;
    assert!(!listed.contains(&secret));
    // An editor cannot mint an admin token.
    app.add_user(&root, "park", "editor", "Birch-Pass-123")
        .await;
    let park = app.api_login("park", "Birch-Pass-123").await;
    let r = park
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "x", "scopes": ["admin"], "days": 1}),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "scope_above_role");
    // Expiry and revocation.
    app.clock.advance_secs(86_401);
    assert_eq!(
        reader.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    let id = m["info"]["id"].as_str().unwrap();
    assert_eq!(
        root.call(
            axum::http::Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        metrics.get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
}

pub async fn login_flood_is_bounded(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    // 150 concurrent logins with a queue of 64: the excess is refused with
    // 503 at once instead of piling up work.
    let mut tasks = Vec::new();
    for i in 0..150 {
        let router = app.router.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body =
                serde_json::json!({"username": format!("flood{i}"), "password": "whatever-123"})
                    .to_string();
            let req = axum::http::Request::post("/api/v1/auth/login")
                .header("content-type", "application/json")
                .header("host", crate::HOST)
                .body(axum::body::Body::from(body))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut busy = 0;
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::SERVICE_UNAVAILABLE => busy += 1,
            StatusCode::UNAUTHORIZED => failed += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(busy + failed, 150);
    assert!(busy > 0, "the queue bound was never reached");
    assert!(
        failed >= 64,
        "the queue admitted at least its size ({failed})"
    );
    // And the server still serves logins afterwards.
    app.api_login("root", ADMIN_PASSWORD).await;
}

pub async fn setup_link_and_init(db: TestDb) {
    let app = TestApp::new(db).await;
    // Nothing but the setup link gets anywhere on an empty instance.
    let mut b = app.browser();
    assert_eq!(b.get("/setup").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get("/setup?token=guess").await.status,
        StatusCode::NOT_FOUND
    );
    let token = medsec_server::service::issue_setup_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let page = b.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Weak password: errors next to the field, nothing created.
    let r = b
        .post(
            "/setup",
            &[
                ("token", &token),
                ("org_name", "서울의료ISAC"),
                ("org_kind", "isac"),
                ("username", "admin"),
                ("display_name", "관리자"),
                ("password", "1234"),
                ("password_confirm", "1234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"e-password\""),
        "the message is next to the password field"
    );
    assert!(
        r.body.contains("서울의료ISAC"),
        "other fields keep their values"
    );
    assert_eq!(app.state.store.user_count().await.unwrap(), 0);
    let r = b
        .post(
            "/setup",
            &[
                ("token", &token),
                ("org_name", "서울의료ISAC"),
                ("org_kind", "isac"),
                ("username", "admin"),
                ("display_name", "관리자"),
                ("password", "Strong-Pass-1"),
                ("password_confirm", "Strong-Pass-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The link is used up; the page is gone for good.
    assert_eq!(
        b.get(&format!("/setup?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        medsec_server::service::issue_setup_token(&app.state)
            .await
            .unwrap()
            .is_none()
    );
    let r = b.login("admin", "Strong-Pass-1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let dash = b.get("/dashboard").await;
    assert!(dash.body.contains("의료ISAC 작업 공간"));
    assert!(dash.body.contains("첫 로그인입니다"));
}
