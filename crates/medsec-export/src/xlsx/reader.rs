//! Reads the checklist workbook back: the `medsec` sheet for what the
//! form does not show, the form for what a manufacturer may have edited,
//! and the test records and attachments from their sheets.

use std::collections::{BTreeMap, BTreeSet};

use medsec_assure::Checklist;
use medsec_assure::checklist::{
    Attachment, Content, EvidenceRef, Header, Row, SCHEMA, TestRecord, TestResult,
};
use medsec_assure::profile::{Purpose, SecurityLevel};

use super::ooxml::{Book, Sheet, Value};
use super::{
    ATTACHMENT_COLUMNS, ListCol, RowMeta, SHEET_ATTACHMENTS, SHEET_LIST, SHEET_META, SHEET_TESTS,
    TEST_COLUMNS, form, key,
};
use crate::error::{ImportError, ImportErrorKind as Kind, cell_ref};

pub(crate) fn read(bytes: &[u8]) -> Result<Checklist, ImportError> {
    let mut book = Book::open(bytes)?;
    let mut sheet = |name: &str| {
        book.sheet(name)?.ok_or_else(|| {
            ImportError::new(
                Kind::MissingSheet,
                format!("the workbook has no sheet {name}; was it written by medsec?"),
            )
        })
    };
    let meta_sheet = sheet(SHEET_META)?;
    let list_sheet = sheet(SHEET_LIST)?;
    let tests_sheet = sheet(SHEET_TESTS)?;
    let attachments_sheet = sheet(SHEET_ATTACHMENTS)?;

    let meta = Meta::parse(&meta_sheet)?;
    let table = find_table(&list_sheet)?;
    let header = read_header(&list_sheet, table.header_row, &meta)?;
    let mut rows = read_rows(&list_sheet, &table, &meta)?;
    let known: BTreeSet<&str> = meta.rows.iter().map(|(r, _)| r.id.as_str()).collect();
    let tests = read_tests(&tests_sheet, &known)?;
    let mut attachments = read_attachments(&attachments_sheet, &known)?;

    let mut out = Vec::with_capacity(meta.rows.len());
    for (m, _) in &meta.rows {
        let Some((mut row, documents, sheet_row)) = rows.remove(&m.id) else {
            return Err(ImportError::in_sheet(
                Kind::MissingItem,
                SHEET_LIST,
                format!(
                    "item {} has no row; every item of the edition needs its row (mark it {} instead of deleting it)",
                    m.id,
                    form::NOT_APPLIES
                ),
            ));
        };
        let mut pending = attachments.remove(&m.id).unwrap_or_default();
        for document in documents {
            let evidence = match pending
                .iter()
                .position(|a| a.document.trim() == document.trim())
            {
                Some(i) => pending.remove(i).evidence,
                None => None,
            };
            row.content
                .attachments
                .push(Attachment { document, evidence });
        }
        if let Some(orphan) = pending.first() {
            return Err(ImportError::at(
                Kind::BadValue,
                SHEET_ATTACHMENTS,
                orphan.row,
                1,
                format!(
                    "document {:?} of item {} is not listed in {SHEET_LIST}!{}; add it there or delete this row",
                    orphan.document,
                    m.id,
                    cell_ref(sheet_row, table.col(ListCol::Documents)),
                ),
            ));
        }
        row.content.tests = tests.get(&m.id).cloned().unwrap_or_default();
        out.push(row);
    }
    Ok(Checklist {
        schema: meta.schema,
        catalog: meta.catalog,
        edition: meta.edition,
        catalog_title_ko: meta.title_ko,
        catalog_title_en: meta.title_en,
        header,
        rows: out,
    })
}

/// A value of the `medsec` sheet with the cell it came from.
struct MetaValue {
    value: String,
    row: u32,
}

struct Meta {
    schema: String,
    catalog: String,
    edition: String,
    title_ko: String,
    title_en: String,
    /// The header keys, as written.
    values: BTreeMap<String, MetaValue>,
    /// The items in the order written, with their sheet row.
    rows: Vec<(RowMeta, u32)>,
}

