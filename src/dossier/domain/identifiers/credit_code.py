"""统一社会信用代码 (GB 32100-2015) with its inner organization code (GB 11714).

A few real, registered codes fail the check character (domain.md §3.4), so by default a failing check
is a warning, not an error; ``strict=True`` turns it into an error unless the code is a configured
known exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, field_validator

from dossier.config import Config
from dossier.errors import InvalidIdentifier

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN_LETTERS = "IOSVZ"
# Wᵢ = 3^(i−1) mod 31 for positions i = 1…17.
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"

_NAME = "unified social credit code (统一社会信用代码)"
_CODE_RE = re.compile(PATTERN)
_SPACES_RE = re.compile(r"\s+")

# Code tables of GB 32100-2015 appendix A: a national standard, not a bank rule, hence kept here.
_AUTHORITIES: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商/市场监管",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}
_ORG_TYPES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
}


class _CreditCodeRules(BaseModel):
    """The part of [identifiers] this module reads."""

    uscc_known_exceptions: tuple[str, ...] = ()

    @field_validator("uscc_known_exceptions")
    @classmethod
    def _normalize_all(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalize_credit_code(code) for code in codes)


@dataclass(frozen=True)
class CreditCodeCheck:
    """A well-formed credit code and what its checks and code tables say about it."""

    code: str
    check_ok: bool
    expected_check: str
    org_code_ok: bool
    authority: str
    org_type: str
    area_code: str
    known_exception: bool
    warnings: tuple[str, ...]


def normalize_credit_code(code: str) -> str:
    """Full-width to half-width (NFKC), whitespace removed, upper case."""
    return _SPACES_RE.sub("", unicodedata.normalize("NFKC", code)).upper()


def credit_check_char(body17: str) -> str:
    """Position-18 check character: charset[(31 − Σ cᵢWᵢ mod 31) mod 31]."""
    if len(body17) != 17 or any(ch not in CHARSET for ch in body17):
        raise InvalidIdentifier(
            f"{_NAME} body must be 17 characters from {CHARSET} "
            f"(统一社会信用代码本体应为17位合法字符): {body17!r}"
        )
    total = sum(CHARSET.index(ch) * weight for ch, weight in zip(body17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organization code body: 11 − (S mod 11), 10→X, 11→0."""
    if len(body8) != 8 or not body8.isascii() or not body8.isalnum():
        raise InvalidIdentifier(
            f"organization code body must be 8 letters or digits "
            f"(组织机构代码本体应为8位字母或数字): {body8!r}"
        )
    # int(ch, 36) maps 0–9 to themselves and A…Z to 10…35, as GB 11714 does.
    total = sum(int(ch, 36) * weight for ch, weight in zip(body8.upper(), ORG_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def _require_well_formed(code: str, original: str) -> None:
    if len(code) != 18:
        raise InvalidIdentifier(
            f"{_NAME} must have 18 characters, got {len(code)} "
            f"(统一社会信用代码应为18位，实际{len(code)}位): {original!r}"
        )
    bad = sorted({ch for ch in code if ch not in CHARSET})
    if bad:
        shown = ", ".join(bad)
        hint = ""
        if any(ch in FORBIDDEN_LETTERS for ch in bad):
            hint = " — the letters I, O, S, V and Z are never used (不使用字母 I、O、S、V、Z)"
        raise InvalidIdentifier(
            f"{_NAME} contains characters outside its character set: {shown}{hint} "
            f"(统一社会信用代码含非法字符：{shown}): {original!r}"
        )
    if not code[2:8].isdigit():
        raise InvalidIdentifier(
            f"{_NAME} positions 3–8 (area code) must be digits, got {code[2:8]} "
            f"(统一社会信用代码第3–8位行政区划码应为数字): {original!r}"
        )
    if not _CODE_RE.fullmatch(code):  # pragma: no cover - the checks above cover every way to miss
        raise InvalidIdentifier(f"{_NAME} is malformed (统一社会信用代码格式错误): {original!r}")


def _known_exceptions(config: Config) -> frozenset[str]:
    rules = config.section("identifiers", _CreditCodeRules)
    return frozenset(rules.uscc_known_exceptions)


def parse_credit_code(code: str, *, strict: bool = False, config: Config) -> CreditCodeCheck:
    """Normalize and check ``code``; a malformed code always raises, a failing check only when strict."""
    normalized = normalize_credit_code(code)
    _require_well_formed(normalized, code)
    expected = credit_check_char(normalized[:17])
    check_ok = normalized[17] == expected
    expected_org = org_check_char(normalized[8:16])
    org_code_ok = normalized[16] == expected_org
    known = normalized in _known_exceptions(config)

    if not check_ok and strict and not known:
        raise InvalidIdentifier(
            f"{_NAME} check character should be {expected}, not {normalized[17]} "
            f"(统一社会信用代码校验码错误，应为 {expected}); a few real codes fail this check — list them "
            f"in [identifiers].uscc_known_exceptions (少数真实代码校验不通过，可列入已知例外): {code!r}"
        )

    warnings: list[str] = []
    if known:
        if strict and check_ok:
            warnings.append(
                f"{normalized} is listed in [identifiers].uscc_known_exceptions although its check "
                f"character is right (已知例外代码，但校验码正确)"
            )
        elif strict:
            warnings.append(
                f"{normalized} fails the check character (should be {expected}) but is a configured "
                f"known exception, so it is accepted (校验码不符，但属已知例外代码，予以接受)"
            )
    else:
        if not check_ok:
            warnings.append(
                f"{_NAME} check character should be {expected}, not {normalized[17]}; a few real codes "
                f"fail this check, confirm the code with 国家企业信用信息公示系统 "
                f"(统一社会信用代码校验码不符，应为 {expected}，请核实)"
            )
        if not org_code_ok:
            warnings.append(
                f"organization code {normalized[8:17]} (positions 9–17) check digit should be "
                f"{expected_org}, not {normalized[16]} "
                f"(主体标识码（组织机构代码）校验码不符，应为 {expected_org}，请核实)"
            )

    authority_char, type_char = normalized[0], normalized[1]
    authority = _AUTHORITIES.get(authority_char, f"未列明的登记管理部门 {authority_char}")
    org_type = _ORG_TYPES.get(authority_char, {}).get(type_char, f"机构类别 {type_char}")
    return CreditCodeCheck(
        code=normalized,
        check_ok=check_ok,
        expected_check=expected,
        org_code_ok=org_code_ok,
        authority=authority,
        org_type=org_type,
        area_code=normalized[2:8],
        known_exception=known,
        warnings=tuple(warnings),
    )


def credit_code_warnings(code: str, *, config: Config) -> tuple[str, ...]:
    """Lenient warnings for a well-formed code (empty when every check passes)."""
    return parse_credit_code(code, config=config).warnings
