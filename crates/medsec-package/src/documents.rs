//! The package's documents, each rendered once for every layout: the
//! checklist (XLSX, PDF, JSON), the risk-management and threat-model
//! reports (PDF, Korean and English) with the register, the diagram and
//! the Threat Dragon file, the SBOM with its vulnerability assessment,
//! the test summary with the test plan and the unresolved anomalies, the
//! traceability matrix (XLSX, CSV, JSON), and the scanners' files and
//! evidence as given.

use std::io::{Cursor, Read as _, Write as _};

use medsec_assure::evidence::{EvidenceFile, sha256_hex};
use medsec_assure::risk::Evaluation;
use medsec_assure::threat::{self, report::Report as ThreatReport};
use medsec_assure::trace::{self, Matrix};
use medsec_pdf::report::{Block, Report};
use medsec_pdf::{Fonts, Lang, Options};
use serde::Serialize;
use serde_json::json;

use crate::layout::{DocId, Kind};
use crate::submission::{self, Support};
use crate::{DocumentGap, Inputs, PackageError, doc_error};

/// The schema of `vulnerability-assessment.json`.
pub const VULNERABILITY_SCHEMA: &str = "medsec-vulnerability-assessment/1";
/// The schema of `traceability.json`.
pub const TRACE_SCHEMA: &str = "medsec-traceability/1";
/// The schema of `unresolved-anomalies.json`.
pub const ANOMALIES_SCHEMA: &str = "medsec-unresolved-anomalies/1";

pub(crate) struct File {
    pub kind: Kind,
    pub name: String,
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub format: String,
    pub title_ko: String,
    pub title_en: String,
}

pub(crate) struct Documents {
    pub files: Vec<File>,
    pub matrix: Matrix,
    /// What the submission documents leave unstated.
    pub gaps: Vec<DocumentGap>,
}

const PDF: &str = "application/pdf";
const JSON: &str = "application/json";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn file(kind: Kind, name: &str, bytes: Vec<u8>, media: &'static str, format: &str) -> File {
    let (ko, en) = titles(kind);
    File {
        kind,
        name: name.to_owned(),
        bytes,
        media_type: media,
        format: format.to_owned(),
        title_ko: ko.to_owned(),
        title_en: en.to_owned(),
    }
}

fn titles(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Checklist => ("필수원칙 체크리스트", "Essential-principles checklist"),
        Kind::RiskReport => (
            "사이버보안 위험관리 보고서",
            "Cybersecurity risk management report",
        ),
        Kind::RiskRegister => ("위험 관리 대장", "Risk register"),
        Kind::ThreatReport => ("위협 모델 보고서", "Threat model report"),
        Kind::Diagram => ("자료 흐름도", "Data-flow diagram"),
        Kind::ThreatDragon => (
            "위협 모델 (OWASP Threat Dragon)",
            "Threat model (OWASP Threat Dragon)",
        ),
        Kind::Sbom => (
            "소프트웨어 자재 명세서 (SBOM)",
            "Software bill of materials (SBOM)",
        ),
        Kind::VulnerabilityAssessment => ("SBOM 취약점 평가", "SBOM vulnerability assessment"),
        Kind::TestSummary => ("보안 시험 요약", "Security test summary"),
        Kind::TestPlan => ("시험 계획 및 결과", "Test plan and results"),
        Kind::Anomalies => ("미해결 이상 목록", "Unresolved anomalies"),
        Kind::Trace => ("추적성 매트릭스", "Traceability matrix"),
        Kind::Scan => ("도구 시험 결과 (SARIF)", "Scanner results (SARIF)"),
        Kind::Evidence => ("시험 증거 자료", "Test evidence"),
        Kind::Characteristics => ("사이버보안 특성 명세서", "Characteristics sheet"),
        Kind::ComponentSupport => ("구성요소별 지원 현황", "Component support"),
        Kind::Labelling => (
            "사용자 보안 문서 (라벨 표시)",
            "Customer security documentation (labelling)",
        ),
        Kind::Tplc => (
            "TPLC 사이버보안 관리 계획",
            "TPLC cybersecurity management plan",
        ),
        Kind::Metrics => ("사이버보안 지표", "Cybersecurity metrics"),
        Kind::Interoperability => ("상호운용성 고려사항", "Interoperability considerations"),
    }
}

/// A file name given by the user, as a single path component.
fn check_name(name: &str) -> Result<(), PackageError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(PackageError::Evidence {
            name: name.to_owned(),
            message: "must be a plain file name (no directories, `..` or control characters)"
                .into(),
        });
    }
    Ok(())
}

fn to_json<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Vec<u8>, PackageError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(|e| doc_error(what, e))?;
    out.push(b'\n');
    Ok(out)
}

