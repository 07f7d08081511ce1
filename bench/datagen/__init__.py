"""Benchmark data on PostgreSQL: deterministic rows streamed into ``COPY``.

``core`` writes the customer graph; ``plugins`` adds each installed plugin's rows for the
same customers. Every table is filled through ``TableCopy``, which completes rows with the
models' Python-side defaults, so a new column with a default needs no change here.
"""
