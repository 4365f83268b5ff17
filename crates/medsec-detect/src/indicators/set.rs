//! The index of indicators, built once and matched on every event without
//! allocating: exact addresses in hash maps, CIDR blocks in sorted
//! interval lists ([`super::cidr`]), and domains, URLs, hashes and user
//! agents by a keyed 64-bit hash of their normalised text (the indicator
//! itself holds the text; equal hashes are checked against it). The
//! indicators that share a key form a chain in input order.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use medsec_logs::{Event, Value};

use super::cidr::{CidrTable, NONE};
use super::{Indicator, Kind, parse_cidr, url_parts};

/// A hash map keyed by a hash already computed.
#[derive(Clone, Copy, Debug, Default)]
struct Prehashed;

struct PrehashedHasher(u64);

impl BuildHasher for Prehashed {
    type Hasher = PrehashedHasher;
    fn build_hasher(&self) -> PrehashedHasher {
        PrehashedHasher(0)
    }
}

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type TextMap = HashMap<u64, u32, Prehashed>;
type Fast = foldhash::fast::RandomState;

/// The value of an event field that matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched<'e> {
    Ip(IpAddr),
    Text(&'e str),
}

impl std::fmt::Display for Matched<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matched::Ip(ip) => ip.fmt(f),
            Matched::Text(s) => f.write_str(s),
        }
    }
}

/// Indicators indexed for matching (module documentation of
/// [`super`] for what matches what).
pub struct IndicatorSet {
    indicators: Vec<Indicator>,
    /// The next indicator with the same key, or [`NONE`].
    next: Vec<u32>,
    v4: HashMap<u32, u32, Fast>,
    v6: HashMap<u128, u32, Fast>,
    cidr4: CidrTable<u32>,
    cidr6: CidrTable<u128>,
    hasher: Fast,
    domains: TextMap,
    urls: TextMap,
    md5: TextMap,
    sha1: TextMap,
    sha256: TextMap,
    agents: TextMap,
    ignored: usize,
}

impl std::fmt::Debug for IndicatorSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndicatorSet")
            .field("indicators", &self.indicators.len())
            .field("ignored", &self.ignored)
            .finish_non_exhaustive()
    }
}

fn link<K: std::hash::Hash + Eq, S: BuildHasher>(
    map: &mut HashMap<K, u32, S>,
    next: &mut [u32],
    key: K,
    idx: u32,
) {
    let head = map.entry(key).or_insert(NONE);
    if let Some(n) = next.get_mut(idx as usize) {
        *n = *head;
    }
    *head = idx;
}

/// The longest text compared lower-cased on the stack: the longest DNS
/// name, and URLs up to this size (longer ones are lower-cased on the
/// heap, which only happens when their scheme or host has capitals).
const DOMAIN_MAX: usize = 253;
const URL_STACK: usize = 2048;

impl IndicatorSet {
    /// Indexes the indicators. Values are expected normalised (as
    /// [`Indicator::new`] and the readers make them); one that does not
    /// parse as its kind is counted in [`IndicatorSet::ignored`] and never
    /// matches.
    pub fn build(indicators: Vec<Indicator>) -> IndicatorSet {
        let n = indicators.len();
        let hasher = Fast::default();
        let mut next = vec![NONE; n];
        let mut v4: HashMap<u32, u32, Fast> = HashMap::default();
        let mut v6: HashMap<u128, u32, Fast> = HashMap::default();
        let mut blocks4: HashMap<(u32, u8), u32, Fast> = HashMap::default();
        let mut blocks6: HashMap<(u128, u8), u32, Fast> = HashMap::default();
        let mut text: [TextMap; 6] = Default::default();
        let mut ignored = 0;
        // Backwards, so that each chain is in input order.
        for (idx, ind) in indicators.iter().enumerate().rev() {
            let idx = idx as u32;
            let v = ind.value.as_str();
            let slot = match ind.kind {
                Kind::Ipv4 => {
                    match v.parse::<Ipv4Addr>() {
                        Ok(a) => link(&mut v4, &mut next, u32::from(a), idx),
                        Err(_) => ignored += 1,
                    }
                    continue;
                }
                Kind::Ipv6 => {
                    match v.parse::<Ipv6Addr>() {
                        Ok(a) => link(&mut v6, &mut next, u128::from(a), idx),
                        Err(_) => ignored += 1,
                    }
                    continue;
                }
                Kind::Cidr => {
                    match parse_cidr(v) {
                        Some((IpAddr::V4(a), len)) => {
                            link(&mut blocks4, &mut next, (u32::from(a), len), idx);
                        }
                        Some((IpAddr::V6(a), len)) => {
                            link(&mut blocks6, &mut next, (u128::from(a), len), idx);
                        }
                        None => ignored += 1,
                    }
                    continue;
                }
                Kind::Domain => 0,
                Kind::Url => 1,
                Kind::Md5 => 2,
                Kind::Sha1 => 3,
                Kind::Sha256 => 4,
                Kind::UserAgent => 5,
            };
            if let Some(map) = text.get_mut(slot) {
                link(map, &mut next, hasher.hash_one(v), idx);
            }
        }
        let [domains, urls, md5, sha1, sha256, agents] = text;
        IndicatorSet {
            indicators,
            next,
            v4,
            v6,
            cidr4: CidrTable::build(blocks4.into_iter().map(|((a, l), h)| (a, l, h)).collect()),
            cidr6: CidrTable::build(blocks6.into_iter().map(|((a, l), h)| (a, l, h)).collect()),
            hasher,
            domains,
            urls,
            md5,
            sha1,
            sha256,
            agents,
            ignored,
        }
    }

    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Indicators whose value did not parse as their kind.
    pub fn ignored(&self) -> usize {
        self.ignored
    }

