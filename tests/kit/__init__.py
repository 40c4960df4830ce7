"""What test folders share: imported as ``kit`` (pyproject's pytest ``pythonpath = ["tests"]`` puts tests/
on the path), so every folder runs alone, with others, and in any order, with no ``sys.path`` edits."""

from kit.config import config_from_toml, config_with
from kit.paths import CORPUS, REPO
from kit.text import all_text

__all__ = ["CORPUS", "REPO", "all_text", "config_from_toml", "config_with"]
