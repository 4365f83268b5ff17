//! CVSS in scores: 6.1.8 (the object is valid by the FIRST JSON schema),
//! 6.1.9 (its scores and severities are computed correctly from the
//! vector) and 6.1.10 (its named metrics agree with the vector), for
//! CVSS v2.0, v3.0 and v3.1, base, temporal and environmental.
//!
//! Vectors are read and scored by `medsec-cvss`; this module maps the
//! JSON schemas' property names and values onto the vectors' metrics.
//! The schemas' patterns accept metrics in any order, repeated or
//! missing: such vectors pass 6.1.8 and are checked for 6.1.10, but
//! only a vector `medsec-cvss` parses has scores to compare (6.1.9).

use std::collections::{BTreeMap, HashMap};

use medsec_cvss::{Score, Version, v2, v3};
use serde_json::Value;

use super::Checker;

/// A metric: its abbreviation in the vector, its property name in the
/// JSON object, and its values (abbreviation, JSON value).
struct Metric {
    key: &'static str,
    property: &'static str,
    values: &'static [(&'static str, &'static str)],
}

const fn m(
    key: &'static str,
    property: &'static str,
    values: &'static [(&'static str, &'static str)],
) -> Metric {
    Metric {
        key,
        property,
        values,
    }
}

const CIA3: &[(&str, &str)] = &[("H", "HIGH"), ("L", "LOW"), ("N", "NONE")];
const MCIA3: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("H", "HIGH"),
    ("L", "LOW"),
    ("N", "NONE"),
];
const REQ3: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("H", "HIGH"),
    ("M", "MEDIUM"),
    ("L", "LOW"),
];
const AV3: &[(&str, &str)] = &[
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];
const MAV3: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];

