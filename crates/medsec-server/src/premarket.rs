//! The premarket documents of a device as users work on them, for the UI
//! and the API: the threat model (derived from the profile, or imported
//! from OWASP Threat Dragon), the risk register (shown as derived until
//! its first change, then stored with a revision), MITRE rubric
//! assessments applied to a risk, SARIF reports of security tests kept as
//! evidence, justifications of unresolved anomalies, and the traceability
//! matrix computed from all of them.
//!
//! Every change goes through a function here: the caller must be the
//! manufacturer owning the device (`by.manufacturer()` and a store query
//! scoped to its organisation), input is checked with errors naming the
//! field, and the store writes the change and its audit record in one
//! transaction.
//!
//! A device may be linked to one of its manufacturer's releases (the
//! sustain part) as its software: the release's open findings, as
//! `SbomFinding`s, then enter the derived register (and a rebuilt one)
//! as `R-SBOM-…` risks, the test evidence as software composition
//! analysis, the unresolved anomalies, the trace and the submission
//! package, which also carries the release's SBOM; the release's support
//! date is the device's end of support.

use std::collections::BTreeMap;

use medsec_assure::checklist::{self, Checklist, Workspace};
use medsec_assure::evidence::sarif::{self, ImportOptions};
use medsec_assure::evidence::sbom::{SbomComponent, Vex, VexJustification, VexStatus};
use medsec_assure::evidence::{
    self, EvidenceFile, Justification, SbomFinding, ScanReport, TestPlan, anomaly::Anomaly,
};
use medsec_assure::profile::Format;
use medsec_assure::risk::{
    Acceptance, ControlStatus, ExploitabilityLevel, HarmBasis, HarmSeverity, Register, Residual,
};
use medsec_assure::rubric::Answers;
use medsec_assure::threat::{Text, dragon};
use medsec_assure::trace::{self, Matrix};
use medsec_assure::{Profile, ThreatModel};
use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_store::assure::NewEvidence;
use medsec_store::premarket::{
    DeviceReleaseRow, LifecycleRow, NewRubric, NewScan, RegisterChangeRow, RegisterSave, RubricRow,
    ScanRow, ThreatModelRow,
};
use sha2::{Digest, Sha256};

use crate::assure::{self as assure_svc, By, Device};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Largest Threat Dragon file or risk register accepted.
pub const DOCUMENT_LIMIT: usize = 4 * 1024 * 1024;
/// Largest SARIF file accepted (the evidence limit).
pub const SARIF_LIMIT: usize = assure_svc::EVIDENCE_LIMIT;
/// Longest free text (rationale, justification).
const MAX_TEXT: usize = 4000;

fn invalid(field: &str, detail: impl ToString) -> Error {
    Error::Invalid(vec![
        FieldError::new(field, "format").with("detail", detail),
    ])
}

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

fn catalogs() -> Result<&'static medsec_catalog::Catalogs> {
    medsec_catalog::catalogs().map_err(|e| internal("catalogues", e))
}

/// Checks a free text: required or not, at most [`MAX_TEXT`] characters.
fn text(field: &str, value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::field(field, "required"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Error::Invalid(vec![
            FieldError::new(field, "too_long").with("max", MAX_TEXT),
        ]));
    }
    Ok(value.to_owned())
}

fn date(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| invalid(field, format!("`{value}` is not a date YYYY-MM-DD")))?;
    Ok(value.to_owned())
}

/// Today in the server's display offset, as YYYY-MM-DD.
pub fn today(state: &AppState) -> String {
    let shown = state.now().display_in(state.config.display_offset_minutes);
    shown.split(' ').next().unwrap_or_default().to_owned()
}

// --- threat model ---------------------------------------------------------

/// A device's threat model and where it comes from.
pub struct ModelView {
    pub device: Device,
    pub model: ThreatModel,
    /// The Threat Dragon import in force; `None` when derived.
    pub imported: Option<ThreatModelRow>,
}

fn derive(profile: &Profile) -> Result<ThreatModel> {
    ThreatModel::from_profile(profile, catalogs()?).map_err(|e| invalid("profile", e))
}

/// The threat model of one of the caller's devices.
pub async fn threat_model(state: &AppState, by: &By, device_id: &str) -> Result<ModelView> {
    let device = assure_svc::device(state, &by.org_id, device_id).await?;
    let imported = state.store.threat_model(&by.org_id, device_id).await?;
    let model = match &imported {
        Some(row) => serde_json::from_str(&row.model)
            .map_err(|e| internal(&format!("stored threat model of {device_id}"), e))?,
        None => derive(&device.profile)?,
    };
    Ok(ModelView {
        device,
        model,
        imported,
    })
}

/// Replaces the device's threat model by a Threat Dragon v2 file; a
/// malformed file is refused with the JSON pointer at fault.
pub async fn dragon_import(
    state: &AppState,
    by: &By,
    device_id: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<ThreatModelRow> {
    by.manufacturer()?;
    assure_svc::device(state, &by.org_id, device_id).await?;
    if bytes.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if bytes.len() > DOCUMENT_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| invalid("file", e))?;
    let model = dragon::import(text).map_err(|e| invalid("file", e))?;
    model.validate().map_err(|e| invalid("file", e))?;
    let json = serde_json::to_string(&model).map_err(|e| internal("threat model", e))?;
    let filename = assure_svc::clean_filename(filename);
    let now = state.now();
    let audit = by
        .audit(now, Action::ThreatModelImported)
        .details(serde_json::json!({"filename": filename, "elements": model.elements.len(), "flows": model.flows.len(), "threats": model.threats.len()}));
    Ok(state
        .store
        .put_threat_model(
            &by.org_id, device_id, &filename, text, &json, &by.name, now, audit,
        )
        .await?)
}

/// Goes back to the model derived from the profile.
pub async fn threat_model_reset(state: &AppState, by: &By, device_id: &str) -> Result<bool> {
    by.manufacturer()?;
    let audit = by.audit(state.now(), Action::ThreatModelReset);
    Ok(state
        .store
        .delete_threat_model(&by.org_id, device_id, audit)
        .await?)
}

