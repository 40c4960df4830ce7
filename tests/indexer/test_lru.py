"""The indexer's LRU cache: bounded by weight, least recently used dropped first."""

from __future__ import annotations

import threading

from indexer.lru import LruCache


def test_values_are_kept_within_the_capacity_and_the_least_recently_used_go_first() -> None:
    cache: LruCache[str, int] = LruCache(10)
    cache.put("a", 1, 4)
    cache.put("b", 2, 4)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3, 4)
    assert (cache.get("b"), cache.get("a"), cache.get("c")) == (None, 1, 3)
    assert (len(cache), cache.weight) == (2, 8)
    assert (cache.hits, cache.misses) == (3, 1)


def test_a_value_heavier_than_the_capacity_is_not_kept_and_drops_nothing() -> None:
    cache: LruCache[str, str] = LruCache(10)
    cache.put("a", "kept", 5)
    cache.put("big", "x" * 11, 11)
    assert (cache.get("big"), cache.get("a"), cache.weight) == (None, "kept", 5)


def test_putting_a_key_again_replaces_its_value_and_weight() -> None:
    cache: LruCache[str, int] = LruCache(10)
    cache.put("a", 1, 6)
    cache.put("a", 2, 3)
    cache.put("b", 3, 7)
    assert (cache.get("a"), cache.get("b"), cache.weight) == (2, 3, 10)


def test_a_capacity_of_zero_keeps_nothing() -> None:
    cache: LruCache[str, int] = LruCache(0)
    cache.put("a", 1, 1)
    assert (cache.get("a"), len(cache)) == (None, 0)


def test_threads_sharing_it_keep_its_weight_true() -> None:
    cache: LruCache[int, int] = LruCache(50)

    def work(offset: int) -> None:
        for i in range(2000):
            cache.put((i * 7 + offset) % 97, i, 1 + i % 3)
            cache.get(i % 97)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.weight <= 50
    assert cache.weight == sum(w for _, w in cache._kept.values())
