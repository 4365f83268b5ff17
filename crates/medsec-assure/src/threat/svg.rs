//! The data-flow diagram as SVG: trust boundaries as dashed boxes (or
//! dashed lines, as Threat Dragon draws some), processes as circles,
//! external entities as boxes, data stores as open rectangles, flows as
//! labelled arrows, those that cross a trust boundary in red. Korean text
//! is set in Noto Sans CJK KR or the platform's Korean font. The output is
//! standalone XML, the same bytes for the same model.

use std::fmt::Write as _;

use super::layout::{self, Layout};
use super::{BoundaryShape, ElementKind, End, Point, Rect, ThreatModel};

/// Korean first; `sans-serif` last so something always renders.
pub const FONT_FAMILY: &str =
    "'Noto Sans KR', 'Noto Sans CJK KR', 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif";
const FONT_SIZE: f64 = 12.0;
const LINE: f64 = 15.0;
const CROSSING: &str = "#c62828";
const BOUNDARY: &str = "#b71c1c";
const INK: &str = "#333333";
const LEGEND_HEIGHT: f64 = 56.0;

/// The first diagram.
pub fn render(model: &ThreatModel) -> String {
    render_diagram(model, 0)
}

/// One diagram: drawn where the model places its elements when it places
/// all of them (a Threat Dragon file), else where [`layout::layout`] puts
/// them.
pub fn render_diagram(model: &ThreatModel, diagram: usize) -> String {
    let geometry = if layout::has_geometry(model, diagram) {
        stored(model, diagram)
    } else {
        layout::layout(model, diagram)
    };
    Canvas::new(model, diagram, &geometry).finish()
}

/// The model's own geometry as a layout.
fn stored(model: &ThreatModel, diagram: usize) -> Layout {
    let mut l = Layout::default();
    for e in model.elements.iter().filter(|e| e.diagram == diagram) {
        if let Some(at) = e.at {
            l.nodes.insert(e.id.clone(), at);
        }
    }
    for b in model.boundaries.iter().filter(|b| b.diagram == diagram) {
        if let BoundaryShape::Box { at: Some(at) } = b.shape {
            l.boxes.insert(b.id.clone(), at);
        }
    }
    for f in model.flows.iter().filter(|f| f.diagram == diagram) {
        if !f.vertices.is_empty() {
            l.vertices.insert(f.id.clone(), f.vertices.clone());
        }
    }
    for (n, note) in model
        .notes
        .iter()
        .filter(|n| n.diagram == diagram)
        .enumerate()
    {
        let at = note.at.unwrap_or(Rect {
            x: 0.0,
            y: -80.0 * (n as f64 + 1.0),
            width: 190.0,
            height: 60.0,
        });
        l.notes.insert(note.id.clone(), at);
    }
    l
}

/// Removes what XML 1.0 cannot hold and escapes the rest.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A number as SVG wants it: at most one decimal, no `-0`.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 || !r.is_finite() {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// An estimate of the drawn width: Hangul, CJK and full-width forms take
/// a full em, other characters a little over half.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32,
                0x1100..=0x11FF | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                size
            } else if c == ' ' {
                size * 0.3
            } else {
                size * 0.6
            }
        })
        .sum()
}

/// Breaks text into lines of at most `width`: at explicit line breaks,
/// then between words, then inside a word too long for a line; more than
/// `max` lines end in an ellipsis (the full text is in the `<title>`).
fn wrap(text: &str, width: f64, max: usize, size: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                let mut next = line.clone();
                next.push(c);
                if text_width(&next, size) > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                } else {
                    line = next;
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && text_width(&format!("{last}…"), size) > width {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// Where the line from `from` towards `to` leaves a shape.
fn border(at: &Rect, kind: Option<ElementKind>, toward: Point) -> Point {
    let c = at.center();
    let (dx, dy) = (toward.x - c.x, toward.y - c.y);
    if dx == 0.0 && dy == 0.0 {
        return c;
    }
    if kind == Some(ElementKind::Process) {
        let r = at.width.min(at.height) / 2.0;
        let len = (dx * dx + dy * dy).sqrt();
        return Point {
            x: c.x + dx / len * r,
            y: c.y + dy / len * r,
        };
    }
    let sx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (at.width / 2.0) / dx.abs()
    };
    let sy = if dy == 0.0 {
        f64::INFINITY
    } else {
        (at.height / 2.0) / dy.abs()
    };
    let s = sx.min(sy);
    Point {
        x: c.x + dx * s,
        y: c.y + dy * s,
    }
}

struct Canvas<'a> {
    model: &'a ThreatModel,
    diagram: usize,
    geometry: &'a Layout,
    body: String,
    min: Point,
    max: Point,
}

