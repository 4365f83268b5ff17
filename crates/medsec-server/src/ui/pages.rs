//! The landing redirect and the dashboard, whose content depends on the
//! kind of organisation.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use medsec_core::{OrgKind, Permission};
use medsec_store::AuditFilter;

use super::{Page, ok, page, see_other};
use crate::auth::{MaybeWebUser, WebUser};
use crate::error::Result;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::Public, Method::GET, "/", get(root)).ui(
        Access::User,
        Method::GET,
        "/dashboard",
        get(dashboard),
    )
}

async fn root(MaybeWebUser(user): MaybeWebUser) -> Result<Response> {
    Ok(see_other(if user.is_some() {
        "/dashboard"
    } else {
        "/login"
    }))
}

/// One audit record as tables show it.
pub struct AuditRow {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub source: String,
    pub action: String,
    pub action_label: String,
    pub outcome: String,
    pub outcome_label: String,
    pub target: String,
    pub details: String,
}

impl AuditRow {
    pub fn new(page: &Page, r: &medsec_core::audit::Record) -> AuditRow {
        AuditRow {
            seq: r.seq,
            time: page.time(r.at),
            actor: r.actor.clone(),
            source: r.source.clone(),
            action: r.action.clone(),
            action_label: page.t(&format!("action-{}", r.action.replace('.', "-"))),
            outcome: r.outcome.clone(),
            outcome_label: page.t(&format!("outcome-{}", r.outcome)),
            target: match &r.target_id {
                Some(id) => format!("{} {}", r.target_kind, id),
                None => r.target_kind.clone(),
            },
            details: if r.details == "{}" {
                String::new()
            } else {
                r.details.clone()
            },
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTpl<'a> {
    page: &'a Page,
    heading: &'static str,
    last_login: Option<(String, String)>,
    failures: i64,
    org_name: String,
    org_kind: String,
    role: String,
    user_count: i64,
    work: &'static [&'static str],
    recent: Vec<AuditRow>,
}

fn work_for(kind: OrgKind) -> (&'static str, &'static [&'static str]) {
    match kind {
        OrgKind::Manufacturer => (
            "dash-heading-manufacturer",
            &[
                "work-manufacturer-1",
                "work-manufacturer-2",
                "work-manufacturer-3",
            ],
        ),
        OrgKind::Hospital => (
            "dash-heading-hospital",
            &["work-hospital-1", "work-hospital-2", "work-hospital-3"],
        ),
        OrgKind::Isac => (
            "dash-heading-isac",
            &["work-isac-1", "work-isac-2", "work-isac-3"],
        ),
        OrgKind::Regulator => (
            "dash-heading-regulator",
            &["work-regulator-1", "work-regulator-2"],
        ),
    }
}

async fn dashboard(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "nav-dashboard", "dashboard").await?;
    let (heading, work) = work_for(actor.org.kind);
    let user = &actor.user;
    let last_login = user
        .prev_login_at
        .map(|t| (page.time(t), user.prev_login_ip.clone().unwrap_or_default()));
    let is_admin = actor.has(Permission::ViewAudit);
    let filter = AuditFilter {
        actor: (!is_admin).then(|| user.username.clone()),
        limit: 8,
        ..Default::default()
    };
    let records = state
        .store
        .list_audit(&actor.org.id, false, &filter)
        .await?;
    let user_count = state.store.org_user_count(&actor.org.id).await?;
    let tpl = DashboardTpl {
        heading,
        last_login,
        failures: user.failures_before_login,
        org_name: actor.org.name.clone(),
        org_kind: page.kind(actor.org.kind),
        role: page.role(user.role),
        user_count,
        work,
        recent: records.iter().map(|r| AuditRow::new(&page, r)).collect(),
        page: &page,
    };
    Ok(ok(&page, &tpl))
}
