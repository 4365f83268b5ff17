//! Time-based one-time passwords (RFC 6238): the optional second factor
//! (KISA 1.1.3), which the policy can make mandatory for administrators.
//!
//! Codes are 6 digits over HMAC-SHA1 with a 30-second step, the profile
//! every authenticator app supports. A code is accepted one step early or
//! late for clock drift, and each step is accepted at most once.

use totp_rs::{Algorithm, Builder, Totp};

const DIGITS: u8 = 6;
const STEP: u64 = 30;
const SKEW: u16 = 1;

/// A new random 160-bit secret, base32 as authenticator apps expect.
pub fn new_secret() -> String {
    let mut buf = [0u8; 20];
    rand::fill(&mut buf);
    data_encoding::BASE32_NOPAD.encode(&buf)
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.as_bytes())
        .ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_issuer(Some("medsec"))
        .with_account_name(account)
        .build()
        .ok()
}

/// The `otpauth://` URL an authenticator app imports (as text or QR code).
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account)?.to_url().ok()
}

/// The code for a given Unix time in seconds.
pub fn code_at(secret_b32: &str, unix_secs: u64) -> Option<String> {
    Some(totp(secret_b32, "")?.generate(unix_secs).to_string())
}

/// Checks `code` at `unix_secs`. Returns the time step it matched, which
/// the caller stores and compares so that a code is never accepted twice;
/// `last_step` is the step of the last accepted code.
pub fn verify(secret_b32: &str, code: &str, unix_secs: u64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "")?;
    let now_step = unix_secs / STEP;
    let first = now_step.saturating_sub(u64::from(SKEW));
    let mut matched = None;
    for step in first..=now_step + u64::from(SKEW) {
        let expected = t.generate(step * STEP).to_string();
        if crate::credential::constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            matched = i64::try_from(step).ok();
        }
    }
    match (matched, last_step) {
        (Some(step), Some(last)) if step <= last => None,
        (m, _) => m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 appendix B secret for SHA-1, base32.
    fn rfc_secret() -> String {
        data_encoding::BASE32_NOPAD.encode(b"12345678901234567890")
    }

    #[test]
    fn rfc6238_vectors() {
        // Appendix B gives 8-digit codes; the 6-digit code is their tail.
        for (t, code8) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (2_000_000_000, "69279037"),
        ] {
            let code6: String = code8.chars().skip(2).collect();
            assert_eq!(code_at(&rfc_secret(), t).unwrap(), code6, "t = {t}");
        }
    }

    #[test]
    fn skew_and_replay() {
        let s = new_secret();
        let now = 1_764_000_000;
        let code = code_at(&s, now).unwrap();
        let step = verify(&s, &code, now, None).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(
            verify(&s, &code, now + 30, None),
            Some(step),
            "one step late is accepted"
        );
        assert_eq!(
            verify(&s, &code, now + 90, None),
            None,
            "three steps late is refused"
        );
        assert_eq!(
            verify(&s, &code, now, Some(step)),
            None,
            "a used step is refused"
        );
        assert_eq!(verify(&s, "12345", now, None), None);
        assert!(
            otpauth_url(&s, "kim")
                .unwrap()
                .starts_with("otpauth://totp/medsec:kim?")
        );
    }
}
