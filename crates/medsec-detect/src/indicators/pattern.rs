//! The STIX 2.1 patterning language (STIX 2.1 part 9), parsed exactly as
//! the OASIS grammar `STIXPattern.g4` (cti-stix2-json-schemas, the grammar
//! the reference `stix2-patterns` generates its parser from) defines it:
//! the same tokens (longest match first, ties to the earlier rule, so
//! `ipv4-addr` is one identifier, `IN` a keyword and `in` an identifier),
//! the same precedence (`FOLLOWEDBY` < `OR` < `AND` between observations,
//! qualifiers binding tightest; `OR` < `AND` inside one), the whole input
//! up to its end. `tests/it/stix_peer.rs` checks that this parser and
//! `stix2patterns` accept the same patterns and see the same comparisons.
//!
//! [`Pattern::extract`] then says which values medsec can match on one
//! event at a time, and why the rest cannot be matched.
//!
//! Parentheses may nest at most [`MAX_DEPTH`] deep (the reference has no
//! limit; a deeper pattern is refused rather than risk the stack).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Kind;

/// The deepest nesting of parentheses and brackets accepted.
pub const MAX_DEPTH: usize = 64;

/// Why a pattern is not valid: the column (in characters, from 1) and
/// what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct PatternError {
    pub column: usize,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    IntPos,
    IntNeg,
    FloatPos,
    FloatNeg,
    Hex,
    Binary,
    Str,
    Bool,
    Timestamp,
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    IdentWithoutHyphen,
    IdentWithHyphen,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Quote,
    Colon,
    Dot,
    Comma,
    RParen,
    LParen,
    RBrack,
    LBrack,
    Plus,
    Hyphen,
    Power,
    Divide,
    Asterisk,
    /// Whitespace and comments (skipped).
    Skip,
    Invalid,
    Eof,
}

/// The keywords in the grammar's order (it decides ties with
/// identifiers of the same length: the keyword wins).
const KEYWORDS: &[(&str, Tok)] = &[
    ("AND", Tok::And),
    ("OR", Tok::Or),
    ("NOT", Tok::Not),
    ("FOLLOWEDBY", Tok::FollowedBy),
    ("LIKE", Tok::Like),
    ("MATCHES", Tok::Matches),
    ("ISSUPERSET", Tok::IsSuperset),
    ("ISSUBSET", Tok::IsSubset),
    ("EXISTS", Tok::Exists),
    ("LAST", Tok::Last),
    ("IN", Tok::In),
    ("START", Tok::Start),
    ("STOP", Tok::Stop),
    ("SECONDS", Tok::Seconds),
    ("WITHIN", Tok::Within),
    ("REPEATS", Tok::Repeats),
    ("TIMES", Tok::Times),
];

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The length of `[0-9]*` at `i`.
fn digits(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// `('0' | [1-9][0-9]*)` at `i`.
fn unsigned_int(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'0' => Some(1),
        b'1'..=b'9' => Some(1 + digits(b, i + 1)),
        _ => None,
    }
}

/// `[0-9]* '.' [0-9]+` at `i`.
fn unsigned_float(b: &[u8], i: usize) -> Option<usize> {
    let n = digits(b, i);
    if b.get(i + n) != Some(&b'.') {
        return None;
    }
    let m = digits(b, i + n + 1);
    (m > 0).then_some(n + 1 + m)
}

fn string_literal(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'\'') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'\'' => return Some(j + 1 - i),
            b'\\' => match b.get(j + 1)? {
                b'\'' | b'\\' => j += 2,
                _ => return None,
            },
            _ => j += 1,
        }
    }
}

fn hex_literal(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'h') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let n = b
        .get(i + 2..)?
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    (n % 2 == 0 && b.get(i + 2 + n) == Some(&b'\'')).then_some(n + 3)
}

fn binary_literal(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'b') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let body = b.get(i + 2..)?;
    let is64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let n = body.iter().take_while(|c| is64(c) || **c == b'=').count();
    if body.get(n) != Some(&b'\'') || n == 0 || n % 4 != 0 {
        return None;
    }
    let run = body.get(..n)?;
    let pad = run.iter().rev().take_while(|c| **c == b'=').count();
    let ok = pad <= 2 && run.get(..n - pad)?.iter().all(is64);
    ok.then_some(n + 3)
}

