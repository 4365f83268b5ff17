//! Writes the checklist workbook with rust_xlsxwriter: the form sheet,
//! the test records, the attachments and the hidden `medsec` sheet.
//!
//! Every text goes in with `write_string*`, so a value such as
//! `=cmd|' /C calc'!A0` stays a string; a value that starts like a formula
//! also gets Excel's quote prefix, so editing the cell later does not turn
//! it into one either.

use medsec_assure::Checklist;
use medsec_assure::profile::Purpose;
use rust_xlsxwriter::{
    Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::form;
use super::{
    ATTACHMENT_COLUMNS, HEADER_BLOCK, ListCol, META_CHUNK, RowMeta, SHEET_ATTACHMENTS, SHEET_LIST,
    SHEET_META, SHEET_TESTS, TEST_COLUMNS, key,
};
use crate::error::{ExportError, cell_ref};

/// A4 in Excel's paper size codes.
const PAPER_A4: u8 = 9;

/// How many empty rows of `시험기록` get the 결과 drop-down, for records a
/// manufacturer adds.
const SPARE_TEST_ROWS: u32 = 500;

struct Formats {
    title: Format,
    bold: Format,
    plain: Format,
    indented: Format,
    head: Format,
    body: Format,
    body_center: Format,
}

impl Formats {
    fn new() -> Formats {
        let body = Format::new()
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            plain: Format::new(),
            indented: Format::new().set_indent(6),
            head: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xD9D9D9)),
            body_center: body.clone().set_align(FormatAlign::Center),
            body,
        }
    }
}

/// Text that Excel would take for a formula or a DDE call if a person
/// re-entered it.
fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Writes `text` as a string cell, never as a formula.
fn put(
    ws: &mut Worksheet,
    sheet: &str,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), ExportError> {
    let result = if looks_like_formula(text) {
        ws.write_string_with_format(row, col, text, &format.clone().set_quote_prefix())
    } else {
        ws.write_string_with_format(row, col, text, format)
    };
    result.map(|_| ()).map_err(|source| ExportError::Cell {
        sheet: sheet.to_owned(),
        cell: cell_ref(row, u32::from(col)),
        source,
    })
}

fn sheet_error(what: &str) -> impl FnOnce(XlsxError) -> ExportError + '_ {
    move |source| ExportError::Workbook {
        what: what.to_owned(),
        source,
    }
}

/// Column index as rust_xlsxwriter takes it; our sheets have few columns.
fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Row index as rust_xlsxwriter takes it; a checklist has far fewer rows
/// than Excel's limit, which refuses the write if it were ever exceeded.
fn row_num(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

pub(crate) fn write(list: &Checklist) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut workbook = Workbook::new();
    workbook.push_worksheet(checklist_sheet(list, &f)?);
    workbook.push_worksheet(tests_sheet(list, &f)?);
    workbook.push_worksheet(attachments_sheet(list, &f)?);
    workbook.push_worksheet(meta_sheet(list, &f)?);
    workbook.save_to_buffer().map_err(sheet_error("workbook"))
}

/// Landscape A4, one page wide, the header row on every page.
fn print_setup(ws: &mut Worksheet, header_row: u32, what: &str) -> Result<(), ExportError> {
    ws.set_landscape()
        .set_paper_size(PAPER_A4)
        .set_print_fit_to_pages(1, 0)
        .set_footer("&C&P / &N");
    ws.set_repeat_rows(header_row, header_row)
        .map_err(sheet_error(what))?;
    ws.set_freeze_panes(header_row + 1, 0)
        .map_err(sheet_error(what))?;
    Ok(())
}

