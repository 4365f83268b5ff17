//! The threat-model report, organised by the four questions IMDRF N60
//! (seed 001, 5.2) asks manufacturers to answer after OWASP: what are we
//! working on, what can go wrong, what are we going to do about it, did
//! we do a good job. A plain value: the HTML, PDF and JSON writers render
//! it; nothing here formats for a medium.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    Boundary, BoundaryShape, Category, DataKind, Element, ElementKind, End, Flow, Severity, Status,
    Text, ThreatModel,
};

/// The four questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    WorkingOn,
    CanGoWrong,
    DoingAboutIt,
    GoodJob,
}

impl Question {
    pub const ALL: [Question; 4] = [
        Question::WorkingOn,
        Question::CanGoWrong,
        Question::DoingAboutIt,
        Question::GoodJob,
    ];

    pub fn number(self) -> u8 {
        match self {
            Question::WorkingOn => 1,
            Question::CanGoWrong => 2,
            Question::DoingAboutIt => 3,
            Question::GoodJob => 4,
        }
    }

    /// As the Korean edition of N60 (seed 001) words it.
    pub fn ko(self) -> &'static str {
        match self {
            Question::WorkingOn => "구축하는 모델은 무엇인가?",
            Question::CanGoWrong => "잠재적 문제는 무엇인가?",
            Question::DoingAboutIt => "이러한 부분에 어떤 조치를 취할 것인가?",
            Question::GoodJob => "충분한 조치를 취했는가?",
        }
    }

    /// As OWASP and IMDRF N60 word it.
    pub fn en(self) -> &'static str {
        match self {
            Question::WorkingOn => "What are we working on?",
            Question::CanGoWrong => "What can go wrong?",
            Question::DoingAboutIt => "What are we going to do about it?",
            Question::GoodJob => "Did we do a good job?",
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
    pub owner: String,
    pub description: String,
    pub working_on: WorkingOn,
    pub can_go_wrong: CanGoWrong,
    pub doing_about_it: DoingAboutIt,
    pub good_job: GoodJob,
}

