"""The UniCRM test kit for plugin authors: database fixtures, an ASGI client and actors.

Enabled automatically as a pytest plugin (entry point ``pytest11``); a third-party plugin's
tests get the same fixtures and run against SQLite and PostgreSQL like ours.
"""