/// The model as Threat Dragon v2 JSON.
pub fn dragon_export(model: &ThreatModel) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(&dragon::export(model)).map_err(|e| internal("Threat Dragon", e))
}

// --- risk register --------------------------------------------------------

/// A device's register with its revision (0 while it is the one derived
/// from the threat model and not stored yet).
pub struct RegisterView {
    pub model: ModelView,
    pub register: Register,
    pub revision: i64,
    pub updated: Option<(String, i64)>,
    /// The release the device ships, whose findings the derived register
    /// (and a rebuild) turns into risks.
    pub release: Option<DeviceRelease>,
}

/// The register of one of the caller's devices.
pub async fn register(state: &AppState, by: &By, device_id: &str) -> Result<RegisterView> {
    let model = threat_model(state, by, device_id).await?;
    let stored = state.store.risk_register(&by.org_id, device_id).await?;
    let release = device_release(state, &by.org_id, device_id).await?;
    Ok(match stored {
        Some(row) => RegisterView {
            register: serde_json::from_str(&row.register)
                .map_err(|e| internal(&format!("stored register of {device_id}"), e))?,
            revision: row.revision,
            updated: Some((row.updated_by, row.updated_at)),
            model,
            release,
        },
        None => {
            let basis = HarmBasis::of(&model.device.profile);
            let mut register = Register::from_threat_model(&model.model, &basis, catalogs()?);
            if let Some(r) = &release {
                register.add_sbom_findings(&r.findings, &basis);
            }
            RegisterView {
                register,
                revision: 0,
                updated: None,
                model,
                release,
            }
        }
    })
}

struct Change<'a> {
    action: &'static str,
    subject: &'a str,
    summary: String,
    rubric: Option<NewRubric>,
}

async fn save(
    state: &AppState,
    by: &By,
    device_id: &str,
    revision: i64,
    register: &Register,
    change: Change<'_>,
    action: Action,
) -> Result<i64> {
    register
        .check(catalogs()?)
        .map_err(|e| invalid("register", e))?;
    register.evaluate().map_err(|e| invalid("register", e))?;
    let json = serde_json::to_string(register).map_err(|e| internal("register", e))?;
    let now = state.now();
    let audit = by.audit(now, action).details(serde_json::json!({
        "revision": revision + 1, "change": change.action, "subject": change.subject, "summary": change.summary,
    }));
    let row = state
        .store
        .save_risk_register(
            &by.org_id,
            device_id,
            revision,
            &RegisterSave {
                register: json,
                action: change.action.to_owned(),
                subject: change.subject.to_owned(),
                summary: change.summary,
                actor_id: by.user_id.clone(),
                actor: by.name.clone(),
                rubric: change.rubric,
            },
            now,
            audit,
        )
        .await?;
    Ok(row.revision)
}

/// A new residual assessment of a risk.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ResidualInput {
    #[schema(value_type = Option<String>)]
    pub exploitability: Option<ExploitabilityLevel>,
    #[schema(value_type = Option<String>)]
    pub severity: Option<HarmSeverity>,
    #[serde(default)]
    pub rationale: String,
}

/// The acceptance of a residual risk.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AcceptanceInput {
    /// Who accepts (name and role).
    pub by: String,
    /// YYYY-MM-DD.
    pub on: String,
    pub rationale: String,
}

/// A change of one risk; what is `None` stays as it is.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RiskPatch {
    #[schema(value_type = Option<String>)]
    pub harm_severity: Option<HarmSeverity>,
    pub harm_rationale: Option<String>,
    /// New status of controls of the risk, by control id.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub controls: BTreeMap<String, ControlStatus>,
    pub residual: Option<ResidualInput>,
    pub acceptance: Option<AcceptanceInput>,
    /// Withdraws the acceptance on record.
    #[serde(default)]
    pub withdraw_acceptance: bool,
}

/// Changes one risk (harm, the status of its controls, the residual
/// assessment, the acceptance) if the register is still at `revision`.
pub async fn risk_update(
    state: &AppState,
    by: &By,
    device_id: &str,
    revision: i64,
    risk_id: &str,
    patch: &RiskPatch,
) -> Result<i64> {
    by.manufacturer()?;
    let mut view = register(state, by, device_id).await?;
    let reg = &mut view.register;
    let Some(index) = reg.risks.iter().position(|r| r.id == risk_id) else {
        return Err(Error::NotFound);
    };
    let mut changed = Vec::new();
    for (control, status) in &patch.controls {
        if !reg.risks[index].controls.contains(control) {
            return Err(invalid(
                &format!("controls.{control}"),
                format!("`{control}` is not a control of risk {risk_id}"),
            ));
        }
        if let Some(c) = reg.controls.iter_mut().find(|c| &c.id == control)
            && c.status != *status
        {
            c.status = *status;
            changed.push(format!("{control}: {}", status.as_str()));
        }
    }
    let risk = &mut reg.risks[index];
    if let Some(s) = patch.harm_severity
        && s != risk.harm.severity
    {
        risk.harm.severity = s;
        changed.push(format!("harm: {}", s.as_str()));
    }
    if let Some(r) = &patch.harm_rationale {
        let r = text("harm_rationale", r, false)?;
        if r != risk.harm.rationale.ko && r != risk.harm.rationale.en {
            risk.harm.rationale = Text::same(r);
            changed.push("harm rationale".into());
        }
    }
    if let Some(res) = &patch.residual {
        let rationale = text("residual_rationale", &res.rationale, false)?;
        let stated = res.exploitability.is_some() || res.severity.is_some();
        if stated && rationale.is_empty() {
            return Err(Error::field("residual_rationale", "required"));
        }
        let new = Residual {
            vector: if stated {
                risk.residual.vector.clone()
            } else {
                None
            },
            exploitability: res.exploitability,
            severity: res.severity,
            rationale: if rationale.is_empty() {
                Text::default()
            } else if rationale == risk.residual.rationale.ko
                || rationale == risk.residual.rationale.en
            {
                risk.residual.rationale.clone()
            } else {
                Text::same(rationale)
            },
        };
        if new != risk.residual {
            risk.residual = new;
            changed.push("residual".into());
        }
    }
    if patch.withdraw_acceptance && risk.acceptance.take().is_some() {
        changed.push("acceptance withdrawn".into());
    }
    if let Some(a) = &patch.acceptance {
        let new = Acceptance {
            by: text("accepted_by", &a.by, true)?,
            on: date("accepted_on", &a.on)?,
            rationale: text("acceptance_rationale", &a.rationale, true)?,
        };
        if risk.acceptance.as_ref() != Some(&new) {
            risk.acceptance = Some(new);
            changed.push("accepted".into());
        }
    }
    if changed.is_empty() {
        return Ok(view.revision);
    }
    let summary = changed.join("; ");
    save(
        state,
        by,
        device_id,
        revision,
        &view.register,
        Change {
            action: "edit",
            subject: risk_id,
            summary,
            rubric: None,
        },
        Action::RiskRegisterUpdated,
    )
    .await
}

