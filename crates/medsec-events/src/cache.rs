//! A bounded cache of decompressed segment frames (index chunks and the
//! small columns: timestamps, layouts, ingest times, fields), shared by
//! the segments of one store. Raw-message columns are not cached: they
//! are most of the bytes and a search reads few of them.
//!
//! Eviction is approximately least-recently-used: when the cache is over
//! its bound, the oldest quarter of the entries by last use goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Key = (u64, u64);

struct State {
    map: HashMap<Key, (Arc<Vec<u8>>, u64)>,
    bytes: usize,
    tick: u64,
}

pub(crate) struct FrameCache {
    state: Mutex<State>,
    max_bytes: usize,
}

impl FrameCache {
    pub fn new(max_bytes: usize) -> FrameCache {
        FrameCache {
            state: Mutex::new(State {
                map: HashMap::new(),
                bytes: 0,
                tick: 0,
            }),
            max_bytes,
        }
    }

    /// The frame of segment `seq` at `offset`, loaded by `load` if absent.
    pub fn get_or_load<E>(
        &self,
        seq: u64,
        offset: u64,
        load: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Arc<Vec<u8>>, E> {
        if self.max_bytes == 0 {
            return load().map(Arc::new);
        }
        {
            let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            s.tick += 1;
            let tick = s.tick;
            if let Some((v, used)) = s.map.get_mut(&(seq, offset)) {
                *used = tick;
                return Ok(v.clone());
            }
        }
        // Loaded outside the lock: two searches may both load a frame,
        // which costs time, never correctness.
        let v = Arc::new(load()?);
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.tick += 1;
        let tick = s.tick;
        if let Some((old, _)) = s.map.insert((seq, offset), (v.clone(), tick)) {
            s.bytes -= old.len();
        }
        s.bytes += v.len();
        if s.bytes > self.max_bytes {
            let mut ticks: Vec<u64> = s.map.values().map(|(_, t)| *t).collect();
            ticks.sort_unstable();
            let cut = ticks.get(ticks.len() / 4).copied().unwrap_or(0);
            let mut freed = 0;
            s.map.retain(|_, (v, t)| {
                let keep = *t > cut;
                if !keep {
                    freed += v.len();
                }
                keep
            });
            s.bytes -= freed;
        }
        Ok(v)
    }

    /// Forgets the frames of a segment that is gone.
    pub fn forget(&self, seq: u64) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut freed = 0;
        s.map.retain(|(q, _), (v, _)| {
            let keep = *q != seq;
            if !keep {
                freed += v.len();
            }
            keep
        });
        s.bytes -= freed;
    }
}
