"""What the jobs tests share: archive homes on a PostgreSQL catalog or the embedded default, scanned pages
(text rendered to images, saved as PDFs with no text layer), `dossier worker` processes, and reading the
outcome back from the catalog, the index and the audit chain. (Not conftest.py: see tests/search.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.job_tables import JobRun
from dossier.archive.catalog.models import Document, Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.search.indexing import NEEDS_OCR

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PHRASE = "授信审批意见书"
BORROWER = "11010519491231002X"
RUN_CLI = "from dossier.cli.app import run; run()"
TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"
FAST_JOBS = {
    "runner": "queue",  # the queue even before a worker is up ("auto" would run in-process until then)
    "max_attempts": 3,
    "backoff_seconds": 0.0,
    "heartbeat_seconds": 0.5,
    "stalled_after_seconds": 3.0,
    "recover_every_seconds": 1.0,
    "poll_seconds": 0.5,
    "shutdown_grace_seconds": 60.0,
}


def write_config(
    path: Path, *, catalog_url: str | None, jobs: dict[str, object] | None = None, extra: str = ""
) -> Path:
    lines: list[str] = [extra] if extra else []
    if catalog_url:
        lines += ["[catalog]", f'url = "{catalog_url}"']
    lines += ["[jobs]"] + [f"{k} = {_toml(v)}" for k, v in {**FAST_JOBS, **(jobs or {})}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def scanned_page(path: Path, number: int, *, lines: int = 1) -> Path:
    """A one-page PDF of Chinese print with no text layer, as a scanner would deliver it."""
    image = Image.new("L", (900, 100 + 100 * lines), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 56)
    for line in range(lines):
        draw.text((40, 50 + 100 * line), f"{PHRASE} {number:03d}", font=font, fill=0)
    image.save(path, "PDF", resolution=300.0)
    return path


@dataclass(frozen=True)
class Home:
    path: Path
    config: Path

    def archive(self) -> Archive:
        return Archive.open(self.path, config=load_config(self.config))

    def cli_args(self, *args: str) -> list[str]:
        return [sys.executable, "-c", RUN_CLI, "--config", str(self.config), *args, "--home", str(self.path)]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(SRC), str(SRC.parent), env.get("PYTHONPATH", "")) if p
        )
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.cli_args(*args), env=self.env(), capture_output=True, text=True, timeout=300
        )

    def worker(
        self, log: Path, *, queues: str = "ocr,index,batch", concurrency: int = 1
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                self.cli_args("worker", "--queues", queues, "--concurrency", str(concurrency)),
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )


def make_home(
    folder: Path, catalog_url: str | None, jobs: dict[str, object] | None = None, extra: str = ""
) -> Home:
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder / "bank.toml", catalog_url=catalog_url, jobs=jobs, extra=extra)
    home = Home(folder / "home", config)
    Archive.init(home.path, config=load_config(home.config)).close()
    return home


def file_scans(archive: Archive, folder: Path, count: int, *, lines: int = 1) -> list[int]:
    ensure_borrower(archive, BORROWER, "张三", "person")
    ids = []
    for n in range(count):
        page = scanned_page(folder / f"scan-{n:03d}.pdf", n, lines=lines)
        result = file_document(
            archive, page, borrower_key=BORROWER, category="approval", doc_type="other", title=page.stem
        )
        assert result.document_id is not None
        ids.append(result.document_id)
    return ids


def documents(archive: Archive) -> list[Document]:
    return archive.transaction(
        lambda s: list(s.execute(select(Document).order_by(Document.id)).scalars()), write=False
    )


def events(archive: Archive, action: str) -> list[Event]:
    return archive.transaction(
        lambda s: list(s.execute(select(Event).where(Event.action == action).order_by(Event.seq)).scalars()),
        write=False,
    )


def runs(archive: Archive) -> list[JobRun]:
    return archive.transaction(
        lambda s: list(s.execute(select(JobRun).order_by(JobRun.id)).scalars()), write=False
    )


def waiting_ocr(archive: Archive) -> int:
    return sum(1 for d in documents(archive) if NEEDS_OCR in (d.flags or []))


def wait_until(condition: Callable[[], bool], *, limit_s: float, what: str) -> float:
    """Poll ``condition`` until it holds; the seconds it took. Fails the test after ``limit_s`` (a hang
    guard, not a timing assertion)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > limit_s:
            raise AssertionError(f"still waiting after {limit_s:.0f} s for: {what}")
        time.sleep(0.2)
    return time.monotonic() - start


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 90) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=timeout)


def ledger_home(
    folder: Path, catalog_url: str | None, jobs: dict[str, object] | None = None, *, reminders: int = 0
) -> Home:
    """A home whose ledger (the ledger tests' constructed one) has notices due on ``LEDGER_AS_OF``; with
    ``reminders``, instead that many loans each owing one reminder that day."""
    sys.path.insert(0, str(TESTS / "ledger"))
    from ledger_fixtures import LENDER, ledger_rows, loan, write_csv

    lender = f'[ledger.lender]\nname = "{LENDER}"\naddress = "福建省厦门市思明区示例路1号"\n'
    home = make_home(folder, catalog_url, jobs, extra=lender)
    # Loan 1 of ledger_rows: 36 months, T−30 = 2028-02-29, a reminder due that day.
    rows = [
        loan(n, "2025-03-30", "2028-03-30", "500000.00", "200000.00", last="2028-01-15")
        for n in range(1, reminders + 1)
    ] or ledger_rows()
    imported = home.run("ledger", "import", str(write_csv(folder / "ledger.csv", rows)))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return home
