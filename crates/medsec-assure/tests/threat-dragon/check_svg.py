"""Parses SVG documents with Python's XML parser (xml.etree) and reports
what they hold, so the Rust tests can check the drawing through a real
parser rather than by searching text.

Usage: check_svg.py < DOCUMENTS
DOCUMENTS is a JSON object mapping names to SVG text. Prints one JSON
object per line: {"name", "root", "elements", "flows", "boundaries",
"texts"} where `elements` maps data-id to the element's class, and
`texts` lists every text node. A document that is not well-formed XML
prints {"name", "error"} and the exit status is 1.
"""

import json
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def main() -> int:
    documents = json.load(sys.stdin)
    failed = False
    for name, text in documents.items():
        try:
            root = ET.fromstring(text.encode("utf-8"))
        except ET.ParseError as e:
            failed = True
            print(json.dumps({"name": name, "error": str(e)}, ensure_ascii=False))
            continue
        groups = [g for g in root.iter(SVG + "g") if g.get("data-id") is not None]
        out = {
            "name": name,
            "root": root.tag,
            "font_family": root.get("font-family"),
            "elements": {
                g.get("data-id"): g.get("class")
                for g in groups
                if (g.get("class") or "").startswith("element ")
            },
            "flows": [g.get("data-id") for g in groups if g.get("class") == "flow"],
            "boundaries": [g.get("data-id") for g in groups if g.get("class") == "boundary"],
            "texts": [t for t in root.itertext() if t.strip()],
        }
        print(json.dumps(out, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
