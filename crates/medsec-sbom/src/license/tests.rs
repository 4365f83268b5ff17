//! Licence expressions: canonical forms, refusals, and the split into
//! expressions and names.

use super::*;

#[track_caller]
fn check(input: &str, expect: Option<&str>) {
    assert_eq!(canonical_expression(input).as_deref(), expect, "{input}");
}

#[test]
fn canonical_expressions() {
    check("MIT", Some("MIT"));
    check("mit", Some("MIT"));
    check("apache-2.0 or mit", Some("Apache-2.0 OR MIT"));
    check(
        "(MIT OR Apache-2.0)  AND\tBSD-2-Clause",
        Some("(MIT OR Apache-2.0) AND BSD-2-Clause"),
    );
    check(
        "GPL-2.0-only WITH linux-syscall-note",
        Some("GPL-2.0-only WITH Linux-syscall-note"),
    );
    check("GPL-2.0+", Some("GPL-2.0+"));
    check("LicenseRef-acme.eula-2", Some("LicenseRef-acme.eula-2"));
    check(
        "documentref-x:licenseref-y",
        Some("DocumentRef-x:LicenseRef-y"),
    );
    check("MIT WITH AdditionRef-foo", Some("MIT WITH AdditionRef-foo"));
    // Deprecated ids that embed an exception, as the list replaced them.
    check(
        "EPL-2.0 OR GPL-2.0-with-classpath-exception",
        Some("EPL-2.0 OR GPL-2.0-only WITH Classpath-exception-2.0"),
    );
    check("", None);
    check("MIT OR", None);
    check("(MIT", None);
    check("MIT)", None);
    check("MIT AND AND BSD-2-Clause", None);
    check("Apache License 2.0", None);
    check("MIT WITH MIT", None);
    check("LicenseRef-", None);
    check("LicenseRef-a b", None);
    check("NotALicense-1.0", None);
}

#[test]
fn classify_tells_expressions_from_names() {
    assert_eq!(classify("mit"), Some(License::Expression("MIT".to_owned())));
    assert_eq!(
        classify(" Apache License, Version 2.0 "),
        Some(License::Name("Apache License, Version 2.0".to_owned()))
    );
    assert_eq!(classify("NOASSERTION"), None);
    assert_eq!(classify("NONE"), None);
    assert_eq!(classify(""), None);
}

#[test]
fn references_for_names() {
    assert_eq!(
        license_ref_for_name("Apache License, Version 2.0"),
        "LicenseRef-Apache-License-Version-2.0"
    );
    assert_eq!(license_ref_for_name("사내 라이선스"), "LicenseRef-unnamed");
    assert_eq!(license_ref_for_name("EULA (v2)"), "LicenseRef-EULA-v2");
    assert_eq!(
        license_refs("MIT AND (LicenseRef-a OR DocumentRef-d:LicenseRef-b)"),
        ["LicenseRef-a"]
    );
    assert!(is_single("LicenseRef-a"));
    assert!(!is_single("MIT OR BSD-2-Clause"));
}

#[test]
fn the_list_is_sorted_and_complete() {
    assert!(list::LICENSES.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(list::LICENSES.len() + list::EXCEPTIONS.len(), 811);
    assert_eq!(license_id("0bsd"), Some("0BSD"));
    assert_eq!(
        exception_id("classpath-exception-2.0"),
        Some("Classpath-exception-2.0")
    );
    assert_eq!(license_id("Classpath-exception-2.0"), None);
}
