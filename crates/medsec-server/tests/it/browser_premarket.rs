//! The premarket documents in a real Chromium, the way a manufacturer
//! prepares a submission: from the ECG gateway's profile to its threat
//! model with the data-flow diagram, a risk edited in its form and
//! assessed with the rubric questionnaire, a fuzzing campaign's SARIF
//! file uploaded through the file input, an anomaly justified, the
//! traceability page's gaps closing as the work is done, and the MFDS
//! submission package that lists exactly those gaps and verifies. Then
//! the CVSS calculator, by vector and by its per-metric builder.
//!
//! Runs on the harness of `browser.rs`: the real server over TLS on
//! loopback, one browser session, a screenshot on failure, skipped
//! without Chromium unless `MEDSEC_REQUIRE_BROWSER=1`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use medsec_assure::risk::{ExploitabilityLevel, HarmSeverity};
use medsec_assure::rubric::Answers;
use medsec_assure::threat::Stride;
use medsec_server::service;
use medsec_store::testing::TestDb;

use crate::ADMIN_PASSWORD;
use crate::browser::{Failure, OrFail, Outcome, Web, fail, ko, run};
use crate::browser_assure::{choose, current_id, download, ko_args, login, menu};

const MAKER: &str = "maker.han";
const MAKER_NAME: &str = "한제조";
const MAKER_PASSWORD: &str = "Quartz-Trace-1234";
const RISK: &str = "R-TM-gateway-S";
const SARIF_FILE: &str = "fuzz-login-parser.sarif";
const ACCEPTED_BY: &str = "이품질 (위험관리 책임자)";
const ACCEPTANCE: &str = "추가 통제는 실행 불가능하며 이익이 잔여위험보다 큼";
const JUSTIFICATION: &str = "인증 전에는 길이 제한(512 B)으로 도달 불가, 다음 릴리스에서 수정";
/// How long the package may take to build and download.
const PACKAGE_WAIT: Duration = Duration::from_secs(240);

fn assure_file(path: &str) -> Result<Vec<u8>, Failure> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-assure")
        .join(path);
    std::fs::read(&path).map_err(|e| fail(format!("{}: {e}", path.display())))
}

/// The gap kinds the traceability page lists, with their count, and the
/// count its summary line states.
async fn trace_gaps(w: &Web, device: &str) -> Result<(BTreeMap<String, usize>, usize), Failure> {
    w.click(&format!("nav.tabs a[href='/devices/{device}/trace']"))
        .await?;
    assert_eq!(w.h1().await?, ko("premarket-trace-title"));
    let kinds = w
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#gaps tr.gap td:first-child'))\
             .map((td) => td.textContent.trim());",
            vec![],
        )
        .await?;
    let mut out = BTreeMap::new();
    for k in kinds
        .as_array()
        .ok_or_else(|| fail("gap kinds: not an array"))?
    {
        let k = k.as_str().ok_or_else(|| fail("gap kind: not a string"))?;
        *out.entry(k.to_owned()).or_default() += 1;
    }
    let total: usize = out.values().sum();
    let summary = w.text("main h1 ~ p").await?;
    let stated = ko_args("premarket-trace-summary", &[("gaps", &total.to_string())]);
    let tail = stated
        .rsplit(" · ")
        .next()
        .ok_or_else(|| fail("the summary has a gap count"))?;
    assert!(
        summary.ends_with(tail),
        "the summary {summary:?} states {total} gaps ({tail:?})"
    );
    Ok((out, total))
}

fn count(gaps: &BTreeMap<String, usize>, kind: &str) -> usize {
    gaps.get(&ko(&format!("premarket-gap-{kind}")))
        .copied()
        .unwrap_or(0)
}

