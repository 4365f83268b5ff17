//! The query parser: recursive descent over the characters of the query,
//! so that every error names the column (counted in characters, as an
//! editor shows Korean text) and what was expected there.

use std::fmt;

use super::{Cidr, CmpOp, FieldPred, Literal, Node, TextQuery};
use crate::text::{Glob, GlobPart, class_of};

/// Why a query does not parse: where (1-based column, in characters), what
/// the parser expected there and what it found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub column: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "query column {}: expected {}, found {}",
            self.column, self.expected, self.found
        )
    }
}

type PResult<T> = Result<T, ParseError>;

/// How deeply parentheses and `NOT`s may nest; deeper queries are refused
/// rather than risking the stack.
const MAX_DEPTH: usize = 64;

pub(super) fn parse(text: &str) -> PResult<Node> {
    let mut p = Parser {
        chars: text.chars().collect(),
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.eof() {
        return Ok(Node::All);
    }
    let node = p.or()?;
    p.ws();
    if !p.eof() {
        return Err(p.err("`AND`, `OR` or the end of the query"));
    }
    Ok(node)
}

/// One character of a word, and whether a backslash escaped it.
#[derive(Clone, Copy)]
struct WordChar {
    c: char,
    escaped: bool,
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn eof(&self) -> bool {
        self.i >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    /// What is at the current position, for error messages.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the query".to_owned(),
            Some(c) if c.is_whitespace() => "a space".to_owned(),
            Some(_) => {
                let word: String = self.chars[self.i..]
                    .iter()
                    .take_while(|c| !c.is_whitespace())
                    .take(20)
                    .collect();
                format!("`{word}`")
            }
        }
    }

    fn err(&self, expected: impl Into<String>) -> ParseError {
        self.err_at(self.i, expected, self.found())
    }

    fn err_at(
        &self,
        at: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ParseError {
        ParseError {
            column: at + 1,
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// Whether the keyword starts here and is followed by a separator.
    fn at_keyword(&self, kw: &str) -> bool {
        let n = kw.chars().count();
        let Some(slice) = self.chars.get(self.i..self.i + n) else {
            return false;
        };
        slice.iter().copied().eq(kw.chars())
            && self
                .chars
                .get(self.i + n)
                .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.at_keyword(kw) {
            self.i += kw.chars().count();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("at most {MAX_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn or(&mut self) -> PResult<Node> {
        let mut items = vec![self.and()?];
        loop {
            self.ws();
            if !self.keyword("OR") {
                break;
            }
            self.ws();
            if self.eof() || self.peek() == Some(')') {
                return Err(self.err("a term after `OR`"));
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> PResult<Node> {
        let mut items = vec![self.unary()?];
        loop {
            self.ws();
            if self.eof() || self.peek() == Some(')') || self.at_keyword("OR") {
                break;
            }
            if self.keyword("AND") {
                self.ws();
                if self.eof() || self.peek() == Some(')') {
                    return Err(self.err("a term after `AND`"));
                }
            }
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> PResult<Node> {
        self.ws();
        if self.keyword("NOT") {
            self.ws();
            if self.eof() || self.peek() == Some(')') {
                return Err(self.err("a term after `NOT`"));
            }
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Node> {
        match self.peek() {
            None => Err(self.err("a term")),
            Some('(') => {
                let open = self.i;
                self.i += 1;
                self.ws();
                if self.peek() == Some(')') {
                    return Err(self.err("a term inside the parentheses"));
                }
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                self.ws();
                if self.peek() != Some(')') {
                    return Err(self.err(format!("`)` to close the `(` at column {}", open + 1)));
                }
                self.i += 1;
                Ok(inner)
            }
            Some(')') => Err(self.err("a term")),
            Some('"') => {
                let at = self.i;
                let text = self.quoted()?;
                TextQuery::phrase(&text).map(Node::Text).ok_or_else(|| {
                    self.err_at(at, "a phrase with a letter or digit", format!("\"{text}\""))
                })
            }
            Some(_) if self.at_keyword("AND") || self.at_keyword("OR") => Err(self.err("a term")),
            Some(_) => self.word_or_field(),
        }
    }

    /// A quoted string, the quotes removed and escapes resolved.
    fn quoted(&mut self) -> PResult<String> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.err(format!(
                        "a closing `\"` for the quote at column {}",
                        open + 1
                    )));
                }
                Some('"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c) => {
                            out.push(c);
                            self.i += 1;
                        }
                        None => return Err(self.err("a character after `\\`")),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A run of word characters up to a character in `stop` or
    /// whitespace, with backslash escapes.
    fn run(&mut self, stop: &[char]) -> PResult<Vec<WordChar>> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || stop.contains(&c) {
                break;
            }
            self.i += 1;
            if c == '\\' {
                match self.peek() {
                    Some(e) => {
                        out.push(WordChar {
                            c: e,
                            escaped: true,
                        });
                        self.i += 1;
                    }
                    None => return Err(self.err("a character after `\\`")),
                }
            } else {
                out.push(WordChar { c, escaped: false });
            }
        }
        Ok(out)
    }

    fn word_or_field(&mut self) -> PResult<Node> {
        let start = self.i;
        let word = self.run(&['(', ')', '"', ':', '<', '>'])?;
        let plain: String = word.iter().map(|w| w.c).collect();
        let escaped = word.iter().any(|w| w.escaped);
        match self.peek() {
            Some(c @ (':' | '<' | '>')) => {
                if word.is_empty() {
                    return Err(self.err("a term"));
                }
                if escaped || !valid_field(&plain) {
                    return Err(self.err_at(
                        start,
                        format!("a field name (letters, digits, `_`, `.`, `@`, `-`) before `{c}`"),
                        format!("`{plain}`"),
                    ));
                }
                if c == ':' {
                    self.i += 1;
                    self.field_value(plain)
                } else {
                    self.comparison(plain)
                }
            }
            _ => {
                if word.is_empty() {
                    return Err(self.err("a term"));
                }
                text_word(&word).ok_or_else(|| {
                    self.err_at(
                        start,
                        "a word with a letter or digit (a wildcard word may hold only letters, digits, `*` and `?`)",
                        format!("`{plain}`"),
                    )
                })
            }
        }
    }

    fn field_value(&mut self, field: String) -> PResult<Node> {
        let at = self.i;
        match self.peek() {
            None => Err(self.err(format!("a value after `{field}:`"))),
            Some(c) if c.is_whitespace() || c == ')' => {
                Err(self.err(format!("a value after `{field}:`")))
            }
            Some('"') => {
                let text = self.quoted()?;
                if field == "_exists_" {
                    return self.exists(at, &text);
                }
                Ok(Node::Field {
                    field,
                    pred: FieldPred::Equals(Literal::new(&text)),
                })
            }
            Some('[' | '{') => {
                if field == "_exists_" {
                    return Err(self.err("a field name after `_exists_:`"));
                }
                self.range(field)
            }
            Some('(') => Err(self.err(format!(
                "a value after `{field}:` (groups like `field:(a OR b)` are not supported; write `field:a OR field:b`)"
            ))),
            Some(_) => {
                let value = self.run(&['(', ')', '"'])?;
                let plain: String = value.iter().map(|w| w.c).collect();
                if field == "_exists_" {
                    return self.exists(at, &plain);
                }
                let wild = value
                    .iter()
                    .any(|w| !w.escaped && matches!(w.c, '*' | '?'));
                let pred = if value.len() == 1 && wild && value[0].c == '*' {
                    FieldPred::Exists
                } else if wild {
                    FieldPred::Wildcard(glob_of(&value))
                } else if let Some(cidr) = (!value.iter().any(|w| w.escaped))
                    .then(|| Cidr::parse(&plain))
                    .flatten()
                {
                    FieldPred::Cidr(cidr)
                } else {
                    FieldPred::Equals(Literal::new(&plain))
                };
                Ok(Node::Field { field, pred })
            }
        }
    }

    fn exists(&self, at: usize, name: &str) -> PResult<Node> {
        if !valid_field(name) {
            return Err(self.err_at(at, "a field name after `_exists_:`", format!("`{name}`")));
        }
        Ok(Node::Field {
            field: name.to_owned(),
            pred: FieldPred::Exists,
        })
    }

    fn comparison(&mut self, field: String) -> PResult<Node> {
        let op = match (self.peek(), self.chars.get(self.i + 1)) {
            (Some('>'), Some('=')) => CmpOp::Ge,
            (Some('<'), Some('=')) => CmpOp::Le,
            (Some('>'), _) => CmpOp::Gt,
            _ => CmpOp::Lt,
        };
        self.i += if matches!(op, CmpOp::Ge | CmpOp::Le) {
            2
        } else {
            1
        };
        let text = match self.peek() {
            Some('"') => self.quoted()?,
            Some(c) if !c.is_whitespace() && c != ')' && c != '(' => {
                let run = self.run(&['(', ')', '"'])?;
                run.iter().map(|w| w.c).collect()
            }
            _ => return Err(self.err(format!("a value after `{field}{}`", op.symbol()))),
        };
        Ok(Node::Field {
            field,
            pred: FieldPred::Compare(op, Literal::new(&text)),
        })
    }

    fn range(&mut self, field: String) -> PResult<Node> {
        let open = self.i;
        let lower_inclusive = self.peek() == Some('[');
        self.i += 1;
        self.ws();
        let lower = self.bound(&field)?;
        self.ws();
        if !self.keyword("TO") {
            return Err(self.err("`TO` between the bounds of the range"));
        }
        self.ws();
        let upper = self.bound(&field)?;
        self.ws();
        let upper_inclusive = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => {
                return Err(self.err(format!(
                    "`]` or `}}` to close the range opened at column {}",
                    open + 1
                )));
            }
        };
        self.i += 1;
        Ok(Node::Field {
            field,
            pred: FieldPred::Range {
                lower: lower.map(|l| (l, lower_inclusive)),
                upper: upper.map(|u| (u, upper_inclusive)),
            },
        })
    }

    /// One bound of a range: `*` (open), a quoted string or a word.
    fn bound(&mut self, field: &str) -> PResult<Option<Literal>> {
        match self.peek() {
            Some('"') => Ok(Some(Literal::new(&self.quoted()?))),
            Some(c) if !c.is_whitespace() && !matches!(c, ']' | '}') => {
                let run = self.run(&[']', '}', '(', ')', '"'])?;
                if run.len() == 1 && run[0].c == '*' && !run[0].escaped {
                    return Ok(None);
                }
                if run.len() == 2 && run[0].c == 'T' && run[1].c == 'O' {
                    return Err(self.err_at(
                        self.i - 2,
                        format!("a bound of the range on `{field}`"),
                        "`TO`",
                    ));
                }
                Ok(Some(Literal::new(
                    &run.iter().map(|w| w.c).collect::<String>(),
                )))
            }
            _ => Err(self.err(format!(
                "a bound of the range on `{field}` (a value or `*`)"
            ))),
        }
    }
}

fn valid_field(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
}

fn glob_of(word: &[WordChar]) -> Glob {
    Glob(
        word.iter()
            .map(|w| match (w.c, w.escaped) {
                ('*', false) => GlobPart::Any,
                ('?', false) => GlobPart::One,
                (c, _) => GlobPart::Char(c),
            })
            .collect(),
    )
}

/// A bare word: `*` alone (every event), a wildcard word, or a word whose
/// tokens are matched as a phrase. `None` when it has nothing to search.
fn text_word(word: &[WordChar]) -> Option<Node> {
    let wild = word.iter().any(|w| !w.escaped && matches!(w.c, '*' | '?'));
    if !wild {
        let text: String = word.iter().map(|w| w.c).collect();
        return TextQuery::phrase(&text).map(Node::Text);
    }
    if word.iter().all(|w| !w.escaped && w.c == '*') {
        return Some(Node::All);
    }
    // A wildcard word is matched against single tokens, so it may not
    // hold separators, and it needs at least one literal character.
    let ok = word
        .iter()
        .all(|w| (!w.escaped && matches!(w.c, '*' | '?')) || class_of(w.c).is_some())
        && word.iter().any(|w| class_of(w.c).is_some());
    ok.then(|| Node::Text(TextQuery::wildcard(glob_of(word))))
}
