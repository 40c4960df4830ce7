"""The report's tables as rows of cells, shared by the DOCX and the XLSX so both print the same figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dossier.ledger.report.period_figures import ReportFigures

Rows = list[list[Any]]


def summary_rows(f: ReportFigures) -> Rows:
    t, r, i = f.totals, f.recovery, f.inspections
    return [
        ["项目", "数值"],
        ["报告期间", f"{f.period.start.isoformat()} 至 {f.period.end.isoformat()}"],
        ["贷款笔数", t.loans],
        ["贷款余额（元）", t.balance],
        ["逾期贷款笔数", t.overdue_loans],
        ["逾期贷款余额（元）", t.overdue_balance],
        ["逾期本金（元）", t.overdue_principal],
        ["欠息（元）", t.overdue_interest],
        ["本期到期笔数", r.due_count],
        ["本期到期金额（元）", r.due_amount],
        ["已收回笔数", r.recovered_count],
        ["已收回金额（元）", r.recovered_amount],
        ["收回率（按笔数，%）", _rate(r.rate_by_count)],
        ["收回率（按金额，%）", _rate(r.rate_by_amount)],
        ["应检查笔数", i.due],
        ["已检查笔数", i.done],
        ["检查完成率（%）", _rate(i.rate)],
    ]


def class_rows(f: ReportFigures) -> Rows:
    t = f.totals
    rows: Rows = [["五级分类", "笔数", "余额（元）", "占比（%）"]]
    for name, tally in t.by_class.items():
        rows.append([name, tally.count, tally.balance, _share(tally.balance, t.balance)])
    rows.append(["合计", t.loans, t.balance, _share(t.balance, t.balance)])
    return rows


def bucket_rows(f: ReportFigures) -> Rows:
    t = f.totals
    rows: Rows = [["逾期天数", "笔数", "逾期本金（元）", "贷款余额（元）"]]
    for label, tally in t.by_bucket.items():
        rows.append([label, tally.count, tally.overdue_principal, tally.balance])
    rows.append(["合计", t.overdue_loans, t.overdue_principal, t.overdue_balance])
    return rows


def trend_rows(f: ReportFigures) -> Rows:
    rows: Rows = [["日期", "逾期笔数", "逾期贷款余额（元）"]]
    rows.extend([p.on.isoformat(), p.overdue_loans, p.overdue_balance] for p in f.trend)
    return rows


def _rate(value: Decimal | None) -> Decimal | str:
    return "—" if value is None else value


def _share(part: Decimal, whole: Decimal) -> Decimal | str:
    from dossier.ledger.report.period_figures import percent

    return _rate(percent(part, whole))
