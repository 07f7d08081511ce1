"""Departments: the teams of the organization, each with its own set of enabled plugins."""
