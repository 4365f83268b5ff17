//! CVSS in scores: 6.1.8 (the object is valid by the FIRST JSON schema),
//! 6.1.9 (its scores and severities are computed correctly from the
//! vector) and 6.1.10 (its named metrics agree with the vector), for
//! CVSS v2.0, v3.0 and v3.1, base, temporal and environmental.
//!
//! The formulas are those of the FIRST specifications; v3.1 rounds with
//! the integer-based Roundup of its Appendix A, v3.0 with a plain ceiling,
//! as the FIRST calculators do.

use std::collections::{BTreeMap, HashMap};

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

/// The metrics of a vector string (without the `CVSS:3.x/` prefix), or
/// why it does not match the schema's pattern. A metric given twice keeps
/// its first value and is reported in the second element.
fn parse_vector<'v>(
    body: &'v str,
    table: &[Metric],
) -> Result<(HashMap<&'static str, &'v str>, bool), String> {
    let mut out = HashMap::new();
    let mut repeated = false;
    for part in body.split('/') {
        let (key, value) = part
            .split_once(':')
            .ok_or_else(|| format!("`{part}` is not a metric:value pair"))?;
        let metric = table
            .iter()
            .find(|m| m.key == key)
            .ok_or_else(|| format!("`{key}` is not a metric of this CVSS version"))?;
        if !metric.values.iter().any(|(code, _)| *code == value) {
            return Err(format!("`{value}` is not a value of the metric `{key}`"));
        }
        if out.insert(metric.key, value).is_some() {
            repeated = true;
        }
    }
    Ok((out, repeated))
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
/// see [`Rounding`]).
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
    let prefix = if v31 { "CVSS:3.1/" } else { "CVSS:3.0/" };
    let Some(body) = vector.strip_prefix(prefix) else {
        c.fail(
            "6.1.8",
            format!("{at}/vectorString"),
            format!("`{vector}` does not start with `{prefix}` as its version demands"),
        );
        return;
    };
    let (metrics, repeated) = match parse_vector(body, V3) {
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
    if repeated {
        return;
    }
    // CVSS v3.0 calculators differ in the last digit (see `Rounding`);
    // either result is accepted.
    let roundings: &[Rounding] = if v31 {
        &[Rounding::Exact]
    } else {
        &[Rounding::Exact, Rounding::Ceil]
    };
    let scores: Vec<Scores> = roundings
        .iter()
        .filter_map(|r| v3_scores(&metrics, v31, *r))
        .collect();
    if scores.is_empty() {
        return;
    }
    let base: Vec<f64> = scores.iter().map(|s| s.base).collect();
    let temporal: Vec<f64> = scores.iter().map(|s| s.temporal).collect();
    let environmental: Vec<f64> = scores.iter().map(|s| s.environmental).collect();
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
    let (metrics, repeated) = match parse_vector(vector, V2) {
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
    if repeated {
        return;
    }
    let Some(scores) = v2_scores(&metrics) else {
        return;
    };
    let number = |name: &str| other.get(name).and_then(Value::as_f64);
    compare_score(c, at, "baseScore", base_score, &[scores.base]);
    compare_score(
        c,
        at,
        "temporalScore",
        number("temporalScore"),
        &[scores.temporal],
    );
    compare_score(
        c,
        at,
        "environmentalScore",
        number("environmentalScore"),
        &[scores.environmental],
    );
}

/// Base, temporal and environmental score of a vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scores {
    pub(crate) base: f64,
    pub(crate) temporal: f64,
    pub(crate) environmental: f64,
}

pub(crate) fn severity(score: f64) -> &'static str {
    if score <= 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// How CVSS v3 rounds up to one decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// The Roundup of CVSS v3.1 (Appendix A): on integers, after rounding
    /// to five decimals, so that 4.000000001 from floating-point noise
    /// stays 4.0. This is the exact result both versions define.
    Exact,
    /// A plain ceiling, as the FIRST CVSS v3.0 calculator computes it, noise
    /// included; scores published with v3.0 were often computed this way.
    Ceil,
}

