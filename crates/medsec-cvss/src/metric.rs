//! Metric tables and the reading of vector strings, shared by all
//! versions: a vector is a prefix and `metric:value` components separated
//! by `/`, and a parsed vector is one value index per metric of its
//! version's table.

use std::fmt;

use crate::{ErrorKind, ParseError, Version, v2, v3, v4};

/// The metric groups of CVSS (v2 and v3.x call the threat group
/// temporal; only v4.0 has supplemental metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Base,
    Temporal,
    Threat,
    Environmental,
    Supplemental,
}

/// A metric of a version: its abbreviation, its values' abbreviations and
/// its group. Base metrics are mandatory; the first value of any other
/// metric is the one meaning Not Defined (`X`, or `ND` in v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Metric {
    pub name: &'static str,
    pub values: &'static [&'static str],
    pub group: Group,
}

impl Metric {
    pub(crate) const fn new(
        name: &'static str,
        group: Group,
        values: &'static [&'static str],
    ) -> Metric {
        Metric {
            name,
            values,
            group,
        }
    }

    pub fn mandatory(&self) -> bool {
        self.group == Group::Base
    }
}

/// Every `metric:value` of a version, by [`key`]: an open-addressing
/// hash table built at compile time, so that the reader finds a
/// component's metric and value with one or two probes.
#[derive(Debug)]
pub(crate) struct Lookup {
    keys: [u64; SLOTS],
    /// The metric's index in its table and the value's in the metric's.
    entries: [(u8, u8); SLOTS],
    /// The bits of the mandatory metrics.
    mandatory: u64,
}

/// Slots of a [`Lookup`]: a power of two, more than twice the most
/// `metric:value` pairs a version has (v4.0: 106).
const SLOTS: usize = 256;

/// A key no component has.
const NO_KEY: u64 = u64::MAX;

/// A component of at most 7 bytes as one number: its bytes
/// (little-endian) and its length in the top byte.
const fn key(name: &[u8], value: &[u8]) -> u64 {
    let len = name.len() + 1 + value.len();
    assert!(len <= 7);
    let mut k = (len as u64) << 56;
    let mut i = 0;
    while i < len {
        let b = if i < name.len() {
            name[i]
        } else if i == name.len() {
            b':'
        } else {
            value[i - name.len() - 1]
        };
        k |= (b as u64) << (8 * i);
        i += 1;
    }
    k
}

const fn slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

impl Lookup {
    pub(crate) const fn of(table: &[Metric]) -> Lookup {
        let mut lookup = Lookup {
            keys: [NO_KEY; SLOTS],
            entries: [(0, 0); SLOTS],
            mandatory: 0,
        };
        let mut pairs = 0;
        let mut i = 0;
        while i < table.len() {
            if matches!(table[i].group, Group::Base) {
                lookup.mandatory |= 1 << i;
            }
            let mut j = 0;
            while j < table[i].values.len() {
                let key = key(table[i].name.as_bytes(), table[i].values[j].as_bytes());
                let mut s = slot(key);
                while lookup.keys[s] != NO_KEY {
                    s = (s + 1) % SLOTS;
                }
                lookup.keys[s] = key;
                lookup.entries[s] = (i as u8, j as u8);
                pairs += 1;
                j += 1;
            }
            i += 1;
        }
        assert!(pairs * 2 <= SLOTS);
        lookup
    }

    /// The metric and value indices of the component with this key.
    fn get(&self, key: u64) -> Option<(usize, u8)> {
        let mut s = slot(key);
        // The table is at most half full: an empty slot ends every probe.
        for _ in 0..SLOTS {
            let k = *self.keys.get(s)?;
            if k == key {
                return self.entries.get(s).map(|&(m, v)| (usize::from(m), v));
            }
            if k == NO_KEY {
                return None;
            }
            s = (s + 1) % SLOTS;
        }
        None
    }
}

/// One `metric:value` of a vector string whose metric and value exist in
/// its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// The metric's position in [`Version::metrics`].
    pub index: usize,
    pub metric: &'static Metric,
    /// The value's position in the metric's values.
    pub value_index: u8,
    /// The byte offset of the component in the vector string.
    pub offset: usize,
}

impl Component {
    pub fn value(&self) -> &'static str {
        self.metric
            .values
            .get(usize::from(self.value_index))
            .copied()
            .unwrap_or_default()
    }
}

