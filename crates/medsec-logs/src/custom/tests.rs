//! Analyst-defined decoders: the shipped examples pass their samples,
//! compile errors name the decoder, the pattern and the position, and
//! the test report says which field differed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn now() -> i64 {
    clock::parse_rfc3339("2024-03-10T00:00:00Z").unwrap()
}

fn compile(text: &str) -> Result<CustomDecoder, DecoderError> {
    let mut defs = parse_definitions(text, "test.toml")?;
    assert_eq!(defs.len(), 1);
    CustomDecoder::compile(defs.remove(0))
}

/// Compiles `text` and checks the error message.
fn check_error(text: &str, expect: &str) {
    let e = compile(text).unwrap_err();
    assert_eq!(e.to_string(), expect);
}

#[test]
fn the_examples_pass_their_samples() {
    for (file, text) in EXAMPLES {
        let defs = parse_definitions(text, file).unwrap_or_else(|e| panic!("{e}"));
        for def in defs {
            let decoder = CustomDecoder::compile(def).unwrap_or_else(|e| panic!("{file}: {e}"));
            let report = decoder.test(now());
            assert!(report.passed(), "{file}:\n{report}");
        }
    }
}

const MINIMAL: &str = r#"
name = "hosp-fw"
pattern = '^%{WORD:event.action} %{IP:source.ip}'
[prematch]
program = "hfw"
[fields]
"observer.vendor" = "Hospital"
"event.severity" = 3
[[sample]]
line = "<13>Mar  9 10:00:00 fw hfw: deny 10.0.0.1"
expect = { "event.action" = "deny", "source.ip" = "10.0.0.1", "observer.vendor" = "Hospital", "event.severity" = 3 }
"#;

#[test]
fn a_decoder_decodes_and_prematches() {
    let d = compile(MINIMAL).unwrap();
    assert_eq!(d.name(), "hosp-fw");
    assert!(d.test(now()).passed());
    assert!(d.prematches(Some("hfw"), "deny 10.0.0.1"));
    assert!(!d.prematches(Some("sshd"), "deny 10.0.0.1"));
    assert!(!d.prematches(None, "deny 10.0.0.1"));
    let mut draft = Draft::new();
    let e = d
        .decode("???", &mut draft, TimeContext::new(now()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "decoder \"hosp-fw\": the pattern does not match at byte 0"
    );
    // A decoder without prematch is used only by name.
    let d = compile(&MINIMAL.replace("[prematch]\nprogram = \"hfw\"\n", "")).unwrap();
    assert!(!d.prematches(Some("hfw"), "deny 10.0.0.1"));
}

#[test]
fn reports_say_which_field_differed() {
    let text = MINIMAL
        .replace(
            "\"event.action\" = \"deny\"",
            "\"event.action\" = \"allow\"",
        )
        .replace("}\n", ", \"user.name\" = \"kim\" }\n")
        + "[[sample]]\nline = \"<13>Mar  9 10:00:00 fw hfw: ???\"\n";
    let report = compile(&text).unwrap().test(now());
    assert!(!report.passed());
    assert_eq!(
        report.to_string(),
        "sample 1: FAILED
  event.action: expected \"allow\", got \"deny\"
  user.name: expected \"kim\", not set
sample 2: FAILED
  error: decoder \"hosp-fw\": the pattern does not match at byte 28 near \"???\"
"
    );
    // No samples: never activated.
    let text = MINIMAL.split("[[sample]]").next().unwrap();
    assert!(!compile(text).unwrap().test(now()).passed());
}

#[test]
fn compile_errors_name_the_decoder_pattern_and_position() {
    check_error(
        "name = \"x\"\npattern = '%{IP:source.ip} (unclosed'",
        "decoder \"x\": pattern 1 at character 17: unclosed group (in `%{IP:source.ip} (unclosed`)",
    );
    check_error(
        "name = \"x\"\npattern = ['%{IP:a}', 'ok %{NOPE:b}']",
        "decoder \"x\": pattern 2 at character 4: unknown pattern \"NOPE\" (in `ok %{NOPE:b}`)",
    );
    check_error(
        "name = \"x\"\npattern = '%{WORD:a} [z-a]'",
        "decoder \"x\": pattern 1 at character 12: invalid character class range, the start must be <= the end (in `%{WORD:a} [z-a]`)",
    );
    check_error(
        "name = \"x\"\npattern = 'no captures'",
        "decoder \"x\": pattern 1 at character 1: the pattern captures no field (in `no captures`)",
    );
    check_error(
        "name = \"x\"\npattern = '%{A:x}'\n[grok]\nA = '%{INT'",
        "decoder \"x\": grok.A at character 1: unterminated `%{` (in `%{INT`)",
    );
    check_error(
        "name = \"x\"\npattern = '%{INT:x}'\n[prematch]\nregex = 'a)'",
        "decoder \"x\": prematch.regex at character 2: unopened group (in `a)`)",
    );
    check_error(
        "name = \"cef\"\npattern = '%{INT:x}'",
        "decoder \"cef\": a name is 1–64 letters, digits, `-`, `_` or `.`, and not a built-in format's",
    );
    check_error(
        "name = \"x\"\npattern = '%{INT:x}'\n[fields]\n\"a b\" = 1",
        "decoder \"x\": invalid static field name \"a b\"",
    );
    let e = compile("name = \"x\"\npatern = '%{INT:x}'")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("decoder definition test.toml: line 2, column 1: unknown field `patern`"),
        "{e}"
    );
}

#[test]
fn several_definitions_in_one_file() {
    let text = r#"
[[decoder]]
name = "a"
pattern = '%{INT:x}'
[[decoder]]
name = "b"
pattern = '%{WORD:y}'
"#;
    let defs = parse_definitions(text, "many.toml").unwrap();
    assert_eq!(
        defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let mut decoders = Decoders::new();
    for def in defs {
        decoders.add(CustomDecoder::compile(def).unwrap());
    }
    assert!(decoders.get("b").is_some());
    assert!(decoders.remove("a").is_some());
    assert_eq!(decoders.iter().count(), 1);
}

proptest! {
    #[test]
    fn decoding_never_panics(message in "\\PC{0,200}") {
        static EXAMPLE_DECODERS: std::sync::LazyLock<Vec<CustomDecoder>> = std::sync::LazyLock::new(|| {
            EXAMPLES
                .iter()
                .flat_map(|(file, text)| parse_definitions(text, file).unwrap())
                .map(|def| CustomDecoder::compile(def).unwrap())
                .collect()
        });
        for decoder in EXAMPLE_DECODERS.iter() {
            let mut draft = Draft::new();
            let _ = decoder.prematches(Some("mf2"), &message);
            if let Err(e) = decoder.decode(&message, &mut draft, TimeContext::new(0)) {
                prop_assert_eq!(e.offset, 0);
            }
        }
    }

    #[test]
    fn compiling_never_panics(pattern in "\\PC{0,60}", name in "[a-z]{1,8}") {
        let def = DecoderDef {
            name,
            description: String::new(),
            prematch: Prematch { regex: Some(pattern.clone()), ..Prematch::default() },
            pattern: Patterns::One(pattern),
            grok: BTreeMap::new(),
            fields: BTreeMap::new(),
            samples: Vec::new(),
        };
        if let Err(DecoderError::Pattern { position, pattern, .. }) = CustomDecoder::compile(def) {
            prop_assert!(position <= pattern.chars().count() + 1);
        }
    }
}
