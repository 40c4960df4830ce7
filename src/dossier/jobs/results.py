"""Where jobs started from a page leave their files (a volume's PDF, an export bundle) for the person who
asked: one private folder per run under [jobs].results_folder, outside the archive home (the volume and
the export refuse to write inside it), on a folder every worker host shares."""

from __future__ import annotations

import uuid
from pathlib import Path

from dossier.jobs.settings import JobsSettings


def results_folder(home: Path, settings: JobsSettings) -> Path:
    """[jobs].results_folder, or ``<home>-results`` beside the home when it is empty."""
    if settings.results_folder:
        return Path(settings.results_folder).expanduser().absolute()
    home = home.resolve()
    return home.parent / f"{home.name}-results"


def new_output(folder: Path, name: str) -> Path:
    """A fresh path ``<folder>/<random>/<name>`` (its folder made): a result's name is not guessable and
    no two runs share one."""
    place = folder / uuid.uuid4().hex
    place.mkdir(parents=True, mode=0o700)
    return place / name


def is_result(folder: Path, path: Path) -> bool:
    """Whether ``path`` is a file under the results folder (a run's recorded result, never elsewhere)."""
    try:
        return path.resolve().is_relative_to(folder.resolve()) and path.is_file()
    except OSError:
        return False
