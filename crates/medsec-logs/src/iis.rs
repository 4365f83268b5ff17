//! IIS logs in the W3C Extended Log File Format.
//!
//! The columns of a line are named by the last `#Fields:` directive of
//! the file (or connection), so decoding needs per-source state:
//! [`IisState`] holds the column layout and is updated by directives.
//! Until a `#Fields:` directive is seen, IIS's default column set is
//! assumed. Values are separated by single spaces; IIS writes spaces in
//! values as `+` (user agents) and absent values as `-`. Times are UTC.

use crate::clock::{self, Civil};
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::syslog::TimeContext;
use crate::text;

/// What a column holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Date,
    Time,
    /// A field set from the value as is (typed by the schema).
    Field(&'static str),
    /// `+` stands for a space.
    Spaced(&'static str),
    /// `HTTP/1.1` → `1.1`.
    Version,
    /// `time-taken`, milliseconds.
    Millis,
    UriStem,
    UriQuery,
    /// Another column, kept under `iis.access.<name>`.
    Other(String),
}

fn column(name: &str) -> Column {
    match name {
        "date" => Column::Date,
        "time" => Column::Time,
        "s-sitename" => Column::Field("iis.access.site_name"),
        "s-computername" => Column::Field("host.name"),
        "s-ip" => Column::Field("destination.ip"),
        "s-port" => Column::Field("destination.port"),
        "c-ip" => Column::Field("source.ip"),
        "cs-method" => Column::Field("http.request.method"),
        "cs-uri-stem" => Column::UriStem,
        "cs-uri-query" => Column::UriQuery,
        "cs-username" => Column::Field("user.name"),
        "cs-version" => Column::Version,
        "cs(User-Agent)" => Column::Spaced("user_agent.original"),
        "cs(Referer)" => Column::Field("http.request.referrer"),
        "cs-host" => Column::Field("url.domain"),
        "sc-status" => Column::Field("http.response.status_code"),
        "sc-substatus" => Column::Field("iis.access.sub_status"),
        "sc-win32-status" => Column::Field("iis.access.win32_status"),
        "sc-bytes" => Column::Field("http.response.bytes"),
        "cs-bytes" => Column::Field("http.request.bytes"),
        "time-taken" => Column::Millis,
        other => {
            let mut name = String::from("iis.access.");
            for c in other.chars() {
                match c {
                    '-' => name.push('_'),
                    '(' | ')' => {}
                    c => name.extend(c.to_lowercase()),
                }
            }
            Column::Other(name)
        }
    }
}

/// The default columns of IIS's W3C logging.
const DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// The column layout of one IIS log source, set by `#Fields:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisState {
    columns: Vec<Column>,
    /// Whether a `#Fields:` directive set the layout.
    declared: bool,
}

impl Default for IisState {
    fn default() -> IisState {
        IisState {
            columns: DEFAULT_FIELDS.split(' ').map(column).collect(),
            declared: false,
        }
    }
}

impl IisState {
    /// Whether a `#Fields:` directive has set the layout.
    pub fn declared(&self) -> bool {
        self.declared
    }

    /// The number of columns in force.
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// Reads a directive line (`#…`). Returns whether it was one.
    pub fn directive(&mut self, line: &str) -> bool {
        let Some(rest) = line.strip_prefix('#') else {
            return false;
        };
        if let Some(fields) = rest.strip_prefix("Fields:") {
            let columns: Vec<Column> = fields.split_whitespace().map(column).collect();
            if !columns.is_empty() {
                self.columns = columns;
                self.declared = true;
            }
        }
        true
    }
}

/// Whether `line` is one of the W3C extended log directives
/// (`#Software:`, `#Version:`, `#Date:`, `#Fields:`, `#Start-Date:`,
/// `#End-Date:`, `#Remark:`).
pub(crate) fn is_directive(line: &str) -> bool {
    [
        "#Software:",
        "#Version:",
        "#Date:",
        "#Fields:",
        "#Start-Date:",
        "#End-Date:",
        "#Remark:",
    ]
    .iter()
    .any(|d| line.starts_with(d))
}

/// Whether `text` is an IIS line: a directive, or a data line starting
/// with `yyyy-mm-dd hh:mm:ss ` whose value count fits the layout.
pub(crate) fn looks_like_iis(text: &str, state: &IisState) -> bool {
    if text.starts_with("#Fields:") || text.starts_with("#Software: Microsoft Internet Information")
    {
        return true;
    }
    let b = text.as_bytes();
    let dated = b.len() > 20
        && b[4] == b'-'
        && b[10] == b' '
        && clock::iso(b, clock::IsoStyle::Loose)
            .is_some_and(|(_, offset, used)| offset.is_none() && b.get(used) == Some(&b' '));
    dated && text.split(' ').count() == state.columns.len()
}

/// Decodes an IIS data line with the source's layout.
pub(crate) fn decode(
    text: &str,
    state: &IisState,
    draft: &mut Draft,
    _ctx: TimeContext,
) -> Result<()> {
    let values: Vec<&str> = text.split(' ').collect();
    if values.len() != state.columns.len() {
        // Decode what lines up, and say so.
        decode_values(&values, state, draft);
        return Err(ParseError::new(
            ErrorKind::Format {
                format: "iis",
                what: "the number of values does not match #Fields",
            },
            0,
        ));
    }
    decode_values(&values, state, draft);
    Ok(())
}

fn decode_values(values: &[&str], state: &IisState, draft: &mut Draft) {
    let (mut date, mut time) = ("", "");
    let (mut stem, mut query) = ("", "");
    for (value, col) in values.iter().zip(&state.columns) {
        let value = *value;
        if value == "-" {
            continue;
        }
        match col {
            Column::Date => date = value,
            Column::Time => time = value,
            Column::Field(name) => draft.text(*name, value),
            Column::Spaced(name) => draft.str(*name, &value.replace('+', " ")),
            Column::Version => {
                draft.str("http.version", value.strip_prefix("HTTP/").unwrap_or(value))
            }
            Column::Millis => match text::parse_i64(value) {
                Some(ms) => draft.set("event.duration", Value::Int(ms.saturating_mul(1_000_000))),
                None => draft.str("iis.access.time_taken", value),
            },
            Column::UriStem => stem = value,
            Column::UriQuery => query = value,
            Column::Other(name) => draft.text(name.clone(), value),
        }
    }
    if !stem.is_empty() {
        draft.str("url.path", stem);
        if query.is_empty() {
            draft.str("url.original", stem);
        } else {
            draft.str("url.query", query);
            draft.str("url.original", &format!("{stem}?{query}"));
        }
    }
    if !date.is_empty() && !time.is_empty() {
        let stamp = format!("{date} {time}");
        if let Some((civil, _, used)) = clock::iso(stamp.as_bytes(), clock::IsoStyle::Loose)
            && used == stamp.len()
        {
            draft.timestamp = Civil::to_unix_nanos(civil, 0);
        }
    }
}

#[cfg(test)]
mod tests;
