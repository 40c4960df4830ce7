"""A least-recently-used cache bounded by the total weight of what it keeps, safe across threads.

The indexer's one cache helper: hit texts' normalizations (highlight) and what the tantivy engine keeps
of one reader commit's answers (pages of hits, their decoded stored fields, their snippets) are kept here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """Keeps values up to ``capacity`` in total weight, dropping the least recently used first. A value
    heavier than the whole capacity is not kept. ``hits`` and ``misses`` count :meth:`get`'s answers."""

    __slots__ = ("_capacity", "_guard", "_kept", "_weight", "hits", "misses")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._guard = threading.Lock()  # request threads share it
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def weight(self) -> int:
        """The total weight kept now."""
        return self._weight

    def get(self, key: K) -> V | None:
        with self._guard:
            kept = self._kept.get(key)
            if kept is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return kept[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        """Keep ``value`` (replacing what ``key`` held), then drop the oldest until within capacity."""
        if weight > self._capacity:
            return
        with self._guard:
            old = self._kept.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._kept[key] = (value, weight)
            self._weight += weight
            while self._weight > self._capacity:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._weight -= dropped
