"""The HTTP service: the API under /api/v1 and the web pages, over one archive home.

A face like the CLI: it calls the core (archive, search, access, generation) and holds no state of its
own outside the application object (see state.py)."""
