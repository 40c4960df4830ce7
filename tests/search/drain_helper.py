"""Drains an archive's search outbox and reports progress (used by test_outbox_crash.py, which kills it).

Usage: python drain_helper.py HOME CONFIG. Prints ``<done> <total>`` after every committed batch.
"""

from __future__ import annotations

import sys

from dossier.archive import Archive
from dossier.config import load_config
from dossier.search.search_index import SearchIndex


def main(home: str, config: str) -> None:
    with Archive.open(home, config=load_config(config)) as archive:
        SearchIndex(archive).process(progress=lambda done, total: print(done, total, flush=True))
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
