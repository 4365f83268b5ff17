//! The HTML page: the form's content in both languages, and every text
//! escaped.

use super::*;
use crate::html::{Lang, escape, render};

#[test]
fn korean_page_has_the_form() {
    let list = ecg_checklist();
    let page = render(&list, Lang::default());
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"ko\">"));
    for text in [
        "&lt; 의료기기 사이버 보안 특성 기재 &gt;",
        "1) 사이버 보안 안전성 등급 : □상 ■중 □하",
        "2) 사용되는 통신 기술 : wifi 통신",
        "3) 통신목적 : ■ 환자의 생체정보 등의 개인의료정보 송수신",
        "□ 기기제어",
        "4) 공용 네트워크망 사용여부 : 예",
        "<th>사이버보안 필수원칙</th><th>해당기기 적용여부</th><th>적합성 입증방법</th><th>해당 법규 및 규격</th><th>해당 첨부자료 또는 문서번호</th><th>검증 방법</th>",
        "<span class=\"id\">1.1 접근통제 및 인증</span>",
        "VVT-SW-001",
        "[시험기준]\n등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다.\n[시험방법]\n1. 서버에 허가된 사용자를 등록한다.",
        "사용자 판단: 현장 서비스 USB로",
        "<td class=\"center\">부적합</td>",
        "@page { size: A4 landscape;",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
}

#[test]
fn english_page_uses_the_english_texts() {
    let list = ecg_checklist();
    let page = render(&list, Lang::En);
    let row = &list.rows[index_of(&list, "1.1")];
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("<th>Essential principle</th><th>Applies to this device</th>"));
    assert!(page.contains(&escape(&row.title_en)));
    assert!(page.contains(&escape(row.requirement_en.as_deref().unwrap())));
    assert!(page.contains(&escape(&row.reason_en)));
    assert!(page.contains(&escape(&list.catalog_title_en)));
    assert!(page.contains("1) Cybersecurity level : □High ■Medium □Low"));
    assert!(page.contains("<td class=\"center\">Fail</td>"));
    assert!(!page.contains("사이버보안 필수원칙"));
}

#[test]
fn hostile_strings_are_escaped() {
    let mut list = ecg_checklist();
    let evil = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'&amp;\u{0}\u{1b}";
    list.header.product = evil.to_owned();
    list.header.communication = evil.to_owned();
    list.header.manufacturer = Some(evil.to_owned());
    list.catalog_title_ko = evil.to_owned();
    let row = &mut list.rows[0];
    row.title_ko = evil.to_owned();
    row.justification = Some(evil.to_owned());
    row.content.methods.push(evil.to_owned());
    row.content.note = Some(evil.to_owned());
    row.content.tests[0].by = evil.to_owned();
    row.content.tests[0].evidence.as_mut().unwrap().filename = evil.to_owned();
    for lang in [Lang::Ko, Lang::En] {
        let page = render(&list, lang);
        assert!(!page.contains("<script"), "{lang:?}");
        assert!(!page.contains("<img"), "{lang:?}");
        assert!(!page.contains("\"><"), "{lang:?}");
        assert!(!page.contains('\u{0}') && !page.contains('\u{1b}'));
        assert!(page.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;amp;"
        ));
        // The page allows no scripts even if something slipped through.
        assert!(page.contains("default-src 'none'; style-src 'unsafe-inline'"));
    }
    // The id lands in an attribute: escaped there too.
    list.rows[0].id = "x\" onmouseover=\"alert(3)".to_owned();
    let page = render(&list, Lang::Ko);
    assert!(page.contains("id=\"item-x&quot; onmouseover=&quot;alert(3)\""));
}
