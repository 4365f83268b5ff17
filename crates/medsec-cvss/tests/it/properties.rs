//! Invariants: parsing never panics, a normalised vector parses to the
//! same vector, v2 and v3.x vectors mean the same in any order, v4.0
//! vectors only in theirs, and scores stay within 0.0–10.0.

use medsec_cvss::random::Generator;
use medsec_cvss::{ErrorKind, Vector, Version, components, v2, v3, v4};
use proptest::prelude::*;

fn version() -> impl Strategy<Value = Version> {
    prop::sample::select(Version::ALL.to_vec())
}

proptest! {
    #[test]
    fn any_string_parses_or_fails_without_panic(s in any::<String>()) {
        let _ = Vector::parse(&s);
    }

    #[test]
    fn vector_like_strings_parse_or_fail_without_panic(
        s in "(CVSS:[0-9]\\.[0-9]/)?([A-Za-z]{0,3}:?[A-Za-z]{0,5}/){0,36}[A-Za-z:]{0,5}"
    ) {
        if let Ok(v) = Vector::parse(&s) {
            // What parses has every base metric and normalises stably.
            let again = Vector::parse(&v.to_string()).unwrap();
            prop_assert_eq!(again, v);
        }
    }

    #[test]
    fn normalised_vectors_parse_to_the_same_vector(seed in any::<u64>(), version in version()) {
        let text = Generator::new(seed).vector(version);
        let v = Vector::parse(&text).unwrap();
        let normalised = v.to_string();
        let again = Vector::parse(&normalised).unwrap();
        prop_assert_eq!(again, v);
        prop_assert_eq!(again.to_string(), normalised);
        prop_assert_eq!(again.scores(), v.scores());
    }

    #[test]
    fn scores_stay_within_bounds(seed in any::<u64>(), version in version()) {
        let v = Vector::parse(&Generator::new(seed).vector(version)).unwrap();
        let s = v.scores();
        for score in [Some(s.base), s.temporal, s.threat, s.environmental].into_iter().flatten() {
            prop_assert!(score.tenths() <= 100);
        }
        // Temporal factors only lower a v2 or v3.x score.
        if let Some(t) = s.temporal {
            prop_assert!(t <= s.base);
        }
    }

    #[test]
    fn v2_and_v3_metrics_may_come_in_any_order(seed in any::<u64>(), v3 in any::<bool>()) {
        let mut g = Generator::new(seed);
        let version = if v3 { Version::V3_1 } else { Version::V2 };
        let text = g.vector(version);
        let body = text.strip_prefix(version.prefix()).unwrap();
        let mut parts: Vec<&str> = body.split('/').collect();
        parts.reverse();
        let reversed = format!("{}{}", version.prefix(), parts.join("/"));
        prop_assert_eq!(Vector::parse(&reversed).unwrap(), Vector::parse(&text).unwrap());
    }

    #[test]
    fn v4_metrics_out_of_order_are_refused(seed in any::<u64>()) {
        let mut g = Generator::new(seed);
        let text = g.vector(Version::V4);
        let body = text.strip_prefix("CVSS:4.0/").unwrap();
        let mut parts: Vec<&str> = body.split('/').collect();
        let k = g.below(parts.len() - 1);
        parts.swap(k, k + 1);
        let swapped = format!("CVSS:4.0/{}", parts.join("/"));
        let e = Vector::parse(&swapped).unwrap_err();
        let is_out_of_order = matches!(e.kind, ErrorKind::OutOfOrder { .. });
        prop_assert!(is_out_of_order, "{}", e);
    }

    #[test]
    fn the_float_ceiling_of_v3_0_is_never_lower(seed in any::<u64>()) {
        let Vector::V3(v) = Vector::parse(&Generator::new(seed).vector(Version::V3_0)).unwrap() else {
            unreachable!()
        };
        let exact = v.scores();
        let float = v.scores_with(v3::Rounding::FloatCeiling);
        prop_assert!(float.base >= exact.base);
        prop_assert!(float.base.tenths() - exact.base.tenths() <= 1);
    }
}

/// A vector read the slow way, component by component through
/// [`components`], as the specification states the rules: the first
/// invalid component, else the first repeated or (v4.0) out-of-order
/// metric, else the missing base metrics; or each metric's value.
fn reference_read(
    version: Version,
    vector: &str,
) -> Result<Vec<Option<&'static str>>, (String, usize)> {
    let read = reference_rules(version, vector);
    if version != Version::V2 || read.is_ok() {
        return read;
    }
    // A v2 vector that fails and names a metric of v3.x or v4.0 only lost
    // its prefix, says the first such metric.
    let mut offset = 0;
    for part in vector.split('/') {
        let name = part.split_once(':').map_or(part, |(name, _)| name);
        let known = |v: Version| v.metrics().iter().any(|m| m.name == name);
        if !known(Version::V2) && (known(Version::V3_1) || known(Version::V4)) {
            return Err((
                format!(
                    "{:?}",
                    ErrorKind::MissingPrefix {
                        metric: name.to_owned()
                    }
                ),
                offset,
            ));
        }
        offset += part.len() + 1;
    }
    read
}

