"""The credit process in the monthly report: applications received, approved, rejected and returned,
median days per stage, and the share of returns made for missing materials (a 退回 naming document
types, or a 要求补充材料)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.catalog.process_tables import ApplicationRow, ApplicationStepRow
from dossier.archive.home import Archive
from dossier.domain.dates import add_months
from dossier.domain.local_time import local_zone
from dossier.process.enums import ActionKind, Refusal
from dossier.process.errors import ProcessRefused
from dossier.process.settings import process_settings
from dossier.process.stages import flow_named

_ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class MonthlyNumbers:
    month: str
    received: int
    approved: int
    rejected: int
    returned: int
    requested: int
    withdrawn: int
    median_days: dict[str, Decimal]
    """Stage key → median calendar days spent there by the steps that left it this month."""
    stage_labels: dict[str, str]
    returned_for_materials: int
    share_returned_for_materials: Decimal | None
    """Of all 退回 and 要求补充材料 this month, the share made for missing materials (0–1)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "received": self.received,
            "approved": self.approved,
            "rejected": self.rejected,
            "returned": self.returned,
            "requested": self.requested,
            "withdrawn": self.withdrawn,
            "median_days": {k: format(v, "f") for k, v in self.median_days.items()},
            "stage_labels": self.stage_labels,
            "returned_for_materials": self.returned_for_materials,
            "share_returned_for_materials": (
                format(self.share_returned_for_materials, "f")
                if self.share_returned_for_materials is not None
                else None
            ),
        }


FIRST_YEAR, LAST_YEAR = 1900, 2999


def monthly_numbers(archive: Archive, year: int, month: int) -> MonthlyNumbers:
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise ProcessRefused(
            Refusal.INVALID,
            f"month: {year:04d}-{month:02d} is not a month from {FIRST_YEAR} to {LAST_YEAR}",
            f"月份 {year:04d}-{month:02d} 不在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间",
        )
    zone = local_zone(archive.config)
    first = date(year, month, 1)
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(add_months(first, 1), time(), zone)
    settings = process_settings(archive.config)

    def read(session: Session) -> MonthlyNumbers:
        flows = {row.id: row.flow for row in session.execute(select(ApplicationRow.id, ApplicationRow.flow))}
        steps = list(
            session.execute(
                select(ApplicationStepRow).order_by(ApplicationStepRow.application_id, ApplicationStepRow.seq)
            ).scalars()
        )
        previous: dict[int, ApplicationStepRow] = {}
        counts: dict[ActionKind, int] = dict.fromkeys(ActionKind, 0)
        approved = materials = 0
        durations: dict[str, list[float]] = {}
        labels: dict[str, str] = {}
        for step in steps:
            before = previous.get(step.application_id)
            previous[step.application_id] = step
            if not start <= step.at < end:
                continue
            kind = ActionKind(step.kind)
            counts[kind] += 1
            flow = flow_named(settings, flows[step.application_id])
            decision = [s.key for s in flow.stages if ActionKind.APPROVE in s.actions]
            if (
                kind in (ActionKind.APPROVE, ActionKind.ADVANCE)
                and decision
                and step.from_stage == decision[-1]
            ):
                approved += 1
            if (
                kind is ActionKind.RETURN and (step.details or {}).get("doc_types")
            ) or kind is ActionKind.REQUEST:
                materials += 1
            if before is not None and step.from_stage and step.to_stage != step.from_stage:
                days = (step.at - before.at).total_seconds() / 86400
                durations.setdefault(step.from_stage, []).append(days)
                labels[step.from_stage] = flow.label(step.from_stage)
        asked = counts[ActionKind.RETURN] + counts[ActionKind.REQUEST]
        share = (
            (Decimal(materials) / Decimal(asked)).quantize(Decimal("0.01"), ROUND_HALF_UP) if asked else None
        )
        return MonthlyNumbers(
            month=f"{year:04d}-{month:02d}",
            received=counts[ActionKind.SUBMIT],
            approved=approved,
            rejected=counts[ActionKind.REJECT],
            returned=counts[ActionKind.RETURN],
            requested=counts[ActionKind.REQUEST],
            withdrawn=counts[ActionKind.WITHDRAW],
            median_days={
                k: Decimal(str(statistics.median(v))).quantize(_ONE_PLACE, ROUND_HALF_UP)
                for k, v in sorted(durations.items())
            },
            stage_labels=labels,
            returned_for_materials=materials,
            share_returned_for_materials=share,
        )

    return archive.transaction(read, write=False)