fn roundup(x: f64, rounding: Rounding) -> f64 {
    match rounding {
        Rounding::Exact => {
            let int = (x * 100_000.0).round() as i64;
            if int % 10_000 == 0 {
                (int / 10_000) as f64 / 10.0
            } else {
                (int / 10_000 + 1) as f64 / 10.0
            }
        }
        Rounding::Ceil => (x * 10.0).ceil() / 10.0,
    }
}

/// The scores of a CVSS v3 vector; `None` without all base metrics.
pub(crate) fn v3_scores<'v>(
    m: &HashMap<&'static str, &'v str>,
    v31: bool,
    rounding: Rounding,
) -> Option<Scores> {
    let get = |k: &str| -> Option<&'v str> { m.get(k).copied() };
    let av = |v: &str| -> f64 {
        match v {
            "N" => 0.85,
            "A" => 0.62,
            "L" => 0.55,
            _ => 0.2,
        }
    };
    let ac = |v: &str| -> f64 { if v == "L" { 0.77 } else { 0.44 } };
    let pr = |v: &str, changed: bool| -> f64 {
        match (v, changed) {
            ("N", _) => 0.85,
            ("L", false) => 0.62,
            ("L", true) => 0.68,
            (_, false) => 0.27,
            (_, true) => 0.5,
        }
    };
    let ui = |v: &str| -> f64 { if v == "N" { 0.85 } else { 0.62 } };
    let cia = |v: &str| -> f64 {
        match v {
            "H" => 0.56,
            "L" => 0.22,
            _ => 0.0,
        }
    };
    let (b_av, b_ac, b_pr, b_ui, b_s, b_c, b_i, b_a) = (
        get("AV")?,
        get("AC")?,
        get("PR")?,
        get("UI")?,
        get("S")?,
        get("C")?,
        get("I")?,
        get("A")?,
    );
    let changed = b_s == "C";
    let iss = 1.0 - (1.0 - cia(b_c)) * (1.0 - cia(b_i)) * (1.0 - cia(b_a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av(b_av) * ac(b_ac) * pr(b_pr, changed) * ui(b_ui);
    let base = if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0), rounding)
    } else {
        roundup((impact + exploitability).min(10.0), rounding)
    };

    let e = match get("E").unwrap_or("X") {
        "F" => 0.97,
        "P" => 0.94,
        "U" => 0.91,
        _ => 1.0,
    };
    let rl = match get("RL").unwrap_or("X") {
        "W" => 0.97,
        "T" => 0.96,
        "O" => 0.95,
        _ => 1.0,
    };
    let rc = match get("RC").unwrap_or("X") {
        "R" => 0.96,
        "U" => 0.92,
        _ => 1.0,
    };
    let temporal = roundup(base * e * rl * rc, rounding);

    // Modified metrics default to their base value; requirements to 1.
    let modified = |k: &str, base: &'v str| -> &'v str {
        match get(k) {
            None | Some("X") => base,
            Some(v) => v,
        }
    };
    let req = |k: &str| match get(k).unwrap_or("X") {
        "H" => 1.5,
        "L" => 0.5,
        _ => 1.0,
    };
    let m_s = modified("MS", b_s);
    let m_changed = m_s == "C";
    let miss = (1.0
        - (1.0 - req("CR") * cia(modified("MC", b_c)))
            * (1.0 - req("IR") * cia(modified("MI", b_i)))
            * (1.0 - req("AR") * cia(modified("MA", b_a))))
    .min(0.915);
    let m_impact = if !m_changed {
        6.42 * miss
    } else if v31 {
        7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13)
    } else {
        7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
    };
    let m_exploitability = 8.22
        * av(modified("MAV", b_av))
        * ac(modified("MAC", b_ac))
        * pr(modified("MPR", b_pr), m_changed)
        * ui(modified("MUI", b_ui));
    let environmental = if m_impact <= 0.0 {
        0.0
    } else if m_changed {
        roundup(
            roundup((1.08 * (m_impact + m_exploitability)).min(10.0), rounding) * e * rl * rc,
            rounding,
        )
    } else {
        roundup(
            roundup((m_impact + m_exploitability).min(10.0), rounding) * e * rl * rc,
            rounding,
        )
    };
    Some(Scores {
        base,
        temporal,
        environmental,
    })
}

