"""The command line, one module per subcommand; :func:`audit_tui.commands.main.main` is the
entry point (``audit-tui``, ``python -m audit_tui``).

- ``browse``: ``audit-tui [SOURCE] [FILTERS]``, the terminal browser (local or remote)
- ``query``: ``audit-tui query``, print the events that match
- ``export``: ``audit-tui export``, write them with a manifest, or ``--verify`` one
- ``serve``: ``audit-tui serve``, serve a local source over the audit API
- ``common``: the parser, usage errors, the shared arguments, opening a source

Nothing below this package imports from it.
"""