/// The rubric's result for the last choice of every question asked,
/// and how many questions that is.
fn last_choices() -> Result<(medsec_assure::rubric::Assessment, usize), Failure> {
    let mut a = Answers::default();
    let mut asked = 0;
    while let Some(q) = a.next() {
        let last = q
            .choices
            .last()
            .ok_or_else(|| fail(format!("{} has no choices", q.key)))?;
        a = a.with(q.key, last.id);
        asked += 1;
    }
    Ok((a.assess().or_fail("assess the rubric answers")?, asked))
}

pub async fn browser_premarket_documents(db: TestDb) {
    run("browser_premarket_documents", db, |w| async move {
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        let input = service::NewOrgInput {
            name: "메드시큐".into(),
            kind: "manufacturer".into(),
            admin_username: Some(MAKER.into()),
            admin_display_name: Some(MAKER_NAME.into()),
        };
        let (_, invited) = service::create_org(&s.state, &root, &input)
            .await
            .or_fail("create the manufacturer")?;
        let (_, token) = invited.ok_or_else(|| fail("the manufacturer's admin invited"))?;
        service::activate(&s.state, &token, MAKER_PASSWORD, MAKER_PASSWORD, "test")
            .await
            .or_fail("activate the manufacturer's admin")?;

        // 1. The device from its profile, and its checklist on MFDS 2019,
        //    whose test methods make the test cases.
        login(&w, MAKER, MAKER_PASSWORD).await?;
        menu(&w, "/devices", "nav-devices").await?;
        choose(&w, "#f-format", "TOML").await?;
        let profile = String::from_utf8(assure_file("fixtures/devices/ecg-gateway.toml")?)
            .or_fail("the profile is UTF-8")?;
        paste(&w, "#f-profile", &profile).await?;
        w.click("form[action='/devices'] button[type=submit]")
            .await?;
        let device = current_id(&w, "/devices/").await?;
        let device_page = format!("/devices/{device}");
        w.find("#f-catalog")
            .await?
            .select_by_value("mfds-2019")
            .await?;
        w.click(&format!(
            "form[action='{device_page}/checklists'] button[type=submit]"
        ))
        .await?;
        current_id(&w, "/checklists/").await?;
        w.goto(&device_page).await?;

        // 2. The threat model, from the device page's documents: the
        //    STRIDE threats and the diagram, drawn and shown.
        let docs = w.text("main").await?;
        assert!(docs.contains(&ko("premarket-documents")), "{docs}");
        let link = w
            .find(&format!("main a[href='{device_page}/threat-model']"))
            .await?;
        assert_eq!(link.text().await?.trim(), ko("premarket-tab-threat"));
        w.navigating(link.click()).await?;
        assert_eq!(w.path().await?, format!("{device_page}/threat-model"));
        assert_eq!(w.h1().await?, ko("premarket-threat-title"));
        assert_eq!(w.text("main p").await?, "유헬스케어 게이트웨이 UHG-100 1.0.0");
        let stride = w
            .client
            .execute(
                "return Array.from(document.querySelectorAll('tr[id^=\"threat-\"] td:nth-child(3)'))\
                 .map((td) => td.textContent.trim());",
                vec![],
            )
            .await?;
        let stride: Vec<&str> = stride
            .as_array()
            .ok_or_else(|| fail("STRIDE cells"))?
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for c in Stride::ALL {
            let shown = format!("{} {}", c.letter(), c.ko());
            assert!(stride.contains(&shown.as_str()), "{shown}: {stride:?}");
        }
        let spoofing = w.text("tr[id='threat-TM-gateway-S']").await?;
        assert!(spoofing.contains("S 위장"), "{spoofing}");
        let img = w.find("img.diagram").await?;
        assert_eq!(
            img.attr("alt").await?.as_deref(),
            Some(ko("premarket-threat-diagram-alt").as_str())
        );
        // The browser fetched and decoded the SVG.
        let decoded = w
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 const img = document.querySelector('img.diagram');\
                 img.decode().then(() => done(img.naturalWidth), (e) => done(String(e)));",
                vec![],
            )
            .await?;
        assert!(
            decoded.as_u64().is_some_and(|n| n > 0),
            "the diagram did not render: {decoded}"
        );

        // 3. The trace of the first draft.
        let (first, first_total) = trace_gaps(&w, &device).await?;
        let residual_before = count(&first, "residual-risk-not-reviewed");
        assert!(residual_before > 0, "{first:?}");
        assert_eq!(count(&first, "anomaly-without-justification"), 0);

        // 4. One risk edited in its form: harm, a control, the residual
        //    risk and its acceptance.
        w.click(&format!("nav.tabs a[href='{device_page}/risks']"))
            .await?;
        assert_eq!(w.h1().await?, ko("premarket-risks-title"));
        let row = format!("tr[id='risk-{RISK}']");
        let edit = format!("{row} + tr details");
        let summary = w.find(&format!("{edit} > summary")).await?;
        assert!(
            summary.text().await?.starts_with(&ko("premarket-risks-edit")),
            "the edit summary"
        );
        summary.click().await?;
        let anchor = format!("risk-{RISK}");
        w.find(&format!("#h-{anchor}"))
            .await?
            .select_by_value("serious")
            .await?;
        type_into(&w, &format!("#hr-{anchor}"), "잘못된 심전도 전송으로 진단 지연").await?;
        w.find(&format!("{edit} select[name='control:C-user-auth']"))
            .await?
            .select_by_value("implemented")
            .await?;
        w.find(&format!("#re-{anchor}"))
            .await?
            .select_by_value("low")
            .await?;
        type_into(&w, &format!("#rr-{anchor}"), "게이트웨이 관리 화면은 인증 뒤에 있음").await?;
        w.find(&format!("{edit} input[name=accept]"))
            .await?
            .click()
            .await?;
        let by = w.find(&format!("#ab-{anchor}")).await?;
        assert_eq!(by.prop("value").await?.as_deref(), Some(MAKER_NAME));
        let on = w.find(&format!("#ao-{anchor}")).await?;
        let today = on.prop("value").await?.unwrap_or_default();
        assert_eq!(today.len(), 10, "today's date is filled in: {today:?}");
        type_into(&w, &format!("#ab-{anchor}"), ACCEPTED_BY).await?;
        type_into(&w, &format!("#ar-{anchor}"), ACCEPTANCE).await?;
        w.click(&format!("{edit} form button[type=submit]")).await?;
        assert_eq!(w.path().await?, format!("{device_page}/risks"));
        assert!(!w.has(".notice-error").await?, "saved without errors");
        let saved = w.text(&row).await?;
        for part in [
            HarmSeverity::Serious.ko(),
            ExploitabilityLevel::Low.ko(),
            ACCEPTED_BY,
            ACCEPTANCE,
            today.as_str(),
        ] {
            assert!(saved.contains(part), "the risk lacks {part:?}: {saved}");
        }
        assert!(
            !saved.contains(&ko("premarket-risks-needs-acceptance")),
            "{saved}"
        );

        // 5. The rubric questionnaire for the same risk, walked by
        //    clicking the last answer of each question, then applied.
        let rubric = w.find(&format!("{row} a[href^='/tools/rubric']")).await?;
        assert_eq!(rubric.text().await?.trim(), ko("premarket-risks-rubric"));
        w.navigating(rubric.click()).await?;
        assert!(w.path().await?.starts_with("/tools/rubric?"));
        assert_eq!(w.h1().await?, ko("tools-rubric-title"));
        let (expected, questions) = last_choices()?;
        let next = "#rubric-form button[name=action][value=answer]";
        assert_eq!(w.text(next).await?, ko("tools-rubric-next"));
        for _ in 0..questions {
            w.find("#rubric-form label.choice:last-of-type input[name=choice]")
                .await?
                .click()
                .await?;
            w.click(next).await?;
        }
        assert!(
            w.has("#rubric-result").await?,
            "the questionnaire ends after its {questions} questions"
        );
        assert_eq!(w.text("#rubric-vector").await?, expected.vector);
        let score = format!("{:.1}", expected.base_score);
        assert!(
            w.text("#rubric-score").await?.starts_with(&score),
            "{}",
            w.text("#rubric-score").await?
        );
        // The last answers make a high score (the calculator's 높음), so
        // that the score shown is not a default.
        assert_eq!(w.text("#rubric-severity").await?, "높음");
        let apply = w.find("#rubric-save button[type=submit]").await?;
        assert_eq!(apply.text().await?.trim(), ko("tools-rubric-save"));
        w.navigating(apply.click()).await?;
        assert_eq!(w.path().await?, format!("{device_page}/risks"));
        let assessed = w.text(&format!("{row} td:nth-child(2)")).await?;
        let basis = format!(
            "{} · {} ({score})",
            ko("premarket-source-rubric"),
            expected.vector
        );
        assert!(assessed.contains(&basis), "{basis:?} in {assessed:?}");
        let rubrics = w
            .client
            .find(fantoccini::Locator::XPath(&format!(
                "//main//section[h2[normalize-space()='{}']]//tbody",
                ko("premarket-risks-rubrics")
            )))
            .await?
            .text()
            .await?;
        assert!(
            rubrics.contains(RISK) && rubrics.contains(&expected.vector),
            "the rubric record: {rubrics}"
        );

        let (second, second_total) = trace_gaps(&w, &device).await?;
        assert!(
            count(&second, "residual-risk-not-reviewed") < residual_before,
            "the accepted risk left the residual gaps: {second:?}"
        );
        assert!(second_total < first_total, "{first:?} → {second:?}");

        // 6. The fuzzing campaign's SARIF file, uploaded through the file
        //    input for test case 1.1.
        w.click(&format!("nav.tabs a[href='{device_page}/tests']"))
            .await?;
        assert_eq!(w.h1().await?, ko("premarket-tests-title"));
        let sarif = assure_file("tests/sarif/valid/medsec-sample-fuzz-login-parser.sarif")?;
        let dir = tempfile::tempdir().or_fail("temporary directory")?;
        let file = dir.path().join(SARIF_FILE);
        std::fs::write(&file, &sarif).or_fail("write the SARIF file")?;
        w.find("#f-test")
            .await?
            .select_by_value("TC-mfds-2019-1.1")
            .await?;
        w.find("#f-sarif")
            .await?
            .send_keys(&file.display().to_string())
            .await?;
        w.click(&format!(
            "form[action='{device_page}/scans'] button[type=submit]"
        ))
        .await?;
        assert_eq!(w.path().await?, format!("{device_page}/tests"));
        assert!(!w.has(".notice-error").await?, "uploaded without errors");
        let listed = w.text("#scans h3").await?;
        assert!(
            listed.contains(SARIF_FILE) && listed.contains("TC-mfds-2019-1.1"),
            "{listed}"
        );
        let scans = w.text("#scans").await?;
        let counts = ko_args(
            "premarket-scan-counts",
            &[("findings", "2"), ("open", "2")],
        );
        assert!(scans.contains(&counts), "{counts:?} in {scans}");
        assert_eq!(
            w.text("tr[id='test-TC-mfds-2019-1-1'] td:last-child")
                .await?,
            "1",
            "the test case counts its SARIF file"
        );

        let (third, _) = trace_gaps(&w, &device).await?;
        assert_eq!(count(&third, "anomaly-without-justification"), 2, "{third:?}");
        assert_eq!(count(&third, "evidence-missing"), 0, "{third:?}");

        // 7. One of the two anomalies justified in its own form.
        w.click(&format!("nav.tabs a[href='{device_page}/tests']"))
            .await?;
        let anomaly = "#anomalies > div[id^='anomaly-']";
        let open = w
            .client
            .find_all(fantoccini::Locator::Css(&format!(
                "{anomaly} details[open]"
            )))
            .await?;
        assert_eq!(open.len(), 2, "both anomalies wait for a justification");
        let first_anomaly = w.find(anomaly).await?;
        let anomaly_id = first_anomaly
            .attr("id")
            .await?
            .ok_or_else(|| fail("the anomaly's id"))?;
        let form = format!("div[id='{anomaly_id}'] form");
        type_into(
            &w,
            &format!("{form} textarea[name=why_acceptable]"),
            JUSTIFICATION,
        )
        .await?;
        type_into(
            &w,
            &format!("{form} input[name=compensating_controls]"),
            "C-user-auth",
        )
        .await?;
        w.click(&format!("{form} button[type=submit]")).await?;
        assert_eq!(w.path().await?, format!("{device_page}/tests"));
        assert!(!w.has(".notice-error").await?, "justified without errors");
        let justified = w.text(&format!("div[id='{anomaly_id}']")).await?;
        assert!(
            justified.contains(&format!("{}: {JUSTIFICATION}", ko("premarket-justification")))
                && justified.contains("C-user-auth"),
            "{justified}"
        );
        assert!(
            !w.has(&format!("div[id='{anomaly_id}'] details[open]"))
                .await?,
            "the justified anomaly's form is closed"
        );

        let (fourth, fourth_total) = trace_gaps(&w, &device).await?;
        assert_eq!(count(&fourth, "anomaly-without-justification"), 1, "{fourth:?}");
        let third_total: usize = third.values().sum();
        assert_eq!(fourth_total, third_total - 1, "{third:?} → {fourth:?}");

        // 8. The MFDS package the link offers: it verifies, holds the SARIF
        //    file and lists the gaps the page shows.
        let link = w.find("#package a[href$='/package/mfds']").await?;
        assert_eq!(link.text().await?.trim(), ko("premarket-package-mfds"));
        // An unoptimised build of the package takes most of a minute
        // (Typst), longer than WebDriver's default script timeout.
        w.client
            .update_timeouts(TimeoutConfiguration::new(Some(PACKAGE_WAIT), None, None))
            .await?;
        let zip = download(&w, "#package a[href$='/package/mfds']").await?;
        assert_eq!(zip.status, 200);
        assert!(
            zip.disposition.starts_with("attachment"),
            "{}",
            zip.disposition
        );
        assert!(zip.bytes.starts_with(b"PK\x03\x04"), "not a ZIP");
        let v = medsec_package::verify(&zip.bytes);
        assert!(v.is_clean(), "{:?}", v.problems);
        let manifest = v.manifest.ok_or_else(|| fail("the package's manifest"))?;
        assert_eq!(manifest.gaps, fourth_total, "{:?}", manifest.gaps_by_kind);
        assert_eq!(
            manifest.gaps_by_kind.get("anomaly-without-justification"),
            Some(&1)
        );
        let sha = medsec_assure::evidence::sha256_hex(&sarif);
        assert!(
            manifest.files.iter().any(|f| f.sha256 == sha),
            "the SARIF file is in the package"
        );
        Ok(())
    })
    .await;
}

