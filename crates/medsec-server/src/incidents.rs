//! Incidents as users handle them, for the UI, the API and the CLI:
//! opening (by the ISAC, from alerts or not; by a hospital, 신고), the
//! response team, timeline notes, affected members and medical devices,
//! linked alerts, tasks, evidence, status through the ISO/IEC 27035
//! phases, sharing between a hospital and the ISAC, and the PDF report.
//!
//! Who may do what:
//! - The owner organisation (the one that opened it) manages the incident:
//!   its fields and status, members and sharing (ISAC incidents), reporting
//!   to the ISAC (hospital incidents), the team, linked alerts, issued
//!   reports.
//! - An organisation it is shared with (an affected member, or the ISAC
//!   for a reported hospital incident) reads everything and takes part:
//!   notes, evidence, tasks, its own devices, ticking its tasks.
//! - Anyone else gets the same 404 as for an incident that does not exist.
//!
//! Every change is audited and written to the timeline in its transaction
//! (`medsec_store::incidents`).

use std::collections::HashMap;

use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::Store;
use medsec_store::incidents::{
    CATEGORIES, IncidentChanges, IncidentDetail, IncidentEvidenceRow, IncidentFilter,
    IncidentReportRow, IncidentRow, NewIncident, NewIncidentDevice, NewIncidentEvidence,
    NewIncidentRole, NewIncidentTask, ROLES, SEVERITIES, STATUSES, Viewer,
};
use sha2::{Digest, Sha256};

use crate::assure::By;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::state::AppState;

/// The longest title, in characters.
pub const MAX_TITLE: usize = 300;
/// The longest text field (summary, analysis, notes), in characters.
pub const MAX_TEXT: usize = 20_000;
/// The largest evidence file.
pub const EVIDENCE_LIMIT: usize = 25 * 1024 * 1024;
/// Incidents on one page.
pub const PAGE: i64 = 50;

/// Who reads, from the caller.
pub fn viewer(by: &By) -> Result<Viewer<'_>> {
    match by.org_kind {
        OrgKind::Isac => Ok(Viewer {
            org_id: &by.org_id,
            isac: true,
        }),
        OrgKind::Hospital => Ok(Viewer {
            org_id: &by.org_id,
            isac: false,
        }),
        _ => Err(Error::Forbidden),
    }
}

fn invalid(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// A text field: trimmed, no control characters but line breaks and tabs,
/// at most `max` characters; `required` refuses an empty one.
fn text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let t = value.trim();
    if required && t.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if t
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(FieldError::new(field, "control_chars"));
    } else if t.chars().count() > max {
        errors.push(FieldError::new(field, "too_long").with("max", max));
    }
    t.replace("\r\n", "\n")
}

fn one_of(errors: &mut Vec<FieldError>, field: &'static str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        errors.push(FieldError::new(field, "invalid_choice"));
    }
}

/// A time as the API (RFC 3339) or the page's `datetime-local` input
/// (`YYYY-MM-DDTHH:MM`, in the server's display offset) gives it, in
/// milliseconds.
pub fn parse_when(field: &'static str, value: &str, offset_minutes: i32) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    let v = value.trim();
    let parsed = time::OffsetDateTime::parse(v, &Rfc3339).ok().or_else(|| {
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let fmt_s =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let local = time::PrimitiveDateTime::parse(v, &fmt)
            .or_else(|_| time::PrimitiveDateTime::parse(v, &fmt_s))
            .ok()?;
        let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).ok()?;
        Some(local.assume_offset(offset))
    });
    parsed
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| Error::field(field, "invalid_time"))
}

/// A date (`YYYY-MM-DD`) as the end of that day in the display offset, in
/// milliseconds.
fn parse_due(value: &str, offset_minutes: i32) -> Result<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day =
        time::Date::parse(value.trim(), &fmt).map_err(|_| Error::field("due", "invalid_date"))?;
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60)
        .map_err(|_| Error::field("due", "invalid_date"))?;
    let end = day
        .with_hms(23, 59, 59)
        .map_err(|_| Error::field("due", "invalid_date"))?
        .assume_offset(offset);
    i64::try_from(end.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| Error::field("due", "invalid_date"))
}

/// A new incident as the form or API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OpenForm {
    #[serde(default)]
    pub title: String,
    /// One of `malware`, `ransomware`, `intrusion`, `webshell`,
    /// `defacement`, `ddos`, `data_breach`, `phishing`,
    /// `account_compromise`, `device_compromise`, `other`.
    #[serde(default)]
    pub category: String,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub summary: String,
    /// When it was detected: RFC 3339, or `YYYY-MM-DDTHH:MM` in the
    /// server's display offset; empty = now (or the first alert's first
    /// hit).
    #[serde(default)]
    pub detected_at: String,
    /// Affected members, by id or name (the ISAC; a hospital's incident
    /// affects the hospital).
    #[serde(default)]
    pub members: Vec<String>,
    /// Alerts it is opened from (ids); their members are added.
    #[serde(default)]
    pub alerts: Vec<String>,
    /// The ISAC: share with the members at once. A hospital: report to
    /// the ISAC at once.
    #[serde(default)]
    pub share: bool,
}

/// Resolves a member hospital by id or exact name.
async fn member_of(store: &Store, field: &'static str, key: &str) -> Result<String> {
    let key = key.trim();
    let org = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Hospital && (o.id == key || o.name == key))
        .ok_or_else(|| Error::field(field, "unknown_member"))?;
    Ok(org.id)
}

