//! Tools every logged-in user has, whatever the organisation: the CVSS
//! calculator (`/tools/cvss`: a vector, or a per-metric builder that works
//! as a plain GET form, scored by `medsec-cvss`) and the MITRE "Rubric for
//! Applying CVSS to Medical Devices" as a guided questionnaire
//! (`/tools/rubric`, `medsec_assure::rubric`), which keeps its answers in
//! the form itself, so it needs neither JavaScript nor storage.
//!
//! Nothing here decides a score or a metric value: the calculator shows
//! what `medsec_cvss::Vector` computes and the questionnaire what
//! `Answers::next` asks and `Answers::assess` gives. This module only
//! names metrics and values in Korean and English and carries state.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use medsec_assure::rubric::{self, Answers, Then};
use medsec_core::validate::FieldError;
use medsec_cvss::{ErrorKind, Group, ParseError, Score, Vector, Version};

use super::{Page, form_status, page, render};
use crate::auth::WebUser;
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Query};
use crate::i18n::Lang;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::User, Method::GET, "/tools/cvss", get(cvss))
        .ui(
            Access::User,
            Method::GET,
            "/tools/rubric",
            get(rubric_start),
        )
        .ui(
            Access::User,
            Method::POST,
            "/tools/rubric",
            axum::routing::post(rubric_step),
        )
}

/// The menu entry both pages belong to.
const SECTION: &str = "tools";

/// Longest vector the calculator reads: the longest valid v4.0 vector is
/// under 200 bytes.
const MAX_VECTOR: usize = 400;

fn pick(lang: Lang, ko: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

// ---------------------------------------------------------------- names

/// A metric's name and its values' names, Korean and English.
pub struct MetricNames {
    pub ko: &'static str,
    pub en: &'static str,
    /// (value, Korean, English) for every value of the metric.
    pub values: &'static [(&'static str, &'static str, &'static str)],
}

const ND2: (&str, &str, &str) = ("ND", "정의 안 됨", "Not Defined");
const NDX: (&str, &str, &str) = ("X", "정의 안 됨", "Not Defined");

const fn m(
    ko: &'static str,
    en: &'static str,
    values: &'static [(&'static str, &'static str, &'static str)],
) -> MetricNames {
    MetricNames { ko, en, values }
}

const V3_AV: &[(&str, &str, &str)] = &[
    NDX,
    ("N", "네트워크", "Network"),
    ("A", "인접 네트워크", "Adjacent Network"),
    ("L", "로컬", "Local"),
    ("P", "물리적", "Physical"),
];
const LH: &[(&str, &str, &str)] = &[NDX, ("L", "낮음", "Low"), ("H", "높음", "High")];
const NLH: &[(&str, &str, &str)] = &[
    NDX,
    ("N", "없음", "None"),
    ("L", "낮음", "Low"),
    ("H", "높음", "High"),
];
const HLN: &[(&str, &str, &str)] = &[
    NDX,
    ("H", "높음", "High"),
    ("L", "낮음", "Low"),
    ("N", "없음", "None"),
];
const HML: &[(&str, &str, &str)] = &[
    NDX,
    ("H", "높음", "High"),
    ("M", "중간", "Medium"),
    ("L", "낮음", "Low"),
];
const V3_UI: &[(&str, &str, &str)] = &[NDX, ("N", "없음", "None"), ("R", "필요", "Required")];
const V3_S: &[(&str, &str, &str)] = &[
    NDX,
    ("U", "변경 없음", "Unchanged"),
    ("C", "변경됨", "Changed"),
];
const V4_AT: &[(&str, &str, &str)] = &[NDX, ("N", "없음", "None"), ("P", "있음", "Present")];
const V4_UI: &[(&str, &str, &str)] = &[
    NDX,
    ("N", "없음", "None"),
    ("P", "수동적", "Passive"),
    ("A", "능동적", "Active"),
];
const V4_SAFETY: &[(&str, &str, &str)] = &[
    NDX,
    ("H", "높음", "High"),
    ("L", "낮음", "Low"),
    ("N", "무시 가능", "Negligible"),
    ("S", "안전", "Safety"),
];
const V2_CIA: &[(&str, &str, &str)] = &[
    ("N", "없음", "None"),
    ("P", "부분적", "Partial"),
    ("C", "완전", "Complete"),
];
const V2_REQ: &[(&str, &str, &str)] = &[
    ND2,
    ("L", "낮음", "Low"),
    ("M", "중간", "Medium"),
    ("H", "높음", "High"),
];

