"""A small archive with users of every role, served by the real application (shared by the tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from kit.inbox_samples import COMPANY, license_pdf, text_pdf
from kit.nodes import free_port

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token
from dossier.archive.home import Archive
from dossier.archive.registry import find_borrower
from dossier.config import load_config
from dossier.generation import Generator, file_generated
from dossier.kinds.registry import get_kind
from dossier.search.indexing import index_pending

DOSSIER = Path(sys.executable).parent / "dossier"
PASSWORD = "correct-horse-9"
# Officer 李晓峰 is named on the loan contract's example, and assigned its borrower (OWNED); 王五 has
# nothing. A name on a document grants nothing: only the assignment gives "officer" the borrower.
USERS = {
    "admin": ("admin", "系统管理员"),
    "archivist": ("archivist", "档案员周敏"),
    "auditor": ("auditor", "审计员郑洁"),
    "officer": ("officer", "李晓峰"),
    "other": ("officer", "王五"),
}
KINDS = ("loan-contract", "collection", "investigation")
OWNED = {"officer": (COMPANY,)}
"""Borrowers assigned to each officer's account."""

__all__ = [
    "COMPANY",
    "DOSSIER",
    "OWNED",
    "PASSWORD",
    "USERS",
    "Demo",
    "build",
    "free_port",
    "license_pdf",
    "text_pdf",
]


@dataclass
class Demo:
    home: Path
    tokens: dict[str, str] = field(default_factory=dict)
    borrowers: dict[str, int] = field(default_factory=dict)
    """Borrower key → id."""
    documents: dict[str, list[int]] = field(default_factory=dict)
    """Kind → the document ids filed for it."""

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}


def build(home: Path) -> Demo:
    archive = Archive.init(home, config=load_config())
    demo = Demo(home=home)
    try:
        generator = Generator(config=load_config())
        for name in KINDS:
            kind = get_kind(name)
            document = generator.generate(kind, kind.example(), source=f"{name}.yaml")
            filings = file_generated(archive, document, actor="setup")
            demo.documents[name] = [f["document_id"] for f in filings]
        for username, (role, display) in USERS.items():
            archive.transaction(
                lambda s, u=username, r=role, d=display: add_user(
                    s, u, r, PASSWORD, display_name=d, actor="setup"
                )
            )
            _, secret = archive.transaction(lambda s, u=username: create_token(s, u, "tests", actor="setup"))
            demo.tokens[username] = secret
        for username, keys in OWNED.items():
            for key in keys:
                archive.transaction(
                    lambda s, u=username, k=key: assign(s, u, find_borrower(s, k), actor="setup")
                )
        index_pending(archive)
        from sqlalchemy import select

        from dossier.archive.catalog.models import Borrower

        demo.borrowers = archive.transaction(
            lambda s: dict(s.execute(select(Borrower.key, Borrower.id)).all()), write=False
        )
    finally:
        archive.close()
    return demo


def start_server(
    home: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`dossier serve` as a real process, once it answers its health check."""
    process = subprocess.Popen(
        [str(DOSSIER), "serve", "--home", str(home), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"dossier serve exited with {process.returncode}: {output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("dossier serve did not answer within 60 s")
