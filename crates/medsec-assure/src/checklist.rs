//! The checklist workspace: what a manufacturer fills in per item of an
//! MFDS edition (적합성 입증방법, 해당 법규 및 규격, 첨부자료, 검증방법,
//! test records), merged with the device's applicability into the
//! checklist as exported and reviewed, and checked for completeness.

use std::collections::BTreeMap;

use medsec_catalog::{Catalog, Catalogs};

use serde::{Deserialize, Serialize};

use crate::profile::{Profile, Purpose, SecurityLevel};
use crate::rules::{Decision, Override, Rules};
use crate::{Facts, PrefillError};

/// The format tag of [`Checklist`] JSON; see `docs/checklist-json.md`.
pub const SCHEMA: &str = "medsec-checklist/1";

/// The device the seed's review case tests (seed 000, Ⅳ); the catalogue's
/// example test steps name it, and a checklist names its own device.
const SEED_DEVICE_KO: &str = "유헬스케어 게이트웨이";

/// What the manufacturer records for one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// 적합성 입증방법.
    #[serde(default)]
    pub methods: Vec<String>,
    /// 해당 법규 및 규격.
    #[serde(default)]
    pub standards: Vec<String>,
    /// 해당 첨부자료 또는 문서번호.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// [시험기준].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_criterion: Option<String>,
    /// [시험방법], one step per entry.
    #[serde(default)]
    pub test_method: Vec<String>,
    #[serde(default)]
    pub tests: Vec<TestRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A document number, with the uploaded file that is that document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The manufacturer's document number, e.g. `VVT-SW-001`.
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceRef>,
}

/// An uploaded evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    pub id: String,
    pub sha256: String,
    pub filename: String,
}

/// One execution of the item's test.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestRecord {
    /// Who tested.
    pub by: String,
    /// When (YYYY-MM-DD).
    pub on: String,
    pub result: TestResult,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    Pass,
    Fail,
    Inconclusive,
}

impl TestResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TestResult::Pass => "pass",
            TestResult::Fail => "fail",
            TestResult::Inconclusive => "inconclusive",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            TestResult::Pass => "적합",
            TestResult::Fail => "부적합",
            TestResult::Inconclusive => "판정 보류",
        }
    }

    pub fn parse(s: &str) -> Option<TestResult> {
        match s.trim() {
            "pass" | "적합" | "Pass" | "PASS" => Some(TestResult::Pass),
            "fail" | "부적합" | "Fail" | "FAIL" => Some(TestResult::Fail),
            "inconclusive" | "판정 보류" | "보류" => Some(TestResult::Inconclusive),
            _ => None,
        }
    }
}

/// The stored part of a checklist: the edition and each item's content.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub catalog: String,
    pub edition: String,
    pub items: BTreeMap<String, Content>,
}

impl Workspace {
    /// A new workspace on `catalog`, filled from the catalogue: evidence
    /// kinds, standards and the example verification, with the seed's
    /// example device replaced by this one.
    pub fn prefill(
        catalogs: &Catalogs,
        catalog: &str,
        profile: &Profile,
    ) -> Result<Workspace, PrefillError> {
        let c = catalogs
            .get(catalog)
            .ok_or_else(|| PrefillError::UnknownCatalog(catalog.to_owned()))?;
        if !crate::rules::CHECKLISTS.contains(&catalog) {
            return Err(PrefillError::NotAChecklist(catalog.to_owned()));
        }
        let product = &profile.device.product;
        let name = |s: &str, seed: &str| s.replace(seed, product);
        let items = c
            .item
            .iter()
            .map(|i| {
                let content = Content {
                    methods: i.evidence_ko.clone(),
                    standards: i.standards.clone(),
                    attachments: Vec::new(),
                    test_criterion: i
                        .test_criterion_ko
                        .as_deref()
                        .map(|s| name(s, SEED_DEVICE_KO)),
                    test_method: i
                        .test_method_ko
                        .iter()
                        .map(|s| name(s, SEED_DEVICE_KO))
                        .collect(),
                    tests: Vec::new(),
                    note: None,
                };
                (i.id.clone(), content)
            })
            .collect();
        Ok(Workspace {
            catalog: catalog.to_owned(),
            edition: c.catalog.edition.clone(),
            items,
        })
    }

