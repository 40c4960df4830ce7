"""`dossier search` from the command line: output formats, the audit trail, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from searchkit import COMPANY_KEY, Home

from dossier.search.csv_export import COLUMNS


def run(home: Home, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = home.cli(*args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def search_events(home: Home, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    code, out, _ = run(home, capsys, "audit", "log", "--json")
    assert code == 0
    return [e for e in json.loads(out) if e["action"] == "search"]


def test_the_terminal_listing_names_each_hit_and_marks_the_matches(
    filled_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(filled_home, capsys, "search", "JK2025-000456")
    assert code == 0, err
    assert "1 hits" in out
    assert "到期还款提示" in out and "张三 (11010519491231002X)" in out and "贷后管理" in out
    # Not a terminal here: matches are bracketed instead of styled.
    assert "【JK2025-000456】" in out
    assert "11010519491231002X-张三/07-贷后管理/" in out


def test_json_gives_ids_borrowers_labels_and_snippet_segments(
    filled_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(filled_home, capsys, "search", "陈志远", "--json")
    assert code == 0
    page = json.loads(out)
    assert page["total"] == 1 and page["engine"] == filled_home.engine and page["pending"] == 0
    hit = page["hits"][0]
    assert hit["borrower"] == {"key": COMPANY_KEY, "name": "厦门海沧示例贸易有限公司"}
    assert hit["category"] == {"key": "contracts", "label": "合同类"}
    assert hit["type"]["key"] == "loan-contract" and hit["date"] == "2026-03-18"
    assert isinstance(hit["id"], int) and hit["score"] > 0 and len(hit["sha256"]) == 64
    snippet = hit["snippets"][0]
    assert {"text": "陈志远", "match": True} in snippet["segments"]
    assert "【陈志远】" in snippet["marked"]
    assert snippet["marked"].replace("【", "").replace("】", "") == "".join(
        s["text"] for s in snippet["segments"]
    )


def test_filters_on_the_command_line(filled_home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    def titles(*args: str) -> list[str]:
        code, out, err = run(filled_home, capsys, "search", *args, "--json")
        assert code == 0, err
        return sorted(h["title"] for h in json.loads(out)["hits"])

    assert titles("借款", "--borrower", "张三") == ["到期还款提示"]
    assert titles("借款", "--category", "合同类") == ["借款合同"]
    assert titles("借款", "--type", "collection-notice") == ["逾期贷款催收通知书"]
    assert titles("借款", "--from", "2026-11-21") == ["到期还款提示"]
    assert titles("借款", "--from", "2026-03-01", "--to", "2026-11-20") == ["借款合同", "逾期贷款催收通知书"]
    assert titles("借款", "--limit", "1", "--offset", "2") != []


def test_csv_is_an_audit_export_of_every_hit(
    filled_home: Home, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    code, out, _ = run(filled_home, capsys, "search", "借款", "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert (
        tuple(rows[0])
        == COLUMNS
        == (
            "id",
            "borrower_key",
            "borrower_name",
            "title",
            "date",
            "path",
            "sha256",
            "snippet",
        )
    )
    assert len(rows) == 4
    by_title = {r[3]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    contract = by_title["借款合同"]
    assert contract["borrower_key"] == COMPANY_KEY and contract["date"] == "2026-03-18"
    assert contract["path"].endswith("借款合同-JK2026-000318.docx") and len(contract["sha256"]) == 64
    assert "【借款】" in contract["snippet"]
    # The SHA-256 is the file's: an auditor can check it.
    assert (filled_home.path / contract["path"]).is_file()

    target = tmp_path / "export.csv"
    code, out, err = run(filled_home, capsys, "search", "借款", "--csv", "--output", str(target))
    assert code == 0 and out == "" and "3 rows" in err
    assert target.read_bytes().startswith("\ufeff".encode())  # Excel reads it as UTF-8
    assert list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")))) == rows


def test_every_search_is_an_audit_event_and_the_archive_stays_verified(
    filled_home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(search_events(filled_home, capsys))
    monkeypatch.setenv("DOSSIER_ACTOR", "auditor-li")
    assert run(filled_home, capsys, "search", "借款", "--borrower", "张三")[0] == 0
    assert run(filled_home, capsys, "search", "不存在的词语", "--json", "--actor", "auditor-wang")[0] == 0
    events = search_events(filled_home, capsys)
    assert len(events) == before + 2
    first, second = events[-2:]
    assert first["actor"] == "auditor-li" and first["borrower_key"] == "11010519491231002X"
    assert first["details"]["query"] == "借款" and first["details"]["hits"] == 1
    assert first["details"]["filters"] == {"borrower": "张三"}  # as asked; the event names the key
    assert second["actor"] == "auditor-wang" and second["details"]["hits"] == 0
    assert second["details"]["format"] == "json"
    # The index and the text cache live under .dossier/: nothing for integrity to object to.
    code, out, _ = run(filled_home, capsys, "audit", "verify", "--json")
    assert code == 0, out
    assert json.loads(out)["unknown"] == []
    assert run(filled_home, capsys, "repair", "--dry-run")[0] == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["search", '"借款'], "'\"借款'"),
        (["search", "colour:red"], "'colour:red'"),
        (["search", "借款", "--category", "不存在"], "--category"),
        (["search", "借款", "--from", "2026-13-01"], "--from"),
        (["search", "借款", "--csv", "--json"], "--csv"),
    ],
)
def test_bad_queries_and_options_end_with_one_line_and_exit_2(
    filled_home: Home, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    code, out, err = run(filled_home, capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and named in err
