//! Premarket pages: devices and their applicability, the MFDS checklist
//! workspace, evidence files, exports, and the review of a submitted
//! checklist by a regulator (read-only findings, answers, rounds).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use medsec_assure::checklist::{Attachment, Content, EvidenceRef, Row, TestRecord, TestResult};
use medsec_assure::profile::Format;
use medsec_core::{OrgKind, Permission};
use medsec_store::assure::{CommentRow, EvidenceRow, SubmissionRow};

use super::{Errors, Page, form_status, ok, page, render, see_other};
use crate::assure::{self as svc, By, ExportFormat};
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, CsrfUpload, Id, RefPair, is_ref_id};
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    let upload = || DefaultBodyLimit::max(svc::EVIDENCE_LIMIT + 64 * 1024);
    r.ui(Access::User, Method::GET, "/devices", get(devices))
        .ui(Access::User, Method::POST, "/devices", post(device_import))
        .ui(
            Access::User,
            Method::GET,
            "/devices/{device_id}",
            get(device_show),
        )
        .ui(
            Access::User,
            Method::POST,
            "/devices/{device_id}/profile",
            post(device_update),
        )
        .ui(
            Access::User,
            Method::POST,
            "/devices/{device_id}/override",
            post(device_override),
        )
        .ui(
            Access::User,
            Method::POST,
            "/devices/{device_id}/checklists",
            post(checklist_create),
        )
        .ui(
            Access::User,
            Method::GET,
            "/checklists/{checklist_id}",
            get(checklist_show),
        )
        .ui(
            Access::User,
            Method::GET,
            "/checklists/{checklist_id}/items/{item_id}",
            get(item_edit),
        )
        .ui(
            Access::User,
            Method::POST,
            "/checklists/{checklist_id}/items/{item_id}",
            post(item_save),
        )
        .ui(
            Access::User,
            Method::POST,
            "/checklists/{checklist_id}/items/{item_id}/tests",
            post(test_add),
        )
        .ui(
            Access::User,
            Method::GET,
            "/checklists/{checklist_id}/export/{format}",
            get(export),
        )
        .ui(
            Access::User,
            Method::POST,
            "/checklists/{checklist_id}/import",
            post(import).layer(upload()),
        )
        .ui(
            Access::User,
            Method::POST,
            "/checklists/{checklist_id}/submit",
            post(submit),
        )
        .ui(
            Access::User,
            Method::POST,
            "/checklists/{checklist_id}/carry",
            post(carry),
        )
        .ui(Access::User, Method::GET, "/evidence", get(evidence))
        .ui(
            Access::User,
            Method::POST,
            "/evidence",
            post(evidence_upload).layer(upload()),
        )
        .ui(
            Access::User,
            Method::GET,
            "/evidence/{evidence_id}",
            get(evidence_download),
        )
        .ui(Access::User, Method::GET, "/reviews", get(reviews))
        .ui(
            Access::User,
            Method::GET,
            "/reviews/{submission_id}",
            get(review_show),
        )
        .ui(
            Access::User,
            Method::POST,
            "/reviews/{submission_id}/comments",
            post(review_comment),
        )
        .ui(
            Access::User,
            Method::POST,
            "/reviews/{submission_id}/decision",
            post(review_decide),
        )
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

// --- devices -------------------------------------------------------------

struct DeviceLine {
    id: String,
    title: String,
    grade: u8,
    purposes: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesTpl<'a> {
    page: &'a Page,
    devices: Vec<DeviceLine>,
    errors: Errors,
    profile: String,
}

fn purposes(page: &Page, p: &medsec_assure::Profile) -> String {
    p.device
        .purposes
        .iter()
        .map(|p| page.t(&format!("purpose-{}", p.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn devices_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    errors: Errors,
    profile: String,
) -> Result<Response> {
    let by = svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "devices-title", "devices").await?;
    let devices = svc::devices(state, &by.org_id)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.row.id.clone(),
            title: d.profile.title(),
            grade: d.profile.device.grade,
            purposes: purposes(&page, &d.profile),
            updated: page.time(medsec_core::Timestamp(d.row.updated_at)),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &DevicesTpl {
            page: &page,
            devices,
            errors,
            profile,
        },
    ))
}

