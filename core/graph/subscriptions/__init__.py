"""Core's real-time subscriptions: live domain events (docs/subscriptions.md)."""
