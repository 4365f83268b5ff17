//! Alerts as users see them, for the UI, the API and the CLI: the queue,
//! an alert with its hits and activity, triage (states, resolution,
//! assignment, comments), tuning (suppressions) and response times.
//!
//! Who may do what: the ISAC's users see every member's alerts, and with
//! write permission triage, assign and tune; a hospital's users see their
//! own alerts and comment on them (the ISAC reads the comments); other
//! organisations see nothing. Every change is audited in its transaction.

use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::Store;
use medsec_store::alerts::{
    AlertActivityRow, AlertFilter, AlertHitRow, AlertRow, RESOLUTIONS, ResponseTimes, RuleStats,
    SEVERITIES, STATES, SuppressionRow,
};

use crate::assure::By;
use crate::error::{Error, Result};
use crate::watch::{isac, scope};

/// The longest comment or suppression reason, in characters.
pub const MAX_TEXT: usize = 4000;
/// The most alerts on one page.
pub const PAGE: i64 = 50;

/// A query of the alert queue, as the page or the API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct QueueParams {
    /// `open` (default), `all`, or one state.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// A member organisation's id (the ISAC).
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    /// `me` or a user id.
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
}

/// An alert with the names a page shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: AlertRow,
    pub member_name: String,
    pub assignee_name: Option<String>,
    pub attack_ids: Vec<String>,
    /// The techniques with their names, matrices and tactics from the
    /// imported ATT&CK ([`name_attack`]); ids only without it.
    pub attack: Vec<crate::attack::TechniqueName>,
    pub tag_list: Vec<String>,
    /// Seconds from creation to acknowledgement (or until now) beyond the
    /// severity's target; 0 within it.
    pub overdue_secs: i64,
}

/// A page of the queue.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Queue {
    pub alerts: Vec<AlertView>,
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

