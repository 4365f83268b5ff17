//! Hostile input: every prefix of a valid document in each format is an
//! error, mutated documents and arbitrary bytes never panic, and the
//! size bound holds.

use medsec_vex::{CsafOptions, VexError};
use proptest::prelude::*;

use super::*;

/// One valid document per format and version.
fn valid_documents() -> Vec<(String, Vec<u8>)> {
    let device = device_vex();
    let csaf = medsec_vex::write_csaf(&device, &CsafOptions::new("https://psirt.example.com"))
        .unwrap()
        .remove(0)
        .json;
    let mut out = vec![
        (
            "OpenVEX 0.2.0".to_owned(),
            medsec_vex::write_openvex(&device).unwrap().into_bytes(),
        ),
        ("CSAF".to_owned(), csaf.into_bytes()),
    ];
    for f in [
        "openvex/go-vex/v0.0.1.json",
        "openvex/go-vex/v0.2.0.json",
        "cyclonedx/infusion-pump-vex.cdx.json",
        "cyclonedx/infusion-pump-vex.cdx.xml",
    ] {
        out.push((f.to_owned(), std::fs::read(fixture(f)).unwrap()));
    }
    out
}

#[test]
fn every_prefix_is_an_error() {
    for (name, bytes) in valid_documents() {
        assert!(medsec_vex::read(&bytes).is_ok(), "{name}");
        // A prefix that only drops trailing white space is still the
        // whole document.
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .unwrap();
        for len in 0..=end {
            let prefix = &bytes[..len];
            if let Ok(d) = medsec_vex::read(prefix) {
                panic!("{name}: the prefix of {len} bytes read as {d:?}");
            }
        }
    }
}

/// A small deterministic generator, so that failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next()).unwrap_or(0) % n.max(1)
    }
}

#[test]
fn mutated_documents_never_panic() {
    // Bytes that change meaning in JSON and XML, and multi-byte UTF-8.
    const INTERESTING: &[&[u8]] = &[
        b"\"",
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b"null",
        b"0",
        b"-1",
        b"1e999",
        b"<",
        b">",
        b"/",
        b"&",
        b"\\",
        b"\\u0000",
        "한국어".as_bytes(),
        b"\xff",
        b"\xe2\x82",
        b"not_affected",
        b"urn:cdx:",
        b"pkg:",
        b"CVE-2024-1",
    ];
    let mut rng = Lcg(0x5eed);
    let mut read_ok = 0;
    for (name, bytes) in valid_documents() {
        for round in 0..400 {
            let mut m = bytes.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => {
                        m.remove(at);
                    }
                    1 => {
                        let piece = INTERESTING[rng.below(INTERESTING.len())];
                        m.splice(at..at, piece.iter().copied());
                    }
                    2 => {
                        let piece = INTERESTING[rng.below(INTERESTING.len())];
                        let end = (at + piece.len()).min(m.len());
                        m.splice(at..end, piece.iter().copied());
                    }
                    _ => {
                        // Duplicate a slice: repeated members, nesting.
                        let end = (at + rng.below(64)).min(m.len());
                        let slice = m[at..end].to_vec();
                        m.splice(at..at, slice);
                    }
                }
            }
            let result = std::panic::catch_unwind(|| medsec_vex::read(&m));
            match result {
                Ok(Ok(_)) => read_ok += 1,
                Ok(Err(e)) => assert!(!e.to_string().is_empty()),
                Err(_) => panic!(
                    "{name}, round {round}: read panicked on {:?}",
                    String::from_utf8_lossy(&m)
                ),
            }
        }
    }
    // Some mutations (inside a text) leave a valid document.
    assert!(read_ok > 0);
}

#[test]
fn deep_nesting_and_size_are_bounded() {
    // Typed members nest at most 128 levels (serde_json's limit).
    let deep = format!(
        "{{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": {}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(medsec_vex::read(deep.as_bytes()).is_err());
    // Unknown members are skipped without recursion: no overflow, and a
    // diagnostic.
    let skipped = deep.replace("\"statements\"", "\"x\"");
    let d = medsec_vex::read(skipped.as_bytes()).unwrap();
    assert!(
        d.diagnostics.iter().any(|x| x.path == "x"),
        "{:?}",
        d.diagnostics
    );
    assert!(
        d.diagnostics.iter().any(|x| x.path == "statements"),
        "{:?}",
        d.diagnostics
    );
    let deep_xml = format!(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">{}",
        "<a>".repeat(100_000)
    );
    assert!(medsec_vex::read(deep_xml.as_bytes()).is_err());
    let big = vec![b' '; medsec_vex::MAX_BYTES + 1];
    assert_eq!(
        medsec_vex::read(&big),
        Err(VexError::TooLarge {
            size: medsec_vex::MAX_BYTES + 1,
            limit: medsec_vex::MAX_BYTES
        })
    );
    for junk in [
        &b""[..],
        b"   ",
        b"[]",
        b"42",
        b"\"x\"",
        b"{}",
        b"\xef\xbb\xbf{}",
    ] {
        assert!(medsec_vex::read(junk).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = medsec_vex::read(&bytes);
    }

    #[test]
    fn arbitrary_json_objects_never_panic(
        keys in prop::collection::vec(prop::sample::select(vec![
            "@context", "bomFormat", "document", "statements", "vulnerabilities",
            "metadata", "csaf_version", "status", "products",
        ]), 0..6),
        context in prop::sample::select(vec![
            "https://openvex.dev/ns", "https://openvex.dev/ns/v0.2.0", "CycloneDX", "2.0",
        ]),
    ) {
        let mut value = serde_json::json!({});
        for k in keys {
            value[k] = serde_json::json!(context);
        }
        let _ = medsec_vex::read(&serde_json::to_vec(&value).unwrap());
    }
}
