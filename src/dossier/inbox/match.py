"""Which borrower a supporting document belongs to: evidence strongest first, names never.

1. **The folder** it was dropped in: ``_inbox/<borrower key>/…`` (also ``<key>-<name>``, as the archive
   names borrower folders, or a contract number the catalog knows). A folder naming a key the catalog
   does not know decides nothing but says so: the file goes to quarantine, since the person who dropped
   it meant a borrower we cannot file for.
2. **Identifiers in the file name**, then 3. **in the text**: resident ID numbers and unified social
   credit codes that pass their check characters (GB 11643, GB 32100; a credit code listed in
   ``[identifiers].uscc_known_exceptions`` counts as passing), and contract and 借据 numbers by the
   patterns in ``[identifiers]``. Only identifiers the catalog knows count: a borrower's key, a loan's
   contract number, a loan's receipt numbers.

At each of 2 and 3, all identifiers found must point to one borrower; two or more is a conflict the
watcher does not resolve (quarantine, "two borrowers"). A borrower name in the text is never evidence:
names repeat. A contract or 借据 number of the chosen borrower also ties the document to that loan.

An upload is matched within its uploader's scope (``visible``: the borrower ids they may file to). Every
lookup runs the same query for everyone and then drops borrowers outside the scope, so a borrower
another officer looks after is, in every spelling and by every kind of evidence, exactly a borrower
that is not registered: same decision, same reason, same message, about the same time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.registry import normalize_key
from dossier.config import Config
from dossier.domain.identifiers import number_pattern, parse_credit_code, parse_resident_id
from dossier.errors import DossierError, InvalidIdentifier

RESIDENT_ID = "resident-id"
CREDIT_CODE = "credit-code"
CONTRACT: Final = "contract"
RECEIPT: Final = "receipt"

NO_BORROWER = "no-borrower"
TWO_BORROWERS = "two-borrowers"

_ID_RE = re.compile(r"(?<![0-9A-Z])\d{17}[0-9X](?![0-9A-Z])")
_USCC_RE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Z])")
_FOLDER_KEY_RE = re.compile(r"^([0-9A-Za-z]{15,18})(?:[-_ ].*)?$")


@dataclass(frozen=True)
class Found:
    kind: str
    value: str


@dataclass(frozen=True)
class Match:
    borrower_key: str | None
    rule: str
    """What decided (``folder:<key>``, ``name:resident-id <number>``, ``text:…``), or why nothing did."""
    contract_number: str | None = None
    problem: str | None = None
    """``no-borrower`` or ``two-borrowers`` when undecided."""
    candidates: tuple[str, ...] = ()
    rest: tuple[str, ...] = ()
    """The inbox sub-folders left for the type rules (the borrower's folder taken out)."""
    facts: dict[str, Any] = field(default_factory=dict)


def find_identifiers(text: str, config: Config) -> list[Found]:
    """Resident IDs and credit codes passing their checks, and contract and receipt number candidates
    (by the configured patterns), in order of first appearance, each once."""
    upper = unicodedata.normalize("NFKC", text).upper()
    found: dict[tuple[str, str], int] = {}
    taken: set[str] = set()
    for m in _ID_RE.finditer(upper):
        try:
            number = parse_resident_id(m.group()).number
        except InvalidIdentifier:
            continue
        found.setdefault((RESIDENT_ID, number), m.start())
        taken.add(m.group())
    for m in _USCC_RE.finditer(upper):
        if m.group() in taken:
            continue
        try:
            check = parse_credit_code(m.group(), strict=True, config=config)
        except InvalidIdentifier:
            continue
        found.setdefault((CREDIT_CODE, check.code), m.start())
        taken.add(m.group())
    for kind in (CONTRACT, RECEIPT):
        for start, value in _numbers(upper, number_pattern(kind, config)):
            if value not in taken:
                found.setdefault((kind, value), start)
    return [Found(kind, value) for (kind, value), _ in sorted(found.items(), key=lambda kv: kv[1])]


def _numbers(text: str, pattern: str) -> list[tuple[int, str]]:
    """Substrings of ``text`` the full-match ``pattern`` accepts, bounded by non-alphanumerics."""
    body = pattern.removeprefix("^").removesuffix("$")
    try:
        finder = re.compile(rf"(?<![0-9A-Z])(?:{body})(?![0-9A-Z])")
        whole = re.compile(pattern)
    except re.error:
        return []
    return [(m.start(), m.group()) for m in finder.finditer(text) if whole.fullmatch(m.group())]


@dataclass
class _Owners:
    """Borrowers the catalog ties to each identifier found."""

    owners: dict[Found, set[str]] = field(default_factory=dict)
    loans: dict[str, str] = field(default_factory=dict)
    """Contract number → its borrower's key, for contract and receipt numbers found."""

    def borrowers(self) -> set[str]:
        return {key for keys in self.owners.values() for key in keys}


def _owners(session: Session, found: Sequence[Found], visible: Collection[int] | None) -> _Owners:
    """Borrowers tied to ``found``, leaving out those outside ``visible`` (None: none left out)."""

    def seen(borrower_id: int) -> bool:
        return visible is None or borrower_id in visible

    result = _Owners()
    keys = [f.value for f in found if f.kind in (RESIDENT_ID, CREDIT_CODE)]
    known = (
        {
            key
            for borrower_id, key in session.execute(
                select(Borrower.id, Borrower.key).where(Borrower.key.in_(keys))
            ).all()
            if seen(borrower_id)
        }
        if keys
        else set()
    )
    contracts = [f.value for f in found if f.kind == CONTRACT]
    by_contract: dict[str, str] = {}
    if contracts:
        rows = session.execute(
            select(Loan.contract_number, Borrower.key, Borrower.id)
            .join(Borrower, Borrower.id == Loan.borrower_id)
            .where(Loan.contract_number.in_(contracts))
        ).all()
        by_contract = {number: key for number, key, borrower_id in rows if seen(borrower_id)}
    receipts = [f.value for f in found if f.kind == RECEIPT]
    by_receipt: dict[str, tuple[str, str]] = {}
    if receipts:
        text = cast(Loan.receipt_numbers, String)
        receipt_rows = session.execute(
            select(Loan.contract_number, Loan.receipt_numbers, Borrower.key, Borrower.id)
            .join(Borrower, Borrower.id == Loan.borrower_id)
            .where(or_(*(text.like(f'%"{r}"%') for r in receipts)))
        ).all()
        for number, numbers, key, borrower_id in receipt_rows:
            if not seen(borrower_id):
                continue
            for receipt in numbers or []:
                if receipt in receipts:
                    by_receipt[receipt] = (number, key)
    for f in found:
        if f.kind in (RESIDENT_ID, CREDIT_CODE) and f.value in known:
            result.owners[f] = {f.value}
        elif f.kind == CONTRACT and f.value in by_contract:
            result.owners[f] = {by_contract[f.value]}
            result.loans[f.value] = by_contract[f.value]
        elif f.kind == RECEIPT and f.value in by_receipt:
            number, key = by_receipt[f.value]
            result.owners[f] = {key}
            result.loans[number] = key
    return result


def match(
    session: Session,
    folders: Sequence[str],
    name: str,
    text: str,
    *,
    config: Config,
    visible: Collection[int] | None = None,
) -> Match:
    """The borrower of a file found under ``folders`` (inbox sub-folders, outermost first) named
    ``name`` with extracted ``text`` (see the module doc); only borrowers in ``visible`` (the
    uploader's scope; None: all) count as registered."""
    yours = visible is not None
    loans: dict[str, str] = {}
    facts: dict[str, Any] = {}
    rest = tuple(folders)
    decided: Match | None = None

    if folders:
        folder = folders[0]
        key = _folder_key(folder, config)
        if key is not None:
            rest = tuple(folders[1:])
            row = session.execute(select(Borrower.id).where(Borrower.key == key)).first()
            if row is None or (visible is not None and row.id not in visible):
                return Match(
                    None,
                    f"the folder names borrower {key}, who is not registered or not yours "
                    "(文件夹所指借款人未登记或不在您的管户范围内)"
                    if yours
                    else f"the folder names borrower {key}, who is not registered (文件夹所指借款人未登记)",
                    problem=NO_BORROWER,
                    candidates=(key,),
                    rest=rest,
                )
            decided = Match(key, f"folder:{key}", rest=rest)
        else:
            owners = _owners(
                session, [f for f in find_identifiers(folder, config) if f.kind == CONTRACT], visible
            )
            if len(owners.borrowers()) == 1:
                rest = tuple(folders[1:])
                key = next(iter(owners.borrowers()))
                loans.update(owners.loans)
                decided = Match(key, f"folder:{folder}", rest=rest)

    for where, source in (("name", name), ("text", text)):
        found = find_identifiers(source, config)
        if not found:
            continue
        owners = _owners(session, found, visible)
        loans.update(owners.loans)
        borrowers = owners.borrowers()
        facts[where] = [f"{f.kind} {f.value}" for f in owners.owners]
        if decided is not None or not borrowers:
            continue
        if len(borrowers) > 1:
            listed = ", ".join(sorted(borrowers))
            return Match(
                None,
                f"identifiers in the {where} point to {len(borrowers)} borrowers: {listed} "
                f"({'文件名' if where == 'name' else '文字'}中的证件号码指向多个借款人)",
                problem=TWO_BORROWERS,
                candidates=tuple(sorted(borrowers)),
                rest=rest,
                facts=facts,
            )
        key = next(iter(borrowers))
        first = next(f for f, keys in owners.owners.items() if key in keys)
        decided = Match(key, f"{where}:{first.kind} {first.value}", rest=rest)

    if decided is None:
        return Match(
            None,
            "no folder, file name or text identifier names a registered borrower of yours "
            "(文件夹、文件名和文字中均无您管户的已登记借款人的证件号码或合同编号)"
            if yours
            else "no folder, file name or text identifier names a registered borrower "
            "(文件夹、文件名和文字中均无已登记借款人的证件号码或合同编号)",
            problem=NO_BORROWER,
            rest=rest,
            facts=facts,
        )
    contracts = sorted({number for number, key in loans.items() if key == decided.borrower_key})
    if len(contracts) > 1:
        facts["contracts"] = contracts
    return Match(
        decided.borrower_key,
        decided.rule,
        contract_number=contracts[0] if len(contracts) == 1 else None,
        rest=rest,
        facts=facts,
    )


def borrower_folder(folders: Sequence[str], config: Config) -> tuple[str | None, list[str]]:
    """The borrower key the outermost folder is named by (if it is one) and the folders below it."""
    if folders:
        key = _folder_key(folders[0], config)
        if key is not None:
            return key, list(folders[1:])
    return None, list(folders)


def _folder_key(folder: str, config: Config) -> str | None:
    """The borrower key a folder is named by (``<key>`` or ``<key>-<name>``), None if it is not one."""
    m = _FOLDER_KEY_RE.match(unicodedata.normalize("NFKC", folder).strip())
    if m is None:
        return None
    try:
        return normalize_key(m.group(1), config)
    except (InvalidIdentifier, DossierError):
        return None
