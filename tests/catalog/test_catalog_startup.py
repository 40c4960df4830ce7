"""A catalog that cannot be used at start-up: every command that opens the archive (and `dossier serve`,
as a real process) names the setting and the cause in one line and exits 2: a URL that is not one, a host
that does not resolve, a socket nobody listens on, a role that may not connect, a role that may connect
but not read the catalog's tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from catalog_samples import dossier, home_with_catalog, write_config
from kit.postgres import Cluster
from sqlalchemy.engine import make_url

from dossier.archive import Archive
from dossier.config import load_config

DOSSIER = Path(sys.executable).parent / "dossier"


def _home(tmp_path: Path) -> tuple[Path, Path]:
    """An archive home (made on its embedded catalog) and the bank's file that will name another."""
    home = home_with_catalog(tmp_path)
    Archive.init(home.path, config=home.config).close()
    return home.path, home.config_file


def _refused(capsys: pytest.CaptureFixture[str], config: Path, home: Path, *command: str) -> str:
    code, out, err = dossier(capsys, "--config", str(config), *command, "--home", str(home))
    assert code == 2, out + err
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one line, no traceback
    assert "[catalog].url" in err, err
    return err


def _role_url(catalog_url: str, role: str) -> str:
    return make_url(catalog_url).set(username=role).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("not a database url", "Could not parse"),
        ("postgres://dossier@db.example/dossier", "Can't load plugin"),
        ("postgresql+psycopg://dossier@no-such-host.invalid/dossier", "failed to resolve host"),
    ],
    ids=["not-a-url", "unknown-dialect", "unknown-host"],
)
def test_a_wrong_url_names_the_setting_and_the_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, cause: str
) -> None:
    home, config = _home(tmp_path)
    write_config(config, url)
    for command in (("borrowers",), ("audit", "verify"), ("catalog", "upgrade")):
        err = _refused(capsys, config, home, *command)
        assert cause in err, err
    assert "password" not in err


@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("watch",), ("index",)])
def test_a_socket_nobody_listens_on_is_refused_at_start_up_by_serve_and_the_workers(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    home, config = _home(tmp_path)
    write_config(config, f"postgresql+psycopg://postgres@/dossier?host={tmp_path}&port=5432")
    # Real processes (a regression would start serving or watching: the timeout ends it, as a failure).
    done = subprocess.run(
        [str(DOSSIER), "--config", str(config), *command, "--home", str(home)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "[catalog].url" in done.stderr and "No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_role_without_connect_or_without_table_privileges_is_named(
    tmp_path: Path, catalog_url: str, postgres: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    home, config = _home(tmp_path)
    write_config(config, catalog_url)
    Archive.open(home, config=load_config(config)).close()  # the catalog migrated, by its owner
    database = make_url(catalog_url).database
    with postgres.admin() as admin:
        for role in ("dossier_noconnect", "dossier_notables"):
            admin.execute(f"DROP ROLE IF EXISTS {role}")
            admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC')
        admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO dossier_notables')
    try:
        write_config(config, _role_url(catalog_url, "dossier_noconnect"))
        err = _refused(capsys, config, home, "borrowers")
        assert "permission denied for database" in err
        write_config(config, _role_url(catalog_url, "dossier_notables"))
        err = _refused(capsys, config, home, "borrowers")
        assert "permission denied for table alembic_version" in err
        assert _refused(capsys, config, home, "users", "list")
        # Allowed to read the schema's revision but no table of the archive: the archive opens, and the
        # first query is refused; still one line naming the setting, not a traceback.
        with psycopg.connect(postgres.dsn(database), autocommit=True) as owner:
            owner.execute("GRANT SELECT ON alembic_version TO dossier_notables")
        err = _refused(capsys, config, home, "borrowers")
        assert "permission denied for table" in err
    finally:
        with postgres.admin() as admin:
            admin.execute(f'REVOKE ALL ON DATABASE "{database}" FROM dossier_notables')
            with psycopg.connect(postgres.dsn(str(database)), autocommit=True) as owner:
                owner.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM dossier_notables")
            admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO PUBLIC')


def test_catalog_status_reports_an_unreachable_catalog_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, config = _home(tmp_path)
    write_config(config, f"postgresql+psycopg://dossier:s3cret@/dossier?host={tmp_path}&port=5432")
    code, out, err = dossier(capsys, "--config", str(config), "catalog", "status", "--home", str(home))
    assert code == 1, err
    assert "s3cret" not in out and "***" in out
    assert "unreachable" in out and "No such file or directory" in out