fn checklist_sheet(list: &Checklist, f: &Formats) -> Result<Worksheet, ExportError> {
    let name = SHEET_LIST;
    let mut ws = Worksheet::new();
    ws.set_name(name).map_err(sheet_error(name))?;
    for (i, c) in ListCol::ALL.iter().enumerate() {
        ws.set_column_width(col(i), c.width())
            .map_err(sheet_error(name))?;
    }

    let h = &list.header;
    let title = format!("{} ({})", list.catalog_title_ko, list.edition);
    put(&mut ws, name, 0, 0, &title, &f.title)?;
    put(&mut ws, name, 2, 0, HEADER_BLOCK, &f.bold)?;
    let mut lines = vec![
        (form::labelled(form::LABEL_PRODUCT, &h.product), &f.plain),
        (form::labelled(form::LABEL_MODEL, &h.model), &f.plain),
        (
            form::labelled(form::LABEL_VERSION, &h.software_version),
            &f.plain,
        ),
        (
            form::labelled(
                form::LABEL_MANUFACTURER,
                h.manufacturer.as_deref().unwrap_or_default(),
            ),
            &f.plain,
        ),
        (
            form::labelled(form::LABEL_GRADE, &form::grade(h.grade)),
            &f.plain,
        ),
        (
            form::labelled(form::LABEL_LEVEL, &form::level_boxes(h.security_level)),
            &f.plain,
        ),
        (
            form::labelled(form::LABEL_COMMUNICATION, &h.communication),
            &f.plain,
        ),
    ];
    for (i, p) in Purpose::ALL.iter().enumerate() {
        let line = form::purpose_line(*p, h.purposes.contains(p));
        if i == 0 {
            lines.push((form::labelled(form::LABEL_PURPOSES, &line), &f.plain));
        } else {
            lines.push((line, &f.indented));
        }
    }
    lines.push((
        form::labelled(form::LABEL_PUBLIC, form::yes_no(h.public_network)),
        &f.plain,
    ));
    for (i, (text, format)) in lines.iter().enumerate() {
        put(&mut ws, name, 3 + row_num(i), 0, text, format)?;
    }

    let header_row = 3 + row_num(lines.len()) + 1;
    for (i, c) in ListCol::ALL.iter().enumerate() {
        put(&mut ws, name, header_row, col(i), c.header(), &f.head)?;
    }
    for (r, row) in list.rows.iter().enumerate() {
        let meta = RowMeta::of(row);
        let at = header_row + 1 + row_num(r);
        for (i, c) in ListCol::ALL.iter().enumerate() {
            let format = match c {
                ListCol::Applies | ListCol::Id => &f.body_center,
                _ => &f.body,
            };
            put(&mut ws, name, at, col(i), &meta.cell(*c), format)?;
        }
    }
    if !list.rows.is_empty() {
        let applies_col = col(1);
        let validation = DataValidation::new()
            .allow_list_strings(&[form::APPLIES, form::NOT_APPLIES])
            .map_err(sheet_error(name))?;
        ws.add_data_validation(
            header_row + 1,
            applies_col,
            header_row + row_num(list.rows.len()),
            applies_col,
            &validation,
        )
        .map_err(sheet_error(name))?;
    }
    print_setup(&mut ws, header_row, name)?;
    Ok(ws)
}

/// A sheet with a bold header row, widths, a filter and the print setup.
fn table_sheet(name: &str, columns: &[(&str, f64)], f: &Formats) -> Result<Worksheet, ExportError> {
    let mut ws = Worksheet::new();
    ws.set_name(name).map_err(sheet_error(name))?;
    for (i, (header, width)) in columns.iter().enumerate() {
        ws.set_column_width(col(i), *width)
            .map_err(sheet_error(name))?;
        put(&mut ws, name, 0, col(i), header, &f.head)?;
    }
    print_setup(&mut ws, 0, name)?;
    Ok(ws)
}

fn tests_sheet(list: &Checklist, f: &Formats) -> Result<Worksheet, ExportError> {
    let name = SHEET_TESTS;
    let mut ws = table_sheet(name, &TEST_COLUMNS, f)?;
    let mut r: u32 = 1;
    for row in &list.rows {
        for t in &row.content.tests {
            let (sha, file, id) = match &t.evidence {
                Some(e) => (e.sha256.as_str(), e.filename.as_str(), e.id.as_str()),
                None => ("", "", ""),
            };
            let cells = [
                (row.id.as_str(), &f.body_center),
                (t.by.as_str(), &f.body),
                (t.on.as_str(), &f.body_center),
                (t.result.ko(), &f.body_center),
                (t.note.as_str(), &f.body),
                (sha, &f.body),
                (file, &f.body),
                (id, &f.body),
            ];
            for (i, (text, format)) in cells.iter().enumerate() {
                put(&mut ws, name, r, col(i), text, format)?;
            }
            r += 1;
        }
    }
    let results = [
        medsec_assure::checklist::TestResult::Pass.ko(),
        medsec_assure::checklist::TestResult::Fail.ko(),
        medsec_assure::checklist::TestResult::Inconclusive.ko(),
    ];
    let validation = DataValidation::new()
        .allow_list_strings(&results)
        .map_err(sheet_error(name))?;
    ws.add_data_validation(1, 3, r + SPARE_TEST_ROWS, 3, &validation)
        .map_err(sheet_error(name))?;
    ws.autofilter(0, 0, r.max(1) - 1, col(TEST_COLUMNS.len() - 1))
        .map_err(sheet_error(name))?;
    Ok(ws)
}