/// Opens an incident.
pub async fn open(state: &AppState, by: &By, form: &OpenForm) -> Result<IncidentRow> {
    let store = &state.store;
    let scope = crate::watch::scope(by)?;
    let mut errors = Vec::new();
    let title = text(&mut errors, "title", &form.title, MAX_TITLE, true);
    let summary = text(&mut errors, "summary", &form.summary, MAX_TEXT, true);
    let category = form.category.trim().to_owned();
    one_of(&mut errors, "category", &category, CATEGORIES);
    let severity = form.severity.trim().to_owned();
    one_of(&mut errors, "severity", &severity, SEVERITIES);
    invalid(errors)?;
    let mut alerts = Vec::new();
    let mut members: Vec<String> = Vec::new();
    let mut first_hit = None::<i64>;
    for id in form
        .alerts
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
    {
        let a = store
            .alert(scope, id)
            .await?
            .ok_or_else(|| Error::field("alerts", "unknown_alert"))?;
        if !alerts.contains(&a.id) {
            first_hit = Some(first_hit.map_or(a.first_seen, |f| f.min(a.first_seen)));
            if !members.contains(&a.member_id) {
                members.push(a.member_id.clone());
            }
            alerts.push(a.id);
        }
    }
    let hospital = by.org_kind == OrgKind::Hospital;
    if hospital {
        members = vec![by.org_id.clone()];
    } else {
        for m in form.members.iter().filter(|m| !m.trim().is_empty()) {
            let id = member_of(store, "members", m).await?;
            if !members.contains(&id) {
                members.push(id);
            }
        }
    }
    let now = Timestamp::now();
    let detected_at = if form.detected_at.trim().is_empty() {
        first_hit.unwrap_or(now.0)
    } else {
        parse_when(
            "detected_at",
            &form.detected_at,
            state.config.display_offset_minutes,
        )?
    };
    if detected_at > now.0 + 5 * 60 * 1000 {
        return Err(Error::field("detected_at", "in_future"));
    }
    let new = NewIncident {
        owner_org_id: by.org_id.clone(),
        title,
        category,
        severity,
        summary,
        detected_at,
        created_by_id: by.user_id.clone(),
        members,
        // A hospital's incident is its own: shared with itself from the
        // start.
        share_members: hospital || form.share,
        report_to_isac: hospital && form.share,
        alerts,
    };
    Ok(store
        .create_incident(&new, by.audit(now, Action::IncidentOpened))
        .await?)
}

/// A query of the incident list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `open` (default), `all`, or one status.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// Affecting this member (id).
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
}

/// An incident with the names a page shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IncidentLine {
    #[serde(flatten)]
    pub incident: IncidentRow,
    pub owner_name: String,
    pub member_names: Vec<String>,
    /// Whether the caller's organisation owns it.
    pub owned: bool,
}

/// A page of incidents.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IncidentList {
    pub incidents: Vec<IncidentLine>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Organisation names by id.
