//! Parsing and writing CPE names: the formatted string with its escapes,
//! CPE 2.2 URIs converted to 2.3, errors that name the component, and no
//! panic on any input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

/// Parses `input` and checks the canonical formatted string it writes.
fn check(input: &str, expect: &str) {
    let cpe = Cpe::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(cpe.to_string(), expect, "{input}");
    // The canonical form reads back as the same name.
    assert_eq!(Cpe::parse(expect).unwrap(), cpe, "{expect}");
}

/// Parses `input` and checks the error message contains `expect`.
fn check_error(input: &str, expect: &str) {
    let e = Cpe::parse(input).expect_err(input).to_string();
    assert!(e.contains(expect), "{input}: `{e}` lacks `{expect}`");
}

fn literal(cpe: &str, attribute: Attribute) -> String {
    match Cpe::parse(cpe).unwrap().get(attribute) {
        Value::Str(t) => t.literal().to_owned(),
        other => panic!("{cpe}: {attribute} is {other:?}"),
    }
}

#[test]
fn formatted_strings_and_escapes() {
    // NVD data as published.
    check(
        "cpe:2.3:a:contec_health:cms8000\\@_firmware:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:contec_health:cms8000\\@_firmware:*:*:*:*:*:*:*:*",
    );
    check(
        "cpe:2.3:a:gehealthcare:entegra_p\\&r:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:gehealthcare:entegra_p\\&r:*:*:*:*:*:*:*:*",
    );
    check(
        "cpe:2.3:o:philips:intellivue_mp_monitors_mx800\\/700\\/600_firmware:a.01.09:*:*:*:*:*:*:*",
        "cpe:2.3:o:philips:intellivue_mp_monitors_mx800\\/700\\/600_firmware:a.01.09:*:*:*:*:*:*:*",
    );
    check(
        "cpe:2.3:o:fresenius-kabi:link\\+_agilia_firmware:3.0:-:*:*:*:*:*:*",
        "cpe:2.3:o:fresenius-kabi:link\\+_agilia_firmware:3.0:-:*:*:*:*:*:*",
    );
    // Escapes of the separator, the escape and the wildcards are literal.
    check(
        "cpe:2.3:a:v:a\\:b\\\\c\\*d\\?:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:v:a\\:b\\\\c\\*d\\?:*:*:*:*:*:*:*:*",
    );
    assert_eq!(
        literal(
            "cpe:2.3:a:v:a\\:b\\\\c\\*d\\?:*:*:*:*:*:*:*:*",
            Attribute::Product
        ),
        "a:b\\c*d?"
    );
    assert_eq!(
        literal(
            "cpe:2.3:a:contec_health:cms8000\\@_firmware:*:*:*:*:*:*:*:*",
            Attribute::Product
        ),
        "cms8000@_firmware"
    );
    // `.`, `-` and `_` need no escape; an escaped one is written bare.
    check(
        "cpe:2.3:a:v:p:1\\.0\\-beta\\_2:*:*:*:*:*:*:*",
        "cpe:2.3:a:v:p:1.0-beta_2:*:*:*:*:*:*:*",
    );
    // Unescaped punctuation other than `:`, `*`, `?` is accepted, as
    // NISTIR 7695's unbinding quotes it, and written escaped.
    check(
        "cpe:2.3:a:v:p@q!:1.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:v:p\\@q\\!:1.0:*:*:*:*:*:*:*",
    );
    // ANY and NA; a lone escaped `-` is the literal hyphen, kept escaped.
    check(
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
    );
    assert!(
        Cpe::parse("cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*")
            .unwrap()
            .version()
            .is_na()
    );
    check(
        "cpe:2.3:h:bd:alaris_gs:\\-:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:\\-:*:*:*:*:*:*:*",
    );
    assert_eq!(
        literal(
            "cpe:2.3:h:bd:alaris_gs:\\-:*:*:*:*:*:*:*",
            Attribute::Version
        ),
        "-"
    );
    // Case is kept as written; the prefix is read in any case.
    check(
        "CPE:2.3:A:Microsoft:IE:8:*:*:*:*:*:*:*",
        "cpe:2.3:A:Microsoft:IE:8:*:*:*:*:*:*:*",
    );
    // Non-ASCII text is outside the standard but kept.
    check(
        "cpe:2.3:a:vendor:제품:1.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:제품:1.0:*:*:*:*:*:*:*",
    );
}

