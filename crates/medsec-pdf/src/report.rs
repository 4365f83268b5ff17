//! Reports as PDF: a title, facts (label and value), text sections and
//! tables, laid out by the fixed template `report.typ`. Incident reports
//! use it; the caller chooses every word (labels in the reader's
//! language), so this crate only lays out.
//!
//! The same invariant as the checklist: the report is serialised to the
//! virtual `data.json` and every string is placed as text, never parsed as
//! Typst markup.

use serde::Serialize;

use crate::world::Template;
use crate::{Fonts, Lang, Options, PdfError, Rendered, compile, date};

/// A report to lay out.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// The kind of document ("침해사고 보고서"), printed above the heading
    /// and stored as the PDF's title with the heading.
    pub kind: String,
    /// What it is about (the incident's title).
    pub heading: String,
    /// A line under the heading (ids, version), may be empty.
    pub subtitle: String,
    /// The line at the top of every page after the first.
    pub running: String,
    /// Label and value pairs in a box under the heading.
    pub facts: Vec<[String; 2]>,
    pub blocks: Vec<Block>,
    /// The PDF's author (the organisation issuing it), if any.
    pub author: Option<String>,
    /// A closing line under everything (how the report was produced).
    pub colophon: String,
}

/// A titled part of a report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Paragraphs of text; `empty` is printed when `text` is blank.
    Text {
        title: String,
        text: String,
        empty: String,
    },
    /// A table with a header row repeated on every page; `widths` are
    /// relative column widths (one per column); `empty` is printed when
    /// there are no rows.
    Table {
        title: String,
        columns: Vec<String>,
        widths: Vec<u16>,
        rows: Vec<Vec<String>>,
        empty: String,
    },
}

#[derive(Serialize)]
struct Data<'a> {
    lang: &'static str,
    fonts: Vec<String>,
    generated: Option<String>,
    #[serde(flatten)]
    report: &'a Report,
}

/// Lays out a report. `ident` is a stable identifier of the document (the
/// same report gives the same bytes).
pub fn render(
    report: &Report,
    fonts: &Fonts,
    options: &Options,
    ident: &str,
) -> Result<Rendered, PdfError> {
    for block in &report.blocks {
        if let Block::Table {
            title,
            columns,
            widths,
            rows,
            ..
        } = block
        {
            let bad = widths.len() != columns.len()
                || widths.contains(&0)
                || rows.iter().any(|r| r.len() != columns.len());
            if bad {
                return Err(PdfError::Layout {
                    messages: vec![format!(
                        "table {title:?}: every row and the widths need {} cells, widths above 0",
                        columns.len()
                    )],
                });
            }
        }
    }
    let today = options.generated.map(date).transpose()?;
    let data = Data {
        lang: match options.lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        },
        fonts: fonts.families().to_vec(),
        generated: options
            .generated
            .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        report,
    };
    let data = serde_json::to_vec(&data).map_err(PdfError::Data)?;
    compile(
        Template::Report,
        data,
        fonts,
        options,
        today,
        ident.to_owned(),
    )
}
