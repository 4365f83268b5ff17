//! The MITRE "Rubric for Applying CVSS to Medical Devices" (M. P. Chase,
//! S. M. Christey Coley, MITRE for the FDA, 2019; an FDA-qualified Medical
//! Device Development Tool since 2020-10-20) as a guided questionnaire:
//! per CVSS v3 base metric, the rubric's questions in the order of its
//! decision flows; the answers give each metric's value with the path
//! taken and the analyst's justification, and together a `CVSS:3.1/…`
//! base vector that `medsec-cvss` scores.
//!
//! Where the wording comes from: the rubric's PDF is not among our
//! sources. The question identifiers (`XAVN` … `XAO`), their numbering
//! (Q1–Q5.1 for AV, Q1.C–Q6.A for the impact metrics), the six impact
//! categories and the order of the flows are those of the rubric's public
//! calculator (cvss-rubric.deeparmor.com) and of the project's regulatory
//! brief (§6). The question texts and their help are **our wording** of
//! that published decision flow and of the CVSS v3.1 specification's
//! metric definitions, written to reach the value the rubric's flow
//! reaches; they are not MITRE's text. In particular:
//!
//! - the first "yes" in a decision flow sets the metric (AV, AC, PR, UI,
//!   S) and the last question's "no" gives the remaining value; for AV,
//!   "no" to every question means the attack path could not be placed,
//!   and the flow ends in Network, the reasonable worst case the CVSS
//!   v3.1 user guide asks analysts to score when in doubt;
//! - Q5.1 (`XAVPA`) separates physical presence that only uses the
//!   device's ordinary interfaces (CVSS v3.1: Local, "keyboard,
//!   console") from touching or manipulating the hardware (Physical);
//! - confidentiality, integrity and availability are each the highest
//!   value over the six categories (PHI/PII, diagnosis or monitoring,
//!   therapy, clinical workflow, system secrets, other critical data or
//!   functions); a PHI disclosure is High only when many patients'
//!   records are exposed (`XCPM`).
//!
//! The rubric scores the severity of a vulnerability for disclosure; the
//! patient-harm side of the risk stays with ISO 14971 and AAMI TIR57 (see
//! [`crate::risk`]). The rubric was written for CVSS v3.0; the base
//! metrics and their values are the same in v3.1, whose vector this
//! module writes.
//!
//! Everything here is pure and serialisable: [`Answers`] is what is
//! stored with a finding, [`Answers::assess`] recomputes the
//! [`Assessment`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::threat::Text;

/// Static bilingual text of the questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Words {
    pub ko: &'static str,
    pub en: &'static str,
}

impl Words {
    const fn new(ko: &'static str, en: &'static str) -> Words {
        Words { ko, en }
    }

    pub fn text(self) -> Text {
        Text::new(self.ko, self.en)
    }
}

/// The eight CVSS v3 base metrics, in vector order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Metric {
    #[serde(rename = "AV")]
    AttackVector,
    #[serde(rename = "AC")]
    AttackComplexity,
    #[serde(rename = "PR")]
    PrivilegesRequired,
    #[serde(rename = "UI")]
    UserInteraction,
    #[serde(rename = "S")]
    Scope,
    #[serde(rename = "C")]
    Confidentiality,
    #[serde(rename = "I")]
    Integrity,
    #[serde(rename = "A")]
    Availability,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::AttackVector,
        Metric::AttackComplexity,
        Metric::PrivilegesRequired,
        Metric::UserInteraction,
        Metric::Scope,
        Metric::Confidentiality,
        Metric::Integrity,
        Metric::Availability,
    ];

    /// The abbreviation of the vector (`AV`).
    pub fn abbrev(self) -> &'static str {
        match self {
            Metric::AttackVector => "AV",
            Metric::AttackComplexity => "AC",
            Metric::PrivilegesRequired => "PR",
            Metric::UserInteraction => "UI",
            Metric::Scope => "S",
            Metric::Confidentiality => "C",
            Metric::Integrity => "I",
            Metric::Availability => "A",
        }
    }

    pub fn name(self) -> Words {
        match self {
            Metric::AttackVector => Words::new("공격 벡터", "Attack Vector"),
            Metric::AttackComplexity => Words::new("공격 복잡성", "Attack Complexity"),
            Metric::PrivilegesRequired => Words::new("필요 권한", "Privileges Required"),
            Metric::UserInteraction => Words::new("사용자 상호작용", "User Interaction"),
            Metric::Scope => Words::new("범위", "Scope"),
            Metric::Confidentiality => Words::new("기밀성 영향", "Confidentiality"),
            Metric::Integrity => Words::new("무결성 영향", "Integrity"),
            Metric::Availability => Words::new("가용성 영향", "Availability"),
        }
    }

    /// The values the metric takes, lowest severity first, with names.
    pub fn values(self) -> &'static [(&'static str, Words)] {
        const AV: [(&str, Words); 4] = [
            ("P", Words::new("물리적", "Physical")),
            ("L", Words::new("로컬", "Local")),
            ("A", Words::new("인접 네트워크", "Adjacent")),
            ("N", Words::new("네트워크", "Network")),
        ];
        const AC: [(&str, Words); 2] = [
            ("H", Words::new("높음", "High")),
            ("L", Words::new("낮음", "Low")),
        ];
        const PR: [(&str, Words); 3] = [
            ("H", Words::new("높음", "High")),
            ("L", Words::new("낮음", "Low")),
            ("N", Words::new("없음", "None")),
        ];
        const UI: [(&str, Words); 2] = [
            ("R", Words::new("필요", "Required")),
            ("N", Words::new("없음", "None")),
        ];
        const S: [(&str, Words); 2] = [
            ("U", Words::new("변경 없음", "Unchanged")),
            ("C", Words::new("변경됨", "Changed")),
        ];
        const CIA: [(&str, Words); 3] = [
            ("N", Words::new("없음", "None")),
            ("L", Words::new("낮음", "Low")),
            ("H", Words::new("높음", "High")),
        ];
        match self {
            Metric::AttackVector => &AV,
            Metric::AttackComplexity => &AC,
            Metric::PrivilegesRequired => &PR,
            Metric::UserInteraction => &UI,
            Metric::Scope => &S,
            Metric::Confidentiality | Metric::Integrity | Metric::Availability => &CIA,
        }
    }

    /// The questions a flow starts at: one for a decision flow, the six
    /// impact categories for C, I and A.
    pub fn entries(self) -> &'static [&'static str] {
        match self {
            Metric::AttackVector => &["XAVN"],
            Metric::AttackComplexity => &["XACL"],
            Metric::PrivilegesRequired => &["XPRL"],
            Metric::UserInteraction => &["XUI"],
            Metric::Scope => &["XS"],
            Metric::Confidentiality => &["XCP", "XCD", "XCT", "XCW", "XCS", "XCO"],
            Metric::Integrity => &["XIP", "XID", "XIT", "XIW", "XIS", "XIO"],
            Metric::Availability => &["XAP", "XAD", "XAT", "XAW", "XAS", "XAO"],
        }
    }

    fn rank(self, value: &str) -> usize {
        self.values()
            .iter()
            .position(|(v, _)| *v == value)
            .unwrap_or(0)
    }
}

