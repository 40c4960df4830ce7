"""Identifier validators: resident ID, credit code, bank card, mobile, contract and receipt numbers."""

from dossier.domain.identifiers.bank_card import luhn_check_digit, luhn_valid, parse_bank_card
from dossier.domain.identifiers.contract_number import number_pattern, parse_contract_number
from dossier.domain.identifiers.credit_code import (
    CreditCodeCheck,
    credit_check_char,
    credit_code_warnings,
    normalize_credit_code,
    org_check_char,
    parse_credit_code,
)
from dossier.domain.identifiers.mobile import parse_mobile
from dossier.domain.identifiers.resident_id import ResidentId, parse_resident_id, resident_check_digit
from dossier.domain.identifiers.types import (
    BankCardNumber,
    ConfigMissingFromContext,
    ContractNumber,
    CreditCode,
    MobileNumber,
    ReceiptNumber,
    ResidentIdNumber,
    config_from_context,
)

__all__ = [
    "BankCardNumber",
    "ConfigMissingFromContext",
    "ContractNumber",
    "CreditCode",
    "CreditCodeCheck",
    "MobileNumber",
    "ReceiptNumber",
    "ResidentId",
    "ResidentIdNumber",
    "config_from_context",
    "credit_check_char",
    "credit_code_warnings",
    "luhn_check_digit",
    "luhn_valid",
    "normalize_credit_code",
    "number_pattern",
    "org_check_char",
    "parse_bank_card",
    "parse_contract_number",
    "parse_credit_code",
    "parse_mobile",
    "parse_resident_id",
    "resident_check_digit",
]