pub async fn org_names(store: &Store) -> Result<HashMap<String, String>> {
    Ok(store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// The incidents the caller sees.
pub async fn list(store: &Store, by: &By, params: &ListParams) -> Result<IncidentList> {
    let v = viewer(by)?;
    let status = match blank(&params.status).as_deref() {
        None | Some("open") => Some("open".to_owned()),
        Some("all") => None,
        Some(s) if STATUSES.contains(&s) => Some(s.to_owned()),
        Some(_) => return Err(Error::field("status", "invalid_choice")),
    };
    let severity = blank(&params.severity);
    if severity
        .as_deref()
        .is_some_and(|s| !SEVERITIES.contains(&s))
    {
        return Err(Error::field("severity", "invalid_choice"));
    }
    let page = params.page.unwrap_or(1).max(1);
    let (rows, total) = store
        .incidents(
            v,
            &IncidentFilter {
                status,
                severity,
                member_id: blank(&params.member),
                limit: PAGE,
                offset: (page - 1) * PAGE,
            },
        )
        .await?;
    let names = org_names(store).await?;
    let mut incidents = Vec::with_capacity(rows.len());
    for r in rows {
        let members = store.incident_detail(r.clone()).await?.members;
        incidents.push(IncidentLine {
            owner_name: names.get(&r.owner_org_id).cloned().unwrap_or_default(),
            member_names: members
                .iter()
                .filter(|m| v.isac || m.member_id == by.org_id)
                .map(|m| names.get(&m.member_id).cloned().unwrap_or_default())
                .collect(),
            owned: r.owner_org_id == by.org_id,
            incident: r,
        });
    }
    Ok(IncidentList {
        incidents,
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

/// An incident with everything about it, as the caller may see it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IncidentView {
    #[serde(flatten)]
    pub detail: IncidentDetail,
    /// Organisation names by id (the owner, members, writers).
    pub org_names: HashMap<String, String>,
    /// User names by id (team, assignees) of the organisations involved.
    pub user_names: HashMap<String, String>,
    /// Whether the caller's organisation owns (manages) it.
    pub owned: bool,
}

async fn visible(store: &Store, by: &By, id: &str) -> Result<IncidentRow> {
    store
        .incident(viewer(by)?, id)
        .await?
        .ok_or(Error::NotFound)
}

async fn owned(store: &Store, by: &By, id: &str) -> Result<IncidentRow> {
    let row = visible(store, by, id).await?;
    if row.owner_org_id == by.org_id {
        Ok(row)
    } else {
        Err(Error::Forbidden)
    }
}

/// The organisations that see an incident: the owner, the members it was
/// shared with, the ISAC organisations for a reported hospital incident.
async fn participants(
    store: &Store,
    row: &IncidentRow,
    detail: &IncidentDetail,
) -> Result<Vec<String>> {
    let mut orgs = vec![row.owner_org_id.clone()];
    for m in &detail.members {
        if m.shared_at.is_some() && !orgs.contains(&m.member_id) {
            orgs.push(m.member_id.clone());
        }
    }
    if row.isac_shared_at.is_some() {
        for o in store.list_orgs().await? {
            if o.kind == OrgKind::Isac && !orgs.contains(&o.id) {
                orgs.push(o.id);
            }
        }
    }
    Ok(orgs)
}

/// One incident.
pub async fn detail(store: &Store, by: &By, id: &str) -> Result<IncidentView> {
    let row = visible(store, by, id).await?;
    let owned = row.owner_org_id == by.org_id;
    let mut detail = store.incident_detail(row.clone()).await?;
    let v = viewer(by)?;
    if !v.isac && !owned {
        // A member sees its own part of an ISAC incident: not which other
        // hospitals are affected, nor their devices, tasks, alerts,
        // evidence or timeline entries.
        let hidden: Vec<String> = detail
            .members
            .iter()
            .filter(|m| m.member_id != by.org_id)
            .map(|m| m.member_id.clone())
            .collect();
        detail.members.retain(|m| m.member_id == by.org_id);
        detail.devices.retain(|d| d.member_id == by.org_id);
        detail.alerts.retain(|a| a.member_id == by.org_id);
        detail
            .tasks
            .retain(|t| t.org_id == by.org_id || t.org_id == row.owner_org_id);
        let alerts: Vec<String> = detail.alerts.iter().map(|a| a.alert_id.clone()).collect();
        detail.timeline.retain(|t| {
            let d = serde_json::from_str::<serde_json::Value>(&t.detail).unwrap_or_default();
            if let Some(a) = d.get("alert_id").and_then(|a| a.as_str()) {
                return alerts.iter().any(|x| x == a);
            }
            let about = ["member_id", "org_id"]
                .iter()
                .find_map(|k| d.get(*k).and_then(|m| m.as_str()).map(str::to_owned))
                .or_else(|| t.org_id.clone());
            about.is_none_or(|m| !hidden.contains(&m))
        });
        detail.evidence.retain(|e| !hidden.contains(&e.org_id));
    }
    // Only the organisations the caller may know of: those the (filtered)
    // incident names.
    let all = org_names(store).await?;
    let mut known: Vec<&str> = vec![row.owner_org_id.as_str(), by.org_id.as_str()];
    known.extend(detail.members.iter().map(|m| m.member_id.as_str()));
    known.extend(
        detail
            .devices
            .iter()
            .flat_map(|d| [d.member_id.as_str(), d.org_id.as_str()]),
    );
    known.extend(detail.alerts.iter().map(|a| a.member_id.as_str()));
    known.extend(detail.tasks.iter().map(|t| t.org_id.as_str()));
    known.extend(detail.roles.iter().filter_map(|r| r.org_id.as_deref()));
    known.extend(detail.evidence.iter().map(|e| e.org_id.as_str()));
    known.extend(detail.timeline.iter().filter_map(|t| t.org_id.as_deref()));
    let names: HashMap<String, String> = all
        .into_iter()
        .filter(|(id, _)| known.contains(&id.as_str()))
        .collect();
    let mut user_names = HashMap::new();
    for org in participants(store, &row, &detail).await? {
        for u in store.list_users(&org).await? {
            user_names.insert(u.id, u.display_name);
        }
    }
    Ok(IncidentView {
        detail,
        org_names: names,
        user_names,
        owned,
    })
}

/// Changes to an incident as the form or API gives them; absent fields
/// stay.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UpdateForm {
    pub title: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    /// `reported`, `assessing`, `responding`, `recovering`, `lessons`,
    /// `closed` or `rejected`.
    pub status: Option<String>,
    pub summary: Option<String>,
    /// 피해 내용.
    pub impact: Option<String>,
    /// 원인 분석.
    pub cause: Option<String>,
    /// 대응 및 복구.
    pub response: Option<String>,
    /// 재발방지 대책.
    pub prevention: Option<String>,
    /// 교훈.
    pub lessons: Option<String>,
}

/// Changes an incident (the owner). Closing needs the cause and the
/// response written, as a report without them says nothing.
pub async fn update(store: &Store, by: &By, id: &str, form: &UpdateForm) -> Result<IncidentRow> {
    let row = owned(store, by, id).await?;
    let mut errors = Vec::new();
    let mut opt = |field: &'static str, v: &Option<String>, max: usize, required: bool| {
        v.as_ref()
            .map(|v| text(&mut errors, field, v, max, required))
    };
    let changes = IncidentChanges {
        title: opt("title", &form.title, MAX_TITLE, true),
        summary: opt("summary", &form.summary, MAX_TEXT, true),
        impact: opt("impact", &form.impact, MAX_TEXT, false),
        cause: opt("cause", &form.cause, MAX_TEXT, false),
        response: opt("response", &form.response, MAX_TEXT, false),
        prevention: opt("prevention", &form.prevention, MAX_TEXT, false),
        lessons: opt("lessons", &form.lessons, MAX_TEXT, false),
        category: form.category.as_ref().map(|c| c.trim().to_owned()),
        severity: form.severity.as_ref().map(|c| c.trim().to_owned()),
        status: form.status.as_ref().map(|c| c.trim().to_owned()),
    };
    if let Some(c) = &changes.category {
        one_of(&mut errors, "category", c, CATEGORIES);
    }
    if let Some(s) = &changes.severity {
        one_of(&mut errors, "severity", s, SEVERITIES);
    }
    if let Some(s) = &changes.status {
        one_of(&mut errors, "status", s, STATUSES);
        if s == "closed" {
            let cause = changes.cause.as_ref().unwrap_or(&row.cause);
            let response = changes.response.as_ref().unwrap_or(&row.response);
            if cause.trim().is_empty() {
                errors.push(FieldError::new("cause", "required_to_close"));
            }
            if response.trim().is_empty() {
                errors.push(FieldError::new("response", "required_to_close"));
            }
        }
    }
    invalid(errors)?;
    Ok(store
        .update_incident(
            id,
            &changes,
            by.audit(Timestamp::now(), Action::IncidentUpdated),
        )
        .await?)
}

/// Adds an affected member to an ISAC incident, sharing it at once if
/// asked.
pub async fn add_member(store: &Store, by: &By, id: &str, member: &str, share: bool) -> Result<()> {
    let row = owned(store, by, id).await?;
    crate::watch::isac(by)?;
    let member_id = member_of(store, "member", member).await?;
    store
        .add_incident_member(
            &row.id,
            &member_id,
            by.audit(Timestamp::now(), Action::IncidentMemberAdded),
        )
        .await?;
    if share {
        store
            .share_incident(
                &row.id,
                &member_id,
                by.audit(Timestamp::now(), Action::IncidentShared),
            )
            .await?;
    }
    Ok(())
}

/// Shares an ISAC incident with an affected member.
pub async fn share(store: &Store, by: &By, id: &str, member_id: &str) -> Result<()> {
    let row = owned(store, by, id).await?;
    crate::watch::isac(by)?;
    store
        .share_incident(
            &row.id,
            member_id,
            by.audit(Timestamp::now(), Action::IncidentShared),
        )
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::NotFound { .. } => Error::field("member", "not_affected"),
            e => e.into(),
        })?;
    Ok(())
}