fn timestamp_literal(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b't') || b.get(i + 1) != Some(&b'\'') {
        return None;
    }
    let s = b.get(i + 2..)?;
    let d = |k: usize| s.get(k).copied().filter(u8::is_ascii_digit);
    let c = |k: usize, ch: u8| s.get(k) == Some(&ch);
    for k in 0..4 {
        d(k)?;
    }
    let month = (d(5)?, d(6)?);
    let day = (d(8)?, d(9)?);
    let hour = (d(11)?, d(12)?);
    let ok = c(4, b'-')
        && c(7, b'-')
        && matches!(month, (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'))
        && matches!(
            day,
            (b'0', b'1'..=b'9') | (b'1' | b'2', _) | (b'3', b'0' | b'1')
        )
        && c(10, b'T')
        && matches!(hour, (b'0' | b'1', _) | (b'2', b'0'..=b'3'))
        && c(13, b':')
        && matches!(s.get(14), Some(b'0'..=b'5'))
        && d(15).is_some()
        && c(16, b':')
        && (matches!((s.get(17), d(18)), (Some(b'0'..=b'5'), Some(_)))
            || (c(17, b'6') && c(18, b'0')));
    if !ok {
        return None;
    }
    let mut k = 19;
    if c(k, b'.') {
        let n = digits(s, k + 1);
        if n == 0 {
            return None;
        }
        k += 1 + n;
    }
    (c(k, b'Z') && c(k + 1, b'\'')).then_some(k + 4)
}

fn identifier(b: &[u8], i: usize, hyphen: bool) -> Option<usize> {
    let first = b.get(i)?;
    if !(first.is_ascii_alphabetic() || *first == b'_') {
        return None;
    }
    let rest = b.get(i + 1..).map_or(0, |r| {
        r.iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || (hyphen && **c == b'-'))
            .count()
    });
    Some(1 + rest)
}

/// The next token at byte `i` (not at the end): the longest match of any
/// rule, ties to the earlier rule, as ANTLR's lexer decides.
/// `close` caches where the next `*/` is (from an earlier search), so that
/// many unclosed `/*` cost one scan rather than one each.
fn next_token(text: &str, i: usize, close: &mut Option<Option<usize>>) -> Token {
    let b = text.as_bytes();
    let mut best = (0usize, Tok::Invalid);
    let mut offer = |len: Option<usize>, tok: Tok| {
        if let Some(len) = len
            && len > best.0
        {
            best = (len, tok);
        }
    };
    // In the grammar's order; a later rule must be strictly longer.
    offer(
        (b.get(i) == Some(&b'-'))
            .then(|| unsigned_int(b, i + 1).map(|n| n + 1))
            .flatten(),
        Tok::IntNeg,
    );
    let sign = usize::from(b.get(i) == Some(&b'+'));
    offer(unsigned_int(b, i + sign).map(|n| n + sign), Tok::IntPos);
    offer(
        (b.get(i) == Some(&b'-'))
            .then(|| unsigned_float(b, i + 1).map(|n| n + 1))
            .flatten(),
        Tok::FloatNeg,
    );
    offer(unsigned_float(b, i + sign).map(|n| n + sign), Tok::FloatPos);
    offer(hex_literal(b, i), Tok::Hex);
    offer(binary_literal(b, i), Tok::Binary);
    offer(string_literal(b, i), Tok::Str);
    let rest = b.get(i..).unwrap_or_default();
    for word in ["true", "false"] {
        offer(
            rest.starts_with(word.as_bytes()).then_some(word.len()),
            Tok::Bool,
        );
    }
    offer(timestamp_literal(b, i), Tok::Timestamp);
    for (word, tok) in KEYWORDS {
        offer(
            rest.starts_with(word.as_bytes()).then_some(word.len()),
            *tok,
        );
    }
    offer(identifier(b, i, false), Tok::IdentWithoutHyphen);
    offer(identifier(b, i, true), Tok::IdentWithHyphen);
    let two = rest.get(..2).unwrap_or_default();
    let one = rest.first().copied().unwrap_or(0);
    offer((two == b"==").then_some(2), Tok::Eq);
    offer((one == b'=').then_some(1), Tok::Eq);
    offer((two == b"!=" || two == b"<>").then_some(2), Tok::Neq);
    offer((one == b'<').then_some(1), Tok::Lt);
    offer((two == b"<=").then_some(2), Tok::Le);
    offer((one == b'>').then_some(1), Tok::Gt);
    offer((two == b">=").then_some(2), Tok::Ge);
    let single = match one {
        b'\'' => Some(Tok::Quote),
        b':' => Some(Tok::Colon),
        b'.' => Some(Tok::Dot),
        b',' => Some(Tok::Comma),
        b')' => Some(Tok::RParen),
        b'(' => Some(Tok::LParen),
        b']' => Some(Tok::RBrack),
        b'[' => Some(Tok::LBrack),
        b'+' => Some(Tok::Plus),
        b'-' => Some(Tok::Hyphen),
        b'^' => Some(Tok::Power),
        b'/' => Some(Tok::Divide),
        b'*' => Some(Tok::Asterisk),
        _ => None,
    };
    if let Some(tok) = single {
        offer(Some(1), tok);
    }
    let chars = text.get(i..).unwrap_or_default();
    let ws: usize = chars
        .chars()
        .take_while(|c| is_ws(*c))
        .map(char::len_utf8)
        .sum();
    offer((ws > 0).then_some(ws), Tok::Skip);
    if two == b"/*" {
        let stale = match close {
            None => true,
            Some(Some(at)) => *at < i + 2,
            Some(None) => false,
        };
        if stale {
            *close = Some(
                text.get(i + 2..)
                    .and_then(|r| r.find("*/"))
                    .map(|n| n + i + 2),
            );
        }
        offer(close.flatten().map(|at| at + 2 - i), Tok::Skip);
    }
    if two == b"//" {
        offer(
            Some(chars.find(['\r', '\n']).unwrap_or(chars.len())),
            Tok::Skip,
        );
    }
    // The catch-all: one character.
    offer(chars.chars().next().map(char::len_utf8), Tok::Invalid);
    Token {
        tok: best.1,
        start: i,
        end: i + best.0.max(1),
    }
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut close = None;
    while i < text.len() {
        let t = next_token(text, i, &mut close);
        i = t.end;
        if t.tok != Tok::Skip {
            out.push(t);
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        start: text.len(),
        end: text.len(),
    });
    out
}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    root: Obs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObsOp {
    FollowedBy,
    Or,
    And,
}

