//! The `medsec` command end to end: the real binary, real files, a real
//! TLS listener, SQLite and (with `MEDSEC_TEST_POSTGRES`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod crisis;
mod cvss;
mod detect;
mod feeds;
mod generate;
mod https;
mod package;
mod postmarket;
mod risk;
mod scan;
mod threat;
mod watch;
mod webshell;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader};

const PASSWORD: &str = "Strong-Pass-2026";

fn medsec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_medsec"));
    // Keep the environment from leaking into tests.
    for (k, _) in std::env::vars() {
        if k.starts_with("MEDSEC_") {
            c.env_remove(k);
        }
    }
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    medsec().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn password_file(dir: &Path, password: &str) -> PathBuf {
    let p = dir.join("password");
    std::fs::write(&p, format!("{password}\n")).unwrap();
    p
}

fn init(data: &Path, db: Option<&str>) -> Output {
    let pw = password_file(data.parent().unwrap(), PASSWORD);
    let mut args = vec![
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--admin",
        "admin",
        "--password-file",
        pw.to_str().unwrap(),
    ];
    if let Some(db) = db {
        args.extend(["--database", db]);
    }
    run(&args)
}

#[test]
fn init_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let weak = password_file(dir.path(), "admin");
    let out = run(&[
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--admin",
        "admin",
        "--password-file",
        weak.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("--password-file") && err.contains("too weak"),
        "{err}"
    );

    let out = init(&data, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("administrator \"admin\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
            0o700,
            "the data directory is private"
        );
    }
    let again = init(&data, None);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already set up"),
        "{}",
        text(&again.stderr)
    );
    let missing = run(&[
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--admin",
        "x",
        "--password-file",
        "/nonexistent/pw",
    ]);
    assert!(
        text(&missing.stderr).contains("reading the password file /nonexistent/pw"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn audit_verify_finds_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(init(&data, None).status.success());
    let file = dir.path().join("b1.jsonl");
    assert!(
        run(&[
            "backup",
            "--data-dir",
            data.to_str().unwrap(),
            file.to_str().unwrap()
        ])
        .status
        .success()
    );
    let ok = run(&["audit", "verify", "--data-dir", data.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", text(&ok.stdout));
    assert!(
        text(&ok.stdout).starts_with("Audit log intact: 2 records verified"),
        "{}",
        text(&ok.stdout)
    );

    // Someone with access to the database file edits the first record.
    let db = data.join("medsec.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::raw_sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 1;").execute(&mut c).await.unwrap();
    });
    let bad = run(&["audit", "verify", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stdout).contains("record 1 was altered"),
        "{}",
        text(&bad.stdout)
    );
}

#[test]
fn backup_moves_sqlite_to_postgres() {
    let Some(pg) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(medsec_store::testing::postgres_url())
    else {
        eprintln!("skipped: PostgreSQL half of this test (set MEDSEC_TEST_POSTGRES to run it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(init(&data, None).status.success());
    let file = dir.path().join("medsec.backup");
    let out = run(&[
        "backup",
        "--data-dir",
        data.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("users                       1"),
        "{}",
        text(&out.stdout)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600,
            "backups hold password hashes"
        );
    }
    let out = run(&["restore", "--database", &pg, file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("into the postgres database"));
    let v = run(&["audit", "verify", "--database", &pg]);
    assert!(v.status.success(), "{}", text(&v.stdout));
    // The restore itself is recorded: backup, setup, backup.created, backup.restored.
    assert!(
        text(&v.stdout).contains("3 records verified"),
        "{}",
        text(&v.stdout)
    );
    // Restoring again is refused: the target is not empty.
    let again = run(&["restore", "--database", &pg, file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );
    // And the administrator can log in on PostgreSQL.
    let mut server = Server::start(&["--data-dir", data.to_str().unwrap(), "--database", &pg]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ready = server.ready().await;
        let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
        let (status, res) = https::request(
            &ready.addr,
            &ready.fingerprint,
            "POST",
            "/api/v1/auth/login",
            Some(&body),
        )
        .await;
        assert_eq!(status, 200, "{res}");
    });
    server.stop();
}

/// A `medsec serve` child process.
struct Server {
    child: tokio::process::Child,
    rt: Option<tokio::runtime::Runtime>,
}

struct Ready {
    addr: String,
    fingerprint: String,
    setup_link: Option<String>,
    lines: Vec<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let mut cmd = tokio::process::Command::from(medsec());
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let child = rt.block_on(async { cmd.spawn().unwrap() });
        Server {
            child,
            rt: Some(rt),
        }
    }

    /// Reads stderr until the server says it is serving.
    async fn ready(&mut self) -> Ready {
        let stderr = self.child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let line = tokio::time::timeout_at(deadline, lines.next_line())
                .await
                .expect("server start timed out")
                .unwrap()
                .expect("server exited");
            seen.push(line.clone());
            if let Some(rest) = line.split("serving on https://").nth(1) {
                let host_port = rest.split(' ').next().unwrap();
                let port = host_port.rsplit(':').next().unwrap();
                let fingerprint = seen
                    .iter()
                    .find_map(|l| l.strip_prefix("TLS certificate SHA-256 fingerprint: "))
                    .unwrap()
                    .to_owned();
                let setup_link = seen.iter().find_map(|l| {
                    l.trim()
                        .strip_prefix("https://")
                        .map(|s| format!("https://{s}"))
                });
                // Keep draining stderr so the server never blocks on it.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Ready {
                    addr: format!("127.0.0.1:{port}"),
                    fingerprint,
                    setup_link,
                    lines: seen,
                };
            }
        }
    }

    /// Asks the server to stop (SIGTERM) and checks it exits cleanly.
    fn stop(&mut self) {
        let pid = self.child.id().unwrap();
        let rt = self.rt.take().unwrap();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
        let status = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(20), self.child.wait())
                .await
                .expect("no graceful shutdown")
                .unwrap()
        });
        assert!(status.success(), "exit status {status}");
    }
}

