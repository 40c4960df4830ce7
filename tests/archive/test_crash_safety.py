"""Crash safety: a real filing process killed with SIGKILL at random instants, `dossier repair` after each.

crash_filer.py runs as a subprocess and forks one filing process per round, which this test kills.

After every check the archive must be exactly consistent: each filed row has its file with the right
hash, no file under a real name is unknown to the catalog, no temporary file is left, the chain holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import verify_chain
from dossier.archive.catalog.models import Document
from dossier.archive.home import RESERVED
from dossier.archive.integrity import verify_archive
from dossier.archive.names import TEMP_PREFIX
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config

HELPER = Path(__file__).with_name("crash_filer.py")
BORROWER = "110105198001010016"
ROUNDS = 20


def test_killing_a_filing_process_at_random_never_leaves_an_inconsistent_archive(tmp_path, capsys):
    home = tmp_path / "home"
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, BORROWER, "李四", "person", actor="test")
    rng = random.Random(20260328)
    repairs = {"completed": 0, "rolled_back": 0, "removed": 0}
    helper = subprocess.Popen(
        [sys.executable, str(HELPER), str(home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert helper.stdin is not None and helper.stdout is not None
    try:
        for round_no in range(ROUNDS):
            helper.stdin.write(f"{round_no}\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.25))
            os.kill(pid, signal.SIGKILL)
            assert helper.stdout.readline().strip() == "reaped"

            assert main(["repair", "--home", str(home), "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            for name in repairs:
                repairs[name] += len(report[name])
            assert_consistent(home)
    finally:
        helper.stdin.close()
        helper.wait(timeout=30)

    with Archive.open(home, config=load_config()) as archive:
        filed = archive.transaction(lambda s: s.execute(select(Document)).scalars().all(), write=False)
        final = verify_archive(archive)
    assert len(filed) > ROUNDS, "the helper should have filed documents in most rounds"
    assert final.ok, final
    print(f"{len(filed)} documents filed over {ROUNDS} kills; check: {repairs}")


def assert_consistent(home: Path) -> None:
    with Archive.open(home, config=load_config()) as archive:
        documents = archive.transaction(lambda s: list(s.execute(select(Document)).scalars()), write=False)
        assert archive.transaction(verify_chain, write=False).ok
    assert [d.id for d in documents if d.state != "filed"] == []
    known: set[str] = set()
    for document in documents:
        path = home / document.path
        assert path.is_file(), f"filed row {document.id} has no file {document.path}"
        assert sha256(path) == document.sha256, f"{document.path} does not match its row"
        known.add(document.path)
        sidecar = document.details.get("input")
        if sidecar:
            assert sha256(home / sidecar["path"]) == sidecar["sha256"]
            known.add(sidecar["path"])
    on_disk: set[str] = set()
    for top in home.iterdir():
        if top.name in RESERVED:
            continue
        for root, _dirs, files in os.walk(top):
            for name in files:
                assert not name.startswith(TEMP_PREFIX), f"temporary file left: {root}/{name}"
                on_disk.add((Path(root) / name).relative_to(home).as_posix())
    assert on_disk - known == set(), "files under real names the catalog does not know"
    assert known - on_disk == set()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