    /// The changes from `self` to `new`, field by field, for the history.
    pub fn diff(&self, new: &Workspace) -> Vec<Change> {
        let mut out = Vec::new();
        let empty = Content::default();
        let ids: std::collections::BTreeSet<&String> =
            self.items.keys().chain(new.items.keys()).collect();
        for id in ids {
            let a = self.items.get(id).unwrap_or(&empty);
            let b = new.items.get(id).unwrap_or(&empty);
            for (field, old, new) in [
                ("methods", json(&a.methods), json(&b.methods)),
                ("standards", json(&a.standards), json(&b.standards)),
                ("attachments", json(&a.attachments), json(&b.attachments)),
                (
                    "test_criterion",
                    json(&a.test_criterion),
                    json(&b.test_criterion),
                ),
                ("test_method", json(&a.test_method), json(&b.test_method)),
                ("tests", json(&a.tests), json(&b.tests)),
                ("note", json(&a.note), json(&b.note)),
            ] {
                if old != new {
                    out.push(Change {
                        item: id.clone(),
                        field,
                        old,
                        new,
                    });
                }
            }
        }
        out
    }
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// One field of one item changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub item: String,
    pub field: &'static str,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// The checklist header (의료기기 사이버 보안 특성 기재).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub product: String,
    pub model: String,
    pub software_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    pub grade: u8,
    /// 1) 사이버 보안 안전성 등급.
    pub security_level: SecurityLevel,
    /// 2) 사용되는 통신 기술.
    pub communication: String,
    /// 3) 통신목적.
    pub purposes: Vec<Purpose>,
    /// 4) 공용 네트워크망 사용여부.
    pub public_network: bool,
}

impl Header {
    pub fn of(profile: &Profile) -> Header {
        let d = &profile.device;
        Header {
            product: d.product.clone(),
            model: d.model.clone(),
            software_version: d.software_version.clone(),
            manufacturer: d.manufacturer.clone(),
            grade: d.grade,
            security_level: d.security_level,
            communication: profile.communication(),
            purposes: d.purposes.clone(),
            public_network: d.public_network,
        }
    }
}

/// The checklist as exported, reviewed and re-imported: header, and per
/// item the requirement, applicability and content.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub schema: String,
    pub catalog: String,
    pub edition: String,
    pub catalog_title_ko: String,
    pub catalog_title_en: String,
    pub header: Header,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub title_ko: String,
    pub title_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_ko: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_en: Option<String>,
    /// 해당기기 적용여부.
    pub applies: bool,
    pub reason_ko: String,
    pub reason_en: String,
    /// The user's justification when they overrode the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(flatten)]
    pub content: Content,
    /// Items of the other catalogues the crosswalk links (KISA, IMDRF, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<String>,
}

impl Checklist {
    /// Merges a workspace with the device's decisions.
    pub fn build(
        catalogs: &Catalogs,
        catalog: &Catalog,
        profile: &Profile,
        decisions: &[Decision],
        workspace: &Workspace,
    ) -> Checklist {
        let by_ref: BTreeMap<&str, &Decision> = decisions
            .iter()
            .map(|d| (d.reference.as_str(), d))
            .collect();
        let id = &catalog.catalog.id;
        let rows = catalog
            .item
            .iter()
            .map(|item| {
                let reference = format!("{id}:{}", item.id);
                let d = by_ref.get(reference.as_str());
                let traces = catalogs
                    .links_of(&reference)
                    .map(|(_, other)| other.to_owned())
                    .filter(|o| !o.starts_with(&format!("{id}:")))
                    .collect();
                Row {
                    id: item.id.clone(),
                    group: item.group.clone(),
                    title_ko: item.title_ko.clone(),
                    title_en: item.title_en.clone(),
                    requirement_ko: item.text_ko.clone(),
                    requirement_en: item.text_en.clone(),
                    applies: d.is_none_or(|d| d.applies),
                    reason_ko: d.map(|d| d.reason_ko.clone()).unwrap_or_default(),
                    reason_en: d.map(|d| d.reason_en.clone()).unwrap_or_default(),
                    justification: d
                        .and_then(|d| d.overridden.as_ref())
                        .map(|o| o.justification.clone()),
                    content: workspace.items.get(&item.id).cloned().unwrap_or_default(),
                    traces,
                }
            })
            .collect();
        Checklist {
            schema: SCHEMA.to_owned(),
            catalog: id.clone(),
            edition: catalog.catalog.edition.clone(),
            catalog_title_ko: catalog.catalog.title_ko.clone(),
            catalog_title_en: catalog.catalog.title_en.clone(),
            header: Header::of(profile),
            rows,
        }
    }

