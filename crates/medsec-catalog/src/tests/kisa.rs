//! Checks of the kisa catalogue data: ids, counts and wording against
//! seed 003, the group tree, and the mapping of device requirements to the
//! threats whose 관련 보안대책 name their 보안항목.

use super::*;
use std::collections::BTreeMap;

const SEED: &str = "003_c0456e1f97fc7b59.txt";

/// The device requirement ids of seed 003 per 보안항목 group, in the
/// seed's numbering order (the PDF extraction prints 1.4.4–1.4.7 after 3.5.1).
const DEVICE_IDS: &[(&str, &str)] = &[
    ("device.auth.user-auth", "1.1.1 1.1.2 1.1.3 1.1.4"),
    ("device.auth.device-auth", "1.2.1 1.2.2 1.2.3 1.2.4 1.2.5"),
    (
        "device.auth.access-control",
        "1.3.1 1.3.2 1.3.3 1.3.4 1.3.5 1.3.6 1.3.7 1.3.8 1.3.9",
    ),
    (
        "device.auth.password",
        "1.4.1 1.4.2 1.4.3 1.4.4 1.4.5 1.4.6 1.4.7",
    ),
    ("device.crypto.algorithm", "2.1.1"),
    ("device.crypto.key-management", "2.2.1 2.2.2"),
    ("device.crypto.random", "2.3.1"),
    ("device.data.input-validation", "3.1.1 3.1.2 3.1.3"),
    ("device.data.flow-control", "3.2.1"),
    ("device.data.stored", "3.3.1 3.3.2 3.3.3"),
    ("device.data.transmitted", "3.4.1 3.4.2"),
    ("device.data.privacy", "3.5.1"),
    ("device.comm.session", "4.1.1 4.1.2 4.1.3 4.1.4"),
    ("device.comm.secure-comm", "4.2.1"),
    ("device.mgmt.update", "5.1.1 5.1.2 5.1.3 5.1.4"),
    ("device.mgmt.service", "5.2.1 5.2.2 5.2.3 5.2.4 5.2.5"),
    ("device.mgmt.config", "5.3.1 5.3.2"),
    ("device.mgmt.audit", "5.4.1 5.4.2 5.4.3"),
    ("device.mgmt.secure-dev", "5.5.1"),
    ("device.mgmt.vulnerability", "5.6.1 5.6.2"),
    ("device.physical.interface", "6.1.1 6.1.2"),
];

/// Items per type group, as counted in the seed.
const TYPE_COUNTS: &[(&str, usize)] = &[
    ("device.auth", 25),
    ("device.crypto", 4),
    ("device.data", 10),
    ("device.comm", 5),
    ("device.mgmt", 17),
    ("device.physical", 2),
    ("app.auth", 9),
    ("app.crypto", 1),
    ("app.data", 2),
    ("app.platform", 15),
    ("web.input", 4),
    ("web.auth", 3),
    ("web.crypto", 2),
    ("web.security", 2),
    ("infra.server", 17),
    ("infra.webserver", 9),
    ("infra.dbms", 10),
];

/// Items per part of the guide, as counted in the seed.
const PART_COUNTS: &[(&str, usize)] = &[("device", 63), ("app", 27), ("web", 11), ("infra", 36)];

/// The rows of the four threat tables, in the seed's order, per group.
const THREATS: &[(&str, &[&str])] = &[
    (
        "threat.auth",
        &[
            "인증우회",
            "비인가된 기기 연결",
            "과도한 권한 부여",
            "연속된 인증시도",
            "응급상황 대응 제한",
            "동시접속에 따른 정책 일관성 오류",
            "인증정보 노출 및 유추",
            "취약한 비밀번호",
            "인증 결과 변조",
        ],
    ),
    ("threat.crypto", &["취약한 암호화", "취약한 암호 알고리즘"]),
    (
        "threat.data-comm",
        &[
            "입력값 검증 부재",
            "신뢰할 수 없는 데이터 송수신",
            "데이터 노출 및 변조",
            "사용자 세션 탈취",
        ],
    ),
    (
        "threat.device-physical",
        &[
            "안전하지 않은 업데이트",
            "업데이트 실패",
            "무결성 오류",
            "서비스 거부",
            "악성행위",
            "잔여정보 악용",
            "중요 설정 임의 변경",
            "오류 대응",
            "안전하지 않은 개발",
            "취약한 운영체제",
            "취약한 3rd party 모듈/라이브러리 사용",
            "시스템 로그에 민감한 정보 기록",
            "디버깅을 통한 중요정보 노출",
            "비인가된 물리적 접근",
        ],
    ),
];

