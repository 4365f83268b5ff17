//! End-to-end tests in a real Chromium driven over WebDriver: the real
//! server over real TLS on an ephemeral loopback port, the wall clock, and
//! a browser that runs the pages' script, keeps cookies and follows
//! redirects the way users' browsers do.
//!
//! One `chromedriver` per test binary, started on first use; one browser
//! session per test. Without Chromium or chromedriver the tests say they
//! were skipped, unless `MEDSEC_REQUIRE_BROWSER=1` (set in CI). A failing
//! test leaves a screenshot in `$MEDSEC_SCREENSHOT_DIR` (default
//! `target/browser-screenshots/`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use medsec_core::Timestamp;
use medsec_core::org::Scope;
use medsec_server::auth::{Actor, Via};
use medsec_server::clock::SystemClock;
use medsec_server::i18n::Lang;
use medsec_server::tls::{self, TlsSource};
use medsec_server::{AppState, ServerConfig, service};
use medsec_store::testing::TestDb;
use tokio::sync::oneshot;

use crate::ADMIN_PASSWORD;

const SKIP: &str = "skipped: browser tests need chromium and chromium-driver (Debian packages)";
/// How long to wait for an element, a page or a URL before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

// What users must read, whatever else the catalogues say around it.
const KO_LOGIN_FAILED: &str = "로그인에 실패했습니다. 아이디와 비밀번호를 확인하십시오.";
const KO_FIRST_LOGIN: &str = "첫 로그인입니다.";
const KO_NOT_FOUND: &str = "찾을 수 없음";
const KO_TIMED_OUT: &str = "일정 시간 사용하지 않아 세션이 종료되었습니다";

/// The Korean text of message `id`, exactly as the pages show it.
pub(crate) fn ko(id: &str) -> String {
    Lang::Ko.t(id)
}

/// The English text of message `id`.
fn en(id: &str) -> String {
    Lang::En.t(id)
}

// ---------------------------------------------------------------------------
// chromedriver

fn chromium_path() -> PathBuf {
    std::env::var_os("MEDSEC_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("MEDSEC_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

/// The running chromedriver: its port. The process belongs to a small
/// shell watchdog that ends it once this test binary has exited.
struct Driver {
    port: u16,
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

fn start_driver() -> Result<Driver, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for chromedriver: {e}"))?
        .port();
    // `sh` starts chromedriver, then polls for this process; when the test
    // binary is gone (passed, failed or killed), it stops chromedriver.
    let script = r#"
        "$0" --port="$1" --allowed-ips=127.0.0.1 --log-level=WARNING >/dev/null 2>&1 &
        driver=$!
        while kill -0 "$2" 2>/dev/null && kill -0 "$driver" 2>/dev/null; do sleep 1; done
        kill "$driver" 2>/dev/null
    "#;
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(chromedriver_path())
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start chromedriver: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Driver { port });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "chromedriver ({}) did not listen on port {port} within 20 s",
        chromedriver_path().display()
    ))
}

/// The WebDriver URL, or `None` (after saying so) when the browser is not
/// installed and not required.
async fn driver_url() -> Option<String> {
    if !chromium_path().exists() || !chromedriver_path().exists() {
        if std::env::var("MEDSEC_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("MEDSEC_REQUIRE_BROWSER=1 but {SKIP}");
        }
        eprintln!("{SKIP}");
        return None;
    }
    let driver = tokio::task::spawn_blocking(|| DRIVER.get_or_init(start_driver))
        .await
        .expect("start chromedriver");
    match driver {
        Ok(d) => Some(format!("http://127.0.0.1:{}", d.port)),
        Err(e) => panic!("{e}"),
    }
}

