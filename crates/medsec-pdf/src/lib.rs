//! The checklist as PDF, laid out with Typst, Korean text in an embedded CJK font.
//!
//! [`render`] sets a [`Checklist`] in the layout of the MFDS form
//! (의료기기 사이버보안 필수원칙 체크리스트): A4 landscape, the device's
//! cybersecurity characteristics, one table row per essential principle
//! with the header row repeated on every page, and the test records.
//!
//! Architecture invariant: user text never becomes Typst markup. The
//! checklist is turned into a view (`view.rs`), serialised to a virtual
//! `data.json`, and the fixed template `checklist.typ` reads it with
//! `json()` and places every string as text. The Typst world has no file
//! system, packages or clock: what it sees is the template, the data and
//! the fonts.

mod fonts;
pub mod report;
mod view;
mod world;

use std::fmt::Write as _;
use std::path::PathBuf;

use medsec_assure::Checklist;
use typst::WorldExt;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Datetime, Smart};
use typst::layout::{Frame, FrameItem};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

pub use crate::fonts::Fonts;
use crate::view::View;
use crate::world::{ChecklistWorld, Template};

/// The Typst template of the form.
const TEMPLATE: &str = include_str!("checklist.typ");
/// The Typst template of reports ([`report`]).
const REPORT_TEMPLATE: &str = include_str!("report.typ");

/// How many compilations a cached Typst result survives unused. Typst
/// memoises across compilations in process-wide caches; without eviction a
/// server rendering many checklists would grow without bound.
const CACHE_MAX_AGE: usize = 8;

/// The language of the form's labels and of the item texts where the
/// catalogue has a translation. What the manufacturer wrote is printed as
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

/// How to render; [`render`] uses the defaults with a language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub lang: Lang,
    /// The date printed as the date of preparation and stored as the PDF's
    /// creation date, as (year, month, day). `None` prints and stores no
    /// date. Either way the same checklist gives the same bytes.
    pub generated: Option<(i32, u8, u8)>,
    /// Produce the PDF even when some characters have no glyph in any
    /// loaded font (they show as empty boxes). By default that is an error,
    /// [`PdfError::MissingGlyphs`], so a submission never carries them
    /// unnoticed.
    pub allow_missing_glyphs: bool,
}

/// A rendered checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
    /// Characters no loaded font has, each once, in order; empty unless
    /// [`Options::allow_missing_glyphs`] is set.
    pub missing_glyphs: Vec<char>,
    /// Typst's warnings, one line each.
    pub warnings: Vec<String>,
}

/// Why a checklist could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no font with Korean (Hangul) glyphs found; searched {}. Install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) or pass a font file with Fonts::from_paths",
        paths(searched)
    )]
    NoKoreanFont { searched: Vec<PathBuf> },
    #[error("reading font file {}: {source}", path.display())]
    FontRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: no font face could be read from this file", path.display())]
    NotAFont { path: PathBuf },
    #[error("generated date {year:04}-{month:02}-{day:02} is not a valid date")]
    InvalidDate { year: i32, month: u8, day: u8 },
    #[error("serialising the checklist for layout: {0}")]
    Data(#[source] serde_json::Error),
    /// The template failed to compile; each message has its position in
    /// the template when it has one.
    #[error("laying out the checklist: {}", messages.join("; "))]
    Layout { messages: Vec<String> },
    #[error("writing the PDF: {}", messages.join("; "))]
    Export { messages: Vec<String> },
    #[error(
        "no loaded font has a glyph for {}; remove these characters or load a font that has them",
        chars.iter().map(|c| format!("{c:?} (U+{:04X})", u32::from(*c))).collect::<Vec<_>>().join(", ")
    )]
    MissingGlyphs { chars: Vec<char> },
}

impl PdfError {
    /// Whether the checklist or the options are at fault (a character no
    /// font has, an impossible date), not the installation: a server
    /// answers these as a client error with this message.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            PdfError::MissingGlyphs { .. } | PdfError::InvalidDate { .. }
        )
    }
}

