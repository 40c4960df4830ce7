"""The Content-Security-Policy in a real Chromium: no page breaks a rule of its own (scripts from /static
work, the printable report's style is allowed by its hash), and the session's writing buttons work."""

from __future__ import annotations

from playwright.sync_api import Browser, ConsoleMessage, expect
from servicekit import COMPANY, PASSWORD, Demo
from test_browser import browser, served  # noqa: F401 - the fixtures: one served archive, one Chromium


def test_pages_break_no_rule_of_their_policy(served: tuple[Demo, str], browser: Browser) -> None:  # noqa: F811
    demo, base = served
    borrower = demo.borrowers[COMPANY]
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", note)
    page.goto(f"{base}/login?next=/generate")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("生成文书")
    # The example button is site.js at work: it fills the text box from the API.
    page.click("#load-example")
    expect(page.locator("#text")).not_to_have_value("")
    for path in (
        "/borrowers",
        f"/borrowers/{borrower}",
        "/search?q=借款",
        f"/borrowers/{borrower}/completeness",
    ):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
    # The printable report keeps its own style (allowed by hash): the page is not unstyled.
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in font, font
    # The diligence report is a POST form with the session's CSRF token.
    page.goto(f"{base}/borrowers/{borrower}")
    with page.expect_navigation():
        page.click("button:has-text('尽职报告')")
    assert "/diligence" in page.url
    expect(page.locator("body")).to_contain_text(COMPANY)
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator("h1")).to_contain_text("API")
    assert violations == []
