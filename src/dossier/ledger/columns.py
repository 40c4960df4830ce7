"""The ledger's columns: English name, Chinese header, and whether a row must fill it (issue 8)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    required: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def both(self) -> str:
        """``maturity_date 到期日``: how a message names the column."""
        return f"{self.name} {self.label}"


COLUMNS: tuple[Column, ...] = (
    Column("contract_no", "借款合同编号", aliases=("合同编号", "contract_number")),
    Column("receipt_no", "借据编号", aliases=("借据号", "receipt_number")),
    Column("borrower_key", "借款人证件号码", aliases=("证件号码", "借款人证件号")),
    Column("borrower_name", "借款人名称", aliases=("借款人", "借款人姓名")),
    Column("product", "业务品种", required=False, aliases=("贷款品种",)),
    Column("amount", "借款金额", aliases=("贷款金额", "发放金额")),
    Column("rate", "年利率", aliases=("执行年利率", "annual_rate")),
    Column("method", "还款方式", aliases=("repayment_method",)),
    Column("start_date", "发放日", aliases=("发放日期", "起始日")),
    Column("maturity_date", "到期日", aliases=("到期日期",)),
    Column("balance", "贷款余额", aliases=("余额",)),
    Column("overdue_principal", "逾期本金", required=False),
    Column("overdue_interest", "欠息", required=False, aliases=("欠息金额",)),
    Column("overdue_since", "逾期起始日", required=False, aliases=("逾期日期",)),
    Column("last_inspection", "上次检查日期", required=False, aliases=("上次检查日",)),
    Column("class", "五级分类", aliases=("five_class", "风险分类")),
    Column("officer", "客户经理", required=False, aliases=("管户客户经理",)),
    # The sign-in name of the officer's account: the one column that gives an officer the borrower.
    Column("officer_username", "客户经理用户名", required=False, aliases=("客户经理账号", "officer_user")),
    Column("guarantors", "保证人证件号码", required=False, aliases=("保证人",)),
)

BY_NAME = {column.name: column for column in COLUMNS}

# Headers are matched loosely: case, spaces, full-width forms and a trailing unit note such as
# "年利率(%)" or "借款金额（元）" do not matter.
_NOTE_RE = re.compile(r"[(（][^)）]*[)）]$")


def header_key(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().lower()
    cleaned = _NOTE_RE.sub("", cleaned).strip()
    return re.sub(r"[\s_\-]+", "_", cleaned)


_LOOKUP: dict[str, Column] = {}
for _column in COLUMNS:
    for _spelling in (_column.name, _column.label, *_column.aliases):
        _LOOKUP[header_key(_spelling)] = _column


def match_header(text: str) -> Column | None:
    """The column a header names (English or Chinese), or None for a column the ledger does not read."""
    return _LOOKUP.get(header_key(text))
