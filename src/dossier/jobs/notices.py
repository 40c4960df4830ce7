"""The notices batch as jobs: the due notices split by loan into slices of [jobs].notices_loans_per_job,
one job per slice, so several workers share a month's end.

Each slice job plans again when it runs and sends only what is still due and unsent for its loans
(ledger.notices: a notice filed but not linked is adopted, never filed twice), so a slice tried twice,
or a whole batch run again, generates nothing twice. Slices never share a loan, so a loan's reminder,
collection notice and plan still come in order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from dossier.jobs.definitions import Work


def notices_job(work: Work) -> dict[str, Any]:
    from dossier.ledger.notices import plan_notices, send_notices

    archive = work.archive
    as_of = date.fromisoformat(str(work.params["as_of"]))
    kinds = tuple(str(k) for k in work.params["kinds"])
    loans = {int(i) for i in work.params["ledger_ids"]}
    plan = plan_notices(archive, as_of, kinds)
    pending = {k: [e for e in events if e.view.ledger_id in loans] for k, events in plan.pending.items()}
    mine = replace(plan, pending=pending, already_sent=dict.fromkeys(kinds, 0))
    total = mine.total
    done = 0
    work.progress(0, total)

    def advance(_outcome: Any) -> None:
        nonlocal done
        done += 1
        work.progress(done, total)

    report = send_notices(archive, mine, jobs=1, actor=work.actor, progress=advance)
    failed = [f"{o.kind} {o.contract_number}: {'; '.join(o.errors)}" for o in report.failed]
    if failed:
        from dossier.jobs.definitions import JobError

        raise JobError("notices failed (通知生成失败): " + " | ".join(failed)[:2000])
    # What was filed, for the page that started the batch (each notice a document of its borrower's).
    filed = [
        {
            "kind": o.kind,
            "contract_number": o.contract_number,
            "event": o.event,
            "status": o.status,
            "document_id": o.document_id,
        }
        for o in report.outcomes
    ]
    return {"summary": report.summary(), "loans": len(loans), "notices": filed}
