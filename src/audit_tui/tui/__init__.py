"""The terminal browser: the only package of audit-tui that imports Textual."""
