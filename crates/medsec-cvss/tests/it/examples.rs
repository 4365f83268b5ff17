//! Published examples: the CVSS v2 guide's section 3.3, the CVSS v3.1
//! examples document, the vectors of the v4.0 specification's section 7
//! (valid and invalid) with the FIRST calculator's scores, and the
//! error messages.

use medsec_cvss::Vector;

/// A vector's version, the scores of the groups it defines with their
/// severities, and its normalised form; or `error: ` and the message.
fn summary(vector: &str) -> String {
    let v = match Vector::parse(vector) {
        Ok(v) => v,
        Err(e) => return format!("error: {e}"),
    };
    let s = v.scores();
    let mut out = format!("{} base {} {}", v.version(), s.base, v.severity(s.base));
    for (name, score) in [
        ("temporal", s.temporal),
        ("threat", s.threat),
        ("environmental", s.environmental),
    ] {
        if let Some(score) = score {
            out += &format!(" {name} {score} {}", v.severity(score));
        }
    }
    format!("{out} {v}")
}

fn check(vector: &str, expect: &str) {
    assert_eq!(summary(vector), expect, "{vector}");
}

#[test]
fn v2_guide() {
    // CVE-2002-0392, CVE-2003-0818 and CVE-2003-0062 with the guide's
    // temporal and environmental metrics.
    check(
        "AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
        "2.0 base 7.8 high temporal 6.4 medium environmental 9.2 high AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
    );
    check(
        "AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L",
        "2.0 base 10.0 high temporal 8.3 high environmental 9.0 high AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L",
    );
    check(
        "AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:M",
        "2.0 base 6.2 medium temporal 4.9 medium environmental 7.5 high AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:M",
    );
    // Any order; ND is dropped; 0.0 is low in v2.
    check(
        "A:N/I:N/C:N/Au:N/AC:L/AV:N/E:ND",
        "2.0 base 0.0 low AV:N/AC:L/Au:N/C:N/I:N/A:N",
    );
}

#[test]
fn v3_1_examples() {
    for (vector, expect) in [
        // CVE-2013-1937, CVE-2013-0375, CVE-2014-3566, CVE-2012-1516,
        // CVE-2009-0783, CVE-2012-0384, CVE-2015-1098, CVE-2014-0160,
        // CVE-2014-6271, CVE-2008-1447, CVE-2014-2005, CVE-2010-0467.
        ("AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "6.1 medium"),
        ("AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", "6.4 medium"),
        ("AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", "3.1 low"),
        ("AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", "9.9 critical"),
        ("AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", "4.2 medium"),
        ("AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "8.8 high"),
        ("AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "7.8 high"),
        ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "7.5 high"),
        ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8 critical"),
        ("AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", "6.8 medium"),
        ("AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "6.8 medium"),
        ("AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", "5.8 medium"),
    ] {
        check(
            &format!("CVSS:3.1/{vector}"),
            &format!("3.1 base {expect} CVSS:3.1/{vector}"),
        );
    }
}

#[test]
fn v3_temporal_and_environmental() {
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L",
        "3.1 base 9.8 critical temporal 8.8 high environmental 7.6 high CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L",
    );
    // v3.0's modified impact (exponent 15) on a changed scope.
    check(
        "CVSS:3.0/MS:U/MAV:A/AR:M/IR:H/CR:L/RC:R/RL:W/E:U/A:H/I:H/C:H/S:C/UI:N/PR:N/AC:L/AV:N",
        "3.0 base 10.0 critical temporal 8.5 high environmental 7.5 high CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:U/RL:W/RC:R/CR:L/IR:H/AR:M/MAV:A/MS:U",
    );
    // X values are dropped and show no group.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N/E:X/MAV:X",
        "3.1 base 0.0 none CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
    );
}

#[test]
fn v3_environmental_score_without_environmental_metrics() {
    // CVE-2012-1516 scores 9.9, but v3.1's modified impact formula gives
    // 10.0 for the same metrics: the calculators show 10.0 as its
    // environmental score.
    let Vector::V3(v) = Vector::parse("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H").unwrap()
    else {
        unreachable!()
    };
    let s = v.scores();
    assert_eq!((s.base.tenths(), s.environmental.tenths()), (99, 100));
    assert!(!v.has_environmental());
}

#[test]
fn v4_specification() {
    // Section 7's valid examples, scored by the FIRST calculator.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
        "4.0 base 5.1 medium CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:A",
        "4.0 base 5.1 medium threat 5.1 medium CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:A",
    );
    check(
        "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:P",
        "4.0 base 5.4 medium threat 4.5 medium CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:P",
    );
    check(
        "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:A/VC:N/VI:N/VA:L/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M/MAV:N/MAC:L/MAT:P/MPR:L/MUI:A/MVC:N/MVI:H/MVA:L/MSC:L/MSI:S/MSA:H",
        "4.0 base 5.0 medium environmental 8.5 high CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:A/VC:N/VI:N/VA:L/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M/MAV:N/MAC:L/MAT:P/MPR:L/MUI:A/MVC:N/MVI:H/MVA:L/MSC:L/MSI:S/MSA:H",
    );
    check(
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:A/S:P/AU:Y/R:A/V:D/RE:L/U:Red",
        "4.0 base 5.4 medium threat 5.4 medium CVSS:4.0/AV:P/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:A/S:P/AU:Y/R:A/V:D/RE:L/U:Red",
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U/CR:L/IR:X/AR:L/MAV:A/MAC:H/MAT:N/MPR:N/MUI:P/MVC:X/MVI:N/MVA:H/MSC:N/MSI:L/MSA:S/S:N/AU:N/R:I/V:C/RE:H/U:Green",
        "4.0 base 5.1 medium threat 1.2 low environmental 4.2 medium CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U/CR:L/AR:L/MAV:A/MAC:H/MAT:N/MPR:N/MUI:P/MVI:N/MVA:H/MSC:N/MSI:L/MSA:S/S:N/AU:N/R:I/V:C/RE:H/U:Green",
    );
    // The NVD's most common v4.0 vector.
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "4.0 base 9.3 critical CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    );
    let Vector::V4(v) = Vector::parse(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U/CR:L/S:N",
    )
    .unwrap() else {
        unreachable!()
    };
    assert_eq!(v.nomenclature(), "CVSS-BTE");
    assert!(v.has_supplemental());
}