/// Adds a risk for every threat of the current model that has none, and
/// the controls they suggest; the user's edits stay. Returns the new
/// revision and the risks added.
pub async fn register_rebuild(
    state: &AppState,
    by: &By,
    device_id: &str,
    revision: i64,
) -> Result<(i64, Vec<String>)> {
    by.manufacturer()?;
    let mut view = register(state, by, device_id).await?;
    let basis = HarmBasis::of(&view.model.device.profile);
    let mut added = view
        .register
        .add_threats(&view.model.model, &basis, catalogs()?);
    if let Some(r) = &view.release {
        added.extend(view.register.add_sbom_findings(&r.findings, &basis));
    }
    let summary = if added.is_empty() {
        "no new threats".to_owned()
    } else {
        format!("added {}", added.join(", "))
    };
    let revision = save(
        state,
        by,
        device_id,
        revision,
        &view.register,
        Change {
            action: "rebuild",
            subject: "register",
            summary,
            rubric: None,
        },
        Action::RiskRegisterUpdated,
    )
    .await?;
    Ok((revision, added))
}

/// Replaces the whole register by a TOML or JSON file, all or nothing;
/// errors name the entry and the field.
pub async fn register_upload(
    state: &AppState,
    by: &By,
    device_id: &str,
    revision: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64> {
    by.manufacturer()?;
    if bytes.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if bytes.len() > DOCUMENT_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| invalid("file", e))?;
    let json =
        filename.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
    let format = if json { Format::Json } else { Format::Toml };
    let parsed = Register::parse(text, format, catalogs()?).map_err(|e| invalid("file", e))?;
    // The device must exist and be the caller's before anything is said
    // about the file's content against it.
    register(state, by, device_id).await?;
    save(
        state,
        by,
        device_id,
        revision,
        &parsed,
        Change {
            action: "upload",
            subject: "register",
            summary: format!(
                "{} risks, {} controls from {}",
                parsed.risks.len(),
                parsed.controls.len(),
                assure_svc::clean_filename(filename)
            ),
            rubric: None,
        },
        Action::RiskRegisterUpdated,
    )
    .await
}

/// The register as a file: `toml` or `json`.
pub fn register_file(register: &Register, format: &str) -> Result<(Vec<u8>, &'static str)> {
    match format {
        "toml" => Ok((
            register
                .to_toml()
                .map_err(|e| internal("register", e))?
                .into_bytes(),
            "application/toml",
        )),
        "json" => Ok((
            register
                .to_json()
                .map_err(|e| internal("register", e))?
                .into_bytes(),
            "application/json",
        )),
        _ => Err(Error::NotFound),
    }
}

/// Assesses a risk's exploitability with the rubric's answers (JSON of
/// `medsec_assure::rubric::Answers`), keeps the assessment and makes its
/// vector the risk's exploitability; `revision` is the register's, or
/// the current one when the caller (the standalone rubric page) has none.
pub async fn rubric_apply(
    state: &AppState,
    by: &By,
    device_id: &str,
    risk_id: &str,
    answers_json: &str,
    revision: Option<i64>,
) -> Result<(i64, medsec_assure::rubric::Assessment)> {
    by.manufacturer()?;
    let mut view = register(state, by, device_id).await?;
    let Some(risk) = view.register.risks.iter_mut().find(|r| r.id == risk_id) else {
        return Err(Error::NotFound);
    };
    if answers_json.len() > 64 * 1024 {
        return Err(Error::Invalid(vec![
            FieldError::new("answers", "too_long").with("max", 64 * 1024),
        ]));
    }
    let answers: Answers = serde_json::from_str(answers_json).map_err(|e| invalid("answers", e))?;
    let assessment = answers.assess().map_err(|e| invalid("answers", e))?;
    risk.exploitability.rubric = Some(answers.clone());
    risk.exploitability.vector = Some(assessment.vector.clone());
    // A stated level would override the rubric's.
    risk.exploitability.level = None;
    let rubric = NewRubric {
        risk_id: risk_id.to_owned(),
        answers: serde_json::to_string(&answers).map_err(|e| internal("answers", e))?,
        vector: assessment.vector.clone(),
        base_score: format!("{:.1}", assessment.base_score),
        severity: assessment.severity.clone(),
        rationale: serde_json::to_string(&assessment.metrics).map_err(|e| internal("rubric", e))?,
    };
    let revision = save(
        state,
        by,
        device_id,
        revision.unwrap_or(view.revision),
        &view.register,
        Change {
            action: "rubric",
            subject: risk_id,
            summary: format!("{} ({:.1})", assessment.vector, assessment.base_score),
            rubric: Some(rubric),
        },
        Action::RiskRubricAssessed,
    )
    .await?;
    Ok((revision, assessment))
}

