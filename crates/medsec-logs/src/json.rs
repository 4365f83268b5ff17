//! JSON lines: one object per message, flattened to dotted field names
//! (`{"source":{"ip":"10.0.0.1"}}` is `source.ip`), so ECS-shaped JSON
//! passes through under its own names. `@timestamp` is the event time.
//!
//! Values keep their JSON types (numbers, booleans); strings are typed
//! by the schema, so an ECS `source.ip` string becomes an address. Arrays
//! are kept as their compact JSON text (the event model has no lists);
//! `null` and empty strings are left out.

use serde_json::{Map, Value as Json};

use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::schema;
use crate::syslog::TimeContext;

/// An object's entries in key order, whatever order the map keeps
/// (`serde_json`'s `preserve_order`, which yara-x turns on for the whole
/// build, keeps insertion order and reorders on removal).
pub(crate) fn sorted(map: &Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Parses a JSON object, its keys (and those of every object in it)
/// sorted: fields come out in the same order whatever order the sender
/// wrote them in, and whether or not `serde_json` keeps insertion order
/// (yara-x turns its `preserve_order` on for the whole build).
pub(crate) fn parse_object(text: &str) -> Result<Map<String, Json>> {
    match serde_json::from_str::<Json>(text).map(|mut v| {
        v.sort_all_objects();
        v
    }) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(ParseError::new(
            ErrorKind::Json("expected an object".into()),
            text.len() - text.trim_start().len(),
        )),
        Err(e) => {
            let offset = offset_of(text, e.line(), e.column());
            let mut message = e.to_string();
            // serde_json appends " at line L column C"; the offset says it.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            Err(ParseError::new(ErrorKind::Json(message), offset))
        }
    }
}

/// The byte offset of serde_json's 1-based line and column (bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

/// Sets the fields of a JSON value under `name`, flattening objects.
pub(crate) fn flatten(draft: &mut Draft, name: &str, value: &Json) {
    let field = || schema::intern(name);
    match value {
        Json::Null => {}
        Json::Bool(b) => draft.set(field(), Value::Bool(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                draft.set(field(), Value::Int(i));
            } else if let Some(x) = n.as_f64() {
                draft.set(field(), Value::Float(x));
            }
        }
        Json::String(s) => {
            if !s.is_empty() {
                draft.set(field(), schema::typed(name, s));
            }
        }
        Json::Array(items) => {
            if !items.is_empty() {
                draft.set(field(), Value::Str(value.to_string()));
            }
        }
        Json::Object(map) => {
            for (k, v) in sorted(map) {
                let mut child = String::with_capacity(name.len() + 1 + k.len());
                if !name.is_empty() {
                    child.push_str(name);
                    child.push('.');
                }
                child.push_str(k);
                flatten(draft, &child, v);
            }
        }
    }
}

/// Decodes a JSON line: every key flattened, `@timestamp` as the time.
pub(crate) fn decode(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let object = parse_object(text)?;
    decode_object(&object, draft, ctx);
    Ok(())
}

/// Decodes a parsed JSON object (the generic JSON decoder, after shape
/// detection has looked at it).
pub(crate) fn decode_object(object: &Map<String, Json>, draft: &mut Draft, ctx: TimeContext) {
    for (k, v) in sorted(object) {
        if k == "@timestamp"
            && let Some(t) = v
                .as_str()
                .and_then(|s| clock::parse_any(s, ctx.utc_offset, ctx.received))
        {
            draft.timestamp = Some(t);
            continue;
        }
        if k == "@timestamp" {
            // Unreadable: the raw message keeps it.
            continue;
        }
        flatten(draft, k, v);
    }
}

#[cfg(test)]
mod tests;
