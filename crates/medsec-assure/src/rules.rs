//! Applicability rules, kept as data in `rules/applicability.toml`: for
//! every MFDS and KISA item, a boolean expression over the profile's
//! [facts](crate::facts) says whether it applies. The facts that decided
//! an expression become the reason shown to the user.
//!
//! A rule targets one item (`mfds-2019:1.6`), a group with everything
//! under it (`kisa-dh:group:app`) or a whole catalogue (`kisa-dh:*`); the
//! most specific rule wins.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use medsec_catalog::{Catalog, Catalogs};
use serde::{Deserialize, Serialize};

use crate::facts::{self, Facts};

const RULES: &str = include_str!("../rules/applicability.toml");

/// A boolean expression over facts: `network and (login or not web)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Fact(&'static str),
    Always,
    Never,
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// Why an expression did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {at}: {message}")]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = tokenize(text)?;
        let mut p = Parser { tokens, pos: 0 };
        let e = p.or()?;
        if let Some((at, t)) = p.tokens.get(p.pos) {
            return Err(ExprError {
                at: *at,
                message: format!("unexpected `{t}`"),
            });
        }
        Ok(e)
    }

    /// The value, and the facts that decided it.
    pub fn eval(&self, facts: &Facts) -> (bool, Vec<(&'static str, bool)>) {
        match self {
            Expr::Fact(f) => {
                let v = facts.get(f).unwrap_or(false);
                (v, vec![(f, v)])
            }
            Expr::Always => (true, Vec::new()),
            Expr::Never => (false, Vec::new()),
            Expr::Not(e) => {
                let (v, w) = e.eval(facts);
                (!v, w)
            }
            Expr::And(es) | Expr::Or(es) => {
                let want = matches!(self, Expr::Or(_));
                let results: Vec<_> = es.iter().map(|e| e.eval(facts)).collect();
                let decided = results.iter().any(|(v, _)| *v == want);
                // `or` is decided by its true parts, `and` by its false
                // ones; otherwise every part counts.
                let mut witnesses = Vec::new();
                for (v, w) in results {
                    if !decided || v == want {
                        for x in w {
                            if !witnesses.contains(&x) {
                                witnesses.push(x);
                            }
                        }
                    }
                }
                (if want { decided } else { !decided }, witnesses)
            }
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, String)>, ExprError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '(' || c == ')' {
            out.push((at, c.to_string()));
            continue;
        }
        if c.is_ascii_lowercase() {
            let mut word = c.to_string();
            while let Some((_, d)) = chars.peek() {
                if d.is_ascii_lowercase() || d.is_ascii_digit() || *d == '-' {
                    word.push(*d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((at, word));
            continue;
        }
        return Err(ExprError {
            at,
            message: format!("unexpected character `{c}`"),
        });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, String)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(|(_, t)| t.as_str())
    }

    fn at(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map(|(a, _)| *a)
            .or_else(|| self.tokens.last().map(|(a, t)| a + t.len()))
            .unwrap_or(0)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        let Some(token) = self.peek().map(str::to_owned) else {
            return Err(ExprError {
                at,
                message: "expected a fact, `always`, `never`, `not` or `(`".into(),
            });
        };
        self.pos += 1;
        match token.as_str() {
            "(" => {
                let e = self.or()?;
                if self.peek() != Some(")") {
                    return Err(ExprError {
                        at: self.at(),
                        message: "expected `)`".into(),
                    });
                }
                self.pos += 1;
                Ok(e)
            }
            "always" => Ok(Expr::Always),
            "never" => Ok(Expr::Never),
            word => match facts::def(word) {
                Some(d) => Ok(Expr::Fact(d.name)),
                None => Err(ExprError {
                    at,
                    message: format!("`{word}` is not a fact"),
                }),
            },
        }
    }
}

/// One rule as the file spells it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    target: String,
    when: String,
    #[serde(default)]
    why_ko: Option<String>,
    #[serde(default)]
    why_en: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<RuleSpec>,
}

/// A parsed rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub target: String,
    pub when: Expr,
    pub source: String,
    pub why_ko: Option<String>,
    pub why_en: Option<String>,
}

/// The rule set, parsed and checked against the catalogues.
#[derive(Debug, Clone)]
pub struct Rules {
    by_target: BTreeMap<String, Rule>,
}

/// Something wrong in the rules file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules/applicability.toml: {0}")]
pub struct RulesError(pub String);

static RULESET: LazyLock<Result<Rules, RulesError>> = LazyLock::new(|| {
    medsec_catalog::catalogs()
        .map_err(|e| RulesError(e.to_string()))
        .and_then(|c| Rules::parse(RULES, c))
});

/// The embedded rule set.
pub fn rules() -> Result<&'static Rules, RulesError> {
    RULESET.as_ref().map_err(Clone::clone)
}

/// The catalogues applicability is decided for.
pub const DECIDED: &[&str] = &["mfds-2024", "mfds-2019", "kisa-dh"];

/// The editions a checklist can be made on.
pub const CHECKLISTS: &[&str] = &["mfds-2024", "mfds-2019"];

