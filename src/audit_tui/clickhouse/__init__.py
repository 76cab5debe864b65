"""ClickHouse as a source: the table's schema, loading any source into it, and the query object
that pushes every filter, count and facet down to the engine as one parameterised SQL query.

The engine is reached through :class:`~audit_tui.clickhouse.engine.Engine`: chDB (ClickHouse as
a library, ``chdb:PATH``) or a server through clickhouse-connect (``clickhouse://``). Values
travel as query parameters, never in the SQL text.
"""
