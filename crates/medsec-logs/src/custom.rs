//! Analyst-defined decoders: a member's appliance (SECUI, AhnLab
//! TrusGuard, WAPPLES, …) decoded without a new medsec release.
//!
//! A definition is TOML (the format is documented in `docs/decoders.md`):
//!
//! ```toml
//! name = "secui-mf2"
//! description = "SECUI MF2 firewall traffic logs"
//!
//! [prematch]                    # how auto mode recognises its lines
//! program = ["MF2", "mf2"]      # the syslog program (any of)
//! contains = "[FW]"             # a literal in the message
//! regex = '^\[FW\]'             # a regex on the message
//!
//! # One pattern, or a list tried in order.
//! pattern = '^\[FW\] %{IP:source.ip}:%{INT:source.port} -> %{IP:destination.ip}:%{INT:destination.port} %{WORD:event.action}'
//!
//! [grok]                        # the decoder's own pattern names
//! MF2_ACTION = '(?:ALLOW|DENY|DROP)'
//!
//! [fields]                      # static fields added to every event
//! "observer.vendor" = "SECUI"
//!
//! [[sample]]                    # lines with the fields they must give
//! line = "<134>Mar  9 10:15:30 fw01 MF2: [FW] 10.0.0.1:5000 -> 10.0.0.2:443 DENY"
//! received = "2024-03-10T00:00:00Z"
//! expect = { "source.ip" = "10.0.0.1", "event.action" = "DENY" }
//! ```
//!
//! The pattern is matched against the syslog message (the part after the
//! header), or the whole line when there is no syslog header. Its
//! captures are typed by the written type, else the pattern's (INT is a
//! number, IP an address), else the field's schema type. A capture named
//! `@timestamp` is the event time, in any shape [`clock`] reads.
//!
//! [`CustomDecoder::compile`] reports errors naming the decoder, the
//! pattern and the character position; [`CustomDecoder::test`] runs the
//! samples through the whole normaliser and says, per sample, which
//! expected field differed. A decoder should be activated (added to the
//! [`Decoders`] receivers use) only when its samples pass: the caller
//! enforces that with [`TestReport::passed`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::grok::{self, Capture, CaptureType};
use crate::mask::Masker;
use crate::normalize::{Format, Normalizer, Outcome, SourceConfig};
use crate::schema;
use crate::syslog::TimeContext;
use crate::text;

/// A definition as written (TOML).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub prematch: Prematch,
    /// One pattern or several, tried in order.
    pub pattern: Patterns,
    /// The decoder's own pattern names, usable as `%{NAME}`.
    #[serde(default)]
    pub grok: BTreeMap<String, String>,
    /// Fields set on every event the decoder reads.
    #[serde(default)]
    pub fields: BTreeMap<String, StaticValue>,
    #[serde(default, rename = "sample")]
    pub samples: Vec<Sample>,
}

/// One pattern or a list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Patterns {
    One(String),
    Many(Vec<String>),
}

impl Patterns {
    fn as_slice(&self) -> &[String] {
        match self {
            Patterns::One(p) => std::slice::from_ref(p),
            Patterns::Many(ps) => ps,
        }
    }
}

/// How auto mode recognises the decoder's lines; every condition given
/// must hold. A decoder without any is used only when a source names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prematch {
    /// Syslog program names (any of), compared exactly.
    pub program: Programs,
    /// A literal the message contains.
    pub contains: Option<String>,
    /// A regex the message matches.
    pub regex: Option<String>,
}

/// One program name or a list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Programs {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Programs {
    fn as_slice(&self) -> &[String] {
        match self {
            Programs::None => &[],
            Programs::One(p) => std::slice::from_ref(p),
            Programs::Many(ps) => ps,
        }
    }
}

/// A static or expected field value.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum StaticValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl StaticValue {
    fn to_text(&self) -> String {
        match self {
            StaticValue::Bool(b) => b.to_string(),
            StaticValue::Int(i) => i.to_string(),
            StaticValue::Float(x) => x.to_string(),
            StaticValue::Str(s) => s.clone(),
        }
    }
}

/// A sample line and the fields it must give.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub line: String,
    /// The receive time to assume (RFC 3339), which fixes the year of
    /// year-less timestamps; default: the time passed to the test.
    #[serde(default)]
    pub received: Option<String>,
    #[serde(default)]
    pub expect: BTreeMap<String, StaticValue>,
}