#[test]
fn wildcards_only_at_the_ends() {
    check(
        "cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*",
        "cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*",
    );
    check(
        "cpe:2.3:a:v:?foo*:??bar???:*foo??:*:*:*:*:*:*",
        "cpe:2.3:a:v:?foo*:??bar???:*foo??:*:*:*:*:*:*",
    );
    let cpe = Cpe::parse("cpe:2.3:a:v:??foo*:1:*:*:*:*:*:*:*").unwrap();
    let Value::Str(t) = cpe.get(Attribute::Product) else {
        panic!("{cpe}");
    };
    assert_eq!(
        (t.prefix(), t.literal(), t.suffix()),
        (Wildcard::UpTo(2), "foo", Wildcard::Many)
    );
    for bad in [
        "foo*bar", "foo?bar", "**foo", "bar***", "*?foobar", "foobar*?", "q??x",
    ] {
        check_error(
            &format!("cpe:2.3:a:v:{bad}:1:*:*:*:*:*:*:*"),
            "component 4 (product): has an unquoted",
        );
    }
}

#[test]
fn errors_name_the_component() {
    check_error(
        "cpe:2.3:a:v:p:1 0:*:*:*:*:*:*:*",
        "cpe `cpe:2.3:a:v:p:1 0:*:*:*:*:*:*:*`: component 5 (version): contains white space",
    );
    check_error(
        "cpe:2.3:a:v:p:1.0*2:*:*:*:*:*:*:*",
        "component 5 (version): has an unquoted `*` inside the value",
    );
    check_error(
        "cpe:2.3:a::p:1:*:*:*:*:*:*:*",
        "component 3 (vendor): is empty",
    );
    check_error(
        "cpe:2.3:x:v:p:1:*:*:*:*:*:*:*",
        "component 2 (part): must be `a`, `o`, `h` or ANY",
    );
    check_error("cpe:2.3:-:v:p:1:*:*:*:*:*:*:*", "component 2 (part)");
    check_error(
        "cpe:2.3:a:v:p:1:*:*:*:*:*:*:x\\",
        "component 12 (other): ends in an unpaired `\\`",
    );
    // A `:` that should have been escaped makes one component too many.
    check_error(
        "cpe:2.3:a:v:p:1:0:*:*:*:*:*:*:*",
        "has 14 components; a CPE 2.3 formatted string has 13 (is a `:` in a value not escaped",
    );
    check_error("cpe:2.3:a:v:p:1", "has 6 components");
    check_error("cpe:2.3:", "has 3 components");
    check_error("cpe:2.2:a:v:p", "starts with neither");
    check_error("", "starts with neither");
    check_error("cpe", "starts with neither");
    check_error("cpe:/a:v:p:1:u:e:l:x", "has 8 components after `cpe:/`");
    check_error(
        "cpe:/a:v:p%zz",
        "component 4 (product): has a bad percent-encoding",
    );
    check_error("cpe:/a:v:p%7", "has a bad percent-encoding");
    check_error("cpe:/a:v:p%+1", "has a bad percent-encoding");
    check_error("cpe:/a:v:p%07", "has a bad percent-encoding");
    check_error(
        "cpe:/a:v:p*",
        "component 4 (product): has `*`, which a CPE 2.2 URI must",
    );
    check_error(
        "cpe:/a:v:p:1:u:~e~s~t",
        "component 7 (edition): is a packed edition with 3",
    );
    check_error("cpe:/x:v:p", "component 2 (part)");
}

