//! The query language: its syntax tree, its parser ([`Query::parse`]) and
//! its meaning ([`Query::matches`], the reference every indexed search is
//! checked against). The language is documented in `docs/search.md` and
//! in the crate documentation.

mod parse;

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use medsec_logs::{Event, Value};

use crate::text::{self, Class, Glob};

pub use parse::ParseError;

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    root: Node,
}

impl Query {
    /// Parses query text; the empty query (or `*`) matches every event.
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        Ok(Query {
            root: parse::parse(text)?,
        })
    }

    /// The query that matches every event.
    pub fn all() -> Query {
        Query { root: Node::All }
    }

    /// A query from a syntax tree built by hand.
    pub fn from_node(root: Node) -> Query {
        Query { root }
    }

    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Whether the event matches: the meaning of the query, evaluated on
    /// one event without any index.
    pub fn matches(&self, event: &Event) -> bool {
        let ctx = EventCtx::new(event);
        self.root.eval(&ctx)
    }
}

/// The canonical text of the syntax tree (used in tests and to tie a
/// paging cursor to its query); it is not query syntax.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

/// A node of the syntax tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Every event (the empty query, `*`).
    All,
    /// Full text on the raw message: a word, a phrase or a wildcard word.
    Text(TextQuery),
    /// A condition on one field.
    Field {
        field: String,
        pred: FieldPred,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A full-text condition.
#[derive(Clone, Debug, PartialEq)]
pub struct TextQuery {
    text: String,
    kind: TextKind,
}

#[derive(Clone, Debug, PartialEq)]
enum TextKind {
    /// The tokens of a word or a quoted phrase, matched as consecutive
    /// message tokens.
    Phrase(Vec<(String, Class)>),
    /// A wildcard word, matched against each message token (lower-cased).
    Wildcard(Glob),
}

impl TextQuery {
    /// A word or phrase; `None` when it has no letter or digit.
    pub fn phrase(text: &str) -> Option<TextQuery> {
        let tokens = text::token_list(text);
        (!tokens.is_empty()).then(|| TextQuery {
            text: text.to_owned(),
            kind: TextKind::Phrase(tokens),
        })
    }

    /// A wildcard word (`fail*`, `f?iled`).
    pub fn wildcard(glob: Glob) -> TextQuery {
        TextQuery {
            text: glob.to_string(),
            kind: TextKind::Wildcard(glob.lowercased()),
        }
    }

    /// The text as written in the query.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn tokens(&self) -> Option<&[(String, Class)]> {
        match &self.kind {
            TextKind::Phrase(t) => Some(t),
            TextKind::Wildcard(_) => None,
        }
    }

    pub(crate) fn glob(&self) -> Option<&Glob> {
        match &self.kind {
            TextKind::Phrase(_) => None,
            TextKind::Wildcard(g) => Some(g),
        }
    }

    /// Whether a message with these tokens matches.
    pub(crate) fn matches_tokens(&self, message: &[(String, Class)]) -> bool {
        match &self.kind {
            TextKind::Phrase(q) => text::phrase_matches(q, message),
            TextKind::Wildcard(g) => message.iter().any(|(t, _)| g.matches(t)),
        }
    }
}

