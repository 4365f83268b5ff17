//! STIX 2.1 indicators: a bundle (`{"type": "bundle", "objects": […]}`),
//! a single object, or a JSON array of objects.
//!
//! Objects of `type: indicator` are read; other objects (identities,
//! relationships, malware, marking definitions, …) are counted and left
//! alone. Of an indicator, medsec takes `id`, `pattern`, `pattern_type`
//! (absent, as in STIX 2.0, means `stix`), `valid_from`, `valid_until`,
//! `revoked`, `name`, `description`, `labels`, `indicator_types` and
//! `confidence`; when a file holds several versions of one indicator (the
//! same `id`), the one `modified` last counts and the others are reported
//! as superseded.
//!
//! A pattern becomes one indicator per value it names
//! ([`super::pattern::Pattern::extract`]); what cannot be matched one event
//! at a time is reported in [`Parsed::skipped`] with the reason, never
//! dropped silently, and so are patterns of another language (`snort`,
//! `yara`, `sigma`, …).
//!
//! The file is refused whole ([`StixError`], naming the object's place,
//! its id, the JSON path and for a pattern the column) when it is not
//! JSON, not STIX, or when an indicator lacks `id`, `pattern` or
//! `valid_from`, has a property of the wrong type, a timestamp that is not
//! RFC 3339, `valid_until` not after `valid_from`, a confidence outside
//! 0–100, or a pattern that is not valid STIX patterning.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{Indicator, Parsed, Skipped};

/// Why a STIX file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StixError {
    #[error("not JSON: line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not STIX: {0}")]
    NotStix(String),
    #[error("{}", object_message(.index, .id, .path, .column, .message))]
    Object {
        /// The object's place in the bundle or array.
        index: usize,
        id: Option<String>,
        /// The JSON path of what is wrong (`objects[3].pattern`).
        path: String,
        /// For a pattern, the column in it (characters, from 1).
        column: Option<usize>,
        message: String,
    },
}

fn object_message(
    index: &usize,
    id: &Option<String>,
    path: &str,
    column: &Option<usize>,
    message: &str,
) -> String {
    let at = match column {
        Some(c) => format!("{path}, column {c}"),
        None => path.to_owned(),
    };
    match id {
        Some(id) => format!("{at} (object {index}, {id}): {message}"),
        None => format!("{at} (object {index}): {message}"),
    }
}

#[derive(Clone, Copy)]
enum Layout {
    Bundle,
    Array,
    Single,
}

struct Object<'a> {
    map: &'a Map<String, Json>,
    index: usize,
    id: Option<String>,
    layout: Layout,
}

impl Object<'_> {
    fn path(&self, field: &str) -> String {
        let base = match self.layout {
            Layout::Bundle => format!("objects[{}]", self.index),
            Layout::Array => format!("[{}]", self.index),
            Layout::Single => String::new(),
        };
        match (base.is_empty(), field.is_empty()) {
            (true, true) => "(the object)".into(),
            (true, false) => field.to_owned(),
            (false, true) => base,
            (false, false) => format!("{base}.{field}"),
        }
    }

    fn err(&self, field: &str, message: impl Into<String>) -> StixError {
        StixError::Object {
            index: self.index,
            id: self.id.clone(),
            path: self.path(field),
            column: None,
            message: message.into(),
        }
    }

    fn opt_str(&self, field: &str) -> Result<Option<&str>, StixError> {
        match self.map.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.err(field, "expected a string")),
        }
    }

    fn req_str(&self, field: &str) -> Result<&str, StixError> {
        self.opt_str(field)?
            .ok_or_else(|| self.err(field, "missing (required for an indicator)"))
    }

    fn opt_time(&self, field: &str) -> Result<Option<i64>, StixError> {
        let Some(s) = self.opt_str(field)? else {
            return Ok(None);
        };
        parse_time(s)
            .map(Some)
            .ok_or_else(|| self.err(field, format!("`{s}` is not an RFC 3339 timestamp")))
    }

    fn opt_bool(&self, field: &str) -> Result<bool, StixError> {
        match self.map.get(field) {
            None | Some(Json::Null) => Ok(false),
            Some(Json::Bool(b)) => Ok(*b),
            Some(_) => Err(self.err(field, "expected true or false")),
        }
    }

    fn strings(&self, field: &str, out: &mut Vec<String>) -> Result<(), StixError> {
        match self.map.get(field) {
            None | Some(Json::Null) => Ok(()),
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let Some(s) = item.as_str() else {
                        return Err(self.err(&format!("{field}[{i}]"), "expected a string"));
                    };
                    if !out.iter().any(|o| o == s) {
                        out.push(s.to_owned());
                    }
                }
                Ok(())
            }
            Some(_) => Err(self.err(field, "expected a list of strings")),
        }
    }

    fn confidence(&self) -> Result<Option<u8>, StixError> {
        match self.map.get("confidence") {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|c| *c <= 100)
                .and_then(|c| u8::try_from(c).ok())
                .map(Some)
                .ok_or_else(|| self.err("confidence", "expected an integer from 0 to 100")),
        }
    }
}

/// RFC 3339 as milliseconds since the Unix epoch.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// One indicator object, read.
struct Read {
    index: usize,
    id: String,
    modified: Option<i64>,
    outcome: Outcome,
}

enum Outcome {
    Indicators(Vec<Indicator>, Option<String>),
    Skipped(String),
}

