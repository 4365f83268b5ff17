//! NVD applicability configurations (CVE API 2.0 `configurations`), with
//! exactly NVD's field names, and their evaluation against an inventory:
//! the CPE names of all components of one product release.
//!
//! A configuration is evaluated as NVD states it, not flattened into a
//! list of criteria: its nodes are combined by the configuration's
//! operator (a missing operator, which NVD writes for single-node
//! configurations, is OR), the entries of a node by the node's operator,
//! and `negate` inverts a node or the configuration. So "firmware 1.0 to
//! 2.0 AND running on hardware X" is satisfied only when the inventory has
//! both a firmware in range and the hardware.

use serde::{Deserialize, Serialize};

use crate::name::{Attribute, Cpe, CpeError};
use crate::version::NvdVersion;

/// How a configuration combines its nodes, or a node its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    And,
    #[default]
    Or,
}

/// The `configurations` array of an NVD CVE record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Configurations(pub Vec<Configuration>);

/// One applicability statement: nodes combined by `operator`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negate: Option<bool>,
    pub nodes: Vec<Node>,
}

/// A node: match criteria combined by `operator`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default)]
    pub operator: Operator,
    #[serde(default)]
    pub negate: bool,
    pub cpe_match: Vec<CpeMatch>,
}

/// A version bound of a match criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub version: NvdVersion,
    pub inclusive: bool,
}

/// One `cpeMatch` entry: a criterion name, optionally version bounds, and
/// whether a matching component is vulnerable or only the platform it
/// must run on (`vulnerable: false`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CpeMatchJson", into = "CpeMatchJson")]
pub struct CpeMatch {
    vulnerable: bool,
    criteria_text: String,
    criteria: Cpe,
    match_criteria_id: Option<String>,
    start: Option<Bound>,
    end: Option<Bound>,
}

/// The entry as NVD writes it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CpeMatchJson {
    vulnerable: bool,
    criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_end_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    match_criteria_id: Option<String>,
}

/// A `cpeMatch` entry that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeMatchError {
    #[error("cpeMatch criteria: {0}")]
    Criteria(#[from] CpeError),
    #[error("cpeMatch `{criteria}`: has both {first} and {second}")]
    BothBounds {
        criteria: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("cpeMatch `{criteria}`: {field} is empty")]
    EmptyBound {
        criteria: String,
        field: &'static str,
    },
}

fn bound(
    criteria: &str,
    including: Option<String>,
    excluding: Option<String>,
    names: (&'static str, &'static str),
) -> Result<Option<Bound>, CpeMatchError> {
    let (version, inclusive, field) = match (including, excluding) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(CpeMatchError::BothBounds {
                criteria: criteria.to_owned(),
                first: names.0,
                second: names.1,
            });
        }
        (Some(v), None) => (v, true, names.0),
        (None, Some(v)) => (v, false, names.1),
    };
    if version.trim().is_empty() {
        return Err(CpeMatchError::EmptyBound {
            criteria: criteria.to_owned(),
            field,
        });
    }
    Ok(Some(Bound {
        version: NvdVersion::new(&version),
        inclusive,
    }))
}

impl TryFrom<CpeMatchJson> for CpeMatch {
    type Error = CpeMatchError;

    fn try_from(json: CpeMatchJson) -> Result<CpeMatch, CpeMatchError> {
        let criteria = Cpe::parse(&json.criteria)?;
        let start = bound(
            &json.criteria,
            json.version_start_including,
            json.version_start_excluding,
            ("versionStartIncluding", "versionStartExcluding"),
        )?;
        let end = bound(
            &json.criteria,
            json.version_end_including,
            json.version_end_excluding,
            ("versionEndIncluding", "versionEndExcluding"),
        )?;
        Ok(CpeMatch {
            vulnerable: json.vulnerable,
            criteria_text: json.criteria,
            criteria,
            match_criteria_id: json.match_criteria_id,
            start,
            end,
        })
    }
}

impl From<CpeMatch> for CpeMatchJson {
    fn from(m: CpeMatch) -> CpeMatchJson {
        let split = |b: Option<Bound>| match b {
            Some(b) if b.inclusive => (Some(b.version.as_str().to_owned()), None),
            Some(b) => (None, Some(b.version.as_str().to_owned())),
            None => (None, None),
        };
        let (version_start_including, version_start_excluding) = split(m.start);
        let (version_end_including, version_end_excluding) = split(m.end);
        CpeMatchJson {
            vulnerable: m.vulnerable,
            criteria: m.criteria_text,
            version_start_including,
            version_start_excluding,
            version_end_including,
            version_end_excluding,
            match_criteria_id: m.match_criteria_id,
        }
    }
}

