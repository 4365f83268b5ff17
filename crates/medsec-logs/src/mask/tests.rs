//! Masking: resident registration numbers with and without the check
//! digit, phone numbers in their Korean shapes, pattern rules, tokens,
//! counts, and what must not be masked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

/// A resident registration number: twelve digits and their check digit.
fn rrn(first12: &str) -> String {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let d: Vec<u32> = first12.bytes().map(|c| u32::from(c - b'0')).collect();
    let sum: u32 = d.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum();
    let base = if d[6] >= 5 { 13 } else { 11 };
    format!("{first12}{}", (base - sum % 11) % 10)
}

/// Masks `input` with `masker` and checks the text and the counts
/// (rrn, phone, patterns total).
fn check_with(masker: &Masker, input: &str, expect: &str, counts: (u32, u32, u32)) {
    let mut c = MaskCounts::default();
    let got = masker.mask_str(input, &mut c);
    assert_eq!(got, expect, "{input}");
    assert_eq!(
        (c.rrn, c.phone, c.patterns.iter().sum::<u32>()),
        counts,
        "{input}"
    );
    // Bytes and text agree.
    let mut c2 = MaskCounts::default();
    assert_eq!(
        masker.mask_bytes(input.as_bytes(), &mut c2).as_ref(),
        expect.as_bytes()
    );
}

fn check(input: &str, expect: &str, counts: (u32, u32, u32)) {
    check_with(&Masker::default(), input, expect, counts);
}

#[test]
fn resident_registration_numbers() {
    // Hyphenated: a valid date and gender digit suffice.
    check(
        "환자 900101-1234567 조회",
        "환자 ******-******* 조회",
        (1, 0, 0),
    );
    check("rrn=050315-4000000,", "rrn=******-*******,", (1, 0, 0));
    // Foreign residents (5–8).
    check("외국인 850505-5123456", "외국인 ******-*******", (1, 0, 0));
    // Unseparated: only with a valid check digit.
    let valid = rrn("900101123456");
    check(&format!("id {valid} x"), "id ************* x", (1, 0, 0));
    let mut invalid = valid.clone();
    let last = invalid.pop().unwrap();
    invalid.push(if last == '9' {
        '0'
    } else {
        char::from(last as u8 + 1)
    });
    check(
        &format!("id {invalid} x"),
        &format!("id {invalid} x"),
        (0, 0, 0),
    );
    // Not dates, not gender digits, not whole runs.
    check("901301-1234567", "901301-1234567", (0, 0, 0));
    check("900230-1234567", "900230-1234567", (0, 0, 0));
    check("900101-9234567", "900101-9234567", (0, 0, 0));
    check("1900101-1234567", "1900101-1234567", (0, 0, 0));
    check("900101-12345678", "900101-12345678", (0, 0, 0));
    // Millisecond timestamps and counters are left alone.
    check(
        "ts=1709946930123 n=1234567890123",
        "ts=1709946930123 n=1234567890123",
        (0, 0, 0),
    );
}

#[test]
fn checksum_modes() {
    let never = Masker::new(MaskConfig {
        rrn: RrnRule {
            checksum: Checksum::Never,
            ..RrnRule::default()
        },
        ..MaskConfig::default()
    })
    .unwrap();
    check_with(&never, "9001011234567", "*************", (1, 0, 0));
    let always = Masker::new(MaskConfig {
        rrn: RrnRule {
            checksum: Checksum::Always,
            ..RrnRule::default()
        },
        ..MaskConfig::default()
    })
    .unwrap();
    let valid = rrn("900101123456");
    let (front, back) = valid.split_at(6);
    check_with(
        &always,
        &format!("{front}-{back}"),
        "******-*******",
        (1, 0, 0),
    );
    let last = back.as_bytes()[6] - b'0';
    let wrong = format!("{front}-{}{}", back.get(..6).unwrap(), (last + 1) % 10);
    check_with(&always, &wrong, &wrong, (0, 0, 0));
}

