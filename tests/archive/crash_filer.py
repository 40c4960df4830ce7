"""Files documents into an archive home in an endless loop until killed (used by test_crash_safety.py).

Usage: python crash_filer.py HOME. The script imports everything once, then for each SEED line read
from stdin forks a filer process and prints ``<pid>`` once that process has opened the archive and
warmed up; the test kills that pid with SIGKILL, and the script reaps it and prints ``reaped``. Forking
from one warm parent keeps Python's start-up out of each round; every filer is still a separate process
that dies mid-flight. The filer mixes new documents, new versions of one name, duplicates and generated
documents with an input sidecar; every other round files them through file_documents (grouped commits).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from dossier.archive import Archive
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.config import load_config

BORROWER = "110105198001010016"


def filer(home: Path, seed: int) -> None:
    rng = random.Random(seed)
    archive = Archive.open(home, config=load_config())
    # Warm up (mappers configured, statements compiled) so the kill lands in filing, not in start-up.
    file_document(
        archive,
        f"warm-up {seed}".encode(),
        borrower_key=BORROWER,
        category="basic",
        doc_type="other",
        title=f"warm-up {seed}",
        filename=f"warm-up-{seed}.txt",
    )
    print(os.getpid(), flush=True)
    previous = b"first"
    i = 0
    batched = seed % 2 == 1  # every other round files through file_documents, in groups of three
    while True:
        requests = []
        for _ in range(4):
            i += 1
            content = f"{seed}:{i}:".encode() * rng.randint(1, 4000)
            requests.append(_request(seed, i, content, previous))
            previous = content
        if batched:
            file_documents(archive, requests, group=3)
        else:
            for request in requests:
                file_document(archive, **vars(request))


def _request(seed: int, i: int, content: bytes, previous: bytes) -> FilingRequest:
    """New documents, new versions of one name, duplicates and generated documents with a sidecar."""
    choice = i % 4
    if choice == 0:
        return FilingRequest(
            content, BORROWER, "contracts", "loan-contract", "借款合同", filename="借款合同.pdf"
        )
    if choice == 1:
        return FilingRequest(
            previous, BORROWER, "contracts", "loan-contract", "借款合同", filename="借款合同.pdf"
        )
    if choice == 2:
        return FilingRequest(
            content,
            BORROWER,
            "post-loan",
            "maturity-reminder",
            "到期还款提示",
            filename=f"到期还款提示-{seed}-{i}.docx",
            source="generated",
            input_data={"kind": "reminder", "input": {"seed": seed, "i": i}},
        )
    return FilingRequest(
        content,
        BORROWER,
        "financial",
        "bank-statement",
        f"银行流水{seed}-{i}",
        filename=f"银行流水{seed}-{i}.txt",
    )


def main() -> None:
    home = Path(sys.argv[1])
    for line in sys.stdin:
        seed = int(line)
        pid = os.fork()
        if pid == 0:
            try:
                filer(home, seed)
            finally:
                os._exit(1)
        os.waitpid(pid, 0)
        print("reaped", flush=True)


if __name__ == "__main__":
    main()