/// The components of a vector string of `version`, in the order written,
/// each checked on its own: it must be `metric:value` with a metric and a
/// value of the version. Whether a metric repeats, is out of order or is
/// missing is the business of the whole vector ([`crate::Vector::parse`]);
/// this is for readers that are more lenient, such as a JSON schema's
/// pattern.
///
/// A vector without the version's prefix yields one
/// [`ErrorKind::WrongPrefix`].
pub fn components(version: Version, vector: &str) -> Components<'_> {
    match vector.strip_prefix(version.prefix()) {
        Some(body) => Components {
            version,
            rest: Some(body),
            offset: version.prefix().len(),
            wrong_prefix: false,
        },
        None => Components {
            version,
            rest: None,
            offset: 0,
            wrong_prefix: true,
        },
    }
}

/// The iterator of [`components`].
#[derive(Debug, Clone)]
pub struct Components<'a> {
    version: Version,
    rest: Option<&'a str>,
    offset: usize,
    wrong_prefix: bool,
}

impl Iterator for Components<'_> {
    type Item = Result<Component, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.wrong_prefix {
            self.wrong_prefix = false;
            return Some(Err(ParseError {
                kind: ErrorKind::WrongPrefix {
                    expected: self.version.prefix(),
                },
                offset: 0,
            }));
        }
        let rest = self.rest?;
        let (part, tail) = match rest.split_once('/') {
            Some((part, tail)) => (part, Some(tail)),
            None => (rest, None),
        };
        let offset = self.offset;
        self.offset += part.len() + 1;
        self.rest = tail;
        Some(component(self.version, part, offset))
    }
}

fn component(version: Version, part: &str, offset: usize) -> Result<Component, ParseError> {
    let fail = |kind| Err(ParseError { kind, offset });
    let Some((name, value)) = part.split_once(':') else {
        return fail(ErrorKind::Malformed {
            component: part.to_owned(),
        });
    };
    if name.is_empty() || value.contains(':') {
        return fail(ErrorKind::Malformed {
            component: part.to_owned(),
        });
    }
    let index = match version {
        Version::V2 => v2::index_of(name),
        Version::V3_0 | Version::V3_1 => v3::index_of(name),
        Version::V4 => v4::index_of(name),
    };
    let Some((index, metric)) = index.and_then(|i| Some((i, version.metrics().get(i)?))) else {
        return fail(ErrorKind::UnknownMetric {
            version,
            metric: name.to_owned(),
        });
    };
    let Some(value_index) = metric
        .values
        .iter()
        .position(|v| *v == value)
        .and_then(|i| u8::try_from(i).ok())
    else {
        return fail(ErrorKind::UnknownValue {
            metric: metric.name,
            value: value.to_owned(),
            expected: metric.values,
        });
    };
    Ok(Component {
        index,
        metric,
        value_index,
        offset,
    })
}

