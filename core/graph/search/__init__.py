"""Customer search: one lowercased search document per customer, matched by substring.

The document (display name, emails, phones in E.164 and national form, external identity ids)
lives in ``customer_search`` and is rebuilt in the writing transaction by session listeners
(``indexing``). SQLite matches it through an FTS5 trigram table, PostgreSQL through a
``pg_trgm`` GIN index; ``ddl.install_search_ddl`` creates what metadata cannot express.
"""
