"""Fixtures of the ledger tests (the constructed ledger itself is in ledger_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_fixtures import write_config


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An archive home path, with a configuration naming the lender in force."""
    write_config(tmp_path / "bank.toml")  # the CLI is given it (ledger_fixtures.main), the core bank_config()
    monkeypatch.delenv("DOSSIER_HOME", raising=False)
    return tmp_path / "home"
