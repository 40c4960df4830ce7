"""A supporting document's type and archive category: the folder, then the file name, then the text.

The rules live in ``defaults/inbox_rules.yaml`` (a bank's copy via ``[inbox].rules``); the file explains
how each stage decides. The result names the rule that decided (``folder:营业执照``, ``name:身份证``,
``text:business-license``), which is recorded with the document.

A folder that names only a category (``_inbox/<key>/财务资料/``) limits the later stages to that
category's types; if none of them decides, the document is filed as ``other`` in that category, because
the person who dropped it said where it belongs. With no category from the folder and no type decided,
the type is unknown and the file goes to quarantine.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dossier.archive.names import split_suffix
from dossier.config import Config
from dossier.domain.categories import Category, categories
from dossier.domain.document_types import DocumentType, document_types
from dossier.errors import ConfigError

OTHER = "other"


class TypeRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    names: list[str] = Field(default_factory=list)
    titles: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    min_score: int = Field(4, ge=1)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_weight: int = Field(3, ge=1)
    title_chars: int = Field(300, ge=10)
    types: list[TypeRule]


@dataclass(frozen=True)
class _Compiled:
    key: str
    category: str
    names: tuple[str, ...]
    titles: tuple[str, ...]
    keywords: tuple[str, ...]
    min_score: int


@dataclass(frozen=True)
class Rules:
    """The rules made ready to apply: every word normalized, each type with its category."""

    title_weight: int
    title_chars: int
    types: tuple[_Compiled, ...]
    labels: dict[str, str]
    """Normalized type key, label and label parts → type key (for folder names)."""
    categories: dict[str, str]
    """Normalized category key, label, folder name and number → category key."""
    type_category: dict[str, str]
    source: str


def normalize(text: str) -> str:
    """NFKC, case-folded, whitespace removed: how names, texts and rule words are compared."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def load_rules(config: Config) -> Rules:
    path = str(config.raw("inbox").get("rules") or "")
    known = document_types(config)
    try:
        stamp = Path(path).stat().st_mtime_ns if path else 0
    except OSError as exc:
        raise ConfigError(f"inbox rules file not found (收件箱识别规则文件不存在): {path}") from exc
    return _compile(path, known, tuple(categories(config)), stamp)


@cache
def _read(path: str, stamp: int) -> RuleFile:
    """The rules file, parsed; cached per path and modification time."""
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = (
                resources.files("dossier").joinpath("defaults/inbox_rules.yaml").read_text(encoding="utf-8")
            )
        return RuleFile.model_validate(yaml.safe_load(text))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(
            f"inbox rules are invalid (收件箱识别规则错误): {path or 'defaults'}: {exc}"
        ) from exc


def _compile(path: str, known: tuple[DocumentType, ...], cats: tuple[Category, ...], stamp: int) -> Rules:
    rule_file = _read(path, stamp)
    by_key = {t.key: t for t in known}
    unknown = [r.type for r in rule_file.types if r.type not in by_key]
    if unknown:
        raise ConfigError(
            f"inbox rules name unknown document types (收件箱识别规则含未知文档类型): {', '.join(unknown)}"
        )
    compiled = []
    for rule in rule_file.types:
        doc_type = by_key[rule.type]
        names = {normalize(w) for w in rule.names} | {normalize(p) for p in _label_parts(doc_type.label)}
        compiled.append(
            _Compiled(
                key=doc_type.key,
                category=doc_type.category,
                names=tuple(sorted(w for w in names if w)),
                titles=tuple(normalize(w) for w in rule.titles if normalize(w)),
                keywords=tuple(normalize(w) for w in rule.keywords if normalize(w)),
                min_score=rule.min_score,
            )
        )
    labels: dict[str, str] = {}
    for doc_type in known:
        for word in (doc_type.key, doc_type.label, *_label_parts(doc_type.label)):
            labels.setdefault(normalize(word), doc_type.key)
    category_names: dict[str, str] = {}
    for cat in cats:
        for word in (cat.key, cat.label, cat.folder, str(cat.number), f"{cat.number:02d}"):
            category_names.setdefault(normalize(word), cat.key)
    return Rules(
        title_weight=rule_file.title_weight,
        title_chars=rule_file.title_chars,
        types=tuple(compiled),
        labels=labels,
        categories=category_names,
        type_category={t.key: t.category for t in known},
        source=path or "defaults",
    )


