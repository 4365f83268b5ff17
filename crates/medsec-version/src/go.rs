//! Go module versions, as `golang.org/x/mod/semver` parses and compares
//! them: semver 2.0 with a `v` prefix, the shorthands `v1` and `v1.2`
//! (`v1.0.0`, `v1.2.0`), no leading zeros, and build metadata ignored, so
//! `v2.0.0+incompatible` equals `v2.0.0`. Pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`) are ordinary pre-releases and
//! need no special case.
//!
//! The `v` may be left out: OSV writes Go versions without it.

use crate::num::Num;
use crate::semver::{Cursor, Version, identifiers};
use crate::{Scheme, VersionError};

/// A decimal number without leading zeros, as Go requires.
fn number<'a>(c: &mut Cursor<'a>) -> Result<&'a str, &'static str> {
    let n = c.take_while(|b| b.is_ascii_digit());
    if n.is_empty() {
        return Err("a version number is missing");
    }
    if n.len() > 1 && n.starts_with('0') {
        return Err("a version number has a leading zero");
    }
    Ok(n)
}

/// Parses a Go module version.
pub fn parse(text: &str) -> Result<Version, VersionError> {
    let bad = |reason| VersionError::new(Scheme::Go, text, reason);
    let mut c = Cursor::new(text);
    c.eat(b'v');
    let major = number(&mut c).map_err(bad)?;
    let (mut minor, mut patch) = ("0", "0");
    if c.at_end() {
        return Ok(core(major, minor, patch));
    }
    if !c.eat(b'.') {
        return Err(bad("the major version is not followed by `.`"));
    }
    minor = number(&mut c).map_err(bad)?;
    if c.at_end() {
        return Ok(core(major, minor, patch));
    }
    if !c.eat(b'.') {
        return Err(bad("the minor version is not followed by `.`"));
    }
    patch = number(&mut c).map_err(bad)?;
    let pre = if c.eat(b'-') {
        identifiers(&mut c, false).map_err(bad)?
    } else {
        Box::default()
    };
    let build = if c.eat(b'+') {
        identifiers(&mut c, true).map_err(bad)?
    } else {
        Box::default()
    };
    if !c.at_end() {
        return Err(bad("it has characters Go does not allow"));
    }
    Ok(Version {
        pre,
        build,
        ..core(major, minor, patch)
    })
}

fn core(major: &str, minor: &str, patch: &str) -> Version {
    Version {
        major: Num::from_digits(major),
        minor: Num::from_digits(minor),
        patch: Num::from_digits(patch),
        pre: Box::default(),
        build: Box::default(),
    }
}

#[cfg(test)]
mod tests;