    /// Every gap: an applicable item without a method, standard, test
    /// criterion, test steps, evidence, or a passing test.
    pub fn gaps(&self) -> Vec<Gap> {
        let mut out = Vec::new();
        for r in self.rows.iter().filter(|r| r.applies) {
            let c = &r.content;
            let mut push = |kind| {
                out.push(Gap {
                    item: r.id.clone(),
                    kind,
                })
            };
            if c.methods.iter().all(|m| m.trim().is_empty()) {
                push(GapKind::Method);
            }
            if c.standards.iter().all(|m| m.trim().is_empty()) {
                push(GapKind::Standard);
            }
            if c.test_criterion
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
            {
                push(GapKind::TestCriterion);
            }
            if c.test_method.iter().all(|m| m.trim().is_empty()) {
                push(GapKind::TestMethod);
            }
            if !c.attachments.iter().any(|a| a.evidence.is_some()) {
                push(GapKind::Evidence);
            }
            match c.tests.last().map(|t| t.result) {
                Some(TestResult::Pass) => {}
                Some(_) => push(GapKind::TestNotPassed),
                None => push(GapKind::NoTest),
            }
        }
        out
    }
}

/// Something an applicable item still lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub item: String,
    pub kind: GapKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    Method,
    Standard,
    TestCriterion,
    TestMethod,
    Evidence,
    NoTest,
    TestNotPassed,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::Method => "method",
            GapKind::Standard => "standard",
            GapKind::TestCriterion => "test-criterion",
            GapKind::TestMethod => "test-method",
            GapKind::Evidence => "evidence",
            GapKind::NoTest => "no-test",
            GapKind::TestNotPassed => "test-not-passed",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            GapKind::Method => "적합성 입증방법 없음",
            GapKind::Standard => "해당 법규 및 규격 없음",
            GapKind::TestCriterion => "시험기준 없음",
            GapKind::TestMethod => "시험방법 없음",
            GapKind::Evidence => "첨부된 근거자료 없음",
            GapKind::NoTest => "시험 기록 없음",
            GapKind::TestNotPassed => "최근 시험 결과가 적합이 아님",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            GapKind::Method => "no method of demonstrating conformity",
            GapKind::Standard => "no applicable regulation or standard",
            GapKind::TestCriterion => "no test criterion",
            GapKind::TestMethod => "no test method",
            GapKind::Evidence => "no evidence file attached",
            GapKind::NoTest => "no test record",
            GapKind::TestNotPassed => "the latest test did not pass",
        }
    }
}

/// Decisions and checklist for a profile in one call: what the UI, the
/// exports and the benchmark use.
pub fn evaluate(
    catalogs: &Catalogs,
    rules: &Rules,
    catalog: &Catalog,
    profile: &Profile,
    overrides: &BTreeMap<String, Override>,
    workspace: &Workspace,
) -> Checklist {
    let facts = Facts::of(profile);
    let decisions = rules.decide(catalog, &facts, overrides);
    Checklist::build(catalogs, catalog, profile, &decisions, workspace)
}

/// Why an imported checklist was refused, with the item at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{item}: {message}")]
pub struct ImportError {
    pub item: String,
    pub message: String,
}

/// What an import changes: the new workspace and the applicability
/// decisions the user changed, each with its justification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub workspace: Workspace,
    /// (item id, applies, justification).
    pub overrides: Vec<(String, bool, String)>,
}

