"""The HTML completeness report: one well-formed, self-contained file in Chinese that prints."""

from __future__ import annotations

from datetime import date

import lxml.html

from dossier.archive.completeness import (
    BorrowerSnapshot,
    DocumentFacts,
    LoanFacts,
    evaluate,
    load_checklists,
    summarize,
)
from dossier.archive.completeness.report_html import borrower_report_html, portfolio_report_html
from dossier.config import load_config

AS_OF = date(2025, 9, 30)


def _result(name: str = "张三<测试>&", *, details: dict | None = None):
    docs = (
        DocumentFacts(1, "credit-approval", date(2025, 3, 1), "JK2025-0001"),
        DocumentFacts(2, "credit-report-personal", date(2024, 12, 1)),
        DocumentFacts(3, "inspection-report", date(2025, 4, 1), "JK2025-0001"),
        DocumentFacts(4, "loan-contract", date(2025, 3, 5), "JK2025-0001"),
    )
    snapshot = BorrowerSnapshot(
        key="110101199003077777",
        name=name,
        customer_type="person",
        officer="李经理",
        legal_hold=True,
        details=details or {},
        loans=(LoanFacts("JK2025-0001", "personal-consumption", ("mortgage",), 12, date(2025, 3, 10)),),
        documents=docs,
    )
    return evaluate(snapshot, load_checklists(config=load_config()), AS_OF, config=load_config())


def _assert_self_contained(tree: lxml.html.HtmlElement) -> None:
    assert tree.xpath("//script") == []
    assert tree.xpath("//link") == []
    assert tree.xpath("//img") == []
    for element in tree.iter():
        for attribute in ("src", "href"):
            assert attribute not in element.attrib
    style = "".join(tree.xpath("//style/text()"))
    assert "@media print" in style and "@page" in style
    assert "url(" not in style and "@import" not in style
    assert tree.get("lang") == "zh-CN"


def test_borrower_report_is_well_formed_and_names_every_status_in_chinese() -> None:
    result = _result()
    html = borrower_report_html(result)

    tree = lxml.html.document_fromstring(html)
    _assert_self_contained(tree)
    statuses = {span.text for span in tree.xpath("//span[contains(@class, 'status')]")}
    assert {"缺失", "已失效", "已逾期", "已具备", "不适用"} <= statuses
    text = tree.text_content()
    assert "合同编号 JK2025-0001" in text
    assert "张三<测试>&" in text  # escaped in the markup, intact when read back
    assert "<测试>" not in html
    assert "已冻结" in text
    assert "2024年12月1日" in text  # the stale credit report's date, in Chinese form
    rows = tree.xpath("//table[contains(@class, 'items')]/tbody/tr")
    assert len(rows) == len(result.loans[0].items)


def test_portfolio_report_lists_files_worst_first() -> None:
    worse = _result("甲")
    better = evaluate(
        BorrowerSnapshot("110101199003071234", "乙", loans=(), documents=()),
        load_checklists(config=load_config()),
        AS_OF,
        config=load_config(),
    )
    html = portfolio_report_html(summarize([better, worse], as_of=AS_OF))

    tree = lxml.html.document_fromstring(html)
    _assert_self_contained(tree)
    names = [
        row.xpath("./td[2]")[0].text_content()
        for row in tree.xpath("//table[contains(@class, 'files')]/tbody/tr")
    ]
    assert names == ["甲", "乙"]
    headers = [th.text_content() for th in tree.xpath("//table[contains(@class, 'summary')]//th")]
    assert headers[:3] == ["已具备", "缺失", "已失效"]
