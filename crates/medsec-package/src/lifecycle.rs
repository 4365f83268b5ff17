//! What the manufacturer commits to after the device is on the market:
//! the TPLC cybersecurity management plan (IMDRF N60 5.4 and 5.6.4, FDA
//! 2023 VI.B; MFDS 보안지침 Arts 17–22) with the customer-documentation
//! statements the labelling needs (N60 5.5, FDA VI.A), and the support
//! of each SBOM component (N60 5.5.2, FDA V.A.4).
//!
//! Both are read from the manufacturer's files; nothing here makes up a
//! commitment. What a file leaves out becomes a gap of the package
//! ([`crate::DocumentGap`]), and errors name the file, the entry and the
//! field.
//!
//! # The plan file (TOML)
//!
//! Every table and key is optional; unknown keys are refused.
//!
//! ```toml
//! end_of_support = 2032-12-31          # the device's cybersecurity support
//!
//! [[role]]                             # personnel (FDA VI.B)
//! role = "제품보안책임자 / Product security officer"
//! name = "홍길동"                       # optional
//! responsibilities = "취약점 분류와 패치 결정 / triage and patch decisions"
//!
//! [[monitoring]]                       # surveillance sources (N60 5.4)
//! source = "NVD"                       # NVD, CISA KEV, supplier advisories, ISAC …
//! frequency = "daily"
//!
//! [cvd]                                # coordinated disclosure (ISO/IEC 29147, 30111)
//! policy = "https://example.com/security/cvd"
//! contact = "security@example.com"
//! acknowledge_days = 5
//! assessment_days = 30
//! disclosure_days = 90
//!
//! [patches]                            # regular and out-of-cycle updates (§524B(b)(2))
//! critical_days = 30                   # critical and KEV vulnerabilities
//! other_days = 90
//! regular = "분기별 / quarterly"
//!
//! [communication]                      # customer notifications
//! channels = ["보안 권고문 / security advisories", "e-mail to registered customers"]
//!
//! [practice]                           # free text, Korean and/or English
//! testing = "연 1회 침투시험 / annual penetration test"
//! recovery = "…"                       # recovery after an incident (N60 5.4)
//! information_sharing = "KISA 의료 ISAC 회원 / member of the health ISAC"
//!
//! [labelling]                          # customer security documentation (N60 5.5)
//! backup_restore = "…"
//! infrastructure = "…"
//! hardening = "…"
//! security_events = "…"
//! decommissioning = "…"
//! ```
//!
//! # The support file (TOML or CSV)
//!
//! ```toml
//! [[component]]
//! component = "pkg:generic/openssl@3.0.13"  # purl, or name@version
//! level = "active"                           # active | limited | end-of-support | unknown
//! end_of_support = 2026-09-07                # optional
//! note = "OpenSSL 3.0 LTS"                   # optional
//! ```
//!
//! CSV: a header `component,level,end_of_support,note` (the last two
//! columns optional), UTF-8 with or without BOM, RFC 4180 quoting.

use serde::{Deserialize, Deserializer, Serialize};
use time::Date;

use crate::PackageError;

/// The manufacturer's TPLC cybersecurity management plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TplcPlan {
    /// The device's end of cybersecurity support.
    #[serde(default, deserialize_with = "opt_date")]
    pub end_of_support: Option<Date>,
    #[serde(default, rename = "role")]
    pub roles: Vec<PlanRole>,
    #[serde(default)]
    pub monitoring: Vec<Monitoring>,
    #[serde(default)]
    pub cvd: Option<Cvd>,
    #[serde(default)]
    pub patches: Option<Patches>,
    #[serde(default)]
    pub communication: Option<Communication>,
    #[serde(default)]
    pub practice: Practice,
    #[serde(default)]
    pub labelling: Labelling,
}

/// A person or function responsible for the device's cybersecurity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRole {
    pub role: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub responsibilities: Option<String>,
}

/// A source of vulnerability information and how often it is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub source: String,
    pub frequency: String,
}

/// The coordinated vulnerability disclosure policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cvd {
    /// Where the policy is published (a URL or a document number).
    #[serde(default)]
    pub policy: Option<String>,
    /// Where researchers and customers report (e-mail, web form).
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub acknowledge_days: Option<u32>,
    #[serde(default)]
    pub assessment_days: Option<u32>,
    #[serde(default)]
    pub disclosure_days: Option<u32>,
}

