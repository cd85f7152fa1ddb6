"""Regenerate the JSON Schema section of docs/protocol.md from service/protocol.py.

    python docs/gen_protocol.py          # rewrite the section in place
    python docs/gen_protocol.py --check  # exit 1 if the document is out of date

Everything between the BEGIN and END markers is generated; edit the prose
above them by hand, the wire types in ``service/protocol.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from service.protocol import json_schemas

__all__ = ["DOC", "BEGIN", "END", "schema_section", "regenerate", "main"]

DOC = Path(__file__).with_name("protocol.md")
BEGIN = "<!-- BEGIN GENERATED SCHEMAS (docs/gen_protocol.py; do not edit by hand) -->"
END = "<!-- END GENERATED SCHEMAS -->"


def schema_section() -> str:
    blocks = [f"### {name}\n\n```json\n{json.dumps(schema, indent=2, ensure_ascii=False)}\n```\n"
              for name, schema in json_schemas().items()]
    return "\n".join(blocks)


def regenerate(text: str) -> str:
    """``text`` with the section between the markers replaced by freshly generated schemas."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{DOC.name} must contain the lines {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n\n{schema_section()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = regenerate(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{DOC} is out of date; run: python docs/gen_protocol.py", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
