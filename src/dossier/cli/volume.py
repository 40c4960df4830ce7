"""`dossier volume`: a borrower's credit file bound as one PDF, opened by its 卷内目录."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, open_archive
from dossier.cli.args import BadArgument
from dossier.cli.output import emit

if TYPE_CHECKING:
    from dossier.archive.volume import VolumeResult


def volume(
    borrower: Annotated[str, typer.Argument(help="Borrower key (ID number or credit code) or exact name.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The PDF to write (outside the home).")],
    loan: Annotated[
        str | None,
        typer.Option("--loan", help="Only this loan (contract number), with the borrower's shared material."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Bind the borrower's credit file as one PDF in archive order: a 卷内目录 (index) first, a bookmark
    per category and document, and the archive number and page stamped on every page."""
    from dossier.archive.volume import build_volume

    if output.suffix.lower() != ".pdf":
        raise BadArgument("--output", f"the volume is a PDF file; name it *.pdf (卷文件应为 .pdf): {output}")
    with open_archive(home) as archive:
        result = build_volume(
            archive, borrower, output, loan=loan, actor=default_actor(actor), overwrite=force
        )
    emit(result, as_json, lambda c: _print(c, result))


def _print(c: Console, result: VolumeResult) -> None:
    scope = f" 借款合同 {result.loan}" if result.loan else ""
    c.print(
        f"已生成卷文件 volume written: {escape(result.borrower_name)} ({result.borrower_key}){scope}: "
        f"{result.documents} 份文件, 共 {result.pages} 页 (卷内目录 {result.index_pages} 页) → {result.path}"
    )
    table = Table(title=f"卷内目录 档号 {result.archive_number}", title_justify="left")
    for heading in ("顺序号", "类别", "文件题名", "文件日期", "页号", "页数", "备注"):
        table.add_column(heading)
    for e in result.entries:
        table.add_row(
            str(e.seq),
            escape(e.category_label),
            escape(e.title),
            e.doc_date.isoformat() if e.doc_date else "",
            str(e.start_page),
            str(e.pages),
            f"[yellow]占位页 {escape(e.reason)}[/]" if e.reason else "",
        )
    c.print(table)
    c.print(f"SHA-256 {result.sha256}  (audit event #{result.event_seq})")
