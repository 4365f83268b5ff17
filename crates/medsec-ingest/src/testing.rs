//! A private NATS server with JetStream for tests (feature `testing`):
//! Debian's `nats-server` on a free loopback port with its own storage
//! directory, stopped (and its directory removed) on drop.
//!
//! Tests call [`NatsServer::start`], which answers `None`, after saying
//! why on stderr, when `nats-server` is not installed — unless
//! `MEDSEC_REQUIRE_NATS` is set (as `scripts/test` does), where a missing
//! server fails the test.

#![allow(clippy::expect_used, clippy::print_stderr)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub url: String,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts a server; `None` when `nats-server` is missing and not
    /// required.
    pub fn start() -> Option<NatsServer> {
        let Some(bin) = nats_server() else {
            if std::env::var_os("MEDSEC_REQUIRE_NATS").is_some() {
                panic!(
                    "MEDSEC_REQUIRE_NATS is set but nats-server is not installed (apt-get install nats-server)"
                );
            }
            eprintln!(
                "SKIPPED: nats-server is not installed (apt-get install nats-server); multi-node tests not run"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut server = NatsServer {
            child: spawn(&bin, &dir, 0),
            port: 0,
            url: String::new(),
            dir,
        };
        server.port = server.wait_for_port();
        server.url = format!("nats://127.0.0.1:{}", server.port);
        Some(server)
    }

    /// Stops the server (SIGKILL) and starts it again on the same port
    /// and storage.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let bin = nats_server().expect("nats-server");
        self.child = spawn(&bin, &self.dir, self.port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not restart");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port the server chose, read from its log.
    fn wait_for_port(&mut self) -> u16 {
        let log = self.dir.path().join("nats.log");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&log)
                && let Some(port) = text
                    .lines()
                    .filter(|l| l.contains("Listening for client connections on"))
                    .find_map(|l| l.rsplit(':').next()?.trim().parse::<u16>().ok())
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "nats-server exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "nats-server did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(bin: &PathBuf, dir: &tempfile::TempDir, port: u16) -> Child {
    // Port -1 lets the server pick a free one, which it logs.
    let port = if port == 0 {
        "-1".to_owned()
    } else {
        port.to_string()
    };
    Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port, "-sd"])
        .arg(dir.path().join("js"))
        .arg("-l")
        .arg(dir.path().join("nats.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting nats-server")
}

fn nats_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MEDSEC_TEST_NATS_SERVER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}