/// Threat texts a page break cuts in the extraction: (threat id, field,
/// the text up to the cut). Every other text must occur in one piece.
const PAGE_BREAKS: &[(&str, &str, &str)] = &[
    ("credential-exposure", "text_ko", "피드백으로 되어 인"),
    ("session-hijacking", "title_ko", "사용자 세션"),
    ("session-hijacking", "text_ko", "사용자 세션을 이용하"),
];

fn kisa() -> &'static Catalog {
    all().get("kisa-dh").unwrap()
}

/// All whitespace removed, as `seed()` does to the seed.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The group's parent, which must exist.
fn parent<'a>(c: &'a Catalog, group: &str) -> &'a str {
    let g = c
        .group(group)
        .unwrap_or_else(|| panic!("unknown group {group}"));
    g.parent
        .as_deref()
        .unwrap_or_else(|| panic!("group {group} has no parent"))
}

/// (part, type group, 보안항목 group) of an item: `device`, `app`, `web` or
/// `infra`; e.g. `device.auth`; e.g. `device.auth.user-auth`.
fn place<'a>(c: &'a Catalog, item: &'a Item) -> (&'a str, &'a str, &'a str) {
    let leaf = item
        .group
        .as_deref()
        .unwrap_or_else(|| panic!("{} has no group", item.id));
    let ty = parent(c, leaf);
    let part = parent(c, ty);
    (part, ty, leaf)
}

fn device_items(c: &Catalog) -> impl Iterator<Item = &Item> {
    c.item.iter().filter(|i| place(c, i).0 == "device")
}

#[test]
fn kisa_header() {
    let h = &kisa().catalog;
    assert_eq!(h.kind, Kind::Guide);
    assert_eq!(h.title_ko, "디지털헬스케어 보안 가이드");
    assert_eq!(h.publisher_ko, "한국인터넷진흥원");
    assert_eq!(h.publisher_en, "Korea Internet & Security Agency (KISA)");
    assert_eq!(h.edition, "seed 003");
    assert_eq!(h.issued, None, "the seed gives no date");
    assert!(!h.default_for_new);
    assert_eq!(h.sources.len(), 1);
    assert_eq!(
        h.sources[0].title,
        "KISA 디지털헬스케어 보안 가이드 (seed 003)"
    );
    let note = h.note_en.as_deref().unwrap();
    assert!(
        note.contains("app.user-auth.01") && note.contains("infra.server.account.03"),
        "note_en explains the ids"
    );
}

#[test]
fn kisa_device_ids_are_exactly_the_seeds() {
    let c = kisa();
    let ids: Vec<(&str, &str)> = device_items(c)
        .map(|i| (i.id.as_str(), place(c, i).2))
        .collect();
    let expected: Vec<(&str, &str)> = DEVICE_IDS
        .iter()
        .flat_map(|(g, ids)| ids.split(' ').map(move |id| (id, *g)))
        .collect();
    assert_eq!(expected.len(), 63);
    assert_eq!(ids, expected);
    // The crosswalk names these.
    for id in ["1.1.1", "1.4.7", "3.5.1", "6.1.2"] {
        assert!(
            all().resolve(&format!("kisa-dh:{id}")).is_some(),
            "kisa-dh:{id}"
        );
    }
}

#[test]
fn kisa_device_numbering_follows_the_groups() {
    // `a.b.c`: every item of one `a.b` is in one 보안항목 group and every
    // `a` in one type group; different numbers, different groups.
    let c = kisa();
    let mut sections: BTreeMap<String, &str> = BTreeMap::new();
    let mut types: BTreeMap<String, &str> = BTreeMap::new();
    for item in device_items(c) {
        let (_, ty, leaf) = place(c, item);
        let (ab, _) = item.id.rsplit_once('.').unwrap();
        let (a, _) = ab.split_once('.').unwrap();
        assert_eq!(
            *sections.entry(ab.to_owned()).or_insert(leaf),
            leaf,
            "{}",
            item.id
        );
        assert_eq!(*types.entry(a.to_owned()).or_insert(ty), ty, "{}", item.id);
    }
    let distinct = |m: &BTreeMap<String, &str>| m.values().collect::<BTreeSet<_>>().len();
    assert_eq!(sections.len(), 21);
    assert_eq!(distinct(&sections), 21);
    assert_eq!(types.len(), 6);
    assert_eq!(distinct(&types), 6);
    assert_eq!(types["1"], "device.auth");
    assert_eq!(sections["1.4"], "device.auth.password");
    assert_eq!(
        c.group("device.auth.password").unwrap().title_ko,
        "안전한 비밀번호 메커니즘"
    );
    assert_eq!(types["6"], "device.physical");
}

