//! `medsec webshell scan` with the real binary: exit status 0 for clean
//! files, 1 when a rule matched (one line per file and rule), 2 when a
//! rule file does not compile (named with its line), and a zip archive
//! scanned entry by entry.

use crate::{run, text};

#[test]
fn webshell_scan_exit_codes_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("uploads")).unwrap();
    std::fs::write(www.join("index.php"), "<?php require 'wp-blog-header.php';").unwrap();
    let root = www.display().to_string();

    let clean = run(&["webshell", "scan", &root]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(clean.stdout.is_empty());
    assert!(
        text(&clean.stderr).contains("1 files"),
        "{}",
        text(&clean.stderr)
    );

    std::fs::write(www.join("uploads/x.php"), "<?php @eval($_POST['a']);?>").unwrap();
    let found = run(&["webshell", "scan", &root]);
    assert_eq!(found.status.code(), Some(1), "{}", text(&found.stderr));
    let out = text(&found.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&format!(
            "{root}/uploads/x.php\tcritical\tyara:php_china_chopper\tT1505.003\tsha256="
        )),
        "{out}"
    );
    assert!(lines[0].ends_with("$one@0"), "{out}");

    let json = run(&["webshell", "scan", "--json", &root]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["files"], 2);
    assert_eq!(v["findings"][1]["rule"], "php_eval_request_input");
    assert_eq!(v["findings"][1]["matches"][0]["id"], "$direct");

    // A bad analyst rule: exit 2, file:line:column on standard error.
    let bad = dir.path().join("bad.yar");
    std::fs::write(&bad, "rule broken {\n condition:\n  $nope\n}\n").unwrap();
    let r = run(&[
        "webshell",
        "scan",
        "--rules",
        &bad.display().to_string(),
        &root,
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains(&format!("{}:3:3: ", bad.display())),
        "{}",
        text(&r.stderr)
    );

    // Too large files are skipped with the reason, not silently.
    let r = run(&["webshell", "scan", "--max-file-size", "10", &root]);
    assert_eq!(r.status.code(), Some(0));
    assert!(text(&r.stderr).contains("skipped: "), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("too_large"), "{}", text(&r.stderr));
}