#[derive(Clone, Debug, PartialEq)]
enum Obs {
    Atom(Comp),
    Qualified(Box<Obs>, String),
    /// Two or more operands of one operator.
    Seq(ObsOp, Vec<Obs>),
}

#[derive(Clone, Debug, PartialEq)]
enum Comp {
    Test(Test),
    Or(Vec<Comp>),
    And(Vec<Comp>),
}

/// One step of an object path after the object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A property or dictionary key (`value`, `'SHA-256'`), unescaped.
    Key(String),
    /// A list index, as its decimal text (`0`, `-1`).
    Index(String),
    /// `[*]`.
    Star,
}

/// A literal: its text as written, and the string for a string literal.
#[derive(Clone, Debug, PartialEq)]
struct Literal {
    raw: String,
    string: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Test {
    object_type: String,
    path: Vec<Step>,
    negated: bool,
    /// The operator as written (`=`, `==`, `!=`, `<>`, `<`, `IN`,
    /// `LIKE`, …; `EXISTS`).
    op: String,
    /// One literal, or the items of a set (`IN`); none for `EXISTS`.
    values: Vec<Literal>,
    /// A set literal (`IN`): its text without whitespace.
    set_raw: Option<String>,
    column: usize,
}

/// A comparison as `stix2patterns`' `inspect()` lists it: object type,
/// path, operator (`NOT ` before a negated one) and the literal's text
/// (a set's items joined without whitespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub object_type: String,
    pub path: Vec<Step>,
    pub op: String,
    pub value: String,
}

/// What medsec can match of a pattern: the values (kind, normalised
/// value), and every part it cannot match, with the reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extraction {
    pub values: Vec<(Kind, String)>,
    pub unmatched: Vec<String>,
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    at: usize,
    depth: usize,
}