/// The kebab-case name serde gives an enum value.
fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(crate) fn render(inputs: &Inputs, fonts: &Fonts) -> Result<Documents, PackageError> {
    let catalogs = medsec_catalog::catalogs().map_err(|e| doc_error("catalogues", e))?;
    let mut evidence = Vec::new();
    for e in &inputs.evidence {
        check_name(&e.name)?;
        evidence.push(EvidenceFile {
            sha256: sha256_hex(&e.bytes),
            filename: e.name.clone(),
            size: Some(e.bytes.len() as u64),
        });
    }
    for s in &inputs.scans {
        check_name(&s.name)?;
        evidence.push(EvidenceFile {
            sha256: sha256_hex(&s.bytes),
            filename: s.name.clone(),
            size: Some(s.bytes.len() as u64),
        });
    }
    let reports: Vec<_> = inputs.scans.iter().map(|s| s.report.clone()).collect();
    let matrix = trace::matrix(&trace::Inputs {
        model: &inputs.model,
        register: &inputs.register,
        checklist: &inputs.checklist,
        plan: &inputs.plan,
        scans: &reports,
        sbom: &inputs.findings,
        justifications: &inputs.justifications,
        evidence: &evidence,
    })
    .map_err(|e| doc_error("risk register", e))?;
    let threat_report = ThreatReport::new(&inputs.model, catalogs);
    let support = submission::resolve_support(inputs);
    let gaps = submission::gaps(inputs, &support);
    let created = inputs.created.to_offset(time::UtcOffset::UTC);
    let options = |lang| Options {
        lang,
        generated: Some((created.year(), u8::from(created.month()), created.day())),
        allow_missing_glyphs: false,
    };
    let stamp = crate::created_text(inputs.created)?;

    // The PDFs take most of the time: each in its own thread.
    let ctx = Ctx {
        inputs,
        matrix: &matrix,
        threat: &threat_report,
        support: &support,
        gaps: &gaps,
    };
    let pdf_jobs: Vec<(String, Kind, Lang)> = [
        ("characteristics", Kind::Characteristics),
        ("labelling", Kind::Labelling),
        ("tplc-plan", Kind::Tplc),
        ("interoperability", Kind::Interoperability),
        ("checklist", Kind::Checklist),
        ("risk-management-report", Kind::RiskReport),
        ("threat-model-report", Kind::ThreatReport),
        ("test-summary", Kind::TestSummary),
    ]
    .into_iter()
    .flat_map(|(n, k)| {
        [
            (format!("{n}.pdf"), k, Lang::Ko),
            (format!("{n}.en.pdf"), k, Lang::En),
        ]
    })
    .collect();
    let device = &inputs.profile.device;
    let ident_base = format!(
        "medsec/package/{}/{}/{}",
        device.product, device.model, device.software_version
    );
    let pdfs: Vec<Result<File, PackageError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pdf_jobs
            .iter()
            .map(|(name, kind, lang)| {
                let ctx = &ctx;
                let options = options(*lang);
                let ident = format!("{ident_base}/{name}");
                scope.spawn(move || -> Result<File, PackageError> {
                    let pdf = match kind {
                        Kind::Checklist => {
                            medsec_pdf::render_with(&ctx.inputs.checklist, fonts, &options)
                                .map(|r| r.pdf)
                        }
                        _ => {
                            let report = ctx.report(*kind, *lang);
                            medsec_pdf::report::render(&report, fonts, &options, &ident)
                                .map(|r| r.pdf)
                        }
                    }
                    .map_err(|source| PackageError::Pdf {
                        document: name.clone(),
                        source,
                    })?;
                    Ok(file(*kind, name, pdf, PDF, "PDF"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(doc_error("PDF", "rendering panicked")))
            })
            .collect()
    });
    let mut files = Vec::new();
    for f in pdfs {
        files.push(f?);
    }

    let list = &inputs.checklist;
    let xlsx = medsec_export::xlsx::write(list).map_err(|e| doc_error("checklist.xlsx", e))?;
    files.push(file(
        Kind::Checklist,
        "checklist.xlsx",
        normalise_xlsx_times(&xlsx, &stamp).map_err(|e| doc_error("checklist.xlsx", e))?,
        XLSX,
        "MFDS checklist form (medsec-export)",
    ));
    files.push(file(
        Kind::Checklist,
        "checklist.json",
        to_json("checklist.json", list)?,
        JSON,
        &list.schema,
    ));
    let register = inputs
        .register
        .to_json()
        .map_err(|e| doc_error("risk-register.json", e))?;
    let mut register = register.into_bytes();
    if !register.ends_with(b"\n") {
        register.push(b'\n');
    }
    files.push(file(
        Kind::RiskRegister,
        "risk-register.json",
        register,
        JSON,
        &inputs.register.schema,
    ));
    files.push(file(
        Kind::Diagram,
        "data-flow-diagram.svg",
        threat::svg::render(&inputs.model).into_bytes(),
        "image/svg+xml",
        "SVG 1.1",
    ));
    files.push(file(
        Kind::ThreatDragon,
        "threat-model.threat-dragon.json",
        to_json(
            "threat-model.threat-dragon.json",
            &threat::dragon::export(&inputs.model),
        )?,
        JSON,
        &format!("OWASP Threat Dragon v2 ({})", threat::dragon::VERSION),
    ));
    files.push(file(
        Kind::Characteristics,
        "characteristics.json",
        to_json(
            "characteristics.json",
            &submission::characteristics_json(inputs, &gaps),
        )?,
        JSON,
        submission::CHARACTERISTICS_SCHEMA,
    ));
    if let Some(sbom) = &inputs.sbom {
        let sbom = submission::sbom_with_support(sbom, &support);
        files.push(file(
            Kind::Sbom,
            "sbom.cdx.json",
            medsec_sbom::write_cyclonedx_json(&sbom).into_bytes(),
            "application/vnd.cyclonedx+json",
            "CycloneDX 1.6",
        ));
        files.push(file(
            Kind::ComponentSupport,
            "component-support.json",
            to_json(
                "component-support.json",
                &submission::support_json(&support),
            )?,
            JSON,
            submission::SUPPORT_SCHEMA,
        ));
        files.push(file(
            Kind::ComponentSupport,
            "component-support.csv",
            csv(
                &submission::SUPPORT_COLUMNS,
                submission::support_rows(&support),
            )
            .into_bytes(),
            "text/csv",
            "CSV (RFC 4180, UTF-8 with BOM)",
        ));
    }
    files.push(file(
        Kind::Tplc,
        "tplc-plan.json",
        to_json("tplc-plan.json", &submission::tplc_json(inputs, &gaps))?,
        JSON,
        submission::TPLC_SCHEMA,
    ));
    files.push(file(
        Kind::Metrics,
        "cybersecurity-metrics.json",
        to_json(
            "cybersecurity-metrics.json",
            &submission::metrics_json(inputs),
        )?,
        JSON,
        submission::METRICS_SCHEMA,
    ));
    files.push(file(
        Kind::VulnerabilityAssessment,
        "vulnerability-assessment.json",
        to_json(
            "vulnerability-assessment.json",
            &vulnerability_assessment(inputs, &matrix),
        )?,
        JSON,
        VULNERABILITY_SCHEMA,
    ));
    let plan = inputs
        .plan
        .to_json()
        .map_err(|e| doc_error("test-plan.json", e))?;
    let mut plan = plan.into_bytes();
    if !plan.ends_with(b"\n") {
        plan.push(b'\n');
    }
    files.push(file(
        Kind::TestPlan,
        "test-plan.json",
        plan,
        JSON,
        &inputs.plan.schema,
    ));
    files.push(file(
        Kind::Anomalies,
        "unresolved-anomalies.json",
        to_json(
            "unresolved-anomalies.json",
            &json!({ "schema": ANOMALIES_SCHEMA, "anomalies": matrix.anomalies }),
        )?,
        JSON,
        ANOMALIES_SCHEMA,
    ));
    files.push(file(
        Kind::Trace,
        "traceability.json",
        to_json(
            "traceability.json",
            &json!({ "schema": TRACE_SCHEMA, "matrix": matrix }),
        )?,
        JSON,
        TRACE_SCHEMA,
    ));
    files.push(file(
        Kind::Trace,
        "traceability-matrix.csv",
        trace_csv(&matrix).into_bytes(),
        "text/csv",
        "CSV (RFC 4180, UTF-8 with BOM)",
    ));
    files.push(file(
        Kind::Trace,
        "traceability-matrix.xlsx",
        trace_xlsx(&matrix, created).map_err(|e| doc_error("traceability-matrix.xlsx", e))?,
        XLSX,
        "Office Open XML workbook",
    ));
    for s in &inputs.scans {
        files.push(file(
            Kind::Scan,
            &s.name,
            s.bytes.clone(),
            "application/sarif+json",
            "SARIF 2.1.0",
        ));
    }
    for e in &inputs.evidence {
        files.push(file(
            Kind::Evidence,
            &e.name,
            e.bytes.clone(),
            media_type_of(&e.name),
            "as submitted",
        ));
    }
    Ok(Documents {
        files,
        matrix,
        gaps,
    })
}

fn media_type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => PDF,
        Some("json") => JSON,
        Some("sarif") => "application/sarif+json",
        Some("txt" | "log") => "text/plain",
        Some("csv") => "text/csv",
        Some("xlsx") => XLSX,
        Some("html" | "htm") => "text/html",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("pcap" | "pcapng") => "application/vnd.tcpdump.pcap",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// rust_xlsxwriter stamps `docProps/core.xml` with the time of writing;
/// the package's workbooks carry the package's creation time instead, so
/// the same inputs give the same bytes. Every other part is copied as it
/// was compressed.
fn normalise_xlsx_times(xlsx: &[u8], stamp: &str) -> Result<Vec<u8>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).map_err(|e| e.to_string())?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let is_core = entry.name().map_err(|e| e.to_string())? == "docProps/core.xml";
        if !is_core {
            out.raw_copy_file(entry).map_err(|e| e.to_string())?;
            continue;
        }
        let time = entry.last_modified().unwrap_or_default();
        let mut xml = String::new();
        entry
            .take(1 << 20)
            .read_to_string(&mut xml)
            .map_err(|e| e.to_string())?;
        for tag in ["dcterms:created", "dcterms:modified"] {
            xml = replace_element(&xml, tag, stamp);
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(time);
        out.start_file("docProps/core.xml", options)
            .map_err(|e| e.to_string())?;
        out.write_all(xml.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

/// `<tag …>old</tag>` with `new` as the text. The positions found are at
/// ASCII delimiters, so `get` never splits a character.
fn replace_element(xml: &str, tag: &str, new: &str) -> String {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let found = xml.find(&open).and_then(|start| {
        let gt = start + xml.get(start..)?.find('>')? + 1;
        let end = gt + xml.get(gt..)?.find(&close)?;
        Some(format!("{}{new}{}", xml.get(..gt)?, xml.get(end..)?))
    });
    found.unwrap_or_else(|| xml.to_owned())
}

/// The SBOM findings with their risk and its levels: what the FDA calls
/// the assessment of known vulnerabilities (V.A.4).
fn vulnerability_assessment(inputs: &Inputs, matrix: &Matrix) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = inputs
        .findings
        .iter()
        .map(|f| {
            let risk_id = medsec_assure::risk::build::sbom_risk_id(f);
            let risk = inputs.register.risk(&risk_id).map(|r| r.id.clone());
            let eval = risk
                .as_deref()
                .and_then(|id| matrix.evaluations.iter().find(|e| e.risk == id));
            json!({
                "vulnerability": f.vulnerability,
                "aliases": f.aliases,
                "component": f.component,
                "summary": f.summary,
                "cvss": f.cvss,
                "cwe": f.cwe,
                "kev": f.kev,
                "vex": f.vex,
                "open": f.is_open(),
                "risk": risk,
                "risk_before": eval.map(|e| e.before),
                "risk_residual": eval.map(|e| e.residual),
                "accepted": eval.map(|e| e.accepted),
            })
        })
        .collect();
    let components = inputs.sbom.as_ref().map(|s| s.components.len());
    json!({
        "schema": VULNERABILITY_SCHEMA,
        "sbom_components": components,
        "findings": findings,
        "open": inputs.findings.iter().filter(|f| f.is_open()).count(),
    })
}

const TRACE_COLUMNS: [&str; 8] = [
    "요구사항 / requirements",
    "위협 / threat",
    "위험 / risk",
    "통제 / control",
    "시험 / test",
    "시험 결과 / test status",
    "증거 / evidence",
    "공백 / gaps",
];

fn trace_cells(m: &Matrix) -> Vec<[String; 8]> {
    m.rows
        .iter()
        .map(|r| {
            let subjects: Vec<&str> = [&r.threat, &r.risk, &r.control, &r.test]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let gaps: Vec<&str> = m
                .gaps
                .iter()
                .filter(|g| subjects.contains(&g.subject.as_str()))
                .map(|g| g.kind.as_str())
                .collect();
            [
                r.requirements.join(", "),
                r.threat.clone().unwrap_or_default(),
                r.risk.clone().unwrap_or_default(),
                r.control.clone().unwrap_or_default(),
                r.test.clone().unwrap_or_default(),
                r.test_status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                r.evidence.join(", "),
                dedup(gaps).join(", "),
            ]
        })
        .collect()
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v.dedup();
    v
}

/// A CSV field, quoted when needed; a leading formula character is
/// neutralised so a spreadsheet never runs it.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn trace_csv(m: &Matrix) -> String {
    csv(
        &TRACE_COLUMNS,
        trace_cells(m).into_iter().map(Vec::from).collect(),
    )
}

