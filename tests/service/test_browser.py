"""The archivist's day in a real headless Chromium (Debian's, driven by Playwright) against a real
`dossier serve` process: sign in, search a Chinese phrase, open a borrower, see what is missing, file a
quarantined scan. Screenshots land in out/screenshots/ for review."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from servicekit import COMPANY, PASSWORD, Demo, build, free_port, start_server, text_pdf

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
# Without the background-networking flags Chromium keeps dialling out, and this network is closed.
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
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, str]]:
    demo = build(Path(tmp_path_factory.mktemp("browser")) / "archive")
    port = free_port()
    process = start_server(demo.home, port, "--watch")
    base = f"http://127.0.0.1:{port}"
    try:
        yield demo, base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def test_archivist_signs_in_searches_opens_a_borrower_and_files_a_quarantined_scan(
    served: tuple[Demo, str], browser: Browser
) -> None:
    demo, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A scan nobody can place: the watcher running inside the service quarantines it.
    inbox_file = demo.home / "_inbox" / "未知扫描件.pdf"
    inbox_file.write_bytes(text_pdf(["情况说明", "没有证件号码的扫描件 BROWSER-TEST"]))
    auth = demo.headers("archivist")
    _wait(
        lambda: any(
            e["name"] == "未知扫描件.pdf" for e in httpx.get(f"{base}/api/v1/quarantine", headers=auth).json()
        )
    )

    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(f"{base}/search")
    expect(page).to_have_url(f"{base}/login?next=/search")
    page.fill("input[name=username]", "archivist")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("全文检索")
    page.screenshot(path=str(SHOTS / "1-search-form.png"))

    page.fill("input[name=q]", '"海沧示例贸易"')
    page.click("form.inline button[type=submit]")
    marks = page.locator(".hit mark")
    expect(marks.first).to_be_visible()
    assert "海沧示例贸易" in "".join(marks.all_inner_texts())
    page.screenshot(path=str(SHOTS / "2-search-results.png"), full_page=True)

    page.locator(".hit .title a").first.click()
    expect(page.locator("h1")).to_contain_text(COMPANY)
    missing = page.locator("table.completeness td.status-missing")
    expect(missing.first).to_have_text("缺失")
    expect(page.locator(".tree .cat").first).to_have_text("01 基本资料")
    page.screenshot(path=str(SHOTS / "3-borrower.png"), full_page=True)

    page.click("nav >> text=隔离区")
    card = page.locator(".quarantined", has_text="未知扫描件.pdf")
    expect(card.locator(".reason")).to_contain_text("原因")
    card.locator("input[name=borrower]").fill(COMPANY)
    card.locator("select[name=doc_type]").select_option("other")
    page.screenshot(path=str(SHOTS / "4-quarantine.png"), full_page=True)
    card.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已归档")
    expect(page.locator(".quarantined", has_text="未知扫描件.pdf")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "5-assigned.png"), full_page=True)

    # The scan is now in the borrower's file, found by its text.
    found = httpx.get(f"{base}/api/v1/search", params={"q": "BROWSER-TEST"}, headers=auth).json()
    assert found["total"] == 1 and found["hits"][0]["borrower_key"] == COMPANY
    assert all(p.stat().st_size > 10_000 for p in SHOTS.glob("*.png"))


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    demo = build(tmp_path / "archive")
    port = free_port()
    process = start_server(demo.home, port)
    assert (
        httpx.get(f"http://127.0.0.1:{port}/api/v1/kinds", headers=demo.headers("officer")).status_code == 200
    )
    process.send_signal(signal.SIGTERM)
    # uvicorn finishes the lifespan (closing the catalog), then re-raises the signal it caught.
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    output = process.stdout.read().decode() if process.stdout else ""
    assert "Application shutdown complete" in output, output
    assert os.path.exists(demo.home / ".dossier")


def _wait(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_serve_with_two_workers_answers_from_both(tmp_path: Path) -> None:
    demo = build(tmp_path / "archive")
    port = free_port()
    process = start_server(demo.home, port, "--workers", "2", "--watch")
    try:
        seen = set()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(40):
                # A new connection each time, so the kernel may hand it to either worker.
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", headers={"Connection": "close"})
                assert r.status_code == 200
                seen.add(r.json()["checks"]["watcher"])
            assert client.get("/api/v1/kinds", headers=demo.headers("auditor")).status_code == 200
        # Exactly one worker holds the home's watcher lock; the other says so.
        assert "running" in seen
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