#[test]
fn v4_specification_invalid_vectors() {
    for (vector, expect) in [
        (
            "CVSS:4.0/AV:F/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N",
            "error: `F` is not a value of AV (one of N, A, L, P) (at byte 9)",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A/E:X",
            "error: E is given more than once (at byte 68)",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/ui:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N",
            "error: `ui` is not a CVSS v4.0 metric (at byte 29)",
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N",
            "error: no `CVSS:3.x/` or `CVSS:4.0/` prefix, and `AT` is not a CVSS v2.0 metric (at byte 10)",
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/SC:N/SI:N/SA:N",
            "error: missing mandatory metric: VA (at byte 58)",
        ),
        (
            "CVSS:4.0/AC:L/AV:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/CR:L/IR:X/AR:L/RE:H/MAV:A/MAC:H/MAT:N/MPR:N/MUI:P/AT:N/MVC:X/MVI:N/MVA:H/MSC:N/MSI:L/MSA:S/E:U/S:N/AU:N/R:I/V:C/U:Green",
            "error: AV must come before AC: CVSS v4.0 metrics must be in the order of its specification (at byte 14)",
        ),
    ] {
        check(vector, expect);
    }
}

#[test]
fn errors_name_the_metric_and_where() {
    for (vector, expect) in [
        ("", "error: the vector is empty (at byte 0)"),
        (
            "CVSS:3.2/AV:N",
            "error: `CVSS:3.2` is not a supported CVSS version (CVSS:3.0, CVSS:3.1, CVSS:4.0, or v2.0 without a prefix) (at byte 0)",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
            "error: `` is not a metric:value pair (at byte 45)",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E",
            "error: `E` is not a metric:value pair (at byte 45)",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:",
            "error: `` is not a value of E (one of X, H, F, P, U) (at byte 45)",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/UI:N/S:U/C:H/A:H",
            "error: missing mandatory metrics: PR, I (at byte 35)",
        ),
        (
            "AV:N/AC:L/Au:N/C:P/I:P/A:P/AV:L",
            "error: AV is given more than once (at byte 27)",
        ),
        (
            "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:P",
            "error: `P` is not a value of E (one of ND, U, POC, F, H) (at byte 27)",
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MSI:S",
            "error: `MSI` is not a CVSS v3.1 metric (at byte 45)",
        ),
    ] {
        check(vector, expect);
    }
}