async fn new_session(webdriver: &str) -> Client {
    let caps = serde_json::json!({
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": chromium_path(),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--ignore-certificate-errors",
                "--window-size=1280,1024",
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    let mut last = String::new();
    // Starting Chromium on a busy machine occasionally fails once.
    for _ in 0..3 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(webdriver)
            .await
        {
            Ok(c) => return c,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("cannot open a WebDriver session at {webdriver}: {last}");
}

// ---------------------------------------------------------------------------
// The server

/// The real server over TLS on 127.0.0.1, on the test's database.
pub struct Server {
    pub state: AppState,
    /// `https://127.0.0.1:PORT`
    pub base: String,
    pub backend: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    _db: TestDb,
}

impl Server {
    async fn start(db: TestDb) -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let state = AppState::new(
            db.store.clone(),
            Arc::new(SystemClock),
            ServerConfig::new(dir.path().to_owned()),
        )
        .await
        .expect("application state");
        let tls = tls::load(&TlsSource::SelfSigned {
            data_dir: dir.path().to_owned(),
            hostnames: vec![],
        })
        .expect("self-signed certificate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let (tx, rx) = oneshot::channel::<()>();
        let app = medsec_server::build(state.clone());
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            if let Err(e) = medsec_server::serve(app.router, listener, tls.config, shutdown).await {
                eprintln!("server stopped: {e}");
            }
        });
        let sweeper = medsec_server::spawn_sweeper(state.clone());
        Server {
            state,
            base: format!("https://127.0.0.1:{port}"),
            backend: db.backend().as_str(),
            shutdown: Some(tx),
            tasks: vec![server, sweeper],
            _dir: dir,
            _db: db,
        }
    }

    /// Creates the operator organisation and its administrator `root`.
    pub async fn setup(&self) {
        let input = service::SetupInput {
            org_name: "Operator ISAC".into(),
            org_kind: "isac".into(),
            username: "root".into(),
            display_name: "Root Admin".into(),
            password: ADMIN_PASSWORD.into(),
            password_confirm: ADMIN_PASSWORD.into(),
        };
        service::setup(&self.state, &input, None, "test")
            .await
            .expect("setup");
    }

    /// The administrator `username` acting outside the browser, as an
    /// admin-scoped API token would.
    pub async fn actor(&self, username: &str) -> Actor {
        let (p, _) = self
            .state
            .store
            .principal_by_username(username)
            .await
            .expect("read user")
            .expect("user exists");
        Actor {
            user: p.user,
            org: p.org,
            via: Via::Token {
                id: "browser-test".into(),
                scopes: vec![Scope::Admin],
            },
            ip: "test".into(),
        }
    }

    /// Every audit action recorded so far.
    pub async fn audit_actions(&self) -> Vec<String> {
        let mut all = Vec::new();
        for org in self.state.store.list_orgs().await.expect("list orgs") {
            let f = medsec_store::AuditFilter {
                limit: 10_000,
                ..Default::default()
            };
            for r in self
                .state
                .store
                .list_audit(&org.id, org.is_operator, &f)
                .await
                .expect("list audit")
            {
                all.push((r.seq, r.action));
            }
        }
        all.sort();
        all.dedup();
        all.into_iter().map(|(_, a)| a).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}

// ---------------------------------------------------------------------------
// Running a test

pub(crate) type Failure = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type Outcome = Result<(), Failure>;

/// What a test body gets: the browser session and the server.
#[derive(Clone)]
pub struct Web {
    pub client: Client,
    pub server: Arc<Server>,
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("MEDSEC_SCREENSHOT_DIR").map_or_else(
        || {
            // crates/medsec-server → the workspace root.
            let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            let root = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
            root.join("target").join("browser-screenshots")
        },
        PathBuf::from,
    )
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panic".to_owned())
}

/// Runs `body` with a fresh server on `db` and a fresh browser session.
/// If the body returns an error or panics, saves a screenshot of the
/// browser window, closes the session and fails the test.
pub(crate) async fn run<F, Fut>(name: &str, db: TestDb, body: F)
where
    F: FnOnce(Web) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let Some(webdriver) = driver_url().await else {
        return;
    };
    let server = Arc::new(Server::start(db).await);
    let client = new_session(&webdriver).await;
    let web = Web {
        client: client.clone(),
        server: server.clone(),
    };
    let started = Instant::now();
    let result = AssertUnwindSafe(body(web)).catch_unwind().await;
    let failure = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(p) => Some(panic_text(p.as_ref())),
    };
    let Some(failure) = failure else {
        let _ = client.close().await;
        eprintln!(
            "{name} ({}): passed in {:.1} s",
            server.backend,
            started.elapsed().as_secs_f64()
        );
        return;
    };
    let url = client
        .current_url()
        .await
        .map_or_else(|e| format!("(unknown: {e})"), |u| u.to_string());
    let dir = screenshot_dir();
    let file = dir.join(format!("{name}-{}.png", server.backend));
    let saved = match client.screenshot().await {
        Ok(png) => std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, png))
            .map(|()| file.display().to_string())
            .unwrap_or_else(|e| format!("(not saved: {}: {e})", file.display())),
        Err(e) => format!("(no screenshot: {e})"),
    };
    eprintln!("{name} ({}): screenshot saved to {saved}", server.backend);
    let _ = client.close().await;
    panic!(
        "{name} ({}) failed at {url}: {failure}\nscreenshot: {saved}",
        server.backend
    );
}

