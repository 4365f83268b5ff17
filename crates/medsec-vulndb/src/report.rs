//! Scan results as documents: medsec's JSON and SARIF 2.1.0 (for code
//! scanning dashboards and CI), and the exit decision of `--fail-on`.

use serde_json::{Value, json};

use crate::matcher::{Component, Finding};
use crate::score::Level;

/// What makes `medsec sbom scan --fail-on` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any finding of this level or above.
    Level(Level),
    /// Any finding on the CISA KEV list.
    Kev,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        if s.eq_ignore_ascii_case("kev") {
            return Some(FailOn::Kev);
        }
        Level::parse(s).map(FailOn::Level)
    }

    /// Whether a finding trips the gate. Informational RustSec warnings
    /// (unmaintained, unsound) never do, as with cargo-audit's default.
    pub fn trips(self, f: &Finding) -> bool {
        if f.informational.is_some() {
            return false;
        }
        match self {
            FailOn::Kev => f.kev.is_some(),
            FailOn::Level(min) => f.level.unwrap_or(Level::Medium) >= min,
        }
    }
}

fn component_json(c: &Component) -> Value {
    json!({
        "name": c.name,
        "version": c.version,
        "purl": c.purl.as_ref().map(purl_text),
        "cpes": c.cpes,
    })
}

/// The purl as text, for display (the matcher keeps it decoded).
pub fn purl_text(p: &crate::matcher::Purl) -> String {
    let mut s = format!("pkg:{}/", p.ty);
    if let Some(ns) = &p.namespace {
        s.push_str(ns);
        s.push('/');
    }
    s.push_str(&p.name);
    if let Some(v) = &p.version {
        s.push('@');
        s.push_str(v);
    }
    s
}

/// medsec's JSON scan result.
pub fn json(source: &str, components: &[Component], findings: &[Finding]) -> Value {
    let list: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            if let (Value::Object(map), Some(c)) = (&mut v, components.get(f.component)) {
                map.insert("component".into(), component_json(c));
            }
            v
        })
        .collect();
    json!({
        "source": source,
        "components": components.len(),
        "findings": list,
    })
}

fn sarif_level(f: &Finding) -> &'static str {
    if f.informational.is_some() {
        return "note";
    }
    match f.level {
        Some(Level::Critical | Level::High) => "error",
        Some(Level::Medium) | None => "warning",
        Some(Level::Low | Level::None) => "note",
    }
}

/// SARIF 2.1.0: one rule per vulnerability, one result per finding,
/// located at the SBOM file and the component (a logical location).
pub fn sarif(source: &str, components: &[Component], findings: &[Finding]) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index: std::collections::HashMap<&str, usize> = Default::default();
    for f in findings {
        if rule_index.contains_key(f.id.as_str()) {
            continue;
        }
        rule_index.insert(&f.id, rules.len());
        let mut properties = json!({ "tags": ["security", "vulnerability"] });
        if let Some(cvss) = &f.cvss {
            properties["security-severity"] = json!(format!("{:.1}", cvss.score));
        }
        let text = if f.summary.is_empty() {
            f.id.clone()
        } else {
            f.summary.clone()
        };
        rules.push(json!({
            "id": f.id,
            "name": f.id,
            "shortDescription": { "text": text },
            "helpUri": help_uri(&f.id),
            "properties": properties,
        }));
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let c = components.get(f.component);
            let name = c.map_or_else(String::new, |c| match &c.version {
                Some(v) => format!("{}@{v}", c.name),
                None => c.name.clone(),
            });
            let reasons: Vec<String> = f
                .reasons
                .iter()
                .map(|r| format!("{} ({})", r.text, r.advisory))
                .collect();
            let mut message = format!("{name} is affected by {}: {}", f.id, reasons.join("; "));
            if f.kev.is_some() {
                message.push_str(" Known exploited (CISA KEV).");
            }
            let logical = c
                .and_then(|c| c.purl.as_ref().map(purl_text))
                .unwrap_or_else(|| name.clone());
            json!({
                "ruleId": f.id,
                "ruleIndex": rule_index.get(f.id.as_str()).copied().unwrap_or(0),
                "level": sarif_level(f),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": artifact_uri(source) } },
                    "logicalLocations": [{ "name": logical, "kind": "module" }]
                }],
                "properties": {
                    "priority": f.priority,
                    "kev": f.kev.is_some(),
                    "epss": f.epss.map(|e| e.probability),
                    "aliases": f.aliases,
                }
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "medsec",
                "informationUri": "https://github.com/medsec",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

/// A file path as a SARIF artifact URI: `file:///…` for an absolute
/// path, a relative reference otherwise, percent-encoded (SARIF §3.10
/// requires URIs, and a reference must not begin with `/`).
pub fn artifact_uri(path: &str) -> String {
    let mut out = String::new();
    let path = path.replace('\\', "/");
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to read about a vulnerability.
pub fn help_uri(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_uri_references() {
        assert_eq!(
            artifact_uri("/tmp/a b/bom.json"),
            "file:///tmp/a%20b/bom.json"
        );
        assert_eq!(artifact_uri("sbom/bom.cdx.json"), "sbom/bom.cdx.json");
        assert_eq!(artifact_uri("기기.json"), "%EA%B8%B0%EA%B8%B0.json");
    }

    #[test]
    fn fail_on_reads_levels_and_kev() {
        assert_eq!(FailOn::parse("KEV"), Some(FailOn::Kev));
        assert_eq!(FailOn::parse("high"), Some(FailOn::Level(Level::High)));
        assert_eq!(FailOn::parse("severe"), None);
    }
}
