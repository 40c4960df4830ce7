"""Archive homes for the search tests: documents generated from the kinds' examples and corpus files
ingested through the CLI, with the engine chosen by a configuration file (both engines)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document
from dossier.cli.app import main
from dossier.config import load_config
from dossier.kinds.registry import get_kind

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus"
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


@pytest.fixture(scope="session", params=ENGINES)
def filled_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One home per engine, shared by the read-only tests (searches only add audit events)."""
    base = tmp_path_factory.mktemp(f"search-{request.param}")
    home = Home(base / "home", write_config(base / "dossier.toml", request.param), request.param)
    fill(home, base / "inputs")
    return home


@pytest.fixture(scope="session")
def unindexed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A filled home nothing has searched yet (so it has no index): copied by ``fresh_home``."""
    base = tmp_path_factory.mktemp("search-template")
    home = Home(base / "home", write_config(base / "dossier.toml", "tantivy"), "tantivy")
    fill(home, base / "inputs")
    # generate and ingest index what they file; this template is the state before any indexing ran.
    shutil.rmtree(home.path / ".dossier" / "index")
    shutil.rmtree(home.path / ".dossier" / "text")
    return home.path


@pytest.fixture(params=ENGINES)
def fresh_home(request: pytest.FixtureRequest, tmp_path: Path, unindexed_template: Path) -> Home:
    """A home of its own (for tests that rebuild or break things), per engine."""
    shutil.copytree(unindexed_template, tmp_path / "home")
    return Home(tmp_path / "home", write_config(tmp_path / "dossier.toml", request.param), request.param)