async fn names(store: &Store) -> Result<std::collections::HashMap<String, String>> {
    Ok(store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

async fn user_names(store: &Store, by: &By) -> Result<std::collections::HashMap<String, String>> {
    if by.org_kind != OrgKind::Isac {
        return Ok(Default::default());
    }
    Ok(store
        .list_users(&by.org_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

fn view(
    a: AlertRow,
    orgs: &std::collections::HashMap<String, String>,
    users: &std::collections::HashMap<String, String>,
    now: i64,
) -> AlertView {
    let acked = a.acknowledged_at.unwrap_or(now);
    let target = medsec_store::alerts::ack_target_secs(&a.severity);
    let overdue = ((acked - a.created_at) / 1000 - target).max(0);
    AlertView {
        member_name: orgs
            .get(&a.member_id)
            .cloned()
            .unwrap_or_else(|| a.member_id.clone()),
        assignee_name: a.assignee_id.as_ref().and_then(|u| users.get(u).cloned()),
        attack_ids: serde_json::from_str(&a.attack).unwrap_or_default(),
        attack: Vec::new(),
        tag_list: serde_json::from_str(&a.tags).unwrap_or_default(),
        overdue_secs: overdue,
        alert: a,
    }
}

/// Names the alerts' ATT&CK techniques from `matrix` (the server's cached
/// one, [`crate::attack::AttackCache`]).
pub fn name_attack<'a>(
    views: impl IntoIterator<Item = &'a mut AlertView>,
    matrix: &medsec_detect::attack::Matrix,
) {
    for v in views {
        v.attack = crate::attack::name_techniques(matrix, &v.attack_ids);
    }
}

/// The alert queue in the caller's scope.
pub async fn queue(store: &Store, by: &By, q: &QueueParams) -> Result<Queue> {
    let scope = scope(by)?;
    let mut errors = Vec::new();
    let state = match blank(&q.state).as_deref() {
        None | Some("open") => Some("open".to_owned()),
        Some("all") => None,
        Some(s) if STATES.contains(&s) => Some(s.to_owned()),
        Some(_) => {
            errors.push(FieldError::new("state", "invalid_choice"));
            None
        }
    };
    let severity = blank(&q.severity);
    if severity
        .as_deref()
        .is_some_and(|s| !SEVERITIES.contains(&s))
    {
        errors.push(FieldError::new("severity", "invalid_choice"));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let assignee = match blank(&q.assignee).as_deref() {
        Some("me") => by.user_id.clone(),
        other => other.map(str::to_owned),
    };
    let page = q.page.unwrap_or(1).max(1);
    let filter = AlertFilter {
        state,
        severity,
        member_id: blank(&q.member),
        rule_id: blank(&q.rule),
        assignee_id: assignee,
        limit: PAGE,
        offset: (page - 1) * PAGE,
    };
    let (rows, total) = store.alerts(scope, &filter).await?;
    let orgs = names(store).await?;
    let users = user_names(store, by).await?;
    let now = Timestamp::now().0;
    Ok(Queue {
        alerts: rows
            .into_iter()
            .map(|a| view(a, &orgs, &users, now))
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

/// An alert with its kept hits and what people did with it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AlertDetail {
    pub alert: AlertView,
    pub hits: Vec<AlertHitRow>,
    pub activity: Vec<AlertActivityRow>,
}

/// One alert in the caller's scope; a missing one and another member's
/// look the same.
pub async fn alert(store: &Store, by: &By, id: &str) -> Result<AlertDetail> {
    let scope = scope(by)?;
    let a = store.alert(scope, id).await?.ok_or(Error::NotFound)?;
    let hits = store.alert_hits(&a.id).await?;
    let activity = store.alert_activity(&a.id).await?;
    let orgs = names(store).await?;
    let users = user_names(store, by).await?;
    Ok(AlertDetail {
        alert: view(a, &orgs, &users, Timestamp::now().0),
        hits,
        activity,
    })
}

/// Moves an alert to a state; closing needs a resolution (true or false
/// positive). The ISAC only.
pub async fn set_state(
    store: &Store,
    by: &By,
    id: &str,
    state: &str,
    resolution: Option<&str>,
) -> Result<()> {
    isac(by)?;
    let a = store.alert(scope(by)?, id).await?.ok_or(Error::NotFound)?;
    let resolution = resolution.map(str::trim).filter(|r| !r.is_empty());
    let mut errors = Vec::new();
    if !STATES.contains(&state) {
        errors.push(FieldError::new("state", "invalid_choice"));
    }
    match (state, resolution) {
        ("closed", None) => errors.push(FieldError::new("resolution", "required")),
        ("closed", Some(r)) if !RESOLUTIONS.contains(&r) => {
            errors.push(FieldError::new("resolution", "invalid_choice"))
        }
        ("closed", _) => {}
        (_, Some(_)) => errors.push(FieldError::new("resolution", "invalid_choice")),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let resolution = if state == "closed" { resolution } else { None };
    store
        .set_alert_state(
            &a.id,
            state,
            resolution,
            by.audit(Timestamp::now(), Action::AlertTriaged),
        )
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::Conflict { .. } => {
                Error::Invalid(vec![FieldError::new("state", "alert_reopen_conflict")])
            }
            e => e.into(),
        })
}

/// Assigns an alert to one of the ISAC's users, or to nobody (`None`).
pub async fn assign(store: &Store, by: &By, id: &str, user: Option<&str>) -> Result<()> {
    isac(by)?;
    let a = store.alert(scope(by)?, id).await?.ok_or(Error::NotFound)?;
    let assignee = match user.map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => {
            let users = store.list_users(&by.org_id).await?;
            let found = users
                .into_iter()
                .find(|x| x.id == u || x.username == u)
                .ok_or_else(|| Error::Invalid(vec![FieldError::new("assignee", "unknown_user")]))?;
            Some((found.id, found.display_name))
        }
    };
    store
        .assign_alert(
            &a.id,
            assignee.as_ref().map(|(i, n)| (i.as_str(), n.as_str())),
            by.audit(Timestamp::now(), Action::AlertAssigned),
        )
        .await?;
    Ok(())
}

fn text_field(field: &'static str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::Invalid(vec![FieldError::new(field, "required")]));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::Invalid(vec![FieldError::new(
            field,
            "control_chars",
        )]));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(Error::Invalid(vec![
            FieldError::new(field, "too_long").with("max", MAX_TEXT),
        ]));
    }
    Ok(t.to_owned())
}

