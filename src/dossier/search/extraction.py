"""A document's text: from the text cache, else extracted from its file (and cached).

Files from outside (ingested, uploaded) are extracted in a child process with a time and memory limit
(indexer.extract.extract_guarded), so a hostile file costs one document, never the indexer; our own
generated files are extracted in this process. A failed extraction is not cached: the next reindex
tries again (a damaged file fails fast, a hostile one within its limit).
"""

from __future__ import annotations

from dossier.archive.catalog.models import Document
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.search.settings import SearchSettings, text_dir
from dossier.search.text_cache import CachedText, TextCache
from indexer.extract import extract, extract_guarded

TRUSTED_SOURCES = frozenset({"generated"})


class TextSource:
    def __init__(self, archive: Archive, settings: SearchSettings) -> None:
        self.archive = archive
        self.settings = settings
        self.cache = TextCache(text_dir(archive.home))

    def text_for(self, document: Document) -> CachedText:
        """The text of a filed document; DossierError if its file is missing (try again later)."""
        cached = self.cache.get(document.sha256)
        if cached is not None:
            return cached
        path = self.archive.absolute(document.path)
        if not path.is_file() or path.is_symlink():
            raise DossierError(f"document file is missing (文档文件缺失): {document.path}")
        limits = self.settings.limits()
        if document.source in TRUSTED_SOURCES:
            result = extract(path, limits=limits)
        else:
            result = extract_guarded(
                path,
                timeout_s=self.settings.extract_timeout_seconds,
                memory_mb=self.settings.extract_memory_mb,
                limits=limits,
            )
        cached = CachedText.from_extraction(result)
        if result.status != "error":
            self.cache.put(document.sha256, cached)
        return cached