/// A failure with a message, for `return Err(fail(...))`.
pub(crate) fn fail(msg: impl Into<String>) -> Failure {
    msg.into().into()
}

/// Turns errors that are not `std::error::Error` (the server's own) into
/// a [`Failure`] that says what was being done.
pub(crate) trait OrFail<T> {
    fn or_fail(self, what: &str) -> Result<T, Failure>;
}

impl<T, E: std::fmt::Debug> OrFail<T> for Result<T, E> {
    fn or_fail(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| fail(format!("{what}: {e:?}")))
    }
}

impl Web {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    pub async fn goto(&self, path: &str) -> Outcome {
        self.client.goto(&self.url(path)).await?;
        Ok(())
    }

    /// The path and query of the current page.
    pub async fn path(&self) -> Result<String, Failure> {
        let u = self.client.current_url().await?;
        Ok(match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element, Failure> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| fail(format!("no element `{css}` within {WAIT:?}: {e}")))
    }

    /// Whether an element matches `css` now (no waiting).
    pub async fn has(&self, css: &str) -> Result<bool, Failure> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    pub async fn text(&self, css: &str) -> Result<String, Failure> {
        Ok(self.find(css).await?.text().await?.trim().to_owned())
    }

    pub async fn h1(&self) -> Result<String, Failure> {
        self.text("h1").await
    }

    pub async fn html_lang(&self) -> Result<String, Failure> {
        Ok(self
            .find("html")
            .await?
            .attr("lang")
            .await?
            .unwrap_or_default())
    }

