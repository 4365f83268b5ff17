//! The premarket document pages of a device: 위협 모델 (the report by
//! IMDRF's four questions, the data-flow diagram, Threat Dragon export
//! and import), 위험 관리 (the risk register with an edit form per risk,
//! the rubric link, upload and download), 보안 시험 증거 (test cases,
//! SARIF uploads with their findings, the release linked as the device's
//! software with its SBOM findings as composition analysis, unresolved
//! anomalies with their justifications) and 추적성 (the matrix and its gaps, each linking to
//! where it is fixed). Every label is computed here; the templates only
//! lay them out.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use medsec_assure::risk::{ControlStatus, Evaluation, ExploitabilityLevel, HarmSeverity};
use medsec_assure::threat::{Report, Text};
use medsec_assure::trace::GapKind;
use medsec_core::{Permission, Timestamp};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::assure::{self as assure_svc};
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, CsrfUpload, Id, request_lang};
use crate::i18n::Lang;
use crate::premarket::{
    self as svc, AcceptanceInput, JustificationInput, ResidualInput, RiskPatch,
};
use crate::routes::{Access, Routes};
use crate::state::AppState;

/// The navigation section of every page here (the devices').
const SECTION: &str = "devices";

pub fn routes(r: Routes) -> Routes {
    let document = || DefaultBodyLimit::max(svc::DOCUMENT_LIMIT + 64 * 1024);
    let sarif = || DefaultBodyLimit::max(svc::SARIF_LIMIT + 64 * 1024);
    r.ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/threat-model",
        get(threat_page),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/threat-model/export/diagram.svg",
        get(diagram),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/threat-model/export/threat-dragon.json",
        get(dragon_export),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/threat-model/import",
        post(dragon_import).layer(document()),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/threat-model/reset",
        post(threat_reset),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/risks",
        get(risks_page),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/risks/{risk_id}",
        post(risk_save),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/risks/{risk_id}/rubric",
        post(rubric_save),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/risk-register/rebuild",
        post(register_rebuild),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/risk-register/upload",
        post(register_upload).layer(document()),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/risk-register/export/{format}",
        get(register_download),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/tests",
        get(tests_page),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/scans",
        post(scan_upload).layer(sarif()),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/anomalies",
        post(justify),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/release",
        post(release_link),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/release/unlink",
        post(release_unlink),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/trace",
        get(trace_page),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/lifecycle",
        post(lifecycle_upload).layer(document()),
    )
    .ui(
        Access::User,
        Method::POST,
        "/devices/{device_id}/lifecycle/remove",
        post(lifecycle_remove),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/lifecycle/export/tplc",
        get(lifecycle_download_tplc),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/lifecycle/export/support",
        get(lifecycle_download_support),
    )
    .ui(
        Access::User,
        Method::GET,
        "/devices/{device_id}/package/{layout}",
        get(package_download),
    )
}

/// A device id and a risk id in the path, percent-decoded. Risk ids are
/// the register's (`R-TM-gateway-S`,
/// `R-SBOM-CVE-2021-44906-pkg:npm-minimist@1.2.5`, see
/// [`svc::is_risk_id`]); anything else is simply not found.
pub struct DeviceRisk(pub String, pub String);

pub fn is_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn is_risk_id(id: &str) -> bool {
    svc::is_risk_id(id)
}

impl<S: Send + Sync> FromRequestParts<S> for DeviceRisk {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Path((d, r)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::NotFound)?;
        if is_device_id(&d) && is_risk_id(&r) {
            Ok(DeviceRisk(d, r))
        } else {
            Err(Error::NotFound)
        }
    }
}

fn pick(lang: Lang, t: &Text) -> String {
    let (first, second) = if lang == Lang::En {
        (&t.en, &t.ko)
    } else {
        (&t.ko, &t.en)
    };
    if first.trim().is_empty() {
        second.clone()
    } else {
        first.clone()
    }
}

fn pick_str(lang: Lang, ko: &str, en: &str) -> String {
    if lang == Lang::En { en } else { ko }.to_owned()
}

/// An HTML id (and URL fragment) for any id.
pub fn anchor(prefix: &str, id: &str) -> String {
    let slug: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{slug}")
}

/// What [`pct`] leaves as it is: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment or query value: letters, digits and `-._~` stay
/// readable, anything else (`:`, `@`, `/`, `%`, `+`, non-ASCII) is
/// percent-encoded, so that an SBOM risk's id survives the path and the
/// query string.
pub(super) fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The tabs every page here shows, with the current one marked.
struct Tab {
    href: String,
    label: String,
    current: bool,
}

fn tabs(page: &Page, device_id: &str, current: &str) -> Vec<Tab> {
    [
        ("threat-model", "premarket-tab-threat"),
        ("risks", "premarket-tab-risks"),
        ("tests", "premarket-tab-tests"),
        ("trace", "premarket-tab-trace"),
    ]
    .into_iter()
    .map(|(path, label)| Tab {
        href: format!("/devices/{device_id}/{path}"),
        label: page.t(label),
        current: path == current,
    })
    .collect()
}

/// Splits a handler's error: field errors are shown on the page again,
/// anything else is passed on.
fn errors_of(parts: &Parts, e: Error) -> Result<Errors> {
    Errors::of(request_lang(parts), e)
}

// --- threat model ---------------------------------------------------------

struct ElementLine {
    id: String,
    kind: String,
    name: String,
    boundary: String,
    derived: String,
}

struct FlowLine {
    id: String,
    name: String,
    route: String,
    protocol: String,
    data: String,
    encrypted: String,
    authenticated: String,
    crosses: String,
}

