//! The cybersecurity risk register in the manner of ISO 14971 and AAMI
//! TIR57 (IMDRF N60 5.2, 5.6.2; MFDS 사이버보안 위험관리 문서): each risk
//! links a threat of the threat model to the vulnerability it would
//! exploit, its exploitability (a CVSS vector, the MITRE rubric's answers,
//! or a stated level), the severity of patient harm, the risk level before
//! controls, the controls (linked to MFDS and KISA items and to the
//! manufacturer's requirements, with their status), the risk after
//! controls, and the acceptance of residual risk.
//!
//! [`Register::from_threat_model`] makes a first register (one risk per
//! threat, the threat's suggested controls, harm from what the threat
//! touches; see [`build`]); the user then overrides anything in the TOML or
//! JSON file ([`Register::parse`], [`Register::to_toml`]), and
//! [`Register::evaluate`] computes the levels ([`levels`] documents the
//! exploitability mapping and the default matrix).
//!
//! Pure: no IO; errors name the entry and the field, as in
//! ``risk `R-TM-gateway-S`.exploitability.vector``.

pub mod build;
pub mod levels;

pub use build::HarmBasis;
pub use levels::{ExploitabilityLevel, HarmSeverity, RiskLevel, RiskMatrix, exploitability_of};

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::profile::Format;
use crate::rubric;
use crate::threat::Text;

/// The format tag of a register file.
pub const SCHEMA: &str = "medsec-risk-register/1";

/// The risk register of a device version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub schema: String,
    /// The device (product, model, version).
    pub title: String,
    /// The acceptability criteria; the documented default when absent.
    #[serde(default)]
    pub matrix: RiskMatrix,
    #[serde(default, rename = "control", skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    #[serde(default, rename = "risk", skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Risk>,
}

/// Where a risk comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskSource {
    /// A threat of the threat model.
    Threat,
    /// An open vulnerability of the release's SBOM.
    Sbom,
    /// Written by someone.
    #[default]
    Manual,
}

/// One risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub id: String,
    /// The threat of the threat model it assesses (`TM-gateway-S`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat: Option<String>,
    pub title: Text,
    #[serde(default)]
    pub source: RiskSource,
    pub vulnerability: Vulnerability,
    #[serde(default)]
    pub exploitability: Exploitability,
    pub harm: Harm,
    /// The controls that reduce it (control ids).
    #[serde(default)]
    pub controls: Vec<String>,
    /// The assessment with the controls in place.
    #[serde(default)]
    pub residual: Residual,
    /// Who accepted the residual risk, when and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<Acceptance>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The weakness a threat would exploit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vulnerability {
    pub description: Text,
    /// `CVE-YYYY-N…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve: Vec<String>,
    /// `CWE-N`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// The affected component (a purl or `name@version`), for SBOM risks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

/// How exploitable the vulnerability is. The first of these that is set
/// decides: a stated `level` (with its rationale), the `rubric`'s answers
/// (whose vector must equal `vector` when both are given), the `vector`,
/// medsec's `estimate` from the threat model; with none, the risk is
/// assessed at very high exploitability until someone assesses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exploitability {
    /// A CVSS vector of any version `medsec-cvss` reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<rubric::Answers>,
    /// A level the analyst states, overriding the vector's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<ExploitabilityLevel>,
    /// medsec's estimate from the threat model's exposure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<ExploitabilityLevel>,
    /// Why (required with `level`; explains `estimate`).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub rationale: Text,
}

/// The severity of the harm to the patient, with the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Harm {
    pub severity: HarmSeverity,
    /// The harm (잘못된 진단, 치료 지연 …).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub description: Text,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub rationale: Text,
}

/// The risk with the controls in place. Without a stated assessment no
/// credit is taken for the controls: the residual risk is the risk before
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Residual {
    /// The vector re-scored with the controls in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// The exploitability with the controls, overriding the vector's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploitability: Option<ExploitabilityLevel>,
    /// The harm severity with the controls, when they reduce it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<HarmSeverity>,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub rationale: Text,
}

impl Residual {
    fn is_stated(&self) -> bool {
        self.vector.is_some() || self.exploitability.is_some() || self.severity.is_some()
    }
}

/// The acceptance of a residual risk (잔여위험 허용).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// Who accepted (name and role).
    pub by: String,
    /// When (YYYY-MM-DD).
    pub on: String,
    /// Why: further control is impracticable, the benefit outweighs the
    /// risk.
    pub rationale: String,
}

/// A risk control (위험통제 수단).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub description: Text,
    /// The catalogue items it implements (`kisa-dh:1.1.1`, `mfds-2019:1.1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catalog_items: Vec<String>,
    /// The manufacturer's own requirement ids (`SRS-SEC-012`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Test cases that verify it, besides those of its catalogue items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<String>,
    #[serde(default)]
    pub status: ControlStatus,
    /// Suggested by medsec from the threat model rather than written.
    #[serde(default)]
    pub suggested: bool,
}

