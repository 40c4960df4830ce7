"""Requests are bounded before they are read: every body is counted as it streams (chunked or not, whatever
Content-Length says), uploads are read only after the user is known, and files up to [media].max_file_bytes
go through every route that takes one, streamed to disk."""

from __future__ import annotations

import hashlib
import io
import multiprocessing.util
import os
import re
import select
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from servicekit import COMPANY, Demo, build, free_port, start_server
from test_web_pages import sign_in

from dossier.config import load_config
from dossier.service.app import create_app

MiB = 1 << 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def photo(size: int) -> bytes:
    """A real JPEG of exactly ``size`` bytes: a noise picture with the rest appended after its end, as a
    phone's motion photo carries its clip (each call is different, so none is a duplicate)."""
    image = Image.frombytes("RGB", (320, 240), os.urandom(320 * 240 * 3))
    exif = Image.Exif()
    exif[0x0132] = "2026:03:15 10:30:00"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    head = out.getvalue()
    return head + os.urandom(size - len(head))


def files_under(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*") if p.is_file() and p.name != ".gitkeep"}


def outside_state(files: set[Path]) -> set[Path]:
    return {p for p in files if ".dossier" not in p.parts}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder, made empty and private to the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    # multiprocessing keeps one temporary folder for the process's life: made before the switch, elsewhere.
    multiprocessing.util.get_temp_dir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# -- ordinary routes: counted as they stream


def test_a_chunked_body_over_the_limit_on_a_json_route_is_413(client: TestClient, demo: Demo) -> None:
    # No Content-Length at all: the old check looked only at that header and let this through.
    def body() -> Iterator[bytes]:
        yield b'{"kind": "collection", "data": {"note": "'
        for _ in range(3):
            yield b"x" * MiB
        yield b'"}}'

    response = client.post(
        "/api/v1/documents",
        content=body(),
        headers={**demo.headers("officer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert "1,048,576" in response.json()["detail"] and "请求过大" in response.json()["detail"]


def test_a_body_longer_than_its_content_length_is_413(client: TestClient, demo: Demo) -> None:
    sent = b'{"kind": "collection", "data": {"note": "' + b"x" * (2 * MiB) + b'"}}'
    response = client.post(
        "/api/v1/documents",
        content=sent,
        headers={**demo.headers("officer"), "Content-Type": "application/json", "Content-Length": "100"},
    )
    assert response.status_code == 413, response.text


def test_a_declared_length_over_the_limit_is_413_and_closes(client: TestClient, demo: Demo) -> None:
    response = client.post(
        "/api/v1/borrowers/1/officers",
        content=b"{}" + b" " * (2 * MiB),
        headers={**demo.headers("archivist"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["connection"] == "close"


# -- connections of a real `dossier serve`: kept, unless a body is left unread


def answer(sock: socket.socket) -> tuple[int, dict[str, str]]:
    """The status and headers of the next answer on ``sock``, its body read to its end (Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection; received {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection within a body")
        body += chunk
    return int(status_line.split()[1]), headers


def test_requests_without_a_body_keep_their_connection(demo: Demo) -> None:
    # Every answer used to close its connection: a GET declares no body, and the body limit took "no
    # length given" for a chunked body left unread. Each request then paid a new connection.
    port = free_port()
    process = start_server(demo.home, port)
    token = demo.headers("auditor")["Authorization"]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for request in (
                "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
                f"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n",
                "GET /login HTTP/1.1\r\nHost: x\r\n\r\n",
                # a body declared empty is no body left unread either
                "POST /logout HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            ):
                sock.sendall(request.encode())
                status, headers = answer(sock)
                assert status < 500 and headers.get("connection") != "close", (request, status, headers)
            # The same connection, still open: a body declared over the limit is refused and closes it.
            sock.sendall(
                b"POST /api/v1/borrowers/1/officers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: {token}\r\nContent-Length: {2 * MiB}\r\n\r\n{{}}".encode()
            )
            status, headers = answer(sock)
            assert (status, headers.get("connection")) == (413, "close")
            assert sock.recv(1) == b""
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- unauthenticated uploads to a real `dossier serve`


def status_of(sock: socket.socket) -> int | None:
    """The status of the answer waiting on ``sock`` (None if the server reset the connection first)."""
    sock.settimeout(30)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return int(match.group(1)) if match else None


def send_chunked_upload(port: int, path: str, total: int) -> tuple[int | None, int]:
    """POST a multipart body of ``total`` bytes, chunked, with no credentials; stop once the server has
    answered or closed. Returns (the status, if it could be read; how many body bytes went out)."""
    boundary = "dossierlimits7f3a"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    block = b"\xff" * MiB
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        try:
            for piece in (part, *(block for _ in range(total // MiB))):
                if select.select([sock], [], [], 0)[0]:
                    break  # answered (or closed) while the body was still coming
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            else:
                end = f"\r\n--{boundary}--\r\n".encode()
                sock.sendall(f"{len(end):x}\r\n".encode() + end + b"\r\n0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection instead of reading the rest
        return status_of(sock), sent


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in bytes, and the bytes it has written through write() calls."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "wchar":
            found[key] = int(value)
    return found


def test_an_unauthenticated_300_mb_upload_is_refused_unread(tmp_path: Path) -> None:
    demo = build(tmp_path / "archive")
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    process = start_server(demo.home, port, env={**os.environ, "TMPDIR": str(temp)})
    doc = demo.documents["loan-contract"][0]
    routes = (
        "/api/v1/documents/upload",
        f"/api/v1/documents/{doc}/verifications",
        f"/borrowers/{demo.borrowers[COMPANY]}/upload",
        "/generate",  # its YAML file too: read only once the user is known
    )
    try:
        for path in routes:  # every module on the way loaded before the measure
            send_chunked_upload(port, path, 2 * MiB)
        time.sleep(0.5)
        before = memory(process.pid)
        files_before = files_under(demo.home, temp)
        peak = before["VmRSS"]
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, memory(process.pid)["VmRSS"])
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            answers = {path: send_chunked_upload(port, path, 300 * MiB) for path in routes}
        finally:
            done.set()
            sampler.join()
        after = memory(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        f"\nserver RSS idle {before['VmRSS'] / MiB:.1f} MiB, peak while sending {peak / MiB:.1f} MiB, "
        f"VmHWM {before['VmHWM'] / MiB:.1f} -> {after['VmHWM'] / MiB:.1f} MiB, "
        f"written {after['wchar'] - before['wchar']} bytes; answers {answers}"
    )
    for path, (status, sent) in answers.items():
        assert status in (None, 401, 303), (path, status)
        # Answered before the body was read: the client could not even send most of it.
        assert sent < 100 * MiB, (path, sent)
    assert peak - before["VmRSS"] < 20 * MiB
    assert after["VmHWM"] == before["VmHWM"] or after["VmHWM"] - before["VmRSS"] < 20 * MiB
    # Nothing written to disk: no new file under the archive or the temporary folder (the catalog's own
    # state aside), and no bytes through write() beyond a few log lines.
    assert after["wchar"] - before["wchar"] < 64 * 1024
    assert outside_state(files_under(demo.home, temp)) == outside_state(files_before)


# -- files up to [media].max_file_bytes, through every route that takes one


@pytest.mark.parametrize("size", [5 * MiB // 2, 20 * MiB])
def test_a_big_photo_is_filed_through_the_api_and_both_forms(
    demo: Demo, private_tmp: Path, size: int
) -> None:
    doc = demo.documents["loan-contract"][0]
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        # The API's verification endpoint.
        picture = photo(size)
        made = client.post(
            f"/api/v1/documents/{doc}/verifications",
            data={"method": "原件核对", "result": "一致", "note": "大照片"},
            files=[("evidence", ("现场照片.jpg", picture, "image/jpeg"))],
            headers=demo.headers("officer"),
        )
        assert made.status_code == 201, made.text
        evidence = made.json()["evidence"]
        assert len(evidence) == 1
        filed = client.get(
            f"/api/v1/documents/{evidence[0]['document_id']}/download", headers=demo.headers("auditor")
        )
        assert hashlib.sha256(filed.content).digest() == hashlib.sha256(picture).digest()

        sign_in(client, "officer")
        token = CSRF.search(client.get(f"/borrowers/{borrower}").text).group(1)
        # The borrower page's upload form (the token first, as the page sends it).
        picture = photo(size)
        uploaded = client.post(
            f"/borrowers/{borrower}/upload",
            data={"csrf_token": token, "folder": "site-photo"},
            files={"file": ("现场照片.jpg", picture, "image/jpeg")},
            follow_redirects=False,
        )
        assert uploaded.status_code == 303 and "ok=" in uploaded.headers["location"], uploaded.headers
        document_id = int(uploaded.headers["location"].rsplit("#doc-", 1)[1])
        filed = client.get(f"/api/v1/documents/{document_id}/download", headers=demo.headers("auditor"))
        assert hashlib.sha256(filed.content).digest() == hashlib.sha256(picture).digest()

        # The borrower page's verify form.
        before = len(
            client.get(f"/api/v1/documents/{doc}/verifications", headers=demo.headers("auditor")).json()
        )
        verified = client.post(
            f"/documents/{doc}/verify",
            data={"csrf_token": token, "method": "site-visit", "result": "一致", "with": "张敏"},
            files=[("evidence", ("门头.jpg", photo(size), "image/jpeg"))],
            follow_redirects=False,
        )
        assert verified.status_code == 303 and "ok=" in verified.headers["location"], verified.headers
        records = client.get(f"/api/v1/documents/{doc}/verifications", headers=demo.headers("auditor")).json()
        assert len(records) == before + 1 and len(records[-1]["evidence"]) == 1
    assert not files_under(private_tmp), "each upload's temporary folder is removed"


def test_files_over_the_media_limit_are_413_and_leave_nothing(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = build(tmp_path / "archive")
    config = tmp_path / "bank.toml"
    config.write_text("[media]\nmax_file_bytes = 2097152\n", encoding="utf-8")
    doc = demo.documents["loan-contract"][0]
    borrower = demo.borrowers[COMPANY]
    before = files_under(demo.home)
    with TestClient(create_app(demo.home, config=load_config(config))) as client:
        too_big = photo(5 * MiB // 2)
        api = client.post(
            f"/api/v1/documents/{doc}/verifications",
            data={"method": "原件核对", "result": "一致"},
            files=[("evidence", ("照片.jpg", too_big, "image/jpeg"))],
            headers=demo.headers("officer"),
        )
        assert api.status_code == 413, api.text
        assert "2,097,152" in api.json()["detail"]
        # Two files each within the limit are fine; the limit is per file.
        two = client.post(
            f"/api/v1/documents/{doc}/verifications",
            data={"method": "原件核对", "result": "一致"},
            files=[("evidence", (f"照片{i}.jpg", photo(3 * MiB // 2), "image/jpeg")) for i in range(2)],
            headers=demo.headers("officer"),
        )
        assert two.status_code == 201, two.text
        after_two = files_under(demo.home)

        sign_in(client, "officer")
        token = CSRF.search(client.get(f"/borrowers/{borrower}").text).group(1)
        page = client.post(
            f"/borrowers/{borrower}/upload",
            data={"csrf_token": token},
            files={"file": ("照片.jpg", too_big, "image/jpeg")},
            follow_redirects=False,
        )
        assert page.status_code == 413, page.text
        verify = client.post(
            f"/documents/{doc}/verify",
            data={"csrf_token": token, "method": "site-visit", "result": "一致"},
            files=[("evidence", ("照片.jpg", too_big, "image/jpeg"))],
            follow_redirects=False,
        )
        assert verify.status_code == 303 and "error=" in verify.headers["location"]
    assert len(after_two - before) >= 2
    assert outside_state(files_under(demo.home)) <= after_two, "nothing filed after the refusals"
    assert not files_under(demo.home / "_inbox"), "nothing staged is left behind"
    assert not files_under(private_tmp), "nothing left in the temporary folder"


def test_a_form_with_files_is_refused_before_its_file_without_the_csrf_token(
    demo: Demo, private_tmp: Path
) -> None:
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "officer")
        token = CSRF.search(client.get(f"/borrowers/{borrower}").text).group(1)
        for data in ({}, {"csrf_token": "forged"}):
            refused = client.post(
                f"/borrowers/{borrower}/upload",
                data=data,
                files={"file": ("照片.jpg", photo(3 * MiB), "image/jpeg")},
                follow_redirects=False,
            )
            assert refused.status_code == 403, refused.text
        # The token must come before the first file (the page puts it first): after it, it is not read.
        late = (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
            + photo(MiB)
            + b'\r\n--b0undary\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + token.encode()
            + b"\r\n--b0undary--\r\n"
        )
        refused = client.post(
            f"/borrowers/{borrower}/upload",
            content=late,
            headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        # The same token in the header is accepted wherever the fields are.
        accepted = client.post(
            f"/borrowers/{borrower}/upload",
            content=late,
            headers={"Content-Type": "multipart/form-data; boundary=b0undary", "X-CSRF-Token": token},
            follow_redirects=False,
        )
        assert accepted.status_code == 303 and accepted.headers["location"].startswith(
            f"/borrowers/{borrower}?"
        )
    assert not files_under(private_tmp)