struct ThreatLine {
    id: String,
    anchor: String,
    subject: String,
    category: String,
    title: String,
    description: String,
    severity: String,
    status: String,
    kisa: Vec<(String, String)>,
    requirements: Vec<(String, String)>,
    controls: String,
}

struct CheckLine {
    passed: bool,
    title: String,
    subjects: String,
}

#[derive(Template)]
#[template(path = "premarket_threat.html")]
struct ThreatTpl<'a> {
    page: &'a Page,
    id: String,
    device_title: String,
    tabs: Vec<Tab>,
    source: String,
    imported: bool,
    questions: Vec<String>,
    elements: Vec<ElementLine>,
    flows: Vec<FlowLine>,
    threats: Vec<ThreatLine>,
    checks: Vec<CheckLine>,
    summary: String,
    errors: Errors,
    can_write: bool,
}

fn yes_no(page: &Page, v: Option<bool>) -> String {
    match v {
        Some(true) => page.t("yes"),
        Some(false) => page.t("no"),
        None => page.t("premarket-not-stated"),
    }
}

/// A catalogue reference as a link to its page: `mfds-2019:1.1` →
/// `/catalogs/mfds-2019/1.1`.
fn requirement_link(reference: &str) -> (String, String) {
    let href = reference
        .split_once(':')
        .map(|(c, i)| format!("/catalogs/{c}/{}", pct(i)))
        .unwrap_or_default();
    (reference.to_owned(), href)
}

async fn threat_view(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    let by = assure_svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "premarket-threat-title", SECTION).await?;
    let view = svc::threat_model(state, &by, id).await?;
    let lang = page.lang;
    let catalogs = super::catalog::all()?;
    let report = Report::new(&view.model, catalogs);
    let model = &view.model;
    let source = match &view.imported {
        Some(row) => page.lang.ta(
            "premarket-threat-imported",
            &[
                ("file", &row.filename),
                ("by", &row.updated_by),
                ("at", &page.time(Timestamp(row.updated_at))),
            ],
        ),
        None => page.t("premarket-threat-derived"),
    };
    let questions = [
        &report.working_on.question,
        &report.can_go_wrong.question,
        &report.doing_about_it.question,
        &report.good_job.question,
    ]
    .iter()
    .map(|q| format!("{}. {}", q.number(), pick_str(lang, q.ko(), q.en())))
    .collect();
    let elements = report
        .working_on
        .elements
        .iter()
        .map(|e| ElementLine {
            id: e.id.clone(),
            kind: pick(lang, &e.kind_name),
            name: pick(lang, &e.name),
            boundary: e.boundary.clone().unwrap_or_default(),
            derived: e
                .derived
                .as_ref()
                .map(|t| pick(lang, t))
                .unwrap_or_default(),
        })
        .collect();
    let flows = report
        .working_on
        .flows
        .iter()
        .map(|f| FlowLine {
            id: f.id.clone(),
            name: pick(lang, &f.name),
            route: format!(
                "{} {} {}",
                f.from,
                if f.bidirectional { "↔" } else { "→" },
                f.to
            ),
            protocol: f.protocol.clone(),
            data: pick(lang, &f.data_names),
            encrypted: yes_no(&page, f.encrypted),
            authenticated: yes_no(&page, f.authenticated),
            crosses: f.crosses.join(", "),
        })
        .collect();
    let mut threats = Vec::new();
    for s in &report.can_go_wrong.subjects {
        for t in &s.threats {
            let full = model.threats.iter().find(|x| x.id == t.id);
            threats.push(ThreatLine {
                id: t.id.clone(),
                anchor: anchor("threat", &t.id),
                subject: s.name.clone(),
                category: format!("{} {}", t.category, pick(lang, &t.category_name)),
                title: pick(lang, &t.title),
                description: pick(lang, &t.description),
                severity: pick_str(lang, t.severity.ko(), t.severity.as_str()),
                status: pick_str(lang, t.status.ko(), t.status.as_str()),
                kisa: t
                    .kisa
                    .iter()
                    .map(|k| (k.id.clone(), pick(lang, &k.title)))
                    .collect(),
                requirements: full
                    .map(|x| x.requirements.iter().map(|r| requirement_link(r)).collect())
                    .unwrap_or_default(),
                controls: full
                    .map(|x| {
                        x.controls
                            .iter()
                            .map(|c| pick(lang, c))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    })
                    .unwrap_or_default(),
            });
        }
    }
    let checks = report
        .good_job
        .checks
        .iter()
        .map(|c| CheckLine {
            passed: c.passed,
            title: pick(lang, &c.title),
            subjects: c.subjects.join(", "),
        })
        .collect();
    let summary = page.lang.ta(
        "premarket-threat-summary",
        &[
            ("threats", &report.good_job.threats.to_string()),
            ("open", &report.good_job.open.to_string()),
            ("elements", &model.elements.len().to_string()),
            ("flows", &model.flows.len().to_string()),
        ],
    );
    let status = form_status(&errors);
    let tpl = ThreatTpl {
        id: id.to_owned(),
        device_title: view.device.profile.title(),
        tabs: tabs(&page, id, "threat-model"),
        source,
        imported: view.imported.is_some(),
        questions,
        elements,
        flows,
        threats,
        checks,
        summary,
        errors,
        can_write: actor.has(Permission::Write),
        page: &page,
    };
    Ok(render(status, &page, &tpl))
}

async fn threat_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    threat_view(&state, &parts, &actor, &id, Errors::none()).await
}

