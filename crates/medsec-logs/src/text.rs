//! Small text helpers the parsers share: slicing `&str` by byte offsets
//! without ever panicking (positions come from ASCII searches, which are
//! always character boundaries, but the helpers do not rely on it), number
//! parsing over bytes, base64 and the mapping of offsets in lossily
//! decoded text back to the original bytes.

/// `s[a..b]`, or `""` when the range is out of bounds or not on character
/// boundaries.
#[inline]
pub(crate) fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// `s[a..]`, or `""` when `a` is out of bounds or not a character boundary.
#[inline]
pub(crate) fn tail(s: &str, a: usize) -> &str {
    s.get(a..).unwrap_or("")
}

/// `s[..b]`, or `""` when `b` is out of bounds or not a character boundary.
#[inline]
pub(crate) fn head(s: &str, b: usize) -> &str {
    s.get(..b).unwrap_or("")
}

/// The largest character boundary of `s` at or before `i`.
pub(crate) fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses ASCII decimal digits (all of `b`, at least one) as an unsigned
/// number; `None` on overflow.
#[inline]
pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// Parses an optionally signed decimal integer.
pub(crate) fn parse_i64(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    match b.first() {
        Some(b'-') => parse_u64(&b[1..])
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| -n),
        Some(b'+') => parse_u64(&b[1..]).and_then(|n| i64::try_from(n).ok()),
        _ => parse_u64(b).and_then(|n| i64::try_from(n).ok()),
    }
}

/// The number of leading ASCII digits of `b`.
#[inline]
pub(crate) fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Maps a byte offset in `String::from_utf8_lossy(raw)` back to an offset
/// in `raw`: every invalid sequence became one U+FFFD (three bytes).
pub(crate) fn lossy_offset_to_raw(raw: &[u8], offset: usize) -> usize {
    let mut text_pos = 0;
    let mut raw_pos = 0;
    for chunk in raw.utf8_chunks() {
        let valid = chunk.valid().len();
        if offset <= text_pos + valid {
            return raw_pos + (offset - text_pos);
        }
        text_pos += valid;
        raw_pos += valid;
        let invalid = chunk.invalid().len();
        if invalid > 0 {
            if offset < text_pos + 3 {
                return raw_pos;
            }
            text_pos += 3;
            raw_pos += invalid;
        }
    }
    raw.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expect) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expect, "{input}");
        }
    }

    #[test]
    fn lossy_offsets_map_back_to_the_raw_bytes() {
        let raw = b"ab\xffcd\xe2\x82xy";
        let text = String::from_utf8_lossy(raw);
        assert_eq!(text, "ab\u{fffd}cd\u{fffd}xy");
        let c = text.find('c').unwrap_or(0);
        assert_eq!(lossy_offset_to_raw(raw, c), 3);
        let x = text.find('x').unwrap_or(0);
        assert_eq!(lossy_offset_to_raw(raw, x), 7);
        assert_eq!(lossy_offset_to_raw(raw, text.len()), raw.len());
        assert_eq!(lossy_offset_to_raw(raw, 1000), raw.len());
    }

    #[test]
    fn slicing_never_panics_off_boundaries() {
        let s = "가나다";
        assert_eq!(sub(s, 1, 2), "");
        assert_eq!(sub(s, 0, 3), "가");
        assert_eq!(tail(s, 100), "");
        assert_eq!(parse_i64("-42"), Some(-42));
        assert_eq!(parse_i64("4x"), None);
    }
}
