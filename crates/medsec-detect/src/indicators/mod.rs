//! Threat-intelligence indicators (issue 7): IP addresses, CIDR blocks,
//! domains, URLs, file hashes and user agents from STIX 2.1 bundles
//! ([`stix::read`]) or CSV ([`csv::read`]), each with its source and its
//! validity, matched on every event by an [`IndicatorSet`] built once
//! ([`IndicatorDetector`] turns the matches into [`crate::Hit`]s).
//!
//! # Values
//!
//! Every [`Indicator`] holds its value normalised ([`Kind::normalise`]):
//! IP addresses and CIDR blocks in their canonical text (`2001:db8::1`,
//! `10.0.0.0/8` with the host bits cleared; a `/32` or `/128` block is an
//! address), domains in lower case without a trailing dot, hashes as
//! lower-case hex, URLs as given except that the scheme and the host are
//! lower-cased and an empty path is `/`, user agents exactly as given.
//!
//! # What an event is matched on
//!
//! [`IndicatorSet`] looks at these fields of a normalised event
//! (`docs/events.md`), and at nothing else:
//!
//! | indicators | event fields |
//! |---|---|
//! | addresses and CIDR blocks | `source.ip`, `destination.ip`, `source.nat.ip`, `destination.nat.ip`, `client.ip`, `server.ip`, `related.ip` (one address or a JSON array); the host of a URL field and a domain field that is an address literal |
//! | domains | `url.domain`, `destination.domain`, `source.domain`, `client.domain`, `server.domain`, `dns.question.name`, `tls.client.server_name`, `related.hosts` (one name or a JSON array), and the host of `url.full` and `url.original` when they are absolute URLs |
//! | URLs | `url.full`, `url.original` (absolute URLs only; a web server's request target is a path) |
//! | hashes | `file.hash.md5`, `file.hash.sha1`, `file.hash.sha256`, `process.hash.md5`, `process.hash.sha1`, `process.hash.sha256`, `suricata.eve.fileinfo.md5`, `…sha1`, `…sha256`, `related.hash` (one or a JSON array; the kind by its length), and Sysmon's `winlog.event_data.Hashes` (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`; the import hash is not a file hash and is left alone) |
//! | user agents | `user_agent.original` |
//!
//! `observer.ip` is left out on purpose: it is the member's own reporting
//! device, never the other end.
//!
//! # How values match
//!
//! - An address matches its exact-address indicators and the indicators
//!   of the *longest* CIDR block that contains it and has an indicator
//!   valid at the time (so a /24 of a targeted campaign is reported, not
//!   the /8 of a block list around it).
//! - A domain matches the indicators of the domain itself and of every
//!   parent domain: `evil.example` matches `evil.example`,
//!   `a.b.evil.example` and `A.Evil.Example.` (ASCII case is ignored and a
//!   trailing dot and a `:port` are dropped), never `notevil.example` or
//!   `example`.
//! - A URL matches exactly after the same normalisation as the
//!   indicator's; a hash whatever the case of its hex digits; a user agent
//!   byte for byte.
//!
//! An indicator matches only while it is valid: not revoked, at or after
//! `valid_from`, and before `valid_until` (an indicator whose
//! `valid_until` is exactly the time no longer matches). The time is the
//! caller's; [`IndicatorDetector`] uses each event's `event.ingested`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

mod cidr;
pub mod csv;
mod detector;
pub mod pattern;
mod set;
pub mod stix;

pub use detector::{IndicatorDetector, level_of};
pub use set::{IndicatorSet, Matched};

