"""What a verification checks, how, and what it found: English values for programs, Chinese labels."""

from __future__ import annotations

# The vocabulary itself lives in the domain (completeness rules use it too); it is re-exported here.
from dossier.domain.enums import Aspect, Method, Result

__all__ = ["DEFAULT_ASPECT", "Aspect", "Method", "Result"]


DEFAULT_ASPECT = {
    Method.ORIGINAL: Aspect.AUTHENTICITY,
    Method.SITE_VISIT: Aspect.EXISTENCE,
    Method.PHONE: Aspect.CONFIRMATION,
    Method.REGISTRY: Aspect.OWNERSHIP,
    Method.THIRD_PARTY: Aspect.AUTHENTICITY,
}
"""What a method checks when the officer does not say."""
