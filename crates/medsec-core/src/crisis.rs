//! Sector crisis levels (사이버 위기경보 단계) and the built-in checklist of
//! actions a member hospital takes at each level.
//!
//! The medical ISAC sets one level for the whole sector (seed 004: "위기
//! 단계별 경보 발령 및 대처 요령 전파", 관심→주의→경계→심각, with 정상 in
//! between). The checklists are data (`data/crisis.toml`), compiled in and
//! parsed once by [`checklists`]; an action's `id` is what members' ticks
//! are stored under, so ids are stable.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// A sector crisis level, lowest first: the derived order is the
/// severity order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 정상: no particular threat; the routine.
    #[default]
    Normal,
    /// 관심: a threat is developing somewhere.
    Attention,
    /// 주의: attacks on the sector are likely.
    Caution,
    /// 경계: attacks on the sector are happening.
    Alert,
    /// 심각: members are being hit; damage is spreading.
    Severe,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Normal,
        Level::Attention,
        Level::Caution,
        Level::Alert,
        Level::Severe,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::Attention => "attention",
            Level::Caution => "caution",
            Level::Alert => "alert",
            Level::Severe => "severe",
        }
    }

    /// The Korean name, as the national alert levels call it.
    pub fn ko(self) -> &'static str {
        match self {
            Level::Normal => "정상",
            Level::Attention => "관심",
            Level::Caution => "주의",
            Level::Alert => "경계",
            Level::Severe => "심각",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Level::Normal => "Normal",
            Level::Attention => "Attention",
            Level::Caution => "Caution",
            Level::Alert => "Alert",
            Level::Severe => "Severe",
        }
    }

    /// 0 for 정상 up to 4 for 심각.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The banner colour (CSS hex), as the national alert levels colour
    /// them: green, blue, yellow, orange, red.
    pub fn colour(self) -> &'static str {
        match self {
            Level::Normal => "#2e7d32",
            Level::Attention => "#1565c0",
            Level::Caution => "#f9a825",
            Level::Alert => "#ef6c00",
            Level::Severe => "#c62828",
        }
    }

    /// The text colour that reads on [`Level::colour`] (contrast of at
    /// least 4.5:1, WCAG AA).
    pub fn text_colour(self) -> &'static str {
        match self {
            Level::Caution | Level::Alert => "#1a1a1a",
            _ => "#ffffff",
        }
    }

    /// Whether members are shown a banner: every level above 정상.
    pub fn raised(self) -> bool {
        self > Level::Normal
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = crate::org::UnknownName;
    /// Accepts the stored name, the Korean name and the English name (any
    /// case), so that `medsec crisis set 경계` and `… alert` both work.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.ko() == s || l.en().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::org::UnknownName {
                what: "crisis level",
                value: s.to_owned(),
            })
    }
}

/// Where an action comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Seed 004 names the service or duty the action rests on.
    #[serde(rename = "seed-004")]
    Seed004,
    /// Korean cyber-crisis practice, reconstructed.
    #[serde(rename = "practice")]
    Practice,
}

/// One thing a member does at a level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub level: Level,
    /// Stable and unique: members' ticks are stored under it.
    pub id: String,
    pub ko: String,
    pub en: String,
    pub source: Source,
    #[serde(default)]
    pub note: Option<String>,
}

impl Action {
    /// The text in Korean or (`english`) English.
    pub fn text(&self, english: bool) -> &str {
        if english { &self.en } else { &self.ko }
    }
}

/// Every level's actions, in the file's order.
#[derive(Clone, Debug, Default)]
pub struct Checklists {
    actions: Vec<Action>,
}

impl Checklists {
    /// The actions of `level`, in order.
    pub fn of(&self, level: Level) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(move |a| a.level == level)
    }

    /// The action `id` of `level`, if that level has it.
    pub fn find(&self, level: Level, id: &str) -> Option<&Action> {
        self.of(level).find(|a| a.id == id)
    }

    /// Every action of every level.
    pub fn all(&self) -> &[Action] {
        &self.actions
    }
}

/// Why the checklist data cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    #[error("crisis.toml: {0}")]
    Parse(String),
    #[error("crisis.toml: action id `{0}` is used twice")]
    Duplicate(String),
    #[error("crisis.toml: action id `{0}` must be 1 to 64 lowercase letters, digits and `-`")]
    BadId(String),
    #[error("crisis.toml: action `{0}` has an empty text")]
    Empty(String),
    #[error("crisis.toml: level {0} has no actions")]
    NoActions(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    action: Vec<Action>,
}

/// The checklist data as compiled in.
pub const CHECKLIST_TOML: &str = include_str!("../data/crisis.toml");