/// Pastes `text` into the field matching `css`, as one input event (a
/// paste), instead of typing it key by key, which takes seconds for a
/// profile (the paste-as-typing path is `browser_assure`'s).
async fn paste(w: &Web, css: &str, text: &str) -> Outcome {
    w.find(css).await?;
    w.client
        .execute(
            "const e = document.querySelector(arguments[0]);\
             e.value = arguments[1];\
             e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![css.into(), text.into()],
        )
        .await?;
    let got = w.find(css).await?.prop("value").await?.unwrap_or_default();
    if got != text {
        return Err(fail(format!(
            "`{css}`: pasted {} bytes, holds {}",
            text.len(),
            got.len()
        )));
    }
    Ok(())
}

/// Types `value` into the field matching `css` after clearing it.
async fn type_into(w: &Web, css: &str, value: &str) -> Outcome {
    let e = w.find(css).await?;
    e.clear().await?;
    e.send_keys(value).await?;
    let got = e.prop("value").await?.unwrap_or_default();
    if got != value {
        return Err(fail(format!("`{css}`: typed {value:?}, holds {got:?}")));
    }
    Ok(())
}

/// The base score and severity the calculator shows.
async fn base_score(w: &Web) -> Result<(String, String), Failure> {
    Ok((
        w.text("#cvss-scores tbody tr:first-child td.score").await?,
        w.text("#cvss-scores tbody tr:first-child .badge").await?,
    ))
}

