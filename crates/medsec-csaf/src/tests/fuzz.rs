//! Property tests: `read` and everything after it never panic, on random
//! bytes, on mutations of a real advisory and on random documents with
//! colliding ids; any VEX `write_vex` accepts passes the mandatory tests.

use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::*;
use crate::{
    Justification, PublisherCategory, RemediationCategory, TrackingStatus, VexAction, VexDocument,
    VexProduct, VexPublisher, VexRevision, VexStatus, VexVulnerability, check, products, read,
    statements, write_vex,
};

/// Everything a caller does with a document that reads.
fn exercise(bytes: &[u8]) {
    if let Ok(a) = read(bytes) {
        let _ = products(&a);
        let _ = statements(&a);
        let _ = check(&a);
        let _ = serde_json::to_string(&a).unwrap();
    }
}

/// A real medical advisory, or a small document without the data.
fn seed() -> Vec<u8> {
    let from_data = std::env::var_os("MEDSEC_DATA")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
            PathBuf::from,
        )
        .join("csaf/icsma/icsma-22-251-01.json");
    std::fs::read(from_data).unwrap_or_else(|_| serde_json::to_vec(&base_document()).unwrap())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop::sample::select(vec![
        b"{".to_vec(),
        b"}".to_vec(),
        b"[".to_vec(),
        b"]".to_vec(),
        b"\"".to_vec(),
        b",".to_vec(),
        b":".to_vec(),
        b"null".to_vec(),
        b"\\u0000".to_vec(),
        b"\xed\xa0\x80".to_vec(),
        "한".as_bytes().to_vec(),
        b"1e999".to_vec(),
        b"-0".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (
            any::<usize>(),
            prop_oneof![token, prop::collection::vec(any::<u8>(), 1..8)]
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..400, any::<usize>())
            .prop_map(|(i, n, at)| Mutation::Duplicate(i, n, at)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            if let Some(x) = bytes.get_mut(i % len) {
                *x ^= b | 1;
            }
        }
        Mutation::Delete(i, n) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Mutation::Insert(i, b) => {
            let at = (i % len).min(bytes.len());
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Duplicate(i, n, at) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            let piece: Vec<u8> = bytes.get(start..end).unwrap_or_default().to_vec();
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, piece);
        }
    }
}

/// Ids from a small set, so that references collide, repeat and cycle.
fn id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["A", "B", "C", "D", "E"]).prop_map(str::to_owned)
}

fn ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(id(), 0..4)
}

fn groups() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec!["G1", "G2", "G3"]).prop_map(str::to_owned),
        0..3,
    )
}

fn branch() -> impl Strategy<Value = Value> {
    let category = prop::sample::select(vec![
        "vendor",
        "product_name",
        "product_version",
        "product_version_range",
        "architecture",
    ]);
    let name = prop::sample::select(vec!["X", "X Y", "all versions", "<2", "vers:all/*", "1.0"]);
    let leaf = (category.clone(), name.clone(), prop::option::of(id())).prop_map(|(c, n, p)| {
        let mut b = json!({"category": c, "name": n});
        if let Some(p) = p {
            b["product"] = json!({"name": format!("P {p}"), "product_id": p,
                "product_identification_helper": {"purl": "pkg:npm/x@1", "hashes": [{"filename": "f",
                    "file_hashes": [{"algorithm": "sha256", "value": "00000000000000000000000000000000"}]}]}});
        }
        b
    });
    leaf.prop_recursive(4, 24, 3, move |inner| {
        (
            category.clone(),
            name.clone(),
            prop::collection::vec(inner, 1..3),
        )
            .prop_map(|(c, n, bs)| json!({"category": c, "name": n, "branches": bs}))
    })
}

