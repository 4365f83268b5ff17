//! Full-text analysis of raw messages: how a message is cut into tokens,
//! which index terms a token yields, and when a query token matches a
//! message token. The segment index and the reference matcher both use
//! these functions, so the index can only ever narrow what a scan finds.
//!
//! # Tokens
//!
//! A token is a maximal run of letters and digits (`char::is_alphanumeric`)
//! of one *class*, lower-cased (`char::to_lowercase`). Everything else
//! (spaces, punctuation, `_`, `.`, `/`, `=`) separates tokens, so
//! `sshd(pam_unix)[19939]:` gives `sshd`, `pam`, `unix`, `19939`, and an
//! address `10.0.0.1` gives `10`, `0`, `0`, `1` (a query for `10.0.0.1`
//! is a phrase of those four tokens).
//!
//! The two classes are *word* (Latin, Cyrillic, digits, …) and *n-gram*:
//! Hangul (syllables and jamo), CJK ideographs, Hiragana and Katakana.
//! A change of class also separates tokens: `DB서버가` gives `db` and
//! `서버가`.
//!
//! # Matching
//!
//! A word query token matches a message token that is equal to it. An
//! n-gram query token matches an n-gram message token that *contains* it,
//! because Korean attaches particles and endings to words: `서버` matches
//! `서버가`, `서버에서` and `웹서버`.
//!
//! # Index terms
//!
//! A word token is indexed as itself, cut to [`MAX_TERM_BYTES`] (a query
//! token that long is looked up by the same cut prefix and the scan
//! decides). An n-gram token of one character is indexed as itself, a
//! longer one as all its bigrams (`서버가` → `서버`, `버가`); a query token
//! of two or more characters needs all its bigrams in a block, one of one
//! character needs any term that contains it.

/// Index terms longer than this many bytes are cut (at a character
/// boundary) to at most this length.
pub const MAX_TERM_BYTES: usize = 64;

/// The class of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Word,
    Ngram,
}

/// The class of a character, or `None` for a separator.
pub(crate) fn class_of(c: char) -> Option<Class> {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric().then_some(Class::Word);
    }
    if is_ngram(c) {
        Some(Class::Ngram)
    } else if c.is_alphanumeric() {
        Some(Class::Word)
    } else {
        None
    }
}

/// Scripts written without spaces between words, or with particles glued
/// to words: indexed as character bigrams and matched as substrings.
pub(crate) fn is_ngram(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF      // Hangul Jamo
        | 0x3040..=0x309F    // Hiragana
        | 0x30A0..=0x30FF    // Katakana
        | 0x3130..=0x318F    // Hangul Compatibility Jamo
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xA960..=0xA97F    // Hangul Jamo Extended-A
        | 0xAC00..=0xD7A3    // Hangul Syllables
        | 0xD7B0..=0xD7FF    // Hangul Jamo Extended-B
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
    )
}

/// Calls `f` with each token of `text`, lower-cased, and its class.
pub(crate) fn tokens(text: &str, f: impl FnMut(&str, Class)) {
    if text.is_ascii() {
        ascii_tokens(text, f);
    } else {
        any_tokens(text, f);
    }
}

/// [`tokens`] of ASCII text (most messages): the runs of ASCII letters
/// and digits, handed out without a copy unless they need lower-casing.
fn ascii_tokens(text: &str, mut f: impl FnMut(&str, Class)) {
    let b = text.as_bytes();
    let mut buf = String::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let token = text.get(start..i).unwrap_or("");
        if token.bytes().any(|c| c.is_ascii_uppercase()) {
            buf.clear();
            buf.push_str(token);
            buf.make_ascii_lowercase();
            f(&buf, Class::Word);
        } else {
            f(token, Class::Word);
        }
    }
}

/// [`tokens`] of any text, character by character.
fn any_tokens(text: &str, mut f: impl FnMut(&str, Class)) {
    let mut buf = String::new();
    let mut current: Option<Class> = None;
    for c in text.chars() {
        let class = class_of(c);
        if class != current {
            if let Some(k) = current
                && !buf.is_empty()
            {
                f(&buf, k);
            }
            buf.clear();
            current = class;
        }
        if class.is_some() {
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                buf.extend(c.to_lowercase());
            }
        }
    }
    if let Some(k) = current
        && !buf.is_empty()
    {
        f(&buf, k);
    }
}