#[test]
fn kisa_counts_per_part_and_type() {
    let c = kisa();
    let mut parts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for item in &c.item {
        let (part, ty, _) = place(c, item);
        *parts.entry(part).or_default() += 1;
        *types.entry(ty).or_default() += 1;
    }
    assert_eq!(parts, PART_COUNTS.iter().copied().collect());
    assert_eq!(types, TYPE_COUNTS.iter().copied().collect());
    assert_eq!(c.item.len(), 137);
    // The service parts hang under one group, as in the seed.
    for part in ["app", "web", "infra"] {
        assert_eq!(parent(c, part), "service");
    }
}

#[test]
fn kisa_service_ids_end_with_the_seeds_number() {
    // `<보안항목 group>.<nn>`; numbers run 01, 02 … within the 보안항목
    // (app, infra) or within the type (web), in the seed's order.
    let c = kisa();
    let mut next: BTreeMap<&str, u32> = BTreeMap::new();
    for item in &c.item {
        let (part, ty, leaf) = place(c, item);
        if part == "device" {
            continue;
        }
        let (prefix, num) = item.id.rsplit_once('.').unwrap();
        assert_eq!(
            prefix, leaf,
            "{}: the id is its group and a number",
            item.id
        );
        assert!(leaf.starts_with(&format!("{part}.")), "{leaf}");
        assert_eq!(num.len(), 2, "{}", item.id);
        let counter = next
            .entry(if part == "web" { ty } else { leaf })
            .or_insert(0);
        *counter += 1;
        assert_eq!(
            num.parse::<u32>().unwrap(),
            *counter,
            "{}: out of sequence",
            item.id
        );
    }
    for (id, text) in [
        ("app.user-auth.01", "처음 제품을 사용할 때"),
        ("app.credential-use.02", "마스킹 처리해야 한다."),
        ("app.software-security.01", "시큐어코딩"),
        ("app.software-security-2.01", "난독화"),
        ("web.sql-injection.01", "DB 정보 유출"),
        ("web.path-traversal.04", "시스템 파일"),
        ("infra.server.account.03", "Session Timeout 설정"),
        ("infra.webserver.config.04", "HTTP Method 제한"),
        ("infra.dbms.access.03", "잠금 정책"),
        ("infra.dbms.log.01", "Audit Table"),
    ] {
        let item = c.item(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(item.text_ko.as_deref().unwrap().contains(text), "{id}");
    }
}

#[test]
fn kisa_every_item_has_a_group_and_its_title() {
    let c = kisa();
    for item in &c.item {
        let (_, _, leaf) = place(c, item);
        let group = c.group(leaf).unwrap();
        assert_eq!(
            item.title_ko, group.title_ko,
            "{}: title_ko is the 보안항목",
            item.id
        );
        assert_eq!(item.title_en, group.title_en, "{}", item.id);
        assert!(
            item.text_ko.is_some() && item.text_en.is_some(),
            "{}",
            item.id
        );
        assert_eq!(item.source, Source::Seed003, "{}", item.id);
        assert_eq!(item.confidence, Confidence::High, "{}", item.id);
    }
    for t in &c.threat {
        assert_eq!(parent(c, t.group.as_deref().unwrap()), "threat", "{}", t.id);
        assert_eq!(t.source, Source::Seed003, "{}", t.id);
        assert_eq!(t.confidence, Confidence::High, "{}", t.id);
        assert_eq!(
            t.countermeasures_ko.len(),
            t.countermeasures_en.len(),
            "{}",
            t.id
        );
        assert!(!t.countermeasures_ko.is_empty(), "{}", t.id);
    }
}

#[test]
fn kisa_threat_rows_are_the_seeds() {
    let c = kisa();
    let mut by_group: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &c.threat {
        by_group
            .entry(t.group.as_deref().unwrap())
            .or_default()
            .push(&t.title_ko);
    }
    let expected: BTreeMap<&str, Vec<&str>> = THREATS
        .iter()
        .map(|(g, titles)| (*g, titles.to_vec()))
        .collect();
    assert_eq!(by_group, expected);
    assert_eq!(c.threat.len(), 29);
    for t in &c.threat {
        assert!(
            t.id.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{}",
            t.id
        );
    }
}

/// Pieces of a threat's text as the seed prints them: cut after each
/// declared page break.
fn pieces<'a>(threat: &str, field: &str, text: &'a str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    for (_, _, cut) in PAGE_BREAKS
        .iter()
        .filter(|(t, f, _)| *t == threat && *f == field)
    {
        let at = rest
            .find(cut)
            .unwrap_or_else(|| panic!("{threat}.{field}: no `{cut}`"))
            + cut.len();
        let (head, tail) = rest.split_at(at);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

#[test]
fn kisa_text_is_verbatim_from_the_seed() {
    let c = kisa();
    let Some(seed) = seed(SEED) else { return };
    let verbatim = |what: &str, text: &str| {
        assert!(
            seed.contains(&squash(text)),
            "{what}: not verbatim in seed 003: {text}"
        );
    };
    for item in &c.item {
        verbatim(&item.id, item.text_ko.as_deref().unwrap());
        verbatim(&item.id, &item.title_ko);
    }
    for g in &c.group {
        verbatim(&g.id, &g.title_ko);
        if let Some(text) = &g.text_ko {
            verbatim(&g.id, text);
        }
    }
    for t in &c.threat {
        for (field, text) in [("title_ko", &t.title_ko), ("text_ko", &t.text_ko)] {
            let parts = pieces(&t.id, field, text);
            for piece in &parts {
                assert!(
                    squash(piece).chars().count() >= 2,
                    "{}.{field}: piece too short",
                    t.id
                );
                verbatim(&format!("{}.{field}", t.id), piece);
            }
            if parts.len() == 1 {
                continue;
            }
            // A declared cut is a real one: the text is not in one piece.
            assert!(
                !seed.contains(&squash(text)),
                "{}.{field}: no page break here",
                t.id
            );
        }
        for m in &t.countermeasures_ko {
            verbatim(&t.id, m);
        }
    }
}

#[test]
fn kisa_countermeasures_name_device_sections() {
    let c = kisa();
    let sections: BTreeSet<String> = c
        .group
        .iter()
        .filter(|g| {
            g.parent
                .as_deref()
                .and_then(|p| c.group(p))
                .is_some_and(|ty| ty.parent.as_deref() == Some("device"))
        })
        .map(|g| squash(&g.title_ko))
        .collect();
    assert_eq!(sections.len(), 21);
    for t in &c.threat {
        for m in &t.countermeasures_ko {
            assert!(
                sections.contains(&squash(m)),
                "{}: `{m}` is no 보안항목 of the device requirements",
                t.id
            );
        }
    }
}

#[test]
fn kisa_device_items_answer_the_threats_naming_their_section() {
    let c = kisa();
    for item in device_items(c) {
        let section = squash(&c.group(place(c, item).2).unwrap().title_ko);
        let expected: Vec<&str> = c
            .threat
            .iter()
            .filter(|t| t.countermeasures_ko.iter().any(|m| squash(m) == section))
            .map(|t| t.id.as_str())
            .collect();
        assert!(
            !expected.is_empty(),
            "{}: no threat names its 보안항목",
            item.id
        );
        assert_eq!(item.threats, expected, "{}", item.id);
    }
    for t in &c.threat {
        assert!(
            device_items(c).any(|i| i.threats.contains(&t.id)),
            "{}: answered by no device item",
            t.id
        );
    }
    for item in c.item.iter().filter(|i| place(c, i).0 != "device") {
        assert!(
            item.threats.is_empty(),
            "{}: only device items list threats",
            item.id
        );
    }
    // Spot checks against the seed's tables.
    assert_eq!(c.item("1.1.1").unwrap().threats, ["auth-bypass"]);
    assert_eq!(
        c.item("4.2.1").unwrap().threats,
        ["data-exposure-tampering"]
    );
    assert_eq!(
        c.item("6.1.1").unwrap().threats,
        [
            "integrity-error",
            "debug-info-exposure",
            "unauthorized-physical-access"
        ]
    );
}
