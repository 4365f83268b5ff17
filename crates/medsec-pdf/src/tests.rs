//! Tests of the PDF: a real checklist from a fixture device rendered and
//! read back with poppler's `pdftotext`, hostile text, long and empty
//! checklists, English labels, fonts and errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use medsec_assure::checklist::{self, Attachment, EvidenceRef, TestRecord, TestResult};
use medsec_assure::profile::Format;
use medsec_assure::{Checklist, Profile, Workspace};

use super::*;

static FONTS: LazyLock<Fonts> =
    LazyLock::new(|| Fonts::discover().unwrap_or_else(|e| panic!("{e}")));

fn fonts() -> &'static Fonts {
    &FONTS
}

fn fixture(name: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-assure/fixtures/devices")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Profile::parse(&text, Format::Toml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The checklist of `device` on `edition` as prefilled, with `edit`
/// applied to the workspace first.
fn checklist_with(device: &str, edition: &str, edit: impl FnOnce(&mut Workspace)) -> Checklist {
    let catalogs = medsec_catalog::catalogs().unwrap();
    let rules = medsec_assure::rules().unwrap();
    let profile = fixture(device);
    let mut ws = Workspace::prefill(catalogs, edition, &profile).unwrap();
    edit(&mut ws);
    let catalog = catalogs.get(edition).unwrap();
    checklist::evaluate(catalogs, rules, catalog, &profile, &BTreeMap::new(), &ws)
}

fn evidence(filename: &str) -> EvidenceRef {
    EvidenceRef {
        id: "ev-1".to_owned(),
        sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_owned(),
        filename: filename.to_owned(),
    }
}

/// The seed's review case: the ECG gateway with item 1.1's document and a
/// passing test on record.
fn ecg_gateway() -> Checklist {
    checklist_with("ecg-gateway", "mfds-2019", |ws| {
        let item = ws.items.get_mut("1.1").unwrap();
        item.attachments.push(Attachment {
            document: "VVT-SW-001 (3.4.1 접근 통제 및 인증)".to_owned(),
            evidence: Some(evidence("VVT-SW-001.pdf")),
        });
        item.tests.push(TestRecord {
            by: "김시험".to_owned(),
            on: "2025-03-04".to_owned(),
            result: TestResult::Pass,
            note: "등록 사용자 로그인 확인".to_owned(),
            evidence: Some(evidence("login-test-log.txt")),
        });
    })
}

/// The PDF's text as `pdftotext -layout` extracts it, or `None` when
/// poppler-utils is not installed (a failure if MEDSEC_REQUIRE_PDFTOTEXT=1).
fn pdftotext(pdf: &[u8]) -> Option<String> {
    text_of(pdf, true)
}

/// `pdftotext` in layout mode (columns side by side, as the form looks) or
/// in reading order (each cell's text together).
fn text_of(pdf: &[u8], layout: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checklist.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    match cmd.arg(&path).arg("-").output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            if std::env::var("MEDSEC_REQUIRE_PDFTOTEXT").is_ok_and(|v| v == "1") {
                panic!("pdftotext: {e} (install poppler-utils)");
            }
            eprintln!("skipped: text checks need pdftotext: {e} (install poppler-utils)");
            None
        }
    }
}

/// Renders and checks that every string in `expect` is on one line of
/// the text as `pdftotext -layout` reads it.
fn check(list: &Checklist, options: &Options, expect: &[&str]) -> Rendered {
    let out = render_with(list, fonts(), options).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.pdf.starts_with(b"%PDF-"));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    if let Some(text) = pdftotext(&out.pdf) {
        let missing: Vec<&&str> = expect.iter().filter(|e| !text.contains(**e)).collect();
        assert!(
            missing.is_empty(),
            "not in the PDF text: {missing:?}\n---\n{text}"
        );
    }
    out
}