/// The data-flow diagram, drawn by us from the model, for an `<img>`.
async fn diagram(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::threat_model(&state, &by, &id).await?;
    let svg = medsec_assure::threat::svg::render(&view.model);
    let mut res = (StatusCode::OK, svg).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

async fn dragon_export(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::threat_model(&state, &by, &id).await?;
    let bytes = svc::dragon_export(&view.model)?;
    Ok(assure_svc::attachment(
        bytes,
        "application/json",
        &format!("{}.threat-dragon.json", view.device.profile.title()),
    ))
}

async fn dragon_import(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    match svc::dragon_import(&state, &by, &id, &upload.filename, &upload.bytes).await {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/threat-model"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            threat_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn threat_reset(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    svc::threat_model_reset(&state, &by, &id).await?;
    Ok(see_other(&format!("/devices/{id}/threat-model")))
}

// --- risk register ---------------------------------------------------------

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    current: Option<T>,
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice {
            value: value(*x).to_owned(),
            label: label(*x),
            selected: current == Some(*x),
        })
        .collect()
}

struct ControlChoice {
    id: String,
    anchor: String,
    title: String,
    field: String,
    statuses: Vec<Choice>,
}

struct RiskLine {
    id: String,
    anchor: String,
    post: String,
    rubric_link: String,
    title: String,
    threat: String,
    threat_link: String,
    vulnerability: String,
    exploitability: String,
    exploitability_basis: String,
    harm: String,
    harm_rationale: String,
    before: String,
    before_class: &'static str,
    residual: String,
    residual_class: &'static str,
    residual_basis: String,
    controls: Vec<ControlChoice>,
    acceptance: String,
    needs_acceptance: bool,
    harm_choices: Vec<Choice>,
    residual_exploitability: Vec<Choice>,
    residual_severity: Vec<Choice>,
    residual_rationale: String,
    accepted: bool,
    accepted_by: String,
    accepted_on: String,
    acceptance_rationale: String,
}

struct ControlLine {
    id: String,
    anchor: String,
    title: String,
    status: String,
    items: Vec<(String, String)>,
    requirements: String,
    tests: String,
    suggested: bool,
}

struct ChangeLine {
    revision: i64,
    action: String,
    subject: String,
    summary: String,
    actor: String,
    at: String,
}

struct RubricLine {
    risk: String,
    vector: String,
    score: String,
    severity: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "premarket_risks.html")]
struct RisksTpl<'a> {
    page: &'a Page,
    id: String,
    device_title: String,
    tabs: Vec<Tab>,
    revision: i64,
    stored: String,
    risks: Vec<RiskLine>,
    controls: Vec<ControlLine>,
    changes: Vec<ChangeLine>,
    rubrics: Vec<RubricLine>,
    errors: Errors,
    can_write: bool,
    today: String,
    display_name: String,
}

fn level_class(l: medsec_assure::risk::RiskLevel) -> &'static str {
    match l {
        medsec_assure::risk::RiskLevel::Acceptable => "sev-low",
        medsec_assure::risk::RiskLevel::AlarpReview => "sev-medium",
        medsec_assure::risk::RiskLevel::Unacceptable => "sev-critical",
    }
}

fn exploitability_label(lang: Lang, l: ExploitabilityLevel) -> String {
    pick_str(lang, l.ko(), l.en())
}

fn harm_label(lang: Lang, s: HarmSeverity) -> String {
    pick_str(lang, s.ko(), s.en())
}

fn control_status_label(page: &Page, s: ControlStatus) -> String {
    page.t(&format!("premarket-control-{}", s.as_str()))
}

