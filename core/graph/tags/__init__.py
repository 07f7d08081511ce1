"""Manual tags on customers; names are unique regardless of case."""
