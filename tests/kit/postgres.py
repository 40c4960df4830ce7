"""A throwaway PostgreSQL cluster, started by the tests themselves and dropped at the end.

``initdb`` into a temporary folder, a server listening only on a unix socket in that folder, trust
authentication for the superuser ``postgres``. Tests run as root on CI and PostgreSQL refuses to run as
root, so the server runs as ``nobody``. On some machines ``/dev/null`` is a plain root-owned file, which
initdb (it sends its probes there) cannot open as another user; there both commands run in a private
mount namespace with a real null device bound over it, and the host's ``/dev/null`` is left alone.

The settings trade durability for speed (``fsync=off``): a test cluster never outlives its run. The bench
starts its own cluster with the server's defaults (bench/catalog_pg.py says which).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

SUPERUSER = "postgres"
PORT = 5432
UNPRIVILEGED = ("nobody", "nogroup")
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "128MB",
    "listen_addresses": "",
}
START_TIMEOUT_S = 60.0


class ClusterError(RuntimeError):
    pass


def bindir() -> Path:
    """Where the server's programs are: PATH first, then Debian's versioned folders, newest first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if not candidates:
        raise ClusterError("PostgreSQL's server is not installed (`make setup` installs `postgresql`)")
    return Path(candidates[-1]).parent


def _null_is_device() -> bool:
    try:
        return stat.S_ISCHR(os.stat("/dev/null").st_mode)
    except OSError:
        return False


class Cluster:
    """One PostgreSQL server in ``root`` (its data, its socket and its log)."""

    def __init__(self, root: Path, *, settings: dict[str, str] | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.settings = {**TEST_SETTINGS, **(settings or {})}
        self._server: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0

    # ----------------------------------------------------------------- running commands

    def _command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` as the unprivileged user, with a real /dev/null where the host's is not one."""
        command = list(argv)
        if self._as_root:
            user, group = UNPRIVILEGED
            command = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups", *command]
        if not _null_is_device():
            if not self._as_root:
                raise ClusterError("/dev/null is not a device and only root can bind one over it")
            null = self.root / "null"
            if not null.exists():
                os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
                os.chmod(null, 0o666)
            command = [
                "unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /dev/null && exec "$@"', str(null), *command,
            ]  # fmt: skip
        return command

    def _env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.root), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    # ----------------------------------------------------------------- life cycle

    def start(self) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.root, *UNPRIVILEGED)
        if not (self.data / "PG_VERSION").exists():
            init = [str(bindir() / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust"]
            init += ["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            done = subprocess.run(
                self._command(init), env=self._env(), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise ClusterError(f"initdb failed: {done.stderr or done.stdout}")
        self.launch()
        return self

    def launch(self) -> None:
        """Start the server on an existing data folder (again, after :meth:`stop`)."""
        argv = [str(bindir() / "postgres"), "-D", str(self.data), "-k", str(self.root), "-p", str(PORT)]
        for name, value in self.settings.items():
            argv += ["-c", f"{name}={value}"]
        log = self.log.open("ab")
        self._server = subprocess.Popen(
            self._command(argv), env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if self._server.poll() is not None or time.monotonic() > deadline:
                    tail = self.log.read_text(errors="replace")[-2000:]
                    raise ClusterError(f"PostgreSQL did not start: {tail}") from exc
                time.sleep(0.05)

    def stop(self, *, fast: bool = True) -> None:
        """Stop the server (``fast``: roll back open transactions and disconnect everyone at once)."""
        if self._server is None or self._server.poll() is not None:
            return
        # The server is the process group's leader (start_new_session); postgres ignores signals sent to
        # its wrappers, so the signal goes to the whole group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._server.pid, signal.SIGINT if fast else signal.SIGTERM)
        try:
            self._server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._server.pid, signal.SIGKILL)
            self._server.wait()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # ----------------------------------------------------------------- databases

    def dsn(self, database: str) -> str:
        """A libpq connection string (psycopg)."""
        return f"host={self.root} port={PORT} user={SUPERUSER} dbname={database}"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL, as ``[catalog].url`` takes it."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.root}&port={PORT}"

    @contextlib.contextmanager
    def admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            yield connection

    def create_database(self, name: str, *, template: str = "template0") -> str:
        with self.admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def databases(self, prefix: str) -> list[str]:
        with self.admin() as connection:
            rows = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname", (prefix + "%",)
            ).fetchall()
        return [str(row[0]) for row in rows]


def throwaway_cluster(prefix: str = "dossier-pg-") -> Cluster:
    """A started cluster in a new temporary folder; the caller destroys it."""
    return Cluster(Path(tempfile.mkdtemp(prefix=prefix))).start()
