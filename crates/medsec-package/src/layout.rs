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
}

/// How the package's folders are organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The three documents MFDS asks for (seed 000): 필수원칙 체크리스트,
    /// 사이버보안 위험관리 문서, 소프트웨어 검증 및 유효성 확인 자료.
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
                Kind::Checklist => "1-checklist",
                Kind::RiskReport
                | Kind::RiskRegister
                | Kind::ThreatReport
                | Kind::Diagram
                | Kind::ThreatDragon
                | Kind::Sbom
                | Kind::VulnerabilityAssessment => "2-risk-management",
                Kind::TestSummary | Kind::TestPlan | Kind::Anomalies | Kind::Trace => {
                    "3-verification-validation"
                }
                Kind::Scan => "3-verification-validation/scans",
                Kind::Evidence => "3-verification-validation/evidence",
            },
            Layout::Fda2023 => match kind {
                Kind::RiskReport => "V.A-security-risk-management-report",
                Kind::ThreatReport | Kind::ThreatDragon => "V.A.1-threat-model",
                Kind::RiskRegister => "V.A.2-cybersecurity-risk-assessment",
                Kind::Sbom | Kind::VulnerabilityAssessment => "V.A.4-sbom",
                Kind::Anomalies => "V.A.5-unresolved-anomalies",
                Kind::Checklist => "V.B.1-security-requirements",
                Kind::Diagram => "V.B.2-architecture-views",
                Kind::TestSummary | Kind::TestPlan => "V.C-cybersecurity-testing",
                Kind::Scan => "V.C-cybersecurity-testing/scans",
                Kind::Evidence => "V.C-cybersecurity-testing/evidence",
                Kind::Trace => "V.C-traceability",
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
            Kind::Sbom | Kind::VulnerabilityAssessment => DocId::D5,
            Kind::Anomalies => DocId::D6,
            Kind::TestSummary | Kind::TestPlan | Kind::Trace | Kind::Scan | Kind::Evidence => {
                DocId::D7
            }
        }
    }
}