/// The rubric's impact categories (Q1–Q6 of C, I and A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Q1: PHI and PII.
    Phi,
    /// Q2: data or functions for diagnosis or monitoring.
    Diagnosis,
    /// Q3: data or functions for the delivery of therapy.
    Therapy,
    /// Q4: data or functions of the clinical workflow.
    ClinicalWorkflow,
    /// Q5: private system or system-user data (passwords, private keys).
    SystemSecrets,
    /// Q6: any other critical or sensitive data or function.
    Other,
}

impl Category {
    pub fn name(self) -> Words {
        match self {
            Category::Phi => Words::new("개인건강정보·개인정보(PHI/PII)", "PHI/PII"),
            Category::Diagnosis => Words::new(
                "진단·모니터링 관련 데이터와 기능",
                "Data or functions for diagnosis or monitoring",
            ),
            Category::Therapy => Words::new(
                "치료 전달 관련 데이터와 기능",
                "Data or functions for the delivery of therapy",
            ),
            Category::ClinicalWorkflow => Words::new(
                "임상 업무 흐름 관련 데이터와 기능",
                "Data or functions of the clinical workflow",
            ),
            Category::SystemSecrets => Words::new(
                "시스템·사용자 비밀 정보(비밀번호, 개인키)",
                "Private system or system-user data (passwords, private keys)",
            ),
            Category::Other => Words::new(
                "그 밖의 중요·민감 데이터와 기능",
                "Other critical or sensitive data or functions",
            ),
        }
    }
}

/// Where an answer leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Then {
    /// The flow ends with this metric value.
    Value(&'static str),
    /// The flow goes on with the question of this key.
    Ask(&'static str),
}

/// One answer a question offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// What [`Answers`] stores: `yes`, `no`, `none`, `low`, `high`.
    pub id: &'static str,
    pub text: Words,
    pub then: Then,
}

/// One question of the rubric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Question {
    /// The rubric calculator's answer key (`XAVN`).
    pub key: &'static str,
    /// The rubric's number within its metric (`Q1`, `Q5.1`, `Q1.C`).
    pub label: &'static str,
    pub metric: Metric,
    /// The impact category of a C, I or A question.
    pub category: Option<Category>,
    pub text: Words,
    /// Guidance and medical-device examples.
    pub help: Words,
    pub choices: &'static [Choice],
}

impl Question {
    pub fn choice(&self, id: &str) -> Option<&'static Choice> {
        self.choices.iter().find(|c| c.id == id)
    }
}

const fn yes(text: Words, then: Then) -> Choice {
    Choice {
        id: "yes",
        text,
        then,
    }
}

const fn no(text: Words, then: Then) -> Choice {
    Choice {
        id: "no",
        text,
        then,
    }
}

const YES: Words = Words::new("예", "Yes");
const NO: Words = Words::new("아니오", "No");

