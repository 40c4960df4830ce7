"""Many borrowers and loans registered or updated in one transaction: what a ledger import does.

The rows and the audit events are exactly those ``registry.ensure_borrower`` and ``registry.ensure_loan``
write one at a time (the same rules decide, see registry.borrower_changes and registry.loan_changes),
in the same order; only the catalog work is grouped: one look-up of every borrower and loan named,
multi-row inserts and updates, and one append of all the events (audit.append_events).

Use: ``load`` the keys and contract numbers, ``register`` each borrower and its loan in order (a refused
one changes nothing), add the caller's own events in their place with ``event``, then ``write``; after
that, ``borrower_id`` and ``loan_id`` give the catalog ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from dossier.archive.audit import EventDraft, append_events, plain
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.names import borrower_folder_name, check_name
from dossier.archive.registry import (
    BORROWER_FACTS,
    borrower_changes,
    customer_type_value,
    loan_changes,
    loan_values,
    normalize_key,
    registered_borrower,
    registered_loan,
)
from dossier.config import session_config
from dossier.domain.identifiers import parse_contract_number
from dossier.domain.models.loan import LOAN_FACTS
from dossier.errors import DossierError

_BORROWERS = cast(Table, Borrower.__table__)
_LOANS = cast(Table, Loan.__table__)
_LOAN_COLUMNS = (*LOAN_FACTS, "details")
_LIST_FACTS = ("receipt_numbers", "guarantee_methods")
_UPDATE_BORROWER = (
    update(_BORROWERS)
    .where(_BORROWERS.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in (*BORROWER_FACTS, "updated_at")})
)
_UPDATE_LOAN = (
    update(_LOANS)
    .where(_LOANS.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in (*_LOAN_COLUMNS, "updated_at")})
)
_LOOKUP_CHUNK = 500
"""Keys per IN (…) look-up: well inside every database's limit on bound parameters."""


