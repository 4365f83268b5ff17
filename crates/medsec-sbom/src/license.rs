//! SPDX licence expressions (SPDX 2.3 Annex D): checked against the SPDX
//! License List and put in canonical form (identifiers in the list's case,
//! operators upper case, single spaces), so that the writers emit only
//! expressions the reference tools accept, and licence names that are not
//! expressions can be told apart and written as `LicenseRef-`s.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::License;

mod list;

fn lookup(table: &'static [&'static str]) -> HashMap<String, &'static str> {
    table
        .iter()
        .map(|id| (id.to_ascii_lowercase(), *id))
        .collect()
}

/// The list's spelling of licence identifier `id`, matched ignoring case
/// as the specification says identifiers are.
pub fn license_id(id: &str) -> Option<&'static str> {
    static MAP: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| lookup(list::LICENSES))
        .get(&id.to_ascii_lowercase())
        .copied()
}

/// The list's spelling of exception identifier `id`.
pub fn exception_id(id: &str) -> Option<&'static str> {
    static MAP: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| lookup(list::EXCEPTIONS))
        .get(&id.to_ascii_lowercase())
        .copied()
}

/// Whether `s` is a valid `idstring` (letters, digits, `.` and `-`).
fn is_idstring(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// `LicenseRef-x` or `DocumentRef-y:LicenseRef-x`, in canonical case.
fn license_ref(token: &str) -> Option<String> {
    let (doc, lic) = match token.split_once(':') {
        Some((d, l)) => (Some(d), l),
        None => (None, token),
    };
    let lic_id = strip_prefix_ignore_case(lic, "LicenseRef-")?;
    if !is_idstring(lic_id) {
        return None;
    }
    match doc {
        Some(d) => {
            let doc_id = strip_prefix_ignore_case(d, "DocumentRef-")?;
            is_idstring(doc_id).then(|| format!("DocumentRef-{doc_id}:LicenseRef-{lic_id}"))
        }
        None => Some(format!("LicenseRef-{lic_id}")),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let mut chars = s.char_indices();
    for p in prefix.chars() {
        let (_, c) = chars.next()?;
        if !c.eq_ignore_ascii_case(&p) {
            return None;
        }
    }
    match chars.next() {
        Some((i, _)) => s.get(i..),
        None => Some(""),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    With,
    Word(String),
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let t = match word.to_ascii_uppercase().as_str() {
            "AND" => Token::And,
            "OR" => Token::Or,
            "WITH" => Token::With,
            _ => Token::Word(word.clone()),
        };
        tokens.push(t);
        word.clear();
    };
    for c in s.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut tokens);
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// A recursive-descent parser over the tokens that writes the canonical
/// form as it goes. Depth is bounded because parentheses nest at most
/// as deep as the (length-limited) input.
struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or_expr(&mut self) -> Option<String> {
        let mut out = self.and_expr()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            out = format!("{out} OR {}", self.and_expr()?);
        }
        Some(out)
    }

    fn and_expr(&mut self) -> Option<String> {
        let mut out = self.with_expr()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            out = format!("{out} AND {}", self.with_expr()?);
        }
        Some(out)
    }

    fn with_expr(&mut self) -> Option<String> {
        let simple = self.primary()?;
        if self.peek() == Some(&Token::With) {
            self.pos += 1;
            let Some(Token::Word(w)) = self.next() else {
                return None;
            };
            let exception = exception_id(&w).map(str::to_owned).or_else(|| {
                strip_prefix_ignore_case(&w, "AdditionRef-")
                    .filter(|id| is_idstring(id))
                    .map(|id| format!("AdditionRef-{id}"))
            })?;
            return Some(format!("{simple} WITH {exception}"));
        }
        Some(simple)
    }

    fn primary(&mut self) -> Option<String> {
        match self.next()? {
            Token::Open => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let inner = self.or_expr()?;
                self.depth -= 1;
                (self.next()? == Token::Close).then(|| format!("({inner})"))
            }
            Token::Word(w) => simple_license(&w),
            _ => None,
        }
    }
}

