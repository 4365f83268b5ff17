//! A small XLSX reader: the zip container, the workbook and relationship
//! parts, the shared strings and the sheet XML, turned into grids of cell
//! values. It reads what Excel, LibreOffice and rust_xlsxwriter write
//! (shared, inline and rich-text strings, numbers, booleans, errors,
//! formulas with their cached value) and nothing else: no styles, no
//! number formats, no drawings.
//!
//! Every failure is an [`ImportError`]; nothing here panics on any input,
//! and every part is read with a size limit so a zip bomb cannot exhaust
//! memory.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{ImportError, ImportErrorKind as Kind};

/// The largest part we inflate (sheet XML, shared strings); a checklist
/// workbook is well under a megabyte.
const MAX_PART: u64 = 64 * 1024 * 1024;

/// Excel's last row and column (1-based, inclusive).
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLS: u32 = 16_384;

/// One cell's value as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    /// An error value such as `#N/A`.
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub value: Value,
    /// The cell holds a formula; `value` is its cached result.
    pub formula: bool,
}

/// One worksheet: its non-empty cells by zero-based (row, column).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sheet {
    pub name: String,
    pub cells: BTreeMap<(u32, u32), Cell>,
    /// Dates count from 1904-01-01 (old Mac Excel) rather than 1899-12-30.
    pub date1904: bool,
}

impl Sheet {
    pub fn cell(&self, row: u32, col: u32) -> Option<&Cell> {
        self.cells.get(&(row, col))
    }

    /// The cells of one row, in column order.
    pub fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Cell)> {
        self.cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|(&(_, c), cell)| (c, cell))
    }

    /// One past the last row that has a cell.
    pub fn end_row(&self) -> u32 {
        self.cells
            .keys()
            .next_back()
            .map_or(0, |&(r, _)| r.saturating_add(1))
    }

    /// The cell as text: strings as stored, numbers in their shortest
    /// form, booleans as `TRUE`/`FALSE`, empty cells as "". A formula is an
    /// error: the import takes what a person typed, never a computed value.
    pub fn text(&self, row: u32, col: u32) -> Result<String, ImportError> {
        let Some(cell) = self.cell(row, col) else {
            return Ok(String::new());
        };
        if cell.formula {
            return Err(ImportError::at(
                Kind::Formula,
                &self.name,
                row,
                col,
                "the cell holds a formula; type the text instead (start it with ' if it begins with =, +, - or @)",
            ));
        }
        Ok(match &cell.value {
            Value::Text(s) => s.clone(),
            Value::Number(n) => format_number(*n),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Value::Error(e) => e.clone(),
        })
    }
}

/// A number as Excel's General format would mostly show it: integers
/// without a decimal point, others in Rust's shortest round-trip form.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// An opened workbook: the sheets by name, read on demand.
pub(crate) struct Book<'a> {
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// (name, part path) in workbook order.
    sheets: Vec<(String, String)>,
    shared: Vec<String>,
    date1904: bool,
}

