"""Who may do what: users and their roles, passwords, API tokens, web sessions, and which borrowers an
officer sees. The service's faces ask this package; it knows nothing of HTTP."""
