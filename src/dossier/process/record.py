"""审批流程记录: one application's path as the audit chain holds it — who did what, when, in which role,
on which documents (their hashes), and whether every 审贷分离 pair held. Built from the chain alone (the
``application.*`` events), it names the chain head it was built at; its fingerprint (SHA-256 of its
canonical JSON) is appended to the chain when it is issued, like the diligence report's."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.archive.audit import AuditHeadMissing, append_event, canonical, plain
from dossier.archive.catalog.models import AuditHead, Event
from dossier.archive.catalog.process_tables import ApplicationRow
from dossier.archive.home import Archive
from dossier.config import Config
from dossier.domain.local_time import local_zone
from dossier.process.settings import process_settings
from dossier.process.stages import flow_named
from dossier.process.store import not_found

REPORT_ACTION = "application-report"
APPLICATION_PREFIX = "application."


def _role_label(value: str | None) -> str:
    try:
        return Role(value or "").label
    except ValueError:
        return value or ""


def path_entries(
    session: Session, target: str, until_seq: int, config: Config, flow_name: str
) -> list[dict[str, Any]]:
    """The chain's events of one application (``application:N``) up to ``until_seq``, as report lines."""
    flow = flow_named(process_settings(config), flow_name)
    query = (
        select(Event)
        .where(Event.target == target, Event.action.startswith(APPLICATION_PREFIX), Event.seq <= until_seq)
        .order_by(Event.seq)
    )
    entries = []
    for event in session.execute(query).scalars():
        d = event.details or {}
        entries.append(
            {
                "seq": event.seq,
                "event_hash": event.hash,
                "at": plain(event.at.astimezone(UTC)),
                "action": event.action,
                "kind": d.get("kind", event.action.removeprefix(APPLICATION_PREFIX)),
                "actor": event.actor,
                "role": d.get("role"),
                "role_label": _role_label(d.get("role")),
                "from": d.get("from"),
                "from_label": flow.label(d.get("from")),
                "to": d.get("to"),
                "to_label": flow.label(d.get("to")),
                "reasons": d.get("reasons", []),
                "documents": d.get("documents", []),
                "doc_types": d.get("doc_types", []),
                "conditions": d.get("conditions"),
                "investigators": d.get("investigators", []),
                "closed_item": d.get("item"),
                "closing_document": d.get("document"),
            }
        )
    return entries


def application_paths(
    session: Session, config: Config, borrower_key: str, until_seq: int
) -> list[dict[str, Any]]:
    """Each of the borrower's applications with its path as the chain held it at ``until_seq`` (for the
    diligence report): who did what, when, in which role, on which documents."""
    flows = {
        row.id: row.flow
        for row in session.execute(select(ApplicationRow.id, ApplicationRow.flow).order_by(ApplicationRow.id))
    }
    targets = session.execute(
        select(Event.target)
        .where(
            Event.borrower_key == borrower_key,
            Event.action.startswith(APPLICATION_PREFIX),
            Event.seq <= until_seq,
        )
        .group_by(Event.target)
        .order_by(Event.target)
    ).scalars()
    numbers = sorted(int(target.removeprefix("application:")) for target in targets)
    return [
        {
            "application": number,
            "number": f"SQ{number:06d}",
            "path": path_entries(session, f"application:{number}", until_seq, config, flows.get(number, "")),
        }
        for number in numbers
    ]


