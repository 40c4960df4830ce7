"""`dossier catalog migrate`: an embedded archive's catalog copied into PostgreSQL, verified before and
after, refused on a target that is not empty, and all or nothing: a copy that fails half-way leaves the
target empty and can simply be run again."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from catalog_samples import PERSON, Home, dossier, dossier_json, fill, home_with_catalog, write_config
from kit.catalog import sql
from kit.inbox_samples import text_pdf
from kit.postgres import Cluster
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from dossier.access.users import add_user
from dossier.archive.catalog import Base
from dossier.archive.filing import file_document


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            return {
                t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables
                if t.name in present
            }
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _migrate(capsys: pytest.CaptureFixture[str], home: Home, to: str) -> tuple[int, str, str]:
    return dossier(
        capsys, "--config", str(home.config_file), "catalog", "migrate", "--to", to, "--home", str(home.path)
    )


def test_a_filled_archive_moves_to_postgresql_and_runs_there(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path)
    facts = fill(home)
    before = _counts(home.url)
    assert before["documents"] == 3 and before["users"] == 2 and before["verification_records"] == 1

    code, out, err = _migrate(capsys, home, catalog_url)
    assert code == 0, err
    # What to set next (this URL has no password to hide).
    told = out.split('url = "', 1)[1].split('"', 1)[0]
    assert make_url(told) == make_url(catalog_url)
    after = _counts(catalog_url)
    # Every row, and one event more: the verification of the copy is the first event of its new home.
    assert after == {**before, "events": before["events"] + 1}
    assert _counts(home.url) == before  # the source is never written

    write_config(home.config_file, catalog_url)
    config = ("--config", str(home.config_file))
    status = dossier_json(capsys, *config, "catalog", "status", "--home", str(home.path))
    assert (status["backend"], status["state"], status["revision"]) == (
        "postgresql",
        "current",
        status["head"],
    )
    docs = dossier_json(capsys, *config, "docs", PERSON, "--home", str(home.path))
    assert facts["documents"][0] in [d["id"] for d in docs["documents"]]
    hits = dossier_json(capsys, *config, "search", "迁移样本", "--home", str(home.path))
    assert {h["id"] for h in hits["hits"]} <= set(facts["documents"])
    assert hits["hits"]
    verified = dossier_json(capsys, *config, "audit", "verify", "--home", str(home.path))
    assert verified["ok"] and verified["documents"] == 3

    # The sequences continue after the copied ids: new rows get new ids.
    with home.open() as archive:
        filed = file_document(
            archive, text_pdf(["迁移之后 新文件"]), borrower_key=PERSON, category="basic", doc_type="id-card",
            title="迁移之后", actor="test",
        )  # fmt: skip
        assert filed.document_id > max(facts["documents"])
        user = archive.transaction(
            lambda s: add_user(s, "archivist", "archivist", "correct-horse-9", actor="t")
        )
        assert user.id == 3
    verified = dossier_json(capsys, *config, "audit", "verify", "--home", str(home.path))
    assert verified["ok"] and verified["documents"] == 4


def test_a_target_that_is_not_empty_is_refused(
    tmp_path: Path, catalog_url: str, postgres: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path)
    fill(home)
    database = make_url(catalog_url).database
    assert database is not None

    with psycopg.connect(postgres.dsn(database), autocommit=True) as connection:
        connection.execute("CREATE TABLE users (id integer primary key, username text)")
        connection.execute("INSERT INTO users VALUES (1, 'someone')")
    code, _, err = _migrate(capsys, home, catalog_url)
    assert code == 2
    assert "table users has rows" in err and "目标数据库非空" in err
    assert _tables(catalog_url) == ["users"]  # left as it was

    with psycopg.connect(postgres.dsn(database), autocommit=True) as connection:
        connection.execute("DROP TABLE users")
    assert _migrate(capsys, home, catalog_url)[0] == 0
    copied = _counts(catalog_url)
    code, _, err = _migrate(capsys, home, catalog_url)
    assert code == 2
    assert "holds a dossier catalog already (schema revision" in err
    assert _counts(catalog_url) == copied


def test_a_copy_that_fails_half_way_leaves_the_target_empty_and_runs_again(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path)
    fill(home)
    # SQLite never enforced String(200); PostgreSQL does. A name made too long behind dossier's back (the
    # chain does not cover the borrower's name, so the archive still verifies) stops the copy at that row,
    # after the tables before it were copied.
    with home.open() as archive:
        original = sql(archive, "select name from borrowers where key = ?", PERSON)[0][0]
        sql(archive, "update borrowers set name = ? where key = ?", "长" * 201, PERSON)
    code, _, err = _migrate(capsys, home, catalog_url)
    assert code == 2
    assert "copying table borrowers failed" in err and "character varying(200)" in err
    assert "nothing was kept in the target" in err
    assert _tables(catalog_url) == []  # not even the schema: one transaction

    with home.open() as archive:
        sql(archive, "update borrowers set name = ? where key = ?", original, PERSON)
    code, _, err = _migrate(capsys, home, catalog_url)
    assert code == 0, err
    assert _counts(catalog_url)["borrowers"] == 2


def test_a_target_that_is_not_postgresql_or_cannot_be_reached_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path)
    fill(home)
    code, _, err = _migrate(capsys, home, f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert code == 2 and "the target must be PostgreSQL" in err
    assert not (tmp_path / "other.sqlite").exists()
    code, _, err = _migrate(capsys, home, f"postgresql://dossier:s3cret@/dossier?host={tmp_path}")
    assert code == 2 and "cannot connect to the target" in err and "No such file or directory" in err
    assert "s3cret" not in err
    code, _, err = _migrate(capsys, home, home.url)
    assert code == 2 and "the target must be PostgreSQL" in err