    /// Adds to `out` every indicator valid at `at_ms` that the event
    /// matches, once each, in the order of the event's fields. Nothing is
    /// allocated when nothing matches.
    pub fn matches<'s>(&'s self, event: &Event, at_ms: i64, out: &mut Vec<&'s Indicator>) {
        self.for_each_match(event, at_ms, |ind, _, _| {
            if !out.iter().any(|o| std::ptr::eq(*o, ind)) {
                out.push(ind);
            }
        });
    }

    /// Calls `f` with every indicator valid at `at_ms` that the event
    /// matches, the field and the value that matched (an indicator once
    /// per field and value).
    pub fn for_each_match<'s, 'e>(
        &'s self,
        event: &'e Event,
        at_ms: i64,
        mut f: impl FnMut(&'s Indicator, &'e str, Matched<'e>),
    ) {
        if self.indicators.is_empty() {
            return;
        }
        for (name, value) in event.fields.iter() {
            let mut sink = |ind: &'s Indicator, m: Matched<'e>| f(ind, name, m);
            let sink: &mut dyn FnMut(&'s Indicator, Matched<'e>) = &mut sink;
            // The last byte first: most fields are none of these.
            match name.as_bytes().last() {
                Some(b'p') => {
                    if matches!(
                        name,
                        "source.ip"
                            | "destination.ip"
                            | "source.nat.ip"
                            | "destination.nat.ip"
                            | "client.ip"
                            | "server.ip"
                    ) {
                        match value {
                            Value::Ip(ip) => self.ip(*ip, at_ms, Matched::Ip(*ip), sink),
                            Value::Str(s) => self.ip_text(s, at_ms, sink),
                            _ => {}
                        }
                    } else if name == "related.ip"
                        && let Value::Str(s) = value
                    {
                        each_item(s, |item| self.ip_text(item, at_ms, sink));
                    } else if name == "related.ip"
                        && let Value::Ip(ip) = value
                    {
                        self.ip(*ip, at_ms, Matched::Ip(*ip), sink);
                    }
                }
                Some(b'n' | b'e') => {
                    if matches!(
                        name,
                        "url.domain"
                            | "destination.domain"
                            | "source.domain"
                            | "client.domain"
                            | "server.domain"
                            | "dns.question.name"
                            | "tls.client.server_name"
                    ) && let Value::Str(s) = value
                    {
                        self.domain(s, s, at_ms, sink);
                    }
                }
                Some(b'l') => {
                    if let Value::Str(s) = value {
                        match name {
                            "url.full" | "url.original" => self.url(s, at_ms, sink),
                            "user_agent.original" => {
                                self.text(&self.agents, s, at_ms, Matched::Text(s), sink);
                            }
                            _ => {}
                        }
                    }
                }
                Some(b'5' | b'1' | b'6') => {
                    if matches!(
                        name,
                        "file.hash.md5"
                            | "file.hash.sha1"
                            | "file.hash.sha256"
                            | "process.hash.md5"
                            | "process.hash.sha1"
                            | "process.hash.sha256"
                            | "suricata.eve.fileinfo.md5"
                            | "suricata.eve.fileinfo.sha1"
                            | "suricata.eve.fileinfo.sha256"
                    ) && let Value::Str(s) = value
                    {
                        self.hash(s, at_ms, sink);
                    }
                }
                Some(b's') => {
                    if let Value::Str(s) = value {
                        match name {
                            "related.hosts" => each_item(s, |item| {
                                self.domain(item, item, at_ms, sink);
                            }),
                            "winlog.event_data.Hashes" => self.sysmon_hashes(s, at_ms, sink),
                            _ => {}
                        }
                    }
                }
                Some(b'h') => {
                    if name == "related.hash"
                        && let Value::Str(s) = value
                    {
                        each_item(s, |item| self.hash(item, at_ms, sink));
                    }
                }
                _ => {}
            }
        }
    }

    /// The indicators valid at `at_ms` of an address: its exact ones and
    /// those of the longest block around it that has a valid one.
    pub fn lookup_ip<'s>(&'s self, ip: IpAddr, at_ms: i64, out: &mut Vec<&'s Indicator>) {
        self.ip(ip, at_ms, Matched::Ip(ip), &mut |ind, _| out.push(ind));
    }

    /// The indicators valid at `at_ms` of a domain and its parents.
    pub fn lookup_domain<'s>(&'s self, domain: &str, at_ms: i64, out: &mut Vec<&'s Indicator>) {
        self.domain(domain, domain, at_ms, &mut |ind, _| out.push(ind));
    }

    fn ip<'s, 'e>(
        &'s self,
        ip: IpAddr,
        at_ms: i64,
        m: Matched<'e>,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        let ip = match ip {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(a) => {
                let k = u32::from(a);
                if let Some(&head) = self.v4.get(&k) {
                    self.chain_e(head, at_ms, m, sink);
                }
                if self.cidr4.blocks() > 0 {
                    self.blocks(&self.cidr4, k, at_ms, m, sink);
                }
            }
            IpAddr::V6(a) => {
                let k = u128::from(a);
                if let Some(&head) = self.v6.get(&k) {
                    self.chain_e(head, at_ms, m, sink);
                }
                if self.cidr6.blocks() > 0 {
                    self.blocks(&self.cidr6, k, at_ms, m, sink);
                }
            }
        }
    }

    fn chain_e<'s, 'e>(
        &'s self,
        mut i: u32,
        at_ms: i64,
        m: Matched<'e>,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) -> bool {
        let mut any = false;
        while i != NONE {
            let Some(ind) = self.indicators.get(i as usize) else {
                break;
            };
            if ind.is_valid_at(at_ms) {
                sink(ind, m);
                any = true;
            }
            i = self.next.get(i as usize).copied().unwrap_or(NONE);
        }
        any
    }

    fn blocks<'s, 'e, T: super::cidr::Bits>(
        &'s self,
        table: &CidrTable<T>,
        addr: T,
        at_ms: i64,
        m: Matched<'e>,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        let mut b = table.lookup(addr);
        while b != NONE {
            let head = table.heads.get(b as usize).copied().unwrap_or(NONE);
            if self.chain_e(head, at_ms, m, sink) {
                return;
            }
            b = table.parents.get(b as usize).copied().unwrap_or(NONE);
        }
    }

    fn ip_text<'s, 'e>(
        &'s self,
        s: &'e str,
        at_ms: i64,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        if let Ok(ip) = s.trim().parse::<IpAddr>() {
            self.ip(ip, at_ms, Matched::Text(s), sink);
        }
    }

    fn text<'s, 'e>(
        &'s self,
        map: &TextMap,
        key: &str,
        at_ms: i64,
        m: Matched<'e>,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        if map.is_empty() {
            return;
        }
        let Some(&head) = map.get(&self.hasher.hash_one(key)) else {
            return;
        };
        let mut i = head;
        while i != NONE {
            let Some(ind) = self.indicators.get(i as usize) else {
                break;
            };
            if ind.value == key && ind.is_valid_at(at_ms) {
                sink(ind, m);
            }
            i = self.next.get(i as usize).copied().unwrap_or(NONE);
        }
    }

    /// A host name (or an address literal) and its parents; `shown` is
    /// the event's value reported as matched.
    fn domain<'s, 'e>(
        &'s self,
        value: &str,
        shown: &'e str,
        at_ms: i64,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        let mut d = value.trim();
        d = d.strip_suffix('.').unwrap_or(d);
        if let Some((host, port)) = d.rsplit_once(':')
            && !host.contains(':')
            && !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
        {
            d = host;
        }
        let Some(&first) = d.as_bytes().first() else {
            return;
        };
        // An address literal (`192.0.2.1`, `[2001:db8::1]`, `2001:db8::1`).
        if first.is_ascii_digit() || first == b'[' || d.contains(':') {
            let inner = d
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(d);
            if let Ok(ip) = inner.parse::<IpAddr>() {
                self.ip(ip, at_ms, Matched::Text(shown), sink);
                return;
            }
        }
        if self.domains.is_empty() || d.len() > DOMAIN_MAX {
            return;
        }
        let mut buf = [0u8; DOMAIN_MAX];
        let lower: &str = if d.bytes().any(|b| b.is_ascii_uppercase()) {
            let Some(dst) = buf.get_mut(..d.len()) else {
                return;
            };
            dst.copy_from_slice(d.as_bytes());
            dst.make_ascii_lowercase();
            std::str::from_utf8(dst).unwrap_or(d)
        } else {
            d
        };
        let mut rest = lower;
        loop {
            self.text(&self.domains, rest, at_ms, Matched::Text(shown), sink);
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => break,
            }
        }
    }

    /// An absolute URL: exactly, after normalisation, and its host.
    fn url<'s, 'e>(
        &'s self,
        s: &'e str,
        at_ms: i64,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        let Some((scheme, userinfo, host, port, rest)) = url_parts(s) else {
            return;
        };
        if !self.urls.is_empty() {
            let capitals = |x: &str| x.bytes().any(|b| b.is_ascii_uppercase());
            if !capitals(scheme) && !capitals(host) && rest.starts_with('/') {
                self.text(&self.urls, s, at_ms, Matched::Text(s), sink);
            } else {
                let slash = usize::from(!rest.starts_with('/'));
                let len = s.len() + slash;
                let mut stack = [0u8; URL_STACK];
                let mut heap = Vec::new();
                let buf: &mut [u8] = if len <= URL_STACK {
                    stack.get_mut(..len).unwrap_or_default()
                } else {
                    heap.resize(len, 0);
                    &mut heap
                };
                let mut at = 0;
                for (part, lower) in [
                    (scheme, true),
                    ("://", false),
                    (userinfo, false),
                    (host, true),
                    (port, false),
                    (if slash == 1 { "/" } else { "" }, false),
                    (rest, false),
                ] {
                    if let Some(dst) = buf.get_mut(at..at + part.len()) {
                        dst.copy_from_slice(part.as_bytes());
                        if lower {
                            dst.make_ascii_lowercase();
                        }
                    }
                    at += part.len();
                }
                if let Ok(key) = std::str::from_utf8(buf.get(..at).unwrap_or_default()) {
                    self.text(&self.urls, key, at_ms, Matched::Text(s), sink);
                }
            }
        }
        self.domain(host, s, at_ms, sink);
    }

    /// A hash in hex, its kind by its length.
    fn hash<'s, 'e>(
        &'s self,
        s: &'e str,
        at_ms: i64,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        let hex = s.trim();
        let map = match hex.len() {
            32 => &self.md5,
            40 => &self.sha1,
            64 => &self.sha256,
            _ => return,
        };
        if map.is_empty() {
            return;
        }
        let mut buf = [0u8; 64];
        let Some(dst) = buf.get_mut(..hex.len()) else {
            return;
        };
        dst.copy_from_slice(hex.as_bytes());
        dst.make_ascii_lowercase();
        if let Ok(key) = std::str::from_utf8(dst) {
            self.text(map, key, at_ms, Matched::Text(s), sink);
        }
    }

    /// Sysmon's `SHA1=…,MD5=…,SHA256=…,IMPHASH=…`.
    fn sysmon_hashes<'s, 'e>(
        &'s self,
        s: &'e str,
        at_ms: i64,
        sink: &mut dyn FnMut(&'s Indicator, Matched<'e>),
    ) {
        for part in s.split(',') {
            if let Some((alg, hex)) = part.split_once('=')
                && ["MD5", "SHA1", "SHA256"]
                    .iter()
                    .any(|a| alg.trim().eq_ignore_ascii_case(a))
            {
                self.hash(hex, at_ms, sink);
            }
        }
    }
}

/// One value, or each string of a JSON array (as JSON events keep lists:
/// `["192.0.2.1","192.0.2.2"]`); strings with escapes are left out.
fn each_item<'e>(s: &'e str, mut f: impl FnMut(&'e str)) {
    let t = s.trim();
    if !t.starts_with('[') {
        f(t);
        return;
    }
    let mut rest = t;
    while let Some((_, after)) = rest.split_once('"') {
        let Some((item, tail)) = after.split_once('"') else {
            return;
        };
        if !item.contains('\\') {
            f(item);
        }
        rest = tail;
    }
}