async fn devices(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    devices_page(&state, &parts, &actor, Errors::none(), String::new()).await
}

#[derive(serde::Deserialize)]
struct ProfileForm {
    profile: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    revision: i64,
}

fn format_of(s: &str) -> Format {
    if s == "json" {
        Format::Json
    } else {
        Format::Toml
    }
}

async fn device_import(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    match svc::device_import(&state, &by, &form.profile, format_of(&form.format)).await {
        Ok(d) => Ok(see_other(&format!("/devices/{}", d.row.id))),
        Err(e) => {
            let lang = crate::extract::request_lang(&parts);
            let errors = Errors::of(lang, e)?;
            devices_page(&state, &parts, &actor, errors, form.profile).await
        }
    }
}

struct DecisionView {
    reference: String,
    anchor: String,
    item: String,
    title: String,
    applies: bool,
    reason: String,
    justification: String,
}

struct CatalogDecisions {
    id: String,
    title: String,
    applies: usize,
    rows: Vec<DecisionView>,
}

struct ChecklistLine {
    id: String,
    catalog: String,
    edition: String,
    status: String,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DeviceTpl<'a> {
    page: &'a Page,
    id: String,
    title: String,
    revision: i64,
    header: Vec<(String, String)>,
    facts: Vec<(String, bool)>,
    tables: Vec<CatalogDecisions>,
    checklists: Vec<ChecklistLine>,
    editions: Vec<(String, String)>,
    profile_toml: String,
    errors: Errors,
    can_write: bool,
}