/// Patch timelines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patches {
    /// Days from discovery to a patch for critical and KEV-listed
    /// vulnerabilities.
    #[serde(default)]
    pub critical_days: Option<u32>,
    /// Days for the others.
    #[serde(default)]
    pub other_days: Option<u32>,
    /// The regular update cycle.
    #[serde(default)]
    pub regular: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Communication {
    #[serde(default)]
    pub channels: Vec<String>,
}

/// Practices described in the manufacturer's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Practice {
    #[serde(default)]
    pub testing: Option<String>,
    #[serde(default)]
    pub recovery: Option<String>,
    #[serde(default)]
    pub information_sharing: Option<String>,
}

/// Statements of the customer security documentation the device profile
/// cannot give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelling {
    #[serde(default)]
    pub backup_restore: Option<String>,
    #[serde(default)]
    pub infrastructure: Option<String>,
    #[serde(default)]
    pub hardening: Option<String>,
    #[serde(default)]
    pub security_events: Option<String>,
    #[serde(default)]
    pub decommissioning: Option<String>,
}

/// How far a component's supplier still supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SupportLevel {
    Active,
    Limited,
    EndOfSupport,
    Unknown,
}

impl SupportLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            SupportLevel::Active => "active",
            SupportLevel::Limited => "limited",
            SupportLevel::EndOfSupport => "end-of-support",
            SupportLevel::Unknown => "unknown",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            SupportLevel::Active => "지원 중",
            SupportLevel::Limited => "제한적 지원",
            SupportLevel::EndOfSupport => "지원 종료",
            SupportLevel::Unknown => "알 수 없음",
        }
    }

    pub fn parse(s: &str) -> Option<SupportLevel> {
        match s.trim() {
            "active" => Some(SupportLevel::Active),
            "limited" => Some(SupportLevel::Limited),
            "end-of-support" | "eos" => Some(SupportLevel::EndOfSupport),
            "unknown" => Some(SupportLevel::Unknown),
            _ => None,
        }
    }
}

/// The support of one SBOM component, keyed by purl or `name@version`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSupport {
    pub component: String,
    pub level: SupportLevel,
    #[serde(default, deserialize_with = "opt_date")]
    pub end_of_support: Option<Date>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), format).map_err(|e| format!("`{s}` is not a date YYYY-MM-DD: {e}"))
}

/// A date written as a TOML date (`2032-12-31`) or a string.
fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    let text = match value {
        toml::Value::String(s) => s,
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected a date YYYY-MM-DD, found `{other}`"
            )));
        }
    };
    parse_date(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn read_error(name: &str, message: String) -> PackageError {
    PackageError::Input {
        path: name.to_owned(),
        message,
    }
}

/// Reads the plan file (TOML); errors name the file and the field.
pub fn read_tplc(name: &str, text: &str) -> Result<TplcPlan, PackageError> {
    let de = toml::Deserializer::parse(text).map_err(|e| read_error(name, e.to_string()))?;
    let plan: TplcPlan = serde_path_to_error::deserialize(de).map_err(|e| {
        read_error(
            name,
            format!("{}: {}", e.path(), e.inner().message().trim_end()),
        )
    })?;
    for (i, r) in plan.roles.iter().enumerate() {
        if r.role.trim().is_empty() {
            return Err(read_error(name, format!("role[{i}].role: empty")));
        }
    }
    for (i, m) in plan.monitoring.iter().enumerate() {
        if m.source.trim().is_empty() || m.frequency.trim().is_empty() {
            return Err(read_error(
                name,
                format!("monitoring[{i}]: `source` and `frequency` must not be empty"),
            ));
        }
    }
    Ok(plan)
}

/// Reads the support file: CSV when the name ends in `.csv`, else TOML
/// with `[[component]]` tables.
pub fn read_support(name: &str, text: &str) -> Result<Vec<ComponentSupport>, PackageError> {
    let list = if name.to_ascii_lowercase().ends_with(".csv") {
        read_support_csv(name, text)?
    } else {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            component: Vec<ComponentSupport>,
        }
        let de = toml::Deserializer::parse(text).map_err(|e| read_error(name, e.to_string()))?;
        let file: File = serde_path_to_error::deserialize(de).map_err(|e| {
            read_error(
                name,
                format!("{}: {}", e.path(), e.inner().message().trim_end()),
            )
        })?;
        file.component
    };
    for (i, c) in list.iter().enumerate() {
        if c.component.trim().is_empty() {
            return Err(read_error(name, format!("component[{i}].component: empty")));
        }
    }
    Ok(list)
}

