"""Orders and purchases with their lines, idempotent by (source, external id)."""
