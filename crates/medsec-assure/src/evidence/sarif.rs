//! SARIF 2.1.0 import: the results of scanners and fuzzers (SAST, SCA,
//! secret scanners, container scanners, fuzzing campaigns) as findings
//! linked to a test case.
//!
//! What is read, per the OASIS SARIF 2.1.0 standard: every run (§3.14)
//! with its tool (`driver` name, version, `semanticVersion`,
//! `informationUri`; extensions' rules too), the rules (§3.49: id, name,
//! descriptions, `defaultConfiguration.level`, `helpUri`, tags and the
//! `security-severity` property, CWE ids from tags, relationships and
//! taxa), and every result (§3.27): `ruleId`/`ruleIndex`/`rule`, `level`
//! and `kind` with the standard's defaults (§3.27.9–10), the message
//! (plain text, or a message string by id, with `{n}` placeholders
//! filled from `arguments`, §3.11), physical and logical locations,
//! `fingerprints` and `partialFingerprints`, `suppressions` (§3.35) and
//! `baselineState`.
//!
//! What is refused, naming the JSON pointer (RFC 6901) of the value at
//! fault: anything that is not JSON, a `version` other than `2.1.0`, a
//! member of the wrong type, a value outside an enumeration, a
//! `ruleIndex` beyond the rules, a message without text or id, a region
//! line or column below 1, a suppression without its `kind`. What real
//! tools write that the standard only discourages (a `ruleId` no rule
//! describes, duplicate rule ids, a level on a non-failing result) is
//! accepted with a warning.
//!
//! A finding is open unless it passed, does not apply, is informational,
//! is absent from the baseline (fixed), or is suppressed: suppressions
//! count as the SARIF SDK counts them, in effect when there is at least
//! one and none is under review or rejected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::sha256_hex;

/// The largest file accepted: 256 MiB.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// A result's level (§3.27.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    None,
    Note,
    Warning,
    Error,
}

/// A result's kind (§3.27.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResultKind {
    NotApplicable,
    Pass,
    Fail,
    Review,
    Open,
    Informational,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    InSource,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionStatus {
    Accepted,
    UnderReview,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BaselineState {
    New,
    Unchanged,
    Updated,
    Absent,
}

/// A suppression of a result (§3.35).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SuppressionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// Where a result is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u64>,
    /// Logical locations (functions, modules, packages): their fully
    /// qualified names, or names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logical: Vec<String>,
}

/// A rule of a tool (§3.49).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_level: Option<Level>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// GitHub's `security-severity` property (0.0–10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    #[serde(skip)]
    message_strings: BTreeMap<String, String>,
}

