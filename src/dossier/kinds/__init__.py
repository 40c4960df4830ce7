"""Document kinds: one module per kind, found by the registry (see base.py)."""
