"""When is a file in the inbox complete? Three tests, all required:

1. **Quiet period.** No event for the path for ``quiet_seconds``.
2. **Second look.** ``lstat`` again: size, mtime, inode and device as at the first look, which was at
   least ``quiet_seconds`` ago. A file still growing, or replaced, starts its quiet period again.
3. **No writer.** No process holds the file open for writing. Probed with a read lease
   (``fcntl(F_SETLEASE, F_RDLCK)``): Linux grants one only when nobody has the file open for writing, and
   it is given back at once. Leases need a local file system and the file's owner (or CAP_LEASE); where
   the kernel refuses (EINVAL on NFS/CIFS, EACCES for another user's file) the probe falls back to reading
   ``/proc/<pid>/fd`` and ``fdinfo`` of every process it may see, which finds local writers only (root
   sees all). A writer on another machine (a network share) is invisible to both: there the quiet period
   and the second look are the whole test, so shares want a longer quiet period.

A lease that a writer breaks in the instant we hold it makes the kernel send SIGIO, whose default action
ends the process; :func:`ignore_lease_breaks` (called by the watcher from the main thread) ignores it,
and leases are used only once it has.

Events are hints: the tracker keeps what it saw, never trusts an event for the file's state, and looks
again itself.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import stat
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)
F_RDLCK = getattr(fcntl, "F_RDLCK", 0)
F_UNLCK = getattr(fcntl, "F_UNLCK", 2)
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


@dataclass(frozen=True)
class Snapshot:
    """What ``lstat`` says about a path: enough to tell a changed or replaced file."""

    kind: str
    """``file``, ``link`` (a symbolic link) or ``other`` (FIFO, socket, device)."""
    size: int
    mtime_ns: int
    ino: int
    dev: int

    @classmethod
    def of(cls, st: os.stat_result) -> Snapshot:
        if stat.S_ISREG(st.st_mode):
            kind = "file"
        elif stat.S_ISLNK(st.st_mode):
            kind = "link"
        else:
            kind = "other"
        return cls(kind, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def look(path: Path) -> Snapshot | None:
    """The path's snapshot, None if it is gone or is a folder (folders are scanned, never taken)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return None
    return Snapshot.of(st)


@dataclass
class Watched:
    path: str
    """Relative to the inbox."""
    snapshot: Snapshot
    since: float
    """Monotonic time the current snapshot was first seen."""
    last_hint: float
    first_seen: datetime
    item_id: int | None = None


class Tracker:
    """The files seen in the inbox and not yet taken, each with its quiet period."""

    def __init__(self, root: Path, quiet_seconds: float) -> None:
        self.root = root
        self.quiet = quiet_seconds
        self.watched: dict[str, Watched] = {}

    def __len__(self) -> int:
        return len(self.watched)

    def hint(self, path: str, at: float, wall: datetime) -> Watched | None:
        """Something may have happened at ``path``: look at it. Returns the entry when the path is new."""
        snapshot = look(self.root / path)
        known = self.watched.get(path)
        if snapshot is None:
            if known is not None:
                known.last_hint = at  # gone or replaced by a folder; the second look settles it
            return None
        if known is None:
            entry = Watched(path, snapshot, at, at, wall)
            self.watched[path] = entry
            return entry
        known.last_hint = at
        if snapshot != known.snapshot:
            known.snapshot, known.since = snapshot, at
        return None

    def due(self, at: float) -> list[Watched]:
        """Entries whose quiet period is over: ready for the second look."""
        return [w for w in self.watched.values() if at >= max(w.since, w.last_hint) + self.quiet]

    def second_look(self, entry: Watched, at: float) -> Snapshot | None:
        """The snapshot if unchanged since the first look; otherwise None (changed: the quiet period
        starts again; gone: the caller forgets the path)."""
        snapshot = look(self.root / entry.path)
        if snapshot is None:
            return None
        if snapshot != entry.snapshot:
            entry.snapshot, entry.since = snapshot, at
            return None
        return snapshot

    def forget(self, path: str) -> Watched | None:
        return self.watched.pop(path, None)

    def next_due(self) -> float | None:
        """Monotonic time of the earliest quiet period to end, None when nothing is watched."""
        if not self.watched:
            return None
        return min(max(w.since, w.last_hint) for w in self.watched.values()) + self.quiet


# --------------------------------------------------------------------------- writers


def ignore_lease_breaks() -> bool:
    """Ignore SIGIO (sent when a writer breaks our lease) so leases are safe to use; main thread only.
    Returns whether leases may be used."""
    try:
        signal.signal(signal.SIGIO, signal.SIG_IGN)
    except (ValueError, AttributeError, OSError):  # not the main thread, or no SIGIO here
        return False
    return True


def _leases_safe() -> bool:
    sigio = getattr(signal, "SIGIO", None)
    return sigio is not None and signal.getsignal(sigio) is signal.SIG_IGN


def lease_probe(path: Path) -> bool | None:
    """True if some process has ``path`` open for writing, False if none has, None if the file system
    or our rights allow no lease here (the caller falls back to :func:`proc_writers`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            fcntl.fcntl(fd, F_SETLEASE, F_RDLCK)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EBUSY):
                return True
            return None
        fcntl.fcntl(fd, F_SETLEASE, F_UNLCK)
        return False
    finally:
        os.close(fd)


def proc_writers(paths: list[Path]) -> set[Path]:
    """Those of ``paths`` that a process we can see in ``/proc`` holds open for writing."""
    wanted: dict[str, Path] = {}
    for path in paths:
        try:
            wanted[os.path.join(os.path.realpath(path.parent), path.name)] = path
        except OSError:
            continue
    if not wanted or not os.path.isdir("/proc"):
        return set()
    found: set[Path] = set()
    own = str(os.getpid())
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and p != own]
    except OSError:
        return set()
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to see
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            open_path = wanted.get(target)
            if open_path is None or open_path in found:
                continue
            if _open_for_writing(pid, fd):
                found.add(open_path)
    return found


def _open_for_writing(pid: str, fd: str) -> bool:
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
            for line in info:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & os.O_ACCMODE in _WRITE_MODES
    except (OSError, ValueError):
        return False
    return False


class WriterProbe:
    """Which candidate files are still open for writing; ``mode`` from [inbox].writer_probe."""

    def __init__(self, mode: str = "auto") -> None:
        self.mode = mode
        self.lease_refused = 0
        """Probes the kernel refused a lease for (they went to the /proc scan)."""

    def busy(self, paths: list[Path]) -> set[Path]:
        if self.mode == "none" or not paths:
            return set()
        if self.mode == "proc" or not _leases_safe():
            return proc_writers(paths) if self.mode != "lease" else set()
        busy: set[Path] = set()
        fallback: list[Path] = []
        for path in paths:
            answer = lease_probe(path)
            if answer is None:
                fallback.append(path)
            elif answer:
                busy.add(path)
        if fallback:
            self.lease_refused += len(fallback)
            if self.mode == "auto":
                busy |= proc_writers(fallback)
        return busy


def monotonic() -> float:
    return time.monotonic()
