"""A loan of a file in a real headless Chromium (Debian's, driven by Playwright) against a real
`dossier serve` process: zhao asks, the archivist approves, zhao reads the lent category, and once the
period has ended (moved into the past in the catalog, as time would) the same page refuses him."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from custodykit import COMPANY, PASSWORD, Kit, build, chain_ok
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import update

from dossier.archive.catalog.custody_tables import FileLoan
from dossier.archive.home import Archive
from dossier.config import load_config

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
# The same flags as tests/service/test_browser.py: this network is closed.
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kit, str]]:
    from service.servicekit import free_port, start_server  # the helpers tests/service/test_browser.py uses

    kit = build(Path(tmp_path_factory.mktemp("browser-lending")) / "archive")
    port = free_port()
    process = start_server(kit.home, port)
    try:
        yield kit, f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def _sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.goto(f"{base}/custody")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("借阅与移交")
    return page


def test_request_approve_read_expire(served: tuple[Kit, str], browser: Browser) -> None:
    kit, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    zhao = _sign_in(browser, base, "zhao")
    form = zhao.locator("#request form")
    form.locator("input[name=borrower]").fill(COMPANY)
    form.locator("input[name=purpose]").fill("审计抽查借款合同")
    form.locator("input[name=days]").fill("3")
    form.locator("input[name=category][value=contracts]").check()
    form.locator("button[type=submit]").click()
    expect(zhao.locator(".flash.ok")).to_contain_text("借阅申请已提交")
    row = zhao.locator("#mine tr.loan").first
    expect(row.locator(".loan-status")).to_have_text("待审批")
    number = row.get_attribute("data-number")
    assert number
    zhao.screenshot(path=str(SHOTS / "custody-1-requested.png"), full_page=True)

    archivist = _sign_in(browser, base, "archivist")
    pending = archivist.locator(f"#pending tr.loan[data-number='{number}']")
    expect(pending).to_have_count(1)
    pending.locator("button.approve").click()
    expect(archivist.locator(".flash.ok")).to_contain_text("已批准借阅")
    expect(archivist.locator(f"#register tr.loan[data-number='{number}'] .loan-status")).to_have_text(
        "借阅中"
    )
    archivist.screenshot(path=str(SHOTS / "custody-2-approved.png"), full_page=True)

    zhao.reload()
    zhao.locator(f"#mine a[href='/custody/file-loans/{number}']").click()
    expect(zhao.locator("h1")).to_contain_text("借阅档案")
    docs = zhao.locator("tr.lent-doc")
    expect(docs).to_have_count(1)
    expect(docs.first).to_contain_text("合同类")
    with zhao.expect_download() as download:
        docs.first.locator("a").click()
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    zhao.screenshot(path=str(SHOTS / "custody-3-reading.png"), full_page=True)
    # The borrower's own page stays out of reach: the loan lends only through its number.
    assert zhao.goto(f"{base}/borrowers/{kit.borrowers[COMPANY]}").status == 404

    # The period ends (moved into the past, as time would move it): the same page now refuses.
    with Archive.open(kit.home, config=load_config()) as archive:
        past = datetime.now(UTC) - timedelta(seconds=1)
        archive.transaction(
            lambda s: s.execute(update(FileLoan).where(FileLoan.number == number).values(ends_at=past))
        )
    ended = zhao.goto(f"{base}/custody/file-loans/{number}")
    assert ended is not None and ended.status == 403
    expect(zhao.locator(".flash.error")).to_contain_text("当前不能查阅")
    zhao.screenshot(path=str(SHOTS / "custody-4-expired.png"), full_page=True)
    denied = httpx.get(
        f"{base}/api/v1/file-loans/{number}/documents", headers=kit.headers("zhao"), timeout=10
    )
    assert denied.status_code == 403
    archivist.reload()
    expect(archivist.locator(f"#register tr.loan[data-number='{number}'] .loan-status")).to_have_text(
        "已到期未归还"
    )
    assert chain_ok(kit.home)