/// The names of a metric of a version; `None` for a metric the version
/// does not have.
pub fn metric_names(version: Version, metric: &str) -> Option<MetricNames> {
    Some(match version {
        Version::V2 => match metric {
            "AV" => m(
                "접근 벡터",
                "Access Vector",
                &[
                    ("L", "로컬", "Local"),
                    ("A", "인접 네트워크", "Adjacent Network"),
                    ("N", "네트워크", "Network"),
                ],
            ),
            "AC" => m(
                "접근 복잡성",
                "Access Complexity",
                &[
                    ("H", "높음", "High"),
                    ("M", "중간", "Medium"),
                    ("L", "낮음", "Low"),
                ],
            ),
            "Au" => m(
                "인증",
                "Authentication",
                &[
                    ("M", "여러 번", "Multiple"),
                    ("S", "한 번", "Single"),
                    ("N", "없음", "None"),
                ],
            ),
            "C" => m("기밀성 영향", "Confidentiality Impact", V2_CIA),
            "I" => m("무결성 영향", "Integrity Impact", V2_CIA),
            "A" => m("가용성 영향", "Availability Impact", V2_CIA),
            "E" => m(
                "악용 가능성",
                "Exploitability",
                &[
                    ND2,
                    ("U", "입증 안 됨", "Unproven"),
                    ("POC", "개념 증명", "Proof-of-Concept"),
                    ("F", "기능적", "Functional"),
                    ("H", "높음", "High"),
                ],
            ),
            "RL" => m(
                "대응 수준",
                "Remediation Level",
                &[
                    ND2,
                    ("OF", "공식 수정", "Official Fix"),
                    ("TF", "임시 수정", "Temporary Fix"),
                    ("W", "우회 방법", "Workaround"),
                    ("U", "없음", "Unavailable"),
                ],
            ),
            "RC" => m(
                "보고 신뢰도",
                "Report Confidence",
                &[
                    ND2,
                    ("UC", "미확인", "Unconfirmed"),
                    ("UR", "미입증", "Uncorroborated"),
                    ("C", "확인됨", "Confirmed"),
                ],
            ),
            "CDP" => m(
                "부수적 피해 가능성",
                "Collateral Damage Potential",
                &[
                    ND2,
                    ("N", "없음", "None"),
                    ("L", "낮음", "Low"),
                    ("LM", "낮음-중간", "Low-Medium"),
                    ("MH", "중간-높음", "Medium-High"),
                    ("H", "높음", "High"),
                ],
            ),
            "TD" => m(
                "대상 분포",
                "Target Distribution",
                &[
                    ND2,
                    ("N", "없음", "None"),
                    ("L", "낮음", "Low"),
                    ("M", "중간", "Medium"),
                    ("H", "높음", "High"),
                ],
            ),
            "CR" => m("기밀성 요구 수준", "Confidentiality Requirement", V2_REQ),
            "IR" => m("무결성 요구 수준", "Integrity Requirement", V2_REQ),
            "AR" => m("가용성 요구 수준", "Availability Requirement", V2_REQ),
            _ => return None,
        },
        Version::V3_0 | Version::V3_1 => match metric {
            "AV" => m("공격 벡터", "Attack Vector", V3_AV),
            "AC" => m("공격 복잡성", "Attack Complexity", LH),
            "PR" => m("필요 권한", "Privileges Required", NLH),
            "UI" => m("사용자 상호작용", "User Interaction", V3_UI),
            "S" => m("범위", "Scope", V3_S),
            "C" => m("기밀성 영향", "Confidentiality Impact", HLN),
            "I" => m("무결성 영향", "Integrity Impact", HLN),
            "A" => m("가용성 영향", "Availability Impact", HLN),
            "E" => m(
                "공격 코드 성숙도",
                "Exploit Code Maturity",
                &[
                    NDX,
                    ("H", "높음", "High"),
                    ("F", "기능적", "Functional"),
                    ("P", "개념 증명", "Proof-of-Concept"),
                    ("U", "입증 안 됨", "Unproven"),
                ],
            ),
            "RL" => m(
                "대응 수준",
                "Remediation Level",
                &[
                    NDX,
                    ("U", "없음", "Unavailable"),
                    ("W", "우회 방법", "Workaround"),
                    ("T", "임시 수정", "Temporary Fix"),
                    ("O", "공식 수정", "Official Fix"),
                ],
            ),
            "RC" => m(
                "보고 신뢰도",
                "Report Confidence",
                &[
                    NDX,
                    ("C", "확인됨", "Confirmed"),
                    ("R", "합리적", "Reasonable"),
                    ("U", "알 수 없음", "Unknown"),
                ],
            ),
            "CR" => m("기밀성 요구 수준", "Confidentiality Requirement", HML),
            "IR" => m("무결성 요구 수준", "Integrity Requirement", HML),
            "AR" => m("가용성 요구 수준", "Availability Requirement", HML),
            "MAV" => m("수정된 공격 벡터", "Modified Attack Vector", V3_AV),
            "MAC" => m("수정된 공격 복잡성", "Modified Attack Complexity", LH),
            "MPR" => m("수정된 필요 권한", "Modified Privileges Required", NLH),
            "MUI" => m("수정된 사용자 상호작용", "Modified User Interaction", V3_UI),
            "MS" => m("수정된 범위", "Modified Scope", V3_S),
            "MC" => m("수정된 기밀성 영향", "Modified Confidentiality", HLN),
            "MI" => m("수정된 무결성 영향", "Modified Integrity", HLN),
            "MA" => m("수정된 가용성 영향", "Modified Availability", HLN),
            _ => return None,
        },
        Version::V4 => match metric {
            "AV" => m("공격 벡터", "Attack Vector", V3_AV),
            "AC" => m("공격 복잡성", "Attack Complexity", LH),
            "AT" => m("공격 요구 조건", "Attack Requirements", V4_AT),
            "PR" => m("필요 권한", "Privileges Required", NLH),
            "UI" => m("사용자 상호작용", "User Interaction", V4_UI),
            "VC" => m(
                "취약 시스템 기밀성 영향",
                "Vulnerable System Confidentiality Impact",
                HLN,
            ),
            "VI" => m(
                "취약 시스템 무결성 영향",
                "Vulnerable System Integrity Impact",
                HLN,
            ),
            "VA" => m(
                "취약 시스템 가용성 영향",
                "Vulnerable System Availability Impact",
                HLN,
            ),
            "SC" => m(
                "후속 시스템 기밀성 영향",
                "Subsequent System Confidentiality Impact",
                HLN,
            ),
            "SI" => m(
                "후속 시스템 무결성 영향",
                "Subsequent System Integrity Impact",
                HLN,
            ),
            "SA" => m(
                "후속 시스템 가용성 영향",
                "Subsequent System Availability Impact",
                HLN,
            ),
            "E" => m(
                "공격 성숙도",
                "Exploit Maturity",
                &[
                    NDX,
                    ("A", "공격 발생", "Attacked"),
                    ("P", "개념 증명", "POC"),
                    ("U", "보고 없음", "Unreported"),
                ],
            ),
            "CR" => m("기밀성 요구 수준", "Confidentiality Requirements", HML),
            "IR" => m("무결성 요구 수준", "Integrity Requirements", HML),
            "AR" => m("가용성 요구 수준", "Availability Requirements", HML),
            "MAV" => m("수정된 공격 벡터", "Modified Attack Vector", V3_AV),
            "MAC" => m("수정된 공격 복잡성", "Modified Attack Complexity", LH),
            "MAT" => m(
                "수정된 공격 요구 조건",
                "Modified Attack Requirements",
                V4_AT,
            ),
            "MPR" => m("수정된 필요 권한", "Modified Privileges Required", NLH),
            "MUI" => m("수정된 사용자 상호작용", "Modified User Interaction", V4_UI),
            "MVC" => m(
                "수정된 취약 시스템 기밀성 영향",
                "Modified Vulnerable System Confidentiality",
                HLN,
            ),
            "MVI" => m(
                "수정된 취약 시스템 무결성 영향",
                "Modified Vulnerable System Integrity",
                HLN,
            ),
            "MVA" => m(
                "수정된 취약 시스템 가용성 영향",
                "Modified Vulnerable System Availability",
                HLN,
            ),
            "MSC" => m(
                "수정된 후속 시스템 기밀성 영향",
                "Modified Subsequent System Confidentiality",
                HLN,
            ),
            "MSI" => m(
                "수정된 후속 시스템 무결성 영향",
                "Modified Subsequent System Integrity",
                V4_SAFETY,
            ),
            "MSA" => m(
                "수정된 후속 시스템 가용성 영향",
                "Modified Subsequent System Availability",
                V4_SAFETY,
            ),
            "S" => m(
                "안전",
                "Safety",
                &[
                    NDX,
                    ("N", "무시 가능", "Negligible"),
                    ("P", "있음", "Present"),
                ],
            ),
            "AU" => m(
                "자동화 가능성",
                "Automatable",
                &[NDX, ("N", "아니오", "No"), ("Y", "예", "Yes")],
            ),
            "R" => m(
                "복구",
                "Recovery",
                &[
                    NDX,
                    ("A", "자동", "Automatic"),
                    ("U", "사용자", "User"),
                    ("I", "복구 불가", "Irrecoverable"),
                ],
            ),
            "V" => m(
                "가치 밀도",
                "Value Density",
                &[NDX, ("D", "분산", "Diffuse"), ("C", "집중", "Concentrated")],
            ),
            "RE" => m(
                "취약점 대응 노력",
                "Vulnerability Response Effort",
                &[
                    NDX,
                    ("L", "낮음", "Low"),
                    ("M", "보통", "Moderate"),
                    ("H", "높음", "High"),
                ],
            ),
            "U" => m(
                "제공자 긴급도",
                "Provider Urgency",
                &[
                    NDX,
                    ("Clear", "투명", "Clear"),
                    ("Green", "녹색", "Green"),
                    ("Amber", "황색", "Amber"),
                    ("Red", "적색", "Red"),
                ],
            ),
            _ => return None,
        },
    })
}