impl<'a> Book<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Book<'a>, ImportError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            ImportError::new(
                Kind::NotXlsx,
                format!("not an XLSX workbook (not a zip: {e})"),
            )
        })?;
        let workbook_path = match read_part(&mut archive, "_rels/.rels")? {
            Some(rels) => relationships(&rels, "_rels/.rels", "")?
                .into_iter()
                .find(|r| r.kind.ends_with("/officeDocument"))
                .map(|r| r.target)
                .unwrap_or_else(|| "xl/workbook.xml".to_owned()),
            None => "xl/workbook.xml".to_owned(),
        };
        let workbook = read_part(&mut archive, &workbook_path)?.ok_or_else(|| {
            ImportError::new(
                Kind::NotXlsx,
                format!("not an XLSX workbook (no {workbook_path} in the zip)"),
            )
        })?;
        let (dir, file) = match workbook_path.rsplit_once('/') {
            Some((d, f)) => (d.to_owned(), f.to_owned()),
            None => (String::new(), workbook_path.clone()),
        };
        let rels_path = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        let rels = match read_part(&mut archive, &rels_path)? {
            Some(text) => relationships(&text, &rels_path, &dir)?,
            None => Vec::new(),
        };
        let (names, date1904) = workbook_sheets(&workbook, &workbook_path)?;
        let mut sheets = Vec::new();
        for (name, rid) in names {
            let target = rels
                .iter()
                .find(|r| r.id == rid)
                .map(|r| r.target.clone())
                .ok_or_else(|| {
                    ImportError::new(
                        Kind::Malformed,
                        format!("{rels_path}: sheet {name} ({rid}) has no relationship"),
                    )
                })?;
            sheets.push((name, target));
        }
        let shared_path = rels
            .iter()
            .find(|r| r.kind.ends_with("/sharedStrings"))
            .map(|r| r.target.clone())
            .unwrap_or_else(|| join(&dir, "sharedStrings.xml"));
        let shared = match read_part(&mut archive, &shared_path)? {
            Some(text) => shared_strings(&text, &shared_path)?,
            None => Vec::new(),
        };
        Ok(Book {
            archive,
            sheets,
            shared,
            date1904,
        })
    }

    /// The sheet called `name`, or `None` when the workbook has none.
    pub fn sheet(&mut self, name: &str) -> Result<Option<Sheet>, ImportError> {
        let Some((name, path)) = self.sheets.iter().find(|(n, _)| n == name).cloned() else {
            return Ok(None);
        };
        let text = read_part(&mut self.archive, &path)?.ok_or_else(|| {
            ImportError::in_sheet(Kind::Malformed, &name, format!("{path} is missing"))
        })?;
        let mut sheet = parse_sheet(&text, &name, &self.shared)?;
        sheet.date1904 = self.date1904;
        Ok(Some(sheet))
    }
}

/// Reads one part of the zip as text, `None` when it is absent.
fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    path: &str,
) -> Result<Option<String>, ImportError> {
    let file = match archive.by_name(path) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(ImportError::new(
                Kind::NotXlsx,
                format!("{path}: cannot read from the zip: {e}"),
            ));
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::new(Kind::NotXlsx, format!("{path}: cannot inflate: {e}")))?;
    if bytes.len() as u64 > MAX_PART {
        return Err(ImportError::new(
            Kind::Malformed,
            format!("{path}: larger than {MAX_PART} bytes"),
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| ImportError::new(Kind::Malformed, format!("{path}: not UTF-8")))?;
    Ok(Some(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }))
}

fn xml_error(part: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError::new(Kind::Malformed, format!("{part}: malformed XML: {e}"))
}

/// The value of the attribute whose local name is `name`.
fn attr(e: &BytesStart<'_>, name: &str, part: &str) -> Result<Option<String>, ImportError> {
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(part, err))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

struct Relationship {
    id: String,
    kind: String,
    /// The target as a path inside the zip.
    target: String,
}

fn relationships(text: &str, part: &str, base: &str) -> Result<Vec<Relationship>, ImportError> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if attr(&e, "TargetMode", part)?.as_deref() == Some("External") {
                    continue;
                }
                let (Some(id), Some(kind), Some(target)) = (
                    attr(&e, "Id", part)?,
                    attr(&e, "Type", part)?,
                    attr(&e, "Target", part)?,
                ) else {
                    continue;
                };
                let target = match target.strip_prefix('/') {
                    Some(abs) => normalize(abs),
                    None => normalize(&join(base, &target)),
                };
                out.push(Relationship { id, kind, target });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}

/// Resolves `.` and `..` segments of a zip path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The sheets of `workbook.xml` as (name, relationship id), and whether
/// the workbook counts dates from 1904.
fn workbook_sheets(text: &str, part: &str) -> Result<(Vec<(String, String)>, bool), ImportError> {
    let mut reader = Reader::from_str(text);
    let mut sheets = Vec::new();
    let mut date1904 = false;
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sheet" => {
                    if let (Some(name), Some(id)) = (attr(&e, "name", part)?, attr(&e, "id", part)?)
                    {
                        sheets.push((name, id));
                    }
                }
                "workbookPr" => {
                    date1904 = matches!(attr(&e, "date1904", part)?.as_deref(), Some("1" | "true"));
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((sheets, date1904))
}

/// Collects the text of `<t>` elements, skipping phonetic runs (`<rPh>`),
/// as both shared strings and inline strings are written.
#[derive(Default)]
struct TextCollector {
    in_t: bool,
    in_phonetic: bool,
    text: String,
}

impl TextCollector {
    fn start(&mut self, local: &str) {
        match local {
            "t" if !self.in_phonetic => self.in_t = true,
            "rPh" => self.in_phonetic = true,
            _ => {}
        }
    }

