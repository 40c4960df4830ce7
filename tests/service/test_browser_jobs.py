"""Long work from the pages in a real headless Chromium against a real `dossier serve` on the embedded
default: an archivist binds a borrower's volume, builds its export bundle and runs the month's notices
batch; each page follows its job to the end (site.js polling the JSON, the page reloading when done) and
offers the result, which is downloaded and read back."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pypdf import PdfReader
from servicekit import COMPANY, DOSSIER, PASSWORD, Demo, build, free_port, start_server

from dossier.archive.catalog.models import Event
from dossier.archive.home import Archive
from dossier.config import load_config

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LEDGER = Path(__file__).resolve().parents[1] / "ledger"
AS_OF = "2028-02-29"  # ledger_fixtures.AS_OF: 15 notices due
DUE = 15


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, str, Path]]:
    sys.path.insert(0, str(LEDGER))
    from ledger_fixtures import LENDER, ledger_rows, write_csv

    folder = Path(tmp_path_factory.mktemp("browser-jobs"))
    demo = build(folder / "archive")
    config = folder / "bank.toml"
    config.write_text(
        f'[ledger.lender]\nname = "{LENDER}"\naddress = "福建省厦门市思明区示例路1号"\n', encoding="utf-8"
    )
    env = {**os.environ, "DOSSIER_CONFIG": str(config)}
    ledger = write_csv(folder / "ledger.csv", ledger_rows())
    imported = subprocess.run(
        [str(DOSSIER), "ledger", "import", str(ledger), "--home", str(demo.home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    port = free_port()
    process = start_server(demo.home, port, env=env)
    try:
        yield demo, f"http://127.0.0.1:{port}", config
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def signed_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header.top")).to_be_visible()
    return page


def download(page: Page) -> bytes:
    """Wait for the progress page to offer the result (the job done), then download it."""
    row = page.locator("tr.job")
    expect(row.locator(".job-status")).to_have_text("已完成", timeout=120_000)
    expect(row.locator(".job-count")).to_have_text("1/1")
    with page.expect_download() as info:
        page.click("a.job-result")
    return Path(info.value.path()).read_bytes()


def test_volume_export_and_notices_start_from_the_pages_and_offer_their_result(
    served: tuple[Demo, str, Path], browser: Browser
) -> None:
    demo, base, config = served
    page = signed_in(browser, base, "archivist")
    borrower = f"{base}/borrowers/{demo.borrowers[COMPANY]}"

    page.goto(borrower)
    page.click("#start-volume")
    expect(page).to_have_url(f"{base}/jobs/progress?runs=" + page.url.rsplit("=", 1)[-1])
    expect(page.locator("tr.job td").nth(1)).to_have_text("装订卷文件")
    pdf = PdfReader(io.BytesIO(download(page)))
    assert len(pdf.pages) >= 2 and "卷内目录" in pdf.pages[0].extract_text()
    volume_run = int(page.url.rsplit("=", 1)[-1])

    page.goto(borrower)
    page.click("#start-export")
    bundle = zipfile.ZipFile(io.BytesIO(download(page)))
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["borrower"]["key"] == COMPANY and manifest["documents"] >= 1
    export_run = int(page.url.rsplit("=", 1)[-1])

    page.click("nav >> text=批量通知")
    page.fill("input[name=as_of]", AS_OF)
    page.click("#notices-form button[type=submit]")
    filed = page.locator("#notices-filed tbody tr")
    expect(filed).to_have_count(DUE, timeout=180_000)
    statuses = page.locator("tr.job .job-status").all_inner_texts()
    assert statuses and set(statuses) == {"已完成"}

    # The same batch again: nothing left to file.
    page.click("nav >> text=批量通知")
    page.fill("input[name=as_of]", AS_OF)
    page.click("#notices-form button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("没有到期未发的通知")

    # Another officer's session cannot see the runs, nor learn they exist.
    other = signed_in(browser, base, "other")
    for run in (volume_run, export_run):
        answer = other.request.get(f"{base}/jobs/{run}/result")
        assert answer.status == 404 and answer.json()["detail"] == f"job (任务) {run} not found (不存在)"

    with Archive.open(demo.home, config=load_config(config)) as archive:
        downloads = archive.transaction(
            lambda s: [(e.actor, e.target) for e in s.query(Event).filter(Event.action == "download")],
            write=False,
        )
    assert ("archivist", f"job:{volume_run}") in downloads and ("archivist", f"job:{export_run}") in downloads