/// Parses and checks checklist data: known levels, unique well-formed ids,
/// texts in both languages, every level with at least one action.
pub fn parse_checklists(text: &str) -> Result<Checklists, ChecklistError> {
    let file: File = toml::from_str(text).map_err(|e| ChecklistError::Parse(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for a in &file.action {
        let well_formed = !a.id.is_empty()
            && a.id.len() <= 64
            && a.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(ChecklistError::BadId(a.id.clone()));
        }
        if !seen.insert(a.id.as_str()) {
            return Err(ChecklistError::Duplicate(a.id.clone()));
        }
        if a.ko.trim().is_empty() || a.en.trim().is_empty() {
            return Err(ChecklistError::Empty(a.id.clone()));
        }
    }
    for level in Level::ALL {
        if !file.action.iter().any(|a| a.level == level) {
            return Err(ChecklistError::NoActions(level.as_str()));
        }
    }
    Ok(Checklists {
        actions: file.action,
    })
}

static CHECKLISTS: LazyLock<Result<Checklists, ChecklistError>> =
    LazyLock::new(|| parse_checklists(CHECKLIST_TOML));

/// The built-in checklists, parsed once. The data is compiled in and
/// checked by this module's tests, so an error here means a broken build.
pub fn checklists() -> Result<&'static Checklists, &'static ChecklistError> {
    CHECKLISTS.as_ref()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_level_has_actions_with_unique_ids() {
        let c = checklists().unwrap();
        let mut ids = std::collections::HashSet::new();
        for level in Level::ALL {
            let actions: Vec<_> = c.of(level).collect();
            assert!(actions.len() >= 3, "{level}: {}", actions.len());
            for a in actions {
                assert!(ids.insert(a.id.clone()), "{} twice", a.id);
                // Ids say their level, so a tick names what it was for.
                assert!(a.id.starts_with(level.as_str()), "{}", a.id);
                assert!(a.ko.chars().any(|c| ('가'..='힣').contains(&c)), "{}", a.id);
                assert!(a.en.is_ascii(), "{}", a.id);
            }
        }
        assert_eq!(ids.len(), c.all().len());
        // What seed 004 says members must do is there.
        let seed: Vec<_> = c
            .all()
            .iter()
            .filter(|a| a.source == Source::Seed004)
            .map(|a| a.id.as_str())
            .collect();
        for id in [
            "attention-log-forwarding",
            "caution-block-indicators",
            "severe-report-isac",
            "severe-notify-ministry",
        ] {
            assert!(seed.contains(&id), "{id}");
        }
        assert!(c.find(Level::Caution, "caution-block-indicators").is_some());
        assert!(c.find(Level::Alert, "caution-block-indicators").is_none());
    }

    #[test]
    fn bad_data_is_refused() {
        let one = |level: &str, id: &str| {
            format!(
                "[[action]]\nlevel = \"{level}\"\nid = \"{id}\"\nko = \"가\"\nen = \"a\"\nsource = \"practice\"\n"
            )
        };
        let all: String = Level::ALL
            .iter()
            .map(|l| one(l.as_str(), &format!("{l}-x")))
            .collect();
        assert!(parse_checklists(&all).is_ok());
        assert_eq!(
            parse_checklists(&format!("{all}{}", one("normal", "normal-x"))).unwrap_err(),
            ChecklistError::Duplicate("normal-x".into())
        );
        assert_eq!(
            parse_checklists(&format!("{all}{}", one("normal", "Normal_X"))).unwrap_err(),
            ChecklistError::BadId("Normal_X".into())
        );
        let without_severe: String = Level::ALL[..4]
            .iter()
            .map(|l| one(l.as_str(), &format!("{l}-x")))
            .collect();
        assert_eq!(
            parse_checklists(&without_severe).unwrap_err(),
            ChecklistError::NoActions("severe")
        );
        assert!(matches!(
            parse_checklists(&one("panic", "x")),
            Err(ChecklistError::Parse(_))
        ));
    }

    #[test]
    fn levels_parse_in_every_spelling_and_order_by_severity() {
        for l in Level::ALL {
            assert_eq!(l.as_str().parse::<Level>().unwrap(), l);
            assert_eq!(l.ko().parse::<Level>().unwrap(), l);
            assert_eq!(l.en().to_uppercase().parse::<Level>().unwrap(), l);
        }
        assert!("red".parse::<Level>().is_err());
        assert!(Level::Severe > Level::Alert && Level::Attention > Level::Normal);
        assert!(!Level::Normal.raised() && Level::Attention.raised());
        assert_eq!(Level::Severe.rank(), 4);
    }
}
