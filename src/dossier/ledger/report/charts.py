"""The report's charts (matplotlib, Agg backend: no display needed): balances by class, overdue trend."""

from __future__ import annotations

import io
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager

from dossier.ledger.report.period_figures import ReportFigures

# Chinese labels need a CJK font; the first one installed wins (make setup installs Noto CJK).
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")
_WAN = Decimal(10000)


def _font() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK_FONTS if name in installed] + ["DejaVu Sans"]


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def balances_by_class(figures: ReportFigures) -> bytes:
    with plt.rc_context({"font.family": _font(), "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(6, 3.2))
        classes = list(figures.totals.by_class)
        values = [float(figures.totals.by_class[c].balance / _WAN) for c in classes]
        bars = axes.bar(classes, values, color=["#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#4e342e"])
        axes.bar_label(bars, fmt="%.2f")
        axes.set_title(f"{figures.period.label} 各类贷款余额（万元）")
        axes.set_ylabel("万元")
        return _png(figure)


def overdue_trend(figures: ReportFigures) -> bytes:
    with plt.rc_context({"font.family": _font(), "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(6, 3.2))
        labels = [p.on.isoformat() for p in figures.trend]
        values = [float(p.overdue_balance / _WAN) for p in figures.trend]
        axes.plot(labels, values, marker="o", color="#c62828")
        axes.set_ylim(bottom=0)
        axes.set_title("逾期贷款余额走势（万元）")
        axes.set_ylabel("万元")
        axes.tick_params(axis="x", labelrotation=30, labelsize=7)
        return _png(figure)