/// One run of one tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRun {
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `version`, or `semanticVersion` when there is no `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    /// The driver's rules, then the extensions'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ScanRule>,
    /// The names of the tool's extensions (CodeQL query packs, plugins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    pub results: usize,
    /// What the first invocation says (`executionSuccessful`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_successful: Option<bool>,
}

/// One result, as a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanFinding {
    /// Stable across imports: `SARIF-<tool>-<hash>` of the tool, the rule
    /// and the fingerprints (or, without any, the first location and the
    /// message).
    pub id: String,
    /// Where it is in the file: `/runs/0/results/3`.
    pub pointer: String,
    pub run: usize,
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    pub level: Level,
    pub kind: ResultKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fingerprints: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial_fingerprints: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    /// The test case it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
}

impl ScanFinding {
    /// Suppressed as the SARIF SDK decides: at least one suppression and
    /// none under review or rejected (an absent status counts as
    /// accepted).
    pub fn is_suppressed(&self) -> bool {
        !self.suppressions.is_empty()
            && !self.suppressions.iter().any(|s| {
                matches!(
                    s.status,
                    Some(SuppressionStatus::UnderReview | SuppressionStatus::Rejected)
                )
            })
    }

    /// Still to be resolved: a failing, open or review result that is
    /// neither suppressed nor absent from the baseline.
    pub fn is_open(&self) -> bool {
        matches!(
            self.kind,
            ResultKind::Fail | ResultKind::Open | ResultKind::Review
        ) && !self.is_suppressed()
            && self.baseline_state != Some(BaselineState::Absent)
    }

    /// The first line of the message.
    pub fn title(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// Something accepted but worth knowing, with its pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub pointer: String,
    pub message: String,
}

/// An imported SARIF file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The file's name, as given to [`import`].
    pub source: String,
    /// The file's SHA-256: the file is evidence of the test it ran for.
    pub sha256: String,
    /// The test case the scan was run for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    pub runs: Vec<ScanRun>,
    pub findings: Vec<ScanFinding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

impl ScanReport {
    pub fn open(&self) -> impl Iterator<Item = &ScanFinding> {
        self.findings.iter().filter(|f| f.is_open())
    }
}

/// Why a file was refused: the JSON pointer of the value at fault (empty
/// for the whole file) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if pointer.is_empty() { String::new() } else { format!("{pointer}: ") })]
pub struct SarifError {
    pub pointer: String,
    pub message: String,
}

/// How to import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The file's name, kept as the report's source.
    pub source: String,
    /// The test case the findings belong to.
    pub test: Option<String>,
}

/// A value with its JSON pointer.
#[derive(Clone, Copy)]
struct Node<'a> {
    value: &'a Value,
    pointer: &'a str,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn err(pointer: &str, message: impl Into<String>) -> SarifError {
    SarifError {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Node<'a> {
    fn object(&self) -> Result<&'a Map<String, Value>, SarifError> {
        self.value.as_object().ok_or_else(|| {
            err(
                self.pointer,
                format!("must be an object, not {}", kind_of(self.value)),
            )
        })
    }

    /// A member (absent and null alike are none).
    fn member(&self, key: &str) -> Option<(&'a Value, String)> {
        let v = self.value.get(key)?;
        (!v.is_null()).then(|| (v, format!("{}/{}", self.pointer, escape(key))))
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, SarifError> {
        match self.member(key) {
            None => Ok(None),
            Some((Value::String(s), _)) => Ok(Some(s)),
            Some((v, p)) => Err(err(&p, format!("must be a string, not {}", kind_of(v)))),
        }
    }

    fn required_string(&self, key: &str) -> Result<&'a str, SarifError> {
        self.string(key)?.ok_or_else(|| {
            err(
                &format!("{}/{}", self.pointer, escape(key)),
                "is required (a string)",
            )
        })
    }

    fn integer(&self, key: &str, min: i64) -> Result<Option<i64>, SarifError> {
        match self.member(key) {
            None => Ok(None),
            Some((v, p)) => match v.as_i64() {
                Some(n) if n >= min => Ok(Some(n)),
                Some(n) => Err(err(&p, format!("is {n}, below the minimum {min}"))),
                None => Err(err(&p, format!("must be an integer, not {v}"))),
            },
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, SarifError> {
        match self.member(key) {
            None => Ok(None),
            Some((Value::Bool(b), _)) => Ok(Some(*b)),
            Some((v, p)) => Err(err(&p, format!("must be a boolean, not {}", kind_of(v)))),
        }
    }

    /// A string member from a closed set.
    fn choice<T: Copy>(&self, key: &str, allowed: &[(&str, T)]) -> Result<Option<T>, SarifError> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        match allowed.iter().find(|(name, _)| *name == s) {
            Some((_, v)) => Ok(Some(*v)),
            None => Err(err(
                &format!("{}/{}", self.pointer, escape(key)),
                format!(
                    "`{s}` is not one of {}",
                    allowed
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// An array member's items with their pointers (absent or null: none).
    fn items(&self, key: &str) -> Result<Vec<(&'a Value, String)>, SarifError> {
        match self.member(key) {
            None => Ok(Vec::new()),
            Some((Value::Array(items), p)) => Ok(items
                .iter()
                .enumerate()
                .map(|(n, v)| (v, format!("{p}/{n}")))
                .collect()),
            Some((v, p)) => Err(err(&p, format!("must be an array, not {}", kind_of(v)))),
        }
    }

    /// An object whose members are all strings (fingerprints).
    fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, SarifError> {
        let Some((v, p)) = self.member(key) else {
            return Ok(BTreeMap::new());
        };
        let Value::Object(map) = v else {
            return Err(err(&p, format!("must be an object, not {}", kind_of(v))));
        };
        map.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(err(
                    &format!("{p}/{}", escape(k)),
                    format!("must be a string, not {}", kind_of(other)),
                )),
            })
            .collect()
    }
}

const LEVELS: [(&str, Level); 4] = [
    ("none", Level::None),
    ("note", Level::Note),
    ("warning", Level::Warning),
    ("error", Level::Error),
];

const KINDS: [(&str, ResultKind); 6] = [
    ("notApplicable", ResultKind::NotApplicable),
    ("pass", ResultKind::Pass),
    ("fail", ResultKind::Fail),
    ("review", ResultKind::Review),
    ("open", ResultKind::Open),
    ("informational", ResultKind::Informational),
];

/// The text of a `multiformatMessageString` member (`{"text": …}`).
fn message_text(node: Node<'_>, key: &str) -> Result<Option<String>, SarifError> {
    let Some((v, p)) = node.member(key) else {
        return Ok(None);
    };
    let n = Node {
        value: v,
        pointer: &p,
    };
    n.object()?;
    Ok(n.string("text")?.map(str::to_owned))
}

/// CWE ids in a tag: `CWE-798`, `external/cwe/cwe-079`, `cwe:89`.
pub(crate) fn cwe_in(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.rfind("cwe")?;
    let rest = lower.get(at + 3..)?;
    let digits: String = rest
        .trim_start_matches(['-', '/', ':', ' ', '_'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n: u32 = digits.parse().ok()?;
    Some(format!("CWE-{n}"))
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// CWE ids of references to a taxonomy named CWE (`relationships`,
/// `taxa`).
fn cwe_refs(node: Node<'_>, key: &str, out: &mut Vec<String>) -> Result<(), SarifError> {
    for (v, p) in node.items(key)? {
        let item = Node {
            value: v,
            pointer: &p,
        };
        item.object()?;
        // `taxa` items are references themselves; `relationships` items
        // hold theirs in `target`.
        let reference = match item.member("target") {
            Some((t, _)) => t,
            None => v,
        };
        let component = reference
            .get("toolComponent")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str);
        let id = reference.get("id").and_then(Value::as_str);
        if let (Some(c), Some(id)) = (component, id)
            && c.eq_ignore_ascii_case("cwe")
            && let Some(cwe) = cwe_in(&format!("cwe-{}", id.trim_start_matches("CWE-")))
        {
            push_unique(out, cwe);
        }
    }
    Ok(())
}

fn read_rule(
    v: &Value,
    pointer: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<ScanRule, SarifError> {
    let node = Node { value: v, pointer };
    node.object()?;
    let id = node.required_string("id")?.to_owned();
    let default_level = match node.member("defaultConfiguration") {
        Some((c, p)) => {
            let n = Node {
                value: c,
                pointer: &p,
            };
            n.object()?;
            n.choice("level", &LEVELS)?
        }
        None => None,
    };
    let mut tags = Vec::new();
    let mut security_severity = None;
    if let Some((props, p)) = node.member("properties") {
        let n = Node {
            value: props,
            pointer: &p,
        };
        n.object()?;
        for (t, tp) in n.items("tags")? {
            match t.as_str() {
                Some(s) => tags.push(s.to_owned()),
                None => return Err(err(&tp, format!("must be a string, not {}", kind_of(t)))),
            }
        }
        if let Some((s, sp)) = n.member("security-severity") {
            let parsed = match s {
                Value::String(text) => text.trim().parse::<f64>().ok(),
                Value::Number(num) => num.as_f64(),
                _ => None,
            };
            match parsed {
                Some(x) if (0.0..=10.0).contains(&x) => security_severity = Some(x),
                _ => warnings.push(Diagnostic {
                    pointer: sp,
                    message: format!(
                        "security-severity {s} is not a number from 0.0 to 10.0; ignored"
                    ),
                }),
            }
        }
    }
    let mut cwe = Vec::new();
    for t in &tags {
        if let Some(c) = cwe_in(t) {
            push_unique(&mut cwe, c);
        }
    }
    cwe_refs(node, "relationships", &mut cwe)?;
    let mut message_strings = BTreeMap::new();
    if let Some((m, p)) = node.member("messageStrings") {
        let n = Node {
            value: m,
            pointer: &p,
        };
        for k in n.object()?.keys() {
            if let Some(text) = message_text(n, k)? {
                message_strings.insert(k.clone(), text);
            }
        }
    }
    Ok(ScanRule {
        id,
        name: node.string("name")?.map(str::to_owned),
        short_description: message_text(node, "shortDescription")?,
        help_uri: node.string("helpUri")?.map(str::to_owned),
        default_level,
        tags,
        security_severity,
        cwe,
        message_strings,
    })
}

/// Fills `{n}` placeholders from `arguments`; `{{` and `}}` are braces
/// (§3.11.5).
fn fill(text: &str, arguments: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let index = digits.parse::<usize>().ok();
                match (index, chars.peek()) {
                    (Some(i), Some('}')) if i < arguments.len() => {
                        chars.next();
                        out.push_str(&arguments[i]);
                    }
                    _ => {
                        out.push('{');
                        out.push_str(&digits);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn read_location(
    v: &Value,
    pointer: &str,
    artifacts: &[Option<String>],
) -> Result<Location, SarifError> {
    let node = Node { value: v, pointer };
    node.object()?;
    let mut loc = Location::default();
    if let Some((pl, p)) = node.member("physicalLocation") {
        let phys = Node {
            value: pl,
            pointer: &p,
        };
        phys.object()?;
        if let Some((al, ap)) = phys.member("artifactLocation") {
            let a = Node {
                value: al,
                pointer: &ap,
            };
            a.object()?;
            loc.uri = a.string("uri")?.map(str::to_owned);
            loc.uri_base_id = a.string("uriBaseId")?.map(str::to_owned);
            if let Some(i) = a.integer("index", -1)?
                && i >= 0
            {
                let found = usize::try_from(i).ok().and_then(|i| artifacts.get(i));
                match found {
                    Some(uri) => {
                        if loc.uri.is_none() {
                            loc.uri = uri.clone();
                        }
                    }
                    None => {
                        return Err(err(
                            &format!("{ap}/index"),
                            format!("is {i}, but the run has {} artifact(s)", artifacts.len()),
                        ));
                    }
                }
            }
        }
        if let Some((r, rp)) = phys.member("region") {
            let region = Node {
                value: r,
                pointer: &rp,
            };
            region.object()?;
            let pos = |key: &str| -> Result<Option<u64>, SarifError> {
                Ok(region.integer(key, 1)?.and_then(|n| u64::try_from(n).ok()))
            };
            loc.start_line = pos("startLine")?;
            loc.start_column = pos("startColumn")?;
            loc.end_line = pos("endLine")?;
            loc.end_column = pos("endColumn")?;
        }
    }
    for (l, lp) in node.items("logicalLocations")? {
        let n = Node {
            value: l,
            pointer: &lp,
        };
        n.object()?;
        if let Some(name) = n.string("fullyQualifiedName")?.or(n.string("name")?) {
            loc.logical.push(name.to_owned());
        }
    }
    Ok(loc)
}

fn slug(tool: &str) -> String {
    let s: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    let s: String = s.chars().take(32).collect();
    if s.is_empty() { "tool".to_owned() } else { s }
}

/// Reads a SARIF 2.1.0 file into findings; the first problem refuses the
/// whole file, naming its JSON pointer.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<ScanReport, SarifError> {
    if bytes.len() > MAX_BYTES {
        return Err(err(
            "",
            format!(
                "the file has {} bytes, more than the {MAX_BYTES} accepted",
                bytes.len()
            ),
        ));
    }
    let sha256 = sha256_hex(bytes);
    // Tools on Windows write a byte-order mark; JSON does not allow one.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(text).map_err(|e| err("", format!("not JSON: {e}")))?;
    let root = Node {
        value: &doc,
        pointer: "",
    };
    root.object()?;
    match root.string("version")? {
        Some("2.1.0") => {}
        Some(v) => {
            return Err(err(
                "/version",
                format!("is `{v}`; only SARIF 2.1.0 is read"),
            ));
        }
        None => return Err(err("/version", "is required (`2.1.0`)")),
    }
    let mut runs = Vec::new();
    let mut findings: Vec<ScanFinding> = Vec::new();
    let mut warnings = Vec::new();
    match doc.get("runs") {
        None => return Err(err("/runs", "is required (an array of runs)")),
        // The schema allows null: the producer could not make any run.
        Some(Value::Null) => warnings.push(Diagnostic {
            pointer: "/runs".into(),
            message: "is null: the tool produced no run".into(),
        }),
        Some(_) => {}
    }
    for (r, (run_value, run_pointer)) in root.items("runs")?.into_iter().enumerate() {
        let run = Node {
            value: run_value,
            pointer: &run_pointer,
        };
        run.object()?;
        let Some((tool_value, tool_pointer)) = run.member("tool") else {
            return Err(err(
                &format!("{run_pointer}/tool"),
                "is required (an object)",
            ));
        };
        let tool = Node {
            value: tool_value,
            pointer: &tool_pointer,
        };
        tool.object()?;
        let Some((driver_value, driver_pointer)) = tool.member("driver") else {
            return Err(err(
                &format!("{tool_pointer}/driver"),
                "is required (an object)",
            ));
        };
        let driver = Node {
            value: driver_value,
            pointer: &driver_pointer,
        };
        driver.object()?;
        let name = driver.required_string("name")?.to_owned();
        if name.trim().is_empty() {
            return Err(err(&format!("{driver_pointer}/name"), "must not be empty"));
        }
        let mut rules = Vec::new();
        for (v, p) in driver.items("rules")? {
            rules.push(read_rule(v, &p, &mut warnings)?);
        }
        let driver_rules = rules.len();
        let mut extension_rules: Vec<Vec<usize>> = Vec::new();
        let mut extensions = Vec::new();
        for (e, ep) in tool.items("extensions")? {
            let ext = Node {
                value: e,
                pointer: &ep,
            };
            ext.object()?;
            extensions.push(ext.required_string("name")?.to_owned());
            let mut indexes = Vec::new();
            for (v, p) in ext.items("rules")? {
                indexes.push(rules.len());
                rules.push(read_rule(v, &p, &mut warnings)?);
            }
            extension_rules.push(indexes);
        }
        for (i, rule) in rules.iter().enumerate() {
            if rules[..i].iter().any(|x| x.id == rule.id) {
                warnings.push(Diagnostic {
                    pointer: format!("{driver_pointer}/rules"),
                    message: format!(
                        "rule id `{}` is described twice; the first is used",
                        rule.id
                    ),
                });
            }
        }
        let mut global_strings = BTreeMap::new();
        if let Some((m, p)) = driver.member("globalMessageStrings") {
            let n = Node {
                value: m,
                pointer: &p,
            };
            for k in n.object()?.keys() {
                if let Some(text) = message_text(n, k)? {
                    global_strings.insert(k.clone(), text);
                }
            }
        }
        let mut artifacts = Vec::new();
        for (a, ap) in run.items("artifacts")? {
            let art = Node {
                value: a,
                pointer: &ap,
            };
            art.object()?;
            let uri = match art.member("location") {
                Some((l, lp)) => {
                    let n = Node {
                        value: l,
                        pointer: &lp,
                    };
                    n.object()?;
                    n.string("uri")?.map(str::to_owned)
                }
                None => None,
            };
            artifacts.push(uri);
        }
        let mut execution_successful = None;
        for (n, (inv, ip)) in run.items("invocations")?.into_iter().enumerate() {
            let i = Node {
                value: inv,
                pointer: &ip,
            };
            i.object()?;
            let ok = i.boolean("executionSuccessful")?;
            if ok.is_none() {
                return Err(err(
                    &format!("{ip}/executionSuccessful"),
                    "is required (a boolean)",
                ));
            }
            if n == 0 {
                execution_successful = ok;
            }
        }
        let results = run.items("results")?;
        let count = results.len();
        for (result_value, rp) in results {
            let res = Node {
                value: result_value,
                pointer: &rp,
            };
            res.object()?;
            let mut rule_id = res.string("ruleId")?.map(str::to_owned);
            let mut rule_index: Option<usize> = None;
            if let Some(i) = res.integer("ruleIndex", -1)?
                && i >= 0
            {
                match usize::try_from(i).ok().filter(|i| *i < driver_rules) {
                    Some(i) => rule_index = Some(i),
                    None => {
                        return Err(err(
                            &format!("{rp}/ruleIndex"),
                            format!("is {i}, but the driver has {driver_rules} rule(s)"),
                        ));
                    }
                }
            }
            if let Some((rr, rrp)) = res.member("rule") {
                let reference = Node {
                    value: rr,
                    pointer: &rrp,
                };
                reference.object()?;
                if rule_id.is_none() {
                    rule_id = reference.string("id")?.map(str::to_owned);
                }
                let component = match reference.member("toolComponent") {
                    Some((c, cp)) => {
                        let n = Node {
                            value: c,
                            pointer: &cp,
                        };
                        n.object()?;
                        n.integer("index", -1)?
                    }
                    None => None,
                };
                if let Some(i) = reference.integer("index", -1)?
                    && i >= 0
                {
                    let list: Option<Vec<usize>> = match component {
                        Some(c) if c >= 0 => usize::try_from(c)
                            .ok()
                            .and_then(|c| extension_rules.get(c))
                            .cloned(),
                        _ => Some((0..driver_rules).collect()),
                    };
                    let Some(list) = list else {
                        return Err(err(
                            &format!("{rrp}/toolComponent/index"),
                            format!(
                                "names no extension (the tool has {} extension(s))",
                                extension_rules.len()
                            ),
                        ));
                    };
                    match usize::try_from(i).ok().and_then(|i| list.get(i)) {
                        Some(found) => rule_index = Some(*found),
                        None => {
                            return Err(err(
                                &format!("{rrp}/index"),
                                format!(
                                    "is {i}, but the tool component has {} rule(s)",
                                    list.len()
                                ),
                            ));
                        }
                    }
                }
            }
            let rule = match (rule_index, &rule_id) {
                (Some(i), id) => {
                    let found = rules.get(i);
                    if let (Some(found), Some(id)) = (found, id)
                        && found.id != *id
                        && !id.starts_with(&format!("{}/", found.id))
                    {
                        warnings.push(Diagnostic {
                            pointer: format!("{rp}/ruleId"),
                            message: format!(
                                "`{id}` differs from the id `{}` of the rule at ruleIndex {i}",
                                found.id
                            ),
                        });
                    }
                    found
                }
                (None, Some(id)) => {
                    let found = rules.iter().find(|x| &x.id == id).or_else(|| {
                        // A hierarchical id (`a/b`) names a rule `a`.
                        rules.iter().find(|x| id.starts_with(&format!("{}/", x.id)))
                    });
                    if found.is_none() && !rules.is_empty() {
                        warnings.push(Diagnostic {
                            pointer: format!("{rp}/ruleId"),
                            message: format!("no rule of the run describes `{id}`"),
                        });
                    }
                    found
                }
                (None, None) => None,
            };
            if rule_id.is_none() {
                rule_id = rule.map(|x| x.id.clone());
            }
            let explicit_kind = res.choice("kind", &KINDS)?;
            let explicit_level = res.choice("level", &LEVELS)?;
            let kind = explicit_kind.unwrap_or(ResultKind::Fail);
            if kind != ResultKind::Fail && explicit_level.is_some_and(|l| l != Level::None) {
                warnings.push(Diagnostic {
                    pointer: format!("{rp}/level"),
                    message: "a result whose kind is not `fail` should have level `none`".into(),
                });
            }
            let level = explicit_level.unwrap_or(if kind == ResultKind::Fail {
                rule.and_then(|x| x.default_level).unwrap_or(Level::Warning)
            } else {
                Level::None
            });
            // The message: text, or a message string by id; placeholders
            // filled from the arguments.
            let Some((m, mp)) = res.member("message") else {
                return Err(err(&format!("{rp}/message"), "is required (an object)"));
            };
            let msg = Node {
                value: m,
                pointer: &mp,
            };
            msg.object()?;
            let mut arguments = Vec::new();
            for (a, ap) in msg.items("arguments")? {
                match a.as_str() {
                    Some(s) => arguments.push(s.to_owned()),
                    None => return Err(err(&ap, format!("must be a string, not {}", kind_of(a)))),
                }
            }
            let template = match (msg.string("text")?, msg.string("id")?) {
                (Some(t), _) => t.to_owned(),
                (None, Some(id)) => rule
                    .and_then(|x| x.message_strings.get(id))
                    .or_else(|| global_strings.get(id))
                    .cloned()
                    .ok_or_else(|| {
                        err(
                            &format!("{mp}/id"),
                            format!("`{id}` names no message string of the rule or the tool"),
                        )
                    })?,
                (None, None) => {
                    return Err(err(&mp, "needs `text` or `id`"));
                }
            };
            let message = if arguments.is_empty() {
                template
            } else {
                fill(&template, &arguments)
            };
            let mut locations = Vec::new();
            for (l, lp) in res.items("locations")? {
                locations.push(read_location(l, &lp, &artifacts)?);
            }
            let fingerprints = res.string_map("fingerprints")?;
            let partial_fingerprints = res.string_map("partialFingerprints")?;
            let mut suppressions = Vec::new();
            for (s, sp) in res.items("suppressions")? {
                let n = Node {
                    value: s,
                    pointer: &sp,
                };
                n.object()?;
                let Some(kind) = n.choice(
                    "kind",
                    &[
                        ("inSource", SuppressionKind::InSource),
                        ("external", SuppressionKind::External),
                    ],
                )?
                else {
                    return Err(err(
                        &format!("{sp}/kind"),
                        "is required (`inSource` or `external`)",
                    ));
                };
                suppressions.push(Suppression {
                    kind,
                    status: n.choice(
                        "status",
                        &[
                            ("accepted", SuppressionStatus::Accepted),
                            ("underReview", SuppressionStatus::UnderReview),
                            ("rejected", SuppressionStatus::Rejected),
                        ],
                    )?,
                    justification: n.string("justification")?.map(str::to_owned),
                });
            }
            let baseline_state = res.choice(
                "baselineState",
                &[
                    ("new", BaselineState::New),
                    ("unchanged", BaselineState::Unchanged),
                    ("updated", BaselineState::Updated),
                    ("absent", BaselineState::Absent),
                ],
            )?;
            let mut cwe = rule.map(|x| x.cwe.clone()).unwrap_or_default();
            cwe_refs(res, "taxa", &mut cwe)?;
            // The id: tool, rule and fingerprints; without fingerprints
            // the first location and the message.
            let identity = if !fingerprints.is_empty() {
                fingerprints
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else if !partial_fingerprints.is_empty() {
                partial_fingerprints
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                let first = locations.first().cloned().unwrap_or_default();
                format!(
                    "{}:{}:{}\n{}\n{message}",
                    first.uri.unwrap_or_default(),
                    first.start_line.unwrap_or(0),
                    first.start_column.unwrap_or(0),
                    first.logical.join("\n"),
                )
            };
            let hash = sha256_hex(
                format!("{name}\n{}\n{identity}", rule_id.as_deref().unwrap_or("")).as_bytes(),
            );
            let base = format!("SARIF-{}-{}", slug(&name), hash.get(..16).unwrap_or(&hash));
            let mut id = base.clone();
            let mut n = 2;
            while findings.iter().any(|f| f.id == id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            findings.push(ScanFinding {
                id,
                pointer: rp.clone(),
                run: r,
                tool: name.clone(),
                rule_name: rule.and_then(|x| x.name.clone()),
                rule_id,
                level,
                kind,
                message,
                locations,
                fingerprints,
                partial_fingerprints,
                suppressions,
                baseline_state,
                cwe,
                security_severity: rule.and_then(|x| x.security_severity),
                test: options.test.clone(),
            });
        }
        runs.push(ScanRun {
            tool: name,
            full_name: driver.string("fullName")?.map(str::to_owned),
            version: driver
                .string("version")?
                .or(driver.string("semanticVersion")?)
                .map(str::to_owned),
            information_uri: driver.string("informationUri")?.map(str::to_owned),
            rules,
            extensions,
            results: count,
            execution_successful,
        });
    }
    Ok(ScanReport {
        source: options.source.clone(),
        sha256,
        test: options.test.clone(),
        runs,
        findings,
        warnings,
    })
}