    fn end(&mut self, local: &str) {
        match local {
            "t" => self.in_t = false,
            "rPh" => self.in_phonetic = false,
            _ => {}
        }
    }

    /// Takes text, character and entity references while inside `<t>`.
    fn event(&mut self, event: &Event<'_>, part: &str) -> Result<(), ImportError> {
        if !self.in_t {
            return Ok(());
        }
        match event {
            Event::Text(t) => self.text.push_str(&t.xml10_content()),
            Event::CData(t) => self.text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => self.text.push_str(&resolve_ref(r, part)?),
            _ => {}
        }
        Ok(())
    }

    fn take(&mut self) -> String {
        unescape_ooxml(&std::mem::take(&mut self.text))
    }
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>, part: &str) -> Result<String, ImportError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| xml_error(part, e))? {
        return Ok(c.to_string());
    }
    let name = r.xml10_content();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| xml_error(part, format!("unknown entity &{name};")))
}

/// Undoes the `_xHHHH_` escapes of OOXML strings (control characters such
/// as CR, and a literal `_x` sequence written as `_x005F_xHHHH_`).
pub(crate) fn unescape_ooxml(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(c) = escape_at(&chars, i) {
            out.push(c);
            i += 7;
        } else if let Some(&c) = chars.get(i) {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The character of an `_xHHHH_` escape starting at `i`, if there is one.
fn escape_at(chars: &[char], i: usize) -> Option<char> {
    let seq = chars.get(i..i + 7)?;
    if seq.first() != Some(&'_') || seq.get(1) != Some(&'x') || seq.get(6) != Some(&'_') {
        return None;
    }
    let hex: String = seq.get(2..6)?.iter().collect();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
}

fn shared_strings(text: &str, part: &str) -> Result<Vec<String>, ImportError> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut collector = TextCollector::default();
    let mut in_si = false;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        match &event {
            Event::Start(e) => {
                let name = e.local_name();
                if name.as_ref() == "si" {
                    in_si = true;
                    collector = TextCollector::default();
                } else if in_si {
                    collector.start(name.as_ref());
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Event::End(e) => {
                let name = e.local_name();
                if name.as_ref() == "si" {
                    in_si = false;
                    out.push(collector.take());
                } else if in_si {
                    collector.end(name.as_ref());
                }
            }
            Event::Eof => break,
            other => collector.event(other, part)?,
        }
    }
    Ok(out)
}

/// Parses a cell reference such as `AB12` into zero-based (row, column).
pub(crate) fn parse_ref(r: &str) -> Option<(u32, u32)> {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits: String = r.chars().skip(letters.chars().count()).collect();
    if letters.is_empty() || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.chars() {
        let v = u32::from(c.to_ascii_uppercase()) - u32::from('A') + 1;
        col = col.checked_mul(26)?.checked_add(v)?;
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || row > MAX_ROWS || col == 0 || col > MAX_COLS {
        return None;
    }
    Some((row - 1, col - 1))
}

/// A `<c>` element being read.
#[derive(Default)]
struct PendingCell {
    row: u32,
    col: u32,
    kind: String,
    value: Option<String>,
    inline: Option<String>,
    formula: bool,
}

fn parse_sheet(text: &str, name: &str, shared: &[String]) -> Result<Sheet, ImportError> {
    let malformed = |row: u32, col: u32, message: String| {
        ImportError::at(Kind::Malformed, name, row, col, message)
    };
    let part_error = |e: &dyn std::fmt::Display| {
        ImportError::in_sheet(Kind::Malformed, name, format!("malformed XML: {e}"))
    };
    let mut reader = Reader::from_str(text);
    let mut sheet = Sheet {
        name: name.to_owned(),
        ..Sheet::default()
    };
    // The row and column the next element without an `r` attribute is at.
    let mut next_row: u32 = 0;
    let mut row: u32 = 0;
    let mut next_col: u32 = 0;
    let mut cell: Option<PendingCell> = None;
    let mut in_v = false;
    let mut v_text = String::new();
    let mut in_is = false;
    let mut collector = TextCollector::default();
    loop {
        let event = reader.read_event().map_err(|e| part_error(&e))?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                match local.as_ref() {
                    "row" => {
                        row = match attr(e, "r", name)? {
                            Some(r) => match r.trim().parse::<u32>() {
                                Ok(n) if (1..=MAX_ROWS).contains(&n) => n - 1,
                                _ => {
                                    return Err(ImportError::in_sheet(
                                        Kind::Malformed,
                                        name,
                                        format!("bad row number {r:?}"),
                                    ));
                                }
                            },
                            None => next_row,
                        };
                        next_row = row.saturating_add(1);
                        next_col = 0;
                    }
                    "c" => {
                        let (r, c) = match attr(e, "r", name)? {
                            Some(a) => parse_ref(&a).ok_or_else(|| {
                                ImportError::in_sheet(
                                    Kind::Malformed,
                                    name,
                                    format!("bad cell reference {a:?}"),
                                )
                            })?,
                            None => (row, next_col),
                        };
                        next_col = c.saturating_add(1);
                        let pending = PendingCell {
                            row: r,
                            col: c,
                            kind: attr(e, "t", name)?.unwrap_or_default(),
                            ..PendingCell::default()
                        };
                        if empty {
                            // A styled blank cell: no value.
                        } else {
                            cell = Some(pending);
                        }
                    }
                    "v" if cell.is_some() && !empty => {
                        in_v = true;
                        v_text.clear();
                    }
                    "v" => {
                        if let Some(c) = cell.as_mut() {
                            c.value = Some(String::new());
                        }
                    }
                    "f" => {
                        if let Some(c) = cell.as_mut() {
                            c.formula = true;
                        }
                    }
                    "is" if cell.is_some() => {
                        if empty {
                            if let Some(c) = cell.as_mut() {
                                c.inline = Some(String::new());
                            }
                        } else {
                            in_is = true;
                            collector = TextCollector::default();
                        }
                    }
                    other if in_is && !empty => collector.start(other),
                    _ => {}
                }
            }
            Event::End(e) => {
                let local = e.local_name();
                match local.as_ref() {
                    "v" if in_v => {
                        in_v = false;
                        if let Some(c) = cell.as_mut() {
                            c.value = Some(std::mem::take(&mut v_text));
                        }
                    }
                    "is" if in_is => {
                        in_is = false;
                        if let Some(c) = cell.as_mut() {
                            c.inline = Some(collector.take());
                        }
                    }
                    "c" => {
                        if let Some(c) = cell.take() {
                            let (r, col) = (c.row, c.col);
                            if let Some(value) = cell_value(c, shared, &malformed)? {
                                sheet.cells.insert((r, col), value);
                            }
                        }
                    }
                    other if in_is => collector.end(other),
                    _ => {}
                }
            }
            Event::Text(t) if in_v => v_text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_v => v_text.push_str(&resolve_ref(r, name)?),
            Event::Eof => break,
            other if in_is => collector.event(other, name)?,
            _ => {}
        }
    }
    Ok(sheet)
}

fn cell_value(
    c: PendingCell,
    shared: &[String],
    malformed: &dyn Fn(u32, u32, String) -> ImportError,
) -> Result<Option<Cell>, ImportError> {
    let value = match c.kind.as_str() {
        "inlineStr" => c.inline.map(Value::Text),
        "s" => match c.value {
            Some(v) => {
                let text = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| shared.get(i))
                    .ok_or_else(|| malformed(c.row, c.col, format!("no shared string {v:?}")))?;
                Some(Value::Text(text.clone()))
            }
            None => None,
        },
        "str" | "d" => c.value.map(|v| Value::Text(unescape_ooxml(&v))),
        "b" => c
            .value
            .map(|v| Value::Bool(matches!(v.trim(), "1" | "true"))),
        "e" => c.value.map(Value::Error),
        "" | "n" => match c.value {
            Some(v) if v.trim().is_empty() => None,
            Some(v) => {
                Some(Value::Number(v.trim().parse::<f64>().map_err(|_| {
                    malformed(c.row, c.col, format!("bad number {v:?}"))
                })?))
            }
            None => None,
        },
        other => {
            return Err(malformed(
                c.row,
                c.col,
                format!("unknown cell type {other:?}"),
            ));
        }
    };
    Ok(match value {
        Some(value) => Some(Cell {
            value,
            formula: c.formula,
        }),
        // A formula without a cached value is still a formula.
        None if c.formula => Some(Cell {
            value: Value::Text(String::new()),
            formula: true,
        }),
        None => None,
    })
}
