"""Custom attributes: typed keys the organization declares, valued per customer."""