@dataclass
class _Row:
    """A borrower or loan as this batch knows it: the catalog's values, then the batch's changes."""

    values: dict[str, Any]
    id: int | None = None
    new: bool = False
    changed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Columns written once, with the insert (folder, borrower key of a loan)."""


class RegistrationBatch:
    def __init__(self, session: Session, *, actor: str, now: datetime | None = None) -> None:
        self._session = session
        self._config = session_config(session)
        self._actor = actor
        self._now = now or datetime.now(UTC)
        self._borrowers: dict[str, _Row] = {}
        self._loans: dict[str, _Row] = {}
        self._events: list[EventDraft] = []

    def load(self, keys: Collection[str], numbers: Collection[str]) -> None:
        """Look up, in bulk, the borrowers and loans the batch will name (normalized keys and numbers)."""
        columns = (_BORROWERS.c.id, _BORROWERS.c.key, *(_BORROWERS.c[n] for n in BORROWER_FACTS))
        for part in _chunks(sorted(set(keys) - set(self._borrowers))):
            for row in self._session.execute(select(*columns).where(_BORROWERS.c.key.in_(part))):
                values = {name: getattr(row, name) for name in BORROWER_FACTS}
                self._borrowers[row.key] = _Row(values, id=row.id)
        loan_columns = (_LOANS.c.id, _LOANS.c.contract_number, _BORROWERS.c.key, *_loan_columns())
        for part in _chunks(sorted(set(numbers) - set(self._loans))):
            query = (
                select(*loan_columns)
                .join_from(_LOANS, _BORROWERS, _LOANS.c.borrower_id == _BORROWERS.c.id)
                .where(_LOANS.c.contract_number.in_(part))
            )
            for row in self._session.execute(query):
                values = {name: getattr(row, name) for name in _LOAN_COLUMNS}
                self._loans[row.contract_number] = _Row(values, id=row.id, extra={"borrower_key": row.key})

    def register(
        self,
        key: str,
        name: str,
        customer_type: str | Enum,
        *,
        officer: str | None,
        contract_number: str,
        facts: Mapping[str, Any],
        details: Mapping[str, Any],
    ) -> bool:
        """The borrower and one of its loans, registered or updated as ensure_borrower then ensure_loan
        would; True if the loan is new. Everything is checked first: a refused row changes nothing."""
        key = normalize_key(key, self._config)
        name = check_name(name, ("borrower name", "借款人名称"))
        kind = customer_type_value(customer_type)
        if officer is not None:
            officer = check_name(officer, ("loan officer", "客户经理"), max_chars=50)
        number = check_name(contract_number, ("contract number", "合同编号"), max_chars=60)
        number = parse_contract_number(number, config=self._config)
        values = loan_values(facts, self._config)
        extra = {k: plain(v) for k, v in details.items()}
        loan = self._loans.get(number)
        if loan is not None and loan.extra["borrower_key"] != key:
            raise DossierError(
                f"contract {number} belongs to another borrower (该合同编号已登记在其他借款人名下)"
            )
        self._borrower(key, name, kind, officer)
        return self._loan(key, number, values, extra, loan)

    def event(self, draft: EventDraft) -> None:
        """An event of the caller's, chained after the registrations made so far."""
        self._events.append(draft)

    def write(self) -> None:
        """Write the new and changed rows, then append every event in order."""
        session, now = self._session, self._now
        new = [(key, row) for key, row in self._borrowers.items() if row.new]
        if new:
            session.execute(
                insert(_BORROWERS),
                [
                    {
                        "key": key,
                        **row.values,
                        **row.extra,
                        "legal_hold": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for key, row in new
                ],
            )
            self._resolve(_BORROWERS.c.key, [key for key, _ in new], self._borrowers)
        changed = [row for row in self._borrowers.values() if row.changed and not row.new]
        if changed:
            session.execute(_UPDATE_BORROWER, [_update_params(row, BORROWER_FACTS, now) for row in changed])
        new = [(number, row) for number, row in self._loans.items() if row.new]
        if new:
            session.execute(
                insert(_LOANS),
                [
                    {
                        "contract_number": number,
                        "borrower_id": self.borrower_id(row.extra["borrower_key"]),
                        **row.values,
                        "legal_hold": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for number, row in new
                ],
            )
            self._resolve(_LOANS.c.contract_number, [number for number, _ in new], self._loans)
        changed = [row for row in self._loans.values() if row.changed and not row.new]
        if changed:
            session.execute(_UPDATE_LOAN, [_update_params(row, _LOAN_COLUMNS, now) for row in changed])
        append_events(session, self._events)
        self._events = []
        for row in (*self._borrowers.values(), *self._loans.values()):
            row.new = row.changed = False

    def borrower_id(self, key: str) -> int:
        row = self._borrowers[key]
        assert row.id is not None, "borrower ids are known once the batch is written"
        return row.id

    def loan_id(self, number: str) -> int:
        row = self._loans[number]
        assert row.id is not None, "loan ids are known once the batch is written"
        return row.id

    # ----------------------------------------------------------------- one registration

    def _borrower(self, key: str, name: str, kind: str, officer: str | None) -> None:
        row = self._borrowers.get(key)
        if row is None:
            folder = borrower_folder_name(key, name)
            values: dict[str, Any] = {"name": name, "customer_type": kind, "officer": officer, "details": {}}
            self._borrowers[key] = _Row(values, new=True, extra={"folder": folder})
            self._events.append(
                EventDraft(
                    self._actor,
                    "register-borrower",
                    f"borrower:{key}",
                    key,
                    registered_borrower(name, kind, folder, officer),
                )
            )
            return
        changes, values = borrower_changes(row.values, name, kind, officer, {})
        if changes:
            row.values.update(values)
            row.changed = True
            self._events.append(EventDraft(self._actor, "update-borrower", f"borrower:{key}", key, changes))

    def _loan(
        self, key: str, number: str, values: dict[str, Any], extra: dict[str, Any], loan: _Row | None
    ) -> bool:
        if loan is None:
            facts: dict[str, Any] = {name: None for name in LOAN_FACTS}
            facts.update({name: [] for name in _LIST_FACTS})
            facts.update(values)
            self._loans[number] = _Row(
                {**facts, "details": dict(extra)}, new=True, extra={"borrower_key": key}
            )
            self._events.append(
                EventDraft(
                    self._actor, "register-loan", f"loan:{number}", key, registered_loan(number, facts)
                )
            )
            return True
        changes, changed = loan_changes(loan.values, values, extra)
        if changes:
            loan.values.update(changed)
            loan.changed = True
            self._events.append(EventDraft(self._actor, "update-loan", f"loan:{number}", key, changes))
        return False

    def _resolve(self, column: Any, names: list[str], rows: dict[str, _Row]) -> None:
        """The ids the catalog gave the rows just inserted (looked up: portable to every backend)."""
        table = column.table
        for part in _chunks(names):
            for row_id, name in self._session.execute(select(table.c.id, column).where(column.in_(part))):
                rows[name].id = row_id


def _loan_columns() -> list[Any]:
    return [_LOANS.c[name] for name in _LOAN_COLUMNS]


def _update_params(row: _Row, columns: tuple[str, ...], now: datetime) -> dict[str, Any]:
    return {"row_id": row.id, **{f"new_{n}": row.values[n] for n in columns}, "new_updated_at": now}


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _LOOKUP_CHUNK] for i in range(0, len(items), _LOOKUP_CHUNK)]
