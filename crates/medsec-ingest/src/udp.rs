//! Syslog over UDP (RFC 5426): one datagram is one message. UDP cannot
//! slow its senders, so when the store is full a batch is dropped and
//! counted, and the kernel's own drops (a full socket buffer) are read
//! from `/proc/net/udp` and counted too.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use medsec_store::watch::Transport;
use tokio::net::UdpSocket;

use crate::counters::Counters;
use crate::registry::Shared;
use crate::sink::EventSink;
use crate::stream::{Batch, now_ns};

/// Datagrams decoded into one batch at most.
const MAX_DATAGRAMS: usize = 1024;

/// The largest datagram read (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// Receives datagrams on `socket` for the UDP source of `port` until the
/// task is aborted.
pub async fn serve(
    socket: UdpSocket,
    port: u16,
    registry: Shared,
    sink: Arc<dyn EventSink>,
    counters: Counters,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut repeats = medsec_logs::Repeats::default();
    loop {
        let first = match socket.recv_from(&mut buf).await {
            Ok((n, _)) => n,
            Err(e) => {
                tracing::warn!(port, error = %e, "UDP receive failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(source) = registry.get().by_port(Transport::Udp, port) else {
            // The source was disabled or removed; the listener is about
            // to be stopped.
            continue;
        };
        // Per-sender state would let a spoofed address poison another's:
        // each burst starts from the source's configuration. Only the
        // repeat counts go on from burst to burst: UDP is never resent,
        // so a datagram identical to an earlier one is a new event.
        let mut conn = source.decoder.connection();
        std::mem::swap(conn.repeats_mut(), &mut repeats);
        let mut batch = Batch::new(&source, &counters, now_ns());
        batch.frame(trim(buf.get(..first).unwrap_or_default()), false, &mut conn);
        while batch.len() < MAX_DATAGRAMS {
            match socket.try_recv_from(&mut buf) {
                Ok((n, _)) => batch.frame(trim(buf.get(..n).unwrap_or_default()), false, &mut conn),
                Err(_) => break,
            }
        }
        std::mem::swap(conn.repeats_mut(), &mut repeats);
        if let Some(append) = batch.try_flush(&*sink) {
            tokio::spawn(append);
        }
    }
}

/// A datagram without a trailing newline or NUL some senders add.
fn trim(d: &[u8]) -> &[u8] {
    let mut end = d.len();
    while end > 0 && matches!(d[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    d.get(..end).unwrap_or_default()
}

/// The kernel's drop count of the UDP socket bound to `port`, from
/// `/proc/net/udp` and `/proc/net/udp6` (Linux); `None` elsewhere.
pub fn kernel_drops(port: u16) -> Option<u64> {
    let mut total = None;
    for file in ["/proc/net/udp", "/proc/net/udp6"] {
        if let Ok(text) = std::fs::read_to_string(file)
            && let Some(d) = drops_in(&text, port)
        {
            *total.get_or_insert(0) += d;
        }
    }
    total
}

/// The summed `drops` column of the sockets bound to `port` in a
/// `/proc/net/udp` table.
fn drops_in(table: &str, port: u16) -> Option<u64> {
    let mut found = None;
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let local_port = cols
            .get(1)
            .and_then(|a| a.rsplit_once(':'))
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
        if local_port == Some(port)
            && let Some(d) = cols.last().and_then(|d| d.parse::<u64>().ok())
        {
            *found.get_or_insert(0) += d;
        }
    }
    found
}

/// Adds the kernel drops of each UDP port since the last call to its
/// source's dropped count.
pub fn count_kernel_drops(registry: &Shared, last: &mut std::collections::HashMap<u16, u64>) {
    let reg = registry.get();
    for (transport, port) in reg.ports() {
        if transport != Transport::Udp {
            continue;
        }
        let Some(now) = kernel_drops(port) else {
            continue;
        };
        let before = last.insert(port, now).unwrap_or(now);
        if let Some(source) = reg.by_port(Transport::Udp, port) {
            source
                .counters
                .dropped
                .fetch_add(now.saturating_sub(before), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_read_per_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 17
  124: 00000000:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1235 2 0000000000000000 3
";
        assert_eq!(drops_in(table, 0x1F90), Some(17));
        assert_eq!(drops_in(table, 514), Some(3));
        assert_eq!(drops_in(table, 9999), None);
        assert_eq!(drops_in("garbage\nmore garbage", 514), None);
    }

    #[test]
    fn trailing_newlines_are_not_part_of_a_datagram() {
        assert_eq!(trim(b"<13>hi\n\0"), b"<13>hi");
        assert_eq!(trim(b"\n"), b"");
    }
}