@dataclass(frozen=True)
class ProcessRecord:
    application: dict[str, Any]
    head_seq: int
    head_hash: str
    path: tuple[dict[str, Any], ...]
    separation: tuple[dict[str, Any], ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def content(self) -> dict[str, Any]:
        return {
            "application": plain(self.application),
            "chain_head": {"seq": self.head_seq, "hash": self.head_hash},
            "path": list(self.path),
            "separation": list(self.separation),
        }

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(canonical(self.content())).hexdigest()

    @property
    def separation_held(self) -> bool:
        return all(s["held"] for s in self.separation)

    def to_dict(self) -> dict[str, Any]:
        return {**self.content(), "fingerprint": self.fingerprint, "generated_at": plain(self.generated_at)}

    def to_html(self, config: Config, *, issued_seq: int | None = None) -> str:
        zone = local_zone(config)
        e = html.escape
        rows = []
        for p in self.path:
            at = datetime.fromisoformat(p["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            docs = "<br>".join(
                f"#{d['id']} {e(d['doc_type'])} {e(d['sha256'][:16])}…" for d in p["documents"]
            )
            what = e(p["kind"])
            if p["from_label"] or p["to_label"]:
                what += f"（{e(p['from_label'])} → {e(p['to_label'])}）"
            rows.append(
                f"<tr><td>{p['seq']}</td><td>{at}</td><td>{e(p['actor'])}</td><td>{e(p['role_label'])}</td>"
                f"<td>{what}</td><td>{e('；'.join(p['reasons']))}</td><td>{docs}</td>"
                f"<td><code>{e(p['event_hash'][:16])}…</code></td></tr>"
            )
        pairs = "".join(
            f"<li>{e(s['rule'])}：{'、'.join(map(e, s['first_people'])) or '—'} / "
            f"{'、'.join(map(e, s['second_people'])) or '—'} — {'已遵守' if s['held'] else '未遵守'}</li>"
            for s in self.separation
        )
        a = self.application
        issued = f"<p>登记于审计事件第 {issued_seq} 号</p>" if issued_seq else ""
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>审批流程记录</title></head><body>"
            f"<h1>审批流程记录 {e(a['number'])}</h1>"
            f"<p>借款人：{e(a['borrower_key'])}　品种：{e(a['product'])}　申请金额：{e(str(a['amount']))}元　"
            f"期限：{a['term_months']}个月</p>"
            f"<table><thead><tr><th>事件</th><th>时间</th><th>办理人</th><th>角色</th><th>操作</th><th>理由</th>"
            f"<th>所依据文件</th><th>哈希</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<h2>审贷分离</h2><ul>{pairs}</ul>"
            f"<p>审计链头：第 {self.head_seq} 号 <code>{e(self.head_hash)}</code></p>"
            f"<p>报告指纹：<code>{self.fingerprint}</code></p>{issued}</body></html>"
        )


def _separation(config: Config, path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    acted: dict[str, set[str]] = {}
    for p in path:
        if p["from"] and p["kind"] in ("advance", "return", "reject", "request", "approve"):
            people = acted.setdefault(p["from"], set())
            people.add(p["actor"])
            people.update(p["investigators"])
    found = []
    for rule in process_settings(config).separation:
        first, second = (sorted(acted.get(k, set())) for k in rule.stages)
        found.append(
            {
                "rule": rule.rule,
                "stages": list(rule.stages),
                "first_people": first,
                "second_people": second,
                "held": not set(first) & set(second),
            }
        )
    return found


def process_record(archive: Archive, application_id: int, *, until_seq: int | None = None) -> ProcessRecord:
    config = archive.config

    def build(session: Session) -> ProcessRecord:
        row = session.get(ApplicationRow, application_id)
        if row is None:
            raise not_found(application_id)
        head = session.get(AuditHead, 1)
        if head is None:
            raise AuditHeadMissing()
        seq = min(until_seq, head.seq) if until_seq is not None else head.seq
        head_hash = session.execute(select(Event.hash).where(Event.seq == seq)).scalar_one_or_none() or ""
        path = path_entries(session, f"application:{row.id}", seq, config, row.flow)
        submitted = next((p for p in path if p["kind"] == "submit"), None)
        first = session.get(Event, submitted["seq"]) if submitted is not None else None
        facts = dict((first.details or {}) if first is not None else {})
        application = {
            "id": row.id,
            "number": f"SQ{row.id:06d}",
            "borrower_key": first.borrower_key if first is not None else None,
            "product": facts.get("product"),
            "amount": facts.get("amount"),
            "term_months": facts.get("term_months"),
            "guarantees": facts.get("guarantees", []),
            "applicant": first.actor if first is not None else None,
        }
        return ProcessRecord(application, seq, head_hash, tuple(path), tuple(_separation(config, path)))

    return archive.transaction(build, write=False)


def record_issue(archive: Archive, record: ProcessRecord, actor: str) -> int:
    """Log the issued record's fingerprint in the chain; returns the event's sequence number."""

    def write(session: Session) -> int:
        event = append_event(
            session,
            actor=actor,
            action=REPORT_ACTION,
            target=f"application:{record.application['id']}",
            borrower_key=record.application["borrower_key"],
            details={
                "fingerprint": record.fingerprint,
                "head_seq": record.head_seq,
                "head_hash": record.head_hash,
                "entries": len(record.path),
                "separation_held": record.separation_held,
            },
        )
        return event.seq

    return archive.transaction(write)
