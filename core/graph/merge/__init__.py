"""Duplicate candidates and customer merge.

A merge moves every row that references the source customer to the target, drops the rows
the target already has an equal of, asks the plugins to move theirs (``customer_merge``),
and records each change in a journal so that the merge can be undone. The source's id keeps
resolving to the target through ``customer_alias``.
"""
