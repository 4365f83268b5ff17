//! The premarket review in a real Chromium, the way a new user goes
//! through it: a manufacturer registers the ECG gateway of seed 000 by
//! pasting its profile, starts the MFDS 2019 checklist, uploads a test
//! report, fills and evidences item 1.1, exports the form (checked with
//! openpyxl and `pdftotext` when they are there), and takes it through
//! two review rounds with a regulator, who logs in from the same browser.
//!
//! Runs on the harness of `browser.rs`: the real server over TLS on
//! loopback, one browser session, a screenshot on failure, skipped
//! without Chromium unless `MEDSEC_REQUIRE_BROWSER=1`.

use std::path::Path;

use fantoccini::Locator;
use fantoccini::elements::Element;
use medsec_assure::checklist::GapKind;
use medsec_server::i18n::Lang;
use medsec_server::service;
use medsec_store::testing::TestDb;
use sha2::{Digest, Sha256};

use crate::browser::{Failure, OrFail, Outcome, WAIT, Web, fail, ko, run};

const MAKER: &str = "maker.kim";
const MAKER_PASSWORD: &str = "Quartz-Gateway-123";
const MAKER_ORG: &str = "메드시큐";
const REVIEWER: &str = "reviewer.lee";
const REVIEWER_PASSWORD: &str = "Birch-Review-1234";
const REGULATOR_ORG: &str = "식품의약품안전처";

const DOC_NUMBER: &str = "VVT-SW-001";
const REPORT_FILE: &str = "login-test-report.pdf";
const FINDING: &str = "재시험 성적서의 시험 환경을 기재하세요";
const ANSWER: &str = "시험 환경을 비고에 기재했습니다";
const NOTE: &str = "시험 환경: 게이트웨이 펌웨어 1.0.0, 병원 서버 시험계";

/// The Korean text of message `id` with its arguments.
pub(crate) fn ko_args(id: &str, args: &[(&str, &str)]) -> String {
    Lang::Ko.ta(id, args)
}

/// The ECG gateway's profile, as the manufacturer has it on disk.
fn ecg_gateway_profile() -> Result<String, Failure> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medsec-assure/fixtures/devices/ecg-gateway.toml");
    std::fs::read_to_string(&path).map_err(|e| fail(format!("{}: {e}", path.display())))
}

/// A row of a table by its `id` attribute (item ids contain dots, which
/// a CSS `#id` selector would read as classes).
fn row(id: &str) -> String {
    format!("tr[id='{id}']")
}

/// The element at `xpath`, waiting for it to appear.
async fn find_xpath(w: &Web, xpath: &str) -> Result<Element, Failure> {
    w.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
        .map_err(|e| fail(format!("no element at `{xpath}` within {WAIT:?}: {e}")))
}

/// Types `value` into the field matching `css` after clearing it, and
/// checks that all of it arrived.
async fn type_into(w: &Web, css: &str, value: &str) -> Outcome {
    let e = w.find(css).await?;
    e.clear().await?;
    e.send_keys(value).await?;
    let got = e.prop("value").await?.unwrap_or_default();
    if got != value {
        return Err(fail(format!(
            "`{css}`: typed {value:?} but it holds {got:?}"
        )));
    }
    Ok(())
}

/// Picks the option labelled `label` in the select matching `css`.
pub(crate) async fn choose(w: &Web, css: &str, label: &str) -> Outcome {
    let select = w.find(css).await?;
    select
        .select_by_label(label)
        .await
        .map_err(|e| fail(format!("`{css}` has no option {label:?}: {e}")))?;
    let picked = w
        .find(&format!("{css} option:checked"))
        .await?
        .text()
        .await?;
    if picked.trim() != label {
        return Err(fail(format!("`{css}`: chose {label:?}, shows {picked:?}")));
    }
    Ok(())
}

/// Follows the main menu entry to `path`, checking its label.
pub(crate) async fn menu(w: &Web, path: &str, label_id: &str) -> Outcome {
    let link = w.find(&format!("header nav a[href='{path}']")).await?;
    assert_eq!(link.text().await?.trim(), ko(label_id), "menu entry {path}");
    w.navigating(link.click()).await?;
    assert_eq!(w.path().await?, path);
    Ok(())
}

