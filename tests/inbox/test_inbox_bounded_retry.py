"""Nothing in the inbox is tried forever: a decompression bomb is quarantined at once with its reason, and
a file whose processing fails is tried [inbox].max_attempts times, then quarantined with the last error."""

from __future__ import annotations

import json
import struct
import threading
import zlib
from pathlib import Path

import PIL.Image
import pytest
from kit.inbox_samples import PERSON, drop, items, make_home, quarantined

from dossier.inbox.watcher import Watcher


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1) * min(height, 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _reason(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(Path(f"{path}.reason.json").read_text(encoding="utf-8"))


def test_a_decompression_bomb_is_quarantined_once_with_its_reason(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.2, rescan=0.5)
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 8192
    drop(home.inbox, f"{PERSON}/现场照片/bomb.png", bomb)
    # Before the fix `watch --once` never ended (the item was retried every rescan): the timeout fails it.
    run = home.cli("watch", "--once", timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = items(home)
    assert len(rows) == 1
    row = rows[0]
    assert (row.outcome, row.reason) == ("quarantined", "filing-failed")
    assert "attempts" not in (row.details or {}), "decided at once, never retried"
    [kept] = quarantined(home)
    assert kept.read_bytes() == bomb
    message = _reason(kept)["message"]
    assert "2,500,000,000 pixels" in message and "像素过多" in message
    assert not list(home.inbox.rglob("*.png"))


def test_a_failing_file_is_tried_a_bounded_number_of_times_then_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_home(tmp_path, quiet=0.2, rescan=0.2)
    text = home.config.read_text(encoding="utf-8").replace("[inbox]\n", "[inbox]\nmax_attempts = 3\n", 1)
    home.config.write_text(text, encoding="utf-8")

    # A library failing in a way nobody foresaw (here Pillow, on every photo): not our code, so not mocked.
    calls: list[str] = []

    def broken_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(str(path))
        raise RuntimeError("the image library crashed (测试)")

    monkeypatch.setattr(PIL.Image, "open", broken_open)
    drop(home.inbox, f"{PERSON}/现场照片/photo.png", png_claiming(16, 16))

    with home.archive() as archive:
        watcher = Watcher(archive, once=True)
        runner = threading.Thread(target=watcher.run, daemon=True)
        runner.start()
        runner.join(timeout=120)
        if runner.is_alive():
            watcher.request_stop()
            runner.join(timeout=60)
            pytest.fail("the watcher kept retrying the failing file")
    assert len(calls) == 3, "tried exactly [inbox].max_attempts times"
    [row] = items(home)
    assert (row.outcome, row.reason) == ("quarantined", "failed-repeatedly")
    [kept] = quarantined(home)
    message = _reason(kept)["message"]
    assert "3 attempts" in message and "RuntimeError" in message and "the image library crashed" in message