pub async fn register_changes(
    state: &AppState,
    by: &By,
    device_id: &str,
) -> Result<Vec<RegisterChangeRow>> {
    Ok(state
        .store
        .risk_register_changes(&by.org_id, device_id, 50)
        .await?)
}

pub async fn rubric_assessments(
    state: &AppState,
    by: &By,
    device_id: &str,
) -> Result<Vec<RubricRow>> {
    Ok(state
        .store
        .rubric_assessments(&by.org_id, device_id, None)
        .await?)
}

// --- test evidence and the trace ------------------------------------------

/// Everything the traceability matrix is computed from.
pub struct Documents {
    pub register: RegisterView,
    /// The latest checklist's id; `None` when the device has none and an
    /// unstarted checklist on the current edition stands in.
    pub checklist_id: Option<String>,
    pub checklist: Checklist,
    pub plan: TestPlan,
    pub scans: Vec<(ScanRow, ScanReport)>,
    pub justifications: Vec<Justification>,
    pub evidence: Vec<EvidenceFile>,
}

impl Documents {
    pub fn reports(&self) -> Vec<ScanReport> {
        self.scans.iter().map(|(_, r)| r.clone()).collect()
    }

    /// The findings of the device's release (none without one).
    pub fn sbom_findings(&self) -> &[SbomFinding] {
        self.register
            .release
            .as_ref()
            .map_or(&[], |r| r.findings.as_slice())
    }

    /// The unresolved anomalies with their justifications.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        evidence::anomaly::unresolved(
            &self.plan,
            &self.reports(),
            self.sbom_findings(),
            &self.justifications,
        )
    }

    /// The traceability matrix requirement ↔ threat ↔ control ↔ test ↔
    /// evidence, with its gaps.
    pub fn matrix(&self) -> Result<Matrix> {
        let reports = self.reports();
        trace::matrix(&trace::Inputs {
            model: &self.register.model.model,
            register: &self.register.register,
            checklist: &self.checklist,
            plan: &self.plan,
            scans: &reports,
            sbom: self.sbom_findings(),
            justifications: &self.justifications,
            evidence: &self.evidence,
        })
        .map_err(|e| invalid("register", e))
    }
}

/// Loads every premarket document of one of the caller's devices.
pub async fn documents(state: &AppState, by: &By, device_id: &str) -> Result<Documents> {
    let register = register(state, by, device_id).await?;
    let catalogs = catalogs()?;
    let (checklist_id, checklist) =
        match assure_svc::checklist_of_device(state, &by.org_id, device_id).await {
            Ok(v) => (Some(v.row.id), v.checklist),
            Err(Error::NotFound) => {
                let d = &register.model.device;
                let edition = catalogs
                    .default_edition()
                    .ok_or_else(|| Error::Internal("no default edition".into()))?;
                let ws = Workspace::prefill(catalogs, &edition.catalog.id, &d.profile)
                    .map_err(|e| internal("prefill", e))?;
                let rules = medsec_assure::rules().map_err(|e| internal("rules", e))?;
                (
                    None,
                    checklist::evaluate(catalogs, rules, edition, &d.profile, &d.overrides, &ws),
                )
            }
            Err(e) => return Err(e),
        };
    let plan = TestPlan::derive(catalogs, &checklist);
    let mut scans = Vec::new();
    for row in state.store.scan_reports(&by.org_id, device_id).await? {
        let report: ScanReport = serde_json::from_str(&row.report)
            .map_err(|e| internal(&format!("stored scan report {}", row.id), e))?;
        scans.push((row, report));
    }
    let mut justifications = Vec::new();
    for row in state.store.justifications(&by.org_id, device_id).await? {
        justifications.push(
            serde_json::from_str(&row.justification)
                .map_err(|e| internal(&format!("stored justification {}", row.anomaly), e))?,
        );
    }
    let evidence = state
        .store
        .list_evidence(&by.org_id)
        .await?
        .into_iter()
        .map(|e| EvidenceFile {
            sha256: e.sha256,
            filename: e.filename,
            size: u64::try_from(e.size).ok(),
        })
        .collect();
    Ok(Documents {
        register,
        checklist_id,
        checklist,
        plan,
        scans,
        justifications,
        evidence,
    })
}

