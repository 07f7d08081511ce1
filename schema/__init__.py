"""The GraphQL layer: the one place that knows every piece and composes them per department."""
