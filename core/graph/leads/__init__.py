"""Leads (temperature, source, owner, conversion) and every customer's lifecycle stage."""
