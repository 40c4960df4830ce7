"""Authentication cost under load: HTTP Basic against an API token, and /health while wrong passwords
are hammered at the service.

A bare archive home with one officer (password + API token) is made with the CLI of the sources under
test; ``dossier serve`` runs as a real process on a free loopback port. Each run measures:

  * token     GET /api/v1/me with ``Authorization: Bearer`` from ``--clients`` threads (keep-alive
              connections, back to back) for ``--duration`` seconds: requests/s;
  * basic     the same with the right HTTP Basic credentials: requests/s, and its ratio to token;
  * health    GET /health latency, one probe every 0.1 s: alone, then while 12 clients send wrong
              Basic credentials back to back (p50 and max, and the ratio of the two p50s); then again
              on a server with the sign-in throttle opened wide ([access.throttle] free failures 100 and
              1000), so every wrong attempt costs a full argon2 check: what keeping the hash off the
              event loop does on its own.

With ``--baseline DIR`` (the sources of an earlier commit, e.g. ``git archive a9f2158 | tar -x -C DIR``) the
same runs go against a server running DIR's sources too, so "before" and "after" share the machine.

    .venv/bin/python bench/auth.py [--clients 8] [--duration 5] [--runs 3] [--baseline /tmp/auth-before]

Tables go to stdout; bench/results/auth.json and auth.md hold the figures.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from benchlib import (
    RESULTS,
    BenchError,
    Series,
    entry_point,
    machine,
    markdown_table,
    note,
    stop_cleanly_on_sigterm,
    text_table,
    write_result,
)

USER, PASSWORD = "bench-officer", "bench-password-9"
ATTACKERS = 12
NO_THROTTLE = "[access.throttle]\naccount_free_failures = 100\naddress_free_failures = 1000\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Target:
    """One version of the sources: its environment, its home and token, its figures."""

    name: str
    env: dict[str, str]
    home: Path
    token: str = ""
    figures: dict[str, Series] = field(default_factory=dict)

    def add(self, figure: str, value: float) -> None:
        self.figures.setdefault(figure, Series()).add(value)


def cli(target: Target, *args: str) -> str:
    done = subprocess.run(
        [str(entry_point("dossier")), *args, "--home", str(target.home)],
        env=target.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"{target.name}: dossier {' '.join(args)} failed: {done.stderr[-500:]}")
    return done.stdout


def prepare(target: Target) -> None:
    cli(target, "init")
    cli(target, "users", "add", USER, "--role", "officer", "--password", PASSWORD, "--actor", "bench")
    target.token = json.loads(cli(target, "tokens", "create", USER, "--json", "--actor", "bench"))["token"]


class Server:
    def __init__(self, target: Target, log: Path, extra_env: dict[str, str] | None = None) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [str(entry_point("dossier")), "serve", "--home", str(target.home), "--port", str(port)],
                env={**target.env, **(extra_env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"{target.name}: dossier serve exited:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"{target.name}: dossier serve did not answer within 90 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def requests_per_second(base: str, headers: dict[str, str], clients: int, duration: float) -> float:
    """``clients`` threads sending GET /api/v1/me back to back; every answer must be 200."""
    counts = [0] * clients
    failures: list[str] = []
    barrier = threading.Barrier(clients)
    window: dict[str, float] = {}

    def client(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            http.get("/api/v1/health")  # the connection is open before the clock starts
            barrier.wait()
            window.setdefault("start", time.perf_counter())
            end = window["start"] + duration
            while time.perf_counter() < end:
                answer = http.get("/api/v1/me")
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                    return
                counts[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise BenchError(f"GET /api/v1/me failed: {failures[0]}")
    return sum(counts) / (time.perf_counter() - window["start"])


def health_latencies(base: str, duration: float, attackers: int) -> tuple[list[float], int]:
    """/health latencies (ms), one probe every 0.1 s, while ``attackers`` threads send wrong Basic
    credentials back to back; also how many wrong attempts were answered."""
    stop = threading.Event()
    attempts = [0] * attackers

    def attack(i: int) -> None:
        with httpx.Client(base_url=base, timeout=300) as http:
            while not stop.is_set():
                try:
                    http.get("/api/v1/me", headers=basic(USER, f"wrong-{i}"))
                    attempts[i] += 1
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=attack, args=(i,)) for i in range(attackers)]
    for thread in threads:
        thread.start()
    latencies: list[float] = []
    try:
        if attackers:
            time.sleep(1.0)  # let the attack build up
        with httpx.Client(base_url=base, timeout=60) as probe:
            end = time.perf_counter() + duration
            while time.perf_counter() < end:
                began = time.perf_counter()
                if probe.get("/api/v1/health").status_code != 200:
                    raise BenchError("/health did not answer 200")
                latencies.append((time.perf_counter() - began) * 1000)
                time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
    return latencies, sum(attempts)


def one_run(target: Target, args: argparse.Namespace, work: Path, run: int) -> None:
    # A fresh home each run: the sign-in throttle (where there is one) starts from nothing.
    shutil.rmtree(target.home, ignore_errors=True)
    prepare(target)
    server = Server(target, work / f"{target.name}.log")
    try:
        with_token = {"Authorization": f"Bearer {target.token}"}
        with httpx.Client(base_url=server.base, timeout=120) as warm:
            for headers in (with_token, basic(USER, PASSWORD)):
                for _ in range(20):
                    warm.get("/api/v1/me", headers=headers)
        # Alternate which goes first, so neither always meets the machine's first burst of other work.
        if run % 2 == 0:
            token = requests_per_second(server.base, with_token, args.clients, args.duration)
            right = requests_per_second(server.base, basic(USER, PASSWORD), args.clients, args.duration)
        else:
            right = requests_per_second(server.base, basic(USER, PASSWORD), args.clients, args.duration)
            token = requests_per_second(server.base, with_token, args.clients, args.duration)
        target.add("token req/s", token)
        target.add("basic req/s", right)
        target.add("basic / token", right / token)
        idle, _ = health_latencies(server.base, args.duration, 0)
        attacked, attempts = health_latencies(server.base, args.duration, ATTACKERS)
        target.add("health p50 ms", statistics.median(idle))
        target.add("health p50 ms, attacked", statistics.median(attacked))
        target.add("health max ms, attacked", max(attacked))
        target.add("attacked / idle p50", statistics.median(attacked) / statistics.median(idle))
        target.add("wrong attempts answered/s", attempts / (args.duration + 1.0))
    finally:
        server.stop()
    # The worst case for the event loop: no throttle, so every wrong attempt costs a full argon2 check.
    open_door = work / "no-throttle.toml"
    open_door.write_text(NO_THROTTLE, encoding="utf-8")
    server = Server(target, work / f"{target.name}.log", {"DOSSIER_CONFIG": str(open_door)})
    try:
        attacked, attempts = health_latencies(server.base, args.duration, ATTACKERS)
        target.add("health p50 ms, attacked, no throttle", statistics.median(attacked))
        target.add("health max ms, attacked, no throttle", max(attacked))
        target.add("wrong attempts answered/s, no throttle", attempts / (args.duration + 1.0))
    finally:
        server.stop()


def source_env(source: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DOSSIER_CONFIG", None)
    if source is not None:
        env["PYTHONPATH"] = f"{source / 'src'}:{source}"
    return env


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier commit to measure beside")
    return parser.parse_args(argv)


FIGURES = (
    "token req/s",
    "basic req/s",
    "basic / token",
    "health p50 ms",
    "health p50 ms, attacked",
    "health max ms, attacked",
    "attacked / idle p50",
    "wrong attempts answered/s",
    "health p50 ms, attacked, no throttle",
    "health max ms, attacked, no throttle",
    "wrong attempts answered/s, no throttle",
)


def main(argv: Sequence[str] | None = None) -> int:
    stop_cleanly_on_sigterm()
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    here = Path(__file__).resolve().parents[1]
    targets = [Target("this", source_env(here), work / "this")]
    if args.baseline is not None:
        targets.append(Target("baseline", source_env(args.baseline.resolve()), work / "baseline"))
    try:
        for run in range(args.runs):
            for target in targets if run % 2 == 0 else list(reversed(targets)):
                note(f"run {run + 1}/{args.runs}: {target.name}")
                one_run(target, args, work, run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    headers = ["figure", *(f"{t.name} (median)" for t in targets), *(f"{t.name} (runs)" for t in targets)]
    rows = [
        [
            figure,
            *(f"{t.figures[figure].median:.2f}" for t in targets),
            *(t.figures[figure].spread for t in targets),
        ]
        for figure in FIGURES
    ]
    print(text_table(headers, rows))
    facts = {"clients": args.clients, "duration_s": args.duration, "runs": args.runs, "attackers": ATTACKERS}
    write_result("auth", markdown_table(headers, rows) + "\n")
    (RESULTS / "auth.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "settings": facts,
                "figures": {t.name: {f: t.figures[f].values for f in FIGURES} for t in targets},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