/// Reports a hospital's incident to the ISAC (신고).
pub async fn report_to_isac(store: &Store, by: &By, id: &str) -> Result<()> {
    let row = owned(store, by, id).await?;
    if by.org_kind != OrgKind::Hospital {
        return Err(Error::Forbidden);
    }
    store
        .report_incident(
            &row.id,
            by.audit(Timestamp::now(), Action::IncidentReported),
        )
        .await?;
    Ok(())
}

/// An affected device as the form or API gives it: a device of the
/// caller's inventory (a hospital; by id or asset tag), or described.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DeviceForm {
    /// The member the device belongs to (id or name; a hospital: itself).
    #[serde(default)]
    pub member: String,
    /// A device of the caller's inventory, by id or asset tag.
    #[serde(default)]
    pub inventory_device: String,
    #[serde(default)]
    pub asset_tag: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub note: String,
}

/// Adds an affected medical device.
pub async fn add_device(store: &Store, by: &By, id: &str, form: &DeviceForm) -> Result<()> {
    let row = visible(store, by, id).await?;
    let detail = store.incident_detail(row.clone()).await?;
    let member_id = if by.org_kind == OrgKind::Hospital {
        by.org_id.clone()
    } else {
        member_of(store, "member", &form.member).await?
    };
    if !detail.members.iter().any(|m| m.member_id == member_id) {
        return Err(Error::field("member", "not_affected"));
    }
    let mut errors = Vec::new();
    let mut device = NewIncidentDevice {
        member_id,
        note: text(&mut errors, "note", &form.note, MAX_TITLE, false),
        ..NewIncidentDevice::default()
    };
    let key = form.inventory_device.trim();
    if key.is_empty() {
        device.asset_tag = text(&mut errors, "asset_tag", &form.asset_tag, 200, false);
        device.model = text(&mut errors, "model", &form.model, 200, true);
        device.manufacturer = text(&mut errors, "manufacturer", &form.manufacturer, 200, false);
    } else {
        // Only a hospital's own inventory: the ISAC does not see it.
        let inv = if by.org_kind == OrgKind::Hospital {
            store
                .inventory(&by.org_id)
                .await?
                .into_iter()
                .find(|d| d.id == key || d.asset_tag == key)
        } else {
            None
        };
        let Some(inv) = inv else {
            return Err(Error::field("inventory_device", "unknown_device"));
        };
        device.inventory_device_id = Some(inv.id);
        device.asset_tag = inv.asset_tag;
        device.model = inv.model;
        device.manufacturer = inv.manufacturer.unwrap_or_default();
    }
    invalid(errors)?;
    store
        .add_incident_device(
            &row.id,
            &device,
            by.audit(Timestamp::now(), Action::IncidentDeviceAdded),
        )
        .await?;
    Ok(())
}