/// A condition on the value of a field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldPred {
    /// `field:value`, `field:"quoted value"`: equal as the value's type
    /// compares (see [`Literal`]).
    Equals(Literal),
    /// `field:pat*tern`: the value's text matches the wildcard pattern.
    Wildcard(Glob),
    /// `field:10.0.0.0/8`: an address value inside the network.
    Cidr(Cidr),
    /// `field:*`, `_exists_:field`: the event has the field.
    Exists,
    /// `field>=value` and the other comparisons.
    Compare(CmpOp, Literal),
    /// `field:[a TO b]`, `{a TO b}` and mixed brackets; `*` leaves an end
    /// open. The flag says whether the bound is included.
    Range {
        lower: Option<(Literal, bool)>,
        upper: Option<(Literal, bool)>,
    },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn accepts(self, o: Ordering) -> bool {
        match self {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// An IP network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix`.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (a, p) = text.split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        let prefix: u8 = p.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A literal of a field condition with the readings it allows: the text
/// as written, an integer, a float, an IP address. An RFC 3339 time
/// (`2024-05-01T09:00:00+09:00`) or a date (`2024-05-01`, midnight UTC)
/// reads as Unix nanoseconds, so `@timestamp` compares with it.
///
/// How a value of each type compares with a literal:
///
/// | value | equal when | ordered by |
/// |---|---|---|
/// | string | the text is the same (case-sensitive) | byte order of the text |
/// | integer | the literal is the same integer (`80`, `80.0`, `8e1`) | as integers, else as floats |
/// | float | the literal is the same number | as floats |
/// | boolean | the text is `true`/`false` (any case) | – |
/// | IP | the literal is the same address | address order, same family only |
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    text: String,
    int: Option<i64>,
    float: Option<f64>,
    ip: Option<IpAddr>,
}

impl Literal {
    pub fn new(text: &str) -> Literal {
        let looks_numeric = text.chars().any(|c| c.is_ascii_digit())
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
        let mut int = text.parse::<i64>().ok();
        let mut float = if looks_numeric {
            text.parse::<f64>().ok().filter(|f| f.is_finite())
        } else {
            None
        };
        if let (None, Some(f)) = (int, float)
            && f.fract() == 0.0
            && (i64::MIN as f64..-(i64::MIN as f64)).contains(&f)
        {
            int = Some(f as i64);
        }
        if int.is_none()
            && float.is_none()
            && let Some(ns) = parse_time(text)
        {
            int = Some(ns);
            float = Some(ns as f64);
        }
        Literal {
            text: text.to_owned(),
            int,
            float,
            ip: text.parse().ok(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn int(&self) -> Option<i64> {
        self.int
    }

    pub fn float(&self) -> Option<f64> {
        self.float
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// Whether a value equals the literal.
    pub fn equals(&self, v: &Value) -> bool {
        match v {
            Value::Str(s) => *s == self.text,
            Value::Int(i) => self.int == Some(*i),
            Value::Float(x) => self.float.is_some_and(|f| f == *x),
            Value::Bool(b) => self
                .text
                .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            Value::Ip(a) => self.ip == Some(*a),
        }
    }

    /// How a value compares with the literal, when they compare at all.
    pub fn compare(&self, v: &Value) -> Option<Ordering> {
        match v {
            Value::Str(s) => Some(s.as_str().cmp(self.text.as_str())),
            Value::Int(i) => match self.int {
                Some(j) => Some(i.cmp(&j)),
                None => self.float.and_then(|f| (*i as f64).partial_cmp(&f)),
            },
            Value::Float(x) => self.float.and_then(|f| x.partial_cmp(&f)),
            Value::Bool(_) => None,
            Value::Ip(a) => match (a, self.ip) {
                (IpAddr::V4(_), Some(b @ IpAddr::V4(_)))
                | (IpAddr::V6(_), Some(b @ IpAddr::V6(_))) => Some(a.cmp(&b)),
                _ => None,
            },
        }
    }

    /// The texts (as [`Value::to_text`] writes them) of every value that
    /// [`Literal::equals`] accepts, for the field index.
    pub(crate) fn index_keys(&self) -> Vec<String> {
        let mut keys = vec![self.text.clone()];
        if let Some(i) = self.int {
            keys.push(Value::Int(i).to_text());
        }
        if let Some(f) = self.float {
            keys.push(Value::Float(f).to_text());
            if f == 0.0 {
                keys.push(Value::Float(0.0).to_text());
                keys.push(Value::Float(-0.0).to_text());
            }
        }
        if let Some(ip) = self.ip {
            keys.push(Value::Ip(ip).to_text());
        }
        for b in ["true", "false"] {
            if self.text.eq_ignore_ascii_case(b) {
                keys.push(b.to_owned());
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// RFC 3339, or a date alone (midnight UTC), as Unix nanoseconds.
fn parse_time(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos()).ok();
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(text, &format).ok()?;
    i64::try_from(d.midnight().assume_utc().unix_timestamp_nanos()).ok()
}

impl FieldPred {
    /// Whether the predicate holds for a field with this value (or none).
    pub fn holds(&self, value: Option<&Value>) -> bool {
        let Some(v) = value else {
            return false;
        };
        match self {
            FieldPred::Equals(lit) => lit.equals(v),
            FieldPred::Wildcard(g) => match v {
                Value::Str(s) => g.matches(s),
                other => g.matches(&other.to_text()),
            },
            FieldPred::Cidr(c) => matches!(v, Value::Ip(a) if c.contains(a)),
            FieldPred::Exists => true,
            FieldPred::Compare(op, lit) => lit.compare(v).is_some_and(|o| op.accepts(o)),
            FieldPred::Range { lower, upper } => {
                let lo = lower.as_ref().is_none_or(|(l, inclusive)| {
                    l.compare(v).is_some_and(|o| {
                        o == Ordering::Greater || (*inclusive && o == Ordering::Equal)
                    })
                });
                let hi = upper.as_ref().is_none_or(|(u, inclusive)| {
                    u.compare(v).is_some_and(|o| {
                        o == Ordering::Less || (*inclusive && o == Ordering::Equal)
                    })
                });
                lo && hi
            }
        }
    }
}

/// Fields that are not in [`Event::fields`]: the member, the source and
/// the id, besides `@timestamp` and `event.ingested` ([`Event::get`]).
pub const PSEUDO_FIELDS: [&str; 5] = ["_member", "_source", "_id", "@timestamp", "event.ingested"];

/// The value of a field as queries see it.
pub fn field_value(event: &Event, name: &str) -> Option<Value> {
    match name {
        "_member" => Some(Value::Str(event.member.clone())),
        "_source" => Some(Value::Str(event.source.clone())),
        "_id" => Some(Value::Str(event.id.to_string())),
        _ => event.get(name),
    }
}

/// One event with its message tokens, computed on first use.
pub(crate) struct EventCtx<'a> {
    pub event: &'a Event,
    tokens: OnceCell<Vec<(String, Class)>>,
}

impl<'a> EventCtx<'a> {
    pub fn new(event: &'a Event) -> EventCtx<'a> {
        EventCtx {
            event,
            tokens: OnceCell::new(),
        }
    }

    fn tokens(&self) -> &[(String, Class)] {
        self.tokens
            .get_or_init(|| text::token_list(&self.event.raw))
    }
}

impl Node {
    /// The same as [`Node::eval`] with full text matched on bytes where
    /// that is exact (ASCII), for the tail of a search; `eval` stays the
    /// plain reference the indexed search is tested against.
    pub(crate) fn eval_fast(&self, ctx: &EventCtx<'_>) -> bool {
        match self {
            Node::Text(t) => t
                .tokens()
                .and_then(|q| text::ascii_phrase_matches(q, &ctx.event.raw))
                .unwrap_or_else(|| t.matches_tokens(ctx.tokens())),
            Node::And(items) => items.iter().all(|n| n.eval_fast(ctx)),
            Node::Or(items) => items.iter().any(|n| n.eval_fast(ctx)),
            Node::Not(inner) => !inner.eval_fast(ctx),
            other => other.eval(ctx),
        }
    }

    pub(crate) fn eval(&self, ctx: &EventCtx<'_>) -> bool {
        match self {
            Node::All => true,
            Node::Text(t) => t.matches_tokens(ctx.tokens()),
            Node::Field { field, pred } => pred.holds(field_value(ctx.event, field).as_ref()),
            Node::And(items) => items.iter().all(|n| n.eval(ctx)),
            Node::Or(items) => items.iter().any(|n| n.eval(ctx)),
            Node::Not(inner) => !inner.eval(ctx),
        }
    }
}

fn quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::All => f.write_str("*"),
            Node::Text(t) => match &t.kind {
                TextKind::Phrase(_) => {
                    f.write_str("text:")?;
                    quoted(f, &t.text)
                }
                TextKind::Wildcard(g) => write!(f, "text~{g}"),
            },
            Node::Field { field, pred } => {
                f.write_str(field)?;
                match pred {
                    FieldPred::Equals(l) => {
                        f.write_str("=")?;
                        quoted(f, &l.text)
                    }
                    FieldPred::Wildcard(g) => write!(f, "~{g}"),
                    FieldPred::Cidr(c) => write!(f, " in {c}"),
                    FieldPred::Exists => f.write_str(" exists"),
                    FieldPred::Compare(op, l) => {
                        f.write_str(op.symbol())?;
                        quoted(f, &l.text)
                    }
                    FieldPred::Range { lower, upper } => {
                        f.write_str(" in ")?;
                        match lower {
                            Some((l, inc)) => {
                                f.write_str(if *inc { "[" } else { "{" })?;
                                quoted(f, &l.text)?;
                            }
                            None => f.write_str("[*")?,
                        }
                        f.write_str(" TO ")?;
                        match upper {
                            Some((u, inc)) => {
                                quoted(f, &u.text)?;
                                f.write_str(if *inc { "]" } else { "}" })
                            }
                            None => f.write_str("*]"),
                        }
                    }
                }
            }
            Node::And(items) | Node::Or(items) => {
                f.write_str(if matches!(self, Node::And(_)) {
                    "(and"
                } else {
                    "(or"
                })?;
                for n in items {
                    write!(f, " {n}")?;
                }
                f.write_str(")")
            }
            Node::Not(inner) => write!(f, "(not {inner})"),
        }
    }
}

#[cfg(test)]
mod tests;
