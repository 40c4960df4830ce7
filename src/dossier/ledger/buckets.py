"""Overdue buckets by days past due (``[ledger].overdue_buckets``: each bucket's first day)."""

from __future__ import annotations

from itertools import pairwise


def bucket_labels(starts: list[int]) -> list[str]:
    """``[1, 31, 91]`` → ``["1–30", "31–90", ">90"]``."""
    labels = [f"{a}–{b - 1}" for a, b in pairwise(starts)]
    return [*labels, f">{starts[-1] - 1}"]


def bucket_of(dpd: int, starts: list[int]) -> str | None:
    """The label of the bucket ``dpd`` falls in, or None when not overdue (dpd below the first start)."""
    labels = bucket_labels(starts)
    found = None
    for start, label in zip(starts, labels, strict=True):
        if dpd >= start:
            found = label
    return found
