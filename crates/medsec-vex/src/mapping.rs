//! How the three formats' vocabularies map onto the model, as tables.
//!
//! # Justifications
//!
//! OpenVEX and CSAF (flag labels) use CISA's five justifications
//! verbatim. CycloneDX has nine finer ones; they map onto CISA's as
//! follows ([`from_cyclonedx_justification`]):
//!
//! | CycloneDX `analysis.justification` | model ([`Justification`]) | why |
//! | --- | --- | --- |
//! | `code_not_present` | `vulnerable_code_not_present` | the same statement |
//! | `code_not_reachable` | `vulnerable_code_not_in_execute_path` | the same statement |
//! | `requires_configuration` | `vulnerable_code_cannot_be_controlled_by_adversary` | the code runs, but the attack needs a setting the product does not have |
//! | `requires_dependency` | `vulnerable_code_cannot_be_controlled_by_adversary` | the attack needs a component that is absent |
//! | `requires_environment` | `vulnerable_code_cannot_be_controlled_by_adversary` | the attack needs an environment that is absent |
//! | `protected_by_compiler` | `inline_mitigations_already_exist` | a built-in protection |
//! | `protected_at_runtime` | `inline_mitigations_already_exist` | a built-in protection |
//! | `protected_at_perimeter` | `vulnerable_code_cannot_be_controlled_by_adversary` | a perimeter is not built into the product, so not an inline mitigation; it keeps the attacker from the code |
//! | `protected_by_mitigating_control` | `inline_mitigations_already_exist` | a built-in protection |
//!
//! Written to CycloneDX ([`to_cyclonedx_justification`]), each CISA
//! justification becomes the CycloneDX value that states it most
//! directly: `component_not_present` and `vulnerable_code_not_present` →
//! `code_not_present`, `vulnerable_code_not_in_execute_path` →
//! `code_not_reachable`, `vulnerable_code_cannot_be_controlled_by_adversary`
//! → `requires_environment`, `inline_mitigations_already_exist` →
//! `protected_by_mitigating_control`.
//!
//! Both directions lose detail, so the CycloneDX reader keeps the value
//! it read ([`crate::Statement::cyclonedx`]) and the CycloneDX writer
//! writes it back while it still maps to the statement's justification.
//! Where the CycloneDX value written does not map back to the statement's
//! justification (`component_not_present` → `code_not_present` →
//! `vulnerable_code_not_present`), the writer adds the property
//! `medsec:vex:justification` with the CISA label, which the reader
//! prefers when it agrees with the CycloneDX value.
//!
//! # Statuses
//!
//! | model | OpenVEX | CycloneDX `analysis.state` | CSAF `product_status` |
//! | --- | --- | --- | --- |
//! | not affected | `not_affected` | `not_affected`, `false_positive` | `known_not_affected` |
//! | affected | `affected` | `exploitable` | `known_affected`, `first_affected`, `last_affected` |
//! | fixed | `fixed` | `resolved`, `resolved_with_pedigree` | `fixed`, `first_fixed`, `recommended` |
//! | under investigation | `under_investigation` | `in_triage` | `under_investigation` |
//!
//! Written, each model status takes the first value of its row.
//!
//! # Responses and CSAF remediations
//!
//! | CycloneDX `analysis.response` | CSAF remediation `category` |
//! | --- | --- |
//! | `update` | `vendor_fix` |
//! | `workaround_available` | `workaround` |
//! | `will_not_fix` | `no_fix_planned` |
//! | `can_not_fix` | `none_available` |
//! | `rollback` | `mitigation` (read back as no response) |
//!
//! A CSAF `mitigation` names no CycloneDX response.

use medsec_csaf::RemediationCategory;

use crate::model::{CycloneDxJustification, CycloneDxState, Justification, Response, Status};

/// The CISA justification a CycloneDX justification states (table above).
pub fn from_cyclonedx_justification(j: CycloneDxJustification) -> Justification {
    use CycloneDxJustification as C;
    match j {
        C::CodeNotPresent => Justification::VulnerableCodeNotPresent,
        C::CodeNotReachable => Justification::VulnerableCodeNotInExecutePath,
        C::RequiresConfiguration
        | C::RequiresDependency
        | C::RequiresEnvironment
        | C::ProtectedAtPerimeter => Justification::VulnerableCodeCannotBeControlledByAdversary,
        C::ProtectedByCompiler | C::ProtectedAtRuntime | C::ProtectedByMitigatingControl => {
            Justification::InlineMitigationsAlreadyExist
        }
    }
}

