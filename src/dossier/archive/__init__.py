"""The credit archive: a home folder of borrowers' credit files, its catalog and its audit log.

``Archive.open(home)`` gives the home; ``filing.file_document`` files into it; ``registry`` registers
borrowers and loans; ``audit`` keeps the hash-chained log; ``integrity`` and ``repair`` check it all.
"""

from dossier.archive.home import Archive

__all__ = ["Archive"]