/// Question 1, what are we working on: the diagram's parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkingOn {
    pub question: Question,
    pub boundaries: Vec<BoundaryRow>,
    pub elements: Vec<ElementRow>,
    pub flows: Vec<FlowRow>,
    /// Interfaces and ports, with the element that has them.
    pub interfaces: Vec<InterfaceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundaryRow {
    pub id: String,
    pub name: Text,
    /// The box it lies in, by name.
    pub parent: Option<String>,
    /// A line rather than a box.
    pub line: bool,
    pub derived: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementRow {
    pub id: String,
    pub kind: ElementKind,
    pub kind_name: Text,
    pub name: Text,
    /// The innermost boundary, by name.
    pub boundary: Option<String>,
    pub out_of_scope: Option<String>,
    pub derived: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowRow {
    pub id: String,
    pub name: Text,
    pub from: String,
    pub to: String,
    pub bidirectional: bool,
    pub protocol: String,
    pub data: Vec<DataKind>,
    pub data_names: Text,
    pub encrypted: Option<bool>,
    pub authenticated: Option<bool>,
    pub public_network: bool,
    /// Boundaries crossed, by name.
    pub crosses: Vec<String>,
    pub out_of_scope: Option<String>,
    pub derived: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterfaceRow {
    pub element: String,
    pub name: String,
    pub kind: String,
    pub inbound: bool,
    pub remote_access: bool,
}

/// Question 2, what can go wrong: the threats by subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanGoWrong {
    pub question: Question,
    pub subjects: Vec<SubjectThreats>,
    /// Per KISA catalogue threat (seed 003), the model's threats that are
    /// instances of it, in catalogue order; threats no model threat
    /// instantiates are listed with none.
    pub kisa: Vec<KisaRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectThreats {
    pub id: String,
    pub name: String,
    /// `element`, `flow` or `boundary`.
    pub what: &'static str,
    pub kind_name: Text,
    pub threats: Vec<ThreatRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreatRow {
    pub id: String,
    pub number: Option<u64>,
    /// The STRIDE letter, or the other methodology's type.
    pub category: String,
    pub category_name: Text,
    pub title: Text,
    pub description: Text,
    pub severity: Severity,
    pub status: Status,
    pub crossing: bool,
    pub kisa: Vec<KisaRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KisaRef {
    pub id: String,
    pub title: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KisaRow {
    pub threat: KisaRef,
    pub group: Text,
    pub instances: Vec<String>,
}

/// Question 3, what are we going to do about it: controls and requirements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoingAboutIt {
    pub question: Question,
    pub treatments: Vec<Treatment>,
    /// Each requirement with the threats it mitigates, in catalogue order:
    /// the input of the traceability matrix.
    pub requirements: Vec<RequirementRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Treatment {
    pub threat: String,
    pub title: Text,
    pub controls: Vec<Text>,
    pub mitigation: Text,
    pub requirements: Vec<RequirementRef>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementRef {
    /// `catalogue:item`.
    pub reference: String,
    pub title: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementRow {
    pub requirement: RequirementRef,
    pub threats: Vec<String>,
}

/// Question 4, did we do a good job: checks of the model's completeness and of
/// what it states, and where the threats stand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoodJob {
    pub question: Question,
    pub checks: Vec<Check>,
    /// Threats per status, in Threat Dragon's order.
    pub statuses: Vec<(Status, usize)>,
    pub threats: usize,
    pub open: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable: `threats-for-every-element`, `requirement-for-every-threat`,
    /// `sensitive-flows-encrypted`, `encryption-stated`,
    /// `crossing-flows-authenticated`, `public-network-declared`,
    /// `updates-signed`, `assumptions-confirmed`, `no-isolated-elements`,
    /// `threats-treated`.
    pub id: &'static str,
    pub passed: bool,
    pub title: Text,
    /// What fails it: element, flow or threat ids.
    pub subjects: Vec<String>,
}

fn named_or_id(model: &ThreatModel, id: &str) -> String {
    model.name_of(id).to_owned()
}

fn end_name(model: &ThreatModel, end: &End) -> String {
    match end {
        End::Element(id) => named_or_id(model, id),
        End::Point(p) => format!("({}, {})", p.x, p.y),
    }
}

fn element_row(model: &ThreatModel, e: &Element) -> ElementRow {
    ElementRow {
        id: e.id.clone(),
        kind: e.kind,
        kind_name: Text::new(e.kind.ko(), e.kind.en()),
        name: Text::new(e.name.clone(), e.name_en()),
        boundary: e.boundary.as_deref().map(|b| named_or_id(model, b)),
        out_of_scope: e.out_of_scope.then(|| e.out_of_scope_reason.clone()),
        derived: e.derived.clone(),
    }
}

fn boundary_row(model: &ThreatModel, b: &Boundary) -> BoundaryRow {
    BoundaryRow {
        id: b.id.clone(),
        name: Text::new(b.name.clone(), b.name_en()),
        parent: b.parent.as_deref().map(|p| named_or_id(model, p)),
        line: matches!(b.shape, BoundaryShape::Curve { .. }),
        derived: b.derived.clone(),
    }
}

fn flow_row(model: &ThreatModel, f: &Flow) -> FlowRow {
    let ko: Vec<&str> = f.data.iter().map(|d| d.ko()).collect();
    let en: Vec<&str> = f.data.iter().map(|d| d.en()).collect();
    FlowRow {
        id: f.id.clone(),
        name: Text::new(f.name.clone(), f.name_en()),
        from: end_name(model, &f.from),
        to: end_name(model, &f.to),
        bidirectional: f.bidirectional,
        protocol: f.protocol.clone(),
        data: f.data.clone(),
        data_names: Text::new(ko.join(", "), en.join(", ")),
        encrypted: f.encrypted,
        authenticated: f.authenticated,
        public_network: f.public_network,
        crosses: f.crosses.iter().map(|b| named_or_id(model, b)).collect(),
        out_of_scope: f.out_of_scope.then(|| f.out_of_scope_reason.clone()),
        derived: f.derived.clone(),
    }
}

fn check(id: &'static str, ko: &str, en: &str, subjects: Vec<String>) -> Check {
    Check {
        id,
        passed: subjects.is_empty(),
        title: Text::new(ko, en),
        subjects,
    }
}

impl Report {
    /// The report of a model; `catalogs` gives the KISA threats' and the
    /// requirements' titles.
    pub fn new(model: &ThreatModel, catalogs: &medsec_catalog::Catalogs) -> Report {
        let kisa_catalog = catalogs.get("kisa-dh");
        let kisa_ref = |id: &str| KisaRef {
            id: id.to_owned(),
            title: kisa_catalog
                .and_then(|c| c.threat.iter().find(|t| t.id == id))
                .map_or_else(
                    || Text::same(id),
                    |t| Text::new(t.title_ko.clone(), t.title_en.clone()),
                ),
        };
        let requirement = |r: &str| RequirementRef {
            reference: r.to_owned(),
            title: catalogs.resolve(r).map_or_else(
                || Text::same(r),
                |(_, i)| Text::new(i.title_ko.clone(), i.title_en.clone()),
            ),
        };

        let working_on = WorkingOn {
            question: Question::WorkingOn,
            boundaries: model
                .boundaries
                .iter()
                .map(|b| boundary_row(model, b))
                .collect(),
            elements: model
                .elements
                .iter()
                .map(|e| element_row(model, e))
                .collect(),
            flows: model.flows.iter().map(|f| flow_row(model, f)).collect(),
            interfaces: model
                .elements
                .iter()
                .flat_map(|e| {
                    e.ports.iter().map(move |p| InterfaceRow {
                        element: e.name.clone(),
                        name: p.name.clone(),
                        kind: p.kind.label().to_owned(),
                        inbound: p.inbound,
                        remote_access: p.remote_access,
                    })
                })
                .collect(),
        };

        let row = |t: &super::Threat| {
            let (category, category_name) = match &t.category {
                Category::Stride(s) => (s.letter().to_string(), Text::new(s.ko(), s.en())),
                Category::Other { kind, .. } => (kind.clone(), Text::same(kind.clone())),
            };
            ThreatRow {
                id: t.id.clone(),
                number: t.number,
                category,
                category_name,
                title: t.title.clone(),
                description: t.description.clone(),
                severity: t.severity.clone(),
                status: t.status.clone(),
                crossing: t.crossing,
                kisa: t.kisa.iter().map(|k| kisa_ref(k)).collect(),
            }
        };
        let mut subjects = Vec::new();
        let all = (model.boundaries.iter().map(|b| {
            (
                b.id.as_str(),
                "boundary",
                Text::new("신뢰 경계", "Trust boundary"),
            )
        }))
        .chain(model.elements.iter().map(|e| {
            (
                e.id.as_str(),
                "element",
                Text::new(e.kind.ko(), e.kind.en()),
            )
        }))
        .chain(
            model
                .flows
                .iter()
                .map(|f| (f.id.as_str(), "flow", Text::new("데이터 흐름", "Data flow"))),
        );
        for (id, what, kind_name) in all {
            let threats: Vec<ThreatRow> = model.threats_of(id).map(row).collect();
            if threats.is_empty() {
                continue;
            }
            subjects.push(SubjectThreats {
                id: id.to_owned(),
                name: named_or_id(model, id),
                what,
                kind_name,
                threats,
            });
        }
        let kisa = kisa_catalog
            .map(|c| {
                c.threat
                    .iter()
                    .map(|t| KisaRow {
                        threat: kisa_ref(&t.id),
                        group: t
                            .group
                            .as_deref()
                            .and_then(|g| c.group(g))
                            .map_or_else(Text::default, |g| {
                                Text::new(g.title_ko.clone(), g.title_en.clone())
                            }),
                        instances: model
                            .threats
                            .iter()
                            .filter(|x| x.kisa.contains(&t.id))
                            .map(|x| x.id.clone())
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let can_go_wrong = CanGoWrong {
            question: Question::CanGoWrong,
            subjects,
            kisa,
        };

        let treatments = model
            .threats
            .iter()
            .map(|t| Treatment {
                threat: t.id.clone(),
                title: t.title.clone(),
                controls: t.controls.clone(),
                mitigation: t.mitigation.clone(),
                requirements: t.requirements.iter().map(|r| requirement(r)).collect(),
                status: t.status.clone(),
            })
            .collect();
        let mut by_requirement: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for t in &model.threats {
            for r in &t.requirements {
                by_requirement
                    .entry(r.as_str())
                    .or_default()
                    .push(t.id.clone());
            }
        }
        let position = |r: &str| {
            catalogs
                .catalogs
                .iter()
                .enumerate()
                .find_map(|(ci, c)| {
                    let (cat, item) = r.split_once(':')?;
                    (c.catalog.id == cat)
                        .then(|| c.item.iter().position(|i| i.id == item).map(|ii| (ci, ii)))
                        .flatten()
                })
                .unwrap_or((usize::MAX, usize::MAX))
        };
        let mut requirements: Vec<RequirementRow> = by_requirement
            .into_iter()
            .map(|(r, threats)| RequirementRow {
                requirement: requirement(r),
                threats,
            })
            .collect();
        requirements.sort_by_key(|r| position(&r.requirement.reference));
        let doing_about_it = DoingAboutIt {
            question: Question::DoingAboutIt,
            treatments,
            requirements,
        };

        let good_job = GoodJob {
            question: Question::GoodJob,
            checks: checks(model),
            statuses: Status::KNOWN
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        model.threats.iter().filter(|t| &t.status == s).count(),
                    )
                })
                .chain(
                    model
                        .threats
                        .iter()
                        .filter_map(|t| match &t.status {
                            Status::Other(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect::<std::collections::BTreeSet<String>>()
                        .into_iter()
                        .map(|s| {
                            let n = model
                                .threats
                                .iter()
                                .filter(|t| t.status == Status::Other(s.clone()))
                                .count();
                            (Status::Other(s), n)
                        }),
                )
                .collect(),
            threats: model.threats.len(),
            open: model
                .threats
                .iter()
                .filter(|t| t.status == Status::Open)
                .count(),
        };

        Report {
            title: model.title.clone(),
            owner: model.owner.clone(),
            description: model.description.clone(),
            working_on,
            can_go_wrong,
            doing_about_it,
            good_job,
        }
    }
}

fn checks(model: &ThreatModel) -> Vec<Check> {
    let in_scope_flows = || model.flows.iter().filter(|f| !f.out_of_scope);
    let mut out = Vec::new();
    let bare: Vec<String> = model
        .elements
        .iter()
        .filter(|e| !e.out_of_scope)
        .map(|e| e.id.as_str())
        .chain(in_scope_flows().map(|f| f.id.as_str()))
        .filter(|id| model.threats_of(id).next().is_none())
        .map(str::to_owned)
        .collect();
    out.push(check(
        "threats-for-every-element",
        "범위 안의 모든 요소와 흐름에 위협이 식별됨",
        "Every in-scope element and flow has threats identified",
        bare,
    ));
    let unmapped: Vec<String> = model
        .threats
        .iter()
        .filter(|t| t.requirements.is_empty() && t.mitigation.ko.trim().is_empty())
        .map(|t| t.id.clone())
        .collect();
    out.push(check(
        "requirement-for-every-threat",
        "모든 위협에 완화 요구사항이나 조치가 있음",
        "Every threat has a mitigating requirement or a mitigation",
        unmapped,
    ));
    let clear: Vec<String> = in_scope_flows()
        .filter(|f| {
            f.encrypted == Some(false)
                && f.data
                    .iter()
                    .any(|d| matches!(d, DataKind::PatientData | DataKind::Credentials))
        })
        .map(|f| f.id.clone())
        .collect();
    out.push(check(
        "sensitive-flows-encrypted",
        "개인의료정보·인증정보를 나르는 흐름이 암호화됨(seed 000 질의응답: 심전계 데이터도 암호화하여 송수신)",
        "Flows carrying personal medical information or credentials are encrypted (seed 000 Q&A: ECG data too)",
        clear,
    ));
    let unstated: Vec<String> = in_scope_flows()
        .filter(|f| f.encrypted.is_none())
        .map(|f| f.id.clone())
        .collect();
    out.push(check(
        "encryption-stated",
        "모든 흐름의 암호화 여부가 기재됨",
        "Every flow states whether it is encrypted",
        unstated,
    ));
    let unauthenticated: Vec<String> = in_scope_flows()
        .filter(|f| !f.crosses.is_empty() && f.authenticated != Some(true))
        .map(|f| f.id.clone())
        .collect();
    out.push(check(
        "crossing-flows-authenticated",
        "신뢰 경계를 넘는 흐름이 인증됨",
        "Flows crossing a trust boundary are authenticated",
        unauthenticated,
    ));
    // N60 asks to consider misconfiguration such as connecting a device
    // not designed for the Internet to it.
    let public: Vec<String> = match &model.device {
        Some(d) if !d.public_network => in_scope_flows()
            .filter(|f| f.public_network)
            .map(|f| f.id.clone())
            .collect(),
        _ => Vec::new(),
    };
    out.push(check(
        "public-network-declared",
        "공용 네트워크를 지나는 흐름이 있으면 프로파일도 공용 네트워크망 사용으로 기재됨",
        "If a flow goes over a public network, the profile declares public network use",
        public,
    ));
    let unsigned: Vec<String> = match &model.device {
        Some(d) if !d.update_signed => in_scope_flows()
            .filter(|f| f.data.contains(&DataKind::Firmware))
            .map(|f| f.id.clone())
            .collect(),
        _ => Vec::new(),
    };
    out.push(check(
        "updates-signed",
        "업데이트가 서명되고 설치 전에 검증됨",
        "Updates are signed and verified before installation",
        unsigned,
    ));
    let assumed: Vec<String> = model
        .boundaries
        .iter()
        .filter(|b| b.derived.is_some())
        .map(|b| b.id.clone())
        .chain(
            model
                .elements
                .iter()
                .filter(|e| e.derived.is_some())
                .map(|e| e.id.clone()),
        )
        .chain(
            model
                .flows
                .iter()
                .filter(|f| f.derived.is_some())
                .map(|f| f.id.clone()),
        )
        .collect();
    out.push(check(
        "assumptions-confirmed",
        "추정한 요소·흐름·경계 없이 제조자가 모두 기재함",
        "The manufacturer states every element, flow and boundary; none is inferred",
        assumed,
    ));
    let isolated: Vec<String> = model
        .elements
        .iter()
        .filter(|e| !model.flows.iter().any(|f| f.touches(&e.id)))
        .map(|e| e.id.clone())
        .collect();
    out.push(check(
        "no-isolated-elements",
        "모든 요소가 데이터 흐름으로 연결됨",
        "Every element is connected by a data flow",
        isolated,
    ));
    let open: Vec<String> = model
        .threats
        .iter()
        .filter(|t| !t.status.is_resolved() && t.status != Status::NotApplicable)
        .map(|t| t.id.clone())
        .collect();
    out.push(check(
        "threats-treated",
        "모든 위협에 조치(완화·수용·전가·회피·제거)가 기록됨",
        "Every threat has a treatment on record (mitigated, accepted, transferred, avoided, eliminated)",
        open,
    ));
    out
}
