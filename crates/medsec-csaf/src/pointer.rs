//! JSON pointers (RFC 6901) for error and diagnostic locations, so that a
//! read error and a failed mandatory test name places the same way.

/// Appends one reference token, escaped as RFC 6901 says (`~` → `~0`,
/// `/` → `~1`).
pub(crate) fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The JSON pointer of a serde_path_to_error path.
pub(crate) fn from_serde_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => push(&mut p, &index.to_string()),
            Segment::Map { key } => push(&mut p, key),
            Segment::Enum { variant } => push(&mut p, variant),
            Segment::Unknown => push(&mut p, "?"),
        }
    }
    p
}