/// Parses a pattern.
pub fn parse(text: &str) -> Result<Pattern, PatternError> {
    let mut p = Parser {
        text,
        toks: tokens(text),
        at: 0,
        depth: 0,
    };
    let root = p.observations()?;
    if p.peek().tok != Tok::Eof {
        return Err(p.unexpected("an operator (AND, OR, FOLLOWEDBY) or the end"));
    }
    Ok(Pattern { root })
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.toks.get(self.at).copied().unwrap_or(Token {
            tok: Tok::Eof,
            start: self.text.len(),
            end: self.text.len(),
        })
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.tok != Tok::Eof {
            self.at += 1;
        }
        t
    }

    fn text_of(&self, t: Token) -> &str {
        self.text.get(t.start..t.end).unwrap_or_default()
    }

    fn column(&self, byte: usize) -> usize {
        self.text.get(..byte).map_or(0, |s| s.chars().count()) + 1
    }

    fn unexpected(&self, wanted: &str) -> PatternError {
        let t = self.peek();
        let found = if t.tok == Tok::Eof {
            "the end of the pattern".to_owned()
        } else {
            let s: String = self.text_of(t).chars().take(40).collect();
            format!("`{s}`")
        };
        PatternError {
            column: self.column(t.start),
            message: format!("expected {wanted}, found {found}"),
        }
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<Token, PatternError> {
        if self.peek().tok == tok {
            Ok(self.bump())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError {
                column: self.column(self.peek().start),
                message: format!("nested more than {MAX_DEPTH} levels deep"),
            });
        }
        Ok(())
    }

    /// `observationExpressions`: FOLLOWEDBY over OR over AND.
    fn observations(&mut self) -> Result<Obs, PatternError> {
        self.obs_level(0)
    }

    fn obs_level(&mut self, level: usize) -> Result<Obs, PatternError> {
        let (tok, op) = match level {
            0 => (Tok::FollowedBy, ObsOp::FollowedBy),
            1 => (Tok::Or, ObsOp::Or),
            2 => (Tok::And, ObsOp::And),
            _ => return self.observation(),
        };
        let first = self.obs_level(level + 1)?;
        if self.peek().tok != tok {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok == tok {
            self.bump();
            items.push(self.obs_level(level + 1)?);
        }
        Ok(Obs::Seq(op, items))
    }

    /// `observationExpression`: `[ … ]` or `( … )`, then qualifiers.
    fn observation(&mut self) -> Result<Obs, PatternError> {
        self.enter()?;
        let mut obs = match self.peek().tok {
            Tok::LBrack => {
                self.bump();
                let c = self.comparison()?;
                self.expect(Tok::RBrack, "`]`, AND or OR")?;
                Obs::Atom(c)
            }
            Tok::LParen => {
                self.bump();
                let o = self.observations()?;
                self.expect(Tok::RParen, "`)`, AND, OR or FOLLOWEDBY")?;
                o
            }
            _ => return Err(self.unexpected("`[` or `(` (an observation)")),
        };
        loop {
            let q = match self.peek().tok {
                Tok::Start => {
                    self.bump();
                    let a = self.expect(Tok::Timestamp, "a timestamp t'…Z'")?;
                    self.expect(Tok::Stop, "STOP")?;
                    let b = self.expect(Tok::Timestamp, "a timestamp t'…Z'")?;
                    format!("START {} STOP {}", self.text_of(a), self.text_of(b))
                }
                Tok::Within => {
                    self.bump();
                    let n = match self.peek().tok {
                        Tok::IntPos | Tok::FloatPos => self.bump(),
                        _ => return Err(self.unexpected("a positive number of seconds")),
                    };
                    self.expect(Tok::Seconds, "SECONDS")?;
                    format!("WITHIN {} SECONDS", self.text_of(n))
                }
                Tok::Repeats => {
                    self.bump();
                    let n = self.expect(Tok::IntPos, "a positive integer")?;
                    self.expect(Tok::Times, "TIMES")?;
                    format!("REPEATS {} TIMES", self.text_of(n))
                }
                _ => break,
            };
            obs = Obs::Qualified(Box::new(obs), q);
        }
        self.depth -= 1;
        Ok(obs)
    }

    /// `comparisonExpression`: OR over AND.
    fn comparison(&mut self) -> Result<Comp, PatternError> {
        let first = self.comparison_and()?;
        if self.peek().tok != Tok::Or {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok == Tok::Or {
            self.bump();
            items.push(self.comparison_and()?);
        }
        Ok(Comp::Or(items))
    }

    fn comparison_and(&mut self) -> Result<Comp, PatternError> {
        let first = self.prop_test()?;
        if self.peek().tok != Tok::And {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok == Tok::And {
            self.bump();
            items.push(self.prop_test()?);
        }
        Ok(Comp::And(items))
    }

    fn prop_test(&mut self) -> Result<Comp, PatternError> {
        let start = self.peek();
        match start.tok {
            Tok::LParen => {
                self.enter()?;
                self.bump();
                let c = self.comparison()?;
                self.expect(Tok::RParen, "`)`, AND or OR")?;
                self.depth -= 1;
                return Ok(c);
            }
            Tok::Exists => {
                self.bump();
                let (object_type, path) = self.object_path()?;
                return Ok(Comp::Test(Test {
                    object_type,
                    path,
                    negated: false,
                    op: "EXISTS".into(),
                    values: Vec::new(),
                    set_raw: None,
                    column: self.column(start.start),
                }));
            }
            _ => {}
        }
        let (object_type, path) = self.object_path()?;
        let negated = self.peek().tok == Tok::Not;
        if negated {
            self.bump();
        }
        let op_tok = self.bump();
        let op = self.text_of(op_tok).to_owned();
        let (values, set_raw) = match op_tok.tok {
            Tok::Eq | Tok::Neq => (vec![self.literal(true)?], None),
            Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => (vec![self.literal(false)?], None),
            Tok::In => {
                let (items, raw) = self.set()?;
                (items, Some(raw))
            }
            Tok::Like | Tok::Matches | Tok::IsSubset | Tok::IsSuperset => {
                let t = self.expect(Tok::Str, "a string literal '…'")?;
                (vec![self.string(t)], None)
            }
            _ => {
                self.at -= usize::from(op_tok.tok != Tok::Eof);
                return Err(self.unexpected(
                    "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)",
                ));
            }
        };
        Ok(Comp::Test(Test {
            object_type,
            path,
            negated,
            op,
            values,
            set_raw,
            column: self.column(start.start),
        }))
    }

    fn string(&self, t: Token) -> Literal {
        let raw = self.text_of(t).to_owned();
        let inner = raw
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .unwrap_or_default();
        Literal {
            string: Some(unescape(inner)),
            raw,
        }
    }

    /// `primitiveLiteral` (with booleans) or `orderableLiteral`.
    fn literal(&mut self, bool_ok: bool) -> Result<Literal, PatternError> {
        let t = self.peek();
        match t.tok {
            Tok::Str => {
                self.bump();
                Ok(self.string(t))
            }
            Tok::IntPos
            | Tok::IntNeg
            | Tok::FloatPos
            | Tok::FloatNeg
            | Tok::Binary
            | Tok::Hex
            | Tok::Timestamp => {
                self.bump();
                Ok(Literal {
                    raw: self.text_of(t).to_owned(),
                    string: None,
                })
            }
            Tok::Bool if bool_ok => {
                self.bump();
                Ok(Literal {
                    raw: self.text_of(t).to_owned(),
                    string: None,
                })
            }
            _ => Err(self.unexpected(if bool_ok {
                "a literal (string, number, boolean, h'…', b'…', t'…')"
            } else {
                "an orderable literal (string, number, h'…', b'…', t'…')"
            })),
        }
    }

    /// `setLiteral`: `()` or `(lit, lit, …)`.
    fn set(&mut self) -> Result<(Vec<Literal>, String), PatternError> {
        self.expect(Tok::LParen, "`(` (a set)")?;
        let mut items = Vec::new();
        if self.peek().tok != Tok::RParen {
            items.push(self.literal(true)?);
            while self.peek().tok == Tok::Comma {
                self.bump();
                items.push(self.literal(true)?);
            }
        }
        self.expect(Tok::RParen, "`,` or `)`")?;
        let mut raw = String::from("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                raw.push(',');
            }
            raw.push_str(&item.raw);
        }
        raw.push(')');
        Ok((items, raw))
    }

    /// `objectPath`: `type:first` then `.key`, `.'key'`, `[n]`, `[*]`.
    fn object_path(&mut self) -> Result<(String, Vec<Step>), PatternError> {
        let t = self.peek();
        let object_type = match t.tok {
            Tok::IdentWithoutHyphen | Tok::IdentWithHyphen => {
                self.bump();
                self.text_of(t).to_owned()
            }
            _ => return Err(self.unexpected("an object type (ipv4-addr, file, …)")),
        };
        self.expect(Tok::Colon, "`:`")?;
        let mut path = vec![self.key("a property name")?];
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.bump();
                    path.push(self.key("a property name or a quoted key")?);
                }
                Tok::LBrack => {
                    self.bump();
                    let t = self.bump();
                    let step = match t.tok {
                        Tok::IntPos => {
                            let s = self.text_of(t);
                            Step::Index(s.strip_prefix('+').unwrap_or(s).to_owned())
                        }
                        Tok::IntNeg => Step::Index(self.text_of(t).to_owned()),
                        Tok::Asterisk => Step::Star,
                        _ => {
                            self.at -= usize::from(t.tok != Tok::Eof);
                            return Err(self.unexpected("a list index or `*`"));
                        }
                    };
                    self.expect(Tok::RBrack, "`]`")?;
                    path.push(step);
                }
                _ => break,
            }
        }
        Ok((object_type, path))
    }

    fn key(&mut self, wanted: &str) -> Result<Step, PatternError> {
        let t = self.peek();
        match t.tok {
            Tok::IdentWithoutHyphen => {
                self.bump();
                Ok(Step::Key(self.text_of(t).to_owned()))
            }
            Tok::Str => {
                self.bump();
                Ok(Step::Key(self.string(t).string.unwrap_or_default()))
            }
            _ => Err(self.unexpected(wanted)),
        }
    }
}

