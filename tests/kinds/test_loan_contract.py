"""借款合同: the example renders with every derived figure; each cross-field rule is rejected at its field."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import docx
import pytest
from kit import all_text, config_with

from dossier.config import load_config
from dossier.domain.capital import parse_capital
from dossier.errors import InputError
from dossier.generation import Document, Generator
from dossier.kinds.contract_common import percent_text, term_text, whole_months_between
from dossier.kinds.loan_contract import KIND, RepriceDay, first_reprice_date, spread_text

Data = dict[str, Any]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def example() -> Data:
    return copy.deepcopy(KIND.example())


def render(generator: Generator, data: Data) -> tuple[Document, docx.document.Document]:
    document = generator.generate(KIND, data)
    return document, docx.Document(io.BytesIO(document.content))


def schedule_table(doc: docx.document.Document) -> list[list[str]]:
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows[0][0] == "期次":
            return rows
    raise AssertionError("no 还款计划表 in the document")


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


# -- the example ---------------------------------------------------------------------------------------
def test_example_prints_parties_amount_and_terms(generator: Generator) -> None:
    document, doc = render(generator, example())
    text = all_text(doc)
    assert document.filename == "借款合同-JK2026-000318"
    assert document.warnings == ()
    for expected in (
        "JK2026-000318",
        "中国示例银行股份有限公司厦门海沧支行",
        "厦门海沧示例贸易有限公司",
        "91350205MA2XK7Q396",
        "陈志远",
        "小微企业流动资金贷款",
        "人民币",
        "购买热轧卷板、螺纹钢等原材料",
        "¥1,250,000.00",
        "借款期限为24个月（共731天），自2026年3月20日起至2028年3月20日止",
        "还款方式为等额本金，共24期",
        "35101588001052601234",
        "漳州示例钢材有限公司",
        "BZ2026-000318、DY2026-000318",
        "结息日为每月20日",
        "第六百七十条，借款的利息不得预先在本金中扣除",
        "hc_credit@example.com",
        "chenzy@example.com",
        "本合同于2026年3月18日在福建省厦门市海沧区签订",
        "10. 借款人未按约定按季向贷款人提供财务报表，或提供的财务资料存在虚假记载；",
        "11. 借款人的实际控制人、法定代表人涉及重大诉讼、被采取刑事强制措施或下落不明。",
    ):
        assert expected in text, expected
    assert "{{" not in text and "{%" not in text


def test_capital_amount_is_exact(generator: Generator) -> None:
    _, doc = render(generator, example())
    assert "借款金额：人民币壹佰贰拾伍万元整（¥1,250,000.00）" in all_text(doc)

    data = example()
    data["loan"]["amount"] = "107000.53"
    _, doc = render(generator, data)
    text = all_text(doc)
    assert "人民币壹拾万零柒仟元零伍角叁分" in text
    assert parse_capital("人民币壹拾万零柒仟元零伍角叁分") == Decimal("107000.53")


def test_execution_rate_is_lpr_plus_spread(generator: Generator) -> None:
    document, doc = render(generator, example())
    text = all_text(doc)
    assert document.context["execution_rate"] == Decimal("3.45")
    assert "一年期LPR为3.00%，本合同执行年利率为3.00%加45个基点（0.45个百分点），即3.45%" in text
    assert "首个重定价日为2027年3月20日" in text


def test_negative_spread_and_five_year_tenor(generator: Generator) -> None:
    data = example()
    data["loan"]["rate"].update(lpr_tenor="五年期以上", lpr_percent="3.50", spread_bp=-20)
    document, doc = render(generator, data)
    assert document.context["execution_rate"] == Decimal("3.30")
    assert "五年期以上LPR为3.50%，本合同执行年利率为3.50%减20个基点（0.20个百分点），即3.30%" in all_text(doc)


def test_fixed_rate_prints_no_lpr_clause(generator: Generator) -> None:
    data = example()
    data["loan"]["rate"] = {"rate_type": "固定", "fixed_percent": "4.35"}
    document, doc = render(generator, data)
    text = all_text(doc)
    assert "本合同项下借款利率为固定利率，年利率为4.35%" in text
    assert "贷款市场报价利率" not in text
    assert document.context["overdue_rate_text"] == "6.525%"


def test_penalty_rates_are_multipliers_on_the_execution_rate(generator: Generator) -> None:
    document, doc = render(generator, example())
    text = all_text(doc)
    # 3.45 % × 1.5 and 3.45 % × 2, never 3.45 + 50 points.
    assert document.context["overdue_rate"] == Decimal("5.175")
    assert document.context["misuse_rate"] == Decimal("6.90")
    assert "上浮50%计收罚息，罚息年利率为5.175%" in text
    assert "上浮100%计收罚息，罚息年利率为6.90%" in text
    assert "择其重者计收罚息" in text
    assert "按罚息利率计收复利" in text


def test_penalty_defaults_come_from_configuration() -> None:
    data = example()
    del data["penalty"]
    generator = Generator(config_with("penalty", overdue_markup="0.3", misuse_markup="0.6"))
    document, doc = render(generator, data)
    assert document.context["overdue_markup"] == "30"
    assert document.context["overdue_rate_text"] == "4.485%"  # 3.45 × 1.3
    assert document.context["misuse_rate_text"] == "5.52%"  # 3.45 × 1.6
    assert "上浮30%计收罚息，罚息年利率为4.485%" in all_text(doc)


def test_penalty_above_the_court_cap_warns(generator: Generator) -> None:
    data = example()
    data["loan"]["rate"] = {"rate_type": "固定", "fixed_percent": "13"}
    document, _ = render(generator, data)
    assert any("26.00%" in w and "24" in w for w in document.warnings)


# -- the repayment schedule appendix ---------------------------------------------------------------------
def test_schedule_appendix_rows_sum_to_the_principal(generator: Generator) -> None:
    _, doc = render(generator, example())
    rows = schedule_table(doc)
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header == [
        "期次",
        "还款日",
        "应还本金（元）",
        "应还利息（元）",
        "本息合计（元）",
        "剩余本金（元）",
    ]
    assert [row[0] for row in body] == [str(n) for n in range(1, 25)]
    assert sum(money(row[2]) for row in body) == Decimal("1250000.00")
    assert body[0][:3] == ["1", "2026-04-20", "52,083.33"]
    assert body[-1][1] == "2028-03-20" and body[-1][5] == "0.00"
    # 等额本金 total interest = P·i·(n+1)/2 = 1,250,000 × 3.45 %/12 × 12.5 = 44,921.875
    assert total == ["合计", "24期", "1,250,000.00", "44,921.88", "1,294,921.88", "—"]
    assert sum(money(row[3]) for row in body) == Decimal("44921.88")


def test_annuity_schedule_matches_the_reference_and_sums(generator: Generator) -> None:
    data = example()
    data["loan"].update(
        amount="100000",
        term_months=12,
        maturity_date="2027-03-20",
        repayment_method="等额本息",
        rate={"rate_type": "固定", "fixed_percent": "4.35"},
    )
    _, doc = render(generator, data)
    body = schedule_table(doc)[1:-1]
    assert len(body) == 12
    assert body[0][4] == "8,530.99"  # domain.md §3.7
    assert sum(money(row[2]) for row in body) == Decimal("100000.00")
    assert "人民币壹拾万元整" in all_text(doc)


def test_interest_only_schedule_repays_principal_at_maturity(generator: Generator) -> None:
    data = example()
    data["loan"]["repayment_method"] = "按季付息到期还本"
    _, doc = render(generator, data)
    rows = schedule_table(doc)
    body = rows[1:-1]
    assert len(body) == 8
    assert [money(row[2]) for row in body[:-1]] == [Decimal("0.00")] * 7
    assert money(body[-1][2]) == Decimal("1250000.00")
    assert "按季结息，结息日为每季末月的20日" in all_text(doc)


# -- variants --------------------------------------------------------------------------------------------
def test_self_payment_and_arbitration(generator: Generator) -> None:
    data = example()
    data["loan"].update(payment_mode="自主支付", payee=None)
    data.update(payee_account=None, payee_bank=None)
    data["dispute"] = {"method": "仲裁", "arbitration_commission": "厦门仲裁委员会"}
    _, doc = render(generator, data)
    text = all_text(doc)
    assert "由借款人自主支付给符合本合同约定用途的交易对象" in text
    assert "漳州示例钢材有限公司" not in text
    assert "提交厦门仲裁委员会，按照申请仲裁时该会现行有效的仲裁规则进行仲裁" in text
    assert "提起诉讼" not in text


def test_credit_loan_for_a_person_signs_with_fingerprint(generator: Generator) -> None:
    data = example()
    data["borrower"] = {
        "kind": "person",
        "name": "林晓雯",
        "id_number": "350203198709180042",
        "address": "福建省厦门市思明区示例路66号1203室",
    }
    data["loan"].update(guarantee_methods=["信用"], product="个人经营")
    data["guarantee_contracts"] = []
    document, doc = render(generator, data)
    text = all_text(doc)
    assert "本合同项下借款为信用借款，不设担保" in text
    assert "借款人（签字并按指印）" in text
    assert "借款人公章" not in text
    assert "350203198709180042" in text
    assert "个人经营贷款" in text
    # No phone or e-mail for the borrower: notices could only go by post.
    assert any("借款人" in w and "电话" in w for w in document.warnings)


# -- validation ------------------------------------------------------------------------------------------
def _set(path: str, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_set("loan.contract_number", "JK2026-000999"), "loan.contract_number"),
        (_set("loan.maturity_date", "2028-03-21"), "loan.maturity_date"),
        (_set("loan.rate.lpr_date", _DELETE), "loan.rate.lpr_date"),
        (_set("loan.rate.lpr_tenor", _DELETE), "loan.rate.lpr_tenor"),
        (_set("loan.rate.reprice_months", _DELETE), "loan.rate.reprice_months"),
        (_set("loan.rate.lpr_date", "2026-03-20"), "loan.rate.lpr_date"),
        (_set("loan.payee", _DELETE), "loan.payee"),
        (_set("loan.repayment_account", _DELETE), "loan.repayment_account"),
        (_set("guarantee_contracts", []), "guarantee_contracts"),
        (_set("loan.guarantee_methods", ["信用"]), "guarantee_contracts"),
        (_set("signing_date", "2026-03-21"), "signing_date"),
        (_set("penalty.overdue_markup_percent", 60), "penalty.overdue_markup_percent"),
        (_set("penalty.misuse_markup_percent", 40), "penalty.misuse_markup_percent"),
        (_set("borrower.legal_representative", _DELETE), "borrower.legal_representative"),
        (_set("borrower.address", _DELETE), "borrower.address"),
        (_set("borrower.service.email", "chenzy.example.com"), "borrower.service.email"),
        (_set("borrower.service.phone", "call me"), "borrower.service.phone"),
        (_set("reprice_day", "每年1月1日"), "reprice_day"),
        (_set("dispute", {"method": "仲裁"}), "dispute.arbitration_commission"),
        (_set("lender.address", _DELETE), "lender.address"),
    ],
)
def test_cross_field_rules_name_the_field(
    generator: Generator, change: Callable[[Data], None], path: str
) -> None:
    data = example()
    if path == "reprice_day":
        data["loan"]["rate"]["reprice_months"] = 6
    if path == "lender.address":
        del data["lender_service"]
    change(data)
    with pytest.raises(InputError) as caught:
        generator.generate(KIND, data)
    assert [p.path for p in caught.value.problems] == [path]
    assert caught.value.problems[0].label


def test_reprice_on_january_first_with_twelve_month_cycle(generator: Generator) -> None:
    data = example()
    data["reprice_day"] = "每年1月1日"
    document, doc = render(generator, data)
    assert document.context["first_reprice_date"] == date(2027, 1, 1)
    assert "重定价日为每年1月1日，首个重定价日为2027年1月1日" in all_text(doc)


# -- derivation helpers ----------------------------------------------------------------------------------
def test_term_text_counts_months_then_days() -> None:
    assert term_text(date(2026, 3, 20), date(2028, 3, 20)) == "24个月"
    assert term_text(date(2026, 1, 15), date(2026, 7, 30)) == "6个月零15天"
    assert term_text(date(2026, 1, 1), date(2026, 1, 21)) == "20天"
    # Month ends clamp as in the schedule: 31 January + 1 month is 29 February 2024.
    assert whole_months_between(date(2024, 1, 31), date(2024, 2, 29)) == 1
    assert term_text(date(2024, 1, 31), date(2024, 3, 1)) == "1个月零1天"


def test_rate_and_spread_texts() -> None:
    assert percent_text(Decimal("5.175")) == "5.175%"
    assert percent_text(Decimal("3.1")) == "3.10%"
    assert percent_text(Decimal("6.900000")) == "6.90%"
    assert percent_text(Decimal("10")) == "10.00%"
    assert spread_text(45) == "加45个基点（0.45个百分点）"
    assert spread_text(-5) == "减5个基点（0.05个百分点）"
    assert spread_text(0) == "加0个基点（0.00个百分点）"


def test_first_reprice_date() -> None:
    assert first_reprice_date(date(2026, 3, 20), 12, RepriceDay.ANNIVERSARY) == date(2027, 3, 20)
    assert first_reprice_date(date(2026, 1, 31), 1, RepriceDay.ANNIVERSARY) == date(2026, 2, 28)
    assert first_reprice_date(date(2026, 3, 20), 12, RepriceDay.JANUARY_FIRST) == date(2027, 1, 1)


def test_short_loan_is_not_repriced_within_its_term(generator: Generator) -> None:
    data = example()
    data["loan"].update(term_months=12, maturity_date="2027-03-20")
    document, doc = render(generator, data)
    assert document.context["reprices_within_term"] is False
    assert "借款期限短于重定价周期的，借款期限内不作调整" in all_text(doc)