/// The tokens of `text` as owned strings.
pub(crate) fn token_list(text: &str) -> Vec<(String, Class)> {
    let mut out = Vec::new();
    tokens(text, |t, k| out.push((t.to_owned(), k)));
    out
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Calls `f` with each index term of one token.
pub(crate) fn index_terms(token: &str, class: Class, mut f: impl FnMut(&str)) {
    match class {
        Class::Word => f(cut(token, MAX_TERM_BYTES)),
        Class::Ngram => {
            let starts: Vec<usize> = token
                .char_indices()
                .map(|(i, _)| i)
                .chain([token.len()])
                .collect();
            if starts.len() <= 2 {
                f(token);
            } else {
                for w in starts.windows(3) {
                    if let Some(bigram) = token.get(w[0]..w[2]) {
                        f(bigram);
                    }
                }
            }
        }
    }
}

/// Whether a query token matches a message token.
pub(crate) fn token_matches(query: &str, qclass: Class, token: &str, tclass: Class) -> bool {
    match qclass {
        Class::Word => tclass == Class::Word && token == query,
        Class::Ngram => tclass == Class::Ngram && token.contains(query),
    }
}

/// Whether the query tokens occur as consecutive message tokens.
pub(crate) fn phrase_matches(query: &[(String, Class)], message: &[(String, Class)]) -> bool {
    if query.is_empty() || query.len() > message.len() {
        return false;
    }
    message.windows(query.len()).any(|w| {
        w.iter()
            .zip(query)
            .all(|((t, tk), (q, qk))| token_matches(q, *qk, t, *tk))
    })
}

/// Whether the ASCII words occur as consecutive tokens of the
/// (lower-cased, ASCII) message, the first at byte `at`.
pub(crate) fn phrase_at(msg: &[u8], at: usize, words: &[&[u8]]) -> bool {
    let word = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if at > 0 && word(msg.get(at - 1)) {
        return false;
    }
    let mut p = at;
    for (k, w) in words.iter().enumerate() {
        if k > 0 {
            while p < msg.len() && !word(msg.get(p)) {
                p += 1;
            }
        }
        if !msg.get(p..).is_some_and(|rest| rest.starts_with(w)) {
            return false;
        }
        p += w.len();
        if word(msg.get(p)) {
            return false;
        }
    }
    true
}

/// Whether an ASCII message has the ASCII words as consecutive tokens,
/// without tokenizing it; `None` when the byte matcher does not apply
/// (non-ASCII message or query token).
pub(crate) fn ascii_phrase_matches(query: &[(String, Class)], message: &str) -> Option<bool> {
    if !message.is_ascii() || !query.iter().all(|(q, c)| *c == Class::Word && q.is_ascii()) {
        return None;
    }
    let words: Vec<&[u8]> = query.iter().map(|(q, _)| q.as_bytes()).collect();
    let first = words.first()?;
    let lower = message.as_bytes().to_ascii_lowercase();
    Some(memchr::memmem::find_iter(&lower, first).any(|at| phrase_at(&lower, at, &words)))
}

/// One element of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobPart {
    /// A literal character.
    Char(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, the empty one included.
    Any,
}

/// A wildcard pattern of literal characters, `?` and `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(pub Vec<GlobPart>);

impl Glob {
    /// Whether the whole of `text` matches the pattern.
    pub fn matches(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        let p = &self.0;
        let (mut ti, mut pi) = (0usize, 0usize);
        // Where the last `*` was and which text position it is tried at.
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(GlobPart::Any) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(GlobPart::One) => {
                    pi += 1;
                    ti += 1;
                }
                Some(GlobPart::Char(c)) if *c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p.get(pi..)
            .is_some_and(|rest| rest.iter().all(|x| *x == GlobPart::Any))
    }

    /// The literal characters before the first wildcard.
    pub fn literal_prefix(&self) -> String {
        self.0
            .iter()
            .map_while(|p| match p {
                GlobPart::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Whether the pattern has no wildcard at all.
    pub fn is_literal(&self) -> bool {
        self.0.iter().all(|p| matches!(p, GlobPart::Char(_)))
    }

    /// The pattern with its literal characters lower-cased, as full-text
    /// wildcards compare with lower-cased tokens.
    pub(crate) fn lowercased(&self) -> Glob {
        Glob(
            self.0
                .iter()
                .flat_map(|p| match p {
                    GlobPart::Char(c) => c.to_lowercase().map(GlobPart::Char).collect::<Vec<_>>(),
                    other => vec![other.clone()],
                })
                .collect(),
        )
    }
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.0 {
            match p {
                GlobPart::Char(c @ ('*' | '?' | '\\' | '"' | ' ' | '(' | ')' | ':')) => {
                    write!(f, "\\{c}")?
                }
                GlobPart::Char(c) => write!(f, "{c}")?,
                GlobPart::One => f.write_str("?")?,
                GlobPart::Any => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_tokens(text: &str, expect: &[&str]) {
        let got: Vec<String> = token_list(text).into_iter().map(|(t, _)| t).collect();
        assert_eq!(got, expect, "tokens of {text:?}");
    }

    #[test]
    fn tokenizer() {
        check_tokens(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass;",
            &[
                "jun", "14", "15", "16", "01", "combo", "sshd", "pam", "unix", "19939", "check",
                "pass",
            ],
        );
        check_tokens("DB서버가 응답 없음", &["db", "서버가", "응답", "없음"]);
        check_tokens("from 10.0.0.1 port", &["from", "10", "0", "0", "1", "port"]);
        check_tokens("ÄRGER Straße", &["ärger", "straße"]);
        check_tokens("", &[]);
        check_tokens("!!!", &[]);
        // The ASCII fast path cuts exactly as the general one.
        for text in [
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass;",
            "<86>May  1 00:00:03 h01-LabSZ sshd[24200]: Failed password for ROOT from 1.2.3.4",
            "A",
            "a",
            " x ",
            "__a1B2__c3D4--",
            "\u{1}\t\u{7f}Zz9",
        ] {
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            ascii_tokens(text, |t, k| fast.push((t.to_owned(), k)));
            any_tokens(text, |t, k| general.push((t.to_owned(), k)));
            assert_eq!(fast, general, "{text:?}");
        }
    }

    fn check_terms(token: &str, class: Class, expect: &[&str]) {
        let mut got = Vec::new();
        index_terms(token, class, |t| got.push(t.to_owned()));
        assert_eq!(got, expect, "terms of {token:?}");
    }

    #[test]
    fn index_terms_of_tokens() {
        check_terms("서버가", Class::Ngram, &["서버", "버가"]);
        check_terms("서", Class::Ngram, &["서"]);
        check_terms("서버", Class::Ngram, &["서버"]);
        check_terms("failed", Class::Word, &["failed"]);
        let long = "a".repeat(100);
        check_terms(&long, Class::Word, &[&"a".repeat(MAX_TERM_BYTES)]);
        // A cut never splits a character.
        let korean_word = "é".repeat(40);
        let mut got = Vec::new();
        index_terms(&korean_word, Class::Word, |t| got.push(t.len()));
        assert_eq!(got, [64]);
    }

    #[test]
    fn korean_is_found_inside_words() {
        let msg = token_list("DB서버가 응답하지 않습니다");
        let q = |s: &str| token_list(s);
        assert!(phrase_matches(&q("서버"), &msg));
        assert!(phrase_matches(&q("버가"), &msg));
        assert!(phrase_matches(&q("서"), &msg));
        assert!(phrase_matches(&q("서버 응답"), &msg));
        assert!(!phrase_matches(&q("응답 서버"), &msg));
        assert!(phrase_matches(&q("db"), &msg));
        assert!(!phrase_matches(&q("d"), &msg));
    }

    fn glob(s: &str) -> Glob {
        Glob(
            s.chars()
                .map(|c| match c {
                    '*' => GlobPart::Any,
                    '?' => GlobPart::One,
                    c => GlobPart::Char(c),
                })
                .collect(),
        )
    }

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("fail*", "failed", true),
            ("fail*", "fail", true),
            ("fail*", "fai", false),
            ("*ed", "failed", true),
            ("f?iled", "failed", true),
            ("f?iled", "fiiled", true),
            ("f?iled", "fled", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxx", false),
            ("*", "", true),
            ("", "", true),
            ("서*", "서버가", true),
            ("a*a*a", "aaaa", true),
        ] {
            assert_eq!(glob(p).matches(t), want, "{p} ~ {t}");
        }
        assert_eq!(glob("ab*c").literal_prefix(), "ab");
    }
}
