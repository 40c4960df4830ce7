"""Monthly and 旬 portfolio reports: figures (period_figures.py), tables shared by both outputs (tables.py),
charts (charts.py), the DOCX (docx_writer.py) and the XLSX (xlsx_writer.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dossier.archive.home import Archive
from dossier.ledger.report.period_figures import ReportFigures, report_figures
from dossier.ledger.report.periods import Period


@dataclass(frozen=True)
class ReportResult:
    figures: ReportFigures
    docx: Path
    xlsx: Path


def build_report(archive: Archive, period: Period, out_dir: Path) -> ReportResult:
    from dossier.ledger.report import charts
    from dossier.ledger.report.docx_writer import write_docx
    from dossier.ledger.report.xlsx_writer import write_xlsx

    figures = archive.transaction(lambda s: report_figures(s, period, archive.config), write=False)
    images = {
        "balances_by_class": charts.balances_by_class(figures),
        "overdue_trend": charts.overdue_trend(figures),
    }
    stem = f"贷款监测报告-{period.slug}"
    docx = write_docx(figures, images, out_dir / f"{stem}.docx")
    xlsx = write_xlsx(figures, images, out_dir / f"{stem}.xlsx")
    return ReportResult(figures, docx, xlsx)
