//! Mandatory tests of `/document`: the revision history against the
//! document version and status (6.1.14, 6.1.16–6.1.22, 6.1.30) and the
//! language and category rules (6.1.15, 6.1.26, 6.1.28).

use std::cmp::Ordering;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Checker;
use crate::model::{PublisherCategory, TrackingStatus};

pub(super) fn check(c: &mut Checker<'_>) {
    let d = &c.advisory.document;
    if d.publisher.category == PublisherCategory::Translator && d.source_lang.is_none() {
        c.fail(
            "6.1.15",
            "/document/source_lang".to_owned(),
            "the publisher is a translator but the document has no source_lang".to_owned(),
        );
    }
    revision_history(c);
    category(c);
    if let (Some(lang), Some(source)) = (&d.lang, &d.source_lang)
        && lang.eq_ignore_ascii_case(source)
    {
        c.fail(
            "6.1.28",
            "/document/source_lang".to_owned(),
            format!("the document language and the source language are both `{lang}`"),
        );
    }
}

/// An RFC 3339 date-time as nanoseconds since the epoch, so that the same
/// instant written with different offsets or precision compares equal.
pub(crate) fn instant(date: &str) -> Option<i128> {
    OffsetDateTime::parse(date, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp_nanos)
}

/// A document version (`version_t`): integer or semantic versioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocVersion {
    Integer(u64),
    Semantic {
        major: u64,
        minor: u64,
        patch: u64,
        pre: Vec<String>,
    },
}

impl DocVersion {
    pub(crate) fn parse(s: &str) -> Option<DocVersion> {
        let number = |t: &str| {
            let ok = !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_digit())
                && (t == "0" || !t.starts_with('0'));
            if ok { t.parse::<u64>().ok() } else { None }
        };
        if let Some(n) = number(s) {
            return Some(DocVersion::Integer(n));
        }
        let (core, build) = match s.split_once('+') {
            Some((core, build)) => (core, Some(build)),
            None => (s, None),
        };
        if let Some(build) = build
            && (build.is_empty()
                || !build.split('.').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                }))
        {
            return None;
        }
        let (core, pre) = match core.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (core, None),
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = number(parts.next()?)?;
        let patch = number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => {
                let ids: Vec<String> = pre.split('.').map(str::to_owned).collect();
                let valid = ids.iter().all(|id| {
                    !id.is_empty()
                        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && (!id.bytes().all(|b| b.is_ascii_digit()) || number(id).is_some())
                });
                if !valid {
                    return None;
                }
                ids
            }
        };
        Some(DocVersion::Semantic {
            major,
            minor,
            patch,
            pre,
        })
    }

    pub(crate) fn major(&self) -> u64 {
        match self {
            DocVersion::Integer(n) => *n,
            DocVersion::Semantic { major, .. } => *major,
        }
    }

    fn is_prerelease(&self) -> bool {
        matches!(self, DocVersion::Semantic { pre, .. } if !pre.is_empty())
    }
}

impl Ord for DocVersion {
    /// Semantic versioning precedence; an integer version `n` counts as
    /// `n.0.0`.
    fn cmp(&self, other: &DocVersion) -> Ordering {
        let key = |v: &DocVersion| match v {
            DocVersion::Integer(n) => (*n, 0, 0),
            DocVersion::Semantic {
                major,
                minor,
                patch,
                ..
            } => (*major, *minor, *patch),
        };
        let pre = |v: &DocVersion| match v {
            DocVersion::Integer(_) => Vec::new(),
            DocVersion::Semantic { pre, .. } => pre.clone(),
        };
        key(self).cmp(&key(other)).then_with(|| {
            let (a, b) = (pre(self), pre(other));
            match (a.is_empty(), b.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (x, y) in a.iter().zip(&b) {
                        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => x.cmp(y),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    a.len().cmp(&b.len())
                }
            }
        })
    }
}

