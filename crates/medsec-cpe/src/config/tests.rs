//! Configuration evaluation on hand-made fixtures in NVD's JSON: firmware
//! on a hardware platform (AND of nodes), OR of nodes, AND inside a node,
//! negation, version bounds at their edges, the explanation, the index
//! keys, and the JSON field names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;

fn config(value: serde_json::Value) -> Configuration {
    serde_json::from_value(value).unwrap()
}

fn inventory(names: &[&str]) -> Vec<Cpe> {
    names.iter().map(|n| Cpe::parse(n).unwrap()).collect()
}

/// Evaluates `config` on `names` and checks which inventory names the
/// vulnerable and platform hits point at (`None`: no match).
fn check(config: &Configuration, names: &[&str], expect: Option<(&[usize], &[usize])>) {
    let got = config.evaluate(&inventory(names));
    let targets = |hits: &[CriterionHit]| hits.iter().map(|h| h.target).collect::<Vec<_>>();
    let got = got
        .as_ref()
        .map(|m| (targets(&m.vulnerable), targets(&m.platform)));
    let expect = expect.map(|(v, p)| (v.to_vec(), p.to_vec()));
    assert_eq!(got, expect, "{names:?}");
}

/// Firmware `>= 2.0, < 2.4.1` (or exactly 3.0) vulnerable when running on
/// the pump hardware: NVD's usual shape for medical devices.
fn firmware_on_hardware() -> Configuration {
    config(json!({
        "operator": "AND",
        "nodes": [
            {
                "operator": "OR",
                "negate": false,
                "cpeMatch": [
                    {
                        "vulnerable": true,
                        "criteria": "cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*",
                        "versionStartIncluding": "2.0",
                        "versionEndExcluding": "2.4.1",
                        "matchCriteriaId": "A"
                    },
                    {
                        "vulnerable": true,
                        "criteria": "cpe:2.3:o:acme:pump_firmware:3.0:*:*:*:*:*:*:*",
                        "matchCriteriaId": "B"
                    }
                ]
            },
            {
                "operator": "OR",
                "negate": false,
                "cpeMatch": [
                    {
                        "vulnerable": false,
                        "criteria": "cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*",
                        "matchCriteriaId": "C"
                    }
                ]
            }
        ]
    }))
}

const HARDWARE: &str = "cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*";

fn firmware(version: &str) -> String {
    format!("cpe:2.3:o:acme:pump_firmware:{version}:*:*:*:*:*:*:*")
}

#[test]
fn firmware_needs_its_platform() {
    let c = firmware_on_hardware();
    let fw = firmware("2.3");
    check(&c, &[&fw, HARDWARE], Some((&[0], &[1])));
    check(&c, &[HARDWARE, &fw], Some((&[1], &[0])));
    // Only the firmware, or only the hardware: not vulnerable.
    check(&c, &[&fw], None);
    check(&c, &[HARDWARE], None);
    // Other components around do not change that.
    let other = "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*";
    check(&c, &[other, &fw], None);
    check(&c, &[other, &fw, HARDWARE], Some((&[1], &[2])));
    check(&c, &[], None);
}

#[test]
fn explanation_names_nodes_entries_bounds_and_targets() {
    let c = firmware_on_hardware();
    let names = inventory(&[HARDWARE, &firmware("2.0"), &firmware("3.0")]);
    let m = c.evaluate(&names).unwrap();
    assert_eq!(m.configuration, 0);
    // Within a CVE's list, the match names its configuration.
    let other = config(
        json!({"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [
            {"vulnerable": true, "criteria": "cpe:2.3:a:acme:viewer:*:*:*:*:*:*:*:*"}
        ]}]}),
    );
    let list = Configurations(vec![other, c.clone()]);
    assert_eq!(
        list.evaluate(&names),
        [ConfigMatch {
            configuration: 1,
            ..m.clone()
        }]
    );
    assert_eq!(
        m.vulnerable,
        [
            CriterionHit {
                node: 0,
                entry: 0,
                criteria: "cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*".into(),
                match_criteria_id: Some("A".into()),
                bounds: ">= 2.0, < 2.4.1".into(),
                target: 1,
            },
            CriterionHit {
                node: 0,
                entry: 1,
                criteria: "cpe:2.3:o:acme:pump_firmware:3.0:*:*:*:*:*:*:*".into(),
                match_criteria_id: Some("B".into()),
                bounds: String::new(),
                target: 2,
            },
        ]
    );
    assert_eq!(
        m.platform,
        [CriterionHit {
            node: 1,
            entry: 0,
            criteria: HARDWARE.into(),
            match_criteria_id: Some("C".into()),
            bounds: String::new(),
            target: 0,
        }]
    );
    // The explanation serialises for the API.
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["vulnerable"][0]["bounds"], ">= 2.0, < 2.4.1");
}

