"""`dossier check`: is this ID number or credit code valid, and if not, why."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from dossier.cli.configuration import cli_config
from dossier.cli.output import emit
from dossier.errors import InvalidIdentifier

app = typer.Typer(help="Validate identifiers: exit 0 when valid, 1 when not.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("id")
def check_id(
    number: Annotated[str, typer.Argument(help="Resident ID number (居民身份证号), 18 or legacy 15 digits.")],
    as_json: JsonFlag = False,
) -> None:
    """Check a resident ID number (GB 11643, MOD 11-2) and show what it encodes."""
    from dossier.domain.identifiers import parse_resident_id

    try:
        rid = parse_resident_id(number)
    except InvalidIdentifier as exc:
        _invalid(number, str(exc), as_json)
        return
    today = date.today()
    payload = {
        "input": number,
        "valid": True,
        "number": rid.number,
        "area_code": rid.area_code,
        "birth_date": rid.birth_date,
        "sex": rid.sex,
        "age": rid.age(today),
    }

    def human(c: Console) -> None:
        c.print(f"有效 valid: {rid.number}")
        c.print(
            f"出生日期 {rid.birth_date.isoformat()}，性别 {rid.sex}，"
            f"年龄 {rid.age(today)}，地区码 {rid.area_code}"
        )

    emit(payload, as_json, human)


@app.command("uscc")
def check_uscc(
    code: Annotated[
        str, typer.Argument(help="Unified social credit code (统一社会信用代码), 18 characters.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Check a unified social credit code (GB 32100); strict: a failing check character is invalid."""
    from dossier.domain.identifiers import parse_credit_code

    try:
        result = parse_credit_code(code, strict=True, config=cli_config())
    except InvalidIdentifier as exc:
        _invalid(code, str(exc), as_json)
        return
    payload = {
        "input": code,
        "valid": True,
        "code": result.code,
        "authority": result.authority,
        "org_type": result.org_type,
        "area_code": result.area_code,
        "known_exception": result.known_exception,
        "notes": list(result.warnings),
    }

    def human(c: Console) -> None:
        c.print(f"有效 valid: {result.code}")
        c.print(f"登记管理部门 {result.authority}，机构类别 {result.org_type}，地区码 {result.area_code}")
        for note in result.warnings:
            c.print(f"注意 note: {note}")

    emit(payload, as_json, human)


def _invalid(value: str, reason: str, as_json: bool) -> None:
    emit(
        {"input": value, "valid": False, "reason": reason},
        as_json,
        lambda c: c.print(f"无效 invalid: {value}: {reason}"),
    )
    raise typer.Exit(1)
