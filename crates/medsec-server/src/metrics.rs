//! Prometheus metrics in the text exposition format (version 0.0.4),
//! served at `/metrics` to tokens with the `metrics` scope.
//!
//! A handful of fixed series do not justify a metrics framework: counters
//! and histograms here are atomics, and request series are keyed by the
//! matched route template, so their number is bounded by the route table.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Latency buckets in seconds, from 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A histogram with fixed buckets; the sum is kept in microseconds.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let wrap = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(
            out,
            "{name}_sum{} {}",
            wrap(labels),
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{} {count}", wrap(labels));
    }
}

/// Every metric medsec exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by (method, route template, status code).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Request latency by route template.
    latency: Mutex<BTreeMap<String, std::sync::Arc<Histogram>>>,
    pub logins_succeeded: Counter,
    pub logins_failed: Counter,
    pub lockouts: Counter,
    pub sessions_expired: Counter,
    pub hashing_refused: Counter,
    pub hashing_seconds: Histogram,
}

/// A label value as the exposition format writes it.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        let h = self
            .latency
            .lock()
            .ok()
            .map(|mut m| m.entry(route.to_owned()).or_default().clone());
        if let Some(h) = h {
            h.observe(seconds);
        }
    }

    /// The exposition text.
    pub fn render(&self, extra_gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP medsec_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE medsec_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "medsec_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(method),
                    escape(route)
                );
            }
        }
        out.push_str("# HELP medsec_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE medsec_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                h.render(
                    &mut out,
                    "medsec_http_request_duration_seconds",
                    &format!("route=\"{}\"", escape(route)),
                );
            }
        }
        for (name, help, c) in [
            (
                "medsec_logins_succeeded_total",
                "Successful logins.",
                &self.logins_succeeded,
            ),
            (
                "medsec_logins_failed_total",
                "Failed login attempts.",
                &self.logins_failed,
            ),
            (
                "medsec_lockouts_total",
                "Accounts locked after repeated failures.",
                &self.lockouts,
            ),
            (
                "medsec_sessions_expired_total",
                "Sessions ended by idle timeout or lifetime.",
                &self.sessions_expired,
            ),
            (
                "medsec_password_hashing_refused_total",
                "Logins refused because too many password checks were queued.",
                &self.hashing_refused,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                c.get()
            );
        }
        out.push_str(
            "# HELP medsec_password_hashing_seconds Time to hash or verify one password.\n",
        );
        out.push_str("# TYPE medsec_password_hashing_seconds histogram\n");
        self.hashing_seconds
            .render(&mut out, "medsec_password_hashing_seconds", "");
        for (name, help, value) in extra_gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record_request("GET", "/users/{id}", 200, 0.003);
        m.record_request("GET", "/users/{id}", 200, 0.2);
        m.logins_failed.inc();
        let text = m.render(&[("medsec_up", "Whether medsec is up.", 1.0)]);
        assert!(text.contains(
            "medsec_http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "medsec_http_request_duration_seconds_bucket{route=\"/users/{id}\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "medsec_http_request_duration_seconds_bucket{route=\"/users/{id}\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("medsec_logins_failed_total 1"));
        assert!(text.contains("medsec_password_hashing_seconds_count 0"));
        assert!(text.ends_with("medsec_up 1\n"));
    }
}
