"""Checks the checklist workbook medsec writes with openpyxl, a reader
independent of ours: sheet names, the header block, the form's columns,
the review case's row 1.1, print setup, and that no cell is a formula.

Then, as a manufacturer would in a spreadsheet, it edits the workbook
(a document number, 적용여부 of 1.5, a test record with a real date cell)
and saves it with openpyxl as EDITED, for the Rust test to read back.

Usage: check_xlsx.py WORKBOOK HOSTILE_STRING EDITED
Run by the Rust test `openpyxl_reads_the_form` (MEDSEC_TEST_PYTHON).
"""

import datetime
import sys

import openpyxl

FORM_COLUMNS = [
    "사이버보안 필수원칙",
    "해당기기 적용여부",
    "적합성 입증방법",
    "해당 법규 및 규격",
    "해당 첨부자료 또는 문서번호",
    "검증 방법",
]


def main(path: str, hostile: str) -> None:
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["체크리스트", "시험기록", "첨부자료", "medsec"], wb.sheetnames
    assert wb["medsec"].sheet_state == "hidden"

    # No cell anywhere is a formula.
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"

    ws = wb["체크리스트"]
    texts = [str(c.value) for row in ws.iter_rows(max_row=15) for c in row if c.value is not None]
    assert "< 의료기기 사이버 보안 특성 기재 >" in texts, texts
    assert any("사이버 보안 안전성 등급" in t and "■중" in t and "□상" in t for t in texts), texts
    assert "2) 사용되는 통신 기술 : wifi 통신" in texts, texts
    assert any(t.startswith("3) 통신목적") and "■ 환자의 생체정보" in t for t in texts), texts
    assert "□ 기기제어" in texts, texts
    assert "4) 공용 네트워크망 사용여부 : 예" in texts, texts

    header = [c.value for c in ws[16]]
    assert header[:6] == FORM_COLUMNS, header
    assert header[6:9] == ["적용 판단 근거", "비고", "항목 ID"], header
    assert ws[16][0].font.b, "header row is bold"
    assert ws.freeze_panes == "A17", ws.freeze_panes
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
    assert "16" in str(ws.print_title_rows), ws.print_title_rows
    assert ws.column_dimensions["F"].width > 40

    rows = {r[8].value: r for r in ws.iter_rows(min_row=17) if r[8].value}
    r11 = rows["1.1"]
    assert r11[0].value.startswith("1.1 접근통제 및 인증\n"), r11[0].value
    assert r11[0].alignment.wrap_text
    assert r11[1].value == "적용"
    assert "VVT-SW-001" in r11[4].value
    assert r11[5].value.startswith("[시험기준]\n"), r11[5].value
    assert "[시험방법]\n1. " in r11[5].value
    assert rows["1.13"][1].value == "비적용"
    assert "사용자 판단: " in rows["1.12"][6].value

    r13 = rows["1.3"]
    assert r13[2].data_type == "s"
    assert r13[2].value.splitlines()[-1] == hostile, r13[2].value
    # Text that starts like a formula keeps Excel's quote prefix.
    assert r13[7].value.startswith("+") and r13[7].quotePrefix

    tests = wb["시험기록"]
    assert [c.value for c in tests[1]] == [
        "항목 ID", "시험자", "시험일", "결과", "비고",
        "근거자료 SHA-256", "근거자료 파일명", "근거자료 ID",
    ]
    records = [[c.value for c in r] for r in tests.iter_rows(min_row=2)]
    assert records[0][:4] == ["1.1", "김시험", "2024-05-02", "부적합"], records[0]
    assert records[1][3] == "적합"
    assert records[2][1].startswith("=HYPERLINK"), records[2]

    attachments = wb["첨부자료"]
    assert [c.value for c in attachments[1]] == ["항목 ID", "문서번호", "근거자료 ID", "SHA-256", "파일명"]
    first = [c.value for c in attachments[2]]
    assert first[:2] == ["1.1", "VVT-SW-001"] and len(first[3]) == 64, first

    meta = {r[0].value: r[1].value for r in wb["medsec"].iter_rows(min_row=2) if r[0].value != "row"}
    assert meta["schema"] == "medsec-checklist/1", meta
    assert meta["security_level"] == "medium" and meta["purposes"] == "patient-data", meta
    assert meta["public_network"] == "true"
    print("ok")


def edit(path: str, out: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["체크리스트"]
    rows = {r[8].value: r for r in ws.iter_rows(min_row=17) if r[8].value}
    rows["1.1"][4].value = rows["1.1"][4].value + "\nVVT-SW-010"
    rows["1.5"][1].value = "비적용"
    rows["1.5"][6].value = "사용자 판단: 유선 전용 모델"
    tests = wb["시험기록"]
    tests.append(["1.3", "이검증", datetime.date(2024, 5, 1), "부적합", "openpyxl로 추가"])
    wb.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    edit(sys.argv[1], sys.argv[3])
