//! The tools pages: the CVSS calculator (`/tools/cvss`, its builder and
//! `GET /api/v1/cvss`) against what `medsec-cvss` computes, and the MITRE
//! rubric questionnaire (`/tools/rubric`) walked through by posting its
//! forms, against `Answers::assess`; both languages, bad and hostile input.
// The helpers slice pages only at positions `find` gave for ASCII markers,
// which are character boundaries.
#![allow(clippy::string_slice)]

use axum::http::StatusCode;
use medsec_assure::rubric::{Answers, Metric};
use medsec_cvss::{Vector, Version};
use medsec_store::testing::TestDb;

use crate::{ADMIN_PASSWORD, Res, TestApp};

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The text of an HTML attribute or element, entities decoded.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "quot" => Some('"'),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of the hidden input `name` of the form with `id`.
fn hidden(res: &Res, form: &str, name: &str) -> String {
    let at = res
        .body
        .find(&format!("id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form {form}: {}", res.body));
    let rest = &res.body[at..];
    let marker = format!("name=\"{name}\" value=\"");
    let v = rest.find(&marker).unwrap() + marker.len();
    let tail = &rest[v..];
    unescape(&tail[..tail.find('"').unwrap()])
}

/// The text between `<… id="ID">` and the next `<`.
fn text_of(res: &Res, id: &str) -> String {
    let at = res
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &res.body[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    unescape(rest[start..start + end].trim())
}

/// The scores shown, in order.
fn scores_shown(res: &Res) -> Vec<String> {
    res.body
        .split("<td class=\"score\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect()
}

fn expected_scores(v: &Vector) -> Vec<String> {
    let s = v.scores();
    [Some(s.base), s.temporal, s.threat, s.environmental]
        .into_iter()
        .flatten()
        .map(|s| s.to_string())
        .collect()
}

pub async fn tools_cvss_calculator_and_api(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let api = app.api_login("root", ADMIN_PASSWORD).await;
    // A viewer: the tools need no permission beyond a login (and an
    // administrator's web login would end the API session above).
    app.add_user(&api, "viewer1", "viewer", "Viewer-Pass-1")
        .await;
    let mut web = app.browser();
    web.login("viewer1", "Viewer-Pass-1").await;
    // Hand-picked vectors of every version with every group, and random
    // ones from the conformance test's generator.
    let mut vectors: Vec<String> = [
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:M/CR:H/IR:M/AR:L",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L/MAC:X",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P",
        "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:L/VI:H/VA:N/SC:L/SI:H/SA:H/E:A/CR:H/MSI:S/S:P/U:Red",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut g = medsec_cvss::random::Generator::new(0x6d65_6473_6563);
    for version in Version::ALL {
        for _ in 0..5 {
            vectors.push(g.vector(version));
        }
    }
    for lang in ["ko", "en"] {
        web.get(&format!("/lang/{lang}?next=/")).await;
        for vector in &vectors {
            let v = Vector::parse(vector).unwrap();
            let r = web
                .get(&format!("/tools/cvss?vector={}", enc(vector)))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{vector}: {}", r.body);
            assert!(r.body.contains(&format!("<html lang=\"{lang}\">")));
            assert_eq!(text_of(&r, "cvss-normalized"), v.to_string(), "{vector}");
            assert_eq!(
                text_of(&r, "cvss-version"),
                format!("CVSS v{}", v.version())
            );
            assert_eq!(scores_shown(&r), expected_scores(&v), "{vector}");
            if let Vector::V4(v4) = v {
                assert_eq!(text_of(&r, "cvss-nomenclature"), v4.nomenclature());
            }
            // The builder is pre-filled with the vector's values.
            for metric in v.version().metrics() {
                if let Some(value) = v.get(metric.name) {
                    let select =
                        &r.body[r.body.find(&format!("name=\"m.{}\"", metric.name)).unwrap()..];
                    let select = &select[..select.find("</select>").unwrap()];
                    assert!(
                        select.contains(&format!("<option value=\"{value}\" selected>")),
                        "{vector}: {} should be {value}",
                        metric.name
                    );
                }
            }
            // The builder's form, submitted as it is, gives the same vector.
            let mut query = format!("version={}", v.version());
            for metric in v.version().metrics() {
                let value = v.get(metric.name).unwrap_or(metric.values[0]);
                query.push_str(&format!("&m.{}={}", metric.name, enc(value)));
            }
            let b = web.get(&format!("/tools/cvss?{query}")).await;
            assert_eq!(b.status, StatusCode::OK, "{query}: {}", b.body);
            assert_eq!(text_of(&b, "cvss-normalized"), v.to_string(), "{query}");
            // The API twin: the shape of `medsec cvss --json`.
            let a = api
                .get(&format!("/api/v1/cvss?vector={}", enc(vector)))
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let j = a.json();
            assert_eq!(j["vector"], vector.as_str());
            assert_eq!(j["version"], v.version().as_str());
            assert_eq!(j["normalized"], v.to_string());
            let s = v.scores();
            assert_eq!(j["base"]["score"], s.base.value());
            assert_eq!(j["base"]["severity"], v.severity(s.base).as_str());
            for (name, score) in [
                ("temporal", s.temporal),
                ("threat", s.threat),
                ("environmental", s.environmental),
            ] {
                match score {
                    Some(x) => assert_eq!(j[name]["score"], x.value(), "{vector} {name}"),
                    None => assert!(j.get(name).is_none(), "{vector} {name}"),
                }
            }
        }
        // Metric names in both languages.
        let r = web
            .get(&format!(
                "/tools/cvss?vector={}",
                enc("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            ))
            .await;
        assert!(r.body.contains("공격 벡터") && r.body.contains("Attack Vector"));
        assert!(r.body.contains("네트워크") && r.body.contains("Network"));

        // Invalid vectors of every version: the error names the metric and
        // the byte offset, and the field is marked.
        for (vector, metric, offset) in [
            ("AV:N/AC:L/Au:N/C:P/I:P/A:X", "A", 23),
            ("AV:N/AC:L/Au:N/C:P/I:P", "A", 22),
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
                "AV",
                45,
            ),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q", "A", 41),
            (
                "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "AV",
                14,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
                "SA",
                58,
            ),
        ] {
            let e = Vector::parse(vector).unwrap_err();
            assert_eq!((e.metric(), e.offset), (Some(metric), offset), "{vector}");
            let r = web
                .get(&format!("/tools/cvss?vector={}", enc(vector)))
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{vector}");
            assert!(r.body.contains("aria-invalid=\"true\""), "{vector}");
            let shown = unescape(&r.body);
            if lang == "en" {
                assert!(shown.contains(&e.to_string()), "{vector}: {shown}");
                assert!(shown.contains(&format!("Metric at fault: {metric}")));
            } else {
                assert!(
                    shown.contains(&format!("({offset}바이트 위치)")),
                    "{vector}"
                );
                assert!(shown.contains(&format!("문제가 있는 지표: {metric}")));
            }
            assert!(!r.body.contains("id=\"cvss-result\""));
            let a = api
                .get(&format!("/api/v1/cvss?vector={}", enc(vector)))
                .await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
            let j = a.json();
            assert_eq!(j["error"]["code"], "cvss_invalid");
            assert_eq!(j["error"]["field"], "vector");
            let message = j["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("metric {metric}, at byte {offset}"))
                    && message.contains(&e.to_string()),
                "{message}"
            );
        }
        // The builder without a base metric: the missing metric is named.
        let r = web
            .get("/tools/cvss?version=3.1&m.AV=N&m.AC=L&m.PR=N&m.UI=N&m.S=U&m.C=H&m.I=H&m.A=")
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unescape(&r.body).contains(if lang == "en" {
            "missing mandatory metric: A"
        } else {
            "필수 지표가 없습니다: A"
        }));
        // A version link shows that version's builder.
        let r = web.get("/tools/cvss?version=4.0").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("name=\"m.AT\"") && r.body.contains("name=\"m.U\""));
        let r = web.get("/tools/cvss?version=2.0").await;
        assert!(r.body.contains("name=\"m.Au\"") && r.body.contains("name=\"m.CDP\""));

        // Hostile input is shown as text, never as markup.
        for hostile in [
            "<script>alert(1)</script>",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:\"><img src=x onerror=alert(1)>",
            "CVSS:3.1/AV:<b>N</b>",
        ] {
            let r = web
                .get(&format!("/tools/cvss?vector={}", enc(hostile)))
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{hostile}");
            assert!(!r.body.contains("<script>alert"), "{hostile}");
            assert!(!r.body.contains("<img src=x"), "{hostile}");
            assert!(!r.body.contains("<b>N</b>"), "{hostile}");
            assert!(r.body.contains("&#60;"), "{hostile}");
        }
    }
    // The API needs a vector.
    let a = api.get("/api/v1/cvss").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "vector");
    // And a login.
    assert_eq!(
        app.api()
            .get("/api/v1/cvss?vector=AV:N/AC:L/Au:N/C:P/I:P/A:P")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// The answers the walk gives: what an analyst of the ECG gateway would
/// say, with AV first answered wrongly and corrected.
fn target() -> Answers {
    let mut a = Answers::default()
        .with("XAVN", "no")
        .with("XAVT", "no")
        .with("XAVW", "yes")
        .with("XACL", "no")
        .with("XPRL", "yes")
        .with("XUI", "no")
        .with("XS", "no");
    for key in [
        "XCP", "XCD", "XCT", "XCW", "XCS", "XCO", "XIP", "XID", "XIT", "XIW", "XIS", "XIO", "XAP",
        "XAD", "XAT", "XAW", "XAS", "XAO",
    ] {
        a = a.with(key, "none");
    }
    a.with("XCP", "yes")
        .with("XCPM", "no")
        .with("XID", "high")
        .with("XAD", "low")
}

fn justification(m: Metric) -> String {
    format!("{} 근거: 시험 보고서 TR-{} <b>&", m.abbrev(), m.abbrev())
}

pub async fn tools_rubric_questionnaire(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let mut web = app.browser();
    web.login("root", ADMIN_PASSWORD).await;
    let target = target();
    for lang in ["ko", "en"] {
        web.get(&format!("/lang/{lang}?next=/")).await;
        let mut r = web
            .get("/tools/rubric?device=0b6f0c3e-8c2a-4f51&risk=R-TM-gateway-S")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut asked = Vec::new();
        let mut went_back = false;
        let mut changed = false;
        loop {
            if r.body.contains("id=\"rubric-result\"") {
                break;
            }
            let state: Answers =
                serde_json::from_str(&hidden(&r, "rubric-form", "answers")).unwrap();
            let Some(q) = state.next() else {
                break;
            };
            assert!(
                r.body.contains(&format!("id=\"q-{}\"", q.key)),
                "{}",
                r.body
            );
            let text = if lang == "ko" { q.text.ko } else { q.text.en };
            assert!(unescape(&r.body).contains(text), "{lang} {}", q.key);
            assert_eq!(hidden(&r, "rubric-form", "device"), "0b6f0c3e-8c2a-4f51");
            assert_eq!(hidden(&r, "rubric-form", "risk"), "R-TM-gateway-S");
            asked.push(q.key);
            let answers_json = hidden(&r, "rubric-form", "answers");
            // At AC, go back once and answer AV's last question again.
            if q.key == "XACL" && !went_back {
                went_back = true;
                r = web
                    .post(
                        "/tools/rubric",
                        &[
                            ("answers", &answers_json),
                            ("device", "0b6f0c3e-8c2a-4f51"),
                            ("risk", "R-TM-gateway-S"),
                            ("action", "back"),
                        ],
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK);
                assert!(r.body.contains("id=\"q-XAVW\""), "back to XAVW");
                continue;
            }
            // Answer without choosing: refused, the field marked.
            if q.key == "XPRL" && !changed {
                let e = web
                    .post(
                        "/tools/rubric",
                        &[
                            ("answers", &answers_json),
                            ("key", q.key),
                            ("action", "answer"),
                        ],
                    )
                    .await;
                assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
                assert!(e.body.contains("id=\"e-choice\""));
            }
            // At S, change the answer to XUI through its "change" button.
            if q.key == "XS" && !changed {
                changed = true;
                r = web
                    .post(
                        "/tools/rubric",
                        &[
                            ("answers", &answers_json),
                            ("device", "0b6f0c3e-8c2a-4f51"),
                            ("risk", "R-TM-gateway-S"),
                            ("edit", "XUI"),
                        ],
                    )
                    .await;
                assert!(r.body.contains("id=\"q-XUI\""), "asked XUI again");
                continue;
            }
            let choice = target.answers.get(q.key).unwrap();
            let j = justification(q.metric);
            r = web
                .post(
                    "/tools/rubric",
                    &[
                        ("answers", &answers_json),
                        ("device", "0b6f0c3e-8c2a-4f51"),
                        ("risk", "R-TM-gateway-S"),
                        ("key", q.key),
                        ("choice", choice),
                        ("justification", &j),
                        ("action", "answer"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}: {}", q.key, r.body);
        }
        assert!(went_back && changed);
        assert!(asked.iter().filter(|k| **k == "XAVW").count() == 2);
        // The result: the vector, score and rationale `assess` gives.
        let mut expected = target.clone();
        for m in Metric::ALL {
            expected = expected.justify(m, &justification(m));
        }
        let assessed = expected.assess().unwrap();
        assert_eq!(text_of(&r, "rubric-vector"), assessed.vector);
        assert_eq!(
            text_of(&r, "rubric-score"),
            format!("{:.1}", assessed.base_score)
        );
        let shown = unescape(&r.body);
        for m in &assessed.metrics {
            let section = &shown[shown
                .find(&format!("id=\"rationale-{}\"", m.metric.abbrev()))
                .unwrap()..];
            let section = &section[..section.find("</section>").unwrap()];
            for s in &m.steps {
                let answer = if lang == "ko" {
                    &s.answer_text.ko
                } else {
                    &s.answer_text.en
                };
                assert!(section.contains(answer.as_str()), "{}: {}", s.key, section);
            }
            assert!(section.contains(&m.justification), "{section}");
        }
        // Hostile justification text is escaped.
        assert!(!r.body.contains("<b>&"));
        let final_json = hidden(&r, "rubric-justify", "answers");
        let carried: Answers = serde_json::from_str(&final_json).unwrap();
        assert_eq!(carried.assess().unwrap(), assessed);
        // The form for the risk register's route.
        assert!(
            r.body
                .contains("action=\"/devices/0b6f0c3e-8c2a-4f51/risks/R-TM-gateway-S/rubric\"")
        );
        let saved: Answers = serde_json::from_str(&hidden(&r, "rubric-save", "answers")).unwrap();
        assert_eq!(saved, carried);
        // A justification edited on the result page.
        let edited = web
            .post(
                "/tools/rubric",
                &[
                    ("answers", &final_json),
                    ("j.S", "범위 변경 없음: 게이트웨이 밖으로 영향 없음"),
                    ("action", "justify"),
                ],
            )
            .await;
        let edited_answers: Answers =
            serde_json::from_str(&hidden(&edited, "rubric-justify", "answers")).unwrap();
        assert_eq!(
            edited_answers.justifications[&Metric::Scope],
            "범위 변경 없음: 게이트웨이 밖으로 영향 없음"
        );
        // The download is the answers' JSON.
        let d = web
            .post(
                "/tools/rubric",
                &[("answers", &final_json), ("action", "download")],
            )
            .await;
        assert_eq!(d.status, StatusCode::OK);
        assert!(
            d.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let downloaded: Answers = serde_json::from_slice(&d.bytes).unwrap();
        assert_eq!(downloaded, carried);
        // Back from the result asks the last question again.
        let b = web
            .post(
                "/tools/rubric",
                &[("answers", &final_json), ("action", "back")],
            )
            .await;
        assert!(b.body.contains("id=\"q-XAO\""), "{}", b.body);
    }
    // Loaded answers that are wrong are named; ids that are not ids refused.
    web.get("/tools/rubric").await;
    let r = web
        .post(
            "/tools/rubric",
            &[
                ("answers", r#"{"answers": {"XAVN": "maybe"}}"#),
                ("action", "load"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unescape(&r.body).contains("answers.XAVN: `maybe` is not an answer to AV Q1"),
        "{}",
        r.body
    );
    let r = web.get("/tools/rubric?device=../etc&risk=R-1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = web.get("/tools/rubric?device=abc").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without its CSRF token the form is refused.
    web.csrf = Some("forged-token-forged-token-forged-token-x".into());
    let r = web
        .post(
            "/tools/rubric",
            &[("answers", "{}"), ("action", "download")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
