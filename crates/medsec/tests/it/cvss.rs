//! `medsec cvss` with the real binary: one line or JSON object per valid
//! vector, invalid ones named with their metric on standard error and
//! exit status 1, vectors from standard input with `-`.

use std::io::Write;
use std::process::Stdio;

use crate::{medsec, run, text};

const V31: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L/MAC:X";
const V40: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P";
const V2: &str = "AV:N/AC:L/Au:N/C:P/I:P/A:P";

#[test]
fn cvss_prints_one_line_per_vector() {
    let out = run(&["cvss", V31, V40, V2]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "3.1  base 9.8 critical  temporal 8.8 high  environmental 7.6 high  \
         CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L\n\
         4.0  base 9.3 critical  threat 8.9 high  \
         CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P\n\
         2.0  base 7.5 high  AV:N/AC:L/Au:N/C:P/I:P/A:P\n"
    );
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn cvss_reports_invalid_vectors_and_prints_the_others() {
    let bad = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N";
    let out = run(&[
        "cvss",
        V2,
        bad,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "2.0  base 7.5 high  AV:N/AC:L/Au:N/C:P/I:P/A:P\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("error: {bad}: missing mandatory metric: SA")),
        "{err}"
    );
    assert!(
        err.contains("`Q` is not a value of A (one of H, L, N) (at byte 41)"),
        "{err}"
    );
}

#[test]
fn cvss_json_and_standard_input() {
    let mut child = medsec()
        .args(["cvss", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{V31}\n\n  {V40}  \nAV:N/AC:L/Au:N/C:P/I:P/A:P/AV:L\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let objects: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        objects,
        [
            serde_json::json!({
                "vector": V31,
                "version": "3.1",
                "normalized": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L",
                "base": {"score": 9.8, "severity": "critical"},
                "temporal": {"score": 8.8, "severity": "high"},
                "environmental": {"score": 7.6, "severity": "high"},
            }),
            serde_json::json!({
                "vector": V40,
                "version": "4.0",
                "normalized": V40,
                "base": {"score": 9.3, "severity": "critical"},
                "threat": {"score": 8.9, "severity": "high"},
                "nomenclature": "CVSS-BT",
            }),
        ]
    );
    assert!(
        text(&out.stderr).contains("AV is given more than once (at byte 27)"),
        "{}",
        text(&out.stderr)
    );
}
