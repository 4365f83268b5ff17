//! Reviewer mode: the ECG gateway's checklist is submitted to MFDS with
//! its submission package; the reviewer opens the package read-only (a
//! clean verification, the documents with their sections, a JSON file
//! shown escaped, a PDF downloaded, the whole ZIP); the manufacturer
//! replaces it with a package built with `medsec_package` as the command
//! line does, a tampered ZIP and another device's package are refused
//! naming what is wrong, a decided round keeps its package, and another
//! manufacturer and an unrelated reviewer find nothing.

use std::path::Path;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use medsec_store::testing::TestDb;
use sha2::{Digest, Sha256};

use crate::{ADMIN_PASSWORD, Api, Browser, HOST, Res, TestApp};

fn profile() -> String {
    let path = format!(
        "{}/../medsec-assure/fixtures/devices/ecg-gateway.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text of a page as a reader sees it (askama escapes `/` and `=`).
fn text(res: &Res) -> String {
    res.body
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#96;", "`")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

fn query(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

async fn login<'a>(app: &'a TestApp, user: &str, password: &str) -> Browser<'a> {
    let mut web = app.browser();
    web.login(user, password).await;
    web
}

/// A PUT of raw bytes through an API client.
async fn put_zip(api: &Api<'_>, path: &str, body: Vec<u8>) -> Res {
    let mut b = Request::builder()
        .method(Method::PUT)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/zip");
    if let Some(t) = &api.token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    api.app.send(b.body(Body::from(body)).unwrap()).await
}

/// Writes `files` (path, bytes) with a manifest listing them and the
/// checksum list into a directory and packs it, as a package of `device`
/// would be laid out.
fn pack(files: &[File], manifest: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut sums: Vec<(String, String)> = files
        .iter()
        .map(|(p, b)| (p.clone(), hex(b)))
        .chain([(medsec_package::MANIFEST.to_owned(), hex(manifest))])
        .collect();
    sums.sort();
    let sums: String = sums.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    let write = |path: &str, bytes: &[u8]| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    };
    for (p, b) in files {
        write(p, b);
    }
    write(medsec_package::MANIFEST, manifest);
    write(medsec_package::SUMS, sums.as_bytes());
    pack_dir(dir.path())
}

fn pack_dir(root: &Path) -> Vec<u8> {
    let packed = medsec_webshell::archive::pack(root, &medsec_webshell::Limits::default()).unwrap();
    assert!(packed.skipped.is_empty(), "{:?}", packed.skipped);
    packed.zip
}

/// A file of a package: its path and bytes.
type File = (String, Vec<u8>);

/// A package's manifest (parsed and as bytes) and files read back from
/// its ZIP.
fn unpack(zip: &[u8]) -> (medsec_package::Manifest, Vec<u8>, Vec<File>) {
    let manifest_bytes = medsec_package::read_document(zip, medsec_package::MANIFEST).unwrap();
    let manifest: medsec_package::Manifest = serde_json::from_slice(&manifest_bytes).unwrap();
    let files = manifest
        .files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                medsec_package::read_document(zip, &f.path).unwrap(),
            )
        })
        .collect();
    (manifest, manifest_bytes, files)
}

/// The ECG gateway's package as `medsec package build` makes it: from the
/// profile, everything else as the device page starts it.
fn cli_package() -> Vec<u8> {
    let profile =
        medsec_assure::profile::Profile::parse(&profile(), medsec_assure::profile::Format::Toml)
            .unwrap();
    let inputs = medsec_package::prepare(medsec_package::Sources {
        profile,
        checklist: None,
        register: None,
        plan: None,
        scans: Vec::new(),
        findings: Vec::new(),
        sbom: None,
        justifications: Vec::new(),
        evidence: Vec::new(),
        tplc: None,
        support: Vec::new(),
        end_of_support: None,
        created: time::macros::datetime!(2026-11-20 09:00 UTC),
    })
    .unwrap();
    let fonts = medsec_package::Fonts::discover().unwrap();
    medsec_package::build(&inputs, medsec_package::Layout::Mfds, &fonts)
        .unwrap()
        .zip
}

