"""Full-text indexing: extraction, Chinese analysis, engines. Knows nothing of loans."""
