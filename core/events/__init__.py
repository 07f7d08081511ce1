"""Domain events: written to the outbox inside the change's transaction, dispatched after commit."""