/// The three impact answers of a confidentiality question (CVSS v3.1
/// 2.3.1: High is a total loss or a serious consequence).
const C_CHOICES: [Choice; 3] = [
    Choice {
        id: "none",
        text: Words::new("읽을 수 없음", "No: nothing of it can be read"),
        then: Then::Value("N"),
    },
    Choice {
        id: "low",
        text: Words::new(
            "일부만 읽을 수 있거나 무엇을 얻을지 공격자가 통제할 수 없고, 심각한 결과로 이어지지 않음",
            "Some of it, or without control over what is obtained, and without a serious consequence",
        ),
        then: Then::Value("L"),
    },
    Choice {
        id: "high",
        text: Words::new(
            "전부 또는 공격자가 원하는 것을 읽을 수 있거나, 노출이 심각한 결과로 이어짐",
            "All of it, or whatever the attacker chooses, or the disclosure has a serious consequence",
        ),
        then: Then::Value("H"),
    },
];

const I_CHOICES: [Choice; 3] = [
    Choice {
        id: "none",
        text: Words::new("변경할 수 없음", "No: nothing of it can be modified"),
        then: Then::Value("N"),
    },
    Choice {
        id: "low",
        text: Words::new(
            "일부를 변경할 수 있으나 범위나 결과를 공격자가 통제할 수 없고, 직접적이고 심각한 결과가 없음",
            "Some of it, without control over the extent or consequence, and without a direct, serious consequence",
        ),
        then: Then::Value("L"),
    },
    Choice {
        id: "high",
        text: Words::new(
            "전부 또는 공격자가 원하는 것을 변경할 수 있거나, 변경이 직접적이고 심각한 결과로 이어짐",
            "All of it, or whatever the attacker chooses, or the change has a direct, serious consequence",
        ),
        then: Then::Value("H"),
    },
];

const A_CHOICES: [Choice; 3] = [
    Choice {
        id: "none",
        text: Words::new(
            "가용성에 영향이 없음",
            "No: its availability is not affected",
        ),
        then: Then::Value("N"),
    },
    Choice {
        id: "low",
        text: Words::new(
            "성능 저하나 간헐적 중단이 있으나 완전히 사용할 수 없게 되지는 않음",
            "Reduced performance or interruptions, but it is not wholly denied",
        ),
        then: Then::Value("L"),
    },
    Choice {
        id: "high",
        text: Words::new(
            "완전히 사용할 수 없게 되거나(지속적·반복적), 중단이 심각한 결과로 이어짐",
            "It is wholly denied (sustained or repeatable), or the denial has a serious consequence",
        ),
        then: Then::Value("H"),
    },
];

const XCP_CHOICES: [Choice; 2] = [
    Choice {
        id: "none",
        text: Words::new("읽을 수 없음", "No: no PHI or PII can be read"),
        then: Then::Value("N"),
    },
    Choice {
        id: "yes",
        text: Words::new(
            "읽을 수 있음(규모는 다음 질문)",
            "Yes (how much: next question)",
        ),
        then: Then::Ask("XCPM"),
    },
];

/// An impact question of a category.
const fn impact(
    key: &'static str,
    label: &'static str,
    metric: Metric,
    category: Category,
    text: Words,
    help: Words,
    choices: &'static [Choice],
) -> Question {
    Question {
        key,
        label,
        metric,
        category: Some(category),
        text,
        help,
        choices,
    }
}

/// A decision question.
const fn decide(
    key: &'static str,
    label: &'static str,
    metric: Metric,
    text: Words,
    help: Words,
    choices: &'static [Choice],
) -> Question {
    Question {
        key,
        label,
        metric,
        category: None,
        text,
        help,
        choices,
    }
}

const PHI_HELP: Words = Words::new(
    "환자 이름, 등록번호, 생체신호, 진단 결과 등 개인을 알아볼 수 있는 건강정보와 개인정보.",
    "Health and personal information that identifies a person: names, record numbers, biosignals, results.",
);
const DIAGNOSIS_HELP: Words = Words::new(
    "측정값, 파형(심전도 등), 경보, 영상, 분석 결과와 이를 만드는 기능.",
    "Measurements, waveforms (an ECG), alarms, images, analysis results, and the functions that produce them.",
);
const THERAPY_HELP: Words = Words::new(
    "투여량·속도, 자극 설정, 치료 명령과 치료를 수행하는 기능(주입 펌프, 이식형 기기).",
    "Doses and rates, stimulation settings, therapy commands, and the functions that deliver therapy (an infusion pump, an implant).",
);
const WORKFLOW_HELP: Words = Words::new(
    "처방·오더, 일정, 기기와 EMR·PACS 사이의 자료 전달 등 진료 과정의 운영.",
    "Orders, schedules, data passed between the device and the EMR or PACS: the running of the care process.",
);
const SECRETS_HELP: Words = Words::new(
    "비밀번호, 암호키, 인증서 개인키, 토큰 등 시스템과 사용자의 비밀 정보.",
    "Passwords, cryptographic keys, certificate private keys, tokens: secrets of the system and its users.",
);
const OTHER_HELP: Words = Words::new(
    "설정, 감사기록, 안전 기능 등 위 범주에 들지 않는 중요하거나 민감한 데이터와 기능.",
    "Configuration, audit records, safety functions: critical or sensitive data and functions outside the categories above.",
);