async fn risks_view(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    let by = assure_svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "premarket-risks-title", SECTION).await?;
    let lang = page.lang;
    let view = svc::register(state, &by, id).await?;
    let reg = &view.register;
    let evaluations: BTreeMap<String, Evaluation> = reg
        .evaluate()
        .map_err(|e| Error::Internal(format!("register of {id}: {e}")))?
        .into_iter()
        .map(|e| (e.risk.clone(), e))
        .collect();
    let controls_status = |s: Option<ControlStatus>| -> Vec<Choice> {
        choices(
            &[
                ControlStatus::Planned,
                ControlStatus::Implemented,
                ControlStatus::Verified,
            ],
            s,
            ControlStatus::as_str,
            |x| control_status_label(&page, x),
        )
    };
    let mut risks = Vec::new();
    for r in &reg.risks {
        let Some(e) = evaluations.get(&r.id) else {
            continue;
        };
        let source = page.t(&format!(
            "premarket-source-{}",
            serde_json::to_value(e.exploitability_source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ));
        let basis = match (&e.vector, e.base_score) {
            (Some(v), Some(s)) => format!("{source} · {v} ({s:.1})"),
            _ => source,
        };
        let residual_basis = if e.residual_assessed {
            pick(lang, &r.residual.rationale)
        } else {
            page.t("premarket-residual-not-assessed")
        };
        let acceptance = r
            .acceptance
            .as_ref()
            .map(|a| format!("{} ({}): {}", a.by, a.on, a.rationale))
            .unwrap_or_default();
        risks.push(RiskLine {
            id: r.id.clone(),
            anchor: anchor("risk", &r.id),
            post: format!("/devices/{id}/risks/{}", pct(&r.id)),
            rubric_link: if is_risk_id(&r.id) {
                format!("/tools/rubric?device={id}&risk={}", pct(&r.id))
            } else {
                String::new()
            },
            title: pick(lang, &r.title),
            threat: r.threat.clone().unwrap_or_default(),
            threat_link: r
                .threat
                .as_ref()
                .map(|t| format!("/devices/{id}/threat-model#{}", anchor("threat", t)))
                .unwrap_or_default(),
            vulnerability: {
                let mut parts = vec![pick(lang, &r.vulnerability.description)];
                parts.extend(r.vulnerability.cve.iter().cloned());
                parts.extend(r.vulnerability.cwe.iter().cloned());
                parts.retain(|p| !p.is_empty());
                parts.join(" · ")
            },
            exploitability: exploitability_label(lang, e.exploitability),
            exploitability_basis: basis,
            harm: harm_label(lang, e.severity),
            harm_rationale: pick(lang, &r.harm.rationale),
            before: pick_str(lang, e.before.ko(), e.before.en()),
            before_class: level_class(e.before),
            residual: format!(
                "{} ({} × {})",
                pick_str(lang, e.residual.ko(), e.residual.en()),
                exploitability_label(lang, e.residual_exploitability),
                harm_label(lang, e.residual_severity)
            ),
            residual_class: level_class(e.residual),
            residual_basis,
            controls: r
                .controls
                .iter()
                .map(|c| {
                    let control = reg.control(c);
                    ControlChoice {
                        id: c.clone(),
                        anchor: anchor("control", c),
                        title: control.map(|x| pick(lang, &x.title)).unwrap_or_default(),
                        field: format!("control:{c}"),
                        statuses: controls_status(control.map(|x| x.status)),
                    }
                })
                .collect(),
            acceptance,
            needs_acceptance: e.needs_acceptance,
            harm_choices: choices(
                &HarmSeverity::ALL,
                Some(r.harm.severity),
                HarmSeverity::as_str,
                |s| harm_label(lang, s),
            ),
            residual_exploitability: choices(
                &ExploitabilityLevel::ALL,
                r.residual.exploitability,
                ExploitabilityLevel::as_str,
                |l| exploitability_label(lang, l),
            ),
            residual_severity: choices(
                &HarmSeverity::ALL,
                r.residual.severity,
                HarmSeverity::as_str,
                |s| harm_label(lang, s),
            ),
            residual_rationale: pick(lang, &r.residual.rationale),
            accepted: r.acceptance.is_some(),
            accepted_by: r
                .acceptance
                .as_ref()
                .map(|a| a.by.clone())
                .unwrap_or_default(),
            accepted_on: r
                .acceptance
                .as_ref()
                .map(|a| a.on.clone())
                .unwrap_or_default(),
            acceptance_rationale: r
                .acceptance
                .as_ref()
                .map(|a| a.rationale.clone())
                .unwrap_or_default(),
        });
    }
    let controls = reg
        .controls
        .iter()
        .map(|c| ControlLine {
            id: c.id.clone(),
            anchor: anchor("control", &c.id),
            title: pick(lang, &c.title),
            status: control_status_label(&page, c.status),
            items: c
                .catalog_items
                .iter()
                .map(|i| requirement_link(i))
                .collect(),
            requirements: c.requirements.join(", "),
            tests: c.tests.join(", "),
            suggested: c.suggested,
        })
        .collect();
    let changes = svc::register_changes(state, &by, id)
        .await?
        .into_iter()
        .map(|c| ChangeLine {
            revision: c.revision,
            action: page.t(&format!("premarket-change-{}", c.action)),
            subject: c.subject,
            summary: change_summary(&page, &c.summary),
            actor: c.actor,
            at: page.time(Timestamp(c.at)),
        })
        .collect();
    let rubrics = svc::rubric_assessments(state, &by, id)
        .await?
        .into_iter()
        .map(|r| RubricLine {
            risk: r.risk_id,
            vector: r.vector,
            score: r.base_score,
            severity: severity_text(page.lang, &r.severity),
            by: r.created_by,
            at: page.time(Timestamp(r.created_at)),
        })
        .collect();
    let stored = match &view.updated {
        Some((who, at)) => page.lang.ta(
            "premarket-risks-stored",
            &[
                ("revision", &view.revision.to_string()),
                ("by", who),
                ("at", &page.time(Timestamp(*at))),
            ],
        ),
        None => page.t("premarket-risks-derived"),
    };
    let status = form_status(&errors);
    let tpl = RisksTpl {
        id: id.to_owned(),
        device_title: view.model.device.profile.title(),
        tabs: tabs(&page, id, "risks"),
        revision: view.revision,
        stored,
        risks,
        controls,
        changes,
        rubrics,
        errors,
        can_write: actor.has(Permission::Write),
        today: svc::today(state),
        display_name: actor.user.display_name.clone(),
        page: &page,
    };
    Ok(render(status, &page, &tpl))
}

async fn risks_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    risks_view(&state, &parts, &actor, &id, Errors::none()).await
}

fn revision_of(form: &BTreeMap<String, String>) -> Result<i64> {
    form.get("revision")
        .and_then(|r| r.trim().parse().ok())
        .ok_or_else(|| Error::field("revision", "required"))
}

/// The risk's edit form as a patch: every field is sent, so every field
/// is replaced.
fn patch_of(form: &BTreeMap<String, String>) -> Result<RiskPatch> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    /// A select's value as the enum it names; empty is `None`.
    fn choice<T: serde::de::DeserializeOwned>(field: &str, v: String) -> Result<Option<T>> {
        if v.is_empty() {
            return Ok(None);
        }
        serde_json::from_value(serde_json::Value::String(v))
            .map(Some)
            .map_err(|_| Error::field(field, "invalid_choice"))
    }
    let harm_severity = choice("harm_severity", get("harm_severity"))?;
    let exploitability = choice("residual_exploitability", get("residual_exploitability"))?;
    let severity = choice("residual_severity", get("residual_severity"))?;
    let mut controls = BTreeMap::new();
    for (k, v) in form {
        if let Some(c) = k.strip_prefix("control:") {
            let status: ControlStatus =
                serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
                    .map_err(|_| Error::field(k, "invalid_choice"))?;
            controls.insert(c.to_owned(), status);
        }
    }
    let accept = form.get("accept").is_some_and(|v| v == "yes");
    Ok(RiskPatch {
        harm_severity,
        harm_rationale: form.get("harm_rationale").cloned(),
        controls,
        residual: Some(ResidualInput {
            exploitability,
            severity,
            rationale: get("residual_rationale"),
        }),
        acceptance: accept.then(|| AcceptanceInput {
            by: get("accepted_by"),
            on: get("accepted_on"),
            rationale: get("acceptance_rationale"),
        }),
        withdraw_acceptance: !accept,
    })
}

