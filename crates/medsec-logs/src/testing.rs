//! Test support: one text rendering of fields that all test areas
//! compare against, so an expectation is a readable block of lines.

use crate::event::{Fields, Value};

/// `name=value` per line in insertion order; non-string values say their
/// type: `name:int=42`, `name:ip=10.0.0.1`, `name:float=0.5`,
/// `name:bool=true`.
pub(crate) fn render(fields: &Fields) -> String {
    let mut out = String::new();
    for (name, value) in fields.iter() {
        let (kind, text) = match value {
            Value::Str(s) => ("", s.clone()),
            Value::Int(i) => (":int", i.to_string()),
            Value::Float(x) => (":float", x.to_string()),
            Value::Bool(b) => (":bool", b.to_string()),
            Value::Ip(ip) => (":ip", ip.to_string()),
        };
        out.push_str(name);
        out.push_str(kind);
        out.push('=');
        out.push_str(&text.replace('\n', "\\n"));
        out.push('\n');
    }
    out
}

/// An expectation block with its indentation and blank lines removed.
pub(crate) fn lines(expect: &str) -> String {
    let mut out = String::new();
    for line in expect.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Panics unless every field name is documented in `docs/events.md`.
pub(crate) fn assert_documented(fields: &Fields) {
    for (name, _) in fields.iter() {
        assert!(
            crate::schema::is_documented(name),
            "{name} is not in the schema (src/schema.rs, docs/events.md)"
        );
    }
}
