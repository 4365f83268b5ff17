//! `medsec crisis`: the ISAC sets the sector level from the command line;
//! the change is audited as `cli`, the members are notified, and `show`
//! prints the level, the checklist and the history.

use super::*;

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn crisis_set_and_show_act_as_the_isac() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();

    // Without an ISAC there is no one to act as.
    ok(&[
        "org",
        "create",
        "--name",
        "서울병원",
        "--kind",
        "hospital",
        "--data-dir",
        d,
    ]);
    let out = run(&["crisis", "show", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("there is no ISAC organisation"),
        "{}",
        text(&out.stderr)
    );
    ok(&[
        "org",
        "create",
        "--name",
        "의료ISAC",
        "--kind",
        "isac",
        "--data-dir",
        d,
    ]);
    ok(&[
        "org",
        "create",
        "--name",
        "부산병원",
        "--kind",
        "hospital",
        "--data-dir",
        d,
    ]);

    let shown = ok(&["crisis", "show", "--data-dir", d]);
    assert!(
        shown.starts_with("level: 정상 (normal), never set"),
        "{shown}"
    );
    assert!(shown.contains("normal-log-forwarding"), "{shown}");

    let set = ok(&[
        "crisis",
        "set",
        "경계",
        "--reason",
        "의료기관 대상 랜섬웨어 유포 확인",
        "--data-dir",
        d,
    ]);
    assert_eq!(
        set.trim(),
        "crisis level set: 경계 (alert), was 정상 (normal); 2 member hospitals notified, 0 webhook deliveries queued"
    );
    // The same again tells nobody anything; a bad level or reason says
    // which field.
    for (args, says) in [
        (
            vec!["alert", "--reason", "의료기관 대상 랜섬웨어 유포 확인"],
            "reason: This is the level in force with the same reason",
        ),
        (
            vec!["purple", "--reason", "의료기관 대상"],
            "level: Choose one",
        ),
        (vec!["severe", "--reason", "짧음"], "reason: Use 5 to 1000"),
    ] {
        let mut all = vec!["crisis", "set"];
        all.extend(args);
        all.extend(["--data-dir", d]);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(1), "{all:?}");
        assert!(text(&out.stderr).contains(says), "{}", text(&out.stderr));
    }

    let shown = ok(&["crisis", "show", "--data-dir", d]);
    assert!(shown.starts_with("level: 경계 (alert) since "), "{shown}");
    assert!(
        shown.contains(", set by cli\nreason: 의료기관 대상 랜섬웨어 유포 확인\n"),
        "{shown}"
    );
    assert!(shown.contains("  alert-24h-monitoring\t"), "{shown}");
    assert!(
        shown.contains("부산병원\t0/6\t-\n") && shown.contains("서울병원\t0/6\t-\n"),
        "{shown}"
    );
    let history: Vec<&str> = shown
        .split("history\tlevel\tset by\treason\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(history.len(), 1);
    assert!(history[0].ends_with("\talert\tcli\t의료기관 대상 랜섬웨어 유포 확인"));

    // Audited as the command line, in the ISAC's log; the chain holds.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = medsec_store::Store::open(
            data.join("medsec.db").to_str().unwrap(),
            &medsec_store::OpenOptions::default(),
        )
        .await
        .unwrap();
        let isac = store
            .list_orgs()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.kind == medsec_core::OrgKind::Isac)
            .unwrap();
        let f = medsec_store::AuditFilter {
            action: Some("crisis.level.set".into()),
            limit: 10,
            ..Default::default()
        };
        let records = store.list_audit(&isac.id, false, &f).await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].actor, "cli");
        assert_eq!(records[0].source, "cli");
        for o in store.list_orgs().await.unwrap() {
            let told = store
                .notifications(&o.id, "nobody", 10)
                .await
                .unwrap()
                .iter()
                .filter(|n| n.kind == "crisis.level_changed")
                .count();
            let expected = usize::from(o.kind == medsec_core::OrgKind::Hospital);
            assert_eq!(told, expected, "{}", o.name);
        }
        store.close().await;
    });
    let verified = run(&["audit", "verify", "--data-dir", d]);
    assert!(verified.status.success(), "{}", text(&verified.stdout));
}
