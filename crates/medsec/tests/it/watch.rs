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
    setup_with(&["--data-dir", data], port);
}

/// The same, with the database named by `store` (`--data-dir`,
/// `--database`).
fn setup_with(store: &[&str], port: u16) {
    let with = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(store);
        ok(&all)
    };
    with(&["org", "create", "--name", "의료ISAC", "--kind", "isac"]);
    with(&["org", "create", "--name", "서울병원", "--kind", "hospital"]);
    let p = port.to_string();
    with(&[
        "logs",
        "source",
        "add",
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
    connect_to("127.0.0.1", port).await
}

async fn connect_to(ip: &str, port: u16) -> tokio::net::TcpStream {
    for _ in 0..200 {
        if let Ok(s) = tokio::net::TcpStream::connect((ip, port)).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the TCP source never listened on {ip}:{port}");
}

/// Sends lines `range`, closes, waits for the server's close: the
/// acknowledgement.
async fn send_acknowledged(port: u16, range: std::ops::Range<u64>) {
    send_acknowledged_to("127.0.0.1", port, range).await;
}

async fn send_acknowledged_to(ip: &str, port: u16, range: std::ops::Range<u64>) {
    let mut s = connect_to(ip, port).await;
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
    stored_seqs_with(&["--data-dir", data])
}

fn stored_seqs_with(store: &[&str]) -> HashSet<u64> {
    let mut args = vec![
        "logs",
        "search",
        "--format",
        "ndjson",
        "--limit",
        "0",
        "--from",
        "2026-11-25T00:00:00Z",
        "--to",
        "2026-11-27T00:00:00Z",
    ];
    args.extend_from_slice(store);
    args.push("seq");
    let out = ok(&args);
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

/// Multi-node mode: two receiving nodes and one indexing node on one
/// PostgreSQL database and one NATS JetStream server. A receiver and the
/// indexer are killed with SIGKILL in the middle of streams; every event
/// a sender saw acknowledged is stored exactly once, and what was not
/// acknowledged and is resent is stored once too.
#[test]
fn three_nodes_store_every_acknowledged_event_exactly_once() {
    let Some(nats) = medsec_ingest::testing::NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(medsec_store::testing::postgres_url()) else {
        eprintln!("skipped: multi-node test (set MEDSEC_TEST_POSTGRES to run it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let node = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (r1, r2, ix) = (node("receiver-1"), node("receiver-2"), node("indexer"));
    let port = free_port();
    setup_with(&["--data-dir", &ix, "--database", &db], port);
    // Two machines in real life: here two loopback addresses, the same
    // source port on each.
    let (ip1, ip2) = ("127.0.0.2", "127.0.0.3");
    let receiver = |data: &str, ip: &str| {
        Server::start(&[
            "--data-dir",
            data,
            "--database",
            &db,
            "--nats",
            &nats.url,
            "--node-role",
            "receive",
            "--ingest-bind",
            ip,
        ])
    };
    let indexer = || {
        Server::start(&[
            "--data-dir",
            &ix,
            "--database",
            &db,
            "--nats",
            &nats.url,
            "--node-role",
            "index",
        ])
    };
    let mut n1 = receiver(&r1, ip1);
    let mut n2 = receiver(&r2, ip2);
    let mut nx = indexer();
    rt.block_on(async {
        n1.ready().await;
        n2.ready().await;
        nx.ready().await;
        // 1. Both receivers take acknowledged streams at once.
        tokio::join!(
            send_acknowledged_to(ip1, port, 0..10_000),
            send_acknowledged_to(ip2, port, 10_000..20_000),
        );
    });

    // 2. The indexer dies while receivers keep acknowledging; receiver 1
    //    dies in the middle of a stream it has not acknowledged.
    let unacked = 40_000..60_000;
    rt.block_on(async {
        let more = send_acknowledged_to(ip2, port, 20_000..30_000);
        let indexer_pid = nx.child.id().unwrap().to_string();
        let kill_indexer = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let killed = tokio::process::Command::new("kill")
                .args(["-KILL", &indexer_pid])
                .status()
                .await
                .unwrap();
            assert!(killed.success());
        };
        tokio::join!(more, kill_indexer);
        send_acknowledged_to(ip1, port, 30_000..40_000).await;
        let mut s = connect_to(ip1, port).await;
        let mut buf = String::new();
        for i in unacked.clone() {
            buf.push_str(&line(i));
        }
        s.write_all(buf.as_bytes().get(..buf.len() / 2).unwrap())
            .await
            .unwrap();
    });
    kill9(&mut n1);
    kill9(&mut nx);

    // 3. Both come back; the sender resends what it did not see
    //    acknowledged.
    let mut n1 = receiver(&r1, ip1);
    let mut nx = indexer();
    rt.block_on(async {
        n1.ready().await;
        nx.ready().await;
        send_acknowledged_to(ip1, port, unacked.clone()).await;
    });

    // 4. Wait until the indexer has taken everything off the bus, stop
    //    it, and count.
    rt.block_on(async {
        let mut config = medsec_ingest::bus::BusConfig::new(nats.url.clone());
        config.append_patience = Duration::from_secs(1);
        let bus = medsec_ingest::bus::Bus::connect(config).await.unwrap();
        let m = &bus.metrics;
        for _ in 0..600 {
            bus.observe().await.unwrap();
            if m.indexer_pending.load(std::sync::atomic::Ordering::Relaxed) == 0
                && m.stream_messages.load(std::sync::atomic::Ordering::Relaxed) == 0
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            m.indexer_pending.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "the indexer never caught up"
        );
    });
    nx.stop();
    n1.stop();
    n2.stop();
    let seqs = stored_seqs_with(&["--data-dir", &ix, "--database", &db]);
    assert_eq!(seqs.len(), 60_000);
    assert!((0..60_000).all(|i| seqs.contains(&i)));
}

/// Live detection through the binary: `medsec serve --rules` evaluates
/// every stored event exactly once although the server is killed with
/// SIGKILL right after acknowledgements (detection may be mid-batch) and
/// in the middle of a stream; the alert's hits equal the events stored.
#[test]
fn live_detection_evaluates_every_event_once_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("rdp.yml"),
        "title: RDP from outside blocked\nid: 6f0e2b9a-4c1d-4e8f-a3b2-9d7c5e1f0a42\nstatus: test\nlevel: high\ntags:\n  - attack.t1133\nlogsource:\n  category: firewall\ndetection:\n  keywords:\n    - 'dport=3389'\n  condition: keywords\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap().to_owned();
    let port = free_port();
    setup(&d, port);
    const N: u64 = 5_000;
    let args = ["--data-dir", d.as_str(), "--rules", r.as_str()];
    let rt = tokio::runtime::Runtime::new().unwrap();

    // 1. Acknowledged, then SIGKILL at once.
    let mut server = Server::start(&args);
    rt.block_on(async {
        server.ready().await;
        send_acknowledged(port, 0..N).await;
    });
    kill9(&mut server);
    // 2. More, and SIGKILL in the middle of a stream.
    let mut server = Server::start(&args);
    rt.block_on(async {
        server.ready().await;
        send_acknowledged(port, N..2 * N).await;
        let mut s = connect(port).await;
        let mut buf = String::new();
        for i in 2 * N..3 * N {
            buf.push_str(&line(i));
        }
        s.write_all(buf.as_bytes().get(..buf.len() / 2).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    kill9(&mut server);
    let stored = stored_seqs(&d).len() as i64;
    assert!(stored >= 2 * N as i64);

    // 3. Restarted, detection catches up with every stored event, once.
    let mut server = Server::start(&args);
    rt.block_on(async {
        server.ready().await;
    });
    let since = std::time::Instant::now();
    loop {
        let v: serde_json::Value =
            serde_json::from_str(&ok(&["alerts", "status", "--json", "--data-dir", &d])).unwrap();
        let evaluated = v["events"].as_i64().unwrap_or(0);
        assert!(
            evaluated <= stored,
            "evaluated {evaluated} of {stored} stored events: {v}"
        );
        if evaluated == stored {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "detection stopped at {evaluated} of {stored}: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server.stop();
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "alerts",
        "list",
        "--state",
        "all",
        "--json",
        "--data-dir",
        &d,
    ]))
    .unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    let hits: i64 = alerts
        .iter()
        .filter(|a| a["rule_id"] == "6f0e2b9a-4c1d-4e8f-a3b2-9d7c5e1f0a42")
        .map(|a| a["hits"].as_i64().unwrap())
        .sum();
    assert_eq!(hits, stored, "one hit per stored event: {v}");
    assert_eq!(alerts.len(), 1, "grouped into one alert: {v}");
    assert_eq!(alerts[0]["member_name"], "서울병원");
    assert_eq!(alerts[0]["attack_ids"], serde_json::json!(["T1133"]));
}
