//! 6.1.27: the tests of the profiles, each run only for the document
//! categories it names.

use super::Checker;
use crate::model::{NoteCategory, ReferenceCategory, ThreatCategory};

const ADVISORY: &str = "csaf_security_advisory";
const VEX: &str = "csaf_vex";
const INFORMATIONAL: &str = "csaf_informational_advisory";
const INCIDENT: &str = "csaf_security_incident_response";

pub(super) fn check(c: &mut Checker<'_>) {
    let a = c.advisory;
    let category = a.document.category.as_str();
    let is = |names: &[&str]| names.contains(&category);

    if is(&[INFORMATIONAL, INCIDENT]) {
        let described = a.document.notes.iter().any(|n| {
            matches!(
                n.category,
                NoteCategory::Description
                    | NoteCategory::Details
                    | NoteCategory::General
                    | NoteCategory::Summary
            )
        });
        if !described {
            c.fail(
                "6.1.27.1",
                "/document/notes".to_owned(),
                "no document note of category description, details, general or summary".to_owned(),
            );
        }
        // A reference without a category is external: the schema's default.
        let external = a.document.references.iter().any(|r| {
            r.category.unwrap_or(ReferenceCategory::External) == ReferenceCategory::External
        });
        if !external {
            c.fail(
                "6.1.27.2",
                "/document/references".to_owned(),
                "no document reference of category external".to_owned(),
            );
        }
    }
    if is(&[INFORMATIONAL]) && !a.vulnerabilities.is_empty() {
        c.fail(
            "6.1.27.3",
            "/vulnerabilities".to_owned(),
            "an informational advisory must not have vulnerabilities".to_owned(),
        );
    }
    if is(&[ADVISORY, VEX]) {
        if a.product_tree.is_none() {
            c.fail(
                "6.1.27.4",
                "/product_tree".to_owned(),
                format!("a {category} document needs a product tree"),
            );
        }
        if a.vulnerabilities.is_empty() {
            c.fail(
                "6.1.27.11",
                "/vulnerabilities".to_owned(),
                format!("a {category} document needs vulnerabilities"),
            );
        }
    }
    for (i, v) in a.vulnerabilities.iter().enumerate() {
        let at = format!("/vulnerabilities/{i}");
        if is(&[ADVISORY, VEX]) && v.notes.is_empty() {
            c.fail(
                "6.1.27.5",
                format!("{at}/notes"),
                "the vulnerability has no notes".to_owned(),
            );
        }
        if is(&[ADVISORY]) && v.product_status.is_none() {
            c.fail(
                "6.1.27.6",
                format!("{at}/product_status"),
                "the vulnerability has no product status".to_owned(),
            );
        }
        if !is(&[VEX]) {
            continue;
        }
        let ps = v.product_status.clone().unwrap_or_default();
        if ps.fixed.is_empty()
            && ps.known_affected.is_empty()
            && ps.known_not_affected.is_empty()
            && ps.under_investigation.is_empty()
        {
            c.fail(
                "6.1.27.7",
                format!("{at}/product_status"),
                "none of fixed, known_affected, known_not_affected or under_investigation is given"
                    .to_owned(),
            );
        }
        if v.cve.is_none() && v.ids.is_empty() {
            c.fail(
                "6.1.27.8",
                at.clone(),
                "the vulnerability has neither cve nor ids".to_owned(),
            );
        }
        for (j, id) in ps.known_not_affected.iter().enumerate() {
            let impact = v
                .flags
                .iter()
                .any(|f| c.names(&f.product_ids, &f.group_ids, id))
                || v.threats.iter().any(|t| {
                    t.category == ThreatCategory::Impact
                        && c.names(&t.product_ids, &t.group_ids, id)
                });
            if !impact {
                c.fail(
                    "6.1.27.9",
                    format!("{at}/product_status/known_not_affected/{j}"),
                    format!("no impact statement (flag or impact threat) for product id `{id}`"),
                );
            }
        }
        for (j, id) in ps.known_affected.iter().enumerate() {
            if !v
                .remediations
                .iter()
                .any(|r| c.names(&r.product_ids, &r.group_ids, id))
            {
                c.fail(
                    "6.1.27.10",
                    format!("{at}/product_status/known_affected/{j}"),
                    format!("no action statement (remediation) for product id `{id}`"),
                );
            }
        }
    }
}
