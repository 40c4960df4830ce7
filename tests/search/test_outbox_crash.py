"""Crash safety of indexing: a real process draining the outbox is killed with SIGKILL half-way; the next
`dossier index` makes every filed document searchable exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from kit.catalog import copy_home
from searchkit import ENGINES, write_config
from sqlalchemy import func, select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, IndexQueue
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config
from dossier.search.search_index import SearchIndex

HELPER = Path(__file__).with_name("drain_helper.py")
BORROWER = "110105198001010016"
DOCUMENTS = 120
BATCH = 4
KILL_AFTER = 20


def token(i: int) -> str:
    return f"CRASH{i:04d}X"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with DOCUMENTS filed documents, none indexed yet (copied by each test)."""
    home = tmp_path_factory.mktemp("crash-template") / "home"
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, BORROWER, "李四", "person", actor="test")
        for i in range(DOCUMENTS):
            file_document(
                archive,
                f"崩溃测试文档 第{i}份 {token(i)} 借款人李四的补充材料".encode(),
                borrower_key=BORROWER,
                category="basic",
                doc_type="other",
                title=f"补充材料{i}",
                filename=f"crash-{i}.txt",
                source="generated",
                actor="test",
            )
    return home


def queued(archive: Archive) -> int:
    return archive.transaction(
        lambda s: s.execute(select(func.count()).select_from(IndexQueue)).scalar_one(), write=False
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_drain_killed_mid_way_resumes_and_indexes_every_document_exactly_once(
    template: Path, tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    copy_home(template, home)
    config = write_config(tmp_path / "dossier.toml", engine, batch_size=BATCH)

    helper = subprocess.Popen(
        [sys.executable, str(HELPER), str(home), str(config)], stdout=subprocess.PIPE, text=True
    )
    assert helper.stdout is not None
    try:
        while True:
            line = helper.stdout.readline()
            assert line and line != "finished\n", "the drain ended before it could be killed"
            if int(line.split()[0]) >= KILL_AFTER:
                break
        os.kill(helper.pid, signal.SIGKILL)
    finally:
        helper.wait()
    assert helper.returncode == -signal.SIGKILL

    with Archive.open(home, config=load_config(config)) as archive:
        left = queued(archive)
        indexed_before = SearchIndex(archive).doc_count()
    assert 0 < left < DOCUMENTS  # killed half-way: some batches committed, some not
    assert indexed_before >= KILL_AFTER

    write_config(config, engine)  # resume in the default (larger) batches
    capsys.readouterr()
    assert main(["--config", str(config), "index", "--home", str(home), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["remaining"], report["failed"], report["documents"]) == (0, 0, DOCUMENTS)

    with Archive.open(home, config=load_config(config)) as archive:
        assert queued(archive) == 0
        filed = archive.transaction(
            lambda s: set(s.execute(select(Document.id).where(Document.state == "filed")).scalars()),
            write=False,
        )
        index = SearchIndex(archive)
        assert index.doc_count() == len(filed) == DOCUMENTS
        everything = index.search("崩溃测试文档", limit=None)
        ids = [hit.document_id for hit in everything.hits]
        assert everything.total == DOCUMENTS and len(ids) == len(set(ids)) and set(ids) == filed
        for i in (0, KILL_AFTER - 1, KILL_AFTER, DOCUMENTS - 1):
            page = index.search(token(i))
            assert page.total == 1 and page.hits[0].title == f"补充材料{i}"
