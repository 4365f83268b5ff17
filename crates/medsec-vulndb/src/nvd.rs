//! NVD CVE API 2.0 `cve` objects into [`Advisory`]: descriptions, CVSS
//! metrics with their source and type, weaknesses, and the CPE
//! applicability configurations, kept whole (AND nodes and `negate`
//! included) for [`medsec_cpe`] to evaluate over an inventory.

use serde::Deserialize;

use crate::score::{CvssVersion, Origin, Severity};
use crate::{Advisory, Error, Result};

pub use medsec_cpe::Configuration;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cve {
    id: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangString>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    weaknesses: Vec<Weakness>,
    #[serde(default)]
    configurations: Vec<Configuration>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct LangString {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default)]
    cvss_metric_v40: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v31: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v30: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v2: Vec<Metric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(default)]
    source: String,
    #[serde(rename = "type", default)]
    kind: String,
    cvss_data: CvssData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    vector_string: String,
    base_score: f32,
}

#[derive(Deserialize)]
struct Weakness {
    #[serde(default)]
    description: Vec<LangString>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

pub(crate) fn parse(body: &str, origin: &str) -> Result<Advisory> {
    let cve: Cve = serde_json::from_str(body).map_err(|e| {
        Error::invalid(
            origin,
            format!(
                "not an NVD CVE record: {e} (line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut severity = Vec::new();
    for (list, version) in [
        (&cve.metrics.cvss_metric_v40, CvssVersion::V40),
        (&cve.metrics.cvss_metric_v31, CvssVersion::V31),
        (&cve.metrics.cvss_metric_v30, CvssVersion::V30),
        (&cve.metrics.cvss_metric_v2, CvssVersion::V2),
    ] {
        for m in list {
            severity.push(Severity {
                version,
                vector: m.cvss_data.vector_string.clone(),
                score: m.cvss_data.base_score,
                origin: if m.kind == "Primary" {
                    Origin::NvdPrimary
                } else {
                    Origin::NvdSecondary
                },
                by: m.source.clone(),
            });
        }
    }
    let summary = cve
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .or(cve.descriptions.first())
        .map(|d| d.value.trim().to_owned())
        .unwrap_or_default();
    let mut cwes: Vec<String> = cve
        .weaknesses
        .iter()
        .flat_map(|w| &w.description)
        .map(|d| d.value.clone())
        .filter(|v| v.starts_with("CWE-"))
        .collect();
    cwes.sort();
    cwes.dedup();
    let withdrawn = (cve.vuln_status.as_deref() == Some("Rejected"))
        .then(|| cve.last_modified.clone().unwrap_or_default());
    Ok(Advisory {
        id: cve.id,
        kind: None,
        aliases: Vec::new(),
        summary,
        published: cve.published,
        modified: cve.last_modified,
        withdrawn,
        informational: None,
        severity,
        severity_label: None,
        cwes,
        affected: Vec::new(),
        configurations: cve.configurations,
        products: Vec::new(),
        documents: Vec::new(),
        references: cve.references.into_iter().map(|r| r.url).collect(),
    })
}