/// Keeps a SARIF file of a scanner or fuzzer run for a test case: the
/// file as evidence, its findings as the test's. A malformed file is
/// refused with the JSON pointer at fault and nothing is stored.
pub async fn scan_upload(
    state: &AppState,
    by: &By,
    device_id: &str,
    test_id: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<(ScanRow, ScanReport)> {
    by.manufacturer()?;
    let docs = documents(state, by, device_id).await?;
    let test_id = test_id.trim();
    if test_id.is_empty() {
        return Err(Error::field("test", "required"));
    }
    if docs.plan.case(test_id).is_none() {
        return Err(invalid(
            "test",
            format!("`{test_id}` is not a test case of this device's test plan"),
        ));
    }
    if bytes.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if bytes.len() > SARIF_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let filename = assure_svc::clean_filename(filename);
    let report = sarif::import(
        &bytes,
        &ImportOptions {
            source: filename.clone(),
            test: Some(test_id.to_owned()),
        },
    )
    .map_err(|e| invalid("file", e))?;
    let tool = report
        .runs
        .iter()
        .map(|r| r.tool.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let sha256 = medsec_core::credential::hex(&Sha256::digest(&bytes));
    debug_assert_eq!(sha256, report.sha256);
    let file = NewEvidence {
        sha256,
        filename,
        content_type: assure_svc::sniff(&bytes).to_owned(),
        content: bytes,
        created_by: by.name.clone(),
    };
    let scan = NewScan {
        test_id: test_id.to_owned(),
        tool,
        report: serde_json::to_string(&report).map_err(|e| internal("scan report", e))?,
        findings: report.findings.len() as i64,
        open_findings: report.open().count() as i64,
        created_by: by.name.clone(),
    };
    let now = state.now();
    let (row, _) = state
        .store
        .add_scan_report(
            &by.org_id,
            device_id,
            &file,
            &scan,
            now,
            by.audit(now, Action::EvidenceUploaded),
            by.audit(now, Action::ScanReportUploaded),
        )
        .await?;
    Ok((row, report))
}

/// A justification as a user writes it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct JustificationInput {
    pub why_acceptable: String,
    /// Control ids of the register, separated by commas or lines.
    #[serde(default)]
    pub compensating_controls: String,
    /// Who decided; the caller when empty.
    #[serde(default)]
    pub by: String,
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub on: String,
}

/// Records why an unresolved anomaly may stay in the release.
pub async fn justify(
    state: &AppState,
    by: &By,
    device_id: &str,
    anomaly: &str,
    input: &JustificationInput,
) -> Result<Justification> {
    by.manufacturer()?;
    let docs = documents(state, by, device_id).await?;
    if !docs.anomalies().iter().any(|a| a.id == anomaly) {
        return Err(invalid(
            "anomaly",
            format!("`{anomaly}` is not an unresolved anomaly of this device"),
        ));
    }
    let why = text("why_acceptable", &input.why_acceptable, true)?;
    if why.chars().count() < 5 {
        return Err(Error::Invalid(vec![
            FieldError::new("why_acceptable", "too_short").with("min", 5),
        ]));
    }
    let mut controls = Vec::new();
    for c in input
        .compensating_controls
        .split([',', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if docs.register.register.control(c).is_none() {
            return Err(invalid(
                "compensating_controls",
                format!("`{c}` is not a control of the risk register"),
            ));
        }
        controls.push(c.to_owned());
    }
    let who = if input.by.trim().is_empty() {
        by.name.clone()
    } else {
        text("by", &input.by, true)?
    };
    let on = if input.on.trim().is_empty() {
        today(state)
    } else {
        date("on", &input.on)?
    };
    let j = Justification {
        anomaly: anomaly.to_owned(),
        why_acceptable: why,
        compensating_controls: controls,
        by: who,
        on,
    };
    let json = serde_json::to_string(&j).map_err(|e| internal("justification", e))?;
    let now = state.now();
    let audit = by
        .audit(now, Action::AnomalyJustified)
        .details(serde_json::json!({"anomaly": anomaly, "controls": j.compensating_controls}));
    state
        .store
        .put_justification(&by.org_id, device_id, anomaly, &json, &by.name, now, audit)
        .await?;
    Ok(j)
}

// --- the submission package -------------------------------------------------

/// A built submission package, ready to download.
pub struct PackageFile {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub manifest: medsec_package::Manifest,
}

/// Builds the submission package of one of the caller's devices in
/// `layout` from what is stored: the profile, the latest checklist (or the
/// unstarted one standing in), the threat model, the register, the test
/// plan, the SARIF reports with their files, the justifications, and the
/// evidence files the checklist links. Audited with the ZIP's SHA-256 and
/// the number of gaps, which the package lists rather than hides.
pub async fn package(
    state: &AppState,
    by: &By,
    device_id: &str,
    layout: medsec_package::Layout,
) -> Result<PackageFile> {
    let mut docs = documents(state, by, device_id).await?;
    let mut used = std::collections::BTreeSet::new();
    // Two stored files may share a name; the package needs unique ones.
    let mut unique = |id: &str, name: &str| {
        let name = assure_svc::clean_filename(name);
        if used.insert(name.clone()) {
            name
        } else {
            let named = format!("{id}-{name}");
            used.insert(named.clone());
            named
        }
    };
    let mut scans = Vec::new();
    let mut scanned = std::collections::BTreeSet::new();
    for (row, report) in &docs.scans {
        let (file, bytes) = state
            .store
            .get_evidence(&by.org_id, &row.evidence_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("scan {}: evidence is missing", row.id)))?;
        scanned.insert(file.id.clone());
        scans.push(medsec_package::Scan {
            name: unique(&file.id, &file.filename),
            bytes,
            report: report.clone(),
        });
    }
    let mut evidence = Vec::new();
    if docs.checklist_id.is_some() {
        let view = assure_svc::checklist_of_device(state, &by.org_id, device_id).await?;
        let mut linked: Vec<String> = view
            .workspace
            .items
            .values()
            .flat_map(|c| {
                c.attachments
                    .iter()
                    .filter_map(|a| a.evidence.as_ref())
                    .chain(c.tests.iter().filter_map(|t| t.evidence.as_ref()))
            })
            .map(|e| e.id.clone())
            .filter(|id| !scanned.contains(id))
            .collect();
        linked.sort();
        linked.dedup();
        for id in linked {
            // A file the checklist names but the store no longer has is a
            // gap the trace reports (evidence missing), not a failure.
            if let Some((file, bytes)) = state.store.get_evidence(&by.org_id, &id).await? {
                evidence.push(medsec_package::Evidence {
                    name: unique(&file.id, &file.filename),
                    bytes,
                });
            }
        }
    }
    let now = state.now();
    let created = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(now.millis()).saturating_mul(1_000_000),
    )
    .map_err(|e| internal("package time", e))?;
    let device = docs.register.model.device.profile.clone();
    // The release's SBOM and findings: the package carries the SBOM and
    // their assessment, and the release's support date is the device's
    // end of support.
    let (release_findings, release_sbom, release_end) = match docs.register.release.take() {
        Some(r) => {
            let sbom = match &r.sbom {
                Some((name, bytes)) => Some(medsec_sbom::read(bytes).map_err(|e| {
                    internal(
                        &format!("SBOM {name} of release {} {}", r.product, r.version),
                        e,
                    )
                })?),
                None => None,
            };
            let end = r.support_until.as_deref().and_then(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
            });
            (r.findings, sbom, end)
        }
        None => (Vec::new(), None, None),
    };
    let mut inputs = medsec_package::Inputs {
        profile: device,
        checklist: docs.checklist,
        model: docs.register.model.model,
        register: docs.register.register,
        plan: docs.plan,
        scans,
        findings: release_findings,
        sbom: release_sbom,
        justifications: docs.justifications,
        evidence,
        tplc: None,
        support: Vec::new(),
        end_of_support: None,
        created,
    };
    let lifecycle = lifecycle(state, by, device_id).await?;
    let planned_end = lifecycle.tplc.as_ref().and_then(|(_, p)| p.end_of_support);
    if let (Some(planned), Some(released)) = (planned_end, release_end)
        && planned != released
    {
        return Err(invalid(
            "tplc",
            format!(
                "the TPLC plan's end_of_support is {planned}, the linked release's support date {released}; make them agree"
            ),
        ));
    }
    inputs.end_of_support = planned_end.or(release_end);
    if let Some((_, support)) = lifecycle.support {
        medsec_package::check_support(&support, inputs.sbom.as_ref())
            .map_err(|e| invalid("support", e))?;
        inputs.support = support;
    }
    inputs.tplc = lifecycle.tplc.map(|(_, p)| p);
    let fonts = assure_svc::fonts()?;
    let built = tokio::task::spawn_blocking(move || medsec_package::build(&inputs, layout, &fonts))
        .await
        .map_err(|e| internal("package", e))?
        .map_err(|e| invalid("package", e))?;
    let sha256 = evidence::sha256_hex(&built.zip);
    let d = &built.manifest.device;
    let filename = format!(
        "{}-{}-{}-{}.zip",
        d.product,
        d.model,
        d.version,
        layout.as_str()
    );
    state
        .store
        .audit(
            by.audit(now, Action::PackageBuilt)
                .target("device", device_id.to_owned())
                .details(serde_json::json!({
                    "layout": layout.as_str(),
                    "sha256": sha256,
                    "files": built.manifest.files.len(),
                    "gaps": built.manifest.gaps,
                })),
        )
        .await?;
    Ok(PackageFile {
        bytes: built.zip,
        filename,
        manifest: built.manifest,
    })
}

