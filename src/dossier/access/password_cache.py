"""A short memory of password checks that succeeded, so a script sending HTTP Basic credentials with
every request pays for one argon2 verification a minute rather than one per request.

Entries are keyed by an HMAC-SHA-256 of the name and password under a key made at random for this process
(the password itself is never kept, and the keys mean nothing outside the process). An entry holds the
user's ``credentials_version``: the caller compares it with the catalog's on every hit, so a password
changed or a user disabled through any worker process ends the entry at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_ENTRIES = 1024


@dataclass(frozen=True)
class Verified:
    user_id: int
    credentials_version: int
    until: float


class PasswordCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, Verified] = OrderedDict()
        self._lock = threading.Lock()

    def _fingerprint(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()

    def get(self, username: str, password: str) -> Verified | None:
        if self.seconds <= 0:
            return None
        key = self._fingerprint(username, password)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found.until <= self._clock():
                del self._entries[key]
                return None
            return found

    def put(self, username: str, password: str, user_id: int, credentials_version: int) -> None:
        if self.seconds <= 0:
            return
        key = self._fingerprint(username, password)
        with self._lock:
            self._entries[key] = Verified(user_id, credentials_version, self._clock() + self.seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for key in [k for k, v in self._entries.items() if v.user_id == user_id]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
