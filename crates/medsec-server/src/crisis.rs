//! Sector crisis levels (사이버 위기경보) as users see them, for the UI, the
//! API and the CLI: the medical ISAC sets the level with a reason, every
//! member hospital is told (notification and `crisis.level_changed`
//! webhook event) and ticks the built-in checklist of the level in force
//! (`medsec_core::crisis`); the ISAC sees each member's progress.
//!
//! Who may do what: an ISAC user with write permission sets the level; a
//! hospital user with write permission ticks its own organisation's
//! checklist; ISAC and hospital users read the level, the history and the
//! checklist (a hospital only its own ticks, the ISAC every member's);
//! other organisations see nothing here. The callers check the
//! permission (`as_member`), these functions the organisation.
//!
//! Repeating the level in force is allowed only with a different reason:
//! it is a new alert (members are told again and the checklist starts
//! over); the same level with the same reason is refused, since it tells
//! members nothing new.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use medsec_core::crisis::{Checklists, Level};
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::Store;
use medsec_store::crisis::{CrisisChangeRow, CrisisSet, CrisisTick, CrisisTickRow, NewCrisisLevel};
use medsec_store::watch::MemberScope;
use tokio::sync::RwLock;

use crate::assure::By;
use crate::error::{Error, Result};
use crate::i18n::Lang;

/// The shortest and longest reason (characters).
pub const REASON_LEN: std::ops::RangeInclusive<usize> = 5..=1000;

/// How many changes the history shows.
pub const HISTORY_LIMIT: i64 = 200;

/// The built-in checklists; an error is a broken build (the data is
/// compiled in and checked by `medsec-core`'s tests).
pub fn checklists() -> Result<&'static Checklists> {
    medsec_core::crisis::checklists().map_err(|e| Error::Internal(e.to_string()))
}

/// A level's name in the page's language.
pub fn level_name(lang: Lang, level: Level) -> &'static str {
    match lang {
        Lang::Ko => level.ko(),
        Lang::En => level.en(),
    }
}

/// Fails unless the caller is the ISAC.
fn isac(by: &By) -> Result<()> {
    if by.org_kind == OrgKind::Isac {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Whose checklist the caller reads: the ISAC every member's, a hospital
/// its own; other organisations nothing.
pub fn scope(by: &By) -> Result<MemberScope<'_>> {
    crate::watch::scope(by)
}

// --- the level in force, cached for every page's banner ---------------------

/// The level in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Current {
    /// The change in force; `None` before the ISAC set any level (정상).
    pub change: Option<CrisisChangeRow>,
}

impl Current {
    pub fn level(&self) -> Level {
        self.change
            .as_ref()
            .map_or(Level::Normal, CrisisChangeRow::level)
    }

    pub fn reason(&self) -> &str {
        self.change.as_ref().map_or("", |c| c.reason.as_str())
    }

    pub fn since(&self) -> Option<Timestamp> {
        self.change.as_ref().map(|c| Timestamp(c.set_at))
    }
}

/// The level in force, read now (the crisis page and the API; the banner
/// uses the [`Cache`]).
pub async fn current(store: &Store) -> Result<Arc<Current>> {
    Ok(Arc::new(Current {
        change: store.crisis_current().await?,
    }))
}

/// How long a node trusts its cached level before reading it again, so a
/// change made on another node or with `medsec crisis set` shows within
/// seconds; a change made here replaces the cached value at once.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// The level in force as [`crate::state::AppState`] keeps it, so that the
/// banner of every page costs no query.
#[derive(Default)]
pub struct Cache {
    cached: RwLock<Option<(Instant, Arc<Current>)>>,
}

