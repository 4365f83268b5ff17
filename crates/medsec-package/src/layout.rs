//! The two layouts: where each document goes, and which document of the
//! unified submission set (REGULATORY.md §5, `D1`–`D10`) it is with the
//! MFDS, IMDRF N60 and FDA 2023 sections that ask for it.

use serde::Serialize;

/// A document of the unified submission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum DocId {
    /// Characteristics sheet (the checklist header).
    D1,
    /// Requirement checklist for the edition.
    D2,
    /// Security risk report: threat model, exploitability before and
    /// after mitigation.
    D3,
    /// Architecture views.
    D4,
    /// SBOM with the known-vulnerability assessment.
    D5,
    /// Security assessment of unresolved anomalies.
    D6,
    /// Security test report and traceability matrix.
    D7,
    /// Labelling and customer security documentation.
    D8,
    /// TPLC cybersecurity management plan with the metrics and the CVD
    /// policy.
    D9,
    /// Interoperability considerations.
    D10,
}

impl DocId {
    pub fn as_str(self) -> &'static str {
        match self {
            DocId::D1 => "D1",
            DocId::D2 => "D2",
            DocId::D3 => "D3",
            DocId::D4 => "D4",
            DocId::D5 => "D5",
            DocId::D6 => "D6",
            DocId::D7 => "D7",
            DocId::D8 => "D8",
            DocId::D9 => "D9",
            DocId::D10 => "D10",
        }
    }
}

/// Where a document is asked for.
pub(crate) struct Info {
    pub mfds: &'static str,
    pub n60: &'static str,
    pub fda: &'static str,
}

/// The sections of REGULATORY.md §5's table.
pub(crate) fn info(doc: DocId) -> Info {
    match doc {
        DocId::D1 => Info {
            mfds: "필수원칙 체크리스트 (사이버 보안 특성) / essential-principles checklist header",
            n60: "5.6.1",
            fda: "V.B.2",
        },
        DocId::D2 => Info {
            mfds: "필수원칙 체크리스트 / essential-principles checklist",
            n60: "5.6.1",
            fda: "V.B.1, Appendix 1",
        },
        DocId::D3 => Info {
            mfds: "사이버보안 위험관리 문서 / cybersecurity risk-management document",
            n60: "5.6.2",
            fda: "V.A, V.A.1, V.A.2",
        },
        DocId::D4 => Info {
            mfds: "사이버보안 위험관리 문서 (자료흐름도) / risk-management document (data-flow diagram)",
            n60: "5.6.1",
            fda: "V.B.2, Appendix 2",
        },
        DocId::D5 => Info {
            mfds: "사이버보안 위험관리 문서 (SBOM 취약점 평가) / risk-management document (SBOM vulnerability assessment)",
            n60: "5.5.2",
            fda: "V.A.4",
        },
        DocId::D6 => Info {
            mfds: "소프트웨어 검증 및 유효성 확인 자료 (미해결 이상) / software V&V (unresolved anomalies)",
            n60: "5.6.3",
            fda: "V.A.5",
        },
        DocId::D7 => Info {
            mfds: "소프트웨어 검증 및 유효성 확인 자료 / software verification and validation",
            n60: "5.6.3",
            fda: "V.C",
        },
        DocId::D8 => Info {
            mfds: "사용자 매뉴얼 (사용자 보안 문서) / user manual (customer security documentation)",
            n60: "5.6.5 (5.5)",
            fda: "VI.A",
        },
        DocId::D9 => Info {
            mfds: "생산 및 생산 후 정보; 의료기기 사이버보안 보안지침 제17조–제22조 / production and post-production information; cybersecurity guideline Arts 17–22",
            n60: "5.6.4 (5.4)",
            fda: "VI.B, V.A.6",
        },
        DocId::D10 => Info {
            mfds: "해당 문서 없음 / no MFDS document",
            n60: "해당 절 없음 / no N60 section",
            fda: "V.A.3",
        },
    }
}

