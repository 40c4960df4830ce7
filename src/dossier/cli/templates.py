"""`dossier templates check [PATH]`: lint templates against their kinds before a bank uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from dossier.cli.args import BadArgument
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit

app = typer.Typer(help="Check DOCX templates against the kinds' data.", no_args_is_help=True)


@app.command("check")
def check(
    path: Annotated[
        Path | None,
        typer.Argument(help="A template file or a folder of <kind>.docx; default: the templates in use."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="The kind a template file is for (default: its file name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Report unknown variables, required fields never shown, Jinja syntax errors and full-width tags.

    Exit 0 when no template has an error, 1 otherwise.
    """
    # Imported here: the renderer (docxtpl, lxml) is slow to load and only this command needs it.
    from dossier.generation import Generator, check_template
    from dossier.kinds.registry import UnknownKind, all_kinds, get_kind

    generator = Generator(cli_config())
    targets: list[tuple[str, Path]] = []
    if path is None:
        targets = [(k.name, generator.template_path(k)[0]) for k in all_kinds().values()]
    elif path.is_dir():
        targets = [(k.name, path / k.template) for k in all_kinds().values() if (path / k.template).is_file()]
        if not targets:
            raise BadArgument("PATH", f"no <kind>.docx templates in this folder (文件夹中没有模板): {path}")
    elif path.is_file():
        targets = [(kind or path.stem, path)]
    else:
        raise BadArgument("PATH", f"no such file or folder (文件不存在): {path}")

    report: list[dict[str, Any]] = []
    for name, template in targets:
        try:
            k = get_kind(name)
        except UnknownKind as exc:
            raise BadArgument("--kind", str(exc)) from None
        problems = check_template(k, template, generator)
        report.append({"kind": k.name, "template": str(template), "problems": problems})

    def human(c: Console) -> None:
        for entry in report:
            status = "[green]✓[/green]" if not entry["problems"] else "[yellow]![/yellow]"
            c.print(f"{status} {entry['kind']}: {entry['template']}")
            for p in entry["problems"]:
                c.print(f"    {p}", markup=False)

    emit(report, as_json, human)
    if any(p.severity == "error" for entry in report for p in entry["problems"]):
        raise typer.Exit(1)
