"""Checks a submission package with Python's own ZIP reader and openpyxl.

Usage: check_package.py PACKAGE.zip
Prints `zip ok N` when `zipfile.testzip` finds every member's CRC right,
then `xlsx PATH: SHEET | SHEET …` for every workbook openpyxl opens and
`cell PATH A1 VALUE` with the first sheet's first cell; exits with status 1
on any problem. Run by the Rust tests in tests/it (MEDSEC_TEST_PYTHON).
"""

import io
import sys
import zipfile

import openpyxl


def main(path: str) -> int:
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            print(f"BAD CRC {bad}")
            return 1
        names = z.namelist()
        print(f"zip ok {len(names)}")
        for name in names:
            if not name.endswith(".xlsx"):
                continue
            wb = openpyxl.load_workbook(io.BytesIO(z.read(name)))
            print(f"xlsx {name}: {' | '.join(wb.sheetnames)}")
            ws = wb[wb.sheetnames[0]]
            print(f"cell {name} A1 {ws['A1'].value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