impl PartialOrd for DocVersion {
    fn partial_cmp(&self, other: &DocVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `version` without build metadata, and without the pre-release part
/// for a draft (6.1.16).
fn normalized(version: &str, draft: bool) -> &str {
    let v = version.split('+').next().unwrap_or(version);
    if draft {
        v.split('-').next().unwrap_or(v)
    } else {
        v
    }
}

fn revision_history(c: &mut Checker<'_>) {
    let t = &c.advisory.document.tracking;
    let released = matches!(t.status, TrackingStatus::Final | TrackingStatus::Interim);
    let version = DocVersion::parse(&t.version);

    // 6.1.17, 6.1.20: the document version against the status.
    if let Some(v) = &version {
        if t.status != TrackingStatus::Draft && (v.major() == 0 || v.is_prerelease()) {
            c.fail(
                "6.1.17",
                "/document/tracking/status".to_owned(),
                format!(
                    "the version `{}` is a pre-release or 0.y.z, so the status must be draft",
                    t.version
                ),
            );
        }
        if released && v.is_prerelease() {
            c.fail(
                "6.1.20",
                "/document/tracking/version".to_owned(),
                format!(
                    "the document is released but its version `{}` has a pre-release part",
                    t.version
                ),
            );
        }
    }

    let mut numbers = Vec::new();
    let mut first_with: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut scheme: Option<bool> = None;
    for (i, r) in t.revision_history.iter().enumerate() {
        let at = format!("/document/tracking/revision_history/{i}/number");
        let parsed = DocVersion::parse(&r.number);
        if let Some(v) = &parsed {
            if released && v.major() == 0 {
                c.fail(
                    "6.1.18",
                    at.clone(),
                    format!(
                        "the document is released but the revision history has version `{}`",
                        r.number
                    ),
                );
            }
            if v.is_prerelease() {
                c.fail(
                    "6.1.19",
                    at.clone(),
                    format!("the revision `{}` is a pre-release", r.number),
                );
            }
            // 6.1.30: the first revision decides the versioning scheme.
            let integer = matches!(v, DocVersion::Integer(_));
            if *scheme.get_or_insert(integer) != integer {
                c.fail(
                    "6.1.30",
                    at.clone(),
                    "integer and semantic versioning are mixed in the revision history".to_owned(),
                );
            }
        }
        if let Some(j) = first_with.get(r.number.as_str()) {
            c.fail(
                "6.1.22",
                at,
                format!(
                    "version `{}` is already in the revision history at item {j}",
                    r.number
                ),
            );
        } else {
            first_with.insert(&r.number, i);
        }
        numbers.push((instant(&r.date), parsed, r.number.as_str()));
    }
    if let (Some(scheme), Some(v)) = (scheme, &version)
        && scheme != matches!(v, DocVersion::Integer(_))
    {
        c.fail(
            "6.1.30",
            "/document/tracking/version".to_owned(),
            "the document version does not use the versioning of the revision history".to_owned(),
        );
    }

    // The ordering tests need every date and number readable; otherwise
    // the schema already fails and an order would be guesswork.
    let mut sorted: Vec<(i128, DocVersion, &str)> = Vec::new();
    for (date, v, number) in numbers {
        match (date, v) {
            (Some(date), Some(v)) => sorted.push((date, v, number)),
            _ => return,
        }
    }
    // Revisions of the same instant are taken in version order.
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));

    // 6.1.14
    if sorted.windows(2).any(|w| w[1].1 < w[0].1) {
        c.fail(
            "6.1.14",
            "/document/tracking/revision_history".to_owned(),
            "sorted by date, the revision numbers are not ascending".to_owned(),
        );
    }

    // 6.1.16
    if let Some((_, _, last)) = sorted.last() {
        let draft = t.status == TrackingStatus::Draft;
        if normalized(last, draft) != normalized(&t.version, draft) {
            c.fail(
                "6.1.16",
                "/document/tracking/version".to_owned(),
                format!(
                    "the document version is `{}` but the latest revision is `{last}`",
                    t.version
                ),
            );
        }
    }

    // 6.1.21: the major versions, in date order and each once, start at 0
    // or 1 and leave none out.
    let mut majors: Vec<u64> = Vec::new();
    for (_, v, _) in &sorted {
        if !majors.contains(&v.major()) {
            majors.push(v.major());
        }
    }
    if let Some(&first) = majors.first() {
        if first > 1 {
            c.fail(
                "6.1.21",
                "/document/tracking/revision_history".to_owned(),
                format!("the revision history starts at version {first}, not 0 or 1"),
            );
        } else if let Some((i, _)) = majors
            .iter()
            .enumerate()
            .find(|(i, m)| **m > first + *i as u64)
        {
            c.fail(
                "6.1.21",
                "/document/tracking/revision_history".to_owned(),
                format!(
                    "version {} is missing from the revision history",
                    first + i as u64
                ),
            );
        }
    }
}

/// 6.1.26 Prohibited Document Category Name.
fn category(c: &mut Checker<'_>) {
    const PROFILES: [&str; 5] = [
        "csaf_base",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    ];
    const OTHER_NAMES: [&str; 8] = [
        "Security incident response",
        "Informational Advisory",
        "Security Advisory",
        "VEX",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    ];
    let category = c.advisory.document.category.as_str();
    if PROFILES.contains(&category) {
        return;
    }
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|ch| !(ch.is_whitespace() || *ch == '-' || *ch == '_'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let message = if category.to_lowercase().starts_with("csaf_") {
        format!("`{category}` starts with the reserved prefix `csaf_`")
    } else if let Some(name) = OTHER_NAMES.iter().find(|n| {
        squash(n) == squash(category) || squash(n.trim_start_matches("csaf_")) == squash(category)
    }) {
        format!("`{category}` is the name of the profile `{name}`")
    } else {
        return;
    };
    c.fail("6.1.26", "/document/category".to_owned(), message);
}
