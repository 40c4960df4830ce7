"""Processes as /proc shows them: children and liveness, for tests that kill a parent and look at what is
left (no helper library needed)."""

from __future__ import annotations

from pathlib import Path


def stat_fields(pid: int | str) -> list[str] | None:
    """A /proc/<pid>/stat's fields after the command name (state, parent, …); None once it ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid``."""
    found: set[int] = set()
    for entry in Path("/proc").glob("[0-9]*"):
        fields = stat_fields(entry.name)
        if fields is not None and int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"
