"""A portfolio handover (客户移交) through the real API: scope before, during (read-only to both officers)
and after both acknowledgements; the history; the audit chain throughout."""

from __future__ import annotations

from custodykit import COMPANY, START, Clock, Kit, chain_ok
from fastapi.testclient import TestClient


def _reach(client: TestClient, kit: Kit, who: str, borrower: int) -> tuple[int, int]:
    """(read status, write status) of ``who`` on ``borrower``: the tree, and an upload check that stops
    at scope (an empty form: 404 when out of scope, else 422 for the missing file)."""
    read = client.get(f"/api/v1/borrowers/{borrower}/tree", headers=kit.headers(who)).status_code
    doc = client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers(who))
    write = 0
    if doc.status_code == 200:
        first = next(
            (
                d["id"]
                for cat in client.get(f"/api/v1/borrowers/{borrower}/tree", headers=kit.headers(who)).json()
                for d in cat["documents"]
            ),
            None,
        )
        if first is not None:
            write = client.post(
                f"/api/v1/documents/{first}/verifications",
                data={"method": "no-such-method", "result": "一致"},
                headers=kit.headers(who),
            ).status_code
    return read, write


def test_portfolio_handover_with_both_acknowledgements(client: TestClient, kit: Kit, clock: Clock) -> None:
    clock.now = START
    borrower = kit.borrowers[COMPANY]
    # Before: li holds every borrower (reads and works on it), wang none.
    assert _reach(client, kit, "li", borrower) == (200, 422)
    assert _reach(client, kit, "wang", borrower) == (404, 0)

    # Only an archivist (or admin) hands over; the officers cannot.
    body = {"from_officer": "li", "to_officer": "wang", "effective_on": "2026-12-05"}
    assert client.post("/api/v1/handovers", json=body, headers=kit.headers("li")).status_code == 403
    made = client.post("/api/v1/handovers", json=body, headers=kit.headers("archivist"))
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert sorted(b[1] for b in made.json()["borrowers"]) == sorted(kit.borrowers)  # the whole portfolio
    # A second handover of the same borrowers waits for this one.
    assert client.post("/api/v1/handovers", json=body, headers=kit.headers("archivist")).status_code == 422

    # During: both officers read, neither works on it (404 for a write, as for a borrower not there).
    assert _reach(client, kit, "li", borrower) == (200, 404)
    assert _reach(client, kit, "wang", borrower) == (200, 404)
    assert _reach(client, kit, "zhao", borrower) == (404, 0)
    # Generating for the borrower is work on it: refused to both, worded as for a borrower not there.
    example = client.get("/api/v1/kinds/loan-contract/example", headers=kit.headers("li")).json()
    for officer in ("li", "wang"):
        made_doc = client.post(
            "/api/v1/documents", json={"kind": "loan-contract", "data": example}, headers=kit.headers(officer)
        )
        assert made_doc.status_code == 404, made_doc.text
    # A third officer is told the handover does not exist; the two parties see it.
    assert client.get(f"/api/v1/handovers/{number}", headers=kit.headers("zhao")).status_code == 404
    assert (
        client.post(f"/api/v1/handovers/{number}/acknowledge", headers=kit.headers("zhao")).status_code == 404
    )
    assert [h["number"] for h in client.get("/api/v1/handovers", headers=kit.headers("wang")).json()] == [
        number
    ]

    first = client.post(f"/api/v1/handovers/{number}/acknowledge", headers=kit.headers("li"))
    assert first.status_code == 200 and first.json()["state"] == "pending"
    assert (
        client.post(f"/api/v1/handovers/{number}/acknowledge", headers=kit.headers("li")).status_code == 409
    )
    assert _reach(client, kit, "wang", borrower) == (200, 404)

    second = client.post(f"/api/v1/handovers/{number}/acknowledge", headers=kit.headers("wang"))
    assert second.status_code == 200 and second.json()["state"] == "completed"
    # After: scope follows the new officer.
    assert _reach(client, kit, "wang", borrower) == (200, 422)
    assert _reach(client, kit, "li", borrower) == (404, 0)

    # The 移交清单 was filed into every borrower's file when the handover was made, and again, signed by
    # both, when it completed.
    unsigned, signed = made.json()["document_ids"], second.json()["document_ids"]
    assert len(unsigned) == len(signed) == len(kit.borrowers) and not set(unsigned) & set(signed)
    text = _text(client, kit, signed[0])
    assert "客户移交清单" in text and "接收人（签字）：王五　　　日期：2026年12月1日" in text
    assert "李晓峰" in text and number in text

    # The dashboard names the new officer from the handover date, whatever the file's documents say.
    def dashboard(officer: str, as_of: str) -> str:
        params = {"officer": officer, "as_of": as_of}
        return client.get("/api/v1/completeness", params=params, headers=kit.headers("archivist")).text

    assert COMPANY in dashboard("王五", "2026-12-05") and COMPANY not in dashboard("李晓峰", "2026-12-05")
    assert COMPANY in dashboard("李晓峰", "2026-12-04") and COMPANY not in dashboard("王五", "2026-12-04")

    # The history shows on the borrower page and in the diligence report.
    shown = client.get(f"/borrowers/{borrower}", headers=_basic("wang"))
    assert shown.status_code == 200 and "管户沿革" in shown.text and number in shown.text
    report = client.get(f"/api/v1/borrowers/{borrower}/diligence", headers=kit.headers("wang")).json()
    assert report["custody"] == [
        {"since": "2026-12-05", "holder": "王五", "previous": "李晓峰", "number": number, "kind": "handover"}
    ]
    assert chain_ok(kit.home)


def _basic(username: str) -> dict[str, str]:
    import base64

    from custodykit import PASSWORD

    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


def _text(client: TestClient, kit: Kit, document_id: int) -> str:
    import io

    from docx import Document

    got = client.get(f"/api/v1/documents/{document_id}/download", headers=kit.headers("archivist"))
    assert got.status_code == 200
    doc = Document(io.BytesIO(got.content))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_history_names_who_held_the_borrower_and_when(kit: Kit) -> None:
    from datetime import date

    from dossier.archive.custody_history import holder_on, holdings
    from dossier.archive.home import Archive
    from dossier.config import load_config

    with Archive.open(kit.home, config=load_config()) as archive:
        found = archive.transaction(lambda s: holdings(s, [kit.borrowers[COMPANY]]), write=False)
    items = found[kit.borrowers[COMPANY]]
    assert [(h.since, h.previous, h.holder) for h in items] == [(date(2026, 12, 5), "李晓峰", "王五")]
    assert holder_on(items, date(2026, 12, 4)) is None
    assert holder_on(items, date(2026, 12, 5)) == "王五"
