"""Witnessed anchors: the chain's head written down outside the catalog, and checked against it later.

From inside the catalog, two forgeries cannot be seen: cutting the chain's tail and moving the head row
back with it, and editing an event then re-hashing every event after it and the head. Both remove a
(seq, hash) pair the chain once had. An anchor is such a pair kept where the catalog's writer cannot
reach it: `dossier audit anchor` appends the current head to an append-only JSON-lines log (one object a
line: seq, hash, at, home), ideally on another volume or machine, and
`dossier audit verify --anchors FILE` reports every anchor the chain no longer contains.

Every export bundle (``manifest.json`` ``audit_head``) and every diligence report (JSON ``chain_head``)
names the head it was made at, so a bundle zip, its manifest or a report's JSON is an anchor too.

The log's path is ``[audit].anchor_path``. Empty (the default) means none: `dossier audit anchor` then
needs ``--to FILE``, because a default beside the home would share the volume (and the fate) of the
catalog it is meant to witness. A path inside the home is refused for the same reason. Every anchor
given is checked, whatever its ``home`` says: keep one log per archive.

What anchors cannot show: a change confined to events after the newest anchor. Anchor often (a daily
cron job) and keep the log where the catalog's writers cannot rewrite it.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import GENESIS, append_event, verify_chain
from dossier.archive.catalog.models import Event
from dossier.archive.home import Archive
from dossier.durable import fsync_dir
from dossier.errors import DossierError

BUNDLE_MANIFEST = "manifest.json"
HEAD_KEYS = ("audit_head", "chain_head")
"""Where an export manifest and a diligence report's JSON name the head they were made at."""
MAX_ANCHOR_FILE = 64 << 20
"""An anchor file larger than this is not one (64 MiB is a million anchors)."""
_LOOKUP_BATCH = 500


class AnchorSettings(BaseModel):
    anchor_path: str = ""


class AnchorFileError(DossierError):
    """An anchor file that cannot be read: named with the line at fault."""


