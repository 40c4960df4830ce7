"""Small helpers shared by the benchmarks: timing, medians, machine facts and result tables.

The machine is shared and noisy, so every figure is a median over several runs and every figure is
printed beside an anchor measured in the same run.
"""

from __future__ import annotations

import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class BenchError(RuntimeError):
    """A benchmark step did not do what it measures (a command failed, files are missing)."""


@dataclass
class Series:
    """Several measurements of one figure; read ``median``."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def spread(self) -> str:
        """``min–max`` of the runs, to show how noisy the figure was."""
        if not self.values:
            return "—"
        return f"{min(self.values):.1f}–{max(self.values):.1f}"


def stop_cleanly_on_sigterm() -> None:
    """Unwind on SIGTERM (``kill``, ``timeout``) as on Ctrl-C: the bench's ``finally`` blocks then stop the
    servers and workers it started, which SIGTERM's default action would leave running."""
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds ``fn()`` took."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def entry_point(name: str) -> Path:
    """A console script installed next to the running interpreter (``.venv/bin/<name>``)."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        raise BenchError(f"{name} is not installed next to {sys.executable}; run `make setup` first")
    return path


def quiet_env() -> dict[str, str]:
    """Environment for measured subprocesses: no colours, wide help text, same interpreter paths."""
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"})
    return env


@dataclass(frozen=True)
class Timing:
    wall: float
    """seconds on the clock"""
    cpu: float
    """CPU seconds (user + system) of the command and the worker processes it waited for"""

    @property
    def cpus_used(self) -> float:
        """Average CPUs busy: below the worker count on a loaded machine."""
        return self.cpu / self.wall if self.wall > 0 else float("nan")


def run_measured(args: Sequence[str | os.PathLike[str]], *, ok_codes: Sequence[int] = (0,)) -> Timing:
    """Run a command to completion: wall-clock and CPU seconds; fail loudly if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(a) for a in args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=quiet_env(),
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok_codes:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BenchError(f"command failed with exit code {proc.returncode}: {args[0]} {args[1]} …\n{tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu)


def run_timed(args: Sequence[str | os.PathLike[str]], *, ok_codes: Sequence[int] = (0,)) -> float:
    """Wall-clock seconds of a command run to completion; fail loudly if it failed."""
    return run_measured(args, ok_codes=ok_codes).wall


def capture(args: Sequence[str | os.PathLike[str]]) -> str:
    """Stdout of a short command (help text, versions)."""
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, env=quiet_env(), check=False, text=True
    )
    return proc.stdout + proc.stderr


def machine() -> dict[str, str]:
    """The facts a reader needs to compare two result files."""
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": str(os.cpu_count()),
        "usable cpus": str(len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "n/a",
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load average": load,
    }


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table for the terminal; first column left-aligned, the others right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    align = ["---"] + ["---:"] * (len(headers) - 1)
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_result(name: str, text: str) -> Path:
    """Write ``bench/results/<name>.md`` (the folder is git-ignored)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def note(message: str) -> None:
    """Progress on stderr, so stdout holds only the result tables."""
    print(message, file=sys.stderr, flush=True)
