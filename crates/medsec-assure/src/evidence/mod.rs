//! Security-testing evidence (IMDRF N60 5.3 and 5.6.3; MFDS 소프트웨어
//! 검증 및 유효성 확인 자료; FDA 2023 V.C): test cases derived from the
//! applicable checklist items' 시험기준 and 시험방법, scanner and fuzzer
//! results imported from SARIF 2.1.0 ([`sarif`]), the release's SBOM
//! findings ([`sbom`]) and the unresolved anomalies with their
//! justifications ([`anomaly`]).
//!
//! A [`TestPlan`] is a document like the risk register: derived once
//! ([`TestPlan::derive`]), then kept and edited (statuses, evidence,
//! further test cases) as TOML or JSON.

pub mod anomaly;
pub mod sarif;
pub mod sbom;

pub use anomaly::{Anomaly, AnomalyKind, Justification};
pub use sarif::{ScanFinding, ScanReport};
pub use sbom::SbomFinding;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checklist::{Checklist, EvidenceRef, TestResult};
use crate::profile::Format;
use crate::threat::Text;

/// The format tag of a test plan.
pub const SCHEMA: &str = "medsec-test-plan/1";

/// The device the catalogue's example steps name (seed 000's review
/// case), in Korean and English; replaced by the device's product name,
/// as the checklist's prefill does.
const SEED_DEVICE_KO: &str = "유헬스케어 게이트웨이";
const SEED_DEVICE_EN: &str = "u-Healthcare gateway";

/// An evidence file that exists (in the store, in a package): what
/// references by SHA-256 are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFile {
    /// Lower-case hex.
    pub sha256: String,
    pub filename: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What kind of security test (IEC 81001-5-1 5.7.1–5.7.4; FDA 2023 V.C).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestKind {
    /// Security requirement testing: a checklist item's test.
    #[default]
    Requirement,
    /// Threat mitigation testing: a control against its threat.
    ThreatMitigation,
    /// Vulnerability testing: fuzzing, attack surface, SAST, SCA.
    Vulnerability,
    /// Penetration testing.
    Penetration,
}

/// A test case's result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    #[default]
    NotRun,
    Pass,
    Fail,
    /// Needs a justification.
    NotApplicable,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::NotRun => "not-run",
            TestStatus::Pass => "pass",
            TestStatus::Fail => "fail",
            TestStatus::NotApplicable => "not-applicable",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            TestStatus::NotRun => "미실시",
            TestStatus::Pass => "적합",
            TestStatus::Fail => "부적합",
            TestStatus::NotApplicable => "해당 없음",
        }
    }
}

/// Where a test case's procedure comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "from")]
pub enum ProcedureSource {
    /// The catalogue's 시험기준 and 시험방법 for the item.
    Catalogue,
    /// The manufacturer's text in the checklist, which differs from the
    /// catalogue's (no English rendering).
    Checklist,
    /// The edition gives none: carried from the items the crosswalk links
    /// (MFDS 2024 items from their MFDS 2019 predecessors).
    Crosswalk { items: Vec<String> },
    /// Written by the manufacturer in the plan.
    #[default]
    Manual,
    /// Nothing to derive it from: to be written.
    Missing,
}

/// One security test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// `TC-mfds-2019-1.1` for a derived case.
    pub id: String,
    #[serde(default)]
    pub kind: TestKind,
    /// The catalogue item it verifies (`mfds-2019:1.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    pub title: Text,
    /// 시험기준: the expected result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_ko: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_en: Option<String>,
    /// 시험방법, one step per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedure_ko: Vec<String>,
    /// The English rendering where the catalogue has one; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedure_en: Vec<String>,
    #[serde(default)]
    pub procedure_source: ProcedureSource,
    #[serde(default)]
    pub status: TestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_by: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceRef>,
    /// Why the test does not apply (with `not-applicable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl TestCase {
    /// The case's steps exist in at least one language.
    pub fn has_procedure(&self) -> bool {
        self.procedure_ko.iter().any(|s| !s.trim().is_empty())
            || self.procedure_en.iter().any(|s| !s.trim().is_empty())
    }
}

/// The security test plan and its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPlan {
    pub schema: String,
    /// The checklist edition the derived cases come from.
    pub catalog: String,
    #[serde(default, rename = "case", skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<TestCase>,
}

/// A test plan that cannot be read, naming the case and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{message}")]
    Syntax { message: String },
    #[error("{entry}{}: {message}", crate::doc::dotted(field))]
    Entry {
        entry: String,
        field: String,
        message: String,
    },
    #[error("writing the test plan: {message}")]
    Write { message: String },
}

fn plan_error((entry, field, message): crate::doc::EntryError) -> PlanError {
    PlanError::Entry {
        entry,
        field,
        message,
    }
}