class AnchorBreak(StrEnum):
    TRUNCATED = "truncated"
    """The chain no longer reaches the anchor's seq: its tail was cut (with the head row)."""
    REWRITTEN = "rewritten"
    """The event at the anchor's seq has another hash: it, or an event before it, was changed and
    everything after it re-hashed."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: datetime | None = None
    home: str | None = None
    source: str = ""
    """Where it was read: ``file:line`` or the file (a bundle or a report)."""

    def line(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.isoformat() if self.at else None,
            "home": self.home,
        }


@dataclass(frozen=True)
class AnchorProblem:
    anchor: Anchor
    kind: AnchorBreak
    found: str | None
    """The hash the chain has at that seq now, if it reaches it."""

    @property
    def message(self) -> str:
        where = f"{self.anchor.source}: " if self.anchor.source else ""
        if self.kind is AnchorBreak.TRUNCATED:
            return (
                f"{where}event {self.anchor.seq} was witnessed but is no longer in the chain: the tail was "
                f"cut, head row and all (见证的事件已不在审计链中，链尾被截断)"
            )
        return (
            f"{where}event {self.anchor.seq} no longer has the witnessed hash {self.anchor.hash[:12]}…: "
            f"the chain was rewritten at or before it, edited and re-hashed or cut and grown again "
            f"(审计链被改写后重算哈希)"
        )


# --------------------------------------------------------------------------- writing


def configured_log(archive: Archive) -> Path | None:
    """``[audit].anchor_path`` as an absolute path, or None when not configured."""
    value = archive.config.section("audit", AnchorSettings).anchor_path.strip()
    return Path(value).expanduser().absolute() if value else None


def anchor_archive(archive: Archive, target: Path | None = None, *, actor: str = "system") -> Anchor:
    """Verify the chain, append its head to the anchor log ``target`` (else ``[audit].anchor_path``) and
    record that in the chain. A broken chain is refused: witnessing it would vouch for the damage."""
    path = Path(target).expanduser().absolute() if target is not None else configured_log(archive)
    if path is None:
        raise DossierError(
            "no anchor log (未配置审计锚点文件): set [audit].anchor_path, on a volume other than the "
            "archive's, or give --to FILE"
        )
    if path.resolve().is_relative_to(archive.home.resolve()):
        raise DossierError(
            f"the anchor log must lie outside the archive home (锚点文件不能放在档案库目录内): {path}"
        )
    if not path.parent.is_dir():
        raise DossierError(f"folder not found (目录不存在): {path.parent}")
    chain = archive.transaction(verify_chain, write=False)
    if chain.problem is not None:
        raise DossierError(
            f"the audit chain is broken at event {chain.problem.seq} ({chain.problem.kind}): "
            f"{chain.problem.message}; it is not anchored (审计链断裂，不予锚定)"
        )
    # A log whose earlier anchors the chain has lost witnesses a forgery: adding a new head to it would
    # only bury the evidence under a line that checks out.
    earlier = _readable_lines(path) if path.exists() else []
    lost = archive.transaction(lambda s: check_anchors(s, earlier), write=False) if earlier else []
    if lost:
        raise DossierError(
            f"{lost[0].message}; not anchored: run `dossier audit verify --anchors {path}` "
            f"(链中已缺失此前锚定的事件，不予锚定)"
        )
    anchor = Anchor(chain.last_seq, chain.last_hash, datetime.now(UTC), str(archive.home), str(path))
    append_line(path, anchor.line())
    archive.transaction(
        lambda s: append_event(
            s,
            actor=actor,
            action="anchor",
            target=str(path),
            details={"seq": anchor.seq, "hash": anchor.hash},
        )
    )
    return anchor


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line with O_APPEND and fsync it (and the folder, when the file is new)."""
    data = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        # A line cut short by a crash is ended first, so the new one stays readable.
        if size and _last_byte(path, size) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def _last_byte(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


# --------------------------------------------------------------------------- reading


def read_anchors(path: Path) -> list[Anchor]:
    """The anchors in ``path``: an anchor log, an export bundle (zip) or its manifest.json, or a
    diligence report's JSON."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ANCHOR_FILE:
            raise AnchorFileError(f"{path}: too large for an anchor file (锚点文件过大)")
        if zipfile.is_zipfile(path):
            return [_from_document(_bundle_manifest(path), str(path))]
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorFileError(f"{path}: cannot be read (无法读取锚点文件): {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AnchorFileError(f"{path}: not UTF-8 text (不是UTF-8文本)") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [_from_document(whole, str(path))]
    anchors: list[Anchor] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            anchors.append(_from_line(line, f"{path}:{number}"))
    if not anchors:
        raise AnchorFileError(f"{path}: holds no anchor (文件中没有锚点)")
    return anchors


def _readable_lines(path: Path) -> list[Anchor]:
    """The anchors of a log, skipping lines that cannot be read (`audit verify` names those)."""
    found: list[Anchor] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    for number, line in enumerate(text.splitlines(), 1):
        try:
            found.append(_from_line(line, f"{path}:{number}"))
        except AnchorFileError:
            continue
    return found


def _bundle_manifest(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as bundle:
            data = json.loads(bundle.read(BUNDLE_MANIFEST).decode("utf-8"))
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError):
        raise AnchorFileError(f"{path}: not an export bundle with {BUNDLE_MANIFEST} (不是导出包)") from None
    if not isinstance(data, dict):
        raise AnchorFileError(f"{path}: {BUNDLE_MANIFEST} is not an object (清单格式错误)")
    return data


def _from_document(data: dict[str, Any], source: str) -> Anchor:
    for key in HEAD_KEYS:
        if isinstance(data.get(key), dict):
            return _anchor(data[key], source)
    if "seq" in data and "hash" in data:
        return _anchor(data, source)
    raise AnchorFileError(
        f"{source}: names no chain head (no {' or '.join(HEAD_KEYS)}) (文件中没有审计链头); export "
        "bundles made before anchors existed do not carry one"
    )


def _from_line(line: str, source: str) -> Anchor:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise AnchorFileError(f"{source}: not a JSON object (不是JSON对象)") from None
    if not isinstance(data, dict):
        raise AnchorFileError(f"{source}: not a JSON object (不是JSON对象)")
    return _anchor(data, source)


def _anchor(data: dict[str, Any], source: str) -> Anchor:
    seq, digest = data.get("seq"), data.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise AnchorFileError(f"{source}: seq must be a whole number ≥ 0 (序号无效): {seq!r}")
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise AnchorFileError(f"{source}: hash must be 64 hex digits (哈希无效): {digest!r}")
    at = data.get("at")
    moment: datetime | None = None
    if isinstance(at, str):
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            moment = None
    home = data.get("home")
    return Anchor(seq, digest, moment, home if isinstance(home, str) else None, source)


# --------------------------------------------------------------------------- checking


def check_anchors(session: Session, anchors: Sequence[Anchor]) -> list[AnchorProblem]:
    """Every anchor whose (seq, hash) the chain in ``session`` no longer holds, in the order given."""
    wanted = sorted({a.seq for a in anchors if a.seq > 0})
    found: dict[int, str] = {}
    for batch in _batches(wanted, _LOOKUP_BATCH):
        query = select(Event.seq, Event.hash).where(Event.seq.in_(batch))
        found.update({seq: digest for seq, digest in session.execute(query)})
    problems: list[AnchorProblem] = []
    for anchor in anchors:
        if anchor.seq == 0:
            if anchor.hash != GENESIS:
                problems.append(AnchorProblem(anchor, AnchorBreak.REWRITTEN, GENESIS))
            continue
        current = found.get(anchor.seq)
        if current is None:
            problems.append(AnchorProblem(anchor, AnchorBreak.TRUNCATED, None))
        elif current != anchor.hash:
            problems.append(AnchorProblem(anchor, AnchorBreak.REWRITTEN, current))
    return problems


def _batches(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
