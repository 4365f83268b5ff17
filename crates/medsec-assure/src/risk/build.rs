//! The first register from a threat model, and risks from SBOM findings.
//!
//! # Controls
//!
//! A threat's suggested controls are the 관련 보안대책 of its KISA threats
//! (seed 003). Each names a 보안항목 of the KISA device requirements
//! (`사용자 인증` is group `device.auth.user-auth`, spacing ignored), so
//! each becomes one control `C-<group>` (`C-user-auth`) shared by every
//! threat that suggests it, implementing that group's KISA items and the
//! MFDS 2024 and 2019 items the crosswalk links to them. A threat whose
//! KISA threats name no such group gets its STRIDE category's general
//! control (`C-stride-T`), implementing the threat's own requirements.
//!
//! # Harm
//!
//! ISO 14971 harm depends on the clinical use, which the profile states
//! through the MFDS 사이버 보안 안전성 등급 (2018 press definitions: 상 —
//! a breach can cause serious injury or death; 중 — transmission and
//! analysis of biosignals for diagnosis; 하 — measurements whose tampering
//! hardly affects diagnosis). Its worst credible harm of a compromised
//! clinical function is catastrophic (상), serious (중) or minor (하);
//! without a level (an imported model) 중 is assumed. Then, by what the
//! threat does to what its subject carries (first rule that applies):
//!
//! | STRIDE | data touched | severity |
//! |---|---|---|
//! | S, T, E | control commands | the worst credible, at least critical |
//! | S, T, E | patient data, firmware, configuration, credentials | the worst credible |
//! | D | control commands | one below the worst credible or critical, whichever is higher |
//! | D | patient data, firmware | one below the worst credible |
//! | I | credentials | one below the worst credible (it enables spoofing) |
//! | I | patient data | minor (a privacy harm, no physical injury) |
//! | R | control commands | minor |
//! | anything else | | negligible |
//!
//! Every risk states the rule that decided as its rationale; the analyst
//! overrides it in the register.
//!
//! # Exploitability estimate
//!
//! Until a vector or the rubric is given, exploitability is estimated
//! from exposure: a subject on a public network is high, one that crosses
//! a trust boundary or has wireless, inbound or remote-access interfaces
//! medium, anything else low.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Control, ControlStatus, Exploitability, ExploitabilityLevel, Harm, HarmSeverity, Register,
    Residual, Risk, RiskSource, Vulnerability, is_cve, is_cwe,
};
use crate::evidence::sbom::SbomFinding;
use crate::profile::{Profile, SecurityLevel};
use crate::threat::{Category, DataKind, Flow, Status, Stride, Text, Threat, ThreatModel};

/// What the harm rules need to know about the device beyond the threat
/// model (whose flows already carry the control commands of a device the
/// profile says is controlled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HarmBasis {
    /// 사이버 보안 안전성 등급; `None`: not known (assumed 중).
    pub security_level: Option<SecurityLevel>,
}

impl HarmBasis {
    pub fn of(profile: &Profile) -> HarmBasis {
        HarmBasis {
            security_level: Some(profile.device.security_level),
        }
    }

    /// The worst credible harm of a compromised clinical function, and
    /// why.
    pub fn worst(&self) -> (HarmSeverity, Text) {
        match self.security_level {
            Some(SecurityLevel::High) => (
                HarmSeverity::Catastrophic,
                Text::new(
                    "안전성 등급 상: 침해 시 중대한 상해나 사망을 일으킬 수 있음",
                    "Security level 상 (high): a breach can cause serious injury or death",
                ),
            ),
            Some(SecurityLevel::Medium) => (
                HarmSeverity::Serious,
                Text::new(
                    "안전성 등급 중: 생체신호를 전송·분석하여 진단에 쓰므로 잘못된 진단이나 지연이 의료 개입을 요하는 위해로 이어질 수 있음",
                    "Security level 중 (medium): biosignals are transmitted and analysed for diagnosis, so a wrong or late diagnosis can lead to harm needing medical intervention",
                ),
            ),
            Some(SecurityLevel::Low) => (
                HarmSeverity::Minor,
                Text::new(
                    "안전성 등급 하: 변조되어도 진단에 미치는 영향이 작음",
                    "Security level 하 (low): tampering hardly affects diagnosis",
                ),
            ),
            None => (
                HarmSeverity::Serious,
                Text::new(
                    "안전성 등급을 알 수 없어 '중'으로 가정함",
                    "The security level is not known: 중 (medium) is assumed",
                ),
            ),
        }
    }
}

