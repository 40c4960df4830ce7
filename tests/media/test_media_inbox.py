"""Photos, video and audio dropped into the inbox: filed by folder or file name (they have no text),
with their metadata, never dropped; large media pass the inbox's document size limit."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from media_samples import mp3, padded, photo, video
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, InboxItem
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config

KEY = "11010519491231002X"
DOSSIER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "dossier"
CONFIG = """\
[inbox]
quiet_seconds = 0.2
ocr_worker = false
max_file_mb = 5

[search]
ocr = false
extract_timeout_seconds = 20
"""


def drop(inbox: Path, relative: str, source: Path) -> None:
    target = inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)  # atomic, as careful clients deliver


def test_media_files_are_filed_by_folder_or_name_and_keep_their_metadata(tmp_path: Path) -> None:
    config = tmp_path / "dossier.toml"
    config.write_text(CONFIG, encoding="utf-8")
    home = tmp_path / "home"
    with Archive.init(home, config=load_config(config)) as archive:
        ensure_borrower(archive, KEY, "张三", "person")
    inbox = home / "_inbox"
    staging = tmp_path / "staging"
    staging.mkdir()
    drop(inbox, f"{KEY}/现场照片/IMG_0001.jpg", photo(staging / "a.jpg"))
    # 6 MB: above [inbox].max_file_mb, below [media].max_file_bytes.
    drop(inbox, f"{KEY}/面签录像-张三.mp4", padded(video(staging / "b.mp4"), 6 * 1024 * 1024))
    drop(inbox, f"{KEY}/催收录音-20261120.mp3", mp3(staging / "c.mp3"))
    drop(inbox, f"{KEY}/贷后管理/IMG_0002.heic", photo(staging / "d.heic"))
    drop(inbox, f"{KEY}/DSC_0003.jpg", photo(staging / "e.jpg", taken="2026:03:21 08:00:00"))
    big = staging / "scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024))
    drop(inbox, f"{KEY}/借款合同.pdf", big)
    time.sleep(0.3)
    env = {**os.environ, "DOSSIER_CONFIG": str(config), "NO_COLOR": "1"}
    run = subprocess.run(
        [str(DOSSIER), "watch", "--once", "--home", str(home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr

    with Archive.open(home, config=load_config(config)) as archive:
        docs, found = archive.transaction(
            lambda s: (
                {d.original_name: d for d in s.execute(select(Document)).scalars()},
                {i.name: i for i in s.execute(select(InboxItem)).scalars()},
            ),
            write=False,
        )
    assert {name: (d.doc_type, d.category) for name, d in docs.items()} == {
        "IMG_0001.jpg": ("site-photo", "approval"),
        "面签录像-张三.mp4": ("video-recording", "approval"),
        "催收录音-20261120.mp3": ("audio-recording", "collection"),
        "IMG_0002.heic": ("other", "post-loan"),
    }
    assert docs["IMG_0001.jpg"].details["media"]["gps"]["lat"] > 24
    assert docs["面签录像-张三.mp4"].details["media"]["recorded_at"] == "2026-03-20T06:30:00+00:00"
    assert docs["面签录像-张三.mp4"].size > 6 * 1024 * 1024
    assert docs["催收录音-20261120.mp3"].details["media"]["duration_seconds"] > 2.9
    assert docs["IMG_0002.heic"].details["media"]["captured_at"] == "2026-03-20T14:30:05+08:00"
    assert all(d.details["inbox"]["extraction"] in ("ok", "needs-ocr") for d in docs.values())
    # Never dropped: what neither folder nor name decides waits in quarantine with its reason.
    assert (found["DSC_0003.jpg"].outcome, found["DSC_0003.jpg"].reason) == ("quarantined", "unknown-type")
    assert (found["借款合同.pdf"].outcome, found["借款合同.pdf"].reason) == ("quarantined", "too-large")
    assert (home / "_quarantine").exists() and any((home / "_quarantine").glob("*-DSC_0003.jpg"))
