"""Pydantic field types for identifiers: validate, normalize, and report errors on the field.

Config-driven types (mobile, contract and receipt numbers, known credit-code exceptions) read the
configuration from the validation context: every caller passes ``context={"config": config}``
(``Generator.validate``, ``domain.validation.validate``). Validation without it is a programming error
(ConfigMissingFromContext), never a silent fall-back to the shipped defaults: a bank's patterns would be
ignored. The JSON schemas describe the normalized value; patterns a bank sets in its configuration are
not baked into the schema, only described.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo, WithJsonSchema

from dossier.config import Config
from dossier.domain.identifiers.bank_card import MAX_DIGITS, MIN_DIGITS, parse_bank_card
from dossier.domain.identifiers.contract_number import parse_contract_number
from dossier.domain.identifiers.credit_code import PATTERN as CREDIT_CODE_PATTERN
from dossier.domain.identifiers.credit_code import parse_credit_code
from dossier.domain.identifiers.mobile import parse_mobile
from dossier.domain.identifiers.resident_id import parse_resident_id

CONTEXT_KEY = "config"


class ConfigMissingFromContext(TypeError):
    """A model whose rules a bank configures was validated without the configuration in its context.

    A TypeError, so pydantic lets it through as it is (not as a ValidationError about the input): the
    caller is wrong, not the data."""

    def __init__(self, field: str | None) -> None:
        where = f"field {field!r}" if field else "a field"
        super().__init__(
            f"{where} reads the bank's configuration, but validation ran without it: call "
            f'model_validate(data, context={{"{CONTEXT_KEY}": config}}) (or domain.validation.validate)'
        )


def config_from_context(info: ValidationInfo) -> Config:
    """The Config passed as ``context={"config": ...}``; ConfigMissingFromContext without one."""
    context = info.context
    config = context.get(CONTEXT_KEY) if isinstance(context, Mapping) else None
    if config is None:
        raise ConfigMissingFromContext(info.field_name)
    if not isinstance(config, Config):
        # A wrong object here is a programming error, not bad input: let it surface as such.
        raise TypeError(f"validation context 'config' must be a dossier Config, not {type(config).__name__}")
    return config


def _resident_id(value: str) -> str:
    return parse_resident_id(value).number


def _credit_code(value: str, info: ValidationInfo) -> str:
    return parse_credit_code(value, strict=False, config=config_from_context(info)).code


def _mobile(value: str, info: ValidationInfo) -> str:
    return parse_mobile(value, config_from_context(info))


def _contract_number(value: str, info: ValidationInfo) -> str:
    return parse_contract_number(value, kind="contract", config=config_from_context(info))


def _receipt_number(value: str, info: ValidationInfo) -> str:
    return parse_contract_number(value, kind="receipt", config=config_from_context(info))


ResidentIdNumber = Annotated[
    str,
    AfterValidator(_resident_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{17}[\dX]$",
            "description": "Resident ID number, 18 characters, GB 11643 check (身份证号码)",
        }
    ),
]
"""18-character resident ID number; legacy 15-digit input is converted, lower-case x upper-cased."""

CreditCode = Annotated[
    str,
    AfterValidator(_credit_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CREDIT_CODE_PATTERN,
            "description": "Unified social credit code, GB 32100 (统一社会信用代码)",
        }
    ),
]
"""Well-formed credit code, normalized; a failing check character is accepted (see credit_code_warnings)."""

BankCardNumber = Annotated[
    str,
    AfterValidator(parse_bank_card),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^\d{{{MIN_DIGITS},{MAX_DIGITS}}}$",
            "description": "Bank card number, Luhn-checked digits (银行卡号)",
        }
    ),
]
"""Card digits without separators, Luhn-checked."""

MobileNumber = Annotated[
    str,
    AfterValidator(_mobile),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Mobile number, no country code; pattern set in [identifiers].mobile (手机号码)",
        }
    ),
]
"""Mobile number without separators or +86, matching [identifiers].mobile."""

ContractNumber = Annotated[
    str,
    AfterValidator(_contract_number),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Contract number; pattern set in [identifiers].contract_number (合同编号)",
        }
    ),
]
"""Upper-cased contract number matching [identifiers].contract_number."""

ReceiptNumber = Annotated[
    str,
    AfterValidator(_receipt_number),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Loan receipt number; pattern set in [identifiers].receipt_number (借据编号)",
        }
    ),
]
"""Upper-cased loan receipt (借据) number matching [identifiers].receipt_number."""
