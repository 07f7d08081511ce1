"""Relationships between customers: people at companies, households, company hierarchies."""
