"""Media evidence in the archive: filed unaltered with its metadata, streamed, within the size limit."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from media_samples import padded, photo, video
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config
from indexer.extract import Limits, extract

KEY = "11010519491231002X"
HERE = Path(__file__).resolve().parent


def documents(home: Path) -> list[Document]:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: list(s.execute(select(Document).order_by(Document.id)).scalars()), write=False
        )


def test_a_photo_and_a_video_are_filed_byte_for_byte_with_their_metadata(tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    shot = photo(tmp_path / "IMG_0001.jpg")
    clip = video(tmp_path / "面签录像.mp4")
    for path, doc_type in ((shot, "site-photo"), (clip, "video-recording")):
        code = main(
            ["ingest", str(path), "--borrower", KEY, "--name", "张三", "--category", "approval",
             "--type", doc_type, "--home", str(home), "--json"]
        )  # fmt: skip
        assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    photo_doc, video_doc = documents(home)
    for doc, source in ((photo_doc, shot), (video_doc, clip)):
        assert (home / doc.path).read_bytes() == source.read_bytes()
        assert doc.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert photo_doc.media_type == "image/jpeg" and video_doc.media_type == "video/mp4"
    assert photo_doc.details["media"]["captured_at"] == "2026-03-20T14:30:05+08:00"
    assert photo_doc.details["media"]["gps"]["alt"] == 12.5
    assert video_doc.details["media"]["recorded_at"] == "2026-03-20T06:30:00+00:00"
    assert video_doc.details["media"]["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    # No text is a clean outcome: both are indexed, neither is flagged as an extraction failure.
    assert main(["index", "--home", str(home), "--json"]) == 0
    capsys.readouterr()
    assert all("extraction-failed" not in (d.flags or []) for d in documents(home))
    assert main(["audit", "verify", "--home", str(home), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_a_file_above_the_configured_limit_is_refused_before_anything_is_copied(
    tmp_path: Path, capsys
) -> None:
    config = tmp_path / "bank.toml"
    config.write_text("[media]\nmax_file_bytes = 10000\n", encoding="utf-8")
    home = tmp_path / "home"
    with Archive.init(home, config=load_config(config)) as archive:
        ensure_borrower(archive, KEY, "张三", "person")
    big = padded(video(tmp_path / "big.mp4"), 20000)
    code = main(
        ["--config", str(config), "ingest", str(big), "--borrower", KEY, "--category", "approval",
         "--type", "video-recording", "--home", str(home)]
    )  # fmt: skip
    error = capsys.readouterr().err
    assert code == 2
    assert "file too large" in error and "文件过大" in error and "[media].max_file_bytes" in error
    assert documents(home) == []
    assert not any(p.name.startswith(".dossier-tmp-") for p in home.rglob("*"))


def test_media_has_no_text_whatever_its_size_and_a_misnamed_file_is_still_caught(tmp_path: Path) -> None:
    clip = padded(video(tmp_path / "long.mp4"), 3 * 1024 * 1024)
    result = extract(clip, limits=Limits(max_file_bytes=1024 * 1024))
    assert (result.status, result.flags, result.media_type, result.error) == (
        "ok",
        ["no-text"],
        "video/mp4",
        None,
    )
    misnamed = tmp_path / "contract.pdf"
    misnamed.write_bytes(clip.read_bytes())
    assert extract(misnamed).status == "error"
    plain = tmp_path / "big.txt"
    plain.write_bytes(b"x" * 2048)
    assert "too large" in (extract(plain, limits=Limits(max_file_bytes=1024)).error or "")


def test_a_2_gb_file_streams_into_the_archive_with_bounded_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, KEY, "张三", "person")
    size = 2 * 1024**3
    source = tmp_path / "signing.mp4"
    with source.open("wb") as fh:
        # An MP4 signature, then a sparse hole: 2 GB on the file system, a few blocks on the disk.
        fh.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")
        fh.truncate(size)
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, str(HERE / "stream_filer.py"), str(home), str(source), KEY],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout)
    elapsed = time.monotonic() - started
    peak, before, hwm = (outcome[k] / 1024**2 for k in ("peak_rss", "before", "hwm"))
    print(f"2 GiB filed in {elapsed:.1f} s: peak RSS {peak:.0f} MiB, {before:.0f} before, VmHWM {hwm:.0f}")
    assert peak - before < 32 and hwm < 200
    (doc,) = documents(home)
    assert doc.size == size and Path(outcome["path"]).stat().st_size == size
    assert doc.details["media"]["kind"] == "video"
