"""Full-text search over the archive: the dossier side of the ``indexer`` component.

The catalog is the truth and the index a rebuildable cache of it. Filing a document queues it in the
catalog's outbox (``index_queue``, in the same transaction that marks it filed); :class:`SearchIndex`
(service.py) drains the outbox into the engine, extracting each file's text once into a cache under
``.dossier/text/``; scans wait in the same outbox for OCR (ocr_queue.py). ``dossier search``, ``index``
and ``reindex`` (cli/search.py) sit on top.
"""
