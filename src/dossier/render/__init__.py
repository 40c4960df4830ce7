"""Rendering engine: docxtpl templates in a Jinja sandbox, compiled once and reused per batch.

- :class:`TemplateEngine` / :class:`CompiledTemplate` (engine.py): load, render, save, variables.
- :func:`make_environment` (sandbox.py): the sandboxed, autoescaping Jinja environment.
- :func:`render_isolated` (isolation.py): render an untrusted template under time and memory limits.
- :func:`lint_template` / :func:`schema_fields` (lint.py): ``dossier templates check``.
"""

from dossier.render.engine import CompiledTemplate, FieldUse, TemplateEngine, TemplateError
from dossier.render.isolation import render_isolated
from dossier.render.lint import LintProblem, lint_template, schema_fields
from dossier.render.sandbox import DocumentSandbox, make_environment

__all__ = [
    "CompiledTemplate",
    "DocumentSandbox",
    "FieldUse",
    "LintProblem",
    "TemplateEngine",
    "TemplateError",
    "lint_template",
    "make_environment",
    "render_isolated",
    "schema_fields",
]