/// One indicator: a value of one kind, where it came from and when it is
/// valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indicator {
    /// The STIX id (`indicator--…`), or for CSV `csv--` and 32 hex digits
    /// of SHA-256 over source, type and value. A STIX pattern naming
    /// several values gives several indicators with the same id.
    pub id: String,
    pub kind: Kind,
    /// Normalised ([`Kind::normalise`]).
    pub value: String,
    /// Who said so, as the importer names it (`KISA C-TAS`); shared
    /// between the indicators of one import.
    pub source: Arc<str>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// STIX `labels` and `indicator_types`, in that order, once each.
    pub labels: Vec<String>,
    /// STIX confidence, 0–100.
    pub confidence: Option<u8>,
    /// Milliseconds since the Unix epoch.
    pub valid_from: i64,
    /// Milliseconds since the Unix epoch; `None`: no end.
    pub valid_until: Option<i64>,
    pub revoked: bool,
}

impl Indicator {
    /// An indicator of `kind` with `value` normalised, valid from the
    /// epoch on with no end, without name, labels or confidence.
    pub fn new(
        id: impl Into<String>,
        kind: Kind,
        value: &str,
        source: Arc<str>,
    ) -> Result<Indicator, String> {
        Ok(Indicator {
            id: id.into(),
            kind,
            value: kind.normalise(value)?,
            source,
            name: None,
            description: None,
            labels: Vec::new(),
            confidence: None,
            valid_from: 0,
            valid_until: None,
            revoked: false,
        })
    }

    /// Whether it may match at `at_ms`: not revoked, `valid_from <= at_ms`
    /// and `at_ms < valid_until`.
    pub fn is_valid_at(&self, at_ms: i64) -> bool {
        !self.revoked && self.valid_from <= at_ms && self.valid_until.is_none_or(|u| at_ms < u)
    }
}

/// What an indicator's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Ipv4,
    Ipv6,
    /// An IPv4 or IPv6 CIDR block.
    Cidr,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
    UserAgent,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Cidr,
        Kind::Domain,
        Kind::Url,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::UserAgent,
    ];

    /// The name hits and messages use: `ipv4`, `ipv6`, `cidr`, `domain`,
    /// `url`, `md5`, `sha1`, `sha256`, `user-agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Cidr => "cidr",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::UserAgent => "user-agent",
        }
    }

    /// The value in its normalised form (module documentation), or why it
    /// is not a value of this kind.
    pub fn normalise(self, value: &str) -> Result<String, String> {
        match self {
            Kind::Ipv4 => {
                let v = value.trim();
                v.parse::<Ipv4Addr>()
                    .map(|a| a.to_string())
                    .map_err(|_| format!("`{v}` is not an IPv4 address"))
            }
            Kind::Ipv6 => {
                let v = value.trim();
                v.parse::<Ipv6Addr>()
                    .map(|a| a.to_string())
                    .map_err(|_| format!("`{v}` is not an IPv6 address"))
            }
            Kind::Cidr => {
                let v = value.trim();
                match parse_cidr(v) {
                    Some((net, len)) => Ok(format!("{net}/{len}")),
                    None => Err(format!("`{v}` is not a CIDR block (address/prefix length)")),
                }
            }
            Kind::Domain => normalise_domain(value),
            Kind::Url => normalise_url(value),
            Kind::Md5 => normalise_hash(value, 32, "MD5"),
            Kind::Sha1 => normalise_hash(value, 40, "SHA-1"),
            Kind::Sha256 => normalise_hash(value, 64, "SHA-256"),
            Kind::UserAgent => {
                if value.is_empty() {
                    Err("an empty user agent".into())
                } else {
                    Ok(value.to_owned())
                }
            }
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An address or a CIDR block (of `family` when given: `4` or `6`), as
/// the kind it is and its normalised value: a block of one address
/// (`/32`, `/128`) is that address.
pub fn ip_or_cidr(value: &str, family: Option<u8>) -> Result<(Kind, String), String> {
    let v = value.trim();
    let what = match family {
        Some(4) => "an IPv4 address or CIDR block",
        Some(6) => "an IPv6 address or CIDR block",
        _ => "an IP address or CIDR block",
    };
    let bad = || format!("`{v}` is not {what}");
    let (ip, len) = if v.contains('/') {
        parse_cidr(v).ok_or_else(bad)?
    } else {
        let ip: IpAddr = v.parse().map_err(|_| bad())?;
        (ip, full_len(ip))
    };
    match (family, ip) {
        (Some(4), IpAddr::V6(_)) | (Some(6), IpAddr::V4(_)) => return Err(bad()),
        _ => {}
    }
    Ok(if len == full_len(ip) {
        let kind = if ip.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 };
        (kind, ip.to_string())
    } else {
        (Kind::Cidr, format!("{ip}/{len}"))
    })
}

fn full_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// `addr/len` with the host bits cleared.
pub(crate) fn parse_cidr(v: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = v.split_once('/')?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u8 = len.parse().ok()?;
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            Some((IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)), len))
        }
        IpAddr::V6(a) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            Some((IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)), len))
        }
        _ => None,
    }
}

