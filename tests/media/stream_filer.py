"""Child process for the streaming test: file one large file, print the peak resident set size (bytes)."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.config import load_config


def main(home: str, source: str, key: str) -> None:
    with Archive.open(Path(home), config=load_config()) as archive:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result = file_document(
            archive,
            Path(source),
            borrower_key=key,
            category="approval",
            doc_type="video-recording",
            title="面签录像",
            original_name=Path(source).name,
            source="uploaded",
        )
    # ru_maxrss is in kilobytes on Linux, and a forked child starts with its parent's peak (the fork
    # copies the parent's pages until exec), hence ``before``; VmHWM is this program's own high-water mark.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    hwm = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    print(
        json.dumps(
            {
                "document_id": result.document_id,
                "peak_rss": peak,
                "before": before,
                "hwm": hwm,
                "path": str(result.path),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