// --- the device's release (sustain) -----------------------------------------

/// One finding of the device's release as the premarket pages and the API
/// show it: software composition analysis evidence.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SbomFindingView {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub component: String,
    pub component_version: Option<String>,
    pub purl: Option<String>,
    pub summary: String,
    /// The CVSS score shown and the vector it comes from, when the
    /// vulnerability database has them.
    pub cvss: Option<f64>,
    pub vector: Option<String>,
    /// `critical`, `high`, `medium`, `low` or `none`.
    pub level: Option<String>,
    /// On CISA's Known Exploited Vulnerabilities list.
    pub kev: bool,
    /// EPSS probability (0–1).
    pub epss: Option<f64>,
    /// `open`, or `suppressed` by a VEX statement in force.
    pub state: String,
    /// The VEX status that applies (`not_affected`, `affected`, …).
    pub vex: Option<String>,
    /// The risk of the register an open finding becomes (`R-SBOM-…`).
    pub risk: Option<String>,
}

/// The release a device ships as its software, with what the premarket
/// documents take from it.
#[derive(Clone, Debug)]
pub struct DeviceRelease {
    pub release_id: String,
    pub product: String,
    pub version: String,
    pub released_on: Option<String>,
    /// `YYYY-MM-DD`: the release's end of support, which is the device's.
    pub support_until: Option<String>,
    pub linked_by: String,
    pub linked_at: i64,
    /// The SBOM file's name and bytes.
    pub sbom: Option<(String, Vec<u8>)>,
    /// The findings the last match still finds, as the assure part takes
    /// them (open ones become risks and anomalies).
    pub findings: Vec<SbomFinding>,
    /// The same findings as shown, open ones first.
    pub views: Vec<SbomFindingView>,
}

impl DeviceRelease {
    /// The findings that are open (not suppressed by VEX).
    pub fn open(&self) -> usize {
        self.findings.iter().filter(|f| f.is_open()).count()
    }
}

/// The VEX statement on a finding as the assure part takes it; `None`
/// when a statement that suppressed the finding has expired (the finding
/// is open again) or its status is not one VEX knows.
fn vex_of(row: &medsec_store::vex::VexRow, suppressed: bool) -> Option<Vex> {
    let status = match row.status.as_str() {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    };
    if matches!(status, VexStatus::NotAffected | VexStatus::Fixed) && !suppressed {
        return None;
    }
    let justification: Option<VexJustification> = row
        .justification
        .as_ref()
        .and_then(|j| serde_json::from_value(serde_json::Value::String(j.clone())).ok());
    let statement = row
        .impact
        .clone()
        .or_else(|| row.action.clone())
        .filter(|s| !s.trim().is_empty());
    Some(Vex {
        status,
        justification,
        statement,
    })
}