impl MetricNames {
    fn name(&self, lang: Lang) -> &'static str {
        pick(lang, self.ko, self.en)
    }

    fn value(&self, lang: Lang, value: &str) -> &'static str {
        self.values
            .iter()
            .find(|(v, _, _)| *v == value)
            .map_or("", |(_, ko, en)| pick(lang, ko, en))
    }
}

fn group_name(lang: Lang, version: Version, group: Group) -> &'static str {
    match (group, version) {
        (Group::Base, _) => pick(lang, "기본 지표", "Base metrics"),
        (Group::Temporal, _) => pick(lang, "시간 지표", "Temporal metrics"),
        (Group::Threat, _) => pick(lang, "위협 지표", "Threat metrics"),
        (Group::Environmental, _) => pick(lang, "환경 지표", "Environmental metrics"),
        (Group::Supplemental, _) => pick(lang, "보충 지표", "Supplemental metrics"),
    }
}

fn severity_name(lang: Lang, s: medsec_cvss::Severity) -> &'static str {
    use medsec_cvss::Severity::*;
    match s {
        None => pick(lang, "없음", "None"),
        Low => pick(lang, "낮음", "Low"),
        Medium => pick(lang, "중간", "Medium"),
        High => pick(lang, "높음", "High"),
        Critical => pick(lang, "치명적", "Critical"),
    }
}

