"""The customer timeline: one ordered feed of everything that happened to a customer."""
