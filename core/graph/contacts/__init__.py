"""Contact points of a customer: emails, phones (E.164) and postal addresses (Thai structure)."""
