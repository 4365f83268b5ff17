//! NISTIR 7696 matching: every row of Table 6-2, the example of Table 6-3,
//! the wildcard rules of §6.3, and `matches` on names as NVD writes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn cpe(s: &str) -> Cpe {
    Cpe::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// A name whose version is `v` (a formatted-string value), to compare
/// single values through whole names.
fn with_version(v: &str) -> Cpe {
    cpe(&format!("cpe:2.3:a:vendor:product:{v}:*:*:*:*:*:*:*"))
}

/// The relation of source value `source` to target value `target`.
fn check_rel(source: &str, target: &str, expect: Relation) {
    let got = with_version(source)
        .compare(&with_version(target))
        .relation(Attribute::Version);
    assert_eq!(got, expect, "{source} vs {target}");
}

/// Whether `criterion` matches (is a CPE_SUPERSET of) `target`.
fn check(criterion: &str, target: &str, expect: bool) {
    let (c, t) = (cpe(criterion), cpe(target));
    assert_eq!(c.matches(&t), expect, "{criterion} over {target}");
    // `matches` is CPE_SUPERSET of the full comparison.
    assert_eq!(
        c.compare(&t).is_superset(),
        expect,
        "{criterion} over {target}"
    );
}

#[test]
fn table_6_2_attribute_relations() {
    use Relation::*;
    check_rel("*", "*", Equal); // 1
    check_rel("*", "-", Superset); // 2
    check_rel("*", "foo", Superset); // 3
    check_rel("*", "foo*", Undefined); // 4
    check_rel("-", "*", Subset); // 5
    check_rel("-", "-", Equal); // 6
    check_rel("-", "foo", Disjoint); // 7
    check_rel("-", "?foo", Undefined); // 8
    check_rel("foo", "foo", Equal); // 9
    check_rel("foo", "bar", Disjoint); // 10
    check_rel("foo", "foo*", Undefined); // 11
    check_rel("foo", "-", Disjoint); // 12
    check_rel("foo", "*", Subset); // 13
    check_rel("9.*", "9.3", Superset); // 14, §6.1's example
    check_rel("9.*", "8.3", Disjoint); // 14
    check_rel("foo*", "*", Subset); // 15
    check_rel("foo*", "-", Disjoint); // 16
    check_rel("foo*", "?foo", Undefined); // 17
    // Literals compare without regard to case.
    check_rel("FOO", "foo", Equal);
    check_rel("9.*", "9.3", Superset);
    // Quoted wildcards are literal characters, in source and target.
    check_rel("9\\*", "9\\*", Equal);
    check_rel("9\\*", "91", Disjoint);
    check_rel("*", "9\\?", Superset);
}

#[test]
fn table_6_3_example() {
    use Relation::*;
    let source = cpe("cpe:2.3:a:Adobe:*:9.*:*:PalmOS:*:*:*:*:*");
    let target = cpe("cpe:2.3:a:*:Reader:9.3.2:-:-:*:*:*:*:*");
    let c = source.compare(&target);
    assert_eq!(
        c.relations().get(..6).unwrap(),
        [Equal, Subset, Superset, Superset, Superset, Disjoint]
    );
    assert!(c.is_disjoint());
    assert!(!c.is_superset() && !c.is_subset() && !c.is_equal());
}

#[test]
fn wildcards_match_zero_or_more_and_zero_or_one() {
    use Relation::*;
    // `*` is zero or more characters, at either end.
    check_rel("8.*", "8.", Superset);
    check_rel("8.*", "8.0.6001", Superset);
    check_rel("*6001", "8.0.6001", Superset);
    check_rel("*0.6*", "8.0.6001", Superset);
    check_rel("*0.6*", "8.0.5001", Disjoint);
    // `?` is zero or one character; a run of n is up to n.
    check_rel("8.?", "8.1", Superset);
    check_rel("8.?", "8.", Superset);
    check_rel("8.?", "8.12", Disjoint);
    check_rel("8.??", "8.12", Superset);
    check_rel("?8.1", "18.1", Superset);
    check_rel("?8.1", "118.1", Disjoint);
    check_rel("??8.1", "118.1", Superset);
    check_rel("?foo*", "xfoobar", Superset);
    check_rel("*bar??", "foobarxy", Superset);
    check_rel("*bar??", "foobarxyz", Disjoint);
    // The literal may occur more than once; a later occurrence can fit.
    check_rel("*ab?", "abab", Superset);
    check_rel("?ab*", "abab", Superset);
    check_rel("ab?", "abab", Disjoint);
    // Only wildcards: up to as many characters as `?`s.
    check_rel("??", "ab", Superset);
    check_rel("??", "abc", Disjoint);
    // Characters, not bytes: one Korean syllable is one character.
    check_rel("?1", "판1", Superset);
    check_rel("1?", "1판", Superset);
    check_rel("1?", "1판판", Disjoint);
}

