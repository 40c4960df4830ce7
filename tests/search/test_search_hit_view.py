"""One SearchHit: the API's hit is a view of the core one, shown field for field, path and hash kept in;
the answer's JSON, made from plain values, is the one its schema would make."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from dossier.search.querying import HitRendition, SearchHit, SearchPage
from dossier.service.api import schemas
from dossier.service.api.search import SHOWN_FIELDS, hit_view, result_json

HIDDEN = {"path", "sha256"}
"""Core fields the API never shows: a download goes by the document's id."""
API_ONLY = {"download_url"}


def test_the_api_hit_has_the_core_fields_minus_the_hidden_ones() -> None:
    core = {f.name for f in fields(SearchHit)}
    api = set(schemas.SearchHit.model_fields)
    assert api == (core - HIDDEN) | API_ONLY
    assert set(SHOWN_FIELDS) == core - HIDDEN - {"snippets", "renditions"}


def core_hit(**changes: object) -> SearchHit:
    hit = SearchHit(
        document_id=7,
        score=1.25,
        title="流动资金借款合同",
        borrower_key="91350205MA2XK7Q396",
        borrower_name="厦门恒信达贸易有限公司",
        category="contracts",
        category_label="合同类",
        doc_type="loan-contract",
        doc_type_label="借款合同",
        doc_date=date(2026, 11, 28),
        contract_number="JK2026-000318",
        path="borrowers/91350205MA2XK7Q396/contracts/7.docx",
        sha256="ab" * 32,
        snippets=[(("甲方与", False), ("借款合同", True))],
        renditions=[HitRendition("pdf-a", "borrowers/x/7.pdf", "cd" * 32)],
    )
    for name, value in changes.items():
        setattr(hit, name, value)
    return hit


def test_the_api_hit_shows_each_field_of_the_core_hit() -> None:
    hit = core_hit()
    shown = schemas.SearchHit.model_validate(hit_view(hit)).model_dump()
    for name in SHOWN_FIELDS:
        assert shown[name] == getattr(hit, name), name
    assert not HIDDEN & set(shown)
    assert shown["snippets"] == ["甲方与【借款合同】"]
    assert shown["download_url"] == "/api/v1/documents/7/download"
    assert shown["renditions"] == [
        {"kind": "pdf-a", "download_url": "/api/v1/documents/7/download?rendition=pdf-a"}
    ]


def test_the_answer_is_the_json_its_schema_makes() -> None:
    hits = [
        core_hit(),
        # the optional fields empty, a score with many digits, no snippet, no rendition
        core_hit(
            document_id=8, score=0.1 + 0.2, doc_date=None, contract_number=None, snippets=[], renditions=[]
        ),
    ]
    page = SearchPage(
        query="借款合同 JK2026",
        filters={"borrower": "91350205MA2XK7Q396"},
        engine="tantivy",
        total=2,
        offset=0,
        limit=20,
        hits=hits,
        pending=3,
    )
    made = result_json(page, 20)
    # Exactly the bytes the schema serializes: the same fields, in the same order, with the same values.
    assert schemas.SearchResult.model_validate_json(made).model_dump_json().encode() == made
    assert list(schemas.SearchHit.model_fields) == list(hit_view(hits[0]))