async fn device_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    errors: Errors,
) -> Result<Response> {
    let by = svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "device-title", "devices").await?;
    let d = svc::device(state, &by.org_id, id).await?;
    let table = svc::applicability(&d)?;
    let catalogs = super::catalog::all()?;
    let en = page.lang == crate::i18n::Lang::En;
    let tables = table
        .catalogs
        .iter()
        .filter_map(|(cid, decisions)| {
            let c = catalogs.get(cid)?;
            Some(CatalogDecisions {
                id: cid.clone(),
                title: if en {
                    c.catalog.title_en.clone()
                } else {
                    c.catalog.title_ko.clone()
                },
                applies: decisions.iter().filter(|d| d.applies).count(),
                rows: decisions
                    .iter()
                    .map(|d| {
                        let item = d
                            .reference
                            .split_once(':')
                            .map_or("", |(_, i)| i)
                            .to_owned();
                        let title = c
                            .item(&item)
                            .map(|i| {
                                if en {
                                    i.title_en.clone()
                                } else {
                                    i.title_ko.clone()
                                }
                            })
                            .unwrap_or_default();
                        DecisionView {
                            reference: d.reference.clone(),
                            anchor: d.reference.replace(':', "-"),
                            item,
                            title,
                            applies: d.applies,
                            reason: if en {
                                d.reason_en.clone()
                            } else {
                                d.reason_ko.clone()
                            },
                            justification: d
                                .overridden
                                .as_ref()
                                .map(|o| format!("{} ({}, {})", o.justification, o.by, o.at))
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
            })
        })
        .collect();
    let facts = table
        .facts
        .iter()
        .filter_map(|(name, v)| {
            let def = medsec_assure::facts::def(name)?;
            Some(((if en { def.en } else { def.ko }).to_owned(), *v))
        })
        .collect();
    let p = &d.profile;
    let header = vec![
        (page.t("device-product"), p.device.product.clone()),
        (page.t("device-model"), p.device.model.clone()),
        (page.t("device-version"), p.device.software_version.clone()),
        (page.t("device-grade"), format!("{}", p.device.grade)),
        (
            page.t("device-security-level"),
            p.device.security_level.ko().to_owned(),
        ),
        (page.t("device-communication"), p.communication()),
        (page.t("device-purposes"), purposes(&page, p)),
        (
            page.t("device-public-network"),
            page.t(if p.device.public_network { "yes" } else { "no" }),
        ),
    ];
    let checklists = state
        .store
        .list_checklists(&by.org_id, Some(id))
        .await?
        .into_iter()
        .map(|c| ChecklistLine {
            status: page.t(&format!("checklist-status-{}", c.status)),
            id: c.id,
            catalog: c.catalog,
            edition: c.edition,
        })
        .collect();
    let editions = medsec_assure::rules::CHECKLISTS
        .iter()
        .filter_map(|id| catalogs.get(id))
        .map(|c| {
            (
                c.catalog.id.clone(),
                format!("{} ({})", c.catalog.id, c.catalog.edition),
            )
        })
        .collect();
    let profile_toml = toml::to_string(p).unwrap_or_default();
    let status = form_status(&errors);
    let tpl = DeviceTpl {
        page: &page,
        id: d.row.id.clone(),
        title: p.title(),
        revision: d.row.revision,
        header,
        facts,
        tables,
        checklists,
        editions,
        profile_toml,
        errors,
        can_write: actor.has(Permission::Write),
    };
    Ok(render(status, &page, &tpl))
}

async fn device_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    device_page(&state, &parts, &actor, &id, Errors::none()).await
}

async fn device_update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    match svc::device_update(
        &state,
        &by,
        &id,
        form.revision,
        &form.profile,
        format_of(&form.format),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/devices/{id}"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            device_page(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct OverrideForm {
    reference: String,
    /// `applies`, `not-applies` or `rule`.
    decision: String,
    #[serde(default)]
    justification: String,
    revision: i64,
}

async fn device_override(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<OverrideForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let applies = match form.decision.as_str() {
        "applies" => Some(true),
        "not-applies" => Some(false),
        "rule" => None,
        _ => {
            return Err(Error::Invalid(vec![
                medsec_core::validate::FieldError::new("decision", "invalid_choice"),
            ]));
        }
    };
    match svc::set_override(
        &state,
        &by,
        &id,
        form.revision,
        &form.reference,
        applies,
        &form.justification,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/devices/{id}#{}",
            form.reference.replace(':', "-")
        ))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            device_page(&state, &parts, &actor, &id, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct NewChecklistForm {
    catalog: String,
}

async fn checklist_create(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<NewChecklistForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let row = svc::checklist_create(&state, &by, &id, Some(&form.catalog)).await?;
    Ok(see_other(&format!("/checklists/{}", row.id)))
}

// --- checklist -----------------------------------------------------------

struct RowView {
    id: String,
    title: String,
    applies: bool,
    reason: String,
    methods: Vec<String>,
    standards: Vec<String>,
    attachments: Vec<(String, Option<EvidenceRef>)>,
    criterion: String,
    steps: Vec<String>,
    last_test: String,
    gaps: Vec<String>,
    traces: Vec<String>,
}

fn row_view(page: &Page, r: &Row, gaps: &[medsec_assure::Gap]) -> RowView {
    let en = page.lang == crate::i18n::Lang::En;
    RowView {
        id: r.id.clone(),
        title: if en {
            r.title_en.clone()
        } else {
            r.title_ko.clone()
        },
        applies: r.applies,
        reason: match (&r.justification, en) {
            (Some(j), _) => format!("{}: {j}", page.t("device-override-by-user")),
            (None, true) => r.reason_en.clone(),
            (None, false) => r.reason_ko.clone(),
        },
        methods: r.content.methods.clone(),
        standards: r.content.standards.clone(),
        attachments: r
            .content
            .attachments
            .iter()
            .map(|a| (a.document.clone(), a.evidence.clone()))
            .collect(),
        criterion: r.content.test_criterion.clone().unwrap_or_default(),
        steps: r.content.test_method.clone(),
        last_test: r
            .content
            .tests
            .last()
            .map(|t| {
                format!(
                    "{} · {} · {}",
                    t.on,
                    t.by,
                    page.t(&format!("test-result-{}", t.result.as_str()))
                )
            })
            .unwrap_or_default(),
        gaps: gaps
            .iter()
            .filter(|g| g.item == r.id)
            .map(|g| if en { g.kind.en() } else { g.kind.ko() }.to_owned())
            .collect(),
        traces: r.traces.clone(),
    }
}

struct RoundView {
    id: String,
    round: i64,
    status: String,
    submitted: String,
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistTpl<'a> {
    page: &'a Page,
    id: String,
    device_id: String,
    device_title: String,
    catalog: String,
    edition: String,
    catalog_title: String,
    status: String,
    editable: bool,
    header: Vec<(String, String)>,
    rows: Vec<RowView>,
    applicable: usize,
    gap_count: usize,
    regulators: Vec<(String, String)>,
    rounds: Vec<RoundView>,
    notice_import: String,
    /// Other editions this checklist can be carried to.
    carry_to: Vec<String>,
    /// After a carry: the new edition's items no old item reached.
    carried_gaps: Vec<String>,
}

fn header_lines(page: &Page, h: &medsec_assure::checklist::Header) -> Vec<(String, String)> {
    let check = |b: bool| if b { "■" } else { "□" };
    let level = [
        ("상", medsec_assure::profile::SecurityLevel::High),
        ("중", medsec_assure::profile::SecurityLevel::Medium),
        ("하", medsec_assure::profile::SecurityLevel::Low),
    ]
    .iter()
    .map(|(k, l)| format!("{}{k}", check(*l == h.security_level)))
    .collect::<Vec<_>>()
    .join(" ");
    let purposes = medsec_assure::profile::Purpose::ALL
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                check(h.purposes.contains(p)),
                page.t(&format!("purpose-{}", p.as_str()))
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    vec![
        (page.t("checklist-h-level"), level),
        (page.t("checklist-h-communication"), h.communication.clone()),
        (page.t("checklist-h-purposes"), purposes),
        (
            page.t("checklist-h-public"),
            page.t(if h.public_network { "yes" } else { "no" }),
        ),
    ]
}

async fn checklist_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    notice_import: String,
) -> Result<Response> {
    let by = svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "checklist-title", "devices").await?;
    let v = svc::checklist(state, &by.org_id, id).await?;
    let rows: Vec<RowView> = v
        .checklist
        .rows
        .iter()
        .map(|r| row_view(&page, r, &v.gaps))
        .collect();
    let regulators = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Regulator && o.enabled)
        .map(|o| (o.id, o.name))
        .collect();
    let rounds = state
        .store
        .checklist_rounds(&by.org_id, id)
        .await?
        .into_iter()
        .map(|s| RoundView {
            status: page.t(&format!("review-status-{}", s.status)),
            submitted: page.time(medsec_core::Timestamp(s.submitted_at)),
            id: s.id,
            round: s.round,
        })
        .collect();
    let en = page.lang == crate::i18n::Lang::En;
    let existing: Vec<String> = state
        .store
        .list_checklists(&by.org_id, Some(&v.row.device_id))
        .await?
        .into_iter()
        .map(|c| c.catalog)
        .collect();
    let carry_to = if v.row.catalog == "mfds-2019" && !existing.iter().any(|c| c == "mfds-2024") {
        vec!["mfds-2024".to_owned()]
    } else {
        Vec::new()
    };
    let carried_gaps = if parts.uri.query().is_some_and(|q| q.starts_with("carried=")) {
        super::catalog::all()?
            .carry_over("mfds-2019", &v.row.catalog)
            .map(|c| c.gaps)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let tpl = ChecklistTpl {
        carry_to,
        carried_gaps,
        page: &page,
        id: v.row.id.clone(),
        device_id: v.device.row.id.clone(),
        device_title: v.device.profile.title(),
        catalog: v.row.catalog.clone(),
        edition: v.row.edition.clone(),
        catalog_title: if en {
            v.checklist.catalog_title_en.clone()
        } else {
            v.checklist.catalog_title_ko.clone()
        },
        status: page.t(&format!("checklist-status-{}", v.row.status)),
        editable: v.row.status != "submitted" && actor.has(Permission::Write),
        header: header_lines(&page, &v.checklist.header),
        applicable: rows.iter().filter(|r| r.applies).count(),
        gap_count: v.gaps.len(),
        rows,
        regulators,
        rounds,
        notice_import,
    };
    Ok(ok(&page, &tpl))
}

