"""Full-text search over the archive: the dossier side of the ``indexer`` component.

The catalog is the truth and the index a rebuildable cache of it. Filing a document queues it in the
catalog's outbox (``index_queue``, dossier.archive.index_outbox, in the same transaction that marks it
filed). The modules, one job each:

- index_place.py: where this node's index replica lives ([search].index_path), how it is opened, engine
  errors as the archive's;
- indexing.py: drains the outbox (the extraction work queue) under the indexing lock, extracting each
  file's text once into a cache under ``.dossier/text/`` (extraction.py, text_cache.py) and appending a
  change-log entry per document (dossier.archive.index_log); scans wait in the same outbox for OCR
  (ocr_queue.py);
- replica.py: this node's index replica applies the change log in seq order (rebuild, bootstrap, lag);
  log_listener.py wakes it on PostgreSQL's notification in a service node;
- querying.py: searches answered as hits from the catalog; search_audit.py logs each one; csv_export.py
  writes them for the auditor;
- search_index.py: :class:`SearchIndex`, the parts put together for the CLI, the API and the watcher.

``dossier search``, ``index`` and ``reindex`` (cli/search.py) sit on top.
"""