impl Import {
    /// Checks an imported checklist (re-read from JSON or XLSX) against
    /// the current one and computes what it changes. Nothing is applied
    /// unless every row is valid.
    pub fn from(
        current: &Checklist,
        workspace: &Workspace,
        imported: &Checklist,
    ) -> Result<Import, ImportError> {
        let err = |item: &str, message: String| ImportError {
            item: item.to_owned(),
            message,
        };
        if imported.schema != SCHEMA {
            return Err(err(
                "schema",
                format!("`{}` is not {SCHEMA}", imported.schema),
            ));
        }
        if imported.catalog != workspace.catalog || imported.edition != workspace.edition {
            return Err(err(
                "catalog",
                format!(
                    "the file is on {} ({}), this checklist on {} ({})",
                    imported.catalog, imported.edition, workspace.catalog, workspace.edition
                ),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut ws = workspace.clone();
        let mut overrides = Vec::new();
        for row in &imported.rows {
            if !seen.insert(row.id.as_str()) {
                return Err(err(&row.id, "appears twice".into()));
            }
            let Some(slot) = ws.items.get_mut(&row.id) else {
                return Err(err(
                    &row.id,
                    format!("is not an item of {}", workspace.catalog),
                ));
            };
            *slot = row.content.clone();
            let now = current.rows.iter().find(|r| r.id == row.id);
            let changed = now.is_some_and(|r| r.applies != row.applies);
            let new_justification = row
                .justification
                .as_deref()
                .map(str::trim)
                .filter(|j| !j.is_empty());
            let old_justification = now.and_then(|r| r.justification.as_deref());
            if changed || (new_justification.is_some() && new_justification != old_justification) {
                let Some(j) = new_justification else {
                    return Err(err(
                        &row.id,
                        "적용여부 was changed without a justification (write why in the reason column)".into(),
                    ));
                };
                overrides.push((row.id.clone(), row.applies, j.to_owned()));
            }
        }
        Ok(Import {
            workspace: ws,
            overrides,
        })
    }
}

/// A checklist carried to another edition along the crosswalk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub workspace: Workspace,
    /// For each item of the new edition, the old items it was filled from.
    pub sources: BTreeMap<String, Vec<String>>,
    /// Items of the new edition no old item reaches: still to be done.
    pub gaps: Vec<String>,
}

impl Workspace {
    /// Carries this workspace to edition `to` (e.g. a 2019 checklist to
    /// 2024): each new item starts from the catalogue's prefill and takes
    /// the methods, standards and documents (with their evidence) of the
    /// old items the crosswalk links to it. Test criteria and steps carry
    /// over only where the new edition gives none, marked in the note as
    /// carried, since they were written for the old requirement; test
    /// records do not carry (they tested the old requirement).
    pub fn carry(
        &self,
        catalogs: &Catalogs,
        to: &str,
        profile: &Profile,
    ) -> Result<Carried, PrefillError> {
        let mut ws = Workspace::prefill(catalogs, to, profile)?;
        let carry = catalogs
            .carry_over(&self.catalog, to)
            .ok_or_else(|| PrefillError::UnknownCatalog(self.catalog.clone()))?;
        let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (from, targets) in &carry.mapped {
            for t in targets {
                let list = sources.entry(t.clone()).or_default();
                if !list.contains(from) {
                    list.push(from.clone());
                }
            }
        }
        for (target, froms) in &sources {
            let Some(content) = ws.items.get_mut(target) else {
                continue;
            };
            let mut carried_steps = false;
            for from in froms {
                let Some(old) = self.items.get(from) else {
                    continue;
                };
                for m in &old.methods {
                    if !content.methods.contains(m) {
                        content.methods.push(m.clone());
                    }
                }
                for s in &old.standards {
                    if !content.standards.contains(s) {
                        content.standards.push(s.clone());
                    }
                }
                for a in &old.attachments {
                    if !content.attachments.iter().any(|b| b.document == a.document) {
                        content.attachments.push(a.clone());
                    }
                }
                if content.test_criterion.is_none() && old.test_criterion.is_some() {
                    content.test_criterion = old.test_criterion.clone();
                    carried_steps = true;
                }
                if content.test_method.is_empty() && !old.test_method.is_empty() {
                    content.test_method = old.test_method.clone();
                    carried_steps = true;
                }
            }
            let mut note = format!("{} {}에서 옮겨 옴.", self.catalog, froms.join(", "));
            if carried_steps {
                note.push_str(
                    " 시험기준과 시험방법은 이전 판의 것이므로 이 요구사항에 맞게 확인하십시오.",
                );
            }
            content.note = Some(note);
        }
        Ok(Carried {
            workspace: ws,
            sources,
            gaps: carry.gaps,
        })
    }
}
