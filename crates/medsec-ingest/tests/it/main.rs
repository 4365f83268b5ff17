//! The receivers over real sockets on loopback, into a real event store
//! and the real SQLite store: attribution, acknowledgement, masking,
//! counts, error samples, bad input and TLS client certificates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Timestamp};
use medsec_events::{EventStore, MemberScope as EventScope, Query, SearchRequest, TimeRange};
use medsec_ingest::Ingest;
use medsec_ingest::sink::LocalSink;
use medsec_store::watch::{MemberScope, NewLogSource, Transport};
use medsec_store::{AuditEntry, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

mod bus;
mod fuzz;
mod peers;

fn entry(action: Action) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: "test".into(),
        source: "test".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "",
        target_id: None,
        details: serde_json::json!({}),
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Env {
    _dir: tempfile::TempDir,
    _db: medsec_store::testing::TestDb,
    store: Store,
    events: Arc<EventStore>,
    ingest: Arc<Ingest>,
    seoul: String,
    busan: String,
}

impl Env {
    async fn new() -> Env {
        Env::with_sink(|events| Arc::new(LocalSink(events))).await
    }

    /// An environment whose receivers append to the sink `sink` makes
    /// (given the event store).
    async fn with_sink(
        sink: impl FnOnce(Arc<EventStore>) -> Arc<dyn medsec_ingest::EventSink>,
    ) -> Env {
        let db = medsec_store::testing::sqlite().await;
        let store = db.store.clone();
        let mut members = Vec::new();
        for name in ["서울병원", "부산병원"] {
            let (org, _) = store
                .create_org(
                    name,
                    OrgKind::Hospital,
                    Timestamp::now(),
                    entry(Action::OrgCreated),
                    None,
                )
                .await
                .unwrap();
            members.push(org.id);
        }
        let dir = tempfile::tempdir().unwrap();
        let events =
            Arc::new(EventStore::open(dir.path().join("events"), Default::default()).unwrap());
        let ingest = Ingest::new(
            store.clone(),
            sink(events.clone()),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        );
        Env {
            _dir: dir,
            _db: db,
            store,
            events,
            ingest,
            busan: members.pop().unwrap(),
            seoul: members.pop().unwrap(),
        }
    }

    async fn source(
        &self,
        member: &str,
        name: &str,
        transport: Transport,
        port: Option<u16>,
        format: &str,
        credential: Option<String>,
    ) -> String {
        let row = self
            .store
            .create_log_source(
                &NewLogSource {
                    member_id: member.into(),
                    name: name.into(),
                    transport,
                    port,
                    format: format.into(),
                    credential,
                    silent_after: 600,
                },
                "test",
                Timestamp::now(),
                entry(Action::LogSourceCreated),
            )
            .await
            .unwrap();
        self.ingest.reload().await.unwrap();
        row.id
    }

    /// Every stored event matching `query` for `scope`, newest first.
    fn search(&self, query: &str, scope: EventScope) -> Vec<medsec_logs::Event> {
        let r = self
            .events
            .search(
                &SearchRequest::new(Query::parse(query).unwrap(), TimeRange::all(), scope)
                    .page_size(1000),
            )
            .unwrap();
        r.events
    }
}

/// Sends `payload` over TCP, closes the sending side and waits for the
/// receiver's close: the acknowledgement that everything is stored.
async fn send_tcp(port: u16, payload: &[u8]) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(payload).await.unwrap();
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest))
        .await
        .expect("acknowledged by close")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_events_are_stored_once_acknowledged_and_belong_to_the_listener() {
    let env = Env::new().await;
    let port = free_port();
    let fw = env
        .source(
            &env.seoul,
            "방화벽",
            Transport::Tcp,
            Some(port),
            "auto",
            None,
        )
        .await;
    assert_eq!(env.ingest.listening().await, [(Transport::Tcp, port)]);

    // Octet counting, then newline framing on another connection; the
    // messages claim to come from 부산병원's host: they are 서울병원's.
    let mut counted = Vec::new();
    for i in 0..500 {
        let msg = format!(
            "<134>1 2026-11-26T09:00:{:02}.{i:03}+09:00 busan-fw sshd 77 - - Failed password for root from 203.0.113.{} port 5{i:04} ssh2",
            i % 60,
            i % 250
        );
        counted.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
    }
    send_tcp(port, &counted).await;
    let mut lines = Vec::new();
    for i in 0..500 {
        lines.extend_from_slice(format!("<86>Nov 26 09:01:{:02} emr-web sshd[{i}]: Accepted password for nurse{i} from 10.1.2.{} port 40{i:03} ssh2\n", i % 60, i % 250).as_bytes());
    }
    send_tcp(port, &lines).await;

    let seoul = env.search("*", EventScope::member(env.seoul.clone()));
    assert_eq!(seoul.len(), 1000);
    assert!(
        seoul
            .iter()
            .all(|e| e.member == env.seoul && e.source == fw)
    );
    assert!(
        env.search("*", EventScope::member(env.busan.clone()))
            .is_empty()
    );
    // Decoded and normalised: the sshd decoder's fields.
    let failed = env.search(
        "event.outcome:failure AND user.name:root",
        EventScope::AllMembers,
    );
    assert_eq!(failed.len(), 500, "{:?}", failed.first());
    let accepted = env.search("source.ip:10.1.2.0/24", EventScope::AllMembers);
    assert_eq!(accepted.len(), 500);

    // A resend of the same bytes is not stored twice.
    send_tcp(port, &lines).await;
    assert_eq!(env.search("*", EventScope::AllMembers).len(), 1000);

    // Counts reach the store per Korean day.
    let mut flusher = env.ingest.counters.flusher();
    flusher.flush(&env.store, Timestamp::now()).await.unwrap();
    let today = medsec_ingest::counters::day(Timestamp::now().0);
    let days = env
        .store
        .ingest_days(MemberScope::Member(&env.seoul), &today, &today)
        .await
        .unwrap();
    assert_eq!(days.len(), 1);
    // The resent batch counts as received bytes and events: billing counts
    // what the member sent.
    assert_eq!(days[0].events, 1500);
    let src = env
        .store
        .log_source(MemberScope::All, &fw)
        .await
        .unwrap()
        .unwrap();
    assert!(src.last_event_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_is_masked_before_it_is_stored() {
    let env = Env::new().await;
    env.store
        .add_masking_rule(
            &medsec_store::watch::NewMaskingRule {
                member_id: Some(&env.seoul),
                name: "환자번호",
                kind: "pattern",
                pattern: Some(r"PT-\d{8}"),
            },
            "test",
            Timestamp::now(),
            entry(Action::MaskingRuleChanged),
        )
        .await
        .unwrap();
    let port = free_port();
    env.source(&env.seoul, "EMR", Transport::Tcp, Some(port), "auto", None)
        .await;
    let line = "<134>1 2026-11-26T09:00:00+09:00 emr app - - - 환자 PT-12345678 주민번호 900101-1234567 연락처 010-1234-5678 조회\n";
    send_tcp(port, line.as_bytes()).await;
    let stored = env.search("*", EventScope::AllMembers);
    assert_eq!(stored.len(), 1);
    let raw = &stored[0].raw;
    for secret in ["12345678", "1234567", "1234-5678"] {
        assert!(!raw.contains(secret), "{raw}");
    }
    assert!(raw.contains("조회"), "{raw}");
    for (_, v) in stored[0].fields.iter() {
        let t = v.to_text();
        assert!(
            !t.contains("900101-1234567") && !t.contains("PT-12345678"),
            "{t}"
        );
    }
    // Another member's pattern rule does not apply to 부산병원, but the
    // built-in ones do.
    let port = free_port();
    env.source(&env.busan, "EMR", Transport::Tcp, Some(port), "auto", None)
        .await;
    send_tcp(port, line.as_bytes()).await;
    let busan = env.search("*", EventScope::member(env.busan.clone()));
    assert!(busan[0].raw.contains("PT-12345678"));
    assert!(!busan[0].raw.contains("900101-1234567"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_counted_and_sampled_and_slow_senders_do_not_block_others() {
    let env = Env::new().await;
    let port = free_port();
    let src = env
        .source(&env.seoul, "fw", Transport::Tcp, Some(port), "cef", None)
        .await;
    let other_port = free_port();
    env.source(
        &env.busan,
        "fw",
        Transport::Tcp,
        Some(other_port),
        "auto",
        None,
    )
    .await;

    // A sender that opens a frame and never finishes it.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stalled
        .write_all(b"<134>1 2026-11-26T09:00:00+09:00 h a - - - never ends")
        .await
        .unwrap();

    // Meanwhile: binary garbage, invalid UTF-8, an oversized message, a
    // broken CEF header and a good CEF line, on another connection.
    let mut payload = Vec::new();
    payload.extend_from_slice(b"\x00\xff\xfe\x01garbage\x80\x81\n");
    payload.extend_from_slice(
        "<134>Nov 26 09:00:00 fw CEF:0|Vendor|Product|1.0|100|name|5|src=10.0.0.1 msg=caf\u{e9}"
            .as_bytes(),
    );
    payload.extend_from_slice(b"\xc3\x28\n");
    payload.extend_from_slice(
        format!("<134>Nov 26 09:00:00 fw big: {}\n", "A".repeat(200_000)).as_bytes(),
    );
    payload.extend_from_slice(b"<134>Nov 26 09:00:00 fw CEF:0|only|three\n");
    payload.extend_from_slice(b"<134>Nov 26 09:00:00 fw CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|src=10.0.0.9 dst=10.0.0.10 dpt=443 act=deny\n");
    send_tcp(port, &payload).await;
    // The other member is not slowed by either.
    let started = std::time::Instant::now();
    send_tcp(other_port, b"<134>Nov 26 09:00:00 host app: hello\n").await;
    assert!(started.elapsed() < Duration::from_secs(5));

    let stored = env.search("*", EventScope::member(env.seoul.clone()));
    // Every line is kept (undecodable payloads with error.message).
    assert_eq!(stored.len(), 5, "{stored:#?}");
    assert!(stored.iter().any(|e| e.get("log.truncated").is_some()));
    let good = env.search(
        "destination.port:443 AND event.action:deny",
        EventScope::AllMembers,
    );
    assert_eq!(good.len(), 1);
    let errors = env.search(
        "_exists_:error.message",
        EventScope::member(env.seoul.clone()),
    );
    assert!(!errors.is_empty());

    let mut flusher = env.ingest.counters.flusher();
    flusher.flush(&env.store, Timestamp::now()).await.unwrap();
    let samples = env
        .store
        .ingest_errors(MemberScope::All, &src, 50)
        .await
        .unwrap();
    assert!(!samples.is_empty());
    assert!(
        samples
            .iter()
            .all(|s| s.kind == "parse" && s.sample.chars().count() <= 513)
    );
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_datagrams_are_stored() {
    let env = Env::new().await;
    let port = free_port();
    env.source(&env.busan, "ids", Transport::Udp, Some(port), "auto", None)
        .await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..200 {
        let msg = format!("<134>1 2026-11-26T09:00:00.{i:03}+09:00 ids suricata - - - alert {i}\n");
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port))
            .await
            .unwrap();
    }
    let mut n = 0;
    for _ in 0..100 {
        n = env.search("*", EventScope::member(env.busan.clone())).len();
        if n == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(n, 200);
    let c = env.ingest.counters.all();
    let dropped: u64 = c
        .iter()
        .map(|(_, _, c)| c.dropped.load(std::sync::atomic::Ordering::Relaxed))
        .sum();
    assert_eq!(dropped, 0);
}

/// A line repeated within one stream is an event per repeat (a brute
/// force sends the same line many times in a second); the same stream
/// sent again is a resend and adds nothing; UDP, never resent, counts
/// repeats across datagrams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_lines_are_events_and_a_resent_stream_is_not() {
    let env = Env::new().await;
    let port = free_port();
    env.source(&env.seoul, "fw", Transport::Tcp, Some(port), "auto", None)
        .await;
    let line = "<86>Nov 26 09:01:02 emr-web sshd[7]: Failed password for root from 203.0.113.9 port 4242 ssh2\n";
    let other = "<86>Nov 26 09:01:02 emr-web sshd[7]: Failed password for admin from 203.0.113.9 port 4242 ssh2\n";
    let stream = [line, line, other, line].concat();
    send_tcp(port, stream.as_bytes()).await;
    let scope = || EventScope::member(env.seoul.clone());
    assert_eq!(env.search("user.name:root", scope()).len(), 3);
    assert_eq!(env.search("*", scope()).len(), 4);
    // The connection failed, the sender sends it all again: nothing new.
    send_tcp(port, stream.as_bytes()).await;
    assert_eq!(env.search("*", scope()).len(), 4);
    // A longer stream starting the same way: only the new repeats.
    send_tcp(port, [stream.as_str(), line, line].concat().as_bytes()).await;
    assert_eq!(env.search("user.name:root", scope()).len(), 5);

    let udp = free_port();
    env.source(&env.busan, "ids", Transport::Udp, Some(udp), "auto", None)
        .await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..3 {
        sock.send_to(line.as_bytes(), ("127.0.0.1", udp))
            .await
            .unwrap();
        // Separate bursts.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut n = 0;
    for _ in 0..100 {
        n = env.search("*", EventScope::member(env.busan.clone())).len();
        if n == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(n, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_ndjson_needs_its_token_and_accepts_gzip() {
    let env = Env::new().await;
    let token = "msi_test-token-for-waf";
    env.source(
        &env.seoul,
        "WAF",
        Transport::Http,
        None,
        "json",
        Some(medsec_ingest::http::token_hash(token)),
    )
    .await;
    let body = "{\"@timestamp\":\"2026-11-26T00:00:00Z\",\"source\":{\"ip\":\"198.51.100.7\"},\"url\":{\"path\":\"/login\"},\"event\":{\"action\":\"blocked\"}}\n\n{\"message\":\"second\"}\nnot json at all\n";
    let r = medsec_ingest::http::ingest(&env.ingest, token, body.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(r.accepted, 3);
    assert_eq!(r.parse_errors, 1);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"{\"message\":\"zipped\"}\n").unwrap();
    let r = medsec_ingest::http::ingest(&env.ingest, token, &gz.finish().unwrap(), true)
        .await
        .unwrap();
    assert_eq!(r.accepted, 1);
    assert!(matches!(
        medsec_ingest::http::ingest(&env.ingest, "msi_wrong", body.as_bytes(), false).await,
        Err(medsec_ingest::http::HttpError::Unauthorized)
    ));
    assert!(matches!(
        medsec_ingest::http::ingest(&env.ingest, token, b"not gzip", true).await,
        Err(medsec_ingest::http::HttpError::Gzip(_))
    ));
    let blocked = env.search(
        "url.path:\"/login\" AND source.ip:198.51.100.7",
        EventScope::member(env.seoul.clone()),
    );
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        env.search("*", EventScope::member(env.seoul.clone())).len(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connections_are_attributed_by_their_client_certificate() {
    let env = Env::new().await;
    let seoul_cert = rcgen::generate_simple_self_signed(vec!["seoul-ids".into()]).unwrap();
    let stranger = rcgen::generate_simple_self_signed(vec!["stranger".into()]).unwrap();
    let pin = medsec_ingest::tls::fingerprint(seoul_cert.cert.der());
    env.source(&env.seoul, "IDS", Transport::Tls, None, "auto", Some(pin))
        .await;

    let server = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let config = medsec_ingest::tls::server_config(
        vec![server.cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::Pkcs8(server.signing_key.serialize_der().into()),
        env.ingest.registry.clone(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = env.ingest.start_tls(listener, config);

    let send = |cert: rcgen::CertifiedKey<rcgen::KeyPair>, payload: &'static [u8]| {
        let server_der = server.cert.der().clone();
        async move {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(server_der).unwrap();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_client_auth_cert(
                    vec![cert.cert.der().clone()],
                    rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into()),
                )
                .unwrap();
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let tcp = TcpStream::connect(addr).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            let mut tls = connector.connect(name, tcp).await?;
            tls.write_all(payload).await?;
            tls.shutdown().await?;
            let mut rest = Vec::new();
            tls.read_to_end(&mut rest).await?;
            Ok::<_, std::io::Error>(())
        }
    };
    send(
        seoul_cert,
        b"<134>1 2026-11-26T09:00:00+09:00 ids suricata - - - alert one\n",
    )
    .await
    .unwrap();
    assert_eq!(
        env.search("alert", EventScope::member(env.seoul.clone()))
            .len(),
        1
    );
    // A certificate no source pins gets no session.
    let refused = send(
        stranger,
        b"<134>1 2026-11-26T09:00:00+09:00 x y - - - intruder\n",
    )
    .await;
    assert!(refused.is_err() || env.search("intruder", EventScope::AllMembers).is_empty());
    assert!(env.search("intruder", EventScope::AllMembers).is_empty());
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_source_stops_listening() {
    let env = Env::new().await;
    let port = free_port();
    let id = env
        .source(&env.seoul, "fw", Transport::Tcp, Some(port), "auto", None)
        .await;
    assert_eq!(env.ingest.listening().await.len(), 1);
    env.store
        .update_log_source(
            MemberScope::All,
            &id,
            &medsec_store::watch::LogSourceChange {
                enabled: Some(false),
                ..Default::default()
            },
            Timestamp::now(),
            entry(Action::LogSourceUpdated),
        )
        .await
        .unwrap();
    env.ingest.reload().await.unwrap();
    assert!(env.ingest.listening().await.is_empty());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_source_is_reported_to_its_member_and_the_isac() {
    let env = Env::new().await;
    let (isac, _) = env
        .store
        .create_org(
            "의료ISAC",
            OrgKind::Isac,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap();
    let port = free_port();
    env.source(&env.seoul, "fw", Transport::Udp, Some(port), "auto", None)
        .await;
    let later = Timestamp(Timestamp::now().0 + 601_000);
    let silent = env.ingest.check_silence(later).await.unwrap();
    assert_eq!(silent.len(), 1);
    assert!(env.ingest.check_silence(later).await.unwrap().is_empty());
    for org in [&env.seoul, &isac.id] {
        let n = env.store.notifications(org, "nobody", 10).await.unwrap();
        assert!(
            n.iter().any(|n| n.kind == "watch.source_silent"),
            "{org}: {n:?}"
        );
    }
    assert!(
        env.store
            .notifications(&env.busan, "nobody", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Editing a decoder never interrupts the sources that use it: a source
/// goes on decoding with the version in service while a new definition is
/// saved (even one whose samples fail), and switches to the new version at
/// the first reload after it is activated. Taking the decoder out of
/// service is refused while the source uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_keeps_its_decoder_while_a_draft_is_saved() {
    let env = Env::new().await;
    let version = |field: &str| {
        format!(
            "name = \"hospital-fw\"\npattern = '^FW %{{WORD:event.action}} %{{IP:{field}}}'\n\
             [[sample]]\nline = 'FW DENY 198.51.100.1'\n[sample.expect]\n\"{field}\" = \"198.51.100.1\"\n"
        )
    };
    let (v1, v2) = (version("source.ip"), version("destination.ip"));
    env.store
        .save_decoder(
            "hospital-fw",
            &v1,
            "test",
            Timestamp::now(),
            entry(Action::DecoderSaved),
        )
        .await
        .unwrap();
    env.store
        .activate_decoder(
            "hospital-fw",
            &v1,
            Timestamp::now(),
            entry(Action::DecoderActivated),
        )
        .await
        .unwrap();
    let port = free_port();
    env.source(
        &env.seoul,
        "방화벽",
        Transport::Tcp,
        Some(port),
        "hospital-fw",
        None,
    )
    .await;
    let count = |query: &str| env.search(query, EventScope::AllMembers).len();
    send_tcp(port, b"FW DENY 203.0.113.1\n").await;
    assert_eq!(
        count("source.ip:203.0.113.1 AND event.module:hospital-fw"),
        1
    );

    // A new definition is saved, then one whose samples would fail: the
    // receivers reload and the source goes on with the version in service.
    for draft in [v2.clone(), v2.replace("198.51.100.1\"\n", "192.0.2.1\"\n")] {
        env.store
            .save_decoder(
                "hospital-fw",
                &draft,
                "test",
                Timestamp::now(),
                entry(Action::DecoderSaved),
            )
            .await
            .unwrap();
        env.ingest.reload().await.unwrap();
        assert_eq!(env.ingest.listening().await, [(Transport::Tcp, port)]);
    }
    send_tcp(port, b"FW DENY 203.0.113.2\n").await;
    assert_eq!(count("source.ip:203.0.113.2"), 1);
    assert_eq!(count("destination.ip:203.0.113.2"), 0);

    // Nor does an attempt to take it out of service stop the source.
    assert!(matches!(
        env.store
            .deactivate_decoder("hospital-fw", entry(Action::DecoderDeactivated))
            .await,
        Err(medsec_store::StoreError::InUse { .. })
    ));
    env.ingest.reload().await.unwrap();
    assert_eq!(env.ingest.listening().await, [(Transport::Tcp, port)]);

    // The passing draft saved again and activated: the next reload
    // switches the source to it, on the same listener.
    env.store
        .save_decoder(
            "hospital-fw",
            &v2,
            "test",
            Timestamp::now(),
            entry(Action::DecoderSaved),
        )
        .await
        .unwrap();
    let done = env
        .store
        .activate_decoder(
            "hospital-fw",
            &v2,
            Timestamp::now(),
            entry(Action::DecoderActivated),
        )
        .await
        .unwrap();
    assert!(done.replaced);
    env.ingest.reload().await.unwrap();
    assert_eq!(env.ingest.listening().await, [(Transport::Tcp, port)]);
    send_tcp(port, b"FW DENY 203.0.113.3\n").await;
    assert_eq!(count("destination.ip:203.0.113.3"), 1);
    assert_eq!(count("source.ip:203.0.113.3"), 0);
    // Every line was decoded: none was lost or kept undecoded.
    assert_eq!(count("*"), 3);
    assert_eq!(count("event.module:hospital-fw"), 3);
}
