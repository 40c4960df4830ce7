"""The index is a rebuildable cache: `dossier reindex`, automatic rebuilds on open, interrupted rebuilds."""

from __future__ import annotations

import json
import shutil

import pytest
from searchkit import Home, write_config
from sqlalchemy import delete, func, select

from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.archive.catalog.models import IndexQueue
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config
from dossier.search.search_index import SearchIndex
from dossier.search.settings import index_dir, index_root, text_dir
from indexer.engines.storage import MARKER_FILE

QUERIES = ("借款", '"经我行多次催收" OR JK2025-000456', "Lorem ipsum", "password-is-test")


def results(home: Home, capsys: pytest.CaptureFixture[str]) -> dict[str, list[tuple[int, str]]]:
    """Per query: (id, marked snippets) of every hit, in id order."""
    found = {}
    for query in QUERIES:
        capsys.readouterr()
        assert home.cli("search", query, "--json") == 0
        page = json.loads(capsys.readouterr().out)
        assert page["pending"] == 0
        found[query] = sorted(
            (hit["id"], " ".join(s["marked"] for s in hit["snippets"])) for hit in page["hits"]
        )
    return found


def index_json(home: Home, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert home.cli(*args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def queued(home: Home) -> int:
    with home.archive() as archive:
        return archive.transaction(
            lambda s: s.execute(select(func.count()).select_from(IndexQueue)).scalar_one(), write=False
        )


def test_reindex_after_deleting_the_index_gives_the_same_results_from_the_text_cache(
    fresh_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    before = results(fresh_home, capsys)
    assert [len(before[q]) for q in QUERIES] == [3, 2, 1, 1]
    shutil.rmtree(index_dir(fresh_home.path, fresh_home.engine))

    # Reindexing reads the text cache, not the files: a word only the cache holds becomes searchable.
    contract = next(d for d in fresh_home.documents() if d.title == "借款合同")
    cache = text_dir(fresh_home.path)
    text = (cache / f"{contract.sha256}.txt").read_text(encoding="utf-8") + "\n缓存哨兵"
    (cache / f"{contract.sha256}.txt").write_text(text, encoding="utf-8")
    meta = json.loads((cache / f"{contract.sha256}.json").read_text(encoding="utf-8"))
    (cache / f"{contract.sha256}.json").write_text(json.dumps({**meta, "chars": len(text)}), encoding="utf-8")

    report = index_json(fresh_home, capsys, "reindex")
    assert report["engine"] == fresh_home.engine
    assert (report["indexed"], report["documents"], report["remaining"], report["failed"]) == (6, 6, 0, 0)
    assert results(fresh_home, capsys) == before
    sentinel = index_json(fresh_home, capsys, "search", "缓存哨兵")
    assert [h["id"] for h in sentinel["hits"]] == [contract.id]
    assert queued(fresh_home) == 0
    assert not (index_root(fresh_home.path) / f"{fresh_home.engine}.rebuilding").exists()


def test_the_index_rebuilds_itself_when_its_schema_changed_or_it_went_missing(
    fresh_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    before = results(fresh_home, capsys)
    folder = index_dir(fresh_home.path, fresh_home.engine)

    # Another analyzer wrote this index: opening it empties it, and its next apply rebuilds it.
    marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    (folder / MARKER_FILE).write_text(
        json.dumps({**marker, "analyzer": "an older analyzer"}), encoding="utf-8"
    )
    with fresh_home.archive() as archive:
        index = SearchIndex.open(archive)
        assert index.rebuilt is not None and "analyzer" in index.rebuilt
        assert index.replica.applied_seq() is None and index.doc_count() == 0
    assert results(fresh_home, capsys) == before

    # An archive whose index never existed (as after the upgrade that added the outbox): all queued.
    shutil.rmtree(folder)
    with fresh_home.archive() as archive:
        archive.transaction(lambda s: s.execute(delete(IndexQueue)))
    assert results(fresh_home, capsys) == before

    # The outbox fed another engine meanwhile: this one takes everything again on its next open.
    other = "whoosh" if fresh_home.engine == "tantivy" else "tantivy"
    switched = Home(fresh_home.path, write_config(fresh_home.config.with_name("other.toml"), other), other)
    assert results(switched, capsys) == before
    new_doc = fresh_home.path.parent / "new.txt"
    new_doc.write_text("新归档的说明材料：切换引擎后归档", encoding="utf-8")
    assert (
        switched.cli(
            "ingest",
            str(new_doc),
            "--borrower",
            "11010519491231002X",
            "--category",
            "basic",
            "--type",
            "other",
        )
        == 0
    )
    assert index_json(switched, capsys, "search", "切换引擎后归档")["total"] == 1
    assert index_json(fresh_home, capsys, "search", "切换引擎后归档")["total"] == 1


def test_an_interrupted_reindex_notes_its_progress_and_the_next_run_finishes_it(
    fresh_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    before = results(fresh_home, capsys)
    write_config(fresh_home.config, fresh_home.engine, batch_size=2)
    note = index_root(fresh_home.path) / f"{fresh_home.engine}.rebuilding"

    def interrupt(done: int, total: int) -> None:
        assert total == 6
        raise KeyboardInterrupt  # as Ctrl-C would, between two batches

    for resume_with in ("index", "reindex"):
        with fresh_home.archive() as archive, pytest.raises(KeyboardInterrupt):
            SearchIndex(archive).rebuild(progress=interrupt)
        assert note.is_file()
        assert json.loads(note.read_text(encoding="utf-8"))["done"] == 2
        with fresh_home.archive() as archive:
            assert SearchIndex(archive).doc_count() == 2
        report = index_json(fresh_home, capsys, resume_with)
        assert (report["indexed"], report["remaining"], report["documents"]) == (4, 0, 6)
        if resume_with == "reindex":
            assert report["rebuilt"].startswith("resumed")
        assert not note.exists() and queued(fresh_home) == 0
        with fresh_home.archive() as archive:
            replica = SearchIndex(archive).replica
            assert replica.applied_seq() == replica.head_seq()
        assert results(fresh_home, capsys) == before


def test_a_catalog_from_before_the_outbox_is_upgraded_and_indexed_whole(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command

    home = tmp_path / "home"
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, "110105198001010016", "李四", "person", actor="test")
        for i in range(3):
            file_document(
                archive,
                f"升级前归档的材料 第{i}份".encode(),
                borrower_key="110105198001010016",
                category="basic",
                doc_type="other",
                title=f"升级前{i}",
                filename=f"old-{i}.txt",
                actor="test",
            )
        # Back to the first catalog revision: an archive made before the outbox existed.
        cfg = db.alembic_config(str(archive.engine.url))
        with archive.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0001")
        assert db.current_revision(archive.engine) == "0001"

    capsys.readouterr()
    assert main(["search", "升级前归档的材料", "--home", str(home), "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert sorted(hit["title"] for hit in page["hits"]) == ["升级前0", "升级前1", "升级前2"]
    with Archive.open(home, config=load_config()) as archive:
        assert db.current_revision(archive.engine) == db.HEAD