/// A string literal's content without its escapes (`\'` and `\\`).
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn display_path(object_type: &str, path: &[Step]) -> String {
    let mut out = format!("{object_type}:");
    for (i, step) in path.iter().enumerate() {
        match step {
            Step::Key(k) => {
                if i > 0 {
                    out.push('.');
                }
                let plain = k
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if plain {
                    out.push_str(k);
                } else {
                    let _ = write!(out, "'{}'", k.replace('\\', "\\\\").replace('\'', "\\'"));
                }
            }
            Step::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
            Step::Star => out.push_str("[*]"),
        }
    }
    out
}

impl Test {
    fn display(&self) -> String {
        let path = display_path(&self.object_type, &self.path);
        if self.op == "EXISTS" {
            return format!("EXISTS {path}");
        }
        let not = if self.negated { "NOT " } else { "" };
        let value = match &self.set_raw {
            Some(raw) => raw.clone(),
            None => self
                .values
                .first()
                .map(|v| v.raw.clone())
                .unwrap_or_default(),
        };
        let value: String = if value.chars().count() > 80 {
            value.chars().take(77).chain("...".chars()).collect()
        } else {
            value
        };
        format!("{path} {not}{op} {value}", op = self.op)
    }
}

/// What medsec matches: (object type, path) to the kind of value, or why
/// not.
fn target(object_type: &str, path: &[Step]) -> Result<Target, String> {
    let keys: Option<Vec<&str>> = path
        .iter()
        .map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let keys = keys.unwrap_or_default();
    match (object_type, keys.as_slice()) {
        ("ipv4-addr", ["value"]) => Ok(Target::Ip(4)),
        ("ipv6-addr", ["value"]) => Ok(Target::Ip(6)),
        ("domain-name", ["value"]) => Ok(Target::Kind(Kind::Domain)),
        ("url", ["value"]) => Ok(Target::Kind(Kind::Url)),
        ("file", ["hashes", algorithm]) => {
            match algorithm.to_ascii_uppercase().replace('-', "").as_str() {
                "MD5" => Ok(Target::Kind(Kind::Md5)),
                "SHA1" => Ok(Target::Kind(Kind::Sha1)),
                "SHA256" => Ok(Target::Kind(Kind::Sha256)),
                _ => Err(format!(
                    "the hash algorithm {algorithm} is not matched (events carry MD5, SHA-1 and SHA-256)"
                )),
            }
        }
        ("network-traffic", ["extensions", "http-request-ext", "request_header", header])
            if header.eq_ignore_ascii_case("user-agent") =>
        {
            Ok(Target::Kind(Kind::UserAgent))
        }
        _ => Err(format!(
            "{} is not matched (medsec matches ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, file:hashes.MD5/'SHA-1'/'SHA-256' and the HTTP User-Agent header)",
            display_path(object_type, path)
        )),
    }
}

