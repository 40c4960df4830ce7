"""Full-text search over the archive: the dossier side of the ``indexer`` component.

The catalog is the truth and the index a rebuildable cache of it. Filing a document queues it in the
catalog's outbox (``index_queue``, dossier.archive.index_outbox, in the same transaction that marks it
filed). The modules, one job each:

- index_place.py: where the index lives, how it is opened, engine errors as the archive's;
- indexing.py: drains the outbox into the engine under the indexing lock, extracting each file's text
  once into a cache under ``.dossier/text/`` (extraction.py, text_cache.py); scans wait in the same
  outbox for OCR (ocr_queue.py);
- querying.py: searches answered as hits from the catalog; search_audit.py logs each one; csv_export.py
  writes them for the auditor;
- search_index.py: :class:`SearchIndex`, the parts put together for the CLI, the API and the watcher.

``dossier search``, ``index`` and ``reindex`` (cli/search.py) sit on top.
"""