pub async fn review_package_reviewer_mode(db: TestDb) {
    let app = TestApp::new(db).await;
    app.setup().await;
    let root = app.api_login("root", ADMIN_PASSWORD).await;
    app.add_org(
        &root,
        "메드시큐",
        "manufacturer",
        "maker",
        "Quartz-Pass-123",
    )
    .await;
    let mfds = app
        .add_org(
            &root,
            "식품의약품안전처",
            "regulator",
            "mfds",
            "Spruce-Pass-1234",
        )
        .await;
    app.add_org(
        &root,
        "Other Devices",
        "manufacturer",
        "other",
        "Cedar-Pass-1234",
    )
    .await;
    app.add_org(
        &root,
        "Other Regulator",
        "regulator",
        "otherreg",
        "Birch-Pass-1234",
    )
    .await;

    // Every organisation's administrator works in the browser; an editor
    // of each uses the API (an administrator's API login would end the
    // administrator's web session).
    for (admin, password) in [
        ("maker", "Quartz-Pass-123"),
        ("mfds", "Spruce-Pass-1234"),
        ("other", "Cedar-Pass-1234"),
        ("otherreg", "Birch-Pass-1234"),
    ] {
        let api = app.api_login(admin, password).await;
        app.add_user(&api, &format!("{admin}-api"), "editor", "Editor-Pass-1234")
            .await;
    }

    // The ECG gateway, its checklist, and the submission to MFDS.
    let mut maker = login(&app, "maker", "Quartz-Pass-123").await;
    maker.get("/devices").await;
    let r = maker
        .post("/devices", &[("format", "toml"), ("profile", &profile())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let device = r.location().trim_start_matches("/devices/").to_owned();
    maker.get(&format!("/devices/{device}")).await;
    let r = maker
        .post(
            &format!("/devices/{device}/checklists"),
            &[("catalog", "mfds-2019")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let checklist = r.location().trim_start_matches("/checklists/").to_owned();
    maker.get(&format!("/checklists/{checklist}")).await;
    let r = maker
        .post(
            &format!("/checklists/{checklist}/submit"),
            &[("reviewer", &mfds)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sub = r.location().trim_start_matches("/reviews/").to_owned();
    let base = format!("/reviews/{sub}/package");
    let api_base = format!("/api/v1/submissions/{sub}/package");

    // The reviewer reaches the package from the round's review page.
    let mut reviewer = login(&app, "mfds", "Spruce-Pass-1234").await;
    let review = reviewer.get(&format!("/reviews/{sub}")).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(text(&review).contains(&format!("href=\"{base}\"")));
    let page = reviewer.get(&base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = text(&page);
    assert!(body.contains("검증 통과"), "a clean verification: {body}");
    assert!(body.contains("읽기 전용"));
    for d in ["D1", "D2", "D3", "D4", "D5", "D6", "D7"] {
        assert!(body.contains(&format!("id=\"doc-{d}\"")), "{d}");
    }
    assert!(body.contains("필수원칙 체크리스트"), "MFDS section");
    assert!(
        body.contains("IMDRF N60") && body.contains("5.6.2"),
        "N60 section"
    );
    assert!(body.contains("V.A.1"), "FDA section");
    assert!(
        !body.contains("id=\"upload\""),
        "the reviewer uploads nothing"
    );
    assert!(
        !body.contains(&format!("action=\"/reviews/{sub}")),
        "read-only: {body}"
    );

    // The same through the API, with the manifest.
    let reviewer_api = app.api_login("mfds-api", "Editor-Pass-1234").await;
    let v = reviewer_api.get(&api_base).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    let v = v.json();
    assert_eq!(v["clean"], true, "{v}");
    assert_eq!(v["source"], "built");
    assert_eq!(v["layout"], "mfds");
    assert_eq!(v["verification"]["problems"], serde_json::json!([]));
    let files: Vec<medsec_package::FileEntry> =
        serde_json::from_value(v["manifest"]["files"].clone()).unwrap();
    assert_eq!(v["manifest"]["device"]["product"], "유헬스케어 게이트웨이");
    let gaps: usize = serde_json::from_value(v["manifest"]["gaps"].clone()).unwrap();
    assert!(gaps > 0, "a first draft has gaps, and the page counts them");
    assert!(body.contains(&format!("공백 {gaps}건")), "{body}");
    for f in &files {
        assert!(
            body.contains(&f.path) && body.contains(&f.sha256),
            "{}",
            f.path
        );
    }

    // A JSON file is shown escaped in the page; a PDF and an SVG are only
    // downloaded, never rendered.
    let json = files
        .iter()
        .find(|f| f.media_type == "application/json")
        .unwrap();
    let view = reviewer
        .get(&format!("{base}/file?path={}", query(&json.path)))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert!(
        view.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(view.body.contains("<pre class=\"package-text\""));
    assert!(
        view.body.contains("&quot;") || view.body.contains("&#34;"),
        "escaped JSON"
    );
    assert!(text(&view).contains(&json.sha256));
    let pdf = files
        .iter()
        .find(|f| f.media_type == "application/pdf")
        .unwrap();
    for route in ["file", "export/file"] {
        let got = reviewer
            .get(&format!("{base}/{route}?path={}", query(&pdf.path)))
            .await;
        assert_eq!(got.status, StatusCode::OK, "{route}: {}", got.body);
        assert_eq!(got.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(
            got.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(got.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(got.bytes.starts_with(b"%PDF-"));
        assert_eq!(hex(&got.bytes), pdf.sha256, "{route}: the manifest's file");
    }
    if let Some(svg) = files.iter().find(|f| f.media_type == "image/svg+xml") {
        let got = reviewer
            .get(&format!("{base}/export/file?path={}", query(&svg.path)))
            .await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(
            got.headers[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert!(
            got.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        let shown = reviewer
            .get(&format!("{base}/file?path={}", query(&svg.path)))
            .await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(
            shown.body.contains("&lt;svg") || shown.body.contains("&#60;svg"),
            "the SVG as escaped text"
        );
        assert!(!shown.body.contains("<svg"), "never rendered");
    }
    // Without a path, the manifest itself.
    let shown = reviewer.get(&format!("{base}/file")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(
        text(&shown).contains("\"schema\": \"medsec-package/1\""),
        "{}",
        shown.body
    );
    // Paths the manifest does not list are not there.
    for p in [
        "../../etc/passwd",
        "SHA256SUMS",
        "no/such.json",
        "MANIFEST.json/x",
    ] {
        let r = reviewer
            .get(&format!("{base}/file?path={}", query(p)))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}");
    }
    // The whole ZIP verifies, and the API gives the same files.
    let zip = reviewer.get(&format!("{base}/export/zip")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert!(
        zip.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(medsec_package::verify(&zip.bytes).is_clean());
    assert_eq!(hex(&zip.bytes), v["sha256"]);
    let api_zip = reviewer_api.get(&format!("{api_base}/zip")).await;
    assert_eq!(api_zip.bytes, zip.bytes);
    let api_file = reviewer_api
        .get(&format!("{api_base}/files?path={}", query(&json.path)))
        .await;
    assert_eq!(api_file.status, StatusCode::OK);
    assert_eq!(hex(&api_file.bytes), json.sha256);
    // The reviewer cannot replace the package.
    assert_eq!(
        put_zip(&reviewer_api, &api_base, zip.bytes.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The manufacturer sees its own round's package and replaces it with
    // one built as `medsec package build` builds it.
    let page = maker.get(&base).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"upload\""));
    let built = cli_package();
    assert!(medsec_package::verify(&built).is_clean());
    let r = maker.upload(&base, "ecg-gateway-mfds.zip", &built).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = maker.get(r.location()).await;
    assert!(text(&page).contains("패키지를 교체했습니다"));
    assert!(text(&page).contains("제조사가 업로드"));
    let v = reviewer_api.get(&api_base).await.json();
    assert_eq!(v["source"], "uploaded");
    assert_eq!(v["sha256"], hex(&built));
    assert_eq!(v["clean"], true);
    assert_eq!(v["manifest"]["created"], "2026-11-20T09:00:00Z");

    // A tampered ZIP is refused naming the file; the control (the same
    // files repacked, untouched) verifies, so the change is what fails.
    let (_, manifest_bytes, mut files) = unpack(&built);
    assert!(medsec_package::verify(&pack(&files, &manifest_bytes)).is_clean());
    let victim = files
        .iter()
        .position(|(p, _)| p.ends_with(".json"))
        .unwrap();
    files[victim].1.extend_from_slice(b" ");
    let tampered = pack(&files, &manifest_bytes);
    let maker_api = app.api_login("maker-api", "Editor-Pass-1234").await;
    let r = put_zip(
        &maker_api,
        &format!("{api_base}?filename=tampered.zip"),
        tampered.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let problems = r.json()["error"]["fields"].to_string();
    assert!(problems.contains("tampered.zip"), "{problems}");
    assert!(
        problems.contains(&files[victim].0),
        "names the file: {problems}"
    );
    maker.get(&base).await;
    let r = maker.upload(&base, "tampered.zip", &tampered).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&r).contains(&files[victim].0), "{}", r.body);
    assert!(text(&r).contains("tampered.zip"));
    // Not a ZIP at all.
    let r = put_zip(&maker_api, &api_base, b"not a zip".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("(archive)"), "{}", r.body);

    // A package of another device verifies but is refused.
    let readme = b"another device's document".to_vec();
    let mut other_manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    other_manifest["device"]["product"] = "Other Monitor".into();
    let mut entry = other_manifest["files"][0].clone();
    entry["path"] = "1-checklist/readme.txt".into();
    entry["sha256"] = hex(&readme).into();
    entry["size"] = readme.len().into();
    entry["media_type"] = "text/plain".into();
    other_manifest["files"] = serde_json::json!([entry]);
    other_manifest["gaps"] = 0.into();
    other_manifest["gaps_by_kind"] = serde_json::json!({});
    let other_zip = pack(
        &[("1-checklist/readme.txt".into(), readme)],
        &serde_json::to_vec_pretty(&other_manifest).unwrap(),
    );
    assert!(medsec_package::verify(&other_zip).is_clean());
    let r = put_zip(&maker_api, &api_base, other_zip).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Other Monitor") && r.body.contains("MANIFEST.json"),
        "{}",
        r.body
    );
    // Nothing refused was stored.
    let v = reviewer_api.get(&api_base).await.json();
    assert_eq!(v["sha256"], hex(&built));

    // Every attachment is audited.
    let attached = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "submission.package_attached")
        .count();
    assert_eq!(attached, 2, "built at submission, then uploaded");

    // Another manufacturer and an unrelated reviewer find nothing.
    let paths = [
        base.clone(),
        format!("{base}/export/zip"),
        format!("{base}/file?path={}", query(&json.path)),
        format!("{base}/export/file?path={}", query(&pdf.path)),
        api_base.clone(),
        format!("{api_base}/zip"),
        format!("{api_base}/files?path={}", query(&json.path)),
    ];
    for (user, password) in [
        ("other", "Cedar-Pass-1234"),
        ("otherreg", "Birch-Pass-1234"),
    ] {
        let mut web = login(&app, user, password).await;
        let api = app
            .api_login(&format!("{user}-api"), "Editor-Pass-1234")
            .await;
        for p in &paths {
            let r = if p.starts_with("/api/") {
                api.get(p).await
            } else {
                web.get(p).await
            };
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{user} {p}: {}", r.body);
        }
        let r = put_zip(&api, &api_base, built.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user} PUT");
        web.get("/reviews").await;
        let r = web.upload(&base, "x.zip", &built).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user} upload");
    }

    // A decided round keeps its package for both, and it can no longer be
    // replaced.
    reviewer.get(&format!("/reviews/{sub}")).await;
    let r = reviewer
        .post(
            &format!("/reviews/{sub}/decision"),
            &[("decision", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = reviewer.get(&base).await;
    assert!(text(&page).contains("검증 통과"));
    let page = maker.get(&base).await;
    assert!(!page.body.contains("id=\"upload\""));
    let r = put_zip(&maker_api, &api_base, built.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The English page says the same in English.
    reviewer.get(&format!("/lang/en?next={base}")).await;
    let en = reviewer.get(&base).await;
    assert!(en.body.contains("Verified: every file"), "{}", en.body);
}