/// A CSV file: UTF-8 with BOM, CRLF line ends, a header row.
fn csv(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, cells: &[String]| {
        let fields: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        &header.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
    );
    for row in rows {
        line(&mut out, &row);
    }
    out
}

fn trace_xlsx(m: &Matrix, created: time::OffsetDateTime) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(
        u16::try_from(created.year()).map_err(|e| e.to_string())?,
        u8::from(created.month()),
        created.day(),
    )
    .and_then(|d| d.and_hms(created.hour().into(), created.minute(), created.second()))
    .map_err(e)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("추적성 매트릭스 / Traceability matrix")
            .set_creation_datetime(&when),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let mut sheet = |name: &str, header: &[&str], rows: Vec<Vec<String>>| -> Result<(), String> {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(e)?;
        for (c, h) in header.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            ws.write_string_with_format(0, c, *h, &bold).map_err(e)?;
            ws.set_column_width(c, 24).map_err(e)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|e| e.to_string())?;
                ws.write_string_with_format(r, c, v, &wrap).map_err(e)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(e)?;
        Ok(())
    };
    sheet(
        "추적성 매트릭스",
        &TRACE_COLUMNS,
        trace_cells(m).into_iter().map(Vec::from).collect(),
    )?;
    sheet(
        "요구사항",
        &[
            "요구사항 / requirement",
            "제목 / title",
            "Title",
            "통제 / controls",
            "위협 / threats",
            "시험 / tests",
        ],
        m.requirements
            .iter()
            .map(|r| {
                vec![
                    r.item.clone(),
                    r.title.ko.clone(),
                    r.title.en.clone(),
                    r.controls.join(", "),
                    r.threats.join(", "),
                    r.tests.join(", "),
                ]
            })
            .collect(),
    )?;
    sheet(
        "공백",
        &["종류 / kind", "대상 / subject", "설명", "Description"],
        m.gaps
            .iter()
            .map(|g| {
                vec![
                    g.kind.as_str().to_owned(),
                    g.subject.clone(),
                    g.ko.clone(),
                    g.en.clone(),
                ]
            })
            .collect(),
    )?;
    wb.save_to_buffer().map_err(e)
}