/// Renders and checks that every string in `expect` is in the text read
/// in reading order, ignoring white space: a narrow cell may wrap it.
fn check_wrapped(list: &Checklist, options: &Options, expect: &[&str]) -> Rendered {
    let out = render_with(list, fonts(), options).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.pdf.starts_with(b"%PDF-"));
    if let Some(text) = text_of(&out.pdf, false) {
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let squeezed = squeeze(&text);
        let missing: Vec<&&str> = expect
            .iter()
            .filter(|e| !squeezed.contains(&squeeze(e)))
            .collect();
        assert!(
            missing.is_empty(),
            "not in the PDF text: {missing:?}\n---\n{text}"
        );
    }
    out
}

fn ko() -> Options {
    Options::default()
}

#[test]
fn ecg_gateway_as_the_form() {
    let list = ecg_gateway();
    assert!(
        list.rows.iter().any(|r| !r.applies),
        "the fixture has items that do not apply"
    );
    let out = check(
        &list,
        &ko(),
        &[
            "의료기기 사이버보안 필수원칙 체크리스트",
            "2019-11",
            "의료기기 사이버 보안 특성 기재",
            "유헬스케어 게이트웨이",
            "UHG-100",
            "메드시큐 주식회사",
            "2등급",
            "□상",
            "■중",
            "□하",
            "wifi 통신",
            "■ 환자의 생체정보 등의 개인의료정보 송수신",
            "□ 기기제어",
            "□ 펌웨어 또는 소프트웨어 업데이트 등 유지보수",
            "■예",
            "□아니오",
            "해당기기",
            "적합성 입증방법",
            "1.1 접근통제 및 인증",
            "적용",
            "비적용",
            "소프트웨어 검증 및",
            "VVT-SW-001",
            "[시험기준]",
            "등록된 사용자로 로그인하였을 때",
            "[시험방법]",
            "1. 서버에 허가된 사용자를 등록한다.",
            "시험 기록",
            "김시험",
            "2025-03-04",
            "적합",
            "login-test-log.txt (sha256 0123456789ab)",
        ],
    );
    assert!(out.pages >= 3, "{} pages", out.pages);
    let text = pdftotext(&out.pdf);
    if let Some(text) = text {
        // The header row repeats on every page of the table.
        let pages_with_header = text
            .split('\u{c}')
            .filter(|page| page.contains("해당 법규 및"))
            .count();
        assert!(
            pages_with_header >= out.pages - 1,
            "{pages_with_header} of {} pages",
            out.pages
        );
        // "N / M" under every page; pdftotext drops the narrow spaces.
        for n in 1..=out.pages {
            assert!(text.contains(&format!("{n}/{}", out.pages)), "page {n}");
        }
        // The 12 hex digits only, not the whole hash.
        assert!(!text.contains("0123456789abc"));
    }
}

#[test]
fn lang_en_uses_english_labels_and_translations() {
    let options = Options {
        lang: Lang::En,
        ..Options::default()
    };
    check(
        &ecg_gateway(),
        &options,
        &[
            "Guideline on Cybersecurity Approval and Review of Medical Devices",
            "Edition 2019-11",
            "< Cybersecurity characteristics of the medical device >",
            "Product",
            "□High",
            "■Medium",
            "1) Cybersecurity level",
            "Device control",
            "Essential principle",
            "Verification",
            "1.1 Access control and authentication",
            "Applies",
            "Does not apply",
            "[Test criterion]",
            "Test records",
            "Pass",
            // What the manufacturer wrote stays as written.
            "유헬스케어 게이트웨이",
            "등록된 사용자로 로그인하였을 때",
        ],
    );
}

#[test]
fn mfds_2024_renders() {
    let list = checklist_with("ecg-gateway", "mfds-2024", |_| {});
    assert_eq!(list.rows.len(), 35);
    let out = check(
        &list,
        &ko(),
        &["의료기기 사이버 보안 특성 기재", "유헬스케어 게이트웨이"],
    );
    assert!(out.pages >= 3);
}