/// Every question, in the order the questionnaire asks them.
pub static QUESTIONS: [Question; 31] = [
    // --- Attack Vector -------------------------------------------------
    decide(
        "XAVN",
        "Q1",
        Metric::AttackVector,
        Words::new(
            "라우터를 하나 이상 거치는 원격 네트워크(인터넷, 라우터나 VPN을 거쳐 닿는 병원 네트워크, 이동통신망)에서 취약점을 악용할 수 있습니까?",
            "Can the vulnerability be exploited from a remote network, across one or more routers (the Internet, a hospital network reached through routers or a VPN, a mobile network)?",
        ),
        Words::new(
            "병원이 적용할 수 있는 네트워크 분리나 방화벽은 고려하지 않습니다(환경 지표에서 다룸). 기기를 라우팅되는 네트워크에 연결할 수 있으면 '예'입니다.",
            "Take no credit for segmentation or firewalls the hospital may apply (those belong to the environmental metrics): if the device can be connected to a routed network, answer yes.",
        ),
        &[yes(YES, Then::Value("N")), no(NO, Then::Ask("XAVT"))],
    ),
    decide(
        "XAVT",
        "Q2",
        Metric::AttackVector,
        Words::new(
            "공격이 라우터를 넘지 않는 같은 로컬 네트워크 구간(같은 서브넷이나 VLAN, 직접 연결한 이더넷, 같은 Wi-Fi 네트워크)으로 한정됩니까?",
            "Is the attack limited to the same local network segment without crossing a router (the same subnet or VLAN, a direct Ethernet cable, the same Wi-Fi network)?",
        ),
        Words::new(
            "예: 같은 병동 네트워크의 다른 장비에서만 보낼 수 있는 브로드캐스트·멀티캐스트 패킷.",
            "For example broadcast or multicast packets that only another host on the same ward network can send.",
        ),
        &[yes(YES, Then::Value("A")), no(NO, Then::Ask("XAVW"))],
    ),
    decide(
        "XAVW",
        "Q3",
        Metric::AttackVector,
        Words::new(
            "근거리 무선 통신(블루투스·BLE, NFC, Zigbee, MICS 같은 이식형 기기 원격측정, 독자 RF)으로 기기의 전파 범위 안에서 악용할 수 있습니까?",
            "Can the vulnerability be exploited over short-range wireless communication (Bluetooth or BLE, NFC, Zigbee, implant telemetry such as MICS, proprietary RF), within radio range of the device?",
        ),
        Words::new(
            "특수 안테나로 거리를 늘릴 수 있어도 근거리 무선은 인접(Adjacent)입니다.",
            "Short-range wireless is Adjacent even where special antennas can extend the range.",
        ),
        &[yes(YES, Then::Value("A")), no(NO, Then::Ask("XAVR"))],
    ),
    decide(
        "XAVR",
        "Q4",
        Metric::AttackVector,
        Words::new(
            "공격자에게 기기의 로컬 세션(콘솔, 셸, 로컬 사용자 계정, 같은 기기의 앱)이 필요하거나, 누군가가 기기 소프트웨어가 읽는 파일이나 매체(USB 메모리의 악성 파일, 조작된 DICOM 파일)를 열어야 합니까?",
            "Does the attacker need a local session on the device (a console, a shell, a local user account, an app on the same host), or must someone open a file or media the device's software reads (a malicious file on a USB stick, a crafted DICOM file)?",
        ),
        Words::new(
            "CVSS v3.1의 로컬(L): 네트워크 스택에 묶이지 않고 읽기·쓰기·실행 권한으로 공격함.",
            "CVSS v3.1 Local: the component is not bound to the network stack and the attack goes through read, write or execute capabilities.",
        ),
        &[yes(YES, Then::Value("L")), no(NO, Then::Ask("XAVP"))],
    ),
    decide(
        "XAVP",
        "Q5",
        Metric::AttackVector,
        Words::new(
            "공격자가 기기 앞에 물리적으로 있어야 합니까?",
            "Must the attacker be physically present at the device?",
        ),
        Words::new(
            "'아니오'이면 Q1–Q4 중 어느 경로에도 맞지 않는 것입니다. 경로를 특정할 수 없으므로 CVSS 사용자 안내서의 합리적 최악의 경우인 네트워크(N)로 평가하며, 답을 다시 검토해야 합니다.",
            "No means that none of Q1–Q4 fits either: the path cannot be placed, so it is scored as the reasonable worst case of the CVSS user guide, Network; revisit the answers.",
        ),
        &[yes(YES, Then::Ask("XAVPA")), no(NO, Then::Value("N"))],
    ),
    decide(
        "XAVPA",
        "Q5.1",
        Metric::AttackVector,
        Words::new(
            "그 물리적 접근으로 공격자가 하드웨어 자체를 만지거나 조작해야 합니까(외함 개방, 디버그·JTAG·서비스 커넥터 연결, DMA 가능한 주변장치 연결, 저장 칩 분리)? 기기의 일반 인터페이스(키패드, 터치스크린, 소프트웨어가 읽는 포트)만 쓰는 경우는 '아니오'입니다.",
            "With that access, must the attacker touch or manipulate the hardware itself (open the enclosure, connect to a debug, JTAG or service connector, attach a DMA-capable peripheral, remove a storage chip)? Using only the device's ordinary interfaces (keypad, touchscreen, a port its software reads from) is no.",
        ),
        Words::new(
            "CVSS v3.1: 키보드·콘솔 접근은 로컬(L), 구성요소를 물리적으로 만지거나 조작해야 하는 공격은 물리적(P).",
            "CVSS v3.1: keyboard or console access is Local; an attack that must physically touch or manipulate the component is Physical.",
        ),
        &[yes(YES, Then::Value("P")), no(NO, Then::Value("L"))],
    ),
    // --- Attack Complexity ---------------------------------------------
    decide(
        "XACL",
        "Q1",
        Metric::AttackComplexity,
        Words::new(
            "공격자가 통제할 수 없는 조건 없이 원할 때마다 공격에 성공할 수 있습니까(이겨야 할 경쟁 조건, 먼저 알아내야 할 이 기기만의 비밀이나 설정, 확보해야 할 중간자 위치, 우회해야 할 익스플로잇 완화 기법이 없음)?",
            "Can the attacker succeed at will, every time, without conditions beyond their control (no race to win, no secret or configuration of this particular device to learn first, no man-in-the-middle position to obtain, no exploit mitigation to defeat)?",
        ),
        Words::new(
            "사용자 상호작용과 필요 권한은 여기서 고려하지 않습니다(별도 지표).",
            "User interaction and privileges are not considered here (they are metrics of their own).",
        ),
        &[yes(YES, Then::Value("L")), no(NO, Then::Value("H"))],
    ),
    // --- Privileges Required -------------------------------------------
    decide(
        "XPRL",
        "Q1",
        Metric::PrivilegesRequired,
        Words::new(
            "기기나 취약한 기능에 인증하지 않고 취약점을 악용할 수 있습니까?",
            "Can the vulnerability be exploited without authenticating to the device or the vulnerable function?",
        ),
        Words::new(
            "예: 인증 없이 열려 있는 BLE 특성, 로그인 전에 처리되는 메시지.",
            "For example a BLE characteristic open without authentication, a message processed before login.",
        ),
        &[yes(YES, Then::Value("N")), no(NO, Then::Ask("XPRZ"))],
    ),
    decide(
        "XPRZ",
        "Q2",
        Metric::PrivilegesRequired,
        Words::new(
            "필요한 권한을 어떤 공격자든 사실상 거저 얻을 수 있습니까(기본·공유·하드코딩·공개된 인증정보, 누구나 읽을 수 있는 인증정보, 쉽게 우회되는 인증)?",
            "Are the privileges needed effectively free to any attacker (default, shared, hard-coded or published credentials, credentials anyone can read, authentication that is trivially bypassed)?",
        ),
        Words::new(
            "루브릭은 이런 권한을 '권한 없음'으로 봅니다.",
            "The rubric treats such privileges as none.",
        ),
        &[yes(YES, Then::Value("N")), no(NO, Then::Ask("XPRS"))],
    ),
    decide(
        "XPRS",
        "Q3",
        Metric::PrivilegesRequired,
        Words::new(
            "공격에 일반 사용자(의료인, 환자)의 권한이 아니라 관리자·서비스 등 높은 권한(기기 관리자, 의공기사·현장 서비스 계정, root)이 필요합니까?",
            "Does the attack need administrative, service or other elevated privileges (device administrator, biomedical engineer or field-service account, root) rather than those of an ordinary user (a clinician, a patient)?",
        ),
        Words::new(
            "'아니오'이면 일반 사용자 권한이 필요한 것입니다(낮음).",
            "No means an ordinary user's privileges are needed (Low).",
        ),
        &[yes(YES, Then::Value("H")), no(NO, Then::Value("L"))],
    ),
    // --- User Interaction ----------------------------------------------
    decide(
        "XUI",
        "Q1",
        Metric::UserInteraction,
        Words::new(
            "공격이 성공하려면 공격자가 아닌 사람(의료인, 환자, 기사)이 행동해야 합니까(파일이나 링크 열기, 기기 페어링·연결, 안내 수락, 업데이트나 시술 시작)?",
            "Does a successful attack need a person other than the attacker (a clinician, the patient, a technician) to act: open a file or link, pair or connect a device, accept a prompt, start an update or a procedure?",
        ),
        Words::new(
            "누구의 참여 없이 공격자가 일으킬 수 있거나, 기기가 자동으로 하는 일상 동작(서버 폴링)이면 '아니오'입니다.",
            "If the attacker can trigger it without anyone's participation, or it happens in routine automatic operation (the device polls a server), answer no.",
        ),
        &[yes(YES, Then::Value("R")), no(NO, Then::Value("N"))],
    ),
    // --- Scope ---------------------------------------------------------
    decide(
        "XS",
        "Q1",
        Metric::Scope,
        Words::new(
            "악용된 구성요소가 자신의 보안 권한 범위 밖의 구성요소에 영향을 줄 수 있습니까(장악된 프로그래머·게이트웨이가 제어하는 이식형 기기나 펌프, 병원 네트워크의 다른 기기·시스템 공격에 쓰이는 기기, 장악되면 다른 환자의 기기에 닿는 서버)?",
            "Can the exploited component affect components beyond its own security authority (a compromised programmer or gateway reaching the implant or pump it controls, a device used to attack other devices or systems on the hospital network, a server whose compromise reaches other patients' devices)?",
        ),
        Words::new(
            "'예'이면 C, I, A는 영향받는 구성요소 중 가장 큰 영향으로 답합니다.",
            "If yes, answer C, I and A for the most affected component.",
        ),
        &[yes(YES, Then::Value("C")), no(NO, Then::Value("U"))],
    ),
    // --- Confidentiality -----------------------------------------------
    impact(
        "XCP",
        "Q1.C",
        Metric::Confidentiality,
        Category::Phi,
        Words::new(
            "공격자가 PHI/PII를 읽을 수 있습니까?",
            "Can the attacker read PHI or PII?",
        ),
        PHI_HELP,
        &XCP_CHOICES,
    ),
    decide(
        "XCPM",
        "Q1.1.C",
        Metric::Confidentiality,
        Words::new(
            "한 환자나 소수가 아니라 많은 환자(기기 저장소 전체, 병원의 기록)의 기록을 얻을 수 있습니까?",
            "Can the attacker obtain the records of many patients (the device's whole store, a hospital's records) rather than of one patient or a few?",
        ),
        Words::new(
            "대량 노출은 높음, 한 환자나 소수의 노출은 낮음으로 평가합니다.",
            "A large-scale disclosure is High; one patient's or a few is Low.",
        ),
        &[yes(YES, Then::Value("H")), no(NO, Then::Value("L"))],
    ),
    impact(
        "XCD",
        "Q2.C",
        Metric::Confidentiality,
        Category::Diagnosis,
        Words::new(
            "진단·모니터링 관련 데이터나 기능의 정보를 공격자가 읽을 수 있습니까?",
            "Can the attacker read data of diagnosis or monitoring?",
        ),
        DIAGNOSIS_HELP,
        &C_CHOICES,
    ),
    impact(
        "XCT",
        "Q3.C",
        Metric::Confidentiality,
        Category::Therapy,
        Words::new(
            "치료 전달 관련 데이터나 기능의 정보를 공격자가 읽을 수 있습니까?",
            "Can the attacker read data of therapy delivery?",
        ),
        THERAPY_HELP,
        &C_CHOICES,
    ),
    impact(
        "XCW",
        "Q4.C",
        Metric::Confidentiality,
        Category::ClinicalWorkflow,
        Words::new(
            "임상 업무 흐름 관련 데이터를 공격자가 읽을 수 있습니까?",
            "Can the attacker read data of the clinical workflow?",
        ),
        WORKFLOW_HELP,
        &C_CHOICES,
    ),
    impact(
        "XCS",
        "Q5.C",
        Metric::Confidentiality,
        Category::SystemSecrets,
        Words::new(
            "공격자가 시스템·사용자 비밀 정보를 읽을 수 있습니까?",
            "Can the attacker read private system or system-user data?",
        ),
        SECRETS_HELP,
        &C_CHOICES,
    ),
    impact(
        "XCO",
        "Q6.C",
        Metric::Confidentiality,
        Category::Other,
        Words::new(
            "그 밖의 중요·민감 데이터를 공격자가 읽을 수 있습니까?",
            "Can the attacker read other critical or sensitive data?",
        ),
        OTHER_HELP,
        &C_CHOICES,
    ),
    // --- Integrity -----------------------------------------------------
    impact(
        "XIP",
        "Q1.I",
        Metric::Integrity,
        Category::Phi,
        Words::new(
            "공격자가 PHI/PII를 변경하거나 삭제할 수 있습니까?",
            "Can the attacker modify or delete PHI or PII?",
        ),
        PHI_HELP,
        &I_CHOICES,
    ),
    impact(
        "XID",
        "Q2.I",
        Metric::Integrity,
        Category::Diagnosis,
        Words::new(
            "공격자가 진단·모니터링 데이터나 기능을 변경할 수 있습니까(잘못된 측정값, 억제된 경보)?",
            "Can the attacker modify data or functions of diagnosis or monitoring (false measurements, suppressed alarms)?",
        ),
        DIAGNOSIS_HELP,
        &I_CHOICES,
    ),
    impact(
        "XIT",
        "Q3.I",
        Metric::Integrity,
        Category::Therapy,
        Words::new(
            "공격자가 치료 전달 데이터나 기능을 변경할 수 있습니까(투여량, 속도, 치료 설정)?",
            "Can the attacker modify data or functions of therapy delivery (dose, rate, therapy settings)?",
        ),
        THERAPY_HELP,
        &I_CHOICES,
    ),
    impact(
        "XIW",
        "Q4.I",
        Metric::Integrity,
        Category::ClinicalWorkflow,
        Words::new(
            "공격자가 임상 업무 흐름 데이터나 기능을 변경할 수 있습니까?",
            "Can the attacker modify data or functions of the clinical workflow?",
        ),
        WORKFLOW_HELP,
        &I_CHOICES,
    ),
    impact(
        "XIS",
        "Q5.I",
        Metric::Integrity,
        Category::SystemSecrets,
        Words::new(
            "공격자가 시스템·사용자 비밀 정보를 변경할 수 있습니까(비밀번호 재설정, 키 교체)?",
            "Can the attacker modify private system or system-user data (reset passwords, replace keys)?",
        ),
        SECRETS_HELP,
        &I_CHOICES,
    ),
    impact(
        "XIO",
        "Q6.I",
        Metric::Integrity,
        Category::Other,
        Words::new(
            "공격자가 그 밖의 중요·민감 데이터나 기능을 변경할 수 있습니까?",
            "Can the attacker modify other critical or sensitive data or functions?",
        ),
        OTHER_HELP,
        &I_CHOICES,
    ),
    // --- Availability --------------------------------------------------
    impact(
        "XAP",
        "Q1.A",
        Metric::Availability,
        Category::Phi,
        Words::new(
            "공격자가 PHI/PII를 사용할 수 없게 만들 수 있습니까?",
            "Can the attacker make PHI or PII unavailable?",
        ),
        PHI_HELP,
        &A_CHOICES,
    ),
    impact(
        "XAD",
        "Q2.A",
        Metric::Availability,
        Category::Diagnosis,
        Words::new(
            "공격자가 진단·모니터링 데이터나 기능을 사용할 수 없게 만들 수 있습니까?",
            "Can the attacker make data or functions of diagnosis or monitoring unavailable?",
        ),
        DIAGNOSIS_HELP,
        &A_CHOICES,
    ),
    impact(
        "XAT",
        "Q3.A",
        Metric::Availability,
        Category::Therapy,
        Words::new(
            "공격자가 치료 전달을 멈추거나 치료 기능을 사용할 수 없게 만들 수 있습니까?",
            "Can the attacker stop therapy delivery or make therapy functions unavailable?",
        ),
        THERAPY_HELP,
        &A_CHOICES,
    ),
    impact(
        "XAW",
        "Q4.A",
        Metric::Availability,
        Category::ClinicalWorkflow,
        Words::new(
            "공격자가 임상 업무 흐름 데이터나 기능을 사용할 수 없게 만들 수 있습니까?",
            "Can the attacker make data or functions of the clinical workflow unavailable?",
        ),
        WORKFLOW_HELP,
        &A_CHOICES,
    ),
    impact(
        "XAS",
        "Q5.A",
        Metric::Availability,
        Category::SystemSecrets,
        Words::new(
            "공격자가 시스템·사용자 비밀 정보를 사용할 수 없게 만들 수 있습니까(계정 잠금, 키 삭제)?",
            "Can the attacker make private system or system-user data unavailable (lock accounts, delete keys)?",
        ),
        SECRETS_HELP,
        &A_CHOICES,
    ),
    impact(
        "XAO",
        "Q6.A",
        Metric::Availability,
        Category::Other,
        Words::new(
            "공격자가 그 밖의 중요·민감 데이터나 기능을 사용할 수 없게 만들 수 있습니까?",
            "Can the attacker make other critical or sensitive data or functions unavailable?",
        ),
        OTHER_HELP,
        &A_CHOICES,
    ),
];