impl<'a> Canvas<'a> {
    fn new(model: &'a ThreatModel, diagram: usize, geometry: &'a Layout) -> Canvas<'a> {
        Canvas {
            model,
            diagram,
            geometry,
            body: String::new(),
            min: Point {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            max: Point {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        }
    }

    fn extend(&mut self, p: Point) {
        self.min.x = self.min.x.min(p.x);
        self.min.y = self.min.y.min(p.y);
        self.max.x = self.max.x.max(p.x);
        self.max.y = self.max.y.max(p.y);
    }

    fn extend_rect(&mut self, r: &Rect) {
        self.extend(Point { x: r.x, y: r.y });
        self.extend(Point {
            x: r.x + r.width,
            y: r.y + r.height,
        });
    }

    /// Lines of text centred on `(x, y)`.
    fn text(&mut self, lines: &[String], x: f64, y: f64, attrs: &str) {
        let top = y - LINE * (lines.len() as f64 - 1.0) / 2.0;
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="middle" dominant-baseline="central"{attrs}>"#,
            num(x),
            num(top)
        );
        for (n, line) in lines.iter().enumerate() {
            if n == 0 {
                let _ = write!(
                    self.body,
                    "<tspan x=\"{}\">{}</tspan>",
                    num(x),
                    escape(line)
                );
            } else {
                let _ = write!(
                    self.body,
                    "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
                    num(x),
                    num(LINE),
                    escape(line)
                );
            }
        }
        self.body.push_str("</text>\n");
    }

