//! Framing: both RFC 6587 framings and their detection, the delimiters
//! senders use, oversized and malformed frames, and that any chunking of
//! a stream yields the same frames with bounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

/// Frames of a stream fed in one chunk, then finished: each frame's text
/// with `+` appended when truncated.
fn frames(config: FramerConfig, chunks: &[&[u8]]) -> (Vec<String>, FramerStats) {
    let mut framer = Framer::new(config);
    let mut out = Vec::new();
    let mut collect = |f: Frame<'_>| {
        let mut s = String::from_utf8_lossy(f.data).into_owned();
        if f.truncated {
            s.push('+');
        }
        out.push(s);
    };
    for chunk in chunks {
        framer.decode(chunk, &mut collect);
        assert!(framer.buffered() <= config.max_frame);
    }
    framer.finish(&mut collect);
    (out, framer.stats())
}

/// Decodes `input` with `config` in one chunk and byte by byte, checks
/// both give `expect`, and returns the stats.
fn check_with(config: FramerConfig, input: &[u8], expect: &[&str]) -> FramerStats {
    let (whole, stats) = frames(config, &[input]);
    assert_eq!(whole, expect, "{:?}", String::from_utf8_lossy(input));
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let (single, single_stats) = frames(config, &bytes);
    assert_eq!(
        single,
        expect,
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    assert_eq!(single_stats, stats);
    stats
}

fn check(input: &[u8], expect: &[&str]) -> FramerStats {
    check_with(FramerConfig::default(), input, expect)
}

fn small(max_frame: usize, oversize: Oversize) -> FramerConfig {
    FramerConfig {
        max_frame,
        oversize,
        ..FramerConfig::default()
    }
}

#[test]
fn newline_framing_and_its_delimiters() {
    check(b"<13>a\n<13>b\n", &["<13>a", "<13>b"]);
    check(b"<13>a\r\n<13>b\r\n", &["<13>a", "<13>b"]);
    check(b"<13>a\0<13>b\0", &["<13>a", "<13>b"]);
    // The last line without its delimiter is handed out at the end.
    check(b"<13>a\n<13>b", &["<13>a", "<13>b"]);
    // Empty lines are not frames.
    check(b"\n\n<13>a\n\r\n\n", &["<13>a"]);
    check(b"", &[]);
    // Korean text and invalid UTF-8 pass through as bytes.
    check("<13>환자 조회\n".as_bytes(), &["<13>환자 조회"]);
    let stats = check(b"<13>\xff\xfe\n", &["<13>\u{fffd}\u{fffd}"]);
    assert_eq!(stats.frames, 1);
}

#[test]
fn octet_counting_from_rfc_6587() {
    let stats = check(
        b"64 <34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 -16 <13>1 - - - - -",
        &["<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 -"],
    );
    assert_eq!(stats.malformed, 1, "the last frame is one byte short");
    // Frames may contain LF and NUL.
    check(b"7 <13>a\nb6 <13>\0c", &["<13>a\nb", "<13>\0c"]);
    // A stray LF between frames is tolerated.
    check(b"5 <13>a\n5 <13>b\n", &["<13>a", "<13>b"]);
}

#[test]
fn auto_detection_falls_back_for_lines_starting_with_digits() {
    let stats = check(
        b"2024-01-01T00:00:00Z host a\n2024-01-01T00:00:01Z host b\n",
        &["2024-01-01T00:00:00Z host a", "2024-01-01T00:00:01Z host b"],
    );
    assert_eq!(stats.malformed, 0);
    let mut framer = Framer::new(FramerConfig::default());
    framer.decode(b"3 abc", |_| {});
    assert_eq!(framer.framing(), Framing::OctetCounting);
}

#[test]
fn malformed_octet_headers_are_counted_and_read_as_lines() {
    let stats = check(b"5 <13>a<13>x\n5 <13>b", &["<13>a", "<13>x", "<13>b"]);
    assert_eq!(stats.malformed, 1);
    let stats = check(b"5 <13>a12x\n0 5 <13>b", &["<13>a", "12x", "0 5 <13>b"]);
    assert_eq!(stats.malformed, 2);
    // An explicit octet-counting connection counts even its first frame.
    let config = FramerConfig {
        framing: Framing::OctetCounting,
        ..FramerConfig::default()
    };
    let stats = check_with(config, b"<13>a\n3 abc", &["<13>a", "abc"]);
    assert_eq!(stats.malformed, 1);
    // And a non-transparent one never counts octets.
    let config = FramerConfig {
        framing: Framing::NonTransparent,
        ..FramerConfig::default()
    };
    check_with(config, b"3 abc\n", &["3 abc"]);
}

#[test]
fn oversized_frames_are_cut_or_skipped() {
    let cut = small(4, Oversize::Truncate);
    let stats = check_with(cut, b"abcdefgh\nxy\nabcd\n", &["abcd+", "xy", "abcd"]);
    assert_eq!(stats.truncated, 1);
    let stats = check_with(cut, b"8 abcdefgh2 xy", &["abcd+", "xy"]);
    assert_eq!(stats.truncated, 1);
    let skip = small(4, Oversize::Skip);
    let stats = check_with(skip, b"abcdefgh\nxy\n", &["xy"]);
    assert_eq!(stats.skipped, 1);
    let stats = check_with(skip, b"8 abcdefgh2 xy", &["xy"]);
    assert_eq!(stats.skipped, 1);
    // A huge announced length is discarded as it arrives, never buffered.
    let mut framer = Framer::new(small(16, Oversize::Skip));
    let mut n = 0;
    framer.decode(b"9999999999 ", |_| n += 1);
    for _ in 0..1000 {
        framer.decode(&[b'x'; 1024], |_| n += 1);
        assert_eq!(framer.buffered(), 0);
    }
    assert_eq!(n, 0);
}

fn octet_encode(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        out.extend_from_slice(format!("{} ", m.len()).as_bytes());
        out.extend_from_slice(m);
    }
    out
}