impl Cache {
    /// The level in force (cached for a few seconds).
    pub async fn get(&self, store: &Store) -> Result<Arc<Current>> {
        if let Some((at, current)) = &*self.cached.read().await
            && at.elapsed() < CACHE_TTL
        {
            return Ok(current.clone());
        }
        let fresh = Arc::new(Current {
            change: store.crisis_current().await?,
        });
        *self.cached.write().await = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Replaces the cached level after a change on this node.
    pub async fn put(&self, change: CrisisChangeRow) {
        *self.cached.write().await = Some((
            Instant::now(),
            Arc::new(Current {
                change: Some(change),
            }),
        ));
    }
}

// --- setting the level --------------------------------------------------------

/// Checks a reason: trimmed, line ends made `\n`, 5 to 1000 characters,
/// no control characters but line breaks and tabs.
pub fn check_reason(reason: &str) -> std::result::Result<String, FieldError> {
    let reason = reason.trim().replace("\r\n", "\n");
    let n = reason.chars().count();
    if n == 0 {
        return Err(FieldError::new("reason", "required"));
    }
    if !REASON_LEN.contains(&n) {
        return Err(FieldError::new("reason", "length")
            .with("min", REASON_LEN.start())
            .with("max", REASON_LEN.end()));
    }
    if reason
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new("reason", "control_chars"));
    }
    Ok(reason)
}

/// Sets the sector level (the ISAC only): validated, stored with its audit
/// record, every hospital notified and its webhooks queued, all at once.
/// The caller has checked write permission; UI and API handlers then
/// refresh the cache with [`Cache::put`].
pub async fn set_level(store: &Store, by: &By, level: &str, reason: &str) -> Result<CrisisSet> {
    isac(by)?;
    let mut errors = Vec::new();
    let level = match medsec_core::validate::one_of::<Level>("level", level) {
        Ok(l) => Some(l),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let reason = match check_reason(reason) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(level), Some(reason), true) = (level, reason, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    if let Some(current) = store.crisis_current().await?
        && current.level() == level
        && current.reason == reason
    {
        return Err(Error::field("reason", "crisis_unchanged"));
    }
    let now = Timestamp::now();
    let set = store
        .set_crisis_level(
            &NewCrisisLevel {
                level,
                reason: &reason,
                org_id: &by.org_id,
                set_by_id: by.user_id.as_deref(),
                set_by: &by.name,
            },
            now,
            by.audit(now, medsec_core::audit::Action::CrisisLevelSet),
        )
        .await
        .map_err(|e| match e {
            // Set by someone else in the same instant.
            medsec_store::StoreError::Conflict { .. } => Error::field("reason", "crisis_unchanged"),
            other => other.into(),
        })?;
    tracing::info!(
        level = level.as_str(),
        previous = set.previous.as_str(),
        notified = set.notified,
        deliveries = set.deliveries,
        "crisis level set"
    );
    Ok(set)
}

/// The history, newest first. Hospitals do not see who at the ISAC set
/// each level (`set_by` and `set_by_id` are emptied): they are the ISAC's
/// users.
pub async fn history(store: &Store, by: &By) -> Result<Vec<CrisisChangeRow>> {
    let scope = scope(by)?;
    let mut rows = store.crisis_history(HISTORY_LIMIT).await?;
    if scope != MemberScope::All {
        for r in &mut rows {
            r.set_by = String::new();
            r.set_by_id = None;
        }
    }
    Ok(rows)
}

// --- the checklist ---------------------------------------------------------------

/// One action of the level in force, with the caller's tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub ko: String,
    pub en: String,
    /// The caller's organisation's tick (hospitals; always `None` for the
    /// ISAC, which has no checklist of its own).
    pub done: Option<CrisisTickRow>,
}

impl Item {
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.ko,
            Lang::En => &self.en,
        }
    }
}

/// A member's progress, for the ISAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub member_id: String,
    pub member: String,
    /// The actions done, in checklist order.
    pub done: Vec<String>,
    pub total: usize,
    /// The latest tick.
    pub updated_at: Option<Timestamp>,
}

/// The crisis page and `GET /api/v1/crisis`: the level in force, its
/// checklist with the caller's ticks, and (ISAC) every member's progress.
#[derive(Clone, Debug)]
pub struct View {
    pub current: Arc<Current>,
    pub checklist: Vec<Item>,
    pub members: Vec<Progress>,
    /// Whether the caller's organisation ticks (a hospital).
    pub member: bool,
}