pub async fn browser_premarket_cvss_calculator(db: TestDb) {
    run("browser_premarket_cvss_calculator", db, |w| async move {
        w.server.setup().await;
        login(&w, "root", ADMIN_PASSWORD).await?;
        menu(&w, "/tools/cvss", "nav-tools").await?;
        assert_eq!(w.h1().await?, ko("tools-cvss-title"));
        assert!(!w.has("#cvss-result").await?, "nothing computed yet");

        // A vector typed and submitted.
        let critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        w.fill("vector", critical).await?;
        let compute = w.find("#cvss-vector-form button[type=submit]").await?;
        assert_eq!(compute.text().await?.trim(), ko("tools-cvss-compute"));
        w.navigating(compute.click()).await?;
        assert!(w.path().await?.starts_with("/tools/cvss?vector="));
        assert_eq!(w.text("#cvss-version").await?, "CVSS v3.1");
        assert_eq!(w.text("#cvss-normalized").await?, critical);
        // FIRST's calculator: 9.8, critical (치명적).
        assert_eq!(base_score(&w).await?, ("9.8".into(), "치명적".into()));

        // The builder holds the vector's values; three changed make
        // another vector.
        assert_eq!(
            w.find("#m-AV").await?.prop("value").await?.as_deref(),
            Some("N")
        );
        for (metric, value) in [("C", "N"), ("I", "N"), ("A", "L")] {
            w.find(&format!("#m-{metric}"))
                .await?
                .select_by_value(value)
                .await?;
        }
        w.click("#cvss-builder-form button[type=submit]").await?;
        assert!(w.path().await?.starts_with("/tools/cvss?version=3.1&m."));
        let built = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L";
        assert_eq!(w.text("#cvss-normalized").await?, built);
        assert_eq!(w.value("vector").await?, built);
        assert_eq!(base_score(&w).await?, ("5.3".into(), "중간".into()));

        // Another version's builder: CVSS 4.0 has its own metrics.
        let v4 = w
            .find("#cvss-builder nav a[href='/tools/cvss?version=4.0']")
            .await?;
        w.navigating(v4.click()).await?;
        assert!(w.has("#m-AT").await?, "4.0's Attack Requirements");
        assert!(
            w.has("#m-VC").await?,
            "4.0's Vulnerable System Confidentiality"
        );
        assert!(!w.has("#m-C").await?, "no 3.x Confidentiality in 4.0");
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        w.fill("vector", v4).await?;
        w.click("#cvss-vector-form button[type=submit]").await?;
        assert_eq!(w.text("#cvss-normalized").await?, v4);
        assert_eq!(base_score(&w).await?, ("9.3".into(), "치명적".into()));

        // A wrong value is shown where it is, nothing is computed.
        w.fill("vector", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .await?;
        w.click("#cvss-vector-form button[type=submit]").await?;
        assert!(!w.has("#cvss-result").await?, "no result for a bad vector");
        assert_eq!(
            w.find("#f-vector")
                .await?
                .attr("aria-invalid")
                .await?
                .as_deref(),
            Some("true")
        );
        assert_eq!(w.text("#cvss-error-at mark").await?, "AV:X");
        Ok(())
    })
    .await;
}

// Listed here rather than in `main.rs`, so that the module is one line
// there: `it browser_premarket` runs both tests on both backends.
medsec_store::both_backends!(
    browser_premarket_documents,
    browser_premarket_cvss_calculator,
);