/// Where a control stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    #[default]
    Planned,
    Implemented,
    /// Implemented and its verification passed.
    Verified,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Planned => "planned",
            ControlStatus::Implemented => "implemented",
            ControlStatus::Verified => "verified",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            ControlStatus::Planned => "계획",
            ControlStatus::Implemented => "구현됨",
            ControlStatus::Verified => "검증됨",
        }
    }
}

fn is_blank(t: &Text) -> bool {
    t.ko.trim().is_empty() && t.en.trim().is_empty()
}

/// A register that cannot be read or is not consistent, naming the entry
/// and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The file is not valid TOML or JSON.
    #[error("{message}")]
    Syntax { message: String },
    /// `entry` is ``risk `R-1` ``, `risk[3]` (no id), ``control `C-x` ``,
    /// `matrix` or `register`.
    #[error("{entry}{}: {message}", crate::doc::dotted(field))]
    Entry {
        entry: String,
        field: String,
        message: String,
    },
    #[error("writing the register: {message}")]
    Write { message: String },
}

fn entry_error(
    entry: impl Into<String>,
    field: impl Into<String>,
    message: impl Into<String>,
) -> RegisterError {
    RegisterError::Entry {
        entry: entry.into(),
        field: field.into(),
        message: message.into(),
    }
}

fn risk_entry(id: &str) -> String {
    format!("risk `{id}`")
}

fn control_entry(id: &str) -> String {
    format!("control `{id}`")
}

/// Where an exploitability level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExploitabilitySource {
    Stated,
    Rubric,
    Vector,
    Estimate,
    /// Nothing known: assessed as very high.
    Unassessed,
}

/// A risk's levels, computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub risk: String,
    pub exploitability: ExploitabilityLevel,
    pub exploitability_source: ExploitabilitySource,
    pub exploitability_rationale: Text,
    /// The vector that decided, normalised, with its base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    /// The rubric's assessment, when answers were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<rubric::Assessment>,
    pub severity: HarmSeverity,
    /// 통제 전 위험.
    pub before: RiskLevel,
    pub residual_exploitability: ExploitabilityLevel,
    pub residual_severity: HarmSeverity,
    /// 통제 후 (잔여) 위험.
    pub residual: RiskLevel,
    /// A residual assessment was stated (credit taken for the controls).
    pub residual_assessed: bool,
    pub accepted: bool,
    /// The residual risk is not acceptable by the matrix alone and has no
    /// acceptance on record.
    pub needs_acceptance: bool,
}

impl Register {
    /// An empty register with the default matrix.
    pub fn new(title: impl Into<String>) -> Register {
        Register {
            schema: SCHEMA.to_owned(),
            title: title.into(),
            matrix: RiskMatrix::default(),
            controls: Vec::new(),
            risks: Vec::new(),
        }
    }

