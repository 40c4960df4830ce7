"""The condition language of checklist items: named predicates joined by ``and``, ``or``, ``not`` and
parentheses, e.g. ``borrower_married and not borrower_is_enterprise``.

Nothing is evaluated as Python: a condition is parsed into a small tree at load time, every name must
be one of the predicates below, and evaluating it only looks names up in a table of booleans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

PREDICATES: Mapping[str, str] = {
    "borrower_is_person": "借款人为自然人 (customer type 自然人)",
    "borrower_is_business_owner": "借款人为个体工商户",
    "borrower_is_enterprise": "借款人为企业",
    "borrower_married": "借款人已婚 (details marital_status = 已婚/married, or a spouse recorded)",
    "has_guarantor": "有保证人 (guarantee includes 保证, or guarantors recorded)",
    "company_guarantor": "保证人中有企业",
    "company_mortgagor": "抵押人中有企业",
    "third_party_mortgagor": "抵押人不是借款人本人",
    "has_financial_statements": "借款人有财务报表 (details has_financial_statements)",
    "entrusted_payment": "受托支付 (loan details payment_mode)",
    "disbursed": "已放款 (loan start date on or before the review date, or unknown)",
    "settled": "已结清 (loan settled on or before the review date)",
}
"""Every name a condition may use, with what it means (shown by the loader's error messages)."""

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z_][A-Za-z0-9_]*)|(\S))")
_KEYWORDS = {"and", "or", "not"}


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str
    operands: tuple[Node, ...]


Node = Name | Not | BoolOp


class ConditionError(ValueError):
    """A condition that does not parse or names an unknown predicate."""


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # only trailing whitespace is left
            break
        if match.group(4) is not None:
            bad = match.group(4)
            raise ConditionError(f"unexpected character {bad!r} in condition (条件中有非法字符): {text!r}")
        tokens.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ConditionError(f"condition ends too early (条件不完整): {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self._or()
        if self._peek() is not None:
            raise ConditionError(f"unexpected {self._peek()!r} in condition (条件语法错误): {self.text!r}")
        return node

    def _or(self) -> Node:
        operands = [self._and()]
        while self._peek() == "or":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def _and(self) -> Node:
        operands = [self._unary()]
        while self._peek() == "and":
            self._take()
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def _unary(self) -> Node:
        token = self._take()
        if token == "not":
            return Not(self._unary())
        if token == "(":
            node = self._or()
            if self._take() != ")":
                raise ConditionError(f"missing ')' in condition (条件缺少右括号): {self.text!r}")
            return node
        if token in _KEYWORDS or token == ")":
            raise ConditionError(f"unexpected {token!r} in condition (条件语法错误): {self.text!r}")
        if token not in PREDICATES:
            known = ", ".join(PREDICATES)
            raise ConditionError(f"unknown condition name {token!r} (未知条件名); known: {known}")
        return Name(token)


def parse_condition(text: str) -> Node:
    """Parse ``text``; raises ConditionError naming the problem."""
    if not text or not text.strip():
        raise ConditionError("empty condition (条件为空)")
    return _Parser(text).parse()


def evaluate_condition(node: Node, lookup: Callable[[str], bool]) -> bool:
    """The value of ``node`` with each predicate's value from ``lookup``."""
    if isinstance(node, Name):
        return lookup(node.name)
    if isinstance(node, Not):
        return not evaluate_condition(node.operand, lookup)
    if node.op == "and":
        return all(evaluate_condition(op, lookup) for op in node.operands)
    return any(evaluate_condition(op, lookup) for op in node.operands)


def names_in(node: Node) -> set[str]:
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Not):
        return names_in(node.operand)
    return set().union(*(names_in(op) for op in node.operands))