enum Target {
    /// An address or CIDR block of IP version 4 or 6.
    Ip(u8),
    Kind(Kind),
}

impl Pattern {
    /// The comparisons in the order written, as `stix2patterns`'
    /// `inspect()` lists them (which leaves out `EXISTS`).
    pub fn comparisons(&self) -> Vec<Comparison> {
        let mut out = Vec::new();
        fn comp(c: &Comp, out: &mut Vec<Comparison>) {
            match c {
                Comp::Test(t) => {
                    if t.op == "EXISTS" {
                        return;
                    }
                    let value = match &t.set_raw {
                        Some(raw) => raw.clone(),
                        None => t.values.first().map(|v| v.raw.clone()).unwrap_or_default(),
                    };
                    let op = if t.set_raw.is_some() {
                        "IN".to_owned()
                    } else {
                        t.op.clone()
                    };
                    out.push(Comparison {
                        object_type: t.object_type.clone(),
                        path: t.path.clone(),
                        op: if t.negated { format!("NOT {op}") } else { op },
                        value,
                    });
                }
                Comp::Or(items) | Comp::And(items) => {
                    for i in items {
                        comp(i, out);
                    }
                }
            }
        }
        fn obs(o: &Obs, out: &mut Vec<Comparison>) {
            match o {
                Obs::Atom(c) => comp(c, out),
                Obs::Qualified(inner, _) => obs(inner, out),
                Obs::Seq(_, items) => {
                    for i in items {
                        obs(i, out);
                    }
                }
            }
        }
        obs(&self.root, &mut out);
        out
    }

    /// The operators between observations used anywhere (`AND`, `OR`,
    /// `FOLLOWEDBY`).
    pub fn observation_ops(&self) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        fn walk(o: &Obs, out: &mut BTreeSet<&'static str>) {
            match o {
                Obs::Atom(_) => {}
                Obs::Qualified(inner, _) => walk(inner, out),
                Obs::Seq(op, items) => {
                    out.insert(match op {
                        ObsOp::FollowedBy => "FOLLOWEDBY",
                        ObsOp::Or => "OR",
                        ObsOp::And => "AND",
                    });
                    for i in items {
                        walk(i, out);
                    }
                }
            }
        }
        walk(&self.root, &mut out);
        out
    }

    /// The qualifiers used anywhere, as `WITHIN 5 SECONDS`, `REPEATS 3
    /// TIMES`, `START t'…' STOP t'…'`.
    pub fn qualifiers(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        fn walk(o: &Obs, out: &mut BTreeSet<String>) {
            match o {
                Obs::Atom(_) => {}
                Obs::Qualified(inner, q) => {
                    out.insert(q.clone());
                    walk(inner, out);
                }
                Obs::Seq(_, items) => {
                    for i in items {
                        walk(i, out);
                    }
                }
            }
        }
        walk(&self.root, &mut out);
        out
    }

    /// The values medsec can match one event at a time, and the reason for
    /// every part it cannot:
    ///
    /// - observations joined by `OR`, and comparisons joined by `OR` in one
    ///   observation, each give their values;
    /// - comparisons `=` and `IN (…)` with string values on the paths of
    ///   [`Kind`] give a value each; `ISSUBSET 'cidr'` on an address too
    ///   (the address is inside the block);
    /// - comparisons joined by `AND` give their values only when all are
    ///   hashes of the one file (any of them identifies it);
    /// - anything else (`AND` between observations or other properties,
    ///   `FOLLOWEDBY`, qualifiers, `!=`, `NOT`, `<`/`>`, `LIKE`,
    ///   `MATCHES`, `ISSUPERSET`, `EXISTS`, other object types or
    ///   properties, values that are not strings or not of their type) is
    ///   unmatched, with its reason.
    pub fn extract(&self) -> Extraction {
        let mut out = Extraction::default();
        extract_obs(&self.root, &mut out);
        out.values.dedup();
        out
    }
}