    /// The current value of form field `name` (element `#f-NAME`).
    pub async fn value(&self, name: &str) -> Result<String, Failure> {
        Ok(self
            .find(&format!("#f-{name}"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// Types `value` into form field `name` after clearing it.
    pub async fn fill(&self, name: &str, value: &str) -> Result<Element, Failure> {
        let e = self.find(&format!("#f-{name}")).await?;
        e.clear().await?;
        e.send_keys(value).await?;
        let got = e.prop("value").await?.unwrap_or_default();
        if got != value {
            return Err(fail(format!(
                "field {name}: typed {value:?} but it holds {got:?}"
            )));
        }
        Ok(e)
    }

    /// Does `act` (a click, a key press) and waits until it has replaced
    /// the current document with a new one.
    pub async fn navigating<A>(&self, act: A) -> Outcome
    where
        A: Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let old = self.find("html").await?;
        act.await?;
        let deadline = Instant::now() + WAIT;
        loop {
            match old.tag_name().await {
                // Chromium reports a node of a replaced document as stale,
                // or, while the new document is being committed, as an
                // inspector error that says so.
                Err(e)
                    if e.is_stale_element_reference()
                        || e.is_no_such_element()
                        || e.to_string().contains("does not belong to the document") =>
                {
                    break;
                }
                Err(e) => return Err(e.into()),
                Ok(_) if Instant::now() > deadline => {
                    return Err(fail(format!("the page did not change within {WAIT:?}")));
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        // Wait for the new document to be there.
        self.find("main").await?;
        // A refused form is never what a test means: say so plainly
        // rather than failing later on a missing element.
        let h1 = self.h1().await.unwrap_or_default();
        if h1 == ko("error-csrf-title") || h1 == en("error-csrf-title") {
            return Err(fail(format!(
                "the server refused the form with its CSRF error page ({h1:?}) at {}",
                self.path().await?
            )));
        }
        Ok(())
    }

    /// Clicks the element matching `css` and waits for the next page.
    pub async fn click(&self, css: &str) -> Outcome {
        let e = self.find(css).await?;
        self.navigating(e.click()).await
    }

    /// Waits until the current path (with query) starts with `prefix`.
    pub async fn wait_path(&self, prefix: &str, within: Duration) -> Result<String, Failure> {
        let deadline = Instant::now() + within;
        loop {
            let p = self.path().await?;
            if p.starts_with(prefix) {
                return Ok(p);
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "still at {p} after {within:?}, expected {prefix}…"
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Fills the login form of the current page and submits it with the
    /// Enter key, as a keyboard user would.
    pub async fn submit_login(&self, username: &str, password: &str) -> Outcome {
        self.fill("username", username).await?;
        let pw = self.fill("password", password).await?;
        self.navigating(pw.send_keys(&Key::Enter.to_string())).await
    }

    /// Opens the login page and logs in.
    pub async fn login(&self, username: &str, password: &str) -> Outcome {
        self.goto("/login").await?;
        self.submit_login(username, password).await
    }

    /// The text of the page's notice (`.notice`), if any.
    pub async fn notice(&self) -> Result<Option<String>, Failure> {
        if !self.has(".notice").await? {
            return Ok(None);
        }
        Ok(Some(self.text(".notice").await?))
    }
}

// ---------------------------------------------------------------------------
// The tests

pub async fn browser_first_run_setup(db: TestDb) {
    run("browser_first_run_setup", db, |w| async move {
        let token = service::issue_setup_token(&w.server.state)
            .await
            .or_fail("issue a setup token")?
            .ok_or_else(|| fail("an empty database gives a setup token"))?;
        let setup_path = format!("/setup?token={token}");
        w.goto(&setup_path).await?;
        assert_eq!(w.html_lang().await?, "ko");
        assert_eq!(w.h1().await?, ko("setup-title"));

        // A weak password first: the error sits next to the password
        // field and everything else stays as typed.
        w.fill("org_name", "서울의료ISAC").await?;
        w.find("#f-org_kind").await?.select_by_value("isac").await?;
        w.fill("username", "seoul.admin").await?;
        w.fill("display_name", "김보안").await?;
        w.fill("password", "weak1").await?;
        w.fill("password_confirm", "weak1").await?;
        w.click("form[action='/setup'] button[type=submit]").await?;
        assert_eq!(w.path().await?, "/setup", "the form is shown again");
        assert_eq!(w.text("#e-password").await?, ko("field-password_too_short"));
        let pw = w.find("#f-password").await?;
        assert_eq!(pw.attr("aria-invalid").await?.as_deref(), Some("true"));
        assert_eq!(
            pw.attr("aria-describedby").await?.as_deref(),
            Some("e-password")
        );
        assert_eq!(w.value("org_name").await?, "서울의료ISAC");
        assert_eq!(w.value("org_kind").await?, "isac");
        assert_eq!(w.value("username").await?, "seoul.admin");
        assert_eq!(w.value("display_name").await?, "김보안");
        assert_eq!(w.value("password").await?, "", "passwords are not echoed");
        assert!(!w.has("#e-org_name").await?, "no error on other fields");
        assert!(!w.has("#e-username").await?, "no error on other fields");

        // Then a strong one.
        w.fill("password", "Hangang-Bridge-2024!").await?;
        w.fill("password_confirm", "Hangang-Bridge-2024!").await?;
        w.click("form[action='/setup'] button[type=submit]").await?;
        assert_eq!(w.path().await?, "/login?reason=setup");
        assert_eq!(w.notice().await?, Some(ko("login-setup-done")));

        w.submit_login("seoul.admin", "Hangang-Bridge-2024!")
            .await?;
        assert_eq!(w.path().await?, "/dashboard");
        assert_eq!(w.h1().await?, ko("dash-heading-isac"));
        let main = w.text("main").await?;
        assert!(main.contains(KO_FIRST_LOGIN), "{main}");
        assert!(main.contains("서울의료ISAC"), "{main}");
        let who = w.text(".who").await?;
        assert!(
            who.contains("김보안") && who.contains("seoul.admin"),
            "{who}"
        );

        // The setup link is used up.
        w.goto(&setup_path).await?;
        assert_eq!(w.h1().await?, KO_NOT_FOUND);
        Ok(())
    })
    .await;
}

pub async fn browser_login_lockout(db: TestDb) {
    run("browser_login_lockout", db, |w| async move {
        w.server.setup().await;
        w.goto("/login").await?;
        assert_eq!(w.h1().await?, "로그인");

        // One generic message for every failure, which names neither
        // the cause nor whether the user id exists.
        let msg = ko("login-failed");
        assert!(msg.starts_with(KO_LOGIN_FAILED), "{msg}");

        // An unknown user id: the generic message.
        w.submit_login("ghost", "Wrong-Pass-123").await?;
        assert_eq!(w.path().await?, "/login");
        assert_eq!(w.text("[role=alert]").await?, msg);
        assert_eq!(w.value("username").await?, "ghost");

        // Five wrong passwords: the same message each time.
        for i in 1..=5 {
            w.submit_login("root", &format!("Wrong-Pass-{i}23")).await?;
            assert_eq!(w.path().await?, "/login", "attempt {i}");
            assert_eq!(w.text("[role=alert]").await?, msg, "attempt {i}");
            assert_eq!(w.value("password").await?, "", "attempt {i}");
        }

        // Locked: the right password fails with exactly the same message.
        w.submit_login("root", ADMIN_PASSWORD).await?;
        assert_eq!(w.path().await?, "/login");
        assert_eq!(w.text("[role=alert]").await?, msg);
        assert!(!w.has(".who").await?, "not logged in");
        w.goto("/dashboard").await?;
        assert!(w.path().await?.starts_with("/login"), "still not logged in");

        let (p, _) = w
            .server
            .state
            .store
            .principal_by_username("root")
            .await?
            .ok_or_else(|| fail("root exists"))?;
        let until = p
            .user
            .locked_until
            .ok_or_else(|| fail(format!("root is not locked: {:?}", p.user)))?;
        assert!(until > Timestamp::now(), "locked until {until:?}");
        let actions = w.server.audit_actions().await;
        assert_eq!(
            actions.iter().filter(|a| *a == "auth.lockout").count(),
            1,
            "{actions:?}"
        );
        Ok(())
    })
    .await;
}

pub async fn browser_idle_timeout(db: TestDb) {
    run("browser_idle_timeout", db, |w| async move {
        w.server.setup().await;
        w.login("root", ADMIN_PASSWORD).await?;
        assert_eq!(w.path().await?, "/dashboard");

        w.goto("/settings").await?;
        assert_eq!(w.h1().await?, ko("settings-title"));
        w.fill("idle_timeout_secs", "10").await?;
        w.click("form[action='/settings'] button[type=submit]")
            .await?;
        let saved = Instant::now();
        assert_eq!(w.notice().await?, Some(ko("settings-saved")));
        assert_eq!(w.value("idle_timeout_secs").await?, "10");
        assert_eq!(
            w.find("body")
                .await?
                .attr("data-idle-timeout")
                .await?
                .as_deref(),
            Some("10")
        );

        // No activity: the page's script leaves for the login page.
        let p = w
            .wait_path("/login?reason=timeout", Duration::from_secs(20))
            .await?;
        let waited = saved.elapsed();
        assert!(
            waited >= Duration::from_secs(9),
            "left after {waited:?}, before the timeout"
        );
        assert!(p.contains("next=%2Fsettings"), "{p}");
        w.find("main").await?;
        let notice = w.notice().await?.unwrap_or_default();
        assert!(notice.contains(KO_TIMED_OUT), "notice: {notice:?}");
        assert_eq!(w.h1().await?, "로그인");

        // The session is gone on the server too.
        w.goto("/dashboard").await?;
        assert!(w.path().await?.starts_with("/login"), "{}", w.path().await?);
        assert_eq!(w.h1().await?, "로그인");

        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let actions = w.server.audit_actions().await;
            if actions.iter().any(|a| a == "auth.session.timeout") {
                break;
            }
            if Instant::now() > deadline {
                return Err(fail(format!("no auth.session.timeout record: {actions:?}")));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    })
    .await;
}

pub async fn browser_language_switch(db: TestDb) {
    run("browser_language_switch", db, |w| async move {
        w.server.setup().await;
        w.goto("/login").await?;
        assert_eq!(w.html_lang().await?, "ko");
        assert_eq!(w.h1().await?, "로그인");
        assert_eq!(w.text("a.lang").await?, "English");

        w.click("a.lang").await?;
        assert_eq!(w.path().await?, "/login");
        assert_eq!(w.html_lang().await?, "en");
        assert_eq!(w.h1().await?, "Log in");
        assert_eq!(w.text("a.lang").await?, "한국어");

        // Logging in keeps the language.
        w.submit_login("root", ADMIN_PASSWORD).await?;
        assert_eq!(w.path().await?, "/dashboard");
        assert_eq!(w.html_lang().await?, "en");
        assert_eq!(w.h1().await?, en("dash-heading-isac"));
        let main = w.text("main").await?;
        assert!(main.contains(&en("dash-first-login")), "{main}");

        // And back to Korean, on the same page.
        w.click("a.lang").await?;
        assert_eq!(w.path().await?, "/dashboard");
        assert_eq!(w.html_lang().await?, "ko");
        assert_eq!(w.h1().await?, ko("dash-heading-isac"));
        assert_eq!(w.text("a.lang").await?, "English");
        Ok(())
    })
    .await;
}

pub async fn browser_org_isolation(db: TestDb) {
    run("browser_org_isolation", db, |w| async move {
        const A_PASSWORD: &str = "Alpha-Hospital-77";
        const B_PASSWORD: &str = "Bravo-Maker-88!";
        let s = &w.server;
        s.setup().await;
        let root = s.actor("root").await;
        let make = |name: &str, kind: &str, admin: &str, display: &str| service::NewOrgInput {
            name: name.into(),
            kind: kind.into(),
            admin_username: Some(admin.into()),
            admin_display_name: Some(display.into()),
        };
        let (org_a, invited) = service::create_org(
            &s.state,
            &root,
            &make("가나다병원", "hospital", "alice.a", "앨리스 관리자"),
        )
        .await
        .or_fail("create org A")?;
        let (_, token) = invited.ok_or_else(|| fail("A's admin invited"))?;
        service::activate(&s.state, &token, A_PASSWORD, A_PASSWORD, "test")
            .await
            .or_fail("activate A's admin")?;
        let (org_b, invited) = service::create_org(
            &s.state,
            &root,
            &make("부산메디텍", "manufacturer", "bob.b", "밥 비밀관리자"),
        )
        .await
        .or_fail("create org B")?;
        let (bob, token) = invited.ok_or_else(|| fail("B's admin invited"))?;
        service::activate(&s.state, &token, B_PASSWORD, B_PASSWORD, "test")
            .await
            .or_fail("activate B's admin")?;
        // A second user in B, created by B's administrator.
        let bob_actor = s.actor("bob.b").await;
        let (carol, _) = service::create_user(
            &s.state,
            &bob_actor,
            &service::NewUserInput {
                username: "carol.b".into(),
                display_name: "캐럴 비공개".into(),
                role: "editor".into(),
            },
        )
        .await
        .or_fail("create a user in B")?;
        let markers = [
            org_b.id.as_str(),
            "부산메디텍",
            bob.id.as_str(),
            "bob.b",
            "밥 비밀관리자",
            carol.id.as_str(),
            "carol.b",
            "캐럴 비공개",
        ];

        w.login("alice.a", A_PASSWORD).await?;
        assert_eq!(w.path().await?, "/dashboard");
        assert_eq!(w.h1().await?, ko("dash-heading-hospital"));

        // B's objects look exactly like objects that do not exist.
        let missing = "00000000-0000-4000-8000-000000000000";
        let mut pages = Vec::new();
        for path in [
            format!("/users/{}", bob.id),
            format!("/users/{}", carol.id),
            format!("/users/{missing}"),
            format!("/organizations/{}", org_b.id),
            format!("/organizations/{missing}"),
        ] {
            w.goto(&path).await?;
            assert_eq!(w.h1().await?, KO_NOT_FOUND, "{path}");
            let title = w.client.title().await?;
            let main = w.text("main").await?;
            pages.push((path, title, main));
        }
        for (path, title, main) in &pages[1..] {
            assert_eq!(
                (title, main),
                (&pages[0].1, &pages[0].2),
                "{path} differs from {}",
                pages[0].0
            );
        }

        // A's own lists show A's data and nothing of B's.
        for (path, own) in [
            ("/users", "alice.a"),
            ("/organizations", "가나다병원"),
            ("/audit", "alice.a"),
            ("/dashboard", "가나다병원"),
        ] {
            w.goto(path).await?;
            assert_eq!(w.path().await?, path);
            let source = w.client.source().await?;
            assert!(source.contains(own), "{path} shows {own}");
            for m in markers {
                assert!(!source.contains(m), "{path} shows B's {m:?}");
            }
        }
        // A's organisation page is reachable, B's not.
        w.goto(&format!("/organizations/{}", org_a.id)).await?;
        assert_eq!(w.h1().await?, "가나다병원");
        Ok(())
    })
    .await;
}
