//! Postmarket in a real Chromium, as a manufacturer and a hospital go
//! through it: the manufacturer uploads a release's SBOM from the
//! portfolio page, reads why each finding matched, records a VEX
//! statement in the finding's form and shares the release; the hospital
//! adds its device from the shared releases and sees the device's exposure
//! with what the manufacturer says.

use medsec_server::service;
use medsec_store::testing::TestDb;

use crate::browser::{OrFail, WAIT, fail, ko, run};
use crate::browser_assure::{choose, current_id, ko_args, login, menu};
use crate::sustain::{OSV, OSV_PAD, sbom};

const MAKER: &str = "maker.park";
const MAKER_PASSWORD: &str = "Quartz-Release-123";
const NURSE: &str = "nurse.choi";
const NURSE_PASSWORD: &str = "Birch-Ward-12345";

pub async fn browser_sustain_flow(db: TestDb) {
    run("browser_sustain_flow", db, |w| async move {
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        for (name, kind, admin, password) in [
            ("메드시큐", "manufacturer", MAKER, MAKER_PASSWORD),
            ("서울병원", "hospital", NURSE, NURSE_PASSWORD),
        ] {
            let input = service::NewOrgInput {
                name: name.into(),
                kind: kind.into(),
                admin_username: Some(admin.into()),
                admin_display_name: Some(admin.into()),
            };
            let (_, invited) = service::create_org(&s.state, &root, &input)
                .await
                .or_fail("create an organisation")?;
            let (_, token) = invited.ok_or_else(|| fail(format!("{name}'s admin invited")))?;
            service::activate(&s.state, &token, password, password, "test")
                .await
                .or_fail("activate an administrator")?;
        }
        let feeds = tempfile::tempdir().or_fail("temporary directory")?;
        std::fs::write(
            feeds.path().join("npm.jsonl"),
            format!("{OSV}\n{OSV_PAD}\n"),
        )
        .or_fail("write a feed")?;
        medsec_server::sustain::import_feeds(
            &s.state.store,
            feeds.path(),
            "test",
            "test",
            &mut |_| {},
        )
        .await
        .or_fail("import feeds")?;

        // 1. The manufacturer adds a release with its SBOM.
        login(&w, MAKER, MAKER_PASSWORD).await?;
        menu(&w, "/portfolio", "nav-portfolio").await?;
        assert_eq!(w.h1().await?, ko("portfolio-title"));
        w.fill("product", "주입 펌프").await?;
        w.fill("version", "2.1").await?;
        let bom = feeds.path().join("pump.cdx.json");
        std::fs::write(&bom, sbom("pump")).or_fail("write the SBOM")?;
        w.find("#f-file")
            .await?
            .send_keys(&bom.display().to_string())
            .await?;
        w.click("form[action='/releases'] button[type=submit]")
            .await?;
        let release = current_id(&w, "/releases/").await?;
        assert_eq!(w.h1().await?, "주입 펌프 2.1");
        let table = w.text("#findings").await?;
        assert!(
            table.contains("CVE-2019-10744") && table.contains("GHSA-test-left-pad1"),
            "{table}"
        );

        // 2. Why the lodash finding matched, then a VEX statement for it.
        let row = "//table[@id='findings']//tr[td/span[normalize-space()='CVE-2019-10744']]";
        let why = w
            .client
            .find(fantoccini::Locator::XPath(&format!(
                "{row}//details/summary"
            )))
            .await?;
        why.click().await?;
        let reasons = w
            .client
            .find(fantoccini::Locator::XPath(&format!("{row}//details/ul")))
            .await?
            .text()
            .await?;
        assert!(
            reasons.contains("GHSA-jf85-cpcp-j695: npm lodash 4.17.11"),
            "{reasons}"
        );
        let record = w
            .client
            .find(fantoccini::Locator::XPath(&format!(
                "{row}//td[last()]//details/summary"
            )))
            .await?;
        record.click().await?;
        let form = w
            .client
            .find(fantoccini::Locator::XPath(&format!("{row}//form")))
            .await?;
        let select = |name: &str| {
            let form = form.clone();
            let name = name.to_owned();
            async move {
                form.find(fantoccini::Locator::Css(&format!("select[name='{name}']")))
                    .await
            }
        };
        select("status")
            .await?
            .select_by_value("not_affected")
            .await?;
        select("justification")
            .await?
            .select_by_value("vulnerable_code_not_in_execute_path")
            .await?;
        form.find(fantoccini::Locator::Css("textarea[name='impact']"))
            .await?
            .send_keys("defaultsDeep를 호출하지 않음")
            .await?;
        w.navigating(
            form.find(fantoccini::Locator::Css("button[type=submit]"))
                .await?
                .click(),
        )
        .await?;
        assert!(w.path().await?.starts_with(&format!("/releases/{release}")));
        let state = w
            .client
            .find(fantoccini::Locator::XPath(&format!("{row}/td[1]")))
            .await?
            .text()
            .await?;
        assert_eq!(state.trim(), ko("finding-state-suppressed"));
        let statements = w.text("#statements").await?;
        assert!(
            statements.contains(&ko("vex-just-vulnerable_code_not_in_execute_path")),
            "{statements}"
        );

        // 3. Shared with the hospital.
        choose(&w, "#s-hospital", "서울병원").await?;
        w.click("form[action$='/share'] button[type=submit]")
            .await?;
        assert!(w.text("#share").await?.contains("서울병원"));
        w.click("header form[action='/logout'] button[type=submit]")
            .await?;

        // 4. The hospital adds its device from the shared releases and
        //    sees what the manufacturer says.
        login(&w, NURSE, NURSE_PASSWORD).await?;
        menu(&w, "/inventory", "nav-inventory").await?;
        w.fill("asset_tag", "ICU-001").await?;
        w.fill("model", "주입 펌프").await?;
        choose(&w, "#f-release", "메드시큐 · 주입 펌프 2.1").await?;
        w.fill("location", "중환자실 3병동").await?;
        w.click("form[action='/inventory'] button[type=submit]")
            .await?;
        assert_eq!(w.path().await?, "/inventory");
        let device = w.text("section.device").await?;
        assert!(
            device.contains(&ko_args(
                "inventory-exposed",
                &[("open", "1"), ("kev", "0")]
            )),
            "{device}"
        );
        assert!(device.contains("defaultsDeep를 호출하지 않음"), "{device}");
        let _ = WAIT;
        Ok(())
    })
    .await;
}
