//! Times the receive path's stages without the network, for profiling
//! (`perf record`) while changing the decoder or the event store; the
//! target itself is measured by `ingest-bench` (`crates/medsec-bench`).
//!
//! ```text
//! cargo run --release -p medsec-ingest --example ingest_stages -- INPUT [STORE_DIR]
//! ```
//!
//! `INPUT` is a file of newline-framed syslog lines, e.g. the `input.log`
//! that `ingest-bench --keep` leaves. The program decodes it in 64 KiB
//! reads as a connection does (framing, parsing, normalising, masking,
//! ids), once alone and once appending every read's batch to an event
//! store in `STORE_DIR` (a temporary directory by default) with its
//! default configuration but no background compaction, then closes the store (which flushes the tail
//! into segments). It prints the CPU seconds of each stage, and of each
//! thread during the appends.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use medsec_events::{Config, EventStore};
use medsec_ingest::decode::{Decoded, SourceDecoder};
use medsec_logs::framing::{Framer, FramerConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

/// CPU seconds of each of the process's threads by name, summed over
/// threads of the same name.
fn thread_cpu() -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in dir.flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let Some((head, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, n)| n).to_owned();
        let f: Vec<&str> = after.split_whitespace().collect();
        let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        let cpu = (t(11) + t(12)) / 100.0;
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += cpu,
            None => out.push((name, cpu)),
        }
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let input = std::fs::read(args.next().expect("INPUT")).expect("read INPUT");
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = args
        .next()
        .map_or_else(|| tmp.path().join("store"), Into::into);
    let decoder = SourceDecoder::new(
        "member",
        "source",
        "auto",
        Arc::new(medsec_logs::Decoders::new()),
        Arc::new(medsec_logs::Masker::default()),
    )
    .expect("decoder");
    let received = 1_714_600_000_000_000_000;
    let decode_all = |each: &mut dyn FnMut(Vec<medsec_logs::Event>)| {
        let mut framer = Framer::new(FramerConfig::default());
        let mut conn = decoder.connection();
        for chunk in input.chunks(64 * 1024) {
            let mut batch = Vec::with_capacity(chunk.len() / 64 + 1);
            framer.decode(chunk, |f| {
                if let Decoded::Event { event, .. } = conn.decode(f.data, received, f.truncated) {
                    batch.push(event);
                }
            });
            each(batch);
        }
    };
    let (t, c) = (Instant::now(), cpu_seconds());
    let mut n = 0usize;
    decode_all(&mut |batch| n += batch.len());
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    println!(
        "decode: {n} events, {secs:.2} s, {cpu:.2} CPU s, {:.2} µs CPU/event",
        cpu * 1e6 / n as f64
    );

    let _ = std::fs::remove_dir_all(&dir);
    // Without background compaction, which waits for idle time in the
    // benchmark and would make runs differ by when it starts.
    let config = Config {
        auto_compact_segments: 0,
        ..Config::default()
    };
    let store = EventStore::open(&dir, config).expect("open store");
    let (t, c) = (Instant::now(), cpu_seconds());
    decode_all(&mut |batch| {
        store.append(batch).expect("append");
    });
    let (secs, append_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    let cpu = append_cpu;
    println!(
        "decode + append: {secs:.2} s, {cpu:.2} CPU s, {:.2} µs CPU/event",
        cpu * 1e6 / n as f64
    );
    // The store's threads before they end with the store (the decoding
    // thread's share includes the first, decoding-only pass).
    for (name, cpu) in thread_cpu() {
        println!("  thread {name}: {cpu:.2} CPU s");
    }
    let (t, c) = (Instant::now(), cpu_seconds());
    store.close();
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    println!(
        "close (last flush): {secs:.2} s, {cpu:.2} CPU s; total {:.2} µs CPU/event",
        (append_cpu + cpu) * 1e6 / n as f64
    );
}
