"""The credit process in a real headless Chromium (Debian's, driven by Playwright) against a real
`dossier serve` process: an officer submits an application, a reviewer returns it for a missing bank
statement, the officer uploads it on the borrower page (the open item closes itself), and the
application goes on to 审批 by a third person. Screenshots land in out/screenshots/process-*.png."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit.inbox_samples import text_pdf
from playwright.sync_api import Browser, Page, expect, sync_playwright
from processkit import INTAKE, INVESTIGATION, PASSWORD, Kit, make_kit

from dossier.archive.audit import verify_chain
from dossier.config import load_config
from dossier.process.store import load

# The browser tests' helpers (a real `dossier serve`, Debian's Chromium and its flags), reused as they are.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from servicekit import free_port, start_server
from test_browser import ARGS, CHROMIUM

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Kit, str]]:
    kit = make_kit(tmp_path / "home", load_config())
    # What 受理 and 调查 ask for is on file already, with the two-person site visit.
    kit.file_stage(INTAKE)
    kit.site_visit(kit.file_stage(INVESTIGATION)[0])
    port = free_port()
    process = start_server(kit.home, port)
    try:
        yield kit, f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def signed_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/applications")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("授信审批")
    return page


def test_submit_return_upload_and_on_to_approval(
    served: tuple[Kit, str], browser: Browser, tmp_path: Path
) -> None:
    kit, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    officer = signed_in(browser, base, "li")
    officer.goto(f"{base}/borrowers/1")
    officer.click("text=提交授信申请")
    form = officer.locator("form[action='/borrowers/1/apply']")
    form.locator("select[name=product]").select_option("personal-consumption")
    form.locator("input[name=amount]").fill("200000")
    form.locator("input[name=term_months]").fill("24")
    form.locator("input[name=guarantees][value=credit]").check()
    officer.screenshot(path=str(SHOTS / "process-1-apply.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(officer.locator(".flash.ok")).to_contain_text("已提交授信申请 SQ000001")
    officer.click("form.action-advance button")
    expect(officer.locator("#stage")).to_have_text("调查")
    officer.click("form.action-advance button")
    expect(officer.locator("#stage")).to_have_text("复核")

    reviewer = signed_in(browser, base, "zhao")
    reviewer.click("text=SQ000001")
    reviewer.fill("form.action-return textarea[name=reasons]", "缺近六个月银行流水")
    reviewer.fill("form.action-return input[name=doc_types]", "银行流水")
    reviewer.screenshot(path=str(SHOTS / "process-2-return.png"), full_page=True)
    reviewer.click("form.action-return button")
    expect(reviewer.locator(".flash.ok")).to_contain_text("已退回，当前环节：调查")

    officer.goto(f"{base}/applications")
    officer.click("text=SQ000001")
    expect(officer.locator(".open-items li.open")).to_contain_text("银行流水：待提交")
    expect(officer.locator(".timeline")).to_contain_text("缺近六个月银行流水")
    officer.click("dd a[href='/borrowers/1']")
    scan = tmp_path / "银行流水.pdf"
    scan.write_bytes(text_pdf(["个人账户交易明细", "户名 张三 交易日期 2026-11-01 余额 32000.00"]))
    officer.set_input_files("input[name=file]", str(scan))
    officer.click("form[action='/borrowers/1/upload'] button[type=submit]")
    expect(officer.locator(".flash.ok")).to_contain_text("已归档")
    officer.click("text=SQ000001")
    expect(officer.locator(".open-items li.closed")).to_contain_text("银行流水：已提交")
    officer.click("form.action-advance button")
    expect(officer.locator("#stage")).to_have_text("复核")

    reviewer.goto(f"{base}/applications")
    reviewer.click("text=SQ000001")
    reviewer.click("form.action-advance button")
    expect(reviewer.locator("#stage")).to_have_text("审查")

    manager = signed_in(browser, base, "qian")
    manager.click("text=SQ000001")
    manager.fill("form.action-advance textarea[name=reasons]", "资料齐全，同意提交审批")
    manager.click("form.action-advance button")
    expect(manager.locator("#stage")).to_have_text("审批")
    expect(manager.locator(".timeline li")).to_have_count(7)
    manager.screenshot(path=str(SHOTS / "process-3-approval.png"), full_page=True)

    app = kit.archive.transaction(lambda s: load(s, 1, kit.archive.config), write=False)
    steps = [(s.actor, s.kind.value) for s in app.steps]
    assert steps == [
        ("li", "submit"),
        ("li", "advance"),
        ("li", "advance"),
        ("zhao", "return"),
        ("li", "advance"),
        ("zhao", "advance"),
        ("qian", "advance"),
    ]
    assert kit.archive.transaction(lambda s: verify_chain(s), write=False).ok
