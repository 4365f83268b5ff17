//! Search checked against brute force: for random events and random
//! queries, the indexed search (segments and tail, paged by cursors)
//! returns exactly the events that `Query::matches` accepts, its total
//! and histogram agree, and an export returns them in order.

use std::collections::HashSet;

use medsec_events::{Day, EventStore, MemberScope, Order, Query, SearchRequest, TimeRange};
use medsec_logs::{Event, EventId, Value};
use proptest::prelude::*;

use crate::{DAY, HOUR, MIDNIGHT_KST, ev, open, small_config};

const WORDS: &[&str] = &[
    "Failed",
    "password",
    "for",
    "root",
    "admin",
    "invalid",
    "user",
    "from",
    "port",
    "sshd[24200]:",
    "서버가",
    "응답",
    "오류",
    "DB서버",
    "서버",
    "10.0.0.1",
    "192.168.1.5",
    "22",
    "ÄRGER",
    "K\u{212A}ey",
    "key",
    "pam_unix(sshd:auth):",
    "a,b",
    "\"quoted\"",
    "session",
    "opened",
    "closed",
    "에서",
    "passwords",
    "keys",
];
const MEMBERS: &[&str] = &["h1", "h2", "서울대병원"];

fn value_strategy(field: &'static str) -> BoxedStrategy<Value> {
    match field {
        "host.name" => prop::sample::select(vec!["web1", "web2", "db", "Web1"])
            .prop_map(|s| Value::Str(s.into()))
            .boxed(),
        "destination.port" => prop::sample::select(vec![22i64, 80, 443, 8080, -1])
            .prop_map(Value::Int)
            .boxed(),
        "source.ip" => prop::sample::select(vec![
            "10.0.0.1",
            "10.1.2.3",
            "192.168.1.5",
            "fe80::1",
            "2001:db8::7",
        ])
        .prop_map(|s| Value::Ip(s.parse().unwrap()))
        .boxed(),
        "user.name" => prop::sample::select(vec!["root", "admin", "김철수", "o'brien"])
            .prop_map(|s| Value::Str(s.into()))
            .boxed(),
        "score" => prop::sample::select(vec![0.5f64, -0.0, 2.0, 1e20])
            .prop_map(Value::Float)
            .boxed(),
        "ok" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => prop_oneof![
            Just(Value::Int(22)),
            Just(Value::Str("22".into())),
            Just(Value::Str("abc".into())),
            Just(Value::Bool(true)),
        ]
        .boxed(),
    }
}

const FIELDS: &[&str] = &[
    "host.name",
    "destination.port",
    "source.ip",
    "user.name",
    "score",
    "ok",
    "mixed",
];

fn event_strategy() -> impl Strategy<Value = Event> {
    let fields = FIELDS
        .iter()
        .map(|f| prop::option::weighted(0.6, value_strategy(f)).prop_map(move |v| (*f, v)))
        .collect::<Vec<_>>();
    (
        prop::sample::select(MEMBERS.to_vec()),
        0i64..30,
        prop::sample::select(vec![0i64, 1, 999]),
        prop::collection::vec(prop::sample::select(WORDS.to_vec()), 1..7),
        fields,
        any::<bool>(),
        0u32..1000,
    )
        .prop_map(|(member, slot, ns, words, fields, masked, unique)| {
            // 30 slots of 3 hours from 21:00 KST the day before: events on
            // four KST days, and some at the same nanosecond.
            let ts = MIDNIGHT_KST - 3 * HOUR + slot * 3 * HOUR + ns;
            let raw = words.join(" ");
            let mut fs: Vec<(&str, Value)> = fields
                .into_iter()
                .filter_map(|(f, v)| v.map(|v| (f, v)))
                .collect();
            // A field with a value per event: not indexed in segments.
            fs.push(("seq", Value::Int(i64::from(unique))));
            let mut e = ev(member, ts, &raw, &fs);
            if masked {
                // As after masking: the stored raw no longer yields the id.
                e.id = EventId::of(member, "tcp:6514", format!("{raw} unmasked").as_bytes());
            }
            e
        })
}