fn attachments_sheet(list: &Checklist, f: &Formats) -> Result<Worksheet, ExportError> {
    let name = SHEET_ATTACHMENTS;
    let mut ws = table_sheet(name, &ATTACHMENT_COLUMNS, f)?;
    let mut r: u32 = 1;
    for row in &list.rows {
        for a in &row.content.attachments {
            let (id, sha, file) = match &a.evidence {
                Some(e) => (e.id.as_str(), e.sha256.as_str(), e.filename.as_str()),
                None => ("", "", ""),
            };
            let cells = [
                (row.id.as_str(), &f.body_center),
                (a.document.as_str(), &f.body),
                (id, &f.body),
                (sha, &f.body),
                (file, &f.body),
            ];
            for (i, (text, format)) in cells.iter().enumerate() {
                put(&mut ws, name, r, col(i), text, format)?;
            }
            r += 1;
        }
    }
    ws.autofilter(0, 0, r.max(1) - 1, col(ATTACHMENT_COLUMNS.len() - 1))
        .map_err(sheet_error(name))?;
    Ok(ws)
}

fn meta_sheet(list: &Checklist, f: &Formats) -> Result<Worksheet, ExportError> {
    let name = SHEET_META;
    let mut ws = Worksheet::new();
    ws.set_name(name).map_err(sheet_error(name))?;
    ws.set_hidden(true);
    ws.set_column_width(0, 18).map_err(sheet_error(name))?;
    ws.set_column_width(1, 60).map_err(sheet_error(name))?;
    put(&mut ws, name, 0, 0, "key", &f.bold)?;
    put(&mut ws, name, 0, 1, "value", &f.bold)?;
    put(
        &mut ws,
        name,
        0,
        2,
        "medsec이 이 통합문서를 다시 읽을 때 필요한 시트입니다. 수정하지 마십시오. \
         (Needed to import this workbook back into medsec; do not edit.)",
        &f.plain,
    )?;

    let h = &list.header;
    let purposes: Vec<&str> = h.purposes.iter().map(|p| p.as_str()).collect();
    let mut pairs: Vec<(&str, String)> = vec![
        (key::SCHEMA, list.schema.clone()),
        (key::CATALOG, list.catalog.clone()),
        (key::EDITION, list.edition.clone()),
        (key::TITLE_KO, list.catalog_title_ko.clone()),
        (key::TITLE_EN, list.catalog_title_en.clone()),
        (key::PRODUCT, h.product.clone()),
        (key::MODEL, h.model.clone()),
        (key::SOFTWARE_VERSION, h.software_version.clone()),
    ];
    if let Some(m) = &h.manufacturer {
        pairs.push((key::MANUFACTURER, m.clone()));
    }
    pairs.extend([
        (key::GRADE, h.grade.to_string()),
        (key::SECURITY_LEVEL, h.security_level.as_str().to_owned()),
        (key::COMMUNICATION, h.communication.clone()),
        (key::PURPOSES, purposes.join(",")),
        (key::PUBLIC_NETWORK, h.public_network.to_string()),
    ]);
    let mut r: u32 = 1;
    for (k, v) in &pairs {
        put(&mut ws, name, r, 0, k, &f.plain)?;
        put(&mut ws, name, r, 1, v, &f.plain)?;
        r += 1;
    }
    for row in &list.rows {
        let json =
            serde_json::to_string(&RowMeta::of(row)).map_err(|source| ExportError::Metadata {
                item: row.id.clone(),
                source,
            })?;
        put(&mut ws, name, r, 0, key::ROW, &f.plain)?;
        for (i, chunk) in chunks(&json, META_CHUNK).iter().enumerate() {
            put(&mut ws, name, r, col(1 + i), chunk, &f.plain)?;
        }
        r += 1;
    }
    Ok(ws)
}

/// `s` cut into pieces of at most `n` characters, on character boundaries.
fn chunks(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}
