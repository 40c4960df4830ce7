"""Disk full on the file store mid-filing: a real small file system (tmpfs in a private mount namespace)
holds the archive home, PostgreSQL the catalog. The document that does not fit is refused with a clear
error, the catalog holds nothing for it (no row, no event), `dossier repair` finds nothing to fix and
`dossier audit verify` passes; once there is room, the same file files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from catalog_samples import write_config
from kit.inbox_samples import text_pdf
from sqlalchemy import create_engine, text

FILER = Path(__file__).with_name("disk_full_filer.py")
STORE_BYTES = 1024 * 1024


def _namespace() -> list[str]:
    # Root (CI) mounts in a private mount namespace; anyone else in a user namespace of their own.
    private = ["unshare", "--mount", "--propagation", "private"]
    return private if os.geteuid() == 0 else [*private[:1], "--user", "--map-root-user", *private[1:]]


def test_a_disk_that_fills_mid_filing_leaves_nothing_in_the_catalog(tmp_path: Path, catalog_url: str) -> None:
    store = tmp_path / "store"
    store.mkdir()
    config = write_config(tmp_path / "bank.toml", catalog_url)
    small = tmp_path / "身份证.pdf"
    small.write_bytes(text_pdf(["居民身份证 李四"]))
    big = tmp_path / "银行流水.txt"
    big.write_text("流水 " * 100_000, encoding="utf-8")  # about 700 KB: more than the disk has left
    results = tmp_path / "results.json"
    script = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
    done = subprocess.run(
        [*_namespace(), "sh", "-c", script, "sh", str(STORE_BYTES), str(store),
         sys.executable, str(FILER), str(store), str(config), str(small), str(big), str(results)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    steps = json.loads(results.read_text(encoding="utf-8"))
    assert steps["init"]["code"] == 0 and steps["small"]["code"] == 0, steps
    assert steps["free_before_big"] < big.stat().st_size

    refused = steps["big"]
    assert refused["code"] == 2, refused
    assert "磁盘空间不足" in refused["err"] and "no space left" in refused["err"].lower(), refused["err"]
    assert "Traceback" not in refused["err"] and refused["err"].count("\n") == 1
    # No file for it, not even a temporary one; the catalog holds only the small document.
    assert all("银行流水" not in f and ".part" not in f for f in steps["files_after_big"]), steps
    assert json.loads(steps["repair"]["out"])["clean"], steps["repair"]
    assert json.loads(steps["verify"]["out"])["ok"], steps["verify"]

    assert steps["big_again"]["code"] == 0, steps["big_again"]
    assert json.loads(steps["verify_again"]["out"])["ok"]
    engine = create_engine(catalog_url)
    try:
        with engine.connect() as connection:
            titles = connection.execute(text("SELECT title, state FROM documents ORDER BY id")).all()
            filed = connection.execute(text("SELECT count(*) FROM events WHERE action = 'file'")).scalar_one()
    finally:
        engine.dispose()
    # One row and one `file` event per document that is on disk: none for the attempt that failed.
    assert [tuple(t) for t in titles] == [("身份证", "filed"), ("银行流水", "filed")]
    assert filed == 2
