"""Every user's inbox: assignments, hand-offs, SLA warnings and mentions."""