/// What a file of the package is; decides its folder in each layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Checklist,
    RiskReport,
    RiskRegister,
    ThreatReport,
    Diagram,
    ThreatDragon,
    Sbom,
    VulnerabilityAssessment,
    TestSummary,
    TestPlan,
    Anomalies,
    Trace,
    Scan,
    Evidence,
    /// D1 as PDF and JSON.
    Characteristics,
    /// The support of each SBOM component (D5).
    ComponentSupport,
    /// D8.
    Labelling,
    /// D9's plan, PDF and JSON.
    Tplc,
    /// D9's metrics (FDA V.A.6).
    Metrics,
    /// D10.
    Interoperability,
}

/// How the package's folders are organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The three documents MFDS asks for (seed 000): 필수원칙 체크리스트
    /// (with the characteristics sheet), 사이버보안 위험관리 문서 (with
    /// the interoperability considerations), 소프트웨어 검증 및 유효성
    /// 확인 자료; then the user manual's security part (4-labelling) and
    /// the post-market plan (5-postmarket).
    Mfds,
    /// The FDA 2023 premarket cybersecurity guidance's documentation, in
    /// its sections' order; every file names the MFDS document it also is.
    Fda2023,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Mfds => "mfds",
            Layout::Fda2023 => "fda-2023",
        }
    }

    pub fn parse(s: &str) -> Option<Layout> {
        match s {
            "mfds" => Some(Layout::Mfds),
            "fda" | "fda-2023" => Some(Layout::Fda2023),
            _ => None,
        }
    }

    /// The folder a file goes in.
    pub(crate) fn folder(self, kind: Kind) -> &'static str {
        match self {
            Layout::Mfds => match kind {
                Kind::Checklist | Kind::Characteristics => "1-checklist",
                Kind::RiskReport
                | Kind::RiskRegister
                | Kind::ThreatReport
                | Kind::Diagram
                | Kind::ThreatDragon
                | Kind::Sbom
                | Kind::ComponentSupport
                | Kind::Interoperability
                | Kind::VulnerabilityAssessment => "2-risk-management",
                Kind::TestSummary | Kind::TestPlan | Kind::Anomalies | Kind::Trace => {
                    "3-verification-validation"
                }
                Kind::Scan => "3-verification-validation/scans",
                Kind::Evidence => "3-verification-validation/evidence",
                Kind::Labelling => "4-labelling",
                Kind::Tplc | Kind::Metrics => "5-postmarket",
            },
            Layout::Fda2023 => match kind {
                Kind::RiskReport => "V.A-security-risk-management-report",
                Kind::ThreatReport | Kind::ThreatDragon => "V.A.1-threat-model",
                Kind::RiskRegister => "V.A.2-cybersecurity-risk-assessment",
                Kind::Interoperability => "V.A.3-interoperability",
                Kind::Sbom | Kind::VulnerabilityAssessment | Kind::ComponentSupport => "V.A.4-sbom",
                Kind::Metrics => "V.A.6-cybersecurity-metrics",
                Kind::Anomalies => "V.A.5-unresolved-anomalies",
                Kind::Checklist => "V.B.1-security-requirements",
                Kind::Diagram | Kind::Characteristics => "V.B.2-architecture-views",
                Kind::TestSummary | Kind::TestPlan => "V.C-cybersecurity-testing",
                Kind::Scan => "V.C-cybersecurity-testing/scans",
                Kind::Evidence => "V.C-cybersecurity-testing/evidence",
                Kind::Trace => "V.C-traceability",
                Kind::Labelling => "VI.A-labeling",
                Kind::Tplc => "VI.B-cybersecurity-management-plan",
            },
        }
    }
}

impl Kind {
    /// The document of the unified set the file is (part of).
    pub(crate) fn doc(self) -> DocId {
        match self {
            Kind::Checklist => DocId::D2,
            Kind::RiskReport | Kind::RiskRegister | Kind::ThreatReport | Kind::ThreatDragon => {
                DocId::D3
            }
            Kind::Diagram => DocId::D4,
            Kind::Characteristics => DocId::D1,
            Kind::Sbom | Kind::VulnerabilityAssessment | Kind::ComponentSupport => DocId::D5,
            Kind::Labelling => DocId::D8,
            Kind::Tplc | Kind::Metrics => DocId::D9,
            Kind::Interoperability => DocId::D10,
            Kind::Anomalies => DocId::D6,
            Kind::TestSummary | Kind::TestPlan | Kind::Trace | Kind::Scan | Kind::Evidence => {
                DocId::D7
            }
        }
    }
}