/// Rounds to one decimal, half up, as the CVSS v2 guide does, on the
/// exact value: rounding to six decimals first removes floating-point
/// noise (8.549999999 is 8.55, which rounds to 8.6). A negative result,
/// which the v2 formulas can give for environmental scores, is 0.
fn round1(x: f64) -> f64 {
    let millionths = (x * 1_000_000.0).round() as i64;
    if millionths <= 0 {
        return 0.0;
    }
    ((millionths + 50_000) / 100_000) as f64 / 10.0
}

/// The scores of a CVSS v2 vector; `None` without all base metrics.
pub(crate) fn v2_scores(m: &HashMap<&'static str, &str>) -> Option<Scores> {
    let get = |k: &str| m.get(k).copied();
    let av = match get("AV")? {
        "L" => 0.395,
        "A" => 0.646,
        _ => 1.0,
    };
    let ac = match get("AC")? {
        "H" => 0.35,
        "M" => 0.61,
        _ => 0.71,
    };
    let au = match get("Au")? {
        "M" => 0.45,
        "S" => 0.56,
        _ => 0.704,
    };
    let cia = |v: &str| match v {
        "P" => 0.275,
        "C" => 0.660,
        _ => 0.0,
    };
    let (c, i, a) = (cia(get("C")?), cia(get("I")?), cia(get("A")?));
    let exploitability = 20.0 * av * ac * au;
    let base_of = |impact: f64| {
        let f = if impact == 0.0 { 0.0 } else { 1.176 };
        round1((0.6 * impact + 0.4 * exploitability - 1.5) * f)
    };
    let base = base_of(10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a)));
    let e = match get("E").unwrap_or("ND") {
        "U" => 0.85,
        "POC" => 0.9,
        "F" => 0.95,
        _ => 1.0,
    };
    let rl = match get("RL").unwrap_or("ND") {
        "OF" => 0.87,
        "TF" => 0.9,
        "W" => 0.95,
        _ => 1.0,
    };
    let rc = match get("RC").unwrap_or("ND") {
        "UC" => 0.9,
        "UR" => 0.95,
        _ => 1.0,
    };
    let temporal = round1(base * e * rl * rc);
    let req = |k: &str| match get(k).unwrap_or("ND") {
        "L" => 0.5,
        "H" => 1.51,
        _ => 1.0,
    };
    let cdp = match get("CDP").unwrap_or("ND") {
        "L" => 0.1,
        "LM" => 0.3,
        "MH" => 0.4,
        "H" => 0.5,
        _ => 0.0,
    };
    let td = match get("TD").unwrap_or("ND") {
        "N" => 0.0,
        "L" => 0.25,
        "M" => 0.75,
        _ => 1.0,
    };
    let adjusted_impact = (10.41
        * (1.0 - (1.0 - c * req("CR")) * (1.0 - i * req("IR")) * (1.0 - a * req("AR"))))
    .min(10.0);
    let adjusted_temporal = round1(base_of(adjusted_impact) * e * rl * rc);
    let environmental = round1((adjusted_temporal + (10.0 - adjusted_temporal) * cdp) * td);
    Some(Scores {
        base,
        temporal,
        environmental,
    })
}

/// The scores of a vector string of any supported version, for callers
/// that only have a vector.
#[cfg(test)]
pub(crate) fn scores_of(vector: &str) -> Option<Scores> {
    if let Some(body) = vector.strip_prefix("CVSS:3.1/") {
        v3_scores(&parse_vector(body, V3).ok()?.0, true, Rounding::Exact)
    } else if let Some(body) = vector.strip_prefix("CVSS:3.0/") {
        v3_scores(&parse_vector(body, V3).ok()?.0, false, Rounding::Exact)
    } else {
        v2_scores(&parse_vector(vector, V2).ok()?.0)
    }
}