fn extract_obs(o: &Obs, out: &mut Extraction) {
    match o {
        Obs::Atom(c) => extract_comp(c, out),
        Obs::Qualified(inner, q) => {
            let mut all = vec![q.as_str()];
            let mut o = inner.as_ref();
            while let Obs::Qualified(i, q) = o {
                all.push(q);
                o = i;
            }
            all.reverse();
            out.unmatched.push(format!(
                "{} {} observations over time; medsec matches one event at a time",
                if all.len() == 1 {
                    "the qualifier"
                } else {
                    "the qualifiers"
                },
                all.join(" ") + if all.len() == 1 { " counts" } else { " count" }
            ));
        }
        Obs::Seq(ObsOp::Or, items) => {
            for i in items {
                extract_obs(i, out);
            }
        }
        Obs::Seq(ObsOp::And, _) => out.unmatched.push(
            "AND between observations: several observations must all be seen; medsec matches one event at a time"
                .into(),
        ),
        Obs::Seq(ObsOp::FollowedBy, _) => out.unmatched.push(
            "FOLLOWEDBY: a sequence of observations; medsec matches one event at a time".into(),
        ),
    }
}

fn extract_comp(c: &Comp, out: &mut Extraction) {
    match c {
        Comp::Test(t) => extract_test(t, out),
        Comp::Or(items) => {
            for i in items {
                extract_comp(i, out);
            }
        }
        Comp::And(items) => {
            // Hashes of one file: any of them identifies the file.
            let mut hashes = Extraction::default();
            let all_hashes = items.iter().all(|i| {
                matches!(i, Comp::Test(t) if t.object_type == "file"
                    && matches!(target(&t.object_type, &t.path), Ok(Target::Kind(Kind::Md5 | Kind::Sha1 | Kind::Sha256))))
            });
            if all_hashes {
                for i in items {
                    extract_comp(i, &mut hashes);
                }
            }
            if all_hashes && hashes.unmatched.is_empty() {
                out.values.extend(hashes.values);
            } else {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Comp::Test(t) => t.display(),
                        _ => "(…)".into(),
                    })
                    .collect();
                out.unmatched.push(format!(
                    "AND: {} must all hold at once; medsec matches single values",
                    parts.join(" AND ")
                ));
            }
        }
    }
}