/// The release linked to one of the organisation's devices, with its
/// findings explained by the current vulnerability database (summary,
/// CVSS vector); `None` when the device has none.
pub async fn device_release(
    state: &AppState,
    org_id: &str,
    device_id: &str,
) -> Result<Option<DeviceRelease>> {
    let Some(row) = state.store.linked_release(org_id, device_id).await? else {
        return Ok(None);
    };
    let today = medsec_store::releases::day(state.now());
    let rules = state.store.alias_rules(org_id).await?;
    let db = state.index.get(&state.store).await?;
    let queries: Vec<medsec_vulndb::Component> = row
        .components
        .iter()
        .map(|c| crate::sustain::query_with(c, &rules))
        .collect();
    // The database's summary and CVSS vector, by (component, vulnerability).
    let mut explained: std::collections::HashMap<(i64, String), (String, Option<String>)> =
        Default::default();
    for f in db.matches_built(&queries) {
        let idx = row.components.get(f.component).map_or(-1, |c| c.idx);
        explained.insert(
            (idx, f.id.clone()),
            (f.summary.clone(), f.cvss.as_ref().map(|s| s.vector.clone())),
        );
    }
    let by_idx: BTreeMap<i64, &medsec_store::releases::ComponentRow> =
        row.components.iter().map(|c| (c.idx, c)).collect();
    let mut pairs = Vec::new();
    for f in &row.findings {
        let Some(c) = by_idx.get(&f.component) else {
            tracing::warn!(release = %row.release.id, component = f.component, vulnerability = %f.vuln_id, "finding of a component the release does not list; left out of the premarket documents");
            continue;
        };
        let suppressed = f
            .suppressed_until
            .as_deref()
            .is_some_and(|until| until >= today.as_str());
        let statement =
            medsec_store::vex::statement_for(&row.statements, &f.vuln_id, &f.aliases, &c.identity);
        let (summary, vector) = explained
            .remove(&(f.component, f.vuln_id.clone()))
            .unwrap_or_default();
        let mut finding = SbomFinding {
            component: SbomComponent {
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
            },
            vulnerability: f.vuln_id.clone(),
            aliases: f
                .aliases
                .split(' ')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            summary,
            cvss: vector.filter(|v| medsec_cvss::Vector::parse(v).is_ok()),
            cwe: Vec::new(),
            kev: f.kev != 0,
            vex: statement.and_then(|s| vex_of(s, suppressed)),
        };
        // A statement the assure part cannot take (not_affected without
        // a justification or impact) leaves the finding open: the safe
        // side for the register.
        if finding.check().is_err() {
            finding.vex = None;
        }
        if let Err((field, message)) = finding.check() {
            tracing::warn!(release = %row.release.id, vulnerability = %f.vuln_id, field, message, "finding left out of the premarket documents");
            continue;
        }
        let open = finding.is_open();
        let view = SbomFindingView {
            vulnerability: finding.vulnerability.clone(),
            aliases: finding.aliases.clone(),
            component: c.name.clone(),
            component_version: c.version.clone(),
            purl: c.purl.clone(),
            summary: finding.summary.clone(),
            cvss: f.cvss10.map(|v| v as f64 / 10.0),
            vector: finding.cvss.clone(),
            level: crate::sustain::level_name(f.level).map(str::to_owned),
            kev: finding.kev,
            epss: f.epss100k.map(|v| v as f64 / 100_000.0),
            state: if open { "open" } else { "suppressed" }.to_owned(),
            vex: f.vex.clone(),
            risk: open.then(|| medsec_assure::risk::build::sbom_risk_id(&finding)),
        };
        pairs.push((finding, view));
    }
    pairs.sort_by(|(_, a), (_, b)| {
        (a.state != "open")
            .cmp(&(b.state != "open"))
            .then(b.kev.cmp(&a.kev))
            .then(b.cvss.unwrap_or(-1.0).total_cmp(&a.cvss.unwrap_or(-1.0)))
            .then(a.vulnerability.cmp(&b.vulnerability))
            .then(a.component.cmp(&b.component))
    });
    let (findings, views) = pairs.into_iter().unzip();
    Ok(Some(DeviceRelease {
        release_id: row.release.id,
        product: row.product,
        version: row.release.version,
        released_on: row.release.released_on,
        support_until: row.release.support_until,
        linked_by: row.link.linked_by,
        linked_at: row.link.linked_at,
        sbom: row.sbom,
        findings,
        views,
    }))
}

/// The caller's releases a device can be linked to: (id, `product
/// version`), by product and version.
pub async fn release_choices(state: &AppState, by: &By) -> Result<Vec<(String, String)>> {
    let products: BTreeMap<String, String> = state
        .store
        .list_products(&by.org_id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut out: Vec<(String, String)> = state
        .store
        .list_releases(&by.org_id)
        .await?
        .into_iter()
        .map(|r| {
            let product = products.get(&r.product_id).cloned().unwrap_or_default();
            (r.id, format!("{product} {}", r.version))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// Links one of the caller's releases to one of its devices as the
/// device's software (replacing an earlier one). Another organisation's
/// device or release is not found.
pub async fn release_link(
    state: &AppState,
    by: &By,
    device_id: &str,
    release_id: &str,
) -> Result<DeviceReleaseRow> {
    by.manufacturer()?;
    assure_svc::device(state, &by.org_id, device_id).await?;
    let release_id = release_id.trim();
    if release_id.is_empty() {
        return Err(Error::field("release_id", "required"));
    }
    if !crate::extract::is_ref_id(release_id) {
        return Err(Error::NotFound);
    }
    let release = state
        .store
        .get_release(&by.org_id, release_id)
        .await?
        .ok_or(Error::NotFound)?;
    let product = state
        .store
        .list_products(&by.org_id)
        .await?
        .into_iter()
        .find(|p| p.id == release.product_id)
        .map(|p| p.name)
        .unwrap_or_default();
    let now = state.now();
    let audit = by
        .audit(now, Action::DeviceReleaseLinked)
        .details(serde_json::json!({"release": release.id, "product": product, "version": release.version, "support_until": release.support_until}));
    Ok(state
        .store
        .link_device_release(&by.org_id, device_id, &release.id, &by.name, now, audit)
        .await?)
}

/// Removes the device's release link; returns whether there was one.
pub async fn release_unlink(state: &AppState, by: &By, device_id: &str) -> Result<bool> {
    by.manufacturer()?;
    assure_svc::device(state, &by.org_id, device_id).await?;
    let previous = state.store.device_release(&by.org_id, device_id).await?;
    let audit = by
        .audit(state.now(), Action::DeviceReleaseUnlinked)
        .details(serde_json::json!({"release": previous.map(|p| p.release_id)}));
    Ok(state
        .store
        .unlink_device_release(&by.org_id, device_id, audit)
        .await?)
}

// --- lifecycle files ------------------------------------------------------

/// The two lifecycle files a manufacturer gives for a device, in the
/// formats of `medsec package build --tplc` and `--support`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleKind {
    /// The TPLC cybersecurity management plan (TOML).
    Tplc,
    /// Each SBOM component's support level and end of support (TOML or
    /// CSV).
    Support,
}

impl LifecycleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleKind::Tplc => "tplc",
            LifecycleKind::Support => "support",
        }
    }

    pub fn parse(s: &str) -> Option<LifecycleKind> {
        match s {
            "tplc" => Some(LifecycleKind::Tplc),
            "support" => Some(LifecycleKind::Support),
            _ => None,
        }
    }
}

