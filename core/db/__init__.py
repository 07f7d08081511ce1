"""The database layer: engine and sessions, declarative base, column types and ids."""
