"""Scans are filed at once and flagged needs-ocr; `dossier index --ocr` recognises them later."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from searchkit import Home, write_config

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.search.ocr_queue import ocr_worker
from dossier.search.search_index import SearchIndex
from dossier.search.settings import text_dir

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PHRASE = "授信审批意见书"


def chinese_scan(path: Path) -> Path:
    """A PNG of a line of Chinese print, as a scanner would deliver it (no text layer)."""
    image = Image.new("RGB", (1000, 220), "white")
    ImageDraw.Draw(image).text((60, 60), PHRASE, font=ImageFont.truetype(str(FONT), 64), fill="black")
    image.save(path, dpi=(300, 300))
    return path


def cli_json(home: Home, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict:
    capsys.readouterr()
    assert home.cli(*args, "--json") == code
    return json.loads(capsys.readouterr().out)


def test_a_scan_is_flagged_then_found_by_its_text_once_ocr_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "dossier.toml", "tantivy", ocr=False)
    home = Home(tmp_path / "home", config, "tantivy")
    scan = chinese_scan(tmp_path / "approval-scan.png")
    filed = cli_json(
        home,
        capsys,
        "ingest",
        str(scan),
        "--borrower",
        "11010519491231002X",
        "--name",
        "张三",
        "--category",
        "approval",
        "--type",
        "other",
    )
    assert filed[0]["status"] == "filed"

    # Filed and indexed at once, by title and fields, but its words are not searchable yet.
    assert cli_json(home, capsys, "search", PHRASE)["total"] == 0
    flagged = cli_json(home, capsys, "search", "flag:needs-ocr")
    assert [h["title"] for h in flagged["hits"]] == ["approval-scan"]
    (document,) = home.documents()
    assert document.flags == ["needs-ocr"]
    assert document.details["text"]["status"] == "needs-ocr" and document.details["text"]["chars"] == 0

    # OCR switched off: nothing is recognised, the document stays flagged and queued.
    report = cli_json(home, capsys, "index", "--ocr", code=1)
    assert "switched off" in report["ocr"]["unavailable"] and report["waiting_ocr"] == 1
    assert home.documents()[0].flags == ["needs-ocr"]

    write_config(config, "tantivy", ocr=True)
    report = cli_json(home, capsys, "index", "--ocr")
    assert report["ocr"]["recognised"] == 1 and report["ocr"]["failed"] == 0
    assert report["waiting_ocr"] == 0 and report["remaining"] == 0

    page = cli_json(home, capsys, "search", PHRASE)
    assert page["total"] == 1 and page["hits"][0]["id"] == document.id
    assert f"【{PHRASE}】" in page["hits"][0]["snippets"][0]["marked"]
    assert cli_json(home, capsys, "search", "flag:needs-ocr")["total"] == 0
    (document,) = home.documents()
    assert document.flags == []
    assert document.details["text"]["status"] == "ok" and document.details["text"]["flags"] == ["ocr"]
    assert PHRASE in (text_dir(home.path) / f"{document.sha256}.txt").read_text(encoding="utf-8")
    events = cli_json(home, capsys, "audit", "log")
    assert [e["target"] for e in events if e["action"] == "ocr"] == [f"document:{document.id}"]

    # A rebuild takes the OCR text from the cache: nothing is queued for OCR again.
    rebuilt = cli_json(home, capsys, "reindex")
    assert rebuilt["waiting_ocr"] == 0 and rebuilt["documents"] == 1
    assert cli_json(home, capsys, "search", PHRASE)["total"] == 1
    assert cli_json(home, capsys, "audit", "verify")["ok"] is True


class StopWhenIdle(threading.Event):
    """Stops the worker the first time it has nothing to do (instead of sleeping until the next round)."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def test_the_background_worker_recognises_what_is_queued_then_idles(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, "11010519491231002X", "张三", "person", actor="test")
        filed = file_document(
            archive,
            chinese_scan(tmp_path / "scan.png"),
            borrower_key="11010519491231002X",
            category="approval",
            doc_type="other",
            title="上传的扫描件",
            source="uploaded",
            actor="web",
        )
        index = SearchIndex.open(archive)
        assert index.process().needs_ocr == 1
        assert index.search(PHRASE).total == 0

        ocr_worker(archive, StopWhenIdle(), interval=60)

        page = index.search(PHRASE)
        assert [hit.document_id for hit in page.hits] == [filed.document_id]
        assert index.queue_state().waiting == {}
