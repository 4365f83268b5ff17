//! Reading the crate's own documents (risk register, test plan) entry by
//! entry, so that an error names the entry's id and the field rather than
//! an index into the whole file.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::profile::Format;

/// An entry and field at fault: (``risk `R-1` ``, `exploitability.vector`,
/// message).
pub(crate) type EntryError = (String, String, String);

/// The document as a JSON value, from TOML or JSON; a syntax error with
/// its line and column. TOML dates and times (`on = 2025-03-07`, unquoted)
/// become the strings they are written as.
pub(crate) fn parse(text: &str, format: Format) -> Result<Value, String> {
    match format {
        Format::Toml => toml::from_str::<toml::Table>(text)
            .map(|t| from_toml(toml::Value::Table(t)))
            .map_err(|e| e.to_string().trim_end().to_owned()),
        Format::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

fn from_toml(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(n) => Value::from(n),
        toml::Value::Float(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, from_toml(v))).collect())
        }
    }
}

/// Deserialises one value, naming `entry` and the path inside it.
pub(crate) fn take<T: DeserializeOwned>(value: Value, entry: &str) -> Result<T, EntryError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        (entry.to_owned(), field, e.into_inner().to_string())
    })
}

/// Deserialises an array of entries of kind `what`, each named by its
/// `id` (``risk `R-1` ``) or, without one, its index (`risk[3]`).
pub(crate) fn list<T: DeserializeOwned>(
    value: Option<Value>,
    what: &str,
    container: &str,
) -> Result<Vec<T>, EntryError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err((
                container.to_owned(),
                what.to_owned(),
                "must be an array".to_owned(),
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(n, v)| {
            let entry = match v.get("id").and_then(Value::as_str) {
                Some(id) => format!("{what} `{id}`"),
                None => format!("{what}[{n}]"),
            };
            take(v, &entry)
        })
        .collect()
}

/// Removes a required string member.
pub(crate) fn string(
    map: &mut serde_json::Map<String, Value>,
    key: &str,
    container: &str,
) -> Result<String, EntryError> {
    match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err((
            container.to_owned(),
            key.to_owned(),
            "must be a string".to_owned(),
        )),
        None => Err((
            container.to_owned(),
            key.to_owned(),
            "is missing".to_owned(),
        )),
    }
}

/// Refuses members other than `allowed`.
pub(crate) fn only(
    map: &serde_json::Map<String, Value>,
    allowed: &[&str],
    container: &str,
) -> Result<(), EntryError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err((
            container.to_owned(),
            k.clone(),
            format!("unknown field (expected {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// `.field`, or nothing for an error about the entry as a whole.
pub(crate) fn dotted(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(".{field}")
    }
}