/// The deprecated identifiers that fold an exception into the licence id,
/// in the form the SPDX License List replaced them with. Tools built on
/// the current list (spdx-tools' `license-expression`) read the old ids
/// as exceptions and refuse the expression.
const WITH_EXCEPTION: &[(&str, &str)] = &[
    (
        "GPL-2.0-with-autoconf-exception",
        "GPL-2.0-only WITH Autoconf-exception-2.0",
    ),
    (
        "GPL-2.0-with-bison-exception",
        "GPL-2.0-only WITH Bison-exception-2.2",
    ),
    (
        "GPL-2.0-with-classpath-exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
    (
        "GPL-2.0-with-font-exception",
        "GPL-2.0-only WITH Font-exception-2.0",
    ),
    (
        "GPL-2.0-with-GCC-exception",
        "GPL-2.0-only WITH GCC-exception-2.0",
    ),
    (
        "GPL-3.0-with-autoconf-exception",
        "GPL-3.0-only WITH Autoconf-exception-3.0",
    ),
    (
        "GPL-3.0-with-GCC-exception",
        "GPL-3.0-only WITH GCC-exception-3.1",
    ),
];

/// A licence id (optionally with `+`) or a `LicenseRef`.
fn simple_license(w: &str) -> Option<String> {
    if let Some(r) = license_ref(w) {
        return Some(r);
    }
    if let Some((_, modern)) = WITH_EXCEPTION
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(w))
    {
        return Some((*modern).to_owned());
    }
    let (id, plus) = match w.strip_suffix('+') {
        Some(id) => (id, "+"),
        None => (w, ""),
    };
    license_id(id).map(|id| format!("{id}{plus}"))
}

/// The canonical form of `s` if it is a valid SPDX licence expression
/// over the SPDX License List (and `LicenseRef-`s).
pub fn canonical_expression(s: &str) -> Option<String> {
    let tokens = tokenize(s);
    if tokens.is_empty() || tokens.len() > 10_000 {
        return None;
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let out = p.or_expr()?;
    (p.pos == p.tokens.len()).then_some(out)
}

/// The `LicenseRef-…` identifiers used in an expression, in order.
pub(crate) fn license_refs(expression: &str) -> Vec<String> {
    tokenize(expression)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => license_ref(&w).filter(|r| r.starts_with("LicenseRef-")),
            _ => None,
        })
        .collect()
}

/// Whether `expression` is a single licence (`MIT`, `LicenseRef-x`) rather
/// than a compound one.
pub(crate) fn is_single(expression: &str) -> bool {
    let tokens = tokenize(expression);
    matches!(tokens.as_slice(), [Token::Word(_)])
}

/// The licence for a text that may be an expression or a name: an
/// expression when valid, else a name. `NOASSERTION` and `NONE` say
/// nothing about the licence and give `None`.
pub fn classify(text: &str) -> Option<License> {
    let t = text.trim();
    if t.is_empty() || t == "NOASSERTION" || t == "NONE" {
        return None;
    }
    Some(match canonical_expression(t) {
        Some(e) => License::Expression(e),
        None => License::Name(t.to_owned()),
    })
}

/// A `LicenseRef-` id for a licence known only by name: the name's
/// letters, digits, `.` and `-`, other runs of characters as one `-`.
pub(crate) fn license_ref_for_name(name: &str) -> String {
    let mut id = String::from("LicenseRef-");
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            id.push(c);
            dash = false;
        } else if !dash {
            id.push('-');
            dash = true;
        }
    }
    let trimmed = id.trim_end_matches('-').to_owned();
    if trimmed == "LicenseRef" {
        return "LicenseRef-unnamed".to_owned();
    }
    trimmed
}

#[cfg(test)]
mod tests;