/// A vector error in the page's language (the library's own message is
/// English).
pub fn error_text(lang: Lang, e: &ParseError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    let what = match &e.kind {
        ErrorKind::Empty => "벡터가 비어 있습니다".to_owned(),
        ErrorKind::WrongPrefix { expected } => {
            format!("벡터가 `{expected}`(으)로 시작하지 않습니다")
        }
        ErrorKind::UnknownVersion { prefix } => format!(
            "`{prefix}`은(는) 지원하지 않는 CVSS 버전입니다(CVSS:3.0, CVSS:3.1, CVSS:4.0, 또는 접두사 없는 v2.0)"
        ),
        ErrorKind::MissingPrefix { metric } => format!(
            "`CVSS:3.x/`나 `CVSS:4.0/` 접두사가 없는데 `{metric}`은(는) CVSS v2.0 지표가 아닙니다"
        ),
        ErrorKind::Malformed { component } => {
            format!("`{component}`은(는) 지표:값 형식이 아닙니다")
        }
        ErrorKind::UnknownMetric { version, metric } => {
            format!("`{metric}`은(는) CVSS v{version}의 지표가 아닙니다")
        }
        ErrorKind::UnknownValue {
            metric,
            value,
            expected,
        } => format!(
            "`{value}`은(는) {metric}의 값이 아닙니다({} 중 하나)",
            expected.join(", ")
        ),
        ErrorKind::Duplicate { metric } => format!("{metric}이(가) 두 번 이상 있습니다"),
        ErrorKind::OutOfOrder { metric, after } => format!(
            "{metric}은(는) {after}보다 앞에 와야 합니다: CVSS v4.0 지표는 규격의 순서대로 적어야 합니다"
        ),
        ErrorKind::Missing { metrics } => {
            format!("필수 지표가 없습니다: {}", metrics.join(", "))
        }
    };
    format!("{what} ({}바이트 위치)", e.offset)
}

// ---------------------------------------------------------------- calculator

/// One score group of a result.
pub struct ScoreRow {
    pub label: String,
    pub score: String,
    pub severity: String,
    /// The severity's stored name, for the badge's CSS class.
    pub class: &'static str,
}

/// One defined metric of a result.
pub struct MetricRow {
    pub abbrev: &'static str,
    pub name: &'static str,
    pub name_other: &'static str,
    pub group: &'static str,
    pub value: &'static str,
    pub value_name: &'static str,
    pub value_other: &'static str,
}

pub struct CvssResult {
    pub version: &'static str,
    pub nomenclature: Option<&'static str>,
    pub normalized: String,
    pub scores: Vec<ScoreRow>,
    pub metrics: Vec<MetricRow>,
}

/// A vector that did not parse: the message, and the vector split around
/// the part at fault so the page can mark it.
pub struct CvssError {
    pub message: String,
    pub metric: Option<String>,
    pub before: String,
    pub at: String,
    pub after: String,
}

/// A select of the builder.
pub struct BuilderField {
    pub abbrev: &'static str,
    pub label: &'static str,
    pub group: &'static str,
    /// A base metric: there is no Not Defined.
    pub mandatory: bool,
    /// (value, name, selected).
    pub options: Vec<(&'static str, String, bool)>,
}

pub struct VersionLink {
    pub version: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "tools_cvss.html")]
struct CvssTpl<'a> {
    page: &'a Page,
    vector: String,
    result: Option<CvssResult>,
    error: Option<CvssError>,
    version: &'static str,
    versions: Vec<VersionLink>,
    builder: Vec<BuilderField>,
}