/// The question of an answer key.
pub fn question(key: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.key == key)
}

/// What an analyst answered: stored with a finding, so that the vector
/// can be recomputed and every choice shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Answer key (`XAVN`) → choice id (`yes`).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// The analyst's free-text justification per metric.
    #[serde(default)]
    pub justifications: BTreeMap<Metric, String>,
}

/// Answers that cannot be assessed, naming the answer at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RubricError {
    #[error("answers.{key}: no question of the rubric has this key")]
    UnknownQuestion { key: String },
    #[error("answers.{key}: `{choice}` is not an answer to {metric} {label} (one of: {allowed})")]
    UnknownChoice {
        key: String,
        metric: &'static str,
        label: &'static str,
        choice: String,
        allowed: String,
    },
    #[error("{metric} {label} ({key}) is not answered")]
    Unanswered {
        metric: &'static str,
        key: &'static str,
        label: &'static str,
    },
    #[error("the vector {vector} does not parse: {message}")]
    Vector { vector: String, message: String },
    #[error("the flow from {key} does not end: the questionnaire has a cycle")]
    Flow { key: &'static str },
}

/// One question on the path taken, with its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    pub question: Text,
    /// The choice id.
    pub answer: String,
    pub answer_text: Text,
    /// The value this step ended in, when it ended the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A metric's value and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricRationale {
    pub metric: Metric,
    /// The vector value (`N`).
    pub value: String,
    pub value_name: Text,
    /// The questions answered on the way, in order; for C, I and A every
    /// category's path.
    pub steps: Vec<Step>,
    /// The analyst's justification (empty when none was given).
    pub justification: String,
}

