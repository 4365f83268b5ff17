//! openpyxl as an independent reader of the workbook: opt-in through
//! `MEDSEC_TEST_PYTHON` (a Python with openpyxl, see
//! `scripts/test-requirements.txt`), required when
//! `MEDSEC_REQUIRE_PYTHON=1`.

use std::path::Path;
use std::process::Command;

use medsec_assure::checklist::{Attachment, TestRecord, TestResult};

use super::*;

#[test]
fn openpyxl_reads_the_form() {
    let Some(python) = std::env::var_os("MEDSEC_TEST_PYTHON") else {
        if std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() == Ok("1") {
            panic!("MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set");
        }
        eprintln!("skipped: openpyxl check of the workbook (set MEDSEC_TEST_PYTHON)");
        return;
    };
    let list = ecg_checklist();
    let bytes = crate::xlsx::write(&list).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checklist.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_xlsx.py");
    let edited = dir.path().join("edited.xlsx");
    let output = Command::new(python)
        .arg(&script)
        .arg(&path)
        .arg(HOSTILE_FORMULA)
        .arg(&edited)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "check_xlsx.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("ok"), "{stdout}");

    // openpyxl as another writer: its re-save of the workbook, with the
    // edits the script made, reads back with exactly those edits.
    let bytes = std::fs::read(&edited).unwrap();
    let back = crate::xlsx::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut expected = list.clone();
    let i = index_of(&list, "1.1");
    expected.rows[i].content.attachments.push(Attachment {
        document: "VVT-SW-010".to_owned(),
        evidence: None,
    });
    let i = index_of(&list, "1.5");
    expected.rows[i].applies = false;
    expected.rows[i].reason_ko = String::new();
    expected.rows[i].justification = Some("유선 전용 모델".to_owned());
    // openpyxl reads the escaped `_x005F_x0041_` as the text `_x0041_` but
    // writes that back unescaped, and by OOXML `_x0041_` is `A`: its
    // quirk, not ours (Excel escapes the underscore as we do).
    let i = index_of(&list, "1.4");
    let standards = &mut expected.rows[i].content.standards;
    assert_eq!(standards[1], "_x0041_ 그대로 \u{1} 제어문자");
    standards[1] = "A 그대로 \u{1} 제어문자".to_owned();
    let i = index_of(&list, "1.3");
    expected.rows[i].content.tests.push(TestRecord {
        by: "이검증".to_owned(),
        on: "2024-05-01".to_owned(),
        result: TestResult::Fail,
        note: "openpyxl로 추가".to_owned(),
        evidence: None,
    });
    assert_same(&back, &expected);
}
