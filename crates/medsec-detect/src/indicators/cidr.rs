//! CIDR blocks as a sorted interval list: blocks either nest or do not
//! overlap, so the address space cuts into segments, each covered by one
//! most specific block (or none). A lookup finds its segment by binary
//! search, within the slice a directory of the top 16 bits points to, and
//! gets the block; each block knows the next larger block around it, so
//! the longest block with a valid indicator is found by walking outwards
//! (only on a hit).

/// An address as an unsigned integer (`u32` for IPv4, `u128` for IPv6).
pub(crate) trait Bits: Copy + Ord + Eq + std::hash::Hash {
    fn top16(self) -> usize;
    /// The last address of the block `self/len`.
    fn last(self, len: u8) -> Self;
    /// `self + 1`, or `None` past the last address.
    fn succ(self) -> Option<Self>;
    fn from_top16(top: usize) -> Self;
}

impl Bits for u32 {
    fn top16(self) -> usize {
        (self >> 16) as usize
    }
    fn last(self, len: u8) -> u32 {
        self | u32::MAX.checked_shr(u32::from(len)).unwrap_or(0)
    }
    fn succ(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn from_top16(top: usize) -> u32 {
        u32::try_from(top).unwrap_or(u32::MAX >> 16) << 16
    }
}

impl Bits for u128 {
    fn top16(self) -> usize {
        (self >> 112) as usize
    }
    fn last(self, len: u8) -> u128 {
        self | u128::MAX.checked_shr(u32::from(len)).unwrap_or(0)
    }
    fn succ(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn from_top16(top: usize) -> u128 {
        (top as u128) << 112
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// The blocks of one address family.
#[derive(Debug)]
pub(crate) struct CidrTable<T> {
    /// Segment starts, ascending.
    starts: Vec<T>,
    /// The most specific block covering each segment, or [`NONE`].
    covering: Vec<u32>,
    /// For each `top16`, the first segment starting at or after it (65,537
    /// entries; empty without blocks).
    directory: Vec<u32>,
    /// Per block: the first indicator (a chain through the set's `next`).
    pub(crate) heads: Vec<u32>,
    /// Per block: the next larger block containing it, or [`NONE`].
    pub(crate) parents: Vec<u32>,
}

impl<T: Bits> CidrTable<T> {
    /// `blocks`: (network with host bits clear, prefix length, first
    /// indicator of its chain), each block once.
    pub(crate) fn build(mut blocks: Vec<(T, u8, u32)>) -> CidrTable<T> {
        // Containing blocks before the blocks they contain.
        blocks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = blocks.len();
        let mut heads = Vec::with_capacity(n);
        let mut parents = vec![NONE; n];
        let mut starts: Vec<T> = Vec::with_capacity(2 * n);
        let mut covering: Vec<u32> = Vec::with_capacity(2 * n);
        let mut emit = |at: T, block: u32| {
            if starts.last() == Some(&at) {
                if let Some(c) = covering.last_mut() {
                    *c = block;
                }
            } else {
                starts.push(at);
                covering.push(block);
            }
        };
        // Blocks that contain the current position, innermost last.
        let mut open: Vec<u32> = Vec::new();
        let last_of = |i: u32| {
            let (net, len, _) = blocks[i as usize];
            net.last(len)
        };
        for (i, (net, _len, head)) in blocks.iter().enumerate() {
            heads.push(*head);
            let i = i as u32;
            while let Some(&top) = open.last() {
                let end = last_of(top);
                if end >= *net {
                    break;
                }
                open.pop();
                if let Some(next) = end.succ() {
                    emit(next, open.last().copied().unwrap_or(NONE));
                }
            }
            parents[i as usize] = open.last().copied().unwrap_or(NONE);
            emit(*net, i);
            open.push(i);
        }
        while let Some(top) = open.pop() {
            if let Some(next) = last_of(top).succ() {
                emit(next, open.last().copied().unwrap_or(NONE));
            }
        }
        let directory = if starts.is_empty() {
            Vec::new()
        } else {
            (0..=65_536usize)
                .map(|top| {
                    if top == 65_536 {
                        starts.len() as u32
                    } else {
                        let at = T::from_top16(top);
                        starts.partition_point(|s| *s < at) as u32
                    }
                })
                .collect()
        };
        CidrTable {
            starts,
            covering,
            directory,
            heads,
            parents,
        }
    }

    /// The most specific block containing `addr`, or [`NONE`].
    #[inline]
    pub(crate) fn lookup(&self, addr: T) -> u32 {
        let top = addr.top16();
        let (Some(&lo), Some(&hi)) = (self.directory.get(top), self.directory.get(top + 1)) else {
            return NONE;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let within = self
            .starts
            .get(lo..hi)
            .map_or(0, |s| s.partition_point(|x| *x <= addr));
        let i = lo + within;
        if i == 0 {
            return NONE;
        }
        self.covering.get(i - 1).copied().unwrap_or(NONE)
    }

    pub(crate) fn blocks(&self) -> usize {
        self.heads.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    /// Builds the table of `blocks` (`a.b.c.d/len`, numbered in order) and
    /// checks which block each address falls in, and each block's parent.
    fn check(blocks: &[&str], lookups: &[(&str, Option<usize>)]) {
        let parsed: Vec<(u32, u8, u32)> = blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let (a, l) = b.split_once('/').unwrap();
                (v4(a), l.parse().unwrap(), i as u32)
            })
            .collect();
        let t = CidrTable::build(parsed);
        for (addr, want) in lookups {
            let got = t.lookup(v4(addr));
            let got = (got != NONE).then(|| t.heads[got as usize] as usize);
            assert_eq!(got, *want, "{addr} in {blocks:?}");
        }
        // Every block's parent contains it.
        for (b, p) in t.parents.iter().enumerate() {
            if *p != NONE {
                let child = blocks[t.heads[b] as usize];
                let parent = blocks[t.heads[*p as usize] as usize];
                let (ca, cl) = child.split_once('/').unwrap();
                let (pa, pl) = parent.split_once('/').unwrap();
                let (cl, pl): (u8, u8) = (cl.parse().unwrap(), pl.parse().unwrap());
                assert!(pl < cl && v4(ca).last(cl) <= v4(pa).last(pl) && v4(ca) >= v4(pa));
            }
        }
    }

    #[test]
    fn most_specific_block_wins() {
        check(
            &[
                "10.0.0.0/8",
                "10.1.0.0/16",
                "10.1.2.0/24",
                "192.168.0.0/16",
                "0.0.0.0/0",
            ],
            &[
                ("9.255.255.255", Some(4)),
                ("10.0.0.0", Some(0)),
                ("10.1.2.3", Some(2)),
                ("10.1.3.0", Some(1)),
                ("10.2.0.0", Some(0)),
                ("10.255.255.255", Some(0)),
                ("11.0.0.0", Some(4)),
                ("192.168.255.255", Some(3)),
                ("255.255.255.255", Some(4)),
            ],
        );
        check(
            &["10.0.0.0/8", "10.255.255.0/24", "255.255.255.255/32"],
            &[
                ("0.0.0.0", None),
                ("10.255.254.255", Some(0)),
                ("10.255.255.255", Some(1)),
                ("11.0.0.0", None),
                ("255.255.255.254", None),
                ("255.255.255.255", Some(2)),
            ],
        );
        check(&[], &[("1.2.3.4", None)]);
    }

    #[test]
    fn matches_a_linear_scan() {
        // Seeded random blocks against the obvious answer.
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut blocks = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..400u32 {
            let len = (next() % 33) as u8;
            // Cluster the blocks so that they nest.
            let addr = ((next() as u32) & 0x0F0F_FFFF)
                & u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            if seen.insert((addr, len)) {
                blocks.push((addr, len, i));
            }
        }
        let t = CidrTable::build(blocks.clone());
        for _ in 0..20_000 {
            let a = (next() as u32) & 0x0F0F_FFFF | (next() as u32 & 0x1000_0000);
            let want = blocks
                .iter()
                .filter(|(n, l, _)| a >= *n && a <= n.last(*l))
                .max_by_key(|(_, l, _)| *l)
                .map(|b| b.2);
            let got = t.lookup(a);
            let got = (got != NONE).then(|| t.heads[got as usize]);
            assert_eq!(got, want, "{a:#x}");
        }
    }
}
