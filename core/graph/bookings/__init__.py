"""Bookings of store resources: tables, test drives, store and technician visits."""