fn reference_rules(
    version: Version,
    vector: &str,
) -> Result<Vec<Option<&'static str>>, (String, usize)> {
    if vector.is_empty() {
        return Err(("empty".to_owned(), 0));
    }
    let metrics = version.metrics();
    let mut values: Vec<Option<&'static str>> = vec![None; metrics.len()];
    let mut last = 0;
    for c in components(version, vector) {
        let c = c.map_err(|e| (format!("{:?}", e.kind), e.offset))?;
        if values[c.index].is_some() {
            return Err((format!("duplicate {}", c.metric.name), c.offset));
        }
        if version == Version::V4 && c.index < last {
            return Err((format!("order {}", c.metric.name), c.offset));
        }
        last = c.index;
        values[c.index] = Some(c.value());
    }
    let missing: Vec<&str> = metrics
        .iter()
        .zip(&values)
        .filter(|(m, v)| m.mandatory() && v.is_none())
        .map(|(m, _)| m.name)
        .collect();
    if !missing.is_empty() {
        return Err((format!("missing {}", missing.join(",")), vector.len()));
    }
    // Not Defined reads as absent.
    Ok(metrics
        .iter()
        .zip(values)
        .map(|(m, v)| v.filter(|v| m.mandatory() || *v != m.values[0]))
        .collect())
}

fn fast_read(version: Version, vector: &str) -> Result<Vec<Option<&'static str>>, (String, usize)> {
    let parsed = match version {
        Version::V2 => v2::Vector::parse(vector).map(Vector::V2),
        Version::V3_0 | Version::V3_1 => v3::Vector::parse(vector).map(Vector::V3),
        Version::V4 => v4::Vector::parse(vector).map(Vector::V4),
    };
    match parsed {
        Ok(v) => Ok(version.metrics().iter().map(|m| v.get(m.name)).collect()),
        Err(e) => Err((
            match &e.kind {
                ErrorKind::Duplicate { metric } => format!("duplicate {metric}"),
                ErrorKind::OutOfOrder { metric, .. } => format!("order {metric}"),
                ErrorKind::Missing { metrics } => format!("missing {}", metrics.join(",")),
                ErrorKind::Empty => "empty".to_owned(),
                kind => format!("{kind:?}"),
            },
            e.offset,
        )),
    }
}

/// Components of `version`, valid and broken, for vectors that are
/// mostly right.
fn token(version: Version) -> impl Strategy<Value = String> {
    let valid: Vec<String> = version
        .metrics()
        .iter()
        .flat_map(|m| m.values.iter().map(move |v| format!("{}:{v}", m.name)))
        .collect();
    prop_oneof![
        8 => prop::sample::select(valid),
        1 => prop::sample::select(vec![
            "", "AV", "AV:", ":N", "AV:N:X", "av:N", "U:Clear", "MAV:Clear", "Q:Q",
            "AV:NN", "CDP:LM", "E:POC", "MSI:S", "AVN", "é:N", "AV:\u{0}", "U:Greenish",
            "ABCDEFG:H", "AV:N ", " AV:N",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #[test]
    fn the_fast_reader_agrees_with_the_component_reader(
        version in version(),
        tokens in prop::collection::vec(token(Version::V4), 0..4),
        mix in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        seed in any::<u64>(),
        trailing in any::<bool>(),
    ) {
        // A valid vector of the version, some of its components replaced
        // or joined by others (of v4.0, which shares many names).
        let valid = Generator::new(seed).vector(version);
        let body = valid.strip_prefix(version.prefix()).unwrap();
        let mut parts: Vec<String> = body.split('/').map(str::to_owned).collect();
        for (i, t) in mix.iter().zip(tokens.iter().cycle()) {
            let at = i.index(parts.len() + 1);
            if at == parts.len() || at % 2 == 0 {
                parts.insert(at.min(parts.len()), t.clone());
            } else {
                parts[at] = t.clone();
            }
        }
        let mut vector = format!("{}{}", version.prefix(), parts.join("/"));
        if trailing {
            vector.push('/');
        }
        prop_assert_eq!(fast_read(version, &vector), reference_read(version, &vector), "{}", vector);
    }
}