fn read_support_csv(name: &str, text: &str) -> Result<Vec<ComponentSupport>, PackageError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records =
        csv_records(text).map_err(|(line, m)| read_error(name, format!("line {line}: {m}")))?;
    let mut rows = records.into_iter();
    let Some((_, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let column = |want: &str| header.iter().position(|h| h.trim() == want);
    let (Some(component), Some(level)) = (column("component"), column("level")) else {
        return Err(read_error(
            name,
            "line 1: the header must name the columns `component` and `level` (and optionally `end_of_support`, `note`)".into(),
        ));
    };
    let eos = column("end_of_support");
    let note = column("note");
    for h in &header {
        if !["component", "level", "end_of_support", "note"].contains(&h.trim()) {
            return Err(read_error(name, format!("line 1: unknown column `{h}`")));
        }
    }
    let mut out = Vec::new();
    for (line, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let at = |field: &str, m: String| read_error(name, format!("line {line}, {field}: {m}"));
        let level_text = cell(Some(level)).unwrap_or_default();
        let level = SupportLevel::parse(&level_text).ok_or_else(|| {
            at(
                "level",
                format!("`{level_text}` is not active, limited, end-of-support or unknown"),
            )
        })?;
        let end_of_support = match cell(eos) {
            Some(d) => Some(parse_date(&d).map_err(|m| at("end_of_support", m))?),
            None => None,
        };
        out.push(ComponentSupport {
            component: cell(Some(component)).ok_or_else(|| at("component", "empty".into()))?,
            level,
            end_of_support,
            note: cell(note),
        });
    }
    Ok(out)
}

/// A CSV record with the line it starts on.
type Record = (usize, Vec<String>);

/// RFC 4180 records; an error names the line.
fn csv_records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err((start, "a quoted field is not closed".into()));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start, record));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_reads_and_names_bad_fields() {
        let plan = read_tplc(
            "plan.toml",
            "end_of_support = 2032-12-31\n[[role]]\nrole = \"PSO\"\n[cvd]\ncontact = \"security@example.com\"\n[patches]\ncritical_days = 30\n",
        )
        .unwrap();
        assert_eq!(
            plan.end_of_support,
            Some(time::macros::date!(2032 - 12 - 31))
        );
        assert_eq!(plan.patches.unwrap().critical_days, Some(30));
        let err = read_tplc("plan.toml", "[patches]\ncritical_days = \"soon\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("plan.toml: patches.critical_days:"),
            "{err}"
        );
        let err = read_tplc("plan.toml", "end_of_support = \"2032-13-01\"\n").unwrap_err();
        assert!(err.to_string().contains("end_of_support"), "{err}");
        let err = read_tplc("plan.toml", "[cvd]\nmail = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("cvd"), "{err}");
    }

    #[test]
    fn support_reads_from_toml_and_csv() {
        let toml = read_support(
            "support.toml",
            "[[component]]\ncomponent = \"pkg:generic/openssl@3.0.13\"\nlevel = \"active\"\nend_of_support = 2026-09-07\n",
        )
        .unwrap();
        let csv = read_support(
            "support.csv",
            "\u{feff}component,level,end_of_support,note\r\npkg:generic/openssl@3.0.13,active,2026-09-07,\"LTS, until \"\"2026\"\"\"\r\n",
        )
        .unwrap();
        assert_eq!(toml[0].component, csv[0].component);
        assert_eq!(toml[0].end_of_support, csv[0].end_of_support);
        assert_eq!(csv[0].note.as_deref(), Some("LTS, until \"2026\""));
        let err = read_support("s.csv", "component,level\nx@1,retired\n").unwrap_err();
        assert!(
            err.to_string().contains("line 2, level: `retired`"),
            "{err}"
        );
        let err = read_support("s.csv", "component,lvl\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = read_support("s.toml", "[[component]]\ncomponent = \"x@1\"\n").unwrap_err();
        assert!(err.to_string().contains("component[0]"), "{err}");
    }
}
