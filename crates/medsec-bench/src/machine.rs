//! What the machine is doing while a benchmark measures: CPU time of a
//! process (this one or another, from `/proc`), the CPU time the whole
//! machine used, its load average, a wait for an idle machine (the two
//! cores are shared with other work), and memory from `/proc/PID/status`.

use std::time::{Duration, Instant};

/// A `kB` line of this process's `/proc/self/status` (`VmHWM:`, …) in MiB.
pub fn status_mib(key: &str) -> f64 {
    process_status_mib("self", key)
}

/// A `kB` line of `/proc/PID/status` in MiB (0 when unreadable).
pub fn process_status_mib(pid: &str, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds this process used so far (all its threads).
pub fn cpu_seconds() -> f64 {
    process_cpu_seconds("self")
}

/// CPU seconds process `pid` used so far, all its threads (0 when it is
/// gone).
pub fn process_cpu_seconds(pid: &str) -> f64 {
    // utime + stime, in clock ticks (100 per second).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

/// The machine's CPU time in use so far (all processes and the kernel),
/// in seconds.
pub fn machine_busy() -> f64 {
    busy("cpu ")
}

/// The CPU time core `n` was in use so far (whatever ran on it), in
/// seconds.
pub fn core_busy(n: usize) -> f64 {
    busy(&format!("cpu{n} "))
}

/// The busy time of one `/proc/stat` line (`cpu ` for all cores).
fn busy(line: &str) -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user, nice, system, irq, softirq, steal
    [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|i| f.get(*i).copied().unwrap_or(0.0))
        .sum::<f64>()
        / 100.0
}

/// The one-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0.0)
}

/// Waits (up to `max`) until the one-minute load average is below 0.5, so
/// that others' work does not count as ours; returns the load.
pub fn wait_idle(max: Duration) -> f64 {
    let t = Instant::now();
    while loadavg() >= 0.5 && t.elapsed() < max {
        std::thread::sleep(Duration::from_secs(5));
    }
    loadavg()
}

/// Waits (up to `max`) until the whole machine used less than `cores`
/// cores' worth of CPU over the last `window`, which suits measurements
/// taken back to back better than the load average (it takes a minute
/// to forget the previous run); returns the CPU in use over the last
/// window, in cores.
pub fn wait_quiet(window: Duration, cores: f64, max: Duration) -> f64 {
    let t = Instant::now();
    loop {
        let (b0, t0) = (machine_busy(), Instant::now());
        std::thread::sleep(window);
        let used = (machine_busy() - b0) / t0.elapsed().as_secs_f64();
        if used < cores || t.elapsed() >= max {
            return used;
        }
    }
}
