"""The portfolio's completeness: counts per status, files worst first, by officer and product."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.audit import plain
from dossier.archive.completeness import PortfolioSummary, evaluate, load_checklists, summarize
from dossier.archive.completeness.snapshot import load_snapshots
from dossier.archive.custody_history import with_holders
from dossier.service.api.records import record
from dossier.service.deps import Services, ServicesDep, require
from dossier.service.params import checked_day

router = APIRouter(prefix="/completeness", tags=["completeness"])


def portfolio(
    svc: Services, user: Principal, *, officer: str | None, product: str | None, as_of: date | None
) -> PortfolioSummary:
    """The portfolio's completeness, as ``user`` looked at it (an audit event, like any view)."""
    svc.archive.transaction(
        lambda s: record(s, user, "view", "portfolio:completeness", officer=officer, product=product)
    )
    when = as_of or date.today()
    checklists = load_checklists(svc.config)
    # The dashboard names who holds each file on its date (handovers, transfers to 资产保全).
    snapshots = svc.archive.transaction(lambda s: with_holders(s, load_snapshots(s), when), write=False)
    results = [evaluate(s, checklists, when, config=svc.config) for s in snapshots]
    return summarize(results, officer=officer or None, product=product or None, as_of=when)


@router.get("", summary="Completeness of every file, worst first (档案完整性总览)")
def portfolio_completeness(
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.PORTFOLIO))],
    officer: Annotated[str | None, Query(max_length=50)] = None,
    product: Annotated[str | None, Query(max_length=60)] = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    as_of = checked_day("as_of", "截至日期", as_of)
    summary = portfolio(svc, user, officer=officer, product=product, as_of=as_of)
    return plain(dataclasses.asdict(summary))