/// The result of a valid vector, for the page.
pub fn result_of(lang: Lang, v: &Vector) -> CvssResult {
    let version = v.version();
    let scores = v.scores();
    let other = lang.other();
    let row = |label: String, score: Score| {
        let sev = v.severity(score);
        ScoreRow {
            label,
            score: score.to_string(),
            severity: severity_name(lang, sev).to_owned(),
            class: sev.as_str(),
        }
    };
    let mut rows = Vec::new();
    match v {
        Vector::V4(v4) => {
            rows.push(row(
                format!("CVSS-B ({})", pick(lang, "기본", "base")),
                scores.base,
            ));
            if let Some(s) = scores.threat {
                rows.push(row(
                    format!("CVSS-BT ({})", pick(lang, "기본·위협", "base and threat")),
                    s,
                ));
            }
            if let Some(s) = scores.environmental {
                let name = if v4.has_threat() {
                    "CVSS-BTE"
                } else {
                    "CVSS-BE"
                };
                rows.push(row(
                    format!(
                        "{name} ({})",
                        if v4.has_threat() {
                            pick(lang, "기본·위협·환경", "base, threat and environmental")
                        } else {
                            pick(lang, "기본·환경", "base and environmental")
                        }
                    ),
                    s,
                ));
            }
        }
        _ => {
            rows.push(row(pick(lang, "기본", "Base").to_owned(), scores.base));
            if let Some(s) = scores.temporal {
                rows.push(row(pick(lang, "시간", "Temporal").to_owned(), s));
            }
            if let Some(s) = scores.environmental {
                rows.push(row(pick(lang, "환경", "Environmental").to_owned(), s));
            }
        }
    }
    let metrics = version
        .metrics()
        .iter()
        .filter_map(|metric| {
            let value = v.get(metric.name)?;
            let names = metric_names(version, metric.name)?;
            Some(MetricRow {
                abbrev: metric.name,
                name: names.name(lang),
                name_other: names.name(other),
                group: group_name(lang, version, metric.group),
                value,
                value_name: names.value(lang, value),
                value_other: names.value(other, value),
            })
        })
        .collect();
    CvssResult {
        version: version.as_str(),
        nomenclature: match v {
            Vector::V4(v4) => Some(v4.nomenclature()),
            _ => None,
        },
        normalized: v.to_string(),
        scores: rows,
        metrics,
    }
}