fn cvss() -> impl Strategy<Value = Value> {
    let vector = prop::sample::select(vec![
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:U/MAV:P/MS:U",
        "CVSS:3.1/AV:N/AV:L",
        "CVSS:3.1/AV:N",
        "AV:N/AC:L/Au:N/C:C/I:C/A:C",
        "garbage",
        "",
    ]);
    let version = prop::sample::select(vec!["3.0", "3.1", "2.0", "4.0"]);
    (
        vector,
        version,
        0.0f64..=12.0,
        prop::sample::select(vec!["LOW", "CRITICAL", "x"]),
    )
        .prop_map(|(v, ver, s, sev)| {
            json!({"version": ver, "vectorString": v, "baseScore": s, "baseSeverity": sev,
                "temporalScore": s, "attackVector": "LOCAL", "accessVector": 3})
        })
}

fn vulnerability() -> impl Strategy<Value = Value> {
    let status = prop::sample::select(vec![
        "first_affected",
        "known_affected",
        "known_not_affected",
        "fixed",
        "under_investigation",
        "recommended",
    ]);
    (
        prop::collection::vec((status, ids()), 0..4),
        prop::collection::vec((ids(), groups()), 0..3),
        prop::collection::vec((ids(), cvss()), 0..3),
        prop::option::of(prop::sample::select(vec!["CVE-2024-0001", "CVE-2024-0002"])),
        prop::collection::vec(prop::sample::select(vec!["vendor", "user"]), 0..3),
    )
        .prop_map(|(statuses, refs, scores, cve, parties)| {
            let mut ps = serde_json::Map::new();
            for (s, ids) in statuses {
                ps.insert(s.to_owned(), json!(ids));
            }
            let refs_json = |kind: &str| -> Vec<Value> {
                refs.iter()
                    .map(|(p, g)| match kind {
                        "flag" => json!({"label": "component_not_present", "product_ids": p, "group_ids": g}),
                        "threat" => json!({"category": "impact", "details": "d", "product_ids": p, "group_ids": g}),
                        _ => json!({"category": "vendor_fix", "details": "d", "product_ids": p, "group_ids": g}),
                    })
                    .collect()
            };
            let mut v = json!({
                "product_status": ps,
                "flags": refs_json("flag"),
                "threats": refs_json("threat"),
                "remediations": refs_json("remediation"),
                "scores": scores.iter().map(|(p, c)| json!({"products": p, "cvss_v3": c, "cvss_v2": c})).collect::<Vec<_>>(),
                "involvements": parties.iter().map(|p| json!({"party": p, "status": "open", "date": "2024-01-01T00:00:00Z"})).collect::<Vec<_>>(),
            });
            if let Some(cve) = cve {
                v["cve"] = cve.into();
            }
            v
        })
}

fn document() -> impl Strategy<Value = Value> {
    let category = prop::sample::select(vec![
        "csaf_base",
        "csaf_vex",
        "csaf_security_advisory",
        "csaf_informational_advisory",
        "csaf_security_incident_response",
        "VEX",
    ]);
    let number = prop::sample::select(vec!["0", "1", "2", "1.0.0", "2.0.0-rc.1", "0.1.0+b", "007"]);
    let date = prop::sample::select(vec![
        "2024-01-01T00:00:00Z",
        "2024-01-01T09:00:00+09:00",
        "2023-12-31T23:59:59.999999Z",
        "not a date",
    ]);
    (
        category,
        prop::collection::vec((date, number.clone()), 1..4),
        number,
        prop::collection::vec(branch(), 0..3),
        prop::collection::vec((id(), id(), id()), 0..4),
        prop::collection::vec((prop::sample::select(vec!["G1", "G2", "G3"]), ids()), 0..3),
        prop::collection::vec(vulnerability(), 0..3),
    )
        .prop_map(|(category, history, version, branches, relationships, groups, vulnerabilities)| {
            let mut doc = base_document();
            doc["document"]["category"] = category.into();
            doc["document"]["tracking"]["version"] = version.into();
            doc["document"]["tracking"]["revision_history"] = history
                .iter()
                .map(|(d, n)| json!({"date": d, "number": n, "summary": "s"}))
                .collect();
            doc["product_tree"] = json!({
                "branches": branches,
                "full_product_names": [{"name": "A", "product_id": "A"}],
                "relationships": relationships.iter().map(|(new, p, r)| json!({
                    "category": "installed_on",
                    "full_product_name": {"name": format!("{p} on {r}"), "product_id": new},
                    "product_reference": p, "relates_to_product_reference": r})).collect::<Vec<_>>(),
                "product_groups": groups.iter().map(|(g, ids)| json!({"group_id": g, "product_ids": ids})).collect::<Vec<_>>(),
            });
            doc["vulnerabilities"] = json!(vulnerabilities);
            doc
        })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[가-힣a-zA-Z0-9 ._-]{1,12}",
        1 => prop::sample::select(vec!["", " ", "all", "<2", "1.0 and later", "after-eight", "vers:x/*"]).prop_map(str::to_owned),
    ]
}

