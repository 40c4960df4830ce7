"""A snippet (segments of text, each marked as a match or not) as programs and exports want it."""

from __future__ import annotations

from typing import Any

from indexer.highlight import Snippet

OPEN = "【"
CLOSE = "】"


def marked(snippet: Snippet) -> str:
    """The snippet as one string with 【】 around each match."""
    return "".join([f"{OPEN}{text}{CLOSE}" if match else text for text, match in snippet])


def segments(snippet: Snippet) -> list[dict[str, Any]]:
    return [{"text": text, "match": match} for text, match in snippet]


def as_json(snippet: Snippet) -> dict[str, Any]:
    return {"segments": segments(snippet), "marked": marked(snippet)}
