//! Organisation scoping, setup, users, sessions and tokens.

use medsec_core::audit::Action;
use medsec_core::org::Scope;
use medsec_core::{Role, Timestamp};
use medsec_store::testing::TestDb;
use medsec_store::{
    ApiToken, Client, OneTimePurpose, OtherSessions, Principal, Session, SessionKind, SessionStage,
    Setup, StoreError, UserStatus, UserUpdate,
};

use crate::{entry, org_with_user, setup};

async fn setup_runs_once(db: TestDb) {
    let s = &db.store;
    assert_eq!(s.user_count().await.unwrap(), 0);
    let (org, admin) = setup(s).await;
    assert!(org.is_operator);
    assert_eq!(admin.role, Role::Admin);
    let again = Setup {
        org_name: "Other".into(),
        org_kind: medsec_core::OrgKind::Hospital,
        username: "x".into(),
        display_name: "x".into(),
        password_hash: "h".into(),
    };
    let err = s
        .complete_setup(
            &again,
            None,
            Timestamp::now(),
            entry(Action::SetupCompleted),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(s.user_count().await.unwrap(), 1);
}

async fn setup_token_is_single_use(db: TestDb) {
    let s = &db.store;
    let now = Timestamp::now();
    s.create_one_time_token(OneTimePurpose::Setup, None, "h1", now, now.plus_secs(60))
        .await
        .unwrap();
    assert_eq!(
        s.peek_one_time_token(OneTimePurpose::Setup, "h1", now)
            .await
            .unwrap(),
        Some(None)
    );
    assert_eq!(
        s.peek_one_time_token(OneTimePurpose::Setup, "h1", now.plus_secs(61))
            .await
            .unwrap(),
        None,
        "expired"
    );
    let setup_req = Setup {
        org_name: "Op".into(),
        org_kind: medsec_core::OrgKind::Isac,
        username: "root1".into(),
        display_name: "R".into(),
        password_hash: "h".into(),
    };
    let wrong = s
        .complete_setup(&setup_req, Some("nope"), now, entry(Action::SetupCompleted))
        .await
        .unwrap_err();
    assert!(matches!(wrong, StoreError::NotFound { .. }));
    s.complete_setup(&setup_req, Some("h1"), now, entry(Action::SetupCompleted))
        .await
        .unwrap();
    assert_eq!(
        s.peek_one_time_token(OneTimePurpose::Setup, "h1", now)
            .await
            .unwrap(),
        None,
        "used up"
    );
}

async fn users_are_scoped_to_their_organisation(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let (a, alice) = org_with_user(s, "Alpha", Role::Editor).await;
    let (b, bob) = org_with_user(s, "Beta", Role::Viewer).await;
    assert!(s.get_user(&a.id, &alice.id).await.unwrap().is_some());
    assert!(s.get_user(&a.id, &bob.id).await.unwrap().is_none());
    let listed: Vec<_> = s
        .list_users(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&alice.id));
    let up = UserUpdate {
        role: Some(Role::Admin),
        ..Default::default()
    };
    assert!(matches!(
        s.update_user(
            &a.id,
            &bob.id,
            &up,
            Timestamp::now(),
            entry(Action::UserRoleChanged)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.delete_user(&a.id, &bob.id, entry(Action::UserDeleted))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.unlock_user(
            &a.id,
            &bob.id,
            Timestamp::now(),
            entry(Action::UserUnlocked)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.get_user(&b.id, &bob.id).await.unwrap().unwrap().role,
        Role::Viewer,
        "unchanged"
    );
    let audit_a = s
        .list_audit(
            &a.id,
            false,
            &medsec_store::AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        audit_a
            .iter()
            .all(|r| r.org_id.as_deref() == Some(a.id.as_str()))
    );
}

async fn usernames_and_org_names_are_unique(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let (a, alice) = org_with_user(s, "Alpha", Role::Editor).await;
    let dup = medsec_store::NewUser {
        org_id: a.id.clone(),
        username: alice.username.clone(),
        display_name: "x".into(),
        role: Role::Viewer,
        status: UserStatus::Pending,
        password_hash: None,
    };
    assert!(matches!(
        s.create_user(&dup, Timestamp::now(), entry(Action::UserCreated))
            .await,
        Err(StoreError::Conflict { what: "user" })
    ));
    let err = s
        .create_org(
            "Alpha",
            medsec_core::OrgKind::Hospital,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Conflict {
            what: "organisation"
        }
    ));
}

async fn lockout_and_last_login(db: TestDb) {
    let s = &db.store;
    let (_, admin) = setup(s).await;
    let now = Timestamp::now();
    for i in 1..=5 {
        let st = s
            .record_login_failure(
                &admin.id,
                5,
                now.plus_secs(1800),
                entry(Action::LoginFailure),
                entry(Action::Lockout),
            )
            .await
            .unwrap();
        assert_eq!(st.failed_logins, i);
        assert_eq!(st.locked_now, i == 5);
    }
    let (p, _) = s.principal_by_username("admin").await.unwrap().unwrap();
    assert_eq!(p.user.locked_until, Some(now.plus_secs(1800)));
    // A further failure while locked does not extend the lock.
    let st = s
        .record_login_failure(
            &admin.id,
            5,
            now.plus_secs(9999),
            entry(Action::LoginFailure),
            entry(Action::Lockout),
        )
        .await
        .unwrap();
    assert!(!st.locked_now);
    s.clear_expired_lock(&admin.id, now.plus_secs(10))
        .await
        .unwrap();
    assert!(
        s.principal(&admin.id)
            .await
            .unwrap()
            .unwrap()
            .0
            .user
            .locked_until
            .is_some(),
        "not yet expired"
    );
    s.clear_expired_lock(&admin.id, now.plus_secs(1801))
        .await
        .unwrap();
    let (p, _) = s.principal(&admin.id).await.unwrap().unwrap();
    assert_eq!((p.user.locked_until, p.user.failed_logins), (None, 0));

    // Two logins: the second sees the first as "previous".
    for (i, ip) in ["10.0.0.1", "10.0.0.2"].iter().enumerate() {
        let (p, _) = s.principal(&admin.id).await.unwrap().unwrap();
        let sess = Session::new(
            format!("hash{i}"),
            &p,
            SessionKind::Web,
            SessionStage::Full,
            now.plus_secs(i as i64),
            3600,
            Client {
                ip,
                user_agent: "ua",
            },
        );
        s.create_session(
            &sess,
            OtherSessions::Keep,
            Some(entry(Action::LoginSuccess)),
        )
        .await
        .unwrap();
    }
    let (p, _) = s.principal(&admin.id).await.unwrap().unwrap();
    assert_eq!(p.user.last_login_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!(p.user.prev_login_ip.as_deref(), Some("10.0.0.1"));
}

fn principal_session(p: &Principal, hash: &str, now: Timestamp, stage: SessionStage) -> Session {
    Session::new(
        hash.into(),
        p,
        SessionKind::Web,
        stage,
        now,
        3600,
        Client {
            ip: "127.0.0.1",
            user_agent: "test",
        },
    )
}

async fn sessions_end_replace_and_expire(db: TestDb) {
    let s = &db.store;
    let (_, admin) = setup(s).await;
    let (p, _) = s.principal(&admin.id).await.unwrap().unwrap();
    let now = Timestamp::now();
    s.create_session(
        &principal_session(&p, "s1", now, SessionStage::Full),
        OtherSessions::Keep,
        Some(entry(Action::LoginSuccess)),
    )
    .await
    .unwrap();
    assert!(
        s.has_live_session(&admin.id, now, now.plus_secs(-900))
            .await
            .unwrap()
    );
    let ended = s
        .create_session(
            &principal_session(&p, "s2", now, SessionStage::Full),
            OtherSessions::End,
            Some(entry(Action::LoginSuccess)),
        )
        .await
        .unwrap();
    assert_eq!(
        ended.iter().map(|s| s.id_hash.as_str()).collect::<Vec<_>>(),
        ["s1"]
    );
    assert!(s.session("s1").await.unwrap().is_none());
    assert!(s.session("s2").await.unwrap().is_some());

    // TOTP stage, then promotion.
    s.create_session(
        &principal_session(&p, "s3", now, SessionStage::Totp),
        OtherSessions::Keep,
        None,
    )
    .await
    .unwrap();
    let (s3, _, _) = s.session("s3").await.unwrap().unwrap();
    s.promote_session(&s3, 42, OtherSessions::End, entry(Action::LoginSuccess))
        .await
        .unwrap();
    assert_eq!(
        s.session("s3").await.unwrap().unwrap().0.stage,
        SessionStage::Full
    );
    assert!(
        s.session("s2").await.unwrap().is_none(),
        "replaced by the promoted session"
    );
    assert_eq!(
        s.principal(&admin.id)
            .await
            .unwrap()
            .unwrap()
            .1
            .totp_last_step,
        Some(42)
    );
    assert!(
        s.promote_session(&s3, 43, OtherSessions::Keep, entry(Action::LoginSuccess))
            .await
            .is_err(),
        "only once"
    );

    // Idle expiry by the sweeper, with an audit record per session.
    s.touch_session("s3", now.plus_secs(100)).await.unwrap();
    let expired = s
        .expire_sessions(
            now.plus_secs(200),
            now.plus_secs(50),
            &entry(Action::SessionTimeout),
        )
        .await
        .unwrap();
    assert!(expired.is_empty(), "touched after the idle cut-off");
    let expired = s
        .expire_sessions(
            now.plus_secs(2000),
            now.plus_secs(1000),
            &entry(Action::SessionTimeout),
        )
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    let records = s
        .list_audit(
            &p.org.id,
            false,
            &medsec_store::AuditFilter {
                action: Some("auth.session.timeout".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor, "admin");

    // Logout ends only the user's own session.
    s.create_session(
        &principal_session(&p, "s4", now, SessionStage::Full),
        OtherSessions::Keep,
        None,
    )
    .await
    .unwrap();
    assert!(
        !s.end_session("s4", "someone-else", entry(Action::Logout))
            .await
            .unwrap()
    );
    assert!(
        s.end_session("s4", &admin.id, entry(Action::Logout))
            .await
            .unwrap()
    );
}

async fn tokens_are_hashed_scoped_and_expire(db: TestDb) {
    let s = &db.store;
    let (org, admin) = setup(s).await;
    let now = Timestamp::now();
    let t = ApiToken {
        id: medsec_core::new_id(),
        user_id: admin.id.clone(),
        org_id: org.id.clone(),
        name: "ci".into(),
        prefix: "msk_abcd".into(),
        scopes: vec![Scope::Read],
        created_at: now,
        expires_at: now.plus_secs(60),
        last_used_at: None,
        revoked_at: None,
    };
    s.create_token(&t, "tokhash", entry(Action::TokenCreated))
        .await
        .unwrap();
    let (found, p, _) = s.token("tokhash", now).await.unwrap().unwrap();
    assert_eq!(
        (found.scopes.clone(), p.user.id.clone()),
        (vec![Scope::Read], admin.id.clone())
    );
    assert!(
        s.token("tokhash", now.plus_secs(61))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(matches!(
        s.revoke_token("other-user", &t.id, now, entry(Action::TokenRevoked))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    s.revoke_token(&admin.id, &t.id, now, entry(Action::TokenRevoked))
        .await
        .unwrap();
    assert!(s.token("tokhash", now).await.unwrap().is_none(), "revoked");
    assert_eq!(
        s.list_tokens(&admin.id).await.unwrap()[0].revoked_at,
        Some(now)
    );
}

async fn password_history_keeps_the_newest(db: TestDb) {
    let s = &db.store;
    let (_, admin) = setup(s).await;
    let t0 = Timestamp::now();
    for i in 1..=5 {
        s.set_password(
            &admin.id,
            &format!("h{i}"),
            false,
            3,
            t0.plus_secs(i),
            entry(Action::PasswordChanged),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        s.password_history(&admin.id, 10).await.unwrap(),
        ["h5", "h4", "h3"]
    );
}

async fn disabling_an_org_ends_its_sessions(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let (org, user) = org_with_user(s, "Gamma", Role::Editor).await;
    let (p, _) = s.principal(&user.id).await.unwrap().unwrap();
    s.create_session(
        &principal_session(&p, "g1", Timestamp::now(), SessionStage::Full),
        OtherSessions::Keep,
        None,
    )
    .await
    .unwrap();
    let updated = s
        .update_org(
            &org.id,
            None,
            Some(false),
            Timestamp::now(),
            entry(Action::OrgDisabled),
        )
        .await
        .unwrap();
    assert!(!updated.enabled);
    assert!(s.session("g1").await.unwrap().is_none());
    let op = s
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.is_operator)
        .unwrap();
    assert!(
        s.update_org(
            &op.id,
            None,
            Some(false),
            Timestamp::now(),
            entry(Action::OrgDisabled)
        )
        .await
        .is_err(),
        "the operator cannot be disabled"
    );
    assert_eq!(
        s.update_org(
            &op.id,
            Some("Renamed"),
            None,
            Timestamp::now(),
            entry(Action::OrgUpdated)
        )
        .await
        .unwrap()
        .name,
        "Renamed"
    );
}

async fn an_organisation_and_its_admin_are_created_together(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let admin = |name: &str| {
        Some((
            medsec_store::NewUser {
                org_id: String::new(),
                username: name.into(),
                display_name: "A".into(),
                role: Role::Admin,
                status: UserStatus::Pending,
                password_hash: None,
            },
            entry(Action::UserCreated),
        ))
    };
    let (org, user) = s
        .create_org(
            "Gamma",
            medsec_core::OrgKind::Hospital,
            Timestamp::now(),
            entry(Action::OrgCreated),
            admin("gadmin"),
        )
        .await
        .unwrap();
    let user = user.unwrap();
    assert_eq!(
        (user.org_id.as_str(), user.status),
        (org.id.as_str(), UserStatus::Pending)
    );
    // The user id is taken: neither the organisation nor the user is made.
    let err = s
        .create_org(
            "Delta",
            medsec_core::OrgKind::Hospital,
            Timestamp::now(),
            entry(Action::OrgCreated),
            admin("gadmin"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { what: "user" }),
        "{err}"
    );
    assert!(
        s.list_orgs()
            .await
            .unwrap()
            .iter()
            .all(|o| o.name != "Delta")
    );
}

medsec_store::both_backends!(
    an_organisation_and_its_admin_are_created_together,
    setup_runs_once,
    setup_token_is_single_use,
    users_are_scoped_to_their_organisation,
    usernames_and_org_names_are_unique,
    lockout_and_last_login,
    sessions_end_replace_and_expire,
    tokens_are_hashed_scoped_and_expire,
    password_history_keeps_the_newest,
    disabling_an_org_ends_its_sessions,
);