#[test]
fn serve_prints_its_fingerprint_and_setup_link_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let started = std::time::Instant::now();
    let mut server = Server::start(&["--data-dir", data.to_str().unwrap()]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ready = server.ready().await;
        eprintln!("cold start to serving: {:?}", started.elapsed());
        assert!(
            ready
                .lines
                .iter()
                .any(|l| l.starts_with("Created a self-signed TLS certificate")),
            "{:?}",
            ready.lines
        );
        // The printed fingerprint is the certificate the server presents
        // (the client pins it) and the one written to the data directory.
        let pem = data.join("tls/cert.pem");
        assert_eq!(https::file_fingerprint(&pem), ready.fingerprint);
        let (status, body) =
            https::request(&ready.addr, &ready.fingerprint, "GET", "/healthz", None).await;
        assert_eq!(status, 200);
        assert!(body.contains("\"database\":\"ok\""));
        let link = ready.setup_link.expect("a setup link on an empty database");
        let path = link
            .split_once(&format!(":{}", ready.addr.rsplit(':').next().unwrap()))
            .unwrap()
            .1
            .to_owned();
        let (status, page) =
            https::request(&ready.addr, &ready.fingerprint, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("medsec 초기 설정"));
        // Plain HTTP is not served.
        assert!(https::plain_http_refused(&ready.addr).await);
    });
    server.stop();

    // Second start: the certificate is reused, no new one is made.
    let mut server = Server::start(&["--data-dir", data.to_str().unwrap()]);
    rt.block_on(async {
        let ready = server.ready().await;
        assert!(
            !ready
                .lines
                .iter()
                .any(|l| l.starts_with("Created a self-signed"))
        );
    });
    server.stop();
}

#[test]
fn serve_uses_the_operators_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    // A certificate made elsewhere (here by the same code, in another place).
    let own = medsec_server::tls::load(&medsec_server::tls::TlsSource::SelfSigned {
        data_dir: dir.path().join("pki"),
        hostnames: vec!["medsec.hospital.example".into()],
    })
    .unwrap();
    let cert = dir.path().join("pki/tls/cert.pem");
    let key = dir.path().join("pki/tls/key.pem");
    let data = dir.path().join("data");
    let mut server = Server::start(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ready = server.ready().await;
        assert_eq!(ready.fingerprint, own.fingerprint);
        assert!(
            !ready
                .lines
                .iter()
                .any(|l| l.starts_with("Created a self-signed"))
        );
        assert!(!data.join("tls").exists(), "no certificate of its own");
        let (status, _) =
            https::request(&ready.addr, &ready.fingerprint, "GET", "/healthz", None).await;
        assert_eq!(status, 200);
    });
    server.stop();
    // A key that does not belong to the certificate is refused with the reason.
    let other = dir.path().join("other");
    medsec_server::tls::load(&medsec_server::tls::TlsSource::SelfSigned {
        data_dir: other.clone(),
        hostnames: vec![],
    })
    .unwrap();
    let out = run(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        other.join("tls/key.pem").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("do not match"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "a certificate needs its key");
}