impl Meta {
    fn parse(sheet: &Sheet) -> Result<Meta, ImportError> {
        let mut values: BTreeMap<String, MetaValue> = BTreeMap::new();
        let mut rows = Vec::new();
        let mut ids = BTreeSet::new();
        for r in 1..sheet.end_row() {
            let k = sheet.text(r, 0)?;
            let k = k.trim();
            if k.is_empty() {
                continue;
            }
            // The value, split over as many cells as it needed.
            let mut value = String::new();
            for (c, _) in sheet.row(r).filter(|(c, _)| *c >= 1) {
                value.push_str(&sheet.text(r, c)?);
            }
            if k == key::ROW {
                let meta: RowMeta = serde_json::from_str(&value).map_err(|e| {
                    ImportError::at(
                        Kind::MissingMetadata,
                        SHEET_META,
                        r,
                        1,
                        format!("the row metadata cannot be read: {e}"),
                    )
                })?;
                if !ids.insert(meta.id.clone()) {
                    return Err(ImportError::at(
                        Kind::DuplicateItem,
                        SHEET_META,
                        r,
                        1,
                        format!("item {} has two metadata rows", meta.id),
                    ));
                }
                rows.push((meta, r));
            } else if values
                .insert(k.to_owned(), MetaValue { value, row: r })
                .is_some()
            {
                return Err(ImportError::at(
                    Kind::MissingMetadata,
                    SHEET_META,
                    r,
                    0,
                    format!("key {k} appears twice"),
                ));
            }
        }
        let mut take = |k: &str| {
            values.remove(k).map(|v| v.value).ok_or_else(|| {
                ImportError::in_sheet(
                    Kind::MissingMetadata,
                    SHEET_META,
                    format!("no {k}; the sheet must keep what medsec wrote"),
                )
            })
        };
        let schema = take(key::SCHEMA)?;
        let catalog = take(key::CATALOG)?;
        let edition = take(key::EDITION)?;
        let title_ko = take(key::TITLE_KO)?;
        let title_en = take(key::TITLE_EN)?;
        if schema != SCHEMA {
            return Err(ImportError::in_sheet(
                Kind::MissingMetadata,
                SHEET_META,
                format!("schema {schema:?} is not {SCHEMA:?}, the one this version reads"),
            ));
        }
        if rows.is_empty() {
            return Err(ImportError::in_sheet(
                Kind::MissingMetadata,
                SHEET_META,
                "no row metadata; the sheet must keep what medsec wrote",
            ));
        }
        Ok(Meta {
            schema,
            catalog,
            edition,
            title_ko,
            title_en,
            values,
            rows,
        })
    }

    fn get(&self, k: &str) -> Option<&MetaValue> {
        self.values.get(k)
    }