/// A team member as the form or API gives it: a user (id or user name) of
/// an organisation that sees the incident, or an outside expert by name.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoleForm {
    /// `manager`, `planning`, `monitoring`, `response`, `execution`,
    /// `analysis` or `external`.
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub user: String,
    /// An outside expert's name (when no user is given).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub contact: String,
}

/// Adds a member of the response team (the owner).
pub async fn add_role(store: &Store, by: &By, id: &str, form: &RoleForm) -> Result<()> {
    let row = owned(store, by, id).await?;
    let mut errors = Vec::new();
    let role = form.role.trim().to_owned();
    one_of(&mut errors, "role", &role, ROLES);
    let contact = text(&mut errors, "contact", &form.contact, 200, false);
    let mut new = NewIncidentRole {
        role,
        contact,
        ..NewIncidentRole::default()
    };
    let user = form.user.trim();
    if user.is_empty() {
        new.name = text(&mut errors, "name", &form.name, 200, true);
    } else {
        let detail = store.incident_detail(row.clone()).await?;
        let mut found = None;
        for org in participants(store, &row, &detail).await? {
            if let Some(u) = store
                .list_users(&org)
                .await?
                .into_iter()
                .find(|u| u.id == user || u.username == user)
            {
                found = Some(u);
                break;
            }
        }
        let Some(u) = found else {
            return Err(Error::field("user", "unknown_user"));
        };
        new.name = u.display_name;
        new.org_id = Some(u.org_id);
        new.user_id = Some(u.id);
    }
    invalid(errors)?;
    store
        .add_incident_role(
            &row.id,
            &new,
            by.audit(Timestamp::now(), Action::IncidentRoleAssigned),
        )
        .await?;
    Ok(())
}

/// Removes a member of the response team (the owner).
pub async fn remove_role(store: &Store, by: &By, id: &str, role_id: &str) -> Result<()> {
    let row = owned(store, by, id).await?;
    store
        .remove_incident_role(
            &row.id,
            role_id,
            by.audit(Timestamp::now(), Action::IncidentRoleRemoved),
        )
        .await?;
    Ok(())
}

/// Links an alert the caller sees (the owner); an ISAC incident gains the
/// alert's member.
pub async fn link_alert(store: &Store, by: &By, id: &str, alert_id: &str) -> Result<()> {
    let row = owned(store, by, id).await?;
    let a = store
        .alert(crate::watch::scope(by)?, alert_id.trim())
        .await?
        .ok_or_else(|| Error::field("alert", "unknown_alert"))?;
    if by.org_kind == OrgKind::Isac {
        store
            .add_incident_member(
                &row.id,
                &a.member_id,
                by.audit(Timestamp::now(), Action::IncidentMemberAdded),
            )
            .await?;
    }
    store
        .link_incident_alert(
            &row.id,
            &a.id,
            by.audit(Timestamp::now(), Action::IncidentAlertLinked),
        )
        .await?;
    Ok(())
}

/// A task as the form or API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TaskForm {
    #[serde(default)]
    pub title: String,
    /// The organisation responsible (id or name); empty = the caller's.
    #[serde(default)]
    pub org: String,
    /// A user of that organisation (id or user name).
    #[serde(default)]
    pub assignee: String,
    /// The due date, `YYYY-MM-DD`.
    #[serde(default)]
    pub due: String,
}

/// Adds a task, for the caller's organisation or another one that sees
/// the incident.
pub async fn add_task(state: &AppState, by: &By, id: &str, form: &TaskForm) -> Result<()> {
    let store = &state.store;
    let row = visible(store, by, id).await?;
    let detail = store.incident_detail(row.clone()).await?;
    let mut errors = Vec::new();
    let title = text(&mut errors, "title", &form.title, MAX_TITLE, true);
    invalid(errors)?;
    let orgs = participants(store, &row, &detail).await?;
    let key = form.org.trim();
    let org_id = if key.is_empty() {
        by.org_id.clone()
    } else {
        let names = org_names(store).await?;
        orgs.iter()
            .find(|o| *o == key || names.get(*o).is_some_and(|n| n == key))
            .cloned()
            .ok_or_else(|| Error::field("org", "not_involved"))?
    };
    // A member of an ISAC incident gives tasks only to itself and the ISAC.
    if by.org_id != row.owner_org_id && org_id != by.org_id && org_id != row.owner_org_id {
        return Err(Error::field("org", "not_involved"));
    }
    let assignee = form.assignee.trim();
    let assignee_id = if assignee.is_empty() {
        None
    } else {
        Some(
            store
                .list_users(&org_id)
                .await?
                .into_iter()
                .find(|u| u.id == assignee || u.username == assignee)
                .ok_or_else(|| Error::field("assignee", "unknown_user"))?
                .id,
        )
    };
    let due_at = if form.due.trim().is_empty() {
        None
    } else {
        Some(parse_due(&form.due, state.config.display_offset_minutes)?)
    };
    store
        .add_incident_task(
            &row.id,
            &NewIncidentTask {
                title,
                org_id,
                assignee_id,
                due_at,
            },
            by.audit(Timestamp::now(), Action::IncidentTaskAdded),
        )
        .await?;
    Ok(())
}