/// What a threat does, for the harm rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Spoofing, tampering, elevation: the function does the wrong thing.
    Integrity,
    Availability,
    Disclosure,
    Repudiation,
}

fn effect(category: &Category) -> Effect {
    match category {
        Category::Stride(Stride::Spoofing | Stride::Tampering | Stride::ElevationOfPrivilege) => {
            Effect::Integrity
        }
        Category::Stride(Stride::DenialOfService) => Effect::Availability,
        Category::Stride(Stride::InformationDisclosure) => Effect::Disclosure,
        Category::Stride(Stride::Repudiation) => Effect::Repudiation,
        // Threat Dragon's other methodologies: CIA by name, anything else
        // as the most severe effect.
        Category::Other { kind, .. } => match kind.to_ascii_lowercase().as_str() {
            "confidentiality" => Effect::Disclosure,
            "availability" => Effect::Availability,
            _ => Effect::Integrity,
        },
    }
}

/// The flows of a threat's subject: the flow itself, or the in-scope
/// flows touching the element.
fn subject_flows<'a>(model: &'a ThreatModel, subject: &str) -> Vec<&'a Flow> {
    match model.flow(subject) {
        Some(f) => vec![f],
        None => model
            .flows
            .iter()
            .filter(|f| !f.out_of_scope && f.touches(subject))
            .collect(),
    }
}

fn data_of(flows: &[&Flow]) -> BTreeSet<DataKind> {
    flows.iter().flat_map(|f| f.data.iter().copied()).collect()
}

fn kinds(data: &BTreeSet<DataKind>, wanted: &[DataKind]) -> (String, String) {
    let list: Vec<DataKind> = wanted
        .iter()
        .copied()
        .filter(|d| data.contains(d))
        .collect();
    (
        list.iter().map(|d| d.ko()).collect::<Vec<_>>().join(", "),
        list.iter().map(|d| d.en()).collect::<Vec<_>>().join(", "),
    )
}

/// The harm severity of a threat with its description and rationale.
pub fn harm_of(threat: &Threat, data: &BTreeSet<DataKind>, basis: &HarmBasis) -> Harm {
    use DataKind::*;
    let (worst, why_worst) = basis.worst();
    let at_least_critical = worst.max(HarmSeverity::Critical);
    let has = |d: DataKind| data.contains(&d);
    let clinical = [PatientData, Firmware, Configuration, Credentials];
    let any_clinical = clinical.iter().any(|d| has(*d));
    let e = effect(&threat.category);
    // (severity, harm, rule, whether the rule uses the worst credible harm)
    let (severity, description, rule, uses_worst) = if e == Effect::Integrity && has(Control) {
        (
            at_least_critical,
            Text::new(
                "위조·변조된 제어 명령으로 치료가 잘못 전달됨",
                "Therapy delivered wrongly through forged or altered control commands",
            ),
            Text::new(
                "기기 제어 명령의 무결성 침해: 최악의 임상적 위해, 최소 치명적",
                "Integrity of device control commands: the worst credible harm, at least critical",
            ),
            true,
        )
    } else if e == Effect::Integrity && any_clinical {
        let (ko, en) = kinds(data, &clinical);
        (
            worst,
            Text::new(
                "잘못된 측정값·설정·소프트웨어 또는 위장한 사용자로 인해 진단이나 치료가 잘못됨",
                "Wrong diagnosis or treatment through false measurements, settings or software, or an impersonated user",
            ),
            Text::new(
                format!("{ko}의 무결성 침해: 최악의 임상적 위해"),
                format!("Integrity of {en}: the worst credible harm"),
            ),
            true,
        )
    } else if e == Effect::Availability && has(Control) {
        (
            at_least_critical.lower(),
            Text::new("치료 중단이나 지연", "Therapy interrupted or delayed"),
            Text::new(
                "기기 제어의 가용성 침해: 최악의 임상적 위해(최소 치명적)보다 한 단계 낮음",
                "Availability of device control: one level below the worst credible harm (at least critical)",
            ),
            true,
        )
    } else if e == Effect::Availability && (has(PatientData) || has(Firmware)) {
        let (ko, en) = kinds(data, &[PatientData, Firmware]);
        (
            worst.lower(),
            Text::new(
                "진단이나 모니터링의 지연",
                "Diagnosis or monitoring delayed",
            ),
            Text::new(
                format!(
                    "{ko}의 가용성 침해: 잘못된 결과가 아닌 지연이므로 최악의 임상적 위해보다 한 단계 낮음"
                ),
                format!(
                    "Availability of {en}: a delay rather than a wrong result, one level below the worst credible harm"
                ),
            ),
            true,
        )
    } else if e == Effect::Disclosure && has(Credentials) {
        (
            worst.lower(),
            Text::new(
                "노출된 인증정보로 위장한 공격자가 기기를 조작함",
                "An attacker impersonating a user with the disclosed credentials operates the device",
            ),
            Text::new(
                "인증정보 노출: 위장으로 이어지는 한 단계가 더 필요하므로 최악의 임상적 위해보다 한 단계 낮음",
                "Disclosure of credentials: it takes the further step of spoofing, one level below the worst credible harm",
            ),
            true,
        )
    } else if e == Effect::Disclosure && has(PatientData) {
        (
            HarmSeverity::Minor,
            Text::new(
                "개인의료정보 노출에 따른 사생활 침해와 심리적 위해",
                "Loss of privacy and psychological harm from disclosed personal medical information",
            ),
            Text::new(
                "개인의료정보 노출: 신체적 상해가 아니므로 경미(보안 위험으로 별도 관리, AAMI TIR57)",
                "Disclosure of personal medical information: no physical injury, minor (managed as a security risk, AAMI TIR57)",
            ),
            false,
        )
    } else if e == Effect::Repudiation && has(Control) {
        (
            HarmSeverity::Minor,
            Text::new(
                "잘못된 치료 명령의 출처를 추적할 수 없음",
                "The origin of a wrong therapy command cannot be traced",
            ),
            Text::new(
                "제어 명령의 부인: 직접적인 위해는 아니나 사고 조사를 막음",
                "Repudiation of control commands: no direct harm, but it blocks incident investigation",
            ),
            false,
        )
    } else {
        (
            HarmSeverity::Negligible,
            Text::new("환자 위해로 이어지지 않음", "No harm to patients"),
            Text::new(
                "환자 위해와 관련된 데이터나 기능에 영향이 없음",
                "No data or function related to patient harm is affected",
            ),
            false,
        )
    };
    let rationale = if uses_worst {
        Text::new(
            format!("{} ({}).", rule.ko, why_worst.ko),
            format!("{} ({}).", rule.en, why_worst.en),
        )
    } else {
        Text::new(format!("{}.", rule.ko), format!("{}.", rule.en))
    };
    Harm {
        severity,
        description,
        rationale,
    }
}

