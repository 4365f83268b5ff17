//! Real senders pointed at medsec: util-linux `logger` over TCP (RFC 5424
//! with octet counting) and UDP, and a private rsyslog forwarding what
//! local programs log (its `imuxsock` socket, fed by `logger -u`) with
//! `omfwd` over TCP, in RFC 5424 with octet counting and in the
//! traditional format with newline framing. Every message arrives once,
//! attributed to the listener's member, with its fields decoded.
//!
//! `logger` comes with util-linux; rsyslog is a Debian package
//! (`.ci/install`). Without them the test says it was skipped, unless
//! `MEDSEC_REQUIRE_RSYSLOG` is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::*;

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn tools() -> Option<(PathBuf, PathBuf)> {
    match (find("logger"), find("rsyslogd")) {
        (Some(l), Some(r)) => Some((l, r)),
        _ if std::env::var_os("MEDSEC_REQUIRE_RSYSLOG").is_some() => {
            panic!("MEDSEC_REQUIRE_RSYSLOG is set but logger or rsyslogd is missing")
        }
        _ => {
            eprintln!("SKIPPED: logger or rsyslogd is not installed (apt-get install rsyslog)");
            None
        }
    }
}

fn logger(bin: &Path, args: &[&str]) {
    let status = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "logger {args:?}");
}

/// Waits until `query` matches `n` events of `member`.
async fn wait_for(env: &Env, member: &str, query: &str, n: usize) -> Vec<medsec_logs::Event> {
    let mut found = Vec::new();
    for _ in 0..400 {
        found = env.search(query, EventScope::member(member.to_owned()));
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(found.len(), n, "{query}: {found:#?}");
    found
}

/// A private rsyslogd, stopped on drop.
struct Rsyslog(std::process::Child);

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logger_and_rsyslog_deliver_to_medsec() {
    let Some((logger_bin, rsyslogd)) = tools() else {
        return;
    };
    let env = Env::new().await;
    let (tcp, udp, fwd5424, fwd3164) = (free_port(), free_port(), free_port(), free_port());
    env.source(
        &env.seoul,
        "logger-tcp",
        Transport::Tcp,
        Some(tcp),
        "auto",
        None,
    )
    .await;
    env.source(
        &env.seoul,
        "logger-udp",
        Transport::Udp,
        Some(udp),
        "auto",
        None,
    )
    .await;
    env.source(
        &env.busan,
        "rsyslog-5424",
        Transport::Tcp,
        Some(fwd5424),
        "auto",
        None,
    )
    .await;
    env.source(
        &env.busan,
        "rsyslog-3164",
        Transport::Tcp,
        Some(fwd3164),
        "auto",
        None,
    )
    .await;

    // 1. logger straight to medsec.
    let (tcp_s, udp_s) = (tcp.to_string(), udp.to_string());
    for i in 0..20 {
        logger(
            &logger_bin,
            &[
                "--tcp",
                "--octet-count",
                "--rfc5424",
                "-n",
                "127.0.0.1",
                "-P",
                &tcp_s,
                "-t",
                "sshd",
                "-p",
                "auth.warning",
                &format!("Failed password for root from 203.0.113.{i} port 4{i:04} ssh2"),
            ],
        );
        logger(
            &logger_bin,
            &[
                "--udp",
                "-n",
                "127.0.0.1",
                "-P",
                &udp_s,
                "-t",
                "emr",
                "-p",
                "local0.info",
                &format!("환자 조회 {i} 완료"),
            ],
        );
    }
    let failed = wait_for(
        &env,
        &env.seoul,
        "event.outcome:failure AND user.name:root",
        20,
    )
    .await;
    assert!(failed.iter().all(|e| e.get("source.ip").is_some()));
    wait_for(&env, &env.seoul, "조회", 20).await;

    // 2. A private rsyslog takes local programs' messages on its own
    //    socket and forwards them in both framings.
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("log.sock");
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" CreatePath="on")
action(type="omfwd" target="127.0.0.1" port="{fwd5424}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omfwd" target="127.0.0.1" port="{fwd3164}" protocol="tcp" template="RSYSLOG_ForwardFormat")
"#,
            dir = dir.path().display(),
            sock = sock.display(),
        ),
    )
    .unwrap();
    let check = Command::new(&rsyslogd)
        .args(["-N1", "-f"])
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _rsyslog = Rsyslog(
        Command::new(&rsyslogd)
            .args(["-n", "-f"])
            .arg(&conf)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..200 {
        if sock.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let s = sock.to_str().unwrap();
    for i in 0..30 {
        logger(
            &logger_bin,
            &[
                "-u",
                s,
                "-t",
                "sshd",
                "-p",
                "authpriv.info",
                &format!("Accepted publickey for nurse{i} from 10.20.30.{i} port 5{i:04} ssh2"),
            ],
        );
    }
    // Each message once through each forwarding action, to 부산병원's
    // listeners; nothing reaches 서울병원.
    let via = wait_for(
        &env,
        &env.busan,
        "event.outcome:success AND user.name:nurse*",
        60,
    )
    .await;
    let sources: std::collections::HashSet<&str> = via.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(sources.len(), 2);
    assert!(via.iter().all(|e| e.get("host.name").is_some()));
    assert_eq!(
        env.search("nurse*", EventScope::member(env.seoul.clone()))
            .len(),
        0
    );
}
