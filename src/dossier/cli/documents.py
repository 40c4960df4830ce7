"""`dossier kinds | example | schema | generate`: the document kinds and their generation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dossier.cli.archive import ActorOption, HomeOption, default_actor, make_searchable, open_archive
from dossier.cli.args import BadArgument, positive_int
from dossier.cli.configuration import cli_config
from dossier.cli.output import console, emit

if TYPE_CHECKING:
    # Generation (docxtpl, lxml, the archive) is imported by `generate` when it runs.
    from dossier.generation import BatchResult
    from dossier.kinds.base import Kind

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _kind(name: str) -> Kind:
    from dossier.kinds.registry import UnknownKind, get_kind

    try:
        return get_kind(name)
    except UnknownKind as exc:
        raise BadArgument("KIND", str(exc)) from None


def kinds(as_json: JsonFlag = False) -> None:
    """List the document kinds: name, Chinese title, archive category."""
    from dossier.domain.categories import get_category
    from dossier.kinds.registry import all_kinds

    rows = []
    for kind in all_kinds().values():
        category = get_category(kind.category, cli_config())
        rows.append(
            {
                "name": kind.name,
                "title": kind.title,
                "category": kind.category,
                "category_label": category.label,
                "doc_type": kind.doc_type,
            }
        )

    def human(c: Console) -> None:
        table = Table(title="文书种类")
        for heading in ("name", "文书", "档案类别", "doc_type"):
            table.add_column(heading)
        for r in rows:
            table.add_row(r["name"], r["title"], f"{r['category_label']} ({r['category']})", r["doc_type"])
        c.print(table)

    emit(rows, as_json, human)


def example(kind: Annotated[str, typer.Argument(help="Kind name, e.g. loan-contract.")]) -> None:
    """Print a complete, valid, realistic input for KIND in YAML."""
    sys.stdout.write(_kind(kind).example_text())


def schema(kind: Annotated[str, typer.Argument(help="Kind name, e.g. loan-contract.")]) -> None:
    """Print the JSON Schema of KIND's input."""
    k = _kind(kind)
    document = k.schema.model_json_schema()
    document["title"] = f"{k.title} ({k.name})"
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def generate(
    kind: Annotated[str, typer.Argument(help="Kind name, e.g. collection.")],
    inputs: Annotated[list[Path], typer.Argument(help="Input files (YAML or JSON), one document each.")],
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output folder (default: none when filing, ./out with --no-file)."),
    ] = None,
    template: Annotated[Path | None, typer.Option(help="A DOCX template of your own for this kind.")] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also convert each document to PDF (LibreOffice).")
    ] = False,
    jobs: Annotated[int, typer.Option("-j", "--jobs", help="Worker processes.")] = 1,
    no_file: Annotated[
        bool, typer.Option("--no-file", help="Only write to the output folder; do not file into the archive.")
    ] = False,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate, derive, render and file one document per input into the archive home (borrowers and loans
    registered from the input). Exit 0 if all succeed, 2 if any input is invalid, 1 if any failed."""
    from dossier.archive.home import resolve_home
    from dossier.generation import generate_batch

    k = _kind(kind)
    positive_int("--jobs", jobs, maximum=64)
    if no_file:
        out = out or Path("out")
        home_path = None
    else:
        # Opened (or created, if new) here once, so the workers find it ready; closed before they fork.
        open_archive(home, create_if_new=True).close()
        home_path = resolve_home(home)
    if template is not None and not template.is_file():
        raise BadArgument("--template", f"file not found (模板文件不存在): {template}")
    if pdf:
        from dossier.render.pdf import PdfUnavailable, find_soffice

        if find_soffice() is None:
            raise PdfUnavailable(
                "--pdf needs LibreOffice, which is not installed (未安装LibreOffice): "
                "apt-get install libreoffice-writer-nogui fonts-noto-cjk, or run `make setup`"
            )
    who = default_actor(actor)
    from dossier.jobs.dispatch import render_pdfs

    # Filed with --pdf: the PDF/A renditions are made through render jobs (jobs.dispatch).
    render = render_pdfs if pdf and home_path is not None else None
    c = console()
    show_bar = not as_json and len(inputs) > 1 and sys.stderr.isatty()
    if show_bar:
        with Progress(
            TextColumn(f"生成 {k.title}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        ) as bar:
            task = bar.add_task("generate", total=len(inputs))
            results = generate_batch(
                k.name,
                inputs,
                out,
                jobs=jobs,
                pdf=pdf,
                template=template,
                progress=lambda _: bar.advance(task),
                home=home_path,
                actor=who,
                config=cli_config(),
                render=render,
            )
    else:
        results = generate_batch(
            k.name,
            inputs,
            out,
            jobs=jobs,
            pdf=pdf,
            template=template,
            home=home_path,
            actor=who,
            config=cli_config(),
            render=render,
        )
    if home_path is not None and any(r.document_ids for r in results):
        with open_archive(home_path) as archive:
            make_searchable(archive)
    if as_json:
        emit([_result_json(r) for r in results], True, lambda _: None)
    else:
        for r in results:
            _print_result(c, r)
    if any(r.status == "invalid" for r in results):
        raise typer.Exit(2)
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


def _result_json(r: BatchResult) -> dict:
    return {
        "input": r.input,
        "status": r.status,
        "outputs": [str(p) for p in r.outputs],
        "document_ids": r.document_ids,
        "filings": r.filings,
        "errors": [{"path": e.path, "label": e.label, "reason": e.reason} for e in r.errors],
        "warnings": r.warnings,
    }


_FILING_LABELS = {
    "filed": "已归档",
    "version": "新版本",
    "duplicate": "重复，未另存",
    "rendition-filed": "PDF/A 副本已归档",
    "rendition-kept": "已有 PDF/A 副本",
}


def _print_result(c: Console, r: BatchResult) -> None:
    if r.status == "ok":
        where = [str(p) for p in r.outputs] + [
            f"#{f['document_id']} {_FILING_LABELS.get(f['status'], f['status'])} {f['path']}"
            for f in r.filings
        ]
        c.print(f"[green]✓[/green] {r.input} → {', '.join(where)}")
    else:
        err = Console(stderr=True, highlight=False)
        err.print(
            f"[red]✗[/red] {r.input}: {'输入有误 invalid input' if r.status == 'invalid' else '失败 failed'}"
        )
        for e in r.errors:
            err.print(f"    {e}", markup=False)
    for w in r.warnings:
        Console(stderr=True, highlight=False).print(f"    注意 warning: {w}", markup=False)
