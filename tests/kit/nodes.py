"""Service nodes as real processes on one shared home: `dossier serve` (and a watcher) per node, each with
its own configuration file, logging to ``<logs>/<name>-<what>.log``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from kit.inbox_samples import DOSSIER, wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceNode:
    """One host's processes: a server on ``port`` and, optionally, a watcher."""

    def __init__(self, home: Path, config: Path, logs: Path, name: str) -> None:
        self.home, self.config, self.logs, self.name = home, config, logs, name
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.watcher: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOSSIER_CONFIG": str(self.config), "NO_COLOR": "1"}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{self.name}-{log}.log").open("ab") as out:
            return subprocess.Popen(
                [str(DOSSIER), *args, "--home", str(self.home)], env=self.env, stdout=out, stderr=out
            )

    def serve(self) -> None:
        self.server = self._spawn("serve", "--port", str(self.port), log="serve")
        wait_for(self.answers, 60, f"server {self.name} to answer")

    def answers(self) -> bool:
        assert self.server is not None
        if self.server.poll() is not None:
            raise AssertionError(f"server {self.name} exited: {self.log('serve')}")
        try:
            return httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def watch(self, *extra: str) -> None:
        self.watcher = self._spawn("watch", *extra, log="watch")
        if "--standby" not in extra:
            wait_for(lambda: "watching" in self.log("watch"), 60, f"watcher {self.name} to start")

    def log(self, which: str) -> str:
        path = self.logs / f"{self.name}-{which}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `dossier` command run as this node (its configuration), waited for."""
        return subprocess.run(
            [str(DOSSIER), *args, "--home", str(self.home)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def kill(self) -> None:
        for process in (self.server, self.watcher):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in (self.server, self.watcher):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
