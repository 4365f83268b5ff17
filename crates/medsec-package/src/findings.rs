//! SBOM findings as files: the JSON array of
//! [`SbomFinding`](medsec_assure::evidence::SbomFinding)s the assure part
//! reads, or what `medsec sbom scan --format json` writes (an object with
//! `findings`, each with its `component`), converted to the same.

use medsec_assure::evidence::SbomFinding;
use medsec_assure::evidence::sbom::{SbomComponent, SbomError, read_findings};
use serde_json::Value;

/// Reads findings from either form; errors name the finding and field.
pub fn read(json: &str) -> Result<Vec<SbomFinding>, SbomError> {
    let value: Value = serde_json::from_str(json).map_err(|e| SbomError {
        entry: String::new(),
        field: String::new(),
        message: e.to_string(),
    })?;
    let Some(list) = value.get("findings").and_then(Value::as_array) else {
        return read_findings(json);
    };
    let mut out = Vec::with_capacity(list.len());
    for (n, f) in list.iter().enumerate() {
        let err = |field: &str, message: &str| SbomError {
            entry: format!("[{n}]"),
            field: format!("findings[{n}].{field}"),
            message: message.to_owned(),
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let id = text(f.get("id")).ok_or_else(|| err("id", "missing or not a string"))?;
        let c = f
            .get("component")
            .ok_or_else(|| err("component", "missing"))?;
        let name =
            text(c.get("name")).ok_or_else(|| err("component.name", "missing or not a string"))?;
        let finding = SbomFinding {
            component: SbomComponent {
                name,
                version: text(c.get("version")),
                purl: text(c.get("purl")),
            },
            vulnerability: id,
            aliases: f
                .get("aliases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            summary: text(f.get("summary")).unwrap_or_default(),
            cvss: text(f.get("cvss").and_then(|c| c.get("vector"))),
            cwe: Vec::new(),
            kev: f.get("kev").is_some_and(|k| !k.is_null()),
            vex: None,
        };
        finding.check().map_err(|(field, message)| SbomError {
            entry: format!("[{n}] {}", finding.vulnerability),
            field,
            message,
        })?;
        out.push(finding);
    }
    Ok(out)
}
