"""Customers: people and companies, the centre of the customer graph."""
