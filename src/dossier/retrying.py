"""Every retry policy in one place: what is tried again, how many times, how long apart (tenacity).

* :func:`catalog_busy` — one whole catalog transaction again when another process holds the write
  lock past SQLite's busy timeout (or PostgreSQL cannot serialize it): up to 8 tries, 0.05 s doubling
  to at most 2 s between them.
* :func:`filing_interrupted` — an upload's inbox run again while it answers "not now" (another filer's
  crash left the same content half-filed, or the file is still being written): up to 20 tries, 0.25 s
  apart; the last answer stands.
* :func:`filing_in_progress` — a filing again while another filer (another node's request) holds the
  same name or content pending: a live filing finishes in moments, a crashed one needs ``dossier repair``
  and the last :class:`FilingInterrupted` says so. Up to 20 tries, 0.25 s apart.

* :func:`write_lock_soon` — a write that runs only if it need not wait (an API search's audit event
  on the event loop) again after short pauses on the loop while it declines: another process's commit
  holds the catalog's write lock about a millisecond. 3 more tries, 0.5 ms doubling to 2 ms apart; then
  the caller waits for the lock elsewhere (a thread).

tenacity is imported only when a retry is needed: every catalog transaction passes here, and the
first try of one must cost nothing more than the call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from tenacity import RetryCallState

T = TypeVar("T")

CATALOG_ATTEMPTS = 8
CATALOG_FIRST_WAIT_S = 0.05
CATALOG_MAX_WAIT_S = 2.0
FILING_ATTEMPTS = 20
FILING_WAIT_S = 0.25
WRITE_NOW_ATTEMPTS = 4
WRITE_NOW_FIRST_WAIT_S = 0.0005
WRITE_NOW_MAX_WAIT_S = 0.002


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is lock contention worth retrying (SQLite busy/locked, PostgreSQL serialization)."""
    if not isinstance(exc, OperationalError):
        return False
    # The drivers say so only in the message: no error code tells lock contention from a broken catalog.
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text


def catalog_busy(fn: Callable[[], T], *, attempts: int = CATALOG_ATTEMPTS) -> T:
    """``fn`` (one whole transaction), again while the catalog is busy; the last error is raised."""
    try:
        # The first try goes without tenacity's bookkeeping (some 20 µs a call, on every read and
        # write of the catalog); only a busy catalog needs it.
        return fn()
    except OperationalError as exc:
        if not is_busy(exc) or attempts < 2:
            raise
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

    time.sleep(CATALOG_FIRST_WAIT_S)
    policy = Retrying(
        retry=retry_if_exception(is_busy),
        stop=stop_after_attempt(attempts - 1),
        wait=wait_exponential(multiplier=2 * CATALOG_FIRST_WAIT_S, max=CATALOG_MAX_WAIT_S),
        reraise=True,
    )
    return policy(fn)


def filing_interrupted(
    attempt: Callable[[], T], again: Callable[[T], bool], *, before_next: Callable[[], None] | None = None
) -> T:
    """``attempt`` again while ``again`` says its result is "not now"; ``before_next`` runs before each
    further try (e.g. to read the item back). After the last try its result is returned as it is."""
    from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_fixed

    def prepare(state: RetryCallState) -> None:
        if before_next is not None and state.attempt_number > 1:
            before_next()

    policy = Retrying(
        retry=retry_if_result(again),
        stop=stop_after_attempt(FILING_ATTEMPTS),
        wait=wait_fixed(FILING_WAIT_S),
        before=prepare,
        retry_error_callback=_last_result,
    )
    return policy(attempt)


def _last_result(state: RetryCallState) -> object:
    assert state.outcome is not None
    return state.outcome.result()


def filing_in_progress(fn: Callable[[], T]) -> T:
    """``fn`` (one filing) again while it raises FilingInterrupted; the last error is raised."""
    from dossier.errors import FilingInterrupted

    try:
        return fn()
    except FilingInterrupted:
        pass
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

    time.sleep(FILING_WAIT_S)
    policy = Retrying(
        retry=retry_if_exception_type(FilingInterrupted),
        stop=stop_after_attempt(FILING_ATTEMPTS - 1),
        wait=wait_fixed(FILING_WAIT_S),
        reraise=True,
    )
    return policy(fn)


async def write_lock_soon(attempt: Callable[[], bool]) -> bool:
    """``attempt`` (True once it wrote; False, with nothing written, when it would have to wait) again
    after short pauses on the event loop, which answers other requests meanwhile. False if every try
    declined. An error of ``attempt`` is raised at once."""
    if attempt():
        return True
    from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt, wait_exponential

    await asyncio.sleep(WRITE_NOW_FIRST_WAIT_S)
    policy = AsyncRetrying(
        retry=retry_if_result(lambda wrote: not wrote),
        stop=stop_after_attempt(WRITE_NOW_ATTEMPTS - 1),
        wait=wait_exponential(multiplier=2 * WRITE_NOW_FIRST_WAIT_S, max=WRITE_NOW_MAX_WAIT_S),
        retry_error_callback=_last_result,
    )
    wrote: bool = await policy(_as_coroutine, attempt)
    return wrote


async def _as_coroutine(attempt: Callable[[], bool]) -> bool:
    return attempt()