/// Reads a STIX 2.1 bundle, object or array of objects; `source` names
/// where the indicators come from.
pub fn read(bytes: &[u8], source: &str) -> Result<Parsed, StixError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Json = serde_json::from_slice(bytes).map_err(|e| {
        let mut message = e.to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        StixError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    let not_stix = || {
        StixError::NotStix(
            "expected a STIX bundle, a STIX object or a JSON array of STIX objects".into(),
        )
    };
    let (objects, layout): (&[Json], Layout) = match &doc {
        Json::Array(items) => (items, Layout::Array),
        Json::Object(m) => match m.get("type").and_then(Json::as_str) {
            Some("bundle") => match m.get("objects") {
                None => (&[], Layout::Bundle),
                Some(Json::Array(items)) => (items, Layout::Bundle),
                Some(_) => {
                    return Err(StixError::NotStix(
                        "objects: expected an array of objects".into(),
                    ));
                }
            },
            Some(_) => (std::slice::from_ref(&doc), Layout::Single),
            None => return Err(not_stix()),
        },
        _ => return Err(not_stix()),
    };
    let source: Arc<str> = Arc::from(source);
    let mut parsed = Parsed::default();
    let mut read = Vec::new();
    for (index, value) in objects.iter().enumerate() {
        let Json::Object(map) = value else {
            let o = Object {
                map: &Map::new(),
                index,
                id: None,
                layout,
            };
            return Err(o.err("", "expected an object"));
        };
        let mut o = Object {
            map,
            index,
            id: None,
            layout,
        };
        let kind = o.req_str("type")?;
        if kind != "indicator" {
            parsed.other_objects += 1;
            continue;
        }
        let id = o.req_str("id")?.to_owned();
        o.id = Some(id.clone());
        read.push(indicator(&o, id, &source)?);
    }
    // Several versions of one indicator: the one modified last (the later
    // in the file on a tie) counts.
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for (i, r) in read.iter().enumerate() {
        let slot = latest.entry(&r.id).or_insert(i);
        if read
            .get(*slot)
            .is_some_and(|best| best.modified <= r.modified)
        {
            *slot = i;
        }
    }
    let winners: Vec<(usize, Option<i64>)> = read
        .iter()
        .map(|r| {
            let w = latest.get(r.id.as_str()).copied().unwrap_or_default();
            let best = read.get(w);
            (
                best.map_or(r.index, |b| b.index),
                best.and_then(|b| b.modified),
            )
        })
        .collect();
    for (r, (winner, modified)) in read.into_iter().zip(winners) {
        if winner != r.index {
            let when = modified.map_or_else(
                || "without a modified time".to_owned(),
                |m| {
                    format!(
                        "modified {}",
                        medsec_logs::clock::format_rfc3339(m.saturating_mul(1_000_000))
                    )
                },
            );
            parsed.skipped.push(Skipped {
                index: r.index,
                id: r.id,
                reason: format!("superseded by the version of object {winner} ({when})"),
            });
            continue;
        }
        match r.outcome {
            Outcome::Indicators(list, partly) => {
                parsed.indicators.extend(list);
                if let Some(reason) = partly {
                    parsed.skipped.push(Skipped {
                        index: r.index,
                        id: r.id,
                        reason,
                    });
                }
            }
            Outcome::Skipped(reason) => parsed.skipped.push(Skipped {
                index: r.index,
                id: r.id,
                reason,
            }),
        }
    }
    Ok(parsed)
}

fn indicator(o: &Object<'_>, id: String, source: &Arc<str>) -> Result<Read, StixError> {
    let pattern = o.req_str("pattern")?;
    let pattern_type = o.opt_str("pattern_type")?.unwrap_or("stix");
    let valid_from = o
        .opt_time("valid_from")?
        .ok_or_else(|| o.err("valid_from", "missing (required for an indicator)"))?;
    let valid_until = o.opt_time("valid_until")?;
    if valid_until.is_some_and(|u| u <= valid_from) {
        return Err(o.err("valid_until", "must be later than valid_from"));
    }
    let modified = o.opt_time("modified")?;
    o.opt_time("created")?;
    let revoked = o.opt_bool("revoked")?;
    let name = o.opt_str("name")?.map(str::to_owned);
    let description = o.opt_str("description")?.map(str::to_owned);
    let mut labels = Vec::new();
    o.strings("labels", &mut labels)?;
    o.strings("indicator_types", &mut labels)?;
    let confidence = o.confidence()?;
    if pattern_type != "stix" {
        return Ok(Read {
            index: o.index,
            id,
            modified,
            outcome: Outcome::Skipped(format!(
                "pattern_type `{pattern_type}`: not a STIX pattern; medsec matches STIX patterns"
            )),
        });
    }
    let parsed = super::pattern::parse(pattern).map_err(|e| StixError::Object {
        index: o.index,
        id: o.id.clone(),
        path: o.path("pattern"),
        column: Some(e.column),
        message: e.message,
    })?;
    let found = parsed.extract();
    let outcome = if found.values.is_empty() {
        Outcome::Skipped(found.unmatched.join("; "))
    } else {
        let list = found
            .values
            .into_iter()
            .map(|(kind, value)| Indicator {
                id: id.clone(),
                kind,
                value,
                source: source.clone(),
                name: name.clone(),
                description: description.clone(),
                labels: labels.clone(),
                confidence,
                valid_from,
                valid_until,
                revoked,
            })
            .collect();
        let partly = (!found.unmatched.is_empty())
            .then(|| format!("partly matched: {}", found.unmatched.join("; ")));
        Outcome::Indicators(list, partly)
    };
    Ok(Read {
        index: o.index,
        id,
        modified,
        outcome,
    })
}