fn normalise_domain(value: &str) -> Result<String, String> {
    let v = value.trim();
    let d = v.strip_suffix('.').unwrap_or(v).to_lowercase();
    let bad = |why: &str| Err(format!("`{v}` is not a domain name: {why}"));
    if d.is_empty() {
        return bad("empty");
    }
    if d.parse::<IpAddr>().is_ok() {
        return bad("an IP address");
    }
    if d.len() > 253 {
        return bad("longer than 253 bytes");
    }
    for label in d.split('.') {
        if label.is_empty() {
            return bad("an empty label");
        }
        if label.len() > 63 {
            return bad("a label longer than 63 bytes");
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_'))
        {
            return bad(&format!("the character {c:?}"));
        }
    }
    Ok(d)
}

/// The parts of an absolute URL `scheme://[userinfo@]host[:port][rest]`:
/// (scheme, userinfo with its `@`, host, port with its `:`, rest).
pub(crate) fn url_parts(url: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    // A bracketed IPv6 literal keeps its colons.
    let port_at = if hostport.starts_with('[') {
        hostport
            .find(']')
            .map(|i| i + 1)
            .filter(|i| *i < hostport.len())
    } else {
        hostport.rfind(':')
    };
    let (host, port) = match port_at {
        Some(i) => hostport.split_at(i),
        None => (hostport, ""),
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, userinfo, host, port, rest))
}

fn normalise_url(value: &str) -> Result<String, String> {
    let v = value.trim();
    if let Some(c) = v.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{v}` is not a URL: the character {c:?}"));
    }
    let Some((scheme, userinfo, host, port, rest)) = url_parts(v) else {
        return Err(format!("`{v}` is not an absolute URL (scheme://host…)"));
    };
    let mut out = String::with_capacity(v.len() + 1);
    out.push_str(&scheme.to_ascii_lowercase());
    out.push_str("://");
    out.push_str(userinfo);
    out.push_str(&host.to_ascii_lowercase());
    out.push_str(port);
    if !rest.starts_with('/') {
        out.push('/');
    }
    out.push_str(rest);
    Ok(out)
}

fn normalise_hash(value: &str, len: usize, name: &str) -> Result<String, String> {
    let v = value.trim();
    if v.len() != len || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{v}` is not a {name} hash ({len} hex digits)"));
    }
    Ok(v.to_ascii_lowercase())
}

/// What a reader made of a file: the indicators, and every pattern or
/// part of one it could not turn into indicators, with the reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub indicators: Vec<Indicator>,
    pub skipped: Vec<Skipped>,
    /// Objects of other types (identities, relationships, malware, …),
    /// which carry nothing to match.
    pub other_objects: usize,
}

/// A STIX indicator (or part of its pattern) that yields nothing to
/// match, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The object's place in the bundle (`objects[index]`).
    pub index: usize,
    pub id: String,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {} ({}): {}", self.index, self.id, self.reason)
    }
}