fn when() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..4_000_000_000, -720i32..=720).prop_map(|(secs, minutes)| {
        let offset = time::UtcOffset::from_whole_seconds(minutes * 60).unwrap();
        OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .to_offset(offset)
    })
}

fn vex() -> impl Strategy<Value = VexDocument> {
    let status = prop_oneof![
        Just(VexStatus::KnownAffected),
        Just(VexStatus::Fixed),
        Just(VexStatus::UnderInvestigation),
        text().prop_map(|impact| VexStatus::KnownNotAffected {
            justification: Justification::InlineMitigationsAlreadyExist,
            impact
        }),
    ];
    let action = (
        text(),
        prop::option::of(prop::sample::select(vec![
            "https://x.example/a?b=1#c",
            "x y",
        ])),
    )
        .prop_map(|(details, url)| VexAction {
            category: RemediationCategory::Workaround,
            details,
            url: url.map(str::to_owned),
        });
    let vulnerability = (
        prop::sample::select(vec![
            "CVE-2024-0001",
            "CVE-2024-12345",
            "CVE-2024-0003",
            "CVE-24-1",
        ]),
        status,
        prop::collection::vec(action, 0..3),
        text(),
    )
        .prop_map(|(cve, status, actions, description)| VexVulnerability {
            cve: cve.to_owned(),
            title: None,
            description,
            status,
            actions,
        });
    (
        text(),
        prop::collection::vec((when(), text()), 0..4),
        (text(), text(), text()),
        prop::collection::vec(vulnerability, 0..4),
        prop::sample::select(vec![
            TrackingStatus::Draft,
            TrackingStatus::Final,
            TrackingStatus::Interim,
        ]),
    )
        .prop_map(
            |(title, revisions, (vendor, name, version), vulnerabilities, status)| VexDocument {
                title,
                lang: Some("ko".to_owned()),
                summary: None,
                tlp: None,
                publisher: VexPublisher {
                    name: "P".to_owned(),
                    namespace: "https://p.example".to_owned(),
                    category: PublisherCategory::Vendor,
                    contact_details: None,
                },
                tracking_id: "T-1".to_owned(),
                status,
                revisions: revisions
                    .into_iter()
                    .map(|(date, summary)| VexRevision { date, summary })
                    .collect(),
                product: VexProduct {
                    vendor,
                    name,
                    version,
                    purl: None,
                    cpe: None,
                    model_numbers: Vec::new(),
                },
                vulnerabilities,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_advisories_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut bytes = seed();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&bytes);
    }

    #[test]
    fn random_documents_never_panic(doc in document()) {
        let bytes = serde_json::to_vec(&doc).unwrap();
        let a = read(&bytes).unwrap();
        let s = statements(&a);
        // One statement per distinct id per status list.
        let expected: usize = a.vulnerabilities.iter().filter_map(|v| v.product_status.as_ref())
            .flat_map(|ps| ps.lists().into_iter().map(|(_, ids)| ids.iter().collect::<std::collections::HashSet<_>>().len()))
            .sum();
        prop_assert_eq!(s.len(), expected);
        for d in check(&a) {
            prop_assert!(d.path.starts_with('/'), "{}", d);
        }
    }

    #[test]
    fn accepted_vex_passes_the_mandatory_tests(doc in vex()) {
        if let Ok(text) = write_vex(&doc) {
            let a = read(text.as_bytes()).unwrap();
            prop_assert_eq!(check(&a), vec![]);
            prop_assert_eq!(statements(&a).len(), doc.vulnerabilities.len());
        }
    }
}
