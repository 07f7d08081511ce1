"""The core customer graph: one package per aggregate, plus shared GraphQL plumbing."""