pub(crate) async fn logout(w: &Web) -> Outcome {
    w.click("header form[action='/logout'] button[type=submit]")
        .await?;
    assert_eq!(w.path().await?, "/login?reason=logout");
    assert_eq!(w.notice().await?, Some(ko("login-logged-out")));
    Ok(())
}

pub(crate) async fn login(w: &Web, username: &str, password: &str) -> Outcome {
    w.login(username, password).await?;
    assert_eq!(w.path().await?, "/dashboard", "{username} logged in");
    Ok(())
}

/// The last path segment of the current page: the id of what it shows.
pub(crate) async fn current_id(w: &Web, prefix: &str) -> Result<String, Failure> {
    let p = w.path().await?;
    p.strip_prefix(prefix)
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or("").to_owned())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| fail(format!("at {p}, expected {prefix}ID")))
}

/// A file as the browser downloads it.
pub(crate) struct Download {
    pub(crate) status: u64,
    pub(crate) content_type: String,
    pub(crate) disposition: String,
    pub(crate) bytes: Vec<u8>,
}

/// Fetches `href` from the page's script: with the session's cookies and
/// the page's origin, as a click on the link would, but without handing
/// the file to Chromium's download manager.
const FETCH: &str = r#"
const href = arguments[0];
const done = arguments[arguments.length - 1];
fetch(href, { credentials: "same-origin" })
  .then((r) => r.blob().then((blob) => {
    const reader = new FileReader();
    reader.onload = () => done({
      status: r.status,
      type: r.headers.get("content-type") || "",
      disposition: r.headers.get("content-disposition") || "",
      data: String(reader.result).split(",")[1] || "",
    });
    reader.onerror = () => done({ error: "cannot read the body" });
    reader.readAsDataURL(blob);
  }))
  .catch((e) => done({ error: String(e) }));
"#;

/// Downloads the target of the link matching `css` on the current page.
pub(crate) async fn download(w: &Web, css: &str) -> Result<Download, Failure> {
    let href = w
        .find(css)
        .await?
        .attr("href")
        .await?
        .ok_or_else(|| fail(format!("`{css}` has no href")))?;
    let v = w
        .client
        .execute_async(FETCH, vec![serde_json::Value::String(href.clone())])
        .await?;
    if let Some(e) = v.get("error") {
        return Err(fail(format!("fetch {href}: {e}")));
    }
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let bytes = data_encoding::BASE64
        .decode(text("data").as_bytes())
        .or_fail("the download's base64")?;
    Ok(Download {
        status: v.get("status").and_then(|s| s.as_u64()).unwrap_or(0),
        content_type: text("type"),
        disposition: text("disposition"),
        bytes,
    })
}

/// Whether `var` is set to `1`: the reference tool it names must be
/// there, and a missing one fails the test instead of skipping its check.
fn required(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("1")
}

/// Checks the workbook with openpyxl, when `MEDSEC_TEST_PYTHON` is set.
fn check_xlsx_with_openpyxl(path: &Path, sha256: &str) {
    let python = match std::env::var("MEDSEC_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                !required("MEDSEC_REQUIRE_PYTHON"),
                "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
            );
            eprintln!("skipped: openpyxl check of the XLSX export (set MEDSEC_TEST_PYTHON)");
            return;
        }
    };
    const CODE: &str = r#"
import sys
import openpyxl

path, doc, sha, name = sys.argv[1:5]
wb = openpyxl.load_workbook(path)
ws = wb["체크리스트"]
texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
assert any("접근통제 및 인증" in t for t in texts), texts
rows = {r[8].value: [c.value for c in r] for r in ws.iter_rows(min_row=17) if r[8].value}
assert rows["1.1"][1] == "적용", rows["1.1"]
assert doc in rows["1.1"][4], rows["1.1"]
assert rows["1.6"][1] == "비적용", rows["1.6"]
attachments = [[c.value for c in r] for r in wb["첨부자료"].iter_rows(min_row=2)]
assert ["1.1", doc] == attachments[0][:2], attachments
assert attachments[0][3:5] == [sha, name], attachments
tests = [[c.value for c in r] for r in wb["시험기록"].iter_rows(min_row=2)]
assert tests[0][0] == "1.1" and tests[0][3] == "적합", tests
print("ok")
"#;
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(CODE)
        .arg(path)
        .arg(DOC_NUMBER)
        .arg(sha256)
        .arg(REPORT_FILE)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "openpyxl rejected the export:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The PDF's text as `pdftotext -layout` reads it, or `None` (with a