fn leaf_strategy() -> BoxedStrategy<String> {
    prop_oneof![
        1 => prop::sample::select(WORDS.to_vec()).prop_map(|w| {
            if w.contains('"') || w.contains('\\') {
                "quoted".to_string()
            } else {
                format!("\"{w}\"")
            }
        }),
        2 => prop::sample::select(vec![
            "failed", "FAILED", "password", "서버", "버가", "서", "응답", "db", "10.0.0.1", "root", "key",
            "ärger", "pam_unix", "unix", "sshd", "24200", "\"failed password\"", "\"서버 응답\"",
            "fail*", "pa?sword", "*ey", "서*", "a", "b", "pass", "fail", "adm", "ssh", "in", "ey",
            "에서", "서버가", "*서*", "session", "keys",
        ])
        .prop_map(String::from),
        4 => prop::sample::select(vec![
            "host.name:web1", "host.name:Web1", "host.name:web*", "host.name:*", "destination.port:22",
            "destination.port:22.0", "destination.port>=443", "destination.port<80", "destination.port:[22 TO 443]",
            "destination.port:{22 TO 443}", "destination.port:[* TO 0]", "source.ip:10.0.0.0/8",
            "source.ip:fe80::/10", "source.ip:192.168.1.5", "source.ip>10.0.0.1", "user.name:김철수",
            "user.name:\"o'brien\"", "user.name:*in", "score:0", "score:-0", "score>1", "score:0.5", "ok:true",
            "ok:FALSE", "mixed:22", "mixed:abc", "mixed>=22", "mixed:*", "_exists_:user.name", "seq:17",
            "seq>=500", "seq:[100 TO 200]", "_member:h1", "_member:서울대병원", "_source:tcp*",
            "@timestamp>=2024-05-01T00:00:00+09:00", "@timestamp:[2024-05-01T06:00:00+09:00 TO 2024-05-02]",
            "event.ingested>2024-05-02T00:00:00Z", "nope:*", "nope:1",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

fn query_strategy() -> impl Strategy<Value = String> {
    leaf_strategy().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            inner.prop_map(|a| format!("NOT {a}")),
        ]
    })
}

/// What the store should hold: the first event of each id per partition.
fn stored(events: &[Event], offset: i32) -> Vec<Event> {
    let mut seen = HashSet::new();
    events
        .iter()
        .filter(|e| seen.insert((e.member.clone(), Day::of(e.timestamp, offset), e.id)))
        .cloned()
        .collect()
}

fn scope_strategy() -> impl Strategy<Value = MemberScope> {
    prop_oneof![
        Just(MemberScope::AllMembers),
        prop::sample::select(MEMBERS.to_vec()).prop_map(MemberScope::member),
        Just(MemberScope::members(["h1", "서울대병원"])),
        Just(MemberScope::members(Vec::<String>::new())),
    ]
}

fn range_strategy() -> impl Strategy<Value = TimeRange> {
    prop_oneof![
        Just(TimeRange::all()),
        (0i64..12, 1i64..12).prop_map(|(a, len)| {
            let from = MIDNIGHT_KST - 3 * HOUR + a * 6 * HOUR + 1;
            TimeRange::new(from, from + len * 6 * HOUR)
        }),
        Just(TimeRange::new(MIDNIGHT_KST, MIDNIGHT_KST + DAY)),
    ]
}

/// Searches page by page and checks everything against the oracle.
fn check_search(
    store: &EventStore,
    all: &[Event],
    query: &str,
    range: TimeRange,
    scope: &MemberScope,
    page: usize,
) {
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut want: Vec<&Event> = all
        .iter()
        .filter(|e| range.contains(e.timestamp) && scope.includes(&e.member) && q.matches(e))
        .collect();
    want.sort_by_key(|e| std::cmp::Reverse((e.timestamp, e.id)));

    let width = if range
        .to
        .checked_sub(range.from)
        .is_some_and(|d| d < 40 * DAY)
    {
        Some(7 * HOUR)
    } else {
        None
    };
    let mut got: Vec<Event> = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let mut req = SearchRequest::new(q.clone(), range, scope.clone())
            .page_size(page)
            .cursor(cursor.clone());
        if let Some(w) = width {
            req = req.histogram(w);
        }
        let r = store
            .search(&req)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(r.total as usize, want.len(), "total of {query} ({q})");
        if let Some(h) = &r.histogram {
            assert_eq!(
                h.counts.iter().sum::<u64>(),
                r.total,
                "histogram sum of {query}"
            );
            let mut expect = vec![0u64; h.counts.len()];
            for e in &want {
                expect[((e.timestamp - range.from) / h.width) as usize] += 1;
            }
            assert_eq!(h.counts, expect, "histogram of {query}");
        }
        assert!(r.events.len() <= page);
        got.extend(r.events);
        pages += 1;
        match r.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages <= all.len() + 2, "paging does not end");
    }
    let got_keys: Vec<(i64, EventId)> = got.iter().map(|e| (e.timestamp, e.id)).collect();
    let want_keys: Vec<(i64, EventId)> = want.iter().map(|e| (e.timestamp, e.id)).collect();
    assert_eq!(got_keys, want_keys, "pages of {query} ({q})");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(&g, w, "stored event differs");
    }
    let exported: Vec<(i64, EventId)> = store
        .export(&q, range, scope, Order::OldestFirst)
        .unwrap()
        .map(|e| e.map(|e| (e.timestamp, e.id)).unwrap())
        .collect();
    let mut asc = want_keys.clone();
    asc.reverse();
    assert_eq!(exported, asc, "export of {query}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn indexed_search_equals_brute_force(
        events in prop::collection::vec(event_strategy(), 1..120),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        compact in any::<bool>(),
        queries in prop::collection::vec((query_strategy(), range_strategy(), scope_strategy(), 1usize..5), 1..12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), small_config());
        // Some events again (resends), appended after the originals.
        let mut input = events.clone();
        for d in &dups {
            input.push(d.get(&events).clone());
        }
        // Batches, with flushes between some of them, so that events are
        // in several segments per partition and in the tail.
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(input.len())).collect();
        cuts.push(input.len());
        cuts.sort();
        let mut start = 0;
        for (i, end) in cuts.iter().enumerate() {
            if *end > start {
                store.append(input[start..*end].to_vec()).unwrap();
            }
            start = *end;
            if i + 1 < cuts.len() {
                store.flush().unwrap();
            }
        }
        if compact {
            store.compact().unwrap();
        }
        let all = stored(&input, store.config().utc_offset_seconds);
        for (query, range, scope, page) in &queries {
            check_search(&store, &all, query, *range, scope, *page);
        }
    }
}

