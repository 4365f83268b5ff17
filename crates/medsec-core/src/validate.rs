//! Field validation shared by the web forms, the JSON API and the CLI.
//!
//! Validators return [`FieldError`]s naming the field and a stable error
//! code with arguments; the server turns them into localised messages next
//! to the field (UI) or into `{"error": {"code", "message", "field"}}` (API).

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the form or JSON body spells it.
    pub field: String,
    /// A stable machine-readable code, e.g. `too_long`.
    pub code: &'static str,
    /// Arguments for the message, e.g. `max = 100`.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> FieldError {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn range(field: impl Into<String>, min: i64, max: i64) -> FieldError {
        FieldError::new(field, "out_of_range")
            .with("min", min)
            .with("max", max)
    }

    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks a free-text field: trims it, then requires `min..=max` characters
/// and no control characters. Returns the trimmed value.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    let n = value.chars().count();
    if n == 0 && min > 0 {
        return Err(FieldError::new(field, "required"));
    }
    if n < min {
        return Err(FieldError::new(field, "too_short").with("min", min));
    }
    if n > max {
        return Err(FieldError::new(field, "too_long").with("max", max));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(field, "control_chars"));
    }
    Ok(value.to_owned())
}

/// Checks and normalises a user id: 3–32 characters of lowercase ASCII
/// letters, digits, `.`, `_` or `-`, starting with a letter. Upper case is
/// folded to lower case so that `Kim` and `kim` are the same account.
pub fn username(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim().to_ascii_lowercase();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let n = value.chars().count();
    if !(3..=32).contains(&n) {
        return Err(FieldError::new(field, "length")
            .with("min", 3)
            .with("max", 32));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !value.chars().all(allowed) || !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(FieldError::new(field, "username_chars"));
    }
    Ok(value)
}

/// Parses a value from a closed set of names.
pub fn one_of<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, FieldError> {
    value
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, "invalid_choice"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("u", " Kim.Lee "), Ok("kim.lee".into()));
        assert_eq!(username("u", "").unwrap_err().code, "required");
        assert_eq!(username("u", "ab").unwrap_err().code, "length");
        assert_eq!(username("u", "1abc").unwrap_err().code, "username_chars");
        assert_eq!(
            username("u", "kim'; drop table users;--").unwrap_err().code,
            "username_chars"
        );
        assert_eq!(
            username("u", "kim'or'1").unwrap_err().code,
            "username_chars"
        );
        assert_eq!(username("u", "김철수").unwrap_err().code, "username_chars");
    }

    #[test]
    fn texts() {
        assert_eq!(
            text("name", "  서울대학교병원 ", 1, 10),
            Ok("서울대학교병원".into())
        );
        assert_eq!(text("name", "   ", 1, 10).unwrap_err().code, "required");
        assert_eq!(
            text("name", "가나다라마바사아자차카", 1, 10)
                .unwrap_err()
                .arg("max"),
            Some("10")
        );
        assert_eq!(
            text("name", "a\u{0}b", 1, 10).unwrap_err().code,
            "control_chars"
        );
    }
}
