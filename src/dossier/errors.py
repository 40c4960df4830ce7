"""Error types shared by the core. Messages name the field in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass


class DossierError(Exception):
    """Base of every error dossier raises on purpose."""


class FilingInterrupted(DossierError):
    """An earlier filing of the same content or name was interrupted (a crash): ``dossier repair``
    settles it, after which the filing can be tried again."""


class ConfigError(DossierError):
    """The configuration cannot be read or does not fit its schema."""


class InvalidIdentifier(DossierError, ValueError):
    """An identifier (ID number, credit code, card, mobile, contract number) is malformed.

    Subclasses ValueError so pydantic validators turn it into a field error.
    """


class InvalidAmount(DossierError, ValueError):
    """An amount or capital-numeral text cannot be read."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem in structured input: where, what it is called, what is wrong."""

    path: str
    label: str
    reason: str

    def __str__(self) -> str:
        label = f" ({self.label})" if self.label else ""
        return f"{self.path}{label}: {self.reason}"


class InputError(DossierError):
    """Structured input failed validation; carries every problem at once."""

    def __init__(self, problems: list[FieldProblem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(str(p) for p in problems))