    pub fn risk(&self, id: &str) -> Option<&Risk> {
        self.risks.iter().find(|r| r.id == id)
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The risk of a threat.
    pub fn risk_of_threat(&self, threat: &str) -> Option<&Risk> {
        self.risks
            .iter()
            .find(|r| r.threat.as_deref() == Some(threat))
    }

    /// Reads a register from TOML or JSON and checks it; errors name the
    /// entry and field (``risk `R-TM-gateway-S`.exploitability.vector``).
    pub fn parse(
        text: &str,
        format: Format,
        catalogs: &medsec_catalog::Catalogs,
    ) -> Result<Register, RegisterError> {
        let doc =
            crate::doc::parse(text, format).map_err(|message| RegisterError::Syntax { message })?;
        let register = from_value(doc)?;
        register.check(catalogs)?;
        Ok(register)
    }

    /// The register as TOML.
    pub fn to_toml(&self) -> Result<String, RegisterError> {
        toml::to_string(self).map_err(|e| RegisterError::Write {
            message: e.to_string(),
        })
    }

    /// The register as pretty JSON.
    pub fn to_json(&self) -> Result<String, RegisterError> {
        serde_json::to_string_pretty(self).map_err(|e| RegisterError::Write {
            message: e.to_string(),
        })
    }

    /// Checks what serde cannot: the schema, unique well-formed ids,
    /// references to controls, catalogue items that exist, CVE and CWE
    /// ids, vectors that parse, rubric answers that assess and agree with
    /// the vector, stated levels with a rationale, complete acceptances,
    /// and a monotonic matrix.
    pub fn check(&self, catalogs: &medsec_catalog::Catalogs) -> Result<(), RegisterError> {
        if self.schema != SCHEMA {
            return Err(entry_error(
                "register",
                "schema",
                format!("is `{}`, expected `{SCHEMA}`", self.schema),
            ));
        }
        self.matrix
            .check()
            .map_err(|(field, message)| entry_error("matrix", field, message))?;
        let mut controls = BTreeSet::new();
        for (n, c) in self.controls.iter().enumerate() {
            let entry = if c.id.is_empty() {
                format!("control[{n}]")
            } else {
                control_entry(&c.id)
            };
            check_id(&c.id).map_err(|m| entry_error(&entry, "id", m))?;
            if !controls.insert(c.id.as_str()) {
                return Err(entry_error(&entry, "id", "is the id of two controls"));
            }
            if is_blank(&c.title) {
                return Err(entry_error(&entry, "title", "must not be empty"));
            }
            for (i, item) in c.catalog_items.iter().enumerate() {
                if catalogs.resolve(item).is_none() {
                    return Err(entry_error(
                        &entry,
                        format!("catalog_items[{i}]"),
                        format!("`{item}` names no catalogue item (catalogue:item)"),
                    ));
                }
            }
            for (i, t) in c.tests.iter().enumerate() {
                check_id(t).map_err(|m| entry_error(&entry, format!("tests[{i}]"), m))?;
            }
        }
        let mut risks = BTreeSet::new();
        for (n, r) in self.risks.iter().enumerate() {
            let entry = if r.id.is_empty() {
                format!("risk[{n}]")
            } else {
                risk_entry(&r.id)
            };
            let err = |field: String, message: String| entry_error(&entry, field, message);
            check_id(&r.id).map_err(|m| err("id".into(), m))?;
            if !risks.insert(r.id.as_str()) {
                return Err(err("id".into(), "is the id of two risks".into()));
            }
            if is_blank(&r.title) {
                return Err(err("title".into(), "must not be empty".into()));
            }
            for (i, c) in r.controls.iter().enumerate() {
                if !controls.contains(c.as_str()) {
                    return Err(err(
                        format!("controls[{i}]"),
                        format!("`{c}` names no control of the register"),
                    ));
                }
            }
            for (i, cve) in r.vulnerability.cve.iter().enumerate() {
                if !is_cve(cve) {
                    return Err(err(
                        format!("vulnerability.cve[{i}]"),
                        format!("`{cve}` is not a CVE id (CVE-YYYY-NNNN)"),
                    ));
                }
            }
            for (i, cwe) in r.vulnerability.cwe.iter().enumerate() {
                if !is_cwe(cwe) {
                    return Err(err(
                        format!("vulnerability.cwe[{i}]"),
                        format!("`{cwe}` is not a CWE id (CWE-N)"),
                    ));
                }
            }
            let x = &r.exploitability;
            if let Some(v) = &x.vector {
                parse_vector(v).map_err(|m| err("exploitability.vector".into(), m))?;
            }
            if let Some(a) = &x.rubric {
                let assessed = a
                    .assess()
                    .map_err(|e| err("exploitability.rubric".into(), e.to_string()))?;
                if let Some(v) = &x.vector
                    && let Ok(parsed) = medsec_cvss::Vector::parse(v)
                    && parsed.to_string() != assessed.vector
                {
                    return Err(err(
                        "exploitability.vector".into(),
                        format!(
                            "is {parsed} but the rubric's answers give {}",
                            assessed.vector
                        ),
                    ));
                }
            }
            if x.level.is_some() && is_blank(&x.rationale) {
                return Err(err(
                    "exploitability.rationale".into(),
                    "a stated level needs a rationale".into(),
                ));
            }
            if let Some(v) = &r.residual.vector {
                parse_vector(v).map_err(|m| err("residual.vector".into(), m))?;
            }
            if r.residual.is_stated() && is_blank(&r.residual.rationale) {
                return Err(err(
                    "residual.rationale".into(),
                    "a residual assessment needs a rationale (how the controls reduce the risk)"
                        .into(),
                ));
            }
            if let Some(a) = &r.acceptance {
                for (field, value) in [("by", &a.by), ("rationale", &a.rationale)] {
                    if value.trim().is_empty() {
                        return Err(err(
                            format!("acceptance.{field}"),
                            "must not be empty".into(),
                        ));
                    }
                }
                if !is_date(&a.on) {
                    return Err(err(
                        "acceptance.on".into(),
                        format!("`{}` is not a date (YYYY-MM-DD)", a.on),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every risk's levels before and after controls. The register should
    /// have passed [`Register::check`]; a vector that does not parse is
    /// reported here too.
    pub fn evaluate(&self) -> Result<Vec<Evaluation>, RegisterError> {
        self.risks.iter().map(|r| self.evaluate_risk(r)).collect()
    }

    fn evaluate_risk(&self, r: &Risk) -> Result<Evaluation, RegisterError> {
        let entry = risk_entry(&r.id);
        let x = &r.exploitability;
        let rubric = match &x.rubric {
            Some(a) => Some(
                a.assess()
                    .map_err(|e| entry_error(&entry, "exploitability.rubric", e.to_string()))?,
            ),
            None => None,
        };
        let vector_text = rubric
            .as_ref()
            .map(|a| a.vector.clone())
            .or_else(|| x.vector.clone());
        let vector = match &vector_text {
            Some(v) => {
                Some(parse_vector(v).map_err(|m| entry_error(&entry, "exploitability.vector", m))?)
            }
            None => None,
        };
        let (exploitability, source, rationale) = if let Some(level) = x.level {
            (level, ExploitabilitySource::Stated, x.rationale.clone())
        } else if let Some(v) = &vector {
            let (level, why) = exploitability_of(v);
            let source = if rubric.is_some() {
                ExploitabilitySource::Rubric
            } else {
                ExploitabilitySource::Vector
            };
            (level, source, why)
        } else if let Some(level) = x.estimate {
            (level, ExploitabilitySource::Estimate, x.rationale.clone())
        } else {
            (
                ExploitabilityLevel::VeryHigh,
                ExploitabilitySource::Unassessed,
                Text::new(
                    "CVSS 벡터, 루브릭 답변, 명시된 수준이 없어 매우 높음으로 평가함",
                    "No CVSS vector, rubric answers or stated level: assessed as very high",
                ),
            )
        };
        let severity = r.harm.severity;
        let before = self.matrix.level(exploitability, severity);
        let res = &r.residual;
        let residual_exploitability = match (res.exploitability, &res.vector) {
            (Some(level), _) => level,
            (None, Some(v)) => {
                let parsed =
                    parse_vector(v).map_err(|m| entry_error(&entry, "residual.vector", m))?;
                exploitability_of(&parsed).0
            }
            (None, None) => exploitability,
        };
        let residual_severity = res.severity.unwrap_or(severity);
        let residual = self
            .matrix
            .level(residual_exploitability, residual_severity);
        let accepted = r.acceptance.is_some();
        Ok(Evaluation {
            risk: r.id.clone(),
            exploitability,
            exploitability_source: source,
            exploitability_rationale: rationale,
            base_score: vector.as_ref().map(|v| v.base_score().value()),
            vector: vector.map(|v| v.to_string()),
            rubric,
            severity,
            before,
            residual_exploitability,
            residual_severity,
            residual,
            residual_assessed: res.is_stated(),
            accepted,
            needs_acceptance: residual != RiskLevel::Acceptable && !accepted,
        })
    }
}

fn parse_vector(v: &str) -> Result<medsec_cvss::Vector, String> {
    medsec_cvss::Vector::parse(v).map_err(|e| format!("`{v}` is not a CVSS vector: {e}"))
}

/// Ids: 1 to 200 letters, digits, `-`, `_`, `.`, `:`, `@`, `+`.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    let n = id.chars().count();
    let ok = (1..=200).contains(&n)
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '+'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` must be 1 to 200 letters, digits, `-`, `_`, `.`, `:`, `@` or `+`"
        ))
    }
}

fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn is_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    parts.next() == Some("CVE")
        && parts.next().is_some_and(|y| digits(y, 4, 4))
        && parts.next().is_some_and(|n| digits(n, 4, 19))
}

pub(crate) fn is_cwe(s: &str) -> bool {
    s.strip_prefix("CWE-").is_some_and(|n| digits(n, 1, 7))
}

/// `YYYY-MM-DD` with a plausible month and day.
pub(crate) fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    digits(y, 4, 4)
        && digits(m, 2, 2)
        && digits(d, 2, 2)
        && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && d.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}

/// Deserialises a register entry by entry, so that a bad field is named
/// with its entry's id.
fn from_value(doc: Value) -> Result<Register, RegisterError> {
    let entry = |(entry, field, message): crate::doc::EntryError| RegisterError::Entry {
        entry,
        field,
        message,
    };
    let Value::Object(mut map) = doc else {
        return Err(entry_error("register", "", "must be a table (object)"));
    };
    crate::doc::only(
        &map,
        &["schema", "title", "matrix", "control", "risk"],
        "register",
    )
    .map_err(entry)?;
    let schema = crate::doc::string(&mut map, "schema", "register").map_err(entry)?;
    let title = crate::doc::string(&mut map, "title", "register").map_err(entry)?;
    let matrix = match map.remove("matrix") {
        Some(m) => crate::doc::take(m, "matrix").map_err(entry)?,
        None => RiskMatrix::default(),
    };
    let controls = crate::doc::list(map.remove("control"), "control", "register").map_err(entry)?;
    let risks = crate::doc::list(map.remove("risk"), "risk", "register").map_err(entry)?;
    Ok(Register {
        schema,
        title,
        matrix,
        controls,
        risks,
    })
}

#[cfg(test)]
mod tests;