#[test]
fn bounds_at_their_edges() {
    let c = firmware_on_hardware();
    for (version, vulnerable) in [
        ("1.9.9", false),
        ("2.0", true), // versionStartIncluding
        ("2.0.0", true),
        ("2.4", true),
        ("2.4.0.9", true),
        ("2.4.1", false), // versionEndExcluding
        ("2.4.1.0", false),
        ("3.0", true),    // the exact version of the second entry
        ("3.0.0", false), // a concrete criterion compares as a string
        ("V2.1", true),
    ] {
        let fw = firmware(version);
        let got = c.evaluate(&inventory(&[&fw, HARDWARE])).is_some();
        assert_eq!(got, vulnerable, "firmware {version}");
    }
    // Start excluding and end including.
    let c = config(
        json!({"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{
            "vulnerable": true,
            "criteria": "cpe:2.3:a:acme:viewer:*:*:*:*:*:*:*:*",
            "versionStartExcluding": "1.0",
            "versionEndIncluding": "1.5"
        }]}]}),
    );
    for (version, vulnerable) in [
        ("1.0", false),
        ("1.0.0", false),
        ("1.0.1", true),
        ("1.0a", true),
        ("1.5", true),
        ("1.5.0", true),
        ("1.5.1", false),
        ("1.5-rc1", true),
    ] {
        let name = format!("cpe:2.3:a:acme:viewer:{version}:*:*:*:*:*:*:*");
        let got = c.evaluate(&inventory(&[&name])).is_some();
        assert_eq!(got, vulnerable, "viewer {version}");
    }
    assert_eq!(c.nodes[0].cpe_match[0].bounds(), "> 1.0, <= 1.5");
    // A target whose version is unknown, NA or a pattern is never in range.
    for version in ["*", "-", "1.*"] {
        let name = format!("cpe:2.3:a:acme:viewer:{version}:*:*:*:*:*:*:*");
        assert!(c.evaluate(&inventory(&[&name])).is_none(), "{version}");
    }
}

#[test]
fn or_of_nodes_reports_the_satisfied_ones() {
    let c = config(json!({
        "operator": "OR",
        "nodes": [
            {"operator": "OR", "negate": false, "cpeMatch": [
                {"vulnerable": true, "criteria": "cpe:2.3:a:acme:server:*:*:*:*:*:*:*:*", "versionEndExcluding": "5"}
            ]},
            {"operator": "OR", "negate": false, "cpeMatch": [
                {"vulnerable": true, "criteria": "cpe:2.3:a:acme:client:*:*:*:*:*:*:*:*", "versionEndExcluding": "3"}
            ]}
        ]
    }));
    let server = "cpe:2.3:a:acme:server:4.9:*:*:*:*:*:*:*";
    let client = "cpe:2.3:a:acme:client:2:*:*:*:*:*:*:*";
    let new_client = "cpe:2.3:a:acme:client:3:*:*:*:*:*:*:*";
    check(&c, &[server], Some((&[0], &[])));
    check(&c, &[new_client, client], Some((&[1], &[])));
    check(&c, &[server, new_client], Some((&[0], &[])));
    check(&c, &[server, client], Some((&[0, 1], &[])));
    check(&c, &[new_client], None);
    let m = c.evaluate(&inventory(&[client, server])).unwrap();
    assert_eq!(
        m.vulnerable.iter().map(|h| h.node).collect::<Vec<_>>(),
        [0, 1]
    );
}

#[test]
fn and_inside_a_node_needs_every_entry() {
    let c = config(
        json!({"nodes": [{"operator": "AND", "negate": false, "cpeMatch": [
            {"vulnerable": true, "criteria": "cpe:2.3:a:acme:agent:1.0:*:*:*:*:*:*:*"},
            {"vulnerable": false, "criteria": "cpe:2.3:o:microsoft:windows_8.1:*:*:*:*:*:*:*:*"}
        ]}]}),
    );
    let agent = "cpe:2.3:a:acme:agent:1.0:*:*:*:*:*:*:*";
    let windows = "cpe:2.3:o:microsoft:windows_8.1:-:*:*:*:*:*:*:*";
    check(&c, &[agent, windows], Some((&[0], &[1])));
    check(&c, &[agent], None);
    check(&c, &[windows], None);
}

