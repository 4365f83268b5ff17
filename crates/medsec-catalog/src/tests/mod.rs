//! Checks of the embedded catalogue data.

mod imdrf;
mod kisa;
mod mfds2024;

use super::*;

/// A seed document, whitespace removed (the seeds are PDF extractions
/// with arbitrary line breaks), from `MEDSEC_SEEDS` or `../shared/seeds`
/// next to the repository. `None`, with a note, when absent.
pub(crate) fn seed(name: &str) -> Option<String> {
    let dir = std::env::var("MEDSEC_SEEDS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds")
        });
    match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => Some(text.chars().filter(|c| !c.is_whitespace()).collect()),
        Err(_) => {
            eprintln!(
                "skipped: verbatim check against the seed {name} (not found in {}; set MEDSEC_SEEDS)",
                dir.display()
            );
            None
        }
    }
}

pub(crate) fn all() -> &'static Catalogs {
    match catalogs() {
        Ok(c) => c,
        Err(e) => panic!("the catalogue data is invalid: {e}"),
    }
}

#[test]
fn mfds_2019_has_the_24_items_of_the_seed() {
    let c = all().get("mfds-2019").unwrap();
    let ids: Vec<&str> = c.item.iter().map(|i| i.id.as_str()).collect();
    let expected: Vec<String> = (1..=20)
        .map(|n| format!("1.{n}"))
        .chain((1..=4).map(|n| format!("2.{n}")))
        .collect();
    assert_eq!(ids, expected);
    // Verbatim from seed 000: the review case of 1.1, 1.3 and 1.4.
    let Some(seed) = seed("000_4ba9e8718efc59b9.txt") else {
        return;
    };
    for id in ["1.1", "1.3", "1.4"] {
        let item = c.item(id).unwrap();
        assert_eq!(item.source, Source::Seed000);
        let text: String = item
            .text_ko
            .as_deref()
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(
            seed.contains(&text),
            "{id}: the requirement is not verbatim from seed 000"
        );
        assert_eq!(item.attachment.as_deref(), Some("VVT-SW-001"));
    }
    for id in ["1.1", "1.3"] {
        let item = c.item(id).unwrap();
        let crit: String = item
            .test_criterion_ko
            .as_deref()
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(
            seed.contains(&crit),
            "{id}: the test criterion is not verbatim"
        );
        for step in &item.test_method_ko {
            assert!(
                seed.contains(&step.split_whitespace().collect::<String>()),
                "{id}: step not verbatim: {step}"
            );
        }
    }
    // Every title is verbatim from the seed.
    for item in &c.item {
        assert!(
            seed.contains(&item.title_ko.split_whitespace().collect::<String>()),
            "{}: title {} not in seed 000",
            item.id,
            item.title_ko
        );
    }
}

#[test]
fn mfds_2019_functions() {
    let c = all().get("mfds-2019").unwrap();
    // Functions: 1.x protect, 2.x detect/respond/recover.
    assert!(
        c.item
            .iter()
            .take(20)
            .all(|i| i.functions == [Function::Protect])
    );
    assert_eq!(
        c.item("2.2").unwrap().functions,
        [Function::Detect, Function::Respond]
    );
}

#[test]
fn reconstructed_entries_say_so() {
    for c in &all().catalogs {
        for i in &c.item {
            if i.source == Source::Reconstructed {
                assert!(
                    i.confidence != Confidence::High,
                    "{}:{} is reconstructed but claims high confidence",
                    c.catalog.id,
                    i.id
                );
            }
        }
    }
}

#[test]
fn search_finds_korean_inside_words_and_english() {
    let c = all();
    let ids = |q: &str| {
        c.search(q, Some("mfds-2019"))
            .into_iter()
            .map(|h| h.item)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("다중접속").first().map(String::as_str), Some("1.2"));
    // `세션` inside `세션을`, `세션이`.
    assert!(ids("세션").contains(&"1.8".to_owned()));
    assert!(ids("session termination").contains(&"1.8".to_owned()));
    assert!(ids("게이트웨이 로그인").contains(&"1.1".to_owned()));
    assert!(ids("xyzzy").is_empty());
    assert!(ids("   ").is_empty());
}
