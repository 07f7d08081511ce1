"""Stores and branches: address, region, opening hours, time zone and staff."""
