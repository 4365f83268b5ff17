//! Watch end to end through the binary: sources set up with `medsec logs
//! source add`, events sent to a running `medsec serve` over TCP, the
//! server killed with SIGKILL after the acknowledgement and in the middle
//! of a stream, and every acknowledged event found exactly once after the
//! restart; files imported and searched with `medsec logs`.

use std::collections::HashSet;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// An ISAC and a member hospital with a TCP source on `port`.
fn setup(data: &str, port: u16) {
    ok(&[
        "org",
        "create",
        "--data-dir",
        data,
        "--name",
        "의료ISAC",
        "--kind",
        "isac",
    ]);
    ok(&[
        "org",
        "create",
        "--data-dir",
        data,
        "--name",
        "서울병원",
        "--kind",
        "hospital",
    ]);
    let p = port.to_string();
    ok(&[
        "logs",
        "source",
        "add",
        "--data-dir",
        data,
        "--member",
        "서울병원",
        "--name",
        "방화벽",
        "--transport",
        "tcp",
        "--port",
        &p,
    ]);
}

fn line(i: u64) -> String {
    format!(
        "<134>1 2026-11-26T09:00:00.000+09:00 fw01 filterlog - - - seq={i} block in on em0 proto=tcp src=203.0.113.9 dst=10.0.0.5 dport=3389\n"
    )
}

/// Connects (retrying while the server starts its listeners).
async fn connect(port: u16) -> tokio::net::TcpStream {
    for _ in 0..200 {
        if let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the TCP source never listened on {port}");
}

/// Sends lines `range`, closes, waits for the server's close: the
/// acknowledgement.
async fn send_acknowledged(port: u16, range: std::ops::Range<u64>) {
    let mut s = connect(port).await;
    let mut buf = String::new();
    for i in range {
        buf.push_str(&line(i));
    }
    s.write_all(buf.as_bytes()).await.unwrap();
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut rest))
        .await
        .expect("acknowledged")
        .unwrap();
}

fn kill9(server: &mut Server) {
    let pid = server.child.id().unwrap();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    server.rt.take().unwrap().block_on(async {
        let _ = server.child.wait().await;
    });
}

/// The `seq=` numbers of every stored event (asserting none twice).
fn stored_seqs(data: &str) -> HashSet<u64> {
    let out = ok(&[
        "logs",
        "search",
        "--data-dir",
        data,
        "--format",
        "ndjson",
        "--limit",
        "0",
        "--from",
        "2026-11-25T00:00:00Z",
        "--to",
        "2026-11-27T00:00:00Z",
        "seq",
    ]);
    let mut seen = HashSet::new();
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let raw = v["raw"].as_str().unwrap();
        let seq: u64 = raw
            .split("seq=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(seen.insert(seq), "seq {seq} stored twice");
    }
    seen
}

#[test]
fn acknowledged_events_survive_kill_9_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    let port = free_port();
    setup(&d, port);
    const N: u64 = 20_000;

    // 1. N events acknowledged, then SIGKILL.
    let mut server = Server::start(&["--data-dir", &d]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        server.ready().await;
        send_acknowledged(port, 0..N / 2).await;
        send_acknowledged(port, N / 2..N).await;
    });
    kill9(&mut server);
    let seqs = stored_seqs(&d);
    assert_eq!(seqs.len() as u64, N);

    // 2. Killed in the middle of a stream: everything acknowledged before
    //    is there once; the unacknowledged rest is resent after the
    //    restart and stored once, not twice.
    let mut server = Server::start(&["--data-dir", &d]);
    rt.block_on(async {
        server.ready().await;
        send_acknowledged(port, N..N + 1000).await;
        let mut s = connect(port).await;
        let mut buf = String::new();
        for i in N + 1000..N + 50_000 {
            buf.push_str(&line(i));
        }
        // Half written, no acknowledgement waited for.
        s.write_all(buf.as_bytes().get(..buf.len() / 2).unwrap())
            .await
            .unwrap();
    });
    kill9(&mut server);
    let after_kill = stored_seqs(&d);
    assert!(
        (0..N + 1000).all(|i| after_kill.contains(&i)),
        "an acknowledged event was lost"
    );
    let mut server = Server::start(&["--data-dir", &d]);
    rt.block_on(async {
        server.ready().await;
        send_acknowledged(port, N + 1000..N + 50_000).await;
    });
    server.stop();
    let all = stored_seqs(&d);
    assert_eq!(all.len() as u64, N + 50_000);
}

#[test]
fn logs_import_and_search_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    ok(&[
        "org",
        "create",
        "--data-dir",
        &d,
        "--name",
        "의료ISAC",
        "--kind",
        "isac",
    ]);
    ok(&[
        "org",
        "create",
        "--data-dir",
        &d,
        "--name",
        "서울병원",
        "--kind",
        "hospital",
    ]);
    let file = dir.path().join("auth.log");
    std::fs::write(
        &file,
        "Nov 26 09:00:01 emr sshd[100]: Failed password for invalid user admin from 198.51.100.4 port 50000 ssh2\n\
         Nov 26 09:00:02 emr sshd[100]: Failed password for root from 198.51.100.4 port 50001 ssh2\n\
         Nov 26 09:00:03 emr sshd[101]: Accepted password for nurse from 10.1.1.7 port 50002 ssh2\n\
         Nov 26 09:00:04 emr kernel: 환자 900101-1234567 조회\n",
    )
    .unwrap();
    let out = run(&[
        "logs",
        "import",
        "--data-dir",
        &d,
        "--member",
        "서울병원",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("4 lines, 4 events stored, 0 already stored"),
        "{err}"
    );
    // Imported again: nothing new.
    let out = run(&[
        "logs",
        "import",
        "--data-dir",
        &d,
        "--member",
        "서울병원",
        file.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("0 events stored, 4 already stored"),
        "{}",
        text(&out.stderr)
    );

    let found = ok(&[
        "logs",
        "search",
        "--data-dir",
        &d,
        "--from",
        "2000-01-01T00:00:00Z",
        "event.outcome:failure AND source.ip:198.51.100.0/24",
    ]);
    assert!(found.contains("2 of 2 matching events"), "{found}");
    let masked = ok(&[
        "logs",
        "search",
        "--data-dir",
        &d,
        "--from",
        "2000-01-01T00:00:00Z",
        "조회",
    ]);
    assert!(
        masked.contains("1 of 1") && !masked.contains("1234567"),
        "{masked}"
    );
    let csv = ok(&[
        "logs",
        "search",
        "--data-dir",
        &d,
        "--from",
        "2000-01-01T00:00:00Z",
        "--format",
        "csv",
        "--limit",
        "0",
    ]);
    assert_eq!(csv.lines().count(), 5, "{csv}");

    // A bad query says where.
    let out = run(&["logs", "search", "--data-dir", &d, "(a AND"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("column"),
        "{}",
        text(&out.stderr)
    );
    // An unknown member, an unknown format.
    let out = run(&[
        "logs",
        "import",
        "--data-dir",
        &d,
        "--member",
        "없는병원",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "logs",
        "import",
        "--data-dir",
        &d,
        "--member",
        "서울병원",
        "--format",
        "nope",
        file.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("unknown format"),
        "{}",
        text(&out.stderr)
    );

    let list = ok(&["logs", "source", "list", "--data-dir", &d]);
    assert!(list.contains("서울병원\tfile-import\tfile"), "{list}");
}