async fn checklist_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    checklist_page(&state, &parts, &actor, &id, String::new()).await
}

struct HistoryLine {
    at: String,
    actor: String,
    field: String,
    new: String,
}

#[derive(Template)]
#[template(path = "checklist_item.html")]
struct ItemTpl<'a> {
    page: &'a Page,
    checklist_id: String,
    revision: i64,
    row: RowView,
    requirement: String,
    methods: String,
    standards: String,
    attachments: Vec<(String, String)>,
    criterion: String,
    steps: String,
    note: String,
    tests: Vec<TestRecord>,
    evidence: Vec<(String, String)>,
    history: Vec<HistoryLine>,
    editable: bool,
    today: String,
    errors: Errors,
}

async fn item_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    id: &str,
    item: &str,
    errors: Errors,
) -> Result<Response> {
    let by = svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "checklist-item-title", "devices").await?;
    let v = svc::checklist(state, &by.org_id, id).await?;
    let r = v
        .checklist
        .rows
        .iter()
        .find(|r| r.id == item)
        .ok_or(Error::NotFound)?;
    let c = &r.content;
    let evidence = state
        .store
        .list_evidence(&by.org_id)
        .await?
        .into_iter()
        .map(|e| {
            (
                e.id,
                format!(
                    "{} ({}…)",
                    e.filename,
                    e.sha256.chars().take(12).collect::<String>()
                ),
            )
        })
        .collect();
    let mut attachments: Vec<(String, String)> = c
        .attachments
        .iter()
        .map(|a| {
            (
                a.document.clone(),
                a.evidence
                    .as_ref()
                    .map(|e| e.id.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    attachments.push((String::new(), String::new()));
    attachments.push((String::new(), String::new()));
    let history = state
        .store
        .checklist_history(&by.org_id, id, Some(item), 100)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            at: page.time(medsec_core::Timestamp(h.at)),
            actor: h.actor,
            field: page.t(&format!("checklist-field-{}", h.field.replace('_', "-"))),
            new: h.new_value.chars().take(300).collect(),
        })
        .collect();
    let en = page.lang == crate::i18n::Lang::En;
    let tpl = ItemTpl {
        page: &page,
        checklist_id: id.to_owned(),
        revision: v.row.revision,
        requirement: (if en {
            r.requirement_en.clone()
        } else {
            r.requirement_ko.clone()
        })
        .unwrap_or_default(),
        methods: c.methods.join("\n"),
        standards: c.standards.join("\n"),
        attachments,
        criterion: c.test_criterion.clone().unwrap_or_default(),
        steps: c.test_method.join("\n"),
        note: c.note.clone().unwrap_or_default(),
        tests: c.tests.clone(),
        evidence,
        history,
        editable: v.row.status != "submitted" && actor.has(Permission::Write),
        today: state.now().rfc3339().chars().take(10).collect(),
        row: row_view(&page, r, &v.gaps),
        errors,
    };
    let status = form_status(&tpl.errors);
    Ok(render(status, &page, &tpl))
}

async fn item_edit(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefPair(id, item): RefPair,
) -> Result<Response> {
    item_page(&state, &parts, &actor, &id, &item, Errors::none()).await
}

#[derive(serde::Deserialize)]
struct ItemForm {
    revision: i64,
    #[serde(default)]
    methods: String,
    #[serde(default)]
    standards: String,
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    note: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

async fn evidence_ref(state: &AppState, org: &str, id: &str) -> Result<Option<EvidenceRef>> {
    if id.is_empty() {
        return Ok(None);
    }
    let e = state.store.get_evidence(org, id).await?.ok_or_else(|| {
        Error::Invalid(vec![medsec_core::validate::FieldError::new(
            "evidence",
            "invalid_choice",
        )])
    })?;
    Ok(Some(EvidenceRef {
        id: e.0.id,
        sha256: e.0.sha256,
        filename: e.0.filename,
    }))
}

async fn item_save(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefPair(id, item): RefPair,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let v = svc::checklist(&state, &by.org_id, &id).await?;
    let old = v.workspace.items.get(&item).ok_or(Error::NotFound)?.clone();
    let mut attachments = Vec::new();
    for n in 0..50 {
        let Some(doc) = form.rest.get(&format!("doc{n}")) else {
            break;
        };
        let ev = form
            .rest
            .get(&format!("ev{n}"))
            .map(String::as_str)
            .unwrap_or("");
        if doc.trim().is_empty() && ev.is_empty() {
            continue;
        }
        let evidence = evidence_ref(&state, &by.org_id, ev).await?;
        // An attachment given only as a file is numbered by its file name.
        let document = match (doc.trim(), &evidence) {
            ("", Some(e)) => e.filename.clone(),
            (doc, _) => doc.to_owned(),
        };
        attachments.push(Attachment { document, evidence });
    }
    let criterion = form.criterion.trim();
    let note = form.note.trim();
    let content = Content {
        methods: lines(&form.methods),
        standards: lines(&form.standards),
        attachments,
        test_criterion: (!criterion.is_empty()).then(|| criterion.to_owned()),
        test_method: lines(&form.steps),
        tests: old.tests,
        note: (!note.is_empty()).then(|| note.to_owned()),
    };
    match svc::item_update(&state, &by, &id, form.revision, &item, content).await {
        // Back to the item: the next step is usually its test record.
        Ok(_) => Ok(see_other(&format!("/checklists/{id}/items/{item}"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            item_page(&state, &parts, &actor, &id, &item, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
struct TestForm {
    revision: i64,
    tester: String,
    on: String,
    result: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    evidence: String,
}

async fn test_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefPair(id, item): RefPair,
    CsrfForm(form): CsrfForm<TestForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let v = svc::checklist(&state, &by.org_id, &id).await?;
    let mut content = v.workspace.items.get(&item).ok_or(Error::NotFound)?.clone();
    let result = TestResult::parse(&form.result).ok_or_else(|| {
        Error::Invalid(vec![medsec_core::validate::FieldError::new(
            "result",
            "invalid_choice",
        )])
    })?;
    if form.tester.trim().is_empty() {
        return Err(Error::Invalid(vec![
            medsec_core::validate::FieldError::new("tester", "required"),
        ]));
    }
    content.tests.push(TestRecord {
        by: form.tester.trim().to_owned(),
        on: form.on.trim().to_owned(),
        result,
        note: form.note.trim().to_owned(),
        evidence: evidence_ref(&state, &by.org_id, &form.evidence).await?,
    });
    match svc::item_update(&state, &by, &id, form.revision, &item, content).await {
        Ok(_) => Ok(see_other(&format!("/checklists/{id}/items/{item}"))),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            item_page(&state, &parts, &actor, &id, &item, errors).await
        }
    }
}

async fn export(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefPair(id, fmt): RefPair,
) -> Result<Response> {
    let format = ExportFormat::parse(&fmt).ok_or(Error::NotFound)?;
    let by = svc::as_maker(&state, &actor, false).await?;
    let view = svc::checklist(&state, &by.org_id, &id).await?;
    let lang = crate::extract::request_lang(&parts);
    let file = svc::export(&state, &by, &view, format, lang).await?;
    Ok(svc::attachment(
        file.bytes,
        file.content_type,
        &file.filename,
    ))
}

async fn import(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (name, bytes) = (upload.filename, upload.bytes);
    let lang = crate::extract::request_lang(&parts);
    let message = match svc::import(&state, &by, &id, &name, &bytes).await {
        Ok(n) => lang.ta("checklist-imported", &[("count", &n.to_string())]),
        Err(Error::Invalid(errors)) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, lang.field_error(e)))
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => return Err(e),
    };
    checklist_page(&state, &parts, &actor, &id, message).await
}

#[derive(serde::Deserialize)]
struct SubmitForm {
    reviewer: String,
}

async fn submit(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<SubmitForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let s = svc::submit(&state, &by, &id, &form.reviewer).await?;
    Ok(see_other(&format!("/reviews/{}", s.id)))
}

async fn carry(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<NewChecklistForm>,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (row, gaps) = svc::checklist_carry(&state, &by, &id, &form.catalog).await?;
    Ok(see_other(&format!(
        "/checklists/{}?carried={}",
        row.id,
        gaps.len()
    )))
}

// --- evidence ------------------------------------------------------------

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidenceTpl<'a> {
    page: &'a Page,
    files: Vec<EvidenceRow>,
    limit_mib: usize,
    notice_upload: String,
}

async fn evidence_page(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    notice_upload: String,
) -> Result<Response> {
    let by = svc::as_maker(state, actor, false).await?;
    let page = page(state, parts, actor, "evidence-title", "evidence").await?;
    let files = state.store.list_evidence(&by.org_id).await?;
    Ok(ok(
        &page,
        &EvidenceTpl {
            page: &page,
            files,
            limit_mib: svc::EVIDENCE_LIMIT / (1024 * 1024),
            notice_upload,
        },
    ))
}

async fn evidence(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    evidence_page(&state, &parts, &actor, String::new()).await
}

async fn evidence_upload(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    upload: CsrfUpload,
) -> Result<Response> {
    let by = svc::as_maker(&state, &actor, true).await?;
    let (name, bytes) = (upload.filename, upload.bytes);
    let (row, created) = svc::evidence_upload(&state, &by, &name, bytes).await?;
    let lang = crate::extract::request_lang(&parts);
    let msg = lang.ta(
        if created {
            "evidence-uploaded"
        } else {
            "evidence-duplicate"
        },
        &[("name", &row.filename), ("sha", &row.sha256)],
    );
    evidence_page(&state, &parts, &actor, msg).await
}

async fn evidence_download(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    actor.require(&state, Permission::Read).await?;
    let (row, bytes) = svc::evidence_download(&state, &By::of(&actor), &id).await?;
    Ok(svc::attachment(bytes, &row.content_type, &row.filename))
}

// --- reviews -------------------------------------------------------------

struct SubmissionLine {
    id: String,
    title: String,
    round: i64,
    status: String,
    submitted: String,
    from: String,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsTpl<'a> {
    page: &'a Page,
    subs: Vec<SubmissionLine>,
}

async fn reviews(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    let by = svc::as_party(&state, &actor, false).await?;
    let page = page(&state, &parts, &actor, "reviews-title", "reviews").await?;
    let orgs: BTreeMap<String, String> = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let subs = state
        .store
        .list_submissions(&by.org_id)
        .await?
        .into_iter()
        .map(|s| SubmissionLine {
            title: svc::snapshot(&s)
                .map(|c| {
                    format!(
                        "{} {} {} · {}",
                        c.header.product, c.header.model, c.header.software_version, c.catalog
                    )
                })
                .unwrap_or_default(),
            round: s.round,
            status: page.t(&format!("review-status-{}", s.status)),
            submitted: page.time(medsec_core::Timestamp(s.submitted_at)),
            from: orgs.get(&s.org_id).cloned().unwrap_or_default(),
            id: s.id,
        })
        .collect();
    Ok(ok(&page, &ReviewsTpl { page: &page, subs }))
}

struct ReviewRow {
    row: RowView,
    requirement: String,
    changed: Vec<String>,
    comments: Vec<CommentView>,
}

struct CommentView {
    author: String,
    org: String,
    verdict: String,
    verdict_code: String,
    body: String,
    at: String,
    round: i64,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewTpl<'a> {
    page: &'a Page,
    sub: SubmissionRow,
    status: String,
    title: String,
    header: Vec<(String, String)>,
    rows: Vec<ReviewRow>,
    general: Vec<CommentView>,
    is_reviewer: bool,
    open: bool,
    rounds: Vec<RoundView>,
    checklist_link: String,
}

async fn review_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
) -> Result<Response> {
    let by = svc::as_party(&state, &actor, false).await?;
    let page = page(&state, &parts, &actor, "review-title", "reviews").await?;
    let sub = state
        .store
        .get_submission(&by.org_id, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let snap = svc::snapshot(&sub)?;
    let rounds_rows = state
        .store
        .checklist_rounds(&by.org_id, &sub.checklist_id)
        .await?;
    let previous = rounds_rows
        .iter()
        .filter(|r| r.round < sub.round)
        .max_by_key(|r| r.round)
        .map(svc::snapshot)
        .transpose()?;
    let diff: BTreeMap<String, Vec<&'static str>> = previous
        .as_ref()
        .map(|p| svc::round_diff(p, &snap))
        .unwrap_or_default()
        .into_iter()
        .collect();
    let orgs: BTreeMap<String, String> = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let round_of: BTreeMap<String, i64> = rounds_rows
        .iter()
        .map(|r| (r.id.clone(), r.round))
        .collect();
    let thread = state
        .store
        .review_thread(&by.org_id, &sub.checklist_id)
        .await?;
    let view = |c: &CommentRow| CommentView {
        author: c.author.clone(),
        org: orgs.get(&c.org_id).cloned().unwrap_or_default(),
        verdict: c
            .verdict
            .as_ref()
            .map(|v| page.t(&format!("verdict-{v}")))
            .unwrap_or_default(),
        verdict_code: c.verdict.clone().unwrap_or_default(),
        body: c.body.clone(),
        at: page.time(medsec_core::Timestamp(c.at)),
        round: round_of.get(&c.submission_id).copied().unwrap_or(0),
    };
    let en = page.lang == crate::i18n::Lang::En;
    let rows = snap
        .rows
        .iter()
        .map(|r| ReviewRow {
            row: row_view(&page, r, &[]),
            requirement: (if en {
                r.requirement_en.clone()
            } else {
                r.requirement_ko.clone()
            })
            .unwrap_or_default(),
            changed: diff
                .get(&r.id)
                .map(|f| {
                    f.iter()
                        .map(|f| page.t(&format!("checklist-field-{}", f.replace('_', "-"))))
                        .collect()
                })
                .unwrap_or_default(),
            comments: thread.iter().filter(|c| c.item == r.id).map(view).collect(),
        })
        .collect();
    let general = thread
        .iter()
        .filter(|c| c.item.is_empty())
        .map(view)
        .collect();
    let rounds = rounds_rows
        .iter()
        .map(|s| RoundView {
            id: s.id.clone(),
            round: s.round,
            status: page.t(&format!("review-status-{}", s.status)),
            submitted: page.time(medsec_core::Timestamp(s.submitted_at)),
        })
        .collect();
    let tpl = ReviewTpl {
        page: &page,
        status: page.t(&format!("review-status-{}", sub.status)),
        title: format!(
            "{} {} {} · {} ({})",
            snap.header.product,
            snap.header.model,
            snap.header.software_version,
            snap.catalog,
            snap.edition
        ),
        header: header_lines(&page, &snap.header),
        rows,
        general,
        is_reviewer: actor.org.id == sub.reviewer_org_id,
        open: sub.status == "submitted",
        rounds,
        checklist_link: if actor.org.id == sub.org_id {
            format!("/checklists/{}", sub.checklist_id)
        } else {
            String::new()
        },
        sub,
    };
    Ok(ok(&page, &tpl))
}

#[derive(serde::Deserialize)]
struct CommentForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    body: String,
}

async fn review_comment(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> Result<Response> {
    let by = svc::as_party(&state, &actor, true).await?;
    if !form.item.is_empty() && !is_ref_id(&form.item) {
        return Err(Error::Invalid(vec![
            medsec_core::validate::FieldError::new("item", "invalid_choice"),
        ]));
    }
    let verdict = (!form.verdict.is_empty()).then_some(form.verdict.as_str());
    svc::comment(&state, &by, &id, &form.item, verdict, &form.body).await?;
    let anchor = if form.item.is_empty() {
        String::new()
    } else {
        format!("#item-{}", form.item)
    };
    Ok(see_other(&format!("/reviews/{id}{anchor}")))
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn review_decide(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response> {
    let by = svc::as_party(&state, &actor, true).await?;
    svc::decide(&state, &by, &id, &form.decision).await?;
    Ok(see_other(&format!("/reviews/{id}")))
}
