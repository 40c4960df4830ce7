"""Full-text indexing for the archive: extraction, Chinese analysis, query language, engines.

It knows nothing of loans and never imports ``dossier``: dossier hands it files or text and filter fields,
it hands back text, hits and snippets.

- ``indexer.extract``: text, page count and metadata from PDF, DOCX and plain text; images and scans
  flagged ``needs-ocr`` (OCR with ocrmypdf + tesseract ``chi_sim``, run in the background); hostile files
  end as an error or partial text within time and memory limits (``extract_guarded``).
- ``indexer.analysis``: the one analyzer for indexing and queries (NFKC, lower case, CJK bigrams and
  unigrams, Latin/digit runs).
- ``indexer.query``, ``indexer.highlight``: the query language and snippets from stored text.
- ``indexer.engines``: one interface, two engines (tantivy by default, Whoosh), indexing our tokens.
"""