fn extract_test(t: &Test, out: &mut Extraction) {
    let what = t.display();
    let target = match target(&t.object_type, &t.path) {
        Ok(target) => target,
        Err(why) => {
            out.unmatched.push(format!("{what}: {why}"));
            return;
        }
    };
    if t.negated {
        out.unmatched
            .push(format!("{what}: a negation (NOT) is not matched"));
        return;
    }
    let subset_ok = t.op == "ISSUBSET" && matches!(target, Target::Ip(_));
    if !(matches!(t.op.as_str(), "=" | "==" | "IN") || subset_ok) {
        out.unmatched.push(format!(
            "{what}: the operator {} is not matched (only =, IN and, for addresses, ISSUBSET)",
            t.op
        ));
        return;
    }
    if t.values.is_empty() {
        out.unmatched.push(format!("{what}: an empty set"));
    }
    for v in &t.values {
        let Some(s) = &v.string else {
            out.unmatched
                .push(format!("{what}: the value {} is not a string", v.raw));
            continue;
        };
        let value = match target {
            Target::Ip(family) => super::ip_or_cidr(s, Some(family)),
            Target::Kind(kind) => kind.normalise(s).map(|v| (kind, v)),
        };
        match value {
            // ISSUBSET of a one-address block is that address.
            Ok(kv) => out.values.push(kv),
            Err(why) => out.unmatched.push(format!("{what}: {why}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `pattern` and compares the comparisons (`type:path op value`
    /// each, joined by `; `) or the error (`column: message` prefix).
    fn check(pattern: &str, expect: &str) {
        let got = match parse(pattern) {
            Ok(p) => p
                .comparisons()
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {}",
                        display_path(&c.object_type, &c.path),
                        c.op,
                        c.value
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Err(e) => format!("error {e}"),
        };
        assert!(
            got.starts_with(expect),
            "{pattern}\n got: {got}\nwant: {expect}"
        );
    }

    #[test]
    fn comparisons_and_errors() {
        check(
            "[ipv4-addr:value = '198.51.100.7']",
            "ipv4-addr:value = '198.51.100.7'",
        );
        check(
            "[file:hashes.'SHA-256' = 'aa' OR file:hashes.MD5 == 'bb']",
            "file:hashes.'SHA-256' = 'aa'; file:hashes.MD5 == 'bb'",
        );
        check(
            "[domain-name:value IN ( 'a.example' , 'b.example' )]",
            "domain-name:value IN ('a.example','b.example')",
        );
        check(
            "[x:a[*].b[-1].c[+2] NOT != 5]",
            "x:a[*].b[-1].c[2] NOT != 5",
        );
        check("[file:name = 'it\\'s']", "file:name = 'it\\'s'");
        check("[a:b = 1] /* c */ // d", "a:b = 1");
        check("[a:b = true]", "a:b = true");
        check(
            "[a:b > true]",
            "error column 8: expected an orderable literal",
        );
        check("[a:b = 'x'", "error column 11: expected `]`");
        check(
            "[a:b = 'x'] and [a:b = 'y']",
            "error column 13: expected an operator",
        );
        check("[a:b IN ('x' 'y')]", "error column 14: expected `,` or `)`");
        check("[a-b:c-d = 1]", "error column 6: expected a property name");
        check("[a:b = 'x\\n']", "error column 8: expected a literal");
        check("[a:b = h'abc']", "error column 8: expected a literal");
        check(
            "[a:b = t'2020-13-01T00:00:00Z']",
            "error column 8: expected a literal",
        );
        check(
            "[a:b = t'2020-12-31T23:59:60.5Z']",
            "a:b = t'2020-12-31T23:59:60.5Z'",
        );
        check("[a:b = b'AAA=']", "a:b = b'AAA='");
        check("[a:b = b'AA']", "error column 8");
        check("[a:b = 1] WITHIN 5 SECONDS REPEATS 2 TIMES", "a:b = 1");
        check(
            "[a:b = 1] WITHIN -5 SECONDS",
            "error column 18: expected a positive number",
        );
        check("[a:b = 'é'] x", "error column 13");
        check("", "error column 1: expected `[` or `(`");
        check("[EXISTS a:b]", "");
        check(
            &format!("{}[a:b = 1]{}", "(".repeat(70), ")".repeat(70)),
            "error",
        );
        check("[a:b = 1] /* /* /* x */ /*", "error column 25");
        // Many unclosed comments stay linear.
        check(
            &format!("[a:b = 1]{}", " /*".repeat(100_000)),
            "error column 11",
        );
    }

    fn extract(pattern: &str) -> Extraction {
        parse(pattern)
            .map(|p| p.extract())
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    #[test]
    fn what_can_be_matched() {
        let e = extract(
            "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '203.0.113.0/24'] OR [domain-name:value IN ('Evil.Example', 'b.example.')]",
        );
        assert_eq!(
            e.values,
            vec![
                (Kind::Ipv4, "198.51.100.7".into()),
                (Kind::Cidr, "203.0.113.0/24".into()),
                (Kind::Domain, "evil.example".into()),
                (Kind::Domain, "b.example".into()),
            ]
        );
        assert!(e.unmatched.is_empty());
        let e = extract(
            "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E' AND file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        );
        assert_eq!(e.values.len(), 2, "{e:?}");
        let e = extract(
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'x.exe']",
        );
        assert!(e.values.is_empty());
        assert!(e.unmatched[0].starts_with("AND: file:hashes.MD5"), "{e:?}");
        let e = extract("[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'x.example']");
        assert!(
            e.unmatched[0].starts_with("AND between observations"),
            "{e:?}"
        );
        let e = extract("[url:value LIKE 'http://%']");
        assert!(e.unmatched[0].contains("operator LIKE"), "{e:?}");
        let e = extract("[ipv4-addr:value ISSUBSET '10.0.0.0/8']");
        assert_eq!(e.values, vec![(Kind::Cidr, "10.0.0.0/8".into())]);
        let e = extract("[ipv6-addr:value = '198.51.100.7']");
        assert!(
            e.unmatched[0].contains("not an IPv6 address or CIDR"),
            "{e:?}"
        );
        let e = extract("[ipv4-addr:value = '198.51.100.7' OR email-addr:value = 'a@b.example']");
        assert_eq!(e.values.len(), 1);
        assert!(
            e.unmatched[0]
                .starts_with("email-addr:value = 'a@b.example': email-addr:value is not matched"),
            "{e:?}"
        );
        let e = extract(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'EvilBot/1.0']",
        );
        assert_eq!(e.values, vec![(Kind::UserAgent, "EvilBot/1.0".into())]);
        let e = extract("[file:hashes.'SHA-512' = 'aa']");
        assert!(e.unmatched[0].contains("SHA-512"), "{e:?}");
        let e = extract("[ipv4-addr:value = '198.51.100.7'] WITHIN 300 SECONDS");
        assert!(e.unmatched[0].contains("WITHIN 300 SECONDS"), "{e:?}");
        let e = extract("[ipv4-addr:value != '198.51.100.7']");
        assert!(e.unmatched[0].contains("operator !="), "{e:?}");
    }
}
