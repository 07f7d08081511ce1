"""Messaging: channels, templates, the contact policy and per-recipient message records.

Every send of every plugin goes through ``unicrm.core.messaging.services.send``.
"""
