//! Checks of the imdrf catalogue data.

use super::*;

const SEED: &str = "001_0be77e72287b98c2.txt";

/// The items of the file, in order: the numbered sections of chapters 4-6
/// and annex A, with the seven Table 1 design principles after 5.1, the
/// section that contains the table.
const EXPECTED: &[&str] = &[
    "4.1", "4.2", "4.3", "4.4", //
    "5.1", "SC", "DP", "DI", "UA", "SM", "PA", "RA", //
    "5.2", "5.3", "5.4", "5.5", "5.5.1", "5.5.2", "5.6", "5.6.1", "5.6.2", "5.6.3", "5.6.4",
    "5.6.5", //
    "6.1", "6.1.1", "6.1.2", "6.2", "6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.3", "6.3.1", "6.3.2",
    "6.3.3", "6.4", "6.4.1", "6.4.2", "6.4.3", "6.5", "6.5.1", "6.5.2", "6.5.3", "6.6", "6.6.1",
    "6.6.2", //
    "8.1",
];

/// Table 1 of the seed: the codes the crosswalk uses, with the seed's names.
const PRINCIPLES: &[(&str, &str)] = &[
    ("SC", "시큐어 통신"),
    ("DP", "데이터 보호"),
    ("DI", "기기 무결성"),
    ("UA", "사용자 인증"),
    ("SM", "소프트웨어 유지 관리"),
    ("PA", "물리적 접근"),
    ("RA", "신뢰성 및 가용성"),
];

/// Headings that end the last sections of a chapter without being items.
const BOUNDARIES: &[&str] = &["7.1IMDRF문서", "8.2부록B"];

/// Entries rejoined from a table cell the PDF extraction split: the item,
/// the entry, and its pieces as they occur, in order, in the seed.
const REASSEMBLED: &[(&str, &str, &[&str])] = &[(
    "6.4.3",
    "허용할 수 없는 환자 피해의 잔존 위험성 상",
    &["허용할 수 없는 환자", "상", "피해의 잔존 위험성"],
)];

fn n60() -> &'static Catalog {
    all()
        .get("imdrf-n60")
        .expect("the imdrf-n60 catalogue is loaded")
}

/// The comparison form: no whitespace, no list bullets, no stray
/// backticks (the seed prints `및/`또는` once).
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '•' && *c != '`')
        .collect()
}

fn is_section(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_digit())
}

fn section_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("section id {id} is not numeric"))
        })
        .collect()
}

/// Finds the passages of `text` (joined by `…`) in order inside
/// `seed[from..to]`; the error names the first passage not found.
fn find_in_order(seed: &str, from: usize, to: usize, text: &str) -> Result<(), String> {
    let mut pos = from;
    for passage in text.split('…').map(norm).filter(|p| !p.is_empty()) {
        match seed.get(pos..to).and_then(|s| s.find(&passage)) {
            Some(i) => pos += i + passage.len(),
            None => return Err(passage),
        }
    }
    Ok(())
}

#[test]
fn imdrf_header() {
    let c = n60();
    assert_eq!(c.catalog.id, "imdrf-n60");
    assert_eq!(c.catalog.kind, Kind::Principles);
    assert_eq!(c.catalog.title_ko, "의료기기 사이버보안 원칙 및 실무");
    assert_eq!(c.catalog.edition, "N60FINAL:2020, Korean edition 2023-11");
    assert_eq!(c.catalog.issued.as_deref(), Some("2023-11"));
    assert!(c.catalog.title_en.contains("IMDRF/CYBER WG/N60FINAL:2020"));
    assert!(c.catalog.publisher_en.contains("IMDRF") && c.catalog.publisher_en.contains("MFDS"));
    assert!(!c.catalog.default_for_new && c.catalog.supersedes.is_empty());
    let note = c.catalog.note_en.as_deref().unwrap_or("");
    assert!(
        note.contains("no legal force"),
        "note_en must say the Korean edition has no legal force"
    );
    let Some(seed) = seed(SEED) else { return };
    // The sentence quoted in note_en is the seed's own.
    let quoted = note
        .split_once("본 문서는")
        .map(|(_, rest)| rest.split_once(" (").map_or(rest, |(k, _)| k))
        .unwrap_or("");
    assert!(
        quoted.contains("법적 효력"),
        "note_en must quote the seed's sentence on legal force"
    );
    assert!(
        seed.contains(&norm(&format!("본 문서는{quoted}"))),
        "the legal-force sentence is not verbatim: {quoted}"
    );
    assert!(seed.contains("2023년11월현재"));
}

