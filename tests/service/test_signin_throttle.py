"""Sign-in under attack: failures are throttled with growing delays and audited without the password,
right passwords are remembered briefly, and password hashing never holds up the rest of the service."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from accesskit import PASSWORD, basic, events, make_home, sign_in
from fastapi.testclient import TestClient
from kit import config_from_toml
from servicekit import free_port, start_server

from dossier.access import throttle
from dossier.access.password_cache import PasswordCache
from dossier.access.throttle import Attempt, Scope, ThrottleSettings
from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.service.app import create_app

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_delays_grow_with_each_failure_up_to_a_cap_and_are_forgotten() -> None:
    rule = ThrottleSettings(
        account_free_failures=3, address_free_failures=10, first_delay_seconds=1, max_delay_seconds=30
    )
    account = [rule.delay(Scope.ACCOUNT, n, T0, T0) for n in range(0, 12)]
    assert account == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30]
    assert rule.delay(Scope.ADDRESS, 10, T0, T0) == 0 and rule.delay(Scope.ADDRESS, 11, T0, T0) == 1
    assert rule.delay(Scope.ACCOUNT, 10_000, T0, T0) == 30
    # A quiet quarter of an hour and the count no longer counts.
    assert rule.delay(Scope.ACCOUNT, 8, T0, T0 + timedelta(minutes=14)) == 16
    assert rule.delay(Scope.ACCOUNT, 8, T0, T0 + timedelta(minutes=16)) == 0


def test_the_catalog_keeps_the_counts_for_every_worker(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"ivan": ("officer", False)})
    rule = ThrottleSettings()
    attempt = Attempt("Ivan", "10.0.0.7")
    with Archive.open(home, config=load_config()) as archive:
        for minute in range(5):
            archive.transaction(
                lambda s, m=minute: throttle.note_failure(s, attempt, rule, T0 + timedelta(minutes=m))
            )
        last = T0 + timedelta(minutes=4)
        # Five failures: the account (3 free) waits 2 s; the address (10 free) not yet.
        assert archive.transaction(lambda s: throttle.wait_before(s, attempt, rule, last), write=False) == 2
        other_name = Attempt("someone-else", "10.0.0.7")
        assert (
            archive.transaction(lambda s: throttle.wait_before(s, other_name, rule, last), write=False) == 0
        )
        for _ in range(8):
            archive.transaction(lambda s: throttle.note_failure(s, other_name, rule, last))
        # The longer of the two: that account's 8 failures (16 s) over its address's 13 (4 s).
        assert (
            archive.transaction(lambda s: throttle.wait_before(s, other_name, rule, last), write=False) == 16
        )
        # Thirteen from one address, whatever the names: a name never tried waits for the address.
        fresh = Attempt("never-tried", "10.0.0.7")
        assert archive.transaction(lambda s: throttle.wait_before(s, fresh, rule, last), write=False) == 4
        archive.transaction(lambda s: throttle.note_success(s, attempt))
        assert archive.transaction(lambda s: throttle.failures(s, Scope.ACCOUNT, "ivan"), write=False) == 0
        assert (
            archive.transaction(lambda s: throttle.failures(s, Scope.ADDRESS, "10.0.0.7"), write=False) == 13
        )
        later = last + timedelta(minutes=16)
        assert (
            archive.transaction(lambda s: throttle.wait_before(s, other_name, rule, later), write=False) == 0
        )
        # The next failure after a quiet period starts the count again and clears out stale rows.
        archive.transaction(lambda s: throttle.note_failure(s, other_name, rule, later))
        assert (
            archive.transaction(lambda s: throttle.failures(s, Scope.ADDRESS, "10.0.0.7"), write=False) == 1
        )


def test_failed_sign_ins_are_audited_without_the_password_and_counted(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"judy": ("officer", False)})
    config = config_from_toml(tmp_path, "[access.throttle]\nfirst_delay_seconds = 0.01\n")
    guesses = ["guess-number-1", "guess-number-2", "guess-number-3", "guess-number-4"]
    with TestClient(create_app(home, config)) as client:
        for guess in guesses[:3]:
            assert client.get("/api/v1/me", headers=basic("judy", guess)).status_code == 401
        assert sign_in(client, "judy", guesses[3]).status_code == 401
        assert client.get("/api/v1/me", headers=basic("nobody-here", "x-password")).status_code == 401
        with Archive.open(home, config=load_config()) as archive:
            counted = archive.transaction(lambda s: throttle.failures(s, Scope.ACCOUNT, "judy"), write=False)
            waits = archive.transaction(
                lambda s: throttle.wait_before(
                    s, Attempt("judy", "testclient"), config_rule(config), datetime.now(UTC)
                ),
                write=False,
            )
        assert counted == 4 and waits > 0
        # The right password still works (after its wait) and clears the account's count.
        assert client.get("/api/v1/me", headers=basic("judy")).status_code == 200
        with Archive.open(home, config=load_config()) as archive:
            assert (
                archive.transaction(lambda s: throttle.failures(s, Scope.ACCOUNT, "judy"), write=False) == 0
            )
    failed = events(home, "user.sign-in-failed")
    assert [(e["target"], e["details"]["face"], e["details"]["reason"]) for e in failed] == [
        ("judy", "basic", "wrong-password"),
        ("judy", "basic", "wrong-password"),
        ("judy", "basic", "wrong-password"),
        ("judy", "web", "wrong-password"),
        ("nobody-here", "basic", "unknown-user"),
    ]
    assert all(e["details"]["address"] == "testclient" for e in failed)
    text = json.dumps(failed, ensure_ascii=False)
    assert not any(guess in text for guess in [*guesses, "x-password"])


def config_rule(config) -> ThrottleSettings:  # type: ignore[no-untyped-def]
    from dossier.access.roles import access_settings

    return access_settings(config).throttle


def test_a_right_password_is_remembered_briefly_under_a_keyed_hash() -> None:
    now = [100.0]
    cache = PasswordCache(60, clock=lambda: now[0])
    cache.put("kate", PASSWORD, user_id=7, credentials_version=3)
    found = cache.get("kate", PASSWORD)
    assert found is not None and (found.user_id, found.credentials_version) == (7, 3)
    assert cache.get("kate", "another-password") is None and cache.get("Kate", PASSWORD) is None
    assert PASSWORD.encode() not in b"".join(cache._entries)  # keys are HMACs, never the password
    now[0] += 61
    assert cache.get("kate", PASSWORD) is None and len(cache) == 0
    cache.put("kate", PASSWORD, user_id=7, credentials_version=3)
    cache.forget_user(7)
    assert cache.get("kate", PASSWORD) is None
    assert PasswordCache(0).get("kate", PASSWORD) is None


def test_basic_credentials_are_verified_once_then_remembered(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"leo": ("officer", False)})
    with TestClient(create_app(home, config=load_config())) as client:
        for _ in range(3):
            assert client.get("/api/v1/me", headers=basic("leo")).status_code == 200
        gate = client.app.state.signin_gate
        assert len(gate.cache) == 1
        # A wrong password is never remembered.
        assert client.get("/api/v1/me", headers=basic("leo", "wrong-password")).status_code == 401
        assert len(gate.cache) == 1


def test_health_answers_while_wrong_basic_credentials_are_hammered(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"mia": ("officer", False)})
    # No throttle here: every attempt costs a full argon2 verification, the worst case for the loop.
    bank = tmp_path / "bank.toml"
    bank.write_text("[access.throttle]\naccount_free_failures = 100\naddress_free_failures = 1000\n")
    port = free_port()
    server = start_server(home, port, env={**os.environ, "DOSSIER_CONFIG": str(bank)})
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    refused: list[int] = []

    def hammer(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as attacker:
            while not stop.is_set():
                answer = attacker.get("/api/v1/me", headers=basic("mia", f"wrong-{n}"))
                refused.append(answer.status_code)

    attackers = [threading.Thread(target=hammer, args=(n,)) for n in range(12)]
    try:
        for thread in attackers:
            thread.start()
        with httpx.Client(base_url=base, timeout=2.0) as probe:
            for _ in range(15):
                stop.wait(0.2)
                # Raises httpx.ReadTimeout if the loop is stuck behind password hashing for 2 s.
                assert probe.get("/api/v1/health").status_code == 200
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=60)
        server.terminate()
        server.wait(timeout=30)
    assert len(refused) >= 12 and set(refused) == {401}