/// Text that would be markup, code, a comment or an escape in Typst (or
/// HTML) is printed as it is and does not break the layout.
#[test]
fn hostile_text_is_printed_literally() {
    const HOSTILE: &[&str] = &[
        "#set page(width: 1cm)",
        "$x^2$ math",
        "*not bold*",
        "_not emph_",
        r"back\slash \u{41}",
        r#"say "quoted" text"#,
        "close ] bracket [",
        "<script>alert(1)</script>",
        "@x ref <label>",
        "// not a comment",
        "/* not a block */",
        "#{panic(\"boom\")}",
        "= not a heading",
        "- not a list",
        "`raw` ~ nbsp",
        "{{json}} \"key\": 1",
    ];
    let mut list = ecg_gateway();
    list.header.product = HOSTILE[0].to_owned();
    list.header.model = HOSTILE[1].to_owned();
    list.header.communication = HOSTILE[2].to_owned();
    let row = &mut list.rows[0];
    row.title_ko = HOSTILE[3].to_owned();
    row.reason_ko = HOSTILE[4].to_owned();
    row.content.methods = vec![HOSTILE[5].to_owned()];
    row.content.standards = vec![HOSTILE[6].to_owned()];
    row.content.attachments = vec![Attachment {
        document: HOSTILE[7].to_owned(),
        evidence: None,
    }];
    row.content.test_criterion = Some(HOSTILE[8].to_owned());
    row.content.test_method = vec![HOSTILE[9].to_owned(), HOSTILE[10].to_owned()];
    row.content.note = Some(HOSTILE[11].to_owned());
    row.content.tests = vec![TestRecord {
        by: HOSTILE[12].to_owned(),
        on: "2025-01-01".to_owned(),
        result: TestResult::Fail,
        note: HOSTILE[13].to_owned(),
        evidence: None,
    }];
    list.rows[1].justification = Some(HOSTILE[14].to_owned());
    list.rows[1].requirement_ko = Some(HOSTILE[15].to_owned());
    check_wrapped(&list, &ko(), HOSTILE);
}

#[test]
fn a_test_method_of_500_steps_spans_pages() {
    let mut list = ecg_gateway();
    list.rows[0].content.test_method = (1..=500)
        .map(|i| format!("단계 {i}번을 수행한다."))
        .collect();
    let out = check(
        &list,
        &ko(),
        &["1. 단계 1번을 수행한다.", "500. 단계 500번을 수행한다."],
    );
    assert!(out.pages > 10, "{} pages", out.pages);
}

#[test]
fn an_empty_checklist_renders() {
    let mut list = ecg_gateway();
    list.rows.clear();
    list.header.manufacturer = None;
    list.header.purposes.clear();
    list.header.communication.clear();
    let out = check(
        &list,
        &ko(),
        &[
            "의료기기 사이버 보안 특성 기재",
            "항목 없음",
            "시험 기록 없음",
            "□ 기기제어",
        ],
    );
    assert_eq!(out.pages, 1);
}

#[test]
fn the_date_of_preparation_is_printed_and_output_is_deterministic() {
    let list = ecg_gateway();
    let options = Options {
        generated: Some((2025, 3, 4)),
        ..Options::default()
    };
    let a = check(&list, &options, &["2019-11 판 · 작성일 2025-03-04"]);
    let b = render_with(&list, fonts(), &options).unwrap();
    assert_eq!(a.pdf, b.pdf);
    assert!(String::from_utf8_lossy(&a.pdf).contains("20250304"));
    let bad = Options {
        generated: Some((2025, 2, 30)),
        ..Options::default()
    };
    let err = render_with(&list, fonts(), &bad).unwrap_err();
    assert!(matches!(err, PdfError::InvalidDate { .. }), "{err}");
    assert!(err.is_input_error());
}

#[test]
fn characters_without_a_glyph_are_an_error_unless_allowed() {
    let mut list = ecg_gateway();
    list.rows[0].content.note = Some("private use \u{E000} here".to_owned());
    let err = render(&list, Lang::Ko, fonts()).unwrap_err();
    match &err {
        PdfError::MissingGlyphs { chars } => assert_eq!(chars, &['\u{E000}']),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("U+E000"), "{err}");
    assert!(err.is_input_error());
    let allowed = Options {
        allow_missing_glyphs: true,
        ..Options::default()
    };
    let out = render_with(&list, fonts(), &allowed).unwrap();
    assert_eq!(out.missing_glyphs, vec!['\u{E000}']);
    assert!(out.pdf.starts_with(b"%PDF-"));
}

