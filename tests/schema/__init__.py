"""Tests of the composed GraphQL schema: departments, the plugin matrix, SDL snapshots."""