/// Marks a task done or open again: the owner any task, others the tasks
/// of their organisation.
pub async fn set_task(store: &Store, by: &By, id: &str, task_id: &str, done: bool) -> Result<()> {
    let row = visible(store, by, id).await?;
    let task = store
        .incident_task(&row.id, task_id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.owner_org_id != by.org_id && task.org_id != by.org_id {
        return Err(Error::Forbidden);
    }
    store
        .set_incident_task_done(
            &row.id,
            &task.id,
            done,
            by.audit(Timestamp::now(), Action::IncidentTaskUpdated),
        )
        .await?;
    Ok(())
}

/// Keeps an evidence file.
pub async fn add_evidence(
    store: &Store,
    by: &By,
    id: &str,
    filename: &str,
    description: &str,
    bytes: Vec<u8>,
) -> Result<IncidentEvidenceRow> {
    let row = visible(store, by, id).await?;
    if bytes.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if bytes.len() > EVIDENCE_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let mut errors = Vec::new();
    let description = text(&mut errors, "description", description, 2000, false);
    invalid(errors)?;
    let file = NewIncidentEvidence {
        filename: crate::assure::clean_filename(filename),
        content_type: crate::assure::sniff(&bytes).to_owned(),
        sha256: medsec_core::credential::hex(&Sha256::digest(&bytes)),
        description,
        content: bytes,
    };
    Ok(store
        .add_incident_evidence(
            &row.id,
            &file,
            by.audit(Timestamp::now(), Action::IncidentEvidenceAdded),
        )
        .await?)
}

/// An evidence file for download; every download is audited (chain of
/// custody).
pub async fn evidence(
    store: &Store,
    by: &By,
    id: &str,
    evidence_id: &str,
) -> Result<(IncidentEvidenceRow, Vec<u8>)> {
    let view = detail(store, by, id).await?;
    if !view.detail.evidence.iter().any(|e| e.id == evidence_id) {
        return Err(Error::NotFound);
    }
    let (meta, bytes) = store
        .incident_evidence(id, evidence_id)
        .await?
        .ok_or(Error::NotFound)?;
    store
        .audit(
            by.audit(Timestamp::now(), Action::IncidentEvidenceDownloaded)
                .target("incident", id.to_owned())
                .details(serde_json::json!({
                    "evidence": meta.id, "filename": meta.filename, "sha256": meta.sha256,
                })),
        )
        .await?;
    Ok((meta, bytes))
}

/// A note on the timeline; `at` empty = now.
pub async fn note(state: &AppState, by: &By, id: &str, at: &str, note: &str) -> Result<()> {
    let row = visible(&state.store, by, id).await?;
    let mut errors = Vec::new();
    let note = text(&mut errors, "note", note, MAX_TEXT, true);
    invalid(errors)?;
    let now = Timestamp::now();
    let at = if at.trim().is_empty() {
        now.0
    } else {
        parse_when("at", at, state.config.display_offset_minutes)?
    };
    if at > now.0 + 5 * 60 * 1000 {
        return Err(Error::field("at", "in_future"));
    }
    state
        .store
        .add_incident_note(&row.id, at, &note, by.audit(now, Action::IncidentNoted))
        .await?;
    Ok(())
}

/// The report of an incident as the caller sees it, as PDF, in `lang`.
pub async fn report_pdf(state: &AppState, by: &By, id: &str, lang: Lang) -> Result<Vec<u8>> {
    render_report(
        &state.store,
        by,
        id,
        lang,
        state.config.display_offset_minutes,
    )
    .await
}

/// The report as PDF, times shown at `offset_minutes` from UTC (the
/// command line, which has no server configuration).
pub async fn render_report(
    store: &Store,
    by: &By,
    id: &str,
    lang: Lang,
    offset_minutes: i32,
) -> Result<Vec<u8>> {
    let view = detail(store, by, id).await?;
    let report = report_of(&view, lang, offset_minutes);
    let fonts = crate::assure::fonts()?;
    let l = match lang {
        Lang::En => medsec_pdf::Lang::En,
        Lang::Ko => medsec_pdf::Lang::Ko,
    };
    let today = time::OffsetDateTime::now_utc();
    let options = medsec_pdf::Options {
        lang: l,
        generated: Some((today.year(), today.month() as u8, today.day())),
        ..medsec_pdf::Options::default()
    };
    let ident = format!("medsec/incident/{id}");
    let rendered = tokio::task::spawn_blocking(move || {
        medsec_pdf::report::render(&report, &fonts, &options, &ident)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| {
        if e.is_input_error() {
            Error::Invalid(vec![FieldError::new("report", "format").with("detail", e)])
        } else {
            Error::Internal(format!("pdf: {e}"))
        }
    })?;
    Ok(rendered.pdf)
}

/// Issues the report (the owner): the PDF as of now, kept unchanged with
/// its SHA-256 for everyone who sees the incident.
pub async fn issue_report(
    state: &AppState,
    by: &By,
    id: &str,
    lang: Lang,
) -> Result<IncidentReportRow> {
    owned(&state.store, by, id).await?;
    let pdf = report_pdf(state, by, id, lang).await?;
    let sha = medsec_core::credential::hex(&Sha256::digest(&pdf));
    Ok(state
        .store
        .add_incident_report(
            id,
            lang.code(),
            &pdf,
            &sha,
            by.audit(Timestamp::now(), Action::IncidentReportIssued),
        )
        .await?)
}

/// An issued report's PDF.
pub async fn report(
    store: &Store,
    by: &By,
    id: &str,
    report_id: &str,
) -> Result<(IncidentReportRow, Vec<u8>)> {
    let row = visible(store, by, id).await?;
    store
        .incident_report(&row.id, report_id)
        .await?
        .ok_or(Error::NotFound)
}

/// The label of a category, status, severity or role in `lang`.
pub fn label(lang: Lang, kind: &str, value: &str) -> String {
    if kind == "severity" {
        // The alerts' severity names.
        lang.t(&format!("severity-{value}"))
    } else {
        lang.t(&format!("incident-{kind}-{value}"))
    }
}

/// The timeline entry as a sentence in `lang`.
pub fn timeline_text(
    lang: Lang,
    view: &IncidentView,
    t: &medsec_store::incidents::TimelineRow,
) -> String {
    let d: serde_json::Value = serde_json::from_str(&t.detail).unwrap_or_default();
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let n = |k: &str| d.get(k).and_then(|v| v.as_i64()).unwrap_or(0).to_string();
    let org = |k: &str| view.org_names.get(&s(k)).cloned().unwrap_or_else(|| s(k));
    match t.kind.as_str() {
        "note" => t.text.clone(),
        "status" => lang.ta(
            "incident-tl-status",
            &[
                ("from", &label(lang, "status", &s("from"))),
                ("to", &label(lang, "status", &s("to"))),
            ],
        ),
        "severity" => lang.ta(
            "incident-tl-severity",
            &[
                ("from", &label(lang, "severity", &s("from"))),
                ("to", &label(lang, "severity", &s("to"))),
            ],
        ),
        "edited" => {
            let fields: Vec<String> = d
                .get("fields")
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str())
                        .map(|f| lang.t(&format!("incident-field-{f}")))
                        .collect()
                })
                .unwrap_or_default();
            lang.ta("incident-tl-edited", &[("fields", &fields.join(", "))])
        }
        "member_added" => lang.ta("incident-tl-member-added", &[("member", &org("member_id"))]),
        "shared" => lang.ta("incident-tl-shared", &[("member", &org("member_id"))]),
        "device_added" => lang.ta(
            "incident-tl-device-added",
            &[
                ("model", &s("model")),
                ("tag", &s("asset_tag")),
                ("member", &org("member_id")),
            ],
        ),
        "role_added" => lang.ta(
            "incident-tl-role-added",
            &[
                ("role", &label(lang, "role", &s("role"))),
                ("name", &s("name")),
            ],
        ),
        "role_removed" => lang.ta(
            "incident-tl-role-removed",
            &[
                ("role", &label(lang, "role", &s("role"))),
                ("name", &s("name")),
            ],
        ),
        "alert_linked" => {
            let title = view
                .detail
                .alerts
                .iter()
                .find(|a| a.alert_id == s("alert_id"))
                .map_or_else(|| s("alert_id"), |a| a.title.clone());
            lang.ta("incident-tl-alert-linked", &[("alert", &title)])
        }
        "task_added" => lang.ta(
            "incident-tl-task-added",
            &[
                ("seq", &n("seq")),
                ("title", &s("title")),
                ("org", &org("org_id")),
            ],
        ),
        "task_done" => lang.ta(
            "incident-tl-task-done",
            &[("seq", &n("seq")), ("title", &s("title"))],
        ),
        "task_reopened" => lang.ta(
            "incident-tl-task-reopened",
            &[("seq", &n("seq")), ("title", &s("title"))],
        ),
        "evidence_added" => lang.ta(
            "incident-tl-evidence-added",
            &[("file", &s("filename")), ("sha", &s("sha256"))],
        ),
        "report_issued" => lang.ta("incident-tl-report-issued", &[("version", &n("version"))]),
        other => lang.t(&format!("incident-tl-{other}")),
    }
}

