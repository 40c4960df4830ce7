"""``python -m templates.build [NAME.docx ...]``: apply the build steps to the shipped templates."""

from __future__ import annotations

import sys
from pathlib import Path

from templates.build.layout import build_template

TEMPLATES = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    paths = [TEMPLATES / name for name in argv] or sorted(TEMPLATES.glob("*.docx"))
    for path in paths:
        report = build_template(path)
        print(f"{path.name}: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
