"""Contracts, subscriptions and maintenance plans of customers, with their status history."""
