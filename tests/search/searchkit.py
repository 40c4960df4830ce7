"""What the search tests share: archive homes filled from the kinds' examples and corpus files through the
CLI, with the engine chosen by a configuration file. (Not in conftest.py: a test importing from
`conftest` would get another folder's conftest when several folders run in one session.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.paths import CORPUS
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document
from dossier.cli.app import main
from dossier.config import load_config
from dossier.kinds.registry import get_kind

ENGINES = ["tantivy", "whoosh"]
KINDS = ("loan-contract", "collection", "reminder")
CORPUS_FILES = (
    "py-pdf-sample-files/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf",
    "py-pdf-sample-files/011-google-doc-document_google-doc-document.pdf",
    "paperless-ngx-samples/password-is-test.pdf",
)
# The loan-contract example's borrower: the corpus files are filed into its archive.
COMPANY_KEY = "91350205MA2XK7Q396"
COMPANY_NAME = "厦门海沧示例贸易有限公司"


def write_config(path: Path, engine: str, **search: Any) -> Path:
    """A configuration file choosing ``engine`` (and any other [search] settings)."""
    lines = ["[search]", f'engine = "{engine}"']
    for key, value in search.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Home:
    path: Path
    config: Path
    engine: str

    def cli(self, *args: str) -> int:
        """Run `dossier --config CONFIG ARGS --home HOME` in this process; the exit code."""
        return main(["--config", str(self.config), *args, "--home", str(self.path)])

    def archive(self) -> Archive:
        return Archive.open(self.path, config=load_config(self.config))

    def documents(self) -> list[Document]:
        with self.archive() as archive:
            return archive.transaction(
                lambda s: list(s.execute(select(Document).order_by(Document.id)).scalars()), write=False
            )


def fill(home: Home, inputs: Path) -> None:
    """Generate one document per example kind and ingest the corpus files, all through the CLI."""
    inputs.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        source = inputs / f"{kind}.yaml"
        source.write_text(get_kind(kind).example_text(), encoding="utf-8")
        assert home.cli("generate", kind, str(source)) == 0
    files = [str(CORPUS / name) for name in CORPUS_FILES]
    assert (
        home.cli("ingest", *files, "--borrower", COMPANY_KEY, "--category", "basic", "--type", "other") == 0
    )