/// The exploitability estimate of a threat from the model's exposure.
fn estimate(model: &ThreatModel, threat: &Threat) -> (ExploitabilityLevel, Text) {
    let flows = subject_flows(model, &threat.subject);
    let public = flows.iter().any(|f| f.public_network);
    let exposed_ports = model.element(&threat.subject).is_some_and(|e| {
        e.ports
            .iter()
            .any(|p| p.kind.is_wireless() || p.inbound || p.remote_access)
    });
    if public {
        (
            ExploitabilityLevel::High,
            Text::new(
                "추정: 공용 네트워크(인터넷)를 지나므로 원격에서 닿을 수 있음. CVSS 벡터나 루브릭으로 평가하십시오.",
                "Estimate: it goes over a public network (the Internet) and can be reached remotely. Assess it with a CVSS vector or the rubric.",
            ),
        )
    } else if threat.crossing || exposed_ports {
        (
            ExploitabilityLevel::Medium,
            Text::new(
                "추정: 신뢰 경계를 넘거나 무선·외부 접속 인터페이스가 있음. CVSS 벡터나 루브릭으로 평가하십시오.",
                "Estimate: it crosses a trust boundary or has wireless or inbound interfaces. Assess it with a CVSS vector or the rubric.",
            ),
        )
    } else {
        (
            ExploitabilityLevel::Low,
            Text::new(
                "추정: 하나의 신뢰 경계 안에 있고 외부 인터페이스가 없음. CVSS 벡터나 루브릭으로 평가하십시오.",
                "Estimate: it lies within one trust boundary without external interfaces. Assess it with a CVSS vector or the rubric.",
            ),
        )
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The KISA device groups by squashed title, with their items and the
/// MFDS items the crosswalk links to them.
struct Groups<'a> {
    /// squashed title → (group id, title ko, title en)
    by_title: BTreeMap<String, (&'a str, &'a str, &'a str)>,
    /// group id → catalogue items (KISA first, then MFDS 2024, 2019)
    items: BTreeMap<&'a str, Vec<String>>,
}

impl<'a> Groups<'a> {
    fn new(catalogs: &'a medsec_catalog::Catalogs) -> Groups<'a> {
        let mut by_title = BTreeMap::new();
        let mut items: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        if let Some(kisa) = catalogs.get("kisa-dh") {
            let leaf_groups = kisa
                .group
                .iter()
                .filter(|g| g.id.starts_with("device.") && g.id.matches('.').count() == 2);
            for g in leaf_groups {
                by_title.insert(
                    squash(&g.title_ko),
                    (g.id.as_str(), g.title_ko.as_str(), g.title_en.as_str()),
                );
            }
            for item in &kisa.item {
                let Some(g) = item.group.as_deref() else {
                    continue;
                };
                if !g.starts_with("device.") {
                    continue;
                }
                let reference = format!("kisa-dh:{}", item.id);
                let list = items.entry(g).or_default();
                list.push(reference);
            }
            for list in items.values_mut() {
                let mut linked: Vec<String> = Vec::new();
                for prefix in ["mfds-2024:", "mfds-2019:"] {
                    for r in list.iter() {
                        for (_, other) in catalogs.links_of(r) {
                            if other.starts_with(prefix) && !linked.iter().any(|l| l == other) {
                                linked.push(other.to_owned());
                            }
                        }
                    }
                }
                list.extend(linked);
            }
        }
        Groups { by_title, items }
    }
}

/// The control id of a KISA device group (`device.auth.user-auth` →
/// `C-user-auth`).
fn group_control_id(group: &str) -> String {
    format!("C-{}", group.rsplit('.').next().unwrap_or(group))
}

impl Register {
    /// A first register from a threat model: one risk per threat (those
    /// marked not applicable left out), with the suggested controls,
    /// harm from the data the threat touches and an exploitability
    /// estimate from the model's exposure. Nothing is implemented yet:
    /// every control is planned.
    pub fn from_threat_model(
        model: &ThreatModel,
        basis: &HarmBasis,
        catalogs: &medsec_catalog::Catalogs,
    ) -> Register {
        let mut register = Register::new(model.title.clone());
        register.add_threats(model, basis, catalogs);
        register
    }

    /// Adds a risk for every threat of the model that has none yet, and
    /// the controls they suggest that the register lacks; the user's
    /// risks and controls stay as they are. Returns the ids of the risks
    /// added.
    pub fn add_threats(
        &mut self,
        model: &ThreatModel,
        basis: &HarmBasis,
        catalogs: &medsec_catalog::Catalogs,
    ) -> Vec<String> {
        let groups = Groups::new(catalogs);
        let kisa_threats: BTreeMap<&str, &medsec_catalog::Threat> = catalogs
            .get("kisa-dh")
            .map(|c| c.threat.iter().map(|t| (t.id.as_str(), t)).collect())
            .unwrap_or_default();
        let mut added = Vec::new();
        for threat in model.threats() {
            if threat.status == Status::NotApplicable || self.risk_of_threat(&threat.id).is_some() {
                continue;
            }
            let mut controls: Vec<String> = Vec::new();
            for k in &threat.kisa {
                let Some(t) = kisa_threats.get(k.as_str()) else {
                    continue;
                };
                for measure in &t.countermeasures_ko {
                    let Some((group, ko, en)) = groups.by_title.get(&squash(measure)) else {
                        continue;
                    };
                    let id = group_control_id(group);
                    if self.control(&id).is_none() {
                        self.controls.push(Control {
                            id: id.clone(),
                            title: Text::new(*ko, *en),
                            description: Text::new(
                                format!("KISA 디지털헬스케어 보안 가이드 보안항목 '{ko}'"),
                                format!(
                                    "KISA digital healthcare security guide, security item '{en}'"
                                ),
                            ),
                            catalog_items: groups.items.get(group).cloned().unwrap_or_default(),
                            requirements: Vec::new(),
                            tests: Vec::new(),
                            status: ControlStatus::Planned,
                            suggested: true,
                        });
                    }
                    if !controls.contains(&id) {
                        controls.push(id);
                    }
                }
            }
            if controls.is_empty() {
                let (id, title) = match &threat.category {
                    Category::Stride(s) => (
                        format!("C-stride-{}", s.letter()),
                        threat
                            .controls
                            .first()
                            .cloned()
                            .unwrap_or_else(|| Text::new(s.ko(), s.en())),
                    ),
                    Category::Other {
                        model: method,
                        kind,
                    } => (
                        format!("C-{}-{}", squash(method), squash(kind)),
                        threat
                            .controls
                            .first()
                            .cloned()
                            .unwrap_or_else(|| Text::same(format!("{method} {kind}"))),
                    ),
                };
                match self.controls.iter_mut().find(|c| c.id == id) {
                    Some(c) if c.suggested => {
                        for r in &threat.requirements {
                            if !c.catalog_items.contains(r) && catalogs.resolve(r).is_some() {
                                c.catalog_items.push(r.clone());
                            }
                        }
                    }
                    Some(_) => {}
                    None => self.controls.push(Control {
                        id: id.clone(),
                        title,
                        description: Text::new(
                            "STRIDE 분류의 일반 보안대책",
                            "The STRIDE category's general control",
                        ),
                        catalog_items: threat
                            .requirements
                            .iter()
                            .filter(|r| catalogs.resolve(r).is_some())
                            .cloned()
                            .collect(),
                        requirements: Vec::new(),
                        tests: Vec::new(),
                        status: ControlStatus::Planned,
                        suggested: true,
                    }),
                }
                controls.push(id);
            }
            let flows = subject_flows(model, &threat.subject);
            let harm = harm_of(threat, &data_of(&flows), basis);
            let (level, why) = estimate(model, threat);
            let id = format!("R-{}", threat.id);
            self.risks.push(Risk {
                id: id.clone(),
                threat: Some(threat.id.clone()),
                title: threat.title.clone(),
                source: RiskSource::Threat,
                vulnerability: Vulnerability {
                    description: threat.description.clone(),
                    cve: Vec::new(),
                    cwe: Vec::new(),
                    component: None,
                },
                exploitability: Exploitability {
                    vector: None,
                    rubric: None,
                    level: None,
                    estimate: Some(level),
                    rationale: why,
                },
                harm,
                controls,
                residual: Residual::default(),
                acceptance: None,
                note: String::new(),
            });
            added.push(id);
        }
        added
    }

    /// Adds a risk for every open SBOM finding that has none yet
    /// (`R-SBOM-<vulnerability>-<component>`): exploitability from its
    /// CVSS vector, harm assumed at the device's worst credible harm
    /// until someone assesses where the component runs. Returns the ids
    /// added.
    pub fn add_sbom_findings(
        &mut self,
        findings: &[SbomFinding],
        basis: &HarmBasis,
    ) -> Vec<String> {
        let mut added = Vec::new();
        for f in findings.iter().filter(|f| f.is_open()) {
            let id = sbom_risk_id(f);
            if self.risk(&id).is_some() {
                continue;
            }
            let component = f.component.key();
            let (worst, why) = basis.worst();
            let ids = std::iter::once(&f.vulnerability).chain(&f.aliases);
            let cve: Vec<String> = ids.filter(|i| is_cve(i)).cloned().collect();
            let cwe: Vec<String> = f.cwe.iter().filter(|c| is_cwe(c)).cloned().collect();
            let summary = if f.summary.is_empty() {
                f.vulnerability.clone()
            } else {
                f.summary.clone()
            };
            self.risks.push(Risk {
                id: id.clone(),
                threat: None,
                title: Text::new(
                    format!("{component}의 {}", f.vulnerability),
                    format!("{} in {component}", f.vulnerability),
                ),
                source: RiskSource::Sbom,
                vulnerability: Vulnerability {
                    description: Text::same(summary),
                    cve,
                    cwe,
                    component: Some(component),
                },
                exploitability: Exploitability {
                    vector: f
                        .cvss
                        .as_ref()
                        .filter(|v| medsec_cvss::Vector::parse(v).is_ok())
                        .cloned(),
                    ..Exploitability::default()
                },
                harm: Harm {
                    severity: worst,
                    description: Text::new(
                        "구성요소 취약점 악용에 따른 기기 기능의 침해",
                        "The device's function compromised through the component's vulnerability",
                    ),
                    rationale: Text::new(
                        format!(
                            "구성요소가 기기에서 하는 역할을 평가하기 전까지 최악의 임상적 위해로 가정함 ({})",
                            why.ko
                        ),
                        format!(
                            "The worst credible harm is assumed until the component's role in the device is assessed ({})",
                            why.en
                        ),
                    ),
                },
                controls: Vec::new(),
                residual: Residual::default(),
                acceptance: None,
                note: if f.kev {
                    "CISA KEV".to_owned()
                } else {
                    String::new()
                },
            });
            added.push(id);
        }
        added
    }
}

/// The risk id of an SBOM finding: `R-SBOM-` and the vulnerability and
/// component with characters ids do not allow replaced by `-`.
pub fn sbom_risk_id(f: &SbomFinding) -> String {
    let raw = format!("R-SBOM-{}-{}", f.vulnerability, f.component.key());
    raw.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '+') {
                c
            } else {
                '-'
            }
        })
        .collect()
}