#[test]
fn names_as_nvd_writes_them() {
    // NVD criterion with an escaped `@` over a component's name.
    check(
        "cpe:2.3:o:abbott:merlin\\@home_firmware:*:*:*:*:*:*:*:*",
        "cpe:2.3:o:abbott:merlin\\@home_firmware:8.0:*:*:*:*:*:*:*",
        true,
    );
    check(
        "cpe:2.3:o:abbott:merlin\\@home_firmware:*:*:*:*:*:*:*:*",
        "cpe:2.3:o:Abbott:Merlin\\@Home_Firmware:8.0:-:-:en:*:*:*:*",
        true,
    );
    // The same letters without the `@` are another product.
    check(
        "cpe:2.3:o:abbott:merlin\\@home_firmware:*:*:*:*:*:*:*:*",
        "cpe:2.3:o:abbott:merlinhome_firmware:8.0:*:*:*:*:*:*:*",
        false,
    );
    // A concrete criterion version is compared as a string, not a version.
    check(
        "cpe:2.3:a:bd:synapsys:4.20:sr1:*:*:*:*:*:*",
        "cpe:2.3:a:bd:synapsys:4.20:SR1:*:*:*:*:*:*",
        true,
    );
    check(
        "cpe:2.3:a:bd:synapsys:4.20:sr1:*:*:*:*:*:*",
        "cpe:2.3:a:bd:synapsys:4.2:sr1:*:*:*:*:*:*",
        false,
    );
    // An NA update in the criterion excludes a target with an update.
    check(
        "cpe:2.3:a:bd:synapsys:4.20:-:*:*:*:*:*:*",
        "cpe:2.3:a:bd:synapsys:4.20:sr1:*:*:*:*:*:*",
        false,
    );
    check(
        "cpe:2.3:a:bd:synapsys:4.20:-:*:*:*:*:*:*",
        "cpe:2.3:a:bd:synapsys:4.20:-:*:*:*:*:*:*",
        true,
    );
    // NVD's `-` version (hardware without versions) matches only NA: a
    // target whose version is unknown (ANY) is a SUBSET, not an instance.
    check(
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        true,
    );
    check(
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:*:*:*:*:*:*:*:*",
        false,
    );
    check(
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:2:*:*:*:*:*:*:*",
        false,
    );
    // Part, vendor and the platform attributes count too.
    check(
        "cpe:2.3:o:bd:alaris_gs:*:*:*:*:*:*:*:*",
        "cpe:2.3:h:bd:alaris_gs:-:*:*:*:*:*:*:*",
        false,
    );
    check(
        "cpe:2.3:a:hillrom:spot_vital_signs_4400:*:*:*:*:extended_care:*:*:*",
        "cpe:2.3:a:hillrom:spot_vital_signs_4400:1.0:*:*:*:-:*:*:*",
        false,
    );
    // A target with wildcards is not an instance of anything.
    check(
        "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:v:p:1.*:*:*:*:*:*:*:*",
        false,
    );
    // A URI target works like its 2.3 conversion.
    check(
        "cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*",
        "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
        true,
    );
}

#[test]
fn name_relations() {
    let a = cpe("cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*");
    let b = cpe("cpe:2.3:a:V:P:1.0:*:*:*:*:*:*:*");
    assert!(a.compare(&b).is_equal() && a.compare(&b).is_subset() && a.compare(&b).is_superset());
    let wide = cpe("cpe:2.3:a:v:p:*:*:*:*:*:*:*:*");
    assert!(wide.compare(&a).is_superset() && !wide.compare(&a).is_subset());
    assert!(a.compare(&wide).is_subset() && !a.compare(&wide).is_superset());
    let other = cpe("cpe:2.3:a:v:q:*:*:*:*:*:*:*:*");
    assert!(other.compare(&a).is_disjoint());
}

proptest! {
    /// A name is an instance of itself, and of a copy with any attribute
    /// widened to ANY.
    #[test]
    fn matching_is_reflexive_and_any_widens(
        fields in proptest::collection::vec("[a-z0-9._\\-]{1,5}", 10),
        widen in 0usize..11,
    ) {
        let name = cpe(&format!("cpe:2.3:a:{}", fields.join(":")));
        prop_assert!(name.matches(&name));
        let mut wider = fields.clone();
        wider.insert(0, "a".to_owned());
        if let Some(f) = wider.get_mut(widen) {
            *f = "*".to_owned();
        }
        let wider = cpe(&format!("cpe:2.3:{}", wider.join(":")));
        prop_assert!(wider.matches(&name));
    }
}
