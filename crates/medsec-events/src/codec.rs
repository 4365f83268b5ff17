//! Binary encoding shared by the write-ahead log and the segment files:
//! LEB128 varints, zigzag integers, length-prefixed strings, and one
//! event as the log stores it.
//!
//! Decoding never panics: every read checks the remaining length and
//! answers a [`DecodeError`] with the offset, which the caller turns into
//! an [`Error::Corrupt`](crate::Error::Corrupt) naming the file.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use medsec_logs::{Event, EventId, Fields, Value};

/// Why bytes did not decode, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub offset: usize,
    pub detail: String,
}

pub(crate) type DResult<T> = Result<T, DecodeError>;

/// Appends encoded values to a byte vector.
#[derive(Default)]
pub(crate) struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn new() -> Enc {
        Enc { buf: Vec::new() }
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub fn zig(&mut self, v: i64) {
        self.var(zigzag(v));
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.var(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

/// Zigzag: small negative and positive numbers both become small.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Reads encoded values from a byte slice.
pub(crate) struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Dec<'a> {
        Dec { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn fail<T>(&self, detail: impl Into<String>) -> DResult<T> {
        Err(DecodeError {
            offset: self.pos,
            detail: detail.into(),
        })
    }

    pub fn take(&mut self, n: usize) -> DResult<&'a [u8]> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => self.fail(format!(
                "{n} bytes wanted, {} left",
                self.buf.len().saturating_sub(self.pos)
            )),
        }
    }

    pub fn u8(&mut self) -> DResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> DResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> DResult<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub fn var(&mut self) -> DResult<u64> {
        // Most varints are one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return self.fail("varint runs past the end");
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return self.fail("varint overflows 64 bits");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return self.fail("varint longer than 10 bytes");
            }
        }
    }

    /// A varint that must fit `usize` and be at most `max` (a length or a
    /// count, bounded so that corrupt input cannot ask for huge buffers).
    pub fn len(&mut self, max: usize) -> DResult<usize> {
        let v = self.var()?;
        match usize::try_from(v) {
            Ok(n) if n <= max => Ok(n),
            _ => self.fail(format!("length {v} exceeds the limit {max}")),
        }
    }

    pub fn zig(&mut self) -> DResult<i64> {
        Ok(unzigzag(self.var()?))
    }

    pub fn bytes(&mut self) -> DResult<&'a [u8]> {
        let n = self.len(self.buf.len().saturating_sub(self.pos))?;
        self.take(n)
    }

    pub fn str(&mut self) -> DResult<&'a str> {
        let at = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|e| DecodeError {
            offset: at,
            detail: format!("string is not UTF-8: {e}"),
        })
    }
}

/// Type tags of stored values.
pub(crate) const TAG_STR: u8 = 0;
pub(crate) const TAG_INT: u8 = 1;
pub(crate) const TAG_FLOAT: u8 = 2;
pub(crate) const TAG_BOOL: u8 = 3;
pub(crate) const TAG_IP4: u8 = 4;
pub(crate) const TAG_IP6: u8 = 5;

pub(crate) fn tag_of(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TAG_STR,
        Value::Int(_) => TAG_INT,
        Value::Float(_) => TAG_FLOAT,
        Value::Bool(_) => TAG_BOOL,
        Value::Ip(IpAddr::V4(_)) => TAG_IP4,
        Value::Ip(IpAddr::V6(_)) => TAG_IP6,
    }
}

/// Writes a value without its tag (the tag is stored elsewhere or before).
pub(crate) fn put_value_body(e: &mut Enc, v: &Value) {
    match v {
        Value::Str(s) => e.str(s),
        Value::Int(i) => e.zig(*i),
        Value::Float(f) => e.u64(f.to_bits()),
        Value::Bool(b) => e.u8(u8::from(*b)),
        Value::Ip(IpAddr::V4(a)) => e.raw(&a.octets()),
        Value::Ip(IpAddr::V6(a)) => e.raw(&a.octets()),
    }
}

pub(crate) fn get_value_body(d: &mut Dec<'_>, tag: u8) -> DResult<Value> {
    Ok(match tag {
        TAG_STR => Value::Str(d.str()?.to_owned()),
        TAG_INT => Value::Int(d.zig()?),
        TAG_FLOAT => Value::Float(f64::from_bits(d.u64()?)),
        TAG_BOOL => Value::Bool(d.u8()? != 0),
        TAG_IP4 => {
            let b = d.take(4)?;
            Value::Ip(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
        }
        TAG_IP6 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(d.take(16)?);
            Value::Ip(IpAddr::V6(Ipv6Addr::from(a)))
        }
        other => return d.fail(format!("unknown value type tag {other}")),
    })
}

/// The largest string or byte run the decoders accept (a raw message,
/// a field value): 64 MiB, far above what the store accepts at append.
pub(crate) const MAX_LEN: usize = 64 << 20;

/// One event as the write-ahead log stores it.
pub(crate) fn put_event(e: &mut Enc, ev: &Event) {
    e.raw(&ev.id.0);
    e.str(&ev.member);
    e.str(&ev.source);
    e.zig(ev.timestamp);
    e.zig(ev.received.wrapping_sub(ev.timestamp));
    e.str(&ev.raw);
    e.var(ev.fields.len() as u64);
    for (name, value) in ev.fields.iter() {
        e.str(name);
        e.u8(tag_of(value));
        put_value_body(e, value);
    }
}

pub(crate) fn get_event(d: &mut Dec<'_>) -> DResult<Event> {
    let mut id = [0u8; 16];
    id.copy_from_slice(d.take(16)?);
    let member = d.str()?.to_owned();
    let source = d.str()?.to_owned();
    let timestamp = d.zig()?;
    let received = timestamp.wrapping_add(d.zig()?);
    let raw = d.str()?.to_owned();
    let n = d.len(1 << 16)?;
    let mut fields = Fields::new();
    for _ in 0..n {
        let name = d.str()?.to_owned();
        let tag = d.u8()?;
        let value = get_value_body(d, tag)?;
        fields.set(name, value);
    }
    Ok(Event {
        id: EventId(id),
        member,
        source,
        timestamp,
        received,
        raw,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_garbage() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut e = Enc::new();
            e.var(v);
            assert_eq!(Dec::new(&e.buf).var().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert!(Dec::new(&[0xff; 11]).var().is_err());
        assert!(Dec::new(&[0x80]).var().is_err());
        assert!(Dec::new(&[5, b'a']).str().is_err());
        assert!(Dec::new(&[2, 0xff, 0xfe]).str().is_err());
    }

    #[test]
    fn events_round_trip() {
        let mut fields = Fields::new();
        fields.set("source.ip", Value::Ip("10.1.2.3".parse().unwrap()));
        fields.set("destination.ip", Value::Ip("fe80::1".parse().unwrap()));
        fields.set("destination.port", Value::Int(-22));
        fields.set("score", Value::Float(0.5));
        fields.set("ok", Value::Bool(true));
        fields.set("user.name", Value::Str("김철수".into()));
        let ev = Event {
            id: EventId::of("m", "s", b"x"),
            member: "m".into(),
            source: "s".into(),
            timestamp: i64::MIN,
            received: i64::MAX,
            raw: "서버가 응답하지 않음".into(),
            fields,
        };
        let mut e = Enc::new();
        put_event(&mut e, &ev);
        let mut d = Dec::new(&e.buf);
        assert_eq!(get_event(&mut d).unwrap(), ev);
        assert!(d.is_empty());
        for cut in 0..e.buf.len() {
            assert!(get_event(&mut Dec::new(&e.buf[..cut])).is_err());
        }
    }
}