def _label_parts(label: str) -> list[str]:
    return [part for part in label.split("/") if part]


@dataclass(frozen=True)
class Classification:
    doc_type: str | None
    category: str | None
    rule: str
    """What decided (``folder:…``, ``name:…``, ``text:…``), or why nothing did."""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.doc_type is not None and self.category is not None


def classify(
    folders: Sequence[str], name: str, text: str, rules: Rules, *, text_chars: int = 20_000
) -> Classification:
    """Type and category of a file found under ``folders`` (inbox sub-folders below the borrower's, if
    any, outermost first) named ``name`` with extracted ``text``."""
    category: str | None = None
    category_from: str | None = None
    for folder in reversed(folders):
        word = normalize(folder)
        if word in rules.labels:
            key = rules.labels[word]
            return Classification(key, rules.type_category[key], f"folder:{folder}")
        if word in rules.categories and category is None:
            category, category_from = rules.categories[word], folder
            continue
        by_name = _by_names(word, rules, category)
        if by_name is not None:
            key, hit = by_name
            return Classification(key, category or rules.type_category[key], f"folder:{folder} ({hit})")

    stem = normalize(split_suffix(name)[0])
    by_name = _by_names(stem, rules, category)
    if by_name is not None:
        key, hit = by_name
        return Classification(key, category or rules.type_category[key], f"name:{hit}", _with(category_from))

    scored = _by_text(normalize(text[:text_chars]), rules, category)
    facts = {"scores": {k: s for k, s, _ in scored[:3]}, **_with(category_from)}
    if scored:
        best_key, best, hits = scored[0]
        rule = next(r for r in rules.types if r.key == best_key)
        tied = [k for k, s, _ in scored[1:] if s == best]
        if best >= rule.min_score and not tied:
            return Classification(
                best_key,
                category or rule.category,
                f"text:{best_key} {best} points ({', '.join(hits[:6])})",
                facts,
            )
        if best >= rule.min_score:
            why = f"the text fits {best_key} and {', '.join(tied)} equally (文字特征同时符合多种类型)"
        else:
            why = (
                f"the text scores at most {best} points for {best_key}, {rule.min_score} needed "
                f"(文字特征不足)"
            )
    else:
        why = "no folder, name or text rule recognises it (无法识别文档类型)"
    if category is not None:
        return Classification(OTHER, category, f"folder-category:{category_from}", {**facts, "why": why})
    return Classification(None, None, why, facts)


def _with(category_from: str | None) -> dict[str, Any]:
    return {"category_folder": category_from} if category_from else {}


def _by_names(word: str, rules: Rules, category: str | None) -> tuple[str, str] | None:
    """The type whose name word is the longest found in ``word``; None if none is, or types tie."""
    best: list[tuple[int, str, str]] = []
    for rule in rules.types:
        if category is not None and rule.category != category:
            continue
        for name in rule.names:
            if name in word:
                best.append((len(name), rule.key, name))
    if not best:
        return None
    best.sort(reverse=True)
    length, key, hit = best[0]
    if any(n == length and k != key for n, k, _ in best[1:]):
        return None
    return key, hit


def _by_text(text: str, rules: Rules, category: str | None) -> list[tuple[str, int, list[str]]]:
    """Each type's points for ``text`` (see the rules file), best first; types scoring 0 left out."""
    head = text[: rules.title_chars]
    scored = []
    for rule in rules.types:
        if category is not None and rule.category != category:
            continue
        titles = [t for t in rule.titles if t in head]
        words = [w for w in rule.keywords if w in text]
        points = rules.title_weight * len(titles) + len(words)
        if points:
            scored.append((rule.key, points, titles + words))
    scored.sort(key=lambda s: -s[1])
    return scored
