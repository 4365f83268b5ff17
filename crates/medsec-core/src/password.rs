//! Password rules (MFDS 1.9, KISA 1.4.4) and Argon2id hashing (MFDS 1.11,
//! KISA 1.4.3).
//!
//! The composition rule follows the Korean practice the KISA guides use:
//! at least 10 characters from two character classes, or 9 from three.
//! Hashes are PHC strings, so parameters can be raised later and old
//! hashes keep verifying.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;

/// The longest password accepted, in characters. Long enough for any
/// passphrase, short enough that hashing cost stays bounded.
pub const MAX_CHARS: usize = 256;

/// Character classes counted by the composition rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Upper,
    Lower,
    Digit,
    /// Punctuation, symbols, spaces and any non-ASCII letter (e.g. Hangul).
    Other,
}

fn class_of(c: char) -> CharClass {
    if c.is_ascii_uppercase() {
        CharClass::Upper
    } else if c.is_ascii_lowercase() {
        CharClass::Lower
    } else if c.is_ascii_digit() {
        CharClass::Digit
    } else {
        CharClass::Other
    }
}

/// Number of distinct character classes in `s`.
pub fn class_count(s: &str) -> usize {
    let mut seen = [false; 4];
    for c in s.chars() {
        seen[class_of(c) as usize] = true;
    }
    seen.iter().filter(|b| **b).count()
}

/// Why a proposed password is refused. The server renders each as a
/// localised message next to the password field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Problem {
    /// Shorter than the rule allows for its number of character classes.
    TooShort { chars: usize, classes: usize },
    /// Longer than [`MAX_CHARS`].
    TooLong { max: usize },
    /// Contains the user id (case-insensitive).
    ContainsUsername,
    /// Has control characters, which cannot be typed reliably.
    ControlChars,
    /// Equal to one of the last `count` passwords.
    Reused { count: u32 },
    /// A well-known password or a trivial pattern.
    Common,
}

/// Passwords that pass the composition rule but appear at the top of every
/// breach list; refused regardless of length.
const COMMON: &[&str] = &[
    "password1!",
    "password12",
    "password123",
    "p@ssw0rd12",
    "qwerty1234",
    "qwer1234!!",
    "1q2w3e4r5t",
    "1q2w3e4r!!",
    "qwertyuiop1",
    "admin12345",
    "administrator1",
    "abcd123456",
    "abc1234567",
    "iloveyou12",
    "welcome123",
    "letmein123",
    "zaq12wsx!!",
    "asdf1234!!",
    "medsec1234",
    "changeme123",
];

/// Checks a proposed password against the composition rules. Reuse of old
/// passwords is checked separately by [`is_reuse`], since it needs hashes.
pub fn check_composition(password: &str, username: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let chars = password.chars().count();
    let classes = class_count(password);
    if chars > MAX_CHARS {
        problems.push(Problem::TooLong { max: MAX_CHARS });
    }
    let long_enough = (classes >= 2 && chars >= 10) || (classes >= 3 && chars >= 9);
    if !long_enough {
        problems.push(Problem::TooShort { chars, classes });
    }
    if password.chars().any(char::is_control) {
        problems.push(Problem::ControlChars);
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if !user.is_empty() && lower.contains(&user) {
        problems.push(Problem::ContainsUsername);
    }
    if COMMON.contains(&lower.as_str()) || is_trivial(password) {
        problems.push(Problem::Common);
    }
    problems
}

/// A run of one repeated character or a simple ascending sequence, such as
/// `aaaaaaaaaa1` or `1234567890a`, padded to pass the class rule.
fn is_trivial(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < 2 {
        return false;
    }
    let mut longest_run = 1;
    let mut run = 1;
    for w in chars.windows(2) {
        let same = w[0] == w[1];
        let step = (w[1] as u32).wrapping_sub(w[0] as u32) == 1;
        if same || step {
            run += 1;
            longest_run = longest_run.max(run);
        } else {
            run = 1;
        }
    }
    longest_run + 2 >= chars.len()
}

/// Argon2id parameters: 19 MiB, 2 passes, 1 lane (the OWASP 2023 baseline).
fn hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> String {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        // Hashing only fails for out-of-range parameters, which are constants.
        .unwrap_or_default()
}

/// Checks a password against a PHC hash. An unparsable hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(phc) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash of a random password, verified against when a login names a user
/// that does not exist, so that both cases take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::credential::random_token(24)))
}

/// Whether `password` equals any of the given previous hashes.
pub fn is_reuse<'a>(password: &str, previous: impl IntoIterator<Item = &'a str>) -> bool {
    previous.into_iter().any(|h| verify(password, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str, username: &str, expect: &[&str]) {
        let got: Vec<String> = check_composition(password, username)
            .iter()
            .map(|p| {
                serde_json::to_value(p).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(got, expect, "password {password:?}");
    }

    #[test]
    fn composition_rules() {
        check("zxqwvmpkrt", "kim", &["too_short"]); // one class
        check("kdjfhgqw1", "kim", &["too_short"]); // 9 chars, 2 classes
        check("kdjfhgqw12", "kim", &[]); // 10 chars, 2 classes
        check("kdjfhgq1!", "kim", &[]); // 9 chars, 3 classes
        check("abcdefgh12", "kim", &["common"]); // a run of eight
        check("Kdjfhg1!", "kim", &["too_short"]); // 8 chars, 4 classes
        check("xKIMx12345", "kim", &["contains_username"]);
        check("Password1!", "kim", &["common"]);
        check("aaaaaaaaaaaaa1", "kim", &["common"]);
        check("한글비밀번호입니다12", "kim", &[]); // Hangul counts as the "other" class
        check("tab\there123", "kim", &["control_chars"]);
        check(&"a1".repeat(200), "kim", &["too_long"]);
    }

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse 1");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse 1", &h));
        assert!(!verify("correct horse 2", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(is_reuse("correct horse 1", [h.as_str()]));
    }
}
