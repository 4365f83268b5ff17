//! Premarket assurance as users do it, for the UI, the API and the CLI:
//! devices from profiles, applicability with audited overrides,
//! checklists with their history, evidence files, exports, and the review
//! of a submitted checklist by a regulator.

use std::collections::BTreeMap;

use medsec_assure::checklist::{self, Checklist, Content, Workspace};
use medsec_assure::profile::{Format, Profile};
use medsec_assure::{Override, Table};
use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::AuditEntry;
use medsec_store::assure::{
    ChecklistEdit, ChecklistRow, DeviceRow, EvidenceRow, NewDevice, NewEvidence, SubmissionRow,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::state::AppState;

/// Who acts: an organisation and a user (or the command line).
#[derive(Clone, Debug)]
pub struct By {
    pub org_id: String,
    pub org_kind: OrgKind,
    pub user_id: Option<String>,
    pub name: String,
    pub source: String,
}

impl By {
    pub fn of(actor: &crate::auth::Actor) -> By {
        By {
            org_id: actor.org.id.clone(),
            org_kind: actor.org.kind,
            user_id: Some(actor.user.id.clone()),
            name: actor.user.username.clone(),
            source: actor.ip.clone(),
        }
    }

    pub(crate) fn audit(&self, at: Timestamp, action: Action) -> AuditEntry {
        AuditEntry {
            at,
            org_id: Some(self.org_id.clone()),
            actor_id: self.user_id.clone(),
            actor: self.name.clone(),
            source: self.source.clone(),
            action,
            outcome: medsec_core::audit::Outcome::Success,
            target_kind: "",
            target_id: None,
            details: serde_json::json!({}),
        }
    }

    pub(crate) fn manufacturer(&self) -> Result<()> {
        if self.org_kind == OrgKind::Manufacturer {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

fn permission(write: bool) -> medsec_core::Permission {
    if write {
        medsec_core::Permission::Write
    } else {
        medsec_core::Permission::Read
    }
}

/// The caller, if they may read (or, with `write`, change) premarket
/// records: a manufacturer's user with the permission.
pub async fn as_maker(state: &AppState, actor: &crate::auth::Actor, write: bool) -> Result<By> {
    actor.require(state, permission(write)).await?;
    if actor.org.kind != OrgKind::Manufacturer {
        return Err(Error::Forbidden);
    }
    Ok(By::of(actor))
}

/// The caller, if they take part in reviews: a manufacturer's or a
/// regulator's user with the permission.
pub async fn as_party(state: &AppState, actor: &crate::auth::Actor, write: bool) -> Result<By> {
    actor.require(state, permission(write)).await?;
    if !matches!(actor.org.kind, OrgKind::Manufacturer | OrgKind::Regulator) {
        return Err(Error::Forbidden);
    }
    Ok(By::of(actor))
}

/// A file as a download that is never rendered: `attachment`, `nosniff`
/// and a sandboxing CSP, the name kept in UTF-8 and as an ASCII fallback.
pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    res
}

/// Fails unless every evidence file `ws` links belongs to the caller's
/// organisation; `field` names the input at fault.
async fn check_evidence_owned(
    state: &AppState,
    by: &By,
    ws: &Workspace,
    field: &str,
) -> Result<()> {
    let mine: std::collections::BTreeSet<String> = state
        .store
        .list_evidence(&by.org_id)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    for c in ws.items.values() {
        let refs = c
            .attachments
            .iter()
            .filter_map(|a| a.evidence.as_ref())
            .chain(c.tests.iter().filter_map(|t| t.evidence.as_ref()));
        for e in refs {
            if !mine.contains(&e.id) {
                return Err(format_error(
                    field,
                    format!("no evidence file `{}` in this organisation", e.id),
                ));
            }
        }
    }
    Ok(())
}

fn format_error(field: &str, detail: impl ToString) -> Error {
    Error::Invalid(vec![
        FieldError::new(field, "format").with("detail", detail),
    ])
}

fn catalogs() -> Result<&'static medsec_catalog::Catalogs> {
    medsec_catalog::catalogs().map_err(|e| Error::Internal(e.to_string()))
}

fn rules() -> Result<&'static medsec_assure::Rules> {
    medsec_assure::rules().map_err(|e| Error::Internal(e.to_string()))
}

/// A device with its parsed profile and overrides.
pub struct Device {
    pub row: DeviceRow,
    pub profile: Profile,
    pub overrides: BTreeMap<String, Override>,
}

fn decode_device(row: DeviceRow) -> Result<Device> {
    let profile = serde_json::from_str(&row.profile)
        .map_err(|e| Error::Internal(format!("stored profile of {}: {e}", row.id)))?;
    let overrides = serde_json::from_str(&row.overrides)
        .map_err(|e| Error::Internal(format!("stored overrides of {}: {e}", row.id)))?;
    Ok(Device {
        row,
        profile,
        overrides,
    })
}

fn new_device(profile: &Profile) -> Result<NewDevice> {
    Ok(NewDevice {
        product: profile.device.product.clone(),
        model: profile.device.model.clone(),
        software_version: profile.device.software_version.clone(),
        profile: serde_json::to_string(profile).map_err(|e| Error::Internal(e.to_string()))?,
    })
}

/// Parses a profile file; errors name the line or field.
pub fn parse_profile(text: &str, format: Format) -> Result<Profile> {
    Profile::parse(text, format).map_err(|e| format_error("profile", e))
}

/// Registers a device version from its profile (TOML or JSON).
pub async fn device_import(
    state: &AppState,
    by: &By,
    text: &str,
    format: Format,
) -> Result<Device> {
    by.manufacturer()?;
    let profile = parse_profile(text, format)?;
    let row = state
        .store
        .create_device(
            &by.org_id,
            &new_device(&profile)?,
            state.now(),
            by.audit(state.now(), Action::DeviceCreated),
        )
        .await?;
    decode_device(row)
}

pub async fn devices(state: &AppState, org_id: &str) -> Result<Vec<Device>> {
    state
        .store
        .list_devices(org_id)
        .await?
        .into_iter()
        .map(decode_device)
        .collect()
}

pub async fn device(state: &AppState, org_id: &str, id: &str) -> Result<Device> {
    let row = state
        .store
        .get_device(org_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    decode_device(row)
}

/// Replaces a device's profile; `revision` is the one the user edited.
pub async fn device_update(
    state: &AppState,
    by: &By,
    id: &str,
    revision: i64,
    text: &str,
    format: Format,
) -> Result<Device> {
    by.manufacturer()?;
    let profile = parse_profile(text, format)?;
    let current = device(state, &by.org_id, id).await?;
    let overrides = current.row.overrides.clone();
    let now = state.now();
    let row = state
        .store
        .update_device(
            &by.org_id,
            id,
            revision,
            &new_device(&profile)?,
            &overrides,
            now,
            by.audit(now, Action::DeviceUpdated),
        )
        .await?;
    decode_device(row)
}

/// Overrides (or, with `applies: None`, resets) the rule's decision for
/// one item, with a justification; audited.
pub async fn set_override(
    state: &AppState,
    by: &By,
    id: &str,
    revision: i64,
    reference: &str,
    applies: Option<bool>,
    justification: &str,
) -> Result<Device> {
    by.manufacturer()?;
    let catalogs = catalogs()?;
    let Some((catalog, _)) = catalogs.resolve(reference) else {
        return Err(Error::Invalid(vec![FieldError::new(
            "reference",
            "invalid_choice",
        )]));
    };
    if !medsec_assure::rules::DECIDED.contains(&catalog.catalog.id.as_str()) {
        return Err(Error::Invalid(vec![FieldError::new(
            "reference",
            "invalid_choice",
        )]));
    }
    let justification = justification.trim();
    if applies.is_some() {
        let n = justification.chars().count();
        if n < 5 {
            return Err(Error::Invalid(vec![
                FieldError::new("justification", "too_short").with("min", 5),
            ]));
        }
        if n > 2000 {
            return Err(Error::Invalid(vec![
                FieldError::new("justification", "too_long").with("max", 2000),
            ]));
        }
    }
    let mut d = device(state, &by.org_id, id).await?;
    let now = state.now();
    let before = d.overrides.get(reference).map(|o| o.applies);
    match applies {
        Some(applies) => {
            d.overrides.insert(
                reference.to_owned(),
                Override {
                    applies,
                    justification: justification.to_owned(),
                    by: by.name.clone(),
                    at: now.rfc3339(),
                },
            );
        }
        None => {
            d.overrides.remove(reference);
        }
    }
    let overrides =
        serde_json::to_string(&d.overrides).map_err(|e| Error::Internal(e.to_string()))?;
    let audit = by
        .audit(now, Action::ApplicabilityOverridden)
        .details(serde_json::json!({"item": reference, "before": before, "applies": applies, "justification": justification}));
    let row = state
        .store
        .update_device(
            &by.org_id,
            id,
            revision,
            &new_device(&d.profile)?,
            &overrides,
            now,
            audit,
        )
        .await?;
    decode_device(row)
}

/// The applicability of every MFDS and KISA item for a device.
pub fn applicability(d: &Device) -> Result<Table> {
    Ok(medsec_assure::applicability(
        catalogs()?,
        rules()?,
        &d.profile,
        &d.overrides,
    ))
}

/// A checklist with its device, merged and checked.
pub struct ChecklistView {
    pub row: ChecklistRow,
    pub device: Device,
    pub workspace: Workspace,
    pub checklist: Checklist,
    pub gaps: Vec<medsec_assure::Gap>,
}

/// Starts a checklist for a device on an MFDS edition (the current one
/// unless named), prefilled from the catalogue.
pub async fn checklist_create(
    state: &AppState,
    by: &By,
    device_id: &str,
    catalog: Option<&str>,
) -> Result<ChecklistRow> {
    by.manufacturer()?;
    let catalogs = catalogs()?;
    let catalog = match catalog {
        Some(c) => c.to_owned(),
        None => catalogs
            .default_edition()
            .map(|c| c.catalog.id.clone())
            .ok_or_else(|| Error::Internal("no default edition".into()))?,
    };
    let d = device(state, &by.org_id, device_id).await?;
    let ws = Workspace::prefill(catalogs, &catalog, &d.profile)
        .map_err(|e| format_error("catalog", e))?;
    let json = serde_json::to_string(&ws).map_err(|e| Error::Internal(e.to_string()))?;
    let now = state.now();
    Ok(state
        .store
        .create_checklist(
            &by.org_id,
            device_id,
            &catalog,
            &ws.edition,
            &json,
            now,
            by.audit(now, Action::ChecklistCreated),
        )
        .await?)
}

/// Carries a checklist to another edition (a 2019 checklist to 2024) as
/// a new checklist of the same device; returns it with the items of the
/// new edition no old item reaches.
pub async fn checklist_carry(
    state: &AppState,
    by: &By,
    id: &str,
    to: &str,
) -> Result<(ChecklistRow, Vec<String>)> {
    by.manufacturer()?;
    let old = checklist(state, &by.org_id, id).await?;
    if old.row.catalog == to {
        return Err(format_error(
            "catalog",
            format!("the checklist is already on {to}"),
        ));
    }
    let catalogs = catalogs()?;
    let carried = old
        .workspace
        .carry(catalogs, to, &old.device.profile)
        .map_err(|e| format_error("catalog", e))?;
    let json =
        serde_json::to_string(&carried.workspace).map_err(|e| Error::Internal(e.to_string()))?;
    let now = state.now();
    let audit = by.audit(now, Action::ChecklistCreated).details(
        serde_json::json!({"carried_from": id, "from": old.row.catalog, "gaps": carried.gaps}),
    );
    let row = state
        .store
        .create_checklist(
            &by.org_id,
            &old.row.device_id,
            to,
            &carried.workspace.edition,
            &json,
            now,
            audit,
        )
        .await?;
    Ok((row, carried.gaps))
}

fn view(row: ChecklistRow, device: Device) -> Result<ChecklistView> {
    let workspace: Workspace = serde_json::from_str(&row.workspace)
        .map_err(|e| Error::Internal(format!("stored workspace of {}: {e}", row.id)))?;
    let catalogs = catalogs()?;
    let catalog = catalogs.get(&row.catalog).ok_or_else(|| {
        Error::Internal(format!(
            "checklist {} is on unknown catalogue {}",
            row.id, row.catalog
        ))
    })?;
    let checklist = checklist::evaluate(
        catalogs,
        rules()?,
        catalog,
        &device.profile,
        &device.overrides,
        &workspace,
    );
    let gaps = checklist.gaps();
    Ok(ChecklistView {
        row,
        device,
        workspace,
        checklist,
        gaps,
    })
}

pub async fn checklist(state: &AppState, org_id: &str, id: &str) -> Result<ChecklistView> {
    let row = state
        .store
        .get_checklist(org_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let device = device(state, org_id, &row.device_id).await?;
    view(row, device)
}

/// The most recent checklist of a device (for `--device ID` exports).
pub async fn checklist_of_device(
    state: &AppState,
    org_id: &str,
    device_id: &str,
) -> Result<ChecklistView> {
    let rows = state.store.list_checklists(org_id, Some(device_id)).await?;
    let row = rows.into_iter().next_back().ok_or(Error::NotFound)?;
    let device = device(state, org_id, device_id).await?;
    view(row, device)
}

/// Limits on what one item may hold.
const MAX_TEXT: usize = 4000;
const MAX_LIST: usize = 200;

fn check_content(item: &str, c: &Content) -> Result<()> {
    let mut errors = Vec::new();
    let too_long = |field: &str, s: &str| {
        (s.chars().count() > MAX_TEXT)
            .then(|| FieldError::new(format!("{item}.{field}"), "too_long").with("max", MAX_TEXT))
    };
    let mut text = |field: &str, s: &str| errors.extend(too_long(field, s));
    for (field, list) in [
        ("methods", &c.methods),
        ("standards", &c.standards),
        ("test_method", &c.test_method),
    ] {
        for s in list {
            text(field, s);
        }
    }
    for a in &c.attachments {
        text("attachments", &a.document);
    }
    if let Some(t) = &c.test_criterion {
        text("test_criterion", t);
    }
    if let Some(t) = &c.note {
        text("note", t);
    }
    for t in &c.tests {
        text("tests", &t.note);
        text("tests", &t.by);
    }
    for t in &c.tests {
        if time::Date::parse(
            &t.on,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
        {
            errors.push(
                FieldError::new(format!("{item}.tests.on"), "format")
                    .with("detail", format!("`{}` is not a date YYYY-MM-DD", t.on)),
            );
        }
    }
    if c.methods.len()
        + c.standards.len()
        + c.test_method.len()
        + c.attachments.len()
        + c.tests.len()
        > MAX_LIST
    {
        errors.push(FieldError::new(item.to_owned(), "too_long").with("max", MAX_LIST));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Saves a whole new workspace (one item edited in the UI, or an import),
/// recording every changed field in the history.
async fn save_workspace(
    state: &AppState,
    by: &By,
    view: &ChecklistView,
    new: &Workspace,
    action: Action,
) -> Result<ChecklistRow> {
    for (id, content) in &new.items {
        if !view.workspace.items.contains_key(id) {
            return Err(format_error(
                "item",
                format!("`{id}` is not an item of {}", view.row.catalog),
            ));
        }
        check_content(id, content)?;
    }
    // Evidence must be this organisation's.
    check_evidence_owned(state, by, new, "evidence").await?;
    let changes = view.workspace.diff(new);
    if changes.is_empty() {
        return Ok(view.row.clone());
    }
    let edit = ChecklistEdit {
        workspace: serde_json::to_string(new).map_err(|e| Error::Internal(e.to_string()))?,
        changes: changes
            .iter()
            .map(|c| {
                (
                    c.item.clone(),
                    c.field.to_owned(),
                    c.old.to_string(),
                    c.new.to_string(),
                )
            })
            .collect(),
        actor_id: by.user_id.clone(),
        actor: by.name.clone(),
        device_overrides: None,
    };
    let now = state.now();
    Ok(state
        .store
        .update_checklist(
            &by.org_id,
            &view.row.id,
            view.row.revision,
            &edit,
            now,
            by.audit(now, action),
        )
        .await?)
}

/// Replaces one item's content, if the checklist is still at `revision`.
pub async fn item_update(
    state: &AppState,
    by: &By,
    id: &str,
    revision: i64,
    item: &str,
    content: Content,
) -> Result<ChecklistRow> {
    by.manufacturer()?;
    let view = checklist(state, &by.org_id, id).await?;
    if view.row.revision != revision {
        return Err(Error::Conflict {
            field: "revision".into(),
        });
    }
    if !view.workspace.items.contains_key(item) {
        return Err(Error::NotFound);
    }
    let mut ws = view.workspace.clone();
    ws.items.insert(item.to_owned(), content);
    save_workspace(state, by, &view, &ws, Action::ChecklistUpdated).await
}

/// Largest evidence file accepted.
pub const EVIDENCE_LIMIT: usize = 25 * 1024 * 1024;

/// The content type of a file by its first bytes, never by what the
/// client claims; unknown or active content is stored as a download.
pub fn sniff(bytes: &[u8]) -> &'static str {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        // HTML, SVG and scripts are text too: stored and served as plain
        // text, never rendered.
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// A file name safe to show and to put in a header: no path, no control
/// characters, at most 200 characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "evidence".into()
    } else {
        cleaned
    }
}

/// Keeps an uploaded evidence file (deduplicated by SHA-256).
pub async fn evidence_upload(
    state: &AppState,
    by: &By,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<(EvidenceRow, bool)> {
    by.manufacturer()?;
    if bytes.is_empty() {
        return Err(Error::Invalid(vec![FieldError::new("file", "required")]));
    }
    if bytes.len() > EVIDENCE_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let sha256 = medsec_core::credential::hex(&Sha256::digest(&bytes));
    let new = NewEvidence {
        sha256,
        filename: clean_filename(filename),
        content_type: sniff(&bytes).to_owned(),
        content: bytes,
        created_by: by.name.clone(),
    };
    let now = state.now();
    Ok(state
        .store
        .put_evidence(
            &by.org_id,
            &new,
            now,
            by.audit(now, Action::EvidenceUploaded),
        )
        .await?)
}

/// An evidence file for download, if the organisation owns it or it was
/// submitted to it; audited.
pub async fn evidence_download(
    state: &AppState,
    by: &By,
    id: &str,
) -> Result<(EvidenceRow, Vec<u8>)> {
    let found = state
        .store
        .get_evidence(&by.org_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let now = state.now();
    state
        .store
        .audit(
            by.audit(now, Action::EvidenceDownloaded)
                .target("evidence", id.to_owned())
                .details(serde_json::json!({"sha256": found.0.sha256})),
        )
        .await?;
    Ok(found)
}

/// Submits the checklist as it is to a regulator organisation, with the
/// device's submission package built from its stored documents.
pub async fn submit(
    state: &AppState,
    by: &By,
    id: &str,
    reviewer_org: &str,
) -> Result<SubmissionRow> {
    by.manufacturer()?;
    let view = checklist(state, &by.org_id, id).await?;
    let snapshot =
        serde_json::to_string(&view.checklist).map_err(|e| Error::Internal(e.to_string()))?;
    let mut evidence: Vec<String> = view
        .workspace
        .items
        .values()
        .flat_map(|c| {
            c.attachments
                .iter()
                .filter_map(|a| a.evidence.as_ref())
                .chain(c.tests.iter().filter_map(|t| t.evidence.as_ref()))
        })
        .map(|e| e.id.clone())
        .collect();
    evidence.sort();
    evidence.dedup();
    // The round goes with its submission package, built now and stored in
    // the same transaction (reviewer mode, `crate::review_package`).
    crate::review_package::submit(state, by, &view, reviewer_org, &snapshot, &evidence).await
}

/// A submitted round as the reviewer (or the manufacturer) reads it.
pub fn snapshot(row: &SubmissionRow) -> Result<Checklist> {
    serde_json::from_str(&row.snapshot)
        .map_err(|e| Error::Internal(format!("snapshot of {}: {e}", row.id)))
}

/// What changed between two rounds, item by item.
pub fn round_diff(old: &Checklist, new: &Checklist) -> Vec<(String, Vec<&'static str>)> {
    let mut out = Vec::new();
    for r in &new.rows {
        let Some(o) = old.rows.iter().find(|o| o.id == r.id) else {
            continue;
        };
        let mut fields = Vec::new();
        if o.applies != r.applies {
            fields.push("applies");
        }
        let a = Workspace {
            catalog: String::new(),
            edition: String::new(),
            items: [(r.id.clone(), o.content.clone())].into(),
        };
        let b = Workspace {
            catalog: String::new(),
            edition: String::new(),
            items: [(r.id.clone(), r.content.clone())].into(),
        };
        fields.extend(a.diff(&b).into_iter().map(|c| c.field));
        if !fields.is_empty() {
            out.push((r.id.clone(), fields));
        }
    }
    out
}

/// A finding (reviewer, with a verdict) or an answer (manufacturer).
pub async fn comment(
    state: &AppState,
    by: &By,
    submission: &str,
    item: &str,
    verdict: Option<&str>,
    body: &str,
) -> Result<()> {
    let body = body.trim();
    if body.is_empty() && verdict != Some("conforming") {
        return Err(Error::Invalid(vec![FieldError::new("body", "required")]));
    }
    if body.chars().count() > MAX_TEXT {
        return Err(Error::Invalid(vec![
            FieldError::new("body", "too_long").with("max", MAX_TEXT),
        ]));
    }
    let now = state.now();
    state
        .store
        .add_review_comment(
            &by.org_id,
            submission,
            item,
            verdict,
            body,
            (by.user_id.as_deref().unwrap_or(""), &by.name),
            now,
            by.audit(now, Action::ReviewCommented),
        )
        .await?;
    Ok(())
}

/// The reviewer closes a round.
pub async fn decide(
    state: &AppState,
    by: &By,
    submission: &str,
    decision: &str,
) -> Result<SubmissionRow> {
    if by.org_kind != OrgKind::Regulator {
        return Err(Error::Forbidden);
    }
    let now = state.now();
    Ok(state
        .store
        .decide_submission(
            &by.org_id,
            submission,
            decision,
            &by.name,
            now,
            by.audit(now, Action::ReviewDecided),
        )
        .await?)
}

/// The formats a checklist is exported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Pdf,
    Html,
    Json,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "xlsx" => Some(ExportFormat::Xlsx),
            "pdf" => Some(ExportFormat::Pdf),
            "html" => Some(ExportFormat::Html),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
            ExportFormat::Html => "html",
            ExportFormat::Json => "json",
        }
    }
}

/// An exported file.
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: String,
}

static FONTS: std::sync::OnceLock<std::result::Result<medsec_pdf::Fonts, String>> =
    std::sync::OnceLock::new();

/// The Korean fonts for PDFs, loaded once (`MEDSEC_PDF_FONT` names a font
/// file to use instead of the system's Noto CJK).
pub(crate) fn fonts() -> Result<medsec_pdf::Fonts> {
    FONTS
        .get_or_init(|| {
            let found = match std::env::var_os("MEDSEC_PDF_FONT") {
                Some(path) => medsec_pdf::Fonts::from_paths(&[path.into()]),
                None => medsec_pdf::Fonts::discover(),
            };
            found.map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| Error::Internal(format!("PDF fonts: {e}")))
}

/// Writes a checklist in `format`; audited.
pub async fn export(
    state: &AppState,
    by: &By,
    view: &ChecklistView,
    format: ExportFormat,
    lang: crate::i18n::Lang,
) -> Result<ExportFile> {
    let list = view.checklist.clone();
    let en = lang == crate::i18n::Lang::En;
    let (bytes, content_type) = match format {
        ExportFormat::Json => (
            serde_json::to_vec_pretty(&list).map_err(|e| Error::Internal(e.to_string()))?,
            "application/json",
        ),
        ExportFormat::Html => {
            let l = if en {
                medsec_export::Lang::En
            } else {
                medsec_export::Lang::Ko
            };
            (
                medsec_export::html::render(&list, l).into_bytes(),
                "text/html; charset=utf-8",
            )
        }
        ExportFormat::Xlsx => (
            tokio::task::spawn_blocking(move || medsec_export::xlsx::write(&list))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
                .map_err(|e| Error::Internal(format!("xlsx: {e}")))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ExportFormat::Pdf => {
            let fonts = fonts()?;
            let l = if en {
                medsec_pdf::Lang::En
            } else {
                medsec_pdf::Lang::Ko
            };
            (
                tokio::task::spawn_blocking(move || medsec_pdf::render(&list, l, &fonts))
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?
                    .map_err(|e| {
                        // Text the font cannot show is the user's to fix.
                        if e.is_input_error() {
                            format_error("pdf", e)
                        } else {
                            Error::Internal(format!("pdf: {e}"))
                        }
                    })?,
                "application/pdf",
            )
        }
    };
    let h = &view.checklist.header;
    let filename = format!(
        "{}-{}-{}-{}.{}",
        h.product,
        h.model,
        h.software_version,
        view.row.catalog,
        format.as_str()
    )
    .replace(['/', '\\', ' '], "_");
    let now = state.now();
    state
        .store
        .audit(
            by.audit(now, Action::ChecklistExported)
                .target("checklist", view.row.id.clone())
                .details(serde_json::json!({"format": format.as_str(), "bytes": bytes.len()})),
        )
        .await?;
    Ok(ExportFile {
        bytes,
        content_type,
        filename,
    })
}

/// Loads a checklist file (JSON, or XLSX filled in offline) into the
/// checklist, all or nothing; returns how many items changed.
pub async fn import(
    state: &AppState,
    by: &By,
    id: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<usize> {
    by.manufacturer()?;
    let view = checklist(state, &by.org_id, id).await?;
    let json = filename.to_ascii_lowercase().ends_with(".json") || bytes.first() == Some(&b'{');
    let imported: Checklist = if json {
        serde_json::from_slice(bytes).map_err(|e| format_error("file", e))?
    } else {
        let owned = bytes.to_vec();
        tokio::task::spawn_blocking(move || medsec_export::xlsx::read(&owned))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| format_error("file", e))?
    };
    let import = checklist::Import::from(&view.checklist, &view.workspace, &imported)
        .map_err(|e| format_error("file", e))?;
    for (item, content) in &import.workspace.items {
        check_content(item, content)?;
    }
    check_evidence_owned(state, by, &import.workspace, "file").await?;
    let changes = view.workspace.diff(&import.workspace);
    let now = state.now();
    let device_overrides = if import.overrides.is_empty() {
        None
    } else {
        let mut overrides = view.device.overrides.clone();
        for (item, applies, justification) in &import.overrides {
            overrides.insert(
                format!("{}:{item}", view.row.catalog),
                Override {
                    applies: *applies,
                    justification: justification.clone(),
                    by: by.name.clone(),
                    at: now.rfc3339(),
                },
            );
        }
        Some((
            view.device.row.revision,
            serde_json::to_string(&overrides).map_err(|e| Error::Internal(e.to_string()))?,
        ))
    };
    if changes.is_empty() && device_overrides.is_none() {
        return Ok(0);
    }
    let mut items: Vec<&str> = changes
        .iter()
        .map(|c| c.item.as_str())
        .chain(import.overrides.iter().map(|o| o.0.as_str()))
        .collect();
    items.sort();
    items.dedup();
    let count = items.len();
    let edit = ChecklistEdit {
        workspace: serde_json::to_string(&import.workspace)
            .map_err(|e| Error::Internal(e.to_string()))?,
        changes: changes
            .iter()
            .map(|c| {
                (
                    c.item.clone(),
                    c.field.to_owned(),
                    c.old.to_string(),
                    c.new.to_string(),
                )
            })
            .collect(),
        actor_id: by.user_id.clone(),
        actor: by.name.clone(),
        device_overrides,
    };
    let audit = by.audit(now, Action::ChecklistImported).details(serde_json::json!({
        "file": filename, "items": items, "overrides": import.overrides.iter().map(|(i, a, j)| serde_json::json!({"item": i, "applies": a, "justification": j})).collect::<Vec<_>>(),
    }));
    state
        .store
        .update_checklist(&by.org_id, id, view.row.revision, &edit, now, audit)
        .await?;
    Ok(count)
}