/// Reads a whole vector of `version` into one value index per metric
/// (0, Not Defined, for an optional metric not given): every component
/// valid, none repeated, every base metric present and, when `ORDERED`,
/// the metrics in the order of the table.
///
/// This is the hot path: one word per component, looked up as an integer
/// ([`Lookup`]), nothing allocated unless the vector is invalid, when
/// [`component`] says precisely why.
pub(crate) fn read<const N: usize, const ORDERED: bool>(
    version: Version,
    vector: &str,
) -> Result<[u8; N], ParseError> {
    if vector.is_empty() {
        return Err(ParseError {
            kind: ErrorKind::Empty,
            offset: 0,
        });
    }
    // The prefixes compared as constants, which the compiler inlines.
    let body = match (version, vector.as_bytes().get(..9)) {
        (Version::V2, _) => Some(vector),
        (Version::V3_0, Some(b"CVSS:3.0/"))
        | (Version::V3_1, Some(b"CVSS:3.1/"))
        | (Version::V4, Some(b"CVSS:4.0/")) => vector.get(9..),
        _ => None,
    };
    let prefix = version.prefix();
    let Some(body) = body else {
        return Err(ParseError {
            kind: ErrorKind::WrongPrefix { expected: prefix },
            offset: 0,
        });
    };
    let metrics = version.metrics();
    let lookup = match version {
        Version::V2 => &v2::LOOKUP,
        Version::V3_0 | Version::V3_1 => &v3::LOOKUP,
        Version::V4 => &v4::LOOKUP,
    };
    let bytes = body.as_bytes();
    let mut values = [0; N];
    let mut seen: u64 = 0;
    let mut last = 0;
    let mut start = 0;
    loop {
        // Every valid `metric:value` has at most 7 bytes: read 8 as one
        // word, find the `/` in it and look the component up whole.
        let rest = bytes.get(start..).unwrap_or_default();
        let word = match (rest.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (Some(chunk), _) => u64::from_le_bytes(*chunk),
            // The last 8 bytes of the body, shifted so that the rest comes
            // first and zeros follow.
            (None, Some(last)) => u64::from_le_bytes(*last)
                .checked_shr(8 * (8 - rest.len() as u32))
                .unwrap_or(0),
            (None, None) => {
                let mut buf = [0; 8];
                if let Some(head) = buf.get_mut(..rest.len()) {
                    head.copy_from_slice(rest);
                }
                u64::from_le_bytes(buf)
            }
        };
        let slash = first_byte(word, b'/').filter(|&s| s < rest.len());
        let len = slash.unwrap_or(rest.len());
        let found = if (1..8).contains(&len) {
            lookup.get((word & low_bytes(len)) | ((len as u64) << 56))
        } else {
            None
        };
        let offset = prefix.len() + start;
        let Some((index, value_index)) = found else {
            let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            let part = body.get(start..start + end).unwrap_or_default();
            return Err(match component(version, part, offset) {
                Err(e) => e,
                Ok(_) => ParseError {
                    kind: ErrorKind::Malformed {
                        component: part.to_owned(),
                    },
                    offset,
                },
            });
        };
        let name = |i: usize| metrics.get(i).map_or("", |m| m.name);
        let bit = 1_u64 << index;
        if seen & bit != 0 {
            return Err(ParseError {
                kind: ErrorKind::Duplicate {
                    metric: name(index),
                },
                offset,
            });
        }
        if ORDERED && index < last {
            return Err(ParseError {
                kind: ErrorKind::OutOfOrder {
                    metric: name(index),
                    after: name(last),
                },
                offset,
            });
        }
        seen |= bit;
        last = index;
        if let Some(slot) = values.get_mut(index) {
            *slot = value_index;
        }
        match slash {
            Some(slash) => start += slash + 1,
            None => break,
        }
    }
    if seen & lookup.mandatory != lookup.mandatory {
        let metrics = metrics
            .iter()
            .enumerate()
            .filter(|(i, m)| m.mandatory() && seen & (1 << i) == 0)
            .map(|(_, m)| m.name)
            .collect();
        return Err(ParseError {
            kind: ErrorKind::Missing { metrics },
            offset: vector.len(),
        });
    }
    Ok(values)
}

/// The position of the first byte `b` in the 8 bytes of `word`
/// (little-endian), by the zero-byte test of "Bit Twiddling Hacks": only
/// bytes above the first match can be false positives.
fn first_byte(word: u64, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (ONES * u64::from(b));
    let found = x.wrapping_sub(ONES) & !x & HIGHS;
    (found != 0).then(|| found.trailing_zeros() as usize / 8)
}

/// A mask of the `n` low bytes (`n` < 8).
fn low_bytes(n: usize) -> u64 {
    (1_u64 << (8 * n)) - 1
}

/// Writes the normalised vector: the prefix, then every defined metric in
/// table order.
pub(crate) fn write(f: &mut fmt::Formatter<'_>, version: Version, values: &[u8]) -> fmt::Result {
    f.write_str(version.prefix())?;
    let mut first = true;
    for (metric, &value) in version.metrics().iter().zip(values) {
        if value == 0 && !metric.mandatory() {
            continue;
        }
        if !first {
            f.write_str("/")?;
        }
        first = false;
        let value = metric
            .values
            .get(usize::from(value))
            .copied()
            .unwrap_or_default();
        write!(f, "{}:{value}", metric.name)?;
    }
    Ok(())
}

/// The value of a metric by name, `None` when Not Defined or unknown.
pub(crate) fn get(version: Version, values: &[u8], name: &str) -> Option<&'static str> {
    let (metric, &value) = version
        .metrics()
        .iter()
        .zip(values)
        .find(|(m, _)| m.name == name)?;
    if value == 0 && !metric.mandatory() {
        return None;
    }
    metric.values.get(usize::from(value)).copied()
}
