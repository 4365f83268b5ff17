//! Multi-node mode against a real `nats-server` with JetStream: receivers
//! publishing to the bus, an indexer consuming it into the event store,
//! redelivery stored once, the bounded stream refusing and recovering,
//! and a message that is not an event batch.

use std::sync::atomic::Ordering;

use medsec_ingest::bus::{self, Bus, BusConfig, JetStreamSink};
use medsec_ingest::testing::NatsServer;
use medsec_ingest::{EventSink, SinkError};

use super::*;

async fn connect(nats: &NatsServer, stream: &str, max_bytes: i64) -> Arc<Bus> {
    let mut config = BusConfig::new(nats.url.clone());
    config.stream = stream.into();
    config.subject = format!("medsec.test.{}", stream.to_lowercase());
    config.max_bytes = max_bytes;
    config.append_patience = Duration::from_millis(300);
    Bus::connect(config).await.unwrap()
}

/// How many stored events match `query`.
fn count(env: &Env, query: &str) -> u64 {
    env.events
        .search(&SearchRequest::new(
            Query::parse(query).unwrap(),
            TimeRange::all(),
            EventScope::AllMembers,
        ))
        .unwrap()
        .total
}

/// Waits until the store holds `n` events (the indexer runs behind).
async fn wait_for(env: &Env, n: usize) {
    for _ in 0..400 {
        if count(env, "*") >= n as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(count(env, "*"), n as u64);
}

fn lines(range: std::ops::Range<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in range {
        out.extend_from_slice(
            format!(
                "<86>Nov 26 09:01:{:02} emr-web sshd[{i}]: Failed password for root from 203.0.113.{} port 4{i:04} ssh2\n",
                i % 60,
                i % 250
            )
            .as_bytes(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_travel_over_jetstream_to_the_indexer_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let bus = connect(&nats, "ONCE", 64 << 20).await;
    let env = Env::with_sink({
        let bus = bus.clone();
        move |_| Arc::new(JetStreamSink(bus))
    })
    .await;
    let port = free_port();
    env.source(
        &env.seoul,
        "방화벽",
        Transport::Tcp,
        Some(port),
        "auto",
        None,
    )
    .await;

    // Acknowledged by close once JetStream holds them: nothing is indexed
    // yet, the stream has them all.
    send_tcp(port, &lines(0..3000)).await;
    assert_eq!(count(&env, "*"), 0);
    bus.observe().await.unwrap();
    let m = &bus.metrics;
    assert_eq!(m.published_events.load(Ordering::Relaxed), 3000);
    assert!(m.stream_messages.load(Ordering::Relaxed) >= 1);
    assert_eq!(
        m.indexer_pending.load(Ordering::Relaxed),
        m.stream_messages.load(Ordering::Relaxed)
    );

    // The indexer stores them, attributed to the listener's member.
    let indexer = tokio::spawn(bus::run_indexer(bus.clone(), env.events.clone()));
    wait_for(&env, 3000).await;
    assert!(
        env.search("*", EventScope::AllMembers)
            .iter()
            .all(|e| e.member == env.seoul)
    );
    assert_eq!(
        count(&env, "event.outcome:failure AND user.name:root"),
        3000
    );

    // A sender that resends what it did not see acknowledged, through
    // another receiver (a second sink on the same bus): stored once.
    let other = JetStreamSink(connect(&nats, "ONCE", 64 << 20).await);
    let resend: Vec<medsec_logs::Event> = env.search("*", EventScope::AllMembers);
    other.append(resend[..500].to_vec()).await.unwrap();
    send_tcp(port, &lines(2500..3500)).await;
    wait_for(&env, 3500).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&env, "*"), 3500);

    // Everything acknowledged to JetStream: the stream is empty again.
    for _ in 0..100 {
        bus.observe().await.unwrap();
        if m.stream_messages.load(Ordering::Relaxed) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(m.stream_messages.load(Ordering::Relaxed), 0);
    assert_eq!(m.indexer_pending.load(Ordering::Relaxed), 0);
    assert_eq!(m.indexed_events.load(Ordering::Relaxed), 3500);
    // The 500 resent events and the 500 sent twice over TCP.
    assert_eq!(m.duplicate_events.load(Ordering::Relaxed), 1000);
    indexer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_slows_senders_and_recovers_when_indexed() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    // Room for a few batches only.
    let bus = connect(&nats, "FULL", 256 * 1024).await;
    let env = Env::with_sink({
        let bus = bus.clone();
        move |_| Arc::new(JetStreamSink(bus))
    })
    .await;
    let sink = JetStreamSink(bus.clone());
    let mut stored = 0usize;
    let mut refused = false;
    for round in 0..100u32 {
        let events: Vec<medsec_logs::Event> = (0..200)
            .map(|i| {
                let raw = format!("round {round} event {i} {}", "x".repeat(200));
                medsec_logs::Event {
                    id: medsec_logs::EventId::of(&env.seoul, "s", raw.as_bytes()),
                    member: env.seoul.clone(),
                    source: "s".into(),
                    timestamp: 1_764_115_200_000_000_000 + i64::from(round * 1000 + i),
                    received: 1_764_115_200_000_000_000,
                    raw,
                    fields: medsec_logs::Fields::new(),
                }
            })
            .collect();
        match sink.append(events).await {
            Ok(()) => stored += 200,
            Err(SinkError::Busy) => {
                refused = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused, "a 256 KiB stream never filled");
    assert!(bus.metrics.full_refusals.load(Ordering::Relaxed) > 0);
    // A TCP sender is not acknowledged: once the append's patience runs
    // out its connection is reset, not closed.
    let port = free_port();
    env.source(
        &env.seoul,
        "방화벽",
        Transport::Tcp,
        Some(port),
        "auto",
        None,
    )
    .await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&lines(0..100)).await.unwrap();
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest))
        .await
        .expect("the receiver gave up within its patience");
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    // UDP-like appends are refused at once while full.
    bus.observe().await.unwrap();
    assert!(bus.metrics.full.load(Ordering::Relaxed));
    assert!(matches!(sink.try_append(Vec::new()), Err(SinkError::Busy)));

    // The indexer drains the stream; appends go through again.
    let indexer = tokio::spawn(bus::run_indexer(bus.clone(), env.events.clone()));
    wait_for(&env, stored).await;
    let raw = "after the stream drained".to_owned();
    sink.append(vec![medsec_logs::Event {
        id: medsec_logs::EventId::of(&env.seoul, "s", raw.as_bytes()),
        member: env.seoul.clone(),
        source: "s".into(),
        timestamp: 1_764_115_300_000_000_000,
        received: 1_764_115_300_000_000_000,
        raw,
        fields: medsec_logs::Fields::new(),
    }])
    .await
    .unwrap();
    wait_for(&env, stored + 1).await;
    bus.observe().await.unwrap();
    assert!(!bus.metrics.full.load(Ordering::Relaxed));
    indexer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_is_not_a_batch_is_dropped_and_counted() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let bus = connect(&nats, "BAD", 64 << 20).await;
    let env = Env::new().await;
    let client = async_nats::connect(nats.url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.publish(bus.config().subject.clone(), "not events".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let sink = JetStreamSink(bus.clone());
    let raw = "<13>Nov 26 09:00:00 host app: after the bad one".to_owned();
    sink.append(vec![medsec_logs::Event {
        id: medsec_logs::EventId::of(&env.seoul, "s", raw.as_bytes()),
        member: env.seoul.clone(),
        source: "s".into(),
        timestamp: 1_764_115_200_000_000_000,
        received: 1_764_115_200_000_000_000,
        raw,
        fields: medsec_logs::Fields::new(),
    }])
    .await
    .unwrap();
    let indexer = tokio::spawn(bus::run_indexer(bus.clone(), env.events.clone()));
    wait_for(&env, 1).await;
    for _ in 0..100 {
        if bus.metrics.bad_messages.load(Ordering::Relaxed) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bus.metrics.bad_messages.load(Ordering::Relaxed), 1);
    indexer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_bus_is_an_error_naming_it() {
    let port = free_port();
    let err = Bus::connect(BusConfig::new(format!("nats://127.0.0.1:{port}")))
        .await
        .err()
        .expect("nothing listens there");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("connecting to NATS at nats://127.0.0.1:{port}")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bus_survives_a_nats_server_restart() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let bus = connect(&nats, "RESTART", 64 << 20).await;
    let env = Env::with_sink({
        let bus = bus.clone();
        move |_| Arc::new(JetStreamSink(bus))
    })
    .await;
    let port = free_port();
    env.source(
        &env.seoul,
        "방화벽",
        Transport::Tcp,
        Some(port),
        "auto",
        None,
    )
    .await;
    let indexer = tokio::spawn(bus::run_indexer(bus.clone(), env.events.clone()));
    send_tcp(port, &lines(0..1000)).await;
    // Acknowledged, perhaps not indexed yet: JetStream keeps it in its
    // files across the server's SIGKILL.
    let _nats = tokio::task::spawn_blocking(move || {
        let mut nats = nats;
        nats.restart();
        nats
    })
    .await
    .unwrap();
    // The client reconnects by itself; the next sender's appends wait for
    // it within their patience (a reset if it runs out: the sender tries
    // again), and the indexer resumes.
    let mut acknowledged = false;
    for _ in 0..20 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(&lines(1000..2000)).await.unwrap();
        s.shutdown().await.unwrap();
        let mut rest = Vec::new();
        match tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest)).await {
            Ok(Ok(_)) => {
                acknowledged = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert!(acknowledged, "never acknowledged after the restart");
    // A close means JetStream has them.
    assert!(bus.metrics.published_events.load(Ordering::Relaxed) >= 2000);
    wait_for(&env, 2000).await;
    indexer.abort();
}
