//! The layout and the SVG: nothing overlaps, elements lie in their
//! boundaries, the output is stable and escapes what it draws. The XML is
//! parsed by Python's `xml.etree` in `tests/it`.

use super::super::layout::{self, has_geometry};
use super::super::svg::{self, FONT_FAMILY};
use super::*;

#[test]
fn layouts_nest_boundaries_and_never_overlap() {
    for name in FIXTURES {
        let m = model(name);
        let l = layout::layout(&m, 0);
        assert_eq!(l.nodes.len(), m.elements.len(), "{name}");
        assert_eq!(l.boxes.len(), m.boundaries.len(), "{name}");
        for e in &m.elements {
            let at = l.nodes[&e.id];
            // Inside every boundary it lies in, and outside all others.
            let enclosing = m.enclosing(&e.id);
            for b in &m.boundaries {
                let r = l.boxes[&b.id];
                assert_eq!(
                    r.contains(&at),
                    enclosing.contains(&b.id.as_str()),
                    "{name}: {} and boundary {}",
                    e.id,
                    b.id
                );
            }
            for o in m.elements.iter().filter(|o| o.id != e.id) {
                assert!(
                    !at.overlaps(&l.nodes[&o.id]),
                    "{name}: {} overlaps {}",
                    e.id,
                    o.id
                );
            }
        }
        for a in &m.boundaries {
            for b in m.boundaries.iter().filter(|b| b.id != a.id) {
                let (ra, rb) = (l.boxes[&a.id], l.boxes[&b.id]);
                let nested = ra.contains(&rb) || rb.contains(&ra);
                assert!(
                    nested || !ra.overlaps(&rb),
                    "{name}: {} and {} overlap",
                    a.id,
                    b.id
                );
                assert_eq!(
                    ra.contains(&rb),
                    m.boundary_ancestors(&b.id).contains(&a.id.as_str()),
                    "{name}: {} in {}",
                    b.id,
                    a.id
                );
            }
        }
        assert!(l.width > 0.0 && l.height > 0.0);
        // Laid out, the model keeps the geometry and draws the same.
        let placed = m.with_layout();
        assert!(has_geometry(&placed, 0) && !has_geometry(&m, 0));
        assert_eq!(svg::render(&placed), svg::render(&m), "{name}");
    }
}

#[test]
fn flows_bend_around_elements_in_their_way() {
    let m = model("ecg-patch-gateway").with_layout();
    // The nurse stands left of the ward; the patch is between the nurse
    // and the gateway, so the flow bends.
    let f = m.flow("nurse-ui").unwrap();
    assert_eq!(f.vertices.len(), 1, "{:?}", f.vertices);
    // Parallel flows between the same elements fan out.
    let (a, b) = (
        m.flow("patch-ecg").unwrap(),
        m.flow("patch-firmware").unwrap(),
    );
    assert_eq!((a.vertices.len(), b.vertices.len()), (1, 1));
    assert_ne!(a.vertices, b.vertices);
}

#[test]
fn the_svg_is_stable_korean_and_complete() {
    let m = model("ecg-gateway");
    let a = svg::render(&m);
    assert_eq!(a, svg::render(&m));
    assert!(a.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""
    ));
    assert!(a.trim_end().ends_with("</svg>"));
    assert!(FONT_FAMILY.contains("Noto Sans CJK KR"));
    assert!(a.contains(&format!("font-family=\"{}\"", svg::escape(FONT_FAMILY))));
    for e in &m.elements {
        assert!(a.contains(&format!("data-id=\"{}\"", e.id)), "{}", e.id);
    }
    for f in &m.flows {
        assert!(
            a.contains(&format!("class=\"flow\" data-id=\"{}\"", f.id)),
            "{}",
            f.id
        );
    }
    // Boundaries are dashed boxes with their Korean names; crossing flows
    // are red with their own arrowhead.
    assert!(a.contains("환자 가정") && a.contains("의료기관 네트워크"));
    assert!(a.contains("stroke-dasharray=\"8 5\""));
    assert!(a.contains("<tspan x=\"") && a.contains(">유헬스케어</tspan>"));
    let crossing = a.matches("marker-end=\"url(#arrow-crossing)\"").count();
    // One per crossing flow, plus the legend's sample.
    assert_eq!(
        crossing,
        m.flows.iter().filter(|f| !f.crosses.is_empty()).count() + 1
    );
    // Shapes: circles for processes, open stores, boxes for entities.
    assert_eq!(a.matches("<g class=\"element process\"").count(), 3);
    assert_eq!(a.matches("<g class=\"element store\"").count(), 1);
    assert_eq!(a.matches("<g class=\"element external\"").count(), 4);
}

#[test]
fn hostile_names_are_escaped() {
    let mut m = model("ecg-gateway");
    m.elements[0].name = "</text><script>alert(1)</script> & \"q\" 'x' \u{1}\u{FFFF}".to_owned();
    m.flows[0].name = "<![CDATA[".to_owned();
    m.flows[0].protocol = "]]>".to_owned();
    m.boundaries[0].name = "a&b".to_owned();
    m.title = "<title>".to_owned();
    let s = svg::render(&m);
    assert!(!s.contains("<script"), "{s}");
    assert!(!s.contains("<![CDATA["));
    assert!(!s.contains('\u{1}') && !s.contains('\u{FFFF}'));
    assert!(s.contains("&lt;/text&gt;&lt;script&gt;"));
    assert!(s.contains("&amp; &quot;q&quot; &apos;x&apos;"));
    assert!(s.contains("a&amp;b"));
    assert!(s.contains("<title>&lt;title&gt;"));
}

#[test]
fn long_names_wrap_and_end_in_an_ellipsis() {
    let mut m = model("ecg-gateway");
    m.elements[0].name =
        "아주 긴 이름을 가진 유헬스케어 심전계 장치 본체 모듈 펌웨어 구성요소 이름".to_owned();
    let s = svg::render(&m);
    let group = s
        .split("<g class=\"element process\" data-id=\"ecg\">")
        .nth(1)
        .and_then(|g| g.split("</g>").next())
        .unwrap();
    // The full name in the tooltip; the drawn lines shortened.
    assert!(group.contains(&format!("<title>{} (프로세스)</title>", m.elements[0].name)));
    let lines = group.matches("<tspan").count();
    assert!((2..=4).contains(&lines), "{group}");
    assert!(group.contains('…'), "{group}");
}