#[test]
fn uris_convert_to_2_3() {
    // NISTIR 7695 §6.1.3 and §6.2 examples.
    check(
        "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
    );
    check(
        "cpe:/a:microsoft:internet_explorer:8.%2a:sp%3f",
        "cpe:2.3:a:microsoft:internet_explorer:8.\\*:sp\\?:*:*:*:*:*:*",
    );
    check(
        "cpe:/a:microsoft:internet_explorer:8.%02:sp%01",
        "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*",
    );
    check(
        "cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~",
        "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:*:*:*:online:win2003:x64:*",
    );
    check(
        "cpe:/a:hp:openview_network_manager:7.51:-:~~~linux~~",
        "cpe:2.3:a:hp:openview_network_manager:7.51:-:*:*:*:linux:*:*",
    );
    check(
        "cpe:/a:foo%5cbar:big%24money_2010:::~~special~ipod_touch~80gb~",
        "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*",
    );
    check(
        "cpe:/a:foo~bar:big%7emoney_2010",
        "cpe:2.3:a:foo\\~bar:big\\~money_2010:*:*:*:*:*:*:*:*",
    );
    // Missing and empty components are ANY; `-` is NA.
    check("cpe:/o:microsoft", "cpe:2.3:o:microsoft:*:*:*:*:*:*:*:*:*");
    check("cpe:/", "cpe:2.3:*:*:*:*:*:*:*:*:*:*:*");
    check("cpe:/a::p:-", "cpe:2.3:a:*:p:-:*:*:*:*:*:*:*");
    check(
        "cpe:/a:vendor:product:1.0:update:edition:en-us",
        "cpe:2.3:a:vendor:product:1.0:update:edition:en-us:*:*:*:*",
    );
}

#[test]
fn keys_and_accessors() {
    let cpe = Cpe::parse("cpe:2.3:o:Abbott:Merlin\\@Home_Firmware:8.0:*:*:*:*:*:*:*").unwrap();
    assert_eq!(cpe.key(), ('o', "abbott", "merlin@home_firmware"));
    assert_eq!(cpe.part(), 'o');
    assert_eq!(cpe.nvd_version().map(|v| v.as_str()), Some("8.0"));
    let any = Cpe::parse("cpe:2.3:*:*:p*:*:*:*:*:*:*:*:*").unwrap();
    assert_eq!(any.key(), ('*', "*", "*"));
    assert_eq!(
        (cpe.vendor(), cpe.product()),
        ("abbott", "merlin@home_firmware")
    );
    assert_eq!(any.nvd_version(), None);
    let other = cpe.with_version(Value::literal("9.1:beta").unwrap());
    assert_eq!(
        other.to_string(),
        "cpe:2.3:o:Abbott:Merlin\\@Home_Firmware:9.1\\:beta:*:*:*:*:*:*:*"
    );
    assert_eq!(other.nvd_version().map(|v| v.as_str()), Some("9.1:beta"));
    assert_eq!(Value::literal(""), Err(ValueError::Empty));
    assert_eq!(Value::literal("a b"), Err(ValueError::Space(' ')));
    let star = cpe.with_version(Value::literal("*").unwrap());
    assert_eq!(
        star.to_string(),
        "cpe:2.3:o:Abbott:Merlin\\@Home_Firmware:\\*:*:*:*:*:*:*:*"
    );
}

/// Characters that exercise every branch of the formatted-string parser.
fn field() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9._\\-*?:\\\\@!~%é ]{0,6}").unwrap()
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = Cpe::parse(&s);
        let _ = Cpe::parse(&format!("cpe:2.3:{s}"));
        let _ = Cpe::parse(&format!("cpe:/{s}"));
    }

    #[test]
    fn formatted_strings_round_trip(fields in proptest::collection::vec(field(), 11)) {
        let text = format!("cpe:2.3:{}", fields.join(":"));
        if let Ok(cpe) = Cpe::parse(&text) {
            let written = cpe.to_string();
            let again = Cpe::parse(&written).unwrap();
            prop_assert_eq!(&again, &cpe);
            prop_assert_eq!(again.to_string(), written);
        }
    }

    #[test]
    fn uris_round_trip(fields in proptest::collection::vec(
        proptest::string::string_regex("[a-z0-9._\\-~%]{0,5}|%0[12]|%2[a-f]").unwrap(), 0..8)) {
        let text = format!("cpe:/{}", fields.join(":"));
        if let Ok(cpe) = Cpe::parse(&text) {
            let again = Cpe::parse(&cpe.to_string()).unwrap();
            prop_assert_eq!(again, cpe);
        }
    }

    #[test]
    fn literals_round_trip(s in "\\PC{1,12}") {
        if let Ok(value) = Value::literal(&s) {
            let cpe = Cpe::parse("cpe:2.3:a:v:p:*:*:*:*:*:*:*:*").unwrap().with_version(value);
            let again = Cpe::parse(&cpe.to_string()).unwrap();
            prop_assert_eq!(again.version(), cpe.version());
            prop_assert_eq!(again.nvd_version().map(|v| v.as_str()), Some(s.as_str()));
        }
    }
}
