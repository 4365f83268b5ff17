//! OSV affected ranges (`affected[].ranges[]`), evaluated exactly as the
//! OSV schema's "Evaluation" section defines: a version is affected by a
//! range when it is below one of the range's `limit`s (or there are none,
//! or one is `*`), and the last event that "fires" for it, walking the
//! events sorted by version, is an `introduced`. An `introduced` or
//! `fixed` event fires when the version is at or above it, a
//! `last_affected` when the version is above it; `introduced: "0"` is
//! below every version.
//!
//! [`Range::new`] parses and sorts the events once; [`Range::contains`]
//! then costs a binary search and no allocation, and [`Range::affects`]
//! allocates only the [`Interval`] it returns on a hit. Events of equal
//! versions keep their order in the record (the pseudocode's `sorted` is
//! stable), so `fixed: 1.0, introduced: 1.0` leaves 1.0 affected and the
//! reverse does not. The sort never panics, even on orderings that are not
//! total (apk's), because it is an insertion sort.

use std::cmp::Ordering;

use crate::{Ecosystem, Scheme, Version, VersionError};

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeType {
    Semver,
    Ecosystem,
    Git,
}

impl RangeType {
    /// The type as OSV writes it: `SEMVER`, `ECOSYSTEM` or `GIT`.
    pub fn from_osv(name: &str) -> Option<RangeType> {
        match name {
            "SEMVER" => Some(RangeType::Semver),
            "ECOSYSTEM" => Some(RangeType::Ecosystem),
            "GIT" => Some(RangeType::Git),
            _ => None,
        }
    }

    pub fn osv_name(self) -> &'static str {
        match self {
            RangeType::Semver => "SEMVER",
            RangeType::Ecosystem => "ECOSYSTEM",
            RangeType::Git => "GIT",
        }
    }
}

impl std::fmt::Display for RangeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// The kind of an event of `affected[].ranges[].events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

impl EventKind {
    /// The kind from its OSV key: `introduced`, `fixed`, `last_affected`
    /// or `limit`.
    pub fn from_osv(key: &str) -> Option<EventKind> {
        match key {
            "introduced" => Some(EventKind::Introduced),
            "fixed" => Some(EventKind::Fixed),
            "last_affected" => Some(EventKind::LastAffected),
            "limit" => Some(EventKind::Limit),
            _ => None,
        }
    }

    pub fn osv_name(self) -> &'static str {
        match self {
            EventKind::Introduced => "introduced",
            EventKind::Fixed => "fixed",
            EventKind::LastAffected => "last_affected",
            EventKind::Limit => "limit",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// A range OSV does not allow, or whose versions its scheme rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("the `{kind}` event of a {range_type} range: {error}")]
    Version {
        range_type: RangeType,
        kind: EventKind,
        error: VersionError,
    },
    #[error("a {range_type} range has no `introduced` event, which the OSV schema requires")]
    NoIntroduced { range_type: RangeType },
}

/// One event, its version parsed (`None`: `introduced: "0"`, below
/// everything, or a `GIT` commit, which is not a version).
#[derive(Debug, Clone)]
struct Event {
    kind: EventKind,
    version: Option<Version>,
    text: Box<str>,
}

impl Event {
    /// Compares the event's version with `v`; `introduced: "0"` is below
    /// every version.
    #[inline]
    fn cmp_version(&self, v: &Version) -> Ordering {
        match &self.version {
            None => Ordering::Less,
            Some(e) => e.partial_cmp(v).unwrap_or(Ordering::Less),
        }
    }
}

/// One OSV `ranges[]` entry with its versions parsed once.
#[derive(Debug, Clone)]
pub struct Range {
    range_type: RangeType,
    scheme: Option<Scheme>,
    /// `introduced`, `fixed` and `last_affected` events, sorted by version
    /// (stable); in record order for `GIT`.
    events: Vec<Event>,
    /// `limit` events other than `*`, sorted.
    limits: Vec<Event>,
    /// No `limit` event, or a `*` one: nothing is beyond the limits.
    unlimited: bool,
}

/// The interval of a range that holds a version: the events that bound
/// it, as the record writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// `None` means "0", i.e. from the start.
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

impl std::fmt::Display for Interval {
    /// `>= 1.2.0, < 1.4.3`, `>= 0, <= 2.0`, or `>= 1.0` when unbounded.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, ">= {}", self.introduced.as_deref().unwrap_or("0"))?;
        if let Some(fixed) = &self.fixed {
            write!(f, ", < {fixed}")?;
        }
        if let Some(last) = &self.last_affected {
            write!(f, ", <= {last}")?;
        }
        if let Some(limit) = &self.limit {
            write!(f, ", < {limit} (limit)")?;
        }
        Ok(())
    }
}

/// A stable insertion sort: ranges have few events, and unlike
/// `slice::sort_by` it cannot panic when an ordering is not total.
fn sort_events(events: &mut [Event]) {
    for i in 1..events.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (events.get(j - 1), events.get(j)) else {
                break;
            };
            let greater = match (&a.version, &b.version) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(x), Some(y)) => x.partial_cmp(y) == Some(Ordering::Greater),
            };
            if !greater {
                break;
            }
            events.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Where `v` falls in a range: the index of the event that decides, and