fn paths(p: &[PathBuf]) -> String {
    if p.is_empty() {
        return "nothing".to_owned();
    }
    p.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The checklist as a PDF in the MFDS form's layout, labels in `lang`.
pub fn render(list: &Checklist, lang: Lang, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let options = Options {
        lang,
        ..Options::default()
    };
    render_with(list, fonts, &options).map(|r| r.pdf)
}

/// The checklist as a PDF, with the date of preparation and the handling
/// of missing glyphs chosen, and the page count and warnings reported.
pub fn render_with(
    list: &Checklist,
    fonts: &Fonts,
    options: &Options,
) -> Result<Rendered, PdfError> {
    let today = options.generated.map(date).transpose()?;
    let generated = options
        .generated
        .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    let view = View::new(list, options.lang, fonts.families().to_vec(), generated);
    let data = serde_json::to_vec(&view).map_err(PdfError::Data)?;
    let h = &list.header;
    let ident = format!(
        "medsec/{}/{}/{}/{}",
        list.catalog, h.product, h.model, h.software_version
    );
    compile(Template::Checklist, data, fonts, options, today, ident)
}

fn date((year, month, day): (i32, u8, u8)) -> Result<Datetime, PdfError> {
    Datetime::from_ymd(year, month, day).ok_or(PdfError::InvalidDate { year, month, day })
}

/// Compiles the template (the built-in one, or `template` in tests) over
/// `data` and writes the PDF.
fn compile(
    template: Template<'_>,
    data: Vec<u8>,
    fonts: &Fonts,
    options: &Options,
    today: Option<Datetime>,
    ident: String,
) -> Result<Rendered, PdfError> {
    let world =
        ChecklistWorld::new(fonts, template, data, today).ok_or_else(|| PdfError::Layout {
            messages: vec!["the template's virtual path is invalid".to_owned()],
        })?;
    let out = compile_in(&world, options, today, ident);
    // Age Typst's process-wide caches after every compilation, failed ones
    // too, so entries no later render uses are dropped.
    typst::comemo::evict(CACHE_MAX_AGE);
    out
}

fn compile_in(
    world: &ChecklistWorld<'_>,
    options: &Options,
    today: Option<Datetime>,
    ident: String,
) -> Result<Rendered, PdfError> {
    let warned = typst::compile::<PagedDocument>(world);
    let warnings = warned.warnings.iter().map(|d| describe(world, d)).collect();
    let document = warned.output.map_err(|errors| PdfError::Layout {
        messages: errors.iter().map(|d| describe(world, d)).collect(),
    })?;
    let missing = missing_glyphs(&document);
    if !missing.is_empty() && !options.allow_missing_glyphs {
        return Err(PdfError::MissingGlyphs { chars: missing });
    }
    let pdf_options = PdfOptions {
        ident: Smart::Custom(ident),
        creator: Smart::Custom(Some("medsec".to_owned())),
        timestamp: today.map(Timestamp::new_utc),
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&document, &pdf_options).map_err(|errors| PdfError::Export {
        messages: errors.iter().map(|d| describe(world, d)).collect(),
    })?;
    Ok(Rendered {
        pdf,
        pages: document.pages().len(),
        missing_glyphs: missing,
        warnings,
    })
}

/// A diagnostic as one line: `checklist.typ:12:5: message (hint: …)`,
/// warnings marked `warning:`.
fn describe(world: &ChecklistWorld<'_>, d: &SourceDiagnostic) -> String {
    let mut out = String::new();
    if let Some(id) = d.span.id() {
        let file = id.vpath().get_without_slash().to_owned();
        let position = world.range(d.span).and_then(|range| {
            let source = typst::World::source(world, id).ok()?;
            source.lines().byte_to_line_column(range.start)
        });
        match position {
            Some((line, column)) => {
                let _ = write!(out, "{file}:{}:{}: ", line + 1, column + 1);
            }
            None => {
                let _ = write!(out, "{file}: ");
            }
        }
    }
    if d.severity == Severity::Warning {
        out.push_str("warning: ");
    }
    out.push_str(&d.message);
    for hint in &d.hints {
        let _ = write!(out, " (hint: {})", hint.v);
    }
    out
}

/// Characters set with the font's "missing glyph" (glyph 0), which shows
/// as an empty box.
fn missing_glyphs(document: &PagedDocument) -> Vec<char> {
    let mut out = Vec::new();
    for page in document.pages() {
        collect_missing(&page.frame, &mut out);
    }
    out
}

fn collect_missing(frame: &Frame, out: &mut Vec<char>) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => collect_missing(&group.frame, out),
            FrameItem::Text(text) => {
                for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                    let chars = text.text.get(glyph.range()).unwrap_or_default();
                    for c in chars
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control())
                    {
                        if !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