#[test]
fn imdrf_items_are_the_expected_sections_in_order() {
    let c = n60();
    let ids: Vec<&str> = c.item.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, EXPECTED);
    let sections: Vec<Vec<u32>> = ids
        .iter()
        .filter(|id| is_section(id))
        .map(|id| section_key(id))
        .collect();
    assert!(
        sections.windows(2).all(|w| w[0] < w[1]),
        "sections are not in the seed's order: {sections:?}"
    );
    for i in &c.item {
        let group = i.group.as_deref().unwrap_or_default();
        let expected = match i.id.split('.').next() {
            Some("4") => "general",
            Some("5") => "premarket",
            Some("6") => "postmarket",
            Some("8") => "annex",
            _ => "design",
        };
        assert_eq!(group, expected, "{}: group", i.id);
    }
    assert_eq!(
        c.group("design").and_then(|g| g.parent.as_deref()),
        Some("premarket")
    );
}

#[test]
fn imdrf_design_principles_of_table_1() {
    let c = n60();
    for (id, title) in PRINCIPLES {
        let item = c
            .item(id)
            .unwrap_or_else(|| panic!("design principle {id} is missing"));
        assert_eq!(item.title_ko, *title, "{id}: Korean name");
        assert_eq!(item.group.as_deref(), Some("design"), "{id}: group");
        let text = item
            .text_ko
            .as_deref()
            .unwrap_or_else(|| panic!("{id}: no text"));
        assert!(
            text.starts_with("MDM은"),
            "{id}: the 설명 of Table 1 starts with the MDM"
        );
    }
    let in_group: Vec<&str> = c
        .item
        .iter()
        .filter(|i| i.group.as_deref() == Some("design"))
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        in_group,
        PRINCIPLES.iter().map(|(id, _)| *id).collect::<Vec<_>>()
    );
}

#[test]
fn imdrf_items_are_bilingual_and_sourced() {
    let c = n60();
    let mut without_text = Vec::new();
    for i in &c.item {
        assert_eq!(i.source, Source::Seed001, "{}: source", i.id);
        assert_eq!(i.confidence, Confidence::High, "{}: confidence", i.id);
        assert!(
            i.functions.is_empty() && i.threats.is_empty() && i.test_method_ko.is_empty(),
            "{}: fields of other catalogues",
            i.id
        );
        match (&i.text_ko, &i.text_en) {
            (Some(ko), Some(en)) => {
                assert!(
                    ko.chars().count() <= 600,
                    "{}: text_ko is longer than 600 characters",
                    i.id
                );
                assert_eq!(
                    ko.matches('…').count(),
                    en.matches('…').count(),
                    "{}: passages differ between Korean and English",
                    i.id
                );
            }
            (None, None) => without_text.push(i.id.as_str()),
            _ => panic!("{}: text in one language only", i.id),
        }
        assert_eq!(
            i.evidence_ko.len(),
            i.evidence_en.len(),
            "{}: evidence lists differ",
            i.id
        );
        let note = i.note_en.as_deref().unwrap_or_default();
        if !i.evidence_ko.is_empty() {
            assert!(
                note.contains("enumerated elements"),
                "{}: note_en must say evidence is the section's enumerated elements",
                i.id
            );
        }
        if i.text_ko.is_none() {
            assert!(
                !note.is_empty(),
                "{}: an item without text must say why",
                i.id
            );
        }
    }
    // Sections that are only a heading over their subsections, and the
    // annex, which is two tables.
    assert_eq!(without_text, ["5.5", "6.1", "6.5", "8.1"]);
}

