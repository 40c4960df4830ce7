"""An archive home with its catalog named in a bank's TOML (a SQLite file, or a PostgreSQL database), a
few documents, users and a verification record in it; and the `dossier` command line run in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kit.inbox_samples import COMPANY, COMPANY_NAME, PERSON, text_pdf

from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import Config, load_config
from dossier.search.indexing import index_pending
from dossier.verification import record_verification

PASSWORD = "correct-horse-9"


@dataclass
class Home:
    path: Path
    config_file: Path
    url: str

    @property
    def config(self) -> Config:
        return load_config(self.config_file)

    def open(self) -> Archive:
        return Archive.open(self.path, config=self.config)


def home_with_catalog(folder: Path, url: str | None = None) -> Home:
    """A new archive home in ``folder/home`` whose configuration names its catalog: ``url``, else the
    embedded SQLite file (named explicitly, so the PostgreSQL test pass leaves it a SQLite file)."""
    path = folder / "home"
    url = url or db.sqlite_url(path / ".dossier" / "catalog.sqlite")
    return Home(path, write_config(folder / "bank.toml", url), url)


def write_config(path: Path, url: str) -> Path:
    path.write_text(f'[catalog]\nurl = "{url}"\n', encoding="utf-8")
    return path


def fill(home: Home) -> dict[str, Any]:
    """Borrowers, three documents (one a second version), users with a token, a verification record,
    everything indexed: a little of every table that matters."""
    with Archive.init(home.path, config=home.config) as archive:
        ensure_borrower(archive, PERSON, "李四", "person", actor="test")
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise", actor="test")
        ids = []
        for key, title, words in (
            (PERSON, "身份证", "居民身份证 李四 迁移样本"),
            (COMPANY, "营业执照", "营业执照 厦门海沧 迁移样本"),
            (COMPANY, "营业执照", "营业执照 厦门海沧 第二版 迁移样本"),
        ):
            filed = file_document(
                archive,
                text_pdf([words]),
                borrower_key=key,
                category="basic",
                doc_type="business-license" if key == COMPANY else "id-card",
                title=title,
                actor="test",
            )
            ids.append(filed.document_id)
        archive.transaction(lambda s: add_user(s, "officer", "officer", PASSWORD, actor="test"))
        archive.transaction(lambda s: add_user(s, "auditor", "auditor", PASSWORD, actor="test"))
        _, token = archive.transaction(lambda s: create_token(s, "officer", "tests", actor="test"))
        record = record_verification(archive, ids[0], "电话核实", "一致", "吴晓东")
        index_pending(archive)
    return {"documents": ids, "token": token, "verification": record.id}


def dossier(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`dossier ARGV` in this process: exit code, standard output, standard error."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def dossier_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = dossier(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)
