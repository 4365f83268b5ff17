//! The mapping tables of `medsec_vex::mapping`, row by row, and their
//! round-trip properties.

use medsec_vex::mapping::*;
use medsec_vex::{CycloneDxJustification as C, CycloneDxState as S, Justification as J, Status};

#[test]
fn cyclonedx_justifications_map_as_documented() {
    let table = [
        (C::CodeNotPresent, J::VulnerableCodeNotPresent),
        (C::CodeNotReachable, J::VulnerableCodeNotInExecutePath),
        (
            C::RequiresConfiguration,
            J::VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            C::RequiresDependency,
            J::VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            C::RequiresEnvironment,
            J::VulnerableCodeCannotBeControlledByAdversary,
        ),
        (C::ProtectedByCompiler, J::InlineMitigationsAlreadyExist),
        (C::ProtectedAtRuntime, J::InlineMitigationsAlreadyExist),
        (
            C::ProtectedAtPerimeter,
            J::VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            C::ProtectedByMitigatingControl,
            J::InlineMitigationsAlreadyExist,
        ),
    ];
    for (cdx, cisa) in table {
        assert_eq!(from_cyclonedx_justification(cdx), cisa, "{}", cdx.as_str());
    }
    // Every CycloneDX value is in the table.
    let all = [
        "code_not_present",
        "code_not_reachable",
        "requires_configuration",
        "requires_dependency",
        "requires_environment",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    ];
    for name in all {
        let cdx = C::parse(name).unwrap();
        assert!(table.iter().any(|(c, _)| *c == cdx), "{name}");
    }
}

#[test]
fn cisa_justifications_written_to_cyclonedx() {
    let table = [
        (J::ComponentNotPresent, C::CodeNotPresent),
        (J::VulnerableCodeNotPresent, C::CodeNotPresent),
        (J::VulnerableCodeNotInExecutePath, C::CodeNotReachable),
        (
            J::VulnerableCodeCannotBeControlledByAdversary,
            C::RequiresEnvironment,
        ),
        (
            J::InlineMitigationsAlreadyExist,
            C::ProtectedByMitigatingControl,
        ),
    ];
    for (cisa, cdx) in table {
        assert_eq!(to_cyclonedx_justification(cisa), cdx, "{cisa}");
    }
    // Reading back what was written gives the same justification, except
    // for `component_not_present`, which CycloneDX cannot say (the writer
    // keeps it in a property).
    for j in J::ALL {
        let back = from_cyclonedx_justification(to_cyclonedx_justification(j));
        if j == J::ComponentNotPresent {
            assert_eq!(back, J::VulnerableCodeNotPresent);
        } else {
            assert_eq!(back, j);
        }
    }
}

#[test]
fn justification_labels_are_the_openvex_and_csaf_labels() {
    let labels = [
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    ];
    for (j, label) in J::ALL.into_iter().zip(labels) {
        assert_eq!(j.as_str(), label);
        assert_eq!(J::parse(label), Some(j));
        // CSAF serialises its flag labels with the same names.
        let csaf = to_csaf_justification(j);
        assert_eq!(
            serde_json::to_value(csaf).unwrap(),
            serde_json::json!(label)
        );
        assert_eq!(from_csaf_justification(csaf), j);
    }
    assert_eq!(J::parse("code_not_present"), None);
}

#[test]
fn statuses_map_as_documented() {
    let cyclonedx = [
        (S::NotAffected, Status::NotAffected),
        (S::FalsePositive, Status::NotAffected),
        (S::Exploitable, Status::Affected),
        (S::Resolved, Status::Fixed),
        (S::ResolvedWithPedigree, Status::Fixed),
        (S::InTriage, Status::UnderInvestigation),
    ];
    for (cdx, status) in cyclonedx {
        assert_eq!(from_cyclonedx_state(cdx), status, "{}", cdx.as_str());
    }
    use medsec_csaf::Status as Csaf;
    let csaf = [
        (Csaf::KnownNotAffected, Status::NotAffected),
        (Csaf::KnownAffected, Status::Affected),
        (Csaf::FirstAffected, Status::Affected),
        (Csaf::LastAffected, Status::Affected),
        (Csaf::Fixed, Status::Fixed),
        (Csaf::FirstFixed, Status::Fixed),
        (Csaf::Recommended, Status::Fixed),
        (Csaf::UnderInvestigation, Status::UnderInvestigation),
    ];
    for (c, status) in csaf {
        assert_eq!(from_csaf_status(c), status, "{}", c.as_str());
    }
    // Written statuses read back as themselves in every format.
    let labels = ["not_affected", "affected", "fixed", "under_investigation"];
    for (s, label) in Status::ALL.into_iter().zip(labels) {
        assert_eq!(s.as_str(), label);
        assert_eq!(Status::parse(label), Some(s));
        assert_eq!(from_cyclonedx_state(to_cyclonedx_state(s)), s);
        assert_eq!(from_csaf_status(to_csaf_status(s)), s);
    }
    assert_eq!(to_cyclonedx_state(Status::Affected), S::Exploitable);
    assert_eq!(to_cyclonedx_state(Status::Fixed), S::Resolved);
    assert_eq!(to_csaf_status(Status::NotAffected), Csaf::KnownNotAffected);
}

#[test]
fn responses_and_remediations() {
    use medsec_csaf::RemediationCategory as R;
    use medsec_vex::Response;
    let table = [
        (Response::Update, R::VendorFix),
        (Response::WorkaroundAvailable, R::Workaround),
        (Response::WillNotFix, R::NoFixPlanned),
        (Response::CanNotFix, R::NoneAvailable),
        (Response::Rollback, R::Mitigation),
    ];
    for (r, c) in table {
        assert_eq!(to_csaf_remediation(r), c);
        let back = from_csaf_remediation(c);
        if r == Response::Rollback {
            assert_eq!(back, None);
        } else {
            assert_eq!(back, Some(r));
        }
    }
}