/// The test case id of a catalogue item (`mfds-2019:1.1` →
/// `TC-mfds-2019-1.1`).
pub fn case_id(item: &str) -> String {
    format!("TC-{}", item.replacen(':', "-", 1))
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl TestPlan {
    /// One test case per applicable item of the checklist: its 시험기준
    /// and 시험방법 as the checklist holds them (the catalogue's, with the
    /// seed's example device replaced by this one, unless the
    /// manufacturer changed them), in English where the catalogue has
    /// the same text; where the edition gives none (MFDS 2024), the
    /// procedure of the MFDS 2019 items the crosswalk links. Status and
    /// evidence come from the item's latest test record and attached
    /// documents.
    pub fn derive(catalogs: &medsec_catalog::Catalogs, checklist: &Checklist) -> TestPlan {
        let product = &checklist.header.product;
        let cases = checklist
            .rows
            .iter()
            .filter(|r| r.applies)
            .map(|row| {
                let reference = format!("{}:{}", checklist.catalog, row.id);
                let item = catalogs.resolve(&reference).map(|(_, i)| i);
                let content = &row.content;
                let seed_ko = |s: &str| s.replace(SEED_DEVICE_KO, product);
                let catalogue_ko: Vec<String> = item
                    .map(|i| i.test_method_ko.iter().map(|s| seed_ko(s)).collect())
                    .unwrap_or_default();
                let catalogue_expected = item
                    .and_then(|i| i.test_criterion_ko.as_deref())
                    .map(seed_ko);
                let en_device = |s: &str| {
                    if product == SEED_DEVICE_KO {
                        s.to_owned()
                    } else {
                        s.replace(SEED_DEVICE_EN, product)
                    }
                };
                let mut expected_ko = non_blank(content.test_criterion.as_deref());
                let mut procedure_ko: Vec<String> = content
                    .test_method
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .cloned()
                    .collect();
                let (mut expected_en, mut procedure_en, mut source) =
                    if procedure_ko.is_empty() && expected_ko.is_none() {
                        (None, Vec::new(), ProcedureSource::Missing)
                    } else if procedure_ko == catalogue_ko && expected_ko == catalogue_expected {
                        (
                            item.and_then(|i| i.test_criterion_en.as_deref())
                                .map(en_device),
                            item.map(|i| i.test_method_en.iter().map(|s| en_device(s)).collect())
                                .unwrap_or_default(),
                            ProcedureSource::Catalogue,
                        )
                    } else {
                        (None, Vec::new(), ProcedureSource::Checklist)
                    };
                if source == ProcedureSource::Missing {
                    // Carry the predecessors' procedure along the
                    // crosswalk, in the crosswalk's order.
                    let mut from = Vec::new();
                    for (_, other) in catalogs.links_of(&reference) {
                        let Some((c, i)) = catalogs.resolve(other) else {
                            continue;
                        };
                        if c.catalog.id == checklist.catalog
                            || !crate::rules::CHECKLISTS.contains(&c.catalog.id.as_str())
                            || i.test_method_ko.is_empty()
                        {
                            continue;
                        }
                        from.push(other.to_owned());
                        procedure_ko.extend(i.test_method_ko.iter().map(|s| seed_ko(s)));
                        procedure_en.extend(i.test_method_en.iter().map(|s| en_device(s)));
                        if let Some(k) = i.test_criterion_ko.as_deref() {
                            let k = seed_ko(k);
                            expected_ko = Some(match expected_ko {
                                Some(e) => format!("{e} {k}"),
                                None => k,
                            });
                        }
                        if let Some(e) = i.test_criterion_en.as_deref() {
                            let e = en_device(e);
                            expected_en = Some(match expected_en {
                                Some(x) => format!("{x} {e}"),
                                None => e,
                            });
                        }
                    }
                    if !from.is_empty() {
                        source = ProcedureSource::Crosswalk { items: from };
                    }
                }
                let last = content.tests.last();
                let status = match last.map(|t| t.result) {
                    Some(TestResult::Pass) => TestStatus::Pass,
                    Some(TestResult::Fail) => TestStatus::Fail,
                    Some(TestResult::Inconclusive) | None => TestStatus::NotRun,
                };
                let mut evidence: Vec<EvidenceRef> = Vec::new();
                let refs = content
                    .attachments
                    .iter()
                    .filter_map(|a| a.evidence.as_ref())
                    .chain(content.tests.iter().filter_map(|t| t.evidence.as_ref()));
                for e in refs {
                    if !evidence.iter().any(|x| x.sha256 == e.sha256) {
                        evidence.push(e.clone());
                    }
                }
                TestCase {
                    id: case_id(&reference),
                    kind: TestKind::Requirement,
                    item: Some(reference),
                    title: Text::new(row.title_ko.clone(), row.title_en.clone()),
                    expected_ko,
                    expected_en,
                    procedure_ko,
                    procedure_en,
                    procedure_source: source,
                    status,
                    executed_by: last.map(|t| t.by.clone()),
                    executed_on: last.map(|t| t.on.clone()),
                    evidence,
                    justification: None,
                    note: last.map(|t| t.note.clone()).unwrap_or_default(),
                }
            })
            .collect();
        TestPlan {
            schema: SCHEMA.to_owned(),
            catalog: checklist.catalog.clone(),
            cases,
        }
    }

    pub fn case(&self, id: &str) -> Option<&TestCase> {
        self.cases.iter().find(|c| c.id == id)
    }

    pub fn case_mut(&mut self, id: &str) -> Option<&mut TestCase> {
        self.cases.iter_mut().find(|c| c.id == id)
    }

    /// Keeps what was recorded in an earlier plan when the plan is
    /// derived again: the status, execution, evidence, justification and
    /// note of every case that still exists (unless the new derivation
    /// brought a result of its own), and every case written by hand.
    pub fn keep_results(&mut self, previous: &TestPlan) {
        for old in &previous.cases {
            match self.cases.iter_mut().find(|c| c.id == old.id) {
                Some(c) => {
                    if c.status == TestStatus::NotRun && old.status != TestStatus::NotRun {
                        c.status = old.status;
                        c.executed_by = old.executed_by.clone();
                        c.executed_on = old.executed_on.clone();
                    }
                    for e in &old.evidence {
                        if !c.evidence.iter().any(|x| x.sha256 == e.sha256) {
                            c.evidence.push(e.clone());
                        }
                    }
                    if c.justification.is_none() {
                        c.justification = old.justification.clone();
                    }
                    if c.note.is_empty() {
                        c.note = old.note.clone();
                    }
                }
                None if old.item.is_none() => self.cases.push(old.clone()),
                None => {}
            }
        }
    }

    /// Reads a plan from TOML or JSON and checks it.
    pub fn parse(text: &str, format: Format) -> Result<TestPlan, PlanError> {
        let doc =
            crate::doc::parse(text, format).map_err(|message| PlanError::Syntax { message })?;
        let Value::Object(mut map) = doc else {
            return Err(plan_error((
                "plan".into(),
                String::new(),
                "must be a table (object)".into(),
            )));
        };
        crate::doc::only(&map, &["schema", "catalog", "case"], "plan").map_err(plan_error)?;
        let plan = TestPlan {
            schema: crate::doc::string(&mut map, "schema", "plan").map_err(plan_error)?,
            catalog: crate::doc::string(&mut map, "catalog", "plan").map_err(plan_error)?,
            cases: crate::doc::list(map.remove("case"), "case", "plan").map_err(plan_error)?,
        };
        plan.check()?;
        Ok(plan)
    }

    /// Checks the schema, unique ids, dates, SHA-256 values and the
    /// justification of not-applicable cases.
    pub fn check(&self) -> Result<(), PlanError> {
        let err = |entry: String, field: &str, message: String| PlanError::Entry {
            entry,
            field: field.to_owned(),
            message,
        };
        if self.schema != SCHEMA {
            return Err(err(
                "plan".into(),
                "schema",
                format!("is `{}`, expected `{SCHEMA}`", self.schema),
            ));
        }
        let mut ids = BTreeSet::new();
        for (n, c) in self.cases.iter().enumerate() {
            let entry = if c.id.is_empty() {
                format!("case[{n}]")
            } else {
                format!("case `{}`", c.id)
            };
            crate::risk::check_id(&c.id).map_err(|m| err(entry.clone(), "id", m))?;
            if !ids.insert(c.id.as_str()) {
                return Err(err(entry, "id", "is the id of two test cases".into()));
            }
            if let Some(on) = &c.executed_on
                && !crate::risk::is_date(on)
            {
                return Err(err(
                    entry,
                    "executed_on",
                    format!("`{on}` is not a date (YYYY-MM-DD)"),
                ));
            }
            for (i, e) in c.evidence.iter().enumerate() {
                if !is_sha256(&e.sha256) {
                    return Err(err(
                        entry,
                        &format!("evidence[{i}].sha256"),
                        format!("`{}` is not a SHA-256 (64 hex digits)", e.sha256),
                    ));
                }
            }
            if c.status == TestStatus::NotApplicable
                && c.justification
                    .as_deref()
                    .is_none_or(|j| j.trim().is_empty())
            {
                return Err(err(
                    entry,
                    "justification",
                    "a test that does not apply needs a justification".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn to_toml(&self) -> Result<String, PlanError> {
        toml::to_string(self).map_err(|e| PlanError::Write {
            message: e.to_string(),
        })
    }

    pub fn to_json(&self) -> Result<String, PlanError> {
        serde_json::to_string_pretty(self).map_err(|e| PlanError::Write {
            message: e.to_string(),
        })
    }
}

/// 64 hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The SHA-256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