impl CpeMatch {
    /// Whether a matching component is itself vulnerable, rather than the
    /// platform the vulnerable one runs on.
    pub fn vulnerable(&self) -> bool {
        self.vulnerable
    }

    pub fn criteria(&self) -> &Cpe {
        &self.criteria
    }

    /// The criteria string exactly as NVD wrote it.
    pub fn criteria_text(&self) -> &str {
        &self.criteria_text
    }

    pub fn match_criteria_id(&self) -> Option<&str> {
        self.match_criteria_id.as_deref()
    }

    pub fn start(&self) -> Option<&Bound> {
        self.start.as_ref()
    }

    pub fn end(&self) -> Option<&Bound> {
        self.end.as_ref()
    }

    /// The bounds as text, `>= 2.0, < 2.4.1`; empty without bounds.
    pub fn bounds(&self) -> String {
        let start = self.start.as_ref().map(|b| {
            let op = if b.inclusive { ">=" } else { ">" };
            format!("{op} {}", b.version)
        });
        let end = self.end.as_ref().map(|b| {
            let op = if b.inclusive { "<=" } else { "<" };
            format!("{op} {}", b.version)
        });
        start.into_iter().chain(end).collect::<Vec<_>>().join(", ")
    }

    /// Whether `target`, a component's name, is an instance of this entry.
    ///
    /// Without bounds, that is NISTIR 7696's CPE_SUPERSET of the criteria
    /// over the target. With bounds, the criteria's version (NVD writes
    /// `*`) is set aside: every other attribute must match, and the
    /// target's version must be a plain string within the bounds, so a
    /// target whose version is ANY, NA or a wildcard never matches a
    /// bounded entry.
    pub fn matches(&self, target: &Cpe) -> bool {
        if self.start.is_none() && self.end.is_none() {
            return self.criteria.matches(target);
        }
        self.criteria
            .matches_except(target, Some(Attribute::Version))
            && target.nvd_version().is_some_and(|v| self.within(v))
    }

    fn within(&self, version: &NvdVersion) -> bool {
        let above = self
            .start
            .as_ref()
            .is_none_or(|b| match version.cmp(&b.version) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => b.inclusive,
                std::cmp::Ordering::Less => false,
            });
        let below = self
            .end
            .as_ref()
            .is_none_or(|b| match version.cmp(&b.version) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Equal => b.inclusive,
                std::cmp::Ordering::Greater => false,
            });
        above && below
    }
}

/// One `cpeMatch` entry matched by one inventory name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionHit {
    /// The node's index in the configuration.
    pub node: usize,
    /// The entry's index in the node's `cpeMatch`.
    pub entry: usize,
    /// The criteria string as NVD wrote it.
    pub criteria: String,
    pub match_criteria_id: Option<String>,
    /// The version bounds, `>= 2.0, < 2.4.1`; empty without bounds.
    pub bounds: String,
    /// The index of the matching name in the inventory.
    pub target: usize,
}

/// Why an inventory satisfies a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigMatch {
    /// The configuration's index in the CVE's `configurations` (0 from
    /// [`Configuration::evaluate`], which does not know it).
    pub configuration: usize,
    /// Hits of `vulnerable: true` entries: the vulnerable components.
    pub vulnerable: Vec<CriterionHit>,
    /// Hits of `vulnerable: false` entries: the platform that makes them
    /// vulnerable (the hardware, the operating system).
    pub platform: Vec<CriterionHit>,
}

/// A hit and whether its entry is `vulnerable`.
type Hit = (bool, CriterionHit);

impl Configuration {
    /// The operator between nodes; NVD omits it for one node.
    pub fn operator(&self) -> Operator {
        self.operator.unwrap_or_default()
    }

    pub fn is_negated(&self) -> bool {
        self.negate == Some(true)
    }

    /// Whether the inventory satisfies the configuration's expression.
    pub fn is_satisfied(&self, inventory: &[Cpe]) -> bool {
        self.satisfied(inventory, None)
    }