fn at(t: i64, offset: i32) -> String {
    Timestamp(t).display_in(offset)
}

fn size(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / 1_048_576.0)
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The report as it is laid out: every label in `lang`, every time in the
/// display offset.
pub fn report_of(view: &IncidentView, lang: Lang, offset: i32) -> medsec_pdf::report::Report {
    use medsec_pdf::report::{Block, Report};
    let i = &view.detail.incident;
    let t = |id: &str| lang.t(id);
    let org = |id: &str| {
        view.org_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| at(v, offset));
    let mut facts = vec![
        [t("incident-status"), label(lang, "status", &i.status)],
        [t("incident-severity"), label(lang, "severity", &i.severity)],
        [t("incident-category"), label(lang, "category", &i.category)],
        [t("incident-owner"), org(&i.owner_org_id)],
        [t("incident-detected"), at(i.detected_at, offset)],
        [t("incident-opened"), at(i.created_at, offset)],
        [t("incident-closed-at"), opt(i.closed_at)],
        [t("incident-updated"), at(i.updated_at, offset)],
    ];
    if i.isac_shared_at.is_some() {
        facts.push([t("incident-reported-at"), opt(i.isac_shared_at)]);
    }
    facts.push([
        t("incident-members"),
        view.detail
            .members
            .iter()
            .map(|m| org(&m.member_id))
            .collect::<Vec<_>>()
            .join(", "),
    ]);
    let section = |title: &str, text: &str| Block::Text {
        title: t(title),
        text: text.to_owned(),
        empty: t("incident-not-written"),
    };
    let table =
        |title: &str, columns: &[&str], widths: &[u16], rows: Vec<Vec<String>>, empty: &str| {
            Block::Table {
                title: t(title),
                columns: columns.iter().map(|c| t(c)).collect(),
                widths: widths.to_vec(),
                rows,
                empty: t(empty),
            }
        };
    let users = |id: &Option<String>| {
        id.as_ref()
            .and_then(|u| view.user_names.get(u).cloned())
            .unwrap_or_default()
    };
    let blocks = vec![
        section("incident-summary", &i.summary),
        section("incident-impact", &i.impact),
        table(
            "incident-devices",
            &[
                "watch-member",
                "incident-device-tag",
                "incident-device-model",
                "incident-device-note",
            ],
            &[2, 2, 3, 3],
            view.detail
                .devices
                .iter()
                .map(|d| {
                    let model = if d.manufacturer.is_empty() {
                        d.model.clone()
                    } else {
                        format!("{} {}", d.manufacturer, d.model)
                    };
                    vec![
                        org(&d.member_id),
                        d.asset_tag.clone(),
                        model,
                        d.note.clone(),
                    ]
                })
                .collect(),
            "incident-devices-empty",
        ),
        table(
            "incident-team",
            &[
                "incident-role",
                "incident-team-name",
                "incident-team-org",
                "incident-team-contact",
            ],
            &[2, 2, 2, 3],
            view.detail
                .roles
                .iter()
                .map(|r| {
                    vec![
                        label(lang, "role", &r.role),
                        r.name.clone(),
                        r.org_id
                            .as_deref()
                            .map(org)
                            .unwrap_or_else(|| t("incident-external-org")),
                        r.contact.clone(),
                    ]
                })
                .collect(),
            "incident-team-empty",
        ),
        table(
            "incident-alerts",
            &[
                "alert-rule",
                "incident-alert-title",
                "incident-severity",
                "incident-alert-attack",
                "alert-hits",
                "alert-first-seen",
            ],
            &[3, 4, 1, 2, 1, 3],
            view.detail
                .alerts
                .iter()
                .map(|a| {
                    let attack: Vec<String> = serde_json::from_str(&a.attack).unwrap_or_default();
                    vec![
                        a.rule_id.clone(),
                        a.title.clone(),
                        lang.t(&format!("severity-{}", a.severity)),
                        attack.join(", "),
                        a.hits.to_string(),
                        at(a.first_seen, offset),
                    ]
                })
                .collect(),
            "incident-alerts-empty",
        ),
        section("incident-cause", &i.cause),
        section("incident-response", &i.response),
        section("incident-prevention", &i.prevention),
        section("incident-lessons", &i.lessons),
        table(
            "incident-tasks",
            &[
                "incident-task-seq",
                "incident-task-title",
                "incident-task-org",
                "incident-task-due",
                "incident-task-done",
            ],
            &[1, 5, 2, 2, 3],
            view.detail
                .tasks
                .iter()
                .map(|k| {
                    let assignee = users(&k.assignee_id);
                    let who = if assignee.is_empty() {
                        org(&k.org_id)
                    } else {
                        format!("{} ({assignee})", org(&k.org_id))
                    };
                    vec![
                        k.seq.to_string(),
                        k.title.clone(),
                        who,
                        k.due_at.map(|d| at(d, offset)).unwrap_or_default(),
                        k.done_at
                            .map(|d| {
                                format!(
                                    "{} · {}",
                                    at(d, offset),
                                    k.done_by.clone().unwrap_or_default()
                                )
                            })
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
            "incident-tasks-empty",
        ),
        table(
            "incident-evidence",
            &[
                "incident-evidence-file",
                "incident-evidence-size",
                "incident-evidence-sha",
                "incident-evidence-by",
            ],
            &[3, 1, 4, 3],
            view.detail
                .evidence
                .iter()
                .map(|e| {
                    let file = if e.description.is_empty() {
                        e.filename.clone()
                    } else {
                        format!("{} — {}", e.filename, e.description)
                    };
                    vec![
                        file,
                        size(e.size),
                        e.sha256.clone(),
                        format!(
                            "{} · {} · {}",
                            org(&e.org_id),
                            e.uploaded_by,
                            at(e.uploaded_at, offset)
                        ),
                    ]
                })
                .collect(),
            "incident-evidence-empty",
        ),
        table(
            "incident-timeline",
            &[
                "incident-timeline-at",
                "incident-timeline-by",
                "incident-timeline-what",
            ],
            &[3, 3, 6],
            view.detail
                .timeline
                .iter()
                .map(|e| {
                    let by = match &e.org_id {
                        Some(o) => format!("{} · {}", org(o), e.actor),
                        None => e.actor.clone(),
                    };
                    vec![at(e.at, offset), by, timeline_text(lang, view, e)]
                })
                .collect(),
            "incident-timeline-empty",
        ),
    ];
    Report {
        kind: t("incident-report-kind"),
        heading: i.title.clone(),
        subtitle: lang.ta("incident-report-subtitle", &[("id", &i.id)]),
        running: format!("{} · {}", t("incident-report-kind"), i.title),
        facts,
        blocks,
        author: Some(org(&i.owner_org_id)),
        colophon: t("incident-report-colophon"),
    }
}