fn error_of(lang: Lang, vector: &str, e: &ParseError) -> CvssError {
    // The part at fault: from the offset to the next `/` (nothing when
    // the error is about what is missing at the end).
    let (before, rest) = match (vector.get(..e.offset), vector.get(e.offset..)) {
        (Some(b), Some(r)) => (b, r),
        _ => (vector, ""),
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (at, after) = rest.split_at(end);
    CvssError {
        message: error_text(lang, e),
        metric: e.metric().map(str::to_owned),
        before: before.to_owned(),
        at: at.to_owned(),
        after: after.to_owned(),
    }
}

fn version_of(s: &str) -> Option<Version> {
    Version::ALL.into_iter().find(|v| v.as_str() == s)
}

/// The builder's selects for `version`, set from `chosen` (metric →
/// value).
fn builder(
    lang: Lang,
    version: Version,
    chosen: &dyn Fn(&str) -> Option<String>,
) -> Vec<BuilderField> {
    version
        .metrics()
        .iter()
        .filter_map(|metric| {
            let names = metric_names(version, metric.name)?;
            let selected = chosen(metric.name);
            let mut options: Vec<(&'static str, String, bool)> = Vec::new();
            if metric.mandatory() {
                // No value yet: the empty choice, which a submitted form
                // reports as the metric missing.
                options.push(("", "—".to_owned(), selected.is_none()));
            }
            for (i, value) in metric.values.iter().enumerate() {
                let name = names.value(lang, value);
                let is_default = i == 0 && !metric.mandatory();
                let on = match &selected {
                    Some(s) => s == value,
                    None => is_default,
                };
                options.push((value, format!("{value}: {name}"), on));
            }
            Some(BuilderField {
                abbrev: metric.name,
                label: names.name(lang),
                group: group_name(lang, version, metric.group),
                mandatory: metric.mandatory(),
                options,
            })
        })
        .collect()
}

/// The vector the builder's selects make: the version's prefix and every
/// chosen value in the specification's order, Not Defined left out.
fn built_vector(version: Version, pairs: &[(String, String)]) -> String {
    let mut parts = Vec::new();
    for metric in version.metrics() {
        let key = format!("m.{}", metric.name);
        let Some((_, value)) = pairs.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        if value.is_empty()
            || (!metric.mandatory() && metric.values.first() == Some(&value.as_str()))
        {
            continue;
        }
        parts.push(format!("{}:{value}", metric.name));
    }
    format!("{}{}", version.prefix(), parts.join("/"))
}

async fn cvss(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "tools-cvss-title", SECTION).await?;
    let lang = page.lang;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let chosen_version = get("version").and_then(version_of);
    let built = pairs.iter().any(|(k, _)| k.starts_with("m."));
    // The builder's selects make the vector when they were submitted;
    // otherwise the vector field is read as written.
    let vector: String = match (built, chosen_version) {
        (true, Some(v)) => built_vector(v, &pairs),
        _ => get("vector")
            .unwrap_or("")
            .trim()
            .chars()
            .take(MAX_VECTOR)
            .collect(),
    };
    let parsed = (!vector.is_empty()).then(|| Vector::parse(&vector));
    let (result, error) = match &parsed {
        Some(Ok(v)) => (Some(result_of(lang, v)), None),
        Some(Err(e)) => (None, Some(error_of(lang, &vector, e))),
        None => (None, None),
    };
    let version = match (&parsed, chosen_version) {
        (Some(Ok(v)), _) => v.version(),
        (_, Some(v)) => v,
        // An invalid vector: the version its prefix names.
        (Some(Err(_)), None) => Version::ALL
            .into_iter()
            .rev()
            .find(|v| !v.prefix().is_empty() && vector.starts_with(v.prefix()))
            .unwrap_or(if vector.starts_with("CVSS:") {
                Version::V3_1
            } else {
                Version::V2
            }),
        (None, None) => Version::V3_1,
    };
    let fields = match &parsed {
        Some(Ok(v)) => builder(lang, version, &|m| v.get(m).map(str::to_owned)),
        // An invalid vector: keep what could be read of it.
        _ => {
            let read: Vec<(String, String)> = medsec_cvss::components(version, &vector)
                .filter_map(|c| c.ok())
                .map(|c| (c.metric.name.to_owned(), c.value().to_owned()))
                .collect();
            builder(lang, version, &|m| {
                read.iter().find(|(k, _)| k == m).map(|(_, v)| v.clone())
            })
        }
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let tpl = CvssTpl {
        page: &page,
        vector,
        result,
        error,
        version: version.as_str(),
        versions: Version::ALL
            .iter()
            .map(|v| VersionLink {
                version: v.as_str(),
                current: *v == version,
            })
            .collect(),
        builder: fields,
    };
    Ok(render(status, &page, &tpl))
}

// ---------------------------------------------------------------- rubric

/// The form state of the questionnaire.
#[derive(Default)]
struct RubricState {
    answers: Answers,
    device: Option<String>,
    risk: Option<String>,
}

/// Whether `id` is an id the `Id` path extractor accepts: 1 to 64 ASCII
/// letters, digits and `-` (a device id). Risk ids may hold more
/// (`R-SBOM-CVE-2021-3711-pkg:generic-openssl@1.1.1k`): see
/// [`crate::premarket::is_risk_id`].
fn is_path_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Longest justification kept per metric.
const MAX_JUSTIFICATION: usize = 4000;

/// Reads the answers of the form (the JSON of [`Answers`]), checking
/// every key and choice and the justifications' length.
fn answers_of(text: &str) -> std::result::Result<Answers, FieldError> {
    if text.trim().is_empty() {
        return Ok(Answers::default());
    }
    let answers: Answers = serde_json::from_str(text)
        .map_err(|e| FieldError::new("answers", "rubric_answers").with("detail", e.to_string()))?;
    for (key, choice) in &answers.answers {
        let Some(q) = rubric::question(key) else {
            return Err(FieldError::new("answers", "rubric_answers").with(
                "detail",
                format!("answers.{key}: no question of the rubric has this key"),
            ));
        };
        if q.choice(choice).is_none() {
            return Err(FieldError::new("answers", "rubric_answers").with(
                "detail",
                format!(
                    "answers.{key}: `{choice}` is not an answer to {} {} (one of: {})",
                    q.metric.abbrev(),
                    q.label,
                    q.choices
                        .iter()
                        .map(|c| c.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for text in answers.justifications.values() {
        if text.chars().count() > MAX_JUSTIFICATION {
            return Err(FieldError::new("justification", "too_long").with("max", MAX_JUSTIFICATION));
        }
    }
    Ok(answers)
}

/// The keys answered on the current path, in the order they are asked
/// (what "back" walks).
fn path_order(answers: &Answers) -> Vec<&'static str> {
    let mut out = Vec::new();
    for metric in rubric::Metric::ALL {
        for entry in metric.entries() {
            let mut key = *entry;
            for _ in 0..rubric::QUESTIONS.len() {
                let Some(q) = rubric::question(key) else {
                    break;
                };
                let Some(choice) = answers.answers.get(key).and_then(|c| q.choice(c)) else {
                    break;
                };
                out.push(q.key);
                match choice.then {
                    Then::Value(_) => break,
                    Then::Ask(k) => key = k,
                }
            }
        }
    }
    out
}

struct ChoiceView {
    id: &'static str,
    text: &'static str,
    checked: bool,
}

struct QuestionView {
    key: &'static str,
    label: &'static str,
    metric: &'static str,
    metric_name: &'static str,
    category: Option<&'static str>,
    text: &'static str,
    help: &'static str,
    choices: Vec<ChoiceView>,
    justification: String,
}

struct AnsweredView {
    key: &'static str,
    label: &'static str,
    metric: &'static str,
    question: &'static str,
    answer: &'static str,
}

struct StepView {
    key: String,
    label: String,
    question: String,
    answer: String,
    value: Option<String>,
}

struct RationaleView {
    metric: &'static str,
    metric_name: &'static str,
    value: String,
    value_name: String,
    steps: Vec<StepView>,
    justification: String,
}

struct ResultView {
    vector: String,
    score: String,
    severity: String,
    severity_class: String,
    metrics: Vec<RationaleView>,
    unused: Vec<String>,
}

#[derive(Template)]
#[template(path = "tools_rubric.html")]
struct RubricTpl<'a> {
    page: &'a Page,
    answers_json: String,
    device: String,
    risk: String,
    errors: super::Errors,
    question: Option<QuestionView>,
    answered: Vec<AnsweredView>,
    progress: usize,
    result: Option<ResultView>,
    /// Where the result goes: `/devices/{device}/risks/{risk}/rubric`.
    save_to: Option<String>,
}

fn render_rubric(page: &Page, state: &RubricState, errors: super::Errors) -> Result<Response> {
    let lang = page.lang;
    let a = &state.answers;
    let text = |w: rubric::Words| pick(lang, w.ko, w.en);
    let order = path_order(a);
    let answered: Vec<AnsweredView> = order
        .iter()
        .filter_map(|key| {
            let q = rubric::question(key)?;
            let c = a.answers.get(*key).and_then(|c| q.choice(c))?;
            Some(AnsweredView {
                key: q.key,
                label: q.label,
                metric: q.metric.abbrev(),
                question: text(q.text),
                answer: text(c.text),
            })
        })
        .collect();
    let question = a.next().map(|q| QuestionView {
        key: q.key,
        label: q.label,
        metric: q.metric.abbrev(),
        metric_name: text(q.metric.name()),
        category: q.category.map(|c| text(c.name())),
        text: text(q.text),
        help: text(q.help),
        choices: q
            .choices
            .iter()
            .map(|c| ChoiceView {
                id: c.id,
                text: text(c.text),
                checked: a.answers.get(q.key).is_some_and(|x| x == c.id),
            })
            .collect(),
        justification: a.justifications.get(&q.metric).cloned().unwrap_or_default(),
    });
    let result = if question.is_none() {
        let assessed = a.assess().map_err(|e| {
            Error::Internal(format!("rubric: complete answers did not assess: {e}"))
        })?;
        let pick_text = |t: &medsec_assure::threat::Text| match lang {
            Lang::Ko => t.ko.clone(),
            Lang::En => t.en.clone(),
        };
        let severity = assessed.severity.clone();
        Some(ResultView {
            vector: assessed.vector.clone(),
            score: format!("{:.1}", assessed.base_score),
            severity: match severity.as_str() {
                "none" => pick(lang, "없음", "None"),
                "low" => pick(lang, "낮음", "Low"),
                "medium" => pick(lang, "중간", "Medium"),
                "high" => pick(lang, "높음", "High"),
                _ => pick(lang, "치명적", "Critical"),
            }
            .to_owned(),
            severity_class: severity,
            metrics: assessed
                .metrics
                .iter()
                .map(|m| RationaleView {
                    metric: m.metric.abbrev(),
                    metric_name: text(m.metric.name()),
                    value: m.value.clone(),
                    value_name: pick_text(&m.value_name),
                    steps: m
                        .steps
                        .iter()
                        .map(|s| StepView {
                            key: s.key.clone(),
                            label: s.label.clone(),
                            question: pick_text(&s.question),
                            answer: pick_text(&s.answer_text),
                            value: s.value.clone(),
                        })
                        .collect(),
                    justification: m.justification.clone(),
                })
                .collect(),
            unused: assessed.unused.clone(),
        })
    } else {
        None
    };
    let save_to = match (&state.device, &state.risk) {
        (Some(d), Some(r)) => Some(format!(
            "/devices/{d}/risks/{}/rubric",
            super::premarket::pct(r)
        )),
        _ => None,
    };
    let answers_json =
        serde_json::to_string(a).map_err(|e| Error::Internal(format!("rubric answers: {e}")))?;
    let tpl = RubricTpl {
        page,
        answers_json,
        device: state.device.clone().unwrap_or_default(),
        risk: state.risk.clone().unwrap_or_default(),
        progress: answered.len(),
        answered,
        question,
        result,
        save_to,
        errors,
    };
    let status = form_status(&tpl.errors);
    Ok(render(status, page, &tpl))
}

/// Reads `device` and `risk`: both or neither, a device id and a risk
/// id.
fn target(device: Option<&str>, risk: Option<&str>) -> Result<(Option<String>, Option<String>)> {
    let norm = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (device, risk) = (norm(device), norm(risk));
    if device.as_deref().is_some_and(|d| !is_path_id(d)) {
        return Err(Error::field("device", "invalid_id"));
    }
    if risk
        .as_deref()
        .is_some_and(|r| !crate::premarket::is_risk_id(r))
    {
        return Err(Error::field("risk", "invalid_id"));
    }
    match (&device, &risk) {
        (Some(_), None) => Err(Error::field("risk", "required")),
        (None, Some(_)) => Err(Error::field("device", "required")),
        _ => Ok((device, risk)),
    }
}

async fn rubric_start(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "tools-rubric-title", SECTION).await?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let (device, risk) = target(get("device"), get("risk"))?;
    let st = RubricState {
        answers: Answers::default(),
        device,
        risk,
    };
    render_rubric(&page, &st, super::Errors::none())
}

async fn rubric_step(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "tools-rubric-title", SECTION).await?;
    let lang = page.lang;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let (device, risk) = target(get("device"), get("risk"))?;
    let mut answers = match answers_of(get("answers").unwrap_or("")) {
        Ok(a) => a,
        Err(e) => {
            let st = RubricState {
                answers: Answers::default(),
                device,
                risk,
            };
            return render_rubric(&page, &st, super::Errors::from_fields(lang, &[e]));
        }
    };
    let mut errors: Vec<FieldError> = Vec::new();
    // The justification written with a question is its metric's.
    if let (Some(key), Some(text)) = (get("key"), get("justification"))
        && let Some(q) = rubric::question(key)
    {
        set_justification(&mut answers, q.metric, text, &mut errors);
    }
    // The result page's justification fields, whichever button sent them.
    for metric in rubric::Metric::ALL {
        if let Some(text) = get(&format!("j.{}", metric.abbrev())) {
            set_justification(&mut answers, metric, text, &mut errors);
        }
    }
    let action = get("action").unwrap_or("");
    if let Some(edit) = get("edit") {
        // Change an answer: forget it, so that it is asked again.
        answers.answers.remove(edit);
    } else {
        match action {
            "answer" => match (get("key").and_then(rubric::question), get("choice")) {
                (Some(q), Some(c)) if q.choice(c).is_some() => {
                    answers.answers.insert(q.key.to_owned(), c.to_owned());
                }
                (Some(_), _) => errors.push(FieldError::new("choice", "required")),
                (None, _) => errors.push(FieldError::new("key", "rubric_question")),
            },
            "back" => {
                let order = path_order(&answers);
                // From the result page, the last answer; while a question
                // is shown, the one before it.
                if let Some(last) = order.last() {
                    answers.answers.remove(*last);
                }
            }
            "download" if errors.is_empty() => return download(&answers),
            // `load` (answers pasted into the form) and anything else:
            // show where the answers stand.
            _ => {}
        }
    }
    let st = RubricState {
        answers,
        device,
        risk,
    };
    render_rubric(&page, &st, super::Errors::from_fields(lang, &errors))
}

fn set_justification(
    answers: &mut Answers,
    metric: rubric::Metric,
    text: &str,
    errors: &mut Vec<FieldError>,
) {
    let text = text.trim();
    if text.chars().count() > MAX_JUSTIFICATION {
        errors.push(FieldError::new("justification", "too_long").with("max", MAX_JUSTIFICATION));
    } else if text.is_empty() {
        answers.justifications.remove(&metric);
    } else {
        answers.justifications.insert(metric, text.to_owned());
    }
}

/// The answers as a JSON file (`Answers`' serde form), which `medsec risk
/// rubric` reads and the risk register stores.
fn download(answers: &Answers) -> Result<Response> {
    let body = serde_json::to_string_pretty(answers)
        .map_err(|e| Error::Internal(format!("rubric answers: {e}")))?;
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"rubric-answers.json\""),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every metric and value of every version has a name in both
    /// languages, so the page never shows a bare code.
    #[test]
    fn every_metric_and_value_is_named() {
        for version in Version::ALL {
            for metric in version.metrics() {
                let names = metric_names(version, metric.name)
                    .unwrap_or_else(|| panic!("{version} {} has no name", metric.name));
                for value in metric.values {
                    assert!(
                        !names.value(Lang::Ko, value).is_empty()
                            && !names.value(Lang::En, value).is_empty(),
                        "{version} {}:{value} has no name",
                        metric.name
                    );
                }
            }
        }
    }

    #[test]
    fn path_ids_are_those_the_id_extractor_accepts() {
        assert!(is_path_id("R-TM-gateway-S"));
        assert!(is_path_id("0b6f0c3e-8c2a-4f51-9d0e-1c2b3a4d5e6f"));
        assert!(!is_path_id("R_TM"));
        assert!(!is_path_id("../x"));
        assert!(!is_path_id(""));
        assert!(!is_path_id(&"a".repeat(65)));
    }

    /// An SBOM risk's id goes to the questionnaire and back to its risk;
    /// control characters, whitespace and over-long ids do not.
    #[test]
    fn sbom_risk_ids_reach_the_rubric_and_back() {
        let risk = "R-SBOM-CVE-2021-3711-pkg:generic-openssl@1.1.1k";
        for ok in [risk, "R-TM-gateway-S", "R-SBOM-GHSA-x/y_z%2B+1", "R-위험-1"] {
            let (d, r) = target(Some("dev-1"), Some(ok)).unwrap();
            assert_eq!((d.as_deref(), r.as_deref()), (Some("dev-1"), Some(ok)));
        }
        for bad in [
            "R-a b",
            "R-a\tb",
            "R-a\u{0}b",
            "R-a\nb",
            "R-<script>",
            "R-a?b",
            "R-a#b",
            &format!("R-{}", "a".repeat(199)),
        ] {
            assert!(target(Some("dev-1"), Some(bad)).is_err(), "{bad:?}");
        }
        assert!(target(Some("dev/1"), Some(risk)).is_err());
        let st = RubricState {
            answers: Answers::default(),
            device: Some("dev-1".into()),
            risk: Some(risk.into()),
        };
        let to = match (&st.device, &st.risk) {
            (Some(d), Some(r)) => format!(
                "/devices/{d}/risks/{}/rubric",
                super::super::premarket::pct(r)
            ),
            _ => unreachable!(),
        };
        assert_eq!(
            to,
            "/devices/dev-1/risks/R-SBOM-CVE-2021-3711-pkg%3Ageneric-openssl%401.1.1k/rubric"
        );
        let decoded = percent_encoding::percent_decode_str(
            to.trim_start_matches("/devices/dev-1/risks/")
                .trim_end_matches("/rubric"),
        )
        .decode_utf8()
        .unwrap();
        assert_eq!(decoded, risk);
    }
}