#[test]
fn phone_numbers() {
    check("연락처 010-1234-5678.", "연락처 ***-****-****.", (0, 1, 0));
    check("tel:01012345678", "tel:***********", (0, 1, 0));
    check(
        "02-123-4567 / 02.1234.5678 / 02 1234 5678",
        "**-***-**** / **.****.**** / ** **** ****",
        (0, 3, 0),
    );
    check("(02)123-4567", "(**)***-****", (0, 1, 0));
    check(
        "031-987-6543 0313456789",
        "***-***-**** **********",
        (0, 2, 0),
    );
    check(
        "070-1234-5678 0505-123-4567",
        "***-****-**** ****-***-****",
        (0, 2, 0),
    );
    check("+82 10-1234-5678", "+** **-****-****", (0, 1, 0));
    check("+82-2-123-4567", "+**-*-***-****", (0, 1, 0));
    check("+821012345678", "+************", (0, 1, 0));
    check("+82 (0)10 1234 5678", "+** (*)** **** ****", (0, 1, 0));
    // Mixed separators, wrong lengths, longer runs, not area codes.
    check("010-1234.5678", "010-1234.5678", (0, 0, 0));
    check("010-12-5678", "010-12-5678", (0, 0, 0));
    check("0101234567890", "0101234567890", (0, 0, 0));
    check(
        "logid=\"0000000013\" 08-123-4567",
        "logid=\"0000000013\" 08-123-4567",
        (0, 0, 0),
    );
    // Times, dates and addresses are not phone numbers.
    check(
        "2024-01-02 03:04:05 10.1.2.3:443 pid=0212",
        "2024-01-02 03:04:05 10.1.2.3:443 pid=0212",
        (0, 0, 0),
    );
}

#[test]
fn patterns_tokens_and_config() {
    let config: MaskConfig = toml::from_str(
        r#"
        [rrn]
        replacement = "<RRN>"
        [phone]
        unseparated = false
        [[patterns]]
        name = "patient-id"
        regex = 'PT-\d{8}'
        [[patterns]]
        name = "chart"
        regex = '차트번호[:=]\s*\d+'
        replacement = "<CHART>"
        "#,
    )
    .unwrap();
    let masker = Masker::new(config).unwrap();
    assert_eq!(
        masker.pattern_names().collect::<Vec<_>>(),
        ["patient-id", "chart"]
    );
    check_with(
        &masker,
        "PT-12345678 900101-1234567 01012345678 010-1234-5678 차트번호: 4567",
        "*********** <RRN> 01012345678 ***-****-**** <CHART>",
        (1, 1, 2),
    );
    let mut counts = MaskCounts::default();
    masker.mask_str("PT-00000001 PT-00000002 차트번호=1", &mut counts);
    assert_eq!(counts.patterns, [2, 1]);
    assert_eq!(counts.total(), 3);
    let e = Masker::new(MaskConfig {
        patterns: vec![PatternRule {
            name: "bad".into(),
            regex: "(".into(),
            replacement: Replacement::Stars,
        }],
        ..MaskConfig::default()
    })
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("masking rule \"bad\": invalid regex"),
        "{e}"
    );
    assert!(toml::from_str::<MaskConfig>("[rrn]\nchecksum = \"sometimes\"").is_err());
    let off = Masker::disabled();
    check_with(
        &off,
        "900101-1234567 010-1234-5678",
        "900101-1234567 010-1234-5678",
        (0, 0, 0),
    );
    assert!(!off.is_enabled());
}

#[test]
fn nothing_to_mask_borrows() {
    let masker = Masker::default();
    let mut counts = MaskCounts::default();
    let text =
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4";
    assert!(matches!(
        masker.mask_str(text, &mut counts),
        Cow::Borrowed(_)
    ));
    assert_eq!(counts, MaskCounts::default());
}

proptest! {
    #[test]
    fn masking_keeps_length_and_never_panics(
        parts in proptest::collection::vec(prop_oneof![
            "[0-9]{1,14}".prop_map(|s| s), Just("-".to_owned()), Just(" ".to_owned()), Just("+82".to_owned()),
            Just("(".to_owned()), Just(")".to_owned()), Just(".".to_owned()), Just("가".to_owned()), "\\PC{0,3}",
        ], 0..20)
    ) {
        let input = parts.concat();
        let masker = Masker::default();
        let mut counts = MaskCounts::default();
        let out = masker.mask_str(&input, &mut counts);
        prop_assert_eq!(out.chars().count(), input.chars().count());
        // Only digits change, and only to `*`.
        for (a, b) in input.chars().zip(out.chars()) {
            prop_assert!(a == b || (a.is_ascii_digit() && b == '*'));
        }
        // Masking is idempotent.
        let mut again = MaskCounts::default();
        prop_assert_eq!(masker.mask_str(&out, &mut again), out.clone());
        prop_assert_eq!(again.total(), 0);
    }

    #[test]
    fn valid_numbers_are_always_masked(
        yy in 0u32..100, mm in 1u32..13, dd in 1u32..29, g in 1u32..9, rest in 0u32..100_000,
        sep in prop_oneof![Just(""), Just("-")],
    ) {
        let first12 = format!("{yy:02}{mm:02}{dd:02}{g}{rest:05}");
        let number = rrn(&first12);
        let (front, back) = number.split_at(6);
        let input = format!("x {front}{sep}{back} y");
        let mut counts = MaskCounts::default();
        let out = Masker::default().mask_str(&input, &mut counts);
        prop_assert_eq!(counts.rrn, 1, "{}", input);
        prop_assert!(!out.contains(back));
    }
}