impl Rules {
    pub fn parse(text: &str, catalogs: &Catalogs) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let mut by_target = BTreeMap::new();
        for spec in file.rule {
            check_target(&spec.target, catalogs)?;
            let when = Expr::parse(&spec.when)
                .map_err(|e| RulesError(format!("rule `{}`: when {e}", spec.target)))?;
            if spec.why_ko.is_some() != spec.why_en.is_some() {
                return Err(RulesError(format!(
                    "rule `{}`: why_ko and why_en go together",
                    spec.target
                )));
            }
            let rule = Rule {
                target: spec.target.clone(),
                source: spec.when,
                when,
                why_ko: spec.why_ko,
                why_en: spec.why_en,
            };
            if by_target.insert(spec.target.clone(), rule).is_some() {
                return Err(RulesError(format!("two rules target `{}`", spec.target)));
            }
        }
        let rules = Rules { by_target };
        for id in DECIDED {
            let Some(c) = catalogs.get(id) else {
                return Err(RulesError(format!("catalogue `{id}` is missing")));
            };
            for item in &c.item {
                if rules.rule_for(c, &item.id).is_none() {
                    return Err(RulesError(format!("no rule decides `{id}:{}`", item.id)));
                }
            }
        }
        Ok(rules)
    }

    /// The most specific rule for an item.
    pub fn rule_for(&self, catalog: &Catalog, item: &str) -> Option<&Rule> {
        let cat = &catalog.catalog.id;
        if let Some(r) = self.by_target.get(&format!("{cat}:{item}")) {
            return Some(r);
        }
        let mut group = catalog.item(item)?.group.clone();
        while let Some(g) = group {
            if let Some(r) = self.by_target.get(&format!("{cat}:group:{g}")) {
                return Some(r);
            }
            group = catalog.group(&g).and_then(|g| g.parent.clone());
        }
        self.by_target.get(&format!("{cat}:*"))
    }

    pub fn len(&self) -> usize {
        self.by_target.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_target.is_empty()
    }
}

fn check_target(target: &str, catalogs: &Catalogs) -> Result<(), RulesError> {
    let bad = || RulesError(format!("rule target `{target}` names nothing"));
    let (cat, rest) = target.split_once(':').ok_or_else(bad)?;
    let c = catalogs.get(cat).ok_or_else(bad)?;
    if rest == "*" {
        return Ok(());
    }
    if let Some(g) = rest.strip_prefix("group:") {
        return c.group(g).map(|_| ()).ok_or_else(bad);
    }
    c.item(rest).map(|_| ()).ok_or_else(bad)
}

/// A user's decision that overrides the rule, with its justification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub applies: bool,
    pub justification: String,
    /// Who decided (user name) and when (RFC 3339).
    pub by: String,
    pub at: String,
}

/// Whether an item applies to a device, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// `catalogue:item`.
    pub reference: String,
    pub applies: bool,
    /// What the rule alone decided.
    pub by_rule: bool,
    /// The rule's target and expression.
    pub rule: String,
    pub when: String,
    /// The facts that decided, with their values.
    pub facts: Vec<(&'static str, bool)>,
    pub reason_ko: String,
    pub reason_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<Override>,
}

impl Rules {
    /// Decides every item of a catalogue for a profile.
    pub fn decide(
        &self,
        catalog: &Catalog,
        facts: &Facts,
        overrides: &BTreeMap<String, Override>,
    ) -> Vec<Decision> {
        catalog
            .item
            .iter()
            .filter_map(|item| {
                let rule = self.rule_for(catalog, &item.id)?;
                let (by_rule, witnesses) = rule.when.eval(facts);
                let reference = format!("{}:{}", catalog.catalog.id, item.id);
                let (reason_ko, reason_en) = reasons(rule, by_rule, &witnesses);
                let overridden = overrides.get(&reference).cloned();
                Some(Decision {
                    applies: overridden.as_ref().map_or(by_rule, |o| o.applies),
                    by_rule,
                    rule: rule.target.clone(),
                    when: rule.source.clone(),
                    facts: witnesses,
                    reason_ko,
                    reason_en,
                    overridden,
                    reference,
                })
            })
            .collect()
    }
}

fn reasons(rule: &Rule, applies: bool, witnesses: &[(&'static str, bool)]) -> (String, String) {
    let mut ko = Vec::new();
    let mut en = Vec::new();
    for (name, value) in witnesses {
        if let Some(d) = facts::def(name) {
            ko.push(if *value { d.ko } else { d.no_ko });
            en.push(if *value { d.en } else { d.no_en });
        }
    }
    let (mut ko, mut en) = match (witnesses.is_empty(), applies) {
        (true, true) => (
            "모든 기기에 적용".to_owned(),
            "applies to every device".to_owned(),
        ),
        (true, false) => (
            "이 기기 유형에는 해당 없음".to_owned(),
            "not for this kind of device".to_owned(),
        ),
        _ => (ko.join(", "), en.join(", ")),
    };
    if let (Some(wk), Some(we)) = (&rule.why_ko, &rule.why_en) {
        ko = format!("{ko} ({wk})");
        en = format!("{en} ({we})");
    }
    (ko, en)
}
