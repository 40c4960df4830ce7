"""Run inside a private mount namespace with a small tmpfs at STORE (test_disk_full.py): an archive home
on it, its catalog on PostgreSQL; fill the disk, file a document that does not fit, then look at what is
left: the files, `dossier repair --dry-run`, `dossier audit verify`; free the space and file it again.
Every step's exit code and output go to RESULTS as JSON (the tmpfs vanishes with the namespace)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from dossier.cli.app import main

FILLER_SLACK = 64 * 1024
"""Free bytes left on the disk: enough for the catalog-side steps, far too little for the big file."""


def run(config: Path, home: Path, *argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: Any = main(["--config", str(config), *argv, "--home", str(home)])
        except BaseException:  # an error the command line did not turn into a message: a finding
            code = "raised"
            err.write(traceback.format_exc())
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def files(home: Path) -> list[str]:
    return sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())


def main_(store: Path, config: Path, small: Path, big: Path, results: Path) -> None:
    home = store / "home"
    steps: dict[str, Any] = {}
    steps["init"] = run(config, home.parent, "init", "--home", str(home))
    register = ("--borrower", "110105198001010016", "--name", "李四", "--customer-type", "person")
    kind = ("--category", "basic", "--type", "id-card")
    steps["small"] = run(config, home, "ingest", str(small), *register, *kind)
    stat = os.statvfs(store)
    free = stat.f_bavail * stat.f_frsize
    filler = store / "filler"
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(free - FILLER_SLACK, 0))
    steps["free_before_big"] = os.statvfs(store).f_bavail * os.statvfs(store).f_frsize
    steps["big"] = run(config, home, "ingest", str(big), *register, *kind)
    steps["files_after_big"] = files(home)
    steps["repair"] = run(config, home, "repair", "--dry-run", "--json")
    steps["verify"] = run(config, home, "audit", "verify", "--json")
    filler.unlink()
    steps["big_again"] = run(config, home, "ingest", str(big), *register, *kind)
    steps["verify_again"] = run(config, home, "audit", "verify", "--json")
    steps["files_at_end"] = files(home)
    results.write_text(json.dumps(steps, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main_(*(Path(a) for a in sys.argv[1:6]))
