"""Consents per purpose and channel: an immutable history and the current state derived from it."""
