"""Files documents into an archive home in an endless loop until killed (used by test_crash_safety.py).

Usage: python crash_filer.py HOME. The script imports everything once, then for each SEED line read
from stdin forks a filer process and prints ``<pid>`` once that process has opened the archive and
warmed up; the test kills that pid with SIGKILL, and the script reaps it and prints ``reaped``. Forking
from one warm parent keeps Python's start-up out of each round; every filer is still a separate process
that dies mid-flight. The filer mixes new documents, new versions of one name, duplicates and generated
documents with an input sidecar.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from dossier.archive import Archive
from dossier.archive.filing import file_document
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
    while True:
        i += 1
        content = f"{seed}:{i}:".encode() * rng.randint(1, 4000)
        choice = i % 4
        common = {"borrower_key": BORROWER}
        if choice == 0:
            file_document(
                archive,
                content,
                category="contracts",
                doc_type="loan-contract",
                title="借款合同",
                filename="借款合同.pdf",
                **common,
            )
        elif choice == 1:
            file_document(
                archive,
                previous,
                category="contracts",
                doc_type="loan-contract",
                title="借款合同",
                filename="借款合同.pdf",
                **common,
            )
        elif choice == 2:
            file_document(
                archive,
                content,
                category="post-loan",
                doc_type="maturity-reminder",
                title="到期还款提示",
                filename=f"到期还款提示-{seed}-{i}.docx",
                source="generated",
                input_data={"kind": "reminder", "input": {"seed": seed, "i": i}},
                **common,
            )
        else:
            file_document(
                archive,
                content,
                category="financial",
                doc_type="bank-statement",
                title=f"银行流水{seed}-{i}",
                filename=f"银行流水{seed}-{i}.txt",
                **common,
            )
        previous = content


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
