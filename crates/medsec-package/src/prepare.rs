//! The inputs of a package from what a user has: a device profile and
//! whichever documents exist, the rest made as the device page would
//! start them (the prefilled checklist of the current MFDS edition, the
//! threat model from the profile, the register from the threat model and
//! the SBOM findings, the test plan from the checklist).

use std::collections::BTreeMap;

use medsec_assure::checklist::{self, Import, Workspace};
use medsec_assure::evidence::{Justification, SbomFinding};
use medsec_assure::risk::HarmBasis;
use medsec_assure::rules::Override;
use medsec_assure::{Checklist, Profile, Register, TestPlan, ThreatModel};
use time::OffsetDateTime;

use crate::lifecycle::{ComponentSupport, TplcPlan};
use crate::{Evidence, Inputs, PackageError, Scan, doc_error};

/// What the user has; `None` is made from the profile.
#[derive(Debug, Clone)]
pub struct Sources {
    pub profile: Profile,
    /// A checklist exported earlier and edited (JSON or XLSX, read), which
    /// is checked against the profile's as an import is.
    pub checklist: Option<Checklist>,
    pub register: Option<Register>,
    pub plan: Option<TestPlan>,
    pub scans: Vec<Scan>,
    pub findings: Vec<SbomFinding>,
    pub sbom: Option<medsec_sbom::Sbom>,
    pub justifications: Vec<Justification>,
    pub evidence: Vec<Evidence>,
    /// The manufacturer's TPLC plan file, read ([`crate::lifecycle`]).
    pub tplc: Option<TplcPlan>,
    /// The components' support, read; every entry must name a component
    /// of the SBOM.
    pub support: Vec<ComponentSupport>,
    /// The device's end of cybersecurity support (a release's support
    /// date); must agree with the plan's when both say one.
    pub end_of_support: Option<time::Date>,
    pub created: OffsetDateTime,
}

/// Computes the inputs; errors name the document and the item or field.
pub fn prepare(sources: Sources) -> Result<Inputs, PackageError> {
    let catalogs = medsec_catalog::catalogs().map_err(|e| doc_error("catalogues", e))?;
    let rules = medsec_assure::rules().map_err(|e| doc_error("applicability rules", e))?;
    let profile = sources.profile;
    profile
        .check()
        .map_err(|e| doc_error("device profile", e))?;
    let model =
        ThreatModel::from_profile(&profile, catalogs).map_err(|e| doc_error("threat model", e))?;

    let edition = match &sources.checklist {
        Some(c) => c.catalog.clone(),
        None => catalogs
            .default_edition()
            .map(|c| c.catalog.id.clone())
            .ok_or_else(|| doc_error("checklist", "no default MFDS edition"))?,
    };
    let catalog = catalogs
        .get(&edition)
        .ok_or_else(|| doc_error("checklist", format!("catalog: no catalogue `{edition}`")))?;
    let workspace =
        Workspace::prefill(catalogs, &edition, &profile).map_err(|e| doc_error("checklist", e))?;
    let none = BTreeMap::new();
    let prefilled = checklist::evaluate(catalogs, rules, catalog, &profile, &none, &workspace);
    let checklist = match &sources.checklist {
        None => prefilled,
        Some(imported) => {
            let import = Import::from(&prefilled, &workspace, imported)
                .map_err(|e| doc_error("checklist", e))?;
            let at = crate::created_text(sources.created)?;
            let overrides: BTreeMap<String, Override> = import
                .overrides
                .into_iter()
                .map(|(id, applies, justification)| {
                    let o = Override {
                        applies,
                        justification,
                        by: "checklist file".into(),
                        at: at.clone(),
                    };
                    (format!("{edition}:{id}"), o)
                })
                .collect();
            checklist::evaluate(
                catalogs,
                rules,
                catalog,
                &profile,
                &overrides,
                &import.workspace,
            )
        }
    };

    let register = match sources.register {
        Some(r) => {
            r.check(catalogs)
                .map_err(|e| doc_error("risk register", e))?;
            r
        }
        None => {
            let basis = HarmBasis::of(&profile);
            let mut r = Register::from_threat_model(&model, &basis, catalogs);
            r.add_sbom_findings(&sources.findings, &basis);
            r
        }
    };
    let plan = match sources.plan {
        Some(p) => {
            p.check().map_err(|e| doc_error("test plan", e))?;
            p
        }
        None => TestPlan::derive(catalogs, &checklist),
    };
    let end_of_support = match (
        sources.end_of_support,
        sources.tplc.as_ref().and_then(|p| p.end_of_support),
    ) {
        (Some(given), Some(planned)) if given != planned => {
            return Err(doc_error(
                "end of support",
                format!(
                    "the device's end of support is {given}, the TPLC plan's end_of_support {planned}; make them agree"
                ),
            ));
        }
        (given, planned) => given.or(planned),
    };
    check_support(&sources.support, sources.sbom.as_ref())?;
    Ok(Inputs {
        profile,
        checklist,
        model,
        register,
        plan,
        scans: sources.scans,
        findings: sources.findings,
        sbom: sources.sbom,
        justifications: sources.justifications,
        evidence: sources.evidence,
        tplc: sources.tplc,
        support: sources.support,
        end_of_support,
        created: sources.created,
    })
}

/// Every support entry names one component of the SBOM, once (also for
/// callers that make [`Inputs`] themselves, as the server does).
pub fn check_support(
    support: &[ComponentSupport],
    sbom: Option<&medsec_sbom::Sbom>,
) -> Result<(), PackageError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in support.iter().enumerate() {
        let what = || format!("component support [{i}] `{}`", s.component);
        let Some(sbom) = sbom else {
            return Err(doc_error(
                &what(),
                "component support needs the SBOM it refers to",
            ));
        };
        let found = sbom
            .components
            .iter()
            .any(|c| crate::submission::support_key_matches(c, &s.component));
        if !found {
            return Err(doc_error(
                &what(),
                "no component of the SBOM has this purl or name@version",
            ));
        }
        if !seen.insert(s.component.trim()) {
            return Err(doc_error(&what(), "listed twice"));
        }
    }
    Ok(())
}
