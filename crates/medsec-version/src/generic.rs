//! A natural ordering for versions of no known scheme, used only when
//! nothing better exists (vendor firmware, unknown ecosystems).
//!
//! A version is read as runs of ASCII digits (numbers, of any size) and
//! runs of letters (words, compared case-insensitively); everything else
//! only separates, and a `v` before the first digit is dropped. Versions compare run by run: numbers numerically, words
//! as lower-case text, and a number above a word (`1.0.1` > `1.0.rc1`).
//! When one version runs out, what follows in the other decides: a number
//! makes it greater (`1.0` < `1.0.1`), a word smaller, as pre-release tags
//! are (`1.0rc1` < `1.0`). So `1.0` = `1-0` = `1_0`, and `1.0` < `1.0.0`
//! (trailing zeros count, since nothing says they may be dropped).

use std::cmp::Ordering;

use crate::num::Num;
use crate::{Scheme, VersionError};

/// A version as runs of numbers and words.
#[derive(Debug, Clone)]
pub struct Version {
    runs: Box<[Run]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    Number(Num),
    Word(Box<str>),
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let mut runs = Vec::new();
        // A `v` before the first digit is a prefix, not a word.
        let body = match text.trim_start().strip_prefix(['v', 'V']) {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => text,
        };
        let text = body;
        let mut chars = text.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if c.is_ascii_digit() {
                let mut end = start;
                while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    end = i + d.len_utf8();
                    chars.next();
                }
                runs.push(Run::Number(Num::from_digits(
                    text.get(start..end).unwrap_or_default(),
                )));
            } else if c.is_alphabetic() {
                let mut word = String::new();
                while let Some(&(_, l)) = chars.peek().filter(|(_, l)| l.is_alphabetic()) {
                    word.extend(l.to_lowercase());
                    chars.next();
                }
                runs.push(Run::Word(word.into()));
            } else {
                chars.next();
            }
        }
        if runs.is_empty() {
            return Err(VersionError::new(
                Scheme::Generic,
                text,
                "it has neither digits nor letters",
            ));
        }
        Ok(Version {
            runs: runs.into_boxed_slice(),
        })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        for i in 0..self.runs.len().max(other.runs.len()) {
            let result = match (self.runs.get(i), other.runs.get(i)) {
                (Some(Run::Number(a)), Some(Run::Number(b))) => a.cmp(b),
                (Some(Run::Word(a)), Some(Run::Word(b))) => a.cmp(b),
                (Some(Run::Number(_)), Some(Run::Word(_))) => Ordering::Greater,
                (Some(Run::Word(_)), Some(Run::Number(_))) => Ordering::Less,
                (Some(Run::Number(_)), None) | (None, Some(Run::Word(_))) => Ordering::Greater,
                (Some(Run::Word(_)), None) | (None, Some(Run::Number(_))) => Ordering::Less,
                (None, None) => Ordering::Equal,
            };
            if result.is_ne() {
                return result;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests;