const V3: &[Metric] = &[
    m("AV", "attackVector", AV3),
    m("AC", "attackComplexity", &[("L", "LOW"), ("H", "HIGH")]),
    m(
        "PR",
        "privilegesRequired",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    m("UI", "userInteraction", &[("N", "NONE"), ("R", "REQUIRED")]),
    m("S", "scope", &[("U", "UNCHANGED"), ("C", "CHANGED")]),
    m("C", "confidentialityImpact", CIA3),
    m("I", "integrityImpact", CIA3),
    m("A", "availabilityImpact", CIA3),
    m(
        "E",
        "exploitCodeMaturity",
        &[
            ("X", "NOT_DEFINED"),
            ("H", "HIGH"),
            ("F", "FUNCTIONAL"),
            ("P", "PROOF_OF_CONCEPT"),
            ("U", "UNPROVEN"),
        ],
    ),
    m(
        "RL",
        "remediationLevel",
        &[
            ("X", "NOT_DEFINED"),
            ("U", "UNAVAILABLE"),
            ("W", "WORKAROUND"),
            ("T", "TEMPORARY_FIX"),
            ("O", "OFFICIAL_FIX"),
        ],
    ),
    m(
        "RC",
        "reportConfidence",
        &[
            ("X", "NOT_DEFINED"),
            ("C", "CONFIRMED"),
            ("R", "REASONABLE"),
            ("U", "UNKNOWN"),
        ],
    ),
    m("CR", "confidentialityRequirement", REQ3),
    m("IR", "integrityRequirement", REQ3),
    m("AR", "availabilityRequirement", REQ3),
    m("MAV", "modifiedAttackVector", MAV3),
    m(
        "MAC",
        "modifiedAttackComplexity",
        &[("X", "NOT_DEFINED"), ("L", "LOW"), ("H", "HIGH")],
    ),
    m(
        "MPR",
        "modifiedPrivilegesRequired",
        &[
            ("X", "NOT_DEFINED"),
            ("N", "NONE"),
            ("L", "LOW"),
            ("H", "HIGH"),
        ],
    ),
    m(
        "MUI",
        "modifiedUserInteraction",
        &[("X", "NOT_DEFINED"), ("N", "NONE"), ("R", "REQUIRED")],
    ),
    m(
        "MS",
        "modifiedScope",
        &[("X", "NOT_DEFINED"), ("U", "UNCHANGED"), ("C", "CHANGED")],
    ),
    m("MC", "modifiedConfidentialityImpact", MCIA3),
    m("MI", "modifiedIntegrityImpact", MCIA3),
    m("MA", "modifiedAvailabilityImpact", MCIA3),
];

const CIA2: &[(&str, &str)] = &[("N", "NONE"), ("P", "PARTIAL"), ("C", "COMPLETE")];
const REQ2: &[(&str, &str)] = &[
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
    ("ND", "NOT_DEFINED"),
];

const V2: &[Metric] = &[
    m(
        "AV",
        "accessVector",
        &[("L", "LOCAL"), ("A", "ADJACENT_NETWORK"), ("N", "NETWORK")],
    ),
    m(
        "AC",
        "accessComplexity",
        &[("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")],
    ),
    m(
        "Au",
        "authentication",
        &[("M", "MULTIPLE"), ("S", "SINGLE"), ("N", "NONE")],
    ),
    m("C", "confidentialityImpact", CIA2),
    m("I", "integrityImpact", CIA2),
    m("A", "availabilityImpact", CIA2),
    m(
        "E",
        "exploitability",
        &[
            ("U", "UNPROVEN"),
            ("POC", "PROOF_OF_CONCEPT"),
            ("F", "FUNCTIONAL"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "RL",
        "remediationLevel",
        &[
            ("OF", "OFFICIAL_FIX"),
            ("TF", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "RC",
        "reportConfidence",
        &[
            ("UC", "UNCONFIRMED"),
            ("UR", "UNCORROBORATED"),
            ("C", "CONFIRMED"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "CDP",
        "collateralDamagePotential",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("LM", "LOW_MEDIUM"),
            ("MH", "MEDIUM_HIGH"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "TD",
        "targetDistribution",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("M", "MEDIUM"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m("CR", "confidentialityRequirement", REQ2),
    m("IR", "integrityRequirement", REQ2),
    m("AR", "availabilityRequirement", REQ2),
];

const SEVERITIES: &[&str] = &["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// The metrics of a vector string as the schema's pattern reads it (any
/// order, repeats and missing metrics allowed), or why a component
/// matches no metric of the version. A metric given twice keeps its last
/// value (and the vector has no scores).
fn parse_vector(
    version: Version,
    vector: &str,
) -> Result<HashMap<&'static str, &'static str>, String> {
    let mut out = HashMap::new();
    for component in medsec_cvss::components(version, vector) {
        let component = component.map_err(|e| e.kind.to_string())?;
        out.insert(component.metric.name, component.value());
    }
    Ok(out)
}

pub(super) fn check(c: &mut Checker<'_>) {
    for (i, v) in c.advisory.vulnerabilities.iter().enumerate() {
        for (k, s) in v.scores.iter().enumerate() {
            let at = format!("/vulnerabilities/{i}/scores/{k}");
            if let Some(cvss) = &s.cvss_v3 {
                check_v3(
                    c,
                    &format!("{at}/cvss_v3"),
                    cvss.version.as_deref(),
                    cvss.vector_string.as_deref(),
                    cvss.base_score,
                    cvss.base_severity.as_deref(),
                    &cvss.other,
                );
            }
            if let Some(cvss) = &s.cvss_v2 {
                check_v2(
                    c,
                    &format!("{at}/cvss_v2"),
                    cvss.version.as_deref(),
                    cvss.vector_string.as_deref(),
                    cvss.base_score,
                    &cvss.other,
                );
            }
        }
    }
}

fn missing(c: &mut Checker<'_>, at: &str, present: &[(&str, bool)]) {
    for (name, here) in present {
        if !here {
            c.fail(
                "6.1.8",
                at.to_owned(),
                format!("the required property `{name}` is missing"),
            );
        }
    }
}

fn score_in_range(c: &mut Checker<'_>, at: &str, name: &str, score: f64) {
    if !(0.0..=10.0).contains(&score) {
        c.fail(
            "6.1.8",
            format!("{at}/{name}"),
            format!("{score} is not a score between 0 and 10"),
        );
    }
}

/// 6.1.8 for the members kept in `other`: metric names, the other scores
/// and severities.
fn other_members(
    c: &mut Checker<'_>,
    at: &str,
    table: &[Metric],
    other: &BTreeMap<String, Value>,
    severities: bool,
) {
    for (name, value) in other {
        if let Some(metric) = table.iter().find(|m| m.property == name) {
            let ok = value
                .as_str()
                .is_some_and(|s| metric.values.iter().any(|(_, v)| *v == s));
            if !ok {
                c.fail(
                    "6.1.8",
                    format!("{at}/{name}"),
                    format!("{value} is not a value of `{name}`"),
                );
            }
        } else if name == "temporalScore" || name == "environmentalScore" {
            match value.as_f64() {
                Some(score) => score_in_range(c, at, name, score),
                None => c.fail(
                    "6.1.8",
                    format!("{at}/{name}"),
                    format!("{value} is not a number"),
                ),
            }
        } else if severities
            && (name == "temporalSeverity" || name == "environmentalSeverity")
            && !value.as_str().is_some_and(|s| SEVERITIES.contains(&s))
        {
            c.fail(
                "6.1.8",
                format!("{at}/{name}"),
                format!("{value} is not a CVSS severity"),
            );
        }
    }
}

/// 6.1.10: every named metric agrees with the vector.
fn consistent(
    c: &mut Checker<'_>,
    at: &str,
    table: &[Metric],
    metrics: &HashMap<&'static str, &str>,
    other: &BTreeMap<String, Value>,
) {
    for metric in table {
        let (Some(code), Some(Value::String(named))) =
            (metrics.get(metric.key), other.get(metric.property))
        else {
            continue;
        };
        let expected = metric
            .values
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, v)| *v);
        let known = metric.values.iter().any(|(_, v)| v == named);
        if known && expected.is_some_and(|e| e != named) {
            c.fail(
                "6.1.10",
                format!("{at}/{}", metric.property),
                format!(
                    "`{named}` contradicts `{}:{code}` in the vector",
                    metric.key
                ),
            );
        }
    }
}

/// 6.1.9: a given score is none of the computed ones (CVSS v3.0 has two,
/// see [`check_v3`]).
fn compare_score(c: &mut Checker<'_>, at: &str, name: &str, given: Option<f64>, computed: &[f64]) {
    if let Some(given) = given
        && !computed.iter().any(|x| (given - x).abs() < 1e-9)
    {
        let expected = computed.first().copied().unwrap_or_default();
        c.fail(
            "6.1.9",
            format!("{at}/{name}"),
            format!("{given} is not the computed {name} {expected:.1}"),
        );
    }
}

fn compare_severity(
    c: &mut Checker<'_>,
    at: &str,
    name: &str,
    given: Option<&str>,
    computed: &[f64],
) {
    if let Some(given) = given
        && !computed.iter().any(|x| severity(*x) == given)
    {
        let score = computed.first().copied().unwrap_or_default();
        c.fail(
            "6.1.9",
            format!("{at}/{name}"),
            format!(
                "`{given}` is not the severity of the score {score:.1}, `{}`",
                severity(score)
            ),
        );
    }
}

fn check_v3(
    c: &mut Checker<'_>,
    at: &str,
    version: Option<&str>,
    vector: Option<&str>,
    base_score: Option<f64>,
    base_severity: Option<&str>,
    other: &BTreeMap<String, Value>,
) {
    missing(
        c,
        at,
        &[
            ("version", version.is_some()),
            ("vectorString", vector.is_some()),
            ("baseScore", base_score.is_some()),
            ("baseSeverity", base_severity.is_some()),
        ],
    );
    if let Some(score) = base_score {
        score_in_range(c, at, "baseScore", score);
    }
    if let Some(s) = base_severity
        && !SEVERITIES.contains(&s)
    {
        c.fail(
            "6.1.8",
            format!("{at}/baseSeverity"),
            format!("`{s}` is not a CVSS severity"),
        );
    }
    other_members(c, at, V3, other, true);
    let v31 = match version {
        Some("3.1") => true,
        Some("3.0") => false,
        Some(other) => {
            c.fail(
                "6.1.8",
                format!("{at}/version"),
                format!("`{other}` is not a CVSS v3 version (3.0 or 3.1)"),
            );
            return;
        }
        None => return,
    };
    let Some(vector) = vector else { return };
    let cvss_version = if v31 { Version::V3_1 } else { Version::V3_0 };
    let prefix = cvss_version.prefix();
    if !vector.starts_with(prefix) {
        c.fail(
            "6.1.8",
            format!("{at}/vectorString"),
            format!("`{vector}` does not start with `{prefix}` as its version demands"),
        );
        return;
    }
    let metrics = match parse_vector(cvss_version, vector) {
        Ok(parsed) => parsed,
        Err(why) => {
            c.fail(
                "6.1.8",
                format!("{at}/vectorString"),
                format!("`{vector}` is not a CVSS v3 vector: {why}"),
            );
            return;
        }
    };
    consistent(c, at, V3, &metrics, other);
    // A vector with a repeated or missing metric has no scores.
    let Ok(parsed) = v3::Vector::parse(vector) else {
        return;
    };
    // The FIRST CVSS v3.0 calculator rounded up with a floating-point
    // ceiling, noise included, which makes some scores 0.1 higher than
    // the exact ceiling the specification defines; scores published with
    // v3.0 were often computed that way, so either result is accepted.
    let roundings: &[v3::Rounding] = if v31 {
        &[v3::Rounding::Exact]
    } else {
        &[v3::Rounding::Exact, v3::Rounding::FloatCeiling]
    };
    let scores: Vec<v3::Scores> = roundings.iter().map(|r| parsed.scores_with(*r)).collect();
    let base: Vec<f64> = scores.iter().map(|s| s.base.value()).collect();
    let temporal: Vec<f64> = scores.iter().map(|s| s.temporal.value()).collect();
    let environmental: Vec<f64> = scores.iter().map(|s| s.environmental.value()).collect();
    compare_score(c, at, "baseScore", base_score, &base);
    compare_severity(c, at, "baseSeverity", base_severity, &base);
    let number = |name: &str| other.get(name).and_then(Value::as_f64);
    let text = |name: &str| other.get(name).and_then(Value::as_str);
    compare_score(c, at, "temporalScore", number("temporalScore"), &temporal);
    compare_severity(
        c,
        at,
        "temporalSeverity",
        text("temporalSeverity"),
        &temporal,
    );
    compare_score(
        c,
        at,
        "environmentalScore",
        number("environmentalScore"),
        &environmental,
    );
    compare_severity(
        c,
        at,
        "environmentalSeverity",
        text("environmentalSeverity"),
        &environmental,
    );
}

fn check_v2(
    c: &mut Checker<'_>,
    at: &str,
    version: Option<&str>,
    vector: Option<&str>,
    base_score: Option<f64>,
    other: &BTreeMap<String, Value>,
) {
    missing(
        c,
        at,
        &[
            ("version", version.is_some()),
            ("vectorString", vector.is_some()),
            ("baseScore", base_score.is_some()),
        ],
    );
    if let Some(score) = base_score {
        score_in_range(c, at, "baseScore", score);
    }
    other_members(c, at, V2, other, false);
    if let Some(v) = version
        && v != "2.0"
    {
        c.fail(
            "6.1.8",
            format!("{at}/version"),
            format!("`{v}` is not the CVSS v2 version 2.0"),
        );
        return;
    }
    let Some(vector) = vector else { return };
    let metrics = match parse_vector(Version::V2, vector) {
        Ok(parsed) => parsed,
        Err(why) => {
            c.fail(
                "6.1.8",
                format!("{at}/vectorString"),
                format!("`{vector}` is not a CVSS v2 vector: {why}"),
            );
            return;
        }
    };
    consistent(c, at, V2, &metrics, other);
    // A vector with a repeated or missing metric has no scores.
    let Ok(parsed) = v2::Vector::parse(vector) else {
        return;
    };
    let scores = parsed.scores();
    let number = |name: &str| other.get(name).and_then(Value::as_f64);
    compare_score(c, at, "baseScore", base_score, &[scores.base.value()]);
    compare_score(
        c,
        at,
        "temporalScore",
        number("temporalScore"),
        &[scores.temporal.value()],
    );
    compare_score(
        c,
        at,
        "environmentalScore",
        number("environmentalScore"),
        &[scores.environmental.value()],
    );
}

/// The JSON schemas' name of a CVSS v3 severity.
pub(crate) fn severity(score: f64) -> &'static str {
    let tenths = (score * 10.0).round().clamp(0.0, 100.0) as u8;
    match Version::V3_1.severity(Score::from_tenths(tenths).unwrap_or(Score::MAX)) {
        medsec_cvss::Severity::None => "NONE",
        medsec_cvss::Severity::Low => "LOW",
        medsec_cvss::Severity::Medium => "MEDIUM",
        medsec_cvss::Severity::High => "HIGH",
        medsec_cvss::Severity::Critical => "CRITICAL",
    }
}

/// Base, temporal and environmental score of a vector.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scores {
    pub(crate) base: f64,
    pub(crate) temporal: f64,
    pub(crate) environmental: f64,
}

/// The scores of a v2, v3.0 or v3.1 vector string, rounded exactly; all
/// three whether or not the vector defines temporal and environmental
/// metrics.
#[cfg(test)]
pub(crate) fn scores_of(vector: &str) -> Option<Scores> {
    let (base, temporal, environmental) = match medsec_cvss::Vector::parse(vector).ok()? {
        medsec_cvss::Vector::V2(v) => {
            let s = v.scores();
            (s.base, s.temporal, s.environmental)
        }
        medsec_cvss::Vector::V3(v) => {
            let s = v.scores();
            (s.base, s.temporal, s.environmental)
        }
        medsec_cvss::Vector::V4(_) => return None,
    };
    Some(Scores {
        base: base.value(),
        temporal: temporal.value(),
        environmental: environmental.value(),
    })
}