/// Builds the [`View`] for the caller, from `current` (the cached level,
/// or a fresh read).
pub async fn view(store: &Store, by: &By, current: Arc<Current>) -> Result<View> {
    let scope = scope(by)?;
    let level = current.level();
    let actions: Vec<_> = checklists()?.of(level).collect();
    let ticks = match &current.change {
        Some(c) => store.crisis_ticks(scope, &c.id).await?,
        None => Vec::new(),
    };
    let member = by.org_kind == OrgKind::Hospital;
    let checklist = actions
        .iter()
        .map(|a| Item {
            id: a.id.clone(),
            ko: a.ko.clone(),
            en: a.en.clone(),
            done: ticks
                .iter()
                .find(|t| member && t.org_id == by.org_id && t.action_id == a.id)
                .cloned(),
        })
        .collect();
    let mut members = Vec::new();
    if scope == MemberScope::All {
        let mut by_member: HashMap<&str, Vec<&CrisisTickRow>> = HashMap::new();
        for t in &ticks {
            by_member.entry(t.org_id.as_str()).or_default().push(t);
        }
        for org in store.list_orgs().await? {
            if org.kind != OrgKind::Hospital || !org.enabled {
                continue;
            }
            let mine = by_member.remove(org.id.as_str()).unwrap_or_default();
            members.push(Progress {
                done: actions
                    .iter()
                    .filter(|a| mine.iter().any(|t| t.action_id == a.id))
                    .map(|a| a.id.clone())
                    .collect(),
                total: actions.len(),
                updated_at: mine.iter().map(|t| Timestamp(t.done_at)).max(),
                member_id: org.id,
                member: org.name,
            });
        }
        members.sort_by(|a, b| a.member.cmp(&b.member));
    }
    Ok(View {
        current,
        checklist,
        members,
        member,
    })
}

/// Marks an action of the level in force done (or, `done = false`, not
/// done) for the caller's hospital, audited. `Ok(false)` when it already
/// was. An action that is not on the checklist in force, or any action
/// before the ISAC set a level, is not found.
pub async fn tick(store: &Store, by: &By, action_id: &str, done: bool) -> Result<Item> {
    if by.org_kind != OrgKind::Hospital {
        return Err(Error::Forbidden);
    }
    let Some(change) = store.crisis_current().await? else {
        return Err(Error::NotFound);
    };
    let Some(action) = checklists()?.find(change.level(), action_id) else {
        return Err(Error::NotFound);
    };
    let now = Timestamp::now();
    store
        .tick_crisis_action(
            &CrisisTick {
                org_id: &by.org_id,
                change_id: &change.id,
                action_id,
                done,
                by_id: by.user_id.as_deref(),
                by: &by.name,
            },
            now,
            by.audit(now, medsec_core::audit::Action::CrisisChecklistUpdated),
        )
        .await
        .map_err(|e| match e {
            // The ISAC changed the level since the page was read.
            medsec_store::StoreError::Conflict { .. } => Error::NotFound,
            other => other.into(),
        })?;
    let done = store
        .crisis_ticks(MemberScope::Member(&by.org_id), &change.id)
        .await?
        .into_iter()
        .find(|t| t.action_id == action.id);
    Ok(Item {
        id: action.id.clone(),
        ko: action.ko.clone(),
        en: action.en.clone(),
        done,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reasons_are_checked() {
        assert_eq!(
            check_reason("  랜섬웨어 확산\r\n의료기관 대상  ").unwrap(),
            "랜섬웨어 확산\n의료기관 대상"
        );
        assert_eq!(check_reason(" ").unwrap_err().code, "required");
        assert_eq!(check_reason("짧음").unwrap_err().code, "length");
        assert_eq!(check_reason(&"가".repeat(1001)).unwrap_err().code, "length");
        assert!(check_reason(&"가".repeat(1000)).is_ok());
        assert_eq!(
            check_reason("bell \u{7} here").unwrap_err().code,
            "control_chars"
        );
    }

    #[test]
    fn the_banner_colours_are_in_the_style_sheet() {
        // The banner is coloured by class (the CSP forbids inline styles):
        // each level's class must carry the level's colour.
        let css = include_str!("../assets/medsec.css");
        for level in Level::ALL {
            let rule = css
                .lines()
                .find(|l| l.starts_with(&format!(".crisis-{} {{", level.as_str())))
                .unwrap_or_else(|| panic!("no .crisis-{} rule", level.as_str()));
            assert!(rule.contains(level.colour()), "{rule}");
            assert!(rule.contains(level.text_colour()), "{rule}");
        }
    }
}