/// The result of a questionnaire: the vector and each metric's rationale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// `CVSS:3.1/AV:…/AC:…/PR:…/UI:…/S:…/C:…/I:…/A:…`.
    pub vector: String,
    pub base_score: f64,
    /// `none`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub metrics: Vec<MetricRationale>,
    /// Answers to questions off the path taken: kept, but they did not
    /// count.
    pub unused: Vec<String>,
}

/// At most this many questions follow each other in a flow; a longer walk
/// would be a cycle in the static data.
const MAX_STEPS: usize = 8;

impl Answers {
    /// Records an answer (builder style, for code that fills a
    /// questionnaire).
    pub fn with(mut self, key: &str, choice: &str) -> Answers {
        self.answers.insert(key.to_owned(), choice.to_owned());
        self
    }

    /// Records a metric's justification.
    pub fn justify(mut self, metric: Metric, text: &str) -> Answers {
        self.justifications.insert(metric, text.to_owned());
        self
    }

    /// The next question to ask: the first one on the current path that
    /// has no answer, metric by metric; `None` when the questionnaire is
    /// complete.
    pub fn next(&self) -> Option<&'static Question> {
        for metric in Metric::ALL {
            for entry in metric.entries() {
                let mut key = *entry;
                for _ in 0..MAX_STEPS {
                    let q = question(key)?;
                    let Some(choice) = self.answers.get(key).and_then(|c| q.choice(c)) else {
                        return Some(q);
                    };
                    match choice.then {
                        Then::Value(_) => break,
                        Then::Ask(k) => key = k,
                    }
                }
            }
        }
        None
    }

    /// Checks every answer names a question and one of its choices.
    fn check(&self) -> Result<(), RubricError> {
        for (key, choice) in &self.answers {
            let q =
                question(key).ok_or_else(|| RubricError::UnknownQuestion { key: key.clone() })?;
            if q.choice(choice).is_none() {
                return Err(RubricError::UnknownChoice {
                    key: key.clone(),
                    metric: q.metric.abbrev(),
                    label: q.label,
                    choice: choice.clone(),
                    allowed: q
                        .choices
                        .iter()
                        .map(|c| c.id)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }

    /// Walks a flow from `entry`: its steps and the value it ends in.
    fn walk(&self, entry: &'static str) -> Result<(Vec<Step>, &'static str), RubricError> {
        let mut steps = Vec::new();
        let mut key = entry;
        for _ in 0..MAX_STEPS {
            let q = question(key).ok_or_else(|| RubricError::UnknownQuestion {
                key: key.to_owned(),
            })?;
            let unanswered = || RubricError::Unanswered {
                metric: q.metric.abbrev(),
                key: q.key,
                label: q.label,
            };
            let choice = self
                .answers
                .get(key)
                .and_then(|c| q.choice(c))
                .ok_or_else(unanswered)?;
            let mut step = Step {
                key: q.key.to_owned(),
                label: q.label.to_owned(),
                category: q.category,
                question: q.text.text(),
                answer: choice.id.to_owned(),
                answer_text: choice.text.text(),
                value: None,
            };
            match choice.then {
                Then::Value(v) => {
                    step.value = Some(v.to_owned());
                    steps.push(step);
                    return Ok((steps, v));
                }
                Then::Ask(k) => {
                    steps.push(step);
                    key = k;
                }
            }
        }
        Err(RubricError::Flow { key: entry })
    }

    /// Assesses complete answers: every metric's value with its path,
    /// and the vector scored by `medsec-cvss`.
    pub fn assess(&self) -> Result<Assessment, RubricError> {
        self.check()?;
        let mut metrics = Vec::new();
        let mut used: Vec<String> = Vec::new();
        for metric in Metric::ALL {
            let mut steps = Vec::new();
            let mut best: Option<&'static str> = None;
            for entry in metric.entries() {
                let (path, value) = self.walk(entry)?;
                used.extend(path.iter().map(|s| s.key.clone()));
                steps.extend(path);
                if best.is_none_or(|b| metric.rank(value) > metric.rank(b)) {
                    best = Some(value);
                }
            }
            let value = best.unwrap_or("N");
            let value_name = metric
                .values()
                .iter()
                .find(|(v, _)| *v == value)
                .map(|(_, w)| w.text())
                .unwrap_or_default();
            metrics.push(MetricRationale {
                metric,
                value: value.to_owned(),
                value_name,
                steps,
                justification: self
                    .justifications
                    .get(&metric)
                    .cloned()
                    .unwrap_or_default(),
            });
        }
        let vector = format!(
            "CVSS:3.1/{}",
            metrics
                .iter()
                .map(|m| format!("{}:{}", m.metric.abbrev(), m.value))
                .collect::<Vec<_>>()
                .join("/")
        );
        let parsed = medsec_cvss::Vector::parse(&vector).map_err(|e| RubricError::Vector {
            vector: vector.clone(),
            message: e.to_string(),
        })?;
        let score = parsed.base_score();
        let unused = self
            .answers
            .keys()
            .filter(|k| !used.contains(k))
            .cloned()
            .collect();
        Ok(Assessment {
            vector,
            base_score: score.value(),
            severity: parsed.severity(score).as_str().to_owned(),
            metrics,
            unused,
        })
    }
}

#[cfg(test)]
mod tests;