#[test]
fn template_errors_are_reported_with_their_position() {
    let err = compile(
        Template::Custom("= Title\n#panic(\"broken on purpose\")\n"),
        b"{}".to_vec(),
        fonts(),
        &ko(),
        None,
        "test".to_owned(),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, PdfError::Layout { .. }), "{message}");
    assert!(message.contains("checklist.typ:2:"), "{message}");
    assert!(message.contains("broken on purpose"), "{message}");

    let err = compile(
        Template::Custom("#let = 1"),
        b"{}".to_vec(),
        fonts(),
        &ko(),
        None,
        "test".to_owned(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("checklist.typ:1:"), "{err}");

    // The template reads only its data: no other file, no package.
    for template in [
        "#read(\"/etc/passwd\")",
        "#json(\"../../etc/passwd\")",
        "#import \"@preview/x:0.1.0\": *",
    ] {
        let err = compile(
            Template::Custom(template),
            b"{}".to_vec(),
            fonts(),
            &ko(),
            None,
            "t".to_owned(),
        )
        .unwrap_err();
        assert!(matches!(err, PdfError::Layout { .. }), "{template}: {err}");
    }
}

#[test]
fn fonts_are_shared_and_korean_is_required() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Fonts>();

    let f = fonts();
    assert!(!f.is_empty());
    assert!(
        f.files()
            .iter()
            .any(|p| p.to_string_lossy().contains("CJK")),
        "{f:?}"
    );
    assert_eq!(
        f.families().first().map(String::as_str),
        Some("Noto Sans CJK KR"),
        "{f:?}"
    );

    let regular = PathBuf::from("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    let only = Fonts::from_paths(std::slice::from_ref(&regular)).unwrap();
    assert!(only.len() >= 5, "every face of the collection: {only:?}");
    check_renders_with(&only);

    let latin = PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if latin.is_file() {
        let err = Fonts::from_paths(std::slice::from_ref(&latin)).unwrap_err();
        assert!(matches!(err, PdfError::NoKoreanFont { .. }), "{err}");
        assert!(err.to_string().contains("fonts-noto-cjk"), "{err}");
    }

    let err = Fonts::from_paths(&[PathBuf::from("/nonexistent/font.ttf")]).unwrap_err();
    assert!(matches!(err, PdfError::FontRead { .. }), "{err}");
    assert!(!err.is_input_error());
    assert!(err.to_string().contains("/nonexistent/font.ttf"), "{err}");

    let not_a_font = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let err = Fonts::from_paths(&[not_a_font]).unwrap_err();
    assert!(matches!(err, PdfError::NotAFont { .. }), "{err}");
}

fn check_renders_with(fonts: &Fonts) {
    let pdf = render(&ecg_gateway(), Lang::Ko, fonts).unwrap_or_else(|e| panic!("{e}"));
    if let Some(text) = pdftotext(&pdf) {
        assert!(text.contains("접근통제 및 인증"));
    }
}

