//! The checklist as a standalone, print-friendly HTML page: inline CSS
//! only, no scripts, every text escaped, in Korean (the form's language)
//! or English.

use std::fmt::Write as _;

use medsec_assure::Checklist;
use medsec_assure::checklist::{Row, TestResult};
use medsec_assure::profile::{Purpose, SecurityLevel};

/// The language of the page's labels and of the catalogue texts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

/// The page's fixed texts in one language.
struct Labels {
    lang: &'static str,
    header_block: &'static str,
    product: &'static str,
    model: &'static str,
    version: &'static str,
    manufacturer: &'static str,
    grade: &'static str,
    level: &'static str,
    communication: &'static str,
    purposes: &'static str,
    public_network: &'static str,
    yes: &'static str,
    no: &'static str,
    columns: [&'static str; 7],
    applies: &'static str,
    not_applies: &'static str,
    criterion: &'static str,
    method: &'static str,
    justification: &'static str,
    note: &'static str,
    tests: &'static str,
    test_columns: [&'static str; 6],
    none: &'static str,
}

const KO: Labels = Labels {
    lang: "ko",
    header_block: "< 의료기기 사이버 보안 특성 기재 >",
    product: "제품명",
    model: "모델명",
    version: "소프트웨어 버전",
    manufacturer: "제조사",
    grade: "등급",
    level: "1) 사이버 보안 안전성 등급",
    communication: "2) 사용되는 통신 기술",
    purposes: "3) 통신목적",
    public_network: "4) 공용 네트워크망 사용여부",
    yes: "예",
    no: "아니오",
    columns: [
        "사이버보안 필수원칙",
        "해당기기 적용여부",
        "적합성 입증방법",
        "해당 법규 및 규격",
        "해당 첨부자료 또는 문서번호",
        "검증 방법",
        "적용 판단 근거",
    ],
    applies: "적용",
    not_applies: "비적용",
    criterion: "[시험기준]",
    method: "[시험방법]",
    justification: "사용자 판단:",
    note: "비고",
    tests: "시험기록",
    test_columns: ["항목", "시험자", "시험일", "결과", "비고", "근거자료"],
    none: "시험기록 없음",
};

const EN: Labels = Labels {
    lang: "en",
    header_block: "< Cybersecurity characteristics of the medical device >",
    product: "Product",
    model: "Model",
    version: "Software version",
    manufacturer: "Manufacturer",
    grade: "Class",
    level: "1) Cybersecurity level",
    communication: "2) Communication technology",
    purposes: "3) Purpose of communication",
    public_network: "4) Uses a public network",
    yes: "Yes",
    no: "No",
    columns: [
        "Essential principle",
        "Applies to this device",
        "Method of demonstrating conformity",
        "Regulations and standards",
        "Attachment or document number",
        "Verification",
        "Rationale",
    ],
    applies: "Applies",
    not_applies: "Does not apply",
    criterion: "[Test criterion]",
    method: "[Test method]",
    justification: "User decision:",
    note: "Note",
    tests: "Test records",
    test_columns: ["Item", "Tester", "Date", "Result", "Note", "Evidence"],
    none: "No test records",
};

const STYLE: &str = "\
@page { size: A4 landscape; margin: 12mm; }
body { font-family: 'Malgun Gothic', 'Apple SD Gothic Neo', 'Noto Sans KR', sans-serif; font-size: 10pt; color: #000; margin: 0 auto; max-width: 297mm; }
h1 { font-size: 14pt; margin: 0 0 8pt; }
h2 { font-size: 12pt; margin: 14pt 0 6pt; }
.header { margin: 0 0 10pt; }
.header p { margin: 2pt 0; }
.header .block { font-weight: bold; }
.header .indent { padding-left: 6.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #000; padding: 3pt 4pt; vertical-align: top; text-align: left; white-space: pre-wrap; overflow-wrap: anywhere; }
th { background: #d9d9d9; text-align: center; vertical-align: middle; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.center { text-align: center; }
td.na { color: #555; }
.requirement { display: block; margin-top: 2pt; }
.id { font-weight: bold; }
@media print { body { max-width: none; } }
";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no
            // business in a page; drop them rather than pass them on.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn level(l: SecurityLevel, lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => l.ko(),
        Lang::En => match l {
            SecurityLevel::High => "High",
            SecurityLevel::Medium => "Medium",
            SecurityLevel::Low => "Low",
        },
    }
}

fn purpose(p: Purpose, lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => p.ko(),
        Lang::En => p.en(),
    }
}

fn result(r: TestResult, lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => r.ko(),
        Lang::En => match r {
            TestResult::Pass => "Pass",
            TestResult::Fail => "Fail",
            TestResult::Inconclusive => "Inconclusive",
        },
    }
}

/// The English text where there is one, else the Korean.
fn pick<'a>(lang: Lang, ko: &'a str, en: Option<&'a str>) -> &'a str {
    match (lang, en) {
        (Lang::En, Some(e)) if !e.trim().is_empty() => e,
        _ => ko,
    }
}

/// Renders the checklist as a complete HTML document.
pub fn render(list: &Checklist, lang: Lang) -> String {
    let l = match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    };
    let title = pick(lang, &list.catalog_title_ko, Some(&list.catalog_title_en));
    let mut out = String::with_capacity(4096 + list.rows.len() * 2048);
    // `write!` into a String cannot fail; the results are ignored below.
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        l.lang,
        escape(title),
        escape(&list.header.product),
    );
    let _ = writeln!(
        out,
        "<h1>{} ({})</h1>",
        escape(title),
        escape(&list.edition)
    );
    header(&mut out, list, lang, l);
    rows(&mut out, list, lang, l);
    tests(&mut out, list, lang, l);
    out.push_str("</body>\n</html>\n");
    out
}

