from __future__ import annotations

import pytest
from kit import config_with
from pydantic import BaseModel, TypeAdapter, ValidationError

from dossier.config import load_config
from dossier.domain.identifiers import (
    BankCardNumber,
    ConfigMissingFromContext,
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

SHIPPED = {"config": load_config()}
"""The validation context every caller passes: here, the shipped defaults."""

BAD: dict[str, str] = {
    "id_number": "110105194912310021",
    "credit_code": "91440101MA5CJQ4N5",
    "card": "4111111111111112",
    "mobile": "12800138000",
    "contract": "合同",
    "receipt": "x",
}


def test_valid_values_are_normalized() -> None:
    borrower = Borrower.model_validate(GOOD, context=SHIPPED)
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
        Borrower.model_validate({**GOOD, field: BAD[field]}, context=SHIPPED)
    errors = info.value.errors()
    assert [error["loc"] for error in errors] == [(field,)]
    assert errors[0]["type"] == "value_error"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate(BAD, context=SHIPPED)
    assert {error["loc"] for error in info.value.errors()} == {(field,) for field in BAD}


def test_non_strings_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate({**GOOD, "card": 4111111111111111}, context=SHIPPED)
    assert [error["loc"] for error in info.value.errors()] == [("card",)]


def test_credit_code_type_is_lenient() -> None:
    failing = "91350200776049653B"
    assert TypeAdapter(CreditCode).validate_python(failing, context=SHIPPED) == failing
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
    # With the shipped defaults all three fail.
    with pytest.raises(ValidationError) as info:
        Borrower.model_validate(data, context=SHIPPED)
    assert {error["loc"] for error in info.value.errors()} == {("contract",), ("receipt",), ("mobile",)}


@pytest.mark.parametrize("context", [None, {"other": 1}, {"config": None}], ids=str)
def test_validation_without_the_config_is_a_programming_error_not_the_defaults(context) -> None:
    # Not a ValidationError (the input is fine) and never the shipped defaults: the caller is wrong.
    with pytest.raises(
        ConfigMissingFromContext, match=r"field 'credit_code'.*context=\{\"config\": config\}"
    ):
        Borrower.model_validate(GOOD, context=context)
    with pytest.raises(ConfigMissingFromContext):
        TypeAdapter(MobileNumber).validate_python("13800138000")


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

    borrower = Borrower.model_validate(GOOD, context=SHIPPED)
    properties = Borrower.model_json_schema()["properties"]
    for field in ("id_number", "credit_code", "card"):
        assert re.fullmatch(properties[field]["pattern"], getattr(borrower, field))