    /// Evaluates the configuration against the inventory. A match needs
    /// the expression satisfied and at least one `vulnerable: true` entry
    /// matched outside any negation: an expression satisfied only through
    /// `negate` names no component of the inventory as vulnerable, so there
    /// is nothing to report (and [`keys`] can then index every
    /// configuration that can match).
    ///
    /// Hits are collected from the nodes that make the expression true:
    /// every (entry, inventory name) pair that matches, so one entry can
    /// hit several names. Hits under a negation are not evidence and are
    /// left out.
    ///
    /// A configuration does not know its position among its CVE's, so
    /// [`ConfigMatch::configuration`] is 0 here; [`Configurations::evaluate`]
    /// sets it.
    ///
    /// [`keys`]: Configuration::keys
    pub fn evaluate(&self, inventory: &[Cpe]) -> Option<ConfigMatch> {
        let mut hits = Vec::new();
        if !self.satisfied(inventory, Some(&mut hits)) {
            return None;
        }
        let (vulnerable, platform): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(|h| h.0);
        if vulnerable.is_empty() {
            return None;
        }
        Some(ConfigMatch {
            configuration: 0,
            vulnerable: vulnerable.into_iter().map(|h| h.1).collect(),
            platform: platform.into_iter().map(|h| h.1).collect(),
        })
    }

    fn satisfied(&self, inventory: &[Cpe], hits: Option<&mut Vec<Hit>>) -> bool {
        let negated = self.is_negated();
        let mut hits = if negated { None } else { hits };
        let mark = hits.as_ref().map_or(0, |h| h.len());
        let inner = match self.operator() {
            Operator::And => self
                .nodes
                .iter()
                .enumerate()
                .all(|(i, node)| node.satisfied(i, inventory, hits.as_deref_mut())),
            // Every node is evaluated, not only up to the first true one,
            // so that the explanation names every satisfied node.
            Operator::Or => self.nodes.iter().enumerate().fold(false, |any, (i, node)| {
                node.satisfied(i, inventory, hits.as_deref_mut()) || any
            }),
        };
        if !inner && let Some(h) = hits {
            h.truncate(mark);
        }
        inner != negated
    }

    /// The index keys `(part, vendor, product)` of the `vulnerable: true`
    /// entries outside any negation, as [`Cpe::key`] gives them: a
    /// configuration can only match an inventory that has a name with one
    /// of these keys, so a matcher over many CVEs can look candidates up by
    /// (vendor, product) instead of evaluating every configuration.
    pub fn keys(&self) -> impl Iterator<Item = (char, &str, &str)> {
        let positive = !self.is_negated();
        self.nodes
            .iter()
            .filter(move |n| positive && !n.negate)
            .flat_map(|n| &n.cpe_match)
            .filter(|m| m.vulnerable)
            .map(|m| m.criteria.key())
    }
}

impl Node {
    fn satisfied(&self, index: usize, inventory: &[Cpe], hits: Option<&mut Vec<Hit>>) -> bool {
        let mut hits = if self.negate { None } else { hits };
        let mark = hits.as_ref().map_or(0, |h| h.len());
        let mut matched = 0;
        for (e, entry) in self.cpe_match.iter().enumerate() {
            let mut hit = false;
            for (t, target) in inventory.iter().enumerate() {
                if !entry.matches(target) {
                    continue;
                }
                hit = true;
                match hits.as_deref_mut() {
                    Some(h) => h.push((
                        entry.vulnerable,
                        CriterionHit {
                            node: index,
                            entry: e,
                            criteria: entry.criteria_text.clone(),
                            match_criteria_id: entry.match_criteria_id.clone(),
                            bounds: entry.bounds(),
                            target: t,
                        },
                    )),
                    // Without an explanation to collect, one hit decides.
                    None => break,
                }
            }
            if hit {
                matched += 1;
            }
            // Without an explanation to collect, stop once the node's
            // value is known.
            if hits.is_none() {
                match self.operator {
                    Operator::And if !hit => break,
                    Operator::Or if hit => break,
                    _ => {}
                }
            }
        }
        let inner = match self.operator {
            Operator::And => matched == self.cpe_match.len(),
            Operator::Or => matched > 0,
        };
        if !inner && let Some(h) = hits {
            h.truncate(mark);
        }
        inner != self.negate
    }
}

impl Configurations {
    pub fn iter(&self) -> std::slice::Iter<'_, Configuration> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every configuration the inventory matches, in order.
    pub fn evaluate(&self, inventory: &[Cpe]) -> Vec<ConfigMatch> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let m = c.evaluate(inventory)?;
                Some(ConfigMatch {
                    configuration: i,
                    ..m
                })
            })
            .collect()
    }

    /// The index keys of all configurations ([`Configuration::keys`]),
    /// possibly repeated.
    pub fn keys(&self) -> impl Iterator<Item = (char, &str, &str)> {
        self.0.iter().flat_map(Configuration::keys)
    }
}

#[cfg(test)]
mod nvd_data;
#[cfg(test)]
mod tests;