fn header(out: &mut String, list: &Checklist, lang: Lang, l: &Labels) {
    let h = &list.header;
    let line = |out: &mut String, label: &str, value: &str| {
        let _ = writeln!(out, "<p>{} : {}</p>", escape(label), escape(value));
    };
    out.push_str("<section class=\"header\">\n");
    let _ = writeln!(out, "<p class=\"block\">{}</p>", escape(l.header_block));
    line(out, l.product, &h.product);
    line(out, l.model, &h.model);
    line(out, l.version, &h.software_version);
    if let Some(m) = &h.manufacturer {
        line(out, l.manufacturer, m);
    }
    let grade = match lang {
        Lang::Ko => format!("{}등급", h.grade),
        Lang::En => format!("Class {}", h.grade),
    };
    line(out, l.grade, &grade);
    let boxes: Vec<String> = [
        SecurityLevel::High,
        SecurityLevel::Medium,
        SecurityLevel::Low,
    ]
    .iter()
    .map(|x| {
        let b = if *x == h.security_level { '■' } else { '□' };
        format!("{b}{}", level(*x, lang))
    })
    .collect();
    line(out, l.level, &boxes.join(" "));
    line(out, l.communication, &h.communication);
    for (i, p) in Purpose::ALL.iter().enumerate() {
        let b = if h.purposes.contains(p) { '■' } else { '□' };
        let text = format!("{b} {}", purpose(*p, lang));
        if i == 0 {
            line(out, l.purposes, &text);
        } else {
            let _ = writeln!(out, "<p class=\"indent\">{}</p>", escape(&text));
        }
    }
    line(
        out,
        l.public_network,
        if h.public_network { l.yes } else { l.no },
    );
    out.push_str("</section>\n");
}

fn cell(out: &mut String, class: &str, text: &str) {
    if class.is_empty() {
        let _ = writeln!(out, "<td>{}</td>", escape(text));
    } else {
        let _ = writeln!(out, "<td class=\"{class}\">{}</td>", escape(text));
    }
}

fn rows(out: &mut String, list: &Checklist, lang: Lang, l: &Labels) {
    out.push_str("<table class=\"checklist\">\n<thead>\n<tr>");
    for c in l.columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for r in &list.rows {
        row(out, r, lang, l);
    }
    out.push_str("</tbody>\n</table>\n");
}

fn row(out: &mut String, r: &Row, lang: Lang, l: &Labels) {
    let c = &r.content;
    let _ = writeln!(out, "<tr id=\"item-{}\">", escape(&r.id));
    let title = pick(lang, &r.title_ko, Some(&r.title_en));
    let requirement = match (lang, r.requirement_en.as_deref()) {
        (Lang::En, Some(e)) if !e.trim().is_empty() => Some(e),
        _ => r.requirement_ko.as_deref(),
    };
    let _ = write!(
        out,
        "<td><span class=\"id\">{} {}</span>",
        escape(&r.id),
        escape(title)
    );
    if let Some(req) = requirement {
        let _ = write!(out, "<span class=\"requirement\">{}</span>", escape(req));
    }
    out.push_str("</td>\n");
    if r.applies {
        cell(out, "center", l.applies);
    } else {
        cell(out, "center na", l.not_applies);
    }
    cell(out, "", &c.methods.join("\n"));
    cell(out, "", &c.standards.join("\n"));
    let documents: Vec<&str> = c.attachments.iter().map(|a| a.document.as_str()).collect();
    cell(out, "", &documents.join("\n"));
    let mut verification = Vec::new();
    if let Some(crit) = &c.test_criterion {
        verification.push(format!("{}\n{crit}", l.criterion));
    }
    if !c.test_method.is_empty() {
        let steps: Vec<String> = c
            .test_method
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}", i + 1))
            .collect();
        verification.push(format!("{}\n{}", l.method, steps.join("\n")));
    }
    cell(out, "", &verification.join("\n"));
    let mut reason = pick(lang, &r.reason_ko, Some(&r.reason_en)).to_owned();
    if let Some(j) = &r.justification {
        if !reason.is_empty() {
            reason.push('\n');
        }
        reason.push_str(&format!("{} {j}", l.justification));
    }
    if let Some(n) = &c.note {
        if !reason.is_empty() {
            reason.push('\n');
        }
        reason.push_str(&format!("{}: {n}", l.note));
    }
    cell(out, "", &reason);
    out.push_str("</tr>\n");
}

fn tests(out: &mut String, list: &Checklist, lang: Lang, l: &Labels) {
    let _ = writeln!(out, "<h2>{}</h2>", escape(l.tests));
    let records: Vec<_> = list
        .rows
        .iter()
        .flat_map(|r| r.content.tests.iter().map(move |t| (r, t)))
        .collect();
    if records.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(l.none));
        return;
    }
    out.push_str("<table class=\"tests\">\n<thead>\n<tr>");
    for c in l.test_columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for (r, t) in records {
        out.push_str("<tr>\n");
        cell(out, "center", &r.id);
        cell(out, "", &t.by);
        cell(out, "center", &t.on);
        cell(out, "center", result(t.result, lang));
        cell(out, "", &t.note);
        let evidence = t
            .evidence
            .as_ref()
            .map(|e| format!("{}\nSHA-256 {}", e.filename, e.sha256))
            .unwrap_or_default();
        cell(out, "", &evidence);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}