async fn risk_save(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    DeviceRisk(id, risk): DeviceRisk,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let result = async {
        let revision = revision_of(&form)?;
        let patch = patch_of(&form)?;
        svc::risk_update(&state, &by, &id, revision, &risk, &patch).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/devices/{id}/risks#{}",
            anchor("risk", &risk)
        ))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            risks_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct RubricForm {
    #[serde(default)]
    answers: String,
    #[serde(default)]
    revision: Option<String>,
}

/// The standalone rubric page (`/tools/rubric?device=…&risk=…`) posts
/// its answers here: `answers` (JSON of `Answers`) and `_csrf`.
async fn rubric_save(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    DeviceRisk(id, risk): DeviceRisk,
    CsrfForm(form): CsrfForm<RubricForm>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let revision = match form.revision.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(
            r.parse()
                .map_err(|_| Error::field("revision", "invalid_choice"))?,
        ),
    };
    match svc::rubric_apply(&state, &by, &id, &risk, &form.answers, revision).await {
        Ok(_) => Ok(see_other(&format!(
            "/devices/{id}/risks#{}",
            anchor("risk", &risk)
        ))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            risks_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn register_rebuild(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let result = async {
        let revision = revision_of(&form)?;
        svc::register_rebuild(&state, &by, &id, revision).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/risks"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            risks_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn register_upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let result = async {
        let revision = revision_of(&upload.fields)?;
        svc::register_upload(&state, &by, &id, revision, &upload.filename, &upload.bytes).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/risks"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            risks_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn register_download(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    crate::extract::RefPair(id, format): crate::extract::RefPair,
) -> Result<Response> {
    if !is_device_id(&id) {
        return Err(Error::NotFound);
    }
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    let view = svc::register(&state, &by, &id).await?;
    let (bytes, content_type) = svc::register_file(&view.register, &format)?;
    Ok(assure_svc::attachment(
        bytes,
        content_type,
        &format!(
            "{}.risk-register.{format}",
            view.model.device.profile.title()
        ),
    ))
}

/// The submission package (`mfds` or `fda`) as a ZIP download. When the
/// inputs cannot make a package (e.g. the TPLC plan's end of support
/// disagrees with the release's), the traceability page says why.
async fn package_download(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    crate::extract::RefPair(id, layout): crate::extract::RefPair,
) -> Result<Response> {
    if !is_device_id(&id) {
        return Err(Error::NotFound);
    }
    let layout = medsec_package::Layout::parse(&layout).ok_or(Error::NotFound)?;
    let by = assure_svc::as_maker(&state, &actor, false).await?;
    match svc::package(&state, &by, &id, layout).await {
        Ok(file) => Ok(assure_svc::attachment(
            file.bytes,
            "application/zip",
            &file.filename,
        )),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            trace_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

// --- test evidence ----------------------------------------------------------

struct CaseLine {
    id: String,
    anchor: String,
    title: String,
    item: String,
    item_link: String,
    status: String,
    evidence: usize,
    scans: usize,
}

struct FindingLine {
    id: String,
    level: String,
    open: bool,
    rule: String,
    message: String,
    location: String,
}

struct ScanLine {
    test: String,
    file: String,
    evidence_link: String,
    tool: String,
    findings: i64,
    open: i64,
    by: String,
    at: String,
    lines: Vec<FindingLine>,
}

struct AnomalyLine {
    id: String,
    anchor: String,
    kind: String,
    title: String,
    severity: String,
    test: String,
    justification: String,
    problems: String,
}

/// The release linked as the device's software.
struct ReleaseLine {
    label: String,
    link: String,
    support_until: String,
    linked: String,
    sbom: String,
    counts: String,
}

/// One finding of the release (software composition analysis).
struct SbomLine {
    vulnerability: String,
    aliases: String,
    component: String,
    summary: String,
    cvss: String,
    kev: String,
    epss: String,
    state: String,
    open: bool,
    risk: String,
    risk_link: String,
}

struct ReleaseChoice {
    id: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "premarket_tests.html")]
struct TestsTpl<'a> {
    page: &'a Page,
    id: String,
    device_title: String,
    tabs: Vec<Tab>,
    checklist_link: String,
    cases: Vec<CaseLine>,
    scans: Vec<ScanLine>,
    anomalies: Vec<AnomalyLine>,
    release: Option<ReleaseLine>,
    sbom_findings: Vec<SbomLine>,
    release_choices: Vec<ReleaseChoice>,
    errors: Errors,
    can_write: bool,
    limit_mib: usize,
    today: String,
}

async fn tests_view(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    let by = assure_svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "premarket-tests-title", SECTION).await?;
    let lang = page.lang;
    let docs = svc::documents(state, &by, id).await?;
    let checklist_link = docs
        .checklist_id
        .as_ref()
        .map(|c| format!("/checklists/{c}"))
        .unwrap_or_default();
    let cases = docs
        .plan
        .cases
        .iter()
        .map(|c| {
            let item = c.item.clone().unwrap_or_default();
            let item_link = match (&docs.checklist_id, item.split_once(':')) {
                (Some(cid), Some((_, i))) => format!("/checklists/{cid}/items/{}", pct(i)),
                _ => String::new(),
            };
            CaseLine {
                id: c.id.clone(),
                anchor: anchor("test", &c.id),
                title: pick(lang, &c.title),
                item,
                item_link,
                status: page.t(&format!("premarket-test-{}", c.status.as_str())),
                evidence: c.evidence.len(),
                scans: docs.scans.iter().filter(|(s, _)| s.test_id == c.id).count(),
            }
        })
        .collect();
    let scans = docs
        .scans
        .iter()
        .map(|(row, report)| ScanLine {
            test: row.test_id.clone(),
            file: report.source.clone(),
            evidence_link: format!("/evidence/{}", row.evidence_id),
            tool: row.tool.clone(),
            findings: row.findings,
            open: row.open_findings,
            by: row.created_by.clone(),
            at: page.time(Timestamp(row.created_at)),
            lines: report
                .findings
                .iter()
                .map(|f| FindingLine {
                    id: f.id.clone(),
                    level: page.t(&format!(
                        "premarket-level-{}",
                        serde_json::to_value(f.level)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    )),
                    open: f.is_open(),
                    rule: f.rule_id.clone().unwrap_or_default(),
                    message: f.title().to_owned(),
                    location: f
                        .locations
                        .first()
                        .map(|l| {
                            let mut s = l.uri.clone().unwrap_or_default();
                            if let Some(n) = l.start_line {
                                s.push_str(&format!(":{n}"));
                            }
                            if s.is_empty() {
                                l.logical.join(", ")
                            } else {
                                s
                            }
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let anomalies = docs
        .anomalies()
        .into_iter()
        .map(|a| AnomalyLine {
            anchor: anchor("anomaly", &a.id),
            kind: pick_str(lang, a.kind.ko(), a.kind.as_str()),
            title: a.title.clone(),
            severity: a
                .severity
                .as_deref()
                .map(|s| severity_text(lang, s))
                .unwrap_or_default(),
            test: a.test.clone().unwrap_or_default(),
            justification: a
                .justification
                .as_ref()
                .map(|j| {
                    let mut s = format!("{} ({}, {})", j.why_acceptable, j.by, j.on);
                    if !j.compensating_controls.is_empty() {
                        s.push_str(&format!(" · {}", j.compensating_controls.join(", ")));
                    }
                    s
                })
                .unwrap_or_default(),
            problems: a
                .justification
                .as_ref()
                .map(|j| {
                    j.problems()
                        .into_iter()
                        .map(|(f, p)| format!("{f} {p}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            id: a.id,
        })
        .collect();
    let linked = docs.register.release.as_ref();
    let release = linked.map(|r| ReleaseLine {
        label: format!("{} {}", r.product, r.version),
        link: format!("/releases/{}", r.release_id),
        support_until: r
            .support_until
            .clone()
            .unwrap_or_else(|| page.t("premarket-sbom-support-unknown")),
        linked: page.lang.ta(
            "premarket-sbom-linked",
            &[
                ("by", &r.linked_by),
                ("at", &page.time(Timestamp(r.linked_at))),
            ],
        ),
        sbom: r.sbom.as_ref().map(|(n, _)| n.clone()).unwrap_or_default(),
        counts: page.lang.ta(
            "premarket-sbom-counts",
            &[
                ("open", &r.open().to_string()),
                ("suppressed", &(r.findings.len() - r.open()).to_string()),
            ],
        ),
    });
    let sbom_findings = linked
        .map(|r| r.views.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|f| SbomLine {
            vulnerability: f.vulnerability.clone(),
            aliases: f.aliases.join(", "),
            component: match &f.component_version {
                Some(v) => format!("{} {v}", f.component),
                None => f.component.clone(),
            },
            summary: f.summary.clone(),
            cvss: match (f.cvss, &f.vector) {
                (Some(s), Some(v)) => format!("{s:.1} · {v}"),
                (Some(s), None) => format!("{s:.1}"),
                (None, Some(v)) => v.clone(),
                (None, None) => String::new(),
            },
            kev: if f.kev { page.t("yes") } else { String::new() },
            epss: f
                .epss
                .map(|e| format!("{:.1}%", e * 100.0))
                .unwrap_or_default(),
            state: match &f.vex {
                Some(v) if f.state == "open" => {
                    format!("{} (VEX {v})", page.t("premarket-sbom-state-open"))
                }
                Some(v) => format!("{} (VEX {v})", page.t("premarket-sbom-state-suppressed")),
                None if f.state == "open" => page.t("premarket-sbom-state-open"),
                None => page.t("premarket-sbom-state-suppressed"),
            },
            open: f.state == "open",
            risk_link: f
                .risk
                .as_ref()
                .map(|r| format!("/devices/{id}/risks#{}", anchor("risk", r)))
                .unwrap_or_default(),
            risk: f.risk.clone().unwrap_or_default(),
        })
        .collect();
    let release_choices = if actor.has(Permission::Write) {
        svc::release_choices(state, &by)
            .await?
            .into_iter()
            .map(|(rid, label)| ReleaseChoice {
                selected: linked.is_some_and(|r| r.release_id == rid),
                id: rid,
                label,
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = form_status(&errors);
    let tpl = TestsTpl {
        id: id.to_owned(),
        device_title: docs.register.model.device.profile.title(),
        tabs: tabs(&page, id, "tests"),
        checklist_link,
        cases,
        scans,
        anomalies,
        release,
        sbom_findings,
        release_choices,
        errors,
        can_write: actor.has(Permission::Write),
        limit_mib: svc::SARIF_LIMIT / (1024 * 1024),
        today: svc::today(state),
        page: &page,
    };
    Ok(render(status, &page, &tpl))
}

async fn tests_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    tests_view(&state, &parts, &actor, &id, Errors::none()).await
}

async fn scan_upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let test = upload.fields.get("test").cloned().unwrap_or_default();
    match svc::scan_upload(&state, &by, &id, &test, &upload.filename, upload.bytes).await {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/tests#scans"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            tests_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct JustifyForm {
    #[serde(default)]
    anomaly: String,
    #[serde(flatten)]
    input: JustificationInput,
}

async fn justify(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<JustifyForm>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    match svc::justify(&state, &by, &id, form.anomaly.trim(), &form.input).await {
        Ok(j) => Ok(see_other(&format!(
            "/devices/{id}/tests#{}",
            anchor("anomaly", &j.anomaly)
        ))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            tests_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct ReleaseForm {
    #[serde(default)]
    release_id: String,
}

/// Links one of the manufacturer's releases as the device's software.
async fn release_link(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<ReleaseForm>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    match svc::release_link(&state, &by, &id, &form.release_id).await {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/tests#sbom"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            tests_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn release_unlink(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(_): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    svc::release_unlink(&state, &by, &id).await?;
    Ok(see_other(&format!("/devices/{id}/tests#sbom")))
}

// --- traceability ------------------------------------------------------------

struct GapLine {
    kind: String,
    subject: String,
    text: String,
    fix: String,
}

struct RowLine {
    requirements: Vec<(String, String)>,
    threat: String,
    risk: String,
    control: String,
    test: String,
    status: String,
    evidence: usize,
}

#[derive(Template)]
#[template(path = "premarket_trace.html")]
struct TraceTpl<'a> {
    page: &'a Page,
    id: String,
    device_title: String,
    tabs: Vec<Tab>,
    no_checklist: bool,
    summary: String,
    gaps: Vec<GapLine>,
    rows: Vec<RowLine>,
    lifecycle: Vec<LifecycleLine>,
    can_write: bool,
    errors: Errors,
}

/// One of the two lifecycle files on the traceability page.
struct LifecycleLine {
    kind: &'static str,
    label: String,
    /// Who stored which file when; empty when there is none.
    stored: String,
    accept: &'static str,
}

/// Where a gap is fixed.
fn fix_link(
    id: &str,
    checklist: Option<&str>,
    kind: GapKind,
    subject: &str,
    item: Option<&str>,
) -> String {
    match kind {
        GapKind::ThreatWithoutControl => {
            format!(
                "/devices/{id}/risks#{}",
                anchor("risk", &format!("R-{subject}"))
            )
        }
        GapKind::RiskWithoutControl
        | GapKind::UnacceptableResidualRisk
        | GapKind::ResidualRiskNotReviewed => {
            format!("/devices/{id}/risks#{}", anchor("risk", subject))
        }
        GapKind::ControlNotImplemented
        | GapKind::ControlWithoutTest
        | GapKind::ControlVerifiedWithoutPassingTest => {
            format!("/devices/{id}/risks#{}", anchor("control", subject))
        }
        GapKind::RequirementWithoutControl | GapKind::DanglingReference => {
            format!("/devices/{id}/risks#controls")
        }
        GapKind::TestNotRun
        | GapKind::TestFailed
        | GapKind::TestWithoutEvidence
        | GapKind::TestWithoutProcedure => {
            match (checklist, item.and_then(|i| i.split_once(':'))) {
                (Some(c), Some((_, i))) => format!("/checklists/{c}/items/{}", pct(i)),
                _ => format!("/devices/{id}/tests#{}", anchor("test", subject)),
            }
        }
        GapKind::EvidenceMissing => format!("/devices/{id}/tests#scans"),
        GapKind::AnomalyWithoutJustification => {
            format!("/devices/{id}/tests#{}", anchor("anomaly", subject))
        }
    }
}

async fn trace_page(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    trace_view(&state, &parts, &actor, &id, Errors::none()).await
}

async fn trace_view(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    let (state, id) = (state.clone(), id.to_owned());
    let by = assure_svc::as_maker(&state, actor, false).await?;
    let page = page(&state, parts, actor, "premarket-trace-title", SECTION).await?;
    let lang = page.lang;
    let docs = svc::documents(&state, &by, &id).await?;
    let m = docs.matrix()?;
    let checklist = docs.checklist_id.as_deref();
    let gaps = m
        .gaps
        .iter()
        .map(|g| {
            let item = docs.plan.case(&g.subject).and_then(|c| c.item.as_deref());
            GapLine {
                kind: page.t(&format!("premarket-gap-{}", g.kind.as_str())),
                subject: g.subject.clone(),
                text: pick_str(lang, &g.ko, &g.en),
                fix: fix_link(&id, checklist, g.kind, &g.subject, item),
            }
        })
        .collect();
    let rows = m
        .rows
        .iter()
        .map(|r| RowLine {
            requirements: r.requirements.iter().map(|x| requirement_link(x)).collect(),
            threat: r.threat.clone().unwrap_or_default(),
            risk: r.risk.clone().unwrap_or_default(),
            control: r.control.clone().unwrap_or_default(),
            test: r.test.clone().unwrap_or_default(),
            status: r
                .test_status
                .map(|s| page.t(&format!("premarket-test-{}", s.as_str())))
                .unwrap_or_default(),
            evidence: r.evidence.len(),
        })
        .collect();
    let summary = page.lang.ta(
        "premarket-trace-summary",
        &[
            ("requirements", &m.requirements.len().to_string()),
            ("threats", &m.threats.len().to_string()),
            ("controls", &m.controls.len().to_string()),
            ("tests", &m.tests.len().to_string()),
            ("gaps", &m.gaps.len().to_string()),
        ],
    );
    let stored = state.store.lifecycle_documents(&by.org_id, &id).await?;
    let lifecycle = [
        (
            svc::LifecycleKind::Tplc,
            "premarket-lifecycle-tplc",
            ".toml",
        ),
        (
            svc::LifecycleKind::Support,
            "premarket-lifecycle-support",
            ".toml,.csv",
        ),
    ]
    .into_iter()
    .map(|(kind, label, accept)| LifecycleLine {
        kind: kind.as_str(),
        label: page.t(label),
        stored: stored
            .iter()
            .find(|r| r.kind == kind.as_str())
            .map(|r| {
                page.lang.ta(
                    "premarket-lifecycle-stored",
                    &[
                        ("file", &r.filename),
                        ("who", &r.updated_by),
                        ("at", &page.time(Timestamp(r.updated_at))),
                    ],
                )
            })
            .unwrap_or_default(),
        accept,
    })
    .collect();
    let tpl = TraceTpl {
        id: id.clone(),
        device_title: docs.register.model.device.profile.title(),
        tabs: tabs(&page, &id, "trace"),
        no_checklist: docs.checklist_id.is_none(),
        summary,
        gaps,
        rows,
        lifecycle,
        can_write: actor.has(Permission::Write),
        errors,
        page: &page,
    };
    let status = form_status(&tpl.errors);
    Ok(render(status, &page, &tpl))
}

async fn lifecycle_upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let kind = upload
        .fields
        .get("kind")
        .and_then(|k| svc::LifecycleKind::parse(k))
        .ok_or_else(|| Error::field("kind", "invalid_choice"))?;
    match svc::lifecycle_upload(&state, &by, &id, kind, &upload.filename, &upload.bytes).await {
        Ok(_) => Ok(see_other(&format!("/devices/{id}/trace#lifecycle"))),
        Err(e) => {
            let errors = errors_of(&parts, e)?;
            trace_view(&state, &parts, &actor, &id, errors).await
        }
    }
}

async fn lifecycle_remove(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response> {
    let by = assure_svc::as_maker(&state, &actor, true).await?;
    let kind = form
        .get("kind")
        .and_then(|k| svc::LifecycleKind::parse(k))
        .ok_or_else(|| Error::field("kind", "invalid_choice"))?;
    svc::lifecycle_remove(&state, &by, &id, kind).await?;
    Ok(see_other(&format!("/devices/{id}/trace#lifecycle")))
}

async fn lifecycle_download(
    state: &AppState,
    actor: &Actor,
    id: &str,
    kind: svc::LifecycleKind,
) -> Result<Response> {
    let by = assure_svc::as_maker(state, actor, false).await?;
    svc::lifecycle_download(state, &by, id, kind).await
}

async fn lifecycle_download_tplc(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    lifecycle_download(&state, &actor, &id, svc::LifecycleKind::Tplc).await
}

async fn lifecycle_download_support(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    lifecycle_download(&state, &actor, &id, svc::LifecycleKind::Support).await
}

/// A stored severity in the page's language: a SARIF level (`error`,
/// `warning`, `note`, `none`), a CVSS severity (`low` … `critical`) or
/// `kev` (an SBOM finding in CISA's catalogue); anything else as stored.
fn severity_text(lang: Lang, severity: &str) -> String {
    match severity {
        "error" => pick_str(lang, "오류", "error"),
        "warning" => pick_str(lang, "경고", "warning"),
        "note" => pick_str(lang, "참고", "note"),
        "none" => pick_str(lang, "없음", "none"),
        "low" => pick_str(lang, "낮음", "low"),
        "medium" => pick_str(lang, "중간", "medium"),
        "high" => pick_str(lang, "높음", "high"),
        "critical" => pick_str(lang, "치명적", "critical"),
        "kev" => pick_str(lang, "KEV 등재 (실제 악용)", "KEV (known exploited)"),
        other => other.to_owned(),
    }
}

/// A register change's summary, which the service records in English
/// parts joined by `; ` (`C-auth: implemented; harm: serious; residual`),
/// in the page's language; parts it does not know stay as recorded.
fn change_summary(page: &Page, summary: &str) -> String {
    if page.lang == Lang::En {
        return summary.to_owned();
    }
    let part = |p: &str| -> String {
        match p {
            "harm rationale" => return "위해 근거".to_owned(),
            "residual" => return "잔여 위험".to_owned(),
            "accepted" => return "수용".to_owned(),
            "acceptance withdrawn" => return "수용 철회".to_owned(),
            "no new threats" => return "새 위협 없음".to_owned(),
            _ => {}
        }
        // `register_upload`: `{n} risks, {m} controls from {file}`.
        if let Some((risks, rest)) = p.split_once(" risks, ")
            && let Some((controls, file)) = rest.split_once(" controls from ")
        {
            return format!("{file}에서 위험 {risks}건, 통제 {controls}건");
        }
        if let Some(rest) = p.strip_prefix("added ") {
            return format!("추가: {rest}");
        }
        if let Some((what, value)) = p.split_once(": ") {
            if what == "harm"
                && let Some(h) = HarmSeverity::ALL.iter().find(|h| h.as_str() == value)
            {
                return format!("위해: {}", h.ko());
            }
            let status = [
                ControlStatus::Planned,
                ControlStatus::Implemented,
                ControlStatus::Verified,
            ]
            .into_iter()
            .find(|s| s.as_str() == value);
            if let Some(status) = status {
                return format!("{what}: {}", control_status_label(page, status));
            }
        }
        p.to_owned()
    };
    summary.split("; ").map(part).collect::<Vec<_>>().join("; ")
}