/// What the report builders read.
struct Ctx<'a> {
    inputs: &'a Inputs,
    matrix: &'a Matrix,
    threat: &'a ThreatReport,
    support: &'a [Support],
    gaps: &'a [DocumentGap],
}

/// Picks the text of a language.
pub(crate) fn pick(lang: Lang, ko: &str, en: &str) -> String {
    match lang {
        Lang::Ko => ko.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn text_of(lang: Lang, t: &threat::Text) -> String {
    let s = match lang {
        Lang::Ko => &t.ko,
        Lang::En => &t.en,
    };
    if s.trim().is_empty() {
        // One language only (an imported model): show what there is.
        if t.ko.trim().is_empty() {
            t.en.clone()
        } else {
            t.ko.clone()
        }
    } else {
        s.clone()
    }
}

pub(crate) fn table(
    lang: Lang,
    title: (&str, &str),
    columns: &[(&str, &str)],
    widths: &[u16],
    rows: Vec<Vec<String>>,
) -> Block {
    Block::Table {
        title: pick(lang, title.0, title.1),
        columns: columns.iter().map(|(k, e)| pick(lang, k, e)).collect(),
        widths: widths.to_vec(),
        rows,
        empty: pick(lang, "없음", "None"),
    }
}

pub(crate) fn text_block(lang: Lang, title: (&str, &str), text: String) -> Block {
    Block::Text {
        title: pick(lang, title.0, title.1),
        text,
        empty: pick(lang, "없음", "None"),
    }
}

impl Ctx<'_> {
    fn report(&self, kind: Kind, lang: Lang) -> Report {
        let d = &self.inputs.profile.device;
        let heading = format!("{} {}", d.product, d.model);
        let subtitle = pick(
            lang,
            &format!("소프트웨어 버전 {}", d.software_version),
            &format!("Software version {}", d.software_version),
        );
        let (kind_ko, kind_en) = titles(kind);
        let kind_text = pick(lang, kind_ko, kind_en);
        let (inputs, gaps) = (self.inputs, self.gaps);
        let blocks_and_facts = match kind {
            Kind::RiskReport => self.risk_report(lang),
            Kind::ThreatReport => self.threat_report(lang),
            Kind::Characteristics => submission::characteristics(lang, inputs, gaps),
            Kind::Labelling => submission::labelling(lang, inputs, self.support, gaps),
            Kind::Tplc => submission::tplc(lang, inputs, gaps),
            Kind::Interoperability => submission::interoperability(lang, inputs),
            _ => self.test_summary(lang),
        };
        // The analyses count the traceability gaps; the statements what
        // they leave unstated.
        let own_gaps = match kind {
            Kind::Characteristics => Some(DocId::D1),
            Kind::Labelling => Some(DocId::D8),
            Kind::Tplc => Some(DocId::D9),
            Kind::Interoperability => Some(DocId::D10),
            _ => None,
        };
        let mut facts = vec![
            [pick(lang, "제품명", "Product"), d.product.clone()],
            [pick(lang, "모델명", "Model"), d.model.clone()],
            [
                pick(lang, "소프트웨어 버전", "Software version"),
                d.software_version.clone(),
            ],
        ];
        if let Some(m) = &d.manufacturer {
            facts.push([pick(lang, "제조사", "Manufacturer"), m.clone()]);
        }
        facts.extend(blocks_and_facts.0);
        match own_gaps {
            Some(doc) => facts.push([
                pick(lang, "기재되지 않은 사항", "Not stated"),
                gaps.iter()
                    .filter(|g| g.document == doc.as_str())
                    .count()
                    .to_string(),
            ]),
            None => facts.push([
                pick(lang, "추적성 공백", "Traceability gaps"),
                self.matrix.gaps.len().to_string(),
            ]),
        }
        Report {
            running: format!("{kind_text} · {heading}"),
            kind: kind_text,
            heading,
            subtitle,
            facts,
            blocks: blocks_and_facts.1,
            author: d.manufacturer.clone(),
            colophon: pick(
                lang,
                "medsec으로 작성한 제출 패키지의 문서입니다. 파일별 SHA-256은 MANIFEST.json에 있습니다.",
                "A document of a submission package made with medsec; MANIFEST.json gives each file's SHA-256.",
            ),
        }
    }

    fn evaluation(&self, risk: &str) -> Option<&Evaluation> {
        self.matrix.evaluations.iter().find(|e| e.risk == risk)
    }

    fn risk_report(&self, lang: Lang) -> (Vec<[String; 2]>, Vec<Block>) {
        let reg = &self.inputs.register;
        let evals = &self.matrix.evaluations;
        let count = |f: &dyn Fn(&Evaluation) -> bool| evals.iter().filter(|e| f(e)).count();
        let level = |l: medsec_assure::risk::RiskLevel| pick(lang, l.ko(), l.en());
        let facts = vec![
            [pick(lang, "위험", "Risks"), reg.risks.len().to_string()],
            [
                pick(lang, "위험통제 수단", "Controls"),
                reg.controls.len().to_string(),
            ],
            [
                pick(lang, "통제 전 수용 불가", "Unacceptable before controls"),
                count(&|e| e.before == medsec_assure::risk::RiskLevel::Unacceptable).to_string(),
            ],
            [
                pick(lang, "잔여위험 수용 불가", "Unacceptable residual risks"),
                count(&|e| e.residual == medsec_assure::risk::RiskLevel::Unacceptable).to_string(),
            ],
            [
                pick(lang, "수용 결정이 필요한 위험", "Risks awaiting acceptance"),
                count(&|e| e.needs_acceptance).to_string(),
            ],
        ];
        let method = pick(
            lang,
            "ISO 14971:2019와 AAMI TIR57에 따라 위협 모델의 각 위협과 SBOM의 미해결 취약점을 위험으로 평가하였다. \
             보안 위험은 발생 확률 대신 악용 가능성(CVSS, 의료기기 CVSS 루브릭 또는 노출에 따른 추정)과 환자 위해의 심각도로 평가하며, \
             위험 매트릭스에 따라 통제 전과 통제 후(잔여) 위험 수준을 정한다. 수용 불가 또는 ALARP 검토 대상의 잔여위험은 수용 결정(책임자, 일자, 근거)이 있어야 한다.",
            "Following ISO 14971:2019 and AAMI TIR57, each threat of the threat model and each open SBOM vulnerability is assessed as a risk. \
             Security risk is rated by exploitability (CVSS, the medical-device CVSS rubric, or an estimate from exposure) instead of probability, \
             and by the severity of patient harm; the risk matrix gives the level before and after controls. \
             An unacceptable or ALARP residual risk needs a recorded acceptance (who, when, why).",
        );
        let risks = reg
            .risks
            .iter()
            .map(|r| {
                let e = self.evaluation(&r.id);
                vec![
                    r.id.clone(),
                    text_of(lang, &r.title),
                    e.map(|e| pick(lang, e.exploitability.ko(), e.exploitability.en()))
                        .unwrap_or_default(),
                    e.map(|e| pick(lang, e.severity.ko(), e.severity.en()))
                        .unwrap_or_default(),
                    e.map(|e| level(e.before)).unwrap_or_default(),
                    r.controls.join(", "),
                    e.map(|e| level(e.residual)).unwrap_or_default(),
                    match (&r.acceptance, e.is_some_and(|e| e.needs_acceptance)) {
                        (Some(a), _) => format!("{} ({})", a.by, a.on),
                        (None, true) => pick(lang, "필요", "needed"),
                        (None, false) => "-".to_owned(),
                    },
                ]
            })
            .collect();
        let controls = reg
            .controls
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    text_of(lang, &c.title),
                    pick(lang, c.status.ko(), c.status.as_str()),
                    c.catalog_items.join(", "),
                    c.requirements.join(", "),
                    c.tests.join(", "),
                ]
            })
            .collect();
        let acceptances = reg
            .risks
            .iter()
            .filter_map(|r| {
                r.acceptance.as_ref().map(|a| {
                    vec![
                        r.id.clone(),
                        a.by.clone(),
                        a.on.clone(),
                        a.rationale.clone(),
                    ]
                })
            })
            .collect();
        let vulns = self
            .inputs
            .findings
            .iter()
            .map(|f| {
                let risk = medsec_assure::risk::build::sbom_risk_id(f);
                let e = self.evaluation(&risk);
                vec![
                    f.component.key(),
                    f.vulnerability.clone(),
                    f.cvss.clone().unwrap_or_default(),
                    if f.kev { "KEV".into() } else { "-".into() },
                    f.vex
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |v| v.status.as_str().to_owned()),
                    e.map(|e| format!("{} → {}", level(e.before), level(e.residual)))
                        .unwrap_or_else(|| pick(lang, "위험 없음", "no risk")),
                ]
            })
            .collect();
        let blocks = vec![
            text_block(lang, ("방법", "Method"), method),
            table(
                lang,
                ("위험 평가", "Risk assessment"),
                &[
                    ("위험", "Risk"),
                    ("제목", "Title"),
                    ("악용 가능성", "Exploitability"),
                    ("위해 심각도", "Harm severity"),
                    ("통제 전", "Before"),
                    ("통제", "Controls"),
                    ("잔여위험", "Residual"),
                    ("수용", "Acceptance"),
                ],
                &[4, 6, 2, 2, 2, 4, 2, 3],
                risks,
            ),
            table(
                lang,
                ("위험통제 수단", "Risk controls"),
                &[
                    ("통제", "Control"),
                    ("제목", "Title"),
                    ("상태", "Status"),
                    ("관련 항목", "Catalogue items"),
                    ("요구사항", "Requirements"),
                    ("시험", "Tests"),
                ],
                &[3, 5, 2, 5, 3, 4],
                controls,
            ),
            table(
                lang,
                ("잔여위험 수용", "Residual risk acceptance"),
                &[
                    ("위험", "Risk"),
                    ("수용자", "Accepted by"),
                    ("일자", "On"),
                    ("근거", "Rationale"),
                ],
                &[4, 3, 2, 8],
                acceptances,
            ),
            table(
                lang,
                ("SBOM 취약점 평가", "SBOM vulnerability assessment"),
                &[
                    ("구성요소", "Component"),
                    ("취약점", "Vulnerability"),
                    ("CVSS", "CVSS"),
                    ("KEV", "KEV"),
                    ("VEX", "VEX"),
                    ("위험 (통제 전 → 잔여)", "Risk (before → residual)"),
                ],
                &[5, 3, 6, 1, 2, 4],
                vulns,
            ),
            self.gap_table(lang),
        ];
        (facts, blocks)
    }

    fn gap_table(&self, lang: Lang) -> Block {
        table(
            lang,
            ("추적성 공백", "Traceability gaps"),
            &[
                ("종류", "Kind"),
                ("대상", "Subject"),
                ("설명", "Description"),
            ],
            &[3, 4, 9],
            self.matrix
                .gaps
                .iter()
                .map(|g| {
                    vec![
                        g.kind.as_str().to_owned(),
                        g.subject.clone(),
                        pick(lang, &g.ko, &g.en),
                    ]
                })
                .collect(),
        )
    }

    fn threat_report(&self, lang: Lang) -> (Vec<[String; 2]>, Vec<Block>) {
        let r = self.threat;
        let w = &r.working_on;
        let facts = vec![
            [pick(lang, "요소", "Elements"), w.elements.len().to_string()],
            [
                pick(lang, "자료 흐름", "Data flows"),
                w.flows.len().to_string(),
            ],
            [
                pick(lang, "신뢰 경계", "Trust boundaries"),
                w.boundaries.len().to_string(),
            ],
            [
                pick(lang, "위협 (미해결)", "Threats (open)"),
                format!("{} ({})", r.good_job.threats, r.good_job.open),
            ],
        ];
        let yes_no = |v: Option<bool>| match v {
            Some(true) => pick(lang, "예", "yes"),
            Some(false) => pick(lang, "아니오", "no"),
            None => pick(lang, "미기재", "not stated"),
        };
        let q =
            |q: threat::report::Question| format!("{}. {}", q.number(), pick(lang, q.ko(), q.en()));
        let mut blocks = vec![text_block(
            lang,
            ("개요", "Overview"),
            pick(
                lang,
                &format!(
                    "IMDRF N60의 네 가지 질문에 따라 정리한 위협 모델이다. 자료 흐름도는 data-flow-diagram.svg, Threat Dragon 파일은 threat-model.threat-dragon.json에 있다.\n\n{}",
                    r.description
                ),
                &format!(
                    "The threat model organised by IMDRF N60's four questions. The data-flow diagram is data-flow-diagram.svg, the Threat Dragon file threat-model.threat-dragon.json.\n\n{}",
                    r.description
                ),
            ),
        )];
        blocks.push(table(
            lang,
            (&q(w.question), &q(w.question)),
            &[
                ("요소", "Element"),
                ("종류", "Kind"),
                ("이름", "Name"),
                ("신뢰 경계", "Boundary"),
            ],
            &[3, 3, 6, 4],
            w.elements
                .iter()
                .map(|e| {
                    vec![
                        e.id.clone(),
                        text_of(lang, &e.kind_name),
                        text_of(lang, &e.name),
                        e.boundary.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ));
        blocks.push(table(
            lang,
            ("자료 흐름", "Data flows"),
            &[
                ("흐름", "Flow"),
                ("출발 → 도착", "From → to"),
                ("프로토콜", "Protocol"),
                ("자료", "Data"),
                ("암호화", "Encrypted"),
                ("인증", "Authenticated"),
                ("경계 통과", "Crosses"),
            ],
            &[3, 5, 2, 4, 2, 2, 4],
            w.flows
                .iter()
                .map(|f| {
                    vec![
                        f.id.clone(),
                        format!("{} → {}", f.from, f.to),
                        f.protocol.clone(),
                        text_of(lang, &f.data_names),
                        yes_no(f.encrypted),
                        yes_no(f.authenticated),
                        f.crosses.join(", "),
                    ]
                })
                .collect(),
        ));
        let c = &r.can_go_wrong;
        blocks.push(table(
            lang,
            (&q(c.question), &q(c.question)),
            &[
                ("위협", "Threat"),
                ("대상", "Subject"),
                ("유형", "Category"),
                ("제목", "Title"),
                ("심각도", "Severity"),
                ("상태", "Status"),
                ("KISA 위협", "KISA threats"),
            ],
            &[4, 3, 2, 6, 2, 2, 4],
            c.subjects
                .iter()
                .flat_map(|s| {
                    s.threats.iter().map(move |t| {
                        vec![
                            t.id.clone(),
                            s.name.clone(),
                            text_of(lang, &t.category_name),
                            text_of(lang, &t.title),
                            pick(lang, t.severity.ko(), t.severity.as_str()),
                            pick(lang, t.status.ko(), t.status.as_str()),
                            t.kisa
                                .iter()
                                .map(|k| text_of(lang, &k.title))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]
                    })
                })
                .collect(),
        ));
        let dq = &r.doing_about_it;
        blocks.push(table(
            lang,
            (&q(dq.question), &q(dq.question)),
            &[
                ("위협", "Threat"),
                ("권고 통제", "Suggested controls"),
                ("요구사항", "Requirements"),
                ("상태", "Status"),
            ],
            &[4, 7, 5, 2],
            dq.treatments
                .iter()
                .map(|t| {
                    vec![
                        t.threat.clone(),
                        t.controls
                            .iter()
                            .map(|c| text_of(lang, c))
                            .collect::<Vec<_>>()
                            .join("; "),
                        t.requirements
                            .iter()
                            .map(|r| r.reference.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                        pick(lang, t.status.ko(), t.status.as_str()),
                    ]
                })
                .collect(),
        ));
        let g = &r.good_job;
        blocks.push(table(
            lang,
            (&q(g.question), &q(g.question)),
            &[("점검", "Check"), ("결과", "Result"), ("해당", "Subjects")],
            &[8, 2, 6],
            g.checks
                .iter()
                .map(|c| {
                    vec![
                        text_of(lang, &c.title),
                        if c.passed {
                            pick(lang, "적합", "passed")
                        } else {
                            pick(lang, "확인 필요", "to review")
                        },
                        c.subjects.join(", "),
                    ]
                })
                .collect(),
        ));
        (facts, blocks)
    }

    fn test_summary(&self, lang: Lang) -> (Vec<[String; 2]>, Vec<Block>) {
        use medsec_assure::evidence::TestStatus;
        let plan = &self.inputs.plan;
        let count = |s: TestStatus| plan.cases.iter().filter(|c| c.status == s).count();
        let status = |s: TestStatus| pick(lang, s.ko(), s.as_str());
        let open: usize = self
            .inputs
            .scans
            .iter()
            .map(|s| s.report.open().count())
            .sum();
        let facts = vec![
            [
                pick(lang, "시험 항목", "Test cases"),
                plan.cases.len().to_string(),
            ],
            [
                pick(lang, "적합 / 부적합 / 미실시", "Pass / fail / not run"),
                format!(
                    "{} / {} / {}",
                    count(TestStatus::Pass),
                    count(TestStatus::Fail),
                    count(TestStatus::NotRun)
                ),
            ],
            [
                pick(lang, "도구 시험 결과 (미해결)", "Scanner findings (open)"),
                open.to_string(),
            ],
            [
                pick(
                    lang,
                    "미해결 이상 (정당화됨)",
                    "Unresolved anomalies (justified)",
                ),
                format!(
                    "{} ({})",
                    self.matrix.anomalies.len(),
                    self.matrix
                        .anomalies
                        .iter()
                        .filter(|a| a.justification.is_some())
                        .count()
                ),
            ],
        ];
        let evidence_of = |id: &str| {
            self.matrix
                .tests
                .iter()
                .find(|t| t.test == id)
                .map(|t| {
                    t.evidence
                        .iter()
                        .map(|e| {
                            if e.present {
                                e.filename.clone()
                            } else {
                                format!("{} ({})", e.filename, pick(lang, "파일 없음", "missing"))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let cases = plan
            .cases
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    tag(&c.kind),
                    text_of(lang, &c.title),
                    status(c.status),
                    [c.executed_by.clone(), c.executed_on.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", "),
                    evidence_of(&c.id),
                ]
            })
            .collect();
        let scans = self
            .inputs
            .scans
            .iter()
            .map(|s| {
                let r = &s.report;
                vec![
                    s.name.clone(),
                    r.runs
                        .iter()
                        .map(|run| match &run.version {
                            Some(v) => format!("{} {v}", run.tool),
                            None => run.tool.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.test.clone().unwrap_or_default(),
                    r.findings.len().to_string(),
                    r.open().count().to_string(),
                ]
            })
            .collect();
        let anomalies = self
            .matrix
            .anomalies
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    pick(lang, a.kind.ko(), a.kind.as_str()),
                    a.title.clone(),
                    a.severity.clone().unwrap_or_default(),
                    a.justification.as_ref().map_or_else(
                        || pick(lang, "정당화 없음", "not justified"),
                        |j| format!("{} ({}, {})", j.why_acceptable, j.by, j.on),
                    ),
                ]
            })
            .collect();
        let blocks = vec![
            table(
                lang,
                ("시험 항목과 결과", "Test cases and results"),
                &[
                    ("시험", "Test"),
                    ("종류", "Kind"),
                    ("제목", "Title"),
                    ("결과", "Status"),
                    ("시험자, 일자", "By, on"),
                    ("증거", "Evidence"),
                ],
                &[4, 3, 7, 2, 3, 4],
                cases,
            ),
            table(
                lang,
                (
                    "도구 시험 결과 (SARIF)",
                    "Scanner and fuzzer results (SARIF)",
                ),
                &[
                    ("파일", "File"),
                    ("도구", "Tools"),
                    ("시험", "Test"),
                    ("결과 수", "Results"),
                    ("미해결", "Open"),
                ],
                &[5, 5, 4, 2, 2],
                scans,
            ),
            table(
                lang,
                ("미해결 이상", "Unresolved anomalies"),
                &[
                    ("이상", "Anomaly"),
                    ("종류", "Kind"),
                    ("제목", "Title"),
                    ("심각도", "Severity"),
                    ("정당화", "Justification"),
                ],
                &[5, 2, 6, 2, 6],
                anomalies,
            ),
            self.gap_table(lang),
        ];
        (facts, blocks)
    }
}