/// The CycloneDX justification written for a CISA one that has no
/// CycloneDX original.
pub fn to_cyclonedx_justification(j: Justification) -> CycloneDxJustification {
    use CycloneDxJustification as C;
    match j {
        Justification::ComponentNotPresent | Justification::VulnerableCodeNotPresent => {
            C::CodeNotPresent
        }
        Justification::VulnerableCodeNotInExecutePath => C::CodeNotReachable,
        Justification::VulnerableCodeCannotBeControlledByAdversary => C::RequiresEnvironment,
        Justification::InlineMitigationsAlreadyExist => C::ProtectedByMitigatingControl,
    }
}

/// The model status of a CycloneDX `analysis.state`.
pub fn from_cyclonedx_state(s: CycloneDxState) -> Status {
    match s {
        CycloneDxState::Resolved | CycloneDxState::ResolvedWithPedigree => Status::Fixed,
        CycloneDxState::Exploitable => Status::Affected,
        CycloneDxState::InTriage => Status::UnderInvestigation,
        CycloneDxState::FalsePositive | CycloneDxState::NotAffected => Status::NotAffected,
    }
}

/// The CycloneDX `analysis.state` written for a model status.
pub fn to_cyclonedx_state(s: Status) -> CycloneDxState {
    match s {
        Status::NotAffected => CycloneDxState::NotAffected,
        Status::Affected => CycloneDxState::Exploitable,
        Status::Fixed => CycloneDxState::Resolved,
        Status::UnderInvestigation => CycloneDxState::InTriage,
    }
}

/// The model status of a CSAF `product_status` list.
pub fn from_csaf_status(s: medsec_csaf::Status) -> Status {
    use medsec_csaf::Status as C;
    match s {
        C::KnownNotAffected => Status::NotAffected,
        C::KnownAffected | C::FirstAffected | C::LastAffected => Status::Affected,
        C::Fixed | C::FirstFixed | C::Recommended => Status::Fixed,
        C::UnderInvestigation => Status::UnderInvestigation,
    }
}

/// The CSAF `product_status` list written for a model status.
pub fn to_csaf_status(s: Status) -> medsec_csaf::Status {
    use medsec_csaf::Status as C;
    match s {
        Status::NotAffected => C::KnownNotAffected,
        Status::Affected => C::KnownAffected,
        Status::Fixed => C::Fixed,
        Status::UnderInvestigation => C::UnderInvestigation,
    }
}

/// The model justification of a CSAF flag label (the same five labels).
pub fn from_csaf_justification(j: medsec_csaf::Justification) -> Justification {
    use medsec_csaf::Justification as C;
    match j {
        C::ComponentNotPresent => Justification::ComponentNotPresent,
        C::VulnerableCodeNotPresent => Justification::VulnerableCodeNotPresent,
        C::VulnerableCodeNotInExecutePath => Justification::VulnerableCodeNotInExecutePath,
        C::VulnerableCodeCannotBeControlledByAdversary => {
            Justification::VulnerableCodeCannotBeControlledByAdversary
        }
        C::InlineMitigationsAlreadyExist => Justification::InlineMitigationsAlreadyExist,
    }
}

/// The CSAF flag label of a model justification.
pub fn to_csaf_justification(j: Justification) -> medsec_csaf::Justification {
    use medsec_csaf::Justification as C;
    match j {
        Justification::ComponentNotPresent => C::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent => C::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath => C::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary => {
            C::VulnerableCodeCannotBeControlledByAdversary
        }
        Justification::InlineMitigationsAlreadyExist => C::InlineMitigationsAlreadyExist,
    }
}

/// The CycloneDX response a CSAF remediation category names, if any.
pub fn from_csaf_remediation(c: RemediationCategory) -> Option<Response> {
    match c {
        RemediationCategory::VendorFix => Some(Response::Update),
        RemediationCategory::Workaround => Some(Response::WorkaroundAvailable),
        RemediationCategory::NoFixPlanned => Some(Response::WillNotFix),
        RemediationCategory::NoneAvailable => Some(Response::CanNotFix),
        RemediationCategory::Mitigation => None,
    }
}

/// The CSAF remediation category written for a CycloneDX response.
pub fn to_csaf_remediation(r: Response) -> RemediationCategory {
    match r {
        Response::Update => RemediationCategory::VendorFix,
        Response::WorkaroundAvailable => RemediationCategory::Workaround,
        Response::WillNotFix => RemediationCategory::NoFixPlanned,
        Response::CanNotFix => RemediationCategory::NoneAvailable,
        Response::Rollback => RemediationCategory::Mitigation,
    }
}
