"""Validates SPDX documents with spdx-tools, as `pyspdxtools -i FILE` does.

Usage: check_spdx.py FILE...
Prints `INVALID <file>: <messages>` per invalid file and `checked <n>` last.
"""

import sys

from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import (
    validate_full_spdx_document,
)


def main() -> None:
    files = sys.argv[1:]
    for path in files:
        try:
            messages = [
                m.validation_message
                for m in validate_full_spdx_document(parse_file(path))
            ]
        except Exception as e:  # a parse failure is a finding too
            messages = [f"cannot parse: {e}"]
        if messages:
            print(f"INVALID {path}: {len(messages)} issues: {messages[:5]}")
    print(f"checked {len(files)}")


if __name__ == "__main__":
    main()
