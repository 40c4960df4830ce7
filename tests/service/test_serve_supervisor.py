"""`dossier serve --workers N`: the workers end with the process that started them, even when it is killed
outright (indexer.processes.die_with_parent), so nothing old keeps the port after a crash."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
from accesskit import make_home
from kit.nodes import free_port
from kit.procs import children, running
from servicekit import start_server


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_end_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {})
    port = free_port()
    process = start_server(home, port, "--workers", "2")
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(workers) < 2:
            # the resource tracker is a child too: the workers are the ones that serve the app
            workers = [
                p for p in children(process.pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            time.sleep(0.2)
        assert len(workers) == 2
        process.kill()  # SIGKILL: the supervisor cannot stop anything itself
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (any(map(running, workers)) or _answers(port)):
            time.sleep(0.2)
        assert not any(map(running, workers)), "a worker outlived its supervisor"
        assert not _answers(port), "the port still answers"
        # and the port is free for a new server
        again = start_server(home, port)
        again.terminate()
        again.wait(timeout=30)
    finally:
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