#[test]
fn imdrf_enumerated_lists() {
    let c = n60();
    let count = |id: &str| c.item(id).map_or(0, |i| i.evidence_ko.len());
    let counts: Vec<(&str, usize)> = [
        "5.2", "5.3", "5.4", "5.5.1", "5.5.2", "5.6", "5.6.2", "5.6.3", "5.6.4", "6.1.1", "6.2.3",
        "6.3.1", "6.4.1", "6.4.2", "6.4.3", "6.5.1", "6.6.1", "6.6.2", "8.1",
    ]
    .into_iter()
    .map(|id| (id, count(id)))
    .collect();
    assert_eq!(
        counts,
        [
            ("5.2", 9),
            ("5.3", 3),
            ("5.4", 5),
            ("5.5.1", 4),
            ("5.5.2", 8),
            ("5.6", 5),
            ("5.6.2", 2),
            ("5.6.3", 3),
            ("5.6.4", 4),
            ("6.1.1", 8),
            ("6.2.3", 7),
            ("6.3.1", 7),
            ("6.4.1", 10),
            ("6.4.2", 3),
            ("6.4.3", 3),
            ("6.5.1", 5),
            ("6.6.1", 9),
            ("6.6.2", 7),
            ("8.1", 11),
        ]
    );
    // The submission documents of 5.6 are the headings of 5.6.1-5.6.5.
    let documents: Vec<&str> = (1..=5)
        .map(|n| {
            c.item(&format!("5.6.{n}"))
                .map_or("", |i| i.title_ko.as_str())
        })
        .collect();
    let listed: Vec<&str> = c
        .item("5.6")
        .unwrap()
        .evidence_ko
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(listed, documents);
    // The TPLC plan elements of 5.4 are named as 5.6.4 lists them.
    let plan: Vec<&str> = c
        .item("5.4")
        .unwrap()
        .evidence_ko
        .iter()
        .filter_map(|e| e.split_once(':').map(|(k, _)| k))
        .collect();
    assert_eq!(
        plan,
        [
            "TPLC 감시",
            "취약점 공개",
            "업데이트 및 개선",
            "복구",
            "정보 공유"
        ]
    );
    // The SBOM element names its identifying fields.
    let sbom = c
        .item("5.5.2")
        .unwrap()
        .evidence_ko
        .iter()
        .find(|e| e.contains("SBOM"))
        .expect("5.5.2 lists the SBOM");
    assert!(sbom.contains("이름, 출처, 버전 및 빌드"));
    assert!(
        c.item("5.6.3")
            .unwrap()
            .evidence_ko
            .iter()
            .any(|e| e.contains("추적성 매트릭스"))
    );
    // Table 3: the three levels of regulatory oversight, low to high.
    let levels: Vec<char> = c
        .item("6.4.3")
        .unwrap()
        .evidence_ko
        .iter()
        .filter_map(|e| e.chars().last())
        .collect();
    assert_eq!(levels, ['하', '중', '상']);
}

#[test]
fn imdrf_wording_is_verbatim_from_seed_001() {
    let Some(seed) = seed(SEED) else { return };
    let seed = norm(&seed);
    let c = n60();
    // Where each section starts (its number and heading) and ends (the
    // next heading).
    let mut starts = Vec::new();
    for i in c.item.iter().filter(|i| is_section(&i.id)) {
        let heading = norm(&format!("{}{}", i.id, i.title_ko));
        let at = seed
            .find(&heading)
            .unwrap_or_else(|| panic!("{}: heading {heading} not in seed 001", i.id));
        starts.push((i.id.as_str(), at));
    }
    let boundaries: Vec<usize> = BOUNDARIES
        .iter()
        .map(|b| {
            seed.find(b)
                .unwrap_or_else(|| panic!("boundary {b} not in seed 001"))
        })
        .collect();
    // A section runs to the next heading that is not one of its subsections.
    let span = |id: &str| -> (usize, usize) {
        let section = if is_section(id) { id } else { "5.1" };
        let start = starts
            .iter()
            .find(|(s, _)| *s == section)
            .map(|(_, at)| *at)
            .unwrap_or_else(|| panic!("{section}: no heading"));
        let sub = format!("{section}.");
        let others = starts
            .iter()
            .filter(|(s, _)| !s.starts_with(&sub))
            .map(|(_, at)| *at);
        let end = others
            .chain(boundaries.iter().copied())
            .filter(|b| *b > start)
            .min()
            .unwrap_or(seed.len());
        (start, end)
    };
    for i in &c.item {
        let (from, to) = span(&i.id);
        let check = |what: &str, text: &str| {
            if let Err(passage) = find_in_order(&seed, from, to, text) {
                panic!(
                    "{}: {what} is not verbatim in its section of seed 001; not found: {passage}",
                    i.id
                );
            }
        };
        check("title_ko", &i.title_ko);
        if let Some(text) = &i.text_ko {
            check("text_ko", text);
        }
        for e in &i.evidence_ko {
            match REASSEMBLED
                .iter()
                .find(|(id, entry, _)| *id == i.id && entry == e)
            {
                Some((_, _, pieces)) => {
                    let sorted = |s: &str| {
                        let mut v: Vec<char> = norm(s).chars().collect();
                        v.sort_unstable();
                        v
                    };
                    assert_eq!(
                        sorted(&pieces.concat()),
                        sorted(e),
                        "{}: the pieces do not make up {e}",
                        i.id
                    );
                    check("a reassembled evidence_ko entry", &pieces.join("…"));
                }
                None => check("evidence_ko", e),
            }
        }
    }
    for g in &c.group {
        assert!(
            seed.contains(&norm(&g.title_ko)),
            "group {}: title not in seed 001",
            g.id
        );
        if let Some(text) = &g.text_ko {
            assert!(
                find_in_order(&seed, 0, seed.len(), text).is_ok(),
                "group {}: text not verbatim",
                g.id
            );
        }
    }
}