/// A URL or Hangul run longer than its cell wraps inside the cell instead
/// of running over the next cells and off the page, and still reads as one
/// word.
#[test]
fn long_words_wrap_inside_their_cell() {
    let url = format!("https://example.org/{}", "abcdefghij".repeat(20));
    let hangul = "가나다라마바사아자차카타파하".repeat(5);
    let mut list = ecg_gateway();
    list.rows[0].content.standards = vec![url.clone()];
    list.rows[0].content.attachments[0].document = hangul.clone();
    let out = check_wrapped(&list, &ko(), &[&url, &hangul]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pdf");
    std::fs::write(&path, &out.pdf).unwrap();
    let Ok(bbox) = Command::new("pdftotext")
        .arg("-bbox")
        .arg(&path)
        .arg("-")
        .output()
    else {
        return;
    };
    let html = String::from_utf8(bbox.stdout).unwrap();
    let right_edge = html
        .split("xMax=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse::<f64>().ok())
        .fold(0.0_f64, f64::max);
    // A4 landscape is 841.9 pt wide; the right margin is 12 mm (34 pt).
    assert!(
        right_edge > 700.0 && right_edge < 841.9 - 30.0,
        "text reaches x = {right_edge}"
    );
}

fn incident_report(rows: usize) -> report::Report {
    use report::{Block, Report};
    Report {
        kind: "침해사고 보고서".into(),
        heading: "PACS 서버 랜섬웨어 감염 #[panic] $x$ <b>".into(),
        subtitle: "INC 0f3a · 제2판".into(),
        running: "침해사고 보고서 · PACS".into(),
        facts: vec![
            ["상태".into(), "대응".into()],
            ["심각도".into(), "긴급".into()],
            ["탐지 시각".into(), "2026-11-20 03:12".into()],
        ],
        blocks: vec![
            Block::Text {
                title: "개요".into(),
                text: "영상 저장 서버 암호화.\n둘째 줄 // 주석 아님 * _ @ \\".into(),
                empty: "기재 없음".into(),
            },
            Block::Text {
                title: "교훈".into(),
                text: "  ".into(),
                empty: "기재 없음".into(),
            },
            Block::Table {
                title: "타임라인".into(),
                columns: vec!["시각".into(), "기관".into(), "내용".into()],
                widths: vec![2, 2, 5],
                rows: (0..rows)
                    .map(|i| {
                        vec![
                            format!("2026-11-20 03:{:02}", i % 60),
                            "의료ISAC".into(),
                            format!("항목 {i} sha256 {}", "ab".repeat(32)),
                        ]
                    })
                    .collect(),
                empty: "기록 없음".into(),
            },
            Block::Table {
                title: "증거".into(),
                columns: vec!["파일".into(), "SHA-256".into()],
                widths: vec![1, 2],
                rows: Vec::new(),
                empty: "증거 없음".into(),
            },
        ],
        author: Some("의료ISAC".into()),
        colophon: "medsec 으로 작성".into(),
    }
}

#[test]
fn a_report_lays_out_its_facts_sections_and_tables() {
    let options = Options {
        generated: Some((2026, 11, 26)),
        ..ko()
    };
    let out = report::render(&incident_report(3), fonts(), &options, "medsec/incident/x").unwrap();
    assert!(out.pdf.starts_with(b"%PDF-"));
    assert_eq!(out.pages, 1);
    // Deterministic: the same report gives the same bytes.
    let again =
        report::render(&incident_report(3), fonts(), &options, "medsec/incident/x").unwrap();
    assert_eq!(out.pdf, again.pdf);
    if let Some(text) = text_of(&out.pdf, false) {
        for expect in [
            "침해사고 보고서",
            "PACS 서버 랜섬웨어 감염 #[panic] $x$ <b>",
            "상태",
            "긴급",
            "둘째 줄 // 주석 아님 * _ @ \\",
            "기재 없음",
            "항목 2",
            "증거 없음",
            "medsec 으로 작성",
        ] {
            assert!(text.contains(expect), "{expect:?} missing in:\n{text}");
        }
    }
}

#[test]
fn a_long_report_table_spans_pages_and_bad_tables_are_refused() {
    let out = report::render(&incident_report(400), fonts(), &ko(), "t").unwrap();
    assert!(out.pages > 3, "{} pages", out.pages);
    if let Some(text) = text_of(&out.pdf, false) {
        assert!(text.contains("항목 399"));
        // The running line on later pages.
        assert!(text.matches("침해사고 보고서 · PACS").count() >= 3);
    }
    let mut bad = incident_report(1);
    if let Some(report::Block::Table { rows, .. }) = bad.blocks.get_mut(2) {
        rows.push(vec!["only one cell".into()]);
    }
    let err = report::render(&bad, fonts(), &ko(), "t").unwrap_err();
    assert!(err.to_string().contains("타임라인"), "{err}");
}
