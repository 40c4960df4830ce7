from __future__ import annotations

import pytest
from kit import config_with
from pydantic import BaseModel, TypeAdapter, ValidationError

from dossier.config import load_config
from dossier.domain.identifiers import (
    BankCardNumber,
    ContractNumber,
    CreditCode,
    MobileNumber,
    ReceiptNumber,
    ResidentIdNumber,
    credit_code_warnings,
)


class Borrower(BaseModel):
    id_number: ResidentIdNumber
    credit_code: CreditCode
    card: BankCardNumber
    mobile: MobileNumber
    contract: ContractNumber
    receipt: ReceiptNumber


GOOD: dict[str, str] = {
    "id_number": "110105491231002",
    "credit_code": "９１４４０１０１ma5cjq4n59",
    "card": "4111 1111 1111 1111",
    "mobile": "+86 138-0013-8000",
    "contract": "jk2024-000123",
    "receipt": "jj-2024-000001",
}

BAD: dict[str, str] = {
    "id_number": "110105194912310021",
    "credit_code": "91440101MA5CJQ4N5",
    "card": "4111111111111112",
    "mobile": "12800138000",
    "contract": "合同",
    "receipt": "x",
}


def test_valid_values_are_normalized() -> None:
    borrower = Borrower.model_validate(GOOD)
    assert borrower.model_dump() == {
        "id_number": "11010519491231002X",
        "credit_code": "91440101MA5CJQ4N59",
        "card": "4111111111111111",
        "mobile": "13800138000",
        "contract": "JK2024-000123",
        "receipt": "JJ-2024-000001",
    }


@pytest.mark.parametrize("field", list(BAD))
def test_error_is_reported_on_its_field(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate({**GOOD, field: BAD[field]})
    errors = info.value.errors()
    assert [error["loc"] for error in errors] == [(field,)]
    assert errors[0]["type"] == "value_error"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate(BAD)
    assert {error["loc"] for error in info.value.errors()} == {(field,) for field in BAD}


def test_non_strings_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate({**GOOD, "card": 4111111111111111})
    assert [error["loc"] for error in info.value.errors()] == [("card",)]


def test_credit_code_type_is_lenient() -> None:
    failing = "91350200776049653B"
    assert TypeAdapter(CreditCode).validate_python(failing) == failing
    assert credit_code_warnings(failing, config=load_config())


def test_config_from_context_drives_patterns() -> None:
    config = config_with(
        "identifiers",
        contract_number=r"^JK\.\d{4}\.\d{6}$",
        receipt_number=r"^JJ/\d{4}/\d{6}$",
        mobile=r"^1\d{10}$",
    )
    data = {**GOOD, "contract": "jk.2024.000001", "receipt": "jj/2024/000001", "mobile": "12800138000"}
    borrower = Borrower.model_validate(data, context={"config": config})
    assert (borrower.contract, borrower.receipt, borrower.mobile) == (
        "JK.2024.000001",
        "JJ/2024/000001",
        "12800138000",
    )
    # Without the context the shipped defaults apply and all three fail.
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate(data)
    assert {error["loc"] for error in info.value.errors()} == {("contract",), ("receipt",), ("mobile",)}


def test_context_without_config_uses_defaults() -> None:
    assert Borrower.model_validate(GOOD, context={"other": 1}).mobile == "13800138000"


def test_wrong_config_object_in_context_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"dossier Config"):
        Borrower.model_validate(GOOD, context={"config": {"identifiers": {}}})


def test_json_schema_is_generated_with_patterns() -> None:
    for mode in ("validation", "serialization"):
        properties = Borrower.model_json_schema(mode=mode)["properties"]
        assert properties["id_number"]["pattern"] == r"^\d{17}[\dX]$"
        assert properties["credit_code"]["pattern"] == r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
        assert properties["card"]["pattern"] == r"^\d{16,19}$"
        assert all(prop["type"] == "string" and prop["description"] for prop in properties.values())
        # Bank-configured patterns must not be baked into the schema.
        for field in ("mobile", "contract", "receipt"):
            assert "pattern" not in properties[field]


def test_schema_patterns_accept_the_normalized_values() -> None:
    import re

    borrower = Borrower.model_validate(GOOD)
    properties = Borrower.model_json_schema()["properties"]
    for field in ("id_number", "credit_code", "card"):
        assert re.fullmatch(properties[field]["pattern"], getattr(borrower, field))
