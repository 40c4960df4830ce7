"""Generation: input data → validated, derived, rendered documents, one at a time or in batches.

``Generator().generate(kind, data) -> Document`` and ``document.save(dir)`` (generator.py); many inputs
in N worker processes, filed into the archive, then converted to PDF (batch.py); a template checked
against its kind's fields (template_check.py). Input files are read by ``dossier.inputs``, which sits
below this package because kinds read their shipped examples with it too.
"""

from dossier.generation.batch import (
    BatchResult,
    document_date,
    file_generated,
    generate_batch,
    generate_one,
    register_subjects,
)
from dossier.generation.generator import SHIPPED_TEMPLATES, Document, Generator, generate
from dossier.generation.template_check import check_template, required_fields
from dossier.inputs import load_input, parse_text

__all__ = [
    "SHIPPED_TEMPLATES",
    "BatchResult",
    "Document",
    "Generator",
    "check_template",
    "document_date",
    "file_generated",
    "generate",
    "generate_batch",
    "generate_one",
    "load_input",
    "parse_text",
    "register_subjects",
    "required_fields",
]