/// Splits `data` at the given cut points.
fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(&data[last..p]);
        last = p;
    }
    out.push(&data[last..]);
    out
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_frames(
        data in proptest::collection::vec(prop_oneof![
            Just(b'\n'), Just(b'\r'), Just(0u8), Just(b' '), Just(b'5'), Just(b'1'), Just(b'<'), any::<u8>()
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        max_frame in 1usize..64,
        skip in any::<bool>(),
        mode in 0u8..3,
    ) {
        let config = FramerConfig {
            framing: [Framing::Auto, Framing::OctetCounting, Framing::NonTransparent][mode as usize],
            max_frame,
            oversize: if skip { Oversize::Skip } else { Oversize::Truncate },
        };
        let whole = frames(config, &[&data]);
        let chunked = frames(config, &split(&data, &cuts));
        prop_assert_eq!(&whole, &chunked);
        for f in &whole.0 {
            prop_assert!(f.trim_end_matches('+').len() <= max_frame * 3);
        }
    }

    #[test]
    fn octet_counted_messages_round_trip(
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..100), 0..10),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let stream = octet_encode(&messages);
        let mut framer = Framer::new(FramerConfig { framing: Framing::OctetCounting, ..FramerConfig::default() });
        let mut got = Vec::new();
        for chunk in split(&stream, &cuts) {
            framer.decode(chunk, |f| got.push(f.data.to_vec()));
        }
        framer.finish(|f| got.push(f.data.to_vec()));
        prop_assert_eq!(got, messages);
        prop_assert_eq!(framer.stats().malformed, 0);
    }

    #[test]
    fn delimited_messages_round_trip(
        messages in proptest::collection::vec("[^\n\r\u{0}]{1,80}", 0..10),
        crlf in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut stream = Vec::new();
        for m in &messages {
            stream.extend_from_slice(m.as_bytes());
            stream.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        let config = FramerConfig { framing: Framing::NonTransparent, ..FramerConfig::default() };
        let chunks = split(&stream, &cuts);
        let (got, stats) = frames(config, &chunks);
        prop_assert_eq!(got, messages);
        prop_assert_eq!(stats.malformed, 0);
    }
}