    /// A header key parsed, with an error naming its cell.
    fn parsed<T>(
        &self,
        k: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ImportError> {
        match self.get(k) {
            Some(v) => parse(&v.value)
                .map(Some)
                .map_err(|m| ImportError::at(Kind::BadHeader, SHEET_META, v.row, 1, m)),
            None => Ok(None),
        }
    }
}

/// Where the checklist table is: its header row and each column.
struct Table {
    header_row: u32,
    cols: BTreeMap<&'static str, u32>,
}

impl Table {
    fn col(&self, c: ListCol) -> u32 {
        // Every column was found by `find_table`.
        self.cols.get(c.header()).copied().unwrap_or(0)
    }
}

/// Finds the table's header row (the one with `항목 ID` and `사이버보안
/// 필수원칙`) and maps each column by its header text.
fn find_table(sheet: &Sheet) -> Result<Table, ImportError> {
    let id_header = form::squash(ListCol::Id.header());
    let first_header = form::squash(ListCol::Principle.header());
    for r in 0..sheet.end_row() {
        let mut found = BTreeMap::new();
        for (c, cell) in sheet.row(r) {
            if let Value::Text(t) = &cell.value {
                found.insert(form::squash(t), c);
            }
        }
        if !(found.contains_key(&id_header) && found.contains_key(&first_header)) {
            continue;
        }
        let mut cols = BTreeMap::new();
        for c in ListCol::ALL {
            let col = found.get(&form::squash(c.header())).ok_or_else(|| {
                ImportError::at(
                    Kind::MissingColumn,
                    SHEET_LIST,
                    r,
                    0,
                    format!("the table's header row has no column {}", c.header()),
                )
            })?;
            cols.insert(c.header(), *col);
        }
        return Ok(Table {
            header_row: r,
            cols,
        });
    }
    Err(ImportError::in_sheet(
        Kind::MissingColumn,
        SHEET_LIST,
        format!(
            "no table header row (with {} and {})",
            ListCol::Principle.header(),
            ListCol::Id.header()
        ),
    ))
}

/// The header fields as the form shows them; `None` where the line is gone.
#[derive(Default)]
struct ShownHeader {
    product: Option<String>,
    model: Option<String>,
    software_version: Option<String>,
    manufacturer: Option<String>,
    grade: Option<u8>,
    security_level: Option<SecurityLevel>,
    communication: Option<String>,
    purposes: Option<Vec<Purpose>>,
    public_network: Option<bool>,
}

/// Reads the header block above the table, line by line.
fn read_shown_header(sheet: &Sheet, header_row: u32) -> Result<ShownHeader, ImportError> {
    let mut out = ShownHeader::default();
    let mut in_purposes = false;
    for r in 0..header_row {
        for (c, _) in sheet.row(r) {
            let text = sheet.text(r, c)?;
            for line in text.lines() {
                let bad = |m: String| ImportError::at(Kind::BadHeader, SHEET_LIST, r, c, m);
                let Some((label, value)) = form::split_label(line) else {
                    // A 통신목적 line of its own: `□ 기기제어`.
                    if in_purposes && let Some((ticked, what)) = form::leading_box(line) {
                        let p = form::parse_purpose(what).map_err(bad)?;
                        if let Some(s) = out.purposes.as_mut()
                            && ticked
                            && !s.contains(&p)
                        {
                            s.push(p);
                        }
                    }
                    continue;
                };
                in_purposes = false;
                let l = form::squash(label);
                // By how the label ends, so that `1)` may be missing but a
                // title that mentions 통신 is not taken for a field.
                if l.ends_with("안전성등급") {
                    out.security_level = Some(form::parse_level(value).map_err(bad)?);
                } else if l.ends_with("통신기술") {
                    out.communication = Some(value.to_owned());
                } else if l.ends_with("통신목적") {
                    in_purposes = true;
                    let mut purposes = Vec::new();
                    if !value.is_empty() {
                        let (ticked, what) = form::leading_box(value).unwrap_or((true, value));
                        let p = form::parse_purpose(what).map_err(bad)?;
                        if ticked {
                            purposes.push(p);
                        }
                    }
                    out.purposes = Some(purposes);
                } else if l.ends_with("공용네트워크망사용여부") {
                    out.public_network = Some(form::parse_yes_no(value).map_err(bad)?);
                } else if l == form::squash(form::LABEL_PRODUCT) {
                    out.product = Some(value.to_owned());
                } else if l == form::squash(form::LABEL_MODEL) {
                    out.model = Some(value.to_owned());
                } else if l == form::squash(form::LABEL_VERSION) {
                    out.software_version = Some(value.to_owned());
                } else if l == form::squash(form::LABEL_MANUFACTURER) {
                    out.manufacturer = Some(value.to_owned());
                } else if l == form::squash(form::LABEL_GRADE) {
                    out.grade = Some(form::parse_grade(value).map_err(bad)?);
                }
            }
        }
    }
    Ok(out)
}

fn missing_header(field: &str) -> ImportError {
    ImportError::in_sheet(
        Kind::MissingMetadata,
        SHEET_LIST,
        format!("the header block has no {field}, and the {SHEET_META} sheet has no copy"),
    )
}

/// A text header field: the form's value when it was edited, otherwise
/// the exact value medsec wrote.
fn text_field(
    shown: Option<String>,
    meta: Option<&MetaValue>,
    field: &str,
) -> Result<String, ImportError> {
    match (shown, meta) {
        (Some(s), Some(m)) if s.trim() == m.value.trim() => Ok(m.value.clone()),
        (Some(s), _) => Ok(s),
        (None, Some(m)) => Ok(m.value.clone()),
        (None, None) => Err(missing_header(field)),
    }
}

fn typed_field<T>(shown: Option<T>, meta: Option<T>, field: &str) -> Result<T, ImportError> {
    match (shown, meta) {
        (Some(s), _) => Ok(s),
        (None, Some(m)) => Ok(m),
        (None, None) => Err(missing_header(field)),
    }
}

fn read_header(sheet: &Sheet, header_row: u32, meta: &Meta) -> Result<Header, ImportError> {
    let shown = read_shown_header(sheet, header_row)?;
    let manufacturer = match (shown.manufacturer, meta.get(key::MANUFACTURER)) {
        (Some(s), Some(m)) if s.trim() == m.value.trim() => Some(m.value.clone()),
        (Some(s), _) if s.is_empty() => None,
        (Some(s), _) => Some(s),
        (None, m) => m.map(|m| m.value.clone()),
    };
    let meta_level = meta.parsed(key::SECURITY_LEVEL, |v| match v.trim() {
        "high" => Ok(SecurityLevel::High),
        "medium" => Ok(SecurityLevel::Medium),
        "low" => Ok(SecurityLevel::Low),
        other => Err(format!(
            "security_level must be high, medium or low, found {other:?}"
        )),
    })?;
    let meta_purposes = meta.parsed(key::PURPOSES, |v| {
        v.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                Purpose::ALL
                    .iter()
                    .find(|x| x.as_str() == p)
                    .copied()
                    .ok_or_else(|| format!("unknown purpose {p:?}"))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let meta_public = meta.parsed(key::PUBLIC_NETWORK, |v| match v.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!(
            "public_network must be true or false, found {other:?}"
        )),
    })?;
    let meta_grade = meta.parsed(key::GRADE, form::parse_grade)?;
    // The form lists purposes in the form's order; keep the order written
    // when the ticked set is unchanged.
    let purposes = match (shown.purposes, meta_purposes) {
        (Some(s), Some(m)) => {
            let a: BTreeSet<Purpose> = s.iter().copied().collect();
            let b: BTreeSet<Purpose> = m.iter().copied().collect();
            if a == b {
                m
            } else {
                let mut v = s;
                v.sort_by_key(|p| Purpose::ALL.iter().position(|x| x == p));
                v
            }
        }
        (Some(s), None) => s,
        (None, Some(m)) => m,
        (None, None) => return Err(missing_header("3) 통신목적")),
    };
    Ok(Header {
        product: text_field(shown.product, meta.get(key::PRODUCT), "제품명")?,
        model: text_field(shown.model, meta.get(key::MODEL), "모델명")?,
        software_version: text_field(
            shown.software_version,
            meta.get(key::SOFTWARE_VERSION),
            "소프트웨어 버전",
        )?,
        manufacturer,
        grade: typed_field(shown.grade, meta_grade, "등급")?,
        security_level: typed_field(
            shown.security_level,
            meta_level,
            "1) 사이버 보안 안전성 등급",
        )?,
        communication: text_field(
            shown.communication,
            meta.get(key::COMMUNICATION),
            "2) 사용되는 통신 기술",
        )?,
        purposes,
        public_network: typed_field(
            shown.public_network,
            meta_public,
            "4) 공용 네트워크망 사용여부",
        )?,
    })
}

/// A row of the table as read: the row without attachments and tests,
/// its document numbers, and its sheet row.
type ReadRow = (Row, Vec<String>, u32);

fn read_rows(
    sheet: &Sheet,
    table: &Table,
    meta: &Meta,
) -> Result<BTreeMap<String, ReadRow>, ImportError> {
    let by_id: BTreeMap<&str, &RowMeta> =
        meta.rows.iter().map(|(m, _)| (m.id.as_str(), m)).collect();
    let mut out: BTreeMap<String, ReadRow> = BTreeMap::new();
    for r in table.header_row + 1..sheet.end_row() {
        let mut cells = BTreeMap::new();
        for c in ListCol::ALL {
            cells.insert(c.header(), sheet.text(r, table.col(c))?);
        }
        let text = |c: ListCol| cells.get(c.header()).map_or("", String::as_str);
        let at = |c: ListCol| (r, table.col(c));
        let err = |kind, c: ListCol, m: String| {
            let (row, col) = at(c);
            ImportError::at(kind, SHEET_LIST, row, col, m)
        };
        let id = text(ListCol::Id).trim().to_owned();
        if id.is_empty() {
            if cells.values().all(|v| v.trim().is_empty()) {
                continue;
            }
            return Err(err(
                Kind::BadValue,
                ListCol::Id,
                "the row has no 항목 ID; rows cannot be added to the checklist".to_owned(),
            ));
        }
        let Some(m) = by_id.get(id.as_str()) else {
            return Err(err(
                Kind::UnknownItem,
                ListCol::Id,
                format!(
                    "unknown 항목 ID {id:?}; the edition {} has no such item",
                    meta.edition
                ),
            ));
        };
        if let Some((_, _, first)) = out.get(&id) {
            return Err(err(
                Kind::DuplicateItem,
                ListCol::Id,
                format!(
                    "item {id} has a second row; its first is row {}",
                    u64::from(*first) + 1
                ),
            ));
        }
        // Each cell: unchanged gives the value as written, edited is parsed.
        let unchanged = |c: ListCol| text(c) == m.cell(c);
        let (title_ko, requirement_ko) = if unchanged(ListCol::Principle) {
            (m.title_ko.clone(), m.requirement_ko.clone())
        } else {
            form::parse_principle(text(ListCol::Principle), &id)
                .map_err(|e| err(Kind::BadValue, ListCol::Principle, e))?
        };
        let applies = form::parse_applies(text(ListCol::Applies))
            .map_err(|e| err(Kind::BadValue, ListCol::Applies, e))?;
        let list = |c: ListCol, exact: &Vec<String>| {
            if unchanged(c) {
                exact.clone()
            } else {
                form::parse_lines(text(c))
            }
        };
        let methods = list(ListCol::Methods, &m.methods);
        let standards = list(ListCol::Standards, &m.standards);
        let documents = list(ListCol::Documents, &m.documents);
        let (test_criterion, test_method) = if unchanged(ListCol::Verification) {
            (m.test_criterion.clone(), m.test_method.clone())
        } else {
            form::parse_verification(text(ListCol::Verification))
                .map_err(|e| err(Kind::BadValue, ListCol::Verification, e))?
        };
        let (reason_ko, justification) = if unchanged(ListCol::Reason) {
            (m.reason_ko.clone(), m.justification.clone())
        } else {
            form::parse_reason(text(ListCol::Reason))
        };
        let note = if unchanged(ListCol::Note) {
            m.note.clone()
        } else {
            Some(text(ListCol::Note).trim().to_owned()).filter(|n| !n.is_empty())
        };
        let row = Row {
            id: id.clone(),
            group: m.group.clone(),
            title_ko,
            title_en: m.title_en.clone(),
            requirement_ko,
            requirement_en: m.requirement_en.clone(),
            applies,
            reason_ko,
            reason_en: m.reason_en.clone(),
            justification,
            content: Content {
                methods,
                standards,
                attachments: Vec::new(),
                test_criterion,
                test_method,
                tests: Vec::new(),
                note,
            },
            traces: m.traces.clone(),
        };
        out.insert(id, (row, documents, r));
    }
    Ok(out)
}

/// Maps the columns of a sheet whose first row is its header.
fn columns(
    sheet: &Sheet,
    name: &str,
    wanted: &[(&'static str, f64)],
) -> Result<Vec<u32>, ImportError> {
    let mut found = BTreeMap::new();
    for (c, cell) in sheet.row(0) {
        if let Value::Text(t) = &cell.value {
            found.entry(form::squash(t)).or_insert(c);
        }
    }
    wanted
        .iter()
        .map(|(h, _)| {
            found.get(&form::squash(h)).copied().ok_or_else(|| {
                ImportError::at(
                    Kind::MissingColumn,
                    name,
                    0,
                    0,
                    format!("the header row has no column {h}"),
                )
            })
        })
        .collect()
}

/// Evidence from its three cells: all empty is none, all set is one.
fn evidence(
    sheet: &Sheet,
    r: u32,
    id_col: u32,
    sha_col: u32,
    file_col: u32,
) -> Result<Option<EvidenceRef>, ImportError> {
    let id = sheet.text(r, id_col)?.trim().to_owned();
    let sha256 = sheet.text(r, sha_col)?.trim().to_owned();
    let filename = sheet.text(r, file_col)?;
    if id.is_empty() && sha256.is_empty() && filename.trim().is_empty() {
        return Ok(None);
    }
    if id.is_empty() {
        return Err(ImportError::at(
            Kind::BadValue,
            &sheet.name,
            r,
            id_col,
            "evidence without its 근거자료 ID; evidence is uploaded in medsec, not added here",
        ));
    }
    if sha256.chars().count() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ImportError::at(
            Kind::BadValue,
            &sheet.name,
            r,
            sha_col,
            format!("SHA-256 must be 64 hexadecimal digits, found {sha256:?}"),
        ));
    }
    Ok(Some(EvidenceRef {
        id,
        sha256,
        filename,
    }))
}

fn row_is_blank(sheet: &Sheet, r: u32) -> Result<bool, ImportError> {
    for (c, _) in sheet.row(r) {
        if !sheet.text(r, c)?.trim().is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn known_item(
    sheet: &Sheet,
    known: &BTreeSet<&str>,
    r: u32,
    c: u32,
) -> Result<String, ImportError> {
    let id = sheet.text(r, c)?.trim().to_owned();
    if id.is_empty() {
        return Err(ImportError::at(
            Kind::BadValue,
            &sheet.name,
            r,
            c,
            "항목 ID is empty",
        ));
    }
    if !known.contains(id.as_str()) {
        return Err(ImportError::at(
            Kind::UnknownItem,
            &sheet.name,
            r,
            c,
            format!("unknown 항목 ID {id:?}"),
        ));
    }
    Ok(id)
}

/// 시험일: an Excel date (a number) or a date typed as text.
fn test_date(sheet: &Sheet, r: u32, c: u32) -> Result<String, ImportError> {
    let bad = |m: String| ImportError::at(Kind::BadDate, &sheet.name, r, c, m);
    match sheet.cell(r, c).map(|cell| (&cell.value, cell.formula)) {
        Some((Value::Number(n), false)) => form::serial_date(*n, sheet.date1904).map_err(bad),
        _ => {
            let text = sheet.text(r, c)?;
            if text.trim().is_empty() {
                return Err(bad("시험일 is empty".to_owned()));
            }
            form::parse_date(&text).map_err(bad)
        }
    }
}

fn read_tests(
    sheet: &Sheet,
    known: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<TestRecord>>, ImportError> {
    let cols = columns(sheet, SHEET_TESTS, &TEST_COLUMNS)?;
    let [id_c, by_c, on_c, result_c, note_c, sha_c, file_c, ev_c] = cols.as_slice() else {
        return Ok(BTreeMap::new());
    };
    let mut out: BTreeMap<String, Vec<TestRecord>> = BTreeMap::new();
    for r in 1..sheet.end_row() {
        if row_is_blank(sheet, r)? {
            continue;
        }
        let id = known_item(sheet, known, r, *id_c)?;
        let on = test_date(sheet, r, *on_c)?;
        let result_text = sheet.text(r, *result_c)?;
        let result = TestResult::parse(&result_text).ok_or_else(|| {
            ImportError::at(
                Kind::BadTestResult,
                SHEET_TESTS,
                r,
                *result_c,
                format!(
                    "결과 must be {}, {} or {}, found {:?}",
                    TestResult::Pass.ko(),
                    TestResult::Fail.ko(),
                    TestResult::Inconclusive.ko(),
                    result_text.trim()
                ),
            )
        })?;
        let record = TestRecord {
            by: sheet.text(r, *by_c)?,
            on,
            result,
            note: sheet.text(r, *note_c)?,
            evidence: evidence(sheet, r, *ev_c, *sha_c, *file_c)?,
        };
        out.entry(id).or_default().push(record);
    }
    Ok(out)
}

/// An attachment row: the document number and its evidence.
struct AttachmentRow {
    document: String,
    evidence: Option<EvidenceRef>,
    row: u32,
}

fn read_attachments(
    sheet: &Sheet,
    known: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<AttachmentRow>>, ImportError> {
    let cols = columns(sheet, SHEET_ATTACHMENTS, &ATTACHMENT_COLUMNS)?;
    let [id_c, doc_c, ev_c, sha_c, file_c] = cols.as_slice() else {
        return Ok(BTreeMap::new());
    };
    let mut out: BTreeMap<String, Vec<AttachmentRow>> = BTreeMap::new();
    for r in 1..sheet.end_row() {
        if row_is_blank(sheet, r)? {
            continue;
        }
        let id = known_item(sheet, known, r, *id_c)?;
        let document = sheet.text(r, *doc_c)?.trim().to_owned();
        if document.is_empty() {
            return Err(ImportError::at(
                Kind::BadValue,
                SHEET_ATTACHMENTS,
                r,
                *doc_c,
                "문서번호 is empty",
            ));
        }
        out.entry(id).or_default().push(AttachmentRow {
            document,
            evidence: evidence(sheet, r, *ev_c, *sha_c, *file_c)?,
            row: r,
        });
    }
    Ok(out)
}