#[test]
fn korean_words_are_found_inside_words() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let events = [
        ev("h1", MIDNIGHT_KST, "DB서버가 응답하지 않습니다", &[]),
        ev("h1", MIDNIGHT_KST + 1, "웹서버에서 오류 발생", &[]),
        ev("h1", MIDNIGHT_KST + 2, "서비스 정상", &[]),
    ];
    store.append(events[..2].to_vec()).unwrap();
    store.flush().unwrap();
    store.append(events[2..].to_vec()).unwrap();
    for (q, n) in [
        ("서버", 2),
        ("서버가", 1),
        ("버에", 1),
        ("서", 3),
        ("db", 1),
        ("\"서버 오류\"", 1),
        ("응답 OR 정상", 2),
    ] {
        let r = store
            .search(&SearchRequest::new(
                Query::parse(q).unwrap(),
                TimeRange::all(),
                MemberScope::AllMembers,
            ))
            .unwrap();
        assert_eq!(r.total, n, "{q}");
    }
}

#[test]
fn cursors_stay_stable_while_events_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let batch = |from: i64, n: i64| -> Vec<Event> {
        (from..from + n)
            .map(|i| {
                ev(
                    "h1",
                    MIDNIGHT_KST + i * 1_000_000_000,
                    &format!("login ok n{i}"),
                    &[],
                )
            })
            .collect()
    };
    store.append(batch(0, 10)).unwrap();
    let q = Query::parse("login").unwrap();
    let req =
        SearchRequest::new(q.clone(), TimeRange::all(), MemberScope::member("h1")).page_size(4);
    let first = store.search(&req).unwrap();
    assert_eq!(first.total, 10);
    // Newer events, a flush and a compaction between the pages.
    store.append(batch(10, 5)).unwrap();
    store.flush().unwrap();
    store.compact().unwrap();
    let mut seen: Vec<String> = first.events.iter().map(|e| e.raw.clone()).collect();
    let mut cursor = first.next;
    while let Some(c) = cursor {
        let r = store.search(&req.clone().cursor(Some(c))).unwrap();
        seen.extend(r.events.iter().map(|e| e.raw.clone()));
        cursor = r.next;
    }
    let want: Vec<String> = (0..10).rev().map(|i| format!("login ok n{i}")).collect();
    assert_eq!(seen, want);
    // A cursor of one search is refused by another.
    let other = SearchRequest::new(
        Query::parse("ok").unwrap(),
        TimeRange::all(),
        MemberScope::member("h1"),
    )
    .cursor(store.search(&req).unwrap().next);
    assert!(matches!(
        store.search(&other),
        Err(medsec_events::Error::Cursor(_))
    ));
    assert!(matches!(
        store.search(
            &req.clone()
                .cursor(Some(medsec_events::Cursor::from_text("e1.zz")))
        ),
        Err(medsec_events::Error::Cursor(_))
    ));
}

#[test]
fn bad_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let base = SearchRequest::new(
        Query::all(),
        TimeRange::new(10, 10),
        MemberScope::AllMembers,
    );
    assert!(matches!(
        store.search(&base),
        Err(medsec_events::Error::Request(_))
    ));
    let ok = SearchRequest::new(Query::all(), TimeRange::new(0, 10), MemberScope::AllMembers);
    assert!(store.search(&ok.clone().page_size(0)).is_err());
    assert!(store.search(&ok.clone().histogram(0)).is_err());
    assert!(
        store
            .search(
                &SearchRequest::new(Query::all(), TimeRange::all(), MemberScope::AllMembers)
                    .histogram(1)
            )
            .is_err()
    );
}
