"""Generation, docxtpl-small: ``Generator().generate(kind, data) -> Document``, then ``document.save(dir)``.

validate → derive → render. The shipped templates render in this process from a cache (parsed once per
process); a bank's own templates render in a worker process under a time and memory limit, because the
sandbox stops attribute tricks but not resource bombs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dossier.config import Config
from dossier.domain.identifiers.credit_code import credit_code_warnings
from dossier.domain.validation import problems_from
from dossier.errors import DossierError, FieldProblem, InputError
from dossier.kinds.base import Kind
from dossier.kinds.context import build_context
from dossier.kinds.registry import get_kind
from dossier.render.engine import TemplateEngine
from dossier.render.filters import FILTERS_FACTORY, template_filters
from dossier.render.isolation import render_isolated

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


class _TemplateSettings(BaseModel):
    folder: str = ""
    isolate_custom: bool = True
    timeout_seconds: float = 60
    memory_mb: int = 1024


@dataclass
class Document:
    """A rendered document: its kind, validated input, template data and DOCX bytes."""

    kind: Kind
    data: BaseModel
    context: dict[str, Any]
    content: bytes
    filename: str
    warnings: tuple[str, ...] = field(default=())

    def save(self, directory: Path) -> Path:
        """Write ``<filename>.docx`` into ``directory``: never a half-written file, and never over an
        existing one (a second document of the same name becomes ``<filename>-2.docx``)."""
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".docx", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.content)
                fh.flush()
                os.fsync(fh.fileno())
            for n in range(1, 10_000):
                target = directory / (f"{self.filename}.docx" if n == 1 else f"{self.filename}-{n}.docx")
                try:
                    os.link(tmp, target)  # unlike rename, a link never replaces an existing file
                except FileExistsError:
                    continue
                return target
            raise DossierError(f"too many files named {self.filename} (同名文件过多) in {directory}")
        finally:
            Path(tmp).unlink(missing_ok=True)


class Generator:
    """Validates, derives and renders; holds the template cache, so reuse one across a batch."""

    def __init__(self, config: Config, *, template: Path | None = None) -> None:
        self.config = config
        self._settings = self.config.section("templates", _TemplateSettings)
        self._template_override = template
        self.engine = TemplateEngine(filters=template_filters())

    def template_path(self, kind: Kind) -> tuple[Path, bool]:
        """The template for ``kind`` and whether it is one a user supplied (not shipped)."""
        if self._template_override is not None:
            return self._template_override, True
        if self._settings.folder:
            candidate = Path(self._settings.folder) / kind.template
            if candidate.is_file():
                return candidate, True
        return SHIPPED_TEMPLATES / kind.template, False

    def validate(
        self, kind: Kind | str, data: Mapping[str, Any] | BaseModel, *, source: str | None = None
    ) -> BaseModel:
        kind = get_kind(kind) if isinstance(kind, str) else kind
        if isinstance(data, kind.schema):
            return data
        payload = data.model_dump() if isinstance(data, BaseModel) else data
        try:
            return kind.schema.model_validate(payload, context={"config": self.config})
        except ValidationError as exc:
            raise InputError(problems_from(kind.schema, exc), source=source) from None

    def prepare(
        self, kind: Kind | str, data: Mapping[str, Any] | BaseModel, *, source: str | None = None
    ) -> tuple[Kind, BaseModel, dict[str, Any], tuple[str, ...]]:
        """Validate and derive: the kind, the model, the template data and any warnings."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        model = self.validate(kind, data, source=source)
        try:
            derived = dict(kind.derive(model, self.config))
        except ValueError as exc:
            # A rule that only the derivation can check (approved > requested, say) is an input problem.
            problem = getattr(exc, "problem", None) or FieldProblem(path="(input)", label="", reason=str(exc))
            raise InputError([problem], source=source) from None
        warnings = tuple(derived.pop("warnings", ())) + _credit_code_warnings(model, self.config)
        return kind, model, build_context(model, derived), warnings

    def generate(
        self, kind: Kind | str, data: Mapping[str, Any] | BaseModel, *, source: str | None = None
    ) -> Document:
        kind, model, context, warnings = self.prepare(kind, data, source=source)
        path, custom = self.template_path(kind)
        if not path.is_file():
            raise DossierError(f"template not found (模板不存在): {path}")
        if custom and self._settings.isolate_custom:
            content = render_isolated(
                path,
                context,
                FILTERS_FACTORY,
                timeout_s=self._settings.timeout_seconds,
                memory_mb=self._settings.memory_mb,
            )
        else:
            content = self.engine.load(path).render(context)
        return Document(
            kind=kind,
            data=model,
            context=context,
            content=content,
            filename=_safe_filename(kind.filename(model)),
            warnings=warnings,
        )


def generate(kind: Kind | str, data: Mapping[str, Any] | BaseModel, *, config: Config) -> Document:
    """One document, no cache kept: for a batch, make one Generator and call its generate()."""
    return Generator(config).generate(kind, data)


def _credit_code_warnings(model: BaseModel, config: Config) -> tuple[str, ...]:
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                sub = getattr(value, name)
                where = f"{path}.{name}" if path else name
                if name.endswith("credit_code") and isinstance(sub, str):
                    found.extend(f"{where}: {w}" for w in credit_code_warnings(sub, config=config))
                else:
                    walk(sub, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(model, "")
    return tuple(found)


_UNSAFE = str.maketrans({c: "_" for c in '/\\:*?"<>|\x00'})


def _safe_filename(stem: str) -> str:
    cleaned = "".join(ch for ch in stem.translate(_UNSAFE) if ch.isprintable()).strip(" .")
    return cleaned[:120] or "document"