#[test]
fn negate_inverts_a_node_or_a_configuration() {
    // Vulnerable firmware unless the hotfix module is installed.
    let c = config(json!({
        "operator": "AND",
        "nodes": [
            {"operator": "OR", "negate": false, "cpeMatch": [
                {"vulnerable": true, "criteria": "cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*", "versionEndIncluding": "4"}
            ]},
            {"operator": "OR", "negate": true, "cpeMatch": [
                {"vulnerable": false, "criteria": "cpe:2.3:a:acme:hotfix_42:*:*:*:*:*:*:*:*"}
            ]}
        ]
    }));
    let fw = firmware("4");
    let hotfix = "cpe:2.3:a:acme:hotfix_42:1:*:*:*:*:*:*:*";
    // The negated node is satisfied by the hotfix's absence; its entries
    // are not evidence, so there is no platform hit.
    check(&c, &[&fw], Some((&[0], &[])));
    check(&c, &[&fw, hotfix], None);
    assert!(c.is_satisfied(&inventory(&[&fw])));
    assert!(!c.is_satisfied(&inventory(&[&fw, hotfix])));

    // A negated configuration is satisfied when its nodes are not, but
    // then no vulnerable component is named, so it does not match.
    let mut negated = firmware_on_hardware();
    negated.negate = Some(true);
    let fw = firmware("2.3");
    assert!(!negated.is_satisfied(&inventory(&[&fw, HARDWARE])));
    assert!(negated.is_satisfied(&inventory(&[&fw])));
    assert!(negated.is_satisfied(&inventory(&[])));
    check(&negated, &[&fw], None);
    check(&negated, &[&fw, HARDWARE], None);
    assert_eq!(negated.keys().count(), 0);
}

#[test]
fn keys_index_the_vulnerable_entries() {
    let c = firmware_on_hardware();
    let keys: Vec<_> = c.keys().collect();
    assert_eq!(
        keys,
        [
            ('o', "acme", "pump_firmware"),
            ('o', "acme", "pump_firmware")
        ]
    );
    // An index from (vendor, product) finds the configuration through any
    // inventory name that can make it match.
    let mut index = std::collections::HashMap::<(&str, &str), Vec<usize>>::new();
    let all = Configurations(vec![c.clone(), firmware_on_hardware()]);
    for (i, config) in all.iter().enumerate() {
        for (_, vendor, product) in config.keys() {
            let list = index.entry((vendor, product)).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let fw = Cpe::parse(&firmware("2.3")).unwrap();
    let (_, vendor, product) = fw.key();
    assert_eq!(index.get(&(vendor, product)), Some(&vec![0, 1]));
    let matches = all.evaluate(&[fw, Cpe::parse(HARDWARE).unwrap()]);
    assert_eq!(
        matches.iter().map(|m| m.configuration).collect::<Vec<_>>(),
        [0, 1]
    );
}

#[test]
fn json_keeps_nvd_field_names() {
    let value = json!([{
        "operator": "AND",
        "nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{
            "vulnerable": true,
            "criteria": "cpe:2.3:o:bd:viper_lt_system_firmware:*:*:*:*:*:*:*:*",
            "versionStartIncluding": "2.0",
            "versionEndExcluding": "4.80",
            "matchCriteriaId": "C61284F9-2506-4435-9A64-98B289BB1C14"
        }]}, {"operator": "OR", "negate": false, "cpeMatch": [{
            "vulnerable": false,
            "criteria": "cpe:2.3:h:bd:viper_lt_system:-:*:*:*:*:*:*:*",
            "matchCriteriaId": "B4262FD3-7CF6-4A4E-8BE8-A9650C32499C"
        }]}]
    }, {
        "nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{
            "vulnerable": true,
            "criteria": "cpe:2.3:a:contec_health:cms8000\\@_firmware:*:*:*:*:*:*:*:*",
            "versionStartExcluding": "1",
            "versionEndIncluding": "2",
            "matchCriteriaId": "X"
        }]}]
    }]);
    let configs: Configurations = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&configs).unwrap(), value);
    let entry = &configs.0[1].nodes[0].cpe_match[0];
    assert_eq!(
        entry.criteria().key(),
        ('a', "contec_health", "cms8000@_firmware")
    );
    assert_eq!(
        entry.criteria_text(),
        "cpe:2.3:a:contec_health:cms8000\\@_firmware:*:*:*:*:*:*:*:*"
    );
    assert_eq!(
        entry.start().map(|b| (b.version.as_str(), b.inclusive)),
        Some(("1", false))
    );
    assert_eq!(configs.0[1].operator(), Operator::Or);
}

#[test]
fn invalid_entries_say_why() {
    let bad = |m: serde_json::Value| {
        let value = json!({"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [m]}]});
        serde_json::from_value::<Configuration>(value)
            .unwrap_err()
            .to_string()
    };
    let e = bad(json!({"vulnerable": true, "criteria": "cpe:2.3:a:v:p:1 0:*:*:*:*:*:*:*"}));
    assert!(
        e.contains("component 5 (version): contains white space"),
        "{e}"
    );
    let e = bad(json!({
        "vulnerable": true,
        "criteria": "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*",
        "versionEndIncluding": "2",
        "versionEndExcluding": "3"
    }));
    assert!(
        e.contains("has both versionEndIncluding and versionEndExcluding"),
        "{e}"
    );
    let e = bad(json!({
        "vulnerable": true,
        "criteria": "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*",
        "versionStartIncluding": " "
    }));
    assert!(e.contains("versionStartIncluding is empty"), "{e}");
    let e = bad(json!({"vulnerable": true}));
    assert!(e.contains("missing field `criteria`"), "{e}");
}