#[test]
fn configuration_order_is_file_then_env_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("medsec.toml"), "listen = \"127.0.0.1:1111\"\nlog_format = \"json\"\nhostnames = [\"medsec.hospital.example\"]\n").unwrap();
    let config = |env: &[(&str, &str)], flags: &[&str]| {
        let mut c = medsec();
        c.args(["config", "--data-dir", data.to_str().unwrap()])
            .args(flags);
        for (k, v) in env {
            c.env(k, v);
        }
        text(&c.output().unwrap().stdout)
    };
    let from_file = config(&[], &[]);
    assert!(
        from_file.contains("listen = \"127.0.0.1:1111\""),
        "{from_file}"
    );
    assert!(from_file.contains("log_format = \"json\""));
    assert!(from_file.contains("medsec.hospital.example"));
    let from_env = config(&[("MEDSEC_LISTEN", "127.0.0.1:2222")], &[]);
    assert!(
        from_env.contains("listen = \"127.0.0.1:2222\""),
        "{from_env}"
    );
    let from_flag = config(
        &[("MEDSEC_LISTEN", "127.0.0.1:2222")],
        &["--listen", "127.0.0.1:3333"],
    );
    assert!(
        from_flag.contains("listen = \"127.0.0.1:3333\""),
        "{from_flag}"
    );
    let hidden = config(
        &[("MEDSEC_DATABASE", "postgres://medsec:s3cret@db/medsec")],
        &[],
    );
    assert!(
        hidden.contains("postgres://medsec:***@db/medsec") && !hidden.contains("s3cret"),
        "{hidden}"
    );
    // Multi-node settings: the bus URL's password is hidden too, a role
    // needs the bus, and a bad role is named.
    let nodes = config(
        &[("MEDSEC_NATS", "nats://medsec:s3cret@bus:4222")],
        &["--node-role", "receive", "--nats-max-bytes", "2097152"],
    );
    assert!(
        nodes.contains("nats = \"nats://medsec:***@bus:4222\"")
            && nodes.contains("node_role = \"receive\"")
            && nodes.contains("nats_max_bytes = 2097152")
            && !nodes.contains("s3cret"),
        "{nodes}"
    );
    for (flags, message) in [
        (
            &["--node-role", "index"][..],
            "node_role `index` needs the ingest bus",
        ),
        (
            &["--nats", "nats://bus:4222", "--node-role", "indexer"][..],
            "node_role must be `all`, `receive` or `index`, not `indexer`",
        ),
        (
            &["--nats", "nats://bus:4222", "--nats-max-bytes", "1000"][..],
            "nats_max_bytes must be at least 1 MiB",
        ),
    ] {
        let out = medsec()
            .args(["config", "--data-dir", data.to_str().unwrap()])
            .args(flags)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flags:?}");
        let err = text(&out.stderr);
        assert!(err.contains(message), "{flags:?}: {err}");
    }
    // A mistake in the file names the file and the key.
    std::fs::write(data.join("medsec.toml"), "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = medsec()
        .args(["config", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("medsec.toml") && err.contains("lisen"),
        "{err}"
    );
}

#[test]
fn help_names_every_command_and_option() {
    let help = text(&run(&["--help"]).stdout);
    for c in ["serve", "init", "backup", "restore", "audit", "config"] {
        assert!(help.contains(c), "{help}");
    }
    let serve = text(&run(&["serve", "--help"]).stdout);
    for f in [
        "--data-dir",
        "--database",
        "--listen",
        "--tls-cert",
        "--tls-key",
        "--config",
        "--log-format",
        "--body-limit",
        "MEDSEC_LISTEN",
        "MEDSEC_DATABASE",
        "--nats",
        "--node-role",
        "--nats-max-bytes",
    ] {
        assert!(serve.contains(f), "serve --help lacks {f}: {serve}");
    }
    let bad = run(&["serve", "--listen", "not-an-address"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--listen"));
}

#[test]
fn catalogue_commands() {
    let list = run(&["catalog", "list"]);
    assert!(list.status.success());
    assert!(text(&list.stdout).contains("mfds-2019"));
    let show = run(&["catalog", "show", "mfds-2019", "1.1", "--lang", "en"]);
    let out = text(&show.stdout);
    assert!(
        out.contains("Access control and authentication")
            && out.contains("Register an authorised user on the server."),
        "{out}"
    );
    let found = run(&["catalog", "search", "세션"]);
    assert!(found.status.success() && text(&found.stdout).contains("mfds-2019:1.8"));
    let none = run(&["catalog", "search", "xyzzy"]);
    assert_eq!(none.status.code(), Some(1));
    let csv = run(&["catalog", "export", "mfds-2019", "--format", "csv"]);
    assert_eq!(text(&csv.stdout).lines().count(), 25, "header and 24 items");
    let json = run(&["catalog", "export", "mfds-2019"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["item"].as_array().unwrap().len(), 24);
    let bad = run(&["catalog", "show", "nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("no catalogue `nope`; there are: "),
        "{}",
        text(&bad.stderr)
    );
}

/// The premarket commands on a fresh SQLite database: organisations,
/// a device from its profile, applicability, a checklist, its gaps and
/// exports; bad profiles name the field and change nothing.
#[test]
fn device_and_checklist_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    assert!(init(&data, None).status.success());
    let made = run(&[
        "org",
        "create",
        "--data-dir",
        d,
        "--name",
        "메드시큐",
        "--kind",
        "manufacturer",
    ]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    run(&[
        "org",
        "create",
        "--data-dir",
        d,
        "--name",
        "Hospital",
        "--kind",
        "hospital",
    ]);
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../medsec-assure/fixtures/devices"
    );
    // A profile with an error: the field is named, nothing is created.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(format!("{fixtures}/ecg-gateway.toml"))
            .unwrap()
            .replace("grade = 2", "grade = 9"),
    )
    .unwrap();
    let r = run(&[
        "device",
        "import",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("device.grade: must be 1 to 4"),
        "{}",
        text(&r.stderr)
    );
    let hospital = run(&[
        "device",
        "import",
        "--data-dir",
        d,
        "--org",
        "Hospital",
        &format!("{fixtures}/ecg-gateway.toml"),
    ]);
    assert!(
        text(&hospital.stderr).contains("devices belong to manufacturers"),
        "{}",
        text(&hospital.stderr)
    );
    let r = run(&[
        "device",
        "import",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        &format!("{fixtures}/ecg-gateway.toml"),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let (id, title) = out.trim().split_once('\t').unwrap();
    assert_eq!(title, "유헬스케어 게이트웨이 UHG-100 1.0.0");
    let list = run(&["device", "list", "--data-dir", d, "--org", "메드시큐"]);
    assert_eq!(text(&list.stdout).lines().count(), 1);
    let table = text(
        &run(&[
            "device",
            "applicability",
            "--data-dir",
            d,
            "--org",
            "메드시큐",
            "--device",
            id,
        ])
        .stdout,
    );
    assert!(table.contains("# mfds-2019: 17 of 24 apply"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("mfds-2019:1.1\t적용\t")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("mfds-2019:1.6\t비적용\t원격 접속 기능이 없음")),
        "{table}"
    );
    let r = run(&[
        "checklist",
        "new",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--edition",
        "mfds-2019",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let gaps = run(&[
        "checklist",
        "gaps",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--lang",
        "en",
    ]);
    assert_eq!(gaps.status.code(), Some(1), "gaps remain");
    assert!(text(&gaps.stdout).contains("1.1\tevidence\tno evidence file attached"));
    let json = run(&[
        "checklist",
        "export",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 24);
    let xlsx = dir.path().join("c.xlsx");
    let r = run(&[
        "checklist",
        "export",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--format",
        "xlsx",
        "-o",
        xlsx.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK\x03\x04"));
    let no_output = run(&[
        "checklist",
        "export",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--format",
        "pdf",
    ]);
    assert!(text(&no_output.stderr).contains("--output FILE is needed"));
    // Carried to the 2024 edition: the requirements new in 2024 are listed.
    let carried = run(&[
        "checklist",
        "carry",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
    ]);
    assert!(carried.status.success(), "{}", text(&carried.stderr));
    let out = text(&carried.stdout);
    assert!(out.lines().any(|l| l.starts_with("IA-08\tnew")), "{out}");
    assert!(out.lines().next().unwrap().contains("mfds-2024"), "{out}");
    // The newest checklist of the device is now the 2024 one.
    let json = run(&[
        "checklist",
        "export",
        "--data-dir",
        d,
        "--org",
        "메드시큐",
        "--device",
        id,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["catalog"], "mfds-2024");
    // A closed pipe ends the output quietly.
    let mut child = medsec()
        .args([
            "device",
            "applicability",
            "--data-dir",
            d,
            "--org",
            "메드시큐",
            "--device",
            id,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}
