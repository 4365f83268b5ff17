//! Batches of events as bytes, for carrying them between nodes (the
//! multi-node ingest bus): the same encoding of an event as the
//! write-ahead log, behind a format tag, a count and a CRC-32.
//!
//! ```text
//! "MSEV" version(u8 = 1) count(varint) event* crc32(le, of everything before)
//! ```
//!
//! Decoding never panics and names the offset of what it could not read.

use medsec_logs::Event;

use crate::codec::{self, Dec, Enc};

const MAGIC: &[u8; 4] = b"MSEV";
const VERSION: u8 = 1;

/// Why a batch did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event batch byte {offset}: {detail}")]
pub struct WireError {
    pub offset: usize,
    pub detail: String,
}

/// Encodes a batch of events.
pub fn encode(events: &[Event]) -> Vec<u8> {
    let mut e = Enc::new();
    e.buf.extend_from_slice(MAGIC);
    e.u8(VERSION);
    e.var(events.len() as u64);
    for ev in events {
        codec::put_event(&mut e, ev);
    }
    let crc = crc32fast::hash(&e.buf);
    e.u32(crc);
    e.buf
}

/// The encoded size of one event, as [`encode`] writes it (without the
/// batch's few bytes of header and checksum): for cutting batches to a
/// bus's largest message.
pub fn encoded_len(event: &Event) -> usize {
    let mut e = Enc::new();
    codec::put_event(&mut e, event);
    e.buf.len()
}

/// Decodes a batch written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, WireError> {
    let err = |offset: usize, detail: &str| WireError {
        offset,
        detail: detail.to_owned(),
    };
    if bytes.len() < MAGIC.len() + 1 + 1 + 4 {
        return Err(err(0, "too short for an event batch"));
    }
    if &bytes[..4] != MAGIC {
        return Err(err(0, "not an event batch (no MSEV tag)"));
    }
    if bytes[4] != VERSION {
        return Err(WireError {
            offset: 4,
            detail: format!("event batch format {} is not supported (1 is)", bytes[4]),
        });
    }
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    let crc = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if crc32fast::hash(body) != crc {
        return Err(err(body.len(), "checksum mismatch"));
    }
    let mut d = Dec::new(body);
    let conv = |e: codec::DecodeError| WireError {
        offset: e.offset,
        detail: e.detail,
    };
    d.take(5).map_err(conv)?;
    let n = d.var().map_err(conv)?;
    // Every event takes well over one byte: a count beyond the bytes
    // left is a lie, not a reason to allocate.
    let mut events = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(body.len()));
    for _ in 0..n {
        events.push(codec::get_event(&mut d).map_err(conv)?);
    }
    if !d.is_empty() {
        return Err(err(d.pos(), "bytes after the last event"));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use medsec_logs::{EventId, Fields, Value};
    use proptest::prelude::*;

    use super::*;

    fn ev(i: u32) -> Event {
        let mut fields = Fields::new();
        fields.set("source.ip", Value::Ip("10.0.0.1".parse().unwrap()));
        fields.set("user.name", Value::Str(format!("사용자{i}")));
        fields.set("destination.port", Value::Int(i64::from(i)));
        let raw = format!("<34>Oct 11 22:14:15 host sshd[{i}]: 실패");
        Event {
            id: EventId::of("m1", "s1", raw.as_bytes()),
            member: "m1".into(),
            source: "s1".into(),
            timestamp: 1_700_000_000_000_000_000 + i64::from(i),
            received: 1_700_000_000_500_000_000,
            raw,
            fields,
        }
    }

    #[test]
    fn round_trip() {
        let events: Vec<Event> = (0..50).map(ev).collect();
        let bytes = encode(&events);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.len(), 50);
        for (a, b) in events.iter().zip(&back) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.raw, b.raw);
            assert_eq!(a.timestamp, b.timestamp);
            assert_eq!(a.received, b.received);
            assert_eq!(a.fields.len(), b.fields.len());
            assert_eq!(a.get("user.name"), b.get("user.name"));
        }
        let sum: usize = events.iter().map(encoded_len).sum();
        assert!(bytes.len() > sum && bytes.len() < sum + 16);
        assert!(decode(&encode(&[])).unwrap().is_empty());
    }

    #[test]
    fn damage_is_named() {
        let mut bytes = encode(&[ev(1)]);
        assert_eq!(
            decode(b"nope").unwrap_err().detail,
            "too short for an event batch"
        );
        let mut other = bytes.clone();
        other[4] = 9;
        assert!(decode(&other).unwrap_err().detail.contains("format 9"));
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        assert_eq!(decode(&bytes).unwrap_err().detail, "checksum mismatch");
    }

    proptest! {
        /// Arbitrary bytes, and valid batches cut or extended, never
        /// panic; a batch with a correct checksum but a wrong count is an
        /// error, not an allocation.
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..400) {
            let _ = decode(&bytes);
            let good = encode(&[ev(1), ev(2)]);
            let _ = decode(&good[..cut.min(good.len())]);
            let mut forged = b"MSEV\x01".to_vec();
            forged.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
            forged.extend_from_slice(&bytes);
            let crc = crc32fast::hash(&forged);
            forged.extend_from_slice(&crc.to_le_bytes());
            prop_assert!(decode(&forged).is_err());
        }
    }
}