/// the limit it is below.
#[derive(Debug, Clone, Copy)]
struct Hit {
    introduced: usize,
    limit: Option<usize>,
}

impl Range {
    /// Parses and sorts a range's events. `ecosystem` decides the scheme
    /// of `ECOSYSTEM` ranges; `SEMVER` ranges always use semver 2.0 (a
    /// leading `v` tolerated, as Go writes it); `GIT` ranges keep commit
    /// ids and never contain a version string. Errors name the event and
    /// the bad version.
    pub fn new(
        range_type: RangeType,
        ecosystem: Ecosystem,
        events: &[(EventKind, &str)],
    ) -> Result<Range, RangeError> {
        let scheme = match range_type {
            RangeType::Semver => Some(Scheme::Semver),
            RangeType::Ecosystem => Some(ecosystem.scheme()),
            RangeType::Git => None,
        };
        if !events.iter().any(|(k, _)| *k == EventKind::Introduced) {
            return Err(RangeError::NoIntroduced { range_type });
        }
        let mut sorted = Vec::with_capacity(events.len());
        let mut limits = Vec::new();
        let mut unlimited = !events.iter().any(|(k, _)| *k == EventKind::Limit);
        for &(kind, text) in events {
            let version = match scheme {
                None => None,
                Some(_) if kind == EventKind::Introduced && text == "0" => None,
                Some(_) if kind == EventKind::Limit && text.contains('*') => {
                    unlimited = true;
                    continue;
                }
                Some(scheme) => Some(scheme.parse(text).map_err(|error| RangeError::Version {
                    range_type,
                    kind,
                    error,
                })?),
            };
            let event = Event {
                kind,
                version,
                text: text.into(),
            };
            if kind == EventKind::Limit {
                limits.push(event);
            } else {
                sorted.push(event);
            }
        }
        if scheme.is_some() {
            sort_events(&mut sorted);
            sort_events(&mut limits);
        }
        Ok(Range {
            range_type,
            scheme,
            events: sorted,
            limits,
            unlimited,
        })
    }

    pub fn range_type(&self) -> RangeType {
        self.range_type
    }

    /// The scheme versions must be parsed in to be tested; `None` for
    /// `GIT`.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// The events as given (but sorted, limits last), as `(kind, text)`.
    pub fn events(&self) -> impl Iterator<Item = (EventKind, &str)> {
        self.events
            .iter()
            .chain(&self.limits)
            .map(|e| (e.kind, &*e.text))
    }

    /// The OSV algorithm, without allocating.
    #[inline]
    fn hit(&self, v: &Version) -> Option<Hit> {
        if self.scheme != Some(v.scheme()) {
            return None;
        }
        let limit = if self.unlimited {
            None
        } else {
            // The smallest limit above `v`; none means `v` is beyond them.
            let i = self.limits.partition_point(|l| l.cmp_version(v).is_le());
            self.limits.get(i)?;
            Some(i)
        };
        // Events below `v` all fire; of those equal to `v`, `introduced`
        // and `fixed` do and `last_affected` does not; the last to fire
        // decides.
        let below = self.events.partition_point(|e| e.cmp_version(v).is_lt());
        let mut last = below.checked_sub(1);
        for (i, e) in self.events.iter().enumerate().skip(below) {
            if e.cmp_version(v).is_ne() {
                break;
            }
            if e.kind != EventKind::LastAffected {
                last = Some(i);
            }
        }
        let last = last?;
        (self.events.get(last)?.kind == EventKind::Introduced).then_some(Hit {
            introduced: last,
            limit,
        })
    }

    /// Is `version` (parsed in [`Range::scheme`]) affected? Never for a
    /// version of another scheme, nor for `GIT` ranges, which need the
    /// repository's commit graph.
    #[inline]
    pub fn contains(&self, version: &Version) -> bool {
        self.hit(version).is_some()
    }

    /// Is `version` (parsed in [`Range::scheme`]) affected? Returns the
    /// interval that contains it, for the explanation shown to users.
    pub fn affects(&self, version: &Version) -> Option<Interval> {
        let hit = self.hit(version)?;
        let introduced = self.events.get(hit.introduced)?;
        // The interval ends at the next event that can end it.
        let end = self
            .events
            .iter()
            .skip(hit.introduced + 1)
            .find(|e| e.kind != EventKind::Introduced);
        let text = |kind| end.filter(|e| e.kind == kind).map(|e| e.text.to_string());
        Some(Interval {
            introduced: introduced
                .version
                .as_ref()
                .map(|_| introduced.text.to_string()),
            fixed: text(EventKind::Fixed),
            last_affected: text(EventKind::LastAffected),
            limit: hit
                .limit
                .and_then(|i| self.limits.get(i))
                .map(|l| l.text.to_string()),
        })
    }

    /// Same as [`Range::affects`], under the name the matcher may prefer.
    pub fn interval_of(&self, version: &Version) -> Option<Interval> {
        self.affects(version)
    }
}

#[cfg(test)]
mod tests;
