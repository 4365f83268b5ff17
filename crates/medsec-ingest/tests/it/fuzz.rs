//! The receivers' connection handling under generated misbehaviour:
//! streams of well-formed lines, octet counts that lie, binary garbage,
//! invalid UTF-8, oversized runs and NULs, written in random pieces with
//! pauses, finished properly or abandoned midway; UDP datagrams of any
//! bytes. Whatever arrives, the receiver never panics, acknowledges
//! every finished connection by closing it, stores events only for the
//! listener's member and no longer than the frame limit, and another
//! member's source keeps working at once.

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};

use super::*;

/// One piece of a generated stream.
#[derive(Clone, Debug)]
enum Piece {
    Line(u16),
    /// An octet-counted frame whose count may be wrong by `skew`.
    Counted(u16, i8),
    Garbage(Vec<u8>),
    /// A long run without a newline.
    Long(u32),
    InvalidUtf8,
    Nul,
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => any::<u16>().prop_map(Piece::Line),
        2 => (any::<u16>(), -3i8..3).prop_map(|(i, s)| Piece::Counted(i, s)),
        2 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Piece::Garbage),
        1 => (1u32..150_000).prop_map(Piece::Long),
        1 => Just(Piece::InvalidUtf8),
        1 => Just(Piece::Nul),
    ]
}

fn bytes_of(pieces: &[Piece]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Line(i) => out.extend_from_slice(
                format!(
                    "<134>Nov 26 09:00:00 fw app[{i}]: line {i} from 10.0.0.{}\n",
                    i % 250
                )
                .as_bytes(),
            ),
            Piece::Counted(i, skew) => {
                let msg = format!("<134>1 2026-11-26T09:00:00+09:00 fw app - - - counted {i}");
                let n = (msg.len() as i64 + i64::from(*skew)).max(0);
                out.extend_from_slice(format!("{n} {msg}").as_bytes());
            }
            Piece::Garbage(b) => out.extend_from_slice(b),
            Piece::Long(n) => out.extend(std::iter::repeat_n(b'A', *n as usize)),
            Piece::InvalidUtf8 => out.extend_from_slice(b"<13>bad \xc3\x28 \xff\xfe\n"),
            Piece::Nul => out.extend_from_slice(b"\0\0<13>after nul\0\n"),
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Case {
    pieces: Vec<Piece>,
    /// Where the stream is cut into writes (fractions of its length).
    cuts: Vec<u16>,
    /// Whether the sender abandons the connection midway (no
    /// half-close, no waiting).
    abandon: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(piece(), 0..24),
        proptest::collection::vec(any::<u16>(), 0..12),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(pieces, cuts, abandon)| Case {
            pieces,
            cuts,
            abandon,
        })
}

/// Runs `cases` generated cases against one environment.
fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(&strategy, test);
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn generated_tcp_streams_never_break_the_receiver() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, port, canary_port, fw) = rt.block_on(async {
        let env = Env::new().await;
        let port = free_port();
        let fw = env
            .source(&env.seoul, "fw", Transport::Tcp, Some(port), "auto", None)
            .await;
        let canary_port = free_port();
        env.source(
            &env.busan,
            "canary",
            Transport::Tcp,
            Some(canary_port),
            "auto",
            None,
        )
        .await;
        (env, port, canary_port, fw)
    });
    let canaries = std::sync::atomic::AtomicU32::new(0);
    run(40, case(), |case| {
        rt.block_on(async {
            let bytes = bytes_of(&case.pieces);
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let mut cuts: Vec<usize> = case
                .cuts
                .iter()
                .map(|c| usize::from(*c) * bytes.len() / usize::from(u16::MAX).max(1))
                .collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut at = 0;
            for (k, cut) in cuts.into_iter().enumerate() {
                if cut > at {
                    s.write_all(&bytes[at..cut]).await.unwrap();
                    at = cut;
                }
                if k % 3 == 1 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                if case.abandon && k == 1 {
                    break;
                }
            }
            if case.abandon {
                drop(s);
            } else {
                s.shutdown().await.unwrap();
                let mut rest = Vec::new();
                let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest))
                    .await
                    .map_err(|_| TestCaseError::fail("no answer within 20 s"))?;
                // A finished connection is acknowledged by a close.
                prop_assert!(read.is_ok(), "{read:?}");
            }
            // The connection's task ended normally (a panicking task would
            // leave its connection counted).
            let counters = env.ingest.counters.source(&fw, &env.seoul);
            let mut open = -1;
            for _ in 0..200 {
                open = counters
                    .connections
                    .load(std::sync::atomic::Ordering::Relaxed);
                if open == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            prop_assert_eq!(open, 0, "a connection task did not finish");
            // Another member's source answers at once.
            let n = canaries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let started = std::time::Instant::now();
            send_tcp(
                canary_port,
                format!("<134>Nov 26 09:00:00 canary app: canary {n}\n").as_bytes(),
            )
            .await;
            prop_assert!(started.elapsed() < Duration::from_secs(5));
            Ok(())
        })
    });
    // Everything stored is the listener's member's, within the frame
    // limit (counted in characters: `raw` holds U+FFFD, three bytes, for
    // each byte that is not UTF-8); every canary is there.
    let seoul = env
        .events
        .search(
            &SearchRequest::new(
                Query::parse("*").unwrap(),
                TimeRange::all(),
                EventScope::member(env.seoul.clone()),
            )
            .page_size(10_000),
        )
        .unwrap();
    assert!(seoul.events.iter().all(|e| e.member == env.seoul
        && e.source == fw
        && e.raw.chars().count() <= 64 * 1024 + 64));
    let canary_count = env
        .events
        .search(&SearchRequest::new(
            Query::parse("canary").unwrap(),
            TimeRange::all(),
            EventScope::member(env.busan.clone()),
        ))
        .unwrap()
        .total;
    assert_eq!(
        canary_count,
        u64::from(canaries.load(std::sync::atomic::Ordering::Relaxed))
    );
}

#[test]
fn generated_udp_datagrams_never_break_the_receiver() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, port) = rt.block_on(async {
        let env = Env::new().await;
        let port = free_port();
        env.source(&env.seoul, "ids", Transport::Udp, Some(port), "auto", None)
            .await;
        (env, port)
    });
    let datagrams = proptest::collection::vec(
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2048),
            piece().prop_map(|p| bytes_of(&[p]).into_iter().take(60_000).collect()),
        ],
        1..20,
    );
    run(30, datagrams, |datagrams| {
        rt.block_on(async {
            let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for d in &datagrams {
                // The kernel may refuse a datagram; that is the sender's
                // problem, not the receiver's.
                let _ = sock.send_to(d, ("127.0.0.1", port)).await;
            }
            Ok(())
        })
    });
    // Still receiving: a well-formed datagram arrives. UDP promises no
    // delivery (a full socket buffer, or a full store while the receiver
    // works through the generated datagrams, drops and counts), so the
    // probe is sent again every quarter second; a dead receiver stores
    // none of them.
    rt.block_on(async {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for i in 0..200 {
            if i % 10 == 0 {
                sock.send_to(
                    b"<134>Nov 26 09:00:00 ids app: still here",
                    ("127.0.0.1", port),
                )
                .await
                .unwrap();
            }
            if !env
                .search("still", EventScope::member(env.seoul.clone()))
                .is_empty()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the UDP receiver stopped storing after generated datagrams");
    });
}