/// Why a file of indicators was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("STIX: {0}")]
    Stix(#[from] stix::StixError),
    #[error("CSV: {0}")]
    Csv(#[from] csv::CsvError),
}

/// Reads STIX JSON (a document starting with `{` or `[`) or else CSV.
pub fn read(bytes: &[u8], source: &str) -> Result<Parsed, ReadError> {
    let start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if matches!(start, Some(b'{' | b'[')) {
        return Ok(stix::read(bytes, source)?);
    }
    let indicators = csv::read_bytes(bytes, source)?;
    Ok(Parsed {
        indicators,
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: Kind, value: &str, expect: Result<&str, &str>) {
        let got = kind.normalise(value);
        match (&got, expect) {
            (Ok(v), Ok(e)) => assert_eq!(v, e, "{kind} {value}"),
            (Err(m), Err(e)) => assert!(m.contains(e), "{kind} {value}: {m}"),
            _ => panic!("{kind} {value}: {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn values_are_normalised() {
        check(Kind::Ipv4, " 198.51.100.7 ", Ok("198.51.100.7"));
        check(Kind::Ipv4, "198.51.100", Err("not an IPv4 address"));
        check(Kind::Ipv6, "2001:DB8:0:0::1", Ok("2001:db8::1"));
        check(Kind::Cidr, "10.1.2.3/8", Ok("10.0.0.0/8"));
        check(Kind::Cidr, "2001:db8::1/32", Ok("2001:db8::/32"));
        check(Kind::Cidr, "10.0.0.0/33", Err("not a CIDR"));
        check(Kind::Cidr, "10.0.0.0", Err("not a CIDR"));
        check(Kind::Domain, "Evil.Example.", Ok("evil.example"));
        check(Kind::Domain, "악성.한국", Ok("악성.한국"));
        check(Kind::Domain, "a..example", Err("empty label"));
        check(Kind::Domain, "*.example", Err("'*'"));
        check(Kind::Domain, "10.0.0.1", Err("IP address"));
        check(
            Kind::Url,
            "HTTP://User@Evil.EXAMPLE:8080/Path?Q=1",
            Ok("http://User@evil.example:8080/Path?Q=1"),
        );
        check(
            Kind::Url,
            "https://evil.example",
            Ok("https://evil.example/"),
        );
        check(
            Kind::Url,
            "https://evil.example?x",
            Ok("https://evil.example/?x"),
        );
        check(
            Kind::Url,
            "https://[2001:DB8::1]:443/a",
            Ok("https://[2001:db8::1]:443/a"),
        );
        check(Kind::Url, "evil.example/a", Err("not an absolute URL"));
        check(Kind::Url, "http://evil.example/a b", Err("' '"));
        check(
            Kind::Md5,
            "D41D8CD98F00B204E9800998ECF8427E",
            Ok("d41d8cd98f00b204e9800998ecf8427e"),
        );
        check(Kind::Sha1, "abc", Err("not a SHA-1 hash"));
        check(Kind::UserAgent, " Mozilla/5.0 ", Ok(" Mozilla/5.0 "));
    }

    #[test]
    fn single_address_blocks_are_addresses() {
        assert_eq!(
            ip_or_cidr("198.51.100.7/32", Some(4)),
            Ok((Kind::Ipv4, "198.51.100.7".into()))
        );
        assert_eq!(
            ip_or_cidr("198.51.100.7/24", Some(4)),
            Ok((Kind::Cidr, "198.51.100.0/24".into()))
        );
        assert!(ip_or_cidr("2001:db8::/32", Some(4)).is_err());
        assert_eq!(
            ip_or_cidr("2001:db8::/32", None),
            Ok((Kind::Cidr, "2001:db8::/32".into()))
        );
    }

    #[test]
    fn validity_boundaries() {
        let mut i = Indicator::new("x", Kind::Ipv4, "10.0.0.1", "s".into()).unwrap();
        i.valid_from = 100;
        i.valid_until = Some(200);
        assert!(!i.is_valid_at(99));
        assert!(i.is_valid_at(100));
        assert!(i.is_valid_at(199));
        assert!(!i.is_valid_at(200));
        i.valid_until = None;
        assert!(i.is_valid_at(i64::MAX));
        i.revoked = true;
        assert!(!i.is_valid_at(150));
    }
}