/// A comment on an alert: by the ISAC, or by the member it concerns.
pub async fn comment(store: &Store, by: &By, id: &str, text: &str) -> Result<()> {
    let a = store.alert(scope(by)?, id).await?.ok_or(Error::NotFound)?;
    let text = text_field("comment", text)?;
    store
        .comment_alert(
            &a.id,
            &text,
            by.audit(Timestamp::now(), Action::AlertCommented),
        )
        .await?;
    Ok(())
}

/// A suppression as the form or API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SuppressionForm {
    /// The rule's id (or title, for rules without one).
    #[serde(default)]
    pub rule: String,
    /// A member organisation's id or name; empty = every member.
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub reason: String,
    /// Days until it ends; empty = until ended.
    #[serde(default)]
    pub days: Option<String>,
}

/// The longest suppression with an end, in days.
pub const MAX_SUPPRESSION_DAYS: i64 = 365;

/// Adds a suppression (the ISAC). Returns its id.
pub async fn suppress(store: &Store, by: &By, form: &SuppressionForm) -> Result<String> {
    isac(by)?;
    let mut errors = Vec::new();
    let rule = form.rule.trim();
    if rule.is_empty() || rule.chars().count() > 512 {
        errors.push(FieldError::new("rule", "required"));
    }
    let reason = match text_field("reason", &form.reason) {
        Ok(r) => Some(r),
        Err(Error::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let member = if form.member.trim().is_empty() {
        None
    } else {
        match crate::watch::member(store, form.member.trim()).await {
            Ok(m) => Some(m.id),
            Err(Error::Invalid(mut e)) => {
                errors.append(&mut e);
                None
            }
            Err(e) => return Err(e),
        }
    };
    let now = Timestamp::now();
    let expires = match form
        .days
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (1..=MAX_SUPPRESSION_DAYS).contains(&n) => Some(now.0 + n * 86_400_000),
            _ => {
                errors.push(FieldError::range("days", 1, MAX_SUPPRESSION_DAYS));
                None
            }
        },
    };
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    Ok(store
        .add_suppression(
            member.as_deref(),
            rule,
            &reason,
            expires,
            by.audit(now, Action::SuppressionAdded),
        )
        .await?)
}

/// Ends a suppression (the ISAC).
pub async fn unsuppress(store: &Store, by: &By, id: &str) -> Result<()> {
    isac(by)?;
    store
        .end_suppression(id, by.audit(Timestamp::now(), Action::SuppressionEnded))
        .await?;
    Ok(())
}

/// Suppressions in force (and ended ones with `all`): the ISAC only.
pub async fn suppressions(store: &Store, by: &By, all: bool) -> Result<Vec<SuppressionRow>> {
    isac(by)?;
    Ok(store.suppressions(Timestamp::now(), all).await?)
}

/// Response times over the last `days`, per member and per analyst.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ResponseReport {
    pub days: i64,
    pub members: Vec<(String, ResponseTimes)>,
    /// Per assignee (the ISAC only; empty for a hospital).
    pub analysts: Vec<(String, ResponseTimes)>,
    pub rules: Vec<RuleStats>,
}

pub async fn response_report(store: &Store, by: &By, days: i64) -> Result<ResponseReport> {
    let scope = scope(by)?;
    let days = days.clamp(1, 366);
    let since = Timestamp::now().0 - days * 86_400_000;
    let orgs = names(store).await?;
    let users = user_names(store, by).await?;
    let members = store
        .response_times(scope, since, true)
        .await?
        .into_iter()
        .map(|r| {
            (
                orgs.get(&r.key).cloned().unwrap_or_else(|| r.key.clone()),
                r,
            )
        })
        .collect();
    let (analysts, rules) = if by.org_kind == OrgKind::Isac {
        (
            store
                .response_times(scope, since, false)
                .await?
                .into_iter()
                .map(|r| (users.get(&r.key).cloned().unwrap_or_default(), r))
                .collect(),
            store.rule_stats(since).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(ResponseReport {
        days,
        members,
        analysts,
        rules,
    })
}
