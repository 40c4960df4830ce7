"""审贷分离: nobody acts on both stages of a configured pair on one application.

Who "acted on" a stage is read from the application's steps: the actor of every step taken from it, and
for a stage whose gate asked for 双人调查, the people of the site-visit record that met it.
"""

from __future__ import annotations

from collections.abc import Iterable

from dossier.archive.catalog.process_tables import ApplicationStepRow
from dossier.process.enums import ActionKind, Refusal
from dossier.process.errors import ProcessRefused
from dossier.process.settings import SeparationRule
from dossier.process.stages import Flow

ACTING = frozenset(
    {ActionKind.ADVANCE, ActionKind.RETURN, ActionKind.REJECT, ActionKind.REQUEST, ActionKind.APPROVE}
)


def people_by_stage(steps: Iterable[ApplicationStepRow]) -> dict[str, set[str]]:
    acted: dict[str, set[str]] = {}
    for step in steps:
        if step.from_stage is None or ActionKind(step.kind) not in ACTING:
            continue
        people = acted.setdefault(step.from_stage, set())
        people.add(step.actor)
        people.update((step.details or {}).get("investigators", []))
    return acted


def broken_rule(
    rules: Iterable[SeparationRule], acted: dict[str, set[str]], stage: str, actor: str
) -> SeparationRule | None:
    """The first pair ``actor`` acting on ``stage`` would break, if any."""
    for rule in rules:
        first, second = rule.stages
        other = second if stage == first else first if stage == second else None
        if other is not None and actor in acted.get(other, set()):
            return rule
    return None


def check_separation(
    rules: Iterable[SeparationRule], acted: dict[str, set[str]], flow: Flow, stage: str, actor: str
) -> None:
    rule = broken_rule(rules, acted, stage, actor)
    if rule is None:
        return
    first, second = rule.stages
    other = second if stage == first else first
    raise ProcessRefused(
        Refusal.SEPARATION,
        f"{actor} already acted on {other} of this application; "
        f"rule {rule.rule!r} forbids acting on {stage} too",
        f"{actor} 已办理本申请的{flow.label(other)}环节，按“{rule.rule}”不得再办理{flow.label(stage)}环节",
    )