/// note) when poppler-utils is missing and not required.
pub(crate) fn pdftotext(path: &Path) -> Option<String> {
    match std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) => {
            assert!(
                !required("MEDSEC_REQUIRE_PDFTOTEXT"),
                "MEDSEC_REQUIRE_PDFTOTEXT=1 but pdftotext cannot run: {e}"
            );
            eprintln!("skipped: text check of the PDF export needs pdftotext: {e} (poppler-utils)");
            None
        }
    }
}

pub async fn browser_premarket_review(db: TestDb) {
    run("browser_premarket_review", db, |w| async move {
        // 1. The operator creates both organisations with an administrator
        //    each; the administrators activate their accounts.
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        for (name, kind, admin, display, password) in [
            (MAKER_ORG, "manufacturer", MAKER, "김제조", MAKER_PASSWORD),
            (
                REGULATOR_ORG,
                "regulator",
                REVIEWER,
                "이심사",
                REVIEWER_PASSWORD,
            ),
        ] {
            let input = service::NewOrgInput {
                name: name.into(),
                kind: kind.into(),
                admin_username: Some(admin.into()),
                admin_display_name: Some(display.into()),
            };
            let (_, invited) = service::create_org(&s.state, &root, &input)
                .await
                .or_fail("create an organisation")?;
            let (_, token) = invited.ok_or_else(|| fail(format!("{name}'s admin invited")))?;
            service::activate(&s.state, &token, password, password, "test")
                .await
                .or_fail("activate an administrator")?;
        }

        // 2. The manufacturer registers the device by pasting its profile.
        login(&w, MAKER, MAKER_PASSWORD).await?;
        menu(&w, "/devices", "nav-devices").await?;
        assert_eq!(w.h1().await?, ko("devices-title"));
        choose(&w, "#f-format", "TOML").await?;
        let profile = ecg_gateway_profile()?;
        w.fill("profile", &profile).await?;
        w.click("form[action='/devices'] button[type=submit]")
            .await?;
        let device = current_id(&w, "/devices/").await?;
        assert_eq!(w.h1().await?, "유헬스케어 게이트웨이 UHG-100 1.0.0");
        let r11 = row("mfds-2019-1.1");
        let r16 = row("mfds-2019-1.6");
        assert_eq!(
            w.text(&format!("{r11} td:nth-child(2)")).await?,
            ko("applies")
        );
        assert_eq!(
            w.text(&format!("{r16} td:nth-child(2)")).await?,
            ko("not-applies")
        );
        let reason = w.text(&format!("{r16} td:nth-child(3)")).await?;
        assert!(reason.contains("원격 접속 기능이 없음"), "1.6: {reason}");

        // 3. The checklist on the 2019 edition, the seed's.
        assert_eq!(w.text("main p.muted").await?, ko("device-no-checklist"));
        w.find("#f-catalog")
            .await?
            .select_by_value("mfds-2019")
            .await?;
        let start = w
            .find(&format!(
                "form[action='/devices/{device}/checklists'] button[type=submit]"
            ))
            .await?;
        assert_eq!(start.text().await?.trim(), ko("device-start-checklist"));
        w.navigating(start.click()).await?;
        let checklist = current_id(&w, "/checklists/").await?;
        assert_eq!(w.h1().await?, ko("checklist-title"));
        let header = w.text("dl.facts").await?;
        assert!(header.contains("■중"), "header: {header}");
        assert!(header.contains("□상") && header.contains("□하"), "{header}");
        let criterion = w
            .text(&format!("{} td:nth-child(6)", row("item-1.1")))
            .await?;
        assert!(
            criterion.contains(&format!(
                "[{}] 등록된 사용자로 로그인하였을 때, 로그인이 되어야 한다.",
                ko("checklist-criterion")
            )),
            "1.1 verification: {criterion}"
        );

        // 4. The test report, uploaded through the file input.
        menu(&w, "/evidence", "nav-evidence").await?;
        assert_eq!(w.text("main p.muted").await?, ko("evidence-empty"));
        let dir = tempfile::tempdir().or_fail("temporary directory")?;
        let report = dir.path().join(REPORT_FILE);
        let pdf = b"%PDF-1.7\n% medsec browser test: login test report\n";
        std::fs::write(&report, pdf).or_fail("write the report")?;
        let sha = data_encoding::HEXLOWER.encode(&Sha256::digest(pdf));
        w.find("#f-file")
            .await?
            .send_keys(&report.display().to_string())
            .await?;
        w.click("form[action='/evidence'] button[type=submit]")
            .await?;
        assert_eq!(w.path().await?, "/evidence");
        assert_eq!(
            w.text("main .notice[role=status]").await?,
            ko_args("evidence-uploaded", &[("name", REPORT_FILE), ("sha", &sha)])
        );
        let listed = find_xpath(
            &w,
            &format!("//main//tr[td/a[normalize-space()='{REPORT_FILE}']]/td[2]"),
        )
        .await?;
        assert_eq!(listed.text().await?.trim(), sha, "the listed SHA-256");

        // 5. Item 1.1: the document number with its file, then a test.
        w.goto(&format!("/checklists/{checklist}")).await?;
        w.click(&format!("{} td:first-child a", row("item-1.1")))
            .await?;
        assert_eq!(
            w.path().await?,
            format!("/checklists/{checklist}/items/1.1")
        );
        assert_eq!(w.h1().await?, "1.1 접근통제 및 인증");
        let gaps = w.text("main ul.gaps").await?;
        assert!(gaps.contains(GapKind::Evidence.ko()), "gaps: {gaps}");
        let file_label = format!("{REPORT_FILE} ({}…)", sha.get(..12).unwrap_or(""));
        type_into(&w, "input[name=doc0]", DOC_NUMBER).await?;
        choose(&w, "select[name=ev0]", &file_label).await?;
        let item_form = format!("form[action='/checklists/{checklist}/items/1.1']");
        w.click(&format!("{item_form} button[type=submit]")).await?;
        // Saving stays on the item, where the test record comes next.
        assert_eq!(
            w.path().await?,
            format!("/checklists/{checklist}/items/1.1")
        );
        w.goto(&format!("/checklists/{checklist}")).await?;
        let attached = w
            .text(&format!("{} td:nth-child(5)", row("item-1.1")))
            .await?;
        assert!(
            attached.contains(DOC_NUMBER) && attached.contains(REPORT_FILE),
            "1.1 attachments: {attached}"
        );

        w.click(&format!("{} td:first-child a", row("item-1.1")))
            .await?;
        assert_eq!(w.text("main p.muted").await?, ko("checklist-no-tests"));
        let tests_form = format!("form[action='/checklists/{checklist}/items/1.1/tests']");
        let tester = w.find(&format!("{tests_form} input[name=tester]")).await?;
        assert_eq!(tester.prop("value").await?.as_deref(), Some("김제조"));
        choose(
            &w,
            &format!("{tests_form} select[name=result]"),
            &ko("test-result-pass"),
        )
        .await?;
        type_into(
            &w,
            &format!("{tests_form} input[name=note]"),
            "등록 사용자 로그인 확인",
        )
        .await?;
        choose(
            &w,
            &format!("{tests_form} select[name=evidence]"),
            &file_label,
        )
        .await?;
        w.click(&format!("{tests_form} button[type=submit]"))
            .await?;
        assert_eq!(
            w.path().await?,
            format!("/checklists/{checklist}/items/1.1")
        );
        let main = w.text("main").await?;
        assert!(
            !main.contains(GapKind::Evidence.ko()),
            "1.1 still lacks evidence: {main}"
        );
        let test = w.text("main table tbody tr").await?;
        for part in [
            "김제조",
            ko("test-result-pass").as_str(),
            "등록 사용자 로그인 확인",
            REPORT_FILE,
        ] {
            assert!(test.contains(part), "test record without {part:?}: {test}");
        }
        assert_eq!(
            w.value("note").await?,
            "",
            "nothing else in the item changed"
        );

        // 6. The exports, fetched as the links would download them.
        w.goto(&format!("/checklists/{checklist}")).await?;
        let xlsx = download(&w, "main a.button[href$='/export/xlsx']").await?;
        assert_eq!(xlsx.status, 200);
        assert_eq!(
            xlsx.content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(
            xlsx.disposition.starts_with("attachment"),
            "{}",
            xlsx.disposition
        );
        assert!(xlsx.bytes.starts_with(b"PK\x03\x04"), "not a ZIP");
        let xlsx_path = dir.path().join("checklist.xlsx");
        std::fs::write(&xlsx_path, &xlsx.bytes).or_fail("write the XLSX")?;
        check_xlsx_with_openpyxl(&xlsx_path, &sha);

        let pdf_export = download(&w, "main a.button[href$='/export/pdf']").await?;
        assert_eq!(pdf_export.status, 200);
        assert_eq!(pdf_export.content_type, "application/pdf");
        assert!(pdf_export.bytes.starts_with(b"%PDF-"), "not a PDF");
        let pdf_path = dir.path().join("checklist.pdf");
        std::fs::write(&pdf_path, &pdf_export.bytes).or_fail("write the PDF")?;
        if let Some(text) = pdftotext(&pdf_path) {
            for expect in [
                "의료기기 사이버 보안 특성 기재",
                "접근통제 및 인증",
                DOC_NUMBER,
            ] {
                assert!(
                    text.contains(expect),
                    "the PDF text lacks {expect:?}:\n{text}"
                );
            }
        }

        // 7. Round 1: submitted to the regulator, who asks for more on 1.1.
        choose(&w, "#f-reviewer", REGULATOR_ORG).await?;
        let submit = w
            .find(&format!(
                "form[action='/checklists/{checklist}/submit'] button[type=submit]"
            ))
            .await?;
        assert_eq!(submit.text().await?.trim(), ko("checklist-submit"));
        w.navigating(submit.click()).await?;
        let round1 = current_id(&w, "/reviews/").await?;
        assert!(
            w.text("main")
                .await?
                .contains(&ko("review-status-submitted")),
            "round 1 is under review"
        );
        logout(&w).await?;

        login(&w, REVIEWER, REVIEWER_PASSWORD).await?;
        menu(&w, "/reviews", "nav-reviews").await?;
        let listed = w.text("main table tbody").await?;
        assert!(
            listed.contains("유헬스케어 게이트웨이") && listed.contains(MAKER_ORG),
            "{listed}"
        );
        w.click(&format!("main a[href='/reviews/{round1}']"))
            .await?;
        assert_eq!(w.path().await?, format!("/reviews/{round1}"));
        let r11 = row("item-1.1");
        let shown = w.text(&format!("{r11} td:nth-child(4)")).await?;
        assert!(
            shown.contains(DOC_NUMBER) && shown.contains(REPORT_FILE),
            "{shown}"
        );
        choose(
            &w,
            &format!("{r11} select[name=verdict]"),
            &ko("verdict-needs-work"),
        )
        .await?;
        type_into(&w, &format!("{r11} textarea[name=body]"), FINDING).await?;
        w.click(&format!("{r11} form button[type=submit]")).await?;
        assert_eq!(w.path().await?, format!("/reviews/{round1}"));
        let thread = w.text(&format!("{r11} .comment")).await?;
        assert!(
            thread.contains(FINDING) && thread.contains(&ko("verdict-needs-work")),
            "{thread}"
        );
        choose(
            &w,
            "form[action$='/decision'] select[name=decision]",
            &ko("review-status-changes-requested"),
        )
        .await?;
        decide(&w).await?;
        assert_eq!(w.path().await?, format!("/reviews/{round1}"));
        assert!(
            w.text("h1 + p")
                .await?
                .ends_with(&ko("review-status-changes-requested")),
            "round 1 decided"
        );
        assert!(!w.has("form[action$='/decision']").await?, "decided once");
        logout(&w).await?;

        // The manufacturer reads the finding, answers, fixes 1.1, resubmits.
        login(&w, MAKER, MAKER_PASSWORD).await?;
        menu(&w, "/reviews", "nav-reviews").await?;
        w.click(&format!("main a[href='/reviews/{round1}']"))
            .await?;
        let thread = w.text(&format!("{r11} .comment")).await?;
        assert!(
            thread.contains(FINDING),
            "the maker sees the finding: {thread}"
        );
        type_into(&w, &format!("{r11} textarea[name=body]"), ANSWER).await?;
        let reply = w.find(&format!("{r11} form button[type=submit]")).await?;
        assert_eq!(reply.text().await?.trim(), ko("review-reply"));
        w.navigating(reply.click()).await?;
        assert!(
            w.text(&format!("{r11} td:last-child"))
                .await?
                .contains(ANSWER),
            "the answer is in the thread"
        );

        w.click(&format!("main a[href='/checklists/{checklist}']"))
            .await?;
        assert!(
            w.text("h1 + p")
                .await?
                .ends_with(&ko("checklist-status-changes-requested")),
            "{}",
            w.text("h1 + p").await?
        );
        w.click(&format!("{} td:first-child a", row("item-1.1")))
            .await?;
        w.fill("note", NOTE).await?;
        w.click(&format!("{item_form} button[type=submit]")).await?;
        assert_eq!(
            w.path().await?,
            format!("/checklists/{checklist}/items/1.1")
        );
        w.goto(&format!("/checklists/{checklist}")).await?;
        choose(&w, "#f-reviewer", REGULATOR_ORG).await?;
        w.click(&format!(
            "form[action='/checklists/{checklist}/submit'] button[type=submit]"
        ))
        .await?;
        let round2 = current_id(&w, "/reviews/").await?;
        assert_ne!(round1, round2, "a new round");
        logout(&w).await?;

        // Round 2: the regulator sees what changed and accepts.
        login(&w, REVIEWER, REVIEWER_PASSWORD).await?;
        menu(&w, "/reviews", "nav-reviews").await?;
        let second =
            find_xpath(&w, "//main//tbody/tr[td[3][normalize-space()='2']]/td[1]/a").await?;
        w.navigating(second.click()).await?;
        assert_eq!(w.path().await?, format!("/reviews/{round2}"));
        let round_line = w.text("h1 + p").await?;
        assert!(
            round_line.starts_with(&ko_args("review-round", &[("round", "2")])),
            "{round_line}"
        );
        assert_eq!(ko_args("review-round", &[("round", "2")]), "2차");
        let changed = w.text(&format!("{r11} .badge-warn")).await?;
        assert!(
            changed.starts_with(&ko("review-changed"))
                && changed.contains(&ko("checklist-field-note")),
            "1.1 marked as changed: {changed}"
        );
        assert!(
            !w.has(&format!("{} .badge-warn", row("item-1.2"))).await?,
            "1.2 did not change"
        );
        let thread = w.text(&format!("{r11} td:last-child")).await?;
        assert!(
            thread.contains(FINDING) && thread.contains(ANSWER),
            "the thread spans rounds: {thread}"
        );
        choose(
            &w,
            "form[action$='/decision'] select[name=decision]",
            &ko("review-status-accepted"),
        )
        .await?;
        decide(&w).await?;
        assert!(
            w.text("h1 + p")
                .await?
                .ends_with(&ko("review-status-accepted")),
            "round 2 accepted"
        );
        logout(&w).await?;

        // The manufacturer finds the checklist accepted.
        login(&w, MAKER, MAKER_PASSWORD).await?;
        menu(&w, "/devices", "nav-devices").await?;
        w.click(&format!("main a[href='/devices/{device}']"))
            .await?;
        w.click(&format!("main a[href='/checklists/{checklist}']"))
            .await?;
        let status = w.text("h1 + p").await?;
        assert!(
            status.ends_with(&format!(" · {}", ko("checklist-status-accepted"))),
            "checklist status: {status}"
        );
        Ok(())
    })
    .await;
}

/// Clicks the decision button and accepts its confirmation dialog, as a
/// reviewer does.
async fn decide(w: &Web) -> Outcome {
    let button = w
        .find("form[action$='/decision'] button[type=submit]")
        .await?;
    assert!(
        w.has("form[action$='/decision'][data-confirm]").await?,
        "deciding asks for confirmation"
    );
    w.navigating(async {
        button.click().await?;
        w.client.accept_alert().await
    })
    .await
}
