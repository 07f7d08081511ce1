"""Stores, invoices and bookings (core/graph/stores, invoices, bookings)."""
