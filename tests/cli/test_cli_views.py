"""Every read of borrower data from the command line is an audit event, as it is through the service."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Event
from dossier.cli.app import main
from dossier.config import load_config

KEY = "11010519491231002X"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-views")
    source = folder / "reminder.yaml"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["example", "reminder"]) == 0
    source.write_text(out.getvalue(), encoding="utf-8")
    home = folder / "home"
    assert main(["generate", "reminder", str(source), "--home", str(home), "--json"]) == 0
    return home


def _last_event(home: Path) -> Event:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: s.execute(select(Event).order_by(Event.seq.desc()).limit(1)).scalar_one(), write=False
        )


@pytest.mark.parametrize(
    ("argv", "target", "borrower_key", "part"),
    [
        (["borrowers"], "borrowers", None, "list"),
        (["docs", KEY], f"borrower:{KEY}", KEY, "documents"),
        (["audit", "log", "--borrower", KEY], f"borrower:{KEY}", KEY, "audit-log"),
        (["audit", "log"], "audit", None, "audit-log"),
        (["quarantine", "list"], "quarantine", None, "list"),
        (["completeness", KEY], f"borrower:{KEY}", KEY, "completeness"),
        (["completeness"], "portfolio", None, "completeness"),
        (["due", "--as-of", "2026-12-01"], "ledger", None, "due"),
    ],
)
def test_each_reading_command_writes_a_view_event(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    target: str,
    borrower_key: str | None,
    part: str,
) -> None:
    before = _last_event(home).seq
    assert main([*argv, "--home", str(home), "--json"]) == 0, capsys.readouterr().err
    event = _last_event(home)
    assert event.seq == before + 1
    assert (event.action, event.target, event.borrower_key) == ("view", target, borrower_key)
    assert event.details["via"] == "cli" and event.details["part"] == part
