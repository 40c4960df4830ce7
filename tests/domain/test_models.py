from datetime import date
from decimal import Decimal

import pytest
from pydantic import BaseModel

from dossier.config import load_config
from dossier.domain.enums import CustomerType, GuaranteeMethod, RateType
from dossier.domain.models import Borrower, Enterprise, Guarantor, Loan, PersonBorrower, RateTerms
from dossier.domain.validation import iter_labels, locate, validate
from dossier.errors import InputError

PERSON = {"name": "张三", "id_number": "11010519491231002X", "marital_status": "未婚"}
ENTERPRISE = {
    "customer_type": "企业",
    "name": "厦门示例贸易有限公司",
    "credit_code": "91350200776049653A",
    "legal_representative": {"name": "李四", "id_number": "34052419800101001X"},
    "shareholders": [
        {"name": "李四", "id_number": "34052419800101001X", "contribution": "600000", "share_percent": 60},
        {"name": "王五", "id_number": "11010519491231002X", "contribution": "400000", "share_percent": "40"},
    ],
}
LOAN = {
    "product": "小微流贷",
    "amount": "1000000.00",
    "term_months": 12,
    "purpose": "购买原材料",
    "rate": {"rate_type": "浮动", "lpr_tenor": "1y", "lpr_percent": "3.10", "spread_bp": 35},
    "repayment_method": "按月付息到期还本",
    "start_date": "2026-01-31",
    "guarantee_methods": ["抵押", "保证"],
}


class Holder(BaseModel):
    borrower: Borrower


def test_borrower_union_picks_the_type_from_english_or_chinese_value():
    person = Holder.model_validate({"borrower": PERSON}, context={"config": load_config()}).borrower
    enterprise = Holder.model_validate({"borrower": ENTERPRISE}, context={"config": load_config()}).borrower
    assert isinstance(person, PersonBorrower)
    assert person.key == "11010519491231002X"
    assert person.sex == "女" and person.birth_date == date(1949, 12, 31)
    assert enterprise.customer_type is CustomerType.ENTERPRISE
    assert enterprise.key == "91350200776049653A"


def test_unknown_customer_type_names_the_accepted_values():
    with pytest.raises(InputError) as info:
        validate(Holder, {"borrower": {**PERSON, "customer_type": "外星人"}}, config=load_config())
    assert "自然人" in str(info.value) and info.value.problems[0].path == "borrower"


def test_married_person_needs_a_spouse():
    with pytest.raises(InputError) as info:
        validate(Holder, {"borrower": {**PERSON, "marital_status": "已婚"}}, config=load_config())
    problem = info.value.problems[0]
    assert problem.path == "borrower"
    assert "配偶" in problem.reason


def test_shareholdings_must_sum_to_one_hundred():
    bad = {
        **ENTERPRISE,
        "shareholders": [
            {**ENTERPRISE["shareholders"][0], "share_percent": 70},
            ENTERPRISE["shareholders"][1],
        ],
    }
    with pytest.raises(InputError) as info:
        validate(Enterprise, {k: v for k, v in bad.items() if k != "customer_type"}, config=load_config())
    assert "110" in info.value.problems[0].reason


def test_floating_rate_is_lpr_plus_spread_and_maturity_is_derived():
    loan = Loan.model_validate(LOAN, context={"config": load_config()})
    assert loan.annual_rate == Decimal("3.45")
    assert loan.rate.rate_type is RateType.FLOATING
    assert loan.maturity_date == date(2027, 1, 31)
    assert loan.guarantee_methods == [GuaranteeMethod.MORTGAGE, GuaranteeMethod.SURETY]


def test_fixed_rate_requires_its_figure():
    with pytest.raises(InputError) as info:
        validate(RateTerms, {"rate_type": "fixed"}, config=load_config())
    assert "固定利率" in info.value.problems[0].reason


def test_every_error_at_once_with_path_label_and_reason():
    bad = {**LOAN, "amount": "-5", "term_months": 0, "rate": {**LOAN["rate"], "spread_bp": "x"}, "colour": 1}
    with pytest.raises(InputError) as info:
        validate(Loan, bad, source="loan.yaml", config=load_config())
    by_path = {p.path: p for p in info.value.problems}
    assert by_path["amount"].label == "借款金额"
    assert by_path["term_months"].label == "期限(月)"
    assert by_path["rate.spread_bp"].label == "加点(基点)"
    assert by_path["colour"].label == ""
    assert "不认识的字段" in by_path["colour"].reason
    assert str(info.value).startswith("loan.yaml: ")


def test_amount_with_more_than_two_decimals_is_refused_and_floats_are_read_exactly():
    assert Loan.model_validate(
        {**LOAN, "amount": 100000.1}, context={"config": load_config()}
    ).amount == Decimal("100000.10")
    with pytest.raises(InputError) as info:
        validate(Loan, {**LOAN, "amount": "100.001"}, config=load_config())
    assert "两位小数" in info.value.problems[0].reason


def test_guarantor_needs_the_identifier_of_its_kind():
    with pytest.raises(InputError):
        validate(
            Guarantor,
            {"kind": "企业", "name": "某公司", "id_number": "11010519491231002X"},
            config=load_config(),
        )
    assert Guarantor.model_validate(
        {"kind": "企业", "name": "某公司", "credit_code": "91350200776049653A"},
        context={"config": load_config()},
    ).key


def test_locate_walks_lists_and_unions():
    path, label = locate(Holder, ("borrower", "enterprise", "shareholders", 1, "share_percent"))
    assert (path, label) == ("borrower.shareholders[1].share_percent", "持股比例(%)")


def test_every_field_has_a_chinese_label():
    for model in (Loan, Enterprise, Guarantor, PersonBorrower):
        for path, label in iter_labels(model):
            assert label, f"{model.__name__}.{path} has no Chinese label"


def test_a_nul_in_any_text_is_refused_with_its_field_named():
    # PostgreSQL's text cannot hold one: refused here, named, not when the document is filed
    bad = {**LOAN, "purpose": "购买\x00原材料"}
    with pytest.raises(InputError) as info:
        validate(Loan, bad, source="loan.yaml", config=load_config())
    (problem,) = info.value.problems
    assert (problem.path, problem.label) == ("purpose", "借款用途")
    assert "含有空字符" in problem.reason
    representative = {**ENTERPRISE["legal_representative"], "name": "李\x00四"}
    holder = {**ENTERPRISE, "legal_representative": representative}
    with pytest.raises(InputError) as info:
        validate(Holder, {"borrower": holder}, source="b.yaml", config=load_config())
    assert [p.path for p in info.value.problems] == ["borrower.legal_representative.name"]