    fn boundaries(&mut self) {
        self.body.push_str("<g class=\"boundaries\">\n");
        let model = self.model;
        let diagram = self.diagram;
        for b in model.boundaries.iter().filter(|b| b.diagram == diagram) {
            let _ = writeln!(
                self.body,
                r#"<g class="boundary" data-id="{}"><title>{}</title>"#,
                escape(&b.id),
                escape(&b.name)
            );
            match &b.shape {
                BoundaryShape::Box { .. } => {
                    if let Some(r) = self.geometry.boxes.get(&b.id).copied() {
                        self.extend_rect(&r);
                        let _ = writeln!(
                            self.body,
                            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="8" fill="none" stroke="{BOUNDARY}" stroke-width="1.5" stroke-dasharray="8 5"/>"#,
                            num(r.x),
                            num(r.y),
                            num(r.width),
                            num(r.height)
                        );
                        let title = wrap(&b.name, r.width - 20.0, 1, FONT_SIZE);
                        let _ = writeln!(
                            self.body,
                            r#"<text x="{}" y="{}" fill="{BOUNDARY}" font-weight="bold">{}</text>"#,
                            num(r.x + 10.0),
                            num(r.y + 19.0),
                            escape(title.first().map_or("", String::as_str))
                        );
                    }
                }
                BoundaryShape::Curve { from, to, vertices } => {
                    let points: Vec<Point> = std::iter::once(*from)
                        .chain(vertices.iter().copied())
                        .chain(std::iter::once(*to))
                        .collect();
                    for p in &points {
                        self.extend(*p);
                    }
                    let d: Vec<String> = points
                        .iter()
                        .map(|p| format!("{},{}", num(p.x), num(p.y)))
                        .collect();
                    let _ = writeln!(
                        self.body,
                        r#"<polyline points="{}" fill="none" stroke="{BOUNDARY}" stroke-width="1.5" stroke-dasharray="8 5"/>"#,
                        d.join(" ")
                    );
                    if !b.name.is_empty() {
                        let mid = points[points.len() / 2];
                        let lines = wrap(&b.name, 160.0, 2, FONT_SIZE);
                        self.text(
                            &lines,
                            mid.x,
                            mid.y - 12.0,
                            &format!(r#" fill="{BOUNDARY}""#),
                        );
                    }
                }
            }
            self.body.push_str("</g>\n");
        }
        self.body.push_str("</g>\n");
    }

    fn end_point(&self, end: &End, toward: Point) -> Option<Point> {
        match end {
            End::Point(p) => Some(*p),
            End::Element(id) => {
                let at = self.geometry.nodes.get(id)?;
                let kind = self.model.element(id).map(|e| e.kind);
                Some(border(at, kind, toward))
            }
        }
    }

    fn center_of(&self, end: &End) -> Option<Point> {
        match end {
            End::Point(p) => Some(*p),
            End::Element(id) => self.geometry.nodes.get(id).map(Rect::center),
        }
    }

    fn flows(&mut self) -> Vec<(Point, Vec<String>, bool)> {
        self.body.push_str("<g class=\"flows\">\n");
        let mut labels = Vec::new();
        let model = self.model;
        let diagram = self.diagram;
        for f in model.flows.iter().filter(|f| f.diagram == diagram) {
            let (Some(a), Some(b)) = (self.center_of(&f.from), self.center_of(&f.to)) else {
                continue;
            };
            let bends = self
                .geometry
                .vertices
                .get(&f.id)
                .cloned()
                .unwrap_or_default();
            let first_toward = bends.first().copied().unwrap_or(b);
            let last_from = bends.last().copied().unwrap_or(a);
            let (Some(start), Some(end)) = (
                self.end_point(&f.from, first_toward),
                self.end_point(&f.to, last_from),
            ) else {
                continue;
            };
            let points: Vec<Point> = std::iter::once(start)
                .chain(bends.iter().copied())
                .chain(std::iter::once(end))
                .collect();
            for p in &points {
                self.extend(*p);
            }
            let crossing = !f.crosses.is_empty();
            let (stroke, width, marker) = if crossing {
                (CROSSING, "2", "arrow-crossing")
            } else {
                (INK, "1.4", "arrow")
            };
            let dash = if f.out_of_scope {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            };
            let start_marker = if f.bidirectional {
                format!(r#" marker-start="url(#{marker}-start)""#)
            } else {
                String::new()
            };
            let d: Vec<String> = points
                .iter()
                .enumerate()
                .map(|(n, p)| {
                    format!(
                        "{}{},{}",
                        if n == 0 { "M" } else { "L" },
                        num(p.x),
                        num(p.y)
                    )
                })
                .collect();
            let title = format!(
                "{} ({} → {})",
                f.name,
                end_name(model, &f.from),
                end_name(model, &f.to)
            );
            let _ = writeln!(
                self.body,
                r#"<g class="flow" data-id="{}"><title>{}</title><path d="{}" fill="none" stroke="{stroke}" stroke-width="{width}"{dash} marker-end="url(#{marker})"{start_marker}/></g>"#,
                escape(&f.id),
                escape(&title),
                d.join(" ")
            );
            let at = if bends.is_empty() {
                Point {
                    x: (start.x + end.x) / 2.0,
                    y: (start.y + end.y) / 2.0,
                }
            } else {
                bends[bends.len() / 2]
            };
            let mut lines = wrap(&f.name, 130.0, 2, FONT_SIZE);
            if !f.protocol.is_empty() {
                lines.extend(wrap(
                    &format!("({})", f.protocol),
                    130.0,
                    1,
                    FONT_SIZE - 1.0,
                ));
            }
            labels.push((at, lines, crossing));
        }
        self.body.push_str("</g>\n");
        labels
    }

    fn elements(&mut self) {
        self.body.push_str("<g class=\"elements\">\n");
        let model = self.model;
        let diagram = self.diagram;
        for e in model.elements.iter().filter(|e| e.diagram == diagram) {
            let Some(r) = self.geometry.nodes.get(&e.id).copied() else {
                continue;
            };
            self.extend_rect(&r);
            let dash = if e.out_of_scope {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            };
            let _ = write!(
                self.body,
                r#"<g class="element {}" data-id="{}"><title>{}</title>"#,
                e.kind.as_str(),
                escape(&e.id),
                escape(&format!("{} ({})", e.name, e.kind.ko()))
            );
            let c = r.center();
            let text_width = match e.kind {
                ElementKind::Process => {
                    let radius = r.width.min(r.height) / 2.0;
                    let _ = write!(
                        self.body,
                        r##"<circle cx="{}" cy="{}" r="{}" fill="#ffffff" stroke="{INK}" stroke-width="1.5"{dash}/>"##,
                        num(c.x),
                        num(c.y),
                        num(radius)
                    );
                    radius * 1.6
                }
                ElementKind::External => {
                    let _ = write!(
                        self.body,
                        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" stroke="{INK}" stroke-width="1.5"{dash}/>"##,
                        num(r.x),
                        num(r.y),
                        num(r.width),
                        num(r.height)
                    );
                    r.width - 14.0
                }
                ElementKind::Store => {
                    let _ = write!(
                        self.body,
                        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" stroke="none"/><path d="M{},{} H{} M{},{} H{}" stroke="{INK}" stroke-width="2"{dash}/>"##,
                        num(r.x),
                        num(r.y),
                        num(r.width),
                        num(r.height),
                        num(r.x),
                        num(r.y),
                        num(r.x + r.width),
                        num(r.x),
                        num(r.y + r.height),
                        num(r.x + r.width)
                    );
                    r.width - 14.0
                }
            };
            self.body.push('\n');
            let max_lines = ((r.height - 8.0) / LINE).floor().clamp(1.0, 4.0) as usize;
            let lines = wrap(&e.name, text_width, max_lines, FONT_SIZE);
            self.text(&lines, c.x, c.y, "");
            self.body.push_str("</g>\n");
        }
        self.body.push_str("</g>\n");
    }

    fn labels(&mut self, labels: Vec<(Point, Vec<String>, bool)>) {
        self.body.push_str("<g class=\"labels\">\n");
        for (at, lines, crossing) in labels {
            let width = lines
                .iter()
                .map(|l| text_width(l, FONT_SIZE))
                .fold(0.0, f64::max)
                + 10.0;
            let height = LINE * lines.len() as f64 + 4.0;
            let r = Rect {
                x: at.x - width / 2.0,
                y: at.y - height / 2.0,
                width,
                height,
            };
            self.extend_rect(&r);
            let _ = writeln!(
                self.body,
                r##"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="#ffffff" fill-opacity="0.9"/>"##,
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height)
            );
            let fill = if crossing {
                format!(r#" fill="{CROSSING}""#)
            } else {
                String::new()
            };
            self.text(&lines, at.x, at.y, &fill);
        }
        self.body.push_str("</g>\n");
    }

    fn notes(&mut self) {
        let model = self.model;
        let diagram = self.diagram;
        for n in model.notes.iter().filter(|n| n.diagram == diagram) {
            let Some(r) = self.geometry.notes.get(&n.id).copied() else {
                continue;
            };
            self.extend_rect(&r);
            let lines = wrap(&n.text, r.width.max(60.0), 6, FONT_SIZE);
            let c = r.center();
            let _ = write!(self.body, r#"<g class="note" data-id="{}">"#, escape(&n.id));
            self.text(&lines, c.x, c.y, r##" fill="#555555""##);
            self.body.push_str("</g>\n");
        }
    }

    fn legend(&mut self, x: f64, y: f64) {
        let items: [(&str, &str); 5] = [
            ("process", "프로세스 / Process"),
            ("external", "외부 개체 / External entity"),
            ("store", "데이터 저장소 / Data store"),
            ("boundary", "신뢰 경계 / Trust boundary"),
            ("crossing", "경계를 넘는 흐름 / Flow crossing a boundary"),
        ];
        let _ = writeln!(self.body, r#"<g class="legend" font-size="11">"#);
        let mut at = x;
        for (kind, label) in items {
            let sym = match kind {
                "process" => format!(
                    r##"<circle cx="{}" cy="{}" r="8" fill="#ffffff" stroke="{INK}"/>"##,
                    num(at + 8.0),
                    num(y)
                ),
                "external" => format!(
                    r##"<rect x="{}" y="{}" width="16" height="12" fill="#ffffff" stroke="{INK}"/>"##,
                    num(at),
                    num(y - 6.0)
                ),
                "store" => format!(
                    r#"<path d="M{},{} H{} M{},{} H{}" stroke="{INK}" stroke-width="2"/>"#,
                    num(at),
                    num(y - 6.0),
                    num(at + 16.0),
                    num(at),
                    num(y + 6.0),
                    num(at + 16.0)
                ),
                "boundary" => format!(
                    r#"<rect x="{}" y="{}" width="16" height="12" fill="none" stroke="{BOUNDARY}" stroke-dasharray="4 2"/>"#,
                    num(at),
                    num(y - 6.0)
                ),
                _ => format!(
                    r#"<path d="M{},{} H{}" stroke="{CROSSING}" stroke-width="2" marker-end="url(#arrow-crossing)"/>"#,
                    num(at),
                    num(y),
                    num(at + 16.0)
                ),
            };
            let _ = writeln!(
                self.body,
                r#"{sym}<text x="{}" y="{}" dominant-baseline="central">{}</text>"#,
                num(at + 22.0),
                num(y),
                escape(label)
            );
            at += 30.0 + text_width(label, 11.0);
        }
        self.body.push_str("</g>\n");
        self.extend(Point { x: at, y: y + 10.0 });
    }

    fn finish(mut self) -> String {
        self.boundaries();
        let labels = self.flows();
        self.elements();
        self.labels(labels);
        self.notes();
        if !self.min.x.is_finite() {
            self.min = Point { x: 0.0, y: 0.0 };
            self.max = Point { x: 200.0, y: 60.0 };
        }
        let (lx, ly) = (self.min.x, self.max.y + LEGEND_HEIGHT / 2.0);
        self.legend(lx, ly);
        let x = self.min.x - layout::MARGIN;
        let y = self.min.y - layout::MARGIN;
        let w = self.max.x - self.min.x + 2.0 * layout::MARGIN;
        let h = self.max.y - self.min.y + 2.0 * layout::MARGIN;
        let title = match self.model.diagrams.get(self.diagram) {
            Some(d) if !d.title.is_empty() => format!("{}: {}", self.model.title, d.title),
            _ => self.model.title.clone(),
        };
        let mut out = String::new();
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{}" height="{}" viewBox="{} {} {} {}" font-family="{}" font-size="{}" role="img">"#,
            num(w),
            num(h),
            num(x),
            num(y),
            num(w),
            num(h),
            escape(FONT_FAMILY),
            num(FONT_SIZE)
        );
        let _ = writeln!(out, "<title>{}</title>", escape(&title));
        let _ = writeln!(
            out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff"/>"##,
            num(x),
            num(y),
            num(w),
            num(h)
        );
        out.push_str("<defs>\n");
        for (id, colour) in [("arrow", INK), ("arrow-crossing", CROSSING)] {
            let _ = writeln!(
                out,
                r#"<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
            );
            let _ = writeln!(
                out,
                r#"<marker id="{id}-start" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M10,0 L0,5 L10,10 z" fill="{colour}"/></marker>"#
            );
        }
        out.push_str("</defs>\n");
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

fn end_name<'a>(model: &'a ThreatModel, end: &'a End) -> &'a str {
    match end {
        End::Element(id) => model.name_of(id),
        End::Point(_) => "·",
    }
}
