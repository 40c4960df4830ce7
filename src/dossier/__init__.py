"""dossier: credit document generation and archive."""

__version__ = "0.1.0"