/// What is wrong with a definition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecoderError {
    /// The TOML does not parse or does not have the definition's shape.
    #[error("decoder definition {origin}: {message}")]
    Syntax { origin: String, message: String },
    /// A pattern does not compile.
    #[error("decoder {decoder:?}: {part} at character {position}: {message} (in `{pattern}`)")]
    Pattern {
        decoder: String,
        /// Which pattern: `pattern 1`, `prematch.regex`, `grok.NAME`.
        part: String,
        pattern: String,
        /// 1-based character position in the pattern.
        position: usize,
        message: String,
    },
    /// Anything else (an invalid name or field).
    #[error("decoder {decoder:?}: {message}")]
    Invalid { decoder: String, message: String },
}

/// A compiled pattern.
#[derive(Clone, Debug)]
struct Compiled {
    regex: Regex,
    captures: Vec<Capture>,
}

/// A compiled, usable decoder.
#[derive(Clone, Debug)]
pub struct CustomDecoder {
    def: Arc<DecoderDef>,
    patterns: Vec<Compiled>,
    prematch_regex: Option<Regex>,
    fields: Vec<(String, Value)>,
}

/// Parses a definition file: one decoder at the top level, or several as
/// `[[decoder]]` tables. `origin` names the file in errors.
pub fn parse_definitions(text: &str, origin: &str) -> Result<Vec<DecoderDef>, DecoderError> {
    #[derive(Deserialize)]
    struct Many {
        decoder: Vec<DecoderDef>,
    }
    let syntax = |e: toml::de::Error| {
        let at = e.span().map_or(0, |s| s.start).min(text.len());
        let before = text.as_bytes().get(..at).unwrap_or_default();
        let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
        let column = text::head(text, at)
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        DecoderError::Syntax {
            origin: origin.to_owned(),
            message: format!("line {line}, column {column}: {}", e.message().trim()),
        }
    };
    let table: toml::Table = toml::from_str(text).map_err(syntax)?;
    if table.contains_key("decoder") {
        let many: Many = toml::from_str(text).map_err(syntax)?;
        Ok(many.decoder)
    } else {
        Ok(vec![toml::from_str(text).map_err(syntax)?])
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && Format::builtin(name).is_none()
}

/// Compiles a regex with a size limit, mapping errors to a position.
fn compile_regex(source: &str) -> std::result::Result<Regex, (usize, String)> {
    regex::RegexBuilder::new(source)
        .size_limit(4 << 20)
        .build()
        .map_err(|e| {
            let message = e.to_string();
            (caret_column(&message).unwrap_or(0), summary(&message))
        })
}

/// The column of the `^` under the pattern in a regex syntax error.
fn caret_column(message: &str) -> Option<usize> {
    let line = message.lines().find(|l| l.trim_start().starts_with('^'))?;
    // regex indents the pattern and the carets by four spaces.
    Some(
        line.chars()
            .take_while(|c| *c == ' ')
            .count()
            .saturating_sub(4),
    )
}

/// The `error: …` line of a regex syntax error.
fn summary(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(message)
        .trim()
        .to_owned()
}

impl CustomDecoder {
    /// Compiles a definition.
    pub fn compile(def: DecoderDef) -> Result<CustomDecoder, DecoderError> {
        let decoder = def.name.clone();
        if !valid_name(&def.name) {
            return Err(DecoderError::Invalid {
                decoder,
                message:
                    "a name is 1–64 letters, digits, `-`, `_` or `.`, and not a built-in format's"
                        .into(),
            });
        }
        if def.pattern.as_slice().is_empty() {
            return Err(DecoderError::Invalid {
                decoder,
                message: "no pattern".into(),
            });
        }
        // The decoder's own names must expand on their own.
        for (name, body) in &def.grok {
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
                return Err(DecoderError::Invalid {
                    decoder,
                    message: format!("invalid grok name {name:?}"),
                });
            }
            grok::expand(body, &def.grok).map_err(|e| DecoderError::Pattern {
                decoder: decoder.clone(),
                part: format!("grok.{name}"),
                pattern: body.clone(),
                position: e.position + 1,
                message: e.message,
            })?;
        }
        let mut patterns = Vec::new();
        for (i, pattern) in def.pattern.as_slice().iter().enumerate() {
            let part = format!("pattern {}", i + 1);
            let error = |position: usize, message: String| DecoderError::Pattern {
                decoder: decoder.clone(),
                part: part.clone(),
                pattern: pattern.clone(),
                position: position + 1,
                message,
            };
            let expanded =
                grok::expand(pattern, &def.grok).map_err(|e| error(e.position, e.message))?;
            let regex = compile_regex(&expanded.regex)
                .map_err(|(column, message)| error(expanded.source_position(column), message))?;
            if expanded.captures.is_empty() {
                return Err(error(0, "the pattern captures no field".into()));
            }
            patterns.push(Compiled {
                regex,
                captures: expanded.captures,
            });
        }
        let prematch_regex = match &def.prematch.regex {
            Some(r) => {
                Some(
                    compile_regex(r).map_err(|(column, message)| DecoderError::Pattern {
                        decoder: decoder.clone(),
                        part: "prematch.regex".into(),
                        pattern: r.clone(),
                        position: column + 1,
                        message,
                    })?,
                )
            }
            None => None,
        };
        let mut fields = Vec::new();
        for (name, value) in &def.fields {
            if !grok::valid_field(name) || name == "@timestamp" {
                return Err(DecoderError::Invalid {
                    decoder,
                    message: format!("invalid static field name {name:?}"),
                });
            }
            let value = match value {
                StaticValue::Bool(b) => Value::Bool(*b),
                StaticValue::Int(i) => Value::Int(*i),
                StaticValue::Float(x) => Value::Float(*x),
                StaticValue::Str(s) => schema::typed(name, s),
            };
            fields.push((name.clone(), value));
        }
        Ok(CustomDecoder {
            def: Arc::new(def),
            patterns,
            prematch_regex,
            fields,
        })
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    pub fn definition(&self) -> &DecoderDef {
        &self.def
    }

    /// Whether auto mode should use this decoder for a message from
    /// `program`: every prematch condition given holds (and at least one
    /// is given).
    pub fn prematches(&self, program: Option<&str>, message: &str) -> bool {
        let p = &self.def.prematch;
        let programs = p.program.as_slice();
        if programs.is_empty() && p.contains.is_none() && p.regex.is_none() {
            return false;
        }
        (programs.is_empty() || program.is_some_and(|name| programs.iter().any(|p| p == name)))
            && p.contains
                .as_deref()
                .is_none_or(|lit| message.contains(lit))
            && self
                .prematch_regex
                .as_ref()
                .is_none_or(|r| r.is_match(message))
    }

    /// Decodes a message: the first pattern that matches sets its
    /// captures, then the static fields are added.
    pub fn decode(&self, message: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
        for pattern in &self.patterns {
            let Some(caps) = pattern.regex.captures(message) else {
                continue;
            };
            for capture in &pattern.captures {
                let Some(m) = caps.name(&capture.group) else {
                    continue;
                };
                let text = m.as_str();
                if capture.field == "@timestamp" {
                    if let Some(t) = clock::parse_any(text, ctx.utc_offset, ctx.received) {
                        draft.timestamp = Some(t);
                    }
                    continue;
                }
                if text.is_empty() {
                    continue;
                }
                let value = match capture.ty {
                    CaptureType::Auto => schema::typed(&capture.field, text),
                    CaptureType::Str => Value::Str(text.to_owned()),
                    CaptureType::Int => text::parse_i64(text)
                        .map_or_else(|| Value::Str(text.to_owned()), Value::Int),
                    CaptureType::Float => match text.parse::<f64>() {
                        Ok(x) if x.is_finite() => Value::Float(x),
                        _ => Value::Str(text.to_owned()),
                    },
                    CaptureType::Ip => schema::parse_ip(text)
                        .map_or_else(|| Value::Str(text.to_owned()), Value::Ip),
                };
                draft.set(schema::intern(&capture.field), value);
            }
            for (name, value) in &self.fields {
                draft.set(schema::intern(name), value.clone());
            }
            return Ok(());
        }
        Err(ParseError::new(
            ErrorKind::NoMatch(self.def.name.clone()),
            0,
        ))
    }

    /// Runs the samples through the normaliser with only this decoder,
    /// selected by name; `received` is the receive time of samples that
    /// do not give one. A sample passes when every expected field has the
    /// expected value (compared as text; addresses and times by value)
    /// and, unless `error.message` is expected, nothing failed to parse.
    pub fn test(&self, received: i64) -> TestReport {
        let mut decoders = Decoders::new();
        decoders.add(self.clone());
        let decoders = Arc::new(decoders);
        let config = SourceConfig::new("test", "test", Format::Custom(self.def.name.clone()));
        let mut normalizer = Normalizer::new(config, decoders, Arc::new(Masker::disabled()));
        let samples = self
            .def
            .samples
            .iter()
            .enumerate()
            .map(|(index, sample)| {
                let received = sample
                    .received
                    .as_deref()
                    .and_then(clock::parse_rfc3339)
                    .unwrap_or(received);
                let result = match normalizer.normalize(sample.line.as_bytes(), received) {
                    Outcome::Event { event, error } => {
                        let mut mismatches = Vec::new();
                        for (field, expected) in &sample.expect {
                            let expected = expected.to_text();
                            let actual = if field == "@timestamp" {
                                Some(clock::format_rfc3339(event.timestamp))
                            } else {
                                event.get(field).map(|v| v.to_text())
                            };
                            if !same(field, &expected, actual.as_deref()) {
                                mismatches.push(FieldMismatch {
                                    field: field.clone(),
                                    expected,
                                    actual,
                                });
                            }
                        }
                        let error = error
                            .filter(|_| !sample.expect.contains_key("error.message"))
                            .map(|e| e.to_string());
                        if mismatches.is_empty() && error.is_none() {
                            SampleResult::Passed
                        } else {
                            SampleResult::Failed { mismatches, error }
                        }
                    }
                    Outcome::Directive => SampleResult::Failed {
                        mismatches: Vec::new(),
                        error: Some("the line is a directive, not an event".into()),
                    },
                    Outcome::Dropped(e) => SampleResult::Failed {
                        mismatches: Vec::new(),
                        error: Some(e.to_string()),
                    },
                };
                SampleReport {
                    index,
                    line: sample.line.clone(),
                    result,
                }
            })
            .collect();
        TestReport {
            decoder: self.def.name.clone(),
            samples,
        }
    }
}

/// Whether an actual value is the expected one: as text, or for times and
/// addresses by value.
fn same(field: &str, expected: &str, actual: Option<&str>) -> bool {
    let Some(actual) = actual else {
        return false;
    };
    if expected == actual {
        return true;
    }
    if field == "@timestamp" {
        return clock::parse_rfc3339(expected).is_some()
            && clock::parse_rfc3339(expected) == clock::parse_rfc3339(actual);
    }
    match (schema::parse_ip(expected), schema::parse_ip(actual)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The outcome of a decoder's samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestReport {
    pub decoder: String,
    pub samples: Vec<SampleReport>,
}

impl TestReport {
    /// Whether the decoder may be activated: it has samples and all pass.
    pub fn passed(&self) -> bool {
        !self.samples.is_empty()
            && self
                .samples
                .iter()
                .all(|s| s.result == SampleResult::Passed)
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.samples.is_empty() {
            return write!(f, "decoder {:?}: no samples", self.decoder);
        }
        for s in &self.samples {
            match &s.result {
                SampleResult::Passed => writeln!(f, "sample {}: ok", s.index + 1)?,
                SampleResult::Failed { mismatches, error } => {
                    writeln!(f, "sample {}: FAILED", s.index + 1)?;
                    if let Some(e) = error {
                        writeln!(f, "  error: {e}")?;
                    }
                    for m in mismatches {
                        match &m.actual {
                            Some(a) => writeln!(
                                f,
                                "  {}: expected {:?}, got {:?}",
                                m.field, m.expected, a
                            )?,
                            None => {
                                writeln!(f, "  {}: expected {:?}, not set", m.field, m.expected)?
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// One sample's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleReport {
    /// 0-based index in the definition.
    pub index: usize,
    pub line: String,
    pub result: SampleResult,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleResult {
    Passed,
    /// Fields that differed, and the parse error if there was one.
    Failed {
        mismatches: Vec<FieldMismatch>,
        error: Option<String>,
    },
}

/// An expected field that was missing or different.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMismatch {
    pub field: String,
    pub expected: String,
    /// `None` when the field was not set.
    pub actual: Option<String>,
}

/// The active analyst-defined decoders, shared by the receivers.
///
/// Only decoders whose samples passed should be added; this type does
/// not run the samples itself, so that a caller can also load decoders it
/// has already tested.
#[derive(Clone, Debug, Default)]
pub struct Decoders {
    custom: Vec<CustomDecoder>,
}

impl Decoders {
    pub fn new() -> Decoders {
        Decoders::default()
    }

    /// Adds a decoder, replacing one of the same name.
    pub fn add(&mut self, decoder: CustomDecoder) {
        match self.custom.iter_mut().find(|d| d.name() == decoder.name()) {
            Some(slot) => *slot = decoder,
            None => self.custom.push(decoder),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<CustomDecoder> {
        let at = self.custom.iter().position(|d| d.name() == name)?;
        Some(self.custom.remove(at))
    }

    pub fn get(&self, name: &str) -> Option<&CustomDecoder> {
        self.custom.iter().find(|d| d.name() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CustomDecoder> {
        self.custom.iter()
    }

    /// The first decoder whose prematch holds, in the order added.
    pub(crate) fn prematch(&self, program: Option<&str>, message: &str) -> Option<&CustomDecoder> {
        self.custom.iter().find(|d| d.prematches(program, message))
    }
}

/// The example definitions shipped with medsec (`decoders/*.toml`): the
/// file name and its text. Their formats are reconstructed from public
/// descriptions and unverified against real devices.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("secui-mf2.toml", include_str!("../decoders/secui-mf2.toml")),
    (
        "ahnlab-trusguard.toml",
        include_str!("../decoders/ahnlab-trusguard.toml"),
    ),
    (
        "penta-wapples.toml",
        include_str!("../decoders/penta-wapples.toml"),
    ),
];

#[cfg(test)]
mod tests;
