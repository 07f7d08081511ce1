"""The segment engine: filter trees compiled to one SQL statement, saved segments with
materialised membership (refreshed on a schedule and by events), static lists, auto-tagging.
Plugins add filters through ``segment_filters()`` (docs/segments.md)."""