/// A device's lifecycle files, stored and read.
#[derive(Debug, Default)]
pub struct Lifecycle {
    pub tplc: Option<(LifecycleRow, medsec_package::TplcPlan)>,
    pub support: Option<(LifecycleRow, Vec<medsec_package::ComponentSupport>)>,
}

fn read_tplc(filename: &str, text: &str) -> Result<medsec_package::TplcPlan> {
    medsec_package::lifecycle::read_tplc(filename, text).map_err(|e| invalid("file", e))
}

fn read_support(filename: &str, text: &str) -> Result<Vec<medsec_package::ComponentSupport>> {
    medsec_package::lifecycle::read_support(filename, text).map_err(|e| invalid("file", e))
}

/// The device's lifecycle files, read. A stored file was checked when it
/// was uploaded; one the current reader refuses is reported, not ignored.
pub async fn lifecycle(state: &AppState, by: &By, device_id: &str) -> Result<Lifecycle> {
    let mut out = Lifecycle::default();
    for row in state
        .store
        .lifecycle_documents(&by.org_id, device_id)
        .await?
    {
        match LifecycleKind::parse(&row.kind) {
            Some(LifecycleKind::Tplc) => {
                let plan = read_tplc(&row.filename, &row.content)?;
                out.tplc = Some((row, plan));
            }
            Some(LifecycleKind::Support) => {
                let support = read_support(&row.filename, &row.content)?;
                out.support = Some((row, support));
            }
            None => {
                return Err(internal(
                    "lifecycle file",
                    format!("unknown kind `{}`", row.kind),
                ));
            }
        }
    }
    Ok(out)
}

/// Stores a lifecycle file of one of the caller's devices after reading
/// it as the command line would (errors name line and field); a support
/// file must also name only components of the linked release's SBOM.
pub async fn lifecycle_upload(
    state: &AppState,
    by: &By,
    device_id: &str,
    kind: LifecycleKind,
    filename: &str,
    bytes: &[u8],
) -> Result<LifecycleRow> {
    by.manufacturer()?;
    assure_svc::device(state, &by.org_id, device_id).await?;
    if bytes.is_empty() {
        return Err(Error::field("file", "required"));
    }
    if bytes.len() > DOCUMENT_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let filename = assure_svc::clean_filename(filename);
    let text = std::str::from_utf8(bytes).map_err(|e| invalid("file", e))?;
    let details = match kind {
        LifecycleKind::Tplc => {
            let plan = read_tplc(&filename, text)?;
            serde_json::json!({
                "kind": kind.as_str(),
                "file": filename,
                "end_of_support": plan.end_of_support.map(|d| d.to_string()),
            })
        }
        LifecycleKind::Support => {
            let support = read_support(&filename, text)?;
            // Checked against the linked release's SBOM now, and again
            // when a package is built (the link may change in between).
            if let Some(release) = device_release(state, &by.org_id, device_id).await? {
                let sbom = match &release.sbom {
                    Some((name, bytes)) => Some(
                        medsec_sbom::read(bytes)
                            .map_err(|e| internal(&format!("SBOM {name}"), e))?,
                    ),
                    None => None,
                };
                medsec_package::check_support(&support, sbom.as_ref())
                    .map_err(|e| invalid("file", e))?;
            }
            serde_json::json!({
                "kind": kind.as_str(),
                "file": filename,
                "components": support.len(),
            })
        }
    };
    let now = state.now();
    let audit = by
        .audit(now, Action::DeviceLifecycleUpdated)
        .details(details);
    Ok(state
        .store
        .put_lifecycle_document(
            &by.org_id,
            device_id,
            kind.as_str(),
            &filename,
            text,
            &by.name,
            now,
            audit,
        )
        .await?)
}

/// A stored lifecycle file as the download it was uploaded as: CSV
/// (component support may be a CSV) or TOML, named as uploaded.
pub async fn lifecycle_download(
    state: &AppState,
    by: &By,
    device_id: &str,
    kind: LifecycleKind,
) -> Result<axum::response::Response> {
    let row = state
        .store
        .lifecycle_documents(&by.org_id, device_id)
        .await?
        .into_iter()
        .find(|r| r.kind == kind.as_str())
        .ok_or(Error::NotFound)?;
    let content_type = if row.filename.to_ascii_lowercase().ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "application/toml; charset=utf-8"
    };
    Ok(assure_svc::attachment(
        row.content.into_bytes(),
        content_type,
        &row.filename,
    ))
}

/// Removes a lifecycle file; `false` when there was none.
pub async fn lifecycle_remove(
    state: &AppState,
    by: &By,
    device_id: &str,
    kind: LifecycleKind,
) -> Result<bool> {
    by.manufacturer()?;
    assure_svc::device(state, &by.org_id, device_id).await?;
    let audit = by
        .audit(state.now(), Action::DeviceLifecycleRemoved)
        .details(serde_json::json!({"kind": kind.as_str()}));
    Ok(state
        .store
        .delete_lifecycle_document(&by.org_id, device_id, kind.as_str(), audit)
        .await?)
}

/// Whether `id` can be a risk id in a path or query: 1 to 200 letters,
/// digits and `-`, `_`, `.`, `:`, `@`, `/`, `%`, `+` (what the register's
/// ids and SBOM risks such as `R-SBOM-CVE-2021-3711-pkg:generic-openssl@1.1.1k`
/// hold); no control characters, no whitespace.
pub fn is_risk_id(id: &str) -> bool {
    let n = id.chars().count();
    (1..=200).contains(&n)
        && id.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '/' | '%' | '+')
        })
}
